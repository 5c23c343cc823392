/*
 * tests.h — the Check suites: one for each module of src/ whose promises can be tested
 * without running a job (protocol, blocks, op and each operation, pnm, image, chunk,
 * kernel, watch, progress, collect, sample, secret, util, tags, status, child, reduce,
 * batch and its job log);
 * master, slave, -status and the command line are tested by running them, in the shell
 * suites (the .sh files of tests/ and tests/ops/).
 */
#ifndef BLUR_TESTS_H
#define BLUR_TESTS_H

#include <check.h>

#include "op.h"
#include "protocol.h"
#include "watch.h"

Suite	*protocol_suite(void);
Suite	*kernel_suite(void);
Suite	*image_suite(void);
Suite	*chunk_suite(void);
Suite	*blocks_suite(void);
Suite	*op_suite(void);
Suite	*median_suite(void);
Suite	*conv_suite(void);
Suite	*pnm_suite(void);
Suite	*exec_suite(void);
Suite	*watch_suite(void);
Suite	*progress_suite(void);
Suite	*collect_suite(void);
Suite	*sample_suite(void);
Suite	*secret_suite(void);
Suite	*util_suite(void);
Suite	*tags_suite(void);
Suite	*status_suite(void);
Suite	*child_suite(void);
Suite	*reduce_suite(void);
Suite	*batch_suite(void);

/* A fresh empty directory under $TMPDIR (or /tmp) for one test; test_rmdir() removes
   it and frees its name. */
char	*test_dir(void);
char	*test_dir_in(const char *base);
void	 test_rmdir(char *);

/*
 * A fresh directory that inotify sees, watched by w (watch_start()): under $TMPDIR, or
 * under /dev/shm (tmpfs) when $TMPDIR is on a filesystem blur polls, so that the
 * inotify tests run everywhere instead of passing without testing anything.
 */
char	*test_inotify_dir(struct watch *w);

/*
 * A 640x480 RGB uint8 job in blocks of `rows`, running op with values "name=value ...";
 * its output uncompressed, in strips a block high: a result is one chunk of its rows.
 */
struct job test_job(const char *op, const char *values, uint32_t rows);

/*
 * Run a started operation over the image `im` held in px, in blocks of `rows`, each block
 * given only its rows and the halo a slave would read (fewer at the image's edges), the
 * results into out (the whole image); `cancelled` as op_block's, or NULL. The number of
 * blocks whose run() failed, each with a cause.
 */
/*
 * Publish or read back the result of a job made by test_job(): the rows as its one
 * chunk (protocol_publish(), protocol_read_result()).
 */
int	 test_publish(int dirfd, const struct job *, const unsigned char *key,
	    const char *who, uint32_t n, char v, const void *rows, size_t len);
int	 test_read_rows(int fd, const unsigned char *key, void *rows, size_t len,
	    char **why);

uint32_t test_run_blocks(const struct op_args *, void *state, const struct op_image *im,
	    const void *px, uint32_t rows, void *out, int (*cancelled)(void *));

#endif
