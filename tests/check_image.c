/* check_image.c — TIFF -> image.bit -> TIFF round trips, and the refusals. */
#include <config.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk.h"
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

/*
 * Set the tags of kind k on t, in strips of `rows` or in tiles: write_tiff()'s and
 * write_noise()'s files, the same kinds whatever writes their chunks.
 */
static void
set_kind(TIFF *t, const struct kind *k, uint32_t rows)
{
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, k->w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, k->h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, k->bits);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, k->spp);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, k->photometric ? k->photometric :
	    k->spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, k->planar);
	TIFFSetField(t, TIFFTAG_COMPRESSION, k->compression);
	if (k->spp == 2 || k->spp == 4)
		TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &k->extra);
	if (k->tile) {
		TIFFSetField(t, TIFFTAG_TILEWIDTH, k->tile);
		TIFFSetField(t, TIFFTAG_TILELENGTH, k->tile);
	} else
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
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
	set_kind(t, k, ch);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 300.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 150.0);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
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

	ck_assert_msg(image_open(im, path, 0, &cause) == 0, "%s", cause);
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

/* Where rows_match() cuts h rows in chunks of ch: sorted, each once. */
static size_t
cut_points(uint32_t h, uint32_t ch, uint32_t *at)
{
	const uint32_t	 want[] = { 0, 1, ch - 1, ch, ch + 1, ch + ch / 2, 2 * ch,
			    h > ch ? h - ch - 1 : 0, h > 1 ? h - 2 : 0, h - 1, h };
	size_t		 i, n = 0;
	uint32_t	 next;

	for (; n == 0 || at[n - 1] < h; at[n++] = next)
		for (i = 0, next = h; i < sizeof want / sizeof want[0]; i++)
			if (want[i] < next && (n == 0 || want[i] > at[n - 1]))
				next = want[i];
	return n;
}

/* The bytes handed to an image's raw(), in order. */
struct handed {
	uint8_t	*p;
	size_t	 n;
};

static void
collect(void *arg, const void *buf, size_t n)
{
	struct handed	*h = arg;

	ck_assert_ptr_nonnull(h->p = realloc(h->p, h->n + n));
	memcpy(h->p + h->n, buf, n);
	h->n += n;
}

/*
 * What a keyed slave hands over as it decodes rows [a, b) into `rows` is, byte for byte,
 * what image_stored() hands over for them: the bytes the master signs.
 */
static void
stored_match(struct image *im, uint32_t a, uint32_t b, uint8_t *rows)
{
	struct handed	 decoded = { 0 }, stored = { 0 };
	char		*cause = NULL;

	im->raw = collect;
	im->raw_arg = &decoded;
	ck_assert_msg(image_decode_rows(im, a, b, rows, &cause) == 0, "%s", cause);
	im->raw = NULL;
	ck_assert_msg(image_stored(im, a, b, collect, &stored, &cause) == 0, "%s", cause);
	ck_assert_msg(decoded.n == stored.n && memcmp(decoded.p, stored.p, stored.n) == 0,
	    "rows [%u, %u): %zu bytes handed over decoding, %zu stored", a, b, decoded.n,
	    stored.n);
	free(decoded.p);
	free(stored.p);
}

/* Rows [a, b) that image_raw_rows() places in the file are there, as decoded (rows). */
static void
raw_match(struct image *im, uint32_t a, uint32_t b, const uint8_t *rows)
{
	size_t		 len = (size_t)(b - a) * im->width * im->samples * im->bits / 8;
	uint8_t		*file = malloc(len);
	uint64_t	 off;

	if (image_raw_rows(im, a, b, &off) == 0) {
		ck_assert_int_eq(pread(TIFFFileno(im->tif), file, len, (off_t)off),
		    (ssize_t)len);
		ck_assert_msg(memcmp(file, rows, len) == 0,
		    "rows [%u, %u) are not at %ju in the file", a, b, (uintmax_t)off);
	}
	free(file);
}

/*
 * A slave's rows [a, b), for many ranges: from the first row, to the last, a single row,
 * starting and ending inside a strip or tile row, are the rows of the whole image decoded
 * (full), and nothing is written past them; where slaves decode a keyed job's input,
 * they hand over what the master signs.
 */
static void
rows_match(const char *path, const uint8_t *full)
{
	struct image	 im;
	char		*cause = NULL;
	uint32_t	 at[16], i, j, n;
	size_t		 row_bytes, len;
	uint8_t		*rows;

	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	row_bytes = (size_t)im.width * im.samples * im.bits / 8;
	n = cut_points(im.height, image_chunk_rows(&im), at);
	rows = malloc((im.height + 1) * row_bytes);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			len = (at[j] - at[i]) * row_bytes;
			memset(rows, 0xa5, len + row_bytes);
			ck_assert_msg(image_decode_rows(&im, at[i], at[j], rows, &cause) == 0,
			    "%s: rows [%u, %u): %s", path, at[i], at[j], cause);
			ck_assert_msg(memcmp(rows, full + at[i] * row_bytes, len) == 0,
			    "%s: rows [%u, %u) are not the image's", path, at[i], at[j]);
			ck_assert_msg(rows[len] == 0xa5 && rows[len + row_bytes - 1] == 0xa5,
			    "%s: rows [%u, %u) overrun", path, at[i], at[j]);
			if (image_master_decodes(&im, 1) == NULL)
				stored_match(&im, at[i], at[j], rows);
			raw_match(&im, at[i], at[j], rows);
		}
	free(rows);
	image_close(&im, NULL);
}

/*
 * Write px, the rows of an image like im, to out in layout l, in blocks of `block` rows,
 * the last block first: each compressed by chunk_encode(), as a slave does, and its
 * chunks placed by image_place(), as the master does.
 */
static void
write_blocks(const char *out, const struct image *im, const struct layout *l,
    uint32_t block, const uint8_t *px)
{
	struct job	 job = { .width = im->width, .height = im->height,
			    .samples = im->samples, .format = im->format, .bits = im->bits,
			    .rows = block, .blocks = (im->height - 1) / block + 1,
			    .layout = *l };
	size_t		 row_bytes = job_row_bytes(&job), off;
	struct chunks	 c = { 0 };
	struct image	 o;
	char		*cause = NULL;
	uint8_t		*rows = malloc(block * row_bytes);
	uint32_t	 n, i, first;

	ck_assert_msg(image_create(&o, out, im, l, 0, &cause) == 0, "%s", cause);
	if (l->compression == COMPRESSION_JPEG) {
		ck_assert_msg(chunk_tables(&c, &job, &cause) == 0, "%s", cause);
		ck_assert_int_eq(image_set_tables(&o, c.data, c.len, &cause), 0);
	}
	for (n = job.blocks; n-- > 0;) {
		memcpy(rows, px + job_block_y(&job, n) * row_bytes,
		    job_block_rows(&job, n) * row_bytes);
		ck_assert_msg(chunk_encode(&c, &job, job.width, job_block_rows(&job, n), rows, &cause) == 0, "%s", cause);
		first = layout_first(l, job.width, job_block_y(&job, n));
		for (i = 0, off = 0; i < c.count; off += c.sizes[i++])
			ck_assert_msg(image_place(&o, first + i, c.data + off, -1, 0,
			    c.sizes[i], &cause) == 0, "%s", cause);
	}
	ck_assert_int_eq(image_close(&o, &cause), 0);
	chunk_free(&c);
	free(rows);
}

static void
round_trip(const struct kind *k)
{
	char		*dir = test_dir(), *in, *out;
	uint8_t		*px = pixels(k), *got;
	size_t		 n = (size_t)k->w * k->h * k->spp * k->bits / 8;
	struct image	 im, back;
	struct layout	 l;

	ck_assert_int_ne(asprintf(&in, "%s/in.tif", dir), -1);
	ck_assert_int_ne(asprintf(&out, "%s/out.tif", dir), -1);
	write_tiff(in, k, px);
	got = decode(dir, in, &im);
	rows_match(in, got);
	ck_assert_uint_eq(im.width, k->w);
	ck_assert_uint_eq(im.samples, k->spp);
	ck_assert_uint_eq(im.bits, k->bits);
	ck_assert_int_eq(memcmp(got, px, n), 0);

	/* In strips of 3 rows, the last first: they go where the strip table says. */
	ck_assert_int_eq(image_layout(&im, &(struct layout_ask){ 0 }, &l, NULL), 0);
	l.rows = 3;
	write_blocks(out, &im, &l, 3, got);
	free(got);
	got = decode(dir, out, &back);
	ck_assert_int_eq(memcmp(got, px, n), 0);
	rows_match(out, got);
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

/* A colour map of as many entries as the file's bits allow, all different. */
static void
ramp_map(TIFF *t)
{
	static uint16_t	r[256], g[256], b[256];
	uint16_t	bits, i;

	TIFFGetField(t, TIFFTAG_BITSPERSAMPLE, &bits);
	for (i = 0; i < 1u << bits; i++) {
		r[i] = i * 257;
		g[i] = 65535 - i * 257;
		b[i] = i * 4099;
	}
	TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
}

/* Tiles of 32 made 32x48. */
static void
tiles_48_high(TIFF *t)
{
	TIFFSetField(t, TIFFTAG_TILELENGTH, 48);
}

/* RGB given to libtiff's JPEG codec, stored as YCbCr: what cameras write. */
static void
ycbcr_jpeg(TIFF *t)
{
	TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
}

/*
 * A TIFF of kind k at path whose chunks are noise, for depths write_tiff() cannot
 * write; strips of `rows`, or tiles; more() sets what else it needs, after the
 * compression, which some of its tags depend on.
 */
static void
write_noise(const char *path, const struct kind *k, uint32_t rows,
    void (*more)(TIFF *))
{
	TIFF		*t = TIFFOpen(path, "w");
	uint32_t	 i, n, per, y;
	tmsize_t	 size, j;
	uint8_t		*chunk;

	ck_assert_ptr_nonnull(t);
	set_kind(t, k, rows);
	if (more != NULL)
		more(t);
	n = k->tile ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t);
	per = k->tile ? 1 : (k->h - 1) / rows + 1;	/* strips in a plane */
	chunk = malloc(k->tile ? TIFFTileSize(t) : TIFFStripSize(t));
	for (i = 0; i < n; i++) {
		y = i % per * rows;
		size = k->tile ? TIFFTileSize(t) :
		    TIFFVStripSize(t, k->h - y < rows ? k->h - y : rows);
		for (j = 0; j < size; j++)
			chunk[j] = (uint8_t)((i + 1) * 0x9e3779b1u * (j + 7) >> 13);
		ck_assert_int_ne(k->tile ? TIFFWriteEncodedTile(t, i, chunk, size) :
		    TIFFWriteEncodedStrip(t, i, chunk, size), -1);
	}
	TIFFClose(t);
	free(chunk);
}

/*
 * A slave's rows are the whole image's where pixels are widened, looked up in a palette,
 * or converted through libtiff's RGBA interface (YCbCr JPEG, decoded whole strips or
 * tile rows at a time).
 */
START_TEST(test_decode_rows_widened_converted)
{
	static const struct {
		struct kind	 k;
		uint32_t	 rows;		/* of a strip */
		void		(*more)(TIFF *);
		int		 convert;
	} cases[] = {
		{ { 23, 37, 1, 12, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 0,
		    PHOTOMETRIC_MINISBLACK }, 5, NULL, 0 },
		{ { 37, 41, 3, 4, PLANARCONFIG_CONTIG, COMPRESSION_ADOBE_DEFLATE, 16, 0,
		    PHOTOMETRIC_RGB }, 0, NULL, 0 },
		{ { 45, 30, 1, 1, PLANARCONFIG_CONTIG, COMPRESSION_PACKBITS, 0, 0,
		    PHOTOMETRIC_MINISBLACK }, 7, NULL, 0 },
		{ { 33, 35, 2, 2, PLANARCONFIG_SEPARATE, COMPRESSION_NONE, 16,
		    EXTRASAMPLE_UNASSALPHA, PHOTOMETRIC_MINISBLACK }, 0, NULL, 0 },
		{ { 10, 11, 1, 24, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0,
		    PHOTOMETRIC_MINISBLACK }, 3, NULL, 0 },
		{ { 30, 21, 1, 8, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 0,
		    PHOTOMETRIC_PALETTE }, 4, ramp_map, 0 },
		{ { 37, 33, 1, 4, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 16, 0,
		    PHOTOMETRIC_PALETTE }, 0, ramp_map, 0 },
		{ { 40, 50, 3, 8, PLANARCONFIG_CONTIG, COMPRESSION_JPEG, 0, 0,
		    PHOTOMETRIC_YCBCR }, 16, ycbcr_jpeg, 1 },
		{ { 40, 50, 3, 8, PLANARCONFIG_CONTIG, COMPRESSION_JPEG, 16, 0,
		    PHOTOMETRIC_YCBCR }, 0, ycbcr_jpeg, 1 },
	};
	char		*dir = test_dir(), *path;
	struct image	 im;
	uint8_t		*full;
	size_t		 i;

	ck_assert_int_ne(asprintf(&path, "%s/in.tif", dir), -1);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_noise(path, &cases[i].k, cases[i].rows, cases[i].more);
		full = decode(dir, path, &im);
		ck_assert_int_eq(im.convert, cases[i].convert);
		ck_assert_int_eq(im.widen, cases[i].k.bits % 8 != 0 ||
		    cases[i].k.bits == 24 ||
		    cases[i].k.photometric == PHOTOMETRIC_PALETTE);
		rows_match(path, full);
		free(full);
		unlink(path);
	}
	free(path);
	test_rmdir(dir);
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

	ck_assert_int_eq(image_open(&im, path, 0, &cause), -1);
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

/* A one-strip TIFF of w x h stored as `raw` says, with tags from `more` (or NULL). */
static char *
write_raw(const char *dir, uint32_t w, uint32_t h, uint16_t spp, uint16_t bits,
    uint16_t format, uint16_t photometric, const void *raw, size_t n,
    void (*more)(TIFF *))
{
	char	*path;
	TIFF	*t;

	ck_assert_int_ne(asprintf(&path, "%s/raw.tif", dir), -1);
	ck_assert_ptr_nonnull(t = TIFFOpen(path, "w"));
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bits);
	TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, format);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photometric);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
	if (more != NULL)
		more(t);
	ck_assert_int_eq(TIFFWriteRawStrip(t, 0, (void *)raw, (tmsize_t)n), (tmsize_t)n);
	TIFFClose(t);
	return path;
}

/* Decode what write_raw() makes and compare image.bit's bytes with `want`. */
static struct image
expect_held(uint32_t w, uint32_t h, uint16_t spp, uint16_t bits, uint16_t format,
    uint16_t photometric, const void *raw, size_t n, void (*more)(TIFF *),
    enum sample_format held, const void *want, size_t want_n)
{
	char		*dir = test_dir(), *path = write_raw(dir, w, h, spp, bits,
			    format, photometric, raw, n, more);
	struct image	 im;
	uint8_t		*got = decode(dir, path, &im);

	ck_assert_str_eq(sample_name(im.format), sample_name(held));
	ck_assert_uint_eq(im.bits, sample_bits(held));
	ck_assert_uint_eq((size_t)im.width * im.height * im.samples * im.bits / 8, want_n);
	ck_assert_int_eq(memcmp(got, want, want_n), 0);
	free(got);
	free(path);
	test_rmdir(dir);
	return im;
}

START_TEST(test_depths_widened)
{
	static const uint8_t	 g12[] = { 0x00, 0x03, 0xe8, 0x7d, 0x0f, 0xff };
	static const uint16_t	 w12[] = { 0, 16004, 32007, 65535 };
	static const uint8_t	 g1 = 0xa5, w1[] = { 255, 0, 255, 0, 0, 255, 0, 255 };
	static const uint8_t	 g24[] = { 0, 0, 1, 0xff, 0xff, 0xff };	/* high byte first */
	static const uint32_t	 w24[] = { 256, 4294967295u };
	static const uint8_t	 rgb4[] = { 0x12, 0x3f, 0x08 };
	static const uint8_t	 w4[] = { 17, 34, 51, 255, 0, 136 };

	expect_held(4, 1, 1, 12, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, g12,
	    sizeof g12, NULL, SAMPLE_UINT16, w12, sizeof w12);
	expect_held(8, 1, 1, 1, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, &g1, 1,
	    NULL, SAMPLE_UINT8, w1, sizeof w1);
	expect_held(2, 1, 1, 24, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, g24,
	    sizeof g24, NULL, SAMPLE_UINT32, w24, sizeof w24);
	expect_held(2, 1, 3, 4, SAMPLEFORMAT_UINT, PHOTOMETRIC_RGB, rgb4, sizeof rgb4,
	    NULL, SAMPLE_UINT8, w4, sizeof w4);
}
END_TEST

START_TEST(test_formats_as_stored)
{
	static const uint16_t	 h[] = { 0x3c00, 0xc000, 0x3555, 0x7c00 };
	static const float	 f[] = { 1, -2, 0x1.554p-2f, INFINITY };
	static const int16_t	 i16[] = { -32768, -1, 7, 32767 };
	static const double	 f64[] = { -1e300, 0.5 };

	expect_held(4, 1, 1, 16, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK, h,
	    sizeof h, NULL, SAMPLE_FLOAT32, f, sizeof f);
	expect_held(4, 1, 1, 16, SAMPLEFORMAT_INT, PHOTOMETRIC_MINISBLACK, i16,
	    sizeof i16, NULL, SAMPLE_INT16, i16, sizeof i16);
	expect_held(2, 1, 1, 64, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK, f64,
	    sizeof f64, NULL, SAMPLE_FLOAT64, f64, sizeof f64);
}
END_TEST

static void
palette16(TIFF *t)
{
	static uint16_t	r[65536], g[65536], b[65536];

	r[65535] = 65535;
	g[65535] = 1;
	b[65535] = 2;
	r[1] = 10;
	TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
}

START_TEST(test_palette16_looked_up)
{
	static const uint16_t	idx[] = { 65535, 1 }, rgb[] = { 65535, 1, 2, 10, 0, 0 };
	struct image		im;

	im = expect_held(2, 1, 1, 16, SAMPLEFORMAT_UINT, PHOTOMETRIC_PALETTE, idx,
	    sizeof idx, palette16, SAMPLE_UINT16, rgb, sizeof rgb);
	ck_assert_uint_eq(im.photometric, PHOTOMETRIC_RGB);
}
END_TEST

static void
cmyk_spot(TIFF *t)
{
	uint16_t	extra = EXTRASAMPLE_UNSPECIFIED;

	TIFFSetField(t, TIFFTAG_INKSET, INKSET_CMYK);
	TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
}

START_TEST(test_inks_and_extra_samples)
{
	static const uint8_t	px[] = { 1, 2, 3, 4, 5 };
	struct image		im;

	/* CMYK and a spot colour: five inks as stored, none of them alpha. */
	im = expect_held(1, 1, 5, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_SEPARATED, px,
	    sizeof px, cmyk_spot, SAMPLE_UINT8, px, sizeof px);
	ck_assert_uint_eq(im.photometric, PHOTOMETRIC_SEPARATED);
	ck_assert_uint_eq(im.alpha, 0);
	ck_assert_uint_eq(im.nextra, 1);
	ck_assert_uint_eq(im.extra[0], EXTRASAMPLE_UNSPECIFIED);
}
END_TEST

/* Lab's signed a* and b* are held offset, and written back as they were. */
START_TEST(test_lab_round_trip)
{
	static const uint8_t	 lab[] = { 50, 0xf6, 0x14 }, held[] = { 50, 118, 148 };
	char			*dir = test_dir(), *in = write_raw(dir, 1, 1, 3, 8,
				    SAMPLEFORMAT_UINT, PHOTOMETRIC_CIELAB, lab, 3, NULL),
				*out, *cause = NULL;
	uint8_t			*got = decode(dir, in, &(struct image){ 0 }), back[3];
	struct image		 im;
	struct layout		 l;
	TIFF			*t;

	ck_assert_int_eq(memcmp(got, held, 3), 0);
	ck_assert_int_eq(image_open(&im, in, 0, &cause), 0);
	ck_assert_int_ne(asprintf(&out, "%s/out.tif", dir), -1);
	ck_assert_int_eq(image_layout(&im, &(struct layout_ask){ 0 }, &l, NULL), 0);
	write_blocks(out, &im, &l, 1, got);
	image_close(&im, NULL);
	ck_assert_ptr_nonnull(t = TIFFOpen(out, "r"));
	ck_assert_int_eq(TIFFReadEncodedStrip(t, 0, back, 3), 3);
	TIFFClose(t);
	ck_assert_int_eq(memcmp(back, lab, 3), 0);
	free(got);
	free(in);
	free(out);
	test_rmdir(dir);
}
END_TEST

static void
right_top(TIFF *t)
{
	static uint16_t	r[256], g[256], b[256];

	r[1] = 65535;
	TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
	TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_RIGHTTOP);
}

/* A palette is looked up where its pixels are stored, the orientation left to the tag. */
START_TEST(test_palette_orientation_kept)
{
	static const uint8_t	 idx[] = { 1, 0, 0, 0 }, rgb[] = { 255, 0, 0, 0, 0, 0,
				    0, 0, 0, 0, 0, 0 };
	struct image		 im;

	im = expect_held(2, 2, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_PALETTE, idx,
	    sizeof idx, right_top, SAMPLE_UINT8, rgb, sizeof rgb);
	ck_assert_uint_eq(im.orientation, ORIENTATION_RIGHTTOP);
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
	struct layout	 l;
	int		 fd;

	ck_assert_int_ne(asprintf(&out, "%s/out.tif", dir), -1);
	ck_assert_int_eq(image_layout(&like, &(struct layout_ask){ 0 }, &l, NULL), 0);
	ck_assert_msg(image_create(&o, out, &like, &l, 0, &cause) == 0, "%s", cause);
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

/* An image like an input of w x h of these samples, stored so, that no file holds. */
static struct image
like_input(uint32_t w, uint32_t h, uint16_t samples, enum sample_format format,
    uint16_t compression)
{
	struct image	like = { .width = w, .height = h, .samples = samples,
			    .format = format, .bits = sample_bits(format),
			    .photometric = samples >= 3 ? PHOTOMETRIC_RGB :
			    PHOTOMETRIC_MINISBLACK, .compression = compression,
			    .predictor = PREDICTOR_NONE, .orientation = 1 };

	return like;
}

/* image_layout() of like as ask says, which must succeed. */
static struct layout
layout_of(const struct image *like, const struct layout_ask *ask)
{
	struct layout	 l;
	char		*cause = NULL;

	ck_assert_msg(image_layout(like, ask, &l, &cause) == 0, "%s", cause);
	return l;
}

/* image_layout() must refuse like as ask says, with a cause saying `what`. */
static void
layout_refused(const struct image *like, const struct layout_ask *ask,
    const char *what)
{
	struct layout	 l;
	char		*cause = NULL;

	ck_assert_int_eq(image_layout(like, ask, &l, &cause), -1);
	ck_assert_msg(strstr(cause, what) != NULL, "'%s' lacks '%s'", cause, what);
	free(cause);
}

/* The output compresses as the input did where that loses nothing, else with Deflate. */
START_TEST(test_layout_compression)
{
	struct image	like = like_input(100, 100, 3, SAMPLE_UINT8, COMPRESSION_JPEG);
	struct layout	l = layout_of(&like, &(struct layout_ask){ 0 });

	ck_assert_uint_eq(l.compression, COMPRESSION_ADOBE_DEFLATE);
	ck_assert_uint_eq(l.photometric, PHOTOMETRIC_RGB);
	like = like_input(100, 100, 1, SAMPLE_UINT16, COMPRESSION_WEBP);
	ck_assert_uint_eq(layout_of(&like, &(struct layout_ask){ 0 }).compression,
	    COMPRESSION_ADOBE_DEFLATE);
	like = like_input(100, 100, 1, SAMPLE_FLOAT32, COMPRESSION_LZW);
	like.predictor = PREDICTOR_FLOATINGPOINT;
	l = layout_of(&like, &(struct layout_ask){ 0 });
	ck_assert_uint_eq(l.compression, COMPRESSION_LZW);
	ck_assert_uint_eq(l.predictor, PREDICTOR_FLOATINGPOINT);
	/* Asked for: JPEG's RGB goes in YCbCr, at libtiff's default quality. */
	like = like_input(100, 100, 3, SAMPLE_UINT8, COMPRESSION_NONE);
	l = layout_of(&like, &(struct layout_ask){ .compression = COMPRESSION_JPEG });
	ck_assert_uint_eq(l.photometric, PHOTOMETRIC_YCBCR);
	ck_assert_uint_eq(l.quality, 75);
}
END_TEST

/* What libtiff cannot write, or a codec does not take, is refused, saying why. */
START_TEST(test_layout_refusals)
{
	struct image	like = like_input(100, 100, 1, SAMPLE_UINT16, COMPRESSION_NONE);

	layout_refused(&like, &(struct layout_ask){ .compression = COMPRESSION_JPEG },
	    "jpeg compression needs 8-bit unsigned samples (16-bit");
	layout_refused(&like, &(struct layout_ask){ .compression = COMPRESSION_LZW,
	    .level = 5 }, "lzw compression takes no -level");
	layout_refused(&like, &(struct layout_ask){
	    .compression = COMPRESSION_ADOBE_DEFLATE, .level = 13 },
	    "no higher than its maximum");
	layout_refused(&like, &(struct layout_ask){
	    .compression = COMPRESSION_ZSTD, .quality = 50 }, "takes no -quality");
	layout_refused(&like, &(struct layout_ask){ .compression = COMPRESSION_WEBP },
	    "webp compression needs 8-bit unsigned samples");
}
END_TEST

/* Whether an output of w x h 8-bit gray in this compression is made a BigTIFF. */
static int
big(uint32_t w, uint32_t h, uint16_t compression)
{
	struct image	like = like_input(w, h, 1, SAMPLE_UINT8, compression);

	return layout_of(&like, &(struct layout_ask){ 0 }).bigtiff;
}

/* BigTIFF when the worst its compression can do could pass 4 GiB, decided up front. */
START_TEST(test_layout_bigtiff)
{
	struct image	like = like_input(70000, 70000, 1, SAMPLE_UINT8, COMPRESSION_LZW);

	ck_assert(big(70000, 70000, COMPRESSION_LZW));
	ck_assert(big(70000, 70000, COMPRESSION_ADOBE_DEFLATE));	/* 4.6 GiB */
	/* 3.4 GiB: LZW's 12-bit codes could pass 4 GiB, Deflate's stored blocks not. */
	ck_assert(big(60000, 60000, COMPRESSION_LZW));
	ck_assert(!big(60000, 60000, COMPRESSION_ADOBE_DEFLATE));
	ck_assert(!big(30000, 30000, COMPRESSION_ADOBE_DEFLATE));
	ck_assert(!big(30000, 30000, COMPRESSION_LZW));
	ck_assert(!layout_of(&like, &(struct layout_ask){ .bigtiff = LAYOUT_NO }).bigtiff);
	like = like_input(1, 1, 1, SAMPLE_UINT8, COMPRESSION_NONE);
	ck_assert(layout_of(&like, &(struct layout_ask){ .bigtiff = LAYOUT_YES }).bigtiff);
}
END_TEST

/* Set tag's value (16 bits) in the first IFD of the little-endian TIFF at path. */
static void
patch_tag(const char *path, uint16_t tag, uint16_t value)
{
	uint8_t		 head[8], entry[12];
	uint16_t	 n, i;
	uint32_t	 ifd;
	int		 fd = open(path, O_RDWR);

	ck_assert_int_eq(pread(fd, head, 8, 0), 8);
	ck_assert(head[0] == 'I' && head[2] == 42);
	ifd = head[4] | head[5] << 8 | head[6] << 16 | (uint32_t)head[7] << 24;
	ck_assert_int_eq(pread(fd, &n, 2, ifd), 2);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(pread(fd, entry, 12, ifd + 2 + 12 * i), 12);
		if ((entry[0] | entry[1] << 8) != tag)
			continue;
		entry[8] = value & 0xff;
		entry[9] = value >> 8;
		ck_assert_int_eq(pwrite(fd, entry, 12, ifd + 2 + 12 * i), 12);
	}
	close(fd);
}

/*
 * The output keeps the input's tiles, rounded up to multiples of 16 as TIFF wants them:
 * libtiff writes none other, so the input's 20x36 are patched into a file of one
 * 32x48 tile.
 */
START_TEST(test_layout_keeps_tiles)
{
	struct kind	 k = { 20, 20, 1, 8, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 32,
			    0, PHOTOMETRIC_MINISBLACK };
	char		*dir = test_dir(), *path, *cause = NULL;
	struct image	 im;
	struct layout	 l;
	uint32_t	 w = 0;

	ck_assert_int_ne(asprintf(&path, "%s/in.tif", dir), -1);
	write_noise(path, &k, 0, tiles_48_high);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	l = layout_of(&im, &(struct layout_ask){ 0 });
	ck_assert_uint_eq(l.tile_width, 32);
	ck_assert_uint_eq(l.rows, 48);
	l = layout_of(&im, &(struct layout_ask){ .strip_rows = 7 });
	ck_assert_uint_eq(l.tile_width, 0);
	ck_assert_uint_eq(l.rows, 7);
	image_close(&im, NULL);
	patch_tag(path, TIFFTAG_TILEWIDTH, 20);
	patch_tag(path, TIFFTAG_TILELENGTH, 36);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	ck_assert(TIFFGetField(im.tif, TIFFTAG_TILEWIDTH, &w) && w == 20);
	l = layout_of(&im, &(struct layout_ask){ 0 });
	ck_assert_uint_eq(l.tile_width, 32);
	ck_assert_uint_eq(l.rows, 48);
	image_close(&im, NULL);
	free(path);
	test_rmdir(dir);
}
END_TEST

/*
 * Blocks are whole rows of chunks: default strips made shorter to divide a block asked
 * for, anything else (tiles, strips asked for, JPEG's MCUs) a block made taller.
 */
START_TEST(test_layout_block)
{
	struct image		like = like_input(1000, 5000, 1, SAMPLE_UINT8,
				    COMPRESSION_LZW);
	struct layout_ask	ask = { 0 };
	struct layout		l = layout_of(&like, &ask);

	ck_assert_uint_eq(l.rows, 262);		/* 256 KiB */
	ck_assert_uint_eq(image_layout_block(&l, &ask, 1000), 1000);
	ck_assert_uint_eq(l.rows, 250);
	l = layout_of(&like, &ask);
	ck_assert_uint_eq(image_layout_block(&l, &ask, 100), 100);
	ck_assert_uint_eq(l.rows, 100);
	ask.strip_rows = 262;
	l = layout_of(&like, &ask);
	ck_assert_uint_eq(image_layout_block(&l, &ask, 1000), 1048);
	ck_assert_uint_eq(l.rows, 262);
	ask = (struct layout_ask){ .tile_width = 32, .tile_height = 48 };
	l = layout_of(&like, &ask);
	ck_assert_uint_eq(image_layout_block(&l, &ask, 100), 144);
	ck_assert_uint_eq(l.rows, 48);
	like = like_input(1000, 5000, 3, SAMPLE_UINT8, COMPRESSION_NONE);
	ask = (struct layout_ask){ .compression = COMPRESSION_JPEG };
	l = layout_of(&like, &ask);
	ck_assert_uint_eq(l.rows, 96);		/* 87 rows of 256 KiB, in MCUs */
	ck_assert_uint_eq(image_layout_block(&l, &ask, 100), 192);
	ck_assert_uint_eq(l.rows, 96);
}
END_TEST

/*
 * JPEG in RGB strips: what a keyed slave hands over as it decodes is what the master
 * signs, block after block on one handle (libtiff's defaulted Predictor read the JPEG
 * codec's state, which the first strip decoded changed).
 */
START_TEST(test_stored_jpeg_rgb)
{
	struct kind	 k = { 40, 50, 3, 8, PLANARCONFIG_CONTIG, COMPRESSION_JPEG, 0, 0,
			    PHOTOMETRIC_RGB };
	char		*dir = test_dir(), *path, *cause = NULL;
	struct image	 im;
	uint8_t		*rows = malloc((size_t)40 * 50 * 3);

	ck_assert_int_ne(asprintf(&path, "%s/in.tif", dir), -1);
	write_noise(path, &k, 16, NULL);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	ck_assert_ptr_null(image_master_decodes(&im, 1));
	stored_match(&im, 0, 16, rows);
	stored_match(&im, 16, 40, rows);
	stored_match(&im, 0, 50, rows);
	image_close(&im, NULL);
	free(rows);
	free(path);
	test_rmdir(dir);
}
END_TEST

/*
 * Pages, overviews and masks: a page (20 wide), its overview, a page (30 wide), its
 * mask. Pages are the directories that are neither; a page's overviews follow it.
 */
START_TEST(test_pages)
{
	static const uint32_t	 types[][2] = { { 0, 20 }, { FILETYPE_REDUCEDIMAGE, 10 },
				    { FILETYPE_PAGE, 30 }, { FILETYPE_MASK, 30 } };
	struct kind		 k = { 0, 8, 1, 8, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0,
				    0, PHOTOMETRIC_MINISBLACK };
	char			*dir = test_dir(), *path, *cause = NULL;
	uint8_t			 row[30] = { 0 };
	struct image		 im;
	TIFF			*t;
	size_t			 i;
	uint32_t		 y;

	ck_assert_int_ne(asprintf(&path, "%s/in.tif", dir), -1);
	ck_assert_ptr_nonnull(t = TIFFOpen(path, "w"));
	for (i = 0; i < 4; i++) {
		k.w = types[i][1];
		set_kind(t, &k, 8);
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, types[i][0]);
		for (y = 0; y < k.h; y++)
			ck_assert_int_ne(TIFFWriteScanline(t, row, y, 0), -1);
		ck_assert(TIFFWriteDirectory(t));
	}
	TIFFClose(t);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	ck_assert(im.width == 20 && im.pages == 2 && im.overviews == 1 && im.directory == 0);
	image_close(&im, NULL);
	ck_assert_msg(image_open(&im, path, 1, &cause) == 0, "%s", cause);
	ck_assert(im.width == 30 && im.pages == 2 && im.overviews == 0 && im.directory == 2);
	image_close(&im, NULL);
	ck_assert_int_eq(image_open(&im, path, 2, &cause), -1);
	ck_assert_str_eq(cause, "no page 2: the file has 2 (from 0)");
	free(cause);
	free(path);
	test_rmdir(dir);
}
END_TEST

/* Strips of `rows` rows, written last first: the first strip ends the file. */
static void
write_reversed(const char *path, const struct kind *k, uint32_t rows)
{
	TIFF		*t = TIFFOpen(path, "w");
	tmsize_t	 size = (tmsize_t)rows * k->w;
	uint8_t		*chunk = calloc(1, size);
	uint32_t	 i;

	ck_assert_ptr_nonnull(t);
	set_kind(t, k, rows);
	for (i = k->h / rows; i-- > 0;)
		ck_assert_int_ne(TIFFWriteEncodedStrip(t, i, chunk, size), -1);
	TIFFClose(t);
	free(chunk);
}

/*
 * Uncompressed strips stored one after the other are mapped where the rows lie; strips
 * stored out of order, only within one; compressed ones, never.
 */
START_TEST(test_raw_rows)
{
	struct kind	 k = { 40, 30, 1, 8, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0,
			    PHOTOMETRIC_MINISBLACK };
	char		*dir = test_dir(), *path, *cause = NULL;
	struct image	 im;
	uint64_t	 off, first;

	ck_assert_int_ne(asprintf(&path, "%s/in.tif", dir), -1);
	write_noise(path, &k, 10, NULL);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	first = TIFFGetStrileOffset(im.tif, 0);
	ck_assert_int_eq(image_raw_rows(&im, 3, 27, &off), 0);
	ck_assert_uint_eq(off, first + 3 * 40);
	ck_assert_int_eq(image_raw_rows(&im, 0, 31, &off), -1);
	image_close(&im, NULL);
	write_reversed(path, &k, 10);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	ck_assert_int_eq(image_raw_rows(&im, 12, 18, &off), 0);
	ck_assert_uint_eq(off, TIFFGetStrileOffset(im.tif, 1) + 2 * 40);
	ck_assert_int_eq(image_raw_rows(&im, 8, 12, &off), -1);
	image_close(&im, NULL);
	k.compression = COMPRESSION_LZW;
	write_noise(path, &k, 10, NULL);
	ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
	ck_assert_int_eq(image_raw_rows(&im, 0, 10, &off), -1);
	image_close(&im, NULL);
	free(path);
	test_rmdir(dir);
}
END_TEST

/*
 * Default output strips of about 256 KiB whose height is a multiple or a divisor of the
 * input strips', so that blocks hold whole strips of both; failing a divisor near
 * 256 KiB, the input's.
 */
START_TEST(test_layout_strips_fit_input)
{
	static const uint32_t	in[][2] = { { 128, 256 }, { 300, 150 }, { 307, 307 },
				    { 5000, 262 } };
	struct kind		k = { 1000, 5000, 1, 8, PLANARCONFIG_CONTIG,
				    COMPRESSION_LZW, 0, 0, PHOTOMETRIC_MINISBLACK };
	char			*dir = test_dir(), *path, *cause = NULL;
	struct image		 im;
	size_t			 i;

	ck_assert_int_ne(asprintf(&path, "%s/in.tif", dir), -1);
	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		write_noise(path, &k, in[i][0], NULL);
		ck_assert_msg(image_open(&im, path, 0, &cause) == 0, "%s", cause);
		ck_assert_uint_eq(layout_of(&im, &(struct layout_ask){ 0 }).rows, in[i][1]);
		ck_assert_uint_eq(layout_of(&im, &(struct layout_ask){ .strip_rows = 7 }).rows,
		    7);
		image_close(&im, NULL);
	}
	free(path);
	test_rmdir(dir);
}
END_TEST

/* An output is a new file: one already there, even empty, is left as it was. */
START_TEST(test_create_exclusive)
{
	struct image	 like = { .width = 1, .height = 1, .samples = 1, .bits = 8,
			    .format = SAMPLE_UINT8, .photometric = PHOTOMETRIC_MINISBLACK,
			    .compression = COMPRESSION_NONE, .orientation = 1 }, o;
	char		*dir = test_dir(), *out, *cause = NULL;
	struct layout	 l;
	struct stat	 st;
	int		 fd;

	ck_assert_int_ne(asprintf(&out, "%s/out.tif", dir), -1);
	ck_assert_int_ne(fd = open(out, O_WRONLY|O_CREAT, 0600), -1);
	ck_assert_int_eq(write(fd, "kept", 4), 4);
	close(fd);
	ck_assert_int_eq(image_layout(&like, &(struct layout_ask){ 0 }, &l, NULL), 0);
	ck_assert_int_eq(image_create(&o, out, &like, &l, 0, &cause), -1);
	ck_assert_str_eq(cause, "cannot write: File exists");
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	free(cause);
	free(out);
	test_rmdir(dir);
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
	ck_assert_uint_eq(master_default_rows(1, 4, 3), 1);
	/* Wide rows: 16 rows at least, 8 halos at least, never more than the image. */
	ck_assert_uint_eq(master_default_rows(600, 1, 1u << 20), 16);
	ck_assert_uint_eq(master_default_rows(600, 4, 1u << 20), 32);
	ck_assert_uint_eq(master_default_rows(600, 10, 1u << 20), 80);
	ck_assert_uint_eq(master_default_rows(600, 100, 1u << 20), 600);
	/* RGB: 64 blocks of 64 MP; 2 MiB at least (175 and 350 rows) of 16 and 4 MP. */
	ck_assert_uint_eq(master_default_rows(8000, 4, 24000), 125);
	ck_assert_uint_eq(master_default_rows(4000, 4, 12000), 175);
	ck_assert_uint_eq(master_default_rows(2000, 4, 6000), 350);
	/* 12 MiB at most: 199 rows of a 1 GiB RGB image, a block on every worker. */
	ck_assert_uint_eq(master_default_rows(15750, 4, 63000), 199);
}
END_TEST

Suite *
image_suite(void)
{
	Suite	*s = suite_create("image");
	TCase	*tc = tcase_create("image");

	/* round_trip() decodes 4.4 MB strips for many ranges of rows. */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_decode_rows_widened_converted);
	tcase_add_test(tc, test_associated_alpha_divided_out);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_depths_widened);
	tcase_add_test(tc, test_formats_as_stored);
	tcase_add_test(tc, test_palette16_looked_up);
	tcase_add_test(tc, test_inks_and_extra_samples);
	tcase_add_test(tc, test_lab_round_trip);
	tcase_add_test(tc, test_palette_orientation_kept);
	tcase_add_test(tc, test_bigtiff_over_4gib);
	tcase_add_test(tc, test_layout_compression);
	tcase_add_test(tc, test_layout_refusals);
	tcase_add_test(tc, test_layout_bigtiff);
	tcase_add_test(tc, test_layout_keeps_tiles);
	tcase_add_test(tc, test_layout_block);
	tcase_add_test(tc, test_layout_strips_fit_input);
	tcase_add_test(tc, test_raw_rows);
	tcase_add_test(tc, test_stored_jpeg_rgb);
	tcase_add_test(tc, test_pages);
	tcase_add_test(tc, test_create_exclusive);
	tcase_add_test(tc, test_output_names);
	tcase_add_test(tc, test_default_rows);
	suite_add_tcase(s, tc);
	return s;
}
