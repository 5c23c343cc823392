/*
 * tiffopts.h — how blur opens every TIFF handle: libtiff's last error about the file is
 * kept, to be said in one line with the file's name; its warnings (unknown tags and the
 * like) change nothing blur does and are dropped.
 */
#ifndef BLUR_TIFFOPTS_H
#define BLUR_TIFFOPTS_H

#include <tiffio.h>

#define TIFFOPTS_ERROR_MAX	256

/*
 * Options for TIFFOpenExt() or TIFFFdOpenExt() that keep libtiff's last error in
 * error[TIFFOPTS_ERROR_MAX], which they empty; free them with TIFFOpenOptionsFree().
 */
TIFFOpenOptions	*tiffopts_new(char *error);
/*
 * TIFFFdOpenExt() with those options: the handle, which owns fd from then on (TIFFClose()
 * closes it), or NULL with fd closed and the cause in error.
 */
TIFF		*tiffopts_fdopen(int fd, const char *name, const char *mode, char *error);

#endif
