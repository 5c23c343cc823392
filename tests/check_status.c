/* check_status.c — status.h: what -status prints of a job in DIR, its blocks in given states. */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status.h"
#include "tests.h"
#include "util.h"

/* status_run(dir, watch) with its stdout in a file: its result, and *out what it printed. */
static int
run_status(const char *dir, int watch, char **out, char **cause)
{
	char	*tmp = test_dir(), *path = xasprintf("%s/out", tmp);
	int	 fd, saved, r;
	off_t	 len;

	ck_assert_int_ge(fd = open(path, O_RDWR|O_CREAT, 0600), 0);
	fflush(stdout);
	ck_assert_int_ge(saved = dup(STDOUT_FILENO), 0);
	dup2(fd, STDOUT_FILENO);
	r = status_run(dir, watch, cause);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	len = lseek(fd, 0, SEEK_END);
	*out = xmalloc(len + 1);
	ck_assert_int_eq(pread_all(fd, *out, len, 0), 0);
	(*out)[len] = '\0';
	close(fd);
	free(path);
	test_rmdir(tmp);
	return r;
}

/* A running job in a fresh DIR (12 blocks of 40 rows), its descriptor in *fd. */
static char *
running(struct job *job, int *fd)
{
	char	*dir = test_dir(), *cause = NULL;

	*job = test_job("box", "radius=3", 40);
	strcpy(job->input, "in put.tif");
	strcpy(job->output, "/elsewhere/out.tif");
	snprintf(job->partial, sizeof job->partial, "%s/.out.tif.partial", dir);
	ck_assert_int_ge(*fd = protocol_open_dir(dir, 0, &cause), 0);
	ck_assert_int_eq(protocol_write_job(*fd, job, NULL, &cause), 0);
	ck_assert_int_eq(mkdirat(*fd, "todo", 0700), 0);
	ck_assert_int_eq(protocol_start(*fd, job), 0);
	return dir;
}

/* Claim block.N.v and publish it as who. */
static void
deliver(int fd, const struct job *job, uint32_t n, char v, const char *who)
{
	size_t	 len = job_block_rows(job, n) * job_row_bytes(job);
	void	*rows = xcalloc(1, len);

	ck_assert_int_eq(protocol_claim(fd, n, v, who), 1);
	ck_assert_int_eq(test_publish(fd, job, NULL, who, n, v, rows, len), 0);
	free(rows);
}

START_TEST(test_blocks_in_states)
{
	struct tally	 t = { .elapsed = 125, .reissues = 1, .failures = 2,
			    .notice = "polling every 250 ms (nfs)" };
	struct job	 job;
	char		*out, *want, *what, *cause = NULL;
	int		 fd;
	char		*dir = running(&job, &fd);

	deliver(fd, &job, 0, 'a', "h:0");			/* # done */
	ck_assert_int_eq(protocol_claim(fd, 1, 'a', "h:1"), 1);	/* + claimed */
	ck_assert_int_eq(protocol_todo_add(fd, 2, 'a', ""), 0);	/* . waiting */
	ck_assert_int_eq(protocol_claim(fd, 3, 'a', "h:3"), 1);	/* x failed */
	ck_assert_int_eq(protocol_fail(fd, &job, NULL, 3, 'a', "h:3", "no", NULL), 0);
	ck_assert_int_eq(protocol_claim(fd, 4, 'a', "h:4"), 1);	/* ! reissued */
	ck_assert_int_eq(protocol_todo_add(fd, 4, 'b', ""), 0);
	ck_assert_int_eq(protocol_claim(fd, 5, 'a', "h:5"), 1);	/* x its newest failed */
	ck_assert_int_eq(protocol_claim(fd, 5, 'b', "h:5"), 1);
	ck_assert_int_eq(protocol_fail(fd, &job, NULL, 5, 'b', "h:5", "no", NULL), 0);
	ck_assert_int_eq(protocol_claim(fd, 7, 'a', "h:1"), 1);	/* # done at b */
	deliver(fd, &job, 7, 'b', "h:7");
	tally_add(&t, "h:0");
	tally_add(&t, "h:7");
	t.done = 2;
	ck_assert_int_eq(protocol_write_tally(fd, &t), 0);
	setenv("COLUMNS", "5", 1);
	ck_assert_int_eq(run_status(dir, 0, &out, &cause), 0);
	what = op_describe(&job.args);
	want = xasprintf("job %s in %s\n"
	    "input in put.tif\n"
	    "output /elsewhere/out.tif\n"
	    "image 640x480, 3 uint8 samples; %s\n"
	    "blocks 12 of 40 rows: 2 done, 1 claimed, 7 waiting; 1 reissue\n"
	    "failures 2, 2 blocks failed and not yet reissued\n"
	    "slaves h:0 (1) h:7 (1)\n"
	    "master polling every 250 ms (nfs)\n"
	    "elapsed 2:05, ETA 10:25\n"
	    "#+.x!\n"
	    "x.#..\n"
	    "..\n", job.id, dir, what);
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	free(what);
	tally_free(&t);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}
END_TEST

/* A job just opened: nothing done, no tally yet, no ETA, one sample, a row a block. */
START_TEST(test_fresh_job)
{
	struct job	 job = test_job("negate", "", 1);
	char		*dir = test_dir(), *out, *cause = NULL, *want, *what;
	int		 fd;

	job.samples = 1;
	job.height = 3;
	job.blocks = 3;
	strcpy(job.input, "a.tif");
	strcpy(job.output, "b.tif");
	ck_assert_int_ge(fd = protocol_open_dir(dir, 0, &cause), 0);
	ck_assert_int_eq(protocol_write_job(fd, &job, NULL, &cause), 0);
	ck_assert_int_eq(protocol_start(fd, &job), 0);
	setenv("COLUMNS", "80", 1);
	ck_assert_int_eq(run_status(dir, 0, &out, &cause), 0);
	what = op_describe(&job.args);
	want = xasprintf("job %s in %s\ninput a.tif\noutput b.tif\n"
	    "image 640x3, 1 uint8 sample; %s\n"
	    "blocks 3 of 1 row: 0 done, 0 claimed, 3 waiting; 0 reissues\n"
	    "slaves none yet\nelapsed 0:00\n...\n", job.id, dir, what);
	ck_assert_str_eq(out, want);
	free(want);
	free(what);
	free(out);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}
END_TEST

/* No job: no DIR, an empty one, one whose `working` names another job. */
START_TEST(test_no_job)
{
	struct job	 job = test_job("box", "radius=1", 40), other = test_job("box",
			    "radius=1", 40);
	char		*dir = test_dir(), *none = xasprintf("%s/none", dir), *out, *want;
	char		*cause = NULL;
	int		 fd;

	ck_assert_int_eq(run_status(none, 0, &out, &cause), STATUS_NO_JOB);
	want = xasprintf("no job in %s\n", none);
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	ck_assert_int_eq(run_status(dir, 0, &out, &cause), STATUS_NO_JOB);
	want = xasprintf("no job in %s\n", dir);
	ck_assert_str_eq(out, want);
	free(out);
	ck_assert_int_ge(fd = protocol_open_dir(dir, 0, &cause), 0);
	ck_assert_int_eq(protocol_write_job(fd, &job, NULL, &cause), 0);
	ck_assert_int_eq(protocol_start(fd, &other), 0);	/* between two jobs */
	ck_assert_int_eq(run_status(dir, 0, &out, &cause), STATUS_NO_JOB);
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	free(none);
	job_free(&job);
	job_free(&other);
	close(fd);
	test_rmdir(dir);
}
END_TEST

/* DIR not a directory, or its data.dat broken: -1 and a cause naming it. */
START_TEST(test_errors)
{
	struct job	 job;
	char		*out, *cause = NULL, *file;
	int		 fd, data;
	char		*dir = running(&job, &fd);

	file = xasprintf("%s/data.dat", dir);
	ck_assert_int_eq(run_status(file, 0, &out, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "data.dat: Not a directory"));
	ck_assert_str_eq(out, "");
	free(cause);
	free(out);
	ck_assert_int_ge(data = openat(fd, "data.dat", O_WRONLY|O_TRUNC), 0);
	ck_assert_int_eq(write_all(data, "blur 3\n", 7), 0);
	close(data);
	cause = NULL;
	ck_assert_int_eq(run_status(dir, 0, &out, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strncmp(cause, file, strlen(file)) == 0, "%s", cause);
	ck_assert_str_eq(out, "");
	free(cause);
	free(out);
	free(file);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}
END_TEST

/*
 * -watch until the job ends (a child ends it after 1.5 s), and what it says of its end
 * by the partial output it saw: renamed into place, removed (an older output standing
 * there or not), or never seen.
 */
START_TEST(test_watch_ending)
{
	static const char *const endings[] = {
		"the job in %s succeeded: wrote /elsewhere/out.tif\n",
		"the job in %s failed (no output)\n",
		"the job in %s ended; its output is not visible from this host\n",
		"the job in %s failed (no output)\n",
	};
	struct job	 job;
	char		*out, *cause = NULL, *final, *want, *last;
	int		 fd, part, status;
	pid_t		 pid;
	char		*dir = running(&job, &fd);

	final = xasprintf("%s/out.tif", dir);
	if (_i != 2) {
		ck_assert_int_ge(part = open(job.partial, O_CREAT|O_WRONLY, 0600), 0);
		close(part);
	}
	if (_i == 3) {
		ck_assert_int_ge(part = open(final, O_CREAT|O_WRONLY, 0600), 0);
		close(part);
	}
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		usleep(1500000);
		if (_i == 0 && rename(job.partial, final) == -1)
			_exit(1);
		if ((_i == 1 || _i == 3) && unlink(job.partial) == -1)
			_exit(1);
		protocol_stop(fd);
		_exit(0);
	}
	ck_assert_int_eq(run_status(dir, 1, &out, &cause), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	/* Shown at least twice, a blank line between, then the ending alone. */
	ck_assert_msg(strstr(out, "\n\njob ") != NULL, "shown once: %s", out);
	ck_assert_int_eq(strncmp(out, "job ", 4), 0);
	want = xasprintf(endings[_i], dir);
	ck_assert_ptr_nonnull(last = strstr(out, "\n\nthe job in "));
	ck_assert_str_eq(last + 2, want);
	free(want);
	free(out);
	free(final);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}
END_TEST

Suite *
status_suite(void)
{
	Suite	*s = suite_create("status");
	TCase	*tc = tcase_create("status");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_blocks_in_states);
	tcase_add_test(tc, test_fresh_job);
	tcase_add_test(tc, test_no_job);
	tcase_add_test(tc, test_errors);
	tcase_add_loop_test(tc, test_watch_ending, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
