/* check_blocks.c — the block state machine, driven by made-up listings and a fake clock. */
#include <config.h>

#include "blocks.h"
#include "tests.h"

/* A sighting with the given versions' bits, as strings of letters. */
static struct sighting
seen(const char *todo, const char *claimed, const char *done, const char *failed)
{
	struct sighting	 s = { 0 };
	const char	*p;

	for (p = todo; *p; p++)
		s.todo |= BLOCK_BIT(*p);
	for (p = claimed; *p; p++)
		s.claimed |= BLOCK_BIT(*p);
	for (p = done; *p; p++)
		s.done |= BLOCK_BIT(*p);
	for (p = failed; *p; p++)
		s.failed |= BLOCK_BIT(*p);
	return s;
}

START_TEST(test_claim_collect)
{
	struct blocks	bs;
	struct sighting	s;
	char		v;

	blocks_init(&bs, 2, 0, 3);
	s = seen("a", "", "", "");
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_NOTHING);
	blocks_issued(&bs, 0, blocks_next_version(&bs, 0));
	ck_assert_int_eq(bs.b[0].version, 'a');
	ck_assert_uint_eq(bs.reissues, 0);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_NOTHING);
	s = seen("a", "a", "", "");
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 2, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(v, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 2, &v), BLOCK_NOTHING);
	ck_assert_uint_eq(blocks_working(&bs), 1);
	s = seen("a", "a", "a", "");
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 5, &v), BLOCK_COLLECT);
	blocks_collected(&bs, 0, v, 5);
	ck_assert_uint_eq(bs.in, 1);
	ck_assert_double_eq(bs.slowest, 3);
	ck_assert_uint_eq(blocks_working(&bs), 0);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 6, &v), BLOCK_NOTHING);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_timeouts)
{
	struct blocks	bs;
	struct sighting	s = seen("a", "a", "", "");
	char		v;

	blocks_init(&bs, 1, 0, 3);
	ck_assert_double_eq(blocks_timeout(&bs), BLOCKS_TIMEOUT);
	blocks_issued(&bs, 0, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 100, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 100 + BLOCKS_TIMEOUT - 0.1, &v),
	    BLOCK_NOTHING);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 100 + BLOCKS_TIMEOUT, &v), BLOCK_LATE);
	ck_assert_int_eq(v, 'a');
	blocks_issued(&bs, 0, blocks_next_version(&bs, 0));
	ck_assert_int_eq(bs.b[0].version, 'b');
	ck_assert_uint_eq(bs.reissues, 1);
	/* The old claim is not late again; the new version is not claimed yet. */
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1000, &v), BLOCK_NOTHING);
	/* Adaptive: five times the slowest, at least the floor. */
	bs.slowest = 1;
	ck_assert_double_eq(blocks_timeout(&bs), TIMEOUT_FLOOR);
	bs.slowest = 3;
	ck_assert_double_eq(blocks_timeout(&bs), 3 * TIMEOUT_FACTOR);
	bs.timeout = 2;
	ck_assert_double_eq(blocks_timeout(&bs), 2);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_pause)
{
	struct blocks	bs;
	struct sighting	s = seen("a", "a", "", "");
	char		v;

	blocks_init(&bs, 1, 10, 3);
	blocks_issued(&bs, 0, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 100, &v), BLOCK_CLAIM_SEEN);
	/* 30 s in which DIR was full make no claim late, and count in no block's time. */
	blocks_pause(&bs, 30);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 139.9, &v), BLOCK_NOTHING);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 140, &v), BLOCK_LATE);
	s = seen("a", "a", "a", "");
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 141, &v), BLOCK_COLLECT);
	blocks_collected(&bs, 0, v, 141);
	ck_assert_double_eq(bs.slowest, 11);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_old_version_wins)
{
	struct blocks	bs;
	struct sighting	s = seen("b", "ab", "a", "");
	char		v;

	blocks_init(&bs, 1, 1, 3);
	blocks_issued(&bs, 0, 'a');
	blocks_issued(&bs, 0, 'b');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(v, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_COLLECT);
	ck_assert_int_eq(v, 'a');
	blocks_collected(&bs, 0, 'a', 2);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 9, &v), BLOCK_NOTHING);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_rejected)
{
	struct blocks	bs;
	struct sighting	s = seen("a", "a", "a", "");
	char		v;

	blocks_init(&bs, 1, 0, 3);
	blocks_issued(&bs, 0, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_COLLECT);
	blocks_collected(&bs, 0, 'a', 1);
	/* Its rows turned out bad when read: the block is out again, and asked for. */
	ck_assert_int_eq(blocks_rejected(&bs, 0, 'a'), 1);
	ck_assert_uint_eq(bs.in, 0);
	/* The same stale listing does not offer the rejected result twice. */
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 2, &v), BLOCK_NOTHING);
	blocks_issued(&bs, 0, 'b');
	/* A bad old version, with a newer one out, needs no reissue. */
	ck_assert_int_eq(blocks_rejected(&bs, 0, 'a'), 0);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_failures)
{
	struct blocks	bs;
	struct sighting	s;
	int		reissue;
	char		v, u;

	blocks_init(&bs, 1, 0, 3);
	for (u = 'a'; u <= 'c'; u++) {
		blocks_issued(&bs, 0, u);
		s = seen("", "abc", "", u == 'a' ? "a" : u == 'b' ? "ab" : "abc");
		while (blocks_next(&bs, 0, &s, 1, &v) == BLOCK_CLAIM_SEEN)
			;
		ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_FAILURE);
		ck_assert_int_eq(v, u);
		ck_assert_int_eq(blocks_failed(&bs, 0, v, &reissue), u == 'c');
		ck_assert_int_eq(reissue, 1);
		ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_NOTHING);
	}
	ck_assert_uint_eq(bs.b[0].failures, 3);
	ck_assert_uint_eq(blocks_working(&bs), 0);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_failure_of_old_version)
{
	struct blocks	bs;
	struct sighting	s = seen("b", "ab", "", "a");
	int		reissue;
	char		v;

	blocks_init(&bs, 1, 0, 3);
	blocks_issued(&bs, 0, 'a');
	blocks_issued(&bs, 0, 'b');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_FAILURE);
	ck_assert_int_eq(v, 'a');
	ck_assert_int_eq(blocks_failed(&bs, 0, 'a', &reissue), 0);
	ck_assert_int_eq(reissue, 0);
	/* Version b is still at work. */
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(v, 'b');
	ck_assert_uint_eq(blocks_working(&bs), 1);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_NOTHING);
	blocks_free(&bs);
}
END_TEST

/*
 * A failed report not believed leaves the version at work: it is late after the
 * timeout, or collected if its result comes, and the block counts no failure.
 */
START_TEST(test_failure_disbelieved)
{
	struct blocks	bs;
	struct sighting	s = seen("a", "a", "", "a");
	char		v;

	blocks_init(&bs, 1, 5, 3);
	blocks_issued(&bs, 0, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_CLAIM_SEEN);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 1, &v), BLOCK_FAILURE);
	blocks_disbelieved(&bs, 0, 'a');
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 2, &v), BLOCK_NOTHING);
	ck_assert_uint_eq(blocks_working(&bs), 1);
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 6, &v), BLOCK_LATE);
	ck_assert_int_eq(v, 'a');
	s = seen("a", "a", "a", "a");
	ck_assert_int_eq(blocks_next(&bs, 0, &s, 6, &v), BLOCK_COLLECT);
	ck_assert_uint_eq(bs.b[0].failures, 0);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_last_version)
{
	struct blocks	bs;

	blocks_init(&bs, 1, 0, 3);
	ck_assert_int_eq(blocks_next_version(&bs, 0), 'a');
	blocks_issued(&bs, 0, 'y');
	ck_assert_int_eq(blocks_next_version(&bs, 0), 'z');
	blocks_issued(&bs, 0, 'z');
	ck_assert_int_eq(blocks_next_version(&bs, 0), 0);
	blocks_free(&bs);
}
END_TEST

START_TEST(test_shown_and_claimable)
{
	struct sighting	s;

	s = seen("", "", "", "");
	ck_assert_int_eq(blocks_shown(&s), '.');
	ck_assert_int_eq(blocks_claimable(&s), 0);
	s = seen("a", "", "", "");
	ck_assert_int_eq(blocks_shown(&s), '.');
	ck_assert_int_eq(blocks_claimable(&s), 'a');
	s = seen("a", "a", "", "");
	ck_assert_int_eq(blocks_shown(&s), '+');
	ck_assert_int_eq(blocks_claimable(&s), 0);
	ck_assert_int_eq(blocks_at_work(&s), 1);
	s = seen("b", "ab", "", "");
	ck_assert_int_eq(blocks_shown(&s), '!');
	ck_assert_int_eq(blocks_at_work(&s), 1);
	s = seen("b", "a", "", "");
	ck_assert_int_eq(blocks_shown(&s), '!');
	ck_assert_int_eq(blocks_claimable(&s), 'b');
	ck_assert_int_eq(blocks_at_work(&s), 0);
	s = seen("", "a", "a", "");
	ck_assert_int_eq(blocks_shown(&s), '#');
	s = seen("a", "a", "", "a");
	ck_assert_int_eq(blocks_shown(&s), 'x');
	ck_assert_int_eq(blocks_claimable(&s), 0);
	ck_assert_int_eq(blocks_at_work(&s), 0);
	s = seen("ab", "a", "", "a");
	ck_assert_int_eq(blocks_shown(&s), '!');
	ck_assert_int_eq(blocks_claimable(&s), 'b');
	/* A stray higher version, claimed, does not hide the wanted one. */
	s = seen("ab", "b", "", "");
	ck_assert_int_eq(blocks_claimable(&s), 'a');
}
END_TEST

Suite *
blocks_suite(void)
{
	Suite	*s = suite_create("blocks");
	TCase	*tc = tcase_create("state");

	tcase_add_test(tc, test_claim_collect);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_pause);
	tcase_add_test(tc, test_old_version_wins);
	tcase_add_test(tc, test_rejected);
	tcase_add_test(tc, test_failures);
	tcase_add_test(tc, test_failure_of_old_version);
	tcase_add_test(tc, test_failure_disbelieved);
	tcase_add_test(tc, test_last_version);
	tcase_add_test(tc, test_shown_and_claimable);
	suite_add_tcase(s, tc);
	return s;
}
