/* slave.c — see slave.h. */
#include <config.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "op.h"
#include "protocol.h"
#include "secret.h"
#include "slave.h"
#include "util.h"
#include "watch.h"

struct slave {
	struct slave_opts *o;
	const char	*path;
	char		 who[PROTOCOL_WHO_MAX];
	int		 dirfd;
	int		 bitfd;
	int		 sigfd;		/* SIGINT, SIGTERM, SIGHUP (signals_catch()) */
	struct job	 job;
	void		*op;		/* the operation's state for this job */
	long		 done;
	unsigned char	 key[SECRET_KEY];
	const unsigned char *keyed;	/* key, when the job has a secret; else NULL */
	uint64_t	 beat;		/* the master's heartbeat as last read */
	double		 beat_seen;	/* when it last moved, on our clock */
	struct watch	 watch;
	/*
	 * A block's input rows and its result, kept from block to block: fresh buffers of
	 * megabytes each cost a page fault per 4 KiB every time (a third of the CPU time
	 * at 8000² RGB).
	 */
	void		*in;
	void		*out;
	size_t		 in_size, out_size;
	double		*shun;		/* per block: until when it is left to others */
	uint32_t	 n;		/* the block in hand, for cancelled() */
	char		 v;
	double		 looked;	/* when cancelled() last looked at DIR */
	int		 cancel;	/* cancelled() said so */
	int		 stop;		/* a signal came: give the block back and leave */
};

struct todo {
	uint32_t	n;
	char		v;
};

/*
 * Whether the job this slave joined is still the one working in DIR, and its master
 * still beats; a job whose master fell silent is left, and remembered as orphaned.
 */
static int
job_alive(struct slave *s)
{
	uint64_t	beat = protocol_beat(s->dirfd);
	char		id[33];

	if (protocol_working(s->dirfd, id) == -1 || strcmp(id, s->job.id) != 0)
		return 0;
	if (beat != s->beat || s->beat_seen == 0) {
		s->beat = beat;
		s->beat_seen = now();
	} else if (now() - s->beat_seen > SLAVE_ORPHANED) {
		say("%s: no heartbeat from the master for %d s; leaving job %s",
		    s->path, SLAVE_ORPHANED, s->job.id);
		memcpy(s->o->orphan, s->job.id, sizeof s->o->orphan);
		s->o->orphan_beat = beat;
		return 0;
	}
	return 1;
}

/* Whether we were asked to stop; then *cause says so. */
static int
stopped(struct slave *s, char **cause)
{
	if (!s->stop)
		s->stop = signals_caught(s->sigfd);
	if (!s->stop)
		return 0;
	if (*cause == NULL)
		*cause = xasprintf("%s: interrupted", s->path);
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

/* Read the job in DIR, check that we may run it, and start its operation. */
static int
read_job(struct slave *s, const char *id, char **cause)
{
	struct op_image	 im;
	char		*why;

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
	im = job_image(&s->job);
	if ((s->op = s->job.args.op->start(&s->job.args, &im, &why)) == NULL) {
		*cause = xasprintf("%s: %s: %s", s->path, s->job.args.op->name, why);
		free(why);
		return -1;
	}
	s->shun = xcalloc(s->job.blocks, sizeof *s->shun);
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
		if (stopped(s, cause))
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
		if (stopped(s, cause))
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

/* The blocks a pass may claim, from one listing: wanted, unclaimed, not shunned. */
static struct todo *
claimable(const struct slave *s, size_t *count)
{
	struct sighting	*list = protocol_list(s->dirfd, s->job.blocks, 0, NULL);
	struct todo	*todo = xcalloc(s->job.blocks, sizeof *todo);
	double		 t = now();
	uint32_t	 n;
	char		 v;

	*count = 0;
	for (n = 0; n < s->job.blocks; n++)
		if ((v = blocks_claimable(&list[n])) != 0 && s->shun[n] <= t) {
			todo[*count].n = n;
			todo[(*count)++].v = v;
		}
	free(list);
	return todo;
}

/*
 * Whether the block in hand is no longer worth computing: we were told to stop, the job
 * ended, or the master took the block back. Looked up at most every CANCEL_EVERY.
 */
static int
cancelled(void *arg)
{
	struct slave	*s = arg;
	char		*cause = NULL;

	if (now() - s->looked < CANCEL_EVERY)
		return 0;
	s->looked = now();
	s->cancel = stopped(s, &cause) || !job_alive(s) ||
	    !protocol_held(s->dirfd, s->n, s->v);
	free(cause);
	return s->cancel;
}

/*
 * Read block n's input rows, with its halo, into s->in: 0; 1 if image.bit cannot be read
 * (the job ended); -1 with *cause if, in a job with a secret, they are not the rows the
 * master signed in todo/ (sign): someone changed image.bit under the job.
 */
static int
read_input(struct slave *s, uint32_t n, const char *sign, char **cause)
{
	const struct job	*job = &s->job;
	uint32_t		 a, e;
	size_t			 len;
	char			 want[SECRET_HEX];

	if (job->render)
		return 0;
	job_block_input(job, n, &a, &e);
	len = (size_t)(e - a) * job_row_bytes(job);
	reserve(&s->in, &s->in_size, len);
	if (pread_all(s->bitfd, s->in, len, (off_t)a * job_row_bytes(job)) == -1)
		return 1;
	if (s->keyed == NULL)
		return 0;	/* then trust() let only unsigned jobs in */
	secret_rows(s->key, job->id, n, s->in, len, want);
	if (sodium_memcmp(want, sign, SECRET_HEX) == 0)
		return 0;
	*cause = xasprintf("%s/image.bit: the input rows of block %u are not the ones "
	    "the master signed; leaving job %s", s->path, n, job->id);
	return -1;
}

/*
 * Run the operation on block n, whose input is in s->in, into s->out: its length, or 0
 * with *cause (and *detail, what the operation had to add) if the block failed.
 */
static size_t
compute(struct slave *s, uint32_t n, char **cause, char **detail)
{
	const struct job	*job = &s->job;
	struct op_block		 b = { .n = n, .y = job_block_y(job, n),
				    .rows = job_block_rows(job, n),
				    .cancelled = cancelled, .arg = s };
	uint32_t		 a, e;
	size_t			 row_bytes = job_row_bytes(job);

	job_block_input(job, n, &a, &e);
	b.top = b.y - a;
	b.bottom = e - (b.y + b.rows);
	reserve(&s->out, &s->out_size, (size_t)b.rows * row_bytes);
	s->looked = now();
	if (job->args.op->run(s->op, &b, job->render ? NULL : s->in, s->out,
	    cause) == -1) {
		*detail = b.detail;
		return 0;
	}
	return b.rows * row_bytes;
}

/* Report block.N.v failed, and leave it to other slaves for a while. */
static void
fail(struct slave *s, uint32_t n, char v, const char *why, const char *detail)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, n, v);
	say("%s/%s: %s", s->path, name, why);
	if (protocol_fail(s->dirfd, n, v, s->who, why, detail) == -1)
		protocol_release(s->dirfd, n, v);
	s->shun[n] = now() + SLAVE_SHUN;
}

/*
 * Claim and compute block.N.v. A block taken by another slave, taken back by the master
 * or finished elsewhere while this one worked, is no error: it is dropped quietly.
 * 1 when a result is published, 0 when not, -1 when we must stop.
 */
static int
work_on(struct slave *s, uint32_t n, char v, char **cause)
{
	char	 name[PROTOCOL_NAME_MAX], *why = NULL, *detail = NULL;
	char	 sign[SECRET_HEX];
	size_t	 len;
	int	 r;

	if ((r = protocol_claim(s->dirfd, n, v, s->who)) <= 0) {
		/* ENOENT: DIR itself was removed; the job is over, as job_alive() will say. */
		if (r == -1 && errno == ENOENT)
			return 0;
		if (r == -1)
			*cause = xasprintf("%s: cannot claim a block: %s", s->path,
			    strerror(errno));
		return r;
	}
	if (!job_alive(s) || protocol_todo_read(s->dirfd, n, v, sign) == -1) {
		protocol_release(s->dirfd, n, v);
		return 0;
	}
	if ((r = read_input(s, n, sign, cause)) != 0) {
		protocol_release(s->dirfd, n, v);
		if (r == 1)
			return 0;	/* image.bit is gone: the job ended */
		memcpy(s->o->refused, s->job.id, sizeof s->o->refused);
		s->o->refusal = 1;
		return -1;
	}
	s->n = n;
	s->v = v;
	s->cancel = 0;
	len = compute(s, n, &why, &detail);
	if (len == 0 && why != NULL && !s->cancel)
		fail(s, n, v, why, detail);
	else if (len == 0 || stopped(s, cause))
		/* Give the block back at once: another slave can claim it now. */
		protocol_release(s->dirfd, n, v);
	free(why);
	free(detail);
	if (len == 0 || stopped(s, cause))
		return stopped(s, cause) ? -1 : 0;
	r = protocol_publish(s->dirfd, &s->job, s->keyed, n, v, s->out, len);
	protocol_block_name(name, n, v);
	if (r == -1) {
		if (errno == ENOENT)
			return 0;	/* the master took this block back */
		say("%s/%s: %s; releasing it", s->path, name, strerror(errno));
		protocol_release(s->dirfd, n, v);
		return 0;
	}
	s->done++;
	if (s->o->verbosity > 0)
		say("%s: %s done", s->who, name);
	return 1;
}

/*
 * One pass over todo/, listed once, from a random place: hundreds of slaves do not all
 * race for block 0, and pids alone could be alike on every host. -1 on error.
 */
static int
pass(struct slave *s, char **cause)
{
	struct todo	*list;
	size_t		 count, i, start;
	uint32_t	 r32;
	int		 r = 0, claimed = 0;

	list = claimable(s, &count);
	random_bytes(&r32, sizeof r32);
	start = count > 0 ? r32 % count : 0;
	for (i = 0; i < count && r != -1; i++) {
		struct todo	*t = &list[(start + i) % count];

		if (!job_alive(s) || stopped(s, cause))
			break;
		if ((r = work_on(s, t->n, t->v, cause)) > 0)
			claimed += r;
	}
	free(list);
	return *cause != NULL || r == -1 ? -1 : claimed;
}

long
slave_run(struct slave_opts *o, char **cause)
{
	struct slave	s = { .o = o, .path = o->dir, .dirfd = -1, .bitfd = -1 };
	struct change	c;
	sigset_t	old;
	int		r, idle = 0;

	*cause = NULL;
	o->refusal = 0;
	/* Caught, not died of: a command running for the block in hand is ended first. */
	s.sigfd = signals_catch(&old);
	s.watch.wake = s.sigfd;	/* while join() waits for DIR, before watch_start() */
	protocol_who(s.who);
	if (o->secret != NULL) {
		if (secret_load(o->secret, s.key, cause) == -1) {
			r = -1;
			goto out;
		}
		s.keyed = s.key;
	}
	if ((r = join(&s, o->job, cause)) == -1)
		goto out;
	while (r == 0 && job_alive(&s)) {
		if ((r = pass(&s, cause)) == -1)
			goto out;
		/* Idle and polling: look less often (see SLAVE_IDLE). */
		idle = r > 0 || s.watch.inotify ? 0 : idle < SLAVE_IDLE - 1 ? idle + 1 :
		    idle;
		if (r == 0 && !stopped(&s, cause))
			watch_next(&s.watch, s.watch.ms << idle, &c);
		r = *cause != NULL ? -1 : 0;
	}
out:
	/* The master stops its own slaves when it is done with them. */
	if (r == -1 && s.stop && o->job != NULL) {
		free(*cause);
		*cause = NULL;
		r = 0;
	}
	watch_close(&s.watch);
	close(s.sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (s.op != NULL)
		s.job.args.op->stop(s.op);
	job_free(&s.job);
	free(s.shun);
	free(s.in);
	free(s.out);
	if (s.bitfd != -1)
		close(s.bitfd);
	if (s.dirfd != -1)
		close(s.dirfd);
	return r == -1 ? -1 : s.done;
}
