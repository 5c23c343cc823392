/*
 * tags.h — the TIFF tags blur does not change, carried from the input to the output.
 *
 * Every tag set in the input's first directory comes back in the output except those
 * image.c writes itself (size, samples, photometric, compression, resolution, strips ...)
 * and those that would no longer be true of it: NewSubfileType, Min/Max and
 * S/Min/MaxSampleValue (an operation can leave the input's range) and the STATISTICS_*
 * items of GDAL_METADATA (of the input's pixels; the tag goes if nothing else is left
 * in it), ColorMap and the YCbCr
 * tags (the output is never palette or YCbCr), ReferenceBlackWhite, InkSet, InkNames,
 * NumberOfInks and DotRange when the photometric changed, an ICC profile of another
 * colour space than the output's, TransferFunction for another depth, ImageSourceData
 * (Photoshop's layers, of the pixels before the operation), the JPEG tables and tags,
 * and any tag that points at a place in the input (SubIFD, InteroperabilityIFD, any
 * IFD-typed tag). The EXIF and GPS directories are copied whole. Thumbnails and other
 * images of the file are never read. A tag libtiff refuses to write is left out.
 *
 * Calling sequence:
 *
 * - tags_read(in, photometric) while the input's first directory is current, at any time before its
 *   pixels are read: it copies every value, and leaves that directory as it found it
 *   (the EXIF and GPS directories are read through a handle of its own).
 * - The input may then be closed; the tags stay in memory.
 * - tags_write(tags, out, dirs) on a new file once image.c has set its own tags and
 *   before any strip is written: it sets the rest and (dirs 1) writes the EXIF and GPS
 *   directories at once,
 *   through a handle of its own, so that the output's main directory, still in memory,
 *   is untouched and written as usual when the output is closed. Nothing of the tags is
 *   kept by `out`: they may be freed before it is closed.
 * - tags_free(tags) when done. Every function takes NULL for "no tags".
 */
#ifndef BLUR_TAGS_H
#define BLUR_TAGS_H

#include <tiffio.h>

struct tags;

/* photometric: the input's, as image.c reads it (guessed when the file names none). */
struct tags	*tags_read(TIFF *in, uint16_t photometric);
/*
 * -1 and *cause if the EXIF or GPS directory could not be written (I/O). dirs 0 leaves
 * them out: a COG's first directory must come first.
 */
int		 tags_write(const struct tags *, TIFF *out, int dirs, char **cause);
void		 tags_free(struct tags *);
/* 1 and *value when GDAL_NODATA is a number (or "nan"), else 0. */
int		 tags_nodata(const struct tags *, double *value);
/*
 * The GDAL_NODATA text of the directory in hand (the output's, tags_write() having
 * made GDAL's tags known to it), to be given to its overviews as GDAL's COG driver
 * does: a copy, or NULL; and set it (NULL: nothing) on the directory in hand.
 */
char		*tags_get_nodata(TIFF *tif);
int		 tags_set_nodata(TIFF *tif, const char *text);

#endif
