/*
 * check_reduce.c — reduce.h against GDAL 3.6.2: every expected level below is what
 * gdaladdo -r METHOD made of the input (Debian 12's GDAL, levels 2 and 4; the COG case is
 * gdal.RegenerateOverview onto the COG driver's floor(n/2) size), bands interleaved.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reduce.h"
#include "tests.h"

/* u8odd: 1 band(s) 7x5, gdaladdo -r average: 4x3, 2x2 */
static const uint8_t u8odd_in[] = {
	61, 173, 23, 54, 81, 79, 232, 204, 234, 254, 20, 36, 222, 20, 42, 46, 233, 92, 67, 43,
	117, 150, 204, 157, 252, 26, 124, 144, 176, 1, 51, 119, 16, 249, 164 };
static const uint8_t u8odd_l1[] = {
	152, 106, 67, 142, 104, 175, 75, 100, 130, 114, 89, 174 };
static const uint8_t u8odd_l2[] = {
	134, 96, 131, 110 };
/* u8rgb: 3 band(s) 6x4, gdaladdo -r average: 3x2 */
static const uint8_t u8rgb_in[] = {
	204, 18, 47, 131, 200, 52, 152, 119, 231, 88, 248, 208, 83, 67, 141, 33, 98, 234, 52,
	227, 95, 196, 157, 18, 113, 73, 213, 211, 95, 22, 71, 198, 89, 184, 93, 117, 223, 124,
	174, 212, 125, 31, 54, 119, 58, 94, 124, 21, 70, 247, 6, 204, 61, 46, 206, 229, 178,
	113, 50, 138, 68, 20, 86, 16, 81, 175, 68, 62, 87, 38, 163, 253 };
static const uint8_t u8rgb_l1[] = {
	146, 151, 53, 141, 134, 169, 93, 114, 145, 189, 132, 130, 58, 86, 85, 95, 133, 98 };
/* u8nd: 1 band(s) 7x5, gdaladdo -r average (nodata 0): 4x3, 2x2 */
static const uint8_t u8nd_in[] = {
	0, 0, 64, 146, 0, 234, 85, 0, 0, 155, 51, 255, 129, 0, 149, 0, 107, 0, 0, 0, 0, 139, 0,
	87, 0, 170, 132, 0, 153, 0, 10, 0, 0, 239, 13 };
static const uint8_t u8nd_l1[] = {
	0, 103, 177, 144, 147, 107, 172, 131, 147, 41, 180, 115 };
static const uint8_t u8nd_l2[] = {
	115, 158, 105, 149 };
/* u16: 1 band(s) 6x5, gdaladdo -r average: 3x3, 2x2 */
static const uint16_t u16_in[] = {
	17315, 1285, 43915, 60079, 39571, 16175, 29049, 31836, 27690, 8405, 55789, 25134, 644,
	51270, 1058, 15672, 24886, 55348, 46585, 40244, 30836, 41533, 57532, 59314, 49501,
	33402, 14410, 9093, 24266, 41974 };
static const uint16_t u16_l1[] = {
	19871, 35022, 34167, 30346, 15865, 43847, 42433, 23968, 45772 };
static const uint16_t u16_l2[] = {
	25121, 34475, 32692, 37176 };
/* i16: 1 band(s) 6x5, gdaladdo -r average: 3x3, 2x2 */
static const int16_t i16_in[] = {
	-20511, 8809, 21410, 19665, -9718, -24475, 25637, -18480, 10012, 28348, 29147, 4116,
	-6302, -19402, 16345, -4993, -12122, -7117, -23636, -24227, -8038, 6045, -9051, -29365,
	-12301, -28851, -27153, -15806, 5531, -8522 };
static const int16_t i16_l1[] = {
	-1136, 19859, -233, -11782, 7042, -6287, -22254, -11238, -10352 };
static const int16_t i16_l2[] = {
	2072, 3695, -14224, -7713 };
/* f32: 1 band(s) 10x4, gdaladdo -r average: 5x2 */
static const float f32_in[] = {
	-797.4051513671875f, -147.43231201171875f, -2387.2431640625f, -322.4429626464844f,
	251.64002990722656f, 1034.9501953125f, 402.9263610839844f, 1884.2596435546875f,
	1527.958740234375f, -1634.3614501953125f, -226.05076599121094f, -156.1795196533203f,
	91.6878890991211f, -572.7288208007812f, 610.3954467773438f, 745.0292358398438f,
	-1524.2535400390625f, 945.3737182617188f, -647.5474243164062f, 1056.2996826171875f,
	564.6530151367188f, -130.53895568847656f, 1988.3734130859375f, 890.1964721679688f,
	32.321170806884766f, 248.96022033691406f, 2415.134033203125f, 1417.142822265625f,
	949.697021484375f, 215.2193603515625f, 562.781494140625f, 148.48121643066406f,
	-1525.7889404296875f, 885.671142578125f, 414.76959228515625f, -1350.6044921875f,
	-642.3259887695312f, -247.96437072753906f, 325.713134765625f, 1728.8619384765625f };
static const float f32_l1[] = {
	-331.7669372558594f, -797.6817626953125f, 660.5037231445312f, 427.0765380859375f,
	75.58738708496094f, 286.3442077636719f, 559.613037109375f, -163.6383819580078f,
	735.4966430664062f, 804.8728637695312f };
/* f32nd: 1 band(s) 7x5, gdaladdo -r average (nodata -9999.0): 4x3, 2x2 */
static const float f32nd_in[] = {
	1.7723798751831055f, -9999.0f, 64.9803237915039f, -16.809968948364258f, -9999.0f,
	-228.17088317871094f, -106.43363952636719f, 37.82914352416992f, -75.83528900146484f,
	59.97086715698242f, -28.110258102416992f, 18.369361877441406f, 70.291259765625f,
	57.89173889160156f, -105.24833679199219f, 192.80868530273438f, -197.73060607910156f,
	-18.79792594909668f, -9999.0f, -9999.0f, -9999.0f, -103.41307067871094f,
	-113.90113830566406f, -9999.0f, -9999.0f, 18.020076751708984f, -9999.0f, -9999.0f,
	-28.11223602294922f, -4.571991443634033f, 69.66971588134766f, -9999.0f, -9999.0f,
	-9999.0f, -9999.0f };
static const float f32nd_l1[] = {
	-5.042693138122559f, 27.954980850219727f, -26.533742904663086f, -69.88172149658203f,
	-10.264196395874023f, -65.97248840332031f, 2.755349636077881f, 63.20581817626953f,
	-53.977317810058594f, 34.9716682434082f, 18.020076751708984f, -9999.0f };
static const float f32nd_l2[] = {
	-5.068685054779053f, -21.144960403442383f, -19.041330337524414f, 25.500329971313477f };
/* near: 1 band(s) 7x5, gdaladdo -r nearest: 4x3, 2x2 */
static const uint8_t near_in[] = {
	100, 211, 23, 86, 218, 63, 79, 224, 236, 35, 16, 34, 243, 67, 6, 213, 60, 31, 167, 51,
	211, 237, 78, 224, 194, 177, 129, 36, 134, 182, 83, 254, 100, 176, 113 };
static const uint8_t near_l1[] = {
	100, 23, 218, 63, 6, 60, 167, 51, 237, 224, 177, 129 };
static const uint8_t near_l2[] = {
	100, 218, 237, 177 };
/* mode: 2 band(s) 7x5, gdaladdo -r mode (nodata 2): 4x3, 2x2 */
static const uint8_t mode_in[] = {
	1, 1, 0, 0, 2, 1, 2, 0, 2, 1, 1, 1, 1, 0, 1, 0, 2, 1, 1, 0, 1, 1, 0, 0, 1, 2, 1, 1, 1,
	0, 2, 2, 1, 2, 1, 2, 0, 0, 2, 1, 2, 2, 2, 2, 1, 0, 1, 1, 1, 0, 1, 2, 0, 0, 0, 2, 1, 0,
	2, 0, 0, 1, 0, 1, 1, 2, 0, 0, 1, 0 };
static const uint8_t mode_l1[] = {
	1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0 };
static const uint8_t mode_l2[] = {
	1, 0, 1, 1, 1, 0, 1, 0 };
/* mode16: 1 band(s) 7x5, gdaladdo -r mode: 4x3, 2x2 */
static const uint16_t mode16_in[] = {
	2000, 0, 1000, 1000, 2000, 1000, 2000, 2000, 1000, 0, 2000, 1000, 2000, 0, 0, 2000,
	1000, 1000, 0, 2000, 1000, 1000, 1000, 1000, 1000, 0, 0, 0, 1000, 0, 1000, 0, 1000,
	2000, 2000 };
static const uint16_t mode16_l1[] = {
	2000, 1000, 1000, 2000, 1000, 1000, 2000, 0, 1000, 1000, 0, 0 };
static const uint16_t mode16_l2[] = {
	1000, 2000, 1000, 0 };
/* u8cog: 1 band 5x7, gdal.RegenerateOverview average onto 2x3 (the COG driver's floor sizes) */
static const uint8_t u8cog_in[] = {
	172, 128, 12, 5, 190, 102, 229, 228, 162, 75, 117, 39, 136, 2, 27, 145, 157, 55, 223,
	84, 74, 199, 169, 227, 191, 59, 118, 49, 85, 74, 231, 245, 206, 2, 116 };
static const uint8_t u8cog_l1[] = {
	142, 100, 123, 126, 154, 98 };

#define N(a)	(sizeof (a) / sizeof (a)[0])

static const struct level_case {
	const char		*name;
	enum reduce_method	 method;
	enum sample_format	 format;
	uint32_t		 samples, width, height;
	int			 has_nodata, cog;
	double			 nodata;
	const void		*in, *l1, *l2;
} cases[] = {
	{ "uint8 odd", REDUCE_AVERAGE, SAMPLE_UINT8, 1, 7, 5, 0, 0, 0, u8odd_in, u8odd_l1, u8odd_l2 },
	{ "uint8 rgb", REDUCE_AVERAGE, SAMPLE_UINT8, 3, 6, 4, 0, 0, 0, u8rgb_in, u8rgb_l1, NULL },
	{ "uint8 nodata", REDUCE_AVERAGE, SAMPLE_UINT8, 1, 7, 5, 1, 0, 0, u8nd_in, u8nd_l1, u8nd_l2 },
	{ "uint16", REDUCE_AVERAGE, SAMPLE_UINT16, 1, 6, 5, 0, 0, 0, u16_in, u16_l1, u16_l2 },
	{ "int16", REDUCE_AVERAGE, SAMPLE_INT16, 1, 6, 5, 0, 0, 0, i16_in, i16_l1, i16_l2 },
	{ "float32", REDUCE_AVERAGE, SAMPLE_FLOAT32, 1, 10, 4, 0, 0, 0, f32_in, f32_l1, NULL },
	{ "float32 nodata", REDUCE_AVERAGE, SAMPLE_FLOAT32, 1, 7, 5, 1, 0, -9999, f32nd_in, f32nd_l1,
	    f32nd_l2 },
	{ "nearest", REDUCE_NEAREST, SAMPLE_UINT8, 1, 7, 5, 0, 0, 0, near_in, near_l1, near_l2 },
	{ "mode nodata", REDUCE_MODE, SAMPLE_UINT8, 2, 7, 5, 1, 0, 2, mode_in, mode_l1, mode_l2 },
	{ "mode uint16", REDUCE_MODE, SAMPLE_UINT16, 1, 7, 5, 0, 0, 0, mode16_in, mode16_l1,
	    mode16_l2 },
	{ "uint8 cog", REDUCE_AVERAGE, SAMPLE_UINT8, 1, 5, 7, 0, 1, 0, u8cog_in, u8cog_l1, NULL },
};

/* The reduction of case c's level of w×h to the next one. */
static struct reduce
level_of(const struct level_case *c, uint32_t w, uint32_t h)
{
	struct reduce	g = { .method = c->method, .format = c->format,
			    .samples = c->samples, .src_width = w, .src_height = h,
			    .width = reduce_half(w, c->cog), .height = reduce_half(h, c->cog),
			    .has_nodata = c->has_nodata, .nodata = c->nodata };

	return g;
}

static size_t
level_bytes(const struct reduce *g)
{
	return (size_t)g->width * g->height * g->samples * (sample_bits(g->format) / 8);
}

/* Reduce in one call and compare with GDAL's; returns the output for the next level. */
static void *
check_level(const struct level_case *c, const struct reduce *g, const void *in,
    const void *want, int level)
{
	void	*out = calloc(1, level_bytes(g));
	char	*cause = NULL;

	ck_assert_int_eq(reduce_rows(g, in, 0, g->src_height, 0, g->height, out, &cause), 0);
	ck_assert_msg(memcmp(out, want, level_bytes(g)) == 0, "%s: level %d differs from GDAL's",
	    c->name, level);
	return out;
}

START_TEST(test_gdal)
{
	const struct level_case	*c = &cases[_i];
	struct reduce		 g = level_of(c, c->width, c->height), g2;
	void			*l1 = check_level(c, &g, c->in, c->l1, 1);

	if (c->l2 != NULL) {
		g2 = level_of(c, g.width, g.height);
		free(check_level(c, &g2, l1, c->l2, 2));
	}
	free(l1);
}
END_TEST

/* Row by row, each from only the source rows reduce_source_rows() names: the same rows. */
START_TEST(test_rows)
{
	const struct level_case	*c = &cases[_i];
	struct reduce		 g = level_of(c, c->width, c->height);
	size_t			 in_row = (size_t)g.src_width * g.samples * (sample_bits(g.format) / 8);
	size_t			 out_row = level_bytes(&g) / g.height;
	uint8_t			*out = calloc(1, level_bytes(&g)), *rows;
	uint32_t		 y, s0, s1;
	char			*cause = NULL;

	for (y = 0; y < g.height; y++) {
		reduce_source_rows(&g, y, y + 1, &s0, &s1);
		ck_assert_uint_lt(s0, s1);
		ck_assert_uint_le(s1, g.src_height);
		rows = malloc((s1 - s0) * in_row);
		memcpy(rows, (const uint8_t *)c->in + s0 * in_row, (s1 - s0) * in_row);
		ck_assert_int_eq(reduce_rows(&g, rows, s0, s1, y, y + 1, out + y * out_row,
		    &cause), 0);
		free(rows);
	}
	ck_assert_msg(memcmp(out, c->l1, level_bytes(&g)) == 0, "%s: rows differ", c->name);
	free(out);
}
END_TEST

/* Odd heights reach past a pair of rows; even ones keep to rows 2y and 2y + 1. */
START_TEST(test_source_rows)
{
	struct reduce	g = { .method = REDUCE_AVERAGE, .format = SAMPLE_UINT8, .samples = 1,
			    .src_width = 4, .src_height = 13, .width = 2, .height = 7 };
	uint32_t	s0, s1;

	reduce_source_rows(&g, 3, 4, &s0, &s1);
	ck_assert_uint_eq(s0, 5);
	ck_assert_uint_eq(s1, 8);
	g.src_height = 14;
	reduce_source_rows(&g, 3, 5, &s0, &s1);
	ck_assert_uint_eq(s0, 6);
	ck_assert_uint_eq(s1, 10);
	g.method = REDUCE_NEAREST;
	g.src_height = 13;
	reduce_source_rows(&g, 3, 4, &s0, &s1);
	ck_assert_uint_eq(s0, 6);
	ck_assert_uint_eq(s1, 7);
}
END_TEST

/* Missing rows and sizes that are not a halving are refused with a reason. */
START_TEST(test_refused)
{
	struct reduce	g = { .method = REDUCE_AVERAGE, .format = SAMPLE_UINT8, .samples = 1,
			    .src_width = 7, .src_height = 5, .width = 4, .height = 3 };
	uint8_t		out[4];
	char		*cause = NULL;

	ck_assert_int_eq(reduce_rows(&g, u8odd_in, 0, 1, 0, 1, out, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "need source rows 0 to 2"));
	free(cause);
	g.width = 2;
	ck_assert_int_eq(reduce_rows(&g, u8odd_in, 0, 5, 0, 1, out, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "not half"));
	free(cause);
}
END_TEST

/* A mean equal to nodata moves off it, as gdaladdo's did for these 2×2 images. */
START_TEST(test_replacement)
{
	static const uint16_t	u16[] = { 99, 101, 99, 101 };
	static const int16_t	i16[] = { -4, -6, -4, -6 };
	static const float	f32[] = { 4, 6, 4, 6 };
	struct reduce		g = { .method = REDUCE_AVERAGE, .format = SAMPLE_UINT16,
				    .samples = 1, .src_width = 2, .src_height = 2, .width = 1,
				    .height = 1, .has_nodata = 1, .nodata = 100 };
	uint16_t		u;
	int16_t			i;
	float			f;
	char			*cause = NULL;

	ck_assert_int_eq(reduce_rows(&g, u16, 0, 2, 0, 1, &u, &cause), 0);
	ck_assert_uint_eq(u, 101);
	g.format = SAMPLE_INT16;
	g.nodata = -5;
	ck_assert_int_eq(reduce_rows(&g, i16, 0, 2, 0, 1, &i, &cause), 0);
	ck_assert_int_eq(i, -4);
	g.format = SAMPLE_FLOAT32;
	g.nodata = 5;
	ck_assert_int_eq(reduce_rows(&g, f32, 0, 2, 0, 1, &f, &cause), 0);
	ck_assert_float_eq(f, 5.0000005f);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_uint_eq(reduce_half(7, 0), 4);
	ck_assert_uint_eq(reduce_half(7, 1), 3);
	ck_assert_uint_eq(reduce_half(1, 1), 1);
	ck_assert_uint_eq(reduce_half(8, 0), 4);
	ck_assert_int_eq(reduce_parse("average"), REDUCE_AVERAGE);
	ck_assert_int_eq(reduce_parse("nearest"), REDUCE_NEAREST);
	ck_assert_int_eq(reduce_parse("mode"), REDUCE_MODE);
	ck_assert_int_eq(reduce_parse("cubic"), -1);
}
END_TEST

Suite *
reduce_suite(void)
{
	Suite	*s = suite_create("reduce");
	TCase	*tc = tcase_create("reduce");

	tcase_add_loop_test(tc, test_gdal, 0, N(cases));
	tcase_add_loop_test(tc, test_rows, 0, N(cases));
	tcase_add_test(tc, test_source_rows);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_replacement);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
