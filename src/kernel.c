/*
 * kernel.c — masks and the separable passes (see kernel.h for the maths).
 *
 * Passes run in single-precision float: 2r+1 products of values below 2^16 keep 24 bits
 * of mantissa, far inside the ±1 (8-bit) / ±2 (16-bit) agreement with ImageMagick.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "util.h"

/* ImageMagick's KernelRank: samples per tap when integrating the Gaussian. */
#define GAUSS_RANK	3

void
kernel_gauss(struct mask *m, uint32_t radius, double sigma)
{
	double		 sum = 0, *t, s = sigma * GAUSS_RANK;
	int		 v = (int)((2 * radius + 1) * GAUSS_RANK - 1) / 2, u;
	uint32_t	 i, taps = 2 * radius + 1;

	t = xcalloc(taps, sizeof *t);
	for (u = -v; u <= v; u++)
		t[(u + v) / GAUSS_RANK] += exp(-(double)u * u / (2 * s * s));
	for (i = 0; i < taps; i++)
		sum += t[i];
	m->radius = radius;
	m->w = xcalloc(taps, sizeof *m->w);
	for (i = 0; i < taps; i++)
		m->w[i] = t[i] / sum;
	free(t);
}

void
kernel_box(struct mask *m, uint32_t radius)
{
	uint32_t	i, taps = 2 * radius + 1;

	m->radius = radius;
	m->w = xcalloc(taps, sizeof *m->w);
	for (i = 0; i < taps; i++)
		m->w[i] = 1.0f / taps;
}

void
kernel_for_job(struct mask *m, const struct job *job)
{
	if (job->filter == FILTER_BOX)
		kernel_box(m, job->radius);
	else
		kernel_gauss(m, job->radius, job->sigma);
}

void
kernel_free(struct mask *m)
{
	free(m->w);
	m->w = NULL;
}

void
kernel_halo(const struct job *job, uint32_t y0, uint32_t n, uint32_t *a,
    uint32_t *b)
{
	*a = y0 > job->radius ? y0 - job->radius : 0;
	*b = job->height - (y0 + n) > job->radius ? y0 + n + job->radius :
	    job->height;
}

/*
 * Load one row into line as float, premultiplied by alpha when there is alpha, with r
 * replicated pixels on each side so the horizontal pass needs no bounds checks.
 */
static void
load_row(const struct job *job, const void *row, uint32_t r, float *line)
{
	const uint8_t	*p8 = row;
	const uint16_t	*p16 = row;
	uint32_t	 x, c, spp = job->samples, w = job->width;
	float		*px, scale = job->bits == 8 ? 1.0f / 255 : 1.0f / 65535;

	for (x = 0; x < w; x++) {
		px = line + (size_t)(x + r) * spp;
		for (c = 0; c < spp; c++)
			px[c] = job->bits == 8 ? p8[x * spp + c] : p16[x * spp + c];
		if (job->alpha)
			for (c = 0; c < spp - 1; c++)
				px[c] *= px[spp - 1] * scale;
	}
	for (x = 0; x < r; x++) {
		memcpy(line + (size_t)x * spp, line + (size_t)r * spp,
		    spp * sizeof *line);
		memcpy(line + (size_t)(r + w + x) * spp,
		    line + (size_t)(r + w - 1) * spp, spp * sizeof *line);
	}
}

/* Horizontal pass: out[x] = sum_i w[i] line[x + i], per sample. */
static void
hpass(const struct mask *m, const float *line, size_t len, uint32_t spp,
    float *out)
{
	uint32_t	i, taps = 2 * m->radius + 1;
	size_t		k;

	memset(out, 0, len * sizeof *out);
	for (i = 0; i < taps; i++) {
		const float	*src = line + (size_t)i * spp;
		float		 wi = m->w[i];

		for (k = 0; k < len; k++)
			out[k] += wi * src[k];
	}
}

/*
 * ImageMagick (Q16) blurs in two 1-D passes and keeps the first pass's result as 16-bit
 * integers of unassociated colour and alpha (its box, one 2-D pass, has no such step). Where alpha is nearly 0 the colour of the final result is a ratio of
 * tiny sums, so that rounding shows; round the same way to agree with it.
 */
static void
round_like_q16(const struct job *job, float *row)
{
	uint32_t	 x, c, spp = job->samples;
	float		 max = job->bits == 8 ? 255 : 65535, q = 65535 / max, a, v;

	for (x = 0; x < job->width; x++) {
		float	*px = row + (size_t)x * spp;

		a = px[spp - 1] / max;
		px[spp - 1] = rintf(px[spp - 1] * q) / q;
		for (c = 0; c < spp - 1; c++) {
			v = a > 0 ? rintf(px[c] / a * q) / q : 0;
			v = v > max ? max : v;
			px[c] = v * px[spp - 1] / max;
		}
	}
}

/* Undo the premultiplication, round and store one row of results. */
static void
store_row(const struct job *job, float *acc, void *row)
{
	uint8_t		*p8 = row;
	uint16_t	*p16 = row;
	uint32_t	 x, c, spp = job->samples;
	float		 max = job->bits == 8 ? 255 : 65535, a, v;
	size_t		 i;

	for (x = 0; x < job->width; x++) {
		float	*px = acc + (size_t)x * spp;

		if (job->alpha) {
			a = px[spp - 1] / max;
			for (c = 0; c < spp - 1; c++)
				px[c] = a > 0 ? px[c] / a : 0;
		}
		for (c = 0; c < spp; c++) {
			i = (size_t)x * spp + c;
			v = px[c] + 0.5f;
			v = v < 0 ? 0 : v > max ? max : v;
			if (job->bits == 8)
				p8[i] = (uint8_t)v;
			else
				p16[i] = (uint16_t)v;
		}
	}
}

void
kernel_blur(const struct job *job, const struct mask *m, const void *in,
    uint32_t y0, uint32_t n, void *out)
{
	uint32_t	 a, b, y, j, r = m->radius, taps = 2 * r + 1;
	size_t		 len = (size_t)job->width * job->samples, k;
	size_t		 row_bytes = job_row_bytes(job);
	float		*line, *h, *acc;

	kernel_halo(job, y0, n, &a, &b);
	line = xreallocarray(NULL, len + 2 * (size_t)r * job->samples,
	    sizeof *line);
	h = xreallocarray(NULL, (size_t)(b - a) * len, sizeof *h);
	acc = xreallocarray(NULL, len, sizeof *acc);

	for (y = a; y < b; y++) {
		load_row(job, (const char *)in + (size_t)(y - a) * row_bytes, r,
		    line);
		hpass(m, line, len, job->samples, h + (size_t)(y - a) * len);
		if (job->alpha && job->filter == FILTER_GAUSSIAN)
			round_like_q16(job, h + (size_t)(y - a) * len);
	}
	for (y = y0; y < y0 + n; y++) {
		memset(acc, 0, len * sizeof *acc);
		for (j = 0; j < taps; j++) {
			int64_t		 yy = (int64_t)y + j - r;
			const float	*src;

			yy = yy < 0 ? 0 : yy >= job->height ? job->height - 1 : yy;
			src = h + (size_t)(yy - a) * len;
			for (k = 0; k < len; k++)
				acc[k] += m->w[j] * src[k];
		}
		store_row(job, acc, (char *)out + (size_t)(y - y0) * row_bytes);
	}
	free(acc);
	free(h);
	free(line);
}
