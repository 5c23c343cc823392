/* check_progress.c — progress.h: the percentages an operator reads. */
#include <config.h>

#include "progress.h"
#include "tests.h"

/* Rounded to the nearest, as a reader expects: 2 of 3 is 67, not 66. */
START_TEST(percent_rounds)
{
	ck_assert_uint_eq(progress_percent(0, 3), 0);
	ck_assert_uint_eq(progress_percent(1, 3), 33);
	ck_assert_uint_eq(progress_percent(2, 3), 67);
	ck_assert_uint_eq(progress_percent(1, 8), 13);
	ck_assert_uint_eq(progress_percent(1, 200), 1);
	ck_assert_uint_eq(progress_percent(4000000000u, 4000000000u), 100);
}
END_TEST

/* 100 says the job is done: never before, however close. */
START_TEST(percent_whole_only)
{
	ck_assert_uint_eq(progress_percent(199, 200), 99);
	ck_assert_uint_eq(progress_percent(999999, 1000000), 99);
	ck_assert_uint_eq(progress_percent(200, 200), 100);
	ck_assert_uint_eq(progress_percent(1, 1), 100);
}
END_TEST

Suite *
progress_suite(void)
{
	Suite	*s = suite_create("progress");
	TCase	*tc = tcase_create("percent");

	tcase_add_test(tc, percent_rounds);
	tcase_add_test(tc, percent_whole_only);
	suite_add_tcase(s, tc);
	return s;
}
