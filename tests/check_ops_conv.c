/*
 * check_ops_conv.c — the convolve and unsharp operations: ImageMagick's kernel text
 * (good and every malformed kind), its convolve:scale, and both operations, block by
 * block, against direct formulas evaluated pixel by pixel.
 */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "op.h"
#include "ops/kspec.h"
#include "ops/ops.h"
#include "tests.h"

/* ---- kernel text ---- */

/* Parse text, which must be good, and check its shape. */
static void
parse_ok(struct kspec *k, const char *text, uint32_t w, uint32_t h, uint32_t x,
    uint32_t y)
{
	char	*cause = NULL;

	ck_assert_msg(kspec_parse(k, text, &cause) == 0, "'%s': %s", text, cause);
	ck_assert_msg(k->width == w && k->height == h && k->x == x && k->y == y,
	    "'%s' is %ux%u+%u+%u, not %ux%u+%u+%u", text, k->width, k->height, k->x,
	    k->y, w, h, x, y);
}

START_TEST(test_kspec_good)
{
	static const double	v3[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct kspec		k;

	parse_ok(&k, "3x3: 1,2,3,4,5,6,7,8,9", 3, 3, 1, 1);
	ck_assert_mem_eq(k.v, v3, sizeof v3);
	kspec_free(&k);
	parse_ok(&k, "  3 : 1 2 3\t4, 5 ,6 ,7,8 9 ", 3, 3, 1, 1);
	ck_assert_mem_eq(k.v, v3, sizeof v3);
	kspec_free(&k);
	parse_ok(&k, "1,2,3,4,5,6,7,8,9", 3, 3, 1, 1);
	ck_assert_mem_eq(k.v, v3, sizeof v3);
	kspec_free(&k);
	/* Even sides put the origin left of and above the middle; W alone is WxW. */
	parse_ok(&k, "1 2 3 4", 2, 2, 0, 0);
	kspec_free(&k);
	parse_ok(&k, "4: 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", 4, 4, 1, 1);
	kspec_free(&k);
	parse_ok(&k, "3x2+0+1: 1 2 3 4 5 6", 3, 2, 0, 1);
	ck_assert_double_eq(k.v[5], 6);
	kspec_free(&k);
	parse_ok(&k, "4x1+3: 1,2,3,4", 4, 1, 3, 0);
	kspec_free(&k);
	/* A comma may come before the first value; ';' may end the kernel. */
	parse_ok(&k, "5X1+4+0: ,-, NaN ,1e0 -2.5 .5;", 5, 1, 4, 0);
	ck_assert(isnan(k.v[0]) && isnan(k.v[1]));
	ck_assert_double_eq(k.v[2], 1);
	ck_assert_double_eq(k.v[3], -2.5);
	ck_assert_double_eq(k.v[4], 0.5);
	kspec_free(&k);
	parse_ok(&k, "1: -7", 1, 1, 0, 0);
	ck_assert_double_eq(k.v[0], -7);
	kspec_free(&k);
}
END_TEST

/* Each malformed kernel, and what the one line about it must say. */
static const struct {
	const char	*text;
	const char	*says;
} bad_kernels[] = {
	{ "", "no kernel" },
	{ "   ", "no kernel" },
	{ "3x3:", "no values" },
	{ "3x3: 1,2", "2 values for a 3x3 kernel, which takes 9" },
	{ "3x3: 1,2,3,4,5,6,7,8,9,10", "10 values for a 3x3 kernel, which takes 9" },
	{ "1,2,3", "3 values: without a size (WxH:) they must fill a square" },
	{ "3x3+3+0: 1,2,3,4,5,6,7,8,9", "'3x3+3+0': the origin is outside the 3x3 kernel" },
	{ "3x2+0+2: 1,2,3,4,5,6", "'3x2+0+2': the origin is outside the 3x2 kernel" },
	{ "3x3-1+0: 1,2,3,4,5,6,7,8,9", "the origin in '3x3-1+0' is negative" },
	{ "3x3+1: 1", "1 value for a 3x3 kernel" },
	{ "3y3: 1", "'3y3' is not a kernel size" },
	{ "3x3+: 1", "'3x3+' is not a kernel size" },
	{ "3x: 1", "'3x' is not a kernel size" },
	{ "3.5x3: 1", "'3.5x3' is not a kernel size" },
	{ "+1+1: 1", "'+1+1' is not a kernel size" },
	{ "30: 1", "1 value for a 30x30 kernel" },
	{ "3x0: 1", "'3x0': a kernel's sides are from 1 to 4096" },
	{ "x3: 1,2,3,4,5,6,7,8,9", "named kernels ('x3') are not supported" },
	{ "0x3: 1", "'0x3': a kernel's sides are from 1 to 4096" },
	{ "4097x1: 1", "'4097x1': a kernel's sides are from 1 to 4096" },
	{ "0000000000000000000000000000000000000000000000000000000000000000003: 1",
	    "is too long for a kernel size" },
	{ "3x3+9999+0: 1,2,3,4,5,6,7,8,9", "'3x3+9999+0': the origin is outside" },
	{ "3x3: 1,2,a,4,5,6,7,8,9", "value 3, 'a', is not a number" },
	{ "3x1: 1,,2", "value 2 is missing" },
	{ "3x1: 1,2,3,", "value 4 is missing" },
	{ "3x1: 1,inf,2", "value 2, 'inf', is not a number" },
	{ "3x1: 1,0x10,2", "value 2, '0x10', is not a number" },
	{ "3x1: 1,2x,3", "value 2, '2x', is not a number" },
	{ "2x1: nan, -", "every value is nan" },
	{ "Gaussian:0x2", "named kernels ('Gaussian') are not supported" },
	{ "nan,1,1,1", "may not begin with nan" },
	{ "@kernel.txt", "kernels from files (@FILE) are not supported" },
	{ "3x1: 1,2,3; 3x1: 3,2,1", "lists of kernels (;) are not supported" },
	{ "3x3>: 1,2,3,4,5,6,7,8,9", "rotated kernel lists (@ < >) are not supported" },
};

START_TEST(test_kspec_bad)
{
	struct kspec	 k;
	char		*cause = NULL;

	ck_assert_int_eq(kspec_parse(&k, bad_kernels[_i].text, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, bad_kernels[_i].says) != NULL,
	    "'%s' says '%s', not '%s'", bad_kernels[_i].text, cause,
	    bad_kernels[_i].says);
	ck_assert_ptr_null(strchr(cause, '\n'));
	ck_assert_ptr_null(k.v);
	free(cause);
}
END_TEST

/* Scale "3x1: 1,2,-1" (origin in the middle) by text; it must give want. */
static void
scale_is(const char *kernel, const char *text, double a, double b, double c)
{
	struct kspec	 k;
	char		*cause = NULL;

	ck_assert_int_eq(kspec_parse(&k, kernel, &cause), 0);
	ck_assert_msg(kspec_scale(&k, text, &cause) == 0, "'%s': %s", text, cause);
	ck_assert_msg(fabs(k.v[0] - a) < 1e-12 && fabs(k.v[1] - b) < 1e-12 &&
	    fabs(k.v[2] - c) < 1e-12, "'%s' by '%s' is %g,%g,%g, not %g,%g,%g", kernel,
	    text, k.v[0], k.v[1], k.v[2], a, b, c);
	kspec_free(&k);
}

START_TEST(test_kspec_scale)
{
	struct kspec	 k;
	char		*cause = NULL;
	const char	*bad[] = { "abc", "1+1", "1,", "x", "1x+1", "2;" };
	size_t		 i;

	scale_is("3x1: 1,2,-1", "1", 1, 2, -1);
	scale_is("3x1: 1,2,-1", "", 1, 2, -1);
	scale_is("3x1: 1,2,-1", "2", 2, 4, -2);
	scale_is("3x1: 1,2,-1", "-1", -1, -2, 1);
	scale_is("3x1: 1,2,-1", "!", 0.5, 1, -0.5);
	scale_is("3x1: 1,2,-1", "2!", 1, 2, -1);
	scale_is("3x1: 1,2,-1", "50%", 0.5, 1, -0.5);
	scale_is("3x1: 1,2,-1", "50%!", 0.25, 0.5, -0.25);
	/* ^: positives sum to 1, negatives to -1. */
	scale_is("3x1: 1,2,-1", "^", 1.0 / 3, 2.0 / 3, -1);
	/* ,U adds U at the origin, after the scaling. */
	scale_is("3x1: 1,2,-1", "!,1", 0.5, 2, -0.5);
	scale_is("3x1: 1,2,-1", ",50%", 1, 2.5, -1);
	scale_is("3x1: 1,2,-1", "2x1", 2, 5, -2);
	scale_is("3x1+0+0: 1,2,-1", "1,1", 2, 2, -1);
	/* A kernel summing to 0 is normalized by its positive values. */
	scale_is("3x1: -1,2,-1", "!", -0.5, 1, -0.5);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_int_eq(kspec_parse(&k, "1: 1", &cause), 0);
		ck_assert_msg(kspec_scale(&k, bad[i], &cause) == -1, "'%s' taken", bad[i]);
		ck_assert_ptr_nonnull(strstr(cause, "is not a scale"));
		free(cause);
		kspec_free(&k);
	}
}
END_TEST

/* Through the table: the message the command line prints for each bad value. */
START_TEST(test_convolve_ready)
{
	struct op_args	 a = { .op = op_find("convolve") };
	char		*cause = NULL;

	ck_assert_ptr_nonnull(a.op);
	ck_assert_int_eq(op_ready(&a, &cause), -1);
	ck_assert_str_eq(cause, "convolve needs -kernel");
	free(cause);
	ck_assert_int_eq(op_set(&a, "kernel", "3x3: 1,2", &cause), 0);
	ck_assert_int_eq(op_ready(&a, &cause), -1);
	ck_assert_str_eq(cause,
	    "-kernel '3x3: 1,2': 2 values for a 3x3 kernel, which takes 9");
	free(cause);
	ck_assert_int_eq(op_set(&a, "kernel", "3x1: 1,2,3", &cause), 0);
	ck_assert_int_eq(op_set(&a, "scale", "2?", &cause), 0);
	ck_assert_int_eq(op_ready(&a, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "-scale: '2?' is not a scale"));
	free(cause);
	ck_assert_int_eq(op_set(&a, "scale", "2!", &cause), 0);
	ck_assert_int_eq(op_ready(&a, &cause), 0);
	op_args_free(&a);
}
END_TEST

/* ---- images and blocks ---- */

struct image {
	struct op_image	 im;
	uint8_t		*px;
};

/* Noise, alpha included (0 and the maximum among it), from a fixed seed. */
static struct image
image_make(uint32_t w, uint32_t h, uint32_t spp, uint32_t bits, unsigned seed)
{
	struct image	 g = { { w, h, spp, bits, spp % 2 == 0, sample_of('u', bits),
			    0, 0 }, NULL };
	size_t		 n = (size_t)w * h * spp, i;
	uint32_t	 max = (1u << bits) - 1, v;

	g.px = malloc(n * 2);
	srand(seed);
	for (i = 0; i < n; i++) {
		v = (uint32_t)rand() & max;
		if (g.im.alpha && i % spp == spp - 1 && rand() % 8 == 0)
			v = rand() % 2 ? max : 0;
		if (bits == 8)
			g.px[i] = (uint8_t)v;
		else
			((uint16_t *)g.px)[i] = (uint16_t)v;
	}
	return g;
}

static uint32_t
get(uint32_t bits, const void *buf, size_t i)
{
	return bits == 8 ? ((const uint8_t *)buf)[i] : ((const uint16_t *)buf)[i];
}

/* Sample s of pixel (x, y), edges replicated, scaled to 16 bits as ImageMagick reads. */
static double
at(const struct image *g, int64_t x, int64_t y, uint32_t s)
{
	int64_t	w = g->im.width, h = g->im.height;

	x = x < 0 ? 0 : x >= w ? w - 1 : x;
	y = y < 0 ? 0 : y >= h ? h - 1 : y;
	return get(g->im.bits, g->px, ((size_t)y * w + x) * g->im.samples + s) *
	    (g->im.bits == 8 ? 257.0 : 1.0);
}

/* Round and clamp to 16 bits. */
static double
q16(double v)
{
	return !(v > 0) ? 0 : v >= 65535 ? 65535 : floor(v + 0.5);
}

/* A 16-bit result as an output sample of `bits` bits: the nearest 8-bit level. */
static uint32_t
out_level(uint32_t bits, double q)
{
	return bits == 8 ? (uint32_t)floor(q / 257 + 0.5) : (uint32_t)q;
}

/* The operation name with the (parameter, value) pairs in params, ready and started. */
static void *
op_begin(const char *name, const char *const *params, const struct image *g,
    struct op_args *a)
{
	char	*cause = NULL;
	void	*state;

	memset(a, 0, sizeof *a);
	a->op = op_find(name);
	ck_assert_ptr_nonnull(a->op);
	for (; params[0] != NULL; params += 2)
		ck_assert_int_eq(op_set(a, params[0], params[1], &cause), 0);
	ck_assert_msg(op_ready(a, &cause) == 0, "%s", cause);
	state = a->op->start(a, &g->im, &cause);
	ck_assert_ptr_nonnull(state);
	return state;
}

/* Run the started operation over g in blocks of `rows`, each given only its halo. */
static void *
run_blocks(const struct image *g, const struct op_args *a, void *state, uint32_t rows)
{
	char	*out = calloc(g->im.height, op_row_bytes(&g->im));

	ck_assert_uint_eq(test_run_blocks(a, state, &g->im, g->px, rows, out, NULL), 0);
	return out;
}

/* Every sample of out within 1 of want(x, y, s); the first that is not is printed. */
static void
check_all(const struct image *g, const void *out, const char *what,
    uint32_t (*want)(const struct image *, const void *, uint32_t, uint32_t, uint32_t),
    const void *arg)
{
	uint32_t	x, y, s, spp = g->im.samples, w, o;
	size_t		wrong = 0, i;

	for (y = 0; y < g->im.height; y++)
		for (x = 0; x < g->im.width; x++)
			for (s = 0; s < spp; s++) {
				i = ((size_t)y * g->im.width + x) * spp + s;
				w = want(g, arg, x, y, s);
				o = get(g->im.bits, out, i);
				if ((o > w ? o - w : w - o) > 1 && wrong++ == 0)
					fprintf(stderr, "%s, spp %u bits %u: (%u, %u, %u) "
					    "is %u, not %u\n", what, spp, g->im.bits, x,
					    y, s, o, w);
			}
	ck_assert_msg(wrong == 0, "%s, spp %u bits %u: %zu samples wrong", what, spp,
	    g->im.bits, wrong);
}

/* ---- convolve ---- */

/*
 * The reference: out(x, y) = sum k[v][u] in(x + X - u, y + Y - v) over the values that
 * are not NaN; with alpha, colour is sum k a c / sum k a times N/n (1/s = ±1e12 for
 * |s| < 1e-12) and opacity, 65535 - alpha, is convolved like any sample.
 */
static uint32_t
convolve_want(const struct image *g, const void *arg, uint32_t x, uint32_t y, uint32_t s)
{
	const struct kspec	*k = arg;
	uint32_t		 u, v, ac = g->im.samples - 1, n = 0;
	double			 kv, sum = 0, gamma = 0, a, r;
	int64_t			 px, py;
	int			 colour = g->im.alpha && s != ac;

	for (v = 0; v < k->height; v++)
		for (u = 0; u < k->width; u++) {
			kv = k->v[(size_t)v * k->width + u];
			if (isnan(kv))
				continue;
			n++;
			px = (int64_t)x + k->x - u;
			py = (int64_t)y + k->y - v;
			a = g->im.alpha ? at(g, px, py, ac) / 65535 : 1;
			if (colour) {
				sum += kv * a * at(g, px, py, s);
				gamma += kv * a;
			} else if (g->im.alpha)
				sum += kv * (65535 - at(g, px, py, s));
			else
				sum += kv * at(g, px, py, s);
		}
	if (!colour)
		return out_level(g->im.bits, g->im.alpha ? 65535 - q16(sum) : q16(sum));
	r = fabs(gamma) >= 1e-12 ? 1 / gamma : (gamma < 0 ? -1e12 : 1e12);
	return out_level(g->im.bits, q16(sum * r * k->width * k->height / n));
}

/* Convolve a 41x29 image of every layout with kernel (scaled) in blocks of 1 to all rows. */
static void
check_convolve(const char *kernel, const char *scale, uint32_t spp, uint32_t bits)
{
	static const uint32_t	 rows[] = { 1, 4, 13, 29 };
	const char		*params[] = { "kernel", kernel, "scale", scale, NULL };
	struct image		 g = image_make(41, 29, spp, bits, spp * 17 + bits);
	struct kspec		 k;
	struct op_args		 a;
	char			*cause = NULL, what[256];
	void			*state = op_begin("convolve", params, &g, &a), *out;
	size_t			 i;

	ck_assert_int_eq(kspec_parse(&k, kernel, &cause), 0);
	ck_assert_int_eq(kspec_scale(&k, scale, &cause), 0);
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		out = run_blocks(&g, &a, state, rows[i]);
		snprintf(what, sizeof what, "'%s' by '%s' in blocks of %u", kernel,
		    scale, rows[i]);
		check_all(&g, out, what, convolve_want, &k);
		free(out);
	}
	kspec_free(&k);
	a.op->stop(state);
	op_args_free(&a);
	free(g.px);
}

/* Kernels: asymmetric, off-centre, even-sided, with holes (nan), negative values. */
static const char *const kernels[][2] = {
	{ "3x3: 1,2,3,4,5,6,7,8,9", "!" },
	{ "4x3+0+2: 1,-2,3,0.5, 2,nan,1,-1, 0,1,2,3", "!" },
	{ "1x5+0+4: 1,2,3,4,5", "!" },
	{ "1x4+0+0: 4,3,2,1", "0.1" },
	{ "5x1+1+0: 1 1 1 1 1", "20%" },
	{ "1,2,1, 2,4,2, 1,2,1", "!" },
	{ "3x2+2+1: -1,-2,-1, 0,1,0", "^,100%" },
	{ "2x2: 0.3,0.3,0.3,0.3", "1" },
};

START_TEST(test_convolve_layouts)
{
	uint32_t	spp, bits;

	for (bits = 8; bits <= 16; bits += 8)
		for (spp = 1; spp <= 4; spp++)
			check_convolve(kernels[_i][0], kernels[_i][1], spp, bits);
}
END_TEST

/* A kernel summing to 0: results below 0 clamp to 0 (no alpha: ±1e12 weights there). */
START_TEST(test_convolve_edges)
{
	check_convolve("3x3: -1,-1,-1, -1,8,-1, -1,-1,-1", "1", 3, 8);
	check_convolve("3x3: -1,-1,-1, -1,8,-1, -1,-1,-1", "1", 1, 16);
	check_convolve("7x1+6+0: 1,1,1,1,1,1,1", "!", 4, 16);
	check_convolve("1x9+0+8: 1,1,1,1,1,1,1,1,1", "!", 2, 8);
}
END_TEST

/* The halo is H-1-Y rows above and Y below: the rows the reflected kernel reads. */
START_TEST(test_convolve_halo)
{
	static const struct {
		const char	*kernel;
		uint32_t	 top, bottom;
	} want[] = {
		{ "3x3: 1,2,3,4,5,6,7,8,9", 1, 1 },
		{ "1x5+0+4: 1,2,3,4,5", 0, 4 },
		{ "1x5+0+0: 1,2,3,4,5", 4, 0 },
		{ "2x4: 1,2,3,4,5,6,7,8", 2, 1 },
		{ "1,2,3,4", 1, 0 },
	};
	struct op_args	 a = { .op = op_find("convolve") };
	uint32_t	 top, bottom;
	char		*cause = NULL;
	size_t		 i;

	for (i = 0; i < sizeof want / sizeof *want; i++) {
		ck_assert_int_eq(op_set(&a, "kernel", want[i].kernel, &cause), 0);
		ck_assert_int_eq(op_ready(&a, &cause), 0);
		a.op->halo(&a, &top, &bottom);
		ck_assert_msg(top == want[i].top && bottom == want[i].bottom,
		    "'%s': halo %u above, %u below", want[i].kernel, top, bottom);
	}
	op_args_free(&a);
}
END_TEST

/* ---- unsharp ---- */

struct unsharp_ref {
	uint32_t	 r;
	double		*w;
	double		 amount, threshold;
};

/* The blur's first pass at (x, y): across, rounded to 16 bits. */
static double
across(const struct image *g, const struct unsharp_ref *u, int64_t x, int64_t y,
    uint32_t s)
{
	double		sum = 0;
	uint32_t	i;

	for (i = 0; i <= 2 * u->r; i++)
		sum += u->w[i] * at(g, x + i - (int64_t)u->r, y, s);
	return q16(sum);
}

/*
 * The reference: b = the blur down of the blur across, each rounded; d = in - b; out is
 * in where |2d| < 65535 T, else in + A d, rounded; alpha is the input's.
 */
static uint32_t
unsharp_want(const struct image *g, const void *arg, uint32_t x, uint32_t y, uint32_t s)
{
	const struct unsharp_ref	*u = arg;
	double				 sum = 0, p = at(g, x, y, s), d;
	int64_t				 h = g->im.height, j, yy;

	if (g->im.alpha && s == g->im.samples - 1)
		return out_level(g->im.bits, p);
	for (j = 0; j <= 2 * u->r; j++) {
		yy = (int64_t)y + j - u->r;
		yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
		sum += u->w[j] * across(g, u, x, yy, s);
	}
	d = p - q16(sum);
	return out_level(g->im.bits, fabs(2 * d) < 65535 * u->threshold ? p :
	    q16(p + u->amount * d));
}

static void
check_unsharp(const char *r, const char *sigma, const char *amount,
    const char *threshold, uint32_t spp, uint32_t bits)
{
	static const uint32_t	 rows[] = { 1, 5, 29 };
	const char		*params[] = { "radius", r, "sigma", sigma, "amount", amount,
				    "threshold", threshold, NULL };
	struct image		 g = image_make(37, 29, spp, bits, spp * 5 + bits);
	struct unsharp_ref	 u = { (uint32_t)atoi(r), NULL, atof(amount),
				    atof(threshold) };
	struct op_args		 a;
	char			 what[128];
	void			*state = op_begin("unsharp", params, &g, &a), *out;
	size_t			 i;

	u.w = kernel_gauss_taps(u.r, atof(sigma));
	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		out = run_blocks(&g, &a, state, rows[i]);
		snprintf(what, sizeof what, "unsharp %sx%s+%s+%s in blocks of %u", r, sigma,
		    amount, threshold, rows[i]);
		check_all(&g, out, what, unsharp_want, &u);
		free(out);
	}
	free(u.w);
	a.op->stop(state);
	op_args_free(&a);
	free(g.px);
}

static const char *const unsharp_params[][4] = {
	{ "1", "0.5", "1", "0.05" },
	{ "4", "2", "1.5", "0" },
	{ "3", "1.2", "0.7", "0.2" },
	{ "2", "1", "-0.5", "0.01" },
	{ "6", "4", "3", "0.02" },
};

START_TEST(test_unsharp_layouts)
{
	const char *const	*p = unsharp_params[_i];
	uint32_t		 spp, bits;

	for (bits = 8; bits <= 16; bits += 8)
		for (spp = 1; spp <= 4; spp++)
			check_unsharp(p[0], p[1], p[2], p[3], spp, bits);
}
END_TEST

/* Defaults: radius 4, sigma half of it, amount 1, threshold 0.05, as -unsharp 4x2. */
START_TEST(test_unsharp_defaults)
{
	struct op_args	 a = { .op = op_find("unsharp") };
	char		*cause = NULL;
	uint32_t	 top, bottom;

	ck_assert_ptr_nonnull(a.op);
	ck_assert_int_eq(op_ready(&a, &cause), 0);
	ck_assert_double_eq(op_number(&a, UNSHARP_RADIUS), 4);
	ck_assert_double_eq(op_number(&a, UNSHARP_SIGMA), 2);
	ck_assert_double_eq(op_number(&a, UNSHARP_AMOUNT), 1);
	ck_assert_double_eq(op_number(&a, UNSHARP_THRESHOLD), 0.05);
	a.op->halo(&a, &top, &bottom);
	ck_assert_uint_eq(top, 4);
	ck_assert_uint_eq(bottom, 4);
	op_args_free(&a);
}
END_TEST

Suite *
conv_suite(void)
{
	Suite	*s = suite_create("conv");
	TCase	*tc = tcase_create("conv");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_kspec_good);
	tcase_add_loop_test(tc, test_kspec_bad, 0,
	    sizeof bad_kernels / sizeof *bad_kernels);
	tcase_add_test(tc, test_kspec_scale);
	tcase_add_test(tc, test_convolve_ready);
	tcase_add_loop_test(tc, test_convolve_layouts, 0,
	    sizeof kernels / sizeof *kernels);
	tcase_add_test(tc, test_convolve_edges);
	tcase_add_test(tc, test_convolve_halo);
	tcase_add_loop_test(tc, test_unsharp_layouts, 0,
	    sizeof unsharp_params / sizeof *unsharp_params);
	tcase_add_test(tc, test_unsharp_defaults);
	suite_add_tcase(s, tc);
	return s;
}
