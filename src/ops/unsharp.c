/*
 * unsharp.c — ImageMagick's -unsharp RxS+A+T (UnsharpMaskImage in effect.c):
 *
 *	b = the Gaussian blur of the input, as -blur RxS (w[i] in kernel.h)
 *	d = in - b
 *	out = in                 where |2d| < 65535 T
 *	      clamp(in + A d)    elsewhere
 *
 * per colour sample, on samples scaled to 16 bits. The blur is ImageMagick's: two 1-D
 * passes of w, the horizontal one first, each rounded to 16 bits (conv.c), on colour as
 * it is: -unsharp blurs convert's default channels without their sync flag, so colour
 * is not weighted by alpha, and alpha itself is copied unchanged. The threshold is sharp,
 * which is why the blur must round exactly as ImageMagick's does.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>

#include "../kernel.h"
#include "../util.h"
#include "conv.h"
#include "ops.h"

struct unsharp {
	struct op_image	im;
	struct conv	across, down;	/* the blur's two passes */
	double		amount;
	double		threshold;	/* in 16-bit levels, of |2d| */
	/* Kept from block to block: each pass's 16-bit results. */
	void		*h, *b;
	size_t		 h_size, b_size;
};

static void *
unsharp_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct unsharp	*u = xcalloc(1, sizeof *u);
	uint32_t	 r = (uint32_t)op_number(a, "radius");
	struct kspec	 k = { .width = 2 * r + 1, .height = 1, .x = r, .y = 0 };

	(void)cause;
	u->im = *im;
	k.v = kernel_gauss_taps(r, op_number(a, "sigma"));
	conv_init(&u->across, &k, CONV_COLOUR);
	k.height = k.width;
	k.width = 1;
	k.x = 0;
	k.y = r;
	conv_init(&u->down, &k, CONV_COLOUR);
	free(k.v);
	u->amount = op_number(a, "amount");
	u->threshold = 65535.0 * op_number(a, "threshold");
	return u;
}

/* Sharpen sample i: in, and blurred in 16 bits; out in `bits` bits. */
static inline void
sharpen(const struct unsharp *u, uint32_t bits, const void *in,
    const uint16_t *blurred, void *out, size_t i)
{
	double	p = conv_get(bits, in, i), d = p - blurred[i];

	conv_put(bits, out, i, fabs(2.0 * d) < u->threshold ? (uint16_t)p :
	    conv_clamp(p + d * u->amount));
}

/* Sharpen one row. Alpha comes through unchanged as the blur copied it: its d is 0. */
OP_PASS static void
sharpen_row(const struct unsharp *u, const void *in, const uint16_t *blurred,
    void *out)
{
	size_t	i, n = (size_t)u->im.width * u->im.samples;

	if (u->im.bits == 8)
		for (i = 0; i < n; i++)
			sharpen(u, 8, in, blurred, out, i);
	else
		for (i = 0; i < n; i++)
			sharpen(u, 16, in, blurred, out, i);
}

static int
unsharp_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	struct unsharp	*u = state;
	struct op_image	 im16 = u->im;
	uint32_t	 a = b->y - b->top, end = b->y + b->rows + b->bottom, y;
	size_t		 len = (size_t)u->im.width * u->im.samples;
	size_t		 row_bytes = op_row_bytes(&u->im);
	const uint16_t	*blurred;

	(void)cause;
	im16.bits = 16;
	reserve(&u->h, &u->h_size, (size_t)(end - a) * len * sizeof(uint16_t));
	reserve(&u->b, &u->b_size, (size_t)b->rows * len * sizeof(uint16_t));
	conv_rows(&u->across, &u->im, in, a, a, end - a, end, 16, u->h);
	conv_rows(&u->down, &im16, u->h, a, b->y, b->rows, end, 16, u->b);
	for (y = 0, blurred = u->b; y < b->rows; y++, blurred += len)
		sharpen_row(u, (const char *)in + (size_t)(b->top + y) * row_bytes,
		    blurred, (char *)out + (size_t)y * row_bytes);
	return 0;
}

static void
unsharp_stop(void *state)
{
	struct unsharp	*u = state;

	conv_free(&u->across);
	conv_free(&u->down);
	free(u->h);
	free(u->b);
	free(u);
}

const struct op op_unsharp = {
	.name = "unsharp",
	.summary = "unsharp mask, as convert -unsharp RxS+A+T",
	.halo_text = "radius rows above and below",
	.params = {
		{ "radius", OP_INT, 1, 1000, "4", "the blur's radius in pixels" },
		{ "sigma", OP_REAL, 0.001, 1000, NULL,
		    "the blur's standard deviation (default: radius / 2)" },
		{ "amount", OP_REAL, -1000, 1000, "1",
		    "the share of the difference from the blur added back" },
		{ "threshold", OP_REAL, 0, 1, "0.05",
		    "a sample within threshold / 2 of the range of its blur is left alone" },
	},
	.formats = SAMPLE_UINT8 | SAMPLE_UINT16,
	.ready = kernel_ready,
	.halo = kernel_radius_halo,
	.start = unsharp_start,
	.run = unsharp_run,
	.stop = unsharp_stop,
};
