/* check_batch.c — a batch's output names, -o and -halt as read, and its job log. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "joblog.h"
#include "tests.h"

/* Output names: the default, a directory (existing, or any name ending in /), a pattern. */
START_TEST(test_output_names)
{
	char	*dir = test_dir(), *name, *want;

	ck_assert_str_eq(name = batch_output(NULL, "a/b.tif", 3), "a/b-blur.tif");
	free(name);
	ck_assert_str_eq(name = batch_output("out/", "a/b.tif", 3), "out/b-blur.tif");
	free(name);
	ck_assert_str_eq(name = batch_output("f-%03d.tif", "a/b.tif", 7), "f-007.tif");
	free(name);
	ck_assert_str_eq(name = batch_output("100%%-%d.tif", "b.tif", 12), "100%-12.tif");
	free(name);
	ck_assert_int_ne(asprintf(&want, "%s/b-blur.tiff", dir), -1);
	ck_assert_str_eq(name = batch_output(dir, "x/b.tiff", 1), want);
	free(name);
	free(want);
	ck_assert_str_eq(name = batch_output("one.tif", "b.tif", 1), "one.tif");
	free(name);
	ck_assert_str_eq(name = batch_output("fr-%04d.tif", NULL, 42), "fr-0042.tif");
	free(name);
	test_rmdir(dir);
}
END_TEST

/* -o for several inputs: a directory or one %d; a plain name only for one input. */
START_TEST(test_output_refusals)
{
	ck_assert_ptr_null(batch_output_refusal(NULL, 5));
	ck_assert_ptr_null(batch_output_refusal("out/", 5));
	ck_assert_ptr_null(batch_output_refusal("o-%-4d.tif", 5));
	ck_assert_ptr_null(batch_output_refusal("one.tif", 1));
	ck_assert_ptr_nonnull(batch_output_refusal("one.tif", 2));
	ck_assert_ptr_nonnull(batch_output_refusal("o-%s.tif", 2));
	ck_assert_ptr_nonnull(batch_output_refusal("o-%d-%d.tif", 2));
	ck_assert_ptr_nonnull(batch_output_refusal("o-%ld.tif", 2));
}
END_TEST

/* -halt as GNU parallel spells it. */
START_TEST(test_halt)
{
	struct batch_opts	b = { 0 };
	static const char	*bad[] = { "now", "later,fail=1", "soon,fail=0", "soon,fail=x",
				    "soon,fail=2x", "now,fail=101%", "soon,success=1" };
	size_t			i;

	ck_assert_int_eq(batch_halt_parse(&b, "soon,fail=3"), 0);
	ck_assert(b.halt == HALT_SOON && b.halt_fail == 3 && !b.halt_percent);
	ck_assert_int_eq(batch_halt_parse(&b, "now,fail=20%"), 0);
	ck_assert(b.halt == HALT_NOW && b.halt_fail == 20 && b.halt_percent);
	ck_assert_int_eq(batch_halt_parse(&b, "never"), 0);
	ck_assert(b.halt == HALT_NEVER);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(batch_halt_parse(&b, bad[i]) == -1, "%s taken", bad[i]);
}
END_TEST

/* -frames A-B, or one frame. */
START_TEST(test_frames)
{
	struct batch_opts	b = { .first_frame = -1 };
	static const char	*bad[] = { "", "-3", "5-3", "3-", "a-b", "1-2x", "0-1000000" };
	size_t			i;

	ck_assert_int_eq(batch_frames_parse(&b, "3-6"), 0);
	ck_assert(b.first_frame == 3 && b.count == 4);
	ck_assert_int_eq(batch_frames_parse(&b, "12"), 0);
	ck_assert(b.first_frame == 12 && b.count == 1);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(batch_frames_parse(&b, bad[i]) == -1, "%s taken", bad[i]);
}
END_TEST

/* A log written, then resumed: appended to, its jobs with Exitval 0 known as done. */
START_TEST(test_joblog_resumed)
{
	char			*dir = test_dir(), *path, *cause = NULL, line[512];
	struct joblog		*log;
	struct joblog_entry	 e = { .seq = 1, .start = 1.5, .runtime = 0.25, .send = 10,
				    .receive = 20, .command = "blur -master a -o b" };
	FILE			*f;
	int			 lines = 0;

	ck_assert_int_ne(asprintf(&path, "%s/log", dir), -1);
	ck_assert_ptr_nonnull(log = joblog_open(path, 0, &cause));
	ck_assert_int_eq(joblog_add(log, &e, &cause), 0);
	e = (struct joblog_entry){ .seq = 2, .exitval = 1, .command = "blur -master c -o d" };
	ck_assert_int_eq(joblog_add(log, &e, &cause), 0);
	joblog_close(log);
	ck_assert_ptr_nonnull(log = joblog_open(path, 1, &cause));
	ck_assert(joblog_done(log, "blur -master a -o b"));
	ck_assert(!joblog_done(log, "blur -master c -o d"));
	ck_assert(!joblog_done(log, "Command"));
	joblog_close(log);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (lines++ == 1)
			ck_assert_msg(strncmp(line, "1\t", 2) == 0 &&
			    strstr(line, "\t1.500\t0.250\t10\t20\t0\t0\tblur -master a -o b\n"),
			    "%s", line);
	fclose(f);
	ck_assert_int_eq(lines, 3);	/* one header, resumed without another */
	free(path);
	test_rmdir(dir);
}
END_TEST

/* Commands as sh reads them back: bare names bare, others quoted; a frame's. */
START_TEST(test_joblog_command)
{
	char	*c;

	ck_assert_str_eq(c = joblog_command("in/a.tif", -1, "out/a-blur.tif"),
	    "blur -master in/a.tif -o out/a-blur.tif");
	free(c);
	ck_assert_str_eq(c = joblog_command("it's.tif", -1, "a b\tc"),
	    "blur -master 'it'\\''s.tif' -o 'a b'$'\\t''c'");
	free(c);
	ck_assert_str_eq(c = joblog_command(NULL, 7, "f-7.tif"), "blur -master -frame 7 -o f-7.tif");
	free(c);
}
END_TEST

Suite *
batch_suite(void)
{
	Suite	*s = suite_create("batch");
	TCase	*tc = tcase_create("batch");

	tcase_add_test(tc, test_output_names);
	tcase_add_test(tc, test_output_refusals);
	tcase_add_test(tc, test_halt);
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_joblog_resumed);
	tcase_add_test(tc, test_joblog_command);
	suite_add_tcase(s, tc);
	return s;
}
