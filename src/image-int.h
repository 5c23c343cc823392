/*
 * image-int.h — what the rooms of the image module share: image.c (opening and
 * describing a TIFF), pixel.c (turning stored samples into image.bit's), decode.c
 * (reading pixels), encode.c (writing the output). Only they include it; everyone else
 * sees image.h.
 */
#ifndef BLUR_IMAGE_INT_H
#define BLUR_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"

/* image.c */

/* Bytes in one row of interleaved samples, as image.bit and the output hold them. */
size_t	image_row_bytes(const struct image *im);

/* A cause built from our words and libtiff's, if it said anything. */
char *	image_cause(const struct image *im, const char *what);

/* place.c: the created image's file */

/*
 * libtiff's handle on fd, which it then owns, for an image being created (im->place):
 * NULL with fd closed and the cause in im->error.
 */
TIFF *	place_open(struct image *im, int fd, const char *path, const char *mode);
/*
 * The pointer to hand libtiff's raw writes for bytes of the file `from` at off: its
 * write procedure copies them from there.
 */
const void *place_from(struct image *im, int from, off_t off);
/* Write n bytes at the end of the file: 0, or -1 with errno. */
int	place_append(struct image *im, const void *buf, size_t n);

/* pixel.c: stored samples into the formats image.bit holds */

/*
 * n samples as the file stores them into the format image.bit holds: half floats made
 * single, packed samples (high bits first, as TIFF packs them) and 24-bit ones widened
 * and scaled, and palette indexes looked up into RGB.
 */
void	pixel_widen(const struct image *im, const uint8_t *src, size_t n, void *dst);

/*
 * Copy one decoded strip or tile — `rows` rows of `cw` pixels of `cspp` stored samples
 * each, starting at plane `plane` — into the band of whole interleaved rows, through
 * `wide` (a row of cw · cspp held samples) when they must be widened.
 */
void	pixel_place_chunk(const struct image *im, const uint8_t *chunk, uint32_t cw,
	    uint32_t x0, uint32_t rows, uint16_t cspp, uint16_t plane, uint8_t *band,
	    uint8_t *wide);

/*
 * Divide premultiplied colour by alpha, as ImageMagick does when it reads associated
 * alpha: image.bit always holds unassociated alpha. Integers of 8 and 16 bits exactly,
 * the rest in single precision.
 */
void	pixel_unassociate(const struct image *im, uint8_t *band, uint32_t rows);

/*
 * CIE Lab's a* and b* are signed in the file: flipping their sign bits offsets them by
 * half the range, into the unsigned samples every operation expects, and back again.
 */
void	pixel_flip_lab(uint32_t width, uint16_t samples, uint16_t bits, void *rows,
	    uint32_t n);

#endif
