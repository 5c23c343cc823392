/* master-settle.c — see master-int.h. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master-int.h"
#include "util.h"

/* The path of block.N.v, for inotify, which knows no directory descriptors. */
static char *
block_path(const struct master *m, uint32_t n, char v)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, n, v);
	return xasprintf("%s/%s", m->o->dir, name);
}

/* Start or stop watching block.N.v, when it is claimed and when it is settled. */
static void
watch_block(struct master *m, uint32_t n, char v, int on)
{
	char	*path;

	if (!m->watch.inotify)
		return;
	path = block_path(m, n, v);
	if (on)
		watch_dir(&m->watch, path);
	else
		watch_forget(&m->watch, path);
	free(path);
}

/* Remove block.N.v. */
static void
release(struct master *m, uint32_t n, char v)
{
	if (m->bs.b[n].seen[v - PROTOCOL_FIRST] != 0)
		watch_block(m, n, v, 0);
	protocol_release(m->dirfd, n, v);
}

int
settle_reissue(struct master *m, uint32_t n, const char *why, char **cause)
{
	char	old = m->bs.b[n].version, v = blocks_next_version(&m->bs, n);

	if (v == 0) {
		*cause = xasprintf("block %u: no result after %d versions (a to z); "
		    "giving up", n, BLOCK_VERSIONS);
		return -1;
	}
	if (publish_issue(m, n, v) == -1) {
		if (!protocol_dir_fault(errno)) {
			*cause = xasprintf("%s/todo: %s", m->o->dir, strerror(errno));
			return -1;
		}
		m->fault = errno;
		m->owed[n] = v;
	}
	collect_retire(m->collect, n, old, RETIRE_TODO);
	progress_reissue(&m->progress);
	progress_say(&m->progress, "block.%u.%c %s; reissued as block.%u.%c", n,
	    old, why, n, v);
	return 0;
}

/*
 * Throw block.N.v's result away, saying why (why is freed) and who sent it; ask again if
 * need be.
 */
static int
reject(struct master *m, uint32_t n, char v, const char *who, char *why, char **cause)
{
	int	was_in = m->bs.b[n].in == v;

	progress_say(&m->progress, "block.%u.%c from %s rejected: result %s", n, v,
	    who[0] != '\0' ? who : "an unknown slave", why);
	free(why);
	if (was_in)
		progress_undo(&m->progress, who);
	release(m, n, v);
	if (blocks_rejected(&m->bs, n, v))
		return settle_reissue(m, n, "had its result rejected", cause);
	return 0;
}

/* The last line of text that is not empty, for a one-line message. */
static const char *
last_line(char *text)
{
	char	*p = text + strlen(text);

	while (p > text && p[-1] == '\n')
		*--p = '\0';
	p = strrchr(text, '\n');
	return p != NULL ? p + 1 : text;
}

/*
 * Block.N.v failed on its slave: say so, count it, and ask again at once, or fail the
 * job if the block failed -retries times. failed holds who, the reason, then the
 * command's last output. In a job with a secret, a report not signed with it is
 * ignored (with -v said once): the version stays watched, at work until done or late.
 */
static int
failure(struct master *m, uint32_t n, char v, char **cause)
{
	char	*refused = NULL, *who, *why, *rest;
	char	*text = protocol_failure(m->dirfd, &m->job, m->keyed, n, v, &refused);
	int	 again, r = 0;

	if (text == NULL && m->keyed != NULL) {
		blocks_disbelieved(&m->bs, n, v);
		if (m->o->verbosity > 0)
			progress_say(&m->progress, "block.%u.%c: ignoring its failed "
			    "report, which %s", n, v, refused);
		free(refused);
		return 0;
	}
	free(refused);
	watch_block(m, n, v, 0);
	if (text == NULL)
		text = xstrdup("an unknown slave\nno reason given\n");
	who = text;
	why = (rest = strchr(who, '\n')) != NULL ? rest + 1 : "no reason given";
	if (rest != NULL)
		*rest = '\0';
	rest = strchr(why, '\n');
	if (rest != NULL)
		*rest++ = '\0';
	progress_failure(&m->progress);
	progress_say(&m->progress, "block.%u.%c failed on %s: %s", n, v, who, why);
	if (blocks_failed(&m->bs, n, v, &again)) {
		*cause = xasprintf("block %u failed %u time%s, last on %s: %s%s%s", n,
		    m->bs.b[n].failures, m->bs.b[n].failures == 1 ? "" : "s", who, why,
		    rest != NULL && *last_line(rest) != '\0' ? ": " : "",
		    rest != NULL ? last_line(rest) : "");
		r = -1;
	} else if (again)
		r = settle_reissue(m, n, "failed", cause);
	free(text);
	return r;
}

/*
 * Place block n's chunks from its payload (protocol.h) in the output, keeping the beat:
 * from memory, or when fd is not -1 copied by the kernel from the result's file, where
 * the payload (its table read into memory) lies at sizeof(struct result).
 */
static int
place_chunks(struct master *m, uint32_t n, const uint8_t *payload, int fd,
    char **cause)
{
	const struct job	*job = &m->job;
	const uint32_t		*sizes = (const uint32_t *)payload;
	uint32_t		 k = job_block_level(job, n), count = job_block_chunks(job, n);
	uint32_t		 first = layout_first(&job->layout, job_level_width(job, k),
				    job_block_y(job, n)), i;
	size_t			 off = (count + (k < job->levels)) * sizeof *sizes;
	char			*why;

	for (i = 0; i < count; off += sizes[i++]) {
		if (image_place(&m->out, first + i, fd == -1 ? payload + off : NULL, fd,
		    sizeof(struct result) + off, sizes[i], &why) == -1) {
			*cause = xasprintf("%s: %s", m->output, why);
			free(why);
			return -1;
		}
		master_beat(m);
	}
	return 0;
}

/*
 * Copy the next level's rows block n made, the last part of its payload, into
 * levels.bit: from memory, or by the kernel from fd. 0; 1 with *why if they are not as
 * many as the job says; -1 with *cause if levels.bit cannot take them.
 */
static int
stage_made(struct master *m, uint32_t n, const uint8_t *payload, int fd, char **why,
    char **cause)
{
	const struct job	*job = &m->job;
	const uint32_t		*sizes = (const uint32_t *)payload;
	uint32_t		 k = job_block_level(job, n), y0, y1, i, count;
	size_t			 off, want = job_block_made_bytes(job, n);
	off_t			 at;
	int			 r;

	if (k == job->levels)
		return 0;
	count = job_block_chunks(job, n);
	off = (count + 1) * sizeof *sizes;
	for (i = 0; i < count; i++)
		off += sizes[i];
	if (sizes[count] != want) {
		*why = xasprintf("holds %u bytes of level %u's rows, not %zu", sizes[count],
		    k + 1, want);
		return 1;
	}
	job_block_made(job, n, &y0, &y1);
	at = (off_t)(job_level_offset(job, k + 1) +
	    (uint64_t)y0 * job_level_row_bytes(job, k + 1));
	r = fd == -1 ? pwrite_all(m->levelsfd, payload + off, want, at) :
	    copy_range(fd, (off_t)(sizeof(struct result) + off), m->levelsfd, at, want);
	m->staged[n] = r == 0;
	if (r == 0)
		return 0;
	*cause = xasprintf("%s/levels.bit: %s", m->o->dir, strerror(errno));
	return -1;
}

/*
 * Take block n's checked payload: its next level's rows into levels.bit, and the
 * image's chunks into the output; a lower level's, and a COG's, wait for their place
 * (settle_levels()).
 */
static int
take_payload(struct master *m, uint32_t n, const uint8_t *payload, int fd, char **why,
    char **cause)
{
	int	r = stage_made(m, n, payload, fd, why, cause);

	if (r != 0 || job_block_level(&m->job, n) > 0 || m->job.cog)
		return r;
	return place_chunks(m, n, payload, fd, cause);
}

/*
 * A result too large for a collector thread to have read: checked where it lies and
 * copied by the kernel; with a secret, read and checked in memory (protocol.h says why).
 * Its payload is then taken (take_payload()), or, at the job's end (`late`), its chunks
 * placed: checked again with a secret only, since without one whoever could change it
 * could have written it. 0, 1 with *why if it is bad, or -1 with *cause.
 */
static int
deliver_file(struct master *m, uint32_t n, int fd, size_t bytes, int late, char **why,
    char **cause)
{
	const uint8_t	*payload;

	if (m->keyed != NULL) {
		reserve(&m->rows, &m->rows_size, bytes);
		if (protocol_read_result(fd, m->keyed, m->rows, bytes, why) == -1)
			return 1;
		payload = m->rows;
		fd = -1;
	} else if ((payload = protocol_check_result(fd, bytes, !late, &m->rows,
	    &m->rows_size, why)) == NULL)
		return 1;
	return late ? place_chunks(m, n, payload, fd, cause) :
	    take_payload(m, n, payload, fd, why, cause);
}

int
settle_deliver(struct master *m, uint32_t n, struct look *l, char **cause)
{
	char	 v = l->v, *why = l->why;
	int	 r;

	l->why = NULL;
	if (why != NULL)
		return reject(m, n, v, l->who, why, cause);
	r = l->rows != NULL ? take_payload(m, n, l->rows, -1, &why, cause) :
	    deliver_file(m, n, l->fd, l->bytes, 0, &why, cause);
	if (r == 1)
		return reject(m, n, v, l->who, why, cause);
	if (r == -1)
		return -1;
	watch_block(m, n, v, 0);
	m->written++;
	return publish_levels(m, cause);
}

/*
 * Place every chunk of level k from the results, checked again: 0, or -1 with *cause (a
 * result changed since it came in is not the job's).
 */
static int
place_level_blocks(struct master *m, uint32_t k, char **cause)
{
	const struct job	*job = &m->job;
	struct result		 h;
	uint32_t		 n;
	char			*why = NULL;
	int			 fd, r = 0;

	for (n = job_level_first(job, k); n < job_level_first(job, k + 1) && r == 0; n++) {
		fd = protocol_open_result(m->dirfd, job, n, m->bs.b[n].in, &h, &why);
		r = fd == -1 ? 1 : deliver_file(m, n, fd, h.bytes, 1, &why, cause);
		if (fd != -1)
			close(fd);
	}
	if (r != 1)
		return r;
	*cause = xasprintf("%s/block.%u.%c: %s", m->o->dir, n - 1, m->bs.b[n - 1].in, why);
	free(why);
	return -1;
}

/* The output could not take a step: *cause says so, from the image's why. */
static int
output_failed(struct master *m, char *why, char **cause)
{
	*cause = xasprintf("%s: %s", m->output, why);
	free(why);
	return -1;
}

int
settle_levels(struct master *m, char **cause)
{
	const struct job	*job = &m->job;
	uint32_t		 k;
	char			*why = NULL;

	for (k = 1; k <= job->levels; k++) {
		if (image_add_level(&m->out, job_level_width(job, k),
		    job_level_height(job, k), &why) == -1)
			return output_failed(m, why, cause);
		if (!job->cog && place_level_blocks(m, k, cause) == -1)
			return -1;
	}
	if (!job->cog)
		return 0;
	/* A COG: every directory first, then the smallest level's chunks, the image's last. */
	if (image_cog_open(&m->out, m->tmp, &why) == -1)
		return output_failed(m, why, cause);
	for (k = job->levels + 1; k-- > 0; ) {
		if (image_cog_level(&m->out, k, &why) == -1)
			return output_failed(m, why, cause);
		if (place_level_blocks(m, k, cause) == -1)
			return -1;
	}
	return 0;
}

/*
 * -v: name who claimed block.N.v, once, as soon as its signature can be read: known as
 * `who`, or read now if that is NULL.
 */
static void
announce_claim(struct master *m, uint32_t n, char v, const char *known)
{
	uint32_t	bit = BLOCK_BIT(v);
	char		who[PROTOCOL_WHO_MAX];

	if (m->o->verbosity <= 0 || (m->announced[n] & bit))
		return;
	if (known != NULL)
		snprintf(who, sizeof who, "%s", known);
	else
		protocol_claimant(m->dirfd, n, v, who);
	if (who[0] == '\0')
		return;
	m->announced[n] |= bit;
	progress_say(&m->progress, "block.%u.%c claimed by %s", n, v, who);
}

/*
 * Take block.N.v's result if it is good, and remove what the block no longer needs (in
 * the background); reject it otherwise. l is what a collector thread took of the block,
 * or NULL: what it did not take is taken here.
 */
static int
collect(struct master *m, uint32_t n, char v, struct look *l, char **cause)
{
	struct look	own = { .n = n, .fd = -1 };
	char		u;
	int		r;

	if (l == NULL || l->v != v) {
		collect_take(m->collect, n, v, &own);
		l = &own;
	}
	if (l->why == NULL) {
		blocks_collected(&m->bs, n, v, now());
		announce_claim(m, n, v, l->who);
		progress_done(&m->progress, l->who);
		if (m->o->verbosity > 0)
			progress_say(&m->progress, "block.%u.%c done by %s", n, v, l->who);
		for (u = PROTOCOL_FIRST; u <= m->bs.b[n].version; u++) {
			if (u != v && m->bs.b[n].seen[u - PROTOCOL_FIRST] != 0)
				watch_block(m, n, u, 0);
			collect_retire(m->collect, n, u,
			    RETIRE_TODO | (u != v ? RETIRE_BLOCK : 0));
		}
	}
	r = settle_deliver(m, n, l, cause);
	collect_drop(&own);
	return r;
}

/*
 * Do what block n's state calls for, given what a listing just showed of it, and what a
 * collector thread took of it (l, or NULL).
 */
static int
settle(struct master *m, uint32_t n, struct sighting *s, struct look *l, char **cause)
{
	char	 who[PROTOCOL_WHO_MAX], why[PROTOCOL_WHO_MAX + 64], v;
	int	 r = 0;

	while (r == 0) {
		switch (blocks_next(&m->bs, n, s, now(), &v)) {
		case BLOCK_NOTHING:
			return 0;
		case BLOCK_CLAIM_SEEN:
			announce_claim(m, n, v, l != NULL && l->v == v ? l->who : NULL);
			if (!m->watch.inotify)
				break;
			/* Looked at again after the watch is set: no result goes unseen. */
			watch_block(m, n, v, 1);
			*s = protocol_sight(m->dirfd, n,
			    m->bs.b[n].version);
			break;
		case BLOCK_COLLECT:
			return collect(m, n, v, l, cause);
		case BLOCK_FAILURE:
			r = failure(m, n, v, cause);
			break;
		case BLOCK_LATE:
			/* Not late: waiting for room, as its slave is (see watch_room()). */
			if (m->full_since != 0)
				return 0;
			protocol_claimant(m->dirfd, n, v, who);
			snprintf(why, sizeof why, "claimed by %s and not done in %.3g s",
			    who[0] != '\0' ? who : "a slave", blocks_timeout(&m->bs));
			return settle_reissue(m, n, why, cause);
		}
	}
	return r;
}

/* Settle block l->n by what a listing showed of it and what the look found. */
static int
settle_look(struct master *m, struct sighting *list, struct look *l, char **cause)
{
	struct sighting	*s = &list[l->n];
	int		 r;

	s->done = l->s.done;
	s->failed = l->s.failed;
	r = settle(m, l->n, s, l, cause);
	collect_drop(l);
	return r;
}

/*
 * Settle every block not yet in, from one listing of DIR: the collector looks into the
 * claimed ones, several at once, and they are settled as their looks come back.
 */
static int
scan_all(struct master *m, char **cause)
{
	struct sighting	*list = protocol_list(m->dirfd, m->job.blocks, 0, NULL);
	struct look	 l;
	uint32_t	 n, claimed;
	int		 r = 0;

	for (n = 0; n < m->job.blocks && r == 0; n++) {
		if (m->bs.b[n].in != 0)
			continue;
		/* A rejected version is not looked into again, as blocks_next() would not. */
		if ((claimed = list[n].claimed & ~m->bs.b[n].reported) != 0)
			collect_look(m->collect, n, claimed);
		else
			r = settle(m, n, &list[n], NULL, cause);
		while (r == 0 && collect_next(m->collect, 0, &l))
			r = settle_look(m, list, &l, cause);
	}
	while (collect_next(m->collect, 1, &l))
		if (r == 0)
			r = settle_look(m, list, &l, cause);
		else
			collect_drop(&l);
	free(list);
	return r;
}

/* An inotify change names the block it concerns, as the directory or the entry. */
static int
on_change(struct master *m, const struct change *c, char **cause)
{
	struct sighting	s;
	uint32_t	n;
	char		v;

	if (protocol_parse_block(c->dir, m->job.blocks, &n, &v) == 0 ||
	    protocol_parse_block(c->name, m->job.blocks, &n, &v) == 0) {
		if (m->bs.b[n].in != 0 || m->bs.b[n].version == 0)
			return 0;
		s = protocol_sight(m->dirfd, n, m->bs.b[n].version);
		return settle(m, n, &s, NULL, cause);
	}
	return 0;
}

/* Bytes of DIR one result takes, at most. */
static uint64_t
block_need(const struct master *m)
{
	return (uint64_t)m->job.rows * job_row_bytes(&m->job) + BLOCK_OVERHEAD;
}

/*
 * Whether DIR can take a result: the master's own last write there did not fail for
 * DIR's sake, and DIR has room for one block, which *left says.
 */
static int
dir_takes(const struct master *m, uint64_t *left)
{
	*left = dir_left(m);
	return m->fault == 0 && *left >= block_need(m);
}

/* What DIR lacks, for a message: "the blocks left need N MiB there, M MiB are free". */
static char *
lack_text(const struct master *m, uint64_t left)
{
	uint64_t	need = (m->job.blocks - m->bs.in) * block_need(m);
	char		*text;

	text = xasprintf("the blocks left need %ju MiB there", (uintmax_t)(need >> 20) + 1);
	if (left != UINT64_MAX)
		xappendf(&text, ", %ju MiB are free", (uintmax_t)(left >> 20));
	return text;
}

/* Make the todo files that waited for room: 0, or -1 if DIR still has none. */
static int
pay_owed(struct master *m)
{
	uint32_t	n;

	for (n = 0; n < m->job.blocks; n++) {
		if (m->owed[n] == 0)
			continue;
		if (m->bs.b[n].in == 0 && m->owed[n] == m->bs.b[n].version) {
			publish_todo(m, n, m->owed[n]);
			if (collect_wait(m->collect) == -1) {
				m->fault = errno;
				return -1;
			}
		}
		m->owed[n] = 0;
	}
	return 0;
}

/*
 * Keep an eye on DIR's room: say once when it cannot take results, and again when it
 * can; fail the job when that lasts longer than a block may take. Slaves meanwhile keep
 * what they computed and wait (slave.h), so their claims are not late.
 */
static int
watch_room(struct master *m, char **cause)
{
	uint64_t	left;
	int		takes;
	const char	*what;
	char		*lack;

	/*
	 * Once a second at most: on a network filesystem statvfs is a round trip, and the
	 * master may rescan every 20 ms (-poll).
	 */
	if (now() - m->room_looked < BEAT_EVERY)
		return 0;
	m->room_looked = now();
	takes = dir_takes(m, &left) && pay_owed(m) == 0;
	if (takes && m->full_since != 0) {
		blocks_pause(&m->bs, now() - m->full_since);
		m->full_since = 0;
		progress_say(&m->progress, "%s: room again; going on", m->o->dir);
	}
	if (takes)
		return 0;
	lack = lack_text(m, left);
	what = strerror(m->fault != 0 ? m->fault : ENOSPC);
	if (m->full_since == 0) {
		m->full_since = now();
		progress_say(&m->progress, "%s: %s: %s; waiting up to %.0f s for room",
		    m->o->dir, what, lack, blocks_timeout(&m->bs));
	} else if (now() - m->full_since > blocks_timeout(&m->bs)) {
		*cause = xasprintf("%s: %s for %.0f s: %s; job cancelled", m->o->dir,
		    what, now() - m->full_since, lack);
		free(lack);
		return -1;
	}
	free(lack);
	return 0;
}

int
settle_run(struct master *m, char **cause)
{
	struct change	c;
	double		last = now(), left;

	progress_open(&m->progress, &m->job);
	if (m->o->slaves == 0)
		progress_say(&m->progress, "waiting for slaves: run 'blur -slave "
		    "-dir %s%s%s%s' on any host that shares %s", m->o->dir,
		    m->keyed != NULL ? " -secret " : "",
		    m->keyed != NULL ? m->o->secret : "",
		    m->keyed == NULL && m->job.args.op->runs_commands ?
		    " -allow-exec" : "", m->o->dir);
	while (m->written < m->job.blocks) {
		master_report(m);
		if ((m->signo = signals_caught(m->sigfd)) != 0) {
			*cause = xasprintf("interrupted; job cancelled");
			return -1;
		}
		/* Every watch.ms from the start of a scan, however long it took. */
		left = m->watch.ms - (now() - last) * 1000;
		if (watch_next(&m->watch, left > 0 ? (int)left : 0, &c) &&
		    on_change(m, &c, cause) == -1)
			return -1;
		/* Other hosts' changes raise no inotify event: rescan regularly. */
		if (now() - last >= m->watch.ms / 1000.0) {
			last = now();
			if (scan_all(m, cause) == -1 || watch_room(m, cause) == -1)
				return -1;
			if (m->alive > 0 && locals_reap(m) == 0)
				progress_say(&m->progress, "the local slaves have all stopped "
				    "(see above); waiting for others");
		}
	}
	return 0;
}
