/*
 * collect.h — the master's round trips to DIR, several at once.
 *
 * On a network filesystem every lookup, open and removal in DIR is a round trip to the
 * file server (about 1.4 ms through GlusterFS's FUSE client on one host); made one after
 * another by the master they, not the slaves, set the pace of a job of small blocks. A
 * collector makes them on a few threads of its own: it makes todo files, looks into
 * claimed blocks for done and failed, opens, checks and reads results, and removes what
 * the job no longer needs.
 *
 * The caller's thread keeps every block's state (blocks.h), decides what is asked for,
 * and alone writes the output, the progress line and DIR/progress: no collector thread
 * touches libtiff, blocks.h or the caller's memory but for what a request hands it (a
 * todo file's signature), and the collector's state is shared only under its own lock.
 *
 * With 0 threads (a local filesystem, where a round trip costs microseconds and handing
 * it to a thread would cost more) each request is done at once in the caller's thread.
 * Either way the caller sees the same:
 *
 * - collect_retire() removes todo/block.N.v before block.N.v, so that no slave claims
 *   the version again in between;
 * - collect_wait() returns once everything asked before it is done, with the first
 *   todo file that could not be made;
 * - each look asked for comes back from collect_next() once; at most COLLECT_AHEAD per
 *   thread are in hand (asked and not yet returned), and a look holds read rows only for
 *   blocks of at most COLLECT_ROWS_MAX bytes, so that the memory a collector takes stays
 *   small whatever the block size.
 */
#ifndef BLUR_COLLECT_H
#define BLUR_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define COLLECT_THREADS		8	/* on a network filesystem */
#define COLLECT_AHEAD		4	/* looks in hand per thread, at most */
#define COLLECT_ROWS_MAX	(128u << 10)	/* bytes of a result a thread reads */

struct collect;

/* What a look found in a block's claimed versions. */
struct look {
	uint32_t	 n;
	struct sighting	 s;		/* claimed as asked; done and failed as found */
	char		 v;		/* the lowest done version, whose result was taken,
					   or 0 */
	char		 who[PROTOCOL_WHO_MAX];	/* its claimant, "" if unknown */
	char		*why;		/* the result is bad: why (the caller may take it
					   and set it NULL); else NULL */
	void		*rows;		/* its payload, read and checked, or NULL: then
					   it is for the caller to read from fd */
	size_t		 bytes;		/* of payload (protocol.h's struct result) */
	int		 fd;		/* the result, its header checked, or -1 */
};

/*
 * A collector for the job in dirfd, with `threads` threads (0: none). key is the job's
 * secret or NULL; readfd, image.bit open for reading, or -1 (then the image's todo
 * files are made unsigned, or signed by the caller); levelsfd, levels.bit, or -1. NULL,
 * with errno, if a thread cannot be started.
 */
struct collect *collect_start(int dirfd, const struct job *, const unsigned char *key,
	    int readfd, int levelsfd, unsigned threads);
/* Wait for everything asked, stop the threads, drop the looks in hand, free. */
void	 collect_end(struct collect *);

/*
 * Make todo/block.N.v. sign is NULL in a job without a secret; else the block's
 * signature (SECRET_HEX bytes), computed into it first if it is empty, and kept there
 * for the caller: it must stay put until collect_wait() returns.
 */
void	 collect_todo(struct collect *, uint32_t n, char v, char *sign);
/* Remove todo/block.N.v, then block.N.v (protocol_retire()), or either. */
#define RETIRE_TODO	1
#define RETIRE_BLOCK	2
void	 collect_retire(struct collect *, uint32_t n, char v, int what);
/* Until everything asked is done: 0, or -1 with errno of the first failed todo file. */
int	 collect_wait(struct collect *);

/* Look into the versions `claimed` (a bit each) of block n, and take the lowest done. */
void	 collect_look(struct collect *, uint32_t n, uint32_t claimed);
/*
 * A finished look into *l: 1, or 0 when none is. Waits while as many looks as may be
 * are in hand, or, with `drain`, while any is. The caller ends it with collect_drop().
 */
int	 collect_next(struct collect *, int drain, struct look *l);
/*
 * Take block.N.v's result in the caller's thread into l (its n and s are left alone),
 * the rows left to read from l->fd.
 */
void	 collect_take(struct collect *, uint32_t n, char v, struct look *l);
/* Free what a look holds. */
void	 collect_drop(struct look *);

#endif
