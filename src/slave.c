/* slave.c — see slave.h; its rooms share slave-int.h. */
#include <config.h>

#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "slave-int.h"
#include "util.h"

/*
 * After this many claims lost in a row, a worker goes on from a random place further
 * down the listing: the blocks ahead of a lost claim are likely taken by the slave that
 * walked there first, and every try costs a round trip.
 */
#define SLAVE_LOST_RUN	2

/* Wake the lister, which waits on s->nudge as on its signals. */
static void
slave_nudge(struct slave *s)
{
	uint64_t	one = 1;

	if (write(s->nudge, &one, sizeof one) == -1)
		return;	/* the counter is full: it is awake already */
}

int
slave_stopped(struct slave *s)
{
	if (!atomic_load(&s->stop) && signals_caught(s->sigfd)) {
		atomic_store(&s->stop, 1);
		slave_nudge(s);
	}
	return atomic_load(&s->stop);
}

int
slave_interrupted(struct slave *s, char **cause)
{
	if (!slave_stopped(s))
		return 0;
	if (*cause == NULL)
		*cause = xasprintf("%s: interrupted", s->path);
	return 1;
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
		slave_nudge(s);
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
slave_leave(struct slave *s, char *cause)
{
	pthread_mutex_lock(&s->lock);
	if (s->error == NULL)
		s->error = cause;
	else
		free(cause);
	atomic_store(&s->quit, 1);
	pthread_cond_broadcast(&s->refilled);
	pthread_mutex_unlock(&s->lock);
	slave_nudge(s);
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
		if ((r = worker_work_on(w, t.n, t.v, &cause)) == -1) {
			slave_leave(s, cause);
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

	while (!atomic_load(&s->quit) && !slave_stopped(s) && join_alive(s)) {
		pthread_mutex_lock(&s->lock);
		want = s->hungry > 0 && s->next == s->count;
		pthread_mutex_unlock(&s->lock);
		if (!want)
			lister_wait(s, s->watch.ms);
		else if (refill(s) > 0)
			idle = 0;
		else if (join_alive(s)) {
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
	slave_leave(s, NULL);
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
	return slave_interrupted(s, cause) ? -1 : 0;
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
		free(s->workers[i].made);
		chunk_free(&s->workers[i].chunks);
		if (s->workers[i].src != NULL)
			image_close(s->workers[i].src, NULL);
		free(s->workers[i].src);
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
	if ((s.nudge = eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: cannot start: eventfd: %s", o->dir, strerror(errno));
		return -1;
	}
	pthread_mutex_init(&s.lock, NULL);
	/* Waits for room are timed on the monotonic clock, as everything else here. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s.refilled, &ca);
	pthread_condattr_destroy(&ca);
	/*
	 * Caught, not died of: a command running for a block in hand is ended first. The
	 * workers inherit the mask: only the descriptor hears the signals.
	 */
	s.sigfd = signals_catch(&old);
	s.watch.wake = s.sigfd;	/* while join_job() waits for DIR, before watch_start() */
	protocol_who(s.who);
	if (o->secret != NULL) {
		if (secret_load(o->secret, s.key, cause) == -1)
			goto out;
		s.keyed = s.key;
	}
	if ((r = join_job(&s, o->job, cause)) == 0)
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
