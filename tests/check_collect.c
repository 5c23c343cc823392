/*
 * check_collect.c — collect.h: todo files, looks and removals, with no thread (the
 * caller's) and with several, against a real DIR; the promises its header states.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "secret.h"
#include "tests.h"
#include "util.h"

/* The threads each test runs with, by its loop index: the caller's alone, or three. */
static const unsigned	threads[] = { 0, 3 };

static const unsigned char	k1[SECRET_KEY] = "one key, thirty-two bytes long.";
static const unsigned char	k2[SECRET_KEY] = "another key, also 32 bytes long";

/* A job in DIR, as a master makes it: data.dat, image.bit (the input's rows), todo/. */
struct fixture {
	char		*dir;
	int		 fd;
	int		 readfd;	/* image.bit */
	struct job	 job;
	unsigned char	*input;
};

static void
setup(struct fixture *f, char *dir, uint32_t rows, const unsigned char *key)
{
	size_t	 len, i;
	char	*cause = NULL;

	f->dir = dir;
	f->fd = protocol_open_dir(dir, 0, &cause);
	ck_assert_msg(f->fd != -1, "%s", cause);
	f->job = test_job("box", "radius=3", rows);
	ck_assert_int_eq(protocol_write_job(f->fd, &f->job, key, &cause), 0);
	len = (size_t)f->job.height * job_row_bytes(&f->job);
	f->input = xmalloc(len);
	for (i = 0; i < len; i++)
		f->input[i] = (unsigned char)(i * 7 + i / 1920);
	ck_assert_int_ge(f->readfd = openat(f->fd, "image.bit", O_RDWR|O_CREAT, 0600), 0);
	ck_assert_int_eq(write_all(f->readfd, f->input, len), 0);
	ck_assert_int_eq(mkdirat(f->fd, "todo", 0700), 0);
}

static void
teardown(struct fixture *f)
{
	close(f->readfd);
	close(f->fd);
	free(f->input);
	job_free(&f->job);
	test_rmdir(f->dir);
}

/* Whether DIR/path exists. */
static int
exists(const struct fixture *f, const char *path)
{
	return faccessat(f->fd, path, F_OK, 0) == 0;
}

/* Block n's rows as a slave would compute them at version v: distinct everywhere. */
static void *
rows_of(const struct fixture *f, uint32_t n, char v, size_t *len)
{
	unsigned char	*rows;
	size_t		 i;

	*len = job_block_rows(&f->job, n) * job_row_bytes(&f->job);
	rows = xmalloc(*len);
	for (i = 0; i < *len; i++)
		rows[i] = (unsigned char)(i + n * 31 + v);
	return rows;
}

/* Claim block.N.v as "h:N" and publish its rows, signed with key. */
static void
publish(const struct fixture *f, uint32_t n, char v, const unsigned char *key)
{
	char	 who[32];
	size_t	 len;
	void	*rows = rows_of(f, n, v, &len);

	snprintf(who, sizeof who, "h:%u", n);
	ck_assert_int_eq(protocol_claim(f->fd, n, v, who), 1);
	ck_assert_int_eq(test_publish(f->fd, &f->job, key, who, n, v, rows, len), 0);
	free(rows);
}

/* Toggle a bit of byte off of block.N.v/img.bit. */
static void
spoil(const struct fixture *f, uint32_t n, char v, off_t off)
{
	char	name[PROTOCOL_NAME_MAX + 16], c;
	int	fd;

	protocol_block_name(name, n, v);
	strcat(name, "/img.bit");
	ck_assert_int_ge(fd = openat(f->fd, name, O_RDWR), 0);
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 1;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

/* Cut block.N.v/img.bit short. */
static int
truncate_result(const struct fixture *f, uint32_t n, char v)
{
	char	name[PROTOCOL_NAME_MAX + 16];
	int	fd, r;

	protocol_block_name(name, n, v);
	strcat(name, "/img.bit");
	ck_assert_int_ge(fd = openat(f->fd, name, O_RDWR), 0);
	r = ftruncate(fd, 5000);
	close(fd);
	return r;
}

/* Todo files are made, signed over the block's input rows and halo, or kept as given. */
START_TEST(test_todo_signed)
{
	struct fixture	 f;
	struct collect	*c;
	char		 sign[12][SECRET_HEX], given[SECRET_HEX] = "feed", back[SECRET_HEX];
	char		 want[SECRET_HEX];
	uint32_t	 n, a, b;

	setup(&f, test_dir(), 40, k1);
	ck_assert_uint_eq(f.job.blocks, 12);
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, k1, f.readfd, -1, threads[_i]));
	for (n = 0; n < f.job.blocks; n++) {
		sign[n][0] = '\0';
		collect_todo(c, n, 'a', sign[n]);
	}
	collect_todo(c, 0, 'b', given);
	/* Once collect_wait() returns, every todo file is there. */
	ck_assert_int_eq(collect_wait(c), 0);
	for (n = 0; n < f.job.blocks; n++) {
		job_block_input(&f.job, n, &a, &b);
		secret_rows(k1, f.job.id, n, f.input + (size_t)a * job_row_bytes(&f.job),
		    (size_t)(b - a) * job_row_bytes(&f.job), want);
		ck_assert_str_eq(sign[n], want);
		ck_assert_int_eq(protocol_todo_read(f.fd, n, 'a', back), 0);
		ck_assert_str_eq(back, want);
	}
	ck_assert_str_eq(given, "feed");
	ck_assert_int_eq(protocol_todo_read(f.fd, 0, 'b', back), 0);
	ck_assert_str_eq(back, "feed");
	collect_end(c);
	/* Without a secret, or without image.bit to sign from, they are empty. */
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, NULL, -1, -1, threads[_i]));
	collect_todo(c, 1, 'c', NULL);
	ck_assert_int_eq(collect_wait(c), 0);
	collect_end(c);
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, k1, -1, -1, threads[_i]));
	sign[2][0] = '\0';
	collect_todo(c, 2, 'c', sign[2]);
	ck_assert_int_eq(collect_wait(c), 0);
	collect_end(c);
	ck_assert_str_eq(sign[2], "");
	strcpy(back, "x");
	ck_assert_int_eq(protocol_todo_read(f.fd, 1, 'c', back), 0);
	ck_assert_str_eq(back, "");
	ck_assert_int_eq(protocol_todo_read(f.fd, 2, 'c', back), 0);
	ck_assert_str_eq(back, "");
	teardown(&f);
}
END_TEST

/* Ask for todo files 0.a to 4.a: collect_wait()'s result and errno, then again. */
static void
expect_todo_error(struct fixture *f, unsigned nthreads, int err)
{
	struct collect	*c = collect_start(f->fd, &f->job, k1, f->readfd, -1, nthreads);
	char		 sign[5][SECRET_HEX], name[PROTOCOL_NAME_MAX + 8];
	uint32_t	 n;

	ck_assert_ptr_nonnull(c);
	for (n = 0; n < 5; n++) {
		sign[n][0] = '\0';
		collect_todo(c, n, 'a', sign[n]);
	}
	errno = 0;
	ck_assert_int_eq(collect_wait(c), -1);
	ck_assert_msg(errno == err, "errno %d (%s), not %d", errno, strerror(errno), err);
	/* Said once: what is asked after it is judged afresh. */
	ck_assert_int_eq(collect_wait(c), 0);
	collect_end(c);
	for (n = 0; n < 5; n++) {
		strcpy(name, "todo/");
		protocol_block_name(name + 5, n, 'a');
		ck_assert_msg(!exists(f, name), "%s was made", name);
	}
}

START_TEST(test_wait_errno)
{
	struct fixture	 f;
	int		 status;
	pid_t		 pid;

	setup(&f, test_dir(), 40, k1);
	ck_assert_int_eq(unlinkat(f.fd, "todo", AT_REMOVEDIR), 0);
	expect_todo_error(&f, threads[_i], ENOENT);
	ck_assert_int_ge(status = openat(f.fd, "todo", O_CREAT|O_WRONLY, 0600), 0);
	close(status);
	expect_todo_error(&f, threads[_i], ENOTDIR);
	ck_assert_int_eq(unlinkat(f.fd, "todo", 0), 0);
	/* image.bit cut short: the rows cannot be signed, so no todo file either. */
	ck_assert_int_eq(mkdirat(f.fd, "todo", 0700), 0);
	ck_assert_int_eq(ftruncate(f.readfd, 100), 0);
	expect_todo_error(&f, threads[_i], EIO);
	/* todo/ unwritable (as nobody when root, whom no mode stops). */
	ck_assert_int_eq(ftruncate(f.readfd, 0), 0);
	ck_assert_int_eq(write_all(f.readfd, f.input, (size_t)f.job.height *
	    job_row_bytes(&f.job)), 0);
	ck_assert_int_eq(fchmodat(f.fd, "todo", 0555, 0), 0);
	ck_assert_int_eq(chmod(f.dir, 0711), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
			_exit(2);
		expect_todo_error(&f, threads[_i], EACCES);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "an unwritable todo/ was not reported as EACCES");
	ck_assert_int_eq(fchmodat(f.fd, "todo", 0700, 0), 0);
	teardown(&f);
}
END_TEST

/* A look at block n, checked against what was made of it. */
static void
check_look(const struct fixture *f, const struct look *l)
{
	char		 who[32];
	size_t		 len;
	void		*rows;

	snprintf(who, sizeof who, "h:%u", l->n);
	switch (l->n) {
	case 0:		/* done: its rows read and checked */
	case 3:		/* a still claimed, b done */
	case 6:		/* a and b done: the lowest */
		ck_assert_int_eq(l->v, l->n == 3 ? 'b' : 'a');
		ck_assert_uint_eq(l->s.done, l->n == 0 ? BLOCK_BIT('a') :
		    l->n == 3 ? BLOCK_BIT('b') : BLOCK_BIT('a') | BLOCK_BIT('b'));
		ck_assert_msg(l->why == NULL, "block %u: %s", l->n, l->why);
		ck_assert_ptr_nonnull(l->rows);
		ck_assert_int_eq(l->fd, -1);
		ck_assert_str_eq(l->who, who);
		rows = rows_of(f, l->n, l->v, &len);
		/* The payload: the one chunk's size, then the rows. */
		ck_assert_uint_eq(l->bytes, sizeof(uint32_t) + len);
		ck_assert_int_eq(memcmp((char *)l->rows + sizeof(uint32_t), rows, len), 0);
		free(rows);
		break;
	case 1:		/* failed */
		ck_assert_uint_eq(l->s.failed, BLOCK_BIT('a'));
		ck_assert_uint_eq(l->s.done, 0);
		ck_assert_int_eq(l->v, 0);
		ck_assert_ptr_null(l->rows);
		ck_assert_ptr_null(l->why);
		ck_assert_int_eq(l->fd, -1);
		break;
	case 2:		/* done, a row spoilt */
	case 5:		/* done, signed with another key */
		ck_assert_int_eq(l->v, 'a');
		ck_assert_ptr_nonnull(l->why);
		ck_assert_msg(strstr(l->why, l->n == 2 ? "checksum" : "HMAC") != NULL,
		    "block %u: %s", l->n, l->why);
		ck_assert_ptr_null(l->rows);
		ck_assert_int_eq(l->fd, -1);
		ck_assert_str_eq(l->who, who);
		break;
	case 4:		/* claimed, nothing yet */
		ck_assert_uint_eq(l->s.done | l->s.failed, 0);
		ck_assert_int_eq(l->v, 0);
		ck_assert_ptr_null(l->rows);
		ck_assert_ptr_null(l->why);
		ck_assert_int_eq(l->fd, -1);
		break;
	default:
		ck_abort_msg("a look at block %u, never asked for", l->n);
	}
}

/* Looks into claimed blocks: done, failed, good and bad results; each comes back once. */
START_TEST(test_looks)
{
	struct fixture	 f;
	struct collect	*c;
	struct look	 l;
	int		 seen[7] = { 0 };
	uint32_t	 n;

	setup(&f, test_dir(), 40, k1);
	publish(&f, 0, 'a', k1);
	ck_assert_int_eq(protocol_claim(f.fd, 1, 'a', "h:1"), 1);
	ck_assert_int_eq(protocol_fail(f.fd, &f.job, k1, 1, 'a', "h:1", "no luck", NULL), 0);
	publish(&f, 2, 'a', k1);
	spoil(&f, 2, 'a', sizeof(struct result) + 1234);
	ck_assert_int_eq(protocol_claim(f.fd, 3, 'a', "h:3"), 1);
	publish(&f, 3, 'b', k1);
	ck_assert_int_eq(protocol_claim(f.fd, 4, 'a', "h:4"), 1);
	publish(&f, 5, 'a', k2);
	publish(&f, 6, 'a', k1);
	publish(&f, 6, 'b', k1);
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, k1, f.readfd, -1, threads[_i]));
	for (n = 0; n < 7; n++)
		collect_look(c, n, n == 3 || n == 6 ? BLOCK_BIT('a') | BLOCK_BIT('b') :
		    BLOCK_BIT('a'));
	while (collect_next(c, 1, &l) == 1) {
		ck_assert_uint_lt(l.n, 7);
		seen[l.n]++;
		ck_assert_uint_eq(l.s.claimed, l.n == 3 || l.n == 6 ?
		    BLOCK_BIT('a') | BLOCK_BIT('b') : BLOCK_BIT('a'));
		check_look(&f, &l);
		collect_drop(&l);
		ck_assert_ptr_null(l.why);
		ck_assert_ptr_null(l.rows);
		ck_assert_int_eq(l.fd, -1);
	}
	for (n = 0; n < 7; n++)
		ck_assert_msg(seen[n] == 1, "block %u came back %d times", n, seen[n]);
	ck_assert_int_eq(collect_next(c, 0, &l), 0);
	ck_assert_int_eq(collect_next(c, 1, &l), 0);
	collect_end(c);
	teardown(&f);
}
END_TEST

/* Blocks of more than COLLECT_ROWS_MAX bytes: the rows are left to read from fd. */
START_TEST(test_looks_large)
{
	struct fixture	 f;
	struct collect	*c;
	struct look	 l;
	size_t		 len;
	void		*rows, *buf;
	char		*why = NULL;
	int		 seen = 0;

	setup(&f, test_dir(), 100, k1);
	rows = rows_of(&f, 0, 'a', &len);
	ck_assert_uint_gt(len, COLLECT_ROWS_MAX);
	buf = xmalloc(len);
	publish(&f, 0, 'a', k1);
	publish(&f, 1, 'a', k1);
	ck_assert_int_eq(truncate_result(&f, 1, 'a'), 0);
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, k1, f.readfd, -1, threads[_i]));
	collect_look(c, 0, BLOCK_BIT('a'));
	collect_look(c, 1, BLOCK_BIT('a'));
	while (collect_next(c, 1, &l) == 1) {
		seen |= 1 << l.n;
		ck_assert_int_eq(l.v, 'a');
		ck_assert_ptr_null(l.rows);
		if (l.n == 0) {
			/* Its header checked; the rows the caller's to read and check. */
			ck_assert_msg(l.why == NULL, "%s", l.why);
			ck_assert_int_ge(l.fd, 0);
			ck_assert_str_eq(l.who, "h:0");
			ck_assert_int_eq(test_read_rows(l.fd, k1, buf, len, &why), 0);
			ck_assert_int_eq(memcmp(buf, rows, len), 0);
		} else {
			ck_assert_int_eq(l.fd, -1);
			ck_assert_ptr_nonnull(l.why);
			ck_assert_ptr_nonnull(strstr(l.why, "truncated"));
			ck_assert_str_eq(l.who, "h:1");
		}
		collect_drop(&l);
	}
	ck_assert_int_eq(seen, 3);
	/* Taken in the caller's thread: the same, and the look's n and s left alone. */
	memset(&l, 0, sizeof l);
	l.n = 77;
	collect_take(c, 0, 'a', &l);
	ck_assert_uint_eq(l.n, 77);
	ck_assert_int_eq(l.v, 'a');
	ck_assert_int_ge(l.fd, 0);
	ck_assert_ptr_null(l.rows);
	ck_assert_ptr_null(l.why);
	ck_assert_str_eq(l.who, "h:0");
	collect_drop(&l);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_int_eq(l.v, 0);
	ck_assert_str_eq(l.who, "");
	collect_take(c, 1, 'a', &l);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_ptr_nonnull(l.why);
	collect_drop(&l);
	collect_take(c, 2, 'a', &l);	/* never published */
	ck_assert_int_eq(l.fd, -1);
	ck_assert_ptr_nonnull(l.why);
	collect_drop(&l);
	collect_end(c);
	free(buf);
	free(rows);
	teardown(&f);
}
END_TEST

/*
 * collect_next() without drain waits while as many looks as may be are in hand
 * (COLLECT_AHEAD per thread, one without threads): of LOOKS asked at once, it returns
 * one each time until fewer are left in hand.
 */
START_TEST(test_in_hand)
{
	enum { LOOKS = 60 };
	unsigned	 most = threads[_i] > 0 ? threads[_i] * COLLECT_AHEAD : 1;
	struct fixture	 f;
	struct collect	*c;
	struct look	 l;
	unsigned	 i, first = 0, total = 0;

	setup(&f, test_dir(), 40, NULL);
	publish(&f, 0, 'a', NULL);
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, NULL, -1, -1, threads[_i]));
	for (i = 0; i < LOOKS; i++)
		collect_look(c, i % f.job.blocks, BLOCK_BIT('a'));
	while (collect_next(c, 0, &l) == 1) {
		first++;
		collect_drop(&l);
	}
	ck_assert_msg(first >= LOOKS - most + 1, "%u returned before one was missing",
	    first);
	total = first;
	while (collect_next(c, 1, &l) == 1) {
		total++;
		collect_drop(&l);
	}
	ck_assert_uint_eq(total, LOOKS);
	collect_end(c);
	teardown(&f);
}
END_TEST

/* The events of a watch, "dir/name" each, until none is queued. */
static char **
events(struct watch *w, size_t *n)
{
	struct change	 c;
	char		**v = NULL;

	*n = 0;
	while (watch_next(w, 100, &c) == 1) {
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xasprintf("%s/%s", c.dir, c.name);
	}
	return v;
}

/* Where "dir/name" is among the events, or -1. */
static long
event_at(char **v, size_t n, const char *dir, const char *name)
{
	char	*want = xasprintf("%s/%s", dir, name);
	size_t	 i;

	for (i = 0; i < n && strcmp(v[i], want) != 0; i++)
		;
	free(want);
	return i < n ? (long)i : -1;
}

/* collect_retire() removes todo/block.N.v before block.N.v: inotify sees the order. */
START_TEST(test_retire_order)
{
	enum { BLOCKS = 12 };
	struct fixture	 f;
	struct collect	*c;
	struct watch	 w;
	char		*todo, name[PROTOCOL_NAME_MAX], **v;
	const char	*base;
	size_t		 n, i;
	long		 t, b;
	uint32_t	 k;

	setup(&f, test_inotify_dir(&w), 40, NULL);
	base = strrchr(f.dir, '/') + 1;
	for (k = 0; k < BLOCKS; k++) {
		publish(&f, k, 'a', NULL);
		ck_assert_int_eq(protocol_todo_add(f.fd, k, 'a', ""), 0);
	}
	todo = xasprintf("%s/todo", f.dir);
	watch_dir(&w, f.dir);
	watch_dir(&w, todo);
	ck_assert_ptr_nonnull(c = collect_start(f.fd, &f.job, NULL, -1, -1, threads[_i]));
	for (k = 0; k < 10; k++)
		collect_retire(c, k, 'a', RETIRE_TODO|RETIRE_BLOCK);
	collect_retire(c, 10, 'a', RETIRE_TODO);
	collect_retire(c, 11, 'a', RETIRE_BLOCK);
	ck_assert_int_eq(collect_wait(c), 0);
	v = events(&w, &n);
	for (k = 0; k < 10; k++) {
		protocol_block_name(name, k, 'a');
		t = event_at(v, n, "todo", name);
		b = event_at(v, n, base, name);
		ck_assert_msg(t != -1 && b != -1, "%s: removals unseen", name);
		ck_assert_msg(t < b, "%s removed before its todo file", name);
	}
	ck_assert(!exists(&f, "todo/block.10.a") && exists(&f, "block.10.a/done"));
	ck_assert(exists(&f, "todo/block.11.a") && !exists(&f, "block.11.a"));
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	collect_end(c);
	watch_close(&w);
	free(todo);
	teardown(&f);
}
END_TEST

Suite *
collect_suite(void)
{
	Suite	*s = suite_create("collect");
	TCase	*tc = tcase_create("collect");

	tcase_add_loop_test(tc, test_todo_signed, 0, 2);
	tcase_add_loop_test(tc, test_wait_errno, 0, 2);
	tcase_add_loop_test(tc, test_looks, 0, 2);
	tcase_add_loop_test(tc, test_looks_large, 0, 2);
	tcase_add_loop_test(tc, test_in_hand, 0, 2);
	tcase_add_loop_test(tc, test_retire_order, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
