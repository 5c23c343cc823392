/*
 * tests.h — the Check suites: one for each module of src/ whose promises can be tested
 * without running a job (protocol, blocks, op and each operation, pnm, image, kernel, watch,
 * progress);
 * master, slave, -status and the command line are tested by running them, in the shell
 * suites (the .sh files of tests/ and tests/ops/).
 */
#ifndef BLUR_TESTS_H
#define BLUR_TESTS_H

#include <check.h>

#include "op.h"

Suite	*protocol_suite(void);
Suite	*kernel_suite(void);
Suite	*image_suite(void);
Suite	*blocks_suite(void);
Suite	*op_suite(void);
Suite	*median_suite(void);
Suite	*conv_suite(void);
Suite	*pnm_suite(void);
Suite	*exec_suite(void);
Suite	*watch_suite(void);
Suite	*progress_suite(void);

/* A fresh empty directory under $TMPDIR (or /tmp) for one test; test_rmdir() removes
   it and frees its name. */
char	*test_dir(void);
void	 test_rmdir(char *);

/*
 * Run a started operation over the image `im` held in px, in blocks of `rows`, each block
 * given only its rows and the halo a slave would read (fewer at the image's edges), the
 * results into out (the whole image); `cancelled` as op_block's, or NULL. The number of
 * blocks whose run() failed, each with a cause.
 */
uint32_t test_run_blocks(const struct op_args *, void *state, const struct op_image *im,
	    const void *px, uint32_t rows, void *out, int (*cancelled)(void *));

#endif
