/*
 * chunk.h — a block's rows compressed into the output's chunks (layout.h) by whoever
 * computed them, the way GDAL's GTiff writer compresses in worker threads: libtiff
 * writes a TIFF of the block alone, in memory, in the output's layout, and its chunks'
 * bytes are taken as they are. They are the output's, byte for byte, as one process
 * writing the whole file would make them: a codec sees nothing of a chunk but its own
 * pixels and the tags the two files share (layout_tags()). Tiles past the image's
 * right or bottom edge are padded with zeros.
 *
 * With JPEG the chunks are abbreviated streams: their tables are the file's JPEGTables,
 * which depend only on the layout (chunk_tables()).
 */
#ifndef BLUR_CHUNK_H
#define BLUR_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include <tiffio.h>

#include "job.h"

struct chunks {
	uint32_t	 count;
	uint32_t	*sizes;		/* of each chunk, in order */
	const uint8_t	*data;		/* their bytes, one after another */
	size_t		 len;		/* in all */
	/* The in-memory TIFF, and a tile being filled; kept from block to block. */
	uint8_t		*mem;
	size_t		 mem_len, mem_size, pos;
	int		 sealed;	/* the chunks are taken: drop what libtiff adds */
	uint8_t		*tile;
	size_t		 tile_size;
};

/*
 * Set the tags that decide a chunk's bytes on tif, an image of width x height of these
 * samples in this layout: its shape, and the compression with its options. The output
 * and each block's TIFF in memory (chunk.h) are described by this alone. 0, or -1.
 */
int	layout_tags(TIFF *tif, const struct layout *, uint32_t width,
	    uint32_t height, uint16_t samples, enum sample_format format);

/*
 * Compress `height` rows of a level `width` pixels wide (which this may change), whole
 * rows of the job's chunks, into c's chunks: 0, or -1 with *cause (libtiff's words).
 */
int	chunk_encode(struct chunks *c, const struct job *, uint32_t width,
	    uint32_t height, void *rows, char **cause);
/*
 * The JPEGTables every JPEG chunk of this job is abbreviated against, into c->data
 * (c->len bytes): 0, or -1 with *cause.
 */
int	chunk_tables(struct chunks *c, const struct job *, char **cause);
void	chunk_free(struct chunks *c);

#endif
