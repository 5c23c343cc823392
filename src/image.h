/*
 * image.h — TIFF files in and out, through libtiff only.
 *
 * An input is either read as it is stored (8 or 16 bits per sample; gray or RGB, with at
 * most one extra sample taken as alpha; contiguous or separate planes; strips or tiles;
 * any compression libtiff decodes), or, for the kinds libtiff's RGBA interface
 * understands (palette, 1/2/4-bit, YCbCr, CMYK, ...), converted to 8-bit gray or RGB.
 * Float, signed and LogLuv samples are refused. Associated alpha is divided out on the way
 * in, as ImageMagick reads it, so image.bit and the output hold unassociated alpha. Either way the pixels reach image.bit as
 * rows of interleaved samples in native byte order; the output mirrors the input's size,
 * depth, samples, photometric, resolution and (where libtiff can write it) compression.
 */
#ifndef BLUR_IMAGE_H
#define BLUR_IMAGE_H

#include <stdint.h>

#include <tiffio.h>

#include "sample.h"

struct image {
	TIFF		*tif;
	char		 error[256];	/* libtiff's last complaint about this file */
	uint32_t	 width;
	uint32_t	 height;
	uint16_t	 samples;	/* in image.bit */
	enum sample_format format;	/* in image.bit */
	uint16_t	 bits;		/* in image.bit: the format's */
	uint16_t	 alpha;		/* EXTRASAMPLE_UNASSALPHA if the last sample is alpha */
	int		 nodata;	/* GDAL_NODATA names nodata_value a hole */
	double		 nodata_value;
	int		 premultiplied;	/* the file's alpha is associated: divided out on decode */
	uint16_t	 photometric;	/* of the pixels in image.bit */
	uint16_t	 compression;	/* of the input, then chosen for the output */
	uint16_t	 predictor;
	uint16_t	 orientation;
	uint16_t	 resunit;
	float		 xres, yres;	/* 0 when the input has none */
	int		 convert;	/* decoded through libtiff's RGBA interface */
	struct tags	*tags;		/* an opened image's others (tags.h) */
	uint32_t	 strip_rows;	/* of an image being created: divides its block */
	void		(*decoded)(void *, uint32_t);	/* see image_decode() */
	void		*decoded_arg;
};

/*
 * Describe an image that no file holds, to be created like one (image_create()): what
 * a render draws, width x height of samples (gray, gray+alpha, RGB, RGBA) of bits.
 */
void	image_blank(struct image *, uint32_t width, uint32_t height, uint16_t samples,
	    uint16_t bits);
/* Open path and describe its first image; -1 with *cause saying what is wrong. */
int	image_open(struct image *, const char *path, char **cause);
/*
 * Decode every pixel into fd, which becomes image.bit, from the top; after each band is
 * stored, call decoded(arg, rows), rows being how many rows fd now holds.
 */
int	image_decode(struct image *, int fd, void (*decoded)(void *, uint32_t),
	    void *arg, char **cause);
/*
 * Create path to hold a result shaped like `like` (BigTIFF when over 4 GiB), to be
 * written `block` rows at a time: its strips' height divides `block`.
 */
int	image_create(struct image *, const char *path, const struct image *like,
	    uint32_t block, char **cause);
/*
 * Write the strip of rows [y, y + n) of an image being created from `rows` (interleaved
 * samples), which libtiff may change: y is a multiple of strip_rows, n is strip_rows or
 * what is left of the image. Strips may come in any order: the file's strip table, not
 * their order in the file, says where they go.
 */
int	image_write_strip(struct image *, uint32_t y, void *rows, uint32_t n,
	    char **cause);
/* Flush and close; for a created image, -1 if the last bytes could not be written. */
int	image_close(struct image *, char **cause);

#endif
