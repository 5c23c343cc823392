/*
 * negate.c — each colour sample replaced by its complement, as ImageMagick's
 * convert -negate; alpha is left as it is.
 *
 *	out(x, y, c) = max - in(x, y, c),	max = 2^bits - 1, c a colour sample
 *
 * A pixel needs only itself: no halo.
 */
#include <config.h>

#include <stdlib.h>

#include "../util.h"
#include "ops.h"

static void
negate_halo(const struct op_args *a, uint32_t *top, uint32_t *bottom)
{
	(void)a;
	*top = *bottom = 0;
}

static void *
negate_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct op_image	*state = xmalloc(sizeof *state);

	(void)a;
	(void)cause;
	*state = *im;
	return state;
}

static int
negate_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	const struct op_image	*im = state;
	size_t			 n = (size_t)b->rows * im->width * im->samples, i;
	uint32_t		 colour = im->samples - im->alpha;

	(void)cause;
	for (i = 0; i < n; i++) {
		int	keep = i % im->samples >= colour;

		if (im->bits == 8)
			((uint8_t *)out)[i] = keep ? ((const uint8_t *)in)[i] :
			    0xff - ((const uint8_t *)in)[i];
		else
			((uint16_t *)out)[i] = keep ? ((const uint16_t *)in)[i] :
			    0xffff - ((const uint16_t *)in)[i];
	}
	return 0;
}

const struct op op_negate = {
	.name = "negate",
	.summary = "each colour sample's complement, as convert -negate",
	.halo_text = "none",
	.formats = SAMPLE_UINT8 | SAMPLE_UINT16,
	.halo = negate_halo,
	.start = negate_start,
	.run = negate_run,
	.stop = free,
};
