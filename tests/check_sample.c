/* check_sample.c — sample.h: the eight formats, and rows of them as floats and back. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sample.h"
#include "tests.h"

static const struct {
	enum sample_format	 f;
	const char		*name;
	int			 kind;
	unsigned		 bits;
	double			 min, max;
} formats[] = {
	{ SAMPLE_UINT8,   "uint8",   'u',  8, 0, 255 },
	{ SAMPLE_UINT16,  "uint16",  'u', 16, 0, 65535 },
	{ SAMPLE_UINT32,  "uint32",  'u', 32, 0, UINT32_MAX },
	{ SAMPLE_INT8,    "int8",    'i',  8, INT8_MIN, INT8_MAX },
	{ SAMPLE_INT16,   "int16",   'i', 16, INT16_MIN, INT16_MAX },
	{ SAMPLE_INT32,   "int32",   'i', 32, INT32_MIN, INT32_MAX },
	{ SAMPLE_FLOAT32, "float32", 'f', 32, 0, 1 },
	{ SAMPLE_FLOAT64, "float64", 'f', 64, 0, 1 },
};
#define FORMATS	(sizeof formats / sizeof formats[0])

START_TEST(test_formats)
{
	unsigned	all = 0;
	size_t		i;

	for (i = 0; i < FORMATS; i++) {
		ck_assert_str_eq(sample_name(formats[i].f), formats[i].name);
		ck_assert_uint_eq(sample_parse(formats[i].name), formats[i].f);
		ck_assert_uint_eq(sample_of(formats[i].kind, formats[i].bits), formats[i].f);
		ck_assert_uint_eq(sample_bits(formats[i].f), formats[i].bits);
		ck_assert_int_eq(sample_is_float(formats[i].f), formats[i].kind == 'f');
		ck_assert_double_eq(sample_min(formats[i].f), formats[i].min);
		ck_assert_double_eq(sample_max(formats[i].f), formats[i].max);
		all |= formats[i].f;
	}
	ck_assert_uint_eq(all, SAMPLE_ALL);
	ck_assert_uint_eq(sample_parse("uint12"), 0);
	ck_assert_uint_eq(sample_parse("UINT8"), 0);
	ck_assert_uint_eq(sample_parse(""), 0);
	ck_assert_uint_eq(sample_of('u', 12), 0);
	ck_assert_uint_eq(sample_of('f', 16), 0);
	ck_assert_uint_eq(sample_of('x', 8), 0);
}
END_TEST

/* Each format's ends, and values between, stored and read back exactly. */
START_TEST(test_get_put_exact)
{
	double		buf[5];
	size_t		i, k;

	for (i = 0; i < FORMATS; i++) {
		const double	v[] = { formats[i].min, formats[i].max,
				    formats[i].kind == 'f' ? 0.25 : formats[i].max - 1,
				    formats[i].kind == 'i' ? -1 : 1 };

		memset(buf, 0, sizeof buf);
		for (k = 0; k < 4; k++)
			sample_put(formats[i].f, buf, k, v[k]);
		for (k = 0; k < 4; k++)
			ck_assert_msg(sample_get(formats[i].f, buf, k) == v[k],
			    "%s: %.17g came back as %.17g", formats[i].name, v[k],
			    sample_get(formats[i].f, buf, k));
		/* Nothing past the four samples was touched. */
		ck_assert_uint_eq(((unsigned char *)buf)[4 * formats[i].bits / 8], 0);
	}
	/* In native order, of the type's own width. */
	{
		uint16_t	u16[2] = { 0 };
		int32_t		i32[2] = { 0 };
		double		f64[2] = { 0 };

		sample_put(SAMPLE_UINT16, u16, 1, 40000);
		ck_assert_uint_eq(u16[1], 40000);
		ck_assert_uint_eq(u16[0], 0);
		sample_put(SAMPLE_INT32, i32, 1, -2000000000);
		ck_assert_int_eq(i32[1], -2000000000);
		sample_put(SAMPLE_FLOAT64, f64, 0, 1e300);
		ck_assert_double_eq(f64[0], 1e300);
	}
}
END_TEST

/* Integers: floor(v + 1/2), clamped to the range; NaN stored as 0. */
START_TEST(test_store_rounds_and_clamps)
{
	const float	in[] = { -1e30f, -129.5f, -128.6f, -1.5f, -0.5f, -0.49f, 0.49f,
			    0.5f, 1.5f, 126.5f, 127.4f, 254.5f, 255.49f, 70000.0f, 1e30f,
			    NAN, INFINITY, -INFINITY };
	const uint8_t	u8[] = { 0, 0, 0, 0, 0, 0, 0, 1, 2, 127, 127, 255, 255, 255, 255,
			    0, 255, 0 };
	const int8_t	i8[] = { -128, -128, -128, -1, 0, 0, 0, 1, 2, 127, 127, 127, 127,
			    127, 127, 0, 127, -128 };
	const uint16_t	u16[] = { 0, 0, 0, 0, 0, 0, 0, 1, 2, 127, 127, 255, 255, 65535,
			    65535, 0, 65535, 0 };
	const int16_t	i16[] = { -32768, -129, -129, -1, 0, 0, 0, 1, 2, 127, 127, 255,
			    255, 32767, 32767, 0, 32767, -32768 };
	enum { N = sizeof in / sizeof in[0] };
	uint8_t		o8[N];
	int8_t		s8[N];
	uint16_t	o16[N];
	int16_t		s16[N];
	size_t		i;

	sample_store(SAMPLE_UINT8, in, N, o8);
	sample_store(SAMPLE_INT8, in, N, s8);
	sample_store(SAMPLE_UINT16, in, N, o16);
	sample_store(SAMPLE_INT16, in, N, s16);
	for (i = 0; i < N; i++) {
		ck_assert_msg(o8[i] == u8[i], "uint8 %g: %u", in[i], o8[i]);
		ck_assert_msg(s8[i] == i8[i], "int8 %g: %d", in[i], s8[i]);
		ck_assert_msg(o16[i] == u16[i], "uint16 %g: %u", in[i], o16[i]);
		ck_assert_msg(s16[i] == i16[i], "int16 %g: %d", in[i], s16[i]);
	}
}
END_TEST

/* The 32-bit integers' ends, which a float cannot hold exactly, are reached and kept; NaN is 0. */
START_TEST(test_store_wide_ends)
{
	const float	in[] = { -3e9f, 4294967295.0f, 5e9f, -2147483648.0f,
			    2147483647.0f, 3e9f, NAN };
	uint32_t	u32[7];
	int32_t		i32[7];

	sample_store(SAMPLE_UINT32, in, 7, u32);
	ck_assert_uint_eq(u32[0], 0);
	ck_assert_uint_eq(u32[1], UINT32_MAX);
	ck_assert_uint_eq(u32[2], UINT32_MAX);
	ck_assert_uint_eq(u32[6], 0);
	sample_store(SAMPLE_INT32, in, 7, i32);
	ck_assert_int_eq(i32[0], INT32_MIN);
	ck_assert_int_eq(i32[3], INT32_MIN);
	ck_assert_int_eq(i32[4], INT32_MAX);
	ck_assert_int_eq(i32[5], INT32_MAX);
	ck_assert_int_eq(i32[6], 0);	/* NaN: no number, 0 like the narrower ones */
}
END_TEST

/* Floats: stored as computed, NaN and infinities included, never clamped. */
START_TEST(test_store_floats)
{
	const float	in[] = { -2.5f, 0.3f, 1e30f, NAN, INFINITY, -INFINITY };
	float		f32[6];
	double		f64[6];
	size_t		i;

	sample_store(SAMPLE_FLOAT32, in, 6, f32);
	sample_store(SAMPLE_FLOAT64, in, 6, f64);
	for (i = 0; i < 6; i++) {
		if (isnan(in[i])) {
			ck_assert(isnan(f32[i]) && isnan(f64[i]));
			continue;
		}
		ck_assert_float_eq(f32[i], in[i]);
		ck_assert_double_eq(f64[i], (double)in[i]);
	}
}
END_TEST

/* Loaded as floats: exact for every 8- and 16-bit value, the ends of the others. */
START_TEST(test_load)
{
	static uint16_t	u16[65536], again[65536];
	static float	out[65536], back16[65536];
	int8_t		i8[] = { INT8_MIN, -1, 0, INT8_MAX };
	int32_t		i32[] = { INT32_MIN, -1, 16777216, INT32_MAX };
	double		f64[] = { -0.5, 1e300, NAN };
	size_t		i;

	for (i = 0; i < 65536; i++)
		u16[i] = (uint16_t)i;
	sample_load(SAMPLE_UINT16, u16, 65536, out);
	for (i = 0; i < 65536; i++)
		ck_assert_float_eq(out[i], (float)i);
	memcpy(back16, out, sizeof out);
	sample_store(SAMPLE_UINT16, back16, 65536, again);
	ck_assert_int_eq(memcmp(again, u16, sizeof u16), 0);
	sample_load(SAMPLE_INT8, i8, 4, out);
	ck_assert_float_eq(out[0], -128);
	ck_assert_float_eq(out[1], -1);
	ck_assert_float_eq(out[3], 127);
	sample_load(SAMPLE_INT32, i32, 4, out);
	ck_assert_float_eq(out[0], -2147483648.0f);
	ck_assert_float_eq(out[2], 16777216.0f);
	ck_assert_float_eq(out[3], 2147483648.0f);	/* within 2^-24 of the range */
	sample_load(SAMPLE_FLOAT64, f64, 3, out);
	ck_assert_float_eq(out[0], -0.5f);
	ck_assert(isinf(out[1]) && out[1] > 0);
	ck_assert(isnan(out[2]));
}
END_TEST

/* Holes: nodata as the format holds it; any NaN for a NaN nodata; none it cannot hold. */
START_TEST(test_valid)
{
	const uint8_t	u8[] = { 0, 255, 7, 255 };
	const int16_t	i16[] = { -9999, 0, -9999, 9999 };
	const uint32_t	u32[] = { 4294967295u, 4294967294u, 0 };
	const float	f32[] = { NAN, 1, -9999, -NAN };
	const double	f64[] = { 0.1, NAN, 0.1, 0.1 + 0.2 };
	float		v[4];

	sample_valid(SAMPLE_UINT8, u8, 4, 255, v);
	ck_assert(v[0] == 1 && v[1] == 0 && v[2] == 1 && v[3] == 0);
	/* A value uint8 cannot hold (out of range, or not an integer): no holes. */
	sample_valid(SAMPLE_UINT8, u8, 4, -1, v);
	ck_assert(v[0] == 1 && v[1] == 1 && v[2] == 1 && v[3] == 1);
	sample_valid(SAMPLE_UINT8, u8, 4, 254.5, v);
	ck_assert(v[0] == 1 && v[1] == 1 && v[2] == 1 && v[3] == 1);
	sample_valid(SAMPLE_UINT8, u8, 4, NAN, v);
	ck_assert(v[0] == 1 && v[1] == 1 && v[2] == 1 && v[3] == 1);
	sample_valid(SAMPLE_INT16, i16, 4, -9999, v);
	ck_assert(v[0] == 0 && v[1] == 1 && v[2] == 0 && v[3] == 1);
	/* Compared as uint32, not as a float that would take its neighbour for it. */
	sample_valid(SAMPLE_UINT32, u32, 3, 4294967295.0, v);
	ck_assert(v[0] == 0 && v[1] == 1 && v[2] == 1);
	sample_valid(SAMPLE_FLOAT32, f32, 4, NAN, v);
	ck_assert(v[0] == 0 && v[1] == 1 && v[2] == 1 && v[3] == 0);
	sample_valid(SAMPLE_FLOAT32, f32, 4, -9999, v);
	ck_assert(v[0] == 1 && v[1] == 1 && v[2] == 0 && v[3] == 1);
	sample_valid(SAMPLE_FLOAT64, f64, 4, 0.1, v);
	ck_assert(v[0] == 0 && v[1] == 1 && v[2] == 0 && v[3] == 1);
}
END_TEST

/* Holes copied from in to out, whatever out held there; the rest left alone. */
START_TEST(test_holes)
{
	enum { N = 3000 };	/* more than one chunk */
	static int16_t	in[N], out[N];
	size_t		i;

	for (i = 0; i < N; i++) {
		in[i] = i % 1000 == 999 ? -1 : (int16_t)i;
		out[i] = 5;
	}
	sample_holes(SAMPLE_INT16, in, N, -1, out);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(out[i], i % 1000 == 999 ? -1 : 5);
}
END_TEST

Suite *
sample_suite(void)
{
	Suite	*s = suite_create("sample");
	TCase	*tc = tcase_create("sample");

	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_get_put_exact);
	tcase_add_test(tc, test_store_rounds_and_clamps);
	tcase_add_test(tc, test_store_wide_ends);
	tcase_add_test(tc, test_store_floats);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_holes);
	suite_add_tcase(s, tc);
	return s;
}
