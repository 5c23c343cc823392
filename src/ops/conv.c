/*
 * conv.c — ImageMagick 6's Convolve, row by row (see conv.h for the maths).
 *
 * The sums are ImageMagick's own (morphology.c, MorphologyPrimitive): the same products,
 * in double, added in the same order from 0, so that a result rounds as it does there;
 * a sharp threshold (-unsharp's) downstream turns a difference of one level into a
 * difference of thousands. Input rows are converted once each, padded with their
 * replicated edge pixels, into a ring of H rows: a block costs H converted rows, not all
 * of its rows.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"
#include "conv.h"

#define Q16_MAX		65535.0
#define Q16_SCALE	(1.0 / 65535.0)	/* ImageMagick's QuantumScale */

/* The passes are plain loops, vectorized for the processor (as kernel.c's). */
#ifdef HAVE_TARGET_CLONES
#define PASS	__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", \
		    "default")))
#else
#define PASS
#endif

void
conv_init(struct conv *c, const struct kspec *k, enum conv_mode mode)
{
	size_t	i, n = (size_t)k->width * k->height;

	c->width = k->width;
	c->height = k->height;
	c->left = k->width - 1 - k->x;
	c->up = k->height - 1 - k->y;
	c->mode = mode;
	c->k = xcalloc(n, sizeof *c->k);
	c->taps = 0;
	for (i = 0; i < n; i++) {
		c->k[i] = k->v[n - 1 - i];
		c->taps += !isnan(c->k[i]);
	}
}

void
conv_free(struct conv *c)
{
	free(c->k);
	c->k = NULL;
}

void
conv_halo(const struct conv *c, uint32_t *top, uint32_t *bottom)
{
	*top = c->up;
	*bottom = c->height - 1 - c->up;
}

uint16_t
conv_get(uint32_t bits, const void *row, size_t i)
{
	return bits == 8 ? (uint16_t)(((const uint8_t *)row)[i] * 257) :
	    ((const uint16_t *)row)[i];
}

void
conv_put(uint32_t bits, void *row, size_t i, uint16_t q)
{
	uint32_t	v = (uint32_t)q + 128;

	/* ImageMagick's ScaleQuantumToChar(), exact for every 16-bit value. */
	if (bits == 8)
		((uint8_t *)row)[i] = (uint8_t)((v - (v >> 8)) >> 8);
	else
		((uint16_t *)row)[i] = q;
}

uint16_t
conv_clamp(double v)
{
	if (isnan(v) || v <= 0)
		return 0;
	if (v >= Q16_MAX)
		return (uint16_t)Q16_MAX;
	return (uint16_t)(v + 0.5);
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
	const struct conv	*c;
	const struct op_image	*im;
	const char		*in;		/* rows [a, b) */
	uint32_t		 a, b;
	uint32_t		 filled;	/* rows [a, filled) have been converted */
	size_t			 len;		/* samples in an output row */
	size_t			 plen;		/* and in a padded row */
	double			*ring;		/* c->height padded rows */
	double			*acc;		/* len sums */
	double			*gamma;		/* per pixel: sum k a, for CONV_SYNC */
	int			 sync;		/* CONV_SYNC on an image with alpha */
};

/* Convert input row y into p: 16-bit values, r = c->left replicated pixels before it. */
static void
convert_row(const struct band *g, uint32_t y, double *p)
{
	const struct op_image	*im = g->im;
	const char		*row = g->in + (size_t)(y - g->a) * op_row_bytes(im);
	uint32_t		 spp = im->samples, s;
	int64_t			 i, x, w = im->width, n = w + g->c->width - 1;

	for (i = 0; i < n; i++) {
		x = i - (int64_t)g->c->left;
		x = x < 0 ? 0 : x >= w ? w - 1 : x;
		for (s = 0; s < spp; s++)
			p[i * spp + s] = conv_get(im->bits, row, (size_t)x * spp + s);
	}
}

/* The converted row that holds image row y (edges replicated), converted if need be. */
static const double *
band_row(struct band *g, int64_t y)
{
	int64_t	last = (int64_t)g->im->height - 1;

	y = y < 0 ? 0 : y > last ? last : y;
	for (; g->filled < g->b && g->filled <= y; g->filled++)
		convert_row(g, g->filled, g->ring + (size_t)((g->filled - g->a) %
		    g->c->height) * g->plen);
	return g->ring + (size_t)((y - g->a) % g->c->height) * g->plen;
}

/* One tap on every sample alike: acc += kv src. */
PASS static void
tap_plain(double *acc, const double *src, double kv, size_t len)
{
	size_t	k;

	for (k = 0; k < len; k++)
		acc[k] += kv * src[k];
}

/* One tap with colour weighted by alpha, and opacity summed, as ImageMagick's sync. */
PASS static void
tap_sync(double *acc, double *gamma, const double *src, double kv, uint32_t w,
    uint32_t spp)
{
	uint32_t	x, c, ac = spp - 1;

	for (x = 0; x < w; x++) {
		const double	*px = src + (size_t)x * spp;
		double		*sum = acc + (size_t)x * spp;
		double		 alpha = Q16_SCALE * px[ac];

		alpha *= kv;
		gamma[x] += alpha;
		for (c = 0; c < ac; c++)
			sum[c] += alpha * px[c];
		sum[ac] += kv * (Q16_MAX - px[ac]);
	}
}

/* Round output row y's sums into out. */
static void
finish_row(const struct band *g, uint32_t y, uint32_t bits, void *out)
{
	const struct op_image	*im = g->im;
	const void		*row = g->in + (size_t)(y - g->a) * op_row_bytes(im);
	uint32_t		 x, c, spp = im->samples, ac = spp - 1;
	double			 f;
	size_t			 i;

	for (x = 0; x < im->width; x++) {
		i = (size_t)x * spp;
		if (!g->sync) {
			for (c = 0; c < spp; c++)
				conv_put(bits, out, i + c, conv_clamp(g->acc[i + c]));
			if (im->alpha)
				conv_put(bits, out, i + ac, conv_get(im->bits, row, i + ac));
			continue;
		}
		f = reciprocal(g->gamma[x]);
		if (g->c->taps != 0)
			f *= (double)g->c->height * g->c->width / g->c->taps;
		for (c = 0; c < ac; c++)
			conv_put(bits, out, i + c, conv_clamp(f * g->acc[i + c]));
		conv_put(bits, out, i + ac, (uint16_t)(Q16_MAX -
		    conv_clamp(g->acc[i + ac])));
	}
}

/* Output row y: every tap, in ImageMagick's order (kernel rows, then columns). */
static void
conv_row(struct band *g, uint32_t y, uint32_t bits, void *out)
{
	const struct conv	*c = g->c;
	uint32_t		 u, v, spp = g->im->samples;
	const double		*row, *k;

	memset(g->acc, 0, g->len * sizeof *g->acc);
	if (g->sync)
		memset(g->gamma, 0, g->im->width * sizeof *g->gamma);
	for (v = 0; v < c->height; v++) {
		row = band_row(g, (int64_t)y - c->up + v);
		for (u = 0, k = c->k + (size_t)v * c->width; u < c->width; u++) {
			if (isnan(k[u]))
				continue;
			if (g->sync)
				tap_sync(g->acc, g->gamma, row + (size_t)u * spp, k[u],
				    g->im->width, spp);
			else
				tap_plain(g->acc, row + (size_t)u * spp, k[u], g->len);
		}
	}
	finish_row(g, y, bits, out);
}

void
conv_rows(const struct conv *c, const struct op_image *im, const void *in,
    uint32_t a, uint32_t y0, uint32_t n, uint32_t b, uint32_t bits, void *out)
{
	struct band	g = { .c = c, .im = im, .in = in, .a = a, .b = b, .filled = a };
	size_t		out_bytes = (size_t)im->width * im->samples * (bits / 8);
	uint32_t	y;

	g.len = (size_t)im->width * im->samples;
	g.plen = ((size_t)im->width + c->width - 1) * im->samples;
	g.sync = c->mode == CONV_SYNC && im->alpha;
	g.ring = xreallocarray(NULL, (size_t)c->height * g.plen, sizeof *g.ring);
	g.acc = xreallocarray(NULL, g.len, sizeof *g.acc);
	g.gamma = g.sync ? xreallocarray(NULL, im->width, sizeof *g.gamma) : NULL;
	for (y = y0; y < y0 + n; y++)
		conv_row(&g, y, bits, (char *)out + (size_t)(y - y0) * out_bytes);
	free(g.gamma);
	free(g.acc);
	free(g.ring);
}
