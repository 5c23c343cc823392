/*
 * check_chunk.c — chunk.h: the chunks a slave compresses from its block alone are the
 * bytes one process writing the whole file chunk by chunk makes, for every codec this
 * libtiff writes, in strips and in tiles.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "chunk.h"
#include "tests.h"

/* Neither a multiple of 32 (the right and bottom tiles are partial) nor of a block. */
#define W	75
#define H	100

static const struct fmt {
	enum sample_format	format;
	uint16_t		samples;
} fmts[] = {
	{ SAMPLE_UINT8, 3 }, { SAMPLE_UINT16, 1 }, { SAMPLE_FLOAT32, 1 },
};

/* A compression and its options; `lossy`: takes 8-bit RGB only. */
static const struct variant {
	const char	*name;
	uint16_t	 compression, quality, level;
	int		 predicts, lossy;
} variants[] = {
	{ "none", COMPRESSION_NONE, 0, 0, 0, 0 },
	{ "lzw", COMPRESSION_LZW, 0, 0, 1, 0 },
	{ "deflate", COMPRESSION_ADOBE_DEFLATE, 0, 0, 1, 0 },
	{ "deflate -level 9", COMPRESSION_ADOBE_DEFLATE, 0, 9, 1, 0 },
	{ "zstd", COMPRESSION_ZSTD, 0, 0, 1, 0 },
	{ "zstd -level 9", COMPRESSION_ZSTD, 0, 9, 1, 0 },
	{ "lzma", COMPRESSION_LZMA, 0, 0, 1, 0 },
	{ "packbits", COMPRESSION_PACKBITS, 0, 0, 0, 0 },
	{ "jpeg", COMPRESSION_JPEG, 75, 0, 0, 1 },
	{ "jpeg -quality 95", COMPRESSION_JPEG, 95, 0, 0, 1 },
	{ "webp lossless", COMPRESSION_WEBP, 0, 0, 0, 1 },
	{ "webp -quality 80", COMPRESSION_WEBP, 80, 0, 0, 1 },
};

/* A W x H job of these samples in layout l, in blocks of two rows of chunks. */
static struct job
chunk_job(const struct fmt *f, const struct layout *l)
{
	struct job	job = { .width = W, .height = H, .samples = f->samples,
			    .format = f->format, .bits = sample_bits(f->format),
			    .rows = 2 * l->rows, .layout = *l };

	job.blocks = (H - 1) / job.rows + 1;
	return job;
}

/* Smooth ramps with a little noise: something for predictors and codecs to work on. */
static uint8_t *
chunk_pixels(const struct job *job)
{
	size_t		 n = (size_t)job->width * job->height * job->samples, i;
	uint8_t		*px = malloc(n * job->bits / 8);
	uint32_t	 x, y;
	double		 v;

	for (i = 0; i < n; i++) {
		x = i / job->samples % job->width;
		y = i / job->samples / job->width;
		v = x * 3 + y * 2 + i % job->samples * 40 + (x * y + i) % 7;
		if (job->format == SAMPLE_UINT8)
			px[i] = (uint8_t)v;
		else if (job->format == SAMPLE_UINT16)
			((uint16_t *)px)[i] = (uint16_t)(v * 97);
		else
			((float *)px)[i] = (float)(v / 8);
	}
	return px;
}

/* Tile t of the image px, zeros past its right and bottom edges, into tile. */
static void
tile_of(const struct job *job, const uint8_t *px, uint32_t t, uint8_t *tile,
    size_t size)
{
	const struct layout	*l = &job->layout;
	size_t			 row_bytes = job_row_bytes(job);
	size_t			 pb = row_bytes / job->width;
	uint32_t		 across = layout_across(l, job->width), i;
	uint32_t		 x = t % across * l->tile_width, y = t / across * l->rows;
	uint32_t		 w = job->width - x < l->tile_width ? job->width - x :
				    l->tile_width;

	memset(tile, 0, size);
	for (i = 0; i < l->rows && y + i < job->height; i++)
		memcpy(tile + i * l->tile_width * pb, px + (y + i) * row_bytes + x * pb,
		    w * pb);
}

/* What one process makes: the whole image written to path chunk by chunk. */
static void
write_whole(const char *path, const struct job *job, const uint8_t *px)
{
	const struct layout	*l = &job->layout;
	size_t			 row_bytes = job_row_bytes(job);
	TIFF			*t = TIFFOpen(path, "w");
	uint32_t		 i, n, rows;
	tmsize_t		 size;
	uint8_t			*tile;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(layout_tags(t, l, job->width, job->height, job->samples,
	    job->format), 0);
	n = l->tile_width != 0 ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t);
	size = l->tile_width != 0 ? TIFFTileSize(t) : 0;
	tile = malloc(size + 1);
	for (i = 0; i < n; i++) {
		if (l->tile_width != 0) {
			tile_of(job, px, i, tile, size);
			ck_assert_int_ne(TIFFWriteEncodedTile(t, i, tile, size), -1);
			continue;
		}
		rows = job->height - i * l->rows < l->rows ? job->height - i * l->rows :
		    l->rows;
		ck_assert_int_ne(TIFFWriteEncodedStrip(t, i,
		    (void *)(px + i * l->rows * row_bytes), rows * row_bytes), -1);
	}
	TIFFClose(t);
	free(tile);
}

/* Chunk i of the file t as stored, into a new buffer of *len bytes. */
static uint8_t *
raw_chunk(TIFF *t, uint32_t i, size_t *len)
{
	uint8_t		*buf;
	tmsize_t	 n;

	*len = TIFFGetStrileByteCount(t, i);
	buf = malloc(*len + 1);
	n = TIFFIsTiled(t) ? TIFFReadRawTile(t, i, buf, *len) :
	    TIFFReadRawStrip(t, i, buf, *len);
	ck_assert_int_eq(n, (tmsize_t)*len);
	return buf;
}

/* Block n's chunks as c holds them are the file t's, from the block's first chunk on. */
static void
same_chunks(TIFF *t, const struct job *job, uint32_t n, const struct chunks *c,
    const char *what)
{
	uint32_t	 first = layout_first(&job->layout, job->width, job_block_y(job, n));
	uint32_t	 i;
	size_t		 off, len;
	uint8_t		*want;

	for (i = 0, off = 0; i < c->count; off += c->sizes[i++]) {
		want = raw_chunk(t, first + i, &len);
		ck_assert_msg(c->sizes[i] == len && memcmp(c->data + off, want, len) == 0,
		    "%s: block %u, chunk %u (%u bytes) is not what one process wrote "
		    "(%zu bytes)",
		    what, n, first + i, c->sizes[i], len);
		free(want);
	}
	ck_assert_uint_eq(off, c->len);
}

/*
 * Compress every block as a slave would, the last (short) one first and through one
 * struct chunks, as a slave reuses it, and compare with the file at path.
 */
static void
compare_blocks(const char *path, const struct job *job, const uint8_t *px,
    const char *what)
{
	size_t		 row_bytes = job_row_bytes(job);
	struct chunks	 c = { 0 };
	uint8_t		*rows = malloc((size_t)job->rows * row_bytes);
	char		*cause = NULL;
	uint32_t	 n, chunks = 0;
	TIFF		*t = TIFFOpen(path, "r");

	ck_assert_ptr_nonnull(t);
	for (n = job->blocks; n-- > 0;) {
		/* chunk_encode() may change the rows: a copy. */
		memcpy(rows, px + job_block_y(job, n) * row_bytes,
		    job_block_rows(job, n) * row_bytes);
		ck_assert_msg(chunk_encode(&c, job, job->width, job_block_rows(job, n), rows, &cause) == 0, "%s: %s",
		    what, cause);
		same_chunks(t, job, n, &c, what);
		chunks += c.count;
	}
	ck_assert_uint_eq(chunks, TIFFIsTiled(t) ? TIFFNumberOfTiles(t) :
	    TIFFNumberOfStrips(t));
	TIFFClose(t);
	chunk_free(&c);
	free(rows);
}

/* chunk_tables() is the JPEGTables of the file one process wrote. */
static void
same_tables(const char *path, const struct job *job, const char *what)
{
	struct chunks	 c = { 0 };
	char		*cause = NULL;
	uint32_t	 count = 0;
	void		*tables = NULL;
	TIFF		*t = TIFFOpen(path, "r");

	ck_assert_ptr_nonnull(t);
	ck_assert_msg(chunk_tables(&c, job, &cause) == 0, "%s: %s", what, cause);
	ck_assert(TIFFGetField(t, TIFFTAG_JPEGTABLES, &count, &tables));
	ck_assert_msg(c.len == count && memcmp(c.data, tables, count) == 0,
	    "%s: tables of %zu bytes, not the file's %u", what, c.len, count);
	TIFFClose(t);
	chunk_free(&c);
}

/* One codec, strips or tiles, samples and predictor: the slaves' chunks are the file's. */
static void
check_case(const struct variant *v, int tiled, const struct fmt *f,
    uint16_t predictor)
{
	struct layout	 l = { .compression = v->compression, .predictor = predictor,
			    .photometric = f->samples == 3 ? PHOTOMETRIC_RGB :
			    PHOTOMETRIC_MINISBLACK, .quality = v->quality,
			    .level = v->level, .tile_width = tiled ? 32 : 0,
			    .rows = tiled ? 32 : 16 };
	struct job	 job;
	char		*dir = test_dir(), *path, what[128];
	uint8_t		*px;

	/* As image_layout() has it: JPEG's RGB in YCbCr. */
	if (v->compression == COMPRESSION_JPEG)
		l.photometric = PHOTOMETRIC_YCBCR;
	job = chunk_job(f, &l);
	px = chunk_pixels(&job);
	snprintf(what, sizeof what, "%s, %s, %s x%u, predictor %u", v->name,
	    tiled ? "tiles" : "strips", sample_name(f->format), f->samples, predictor);
	ck_assert_int_ne(asprintf(&path, "%s/whole.tif", dir), -1);
	write_whole(path, &job, px);
	compare_blocks(path, &job, px, what);
	if (v->compression == COMPRESSION_JPEG)
		same_tables(path, &job, what);
	free(px);
	free(path);
	test_rmdir(dir);
}

/* Every format a variant takes, with and without the predictor that suits it. */
static void
check_variant(const struct variant *v, int tiled)
{
	size_t		i;
	uint16_t	suits;

	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		if (v->lossy && (fmts[i].format != SAMPLE_UINT8 || fmts[i].samples != 3))
			continue;
		check_case(v, tiled, &fmts[i], PREDICTOR_NONE);
		suits = sample_is_float(fmts[i].format) ? PREDICTOR_FLOATINGPOINT :
		    PREDICTOR_HORIZONTAL;
		if (v->predicts)
			check_case(v, tiled, &fmts[i], suits);
	}
}

/* _i: Check's loop index, one variant per test, both strips and tiles. */
START_TEST(test_chunks_are_the_files)
{
	const struct variant	*v = &variants[_i];

	/* A libtiff built without a codec cannot be asked to write it (choose.c). */
	if (!TIFFIsCODECConfigured(v->compression)) {
		fprintf(stderr, "check_chunk: %s: not configured in this libtiff, "
		    "skipped\n", v->name);
		return;
	}
	check_variant(v, 0);
	check_variant(v, 1);
}
END_TEST

/*
 * The chunks stay where c->data says after chunk_encode() returns, however the buffer
 * grew: libtiff's TIFFClose() once wrote a directory after them that moved c->mem. A
 * block of 1 tile row, then one of k: uncompressed tiles a tile wide, so the chunks'
 * bytes are the block's rows as they are and the buffer's size is known; over many k,
 * some leave the directory just past the buffer's end.
 */
START_TEST(test_data_valid_as_buffer_grows)
{
	struct layout	 l = { .compression = COMPRESSION_NONE,
			    .predictor = PREDICTOR_NONE,
			    .photometric = PHOTOMETRIC_MINISBLACK, .tile_width = 16,
			    .rows = 16 };
	struct job	 job = { .width = 16, .samples = 1, .format = SAMPLE_UINT8,
			    .bits = 8, .layout = l };
	struct chunks	 c = { 0 };
	uint8_t		*rows, *copy;
	char		*cause = NULL;
	uint32_t	 k;
	size_t		 i, n;

	for (k = 1; k <= 64; k++) {
		job.rows = 16 * k;
		job.height = job.rows + 16;
		job.blocks = 2;
		n = (size_t)job.rows * 16;
		rows = malloc(n);
		for (i = 0; i < n; i++)
			rows[i] = (uint8_t)(i * 31 + k);
		copy = malloc(n);
		memcpy(copy, rows, n);
		ck_assert_msg(chunk_encode(&c, &job, job.width, job_block_rows(&job, 1), rows, &cause) == 0, "%s", cause);
		ck_assert_msg(chunk_encode(&c, &job, job.width, job_block_rows(&job, 0), rows, &cause) == 0, "%s", cause);
		ck_assert_uint_eq(c.len, n);
		ck_assert_msg(c.data >= c.mem && c.data + c.len <= c.mem + c.mem_len,
		    "%u tile rows: c->data is outside the buffer", k);
		ck_assert_msg(memcmp(c.data, copy, n) == 0, "%u tile rows: chunks lost",
		    k);
		chunk_free(&c);
		free(copy);
		free(rows);
	}
}
END_TEST

Suite *
chunk_suite(void)
{
	Suite	*s = suite_create("chunk");
	TCase	*tc = tcase_create("chunk");

	/* LZMA sets up its 8 MiB dictionary for every chunk. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_chunks_are_the_files, 0,
	    sizeof variants / sizeof variants[0]);
	tcase_add_test(tc, test_data_valid_as_buffer_grows);
	suite_add_tcase(s, tc);
	return s;
}
