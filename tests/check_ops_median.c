/* check_ops_median.c — the median operation against a sort of every window, block by block. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "ops/ops.h"
#include "tests.h"

/* What the images are made of: any value, three values (ties everywhere), or a slope. */
enum fill { NOISE, FEW, SLOPE };

struct image {
	struct op_image	 im;
	uint8_t		*px;
};

static uint32_t
get(const struct image *g, const void *buf, size_t i)
{
	return g->im.bits == 8 ? ((const uint8_t *)buf)[i] : ((const uint16_t *)buf)[i];
}

static struct image
image_make(uint32_t w, uint32_t h, uint32_t spp, uint32_t bits, enum fill fill,
    unsigned seed)
{
	struct image	 g = { { w, h, spp, bits, spp % 2 == 0, sample_of('u', bits),
			    0, 0 }, NULL };
	size_t		 n = (size_t)w * h * spp, i;
	uint32_t	 max = (1u << bits) - 1, v = 0;

	g.px = malloc(n * 2);
	srand(seed);
	for (i = 0; i < n; i++) {
		switch (fill) {
		case NOISE: v = (uint32_t)rand() & max; break;
		case FEW: v = (uint32_t)(rand() % 3) * (max / 3); break;
		case SLOPE: v = (uint32_t)(i / spp % w * 7 + i / spp / w * 3 +
		    rand() % 5) & max; break;
		}
		if (bits == 8)
			g.px[i] = (uint8_t)v;
		else
			((uint16_t *)g.px)[i] = (uint16_t)v;
	}
	return g;
}

static int
compare(const void *a, const void *b)
{
	uint32_t	u = *(const uint32_t *)a, v = *(const uint32_t *)b;

	return u < v ? -1 : u > v;
}

/* The slow reference: sort the window, edges replicated; alpha is the input's. */
static uint32_t
reference(const struct image *g, int64_t r, int64_t x, int64_t y, uint32_t c,
    uint32_t *window)
{
	int64_t	 i, j, u, v, w = g->im.width, h = g->im.height;
	size_t	 n = 0;

	if (g->im.alpha && c == g->im.samples - 1)
		return get(g, g->px, ((size_t)y * w + x) * g->im.samples + c);
	for (j = y - r; j <= y + r; j++)
		for (i = x - r; i <= x + r; i++) {
			u = i < 0 ? 0 : i >= w ? w - 1 : i;
			v = j < 0 ? 0 : j >= h ? h - 1 : j;
			window[n++] = get(g, g->px, ((size_t)v * w + u) * g->im.samples + c);
		}
	qsort(window, n, sizeof *window, compare);
	return window[n / 2];
}

/* A median of radius r for g, through the operation table as a slave would start it. */
static void *
median_begin(const struct image *g, uint32_t r, struct op_args *a)
{
	char	 value[16], *cause = NULL;
	void	*state;

	memset(a, 0, sizeof *a);
	a->op = op_find("median");
	ck_assert_ptr_nonnull(a->op);
	snprintf(value, sizeof value, "%u", r);
	ck_assert_int_eq(op_set(a, "radius", value, &cause), 0);
	ck_assert_int_eq(op_ready(a, &cause), 0);
	state = a->op->start(a, &g->im, &cause);
	ck_assert_ptr_nonnull(state);
	return state;
}

/* How many samples of out differ from the reference (the first is printed). */
static size_t
count_wrong(const struct image *g, uint32_t r, const void *out)
{
	uint32_t	*window = malloc(sizeof *window * (2 * r + 1) * (2 * r + 1));
	uint32_t	 x, y, c, spp = g->im.samples, want, got;
	size_t		 wrong = 0, i;

	for (y = 0; y < g->im.height; y++)
		for (x = 0; x < g->im.width; x++)
			for (c = 0; c < spp; c++) {
				want = reference(g, r, x, y, c, window);
				i = ((size_t)y * g->im.width + x) * spp + c;
				got = get(g, out, i);
				if (got != want && wrong++ == 0)
					fprintf(stderr, "median %ux%u spp %u bits %u r %u: "
					    "(%u, %u, %u) is %u, not %u\n", g->im.width,
					    g->im.height, spp, g->im.bits, r, x, y, c,
					    got, want);
			}
	free(window);
	return wrong;
}

/* Median of radius r over g in blocks of `rows`: every sample as the reference's. */
static void
check_median(uint32_t w, uint32_t h, uint32_t spp, uint32_t bits, enum fill fill,
    uint32_t r, uint32_t rows)
{
	struct image	 g = image_make(w, h, spp, bits, fill, w * 131 + h * 7 + spp + r);
	struct op_args	 a;
	void		*state = median_begin(&g, r, &a), *out;

	out = calloc(g.im.height, op_row_bytes(&g.im));
	ck_assert_uint_eq(test_run_blocks(&a, state, &g.im, g.px, rows, out, NULL), 0);
	ck_assert_msg(count_wrong(&g, r, out) == 0, "%ux%u spp %u bits %u fill %d r %u "
	    "rows %u: wrong", w, h, spp, bits, fill, r, rows);
	a.op->stop(state);
	op_args_free(&a);
	free(out);
	free(g.px);
}

/* Every sample count and depth, radii 1, 2 and 5, blocks of 1, 7 and all rows. */
START_TEST(test_layouts)
{
	static const uint32_t	radii[] = { 1, 2, 5 }, rows[] = { 1, 7, 23 };
	uint32_t		spp = (uint32_t)_i % 4 + 1, bits = _i < 4 ? 8 : 16, i, j;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			check_median(37, 23, spp, bits, NOISE, radii[i], rows[j]);
}
END_TEST

START_TEST(test_ties_and_slopes)
{
	check_median(40, 30, 3, 8, FEW, 2, 6);
	check_median(40, 30, 2, 16, FEW, 3, 5);
	check_median(45, 31, 1, 8, SLOPE, 4, 8);
	check_median(45, 31, 4, 16, SLOPE, 6, 9);
}
END_TEST

/*
 * 16-bit column histograms are 128 KiB, so a 16 MiB budget computes about 120 columns a
 * stripe: 300 columns cross stripes, and their halos, at every radius here.
 */
START_TEST(test_stripes)
{
	check_median(300, 12, 1, 16, NOISE, 1, 5);
	check_median(300, 14, 3, 16, SLOPE, 5, 14);
	check_median(260, 40, 2, 16, NOISE, 30, 11);
	check_median(3000, 5, 1, 8, NOISE, 3, 2);
}
END_TEST

START_TEST(test_smaller_than_radius)
{
	check_median(1, 1, 3, 8, NOISE, 10, 1);
	check_median(1, 9, 4, 16, NOISE, 10, 2);
	check_median(9, 1, 1, 8, NOISE, 10, 1);
	check_median(5, 4, 2, 16, FEW, 7, 3);
}
END_TEST

/* The largest radius: (2·127 + 1)² = 65025 samples in one kernel histogram. */
START_TEST(test_largest_radius)
{
	check_median(7, 5, 1, 8, NOISE, 127, 2);
	check_median(6, 5, 1, 16, SLOPE, 127, 5);
}
END_TEST

static int
always(void *arg)
{
	(void)arg;
	return 1;
}

/* A cancelled block fails with a cause, and leaves the state fit for the next block. */
START_TEST(test_cancelled)
{
	struct image	 g = image_make(50, 20, 3, 16, NOISE, 5);
	struct op_args	 a;
	void		*state = median_begin(&g, 3, &a), *out;

	out = calloc(g.im.height, op_row_bytes(&g.im));
	ck_assert_uint_eq(test_run_blocks(&a, state, &g.im, g.px, 6, out, always), 4);
	ck_assert_uint_eq(test_run_blocks(&a, state, &g.im, g.px, 6, out, NULL), 0);
	ck_assert_uint_eq(count_wrong(&g, 3, out), 0);
	a.op->stop(state);
	op_args_free(&a);
	free(out);
	free(g.px);
}
END_TEST

START_TEST(test_params)
{
	struct op_args	 a = { .op = op_find("median") };
	char		*cause = NULL;
	uint32_t	 top, bottom;

	ck_assert_int_eq(op_ready(&a, &cause), 0);
	ck_assert_str_eq(op_text(&a, MEDIAN_RADIUS), "2");
	a.op->halo(&a, &top, &bottom);
	ck_assert_uint_eq(top, 2);
	ck_assert_uint_eq(bottom, 2);
	ck_assert_int_eq(op_set(&a, "radius", "128", &cause), -1);
	free(cause);
	ck_assert_int_eq(op_set(&a, "radius", "0", &cause), -1);
	free(cause);
	ck_assert(op_takes(a.op, SAMPLE_UINT8) && op_takes(a.op, SAMPLE_UINT16));
	op_args_free(&a);
}
END_TEST

Suite *
median_suite(void)
{
	Suite	*s = suite_create("median");
	TCase	*tc = tcase_create("median");

	/* The sorting reference is slow on purpose, slower still under sanitizers. */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_layouts, 0, 8);
	tcase_add_test(tc, test_ties_and_slopes);
	tcase_add_test(tc, test_stripes);
	tcase_add_test(tc, test_smaller_than_radius);
	tcase_add_test(tc, test_largest_radius);
	tcase_add_test(tc, test_cancelled);
	tcase_add_test(tc, test_params);
	suite_add_tcase(s, tc);
	return s;
}
