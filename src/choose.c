/*
 * choose.c — the output's layout: the input's, as far as libtiff can write it for these
 * samples, changed where the command line asked (see image_layout()).
 */
#include <config.h>

#include <string.h>

#include "image-int.h"
#include "util.h"

#define STRIP_BYTES	(256u << 10)
#define JPEG_QUALITY	75	/* libtiff's default, and GDAL's */

static const struct codec {
	const char	*name;
	uint16_t	 code;
	uint16_t	 level_max;	/* 0: takes no level */
} codecs[] = {
	{ "none", COMPRESSION_NONE, 0 },
	{ "lzw", COMPRESSION_LZW, 0 },
	{ "deflate", COMPRESSION_ADOBE_DEFLATE, 12 },
	{ "zstd", COMPRESSION_ZSTD, 22 },
	{ "lzma", COMPRESSION_LZMA, 9 },
	{ "packbits", COMPRESSION_PACKBITS, 0 },
	{ "jpeg", COMPRESSION_JPEG, 0 },
	{ "webp", COMPRESSION_WEBP, 0 },
	{ NULL, 0, 0 }
};

/* The codec of this number, or NULL. */
static const struct codec *
codec_of(uint16_t code)
{
	const struct codec	*c;

	code = code == COMPRESSION_DEFLATE ? COMPRESSION_ADOBE_DEFLATE : code;
	for (c = codecs; c->name != NULL; c++)
		if (c->code == code)
			return c;
	return NULL;
}

uint16_t
image_compression(const char *name)
{
	const struct codec	*c;

	for (c = codecs; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return TIFFIsCODECConfigured(c->code) ? c->code : 0;
	return 0;
}

char *
image_compressions(void)
{
	const struct codec	*c;
	char			*list = xstrdup("");

	for (c = codecs; c->name != NULL; c++)
		if (TIFFIsCODECConfigured(c->code))
			xappendf(&list, "%s%s", list[0] != '\0' ? ", " : "", c->name);
	return list;
}

/*
 * The output's compression when none is asked for: the input's when it is lossless and
 * libtiff can write it for these pixels; otherwise (JPEG, fax, LogLuv, ...) Deflate, so
 * that a blur never adds compression loss of its own.
 */
static uint16_t
input_compression(const struct image *like)
{
	const struct codec	*c = codec_of(like->compression);

	if (c == NULL || c->code == COMPRESSION_JPEG)
		return COMPRESSION_ADOBE_DEFLATE;
	if (c->code == COMPRESSION_WEBP && (like->bits != 8 || like->samples < 3))
		return COMPRESSION_ADOBE_DEFLATE;
	return c->code;		/* WebP written lossless */
}

/*
 * The output's predictor: the input's where it suits the samples and the compression
 * (horizontal differencing for integers, floating-point for floats), else none; with
 * a compression asked for that the input does not have, the one that suits the samples.
 */
static uint16_t
output_predictor(uint16_t compression, const struct image *like, int asked)
{
	uint16_t	suits = sample_is_float(like->format) ? PREDICTOR_FLOATINGPOINT :
			    PREDICTOR_HORIZONTAL;

	if (compression == COMPRESSION_NONE || compression == COMPRESSION_PACKBITS ||
	    compression == COMPRESSION_WEBP || compression == COMPRESSION_JPEG)
		return PREDICTOR_NONE;
	if (asked && compression != like->compression)
		return suits;
	return like->predictor == suits ? suits : PREDICTOR_NONE;
}

/*
 * Whether the output could pass 4 GiB, as far as anything before its first byte tells:
 * its pixels, times what its compression may add at worst (LZW's codes grow to 12 bits
 * for 8, PackBits adds a byte in 128, JPEG and WebP of noise at their highest quality
 * stay under half again; Deflate, ZSTD and LZMA store what they cannot shrink), plus 64
 * bytes of tables per chunk and a MiB of tags.
 */
static int
needs_bigtiff(const struct image *like, const struct layout *l)
{
	uint64_t	bytes = (uint64_t)image_row_bytes(like) * like->height, worst;
	uint64_t	chunks = (uint64_t)layout_count(l, like->width, like->height);

	switch (l->compression) {
	case COMPRESSION_NONE:
		worst = bytes;
		break;
	case COMPRESSION_PACKBITS:
		worst = bytes + bytes / 128 + chunks;
		break;
	case COMPRESSION_LZW:
	case COMPRESSION_JPEG:
	case COMPRESSION_WEBP:
		worst = bytes + bytes / 2;
		break;
	default:
		worst = bytes + bytes / 256 + chunks * 64;
	}
	return worst + chunks * 64 + (1u << 20) > UINT32_MAX;
}

/* Round up to a multiple of 16, as TIFF wants tiles. */
static uint32_t
round16(uint32_t n)
{
	return n == 0 ? 16 : (n + 15) / 16 * 16;
}

/*
 * Rows of an output strip of about `want` rows for an input in strips of `in` rows: a
 * multiple or a divisor of `in`, so that a block of whole strips of both (master.c)
 * stays small (128-row input strips and 29-row output ones made one block of 3712 rows,
 * all of a 2000-row image); failing a divisor near `want`, the input's own height, unless
 * such strips pass 1 MiB.
 */
static uint32_t
strip_rows(const struct image *like, uint32_t want)
{
	uint32_t	in = 0, d;

	if (like->tif == NULL || TIFFIsTiled(like->tif) ||
	    !TIFFGetField(like->tif, TIFFTAG_ROWSPERSTRIP, &in) || in == 0 ||
	    in >= like->height || want == 0)
		return want;
	if (in <= want)
		return want / in * in;
	for (d = want; in % d != 0; d--)
		;
	return d * 4 >= want || (uint64_t)in * image_row_bytes(like) > 4 * STRIP_BYTES ?
	    d : in;
}

/* Strips or tiles: asked for, or the input's. */
static void
choose_chunks(const struct image *like, const struct layout_ask *ask,
    struct layout *l)
{
	uint32_t	rows = STRIP_BYTES / image_row_bytes(like), w = 0, h = 0;

	if (ask->tile_width != 0) {
		l->tile_width = ask->tile_width;
		l->rows = ask->tile_height;
	} else if (ask->strip_rows == 0 && like->tif != NULL && TIFFIsTiled(like->tif) &&
	    TIFFGetField(like->tif, TIFFTAG_TILEWIDTH, &w) &&
	    TIFFGetField(like->tif, TIFFTAG_TILELENGTH, &h)) {
		l->tile_width = round16(w);
		l->rows = round16(h);
	} else {
		rows = ask->strip_rows != 0 ? ask->strip_rows : strip_rows(like, rows);
		/* YCbCr JPEG is coded in 16-row MCUs: a strip of whole ones. */
		if (l->compression == COMPRESSION_JPEG && ask->strip_rows == 0)
			rows = round16(rows);
		l->rows = rows < 1 ? 1 : rows < like->height ? rows : like->height;
	}
}

/* Why libtiff cannot write these samples in this layout, or NULL. */
static const char *
unwritable(const struct image *like, const struct layout *l)
{
	const struct codec	*c = codec_of(l->compression);

	if ((l->compression == COMPRESSION_JPEG || l->compression == COMPRESSION_WEBP) &&
	    like->format != SAMPLE_UINT8)
		return "needs 8-bit unsigned samples";
	if (l->compression == COMPRESSION_WEBP && like->samples != 3 &&
	    like->samples != 4)
		return "needs RGB or RGBA";
	if (l->level != 0 && c->level_max == 0)
		return "takes no -level";
	if (l->quality != 0 && l->compression != COMPRESSION_JPEG &&
	    l->compression != COMPRESSION_WEBP)
		return "takes no -quality";
	if (l->level > c->level_max)
		return "takes a -level no higher than its maximum";
	return NULL;
}

int
image_layout(const struct image *like, const struct layout_ask *ask,
    struct layout *l, char **cause)
{
	const char	*why;

	memset(l, 0, sizeof *l);
	l->compression = ask->compression != 0 ? ask->compression :
	    input_compression(like);
	l->predictor = output_predictor(l->compression, like, ask->compression != 0);
	l->photometric = like->photometric;
	if (l->compression == COMPRESSION_JPEG && like->samples == 3 &&
	    like->photometric == PHOTOMETRIC_RGB)
		l->photometric = PHOTOMETRIC_YCBCR;
	l->lab = like->lab;
	l->level = ask->level;
	l->quality = l->compression == COMPRESSION_JPEG && ask->quality == 0 ?
	    JPEG_QUALITY : ask->quality;
	choose_chunks(like, ask, l);
	l->bigtiff = ask->bigtiff == LAYOUT_AUTO ? needs_bigtiff(like, l) :
	    ask->bigtiff == LAYOUT_YES;
	if ((why = unwritable(like, l)) == NULL)
		return 0;
	*cause = xasprintf("%s compression %s (%u-bit %s, %u samples)",
	    codec_of(l->compression)->name, why, like->bits,
	    sample_name(like->format), like->samples);
	return -1;
}

uint32_t
image_layout_block(struct layout *l, const struct layout_ask *ask, uint32_t rows)
{
	uint32_t	d;

	if (l->tile_width == 0 && ask->strip_rows == 0 &&
	    l->compression != COMPRESSION_JPEG && rows % l->rows != 0) {
		for (d = l->rows < rows ? l->rows : rows; rows % d != 0; d--)
			;
		l->rows = d;
	}
	return (rows - 1) / l->rows * l->rows + l->rows;
}
