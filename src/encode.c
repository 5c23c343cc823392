/*
 * encode.c — the output: its tags, compression and predictor chosen from the input,
 * its strips written in any order (see image_create()).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "image-int.h"
#include "tags.h"
#include "util.h"

#define STRIP_BYTES	(256u << 10)

/*
 * The output's compression: the input's when it is lossless and libtiff can write it for
 * these pixels; otherwise (JPEG, fax, LogLuv, ...) Deflate, so that a blur never adds
 * compression loss of its own.
 */
static uint16_t
output_compression(const struct image *like)
{
	switch (like->compression) {
	case COMPRESSION_NONE:
	case COMPRESSION_LZW:
	case COMPRESSION_PACKBITS:
	case COMPRESSION_ADOBE_DEFLATE:
	case COMPRESSION_DEFLATE:
	case COMPRESSION_ZSTD:
	case COMPRESSION_LZMA:
		return like->compression;
	case COMPRESSION_WEBP:
		if (like->bits == 8 && like->samples >= 3)
			return COMPRESSION_WEBP;	/* written lossless */
		break;
	}
	return COMPRESSION_ADOBE_DEFLATE;
}

/*
 * The output's predictor: the input's where it suits the samples and the compression
 * (horizontal differencing for integers, floating-point for floats), else none.
 */
static uint16_t
output_predictor(const struct image *im, const struct image *like)
{
	if (im->compression == COMPRESSION_NONE || im->compression == COMPRESSION_PACKBITS ||
	    im->compression == COMPRESSION_WEBP)
		return PREDICTOR_NONE;
	if (like->predictor == PREDICTOR_FLOATINGPOINT && sample_is_float(like->format))
		return PREDICTOR_FLOATINGPOINT;
	if (like->predictor == PREDICTOR_HORIZONTAL && !sample_is_float(like->format))
		return PREDICTOR_HORIZONTAL;
	return PREDICTOR_NONE;
}

/* SampleFormat of a format of sample.h. */
static uint16_t
tiff_sample_format(enum sample_format f)
{
	if (sample_is_float(f))
		return SAMPLEFORMAT_IEEEFP;
	return sample_min(f) < 0 ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

/* Set the tags of a new image shaped like `like`. */
static int
set_tags(struct image *im, const struct image *like)
{
	TIFF		*tif = im->tif;
	uint16_t	 predictor = output_predictor(im, like);
	int		 ok;

	ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, like->width) &&
	    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, like->height) &&
	    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, like->bits) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, like->samples) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, tiff_sample_format(like->format)) &&
	    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, like->photometric) &&
	    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
	    TIFFSetField(tif, TIFFTAG_ORIENTATION, like->orientation) &&
	    TIFFSetField(tif, TIFFTAG_COMPRESSION, im->compression);
	if (ok && like->nextra != 0)
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, like->nextra, like->extra);
	if (ok && predictor != PREDICTOR_NONE)
		ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, predictor);
	if (ok && im->compression == COMPRESSION_WEBP)
		ok = TIFFSetField(tif, TIFFTAG_WEBP_LOSSLESS, 1);
	if (ok && like->xres > 0 && like->yres > 0)
		ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, like->xres) &&
		    TIFFSetField(tif, TIFFTAG_YRESOLUTION, like->yres) &&
		    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, like->resunit);
	if (ok)
		ok = TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, im->strip_rows);
	return ok ? 0 : -1;
}

/*
 * The height of the output's strips: the tallest that divides a block and holds at
 * most STRIP_BYTES, so a block is whole strips.
 */
static uint32_t
strip_rows(const struct image *like, uint32_t block)
{
	uint32_t	rows = STRIP_BYTES / image_row_bytes(like), d;

	for (d = rows < block ? rows : block; d > 1; d--)
		if (block % d == 0)
			return d;
	return 1;
}

int
image_create(struct image *im, const char *path, const struct image *like,
    uint32_t block, char **cause)
{
	uint64_t	bytes = (uint64_t)image_row_bytes(like) * like->height;
	int		fd;

	*im = *like;
	im->tif = NULL;		/* like's, which only like closes */
	im->tags = NULL;
	im->strip_rows = strip_rows(like, block);
	im->compression = output_compression(like);
	/*
	 * Made here, not by libtiff: its "w" opens with O_TRUNC, and ext4 takes a file
	 * truncated to nothing for one being replaced, so its close writes back every
	 * page at once (14 ms at 48 MB) instead of leaving that to the kernel's flusher.
	 */
	fd = open(path, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0666);
	if (fd == -1) {
		*cause = xasprintf("cannot write: %s", strerror(errno));
		return -1;
	}
	/* Leave room below 4 GiB for the directory and strip tables. */
	im->tif = tiffopts_fdopen(fd, path, bytes > 0xF0000000u ? "w8" : "w", im->error);
	if (im->tif == NULL) {
		*cause = image_cause(im, "cannot create");
		return -1;
	}
	if (set_tags(im, like) == -1) {
		*cause = image_cause(im, "cannot describe the output");
		image_close(im, NULL);
		return -1;
	}
	if (tags_write(like->tags, im->tif, cause) == -1) {
		image_close(im, NULL);
		return -1;
	}
	im->error[0] = '\0';	/* a tag libtiff would not take is not an error */
	return 0;
}

/*
 * Why a write to a created image failed: the system's reason first (a full disk, an I/O
 * error), which libtiff's own words ("Write error at scanline 388") leave out.
 */
static char *
write_cause(const struct image *im, int err)
{
	char	*text, *why;

	if (err == 0)
		return image_cause(im, "cannot write");
	why = xasprintf("cannot write: %s", strerror(err));
	text = image_cause(im, why);
	free(why);
	return text;
}

int
image_write_strip(struct image *im, uint32_t y, void *rows, uint32_t n,
    char **cause)
{
	if (im->lab)
		pixel_flip_lab(im, rows, n);
	errno = 0;
	if (TIFFWriteEncodedStrip(im->tif, y / im->strip_rows, rows,
	    (tmsize_t)n * image_row_bytes(im)) == -1) {
		*cause = write_cause(im, errno);
		return -1;
	}
	return 0;
}

int
image_close(struct image *im, char **cause)
{
	int	r = 0;

	tags_free(im->tags);
	im->tags = NULL;
	if (im->tif == NULL)
		return 0;
	errno = 0;
	if (TIFFGetMode(im->tif) != O_RDONLY && !TIFFFlush(im->tif)) {
		if (cause != NULL)
			*cause = write_cause(im, errno);
		r = -1;
	}
	TIFFClose(im->tif);
	im->tif = NULL;
	return r;
}
