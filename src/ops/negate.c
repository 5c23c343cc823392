/*
 * negate.c — each colour sample replaced by its complement, as ImageMagick's
 * convert -negate; alpha is left as it is, and so is a hole (nodata).
 *
 *	out(x, y, c) = min + max - in(x, y, c),	c a colour sample
 *
 * with the format's nominal range (sample.h): 255 - v for uint8, -1 - v for int8, 1 - v
 * for floats, computed in the samples' own type.
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

/* out = lo + hi - v for the colour samples of one type, alpha and holes kept. */
#define NEGATE(type) do {						\
	const type	*s = in;					\
	type		*d = out, lo = (type)sample_min(im->format);	\
	type		 hi = (type)sample_max(im->format);		\
									\
	for (i = 0; i < n; i++)						\
		d[i] = keep[i % im->samples] ? s[i] : lo + hi - s[i];	\
} while (0)

static int
negate_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	const struct op_image	*im = state;
	size_t			 n = (size_t)b->rows * im->width * im->samples, i;
	uint8_t			*keep = xcalloc(im->samples, 1);

	(void)cause;
	keep[im->samples - 1] = (uint8_t)im->alpha;
	switch (im->format) {
	case SAMPLE_UINT8:	NEGATE(uint8_t); break;
	case SAMPLE_UINT16:	NEGATE(uint16_t); break;
	case SAMPLE_UINT32:	NEGATE(uint32_t); break;
	case SAMPLE_INT8:	NEGATE(int8_t); break;
	case SAMPLE_INT16:	NEGATE(int16_t); break;
	case SAMPLE_INT32:	NEGATE(int32_t); break;
	case SAMPLE_FLOAT32:	NEGATE(float); break;
	case SAMPLE_FLOAT64:	NEGATE(double); break;
	}
	free(keep);
	if (im->nodata)
		sample_holes(im->format, in, n, im->nodata_value, out);
	return 0;
}

const struct op op_negate = {
	.name = "negate",
	.summary = "each colour sample's complement, as convert -negate",
	.halo_text = "none",
	.formats = SAMPLE_ALL,
	.halo = negate_halo,
	.start = negate_start,
	.run = negate_run,
	.stop = free,
};
