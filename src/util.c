/* util.c — see util.h. */
#include <config.h>

#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define COPY_BUFFER	(1u << 20)

void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatal("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("out of memory allocating %zu×%zu bytes", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		fatal("allocation of %zu×%zu bytes overflows", n, size);
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL)
		fatal("out of memory allocating %zu×%zu bytes", n, size);
	return p;
}

void
reserve(void **buf, size_t *size, size_t n)
{
	if (*size < n) {
		*buf = xreallocarray(*buf, n, 1);
		*size = n;
	}
}

char *
xstrdup(const char *s)
{
	return strcpy(xmalloc(strlen(s) + 1), s);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("out of memory formatting a message");
	va_end(ap);
	return s;
}

void
xappendf(char **text, const char *fmt, ...)
{
	va_list	 ap;
	char	*more, *both;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) == -1)
		fatal("out of memory formatting a message");
	va_end(ap);
	both = xasprintf("%s%s", *text, more);
	free(*text);
	free(more);
	*text = both;
}

void
vsay(const char *fmt, va_list ap)
{
	char	*text, *line;

	/* One write, so that processes sharing stderr do not interleave inside a line. */
	if (vasprintf(&text, fmt, ap) == -1)
		return;
	line = xasprintf("blur: %s\n", text);
	fflush(stderr);
	write_all(STDERR_FILENO, line, strlen(line));
	free(line);
	free(text);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(1);
}

void
say(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void
iov_advance(struct iovec **iov, int *count, size_t n)
{
	for (; *count > 0 && n >= (*iov)->iov_len; (*iov)++, (*count)--)
		n -= (*iov)->iov_len;
	if (*count > 0) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/* Write all of iov at off, or where the file stands when off is -1. */
static int
put_all(int fd, struct iovec *iov, int count, off_t off)
{
	ssize_t	n;

	while (count > 0) {
		n = off == -1 ? writev(fd, iov, count) : pwritev(fd, iov, count, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off = off == -1 ? -1 : off + n;
		iov_advance(&iov, &count, n);
	}
	return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
	struct iovec	v = { (void *)buf, len };

	return put_all(fd, &v, 1, -1);
}

int
writev_all(int fd, struct iovec *iov, int count)
{
	return put_all(fd, iov, count, -1);
}

int
pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	struct iovec	v = { (void *)buf, len };

	return put_all(fd, &v, 1, off);
}

int
pread_all(int fd, void *buf, size_t len, off_t off)
{
	struct iovec	v = { buf, len };

	return preadv_all(fd, &v, 1, off);
}

int
preadv_all(int fd, struct iovec *iov, int count, off_t off)
{
	ssize_t	n;

	/* Empty buffers first: a read of nothing is no short file. */
	iov_advance(&iov, &count, 0);
	while (count > 0) {
		if ((n = preadv(fd, iov, count, off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;	/* short file: the writer did not finish */
			return -1;
		}
		off += n;
		iov_advance(&iov, &count, n);
	}
	return 0;
}

int
signals_catch(sigset_t *old)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction	 sa;
	sigset_t		 set;
	size_t			 i;
	int			 fd;

	sigemptyset(&set);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
			sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, old);
	if ((fd = signalfd(-1, &set, SFD_NONBLOCK|SFD_CLOEXEC)) == -1)
		fatal("signalfd: %s", strerror(errno));
	return fd;
}

int
signals_caught(int fd)
{
	struct signalfd_siginfo	si;

	return read(fd, &si, sizeof si) == sizeof si ? (int)si.ssi_signo : 0;
}

const char *
clock_text(double seconds, char *buf)
{
	long	s = seconds < 0 ? 0 : (long)(seconds + 0.5);

	if (s >= 3600)
		snprintf(buf, CLOCK_TEXT, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, CLOCK_TEXT, "%ld:%02ld", s / 60, s % 60);
	return buf;
}

double
now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime: %s", strerror(errno));
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
random_bytes(void *buf, size_t len)
{
	if (getrandom(buf, len, 0) != (ssize_t)len)
		fatal("getrandom: %s", strerror(errno));
}

/* Copy len bytes through a buffer, where the kernel cannot copy between the two files. */
static int
copy_through(int from, off_t off, int to, off_t at, size_t len)
{
	char	*buf = xmalloc(len < COPY_BUFFER ? len : COPY_BUFFER);
	size_t	 k;
	int	 r = 0;

	for (; r == 0 && len > 0; len -= k, off += k, at += k) {
		k = len < COPY_BUFFER ? len : COPY_BUFFER;
		if ((r = pread_all(from, buf, k, off)) == 0)
			r = pwrite_all(to, buf, k, at);
	}
	free(buf);
	return r;
}

int
copy_range(int from, off_t off, int to, off_t at, size_t len)
{
	ssize_t	n = 0;

	for (; len > 0; len -= n, off += n, at += n)
		if ((n = copy_file_range(from, &off, to, &at, len, 0)) <= 0)
			break;
	if (len == 0)
		return 0;
	if (n == 0) {
		errno = EIO;	/* the source ends before len bytes */
		return -1;
	}
	if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
		return copy_through(from, off, to, at, len);
	return -1;
}
