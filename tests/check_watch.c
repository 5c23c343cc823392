/* check_watch.c — watch.h: what inotify reports, and what it stops reporting. */
#include <config.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"
#include "watch.h"

/* A watch of a fresh directory that inotify sees, holding sub/, itself watched. */
static char *
watched(struct watch *w, char **sub)
{
	char	*dir = test_inotify_dir(w);

	ck_assert_int_ne(asprintf(sub, "%s/sub", dir), -1);
	ck_assert_int_eq(mkdir(*sub, 0700), 0);
	watch_dir(w, dir);
	watch_dir(w, *sub);
	return dir;
}

/* Make path/name, an empty file. */
static void
touch(const char *path, const char *name)
{
	char	*p;
	int	 fd;

	ck_assert_int_ne(asprintf(&p, "%s/%s", path, name), -1);
	ck_assert_int_ne(fd = open(p, O_WRONLY|O_CREAT|O_EXCL, 0600), -1);
	close(fd);
	free(p);
}

START_TEST(test_watch_reports)
{
	struct watch	 w;
	struct change	 c;
	char		*sub, *dir = watched(&w, &sub);

	touch(sub, "done");
	ck_assert_int_eq(watch_next(&w, 0, &c), 1);
	ck_assert_str_eq(c.dir, "sub");
	ck_assert_str_eq(c.name, "done");
	watch_close(&w);
	free(sub);
	test_rmdir(dir);
}
END_TEST

/* A forgotten directory reports nothing more; the others still do. */
START_TEST(test_watch_forget)
{
	struct watch	 w;
	struct change	 c;
	char		*sub, *dir = watched(&w, &sub);

	watch_forget(&w, sub);
	touch(sub, "done");
	touch(dir, "working");
	ck_assert_int_eq(watch_next(&w, 0, &c), 1);
	do
		ck_assert_str_eq(c.name, "working");	/* its creation, then its close */
	while (watch_next(&w, 0, &c) == 1);
	watch_close(&w);
	free(sub);
	test_rmdir(dir);
}
END_TEST

Suite *
watch_suite(void)
{
	Suite	*s = suite_create("watch");
	TCase	*tc = tcase_create("inotify");

	tcase_add_test(tc, test_watch_reports);
	tcase_add_test(tc, test_watch_forget);
	suite_add_tcase(s, tc);
	return s;
}
