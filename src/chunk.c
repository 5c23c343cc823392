/*
 * chunk.c — a block compressed into the output's chunks through a TIFF in memory (see
 * chunk.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "image-int.h"
#include "util.h"

/* SampleFormat of a format of sample.h. */
static uint16_t
tiff_sample_format(enum sample_format f)
{
	if (sample_is_float(f))
		return SAMPLEFORMAT_IEEEFP;
	return sample_min(f) < 0 ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

/* The compression's own options, set after it: quality or level, as asked. */
static int
codec_tags(TIFF *tif, const struct layout *l)
{
	switch (l->compression) {
	case COMPRESSION_JPEG:
		return TIFFSetField(tif, TIFFTAG_JPEGQUALITY, l->quality) &&
		    (l->photometric != PHOTOMETRIC_YCBCR ||
		    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB));
	case COMPRESSION_WEBP:
		return l->quality == 0 ? TIFFSetField(tif, TIFFTAG_WEBP_LOSSLESS, 1) :
		    TIFFSetField(tif, TIFFTAG_WEBP_LEVEL, l->quality);
	case COMPRESSION_ADOBE_DEFLATE:
	case COMPRESSION_DEFLATE:
		return l->level == 0 || TIFFSetField(tif, TIFFTAG_ZIPQUALITY, l->level);
	case COMPRESSION_ZSTD:
		return l->level == 0 || TIFFSetField(tif, TIFFTAG_ZSTD_LEVEL, l->level);
	case COMPRESSION_LZMA:
		return l->level == 0 || TIFFSetField(tif, TIFFTAG_LZMAPRESET, l->level);
	}
	return 1;
}

int
layout_tags(TIFF *tif, const struct layout *l, uint32_t width, uint32_t height,
    uint16_t samples, enum sample_format format)
{
	int	ok;

	ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width) &&
	    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height) &&
	    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, sample_bits(format)) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, samples) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, tiff_sample_format(format)) &&
	    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, l->photometric) &&
	    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
	    TIFFSetField(tif, TIFFTAG_COMPRESSION, l->compression) &&
	    (l->predictor == PREDICTOR_NONE ||
	    TIFFSetField(tif, TIFFTAG_PREDICTOR, l->predictor)) &&
	    codec_tags(tif, l);
	if (ok && l->tile_width != 0)
		ok = TIFFSetField(tif, TIFFTAG_TILEWIDTH, l->tile_width) &&
		    TIFFSetField(tif, TIFFTAG_TILELENGTH, l->rows);
	else if (ok)
		ok = TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, l->rows);
	return ok ? 0 : -1;
}

/* libtiff's file procedures over c->mem: a file that grows as it is written. */
static tmsize_t
mem_read(thandle_t h, void *buf, tmsize_t n)
{
	struct chunks	*c = h;
	size_t		 k = c->pos < c->mem_len ? c->mem_len - c->pos : 0;

	k = (size_t)n < k ? (size_t)n : k;
	memcpy(buf, c->mem + c->pos, k);
	c->pos += k;
	return (tmsize_t)k;
}

static tmsize_t
mem_write(thandle_t h, void *buf, tmsize_t n)
{
	struct chunks	*c = h;

	if (c->sealed)
		return n;	/* the directory, as libtiff closes: not wanted */
	if (c->pos + (size_t)n > c->mem_size) {
		c->mem_size = (c->pos + n) * 2;
		c->mem = xreallocarray(c->mem, c->mem_size, 1);
	}
	memcpy(c->mem + c->pos, buf, n);
	c->pos += n;
	c->mem_len = c->pos > c->mem_len ? c->pos : c->mem_len;
	return n;
}

static toff_t
mem_seek(thandle_t h, toff_t off, int whence)
{
	struct chunks	*c = h;

	if (whence == SEEK_CUR)
		off += c->pos;
	else if (whence == SEEK_END)
		off += c->mem_len;
	c->pos = off;
	return off;
}

static toff_t
mem_size(thandle_t h)
{
	return ((struct chunks *)h)->mem_len;
}

static int
mem_close(thandle_t h)
{
	(void)h;
	return 0;
}

/* An empty TIFF in c->mem for an image of `rows` rows of the job, described. */
static TIFF *
mem_open(struct chunks *c, const struct job *job, uint32_t width, uint32_t rows,
    char *error)
{
	TIFFOpenOptions	*opts = tiffopts_new(error);
	TIFF		*tif;

	c->mem_len = c->pos = 0;
	c->sealed = 0;
	tif = TIFFClientOpenExt("block", "wm", c, mem_read, mem_write, mem_seek,
	    mem_close, mem_size, NULL, NULL, opts);
	TIFFOpenOptionsFree(opts);
	if (tif != NULL && layout_tags(tif, &job->layout, width, rows, job->samples,
	    job->format) == -1) {
		TIFFClose(tif);
		tif = NULL;
	}
	return tif;
}

/*
 * Tile t of a block of `rows` rows into c->tile, a whole tile: the block's pixels it
 * covers, zeros past the image's edges.
 */
static void
fill_tile(struct chunks *c, const struct job *job, uint32_t width, const uint8_t *block,
    uint32_t rows, uint32_t t, size_t size)
{
	const struct layout	*l = &job->layout;
	size_t			 row_bytes = sample_row_bytes(width, job->samples, job->bits);
	size_t			 px = row_bytes / width, line = l->tile_width * px;
	uint32_t		 across = layout_across(l, width);
	uint32_t		 x = t % across * l->tile_width, y = t / across * l->rows;
	uint32_t		 w = width - x < l->tile_width ? width - x :
				    l->tile_width, i;

	memset(c->tile, 0, size);
	for (i = 0; i < l->rows && y + i < rows; i++)
		memcpy(c->tile + i * line, block + (y + i) * row_bytes + x * px, w * px);
}

/* Write every chunk of a block of `rows` rows into tif. */
static int
write_chunks(struct chunks *c, TIFF *tif, const struct job *job, uint32_t width,
    uint8_t *block, uint32_t rows)
{
	const struct layout	*l = &job->layout;
	size_t			 row_bytes = sample_row_bytes(width, job->samples, job->bits);
	tmsize_t		 size = l->tile_width != 0 ? TIFFTileSize(tif) : 0, r;
	uint32_t		 i, k;

	reserve((void **)&c->tile, &c->tile_size, size);
	for (i = 0; i < c->count; i++) {
		if (l->tile_width != 0) {
			fill_tile(c, job, width, block, rows, i, size);
			r = TIFFWriteEncodedTile(tif, i, c->tile, size);
		} else {
			k = rows - i * l->rows < l->rows ? rows - i * l->rows : l->rows;
			r = TIFFWriteEncodedStrip(tif, i, block + i * l->rows * row_bytes,
			    (tmsize_t)k * row_bytes);
		}
		if (r == -1)
			return -1;
	}
	return 0;
}

/*
 * Gather the chunks libtiff wrote into one run of bytes, in order, and note their sizes:
 * libtiff appends them one after another, so this moves nothing as a rule.
 */
static void
gather(struct chunks *c, TIFF *tif)
{
	uint64_t	off, n;
	size_t		at = 0;
	uint32_t	i;

	for (i = 0; i < c->count; i++) {
		off = TIFFGetStrileOffset(tif, i);
		n = TIFFGetStrileByteCount(tif, i);
		if (i == 0)
			at = off;
		else if (off != at + c->len)
			memmove(c->mem + at + c->len, c->mem + off, n);
		c->sizes[i] = n;
		c->len += n;
	}
	c->data = c->mem + at;
}

/* Uncompressed strips are the rows as they are. */
static void
plain_strips(struct chunks *c, const struct job *job, uint32_t width,
    const uint8_t *block, uint32_t rows)
{
	size_t		row_bytes = sample_row_bytes(width, job->samples, job->bits);
	uint32_t	i, k;

	for (i = 0; i < c->count; i++) {
		k = rows - i * job->layout.rows < job->layout.rows ?
		    rows - i * job->layout.rows : job->layout.rows;
		c->sizes[i] = k * row_bytes;
	}
	c->data = block;
	c->len = rows * row_bytes;
}

int
chunk_encode(struct chunks *c, const struct job *job, uint32_t width, uint32_t height,
    void *rows, char **cause)
{
	const struct layout	*l = &job->layout;
	char			 error[TIFFOPTS_ERROR_MAX];
	TIFF			*tif;
	int			 r;

	c->count = layout_count(l, width, height);
	c->sizes = xreallocarray(c->sizes, c->count, sizeof *c->sizes);
	c->len = 0;
	if (l->lab)
		pixel_flip_lab(width, job->samples, job->bits, rows, height);
	if (l->compression == COMPRESSION_NONE && l->tile_width == 0) {
		plain_strips(c, job, width, rows, height);
		return 0;
	}
	if ((tif = mem_open(c, job, width, height, error)) == NULL) {
		*cause = xasprintf("cannot compress (%s)", error);
		return -1;
	}
	r = write_chunks(c, tif, job, width, rows, height);
	if (r == 0)
		gather(c, tif);
	else
		*cause = xasprintf("cannot compress (%s)", error);
	c->sealed = 1;
	TIFFClose(tif);
	return r;
}

int
chunk_tables(struct chunks *c, const struct job *job, char **cause)
{
	const struct layout	*l = &job->layout;
	char			 error[TIFFOPTS_ERROR_MAX];
	uint32_t		 count = 0, rows = l->rows;
	void			*tables = NULL, *zeros;
	tmsize_t		 size;
	TIFF			*tif;

	/* libtiff makes them as it sets up its encoder, for the first chunk. */
	if ((tif = mem_open(c, job, job->width, rows, error)) == NULL) {
		*cause = xasprintf("cannot compress (%s)", error);
		return -1;
	}
	size = l->tile_width != 0 ? TIFFTileSize(tif) : TIFFStripSize(tif);
	zeros = xcalloc(1, size);
	if ((l->tile_width != 0 ? TIFFWriteEncodedTile(tif, 0, zeros, size) :
	    TIFFWriteEncodedStrip(tif, 0, zeros, size)) == -1 ||
	    !TIFFGetField(tif, TIFFTAG_JPEGTABLES, &count, &tables)) {
		*cause = xasprintf("cannot make JPEG tables (%s)", error);
		count = 0;
	}
	reserve((void **)&c->tile, &c->tile_size, count);
	if (count > 0)
		memcpy(c->tile, tables, count);
	c->data = c->tile;
	c->len = count;
	free(zeros);
	c->sealed = 1;
	TIFFClose(tif);
	return count > 0 ? 0 : -1;
}

void
chunk_free(struct chunks *c)
{
	free(c->sizes);
	free(c->mem);
	free(c->tile);
	memset(c, 0, sizeof *c);
}
