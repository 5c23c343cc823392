/* slave.c — see slave.h. */
#include <config.h>

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "op.h"
#include "protocol.h"
#include "secret.h"
#include "slave.h"
#include "util.h"
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

/*
 * After this many claims lost in a row, a worker goes on from a random place further
 * down the listing: the blocks ahead of a lost claim are likely taken by the slave that
 * walked there first, and every try costs a round trip.
 */
#define SLAVE_LOST_RUN	2

struct todo {
	uint32_t	n;
	char		v;
};

/* Wake the lister, which waits on s->nudge as on its signals. */
static void
nudge(struct slave *s)
{
	uint64_t	one = 1;

	if (write(s->nudge, &one, sizeof one) == -1)
		return;	/* the counter is full: it is awake already */
}

/* Whether we were asked to stop; the first of the threads to read the signal says so. */
static int
stopped(struct slave *s)
{
	if (!atomic_load(&s->stop) && signals_caught(s->sigfd)) {
		atomic_store(&s->stop, 1);
		nudge(s);
	}
	return atomic_load(&s->stop);
}

/* Whether we were asked to stop; then *cause says so. */
static int
interrupted(struct slave *s, char **cause)
{
	if (!stopped(s))
		return 0;
	if (*cause == NULL)
		*cause = xasprintf("%s: interrupted", s->path);
	return 1;
}

/* Whether the job this slave joined still works in DIR (any thread may look). */
static int
job_working(const struct slave *s)
{
	char	id[33];

	return protocol_working(s->dirfd, id) == 0 && strcmp(id, s->job.id) == 0;
}

/*
 * The lister's look at the job: still the one working in DIR, its master still beating;
 * a job whose master fell silent is left, and remembered as orphaned.
 */
static int
job_alive(struct slave *s)
{
	uint64_t	beat = protocol_beat(s->dirfd);

	if (!job_working(s))
		return 0;
	/* A local slave dies with its master (PR_SET_PDEATHSIG): its beat says nothing more. */
	if (beat != s->beat || s->beat_seen == 0) {
		s->beat = beat;
		s->beat_seen = now();
	} else if (s->o->job == NULL && now() - s->beat_seen > SLAVE_ORPHANED) {
		say("%s: no heartbeat from the master for %d s; leaving job %s",
		    s->path, SLAVE_ORPHANED, s->job.id);
		memcpy(s->o->orphan, s->job.id, sizeof s->o->orphan);
		s->o->orphan_beat = beat;
		return 0;
	}
	return 1;
}

/*
 * Whether this slave may run the job: one with a secret is read only with the key
 * (protocol_read_job() checked its signature); one that runs commands, without a
 * secret, only by the master's own slaves or with -allow-exec, since whoever can write
 * DIR could have written it.
 */
static int
trust(struct slave *s, char **cause)
{
	if (strcmp(s->job.auth, "none") != 0 && s->keyed == NULL) {
		*cause = xasprintf("%s: job %s needs the shared secret: set "
		    "BLUR_SECRET_FILE or use -secret FILE", s->path, s->job.id);
		return -1;
	}
	if (strcmp(s->job.auth, "none") == 0 && s->job.args.op->runs_commands &&
	    s->o->job == NULL && !s->o->allow_exec) {
		*cause = xasprintf("%s: job %s runs a command on each block, and has no "
		    "secret: taking no block of it (anyone who can write DIR could have "
		    "asked); use -allow-exec to run it, or a -secret", s->path, s->job.id);
		return -1;
	}
	return 0;
}

/*
 * How many workers the job gets: as many as asked, but no more than SLAVE_BUFFERS holds
 * of their blocks (each its input rows mapped and its result), and at least one.
 */
static unsigned
workers_for(const struct slave *s)
{
	const struct job	*job = &s->job;
	uint64_t		 block = ((uint64_t)job->top + 2 * job->rows +
				    job->bottom) * job_row_bytes(job);
	uint64_t		 fit = SLAVE_BUFFERS / (block > 0 ? block : 1);
	unsigned		 want = s->o->jobs > 0 ? s->o->jobs : 1;

	return fit < 1 ? 1 : fit < want ? (unsigned)fit : want;
}

/*
 * Start the operation once for each worker: a state may be written while a block runs
 * (median's histograms, convolve's and unsharp's rows, exec's buffers), so no two
 * workers share one.
 */
static int
start_workers(struct slave *s, char **cause)
{
	struct op_image	 im = job_image(&s->job);
	const struct op	*op = s->job.args.op;
	char		*why;
	unsigned	 i;

	s->nworkers = workers_for(s);
	s->workers = xcalloc(s->nworkers, sizeof *s->workers);
	for (i = 0; i < s->nworkers; i++) {
		s->workers[i].s = s;
		if ((s->workers[i].op = op->start(&s->job.args, &im, &why)) == NULL) {
			*cause = xasprintf("%s: %s: %s", s->path, op->name, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* Read the job in DIR, check that we may run it, and start its operation. */
static int
read_job(struct slave *s, const char *id, char **cause)
{
	char	*why;

	if (protocol_read_job(s->dirfd, &s->job, s->keyed, &why) == -1) {
		*cause = xasprintf("%s/%s", s->path, why);
		free(why);
		return -1;
	}
	if (strcmp(id, s->job.id) != 0) {
		*cause = xasprintf("%s: data.dat belongs to another job", s->path);
		return -1;
	}
	if (trust(s, cause) == -1)
		return -1;
	if (!s->job.render && (s->bitfd = openat(s->dirfd, "image.bit",
	    O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s/image.bit: %s", s->path, strerror(errno));
		return -1;
	}
	if (start_workers(s, cause) == -1)
		return -1;
	s->shun = xcalloc(s->job.blocks, sizeof *s->shun);
	/* Before any worker runs a command: setenv() is not safe beside getenv(). */
	setenv("BLUR_JOB", s->job.id, 1);
	return 0;
}

/*
 * What a slave waiting for a job has seen of DIR. A job can come and go between two looks
 * (a job of one block takes milliseconds, and a poll is 250), leaving nothing behind but
 * DIR's modification time: that is watched as well as the names.
 */
struct lookout {
	int		seen;	/* DIR was created, or changed, since we began to wait */
	int		busy;	/* DIR held a job's files at the last look */
	struct timespec	first;	/* DIR's mtime at the first look */
	struct timespec	last;	/* and at the last */
	double		quiet;	/* since when DIR has held no job's files, unchanged; 0
				   before the first look */
};

static int
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * Whether a job appeared in DIR while we waited and has gone again, unjoined: DIR has held
 * no job's files, unchanged, for SLAVE_GONE s since. A live job changes DIR every second
 * (its heartbeat), so DIR is listed only when it changed.
 */
static int
came_and_went(const struct slave *s, struct lookout *l)
{
	struct stat	st;
	int		moved;

	if (fstat(s->dirfd, &st) == -1)
		return 0;
	if (l->quiet == 0)
		l->first = st.st_mtim;
	moved = l->quiet == 0 || !same_time(&st.st_mtim, &l->last);
	if (moved)
		l->busy = protocol_leftovers(s->dirfd);
	if (moved || l->busy)
		l->quiet = now();
	l->seen |= !same_time(&st.st_mtim, &l->first);
	l->last = st.st_mtim;
	return l->seen && now() - l->quiet >= SLAVE_GONE;
}

/* Whether job `id` has stopped working in DIR: then its files may go at any moment. */
static int
ended(const struct slave *s, const char *id)
{
	char	now_id[33];

	return protocol_working(s->dirfd, now_id) == -1 || strcmp(now_id, id) != 0;
}

/*
 * Wait until DIR exists and a job is working in it; then read the job. 0 when joined, 1
 * when `only` names a job that is not (or no longer) working, or when a job came and went
 * before we could join it.
 */
static int
join(struct slave *s, const char *only, char **cause)
{
	struct lookout	l = { 0 };
	struct change	c;
	char		id[33], *todo;

	while ((s->dirfd = protocol_open_dir(s->path, 0, cause)) == -1) {
		if (errno != ENOENT)
			return -1;
		free(*cause);
		*cause = NULL;
		/* Only a master creates DIR: its job may be over before we look. */
		l.seen = 1;
		if (interrupted(s, cause))
			return -1;
		watch_next(&s->watch, s->o->poll > 0 ? s->o->poll : WATCH_POLL, &c);
	}
	watch_start(&s->watch, s->dirfd, s->o->poll, s->sigfd);
	if (s->o->verbosity > 0)
		say("%s: %s: %s", s->who, s->path, s->watch.how);
	watch_dir(&s->watch, s->path);
	while (protocol_working(s->dirfd, id) == -1 || strcmp(id, s->o->refused) == 0 ||
	    (strcmp(id, s->o->orphan) == 0 &&
	    protocol_beat(s->dirfd) == s->o->orphan_beat)) {
		if (only != NULL)
			return 1;
		if (!s->o->persist && came_and_went(s, &l)) {
			if (s->o->verbosity > 0)
				say("%s: a job came and went in %s before this slave "
				    "could join it", s->who, s->path);
			return 1;
		}
		if (interrupted(s, cause))
			return -1;
		watch_next(&s->watch, s->watch.ms, &c);
	}
	if (only != NULL && strcmp(id, only) != 0)
		return 1;
	if (read_job(s, id, cause) == -1) {
		/* Said once: a persistent slave does not try this job again. */
		memcpy(s->o->refused, id, sizeof s->o->refused);
		s->o->refusal = 1;
		if (!ended(s, id))
			return -1;
		/* It ended while we read it, taking its files. */
		free(*cause);
		*cause = NULL;
		return 1;
	}
	todo = xasprintf("%s/todo", s->path);
	watch_dir(&s->watch, todo);
	free(todo);
	return 0;
}


/*
 * The blocks a listing may claim: wanted, unclaimed, not shunned, from a random place,
 * so that hundreds of slaves do not all race for block 0 (pids alone could be alike on
 * every host).
 */
static struct todo *
claimable(struct slave *s, size_t *count)
{
	struct sighting	*list = protocol_list(s->dirfd, s->job.blocks, 0, NULL);
	struct todo	*todo = xcalloc(s->job.blocks, sizeof *todo);
	double		 t = now();
	uint32_t	 n, r32, start;
	char		 v;

	random_bytes(&r32, sizeof r32);
	start = r32 % s->job.blocks;
	*count = 0;
	pthread_mutex_lock(&s->lock);
	for (n = 0; n < s->job.blocks; n++) {
		uint32_t	m = (start + n) % s->job.blocks;

		if ((v = blocks_claimable(&list[m])) != 0 && s->shun[m] <= t) {
			todo[*count].n = m;
			todo[(*count)++].v = v;
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(list);
	return todo;
}

/*
 * Whether the block in hand is no longer worth computing: we were told to stop, the
 * slave leaves the job, or the master took the block back (looked up at most every
 * CANCEL_EVERY; the job's end removes it too).
 */
static int
cancelled(void *arg)
{
	struct worker	*w = arg;
	struct slave	*s = w->s;

	if (stopped(s) || atomic_load(&s->quit))
		return w->cancel = 1;
	if (now() - w->looked < CANCEL_EVERY)
		return 0;
	w->looked = now();
	return w->cancel = !protocol_held(s->dirfd, w->n, w->v);
}

/* Give back the mapping of a block's input rows, if they were mapped. */
static void
unmap_input(struct worker *w)
{
	if (w->map != NULL)
		munmap(w->map, w->map_len);
	w->map = NULL;
	w->in = NULL;
}

/*
 * Map len bytes of image.bit from off (w->in): the page cache's own pages, no copy. 0,
 * or 1 if image.bit does not hold them (the job ended).
 */
static int
map_input(struct worker *w, off_t off, size_t len)
{
	off_t		base = off - off % sysconf(_SC_PAGESIZE);
	struct stat	st;

	/* Pages past the end of the file would be SIGBUS, not a short read. */
	if (fstat(w->s->bitfd, &st) == -1 || st.st_size < off + (off_t)len)
		return 1;
	w->map_len = len + (size_t)(off - base);
	if ((w->map = mmap(NULL, w->map_len, PROT_READ, MAP_SHARED|MAP_POPULATE,
	    w->s->bitfd, base)) == MAP_FAILED) {
		w->map = NULL;
		return 1;
	}
	w->in = (const char *)w->map + (off - base);
	return 0;
}

/*
 * Block n's input rows, with its halo, at w->in: mapped from image.bit in a job without
 * a secret; in one with a secret, read into the worker's buffer and checked there
 * against the signature the master put in todo/ (sign), since rows checked in a shared
 * mapping could still change under the operation. 0; 1 if image.bit does not hold them
 * (the job ended); -1 with *cause if they are not the rows the master signed: someone
 * changed image.bit under the job.
 */
static int
get_input(struct worker *w, uint32_t n, const char *sign, char **cause)
{
	struct slave		*s = w->s;
	const struct job	*job = &s->job;
	uint32_t		 a, e;
	size_t			 len;
	off_t			 off;
	char			 want[SECRET_HEX];

	if (job->render)
		return 0;
	job_block_input(job, n, &a, &e);
	len = (size_t)(e - a) * job_row_bytes(job);
	off = (off_t)a * job_row_bytes(job);
	/* Without a key, trust() let only unsigned jobs in. */
	if (s->keyed == NULL)
		return map_input(w, off, len);
	reserve(&w->copy, &w->copy_size, len);
	if (pread_all(s->bitfd, w->copy, len, off) == -1)
		return 1;
	w->in = w->copy;
	secret_rows(s->key, job->id, n, w->in, len, want);
	if (sodium_memcmp(want, sign, SECRET_HEX) == 0)
		return 0;
	*cause = xasprintf("%s/image.bit: the input rows of block %u are not the ones "
	    "the master signed; leaving job %s", s->path, n, job->id);
	return -1;
}

/*
 * Run the operation on block n, whose input is at w->in, into w->out: its length, or 0
 * with *cause (and *detail, what the operation had to add) if the block failed.
 */
static size_t
compute(struct worker *w, uint32_t n, char **cause, char **detail)
{
	const struct job	*job = &w->s->job;
	struct op_block		 b = { .n = n, .y = job_block_y(job, n),
				    .rows = job_block_rows(job, n),
				    .cancelled = cancelled, .arg = w };
	uint32_t		 a, e;
	size_t			 row_bytes = job_row_bytes(job);

	job_block_input(job, n, &a, &e);
	b.top = b.y - a;
	b.bottom = e - (b.y + b.rows);
	reserve(&w->out, &w->out_size, (size_t)b.rows * row_bytes);
	w->looked = now();
	if (job->args.op->run(w->op, &b, w->in, w->out, cause) == -1) {
		*detail = b.detail;
		return 0;
	}
	return b.rows * row_bytes;
}

/*
 * DIR could not take a write for DIR's sake (err): say so once, then wait for room, twice
 * as long as the last time. 0 to try again, -1 if the slave leaves the job meanwhile.
 */
static int
wait_for_room(struct slave *s, int err)
{
	struct timespec	until;
	double		wait, t;

	pthread_mutex_lock(&s->lock);
	if (s->room_wait == 0 && s->o->verbosity >= 0)
		say("%s: %s; waiting for room to deliver blocks", s->path,
		    strerror(err));
	wait = s->room_wait > 0 ? s->room_wait : SLAVE_ROOM_FIRST;
	s->room_wait = wait * 2 < SLAVE_ROOM_MAX ? wait * 2 : SLAVE_ROOM_MAX;
	clock_gettime(CLOCK_MONOTONIC, &until);
	t = until.tv_sec + until.tv_nsec / 1e9 + wait;
	until.tv_sec = (time_t)t;
	until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
	while (!atomic_load(&s->quit) && !atomic_load(&s->stop) &&
	    pthread_cond_timedwait(&s->refilled, &s->lock, &until) == 0)
		continue;
	pthread_mutex_unlock(&s->lock);
	return atomic_load(&s->quit) || stopped(s) ? -1 : 0;
}

/* DIR took a block: if it was full, say it has room again. */
static void
room_again(struct slave *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->room_wait != 0 && s->o->verbosity >= 0)
		say("%s: room again; going on", s->path);
	s->room_wait = 0;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Publish block.N.v's result, len bytes at w->out, waiting for room while DIR is full
 * and the block still ours: 0, or -1 with errno.
 */
static int
publish_result(struct worker *w, uint32_t n, char v, size_t len)
{
	struct slave	*s = w->s;
	int		 err;

	for (;;) {
		if (protocol_publish(s->dirfd, &s->job, s->keyed, s->who, n, v, w->out,
		    len) == 0) {
			room_again(s);
			return 0;
		}
		err = errno;
		if (!protocol_dir_fault(err) || !protocol_held(s->dirfd, n, v) ||
		    wait_for_room(s, err) == -1) {
			errno = err;
			return -1;
		}
	}
}

/* Report block.N.v failed, and leave it to other slaves for a while. */
static void
fail(struct slave *s, uint32_t n, char v, const char *why, const char *detail)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, n, v);
	say("%s/%s: %s", s->path, name, why);
	if (protocol_fail(s->dirfd, &s->job, s->keyed, n, v, s->who, why,
	    detail) == -1)
		protocol_release(s->dirfd, n, v);
	pthread_mutex_lock(&s->lock);
	s->shun[n] = now() + SLAVE_SHUN;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Compute the claimed block.N.v and publish it, or report it failed. A block taken
 * back by the master or no longer wanted is given back quietly. 1 when a result is
 * published, else 0.
 */
static int
finish_block(struct worker *w, uint32_t n, char v)
{
	struct slave	*s = w->s;
	char		 name[PROTOCOL_NAME_MAX], *why = NULL, *detail = NULL;
	size_t		 len;
	int		 r, drop;

	w->n = n;
	w->v = v;
	w->cancel = 0;
	len = compute(w, n, &why, &detail);
	/*
	 * Looked at once: a block neither given back nor published would wait for the
	 * timeout. A block computed is published unless a signal came, as the job may
	 * yet take it (a master fallen silent, then resumed).
	 */
	drop = len == 0 || atomic_load(&s->stop);
	if (len == 0 && why != NULL && !w->cancel)
		fail(s, n, v, why, detail);
	else if (drop)
		/* Give the block back at once: another slave can claim it now. */
		protocol_release(s->dirfd, n, v);
	free(why);
	free(detail);
	unmap_input(w);
	if (drop)
		return 0;
	r = publish_result(w, n, v, len);
	protocol_block_name(name, n, v);
	if (r == -1) {
		if (errno == ENOENT)
			return 0;	/* the master took this block back */
		/* A full DIR was said once; the block was taken back or the job ends. */
		if (!protocol_dir_fault(errno))
			say("%s/%s: %s; releasing it", s->path, name, strerror(errno));
		protocol_release(s->dirfd, n, v);
		return 0;
	}
	if (s->o->verbosity > 0)
		say("%s: %s done", s->who, name);
	return 1;
}

/* A job this slave must not go on with: a persistent one waits for the next job. */
static void
refuse(struct slave *s)
{
	pthread_mutex_lock(&s->lock);
	memcpy(s->o->refused, s->job.id, sizeof s->o->refused);
	s->o->refusal = 1;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Claim and compute block.N.v. A block taken by another slave, taken back by the master
 * or finished elsewhere while this one worked, is no error: it is dropped quietly.
 * 1 when a result is published, 0 when not, -1 with *cause when the slave must leave.
 */
static int
work_on(struct worker *w, uint32_t n, char v, char **cause)
{
	struct slave	*s = w->s;
	char		 sign[SECRET_HEX];
	int		 r;

	r = protocol_claim(s->dirfd, n, v, s->who);
	w->lost = r == 0 ? w->lost + 1 : 0;
	if (r <= 0) {
		/* ENOENT: DIR itself was removed; the job is over, as the lister will see. */
		if (r == -1 && errno == ENOENT)
			return 0;
		if (r == -1 && protocol_dir_fault(errno)) {
			wait_for_room(s, errno);
			return 0;
		}
		if (r == -1)
			*cause = xasprintf("%s: cannot claim a block: %s", s->path,
			    strerror(errno));
		return r;
	}
	if (atomic_load(&s->quit) || !job_working(s) ||
	    protocol_todo_read(s->dirfd, n, v, sign) == -1) {
		protocol_release(s->dirfd, n, v);
		return 0;
	}
	if ((r = get_input(w, n, sign, cause)) != 0) {
		unmap_input(w);
		protocol_release(s->dirfd, n, v);
		if (r == 1)
			return 0;	/* image.bit is gone: the job ended */
		refuse(s);
		return -1;
	}
	return finish_block(w, n, v);
}

/* The next block of the listing for worker w, waiting for one: 0, or -1 on quit. */
static int
next_block(struct worker *w, struct todo *t)
{
	struct slave	*s = w->s;
	uint32_t	 r32;
	int		 r = 0;

	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->quit) && s->next == s->count) {
		s->hungry++;
		nudge(s);
		pthread_cond_wait(&s->refilled, &s->lock);
		s->hungry--;
	}
	if (!atomic_load(&s->quit) && w->lost >= SLAVE_LOST_RUN) {
		random_bytes(&r32, sizeof r32);
		s->next += r32 % (s->count - s->next);
		w->lost = 0;
	}
	if (atomic_load(&s->quit))
		r = -1;
	else
		*t = s->queue[s->next++];
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Make every worker leave the job; the first reason given (cause) is kept. */
static void
leave(struct slave *s, char *cause)
{
	pthread_mutex_lock(&s->lock);
	if (s->error == NULL)
		s->error = cause;
	else
		free(cause);
	atomic_store(&s->quit, 1);
	pthread_cond_broadcast(&s->refilled);
	pthread_mutex_unlock(&s->lock);
	nudge(s);
}

/* A worker: claims and computes blocks of the shared listing until the slave leaves. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct slave	*s = w->s;
	struct todo	 t;
	char		*cause = NULL;
	int		 r;

	while (next_block(w, &t) == 0) {
		if ((r = work_on(w, t.n, t.v, &cause)) == -1) {
			leave(s, cause);
			break;
		}
		pthread_mutex_lock(&s->lock);
		s->done += r;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

/* Wait up to ms for a signal or a worker's nudge. */
static void
lister_wait(struct slave *s, int ms)
{
	struct pollfd	fds[2] = { { .fd = s->sigfd, .events = POLLIN },
			    { .fd = s->nudge, .events = POLLIN } };
	uint64_t	count;

	if (poll(fds, 2, ms) > 0 && (fds[1].revents & POLLIN) &&
	    read(s->nudge, &count, sizeof count) == -1)
		return;	/* another read took it */
}

/* Hand the workers a fresh listing: how many blocks it offers. */
static size_t
refill(struct slave *s)
{
	struct change	 c;
	struct todo	*list;
	size_t		 count;

	/* What happened before this listing is in it. */
	while (watch_next(&s->watch, 0, &c))
		continue;
	list = claimable(s, &count);
	pthread_mutex_lock(&s->lock);
	free(s->queue);
	s->queue = list;
	s->count = count;
	s->next = 0;
	pthread_cond_broadcast(&s->refilled);
	pthread_mutex_unlock(&s->lock);
	return count;
}

/*
 * The lister: lists todo/ and DIR whenever a worker is idle and the last listing is
 * used up, watches DIR when it offered nothing, and follows the master's heartbeat
 * and the signals, until the slave leaves the job.
 */
static void
lister(struct slave *s)
{
	struct change	c;
	int		idle = 0, want;

	while (!atomic_load(&s->quit) && !stopped(s) && job_alive(s)) {
		pthread_mutex_lock(&s->lock);
		want = s->hungry > 0 && s->next == s->count;
		pthread_mutex_unlock(&s->lock);
		if (!want)
			lister_wait(s, s->watch.ms);
		else if (refill(s) > 0)
			idle = 0;
		else if (job_alive(s)) {
			/*
			 * Only now, after refill() took the changes so far: the job's end
			 * among them would otherwise wait for the next rescan. Idle and
			 * polling: look less often (see SLAVE_IDLE).
			 */
			watch_next(&s->watch, s->watch.ms << idle, &c);
			idle = s->watch.inotify ? 0 : idle < SLAVE_IDLE - 1 ? idle + 1 :
			    idle;
		}
	}
	leave(s, NULL);
}

/* Run the job with the workers started for it; -1 with *cause if one had to leave. */
static int
run_job(struct slave *s, char **cause)
{
	unsigned	started;
	int		error;

	for (started = 0; started < s->nworkers; started++)
		if ((error = pthread_create(&s->workers[started].thread, NULL,
		    worker_main, &s->workers[started])) != 0)
			break;
	if (started == 0) {
		*cause = xasprintf("%s: cannot start a worker: %s", s->path,
		    strerror(error));
		return -1;
	}
	if (started < s->nworkers && s->o->verbosity >= 0)
		say("%s: %u of %u workers started: %s", s->path, started, s->nworkers,
		    strerror(error));
	if (s->o->verbosity > 0 && s->nworkers < s->o->jobs)
		say("%s: %u of %u workers: the blocks are too large for more "
		    "(%u MiB at most)", s->who, s->nworkers, s->o->jobs,
		    SLAVE_BUFFERS >> 20);
	lister(s);
	while (started > 0)
		pthread_join(s->workers[--started].thread, NULL);
	if (s->error != NULL) {
		*cause = s->error;
		s->error = NULL;
		return -1;
	}
	return interrupted(s, cause) ? -1 : 0;
}

/* Everything the slave held for the job. */
static void
slave_free(struct slave *s)
{
	unsigned	i;

	for (i = 0; i < s->nworkers; i++) {
		if (s->workers[i].op != NULL)
			s->job.args.op->stop(s->workers[i].op);
		free(s->workers[i].out);
		free(s->workers[i].copy);
	}
	free(s->workers);
	job_free(&s->job);
	free(s->shun);
	free(s->queue);
	if (s->bitfd != -1)
		close(s->bitfd);
	if (s->dirfd != -1)
		close(s->dirfd);
	close(s->nudge);
	pthread_cond_destroy(&s->refilled);
	pthread_mutex_destroy(&s->lock);
}

long
slave_run(struct slave_opts *o, char **cause)
{
	struct slave	s = { .o = o, .path = o->dir, .dirfd = -1, .bitfd = -1 };
	pthread_condattr_t ca;
	sigset_t	old;
	int		r = -1;

	*cause = NULL;
	o->refusal = 0;
	pthread_mutex_init(&s.lock, NULL);
	/* Waits for room are timed on the monotonic clock, as everything else here. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s.refilled, &ca);
	pthread_condattr_destroy(&ca);
	if ((s.nudge = eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC)) == -1)
		fatal("eventfd: %s", strerror(errno));
	/*
	 * Caught, not died of: a command running for a block in hand is ended first. The
	 * workers inherit the mask: only the descriptor hears the signals.
	 */
	s.sigfd = signals_catch(&old);
	s.watch.wake = s.sigfd;	/* while join() waits for DIR, before watch_start() */
	protocol_who(s.who);
	if (o->secret != NULL) {
		if (secret_load(o->secret, s.key, cause) == -1)
			goto out;
		s.keyed = s.key;
	}
	if ((r = join(&s, o->job, cause)) == 0)
		r = run_job(&s, cause);
out:
	/* The master stops its own slaves when it is done with them. */
	if (r == -1 && atomic_load(&s.stop) && o->job != NULL) {
		free(*cause);
		*cause = NULL;
		r = 0;
	}
	if (o->letgo != -1)
		close(o->letgo);
	o->letgo = -1;
	watch_close(&s.watch);
	close(s.sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	slave_free(&s);
	return r == -1 ? -1 : s.done;
}
