/*
 * slave-block.c — one block in a worker's hands: claimed, its input mapped or read and
 * checked, computed, then published or reported failed (see slave-int.h).
 */
#include <config.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "slave-int.h"
#include "util.h"

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

	if (slave_stopped(s) || atomic_load(&s->quit))
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
 * Map len bytes of image.bit or levels.bit (fd) from off (w->in): the page cache's own
 * pages, no copy. 0, or 1 if the file does not hold them (the job ended).
 */
static int
map_input(struct worker *w, int fd, off_t off, size_t len)
{
	off_t		base = off - off % sysconf(_SC_PAGESIZE);
	struct stat	st;

	/* Pages past the end of the file would be SIGBUS, not a short read. */
	if (fstat(fd, &st) == -1 || st.st_size < off + (off_t)len)
		return 1;
	w->map_len = len + (size_t)(off - base);
	if ((w->map = mmap(NULL, w->map_len, PROT_READ, MAP_SHARED|MAP_POPULATE,
	    fd, base)) == MAP_FAILED) {
		w->map = NULL;
		return 1;
	}
	w->in = (const char *)w->map + (off - base);
	return 0;
}

/*
 * Block n's input rows, with its halo, at w->in, from image.bit (or levels.bit, for a
 * level below the image): mapped in a job without a secret; in one with a secret, read
 * into the worker's buffer and checked there against the signature the master put in
 * todo/ (sign), since rows checked in a shared mapping could still change under the
 * operation. 0; 1 if the file does not hold them (the job ended); -1 with *cause if
 * they are not the rows the master signed: someone changed the file under the job.
 */
static int
get_input(struct worker *w, uint32_t n, const char *sign, char **cause)
{
	struct slave		*s = w->s;
	const struct job	*job = &s->job;
	uint32_t		 k = job_block_level(job, n);
	uint64_t		 off;
	size_t			 len;
	char			 want[SECRET_HEX];
	int			 fd = s->bitfd, r;

	if (job->render && k == 0)
		return 0;
	/*
	 * levels.bit is opened for each block: the master writes it as the job goes, and a
	 * network filesystem shows a file's new bytes to an open made after they reached it.
	 */
	if (k > 0 && (fd = protocol_levels_open(s->dirfd, O_RDONLY)) == -1)
		return 1;
	job_block_span(job, n, &off, &len);
	/* Without a key, trust() let only unsigned jobs in. */
	if (s->keyed == NULL)
		r = map_input(w, fd, (off_t)off, len);
	else {
		reserve(&w->copy, &w->copy_size, len);
		r = pread_all(fd, w->copy, len, (off_t)off) == -1;
	}
	if (k > 0)
		close(fd);
	if (r != 0 || s->keyed == NULL)
		return r;
	w->in = w->copy;
	secret_rows(s->key, job->id, n, w->in, len, want);
	if (sodium_memcmp(want, sign, SECRET_HEX) == 0)
		return 0;
	*cause = xasprintf("%s/%s: the input rows of block %u are not the ones the master "
	    "signed; leaving job %s", s->path, k > 0 ? "levels.bit" : "image.bit", n,
	    job->id);
	return -1;
}

/*
 * The worker's own handle on image.tif, opened at its first block of the job: 0, or -1
 * with *cause if it is not the job's input.
 */
static int
open_source(struct worker *w, char **cause)
{
	const struct job	*job = &w->s->job;
	struct image		*im;
	char			*why = NULL;
	int			 fd;

	if (w->src != NULL)
		return 0;
	im = xcalloc(1, sizeof *im);
	if ((fd = protocol_source_open(w->s->dirfd)) == -1)
		why = xasprintf("%s", strerror(errno));
	else if (image_open_fd(im, fd, "image.tif", job->directory, &why) == 0 &&
	    (im->width != job->width || im->height != job->height ||
	    im->samples != job->samples || im->format != job->format))
		why = xasprintf("not the job's input (%ux%u, %u %s samples)", im->width,
		    im->height, im->samples, sample_name(im->format));
	if (why == NULL) {
		w->src = im;
		return 0;
	}
	*cause = xasprintf("%s/image.tif: %s", w->s->path, why);
	free(why);
	image_close(im, NULL);
	free(im);
	return -1;
}

/*
 * Whether mac, taken over block n's stored bytes, is the master's signature `sign`: 0,
 * or 1 with *cause, someone changed image.tif under the job.
 */
static int
stored_signed(struct slave *s, uint32_t n, struct secret_mac *mac, const char *sign,
    char **cause)
{
	char	want[SECRET_HEX];

	secret_stored_end(mac, want);
	if (sodium_memcmp(want, sign, SECRET_HEX) == 0)
		return 0;
	*cause = xasprintf("%s/image.tif: the stored bytes of block %u are not the ones "
	    "the master signed; leaving job %s", s->path, n, s->job.id);
	return 1;
}

/*
 * Decode block n's input rows, with its halo, from image.tif into the worker's buffer
 * (w->in), reading only the strips or tiles that hold them; with a secret, from their
 * stored bytes, read into memory and checked against the signature the master put in
 * todo/ (sign). 0; -1 with *cause if the block failed (a damaged strip says which, in the
 * input's name, and libtiff's words); 1 with *cause if the bytes are not the ones
 * signed: someone changed image.tif under the job.
 */
static int
decode_input(struct worker *w, uint32_t n, const char *sign, char **cause)
{
	struct slave		*s = w->s;
	const struct job	*job = &s->job;
	struct secret_mac	 mac;
	uint64_t		 off;
	uint32_t		 a, e;
	char			*why, *other = NULL;
	int			 r;

	if (open_source(w, cause) == -1)
		return -1;
	job_block_input(job, n, &a, &e);
	/* Uncompressed rows need no decoding: the page cache's own, as image.bit's. */
	if (s->keyed == NULL && image_raw_rows(w->src, a, e, &off) == 0 &&
	    map_input(w, s->bitfd, (off_t)off, (size_t)(e - a) * job_row_bytes(job)) == 0)
		return 0;
	reserve(&w->copy, &w->copy_size, (size_t)(e - a) * job_row_bytes(job));
	if (s->keyed != NULL) {
		secret_stored_begin(&mac, s->key, job->id, n);
		w->src->raw = secret_stored_add;
		w->src->raw_arg = &mac;
	}
	r = image_decode_rows(w->src, a, e, w->copy, &why);
	w->src->raw = NULL;
	w->in = w->copy;
	if (r == 0)
		return s->keyed != NULL ? stored_signed(s, n, &mac, sign, cause) : 0;
	/* Bytes that do not decode may be forged ones: with a secret, take all, to tell. */
	if (s->keyed != NULL) {
		secret_stored_begin(&mac, s->key, job->id, n);
		if (image_stored(w->src, a, e, secret_stored_add, &mac, &other) == 0 &&
		    stored_signed(s, n, &mac, sign, cause) == 1) {
			free(why);
			return 1;
		}
		free(other);
	}
	*cause = xasprintf("%s: %s", job->input, why);
	free(why);
	return -1;
}

/*
 * The next level's rows block n makes (job_block_made()) from its rows at w->out, into
 * w->made, made before the rows are compressed (which may change them).
 */
static int
make_level(struct worker *w, uint32_t n, char **cause)
{
	const struct job	*job = &w->s->job;
	uint32_t		 k = job_block_level(job, n), y = job_block_y(job, n);
	uint32_t		 y0, y1;
	struct reduce		 g;

	if (k == job->levels)
		return 0;
	job_block_made(job, n, &y0, &y1);
	g = job_reduce(job, k);
	reserve(&w->made, &w->made_size, job_block_made_bytes(job, n));
	return reduce_rows(&g, w->out, y, y + job_block_extent(job, n), y0, y1, w->made,
	    cause);
}

/*
 * Compute block n, whose input is at w->in, into w->out: the operation on the image's
 * rows; a level below it is only copied, to be reduced and compressed. Then the next
 * level's rows it makes, and its rows compressed into w->chunks, ending with the size of
 * those made. Its length, or 0 with *cause (and *detail, what the operation had to add)
 * if the block failed.
 */
static size_t
compute(struct worker *w, uint32_t n, char **cause, char **detail)
{
	const struct job	*job = &w->s->job;
	uint32_t		 k = job_block_level(job, n);
	struct op_block		 b = { .n = n, .y = job_block_y(job, n),
				    .rows = job_block_extent(job, n),
				    .cancelled = cancelled, .arg = w,
				    .verbose = w->s->o->verbosity > 0 };
	uint32_t		 a, e, rows = job_block_rows(job, n);
	size_t			 row_bytes = job_level_row_bytes(job, k);
	struct chunks		*c = &w->chunks;

	job_block_input(job, n, &a, &e);
	b.top = b.y - a;
	b.bottom = e - (b.y + b.rows);
	reserve(&w->out, &w->out_size, (size_t)b.rows * row_bytes);
	w->looked = now();
	if (k > 0)
		memcpy(w->out, w->in, (size_t)b.rows * row_bytes);
	else if (job->args.op->run(w->op, &b, w->in, w->out, cause) == -1) {
		*detail = b.detail;
		return 0;
	}
	if (make_level(w, n, cause) == -1 ||
	    chunk_encode(c, job, job_level_width(job, k), rows, w->out, cause) == -1)
		return 0;
	if (k < job->levels) {
		c->sizes = xreallocarray(c->sizes, c->count + 1, sizeof *c->sizes);
		c->sizes[c->count] = job_block_made_bytes(job, n);
	}
	return rows * row_bytes;
}

/*
 * DIR could not take a write for DIR's sake (err): say so once, then wait for room, twice
 * as long as the last time. 0 to try again, -1 if the slave leaves the job meanwhile.
 */
static int
wait_for_room(struct slave *s, int err)
{
	struct timespec	until;
	double		wait, t = now();

	pthread_mutex_lock(&s->lock);
	if (s->room_wait == 0 && s->o->verbosity >= 0)
		say("%s: %s; waiting for room to deliver blocks", s->path,
		    strerror(err));
	wait = s->room_wait > 0 ? s->room_wait : SLAVE_ROOM_FIRST;
	s->room_wait = wait * 2 < SLAVE_ROOM_MAX ? wait * 2 : SLAVE_ROOM_MAX;
	/* now() is the monotonic clock, as the condition's (slave_run()). */
	t += wait;
	until.tv_sec = (time_t)t;
	until.tv_nsec = (long)((t - (double)until.tv_sec) * 1e9);
	while (!atomic_load(&s->quit) && !atomic_load(&s->stop) &&
	    pthread_cond_timedwait(&s->refilled, &s->lock, &until) == 0)
		continue;
	pthread_mutex_unlock(&s->lock);
	return atomic_load(&s->quit) || slave_stopped(s) ? -1 : 0;
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
 * Publish block.N.v's result, the chunks in w->chunks, waiting for room while DIR is full
 * and the block still ours: 0, or -1 with errno.
 */
static int
publish_result(struct worker *w, uint32_t n, char v)
{
	struct slave	*s = w->s;
	struct chunks	*c = &w->chunks;
	int		 err;

	for (;;) {
		if (protocol_publish(s->dirfd, &s->job, s->keyed, s->who, n, v, c->sizes,
		    c->data, c->len, w->made) == 0) {
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

	/* A local slave's master says it already, with the rest of the job's news. */
	protocol_block_name(name, n, v);
	if (s->o->job == NULL || s->o->verbosity > 0)
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
	r = publish_result(w, n, v);
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
worker_refuse(struct slave *s)
{
	pthread_mutex_lock(&s->lock);
	memcpy(s->o->refused, s->job.id, sizeof s->o->refused);
	s->o->refusal = 1;
	pthread_mutex_unlock(&s->lock);
}

int
worker_work_on(struct worker *w, uint32_t n, char v, char **cause)
{
	struct slave	*s = w->s;
	char		 sign[SECRET_HEX], *why;
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
	if (atomic_load(&s->quit) || !join_working(s) ||
	    protocol_todo_read(s->dirfd, n, v, sign) == -1) {
		protocol_release(s->dirfd, n, v);
		return 0;
	}
	if (s->job.decode && job_block_level(&s->job, n) == 0) {
		if ((r = decode_input(w, n, sign, &why)) == 0)
			return finish_block(w, n, v);
		if (r == 1) {
			protocol_release(s->dirfd, n, v);
			worker_refuse(s);
			*cause = why;
			return -1;
		}
		fail(s, n, v, why, NULL);
		free(why);
		return 0;
	}
	if ((r = get_input(w, n, sign, cause)) != 0) {
		unmap_input(w);
		protocol_release(s->dirfd, n, v);
		if (r == 1)
			return 0;	/* image.bit is gone: the job ended */
		worker_refuse(s);
		return -1;
	}
	return finish_block(w, n, v);
}
