/*
 * blocks.h — the state of every block of a job, and what follows from it: no files and
 * no clock of its own. The caller lists DIR (protocol_list()) and says what time it is,
 * so that the master, the slaves and -status judge blocks alike, and a Check suite can
 * drive every transition with a fake clock.
 *
 * A version v of block N goes, in order, through
 *
 *	wanted		todo/block.N.v exists
 *	claimed		block.N.v/ exists: one slave works on it
 *	done | failed	block.N.v/done or block.N.v/failed exists
 *
 * and the master moves the block on: it collects a done version (the block is then in,
 * unless its result is rejected), and issues the next version when the newest one failed,
 * had its result rejected, or stayed claimed longer than the timeout. A block that
 * failed `retries` times, or ran out of versions, fails the job.
 */
#ifndef BLUR_BLOCKS_H
#define BLUR_BLOCKS_H

#include <stdint.h>

#define BLOCK_FIRST	'a'
#define BLOCK_LAST	'z'
#define BLOCK_VERSIONS	(BLOCK_LAST - BLOCK_FIRST + 1)
#define BLOCK_BIT(v)	(1u << ((v) - BLOCK_FIRST))

/* What one listing of DIR shows of a block: a bit per version, BLOCK_BIT(v). */
struct sighting {
	uint32_t	todo;
	uint32_t	claimed;
	uint32_t	done;
	uint32_t	failed;
};

/*
 * What a block is, as -status shows it from one listing: '.' waiting (or not asked for
 * yet), '+' claimed, '#' done, '!' reissued and not yet done, 'x' failed and not yet
 * reissued.
 */
char	 blocks_shown(const struct sighting *);
/* Whether the newest version is claimed, and neither done nor failed. */
int	 blocks_at_work(const struct sighting *);
/*
 * The version a slave may claim: the newest wanted that nobody claimed, or 0. A name in
 * todo/ that the master did not make costs a claim, never the block.
 */
char	 blocks_claimable(const struct sighting *);

/* What the master must do about a block now. */
enum block_action {
	BLOCK_NOTHING,
	BLOCK_CLAIM_SEEN,	/* version v was claimed (first seen now): watch it */
	BLOCK_COLLECT,		/* version v is done: check its result, then call
				   blocks_collected() or blocks_rejected() */
	BLOCK_FAILURE,		/* version v failed: read why, call blocks_failed() */
	BLOCK_LATE,		/* the newest version was claimed too long ago: reissue */
};

struct block {
	char		version;	/* newest version issued, or 0 */
	char		in;		/* version whose result is in, or 0 */
	uint32_t	failures;
	uint32_t	reported;	/* versions whose failure was taken, a bit each */
	uint32_t	disbelieved;	/* versions whose failed report was not */
	double		seen[BLOCK_VERSIONS];	/* when each claim was first seen, or 0 */
};

/* The master's view of a job's blocks. */
struct blocks {
	uint32_t	 count;
	uint32_t	 in;		/* blocks whose result is in */
	uint32_t	 reissues;
	struct block	*b;
	double		 timeout;	/* fixed (-timeout), or 0: see blocks_timeout() */
	double		 slowest;	/* seconds from claim seen to result in, of any block */
	uint32_t	 retries;	/* failures of one block that fail the job */
};

/*
 * Without a fixed timeout a claim may take BLOCKS_TIMEOUT seconds until the first block
 * is in, then TIMEOUT_FACTOR times the slowest block so far, but at least TIMEOUT_FLOOR.
 */
#define BLOCKS_TIMEOUT	60
#define TIMEOUT_FACTOR	5
#define TIMEOUT_FLOOR	10

void	 blocks_init(struct blocks *, uint32_t count, double timeout, uint32_t retries);
void	 blocks_free(struct blocks *);
/* How long a claim may take now. */
double	 blocks_timeout(const struct blocks *);
/* Blocks claimed at their newest version and not in: slaves at work. */
uint32_t blocks_working(const struct blocks *);

/*
 * The next thing to do about block n, given what a listing just showed of it and the
 * time: BLOCK_NOTHING once nothing is left to do. Call it again after each action.
 */
enum block_action blocks_next(struct blocks *, uint32_t n, const struct sighting *,
	    double now, char *v);
/*
 * A pause of `seconds` in which no slave could deliver (DIR was full): every claim seen
 * is taken as seen that much later, so that the pause makes no block late or slow.
 */
void	 blocks_pause(struct blocks *, double seconds);
/* Version v of block n is now wanted (its todo file is made): the first, or a reissue. */
void	 blocks_issued(struct blocks *, uint32_t n, char v);
/* The version that would follow block n's newest, or 0 after BLOCK_LAST. */
char	 blocks_next_version(const struct blocks *, uint32_t n);
/* Version v's result is in. */
void	 blocks_collected(struct blocks *, uint32_t n, char v, double now);
/*
 * Version v's result was bad: the block is not in. Whether it must be reissued (v was
 * the newest version, or the one counted in).
 */
int	 blocks_rejected(struct blocks *, uint32_t n, char v);
/*
 * Version v failed: 1 if the job must fail (retries reached), else 0; *reissue says
 * whether to issue the next version (v was the newest).
 */
int	 blocks_failed(struct blocks *, uint32_t n, char v, int *reissue);
/*
 * Version v's failed report was not believed (not signed with the job's secret): the
 * version is still at work, done when its result comes, late when the timeout says.
 */
void	 blocks_disbelieved(struct blocks *, uint32_t n, char v);

#endif
