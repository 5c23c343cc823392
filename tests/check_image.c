/* check_image.c — TIFF -> image.bit -> TIFF round trips, and the refusals. */
#include <config.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "master.h"
#include "tests.h"

struct kind {
	uint32_t	w, h;
	uint16_t	spp, bits, planar, compression;
	uint32_t	tile;		/* 0: strips */
	uint16_t	extra;		/* EXTRASAMPLE_* when spp is 2 or 4 */
	uint16_t	photometric;	/* 0: gray or RGB by samples */
};

static uint8_t *
pixels(const struct kind *k)
{
	size_t	 n = (size_t)k->w * k->h * k->spp * k->bits / 8, i;
	uint8_t	*p = malloc(n);

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 13);
	return p;
}

/* Write a TIFF of kind k with libtiff, from interleaved pixels px. */
static void
write_tiff(const char *path, const struct kind *k, const uint8_t *px)
{
	TIFF		*t = TIFFOpen(path, "w");
	size_t		 bps = k->bits / 8, pixel = k->spp * bps;
	uint32_t	 cw = k->tile ? k->tile : k->w, ch = k->tile ? k->tile : 5;
	uint32_t	 x, y, r, c, s, planes = k->planar == PLANARCONFIG_SEPARATE ? k->spp : 1;
	uint16_t	 cspp = planes > 1 ? 1 : k->spp;
	uint8_t		*chunk = calloc((size_t)cw * ch, pixel), *q;

	ck_assert_ptr_nonnull(t);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, k->w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, k->h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, k->bits);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, k->spp);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, k->photometric ? k->photometric :
	    k->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, k->planar);
	TIFFSetField(t, TIFFTAG_COMPRESSION, k->compression);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 300.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 150.0);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	if (k->spp == 2 || k->spp == 4)
		TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &k->extra);
	if (k->tile) {
		TIFFSetField(t, TIFFTAG_TILEWIDTH, k->tile);
		TIFFSetField(t, TIFFTAG_TILELENGTH, k->tile);
	} else
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, ch);
	for (y = 0; y < k->h; y += ch)
		for (x = 0; x < k->w; x += cw)
			for (c = 0; c < planes; c++) {
				memset(chunk, 0, (size_t)cw * ch * pixel);
				for (r = 0, q = chunk; r < ch; r++)
					for (s = 0; s < cw; s++, q += cspp * bps)
						if (y + r < k->h && x + s < k->w)
							memcpy(q, px + (((size_t)(y + r) * k->w + x + s) *
							    k->spp + c) * bps, cspp * bps);
				if (k->tile)
					ck_assert_int_ne(TIFFWriteTile(t, chunk, x, y, 0, c), -1);
				else
					ck_assert_int_ne(TIFFWriteEncodedStrip(t,
					    TIFFComputeStrip(t, y, c), chunk,
					    (tmsize_t)cw * (k->h - y < ch ? k->h - y : ch) *
					    cspp * bps), -1);
			}
	TIFFClose(t);
	free(chunk);
}

/* image_decode()'s report of rows stored: only ever more of them. */
static void
count_rows(void *arg, uint32_t rows)
{
	uint32_t	*last = arg;

	ck_assert_uint_gt(rows, *last);
	*last = rows;
}

/* Decode path into a new buffer through image.bit in dir. */
static uint8_t *
decode(const char *dir, const char *path, struct image *im)
{
	char		*bit, *cause = NULL;
	int		 fd;
	size_t		 n;
	uint8_t		*buf;
	uint32_t	 rows = 0;

	ck_assert_msg(image_open(im, path, &cause) == 0, "%s", cause);
	ck_assert_int_ne(asprintf(&bit, "%s/image.bit", dir), -1);
	ck_assert_int_ge(fd = open(bit, O_RDWR|O_CREAT|O_TRUNC, 0600), 0);
	ck_assert_msg(image_decode(im, fd, count_rows, &rows, &cause) == 0, "%s",
	    cause);
	ck_assert_uint_eq(rows, im->height);
	n = (size_t)im->width * im->height * im->samples * im->bits / 8;
	buf = malloc(n);
	ck_assert_int_eq(pread(fd, buf, n, 0), (ssize_t)n);
	close(fd);
	free(bit);
	image_close(im, NULL);
	return buf;
}

static void
round_trip(const struct kind *k)
{
	char		*dir = test_dir(), *in, *out, *cause = NULL;
	uint8_t		*px = pixels(k), *got;
	size_t		 n = (size_t)k->w * k->h * k->spp * k->bits / 8;
	struct image	 im, o, back;
	uint32_t	 y;

	ck_assert_int_ne(asprintf(&in, "%s/in.tif", dir), -1);
	ck_assert_int_ne(asprintf(&out, "%s/out.tif", dir), -1);
	write_tiff(in, k, px);
	got = decode(dir, in, &im);
	ck_assert_uint_eq(im.width, k->w);
	ck_assert_uint_eq(im.samples, k->spp);
	ck_assert_uint_eq(im.bits, k->bits);
	ck_assert_int_eq(memcmp(got, px, n), 0);

	/* For blocks of 3 rows, its strips last first: they go where the strip table says. */
	ck_assert_msg(image_create(&o, out, &im, 3, &cause) == 0, "%s", cause);
	ck_assert_uint_eq(3 % o.strip_rows, 0);
	for (y = (k->h - 1) / o.strip_rows * o.strip_rows;; y -= o.strip_rows) {
		ck_assert_msg(image_write_strip(&o, y, got + y * (n / k->h),
		    k->h - y < o.strip_rows ? k->h - y : o.strip_rows, &cause) == 0,
		    "%s", cause);
		if (y == 0)
			break;
	}
	ck_assert_int_eq(image_close(&o, &cause), 0);
	free(got);
	got = decode(dir, out, &back);
	ck_assert_int_eq(memcmp(got, px, n), 0);
	ck_assert_uint_eq(back.compression, k->compression);
	ck_assert_uint_eq(back.photometric, im.photometric);
	if (k->photometric != 0)
		ck_assert_uint_eq(back.photometric, k->photometric);
	ck_assert_uint_eq(back.alpha, im.alpha);
	ck_assert_float_eq(back.xres, 300);
	ck_assert_float_eq(back.yres, 150);
	free(got);
	free(px);
	free(in);
	free(out);
	test_rmdir(dir);
}

START_TEST(test_round_trips)
{
	static const struct kind kinds[] = {
		{ 1, 1, 1, 8, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0, 0 },
		{ 33, 21, 1, 16, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 0, 0 },
		{ 33, 21, 2, 8, PLANARCONFIG_SEPARATE, COMPRESSION_ADOBE_DEFLATE, 0,
		    EXTRASAMPLE_UNASSALPHA, 0 },
		{ 33, 21, 3, 8, PLANARCONFIG_CONTIG, COMPRESSION_PACKBITS, 16, 0, 0 },
		{ 40, 37, 3, 16, PLANARCONFIG_SEPARATE, COMPRESSION_NONE, 16, 0, 0 },
		{ 17, 50, 4, 8, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0,
		    EXTRASAMPLE_UNASSALPHA, 0 },
		{ 17, 50, 4, 16, PLANARCONFIG_SEPARATE, COMPRESSION_ADOBE_DEFLATE, 32,
		    EXTRASAMPLE_UNASSALPHA, 0 },
		{ 30, 20, 1, 8, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 0,
		    PHOTOMETRIC_MINISWHITE },
		{ 30, 20, 1, 16, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 16, 0,
		    PHOTOMETRIC_MINISWHITE },
		/* Strips of 4.4 MB, over SCANLINE_BAND: decoded a scanline at a time. */
		{ 110000, 12, 4, 16, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0,
		    EXTRASAMPLE_UNASSALPHA, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		round_trip(&kinds[i]);
}
END_TEST

START_TEST(test_associated_alpha_divided_out)
{
	struct kind	 k = { 2, 1, 2, 8, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0,
			    EXTRASAMPLE_ASSOCALPHA, 0 };
	uint8_t		 px[] = { 50, 100, 0, 0 }, *got;
	char		*dir = test_dir(), *in;
	struct image	 im;

	ck_assert_int_ne(asprintf(&in, "%s/in.tif", dir), -1);
	write_tiff(in, &k, px);
	got = decode(dir, in, &im);
	ck_assert_uint_eq(got[0], 128);		/* 50 / (100 / 255), rounded */
	ck_assert_uint_eq(got[1], 100);
	ck_assert_uint_eq(got[2], 0);
	ck_assert_uint_eq(im.alpha, EXTRASAMPLE_UNASSALPHA);
	free(got);
	free(in);
	test_rmdir(dir);
}
END_TEST

/* image_open must refuse path with a cause containing `what`. */
static void
refused(const char *path, const char *what)
{
	struct image	 im;
	char		*cause = NULL;

	ck_assert_int_eq(image_open(&im, path, &cause), -1);
	ck_assert_msg(strstr(cause, what) != NULL, "'%s' lacks '%s'", cause, what);
	ck_assert_ptr_null(strchr(cause, '\n'));
	free(cause);
}

START_TEST(test_refusals)
{
	char	*dir = test_dir(), *path;
	FILE	*f;
	TIFF	*t;
	float	 row[4] = { 0 };

	ck_assert_int_ne(asprintf(&path, "%s/text.tif", dir), -1);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("this is not an image\n", f);
	fclose(f);
	refused(path, "not a readable TIFF");
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	refused(path, "empty file");
	refused(dir, "is a directory");
	free(path);
	ck_assert_int_ne(asprintf(&path, "%s/missing.tif", dir), -1);
	refused(path, "No such file");
	free(path);

	ck_assert_int_ne(asprintf(&path, "%s/u64.tif", dir), -1);
	ck_assert_ptr_nonnull(t = TIFFOpen(path, "w"));
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 2);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 64);
	TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	TIFFWriteScanline(t, row, 0, 0);
	TIFFClose(t);
	refused(path, "64-bit unsigned samples are not supported");
	free(path);
	test_rmdir(dir);
}
END_TEST

/* The TIFF version an output of w x h 8-bit gray starts with: 42 classic, 43 BigTIFF. */
static int
output_version(uint32_t w, uint32_t h)
{
	struct image	 like = { .width = w, .height = h, .samples = 1, .bits = 8, .format = SAMPLE_UINT8,
			    .photometric = PHOTOMETRIC_MINISBLACK,
			    .compression = COMPRESSION_NONE, .orientation = 1 }, o;
	char		*dir = test_dir(), *out, *cause = NULL;
	unsigned char	 head[4];
	int		 fd;

	ck_assert_int_ne(asprintf(&out, "%s/out.tif", dir), -1);
	ck_assert_msg(image_create(&o, out, &like, h, &cause) == 0, "%s", cause);
	fd = open(out, O_RDONLY);
	ck_assert_int_eq(read(fd, head, sizeof head), 4);
	close(fd);
	image_close(&o, NULL);	/* no rows: libtiff may complain */
	unlink(out);
	free(out);
	test_rmdir(dir);
	return head[0] == 'I' ? head[2] | head[3] << 8 : head[3] | head[2] << 8;
}

START_TEST(test_bigtiff_over_4gib)
{
	ck_assert_int_eq(output_version(1000, 1000), 42);
	ck_assert_int_eq(output_version(60000, 60000), 42);	/* 3.35 GiB */
	ck_assert_int_eq(output_version(66000, 66000), 43);	/* 4.06 GiB */
}
END_TEST

START_TEST(test_output_names)
{
	static const char *const cases[][2] = {
		{ "photo.tif", "photo-blur.tif" },
		{ "photos/img.tif", "photos/img-blur.tif" },
		{ "a.b/c", "a.b/c-blur" },
		{ "x.y.tiff", "x.y-blur.tiff" },
		{ ".tif", ".tif-blur" },
		{ "/abs/dir/.hidden.tif", "/abs/dir/.hidden-blur.tif" },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = master_output_name(cases[i][0]);
		ck_assert_str_eq(s, cases[i][1]);
		free(s);
	}
}
END_TEST

START_TEST(test_default_rows)
{
	ck_assert_uint_eq(master_default_rows(1, 4), 1);
	ck_assert_uint_eq(master_default_rows(600, 4), 16);
	ck_assert_uint_eq(master_default_rows(600, 10), 20);
	ck_assert_uint_eq(master_default_rows(8000, 4), 125);
}
END_TEST

Suite *
image_suite(void)
{
	Suite	*s = suite_create("image");
	TCase	*tc = tcase_create("image");

	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_associated_alpha_divided_out);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_bigtiff_over_4gib);
	tcase_add_test(tc, test_output_names);
	tcase_add_test(tc, test_default_rows);
	suite_add_tcase(s, tc);
	return s;
}
