/*
 * layout.h — how the output stores its pixels: compressed how, in strips or in tiles of
 * what size. The master chooses it (image_layout()), data.dat carries it, the slaves
 * compress their blocks in it (chunk.h) and the master places what they made in the
 * output without decoding it.
 *
 * A chunk is a strip or a tile, numbered as TIFF numbers them: strips from the top,
 * tiles row by row, left to right (the output's samples are always interleaved). A
 * block is whole rows of chunks, all but the last block a multiple of `rows` high, so
 * block n's chunks are consecutive numbers from layout_first() of its first row.
 */
#ifndef BLUR_LAYOUT_H
#define BLUR_LAYOUT_H

#include <stdint.h>

struct layout {
	uint16_t	compression;	/* libtiff's COMPRESSION_* */
	uint16_t	predictor;	/* PREDICTOR_* */
	uint16_t	photometric;	/* of the output's samples as stored */
	uint16_t	quality;	/* JPEG, WebP: 1 to 100; WebP 0: lossless */
	uint16_t	level;		/* Deflate, ZSTD, LZMA: 0, the codec's default */
	uint16_t	bigtiff;	/* the output is a BigTIFF */
	uint16_t	lab;		/* CIE Lab in unsigned samples: a* and b* are
					   signed in the file (image.h) */
	uint32_t	tile_width;	/* 0: strips */
	uint32_t	rows;		/* of a strip, or of a tile */
};

/* What the command line asks of the output's layout; zeros take the input's. */
enum { LAYOUT_AUTO, LAYOUT_NO, LAYOUT_YES };
struct layout_ask {
	uint16_t	compression;	/* -compress; 0: the input's (image_layout()) */
	uint16_t	quality;	/* -quality; 0: JPEG 75, WebP lossless */
	uint16_t	level;		/* -level; 0: the codec's default */
	uint32_t	tile_width;	/* -tile WxH; 0: the input's tiles, or strips */
	uint32_t	tile_height;
	uint32_t	strip_rows;	/* -strip ROWS; 0: about 256 KiB each */
	int		bigtiff;	/* -bigtiff: LAYOUT_AUTO, LAYOUT_NO, LAYOUT_YES */
};

/* Chunks in one row of chunks of an image this wide. */
uint32_t	layout_across(const struct layout *, uint32_t width);
/* The number of the first chunk holding row y (a multiple of rows). */
uint32_t	layout_first(const struct layout *, uint32_t width, uint32_t y);
/* Chunks holding `rows` rows from a row that begins a chunk row. */
uint32_t	layout_count(const struct layout *, uint32_t width, uint32_t rows);
/* Whether two layouts store pixels alike, byte for byte. */
int		layout_equal(const struct layout *, const struct layout *);

#endif
