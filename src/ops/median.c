/*
 * median.c — ImageMagick's -statistic Median (2R+1)x(2R+1): each colour sample becomes
 * the median of its channel over the (2r+1)² square around the pixel,
 *
 *	out(x, y, c) = the (n div 2)-th smallest, from 0, of the n = (2r+1)² samples
 *	    in(clamp(x + i), clamp(y + j), c),	i, j in [-r, r]
 *
 * where clamp() replicates the edge pixels (ImageMagick's default virtual pixels). As in
 * ImageMagick's StatisticImage, channels are taken apart and colours are not weighted by
 * alpha; alpha itself is copied unchanged, because convert's default channels leave
 * opacity out of -statistic.
 *
 * Perreault and Hébert's constant-time median ("Median Filtering in Constant Time",
 * 2007): every column keeps a histogram of its 2r+1 samples around the current row,
 * updated by one sample out and one in as the row moves down; the kernel's histogram,
 * the sum of 2r+1 column histograms, moves right by adding the column that enters and
 * subtracting the one that leaves. So that a step adds few bins, a histogram has a level
 * for every 4 bits of the value (2 at 8 bits, 4 at 16): level l counts the values by
 * their first 4(l + 1) bits. The median is found level by level, 16 bins at a time, and
 * of the kernel's histogram only those 16 bins are brought up to date, when they are
 * needed: stepped from the column they were last brought to, or added up afresh from
 * the 2r + 1 columns when that is further back. A pixel costs about the same at any
 * radius: a few steps of 16 bins and searches of 16 bins.
 *
 * A 16-bit column histogram is 137 KiB, so a block is done in stripes of columns whose
 * histograms (with the r columns of halo on each side) fit in MEDIAN_BUDGET.
 *
 * Other formats (32-bit integers, floats), and any format with nodata, take a window
 * apart instead: its valid samples, as doubles (exact for every format), are gathered and
 * the (n div 2)-th smallest of those n is selected in place (Hoare's quickselect), so a
 * pixel costs O((2r+1)²) on average, about 25 ns a sample of the window: at radius 2, some
 * ten times the histograms' cost, at radius 10 a hundred. NaN, when it is not nodata,
 * ranks above every number. A hole stays the same hole; the result is a sample of the
 * window, stored back exactly.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util.h"
#include "ops.h"

/* The kernel's counts are 16 bits: (2 * 127 + 1)² = 65025 samples fit. */
#define MEDIAN_RADIUS_MAX	127
#define MEDIAN_BUDGET		(16u << 20)	/* bytes of column histograms, about */
#define MEDIAN_STRIPE_MIN	64		/* columns a stripe computes, at least */
#define MEDIAN_BITS		4		/* of the value, a level of histogram */
#define MEDIAN_RUN		(1 << MEDIAN_BITS)	/* bins searched and stepped at once */
#define MEDIAN_LEVELS		(16 / MEDIAN_BITS)

/* What a pass calls is built into each of its clones, not called in the baseline's. */
#define INLINE	static inline __attribute__((always_inline))

struct median {
	struct op_image	 im;
	int64_t		 r;
	uint32_t	 levels;	/* of 4 bits of the value each */
	size_t		 level[MEDIAN_LEVELS + 1];	/* where each level's bins start */
	uint32_t	 stripe;	/* columns a stripe computes */
	uint16_t	*cols;		/* a histogram per column of a stripe and its halo */
	uint16_t	*kernel;	/* the kernel's histogram */
	uint64_t	*stamp;		/* per 16 bins of it: the tick they were brought to */
	uint64_t	 tick;		/* the kernel's place: 1 more a column, r + 1 a row */
	/* The selection's: a ring of 2r + 1 rows of one channel, and a window. */
	double		*vals;
	float		*valid;
	double		*win;
};

/* One channel of one stripe of a block: where its samples come from and go. */
struct view {
	const void	*in;
	void		*out;
	int64_t		 ya, yb;	/* the image rows in holds, [ya, yb) */
	int64_t		 y;		/* the block's first row */
	int64_t		 xa, xb;	/* the columns with a histogram, [xa, xb) */
	int64_t		 x0, x1;	/* the columns computed, [x0, x1) */
	uint32_t	 c;		/* the channel */
};

static void
median_halo(const struct op_args *a, uint32_t *top, uint32_t *bottom)
{
	*top = *bottom = (uint32_t)op_number(a, MEDIAN_RADIUS);
}

/* Whether the image takes the selection rather than the histograms. */
static int
median_selects(const struct op_image *im)
{
	return (im->format != SAMPLE_UINT8 && im->format != SAMPLE_UINT16) ||
	    im->nodata;
}

static void *
median_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct median	*m = xcalloc(1, sizeof *m);
	size_t		 cols;
	uint32_t	 l;

	(void)cause;
	m->im = *im;
	m->r = (int64_t)op_number(a, MEDIAN_RADIUS);
	if (median_selects(im)) {
		m->vals = xreallocarray(NULL, (size_t)(2 * m->r + 1) * im->width,
		    sizeof *m->vals);
		m->valid = xreallocarray(NULL, (size_t)(2 * m->r + 1) * im->width,
		    sizeof *m->valid);
		m->win = xreallocarray(NULL, (size_t)(2 * m->r + 1) * (2 * m->r + 1),
		    sizeof *m->win);
		m->stripe = im->width;
		return m;
	}
	m->levels = im->bits / MEDIAN_BITS;
	for (l = 0; l < m->levels; l++)
		m->level[l + 1] = m->level[l] + ((size_t)MEDIAN_RUN << (MEDIAN_BITS * l));
	cols = MEDIAN_BUDGET / (m->level[m->levels] * sizeof *m->cols);
	m->stripe = cols > 2 * (size_t)m->r + MEDIAN_STRIPE_MIN ?
	    (uint32_t)(cols - 2 * (size_t)m->r) : MEDIAN_STRIPE_MIN;
	if (m->stripe > im->width)
		m->stripe = im->width;
	cols = m->stripe + 2 * (size_t)m->r;
	m->cols = xcalloc(cols * m->level[m->levels], sizeof *m->cols);
	m->kernel = xcalloc(m->level[m->levels], sizeof *m->kernel);
	m->stamp = xcalloc(m->level[m->levels] / MEDIAN_RUN, sizeof *m->stamp);
	return m;
}

static void
median_stop(void *state)
{
	struct median	*m = state;

	free(m->cols);
	free(m->kernel);
	free(m->stamp);
	free(m->vals);
	free(m->valid);
	free(m->win);
	free(m);
}

INLINE int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v >= hi ? hi - 1 : v;
}

/* Sample c of pixel x in image row y, rows outside those given replicated. */
INLINE uint32_t
sample(const struct median *m, const struct view *v, int64_t y, int64_t x)
{
	size_t	i = ((size_t)(clamp(y, v->ya, v->yb) - v->ya) * m->im.width + x) *
		    m->im.samples + v->c;

	return m->im.bits == 8 ? ((const uint8_t *)v->in)[i] :
	    ((const uint16_t *)v->in)[i];
}

/* Column x's histogram (x clamped to the image: outside it, the edge's). */
INLINE uint16_t *
col(const struct median *m, const struct view *v, int64_t x)
{
	return m->cols + (size_t)(clamp(x, 0, m->im.width) - v->xa) * m->level[m->levels];
}

/* Count image row y's sample in column x's histogram `delta` (1 or -1) more times. */
INLINE void
col_count(const struct median *m, const struct view *v, int64_t y, int64_t x,
    uint16_t delta)
{
	uint32_t	 s = sample(m, v, y, x), l;
	uint16_t	*h = col(m, v, x);

	for (l = 0; l < m->levels; l++)
		h[m->level[l] + (s >> (m->im.bits - MEDIAN_BITS * (l + 1)))] += delta;
}

/*
 * Add (delta 1) or remove (-1) the window of rows around row y in every column of the
 * stripe. Removing what was added leaves the histograms empty for the next stripe at the
 * cost of the samples, not of clearing 128 KiB a column.
 */
static void
cols_window(const struct median *m, const struct view *v, int64_t y, uint16_t delta)
{
	int64_t	x, j;

	for (x = v->xa; x < v->xb; x++)
		for (j = y - m->r; j <= y + m->r; j++)
			col_count(m, v, j, x, delta);
}

/* Move every column's window from row y - 1 down to row y. */
static void
cols_down(const struct median *m, const struct view *v, int64_t y)
{
	int64_t	x;

	for (x = v->xa; x < v->xb; x++) {
		col_count(m, v, y - m->r - 1, x, (uint16_t)-1);
		col_count(m, v, y + m->r, x, 1);
	}
}

INLINE void
run_add(uint16_t *restrict h, const uint16_t *restrict p)
{
	int	i;

	for (i = 0; i < MEDIAN_RUN; i++)
		h[i] += p[i];
}

/* h += plus - minus: the kernel moves one column right. */
INLINE void
run_step(uint16_t *restrict h, const uint16_t *plus, const uint16_t *minus)
{
	int	i;

	for (i = 0; i < MEDIAN_RUN; i++)
		h[i] += plus[i] - minus[i];
}

/*
 * Bring the kernel's 16 bins from `at` to column x: step them from the column they were
 * brought to, or add them up afresh when that is more than r columns back (in another
 * row, it always is).
 */
INLINE void
catch_up(struct median *m, const struct view *v, size_t at, int64_t x)
{
	uint16_t	*h = m->kernel + at;
	uint64_t	*stamp = m->stamp + at / MEDIAN_RUN, back = m->tick - *stamp;
	int64_t		 t;

	if (back > (uint64_t)m->r) {
		memset(h, 0, MEDIAN_RUN * sizeof *h);
		for (t = x - m->r; t <= x + m->r; t++)
			run_add(h, col(m, v, t) + at);
	} else
		for (t = x - (int64_t)back + 1; t <= x; t++)
			run_step(h, col(m, v, t + m->r) + at, col(m, v, t - m->r - 1) + at);
	*stamp = m->tick;
}

/*
 * Which of 16 bins holds the sample of rank *rank (from 0); *rank becomes its rank in
 * that bin. At level 0, with an early exit: the median's bin there moves little from
 * one pixel to the next, so the exit is predicted.
 */
INLINE uint32_t
run_find(const uint16_t *h, uint32_t *rank)
{
	uint32_t	i;

	for (i = 0; *rank >= h[i]; i++)
		*rank -= h[i];
	return i;
}

/*
 * The same below level 0, without branches: where the median falls among those 16 bins
 * is anyone's guess, and a mispredicted exit at every pixel costs a third of the time.
 */
INLINE uint32_t
run_find_flat(const uint16_t *h, uint32_t *rank)
{
	uint32_t	i, bin = 0, sum = 0, below = 0, r = *rank;

#pragma GCC unroll 16
	for (i = 0; i < MEDIAN_RUN; i++) {
		sum += h[i];
		bin += sum <= r;
		below = sum <= r ? sum : below;
	}
	*rank = r - below;
	return bin;
}

/*
 * The kernel's median at column x, found 4 bits at a time. Level 0 is up to date (it is
 * needed at every column); `levels` is a constant, so that the loop unrolls.
 */
INLINE uint32_t
kernel_median(struct median *m, const struct view *v, int64_t x, uint32_t levels)
{
	uint32_t	rank = (uint32_t)((2 * m->r + 1) * (2 * m->r + 1) / 2), value, l;
	size_t		at;

	value = run_find(m->kernel, &rank);
	for (l = 1; l < levels; l++) {
		at = m->level[l] + ((size_t)value << MEDIAN_BITS);
		catch_up(m, v, at, x);
		value = value << MEDIAN_BITS | run_find_flat(m->kernel + at, &rank);
	}
	return value;
}

/* Row y's medians across the stripe, the column histograms being at row y. */
INLINE void
row_run(struct median *m, const struct view *v, int64_t y, uint32_t levels)
{
	size_t		 i = ((size_t)(y - v->y) * m->im.width + v->x0) * m->im.samples +
			    v->c;
	int64_t		 x = v->x0;
	uint32_t	 med;

	m->tick += (uint64_t)m->r + 1;
	catch_up(m, v, 0, x);
	for (;;) {
		med = kernel_median(m, v, x, levels);
		if (levels * MEDIAN_BITS == 8)
			((uint8_t *)v->out)[i] = (uint8_t)med;
		else
			((uint16_t *)v->out)[i] = (uint16_t)med;
		if (++x == v->x1)
			break;
		i += m->im.samples;
		m->tick++;
		run_step(m->kernel, col(m, v, x + m->r), col(m, v, x - m->r - 1));
	}
}

OP_PASS static void
row_medians(struct median *m, const struct view *v, int64_t y)
{
	if (m->levels == 8 / MEDIAN_BITS)
		row_run(m, v, y, 8 / MEDIAN_BITS);
	else
		row_run(m, v, y, MEDIAN_LEVELS);
}

/* One channel of one stripe of block b, top to bottom; -1 if b is cancelled. */
static int
stripe_run(struct median *m, const struct view *v, struct op_block *b)
{
	int64_t	y;
	int	cancelled;

	cols_window(m, v, v->y, 1);
	for (y = v->y; ; y++) {
		row_medians(m, v, y);
		cancelled = b->cancelled != NULL && b->cancelled(b->arg);
		if (cancelled || y + 1 == v->y + b->rows)
			break;
		cols_down(m, v, y + 1);
	}
	cols_window(m, v, y, (uint16_t)-1);
	return cancelled ? -1 : 0;
}

/* Channel c of an image row as doubles, and which of them are holes. */
static void
channel_load(const struct median *m, const void *row, uint32_t c, double *vals,
    float *valid)
{
	size_t		x, w = m->im.width, spp = m->im.samples;
	size_t		bytes = m->im.bits / 8;

	for (x = 0; x < w; x++)
		vals[x] = sample_get(m->im.format, row, x * spp + c);
	for (x = 0; x < w; x++)
		valid[x] = 1;
	if (m->im.nodata)
		for (x = 0; x < w; x++)
			sample_valid(m->im.format, (const char *)row +
			    (x * spp + c) * bytes, 1, m->im.nodata_value, valid + x);
}

/* a ranks below b: numbers in their order, NaN above them all. */
INLINE int
below(double a, double b)
{
	return a < b || (a == a && b != b);
}

INLINE void
swap(double *a, double *b)
{
	double	t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0..n), from 0; v is reordered. */
static double
select_nth(double *v, size_t n, size_t k)
{
	size_t	lo = 0, hi = n - 1, i, j;
	double	pivot;

	while (lo < hi) {
		/* The median of three as the pivot, and sentinels at both ends. */
		if (below(v[hi], v[lo]))
			swap(&v[lo], &v[hi]);
		if (below(v[(lo + hi) / 2], v[lo]))
			swap(&v[lo], &v[(lo + hi) / 2]);
		if (below(v[hi], v[(lo + hi) / 2]))
			swap(&v[hi], &v[(lo + hi) / 2]);
		pivot = v[(lo + hi) / 2];
		for (i = lo, j = hi;;) {
			while (below(v[i], pivot))
				i++;
			while (below(pivot, v[j]))
				j--;
			if (i >= j)
				break;
			swap(&v[i++], &v[j--]);
		}
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
	return v[k];
}

/* The ring slot holding image row y of the selection's channel, loaded if need be. */
static size_t
select_slot(struct median *m, const struct view *v, int64_t y, int64_t *loaded)
{
	size_t	slot = (size_t)(y % (2 * m->r + 1)) * m->im.width;

	if (loaded[y % (2 * m->r + 1)] != y) {
		channel_load(m, (const char *)v->in + (size_t)(clamp(y, v->ya, v->yb) -
		    v->ya) * m->im.width * m->im.samples * (m->im.bits / 8), v->c,
		    m->vals + slot, m->valid + slot);
		loaded[y % (2 * m->r + 1)] = y;
	}
	return slot;
}

/* The median of the valid samples in the window around (x, y); rows given in slot[]. */
static double
select_median(struct median *m, const size_t *slot, int64_t x)
{
	size_t	n = 0, at;
	int64_t	i, j;

	for (j = 0; j <= 2 * m->r; j++)
		for (i = x - m->r; i <= x + m->r; i++) {
			at = slot[j] + (size_t)clamp(i, 0, m->im.width);
			m->win[n] = m->vals[at];
			n += m->valid[at] != 0;
		}
	return select_nth(m->win, n, n / 2);
}

/* One channel of one stripe of block b by selection; -1 if b is cancelled. */
static int
select_run(struct median *m, const struct view *v, struct op_block *b)
{
	int64_t		 y, x, j, *loaded = xcalloc(2 * m->r + 1, sizeof *loaded);
	size_t		*slot = xcalloc(2 * m->r + 1, sizeof *slot), i, c;
	int		 cancelled = 0;

	for (j = 0; j <= 2 * m->r; j++)
		loaded[j] = INT64_MIN;
	for (y = v->y; y < v->y + b->rows && !cancelled; y++) {
		/* Rows above the image stand for row 0: key them by row, clamped. */
		for (j = 0; j <= 2 * m->r; j++)
			slot[j] = select_slot(m, v, clamp(y - m->r + j, v->ya, v->yb),
			    loaded);
		c = slot[m->r];
		for (x = v->x0; x < v->x1; x++) {
			i = ((size_t)(y - v->y) * m->im.width + (size_t)x) *
			    m->im.samples + v->c;
			if (m->valid[c + (size_t)x] != 0)
				sample_put(m->im.format, v->out, i, select_median(m, slot, x));
		}
		cancelled = b->cancelled != NULL && b->cancelled(b->arg);
	}
	free(loaded);
	free(slot);
	return cancelled ? -1 : 0;
}

/* Alpha, the last sample, unchanged. */
static void
copy_alpha(const struct median *m, const struct view *v, uint32_t rows)
{
	size_t	i, n = (size_t)rows * m->im.width, s = m->im.samples, off;
	size_t	bytes = m->im.bits / 8;

	off = ((size_t)(v->y - v->ya) * m->im.width * s + s - 1) * bytes;
	for (i = 0; i < n; i++)
		memcpy((char *)v->out + (i * s + s - 1) * bytes,
		    (const char *)v->in + off + i * s * bytes, bytes);
}

static int
median_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	struct median	*m = state;
	struct view	 v = { .in = in, .out = out, .y = b->y };
	uint32_t	 colours = m->im.samples - (m->im.alpha ? 1 : 0);

	v.ya = (int64_t)b->y - b->top;
	v.yb = (int64_t)b->y + b->rows + b->bottom;
	for (v.x0 = 0; v.x0 < m->im.width; v.x0 = v.x1) {
		v.x1 = v.x0 + m->stripe < m->im.width ? v.x0 + m->stripe : m->im.width;
		v.xa = v.x0 > m->r ? v.x0 - m->r : 0;
		v.xb = v.x1 + m->r < m->im.width ? v.x1 + m->r : m->im.width;
		for (v.c = 0; v.c < colours; v.c++)
			if ((m->vals != NULL ? select_run : stripe_run)(m, &v, b) == -1) {
				*cause = xasprintf("block %u is no longer wanted", b->n);
				return -1;
			}
	}
	if (m->im.alpha)
		copy_alpha(m, &v, b->rows);
	if (m->im.nodata)
		sample_holes(m->im.format, (const char *)in + (size_t)b->top *
		    m->im.width * m->im.samples * (m->im.bits / 8),
		    (size_t)b->rows * m->im.width * m->im.samples, m->im.nodata_value,
		    out);
	return 0;
}

const struct op op_median = {
	.name = "median",
	.summary = "median over a (2R+1)² square, as convert -statistic Median",
	.halo_text = "radius rows above and below",
	.params = {
		{ "radius", OP_INT, 1, MEDIAN_RADIUS_MAX, "2",
		    "half the square's side, in pixels" },
	},
	.formats = SAMPLE_ALL,
	.halo = median_halo,
	.start = median_start,
	.run = median_run,
	.stop = median_stop,
};
