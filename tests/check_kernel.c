/*
 * check_kernel.c — masks against ImageMagick's; the gaussian and box operations, run block
 * by block through the operation interface, against a direct 2-D convolution.
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
	suite_add_tcase(s, tc);
	return s;
}
