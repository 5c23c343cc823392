/* check_util.c — util.h: buffers, messages, the clock's text, whole transfers, signals. */
#include <config.h>

#include <sys/uio.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"
#include "util.h"

/*
 * The kernel moves whole buffers between a file and memory almost always: to see
 * write_all() and the others finish a short transfer, this program's writev(), pwritev()
 * and preadv() (which util.c calls) move at most `most` bytes of the first buffer, and
 * fail every third call with EINTR, while most > 0. A test sets it in its own process.
 */
static size_t	 most;
static unsigned	 calls;

/* The first buffer with anything to move, cut to `most` bytes: 1, or 0 and EINTR. */
static int
shorten(const struct iovec **iov, int *count, struct iovec *one)
{
	while (*count > 1 && (*iov)->iov_len == 0) {
		(*iov)++;
		(*count)--;
	}
	if (++calls % 3 == 0) {
		errno = EINTR;
		return 0;
	}
	one->iov_base = (*iov)->iov_base;
	one->iov_len = (*iov)->iov_len < most ? (*iov)->iov_len : most;
	*iov = one;
	*count = 1;
	return 1;
}

/* libc's own name, found past ours. */
static void *
real(const char *name)
{
	void	*f = dlsym(RTLD_NEXT, name);

	ck_assert_ptr_nonnull(f);
	return f;
}

ssize_t
writev(int fd, const struct iovec *iov, int count)
{
	ssize_t		(*f)(int, const struct iovec *, int);
	struct iovec	  one;

	*(void **)&f = real("writev");
	return most > 0 && !shorten(&iov, &count, &one) ? -1 : f(fd, iov, count);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int count, off_t off)
{
	ssize_t		(*f)(int, const struct iovec *, int, off_t);
	struct iovec	  one;

	*(void **)&f = real("pwritev");
	return most > 0 && !shorten(&iov, &count, &one) ? -1 : f(fd, iov, count, off);
}

ssize_t
preadv(int fd, const struct iovec *iov, int count, off_t off)
{
	ssize_t		(*f)(int, const struct iovec *, int, off_t);
	struct iovec	  one;

	*(void **)&f = real("preadv");
	return most > 0 && !shorten(&iov, &count, &one) ? -1 : f(fd, iov, count, off);
}

/* len bytes that differ from one place to the next. */
static unsigned char *
pattern(size_t len)
{
	unsigned char	*p = malloc(len);
	size_t		 i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + i / 251);
	return p;
}

START_TEST(test_reserve)
{
	void	*buf = NULL, *kept;
	size_t	 size = 0;

	reserve(&buf, &size, 10);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(size, 10);
	memcpy(buf, "0123456789", 10);
	/* Asked for less, the buffer stays as it is. */
	kept = buf;
	reserve(&buf, &size, 3);
	ck_assert_ptr_eq(buf, kept);
	ck_assert_uint_eq(size, 10);
	/* Grown, it keeps what it held. */
	reserve(&buf, &size, 1 << 20);
	ck_assert_uint_eq(size, 1 << 20);
	ck_assert_int_eq(memcmp(buf, "0123456789", 10), 0);
	memset(buf, 1, 1 << 20);
	free(buf);
}
END_TEST

START_TEST(test_xappendf)
{
	char	*text = xstrdup("");

	xappendf(&text, "%s", "blocks");
	xappendf(&text, " %d of %u", 3, 7u);
	xappendf(&text, "%s", "");
	xappendf(&text, ", %.1f%%", 42.25);
	ck_assert_str_eq(text, "blocks 3 of 7, 42.2%");
	free(text);
	text = xasprintf("%05d", 42);
	ck_assert_str_eq(text, "00042");
	free(text);
}
END_TEST

START_TEST(test_clock_text)
{
	static const struct {
		double		 seconds;
		const char	*text;
	} cases[] = {
		{ 0, "0:00" }, { 0.49, "0:00" }, { 0.5, "0:01" }, { 59.4, "0:59" },
		{ 59.5, "1:00" }, { 61, "1:01" }, { 599, "9:59" }, { 3599.4, "59:59" },
		{ 3599.5, "1:00:00" }, { 3600, "1:00:00" }, { 3661, "1:01:01" },
		{ 86399, "23:59:59" }, { 360000, "100:00:00" }, { -5, "0:00" },
	};
	char	buf[CLOCK_TEXT];
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_ptr_eq(clock_text(cases[i].seconds, buf), buf);
		ck_assert_msg(strcmp(buf, cases[i].text) == 0, "%g s: '%s', not '%s'",
		    cases[i].seconds, buf, cases[i].text);
	}
}
END_TEST

/* Read everything from fd into a buffer of `len` bytes: how many came. */
static size_t
drain(int fd, unsigned char *buf, size_t len)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += n;
	return got;
}

/* write_all() and writev_all() through a pipe whose writes come out short. */
START_TEST(test_write_short)
{
	enum { LEN = 300000 };
	unsigned char	*want = pattern(LEN), *got = malloc(LEN + 1);
	struct iovec	 iov[4];
	int		 p[2], status;
	pid_t		 pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(p[0]);
		most = 4093;
		iov[0] = (struct iovec){ want, 10 };
		iov[1] = (struct iovec){ want + 10, 0 };
		iov[2] = (struct iovec){ want + 10, 5000 };
		iov[3] = (struct iovec){ want + 5010, LEN / 2 - 5010 };
		_exit(writev_all(p[1], iov, 4) == 0 &&
		    write_all(p[1], want + LEN / 2, LEN - LEN / 2) == 0 &&
		    calls > LEN / 4093 ? 0 : 1);
	}
	close(p[1]);
	ck_assert_uint_eq(drain(p[0], got, LEN + 1), LEN);
	ck_assert_int_eq(memcmp(got, want, LEN), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the writer failed or was not cut short");
	close(p[0]);
	free(want);
	free(got);
}
END_TEST

/* The other end closed: -1 and EPIPE, not a loop. */
START_TEST(test_write_broken)
{
	int	p[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	ck_assert_int_eq(write_all(p[1], "abc", 3), -1);
	ck_assert_int_eq(errno, EPIPE);
	close(p[1]);
}
END_TEST

/* pwrite_all(), pread_all() and preadv_all() on a file, every transfer short. */
START_TEST(test_file_short)
{
	enum { LEN = 100000 };
	unsigned char	*want = pattern(LEN), *got = calloc(1, LEN + 8);
	char		*dir = test_dir(), *path;
	struct iovec	 iov[3];
	int		 fd, p[2];

	ck_assert_int_ne(asprintf(&path, "%s/f", dir), -1);
	ck_assert_int_ge(fd = open(path, O_RDWR|O_CREAT, 0600), 0);
	most = 999;
	ck_assert_int_eq(pwrite_all(fd, want + 1000, LEN - 1000, 1000), 0);
	ck_assert_int_eq(pwrite_all(fd, want, 1000, 0), 0);
	ck_assert_int_eq(pread_all(fd, got, LEN, 0), 0);
	ck_assert_int_eq(memcmp(got, want, LEN), 0);
	memset(got, 0, LEN);
	iov[0] = (struct iovec){ got, 0 };
	iov[1] = (struct iovec){ got, 2500 };
	iov[2] = (struct iovec){ got + 2500, LEN - 2600 };
	ck_assert_int_eq(preadv_all(fd, iov, 3, 100), 0);
	ck_assert_int_eq(memcmp(got, want + 100, LEN - 100), 0);
	ck_assert_uint_eq(got[LEN - 100], 0);
	/* Past the end: the file is short, the writer did not finish. */
	errno = 0;
	ck_assert_int_eq(pread_all(fd, got, 10, LEN - 5), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(pread_all(fd, got, 5, LEN - 5), 0);
	ck_assert_int_eq(memcmp(got, want + LEN - 5, 5), 0);
	/* Nothing to read is read, even at the end or past it. */
	ck_assert_int_eq(pread_all(fd, got, 0, LEN), 0);
	ck_assert_int_eq(pread_all(fd, got, 0, LEN + 100), 0);
	/* A pipe has no offsets: the error, not a loop. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pread_all(p[0], got, 1, 0), -1);
	ck_assert_int_eq(errno, ESPIPE);
	close(p[0]);
	close(p[1]);
	close(fd);
	free(path);
	free(want);
	free(got);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_signals)
{
	sigset_t	old, now_mask;
	int		fd;

	sigemptyset(&now_mask);
	sigprocmask(SIG_SETMASK, &now_mask, NULL);
	/* Ignored when we start (nohup): stays ignored. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	ck_assert_int_ge(fd = signals_catch(&old), 0);
	ck_assert_int_eq(sigismember(&old, SIGTERM), 0);
	ck_assert_int_eq(signals_caught(fd), 0);
	/* Caught on the descriptor instead of killing us, once each, by number. */
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(signals_caught(fd), SIGTERM);
	ck_assert_int_eq(signals_caught(fd), 0);
	ck_assert_int_eq(raise(SIGINT), 0);
	ck_assert_int_eq(signals_caught(fd), SIGINT);
	ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_int_eq(signals_caught(fd), 0);
	/* The mask restored, the caller's own again. */
	sigprocmask(SIG_SETMASK, &old, &now_mask);
	ck_assert_int_eq(sigismember(&now_mask, SIGTERM), 1);
	ck_assert_int_eq(sigismember(&now_mask, SIGHUP), 0);
	close(fd);
}
END_TEST

/* say(): one line on stderr, "blur: " first. */
START_TEST(test_say)
{
	char	*dir = test_dir(), *path, buf[128];
	int	 fd, saved = dup(STDERR_FILENO);
	ssize_t	 n;

	ck_assert_int_ne(asprintf(&path, "%s/err", dir), -1);
	ck_assert_int_ge(fd = open(path, O_RDWR|O_CREAT, 0600), 0);
	dup2(fd, STDERR_FILENO);
	say("%s: %d blocks", "x", 3);
	dup2(saved, STDERR_FILENO);
	ck_assert_int_ge(n = pread(fd, buf, sizeof buf - 1, 0), 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "blur: x: 3 blocks\n");
	close(fd);
	close(saved);
	free(path);
	test_rmdir(dir);
}
END_TEST

Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("util");

	tcase_add_test(tc, test_reserve);
	tcase_add_test(tc, test_xappendf);
	tcase_add_test(tc, test_clock_text);
	tcase_add_test(tc, test_write_short);
	tcase_add_test(tc, test_write_broken);
	tcase_add_test(tc, test_file_short);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_say);
	suite_add_tcase(s, tc);
	return s;
}
