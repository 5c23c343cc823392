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
 * subtracting the one that leaves. Histograms have two levels, so that a step adds few
 * bins: a coarse bin counts the values sharing their high bits (16 bins of 16 values at
 * 8 bits, 256 of 256 at 16), and the kernel's fine bins are brought up to date only in
 * the coarse bin the median falls in, and only when it does. A pixel costs the same at
 * any radius, give or take the fine bins' catching up.
 *
 * A 16-bit column histogram is 128 KiB, so a block is done in stripes of columns whose
 * histograms (with the r columns of halo on each side) fit in MEDIAN_BUDGET.
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
/* A fine segment's column when it has not been brought up to date in this row. */
#define MEDIAN_STALE		(INT64_MIN / 2)

/* The histogram steps are plain loops, vectorized for the processor (as kernel.c's). */
#ifdef HAVE_TARGET_CLONES
#define PASS	__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", \
		    "default")))
#else
#define PASS
#endif

struct median {
	struct op_image	 im;
	int64_t		 r;
	uint32_t	 shift;		/* a value's coarse bin is value >> shift */
	uint32_t	 coarse;	/* coarse bins: 1 << (bits - shift) */
	uint32_t	 stripe;	/* columns a stripe computes */
	uint16_t	*col_fine;	/* per column of a stripe and its halo: 1 << bits */
	uint16_t	*col_coarse;	/* and coarse bins */
	uint16_t	*fine;		/* the kernel's: 1 << bits */
	uint16_t	*sum;		/* and coarse bins */
	int64_t		*stamp;		/* per coarse bin: the column its fine bins hold */
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
	*top = *bottom = (uint32_t)op_number(a, "radius");
}

static void *
median_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct median	*m = xcalloc(1, sizeof *m);
	size_t		 bins = (size_t)1 << im->bits, column, cols;

	(void)cause;
	m->im = *im;
	m->r = (int64_t)op_number(a, "radius");
	m->shift = im->bits / 2;
	m->coarse = 1u << (im->bits - m->shift);
	column = (bins + m->coarse) * sizeof *m->col_fine;
	cols = MEDIAN_BUDGET / column;
	m->stripe = cols > 2 * (size_t)m->r + MEDIAN_STRIPE_MIN ?
	    (uint32_t)(cols - 2 * m->r) : MEDIAN_STRIPE_MIN;
	if (m->stripe > im->width)
		m->stripe = im->width;
	cols = m->stripe + 2 * m->r;
	m->col_fine = xcalloc(cols * bins, sizeof *m->col_fine);
	m->col_coarse = xcalloc(cols * m->coarse, sizeof *m->col_coarse);
	m->fine = xcalloc(bins, sizeof *m->fine);
	m->sum = xcalloc(m->coarse, sizeof *m->sum);
	m->stamp = xcalloc(m->coarse, sizeof *m->stamp);
	return m;
}

static void
median_stop(void *state)
{
	struct median	*m = state;

	free(m->col_fine);
	free(m->col_coarse);
	free(m->fine);
	free(m->sum);
	free(m->stamp);
	free(m);
}

static inline int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v >= hi ? hi - 1 : v;
}

/* Sample c of pixel x in image row y, rows outside those given replicated. */
static inline uint32_t
sample(const struct median *m, const struct view *v, int64_t y, int64_t x)
{
	size_t	i = ((size_t)(clamp(y, v->ya, v->yb) - v->ya) * m->im.width + x) *
		    m->im.samples + v->c;

	return m->im.bits == 8 ? ((const uint8_t *)v->in)[i] :
	    ((const uint16_t *)v->in)[i];
}

/* Column x's histograms (x clamped to the image: outside it, the edge's). */
static inline uint16_t *
col_fine(const struct median *m, const struct view *v, int64_t x)
{
	return m->col_fine + ((size_t)(clamp(x, 0, m->im.width) - v->xa) << m->im.bits);
}

static inline uint16_t *
col_coarse(const struct median *m, const struct view *v, int64_t x)
{
	return m->col_coarse + (size_t)(clamp(x, 0, m->im.width) - v->xa) * m->coarse;
}

/* Count image row y's sample in column x's histograms `delta` (1 or -1) more times. */
static inline void
col_count(const struct median *m, const struct view *v, int64_t y, int64_t x,
    uint16_t delta)
{
	uint32_t	s = sample(m, v, y, x);

	col_fine(m, v, x)[s] += delta;
	col_coarse(m, v, x)[s >> m->shift] += delta;
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

static inline void
hist_add(uint16_t *restrict h, const uint16_t *restrict p, uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		h[i] += p[i];
}

/* h += plus - minus: the kernel moves one column right. */
static inline void
hist_step(uint16_t *restrict h, const uint16_t *plus, const uint16_t *minus,
    uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		h[i] += plus[i] - minus[i];
}

/*
 * Bring the kernel's fine bins of coarse bin k to column x: step them from the column
 * they hold, or add them up afresh when that is further than r columns back (a stale
 * segment's column is far back).
 */
static inline void
fine_catch_up(struct median *m, const struct view *v, uint32_t k, int64_t x)
{
	uint32_t	 n = 1u << m->shift, off = k << m->shift;
	uint16_t	*seg = m->fine + off;
	int64_t		 t;

	if (x - m->stamp[k] > m->r) {
		memset(seg, 0, n * sizeof *seg);
		for (t = x - m->r; t <= x + m->r; t++)
			hist_add(seg, col_fine(m, v, t) + off, n);
	} else
		for (t = m->stamp[k] + 1; t <= x; t++)
			hist_step(seg, col_fine(m, v, t + m->r) + off,
			    col_fine(m, v, t - m->r - 1) + off, n);
	m->stamp[k] = x;
}

/* The kernel's median at column x: the coarse bin it is in, then the value in that bin. */
static inline uint32_t
kernel_median(struct median *m, const struct view *v, int64_t x)
{
	uint32_t	 rank = (uint32_t)((2 * m->r + 1) * (2 * m->r + 1) / 2), k, f;
	const uint16_t	*seg;

	for (k = 0; rank >= m->sum[k]; k++)
		rank -= m->sum[k];
	fine_catch_up(m, v, k, x);
	seg = m->fine + (k << m->shift);
	for (f = 0; rank >= seg[f]; f++)
		rank -= seg[f];
	return k << m->shift | f;
}

/* Row y's medians across the stripe, the column histograms being at row y. */
PASS static void
row_medians(struct median *m, const struct view *v, int64_t y)
{
	size_t		 i = ((size_t)(y - v->y) * m->im.width + v->x0) * m->im.samples +
			    v->c;
	int64_t		 x, t;
	uint32_t	 k, med;

	memset(m->sum, 0, m->coarse * sizeof *m->sum);
	for (t = v->x0 - m->r; t <= v->x0 + m->r; t++)
		hist_add(m->sum, col_coarse(m, v, t), m->coarse);
	for (k = 0; k < m->coarse; k++)
		m->stamp[k] = MEDIAN_STALE;
	for (x = v->x0; x < v->x1; x++, i += m->im.samples) {
		if (x > v->x0)
			hist_step(m->sum, col_coarse(m, v, x + m->r),
			    col_coarse(m, v, x - m->r - 1), m->coarse);
		med = kernel_median(m, v, x);
		if (m->im.bits == 8)
			((uint8_t *)v->out)[i] = (uint8_t)med;
		else
			((uint16_t *)v->out)[i] = (uint16_t)med;
	}
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
			if (stripe_run(m, &v, b) == -1) {
				*cause = xasprintf("block %u is no longer wanted", b->n);
				return -1;
			}
	}
	if (m->im.alpha)
		copy_alpha(m, &v, b->rows);
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
	.formats = OP_UINT8 | OP_UINT16,
	.halo = median_halo,
	.start = median_start,
	.run = median_run,
	.stop = median_stop,
};
