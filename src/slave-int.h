/*
 * slave-int.h — one slave process's state, shared by its rooms: slave.c (the process,
 * its lister and its workers), slave-join.c (waiting for a job, trusting it, joining
 * it, following its master's beat), slave-block.c (one block: claim, input, compute,
 * publish or fail). Only they include it; everyone else sees slave.h.
 */
#ifndef BLUR_SLAVE_INT_H
#define BLUR_SLAVE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk.h"
#include "image.h"
#include "protocol.h"
#include "secret.h"
#include "slave.h"
#include "watch.h"

/*
 * One slave process: its workers (threads) share one listing of todo/ and DIR, one
 * watch, one look at the master's heartbeat. The listing, the watch and the heartbeat
 * are the lister's (the thread that called slave_run()); what workers share is under
 * `lock`, but for the flags they poll while an operation runs.
 */
struct slave {
	struct slave_opts *o;
	const char	*path;
	char		 who[PROTOCOL_WHO_MAX];
	int		 dirfd;
	int		 bitfd;
	int		 sigfd;		/* SIGINT, SIGTERM, SIGHUP (signals_catch()) */
	int		 nudge;		/* an eventfd: a worker wants the lister */
	struct job	 job;
	unsigned char	 key[SECRET_KEY];
	const unsigned char *keyed;	/* key, when the job has a secret; else NULL */
	uint64_t	 beat;		/* the master's heartbeat as last read */
	double		 beat_seen;	/* when it last moved, on our clock */
	struct watch	 watch;
	struct worker	*workers;
	unsigned	 nworkers;
	atomic_int	 stop;		/* a signal came: give the blocks back and leave */
	atomic_int	 quit;		/* every worker leaves the job (stop, end, error) */

	pthread_mutex_t	 lock;
	pthread_cond_t	 refilled;	/* queue refilled, or quit */
	struct todo	*queue;		/* the last listing's claimable blocks */
	size_t		 count, next;	/* of them; the next to try */
	unsigned	 hungry;	/* workers waiting for a listing */
	double		*shun;		/* per block: until when it is left to others */
	long		 done;
	char		*error;		/* the first worker's reason to leave, or NULL */
	double		 room_wait;	/* DIR is full: the next wait for room; else 0 */
};

/* One worker: the block in hand and what it keeps from block to block. */
struct worker {
	struct slave	*s;
	pthread_t	 thread;
	void		*op;		/* its own state of the operation (see slave.h) */
	/*
	 * A block's result, kept from block to block: a fresh buffer of megabytes costs a
	 * page fault per 4 KiB every time (a third of the CPU time at 8000² RGB).
	 */
	void		*out;
	size_t		 out_size;
	struct chunks	 chunks;	/* out, compressed into the output's chunks */
	void		*made;		/* the next level's rows out makes */
	size_t		 made_size;
	struct image	*src;		/* image.tif, when slaves decode it: opened at
					   the job's first block, kept to its end */
	void		*map;		/* the block's input rows, mapped from image.bit */
	size_t		 map_len;
	void		*copy;		/* or read, in a job with a secret */
	size_t		 copy_size;
	const void	*in;		/* where they start */
	uint32_t	 n;		/* the block in hand, for cancelled() */
	char		 v;
	double		 looked;	/* when cancelled() last looked at DIR */
	int		 cancel;	/* cancelled() said so */
	unsigned	 lost;		/* claims lost in a row */
};

/* A claimable block of the last listing. */
struct todo {
	uint32_t	n;
	char		v;
};

/* slave.c */

/* Whether we were asked to stop; the first of the threads to read the signal says so. */
int	slave_stopped(struct slave *s);

/* Whether we were asked to stop; then *cause says so. */
int	slave_interrupted(struct slave *s, char **cause);

/* slave-join.c */

/* Whether the job this slave joined still works in DIR (any thread may look). */
int	join_working(const struct slave *s);

/*
 * The lister's look at the job: still the one working in DIR, its master still beating;
 * a job whose master fell silent is left, and remembered as orphaned.
 */
int	join_alive(struct slave *s);

/*
 * Wait until DIR exists and a job is working in it; then read the job. 0 when joined, 1
 * when `only` names a job that is not (or no longer) working, or when a job came and went
 * before we could join it.
 */
int	join_job(struct slave *s, const char *only, char **cause);

/* slave-block.c */

/*
 * Claim and compute block.N.v. A block taken by another slave, taken back by the master
 * or finished elsewhere while this one worked, is no error: it is dropped quietly.
 * 1 when a result is published, 0 when not, -1 with *cause when the slave must leave.
 */
int	worker_work_on(struct worker *w, uint32_t n, char v, char **cause);

#endif
