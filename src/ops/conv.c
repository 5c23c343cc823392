/*
 * conv.c — ImageMagick 6's Convolve, row by row (see conv.h for the maths).
 *
 * The sums are ImageMagick's own (morphology.c, MorphologyPrimitive): the same products,
 * in double, added in the same order from 0, so that a result rounds as it does there;
 * a sharp threshold (-unsharp's) downstream turns a difference of one level into a
 * difference of thousands. Input rows are converted once each, padded with their
 * replicated edge pixels, into a ring of H rows: a block costs H converted rows, not all
 * of its rows. The ring and the sums are kept in struct conv from block to block.
 *
 * Other formats, and any with nodata, are not ImageMagick's: their rows are loaded as
 * floats in their own range (sample.h) and, with alpha or nodata, weighed as a blur's
 * (kernel_weigh(): 2 lanes a sample, the value times its weight and the weight), so that
 * every tap is the same plain product and sum in double. A result is
 *
 *	sum k v						no alpha, no nodata
 *	(N/n) sum k a v / sum k a			colour with alpha, as CONV_SYNC
 *	max - f sum k m (max - A)			alpha
 *	f sum k m v,  f = sum k / sum k m		colour with nodata, no alpha
 *
 * m being 0 at a hole, 1 elsewhere (alpha's m included in the colour's a), f taken as 1
 * where either sum is below KSPEC_EPSILON (a kernel summing to 0, an edge detector,
 * is not normalised). A hole stays the same hole.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel.h"
#include "../util.h"
#include "conv.h"

#define Q16_MAX		65535.0
#define Q16_SCALE	(1.0 / 65535.0)	/* ImageMagick's QuantumScale */
#define CONV_SPAN	512		/* pixels summed at once: 16 KiB of RGBA sums */

void
conv_init(struct conv *c, const struct kspec *k, enum conv_mode mode)
{
	size_t	i, n = (size_t)k->width * k->height;

	memset(c, 0, sizeof *c);
	c->rows = xcalloc(k->height, sizeof *c->rows);
	c->width = k->width;
	c->height = k->height;
	c->left = k->width - 1 - k->x;
	c->up = k->height - 1 - k->y;
	c->mode = mode;
	c->k = xcalloc(n, sizeof *c->k);
	c->taps = 0;
	c->sum = 0;
	for (i = 0; i < n; i++) {
		c->k[i] = k->v[n - 1 - i];
		c->taps += !isnan(c->k[i]);
		c->sum += isnan(c->k[i]) ? 0 : c->k[i];
	}
}

void
conv_free(struct conv *c)
{
	free(c->k);
	free(c->ring);
	free(c->acc);
	free(c->gamma);
	free(c->rows);
	free(c->scratch);
	memset(c, 0, sizeof *c);
}

void
conv_halo(const struct conv *c, uint32_t *top, uint32_t *bottom)
{
	*top = c->up;
	*bottom = c->height - 1 - c->up;
}

/* ImageMagick's PerceptibleReciprocal(): 1/x, or ±1/epsilon where x is below it. */
static double
reciprocal(double x)
{
	double	sign = x < 0 ? -1 : 1;

	return sign * x >= KSPEC_EPSILON ? 1 / x : sign / KSPEC_EPSILON;
}

/* The rows of one call, and the ring of converted rows they are read through. */
struct band {
	struct conv		*c;
	const struct op_image	*im;
	const char		*in;		/* rows [a, b) */
	uint32_t		 a, b;
	uint32_t		 filled;	/* rows [a, filled) have been converted */
	size_t			 len;		/* lanes in an output row */
	size_t			 plen;		/* and in a padded row */
	uint32_t		 lanes;		/* a pixel's: samples, or 2 spp weighed */
	int			 q16;		/* 8- or 16-bit without nodata: ImageMagick's */
	uint16_t		*ring;		/* c->height padded rows, q16 */
	float			*fring;		/* or floats */
	float			*raw, *valid;	/* a row's samples and holes, for weighing */
	double			*acc;		/* len sums */
	double			*gamma;		/* per pixel: sum k a, for CONV_SYNC */
	int			 sync;		/* CONV_SYNC on an image with alpha */
};

/*
 * Convert input row y into p: 16-bit values, with c->left replicated pixels before them
 * and width - 1 - left after.
 */
OP_PASS static void
convert_row(const struct band *g, uint32_t y, uint16_t *p)
{
	const struct op_image	*im = g->im;
	const char		*row = g->in + (size_t)(y - g->a) * op_row_bytes(im);
	const uint8_t		*p8 = (const uint8_t *)row;
	const uint16_t		*p16 = (const uint16_t *)row;
	size_t			 k, spp = im->samples, left = g->c->left;
	size_t			 right = g->c->width - 1 - left;
	uint16_t		*body = p + left * spp;

	if (im->bits == 8)
		for (k = 0; k < g->len; k++)
			body[k] = (uint16_t)(p8[k] * 257);
	else
		memcpy(body, p16, g->len * sizeof *body);
	for (k = 0; k < left; k++)
		memcpy(p + k * spp, body, spp * sizeof *p);
	for (k = 0; k < right; k++)
		memcpy(body + g->len + k * spp, body + g->len - spp, spp * sizeof *p);
}

/* Load input row y into p as floats, weighed if need be, with its edge pixels. */
static void
load_row(const struct band *g, uint32_t y, float *p)
{
	const struct op_image	*im = g->im;
	const char		*row = g->in + (size_t)(y - g->a) * op_row_bytes(im);
	size_t			 k, n = (size_t)im->width * im->samples, px = g->lanes;
	size_t			 left = g->c->left, right = g->c->width - 1 - left;
	float			*body = p + left * px;

	if (px == im->samples)
		sample_load(im->format, row, n, body);
	else {
		sample_load(im->format, row, n, g->raw);
		for (k = 0; k < n; k++)
			g->valid[k] = 1;
		if (im->nodata)
			sample_valid(im->format, row, n, im->nodata_value, g->valid);
		kernel_weigh(im, g->raw, g->valid, body);
	}
	for (k = 0; k < left; k++)
		memcpy(p + k * px, body, px * sizeof *p);
	for (k = 0; k < right; k++)
		memcpy(body + g->len + k * px, body + g->len - px, px * sizeof *p);
}

/* The converted row that holds image row y (edges replicated), converted if need be. */
static size_t
band_row(struct band *g, int64_t y)
{
	int64_t	last = (int64_t)g->im->height - 1;
	size_t	at;

	y = y < 0 ? 0 : y > last ? last : y;
	for (; g->filled < g->b && g->filled <= y; g->filled++) {
		at = (size_t)((g->filled - g->a) % g->c->height) * g->plen;
		if (g->q16)
			convert_row(g, g->filled, g->ring + at);
		else
			load_row(g, g->filled, g->fring + at);
	}
	return (size_t)((y - g->a) % g->c->height) * g->plen;
}

/* One tap on every sample alike: acc += kv src; for 16-bit values and for floats. */
#define TAP_PLAIN(name, type)						\
OP_PASS static void							\
name(double *acc, const type *src, double kv, size_t len)		\
{									\
	size_t	k;							\
									\
	for (k = 0; k < len; k++)					\
		acc[k] += kv * src[k];					\
}
TAP_PLAIN(tap_plain, uint16_t)
TAP_PLAIN(tap_float, float)

/* One tap with colour weighted by alpha, and opacity summed, as ImageMagick's sync. */
OP_PASS static void
tap_sync(double *acc, double *gamma, const uint16_t *src, double kv, uint32_t w,
    uint32_t spp)
{
	uint32_t	x, c, ac = spp - 1;

	for (x = 0; x < w; x++) {
		const uint16_t	*px = src + (size_t)x * spp;
		double		*sum = acc + (size_t)x * spp;
		double		 alpha = Q16_SCALE * px[ac];

		alpha *= kv;
		gamma[x] += alpha;
		for (c = 0; c < ac; c++)
			sum[c] += alpha * px[c];
		sum[ac] += kv * (Q16_MAX - px[ac]);
	}
}

/* Round sums into n samples of out, of `bits` bits. */
OP_PASS static void
round_plain(const double *acc, size_t n, uint32_t bits, void *out)
{
	size_t	k;

	if (bits == 8)
		for (k = 0; k < n; k++)
			conv_put(8, out, k, conv_clamp(acc[k]));
	else
		for (k = 0; k < n; k++)
			conv_put(16, out, k, conv_clamp(acc[k]));
}

/* Round the alpha-weighted sums of one row (CONV_SYNC) into out. */
static void
round_sync(const struct band *g, uint32_t bits, void *out)
{
	uint32_t	x, c, spp = g->im->samples, ac = spp - 1;
	double		f;
	size_t		i;

	for (x = 0; x < g->im->width; x++) {
		i = (size_t)x * spp;
		f = reciprocal(g->gamma[x]);
		if (g->c->taps != 0)
			f *= (double)g->c->height * g->c->width / g->c->taps;
		for (c = 0; c < ac; c++)
			conv_put(bits, out, i + c, conv_clamp(f * g->acc[i + c]));
		conv_put(bits, out, i + ac, (uint16_t)(Q16_MAX -
		    conv_clamp(g->acc[i + ac])));
	}
}

/* sum k / sum k m, or 1 where either is too small to divide (see the top). */
static double
normaliser(const struct conv *c, double weights)
{
	return fabs(c->sum) < KSPEC_EPSILON || fabs(weights) < KSPEC_EPSILON ? 1 :
	    c->sum / weights;
}

/* A weighed row's results (see the top), 2 spp lanes a pixel, into spp floats. */
static void
finish_weighed(const struct band *g, float *res)
{
	uint32_t	 x, c, spp = g->im->samples, colours = spp - g->im->alpha;
	double		 max = sample_max(g->im->format), taps = 1;
	const double	*px;

	if (g->c->taps != 0)
		taps = (double)g->c->height * g->c->width / g->c->taps;
	for (x = 0; x < g->im->width; x++, res += spp) {
		px = g->acc + (size_t)x * 2 * spp;
		for (c = 0; c < colours; c++)
			res[c] = (float)(g->im->alpha ? taps * px[c] *
			    reciprocal(px[spp + c]) : px[c] * normaliser(g->c, px[spp + c]));
		if (g->im->alpha)
			res[spp - 1] = (float)(max - normaliser(g->c, px[2 * spp - 1]) *
			    (max * px[2 * spp - 1] - px[spp - 1]));
	}
}

/* Output row y in the image's own format, from float sums; holes as they were. */
static void
finish_float(const struct band *g, uint32_t y, void *out)
{
	const struct op_image	*im = g->im;
	const void		*row = g->in + (size_t)(y - g->a) * op_row_bytes(im);
	size_t			 k, n = (size_t)im->width * im->samples;
	float			*res = g->raw;

	if (g->lanes == im->samples)
		for (k = 0; k < n; k++)
			res[k] = (float)g->acc[k];
	else
		finish_weighed(g, res);
	sample_store(im->format, res, n, out);
	if (im->nodata)
		sample_holes(im->format, row, n, im->nodata_value, out);
}

/* Round output row y's sums into out; CONV_COLOUR copies alpha from row y. */
static void
finish_row(const struct band *g, uint32_t y, uint32_t bits, void *out)
{
	const struct op_image	*im = g->im;
	const void		*row = g->in + (size_t)(y - g->a) * op_row_bytes(im);
	size_t			 i;

	if (!g->q16) {
		finish_float(g, y, out);
		return;
	}
	if (g->sync) {
		round_sync(g, bits, out);
		return;
	}
	round_plain(g->acc, g->len, bits, out);
	if (im->alpha)
		for (i = im->samples - 1; i < g->len; i += im->samples)
			conv_put(bits, out, i, conv_get(im->bits, row, i));
}

/* The taps of one kernel row on pixels [x0, x1), in ImageMagick's order. */
static void
conv_span(struct band *g, size_t row, const double *k, uint32_t x0, uint32_t x1)
{
	uint32_t	u, spp = g->lanes;
	size_t		i = (size_t)x0 * spp;

	for (u = 0; u < g->c->width; u++) {
		if (isnan(k[u]))
			continue;
		if (!g->q16)
			tap_float(g->acc + i, g->fring + row + i + (size_t)u * spp, k[u],
			    (size_t)(x1 - x0) * spp);
		else if (g->sync)
			tap_sync(g->acc + i, g->gamma + x0, g->ring + row + i +
			    (size_t)u * spp, k[u], x1 - x0, spp);
		else
			tap_plain(g->acc + i, g->ring + row + i + (size_t)u * spp, k[u],
			    (size_t)(x1 - x0) * spp);
	}
}

/*
 * Output row y: every tap, in ImageMagick's order (kernel rows, then columns), CONV_SPAN
 * pixels at a time so that their sums stay in the first-level cache.
 */
static void
conv_row(struct band *g, uint32_t y, uint32_t bits, void *out)
{
	struct conv	*c = g->c;
	uint32_t	 v, x0, x1, w = g->im->width;

	memset(g->acc, 0, g->len * sizeof *g->acc);
	if (g->sync)
		memset(g->gamma, 0, w * sizeof *g->gamma);
	for (v = 0; v < c->height; v++)
		c->rows[v] = band_row(g, (int64_t)y - c->up + v);
	for (x0 = 0; x0 < w; x0 = x1) {
		x1 = w - x0 < CONV_SPAN ? w : x0 + CONV_SPAN;
		for (v = 0; v < c->height; v++)
			conv_span(g, c->rows[v], c->k + (size_t)v * c->width, x0, x1);
	}
	finish_row(g, y, bits, out);
}

void
conv_rows(struct conv *c, const struct op_image *im, const void *in, uint32_t a,
    uint32_t y0, uint32_t n, uint32_t b, uint32_t bits, void *out)
{
	struct band	g = { .c = c, .im = im, .in = in, .a = a, .b = b, .filled = a };
	size_t		out_bytes = (size_t)im->width * im->samples * (bits / 8);
	uint32_t	y;

	g.q16 = (im->format == SAMPLE_UINT8 || im->format == SAMPLE_UINT16) &&
	    !im->nodata;
	g.sync = c->mode == CONV_SYNC && im->alpha;
	g.lanes = !g.q16 && (im->nodata || g.sync) ? 2 * im->samples : im->samples;
	g.len = (size_t)im->width * g.lanes;
	g.plen = ((size_t)im->width + c->width - 1) * g.lanes;
	reserve(&c->ring, &c->ring_size, c->height * g.plen *
	    (g.q16 ? sizeof *g.ring : sizeof *g.fring));
	reserve(&c->scratch, &c->scratch_size, 2 * (size_t)im->width * im->samples *
	    sizeof *g.raw);
	reserve(&c->acc, &c->acc_size, g.len * sizeof *g.acc);
	reserve(&c->gamma, &c->gamma_size, im->width * sizeof *g.gamma);
	g.ring = c->ring;
	g.fring = c->ring;
	g.raw = c->scratch;
	g.valid = g.raw + (size_t)im->width * im->samples;
	g.acc = c->acc;
	g.gamma = c->gamma;
	for (y = y0; y < y0 + n; y++)
		conv_row(&g, y, bits, (char *)out + (size_t)(y - y0) * out_bytes);
}
