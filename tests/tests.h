/* tests.h — the Check suites, one per module of src/. */
#ifndef BLUR_TESTS_H
#define BLUR_TESTS_H

#include <check.h>

Suite	*protocol_suite(void);
Suite	*kernel_suite(void);
Suite	*image_suite(void);
Suite	*blocks_suite(void);
Suite	*median_suite(void);
Suite	*conv_suite(void);
Suite	*pnm_suite(void);
Suite	*exec_suite(void);

/* A fresh empty directory under $TMPDIR (or /tmp) for one test; test_rmdir() removes
   it and frees its name. */
char	*test_dir(void);
void	 test_rmdir(char *);

#endif
