/* check_blur.c — runs every suite; each test in its own process (Check's fork mode). */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "tests.h"

char *
test_dir_in(const char *base)
{
	char	*dir;

	if (asprintf(&dir, "%s/check_blur.XXXXXX", base) == -1 || mkdtemp(dir) == NULL)
		abort();
	return dir;
}

char *
test_dir(void)
{
	return test_dir_in(getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
}

char *
test_inotify_dir(struct watch *w)
{
	static const char *const bases[] = { NULL, "/dev/shm" };
	char		*dir;
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		dir = bases[i] != NULL ? test_dir_in(bases[i]) : test_dir();
		ck_assert_int_ne(fd = open(dir, O_RDONLY|O_DIRECTORY), -1);
		watch_start(w, fd, 0, -1);
		close(fd);
		if (w->inotify)
			return dir;
		test_rmdir(dir);
	}
	ck_abort_msg("inotify sees neither $TMPDIR nor /dev/shm (%s)", w->how);
	return NULL;
}

int
test_publish(int dirfd, const struct job *job, const unsigned char *key,
    const char *who, uint32_t n, char v, const void *rows, size_t len)
{
	uint32_t	size = len;

	return protocol_publish(dirfd, job, key, who, n, v, &size, rows, len, NULL);
}

int
test_read_rows(int fd, const unsigned char *key, void *rows, size_t len, char **why)
{
	uint8_t	*payload = malloc(len + sizeof(uint32_t));
	int	 r = protocol_read_result(fd, key, payload, len + sizeof(uint32_t), why);

	if (r == 0)
		memcpy(rows, payload + sizeof(uint32_t), len);
	free(payload);
	return r;
}

struct job
test_job(const char *op, const char *values, uint32_t rows)
{
	struct job	 job = { .width = 640, .height = 480, .samples = 3,
			    .format = SAMPLE_UINT8, .bits = 8, .rows = rows,
			    .blocks = (480 + rows - 1) / rows,
			    .layout = { .compression = COMPRESSION_NONE,
			    .photometric = PHOTOMETRIC_RGB, .rows = rows } };
	char		*copy = strdup(values), *p, *eq, *cause;

	job_new_id(&job);
	ck_assert_ptr_nonnull(job.args.op = op_find(op));
	for (p = strtok(copy, " "); p != NULL; p = strtok(NULL, " ")) {
		ck_assert_ptr_nonnull(eq = strchr(p, '='));
		*eq = '\0';
		ck_assert_int_eq(op_set(&job.args, p, eq + 1, &cause), 0);
	}
	ck_assert_int_eq(op_ready(&job.args, &cause), 0);
	job.args.op->halo(&job.args, &job.top, &job.bottom);
	free(copy);
	return job;
}

void
test_rmdir(char *dir)
{
	char	*cmd;

	if (asprintf(&cmd, "rm -rf '%s'", dir) == -1 || system(cmd) != 0)
		abort();
	free(cmd);
	free(dir);
}

uint32_t
test_run_blocks(const struct op_args *a, void *state, const struct op_image *im,
    const void *px, uint32_t rows, void *out, int (*cancelled)(void *))
{
	size_t		 row = op_row_bytes(im);
	uint32_t	 top, bottom, y0, failed = 0;
	struct op_block	 b;
	char		*cause;

	a->op->halo(a, &top, &bottom);
	for (y0 = 0; y0 < im->height; y0 += rows) {
		memset(&b, 0, sizeof b);
		b.n = y0 / rows;
		b.y = y0;
		b.rows = im->height - y0 < rows ? im->height - y0 : rows;
		b.top = y0 < top ? y0 : top;
		b.bottom = im->height - y0 - b.rows < bottom ?
		    im->height - y0 - b.rows : bottom;
		b.cancelled = cancelled;
		cause = NULL;
		if (a->op->run(state, &b, (const char *)px + (y0 - b.top) * row,
		    (char *)out + y0 * row, &cause) == -1) {
			ck_assert_ptr_nonnull(cause);
			free(cause);
			failed++;
		}
		free(b.detail);
	}
	return failed;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(protocol_suite());
	srunner_add_suite(sr, kernel_suite());
	srunner_add_suite(sr, image_suite());
	srunner_add_suite(sr, chunk_suite());
	srunner_add_suite(sr, blocks_suite());
	srunner_add_suite(sr, op_suite());
	srunner_add_suite(sr, median_suite());
	srunner_add_suite(sr, conv_suite());
	srunner_add_suite(sr, pnm_suite());
	srunner_add_suite(sr, exec_suite());
	srunner_add_suite(sr, watch_suite());
	srunner_add_suite(sr, progress_suite());
	srunner_add_suite(sr, collect_suite());
	srunner_add_suite(sr, sample_suite());
	srunner_add_suite(sr, secret_suite());
	srunner_add_suite(sr, util_suite());
	srunner_add_suite(sr, tags_suite());
	srunner_add_suite(sr, status_suite());
	srunner_add_suite(sr, child_suite());
	srunner_add_suite(sr, reduce_suite());
	srunner_add_suite(sr, batch_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
