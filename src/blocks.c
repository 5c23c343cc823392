/* blocks.c — see blocks.h. */
#include <config.h>

#include <stdlib.h>

#include "blocks.h"
#include "util.h"

void
blocks_init(struct blocks *bs, uint32_t count, double timeout, uint32_t retries)
{
	bs->count = count;
	bs->in = 0;
	bs->reissues = 0;
	bs->b = xcalloc(count, sizeof *bs->b);
	bs->timeout = timeout;
	bs->slowest = 0;
	bs->retries = retries;
}

void
blocks_free(struct blocks *bs)
{
	free(bs->b);
	bs->b = NULL;
}

double
blocks_timeout(const struct blocks *bs)
{
	double	t = TIMEOUT_FACTOR * bs->slowest;

	if (bs->timeout > 0)
		return bs->timeout;
	if (bs->slowest == 0)
		return BLOCKS_TIMEOUT;
	return t > TIMEOUT_FLOOR ? t : TIMEOUT_FLOOR;
}

void
blocks_pause(struct blocks *bs, double seconds)
{
	uint32_t	n;
	int		i;

	for (n = 0; n < bs->count; n++)
		for (i = 0; i < BLOCK_VERSIONS; i++)
			if (bs->b[n].seen[i] != 0)
				bs->b[n].seen[i] += seconds;
}

/* Whether the newest version of b is claimed and nothing has come of it yet. */
static int
at_work(const struct block *b)
{
	return b->in == 0 && b->version != 0 &&
	    b->seen[b->version - BLOCK_FIRST] != 0 &&
	    (b->reported & BLOCK_BIT(b->version)) == 0;
}

uint32_t
blocks_working(const struct blocks *bs)
{
	uint32_t	n, w = 0;

	for (n = 0; n < bs->count; n++)
		w += at_work(&bs->b[n]);
	return w;
}

/* The highest version whose bit is set in bits, or 0. */
static char
highest(uint32_t bits)
{
	char	v;

	for (v = BLOCK_LAST; v >= BLOCK_FIRST; v--)
		if (bits & BLOCK_BIT(v))
			return v;
	return 0;
}

char
blocks_shown(const struct sighting *s)
{
	char	newest = highest(s->todo | s->claimed | s->failed);

	if (s->done != 0)
		return '#';
	if (newest == 0)
		return '.';
	if (s->failed & BLOCK_BIT(newest))
		return 'x';
	if (newest != BLOCK_FIRST)
		return '!';
	return s->claimed & BLOCK_BIT(newest) ? '+' : '.';
}

int
blocks_at_work(const struct sighting *s)
{
	char	v = highest(s->todo | s->claimed);

	return v != 0 && ((s->claimed & ~(s->done | s->failed)) & BLOCK_BIT(v)) != 0;
}

char
blocks_claimable(const struct sighting *s)
{
	return highest(s->todo & ~s->claimed);
}

enum block_action
blocks_next(struct blocks *bs, uint32_t n, const struct sighting *s, double now,
    char *v)
{
	struct block	*b = &bs->b[n];
	uint32_t	 bit;
	char		 u;

	if (b->in != 0)
		return BLOCK_NOTHING;
	for (u = BLOCK_FIRST; u != 0 && u <= b->version; u++) {
		bit = BLOCK_BIT(u);
		*v = u;
		/* A result implies a claim, whichever the listing caught first. */
		if (((s->claimed | s->done | s->failed) & bit) &&
		    b->seen[u - BLOCK_FIRST] == 0) {
			b->seen[u - BLOCK_FIRST] = now;
			return BLOCK_CLAIM_SEEN;
		}
		if (b->reported & bit)
			continue;
		if (s->done & bit)
			return BLOCK_COLLECT;
		if (s->failed & ~b->disbelieved & bit)
			return BLOCK_FAILURE;
	}
	*v = b->version;
	if (at_work(b) && now - b->seen[b->version - BLOCK_FIRST] >= blocks_timeout(bs))
		return BLOCK_LATE;
	return BLOCK_NOTHING;
}

void
blocks_issued(struct blocks *bs, uint32_t n, char v)
{
	if (bs->b[n].version != 0)
		bs->reissues++;
	bs->b[n].version = v;
}

char
blocks_next_version(const struct blocks *bs, uint32_t n)
{
	char	v = bs->b[n].version;

	return v == 0 ? BLOCK_FIRST : v == BLOCK_LAST ? 0 : v + 1;
}

void
blocks_collected(struct blocks *bs, uint32_t n, char v, double now)
{
	struct block	*b = &bs->b[n];
	double		 took = now - b->seen[v - BLOCK_FIRST];

	b->in = v;
	bs->in++;
	/* A result found by a resuming master was never seen claimed: no timing. */
	if (b->seen[v - BLOCK_FIRST] != 0 && took > bs->slowest)
		bs->slowest = took;
}

int
blocks_rejected(struct blocks *bs, uint32_t n, char v)
{
	struct block	*b = &bs->b[n];
	int		 was_in = b->in == v;

	b->reported |= BLOCK_BIT(v);
	if (was_in) {
		b->in = 0;
		bs->in--;
	}
	return was_in || v == b->version;
}

int
blocks_failed(struct blocks *bs, uint32_t n, char v, int *reissue)
{
	struct block	*b = &bs->b[n];

	b->reported |= BLOCK_BIT(v);
	*reissue = v == b->version;
	return ++b->failures >= bs->retries;
}

void
blocks_disbelieved(struct blocks *bs, uint32_t n, char v)
{
	bs->b[n].disbelieved |= BLOCK_BIT(v);
}
