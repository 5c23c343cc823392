/*
 * util.h — allocation that cannot fail, messages, whole reads and writes, the clock.
 *
 * Errors in blur travel as return values (-1 or NULL) with a message in a `char **cause`
 * the caller frees; only main() prints them and picks the exit status.
 */
#ifndef BLUR_UTIL_H
#define BLUR_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <signal.h>

#define printflike(a, b) __attribute__((format(printf, a, b)))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
/* Make *buf, of *size bytes, hold at least n: buffers kept from block to block. */
void	 reserve(void **buf, size_t *size, size_t n);
/*
 * Copy len bytes of `from` at off to `to` at at: in the kernel (copy_file_range(2), which
 * a filesystem may do by sharing blocks, or on its server), else where it cannot
 * (another filesystem, an old kernel) through a buffer. 0, or -1 and errno (EIO if
 * `from` is short).
 */
int	 copy_range(int from, off_t off, int to, off_t at, size_t len);
char	*xasprintf(const char *, ...) printflike(1, 2);
/* Add formatted text to the end of *text, a string of xasprintf()'s (or xstrdup()'s). */
void	 xappendf(char **text, const char *, ...) printflike(2, 3);

/* A bug or an impossible system state: say so and exit 1. */
void	 fatal(const char *, ...) printflike(1, 2) __attribute__((noreturn));

/* One line on stderr, prefixed "blur: ", written at once. */
void	 say(const char *, ...) printflike(1, 2);
void	 vsay(const char *, va_list);

/* Write or read all of len bytes (retrying short transfers and EINTR); 0 or -1. */
int	 write_all(int, const void *, size_t);
/* The same from several buffers at once, one call when it can (iov is used up). */
int	 writev_all(int, struct iovec *, int);
int	 pwrite_all(int, const void *, size_t, off_t);
int	 pread_all(int, void *, size_t, off_t);
/* Read into several buffers at once, one call when it can (iov is used up). */
int	 preadv_all(int, struct iovec *, int, off_t);
/* Move iov past n bytes done: the buffers finished dropped, the next one shortened. */
void	 iov_advance(struct iovec **iov, int *count, size_t n);

/*
 * Catch SIGINT, SIGTERM and SIGHUP on a descriptor instead of dying of them, so that the
 * caller can clean up first; a signal ignored when we started (nohup, a background job
 * of a script) stays ignored. The old mask goes to *old. signals_caught() polls: the
 * signal's number, or 0.
 */
int	 signals_catch(sigset_t *old);
int	 signals_caught(int fd);

/* A duration as "m:ss" or "h:mm:ss" in buf (CLOCK_TEXT bytes). */
#define CLOCK_TEXT	32
const char *clock_text(double seconds, char *buf);

/* len random bytes from the kernel (or fatal). */
void	 random_bytes(void *, size_t);

/* Seconds on the local monotonic clock: never compared with another host's. */
double	 now(void);

#endif
