/*
 * reduce.c — one overview level from the level above, as GDAL 3.6 (see reduce.h).
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "reduce.h"
#include "util.h"

/* The source pixels [lo, hi) one output pixel covers along an axis, and the end weights. */
struct span {
	uint32_t	lo, hi;
	double		wlo, whi;
};

/* What one output row reads: its rows, their first, and the row size in bytes. */
struct rows {
	const struct reduce	*g;
	const uint8_t		*src;
	uint32_t		 s0;
	size_t			 row, size;
	struct span		 y;
};

static const char *const methods[] = { "average", "nearest", "mode" };

uint32_t
reduce_half(uint32_t n, int cog)
{
	if (cog)
		return n < 2 ? 1 : n / 2;
	return n / 2 + n % 2;
}

const char *
reduce_name(enum reduce_method method)
{
	return methods[method];
}

int
reduce_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(name, methods[i]) == 0)
			return (int)i;
	return -1;
}

/* Output pixel i of m over n source pixels: GDAL's windows, epsilon and all. */
static struct span
span_of(uint32_t n, uint32_t m, uint32_t i)
{
	double		r = (double)n / m, a = i * r, b = (i + 1) * r;
	struct span	s;

	s.lo = (uint32_t)(a + 1e-8);
	s.hi = (uint32_t)ceil(b - 1e-8);
	if (s.hi == s.lo)
		s.hi++;
	if (s.hi > n)
		s.hi = n;
	s.wlo = s.hi == s.lo + 1 ? 1 : 1 - (a - s.lo);
	s.whi = 1 - (s.hi - b);
	return s;
}

/* The weight of source pixel k in s. */
static double
span_weight(const struct span *s, uint32_t k)
{
	if (k == s->lo)
		return s->wlo;
	return k + 1 == s->hi ? s->whi : 1;
}

/* The sum of s's weights, added in GDAL's order (it can round differently otherwise). */
static double
span_total(const struct span *s)
{
	if (s->hi - s->lo < 2)
		return s->wlo;
	return s->wlo + (s->hi - s->lo - 2) + s->whi;
}

/* Nearest's source pixel for output pixel i of m over n. */
static uint32_t
nearest_of(uint32_t n, uint32_t m, uint32_t i)
{
	return (uint32_t)(i * ((double)n / m) + 0.5);
}

void
reduce_source_rows(const struct reduce *g, uint32_t y0, uint32_t y1, uint32_t *s0,
    uint32_t *s1)
{
	if (y1 <= y0) {
		*s0 = *s1 = 0;
		return;
	}
	if (g->method == REDUCE_NEAREST) {
		*s0 = nearest_of(g->src_height, g->height, y0);
		*s1 = nearest_of(g->src_height, g->height, y1 - 1) + 1;
		return;
	}
	*s0 = span_of(g->src_height, g->height, y0).lo;
	*s1 = span_of(g->src_height, g->height, y1 - 1).hi;
}

/* The first output row whose first source row is at or after s: they do not decrease. */
static uint32_t
made_from(const struct reduce *g, uint32_t s)
{
	uint32_t	lo = 0, hi = g->height, mid, s0, s1;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		reduce_source_rows(g, mid, mid + 1, &s0, &s1);
		if (s0 < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
reduce_made_rows(const struct reduce *g, uint32_t s0, uint32_t s1, uint32_t *y0,
    uint32_t *y1)
{
	*y0 = made_from(g, s0);
	*y1 = made_from(g, s1);
}

/* Sample c of pixel x in source row y. */
static const uint8_t *
rows_at(const struct rows *r, uint32_t y, uint32_t x, uint32_t c)
{
	return r->src + (y - r->s0) * r->row + ((size_t)x * r->g->samples + c) * r->size;
}

/* Source sample as the average computes on it: float32 but for uint8 and uint16. */
static double
rows_get(const struct rows *r, uint32_t y, uint32_t x, uint32_t c)
{
	double	v = sample_get(r->g->format, rows_at(r, y, x, c), 0);

	return r->g->format & (SAMPLE_UINT8|SAMPLE_UINT16) ? v : (float)v;
}

/* Whether sample c of pixel x in row y is a hole. */
static int
rows_hole(const struct rows *r, uint32_t y, uint32_t x, uint32_t c)
{
	float	valid;

	if (!r->g->has_nodata)
		return 0;
	sample_valid(r->g->format, rows_at(r, y, x, c), 1, r->g->nodata, &valid);
	return valid == 0;
}

/* What a mean equal to nodata becomes (GDALGetNoDataReplacementValue). */
static double
replacement(const struct reduce *g)
{
	if (sample_is_float(g->format))
		return nextafterf((float)g->nodata, g->nodata < 0 ? -INFINITY : INFINITY);
	return g->nodata == sample_max(g->format) ? g->nodata - 1 : g->nodata + 1;
}

/* Store mean v (a hole when nothing was valid) as GDAL does for its work type. */
static void
store_mean(const struct reduce *g, void *dst, size_t i, double v, int hole)
{
	int	integer = g->format & (SAMPLE_UINT8|SAMPLE_UINT16);

	if (hole) {
		sample_put(g->format, dst, i, g->nodata);
		return;
	}
	if (!integer)
		v = (float)v;
	if (g->has_nodata && v == (integer ? g->nodata : (float)g->nodata))
		v = replacement(g);
	if (!integer && !sample_is_float(g->format)) {
		v = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5);
		v = fmin(fmax(v, sample_min(g->format)), sample_max(g->format));
	}
	sample_put(g->format, dst, i, v);
}

/* GDAL's 2×2 shortcut on floats: no weights, sums in SSE2's order (integers: row_pairs()). */
static double
mean_pair(const struct rows *r, uint32_t x, uint32_t c)
{
	const struct reduce	*g = r->g;
	uint32_t		 y = r->y.lo, last = g->width - g->width % 4;
	double			 a = rows_get(r, y, 2 * x, c), b = rows_get(r, y, 2 * x + 1, c);
	double			 d = rows_get(r, y + 1, 2 * x, c), e = rows_get(r, y + 1, 2 * x + 1, c);
	float			 sum;

	if (x < last)
		sum = ((float)a + (float)d) + ((float)b + (float)e);
	else
		sum = (((float)a + (float)b) + (float)d) + (float)e;
	return 0.25f * sum;
}

/* The weighted mean of sample c over x's window; *hole when nothing in it is valid. */
static double
mean_weighted(const struct rows *r, const struct span *xs, uint32_t c, int *hole)
{
	double		total = 0, weight = 0, line, wline, w;
	uint32_t	y, x, valid = 0;

	for (y = r->y.lo; y < r->y.hi; y++) {
		line = wline = 0;
		for (x = xs->lo; x < xs->hi; x++) {
			if (rows_hole(r, y, x, c))
				continue;
			w = span_weight(xs, x);
			line += rows_get(r, y, x, c) * w;
			wline += w;
			valid++;
		}
		total += line * span_weight(&r->y, y);
		weight += wline * span_weight(&r->y, y);
	}
	if (!r->g->has_nodata)
		weight = span_total(xs) * span_total(&r->y);
	*hole = valid == 0;
	if (*hole)
		return 0;
	if (r->g->format & (SAMPLE_UINT8|SAMPLE_UINT16))
		return floor(total / weight + 0.5);
	return total / weight;
}

/*
 * mean_pair() on 8- and 16-bit samples, (a + b + d + e + 2) / 4, in a loop the compiler
 * vectorises: the common overview, which sample_get() per sample made a fifth of a COG
 * job's CPU.
 */
#define PAIRS(type) do {						\
	const type	*a = (const type *)top, *b = (const type *)(top + r->row); \
	type		*o = dst;					\
									\
	for (x = 0; x < g->width; x++)					\
		for (c = 0; c < n; c++)					\
			o[x * n + c] = (type)((a[2 * x * n + c] +	\
			    a[(2 * x + 1) * n + c] + b[2 * x * n + c] +	\
			    b[(2 * x + 1) * n + c] + 2) >> 2);		\
} while (0)

static void
row_pairs(const struct rows *r, void *dst)
{
	const struct reduce	*g = r->g;
	const uint8_t		*top = rows_at(r, r->y.lo, 0, 0);
	size_t			 x, c, n = g->samples;

	if (g->format == SAMPLE_UINT8)
		PAIRS(uint8_t);
	else
		PAIRS(uint16_t);
}

/* One output row of averages. */
static void
row_average(const struct rows *r, void *dst)
{
	const struct reduce	*g = r->g;
	int			 pairs, hole;
	uint32_t		 x, c;
	struct span		 xs;
	double			 v;

	pairs = !g->has_nodata && g->src_width == 2 * g->width && r->y.hi - r->y.lo == 2;
	if (pairs && g->format & (SAMPLE_UINT8|SAMPLE_UINT16)) {
		row_pairs(r, dst);
		return;
	}
	for (x = 0; x < g->width; x++) {
		xs = span_of(g->src_width, g->width, x);
		for (c = 0; c < g->samples; c++) {
			hole = 0;
			v = pairs ? mean_pair(r, x, c) : mean_weighted(r, &xs, c, &hole);
			store_mean(g, dst, (size_t)x * g->samples + c, v, hole);
		}
	}
}

/* One output row of nearest pixels. */
static void
row_nearest(const struct rows *r, uint32_t y, void *dst)
{
	const struct reduce	*g = r->g;
	uint32_t		 x, sy = nearest_of(g->src_height, g->height, y);
	size_t			 pixel = g->samples * r->size;

	for (x = 0; x < g->width; x++)
		memcpy((uint8_t *)dst + x * pixel,
		    rows_at(r, sy, nearest_of(g->src_width, g->width, x), 0), pixel);
}

/* The mode of sample c over x's window, counted as GDAL does; *hole if none is valid. */
static double
mode_of(const struct rows *r, const struct span *xs, uint32_t c, int *hole)
{
	double		vals[16], v, best = 0;
	uint32_t	counts[16], n = 0, top = 0, i, x, y;

	for (y = r->y.lo; y < r->y.hi; y++)
		for (x = xs->lo; x < xs->hi; x++) {
			if (rows_hole(r, y, x, c))
				continue;
			v = sample_get(r->g->format, rows_at(r, y, x, c), 0);
			for (i = 0; i < n && vals[i] != v; i++)
				;
			if (i == n) {
				vals[n] = v;
				counts[n++] = 0;
			}
			if (++counts[i] > top) {
				top = counts[i];
				best = v;
			}
		}
	*hole = n == 0;
	return best;
}

/* One output row of modes. */
static void
row_mode(const struct rows *r, void *dst)
{
	const struct reduce	*g = r->g;
	uint32_t		 x, c;
	struct span		 xs;
	double			 v;
	int			 hole;

	for (x = 0; x < g->width; x++) {
		xs = span_of(g->src_width, g->width, x);
		for (c = 0; c < g->samples; c++) {
			v = mode_of(r, &xs, c, &hole);
			sample_put(g->format, dst, (size_t)x * g->samples + c,
			    hole ? g->nodata : v);
		}
	}
}

/* Whether g is a halving that reduce_rows() can make rows [y0, y1) of, from [s0, s1). */
static int
reduce_check(const struct reduce *g, uint32_t s0, uint32_t s1, uint32_t y0, uint32_t y1,
    char **cause)
{
	uint32_t	n0, n1;

	if (g->samples == 0 || g->src_width == 0 || g->src_height == 0 ||
	    (g->width != reduce_half(g->src_width, 0) &&
	    g->width != reduce_half(g->src_width, 1)) ||
	    (g->height != reduce_half(g->src_height, 0) &&
	    g->height != reduce_half(g->src_height, 1))) {
		*cause = xasprintf("%ux%u is not half of %ux%u", g->width, g->height,
		    g->src_width, g->src_height);
		return -1;
	}
	if (y0 > y1 || y1 > g->height) {
		*cause = xasprintf("rows %u to %u of a level of %u", y0, y1, g->height);
		return -1;
	}
	reduce_source_rows(g, y0, y1, &n0, &n1);
	if (y0 < y1 && (n0 < s0 || n1 > s1)) {
		*cause = xasprintf("rows %u to %u need source rows %u to %u, not %u to %u",
		    y0, y1, n0, n1, s0, s1);
		return -1;
	}
	return 0;
}

int
reduce_rows(const struct reduce *g, const void *src, uint32_t s0, uint32_t s1,
    uint32_t y0, uint32_t y1, void *dst, char **cause)
{
	struct rows	r = { .g = g, .src = src, .s0 = s0 };
	size_t		out;
	uint32_t	y;

	if (reduce_check(g, s0, s1, y0, y1, cause) == -1)
		return -1;
	r.size = sample_bits(g->format) / 8;
	r.row = (size_t)g->src_width * g->samples * r.size;
	out = (size_t)g->width * g->samples * r.size;
	for (y = y0; y < y1; y++) {
		r.y = span_of(g->src_height, g->height, y);
		if (g->method == REDUCE_NEAREST)
			row_nearest(&r, y, (uint8_t *)dst + (y - y0) * out);
		else if (g->method == REDUCE_MODE)
			row_mode(&r, (uint8_t *)dst + (y - y0) * out);
		else
			row_average(&r, (uint8_t *)dst + (y - y0) * out);
	}
	return 0;
}
