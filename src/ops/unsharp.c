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
 *
 * Other formats, and any with nodata, are not ImageMagick's: b is the gaussian
 * operation's blur of every sample as a band of its own (kernel.c: in float, stored in
 * the image's format, holes left out of its sums), the threshold is T times the
 * format's range (max - min: 1 for floats), and the sum is in float, stored as
 * sample.h says; a sample left alone, alpha and a hole are copied as they are.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel.h"
#include "../util.h"
#include "conv.h"
#include "ops.h"

struct unsharp {
	struct op_image	im;
	int		q16;		/* 8- or 16-bit without nodata: ImageMagick's */
	struct conv	across, down;	/* the blur's two passes, q16 */
	struct op_image	bands;		/* or im as bands without alpha, for */
	struct mask	mask;		/* kernel_rows() */
	double		amount;
	double		threshold;	/* in 16-bit levels, of |2d|; or of the range */
	/* Kept from block to block: each pass's 16-bit results, or the blur and rows. */
	void		*h, *b;
	size_t		 h_size, b_size;
};

static void *
unsharp_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct unsharp	*u = xcalloc(1, sizeof *u);
	uint32_t	 r = (uint32_t)op_number(a, UNSHARP_RADIUS);
	struct kspec	 k = { .width = 2 * r + 1, .height = 1, .x = r, .y = 0 };

	(void)cause;
	u->im = *im;
	u->q16 = (im->format == SAMPLE_UINT8 || im->format == SAMPLE_UINT16) &&
	    !im->nodata;
	u->amount = op_number(a, UNSHARP_AMOUNT);
	u->threshold = 65535.0 * op_number(a, UNSHARP_THRESHOLD);
	if (!u->q16) {
		u->bands = *im;
		u->bands.alpha = 0;
		kernel_gauss(&u->mask, r, op_number(a, UNSHARP_SIGMA));
		u->threshold = op_number(a, UNSHARP_THRESHOLD) * (sample_max(im->format) -
		    sample_min(im->format));
		return u;
	}
	k.v = kernel_gauss_taps(r, op_number(a, UNSHARP_SIGMA));
	conv_init(&u->across, &k, CONV_COLOUR);
	k.height = k.width;
	k.width = 1;
	k.x = 0;
	k.y = r;
	conv_init(&u->down, &k, CONV_COLOUR);
	free(k.v);
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

/*
 * One row of p (the input as floats) sharpened against its blur bl, in place; keep[i]
 * says the input is to be copied instead. Alpha is alone in being always kept.
 */
OP_PASS static void
sharpen_float(const struct unsharp *u, float *p, const float *bl, uint8_t *keep)
{
	size_t	i, n = (size_t)u->im.width * u->im.samples;
	float	d, t = (float)u->threshold, amount = (float)u->amount;

	for (i = 0; i < n; i++) {
		d = p[i] - bl[i];
		keep[i] = fabsf(2 * d) < t;
		p[i] += d * amount;
	}
	if (u->im.alpha)
		for (i = u->im.samples - 1; i < n; i += u->im.samples)
			keep[i] = 1;
}

/* Block b in any format: blurred by kernel_rows(), sharpened in float. */
static void
unsharp_float(struct unsharp *u, struct op_block *b, const void *in, void *out)
{
	uint32_t	 a = b->y - b->top, end = b->y + b->rows + b->bottom, y;
	size_t		 n = (size_t)u->im.width * u->im.samples, i;
	size_t		 row_bytes = op_row_bytes(&u->im), bytes = u->im.bits / 8;
	const char	*src;
	char		*dst, *blur;
	float		*p, *bl;
	uint8_t		*keep;

	reserve(&u->b, &u->b_size, (size_t)b->rows * row_bytes);
	reserve(&u->h, &u->h_size, n * (2 * sizeof *p + sizeof *keep));
	p = u->h;
	bl = p + n;
	keep = (uint8_t *)(bl + n);
	blur = u->b;
	kernel_rows(&u->bands, &u->mask, in, a, b->y, b->rows, end, blur);
	for (y = 0; y < b->rows; y++) {
		src = (const char *)in + (size_t)(b->top + y) * row_bytes;
		dst = (char *)out + (size_t)y * row_bytes;
		sample_load(u->im.format, src, n, p);
		sample_load(u->im.format, blur + (size_t)y * row_bytes, n, bl);
		sharpen_float(u, p, bl, keep);
		sample_store(u->im.format, p, n, dst);
		for (i = 0; i < n; i++)
			if (keep[i])
				memcpy(dst + i * bytes, src + i * bytes, bytes);
		if (u->im.nodata)
			sample_holes(u->im.format, src, n, u->im.nodata_value, dst);
	}
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
	if (!u->q16) {
		unsharp_float(u, b, in, out);
		return 0;
	}
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
	kernel_free(&u->mask);
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
	.formats = SAMPLE_ALL,
	.ready = kernel_ready,
	.halo = kernel_radius_halo,
	.start = unsharp_start,
	.run = unsharp_run,
	.stop = unsharp_stop,
};
