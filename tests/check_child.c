/* check_child.c — commands run through child.h: what they read and write, how they end,
   how they are ended, and one that cannot start. */
#include <config.h>

#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "util.h"
#include "tests.h"

#define GOT_MAX	(2 << 20)

/* What a command wrote, and how often each stream said it ended. */
struct got {
	char	out[GOT_MAX];
	size_t	out_len;
	int	out_ends;
	char	err[4096];
	size_t	err_len;
	int	err_ends;
};

static void
got_add(char *buf, size_t size, size_t *len, int *ends, const uint8_t *data, size_t n)
{
	ck_assert_uint_le(*len + n, size);
	ck_assert_int_eq(*ends, 0);
	memcpy(buf + *len, data, n);
	*len += n;
	*ends += n == 0;
}

static void
got_out(void *arg, const uint8_t *data, size_t n)
{
	struct got	*g = arg;

	got_add(g->out, sizeof g->out, &g->out_len, &g->out_ends, data, n);
}

static void
got_err(void *arg, const uint8_t *data, size_t n)
{
	struct got	*g = arg;

	got_add(g->err, sizeof g->err, &g->err_len, &g->err_ends, data, n);
}

/* Cancel once the command has written a line (its pids). */
static int
got_line(void *arg)
{
	const struct got	*g = arg;

	return memchr(g->out, '\n', g->out_len) != NULL;
}

/* Whether process pid has ended (a zombie not yet reaped has). */
static int
gone(pid_t pid)
{
	char	path[64], text[256], *paren;
	FILE	*f;
	size_t	n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	return (paren = strrchr(text, ')')) != NULL && paren[1] == ' ' && paren[2] == 'Z';
}

/* Whether process pid ends within a second (its killed parent's zombie is reaped late). */
static int
ends(pid_t pid)
{
	double	t0 = now();

	while (!gone(pid) && now() - t0 < 1)
		usleep(10000);
	return gone(pid);
}

/* Run `sh -c command` from path, fed in; what it wrote into *g. */
static struct child_exit
run(const char *path, const char *command, struct iovec *in, int count, struct got *g,
    int (*cancelled)(void *))
{
	char			*argv[] = { "sh", "-c", (char *)command, NULL };
	struct child_io		 io = { in, count, got_out, got_err, g, cancelled, g };
	struct child_exit	 how;
	struct child		*c;
	char			*cause = NULL;
	sigset_t		 mask;

	memset(g, 0, sizeof *g);
	c = child_start(path, argv, environ, &io, &cause);
	ck_assert_msg(c != NULL, "%s", cause);
	child_wait(c, &how);
	/* SIGPIPE is ours again, and none of our writes left one pending. */
	sigprocmask(SIG_BLOCK, NULL, &mask);
	ck_assert(!sigismember(&mask, SIGPIPE));
	sigpending(&mask);
	ck_assert(!sigismember(&mask, SIGPIPE));
	return how;
}

START_TEST(test_echo)
{
	static char		 rows[1 << 20];
	struct got		*g = malloc(sizeof *g);
	struct iovec		 in[3] = { { "head\n", 5 }, { rows, sizeof rows }, { "tail", 4 } };
	struct child_exit	 how;
	size_t			 i;

	for (i = 0; i < sizeof rows; i++)
		rows[i] = (char)(i * 2654435761u >> 13);
	/* More than a pipe holds, each way: cat waits for us to read while we write. */
	how = run("/bin/sh", "cat", in, 3, g, NULL);
	ck_assert(!how.cancelled);
	ck_assert_int_eq(how.error, 0);
	ck_assert(WIFEXITED(how.status) && WEXITSTATUS(how.status) == 0);
	ck_assert_uint_eq(g->out_len, 5 + sizeof rows + 4);
	ck_assert(memcmp(g->out, "head\n", 5) == 0);
	ck_assert(memcmp(g->out + 5, rows, sizeof rows) == 0);
	ck_assert(memcmp(g->out + 5 + sizeof rows, "tail", 4) == 0);
	ck_assert_int_eq(g->out_ends, 1);
	ck_assert_int_eq(g->err_ends, 1);
	ck_assert_uint_eq(g->err_len, 0);
	/* A command that reads none of it: no SIGPIPE for us. */
	in[0].iov_base = rows;
	in[0].iov_len = sizeof rows;
	how = run("/bin/sh", "exec 0<&-; echo done", in, 1, g, NULL);
	ck_assert(WIFEXITED(how.status) && WEXITSTATUS(how.status) == 0);
	ck_assert_uint_eq(g->out_len, 5);
	/* Without input it reads /dev/null. */
	how = run("/bin/sh", "wc -c", NULL, 0, g, NULL);
	ck_assert_uint_eq(g->out_len, 2);
	ck_assert(memcmp(g->out, "0\n", 2) == 0);
	free(g);
}
END_TEST

START_TEST(test_stderr)
{
	struct got		*g = malloc(sizeof *g);
	struct child_exit	 how;

	how = run("/bin/sh", "echo out; echo one >&2; printf two >&2", NULL, 0, g, NULL);
	ck_assert(WIFEXITED(how.status) && WEXITSTATUS(how.status) == 0);
	ck_assert_uint_eq(g->err_len, 7);
	ck_assert(memcmp(g->err, "one\ntwo", 7) == 0);
	ck_assert_int_eq(g->err_ends, 1);
	ck_assert_uint_eq(g->out_len, 4);
	free(g);
}
END_TEST

START_TEST(test_status)
{
	struct got		*g = malloc(sizeof *g);
	struct child_exit	 how;

	how = run("/bin/sh", "exit 3", NULL, 0, g, NULL);
	ck_assert(!how.cancelled);
	ck_assert_int_eq(how.error, 0);
	ck_assert(WIFEXITED(how.status));
	ck_assert_int_eq(WEXITSTATUS(how.status), 3);
	how = run("/bin/sh", "kill -USR1 $$", NULL, 0, g, NULL);
	ck_assert(!how.cancelled);
	ck_assert(WIFSIGNALED(how.status));
	ck_assert_int_eq(WTERMSIG(how.status), SIGUSR1);
	/* What it leaves running in its group, holding its stdout, is killed as it exits. */
	how = run("/bin/sh", "sleep 30 & echo $!; exit 4", NULL, 0, g, NULL);
	ck_assert(WIFEXITED(how.status));
	ck_assert_int_eq(WEXITSTATUS(how.status), 4);
	g->out[g->out_len] = '\0';
	ck_assert(ends(atoi(g->out)));
	free(g);
}
END_TEST

/* A command and a child of its, both in its group, cancelled: ended in [least, most) s. */
static void
cancel(const char *trap, double least, double most)
{
	struct got		*g = malloc(sizeof *g);
	struct child_exit	 how;
	char			*command = xasprintf("%s sleep 30 & echo $! $$; wait", trap);
	double			 t0 = now(), took;
	int			 a, b;

	how = run("/bin/sh", command, NULL, 0, g, got_line);
	took = now() - t0;
	ck_assert(how.cancelled);
	ck_assert_msg(took >= least && took < most, "ended in %.2f s", took);
	g->out[g->out_len] = '\0';
	ck_assert_int_eq(sscanf(g->out, "%d %d", &a, &b), 2);
	ck_assert_msg(ends(a) && ends(b), "sleep %d or sh %d still runs", a, b);
	free(command);
	free(g);
}

START_TEST(test_cancel)
{
	/* SIGTERM ends them: no waiting for the SIGKILL. */
	cancel("", 0, CHILD_GRACE);
}
END_TEST

START_TEST(test_cancel_stubborn)
{
	cancel("trap '' TERM;", CHILD_GRACE, CHILD_GRACE + 1);
}
END_TEST

START_TEST(test_cannot_start)
{
	struct got		*g = malloc(sizeof *g);
	struct child_exit	 how;

	how = run("/nonexistent/sh", "true", NULL, 0, g, NULL);
	ck_assert(!how.cancelled);
	ck_assert_int_eq(how.error, ENOENT);
	ck_assert_uint_eq(g->out_len + g->err_len, 0);
	free(g);
}
END_TEST

Suite *
child_suite(void)
{
	Suite	*s = suite_create("child");
	TCase	*tc = tcase_create("child");

	tcase_add_test(tc, test_echo);
	tcase_add_test(tc, test_stderr);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_cancel_stubborn);
	tcase_add_test(tc, test_cannot_start);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
