/* dirfile.c — see dirfile.h. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirfile.h"
#include "util.h"

#define TMP_SUFFIX	".tmp"

void
dirfile_entry(char buf[DIRFILE_ENTRY_MAX], const char *dir, uint32_t n, char v,
    const char *file)
{
	snprintf(buf, DIRFILE_ENTRY_MAX, "%sblock.%u.%c%s", dir, n, v, file);
}

int
dirfile_open_block(int dirfd, uint32_t n, char v)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, n, v);
	return openat(dirfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
}

int
dirfile_create(int dirfd, const char *name, const char *text)
{
	int	fd;

	fd = openat(dirfd, name, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (write_all(fd, text, strlen(text)) == -1) {
		close(fd);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	return close(fd);
}

/* A temporary name for `base`: base.HOST.PID.RANDOM.tmp (a '/' in HOST becomes '_'). */
static void
tmp_name(char buf[DIRFILE_TMP_MAX], const char *base)
{
	char		host[HOST_NAME_MAX + 1] = "", *p;
	uint32_t	r;

	gethostname(host, sizeof host - 1);
	for (p = host; (p = strchr(p, '/')) != NULL; )
		*p = '_';
	random_bytes(&r, sizeof r);
	snprintf(buf, DIRFILE_TMP_MAX, "%s.%s.%ld.%08x" TMP_SUFFIX, base, host,
	    (long)getpid(), r);
}

int
dirfile_is_tmp(const char *name, const char *base)
{
	size_t	len = strlen(base), n = strlen(name);

	return strncmp(name, base, len) == 0 && name[len] == '.' &&
	    n > len + strlen(TMP_SUFFIX) &&
	    strcmp(name + n - strlen(TMP_SUFFIX), TMP_SUFFIX) == 0;
}

/* What goes into a file made whole under a temporary name (put()). */
struct filling {
	struct iovec	*iov;		/* these pieces, */
	int		 count;
	int		 from;		/* or size bytes of this file */
	off_t		 size;
};

/*
 * Fill a file `name` in dirfd under a temporary name, then rename it into place, so that
 * whoever opens `name` reads it whole: 0, or -1 with errno, and nothing left behind.
 */
static int
put(int dirfd, const char *name, const struct filling *f)
{
	char	tmp[DIRFILE_TMP_MAX];
	int	fd, r, saved;

	tmp_name(tmp, name);
	fd = openat(dirfd, tmp, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	/* One call for all of it: on a network filesystem each is a round trip. */
	r = f->iov != NULL ? writev_all(fd, f->iov, f->count) :
	    copy_range(f->from, 0, fd, 0, f->size);
	if (close(fd) == 0 && r == 0 && renameat(dirfd, tmp, dirfd, name) == 0)
		return 0;
	saved = errno;
	unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}

int
dirfile_write(int dirfd, const char *name, struct iovec *iov, int count)
{
	return put(dirfd, name, &(struct filling){ .iov = iov, .count = count });
}

int
dirfile_copy(int dirfd, const char *name, int from, off_t size)
{
	return put(dirfd, name, &(struct filling){ .from = from, .size = size });
}

int
dirfile_replace(int dirfd, const char *name, const char *text)
{
	struct iovec	iov = { (void *)text, strlen(text) };

	return dirfile_write(dirfd, name, &iov, 1);
}

ssize_t
dirfile_read(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t	n;
	int	fd;

	if ((fd = openat(dirfd, name, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return n;
}
