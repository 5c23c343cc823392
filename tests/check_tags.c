/* check_tags.c — tags.h: the tags carried from an input to its output, and GDAL_NODATA. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "tags.h"
#include "tests.h"
#include "util.h"

#define TAG_GDAL_METADATA	42112
#define TAG_GDAL_NODATA		42113

static const TIFFFieldInfo gdal_fields[] = {
	{ TAG_GDAL_METADATA, -1, -1, TIFF_ASCII, FIELD_CUSTOM, 1, 0, "GDALMetadata" },
	{ TAG_GDAL_NODATA, -1, -1, TIFF_ASCII, FIELD_CUSTOM, 1, 0, "GDALNoDataValue" },
};

/* An 8x4 gray image's first tags, as image.c sets its output's. */
static void
set_image(TIFF *tif)
{
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 4);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 4);
}

/* Write the image's one strip and close. */
static void
finish(TIFF *tif)
{
	unsigned char	px[32] = { 0 };

	ck_assert_int_eq(TIFFWriteEncodedStrip(tif, 0, px, sizeof px), sizeof px);
	TIFFClose(tif);
}

/* An input at path with Artist, MinSampleValue and, unless NULL, GDAL's two tags. */
static void
make_input(const char *path, const char *nodata, const char *metadata)
{
	TIFF	*tif = TIFFOpen(path, "w");

	ck_assert_ptr_nonnull(tif);
	TIFFMergeFieldInfo(tif, gdal_fields, 2);
	set_image(tif);
	TIFFSetField(tif, TIFFTAG_ARTIST, "an artist");
	TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, "a description");
	TIFFSetField(tif, TIFFTAG_MINSAMPLEVALUE, 3);
	TIFFSetField(tif, TIFFTAG_MAXSAMPLEVALUE, 200);
	if (nodata != NULL)
		TIFFSetField(tif, TAG_GDAL_NODATA, nodata);
	if (metadata != NULL)
		TIFFSetField(tif, TAG_GDAL_METADATA, metadata);
	finish(tif);
}

/* The tags of the input at path. */
static struct tags *
read_tags(const char *path)
{
	TIFF		*tif = TIFFOpen(path, "r");
	struct tags	*tags;

	ck_assert_ptr_nonnull(tif);
	tags = tags_read(tif, PHOTOMETRIC_MINISBLACK);
	TIFFClose(tif);
	return tags;
}

/* Write an output at path carrying tags. */
static void
make_output(const char *path, const struct tags *tags)
{
	TIFF	*tif = TIFFOpen(path, "w");
	char	*cause = NULL;

	ck_assert_ptr_nonnull(tif);
	set_image(tif);
	ck_assert_int_eq(tags_write(tags, tif, 1, &cause), 0);
	finish(tif);
}

/* A string tag of the file at path as libtiff reads it back, or NULL (freed by caller). */
static char *
string_tag(const char *path, uint32_t tag)
{
	TIFF		*tif = TIFFOpen(path, "r");
	const TIFFField	*fip;
	char		*s = NULL, *v = NULL;
	uint32_t	 count;

	ck_assert_ptr_nonnull(tif);
	if ((fip = TIFFFindField(tif, tag, TIFF_ANY)) != NULL &&
	    (TIFFFieldPassCount(fip) ? TIFFGetField(tif, tag, &count, &s) :
	    TIFFGetField(tif, tag, &s)) && s != NULL)
		v = xstrdup(s);
	TIFFClose(tif);
	return v;
}

/* Whether the file at path has tag set (room for any value TIFFGetField() gives). */
static int
has_tag(const char *path, uint32_t tag)
{
	TIFF		*tif = TIFFOpen(path, "r");
	uint64_t	 room[4];
	int		 found;

	ck_assert_ptr_nonnull(tif);
	found = TIFFFindField(tif, tag, TIFF_ANY) != NULL &&
	    TIFFGetField(tif, tag, &room[0], &room[1], &room[2]);
	TIFFClose(tif);
	return found;
}

START_TEST(test_carried)
{
	static const char	meta[] = "<GDALMetadata>\n"
	    "  <Item name=\"STATISTICS_MAXIMUM\" sample=\"0\">200</Item>\n"
	    "  <Item name=\"SENSOR\">blur-test</Item>\n"
	    "  <Item name=\"STATISTICS_MEAN\" sample=\"0\">80</Item>\n"
	    "</GDALMetadata>\n";
	char		*dir = test_dir(), *in = xasprintf("%s/in.tif", dir);
	char		*out = xasprintf("%s/out.tif", dir), *s;
	struct tags	*tags;
	double		 v;

	make_input(in, "-9999 ", meta);
	tags = read_tags(in);
	ck_assert_int_eq(tags_nodata(tags, &v), 1);
	ck_assert_double_eq(v, -9999);
	make_output(out, tags);
	tags_free(tags);
	ck_assert_ptr_nonnull(s = string_tag(out, TIFFTAG_ARTIST));
	ck_assert_str_eq(s, "an artist");
	free(s);
	ck_assert_ptr_nonnull(s = string_tag(out, TIFFTAG_IMAGEDESCRIPTION));
	ck_assert_str_eq(s, "a description");
	free(s);
	/* The input's range is no longer the output's. */
	ck_assert_int_eq(has_tag(in, TIFFTAG_MINSAMPLEVALUE), 1);
	ck_assert_int_eq(has_tag(out, TIFFTAG_MINSAMPLEVALUE), 0);
	ck_assert_int_eq(has_tag(out, TIFFTAG_MAXSAMPLEVALUE), 0);
	/* GDAL's metadata without the input's statistics; its nodata as it was. */
	ck_assert_ptr_nonnull(s = string_tag(out, TAG_GDAL_METADATA));
	ck_assert_ptr_nonnull(strstr(s, "<Item name=\"SENSOR\">blur-test</Item>"));
	ck_assert_ptr_null(strstr(s, "STATISTICS_"));
	free(s);
	tags = read_tags(out);
	ck_assert_int_eq(tags_nodata(tags, &v), 1);
	ck_assert_double_eq(v, -9999);
	tags_free(tags);
	free(in);
	free(out);
	test_rmdir(dir);
}
END_TEST

/* Metadata of nothing but statistics goes altogether. */
START_TEST(test_statistics_only)
{
	char		*dir = test_dir(), *in = xasprintf("%s/in.tif", dir);
	char		*out = xasprintf("%s/out.tif", dir);
	struct tags	*tags;

	make_input(in, NULL, "<GDALMetadata>\n"
	    "  <Item name=\"STATISTICS_MINIMUM\" sample=\"0\">3</Item>\n</GDALMetadata>\n");
	tags = read_tags(in);
	make_output(out, tags);
	tags_free(tags);
	ck_assert_int_eq(has_tag(in, TAG_GDAL_METADATA), 1);
	ck_assert_int_eq(has_tag(out, TAG_GDAL_METADATA), 0);
	ck_assert_int_eq(has_tag(out, TIFFTAG_ARTIST), 1);
	free(in);
	free(out);
	test_rmdir(dir);
}
END_TEST

/* GDAL_NODATA: a number, "nan", or nothing usable. */
START_TEST(test_nodata)
{
	static const struct {
		const char	*text;
		int		 is;
		double		 v;
	} cases[] = {
		{ "0", 1, 0 }, { "-9999", 1, -9999 }, { " 3.5", 1, 3.5 }, { "1e3\n", 1, 1000 },
		{ "nan", 1, NAN }, { "-nan", 1, NAN }, { "", 0, 0 }, { "abc", 0, 0 },
		{ "12 apples", 0, 0 }, { NULL, 0, 0 },
	};
	char		*dir = test_dir(), *in = xasprintf("%s/in.tif", dir);
	struct tags	*tags;
	double		 v;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		make_input(in, cases[i].text, NULL);
		tags = read_tags(in);
		v = 12345;
		ck_assert_msg(tags_nodata(tags, &v) == cases[i].is, "'%s'", cases[i].text);
		if (cases[i].is && isnan(cases[i].v))
			ck_assert_msg(isnan(v), "'%s': %g", cases[i].text, v);
		else if (cases[i].is)
			ck_assert_double_eq(v, cases[i].v);
		else
			ck_assert_double_eq(v, 12345);
		tags_free(tags);
	}
	/* "No tags" everywhere. */
	ck_assert_int_eq(tags_nodata(NULL, &v), 0);
	tags_free(NULL);
	make_output(in, NULL);
	ck_assert_int_eq(has_tag(in, TIFFTAG_ARTIST), 0);
	free(in);
	test_rmdir(dir);
}
END_TEST

/* The GDAL tags, unknown to libtiff, are what these tests are about: no warnings. */
static void
quiet(void)
{
	TIFFSetWarningHandler(NULL);
}

Suite *
tags_suite(void)
{
	Suite	*s = suite_create("tags");
	TCase	*tc = tcase_create("tags");

	tcase_add_checked_fixture(tc, quiet, NULL);

	tcase_add_test(tc, test_carried);
	tcase_add_test(tc, test_statistics_only);
	tcase_add_test(tc, test_nodata);
	suite_add_tcase(s, tc);
	return s;
}
