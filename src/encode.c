/*
 * encode.c — the output: its tags, and its chunks, compressed elsewhere (chunk.h),
 * placed in any order (see image_create()).
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
	im->stored = NULL;
	im->stored_size = 0;
	im->raw = NULL;
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
image_add_level(struct image *im, uint32_t width, uint32_t height, char **cause)
{
	TIFF		*tif = im->tif;
	uint32_t	 len = 0;
	void		*tables = NULL, *copy = NULL;
	int		 ok;

	/* The JPEG tables are the same for every level: libtiff drops them with the IFD. */
	if (TIFFGetField(tif, TIFFTAG_JPEGTABLES, &len, &tables) && len > 0)
		copy = memcpy(xmalloc(len), tables, len);
	ok = TIFFWriteDirectory(tif) &&
	    layout_tags(tif, &im->layout, width, height, im->samples, im->format) == 0 &&
	    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_REDUCEDIMAGE);
	if (ok && im->nextra != 0)
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, im->nextra, im->extra);
	if (ok && copy != NULL)
		ok = TIFFSetField(tif, TIFFTAG_JPEGTABLES, len, copy);
	free(copy);
	if (ok)
		return 0;
	*cause = image_cause(im, "cannot add an overview");
	return -1;
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
	free(im->stored);
	im->stored = NULL;
	im->stored_size = 0;
	if (im->tif == NULL)
		return 0;
	errno = 0;
	if (TIFFGetMode(im->tif) != O_RDONLY && !TIFFFlush(im->tif)) {
		if (cause != NULL)
			*cause = write_cause(im, errno);
		r = -1;
	}
	TIFFClose(im->tif);	/* which frees im->place */
	im->tif = NULL;
	im->place = NULL;
	return r;
}
