/* check_blur.c — runs every suite; each test in its own process (Check's fork mode). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "tests.h"

char *
test_dir(void)
{
	const char	*tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char		*dir;

	if (asprintf(&dir, "%s/check_blur.XXXXXX", tmp) == -1 || mkdtemp(dir) == NULL)
		abort();
	return dir;
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

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(protocol_suite());
	srunner_add_suite(sr, kernel_suite());
	srunner_add_suite(sr, image_suite());
	srunner_add_suite(sr, blocks_suite());
	srunner_add_suite(sr, median_suite());
	srunner_add_suite(sr, conv_suite());
	srunner_add_suite(sr, pnm_suite());
	srunner_add_suite(sr, exec_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
