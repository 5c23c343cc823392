/*
 * place.c — the output's file under libtiff, whose chunks may come from another file:
 * libtiff decides where each chunk goes and keeps the tables, and the bytes move from a
 * slave's result to the output in the kernel (copy_file_range(2)), never through the
 * master's memory. libtiff hands its write procedure the pointer it was given; the one
 * place_from() names stands for the source's bytes.
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "image-int.h"
#include "util.h"

struct place {
	int		 fd;
	uint64_t	 pos;
	const void	*marker;	/* the pointer that stands for from's bytes */
	int		 from;
	off_t		 from_off;
};

static tmsize_t
place_write(thandle_t h, void *buf, tmsize_t n)
{
	struct place	*p = h;
	int		 r;

	if (buf == p->marker && p->marker != NULL)
		r = copy_range(p->from, p->from_off, p->fd, p->pos, n);
	else
		r = pwrite_all(p->fd, buf, n, p->pos);
	if (r == -1)
		return -1;
	p->pos += n;
	return n;
}

static tmsize_t
place_read(thandle_t h, void *buf, tmsize_t n)
{
	struct place	*p = h;
	ssize_t		 k = pread(p->fd, buf, n, p->pos);

	if (k > 0)
		p->pos += k;
	return k;
}

/*
 * The file's size, asked of the kernel: the EXIF and GPS directories are written through
 * another handle on the file (tags.c), and chunks go after them.
 */
static toff_t
place_size(thandle_t h)
{
	struct stat	st;

	return fstat(((struct place *)h)->fd, &st) == 0 ? (toff_t)st.st_size : 0;
}

static toff_t
place_seek(thandle_t h, toff_t off, int whence)
{
	struct place	*p = h;

	if (whence == SEEK_CUR)
		off += p->pos;
	else if (whence == SEEK_END)
		off += place_size(h);
	return p->pos = off;
}

static int
place_close(thandle_t h)
{
	struct place	*p = h;
	int		 r = close(p->fd);

	free(p);
	return r;
}

TIFF *
place_open(struct image *im, int fd, const char *path, const char *mode)
{
	TIFFOpenOptions	*opts = tiffopts_new(im->error);
	struct place	*p = xcalloc(1, sizeof *p);
	TIFF		*tif;

	p->fd = fd;
	p->from = -1;
	im->place = p;
	tif = TIFFClientOpenExt(path, mode, p, place_read, place_write, place_seek,
	    place_close, place_size, NULL, NULL, opts);
	TIFFOpenOptionsFree(opts);
	if (tif == NULL) {
		close(fd);
		free(p);
		im->place = NULL;
	} else
		TIFFSetFileno(tif, fd);	/* for tags.c's second handle on the file */
	return tif;
}

int
place_append(struct image *im, const void *buf, size_t n)
{
	struct place	*p = im->place;

	return pwrite_all(p->fd, buf, n, (off_t)place_size(p));
}

const void *
place_from(struct image *im, int from, off_t off)
{
	struct place	*p = im->place;

	p->from = from;
	p->from_off = off;
	/* Any address libtiff will not be given otherwise: the record itself. */
	return p->marker = p;
}
