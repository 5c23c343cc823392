/* master-publish.c — see master-int.h. */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master-int.h"
#include "util.h"

/*
 * Sign what the slaves decode each block from, as stored in the input, before any todo
 * file is made (the collector's threads must not share the input's libtiff handle).
 */
static int
sign_stored(struct master *m, char **cause)
{
	struct secret_mac	 mac;
	uint32_t		 n, a, b;
	char			*why;

	for (n = 0; n < job_level_first(&m->job, 1); n++) {
		job_block_input(&m->job, n, &a, &b);
		secret_stored_begin(&mac, m->key, m->job.id, n);
		if (image_stored(&m->in, a, b, secret_stored_add, &mac, &why) == -1) {
			*cause = xasprintf("%s: %s", m->o->input, why);
			free(why);
			return -1;
		}
		secret_stored_end(&mac, m->signs[n]);
		master_report(m);
	}
	return 0;
}

int
publish_signing(struct master *m, char **cause)
{
	if (m->keyed == NULL || (m->job.render && m->job.levels == 0))
		return 0;
	/* The collector signs rows of image.bit and levels.bit as it makes todo files. */
	m->signs = xcalloc(m->job.blocks, sizeof *m->signs);
	if (m->job.render)
		return 0;
	if (m->job.decode)
		return sign_stored(m, cause);
	m->readfd = protocol_input_open(m->dirfd);
	if (m->readfd == -1) {
		*cause = xasprintf("%s/image.bit: %s", m->o->dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
publish_collector(struct master *m, char **cause)
{
	m->collect = collect_start(m->dirfd, &m->job, m->keyed, m->readfd, m->levelsfd,
	    m->watch.inotify ? 0 : COLLECT_THREADS);
	if (m->collect == NULL) {
		*cause = xasprintf("cannot start the master's threads: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Make the input reachable by the slaves: image.tif, the file itself, when they decode
 * it; else image.bit, empty yet, for the master to decode into (a render has neither).
 */
static int
place_input(struct master *m, char **cause)
{
	int	linked = 0;

	if (m->job.render)
		return 0;
	if (!m->job.decode) {
		if ((m->bitfd = protocol_input_create(m->dirfd)) != -1)
			return 0;
		*cause = xasprintf("%s/image.bit: %s", m->o->dir, strerror(errno));
		return -1;
	}
	if (protocol_source_place(m->dirfd, m->o->input, &linked) == -1) {
		*cause = xasprintf("%s/image.tif: %s", m->o->dir, strerror(errno));
		return -1;
	}
	if (m->o->verbosity > 0)
		say("%s/image.tif: %s %s", m->o->dir, linked ? "a link to" : "a copy of",
		    m->o->input);
	return 0;
}

/* With overviews, levels.bit, of its whole size: blocks fill it in any order. */
static int
place_levels(struct master *m, char **cause)
{
	if (m->job.levels == 0)
		return 0;
	if ((m->levelsfd = protocol_levels_create(m->dirfd)) != -1 &&
	    ftruncate(m->levelsfd, (off_t)job_level_offset(&m->job, m->job.levels + 1)) == 0)
		return 0;
	*cause = xasprintf("%s/levels.bit: %s", m->o->dir, strerror(errno));
	return -1;
}

/* Create the input's file (place_input()), levels.bit, data.dat, todo/ and progress. */
static int
prepare(struct master *m, char **cause)
{
	char	*why;

	if (dir_room(m, cause) == -1)
		return -1;
	if (place_input(m, cause) == -1 || place_levels(m, cause) == -1)
		return -1;
	if (publish_signing(m, cause) == -1 || publish_collector(m, cause) == -1)
		return -1;
	if (protocol_write_job(m->dirfd, &m->job, m->keyed, &why) == -1) {
		*cause = xasprintf("%s/%s", m->o->dir, why);
		free(why);
		return -1;
	}
	if (protocol_todo_start(m->dirfd) == -1 ||
	    protocol_write_tally(m->dirfd, &m->progress.tally) == -1) {
		*cause = xasprintf("%s: cannot publish the job: %s", m->o->dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
publish_todo(struct master *m, uint32_t n, char v)
{
	collect_todo(m->collect, n, v, m->signs != NULL ? m->signs[n] : NULL);
}

int
publish_issue(struct master *m, uint32_t n, char v)
{
	publish_todo(m, n, v);
	blocks_issued(&m->bs, n, v);
	return collect_wait(m->collect);
}

/*
 * Ask for every block of the image whose rows and halo are among the first `rows` of
 * image.bit, all at once. A failure is kept for decode() to report.
 */
static void
want_ready(struct master *m, uint32_t rows)
{
	const struct job	*job = &m->job;
	uint32_t		 a, b;

	for (; m->wanted < job_level_first(job, 1) && m->todo_errno == 0; m->wanted++) {
		job_block_input(job, m->wanted, &a, &b);
		if (b > rows)
			break;
		publish_todo(m, m->wanted, PROTOCOL_FIRST);
		blocks_issued(&m->bs, m->wanted, PROTOCOL_FIRST);
	}
	if (m->todo_errno == 0 && collect_wait(m->collect) == -1)
		m->todo_errno = errno;
}

/*
 * Whether the rows block n of a level below the image is made from are in levels.bit:
 * each row is made by the block of the level above that holds its window's first row.
 */
static int
level_ready(const struct master *m, uint32_t n)
{
	const struct job	*job = &m->job;
	uint32_t		 k = job_block_level(job, n), a, b, s0, s1, i, last;
	struct reduce		 g = job_reduce(job, k - 1);

	job_block_input(job, n, &a, &b);
	reduce_source_rows(&g, a, a + 1, &s0, &s1);
	i = job_level_first(job, k - 1) + s0 / job->rows;
	reduce_source_rows(&g, b - 1, b, &s0, &s1);
	last = job_level_first(job, k - 1) + s0 / job->rows;
	for (; i <= last; i++)
		if (!m->staged[i])
			return 0;
	return 1;
}

int
publish_levels(struct master *m, char **cause)
{
	uint32_t	asked = m->wanted, n;

	if (m->wanted < job_level_first(&m->job, 1) || m->wanted == m->job.blocks ||
	    !level_ready(m, m->wanted))
		return 0;
	/* Another host sees what is written to a file only once it reaches the server. */
	if (!m->watch.inotify && fdatasync(m->levelsfd) == -1) {
		*cause = xasprintf("%s/levels.bit: %s", m->o->dir, strerror(errno));
		return -1;
	}
	for (; m->wanted < m->job.blocks && level_ready(m, m->wanted); m->wanted++) {
		publish_todo(m, m->wanted, PROTOCOL_FIRST);
		blocks_issued(&m->bs, m->wanted, PROTOCOL_FIRST);
	}
	if (collect_wait(m->collect) == 0)
		return 0;
	if (!protocol_dir_fault(errno)) {
		*cause = xasprintf("%s/todo: %s", m->o->dir, strerror(errno));
		return -1;
	}
	/* A full DIR fails no block: they are asked for again when it has room. */
	m->fault = errno;
	for (n = asked; n < m->wanted; n++)
		m->owed[n] = PROTOCOL_FIRST;
	return 0;
}

/*
 * After each decoded band: on a local filesystem ask for the blocks it completes, so that
 * slaves start while the master still decodes; elsewhere wait for the whole, because
 * another host may not see what is written to a file still open here. Keep beating.
 */
static void
decoded(void *arg, uint32_t rows)
{
	struct master	*m = arg;

	if (m->watch.inotify)
		want_ready(m, rows);
	master_report(m);
}

/* Decode the input into image.bit, unless slaves decode it (or a render), and close it. */
static int
decode(struct master *m, char **cause)
{
	char	*why;
	int	 r = 0;

	if (!m->job.render && !m->job.decode) {
		r = image_decode(&m->in, m->bitfd, decoded, m, &why);
		if (close(m->bitfd) == -1 && r == 0) {
			why = xasprintf("image.bit: %s", strerror(errno));
			r = -1;
		}
		m->bitfd = -1;
	}
	image_close(&m->in, NULL);	/* the output has its tags */
	if (r == -1) {
		*cause = xasprintf("%s: %s", m->o->input, why);
		free(why);
		return -1;
	}
	return 0;
}

/* Ask for every block not asked for yet: the input is whole. */
static int
want_all(struct master *m, char **cause)
{
	want_ready(m, m->job.height);
	if (m->todo_errno != 0) {
		*cause = xasprintf("%s/todo: %s", m->o->dir, strerror(m->todo_errno));
		return -1;
	}
	return 0;
}

/* Create `working`, which opens the job to slaves, and start the local ones. */
static int
open_job(struct master *m, char **cause)
{
	if (protocol_start(m->dirfd, &m->job) == -1) {
		*cause = xasprintf("%s/working: %s", m->o->dir, strerror(errno));
		return -1;
	}
	locals_start(m);
	return 0;
}

int
publish_job(struct master *m, char **cause)
{
	int	early = m->watch.inotify || m->job.render;

	output_name(m);
	if (prepare(m, cause) == -1 || output_open(m, cause) == -1 ||
	    (early && open_job(m, cause) == -1) || decode(m, cause) == -1 ||
	    (!early && open_job(m, cause) == -1))
		return -1;
	return want_all(m, cause);
}
