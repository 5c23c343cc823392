/*
 * kernel.c — masks and the separable passes (see kernel.h for the maths).
 *
 * Passes run in single-precision float: 2r+1 products of values below 2^16 keep 24 bits
 * of mantissa, far inside the ±1 (8-bit) / ±2 (16-bit) agreement with ImageMagick.
 *
 * A Gaussian on 8-bit samples without alpha runs in fixed point instead, as libvips does:
 * weights q[i] = round(w[i] 2^15) with the centre tap corrected so that they sum to 2^15
 * exactly, and the horizontal pass kept in int16 with 7 fractional bits. Sums stay
 * below 2^31 (255 · 2^15 across, 32640 · 2^15 down), int16 × int16 → int32 products are
 * what the vector units do best, and a filtered row takes half the bytes of floats.
 * The error against exact arithmetic is at most 2 · 255 · sum_i |q[i] 2^-15 - w[i]| from
 * the weights (once per pass) plus 2^-8 from the intermediate rounding; fixed_mask()
 * uses fixed point only where that is below FIX_SLACK, so a result is off the exact
 * value by less than 0.75 and within ±1 of any correctly rounded blur.
 */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "ops/ops.h"
#include "util.h"

/* ImageMagick's KernelRank: samples per tap when integrating the Gaussian. */
#define GAUSS_RANK	3


#define FIX_W		15	/* fraction bits of a fixed-point weight */
#define FIX_H		7	/* fraction bits of a horizontally filtered sample */
#define FIX_SLACK	0.25	/* largest error the fixed-point passes may add */
#define FIX_CHUNK	4096	/* accumulators a pass works on at once: 16 KiB, in L1 */

double *
kernel_gauss_taps(uint32_t radius, double sigma)
{
	double		 sum = 0, *t, s = sigma * GAUSS_RANK;
	int		 v = (int)((2 * radius + 1) * GAUSS_RANK - 1) / 2, u;
	uint32_t	 i, taps = 2 * radius + 1;

	t = xcalloc(taps, sizeof *t);
	for (u = -v; u <= v; u++)
		t[(u + v) / GAUSS_RANK] += exp(-(double)u * u / (2 * s * s));
	for (i = 0; i < taps; i++)
		sum += t[i];
	for (i = 0; i < taps; i++)
		t[i] /= sum;
	return t;
}

void
kernel_gauss(struct mask *m, uint32_t radius, double sigma)
{
	double		*t = kernel_gauss_taps(radius, sigma);
	uint32_t	 i, taps = 2 * radius + 1;

	m->radius = radius;
	m->box = 0;
	m->w = xcalloc(taps, sizeof *m->w);
	m->q = NULL;
	for (i = 0; i < taps; i++)
		m->w[i] = (float)t[i];
	free(t);
}

void
kernel_box(struct mask *m, uint32_t radius)
{
	uint32_t	i, taps = 2 * radius + 1;

	m->radius = radius;
	m->box = 1;
	m->w = xcalloc(taps, sizeof *m->w);
	m->q = NULL;
	for (i = 0; i < taps; i++)
		m->w[i] = 1.0f / taps;
}

/* Add m->q, the fixed-point weights, if they are exact enough (see the top). */
static void
fixed_mask(struct mask *m)
{
	uint32_t	i, taps = 2 * m->radius + 1;
	int32_t		*q = xcalloc(taps, sizeof *q), sum = 0;
	double		 err = 0;

	for (i = 0; i < taps; i++)
		sum += q[i] = (int32_t)lrint(ldexp(m->w[i], FIX_W));
	q[m->radius] += (1 << FIX_W) - sum;
	for (i = 0; i < taps; i++) {
		err += fabs(ldexp(q[i], -FIX_W) - m->w[i]);
		/* The passes add each pair of mirrored samples before one product. */
		if (q[i] != q[taps - 1 - i])
			err = INFINITY;
	}
	if (q[m->radius] <= INT16_MAX && 2 * 255 * err + ldexp(1, -8) < FIX_SLACK) {
		m->q = xcalloc(taps, sizeof *m->q);
		for (i = 0; i < taps; i++)
			m->q[i] = (int16_t)q[i];
	}
	free(q);
}

void
kernel_fix(struct mask *m, const struct op_image *im)
{
	if (!m->box && im->format == SAMPLE_UINT8 && !im->alpha && !im->nodata)
		fixed_mask(m);
}

void
kernel_free(struct mask *m)
{
	free(m->w);
	free(m->q);
	m->w = NULL;
	m->q = NULL;
}

/* Colour times alpha over its opaque value, in place: n pixels of spp samples. */
OP_PASS static void
premultiply(float *px, size_t n, uint32_t spp, float scale)
{
	uint32_t	c;
	size_t		x;

	for (x = 0; x < n; x++, px += spp)
		for (c = 0; c < spp - 1; c++)
			px[c] *= px[spp - 1] * scale;
}

OP_PASS void
kernel_weigh(const struct op_image *job, const float *v, const float *valid, float *px)
{
	uint32_t	x, c, spp = job->samples, colours = spp - job->alpha;
	float		scale = 1.0f / (float)sample_max(job->format), wa, wt;

	for (x = 0; x < job->width; x++, v += spp, valid += spp, px += 2 * spp) {
		wa = 1;
		if (job->alpha) {
			wa = valid[spp - 1] != 0 ? v[spp - 1] * scale : 0;
			px[spp - 1] = valid[spp - 1] != 0 ? v[spp - 1] : 0;
			px[2 * spp - 1] = valid[spp - 1];
		}
		for (c = 0; c < colours; c++) {
			wt = valid[c] * wa;
			px[c] = wt != 0 ? v[c] * wt : 0;
			px[spp + c] = wt;
		}
	}
}

/*
 * The filtered rows, as a ring: the vertical pass never needs more than the 2r + 2 rows
 * around the one it makes (the box's slide reads rows y - r and y + r + 1), so a block
 * costs that many filtered rows, not all of its rows plus the halo, and the rows it
 * reads stay in cache. Image row y lives in slot (y - a) % slots. A filtered row is
 * `len` floats (`lanes` a pixel), or int16 in fixed point.
 */
struct ring {
	const struct op_image	*job;
	const struct mask	*m;
	const char		*in;		/* rows [a, b) of image.bit */
	uint32_t		 a, b;
	uint32_t		 slots;
	uint32_t		 filled;	/* rows [a, filled) have been made */
	uint32_t		 lanes;		/* samples, or twice that with nodata */
	int			 q16;		/* 8- or 16-bit, no nodata: as ImageMagick */
	size_t			 len;		/* lanes in a row */
	size_t			 size;		/* bytes in a filtered row */
	char			*h;
	void			*line;		/* one input row with its edge pixels */
	float			*raw, *valid;	/* with nodata: a row's samples, and holes */
	double			*sum;		/* the box's running sums across, a pixel's */
};

/*
 * Load input row y into line as float, premultiplied by alpha when there is alpha (or
 * weighed, with nodata), with r replicated pixels on each side so the horizontal pass
 * needs no bounds checks.
 */
static void
load_row(struct ring *g, uint32_t y, float *line)
{
	const struct op_image	*job = g->job;
	const char		*row = g->in + (size_t)(y - g->a) * op_row_bytes(job);
	uint32_t		 x, r = g->m->radius, w = job->width;
	size_t			 n = (size_t)w * job->samples, px = g->lanes;
	float			*body = line + r * px;

	if (job->nodata) {
		sample_load(job->format, row, n, g->raw);
		sample_valid(job->format, row, n, job->nodata_value, g->valid);
		kernel_weigh(job, g->raw, g->valid, body);
	} else {
		sample_load(job->format, row, n, body);
		if (job->alpha)
			premultiply(body, w, job->samples,
			    1.0f / (float)sample_max(job->format));
	}
	for (x = 0; x < r; x++) {
		memcpy(line + x * px, body, px * sizeof *line);
		memcpy(body + (w + x) * px, body + (w - 1) * px, px * sizeof *line);
	}
}

/* Horizontal pass: out[x] = sum_i w[i] line[x + i], per sample. */
OP_PASS static void
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
round_like_q16(const struct op_image *job, float *row)
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

/* Undo the premultiplication: colour over its pixel's blurred alpha (0 where that is). */
OP_PASS static void
unpremultiply(const struct op_image *job, float *acc)
{
	uint32_t	 x, c, spp = job->samples;
	float		 max = (float)sample_max(job->format), a;

	for (x = 0; x < job->width; x++) {
		float	*px = acc + (size_t)x * spp;

		a = px[spp - 1] / max;
		for (c = 0; c < spp - 1; c++)
			px[c] = a > 0 ? px[c] / a : 0;
	}
}

/* Round and store one row of 8- or 16-bit results. */
OP_PASS static void
store_q16(const struct op_image *job, const float *acc, void *row)
{
	uint8_t		*p8 = row;
	uint16_t	*p16 = row;
	float		 max = job->bits == 8 ? 255 : 65535, v;
	size_t		 i, n = (size_t)job->width * job->samples;

	for (i = 0; i < n; i++) {
		v = acc[i] + 0.5f;
		v = v < 0 ? 0 : v > max ? max : v;
		if (job->bits == 8)
			p8[i] = (uint8_t)v;
		else
			p16[i] = (uint16_t)v;
	}
}

/* Weighted sums over their weights, 2 spp lanes a pixel into spp samples, in place. */
OP_PASS static void
normalise(const struct op_image *job, float *acc)
{
	uint32_t	x, c, spp = job->samples;
	float		v, wt;

	for (x = 0; x < job->width; x++)
		for (c = 0; c < spp; c++) {
			v = acc[(size_t)x * 2 * spp + c];
			wt = acc[(size_t)x * 2 * spp + spp + c];
			acc[(size_t)x * spp + c] = wt > 0 ? v / wt : 0;
		}
}

/* Output row y from its sums: divided by alpha or the weights, rounded and stored. */
static void
store_row(struct ring *g, uint32_t y, float *acc, void *out)
{
	const struct op_image	*job = g->job;

	if (job->nodata)
		normalise(job, acc);
	else if (job->alpha)
		unpremultiply(job, acc);
	if (g->q16)
		store_q16(job, acc, out);
	else
		sample_store(job->format, acc, (size_t)job->width * job->samples, out);
	if (job->nodata)
		sample_holes(job->format, g->in + (size_t)(y - g->a) *
		    op_row_bytes(job), (size_t)job->width * job->samples,
		    job->nodata_value, out);
}

/* taps values `stride` apart from p, summed in double. */
static double
window_sum(const float *p, size_t stride, uint32_t taps)
{
	double		sum = 0;
	uint32_t	i;

	for (i = 0; i < taps; i++)
		sum += p[i * stride];
	return sum;
}

/*
 * Box, horizontal: a running sum over the 2r+1 taps (in double, so that it does not
 * drift), so a pixel costs the same at any radius. A NaN or an infinity never leaves a
 * running sum (inf - inf is NaN): once the sum is not finite it is made again from its
 * window, so that one stays within the window, as in any other blur.
 */
OP_PASS static void
hpass_box(uint32_t r, const float *line, size_t len, uint32_t spp, double *sum,
    float *out)
{
	uint32_t	c, taps = 2 * r + 1;
	size_t		x, n = len / spp;

	for (c = 0; c < spp; c++)
		sum[c] = window_sum(line + c, spp, taps);
	for (x = 0; x < n; x++)
		for (c = 0; c < spp; c++) {
			out[x * spp + c] = sum[c] / taps;
			if (x + 1 == n)
				continue;
			sum[c] += (double)line[(x + taps) * spp + c] - line[x * spp + c];
			if (!isfinite(sum[c]))
				sum[c] = window_sum(line + (x + 1) * spp + c, spp, taps);
		}
}

/* One 8-bit row with r replicated pixels on each side. */
static void
pad_row8(const struct op_image *job, const uint8_t *row, uint32_t r, uint8_t *line)
{
	size_t		spp = job->samples, len = (size_t)job->width * spp;
	uint32_t	x;

	memcpy(line + r * spp, row, len);
	for (x = 0; x < r; x++) {
		memcpy(line + x * spp, row, spp);
		memcpy(line + (r + job->width + x) * spp, row + len - spp, spp);
	}
}

/*
 * Horizontal pass in fixed point: h[k] = sum_i q[i] line[k + i spp] / 2^(FIX_W - FIX_H),
 * the mirrored taps (q is symmetric) added before their one product.
 */
OP_PASS static void
hpass_fixed(const struct mask *m, const uint8_t *line, size_t len, uint32_t spp,
    int16_t *h)
{
	int32_t		acc[FIX_CHUNK];
	uint32_t	i, r = m->radius;
	size_t		k0, k, n;

	for (k0 = 0; k0 < len; k0 += n) {
		n = len - k0 < FIX_CHUNK ? len - k0 : FIX_CHUNK;
		for (k = 0; k < n; k++)
			acc[k] = (1 << (FIX_W - FIX_H - 1)) +
			    m->q[r] * (int16_t)line[k0 + k + (size_t)r * spp];
		for (i = 0; i < r; i++) {
			const uint8_t	*a = line + k0 + (size_t)i * spp;
			const uint8_t	*b = line + k0 + (size_t)(2 * r - i) * spp;
			int16_t		 q = m->q[i];

			for (k = 0; k < n; k++)
				acc[k] += q * (int16_t)(a[k] + b[k]);
		}
		for (k = 0; k < n; k++)
			h[k0 + k] = (int16_t)(acc[k] >> (FIX_W - FIX_H));
	}
}

/* Filter input row y into hy. */
static void
filter_row(struct ring *g, uint32_t y, void *hy)
{
	const struct op_image	*job = g->job;
	const char		*row = g->in + (size_t)(y - g->a) * op_row_bytes(job);
	uint32_t		 r = g->m->radius;

	if (g->m->q != NULL) {
		pad_row8(job, (const uint8_t *)row, r, g->line);
		hpass_fixed(g->m, g->line, g->len, job->samples, hy);
		return;
	}
	load_row(g, y, g->line);
	if (g->m->box)
		hpass_box(r, g->line, g->len, g->lanes, g->sum, hy);
	else
		hpass(g->m, g->line, g->len, g->lanes, hy);
	if (g->q16 && job->alpha && !g->m->box)
		round_like_q16(job, hy);
}

/* The filtered row that holds image row y, edges replicated; made if need be. */
static const void *
ring_row(struct ring *g, int64_t y)
{
	y = y < 0 ? 0 : y >= g->job->height ? g->job->height - 1 : y;
	for (; g->filled < g->b && g->filled <= y; g->filled++)
		filter_row(g, g->filled, g->h + (size_t)((g->filled - g->a) %
		    g->slots) * g->size);
	return g->h + (size_t)((y - g->a) % g->slots) * g->size;
}

/* Vertical pass for output row y: acc = sum_j w[j] h(y + j - r). */
OP_PASS static void
vpass(struct ring *g, uint32_t y, float *acc)
{
	uint32_t	j, r = g->m->radius;
	size_t		k;

	memset(acc, 0, g->len * sizeof *acc);
	for (j = 0; j < 2 * r + 1; j++) {
		const float	*src = ring_row(g, (int64_t)y + j - r);
		float		 wj = g->m->w[j];

		for (k = 0; k < g->len; k++)
			acc[k] += wj * src[k];
	}
}

/* Vertical pass in fixed point, rounded into output row y; taps paired as across. */
OP_PASS static void
vpass_fixed(struct ring *g, uint32_t y, uint8_t *out)
{
	int32_t		acc[FIX_CHUNK];
	uint32_t	j, r = g->m->radius;
	size_t		k0, k, n;

	for (k0 = 0; k0 < g->len; k0 += n) {
		n = g->len - k0 < FIX_CHUNK ? g->len - k0 : FIX_CHUNK;
		const int16_t	*mid = (const int16_t *)ring_row(g, y) + k0;

		for (k = 0; k < n; k++)
			acc[k] = (1 << (FIX_W + FIX_H - 1)) + g->m->q[r] * mid[k];
		for (j = 0; j < r; j++) {
			const int16_t	*a = (const int16_t *)ring_row(g,
					    (int64_t)y + j - r) + k0;
			const int16_t	*b = (const int16_t *)ring_row(g,
					    (int64_t)y + r - j) + k0;
			int16_t		 q = g->m->q[j];

			for (k = 0; k < n; k++)
				acc[k] += q * ((int32_t)a[k] + b[k]);
		}
		for (k = 0; k < n; k++)
			out[k0 + k] = (uint8_t)(acc[k] >> (FIX_W + FIX_H));
	}
}

/* Lane k of the 2r + 1 filtered rows around y, summed in double. */
static double
column_sum(struct ring *g, uint32_t y, size_t k)
{
	double		sum = 0;
	int64_t		j, r = g->m->radius;

	for (j = -r; j <= r; j++)
		sum += ((const float *)ring_row(g, (int64_t)y + j))[k];
	return sum;
}

/*
 * Move the vertical running sum from the rows around y to those around y + 1; a sum
 * that is not finite is made again, as across (hpass_box()).
 */
OP_PASS static void
slide(struct ring *g, uint32_t y, double *sum)
{
	uint32_t	 r = g->m->radius;
	const float	*in = ring_row(g, (int64_t)y + r + 1);
	const float	*gone = ring_row(g, (int64_t)y - r);
	size_t		 k;

	for (k = 0; k < g->len; k++)
		sum[k] += (double)in[k] - gone[k];
	if (sample_is_float(g->job->format))
		for (k = 0; k < g->len; k++)
			if (!isfinite(sum[k]))
				sum[k] = column_sum(g, y + 1, k);
}

/* Box, vertical: the same running sum down the rows [y0, y0 + n), one row at a time. */
static void
vpass_box(struct ring *g, uint32_t y0, uint32_t n, float *acc, void *out)
{
	double		*sum = xcalloc(g->len, sizeof *sum);
	uint32_t	 y, r = g->m->radius, taps = 2 * r + 1;
	int64_t		 j;
	size_t		 k;

	for (j = -(int64_t)r; j <= r; j++) {
		const float	*src = ring_row(g, (int64_t)y0 + j);

		for (k = 0; k < g->len; k++)
			sum[k] += src[k];
	}
	for (y = y0; y < y0 + n; y++) {
		for (k = 0; k < g->len; k++)
			acc[k] = sum[k] / taps;
		store_row(g, y, acc,
		    (char *)out + (size_t)(y - y0) * op_row_bytes(g->job));
		if (y + 1 < y0 + n)
			slide(g, y, sum);
	}
	free(sum);
}

void
kernel_rows(const struct op_image *job, const struct mask *m, const void *in,
    uint32_t a, uint32_t y0, uint32_t n, uint32_t b, void *out)
{
	struct ring	 g = { .job = job, .m = m, .in = in, .a = a, .b = b };
	uint32_t	 y, r = m->radius;
	size_t		 row_bytes = op_row_bytes(job);
	float		*acc;

	g.filled = g.a;
	g.lanes = job->nodata ? 2 * job->samples : job->samples;
	g.q16 = (job->format == SAMPLE_UINT8 || job->format == SAMPLE_UINT16) &&
	    !job->nodata;
	g.len = (size_t)job->width * g.lanes;
	g.size = g.len * (m->q != NULL ? sizeof(int16_t) : sizeof(float));
	g.slots = g.b - g.a < 2 * r + 2 ? g.b - g.a : 2 * r + 2;
	g.line = xreallocarray(NULL, g.len + 2 * (size_t)r * g.lanes, sizeof(float));
	g.h = xreallocarray(NULL, g.slots, g.size);
	g.sum = xreallocarray(NULL, g.lanes, sizeof *g.sum);
	if (job->nodata) {
		g.raw = xreallocarray(NULL, (size_t)job->width, job->samples *
		    sizeof *g.raw);
		g.valid = xreallocarray(NULL, (size_t)job->width, job->samples *
		    sizeof *g.valid);
	}
	/* Fixed point keeps its accumulators on the stack. */
	acc = m->q != NULL ? NULL : xreallocarray(NULL, g.len, sizeof *acc);
	if (m->q != NULL)
		for (y = y0; y < y0 + n; y++)
			vpass_fixed(&g, y, (uint8_t *)out + (size_t)(y - y0) *
			    row_bytes);
	else if (m->box)
		vpass_box(&g, y0, n, acc, out);
	else
		for (y = y0; y < y0 + n; y++) {
			vpass(&g, y, acc);
			store_row(&g, y, acc, (char *)out + (size_t)(y - y0) *
			    row_bytes);
		}
	free(acc);
	free(g.h);
	free(g.line);
	free(g.sum);
	free(g.raw);
	free(g.valid);
}

void
kernel_radius_halo(const struct op_args *a, uint32_t *top, uint32_t *bottom)
{
	*top = *bottom = (uint32_t)op_number(a, GAUSSIAN_RADIUS);
}

/* kernel_ready() and kernel_halo() serve unsharp as they serve the Gaussian. */
_Static_assert((int)UNSHARP_RADIUS == (int)GAUSSIAN_RADIUS &&
    (int)UNSHARP_SIGMA == (int)GAUSSIAN_SIGMA,
    "unsharp begins with the Gaussian's parameters");

int
kernel_ready(struct op_args *a, char **cause)
{
	(void)cause;
	if (a->value[GAUSSIAN_SIGMA] == NULL)
		a->value[GAUSSIAN_SIGMA] = xasprintf("%.17g",
		    op_number(a, GAUSSIAN_RADIUS) / 2);
	return 0;
}

int
kernel_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	struct kernel_state	*k = state;

	(void)cause;
	kernel_rows(&k->im, &k->mask, in, b->y - b->top, b->y, b->rows,
	    b->y + b->rows + b->bottom, out);
	return 0;
}

void
kernel_stop(void *state)
{
	struct kernel_state	*k = state;

	kernel_free(&k->mask);
	free(k);
}

