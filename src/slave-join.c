/* slave-join.c — waiting for a job, trusting it and joining it (see slave-int.h). */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "slave-int.h"
#include "util.h"

#define STALE_LOOKS	20	/* at data.dat of another job than `working` names, or
				   image.tif of another size */

int
join_working(const struct slave *s)
{
	char	id[33];

	return protocol_working(s->dirfd, id) == 0 && strcmp(id, s->job.id) == 0;
}

int
join_alive(struct slave *s)
{
	uint64_t	beat = protocol_beat(s->dirfd);

	if (!join_working(s))
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
 * How many workers the job gets: as many as asked, but no more than SLAVE_BUFFERS for
 * each holds of their blocks (each its input rows, its result, and that compressed),
 * and at least one.
 */
static unsigned
workers_for(const struct slave *s)
{
	const struct job	*job = &s->job;
	unsigned		 want = s->o->jobs > 0 ? s->o->jobs : 1;
	uint64_t		 block = ((uint64_t)job->top + 3 * job->rows +
				    job->bottom) * job_row_bytes(job);
	uint64_t		 fit = (uint64_t)want * SLAVE_BUFFERS / (block > 0 ? block : 1);

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

/*
 * Open the input the slaves read: image.bit, or image.tif when they decode it, which
 * must be the size of the file data.dat names (each worker opens its own: a libtiff
 * handle is not to be shared). 0; -1 with *cause; 1 with *cause if image.tif is not
 * that size, which may be a network filesystem's stale view (look again).
 */
static int
open_input(struct slave *s, char **cause)
{
	const char	*name = s->job.decode ? "image.tif" : "image.bit";
	struct stat	 st;

	if (s->job.render)
		return 0;
	s->bitfd = s->job.decode ? protocol_source_open(s->dirfd) :
	    protocol_input_open(s->dirfd);
	if (s->bitfd == -1 || fstat(s->bitfd, &st) == -1) {
		*cause = xasprintf("%s/%s: %s", s->path, name, strerror(errno));
		return -1;
	}
	if (s->job.decode && (uint64_t)st.st_size != job_source_bytes(&s->job)) {
		*cause = xasprintf("%s/image.tif: %jd bytes, not the %ju of the job's input",
		    s->path, (intmax_t)st.st_size, (uintmax_t)job_source_bytes(&s->job));
		close(s->bitfd);
		s->bitfd = -1;
		return 1;
	}
	return 0;
}

/*
 * Read the job in DIR, check that we may run it, and start its operation: 0, -1 with
 * *cause, or 1 with *cause if data.dat is another job's than `working` names or
 * image.tif is not the job's size: both what a network filesystem shows for a while.
 */
static int
read_job(struct slave *s, const char *id, char **cause)
{
	char	*why;
	int	 r;

	if (protocol_read_job(s->dirfd, &s->job, s->keyed, &why) == -1) {
		*cause = xasprintf("%s/%s", s->path, why);
		free(why);
		return -1;
	}
	if (strcmp(id, s->job.id) != 0) {
		job_free(&s->job);
		*cause = xasprintf("%s: data.dat belongs to another job", s->path);
		return 1;
	}
	if (trust(s, cause) == -1)
		return -1;
	if ((r = open_input(s, cause)) != 0) {
		if (r == 1)
			job_free(&s->job);
		return r;
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

int
join_job(struct slave *s, const char *only, char **cause)
{
	struct lookout	l = { 0 };
	struct change	c;
	char		id[33], *todo;
	int		tries, r;

	while ((s->dirfd = protocol_open_dir(s->path, 0, cause)) == -1) {
		if (errno != ENOENT)
			return -1;
		free(*cause);
		*cause = NULL;
		/* Only a master creates DIR: its job may be over before we look. */
		l.seen = 1;
		if (slave_interrupted(s, cause))
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
		if (slave_interrupted(s, cause))
			return -1;
		watch_next(&s->watch, s->watch.ms, &c);
	}
	if (only != NULL && strcmp(id, only) != 0)
		return 1;
	/*
	 * The master writes data.dat and image.tif before `working`: another job's
	 * data.dat, or an image.tif of another size, is a network filesystem's cached view
	 * (GlusterFS showed the last job's data.dat for a second, and image.tif empty to a
	 * slave that had listed DIR while the master copied it), so look again for a while
	 * before saying so.
	 */
	for (tries = 0; (r = read_job(s, id, cause)) == 1 && tries < STALE_LOOKS; tries++) {
		free(*cause);
		*cause = NULL;
		if (slave_interrupted(s, cause))
			return -1;
		watch_next(&s->watch, s->watch.ms, &c);
	}
	if (r != 0) {
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
