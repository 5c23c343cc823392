/*
 * slave.h — find, claim, compute, publish.
 *
 * A slave waits for DIR and its `working` file, reads data.dat, then claims blocks listed
 * in todo/ until `working` is gone or names another job. A job that comes and goes before
 * the slave can join it ends the wait as well (see SLAVE_GONE).
 *
 * One slave process runs -j workers (threads), each claiming, computing and publishing
 * its own blocks, each with its own state of the operation; they share one listing of
 * todo/ and DIR, made when one of them has nothing to do, one watch of DIR and one look
 * at the master's heartbeat, so that a host of 64 cores is one lister, not 64. They
 * sign their claims alike ("host:pid"): to the master and -status they are one slave.
 */
#ifndef BLUR_SLAVE_H
#define BLUR_SLAVE_H

/* Seconds without a heartbeat from the master before a slave leaves its job. */
#define SLAVE_ORPHANED	10
/*
 * A waiting slave has seen a job appear once DIR was created, or changed, after it began
 * to wait; when DIR then holds no job's files, unchanged for SLAVE_GONE seconds, that job
 * is over and the slave leaves, as from a job it worked on (unless it persists).
 */
#define SLAVE_GONE	2
/*
 * A polling slave that finds nothing to claim waits twice the interval, then four times,
 * and so on up to 2^(SLAVE_IDLE - 1) times it (4 s when polling every 250 ms), so that a
 * thousand idle slaves do not flood a file server. With inotify it waits for events.
 */
#define SLAVE_IDLE	5
/*
 * A block this slave failed is left to other slaves for SLAVE_SHUN seconds; then it may
 * take it again, so that a job with one slave still ends (or fails, after -retries).
 */
#define SLAVE_SHUN	5
/*
 * A slave that cannot write in DIR for DIR's sake (protocol_dir_fault(): full, read-only,
 * failing) says so once and keeps what it computed: it tries again after SLAVE_ROOM_FIRST
 * seconds, then twice as long each time up to SLAVE_ROOM_MAX, until DIR takes it, the
 * master takes the block back or the job ends. A full DIR is no block's failure.
 */
#define SLAVE_ROOM_FIRST	0.1
#define SLAVE_ROOM_MAX		4.0
/* Seconds between looks at DIR while an operation runs, to end it if it is not wanted. */
#define CANCEL_EVERY	0.1
/*
 * Bytes of a block a worker holds at most: its input rows (mapped from image.bit, read in
 * a job with a secret, or decoded from image.tif), its result, and that result
 * compressed. The master's blocks fit (MASTER_BLOCK_MAX), so a slave runs as many
 * workers as it is asked for, each under 64 MiB; blocks made larger with -rows get fewer
 * workers, at least one, so that the slave stays within what its workers would take.
 */
#define SLAVE_BUFFERS	(56u << 20)

struct slave_opts {
	const char	*dir;
	const char	*job;		/* join only this job, if it is working (local slaves) */
	int		 persist;	/* -persist: wait for jobs however they come and go */
	int		 verbosity;	/* -1 quiet, 0, 1 verbose */
	const char	*secret;	/* file of the shared secret, or NULL */
	int		 allow_exec;	/* run commands of jobs without a secret */
	int		 poll;		/* as in struct master_opts */
	unsigned	 jobs;		/* -j: workers, blocks computed at once (0: one) */
	int		 letgo;		/* a local slave's: closed once it no longer touches
					   DIR, which its master then cleans; or -1 */
	char		 refused[33];	/* a job this slave cannot or may not run */
	int		 refusal;	/* slave_run() failed refusing it */
	char		 orphan[33];	/* a job left for its master's silence: not rejoined */
	uint64_t	 orphan_beat;	/* unless its beat moves again (a master resumed it) */
};

/*
 * Work through one job in dir; the number of blocks done, or -1 with *cause (also on
 * SIGINT, SIGTERM or SIGHUP, after ending the operation on the block in hand and giving
 * the block back; a local slave, which its master stops so, ends as when its job ends).
 */
long	slave_run(struct slave_opts *, char **cause);

#endif
