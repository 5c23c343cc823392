/*
 * check_kernel.c — masks against ImageMagick's; the gaussian and box operations, run block
 * by block through the operation interface, against a direct 2-D convolution. Then every
 * sample format, many bands and nodata for every operation that takes them (gaussian,
 * box, convolve, unsharp, median, negate), against references in double written here.
 */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "tests.h"

#include <stdio.h>

START_TEST(test_gauss_matches_imagemagick)
{
	/* convert xc: -define morphology:showkernel=1 -morphology Convolve Blur:4x2 null: */
	static const double	im42[] = { 0.0284329, 0.067131, 0.123991, 0.179167,
				    0.202556, 0.179167, 0.123991, 0.067131, 0.0284329 };
	/* ... Blur:3x0.5: a small sigma, where integrating each tap matters most */
	static const double	im305[] = { 1.81197e-07, 0.00112237, 0.152931,
				    0.691892, 0.152931, 0.00112237, 1.81197e-07 };
	struct mask		m;
	int			i;

	kernel_gauss(&m, 4, 2);
	for (i = 0; i < 9; i++)
		ck_assert_double_eq_tol(m.w[i], im42[i], 1e-6);
	kernel_free(&m);
	kernel_gauss(&m, 3, 0.5);
	for (i = 0; i < 7; i++)
		ck_assert_double_eq_tol(m.w[i], im305[i], 1e-6);
	kernel_free(&m);
}
END_TEST

START_TEST(test_masks_normalized)
{
	struct mask	m;
	uint32_t	r, i;
	double		sum;

	for (r = 1; r <= 50; r += 7) {
		kernel_gauss(&m, r, r / 3.0);
		for (sum = 0, i = 0; i < 2 * r + 1; i++) {
			sum += m.w[i];
			ck_assert_float_eq(m.w[i], m.w[2 * r - i]);
		}
		ck_assert_double_eq_tol(sum, 1, 1e-5);
		kernel_free(&m);
		kernel_box(&m, r);
		for (i = 0; i < 2 * r + 1; i++)
			ck_assert_float_eq(m.w[i], 1.0f / (2 * r + 1));
		kernel_free(&m);
	}
}
END_TEST

/* Sample i of an 8- or 16-bit buffer. */
static double
sample(const struct op_image *job, const void *buf, size_t i)
{
	return job->bits == 8 ? ((const uint8_t *)buf)[i] :
	    ((const uint16_t *)buf)[i];
}

/* Sample s of pixel (x, y), edges replicated. */
static double
at(const struct op_image *job, const void *img, int64_t x, int64_t y, uint32_t s)
{
	x = x < 0 ? 0 : x >= job->width ? job->width - 1 : x;
	y = y < 0 ? 0 : y >= job->height ? job->height - 1 : y;
	return sample(job, img, ((size_t)y * job->width + x) * job->samples + s);
}

/*
 * The slow reference: the full 2-D sum over the (2r+1)² neighbourhood with weights
 * w[i]·w[j], colour weighted by alpha as ImageMagick does.
 */
static double
reference(const struct op_image *job, const struct mask *m, const void *img,
    uint32_t x, uint32_t y, uint32_t s)
{
	int64_t	r = m->radius, i, j;
	double	max = job->bits == 8 ? 255 : 65535, sum = 0, asum = 0, a, k;
	int	colour = job->alpha && s != job->samples - 1;

	for (j = -r; j <= r; j++)
		for (i = -r; i <= r; i++) {
			k = (double)m->w[i + r] * m->w[j + r];
			a = colour ? at(job, img, x + i, y + j, job->samples - 1) / max : 1;
			sum += k * a * at(job, img, x + i, y + j, s);
			asum += k * a;
		}
	return colour ? (asum > 0 ? sum / asum : 0) : sum;
}

/* Fill an image with noise plus smooth shapes, alpha included, from a fixed seed. */
static void *
make_image(const struct op_image *job, unsigned seed)
{
	size_t		 n = (size_t)job->width * job->height * job->samples, i;
	uint8_t		*p8 = malloc(n * 2);
	uint16_t	*p16 = (uint16_t *)p8;
	uint32_t	 v;

	srand(seed);
	for (i = 0; i < n; i++) {
		v = rand() % 4 == 0 ? (uint32_t)rand() : (uint32_t)(i * 2654435761u >> 7);
		if (job->bits == 8)
			p8[i] = v;
		else
			p16[i] = v;
	}
	return p8;
}

/* The values of operation name with its radius and sigma, ready for a job. */
static struct op_args
blur_args(const char *name, uint32_t radius, double sigma)
{
	struct op_args	 a = { .op = op_find(name) };
	char		 text[64], *cause;

	ck_assert_ptr_nonnull(a.op);
	snprintf(text, sizeof text, "%u", radius);
	if (op_param_index(a.op, "radius") != -1)
		ck_assert_int_eq(op_set(&a, "radius", text, &cause), 0);
	if (op_param_index(a.op, "sigma") != -1) {
		snprintf(text, sizeof text, "%.17g", sigma);
		ck_assert_int_eq(op_set(&a, "sigma", text, &cause), 0);
	}
	ck_assert_int_eq(op_ready(&a, &cause), 0);
	return a;
}

/*
 * Blur the whole image as blocks of `rows`, each given only its rows and halo as a slave
 * reads them, and compare every sample with reference(); the largest difference.
 */
static double
check_blur(uint32_t w, uint32_t h, uint32_t spp, uint32_t bits, uint32_t alpha,
    const char *name, uint32_t radius, double sigma, uint32_t rows)
{
	struct op_image	 job = { .width = w, .height = h, .samples = spp, .bits = bits,
			    .format = sample_of('u', bits),
			    .alpha = alpha };
	struct op_args	 args = blur_args(name, radius, sigma);
	struct mask	 m;
	size_t		 row_bytes = (size_t)w * spp * bits / 8;
	void		*img = make_image(&job, w * 131 + h * 7 + spp), *out, *state;
	uint32_t	 top, bottom, x, y, s;
	double		 want, got, worst = 0;
	char		*cause;

	if (strcmp(name, "box") == 0)
		kernel_box(&m, radius);
	else
		kernel_gauss(&m, radius, sigma);
	args.op->halo(&args, &top, &bottom);
	ck_assert_uint_eq(top, radius);
	ck_assert_uint_eq(bottom, radius);
	ck_assert_ptr_nonnull(state = args.op->start(&args, &job, &cause));
	out = malloc(h * row_bytes);
	ck_assert_uint_eq(test_run_blocks(&args, state, &job, img, rows, out, NULL), 0);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (s = 0; s < spp; s++) {
				want = reference(&job, &m, img, x, y, s);
				got = sample(&job, out, ((size_t)y * w + x) * spp + s);
				worst = fmax(worst, fabs(want - got));
			}
	ck_assert_msg(worst <= 1.0, "%ux%u spp %u bits %u alpha %u r %u: off by %g",
	    w, h, spp, bits, alpha, radius, worst);
	args.op->stop(state);
	op_args_free(&args);
	kernel_free(&m);
	free(out);
	free(img);
	return worst;
}

START_TEST(test_blur_gray8)
{
	check_blur(37, 23, 1, 8, 0, "gaussian", 4, 2, 5);
	check_blur(37, 23, 1, 8, 0, "gaussian", 3, 0.5, 23);
	check_blur(37, 23, 1, 8, 0, "box", 2, 1, 1);
}
END_TEST

START_TEST(test_blur_rgb16)
{
	check_blur(29, 17, 3, 16, 0, "gaussian", 5, 3, 4);
	check_blur(29, 17, 3, 16, 0, "box", 3, 1, 7);
}
END_TEST

START_TEST(test_blur_alpha)
{
	check_blur(21, 19, 2, 8, 1, "gaussian", 4, 2, 6);
	check_blur(21, 19, 4, 8, 1, "gaussian", 2, 1.5, 19);
	check_blur(21, 19, 4, 16, 1, "box", 4, 1, 3);
}
END_TEST

START_TEST(test_box_large_radius)
{
	/* Running sums over long rows and many rows must not drift. */
	check_blur(200, 60, 3, 16, 0, "box", 40, 1, 30);
	check_blur(120, 70, 4, 8, 1, "box", 25, 1, 70);
}
END_TEST

START_TEST(test_blur_smaller_than_radius)
{
	check_blur(1, 1, 3, 8, 0, "gaussian", 10, 5, 1);
	check_blur(3, 1, 1, 8, 0, "gaussian", 10, 2, 1);
	check_blur(1, 9, 4, 16, 1, "box", 10, 1, 2);
	check_blur(5, 4, 3, 8, 0, "gaussian", 7, 3.5, 3);
}
END_TEST

START_TEST(test_fixed_mask)
{
	struct op_image	im = { .bits = 8, .samples = 3, .format = SAMPLE_UINT8 };
	struct mask	m;
	int32_t		sum = 0;
	uint32_t	i;

	kernel_gauss(&m, 4, 2);
	kernel_fix(&m, &im);
	ck_assert_ptr_nonnull(m.q);
	for (i = 0; i < 9; i++) {
		sum += m.q[i];
		ck_assert_int_eq(m.q[i], m.q[8 - i]);
		/* Rounded; the centre also takes up what the rounding lost. */
		ck_assert_double_eq_tol(m.q[i] / 32768.0, m.w[i], (i == 4 ? 5 : 0.5) /
		    32768);
	}
	ck_assert_int_eq(sum, 32768);
	kernel_free(&m);
	/* Where the weights' rounding could cost a level, and where it does not apply. */
	kernel_gauss(&m, 100, 50);
	kernel_fix(&m, &im);
	ck_assert_ptr_null(m.q);
	kernel_free(&m);
	im.bits = 16, im.format = SAMPLE_UINT16;
	kernel_gauss(&m, 4, 2);
	kernel_fix(&m, &im);
	ck_assert_ptr_null(m.q);
	kernel_free(&m);
	im.bits = 8, im.format = SAMPLE_INT8;
	kernel_gauss(&m, 4, 2);
	kernel_fix(&m, &im);
	ck_assert_ptr_null(m.q);
	kernel_free(&m);
	im.format = SAMPLE_UINT8, im.nodata = 1;
	kernel_gauss(&m, 4, 2);
	kernel_fix(&m, &im);
	ck_assert_ptr_null(m.q);
	kernel_free(&m);
	im.nodata = 0, im.alpha = 1, im.samples = 4;
	kernel_gauss(&m, 4, 2);
	kernel_fix(&m, &im);
	ck_assert_ptr_null(m.q);
	kernel_free(&m);
	im.alpha = 0;
	kernel_box(&m, 4);
	kernel_fix(&m, &im);
	ck_assert_ptr_null(m.q);
	kernel_free(&m);
}
END_TEST

START_TEST(test_blur_fixed)
{
	/* Fixed point promises less than 0.75 off the exact blur (kernel.c). */
	ck_assert_double_lt(check_blur(61, 29, 3, 8, 0, "gaussian", 4, 2, 7), 0.75);
	ck_assert_double_lt(check_blur(61, 29, 1, 8, 0, "gaussian", 1, 0.5, 29),
	    0.75);
	ck_assert_double_lt(check_blur(70, 50, 4, 8, 0, "gaussian", 20, 20 / 3.0,
	    13), 0.75);
	ck_assert_double_lt(check_blur(3000, 3, 2, 8, 0, "gaussian", 2, 1, 3),
	    0.75);
}
END_TEST

/* ---- Every format: samples as doubles, exactly. ---- */

static const enum sample_format every[] = { SAMPLE_UINT8, SAMPLE_UINT16, SAMPLE_UINT32,
	SAMPLE_INT8, SAMPLE_INT16, SAMPLE_INT32, SAMPLE_FLOAT32, SAMPLE_FLOAT64 };
#define EVERY	(sizeof every / sizeof every[0])

static struct op_image
any_image(enum sample_format f, uint32_t w, uint32_t h, uint32_t spp, uint32_t alpha)
{
	struct op_image	im = { .width = w, .height = h, .samples = spp,
			    .bits = sample_bits(f), .alpha = alpha, .format = f };

	return im;
}

/*
 * Noise and slopes over the whole nominal range; floats reach past [0, 1] too, which
 * must not be clamped. Alpha takes 0 and opaque now and then.
 */
static void *
any_make(const struct op_image *im, unsigned seed)
{
	size_t	n = (size_t)im->width * im->height * im->samples, i;
	double	lo = sample_min(im->format), hi = sample_max(im->format), t, v;
	void	*buf = malloc(n * im->bits / 8);

	srand(seed);
	if (sample_is_float(im->format))
		lo = -0.5, hi = 1.5;
	for (i = 0; i < n; i++) {
		t = rand() % 3 == 0 ? rand() / (double)RAND_MAX :
		    fmod((double)(i / im->samples) * 0.013 + i % im->samples * 0.3, 1);
		v = lo + t * (hi - lo);
		/* Alpha from transparent (0) to opaque, either now and then. */
		if (im->alpha && i % im->samples == im->samples - 1)
			v = (rand() % 4 == 0 ? rand() % 2 : t) * sample_max(im->format);
		sample_put(im->format, buf, i, sample_is_float(im->format) ? v : floor(v));
	}
	return buf;
}

/* A hole, as the test reads the rule: the value as the format holds it, or NaN. */
static int
any_hole(const struct op_image *im, double v)
{
	double	nv = im->format == SAMPLE_FLOAT32 ? (float)im->nodata_value :
		    im->nodata_value;

	return im->nodata && (v == nv || (v != v && nv != nv));
}

/*
 * With `holes`, make v im's nodata and every 1st to gap-th sample of img a hole; the
 * number of samples either way.
 */
static size_t
any_holes(struct op_image *im, void *img, int holes, double v, unsigned gap)
{
	size_t	i, n = (size_t)im->width * im->height * im->samples;

	im->nodata = holes;
	im->nodata_value = v;
	for (i = 0; holes && i < n; i += 1 + (size_t)rand() % gap)
		sample_put(im->format, img, i, v);
	return n;
}

static double
any_at(const struct op_image *im, const void *img, int64_t x, int64_t y, uint32_t s)
{
	x = x < 0 ? 0 : x >= im->width ? im->width - 1 : x;
	y = y < 0 ? 0 : y >= im->height ? im->height - 1 : y;
	return sample_get(im->format, img, ((size_t)y * im->width + x) * im->samples + s);
}

/*
 * The blur in double, straight from the definition: sum k v over the (2r+1)² window,
 * colour weighted by alpha over its opaque value, holes weighing 0, all normalised.
 */
static double
any_blur(const struct op_image *im, const struct mask *m, const void *img, uint32_t x,
    uint32_t y, uint32_t s)
{
	int64_t	r = m->radius, i, j;
	double	sum = 0, wsum = 0, k, a, v;
	int	colour = im->alpha && s != im->samples - 1;

	for (j = -r; j <= r; j++)
		for (i = -r; i <= r; i++) {
			k = (double)m->w[i + r] * m->w[j + r];
			v = any_at(im, img, x + i, y + j, s);
			a = colour ? any_at(im, img, x + i, y + j, im->samples - 1) : 0;
			if (any_hole(im, v) || (colour && any_hole(im, a)))
				continue;
			k *= colour ? a / sample_max(im->format) : 1;
			sum += k * v;
			wsum += k;
		}
	return wsum > 0 ? sum / wsum : 0;
}

/* How far a result may be: 1e-4 of the range for floats, a level for integers, plus
   the 2^-24 of the range that single precision costs at 32 bits (sample.h). */
static double
any_tolerance(const struct op_image *im)
{
	double	range = sample_max(im->format) - sample_min(im->format);

	if (sample_is_float(im->format))
		return 2e-4;	/* of the test's range, -0.5 to 1.5 */
	return 1 + (im->bits == 32 ? ldexp(range, -22) : 0);
}

/* Run started operation a on img in blocks of `rows`; the result, to be freed. */
static void *
any_run(const struct op_args *a, const struct op_image *im, const void *img,
    uint32_t rows)
{
	void	*state, *out = malloc(im->height * op_row_bytes(im));
	char	*cause;

	ck_assert_ptr_nonnull(state = a->op->start(a, im, &cause));
	ck_assert_uint_eq(test_run_blocks(a, state, im, img, rows, out, NULL), 0);
	a->op->stop(state);
	return out;
}

/* Blur img with the named operation; every sample against any_blur(), holes kept. */
static void
any_check_blur(const struct op_image *im, const void *img, const char *name,
    uint32_t r, double sigma, uint32_t rows)
{
	struct op_args	 args = blur_args(name, r, sigma);
	struct mask	 m;
	size_t		 i, n = (size_t)im->width * im->height * im->samples;
	void		*out = any_run(&args, im, img, rows);
	double		 want, got, worst = 0;
	size_t		 bytes = im->bits / 8;

	if (strcmp(name, "box") == 0)
		kernel_box(&m, r);
	else
		kernel_gauss(&m, r, sigma);
	for (i = 0; i < n; i++) {
		got = sample_get(im->format, out, i);
		if (any_hole(im, sample_get(im->format, img, i))) {
			ck_assert_mem_eq((char *)out + i * bytes, (const char *)img + i * bytes,
			    bytes);
			continue;
		}
		want = any_blur(im, &m, img, (uint32_t)(i / im->samples % im->width),
		    (uint32_t)(i / im->samples / im->width), (uint32_t)(i % im->samples));
		if (!sample_is_float(im->format))
			want = fmin(fmax(want, sample_min(im->format)), sample_max(im->format));
		worst = fmax(worst, fabs(want - got));
	}
	ck_assert_msg(worst <= any_tolerance(im), "%s %s spp %u alpha %u nodata %d: off "
	    "by %g", name, sample_name(im->format), im->samples, im->alpha, im->nodata,
	    worst);
	kernel_free(&m);
	op_args_free(&args);
	free(out);
}

START_TEST(test_blur_every_format)
{
	struct op_image	im;
	void		*img;
	size_t		 f;

	for (f = 0; f < EVERY; f++) {
		im = any_image(every[f], 23, 19, 3, 0);
		img = any_make(&im, (unsigned)f);
		any_check_blur(&im, img, "gaussian", 4, 2, 5);
		any_check_blur(&im, img, "box", 3, 1, 7);
		free(img);
		im = any_image(every[f], 17, 13, 2, 1);
		img = any_make(&im, (unsigned)f + 20);
		any_check_blur(&im, img, "gaussian", 3, 1.5, 4);
		any_check_blur(&im, img, "box", 2, 1, 13);
		free(img);
	}
}
END_TEST

/* One band of a many-band image, as an image of its own. */
static void *
any_band(const struct op_image *im, const void *img, uint32_t c)
{
	size_t	 i, n = (size_t)im->width * im->height, bytes = im->bits / 8;
	char	*band = malloc(n * bytes);

	for (i = 0; i < n; i++)
		memcpy(band + i * bytes, (const char *)img + (i * im->samples + c) * bytes,
		    bytes);
	return band;
}

/* Each of 7 bands blurred as it would be alone: the same samples, exactly. */
START_TEST(test_blur_many_bands)
{
	static const enum sample_format	fs[] = { SAMPLE_UINT8, SAMPLE_INT16,
					    SAMPLE_FLOAT32 };
	static const char *const	names[] = { "gaussian", "box", "median",
					    "unsharp", "negate" };
	struct op_image			im, one;
	struct op_args			a;
	void				*img, *out, *band, *alone, *got;
	size_t				f, o, n, bytes;
	uint32_t			c;

	for (f = 0; f < 3; f++)
		for (o = 0; o < 5; o++) {
			im = any_image(fs[f], 31, 11, 7, 0);
			one = any_image(fs[f], 31, 11, 1, 0);
			img = any_make(&im, (unsigned)(f * 5 + o));
			a = blur_args(names[o], 3, 1.5);
			out = any_run(&a, &im, img, 4);
			n = (size_t)im.width * im.height;
			bytes = im.bits / 8;
			for (c = 0; c < im.samples; c++) {
				band = any_band(&im, img, c);
				alone = any_run(&a, &one, band, 4);
				got = any_band(&im, out, c);
				ck_assert_msg(memcmp(got, alone, n * bytes) == 0,
				    "%s %s band %u", names[o], sample_name(fs[f]), c);
				free(band);
				free(alone);
				free(got);
			}
			op_args_free(&a);
			free(out);
			free(img);
		}
}
END_TEST

/*
 * A DEM: a valley between slopes, 100 to 900 metres, with blobs and lines of -9999
 * holes (and of NaN, for floats). Holes stay exactly nodata, nothing falls below the
 * lowest valid height, and where no hole is in reach the result is the plain blur's.
 */
static void
dem_check(enum sample_format f, double nodata, const char *name, uint32_t r)
{
	struct op_image	 im = any_image(f, 60, 45, 1, 0), plain;
	struct op_args	 a = blur_args(name, r, r / 2.0);
	void		*img = malloc(60 * 45 * im.bits / 8), *out, *ref, *filled;
	double		 v, lo = 1e300;
	uint32_t	 x, y;
	int64_t		 i, j;
	int		 near;

	for (y = 0; y < im.height; y++)
		for (x = 0; x < im.width; x++) {
			v = 100 + fabs((double)x - 30) * 25 + y * 2;
			lo = fmin(lo, v);
			if ((x - 20) * (x - 20) + (y - 15) * (y - 15) < 30 || x == 33 ||
			    (y == 40 && x > 5))
				v = nodata;
			sample_put(f, img, (size_t)y * im.width + x, v);
		}
	im.nodata = 1;
	im.nodata_value = nodata;
	out = any_run(&a, &im, img, 7);
	/* The plain blur of the same heights, the holes made any valid height. */
	plain = any_image(f, 60, 45, 1, 0);
	filled = malloc(60 * 45 * im.bits / 8);
	for (i = 0; i < 60 * 45; i++)
		sample_put(f, filled, (size_t)i, any_hole(&im, sample_get(f, img, (size_t)i)) ?
		    500 : sample_get(f, img, (size_t)i));
	ref = any_run(&a, &plain, filled, 7);
	free(filled);
	for (y = 0; y < im.height; y++)
		for (x = 0; x < im.width; x++) {
			i = (int64_t)y * im.width + x;
			v = sample_get(f, out, (size_t)i);
			if (any_hole(&im, sample_get(f, img, (size_t)i))) {
				ck_assert_msg(any_hole(&im, v), "%s %s: hole (%u, %u) is %g",
				    name, sample_name(f), x, y, v);
				continue;
			}
			/* Sharpening overshoots on purpose; the others are means or medians. */
			ck_assert_msg(strcmp(name, "unsharp") == 0 ||
			    v >= lo - any_tolerance(&im), "%s %s: (%u, %u) is %g",
			    name, sample_name(f), x, y, v);
			for (near = 0, j = -(int64_t)r; j <= r; j++)
				for (i = -(int64_t)r; i <= r; i++)
					near |= any_hole(&im, any_at(&im, img, x + i, y + j, 0));
			if (!near)
				ck_assert_double_eq_tol(v, sample_get(f, ref,
				    (size_t)y * im.width + x), sample_is_float(f) ? 1e-3 : 1);
		}
	op_args_free(&a);
	free(img);
	free(out);
	free(ref);
}

START_TEST(test_nodata_dem)
{
	static const char *const	names[] = { "gaussian", "box", "unsharp", "median" };
	size_t				o;

	for (o = 0; o < 4; o++) {
		dem_check(SAMPLE_FLOAT32, -9999, names[o], 3);
		dem_check(SAMPLE_FLOAT32, NAN, names[o], 2);
		dem_check(SAMPLE_INT16, -9999, names[o], 4);
		dem_check(SAMPLE_FLOAT64, -9999, names[o], 1);
	}
}
END_TEST

/* Holes through noise, alpha among them, against the reference in every format. */
START_TEST(test_nodata_every_format)
{
	struct op_image	im;
	void		*img;
	size_t		 f, i, n;

	for (f = 0; f < EVERY; f++) {
		im = any_image(every[f], 19, 17, 3, f % 2);
		img = any_make(&im, (unsigned)f + 40);
		im.nodata = 1;
		im.nodata_value = sample_is_float(every[f]) ? -9999 : sample_min(every[f]);
		n = (size_t)im.width * im.height * im.samples;
		for (i = 0; i < n; i += 1 + (size_t)rand() % 5)
			sample_put(every[f], img, i, im.nodata_value);
		any_check_blur(&im, img, "gaussian", 3, 1.5, 5);
		any_check_blur(&im, img, "box", 2, 1, 6);
		free(img);
	}
}
END_TEST

static int
by_value(const void *a, const void *b)
{
	double	u = *(const double *)a, v = *(const double *)b;

	return u < v ? -1 : u > v;
}

/* Median of every format, holes or none, against a sort of each window's valid samples. */
START_TEST(test_median_every_format)
{
	struct op_image	 im;
	struct op_args	 a;
	void		*img, *out;
	double		 win[49], want;
	size_t		 f, i, n, k;
	int		 holes;
	int64_t		 dx, dy, x, y;

	for (holes = 0; holes < 2; holes++)
		for (f = 0; f < EVERY; f++) {
			im = any_image(every[f], 21, 14, 2, holes);
			img = any_make(&im, (unsigned)f + 60);
			n = any_holes(&im, img, holes, 3, 3);
			a = blur_args("median", 3, 0);
			out = any_run(&a, &im, img, 5);
			for (i = 0; i < n; i++) {
				want = sample_get(every[f], img, i);
				x = (int64_t)(i / im.samples % im.width);
				y = (int64_t)(i / im.samples / im.width);
				k = 0;
				for (dy = -3; !any_hole(&im, want) && i % im.samples !=
				    im.samples - im.alpha && dy <= 3; dy++)
					for (dx = -3; dx <= 3; dx++) {
						win[k] = any_at(&im, img, x + dx, y + dy,
						    (uint32_t)(i % im.samples));
						k += !any_hole(&im, win[k]);
					}
				if (k > 0) {
					qsort(win, k, sizeof *win, by_value);
					want = win[k / 2];
				}
				ck_assert_msg(sample_get(every[f], out, i) == want,
				    "median %s holes %d sample %zu: %.17g, not %.17g",
				    sample_name(every[f]), holes, i,
				    sample_get(every[f], out, i), want);
			}
			op_args_free(&a);
			free(img);
			free(out);
		}
}
END_TEST

/* Negate: min + max - v for colour; alpha and holes as they were. */
/* A NaN or an infinity the box meets stays within its window, across and down. */
START_TEST(test_box_non_finite)
{
	static const float	 odd[] = { NAN, INFINITY, -INFINITY };
	struct op_image		 im = any_image(SAMPLE_FLOAT32, 21, 17, 1, 0);
	struct op_args		 a = blur_args("box", 2, 0);
	float			*img = malloc(21 * 17 * sizeof *img), *out, v;
	size_t			 i, k;
	int			 x, y, near;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < 21 * 17; i++)
			img[i] = 1;
		img[8 * 21 + 10] = odd[k];
		out = any_run(&a, &im, img, 4);
		for (y = 0; y < 17; y++)
			for (x = 0; x < 21; x++) {
				v = out[y * 21 + x];
				near = abs(x - 10) <= 2 && abs(y - 8) <= 2;
				ck_assert_msg(near ? !isfinite(v) : v == 1,
				    "%g at %d,%d for %g", v, x, y, odd[k]);
			}
		free(out);
	}
	free(img);
	op_args_free(&a);
}
END_TEST

START_TEST(test_negate_every_format)
{
	struct op_image	 im;
	struct op_args	 a = { .op = op_find("negate") };
	void		*img, *out;
	double		 v, want;
	size_t		 f, i, n;
	char		*cause;

	ck_assert_int_eq(op_ready(&a, &cause), 0);
	for (f = 0; f < EVERY; f++) {
		im = any_image(every[f], 13, 7, 4, 1);
		img = any_make(&im, (unsigned)f + 80);
		im.nodata = 1;
		im.nodata_value = 7;
		n = (size_t)im.width * im.height * im.samples;
		for (i = 0; i < n; i += 9)
			sample_put(every[f], img, i, 7);
		out = any_run(&a, &im, img, 3);
		for (i = 0; i < n; i++) {
			v = sample_get(every[f], img, i);
			want = i % 4 == 3 || v == 7 ? v : sample_min(every[f]) +
			    sample_max(every[f]) - v;
			if (every[f] == SAMPLE_FLOAT32)
				want = (float)want;
			ck_assert_msg(sample_get(every[f], out, i) == want, "negate %s: %.17g "
			    "gives %.17g", sample_name(every[f]), v, sample_get(every[f], out, i));
		}
		free(img);
		free(out);
	}
	op_args_free(&a);
}
END_TEST

/* The convolve operation's values: a kernel and its scale. */
static struct op_args
convolve_args(const char *kernel, const char *scale)
{
	struct op_args	 a = { .op = op_find("convolve") };
	char		*cause;

	ck_assert_int_eq(op_set(&a, "kernel", kernel, &cause), 0);
	ck_assert_int_eq(op_set(&a, "scale", scale, &cause), 0);
	ck_assert_int_eq(op_ready(&a, &cause), 0);
	return a;
}

/*
 * Convolve in every format, holes or none, against the sum in double: the kernel
 * reflected about its origin (1, 0), sum k v, or with holes sum k m v · sum k / sum k m.
 */
START_TEST(test_convolve_every_format)
{
	static const double	k[2][3] = { { 1, 2, -1 }, { 3, 0.5, 0.5 } };	/* sum 6 */
	struct op_image		 im;
	struct op_args		 a = convolve_args("3x2+1+0: 1 2 -1 3 0.5 0.5", "0.25");
	void			*img, *out;
	double			 sum, ksum, v, want, worst;
	size_t			 f, i, n;
	int			 holes, u, w;
	int64_t			 x, y;

	for (holes = 0; holes < 2; holes++)
		for (f = 0; f < EVERY; f++) {
			im = any_image(every[f], 16, 12, 2, 0);
			img = any_make(&im, (unsigned)f + 100);
			n = any_holes(&im, img, holes, 5, 4);
			out = any_run(&a, &im, img, 5);
			worst = 0;
			for (i = 0; i < n; i++) {
				x = (int64_t)(i / im.samples % im.width);
				y = (int64_t)(i / im.samples / im.width);
				if (any_hole(&im, sample_get(every[f], img, i))) {
					ck_assert(sample_get(every[f], out, i) == 5);
					continue;
				}
				for (sum = ksum = 0, w = 0; w < 2; w++)
					for (u = 0; u < 3; u++) {
						v = any_at(&im, img, x + 1 - u, y - w,
						    (uint32_t)(i % im.samples));
						if (!any_hole(&im, v))
							sum += 0.25 * k[w][u] * v, ksum += 0.25 * k[w][u];
					}
				want = sum * 1.5 / ksum;
				if (!sample_is_float(every[f]))
					want = fmin(fmax(want, sample_min(every[f])),
					    sample_max(every[f]));
				worst = fmax(worst, fabs(want - sample_get(every[f], out, i)));
			}
			ck_assert_msg(worst <= any_tolerance(&im) * (sample_is_float(every[f]) ?
			    10 : 1), "convolve %s holes %d: off by %g", sample_name(every[f]),
			    holes, worst);
			free(img);
			free(out);
		}
	op_args_free(&a);
}
END_TEST

Suite *
kernel_suite(void)
{
	Suite	*s = suite_create("kernel");
	TCase	*tc = tcase_create("kernel");

	/* The 2-D reference is slow on purpose, slower still under sanitizers. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_gauss_matches_imagemagick);
	tcase_add_test(tc, test_masks_normalized);
	tcase_add_test(tc, test_blur_gray8);
	tcase_add_test(tc, test_blur_rgb16);
	tcase_add_test(tc, test_blur_alpha);
	tcase_add_test(tc, test_box_large_radius);
	tcase_add_test(tc, test_blur_smaller_than_radius);
	tcase_add_test(tc, test_fixed_mask);
	tcase_add_test(tc, test_blur_fixed);
	tcase_add_test(tc, test_blur_every_format);
	tcase_add_test(tc, test_blur_many_bands);
	tcase_add_test(tc, test_nodata_dem);
	tcase_add_test(tc, test_nodata_every_format);
	tcase_add_test(tc, test_median_every_format);
	tcase_add_test(tc, test_negate_every_format);
	tcase_add_test(tc, test_box_non_finite);
	tcase_add_test(tc, test_convolve_every_format);
	suite_add_tcase(s, tc);
	return s;
}
