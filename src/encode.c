/*
 * encode.c — the output: its layout chosen from the input, its tags, and its chunks,
 * compressed elsewhere (chunk.h), placed in any order (see image_create()).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
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
output_predictor(uint16_t compression, const struct image *like)
{
	if (compression == COMPRESSION_NONE || compression == COMPRESSION_PACKBITS ||
	    compression == COMPRESSION_WEBP || compression == COMPRESSION_JPEG)
		return PREDICTOR_NONE;
	if (like->predictor == PREDICTOR_FLOATINGPOINT && sample_is_float(like->format))
		return PREDICTOR_FLOATINGPOINT;
	if (like->predictor == PREDICTOR_HORIZONTAL && !sample_is_float(like->format))
		return PREDICTOR_HORIZONTAL;
	return PREDICTOR_NONE;
}

/* Round up to a multiple of 16, as TIFF wants tiles. */
static uint32_t
tile_round(uint32_t n)
{
	return n == 0 ? 16 : (n + 15) / 16 * 16;
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

void
image_layout(const struct image *like, struct layout *l)
{
	uint32_t	rows = STRIP_BYTES / image_row_bytes(like), w = 0, h = 0;

	memset(l, 0, sizeof *l);
	l->compression = output_compression(like);
	l->predictor = output_predictor(l->compression, like);
	l->photometric = like->photometric;
	l->lab = like->lab;
	if (like->tif != NULL && TIFFIsTiled(like->tif) &&
	    TIFFGetField(like->tif, TIFFTAG_TILEWIDTH, &w) &&
	    TIFFGetField(like->tif, TIFFTAG_TILELENGTH, &h)) {
		l->tile_width = tile_round(w);
		l->rows = tile_round(h);
	} else
		l->rows = rows < 1 ? 1 : rows < like->height ? rows : like->height;
	l->bigtiff = needs_bigtiff(like, l);
}

/* Set the tags of a new image shaped like `like`: its layout's, then the rest. */
static int
set_tags(struct image *im, const struct image *like)
{
	TIFF	*tif = im->tif;
	int	 ok;

	ok = layout_tags(tif, &im->layout, like->width, like->height, like->samples,
	    like->format) == 0 &&
	    TIFFSetField(tif, TIFFTAG_ORIENTATION, like->orientation);
	if (ok && like->nextra != 0)
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, like->nextra, like->extra);
	if (ok && like->xres > 0 && like->yres > 0)
		ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, like->xres) &&
		    TIFFSetField(tif, TIFFTAG_YRESOLUTION, like->yres) &&
		    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, like->resunit);
	return ok ? 0 : -1;
}

int
image_create(struct image *im, const char *path, const struct image *like,
    const struct layout *layout, char **cause)
{
	int	fd;

	*im = *like;
	im->tif = NULL;		/* like's, which only like closes */
	im->tags = NULL;
	im->layout = *layout;
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
	im->tif = place_open(im, fd, path, layout->bigtiff ? "w8m" : "wm");
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

int
image_set_tables(struct image *im, const void *tables, size_t len, char **cause)
{
	if (TIFFSetField(im->tif, TIFFTAG_JPEGTABLES, (uint32_t)len, tables))
		return 0;
	*cause = image_cause(im, "cannot set the JPEG tables");
	return -1;
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
image_place(struct image *im, uint32_t i, const void *mem, int fd, off_t off,
    size_t len, char **cause)
{
	void	*data = (void *)(mem != NULL ? mem : place_from(im, fd, off));

	errno = 0;
	if ((TIFFIsTiled(im->tif) ? TIFFWriteRawTile(im->tif, i, data, len) :
	    TIFFWriteRawStrip(im->tif, i, data, len)) == -1) {
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
