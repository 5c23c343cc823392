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

/*
 * GDAL's ghost area, after a COG's header: the layout promised to readers that look for
 * it (GDAL's own, its validator), in a text of the size its first line says; the last
 * space leaves room for YES.
 */
static const char ghost[] = "GDAL_STRUCTURAL_METADATA_SIZE=000140 bytes\n"
    "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n"
    "BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ";

/*
 * Have the directory in hand, which is whole, written with empty chunk tables, to be
 * written after every directory (image_cog_open()): libtiff sets them up in
 * TIFFWriteCheck().
 */
static int
defer_tables(TIFF *tif)
{
	return TIFFDeferStrileArrayWriting(tif) &&
	    TIFFWriteCheck(tif, TIFFIsTiled(tif), "blur");
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
    const struct layout *layout, int cog, char **cause)
{
	int	fd;

	*im = *like;
	im->tif = NULL;		/* like's, which only like closes */
	im->tags = NULL;
	im->stored = NULL;
	im->stored_size = 0;
	im->raw = NULL;
	im->layout = *layout;
	im->cog = cog;
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
	/* The ghost comes before any directory, the EXIF ones included. */
	if (set_tags(im, like) == -1) {
		*cause = image_cause(im, "cannot describe the output");
		image_close(im, NULL);
		return -1;
	}
	if (cog && place_append(im, ghost, sizeof ghost - 1) == -1) {
		*cause = write_cause(im, errno);
		image_close(im, NULL);
		return -1;
	}
	if (tags_write(like->tags, im->tif, !cog, cause) == -1) {
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
	char		*nodata = tags_get_nodata(tif);
	int		 ok;

	/* The JPEG tables are the same for every level: libtiff drops them with the IFD. */
	if (TIFFGetField(tif, TIFFTAG_JPEGTABLES, &len, &tables) && len > 0)
		copy = memcpy(xmalloc(len), tables, len);
	ok = (!im->cog || defer_tables(tif)) && TIFFWriteDirectory(tif) &&
	    layout_tags(tif, &im->layout, width, height, im->samples, im->format) == 0 &&
	    TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_REDUCEDIMAGE);
	if (ok && im->nextra != 0)
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, im->nextra, im->extra);
	if (ok && copy != NULL)
		ok = TIFFSetField(tif, TIFFTAG_JPEGTABLES, len, copy);
	ok = ok && tags_set_nodata(tif, nodata);
	free(copy);
	free(nodata);
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
 * A COG chunk's trailer: its last 4 bytes (zeros after a shorter one), from memory or
 * from the file `fd` holding it at off.
 */
static int
chunk_trailer(const void *mem, int fd, off_t off, size_t len, uint8_t last[4])
{
	size_t	k = len < 4 ? len : 4;

	memset(last, 0, 4);
	if (mem != NULL) {
		memcpy(last, (const uint8_t *)mem + len - k, k);
		return 0;
	}
	return pread_all(fd, last, k, off + (off_t)(len - k));
}

int
image_place(struct image *im, uint32_t i, const void *mem, int fd, off_t off,
    size_t len, char **cause)
{
	uint8_t	 leader[4] = { len & 0xff, len >> 8 & 0xff, len >> 16 & 0xff,
		    len >> 24 & 0xff }, trailer[4];
	void	*data;

	/* GDAL's COG: each chunk's size before it, its last 4 bytes again after it. */
	errno = 0;
	if (im->cog && (chunk_trailer(mem, fd, off, len, trailer) == -1 ||
	    place_append(im, leader, sizeof leader) == -1)) {
		*cause = write_cause(im, errno);
		return -1;
	}
	data = (void *)(mem != NULL ? mem : place_from(im, fd, off));
	if ((TIFFIsTiled(im->tif) ? TIFFWriteRawTile(im->tif, i, data, len) :
	    TIFFWriteRawStrip(im->tif, i, data, len)) == -1 ||
	    (im->cog && place_append(im, trailer, sizeof trailer) == -1)) {
		*cause = write_cause(im, errno);
		return -1;
	}
	return 0;
}

int
image_cog_open(struct image *im, const char *path, char **cause)
{
	tdir_t	k, count;
	int	fd, ok;

	errno = 0;
	ok = defer_tables(im->tif) && TIFFWriteDirectory(im->tif);
	TIFFClose(im->tif);	/* which frees im->place */
	im->tif = NULL;
	im->place = NULL;
	if (!ok) {
		*cause = write_cause(im, errno);
		return -1;
	}
	if ((fd = open(path, O_RDWR|O_CLOEXEC)) == -1 ||
	    (im->tif = place_open(im, fd, path, "r+m")) == NULL) {
		*cause = image_cause(im, "cannot open it again for its tiles");
		return -1;
	}
	/* Every table now, zeros yet: all before the first chunk. */
	count = TIFFNumberOfDirectories(im->tif);
	for (k = 0; k < count && ok; k++)
		ok = TIFFSetDirectory(im->tif, k) && TIFFForceStrileArrayWriting(im->tif);
	if (ok)
		return 0;
	*cause = image_cause(im, "cannot write the chunk tables");
	return -1;
}

int
image_cog_level(struct image *im, uint32_t k, char **cause)
{
	/* r+: a flush writes the tables of the directory in hand where they are. */
	errno = 0;
	if (TIFFFlush(im->tif) && TIFFSetDirectory(im->tif, (tdir_t)k))
		return 0;
	*cause = write_cause(im, errno);
	return -1;
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
