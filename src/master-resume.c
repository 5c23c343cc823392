/* master-resume.c — see master-int.h. */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "master-int.h"
#include "util.h"

/* Whether two descriptions ask for the same operation on the same input, stored alike. */
static int
same_job(const struct job *a, const struct job *b)
{
	int	i;

	if (a->args.op != b->args.op)
		return 0;
	for (i = 0; i < OP_PARAMS && a->args.op->params[i].name != NULL; i++)
		if (strcmp(a->args.value[i], b->args.value[i]) != 0)
			return 0;
	return a->width == b->width && a->height == b->height &&
	    a->samples == b->samples && a->format == b->format && a->alpha == b->alpha &&
	    a->render == b->render && a->top == b->top && a->bottom == b->bottom &&
	    a->rows == b->rows && a->blocks == b->blocks && a->levels == b->levels &&
	    a->resample == b->resample && a->cog == b->cog &&
	    a->decode == b->decode && a->directory == b->directory &&
	    layout_equal(&a->layout, &b->layout) &&
	    strcmp(a->source, b->source) == 0;
}

/* The newest version of a block that listing s shows asked for or claimed; 0 if none. */
static char
newest_version(const struct sighting *s)
{
	char	v, newest = 0;

	for (v = PROTOCOL_FIRST; v <= PROTOCOL_LAST; v++)
		if ((s->todo | s->claimed) & BLOCK_BIT(v))
			newest = v;
	return newest;
}

/*
 * What DIR holds of block n after its master died, by listing s: its newest version,
 * and a valid result, kept. Whether there is one: the count of them is said before any
 * block is asked for again (redo()).
 */
static int
take_stock(struct master *m, uint32_t n, const struct sighting *s)
{
	struct block	*b = &m->bs.b[n];
	char		 v, in = dir_result_of(m->dirfd, &m->job, n, s), newest = newest_version(s);

	b->version = newest != 0 ? newest : PROTOCOL_FIRST;
	if (in == 0)
		return 0;
	blocks_collected(&m->bs, n, in, 0);
	for (v = PROTOCOL_FIRST; v <= b->version; v++)
		collect_retire(m->collect, n, v, RETIRE_TODO | (v != in ? RETIRE_BLOCK : 0));
	return 1;
}

/*
 * Make sure block n, of which take_stock() found no valid result in listing s, is
 * wanted again: as a new version if a dead claim or an invalid result holds the newest.
 */
static int
redo(struct master *m, uint32_t n, const struct sighting *s, char **cause)
{
	struct block	*b = &m->bs.b[n];
	char		 newest = newest_version(s);

	if (newest != 0 && (s->done & BLOCK_BIT(newest)))
		return settle_reissue(m, n, "has no valid result", cause);
	if (newest != 0 && (s->claimed & BLOCK_BIT(newest)))
		return settle_reissue(m, n, "was claimed when its master died", cause);
	if (!(s->todo & BLOCK_BIT(b->version))) {
		publish_todo(m, n, b->version);
		if (collect_wait(m->collect) == 0)
			return 0;
		*cause = xasprintf("%s/todo: %s", m->o->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * With overviews, levels.bit as the dead master left it, for writing: the rows staged
 * stay, those of the results reused are staged again (the same bytes). 0, or -1 if it
 * is not whole.
 */
static int
open_levels(struct master *m)
{
	struct stat	st;

	if (m->job.levels == 0)
		return 0;
	if ((m->levelsfd = protocol_levels_open(m->dirfd, O_RDWR)) != -1 &&
	    fstat(m->levelsfd, &st) == 0 &&
	    (uint64_t)st.st_size == job_level_offset(&m->job, m->job.levels + 1))
		return 0;
	if (m->levelsfd != -1)
		close(m->levelsfd);
	m->levelsfd = -1;
	return -1;
}

/*
 * How many blocks the dead master had asked for, from the first, by listing `list`:
 * every block of the image, and the blocks of the levels below it up to the first it
 * had not asked for (it asked in order, once their rows were in levels.bit). The rest
 * are asked for as their rows come in again (publish_levels()).
 */
static uint32_t
published(const struct master *m, const struct sighting *list)
{
	uint32_t	n = job_level_first(&m->job, 1);

	while (n < m->job.blocks && (m->bs.b[n].in != 0 || newest_version(&list[n]) != 0))
		n++;
	return n;
}

/* Write block n's result, found by take_stock(), to the output. */
static int
reuse(struct master *m, uint32_t n, char **cause)
{
	struct look	l = { .n = n, .fd = -1 };
	int		r;

	collect_take(m->collect, n, m->bs.b[n].in, &l);
	r = settle_deliver(m, n, &l, cause);
	collect_drop(&l);
	return r;
}

int
resume_adopt(struct master *m, char **cause)
{
	const char	*dir = m->o->dir;
	struct sighting	*list;
	struct job	 old;
	uint32_t	 n, reused, blocks = m->job.blocks;
	const char	*what;
	char		*why;
	int		 r = 0;

	if (protocol_read_job(m->dirfd, &old, m->keyed, &why) == -1) {
		*cause = xasprintf("%s: cannot resume: %s", dir, why);
		free(why);
		return -1;
	}
	memcpy(m->job.id, old.id, sizeof old.id);	/* its results name it */
	if (!same_job(&old, &m->job) ||
	    (strcmp(old.auth, "none") == 0) != (m->keyed == NULL)) {
		*cause = xasprintf("%s: cannot resume job %s: it runs %s on %s "
		    "otherwise, with another secret, or the file changed; run without "
		    "-resume to discard it", dir, old.id, old.args.op->name,
		    old.render ? "a render" : old.input);
		job_free(&old);
		return -1;
	}
	what = NULL;
	if (!old.render && !protocol_input_whole(m->dirfd, &m->job))
		what = old.decode ? "image.tif" : "image.bit";
	else if (open_levels(m) == -1)
		what = "levels.bit";
	if (what != NULL) {
		*cause = xasprintf("%s: cannot resume job %s: its %s is "
		    "incomplete; run without -resume to discard it", dir, old.id, what);
		job_free(&old);
		return -1;
	}
	output_remove_partial(&old);	/* an output is not continued; results are */
	job_free(&old);
	output_name(m);
	if (publish_signing(m, cause) == -1 || publish_collector(m, cause) == -1)
		return -1;
	if (protocol_write_job(m->dirfd, &m->job, m->keyed, &why) == -1) {
		*cause = xasprintf("%s/%s", dir, why);
		free(why);
		return -1;
	}
	if (output_open(m, cause) == -1)
		return -1;
	protocol_read_tally(m->dirfd, &m->progress.tally);
	tally_free(&m->progress.tally);	/* shares of rows we must redo */
	list = protocol_list(m->dirfd, blocks, 1, NULL);
	for (n = 0, reused = 0; n < blocks; n++)
		reused += take_stock(m, n, &list[n]);
	m->progress.tally.done = reused;
	if (reused == blocks)
		progress_say(&m->progress, "%s: resuming job %s: all %u block%s reused",
		    dir, m->job.id, blocks, blocks == 1 ? "" : "s");
	else
		progress_say(&m->progress, "%s: resuming job %s: %u of %u block%s reused, "
		    "%u to do", dir, m->job.id, reused, blocks, blocks == 1 ? "" : "s",
		    blocks - reused);
	m->wanted = published(m, list);
	for (n = 0; n < m->wanted && r == 0; n++)
		if (m->bs.b[n].in == 0)
			r = redo(m, n, &list[n], cause);
	free(list);
	if (r == -1)
		return -1;
	if (protocol_working(m->dirfd, old.id) == -1 &&
	    protocol_start(m->dirfd, &m->job) == -1) {
		*cause = xasprintf("%s/working: %s", dir, strerror(errno));
		return -1;
	}
	/* The slaves redo the rest while the reused results go to the output. */
	locals_start(m);
	for (n = 0; n < blocks; n++)
		if (m->bs.b[n].in != 0 && reuse(m, n, cause) == -1)
			return -1;
	return 0;
}
