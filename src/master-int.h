/*
 * master-int.h — the master's state, shared by the rooms of master.c (one concern each;
 * master.c's master_run() calls them in the order of protocol.h's calling sequence).
 * Nothing outside the master includes this.
 */
#ifndef BLUR_MASTER_INT_H
#define BLUR_MASTER_INT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "blocks.h"
#include "collect.h"
#include "image.h"
#include "master.h"
#include "progress.h"
#include "protocol.h"
#include "secret.h"
#include "watch.h"

#define BLOCK_OVERHEAD	(16u << 10)	/* bytes a block's directory and files take, at most */

struct master {
	const struct master_opts *o;
	struct job	 job;
	struct image	 in;
	struct image	 out;
	char		*output;
	char		*outdir;	/* the output's directory, absolute */
	char		*tmp;		/* the partial output, until it is complete */
	int		 dirfd;		/* DIR, locked while we own it */
	int		 sigfd;
	int		 signo;		/* the signal that stopped the job, or 0 */
	int		 letgo;		/* hangs up when no local slave touches DIR */
	sigset_t	 oldmask;
	struct blocks	 bs;
	struct collect	*collect;	/* DIR's round trips, several at once */
	uint32_t	*announced;	/* -v: versions whose claimant was named, a bit each */
	uint32_t	 written;	/* blocks in the output */
	void		*rows;		/* a result on its way to the output */
	size_t		 rows_size;
	pid_t		*slaves;	/* 0 once reaped */
	uint32_t	 nslaves;
	uint32_t	 alive;		/* of them, not yet reaped */
	struct progress	 progress;
	double		 tallied;	/* when DIR/progress was last written */
	unsigned char	 key[SECRET_KEY];
	const unsigned char *keyed;	/* key, when the job has a secret; else NULL */
	int		 dead;		/* DIR holds the files of a job whose master is gone */
	struct watch	 watch;
	int		 bitfd;		/* image.bit while it is written */
	int		 levelsfd;	/* levels.bit, in a job with overviews */
	uint32_t	 wanted;	/* blocks 0 to wanted - 1 have their todo file */
	char		*staged;	/* per block: the rows it made are in levels.bit
					   (a resumed job's results are in before that) */
	int		 todo_errno;	/* why a todo file could not be made, or 0 */
	/*
	 * With a secret, each todo file holds the signature of its block's input rows
	 * (secret_rows()), read from image.bit through readfd and kept for reissues.
	 */
	char		(*signs)[SECRET_HEX];
	int		 readfd;
	/*
	 * A DIR that cannot take results (full, read-only, failing) holds the job: it
	 * waits for room while slaves do, for as long as a block may take.
	 */
	double		 full_since;	/* when DIR was found so, or 0 */
	double		 room_looked;	/* when its room was last looked at */
	int		 fault;		/* errno of the master's last write in DIR that
					   failed for DIR's sake, or 0 */
	char		*owed;		/* per block, a reissue whose todo file waits for
					   room, or 0 */
};

/* master.c: the job, start to end, and its beat */

/* A file name as data.dat can hold it: one line. */
void	master_shown_name(char *dst, const char *name);

/* Republish DIR/progress when due: when it changed, and at least every BEAT_EVERY. */
void	master_beat(struct master *m);

/* Redraw the progress line and republish DIR/progress when due. */
void	master_report(struct master *m);

/* master-output.c: the output file and its partial name */

/*
 * Check that the output can go where it is asked for, and keep its directory, absolute so
 * that a master resuming from elsewhere can remove the partial output. Nothing is made.
 */
int	output_check(struct master *m, char **cause);

/*
 * Name the partial output after the job, beside the output: .NAME.ID.partial. data.dat
 * records the name before the file is made, so whoever clears a dead job finds it.
 */
void	output_name(struct master *m);

/*
 * Remove the partial output a dead job's data.dat names, only if the name is one that
 * output_name() gave that job: whoever can write DIR could name any other file.
 */
void	output_remove_partial(const struct job *old);

/* Create the partial output, a new file like any (0666 less the umask). */
int	output_open(struct master *m, char **cause);

/* Remove the partial output of a job that did not finish, if there is one. */
void	output_drop(struct master *m);

/* Put the output in place; DIR is cleaned by the caller. */
int	output_finish(struct master *m, char **cause);

/* master-dir.c: taking DIR, clearing a dead job, its room */

/*
 * Remove the job's files from DIR, saying so if NFS would not let go of some. The job
 * ends for the slaves first; then a collector removes the blocks that are in, several
 * at once, and protocol_clean() whatever is left.
 *
 * On a local disk the job's collector has no threads, but one of its own does: every
 * removal frees its file's pages, and the results are as large as the image (a 64 MP
 * RGB job's took 37 ms on ext4, one after another).
 */
void	dir_clean(struct master *m);

/* The lowest version of block n, in listing s, with a whole result; or 0. */
char	dir_result_of(int dirfd, const struct job *job, uint32_t n,
	    const struct sighting *s);

/* Make DIR ours: create it, lock it, and clear what a dead master left there. */
int	dir_take(struct master *m, char **cause);

/*
 * The room left in DIR, in bytes; UINT64_MAX from a filesystem that reports no size
 * (some FUSE ones), which is trusted. root may use the blocks kept back for it, as
 * root's slaves would.
 */
uint64_t	dir_left(const struct master *m);

/*
 * Refuse a job that DIR cannot hold: image.bit and every result stay until the job ends
 * (protocol.h), and each block also takes a directory and its files. A DIR that fills
 * up later holds the job until it has room again, for a while (watch_room()).
 */
int	dir_room(struct master *m, char **cause);

/* master-publish.c: publishing the job and asking for blocks */

/* With a secret, get ready to sign each block's input rows in image.bit (publish_todo()). */
int	publish_signing(struct master *m, char **cause);

/*
 * Start the collector: threads on a network filesystem, where each round trip costs a
 * millisecond or more; none on a local one (see collect.h).
 */
int	publish_collector(struct master *m, char **cause);

/*
 * Ask the collector for todo/block.N.v, the first version of block n or a reissue; the
 * caller waits for it (collect_wait()) before it counts on the file.
 */
void	publish_todo(struct master *m, uint32_t n, char v);

/* Ask for version v of block n, the first or a reissue: 0, or -1 with errno. */
int	publish_issue(struct master *m, uint32_t n, char v);

/*
 * Ask for the blocks of the levels below the image whose rows are all in levels.bit,
 * in order: 0, or -1 with *cause.
 */
int	publish_levels(struct master *m, char **cause);

/*
 * Publish a fresh job. On a local filesystem it opens before the input is decoded, and
 * blocks are asked for as their rows arrive; on a network filesystem only once image.bit
 * is whole and closed, so that a slave opening it sees all of it. The blocks are asked
 * for after it opens: slaves claim the first while the master makes the rest, which a
 * network filesystem makes one at a time (creates in one directory are serialized).
 */
int	publish_job(struct master *m, char **cause);

/* master-locals.c: the slaves the master starts on its own host */

/* Start the local slaves: children that run as any other slave would. */
void	locals_start(struct master *m);

/* Note the local slaves that have exited; how many are left. */
uint32_t	locals_reap(struct master *m);

/*
 * Stop the local slaves, before DIR is cleaned: one still writing a block no longer
 * needed must not leave it behind. The job ends for them first: an idle slave sees
 * `working` go at once, where a signal would wait for its next look at DIR.
 *
 * DIR may be cleaned when m->letgo hangs up: each slave closes its end once it no
 * longer touches DIR, before it tidies up (closing its inotify descriptor alone can
 * take 20 ms), and a slave that dies closes it too. locals_end() reaps them after.
 */
void	locals_stop(struct master *m);

/* Reap the local slaves that locals_stop() stopped. */
void	locals_end(struct master *m);

/* master-settle.c: watching, collecting, reissuing until every block is in */

/* Ask for block n again, as its next version. */
int	settle_reissue(struct master *m, uint32_t n, const char *why, char **cause);

/*
 * Write block n's result, taken into l (collect.h), to the output: its rows as a
 * collector thread read and checked them, or read and checked here. A bad one is
 * rejected.
 */
int	settle_deliver(struct master *m, uint32_t n, struct look *l, char **cause);

/* Watch, collect and reissue until every block is in the output. */
int	settle_run(struct master *m, char **cause);

/*
 * With overviews, once every block is in: each level's directory in the output, its
 * chunks copied from the results, checked again. 0, or -1 with *cause.
 */
int	settle_levels(struct master *m, char **cause);

/* master-resume.c: continuing the job of a master that died */

/* Take over the job a dead master left in DIR: reuse every valid result, redo the rest. */
int	resume_adopt(struct master *m, char **cause);

#endif
