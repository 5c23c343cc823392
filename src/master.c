/* master.c — see master.h; the rooms it calls are in master-int.h. */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master-int.h"
#include "util.h"

#define TARGET_BLOCKS	64	/* default split: enough blocks to balance many slaves */
#define MIN_ROWS	16
#define HALO_BLOCKS	8	/* a block is at least this many halos high */
#define MIN_BLOCK_BYTES	(2u << 20)	/* and holds at least this much of the image */
#define MASTER_BLOCK_MAX (12u << 20)	/* but no more: see SLAVE_BUFFERS */
#define DECODE_CHUNKS	4	/* strips or tile rows a block decodes, at least */
#define OVERVIEWS_TILE	512	/* -overviews auto stops at a level this size */
#define TALLY_EVERY	0.1	/* seconds between rewrites of DIR/progress, at least */

char *
master_output_name(const char *input)
{
	const char	*slash = strrchr(input, '/');
	const char	*base = slash != NULL ? slash + 1 : input;
	const char	*dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		return xasprintf("%s-blur", input);
	return xasprintf("%.*s-blur%s", (int)(dot - input), input, dot);
}

uint32_t
master_default_rows(uint32_t height, uint32_t halo, size_t row_bytes)
{
	uint32_t	rows = (height - 1) / TARGET_BLOCKS + 1;
	size_t		least = (MIN_BLOCK_BYTES - 1) / (row_bytes > 0 ? row_bytes : 1) + 1;
	size_t		most = MASTER_BLOCK_MAX / (row_bytes > 0 ? row_bytes : 1);

	/*
	 * Each block is five files made and removed: below MIN_BLOCK_BYTES they cost more
	 * than the pixels (16 MP RGB: 0.15 s in 64 blocks, 0.10 s in 23). A slave's worker
	 * holds a block's input, result and compressed result at once (SLAVE_BUFFERS):
	 * within MASTER_BLOCK_MAX a host runs a block on every worker.
	 */
	if (rows < least)
		rows = least < height ? (uint32_t)least : height;
	if (rows > most)
		rows = most;
	/*
	 * But a block filters its halo's rows too before its own: at 8 halos high that is a
	 * quarter more (radius 40 on 16 MP took 0.78 s in blocks of 2 halos, 0.62 in 8),
	 * and a halo that large takes the memory anyway.
	 */
	if (rows < MIN_ROWS)
		rows = MIN_ROWS;
	if (rows < HALO_BLOCKS * halo)
		rows = HALO_BLOCKS * halo;
	return rows < height ? rows : height;
}

void
master_shown_name(char *dst, const char *name)
{
	char	*p;

	snprintf(dst, JOB_PATH_MAX, "%s", name);
	for (p = dst; *p != '\0'; p++)
		if (*p == '\n')
			*p = '?';
}

void
master_beat(struct master *m)
{
	struct progress	*p = &m->progress;

	if ((p->changed && now() - m->tallied >= TALLY_EVERY) ||
	    now() - m->tallied >= BEAT_EVERY) {
		p->tally.beat++;
		p->tally.elapsed = now() - p->start;
		if (protocol_write_tally(m->dirfd, &p->tally) == 0)
			m->fault = 0;
		else if (protocol_dir_fault(errno)) {
			/* Beat all the same: our own slaves must not think us dead. */
			m->fault = errno;
			protocol_touch_tally(m->dirfd);
		}
		p->changed = 0;
		m->tallied = now();
	}
}

void
master_report(struct master *m)
{
	progress_draw(&m->progress, blocks_working(&m->bs), 0);
	master_beat(m);
}

/*
 * Who decodes the input: the slaves, each the strips or tiles its block needs, unless
 * the master had better (image_master_decodes()). -v says which, and why.
 */
static void
choose_decoder(struct master *m)
{
	const char	*why;
	uint64_t	 off;

	if (m->job.render)
		return;
	why = image_master_decodes(&m->in, m->keyed != NULL);
	m->job.decode = why == NULL;
	if (m->o->verbosity <= 0)
		return;
	if (why != NULL)
		say("%s: the master decodes it: %s", m->o->input, why);
	else if (m->keyed == NULL && image_raw_rows(&m->in, 0, m->in.height, &off) == 0)
		say("%s: the slaves map its uncompressed strips", m->o->input);
	else
		say("%s: the slaves decode it, each block its %s of %u rows", m->o->input,
		    TIFFIsTiled(m->in.tif) ? "rows of tiles" : "strips",
		    image_chunk_rows(&m->in));
}

/* The greatest common divisor of a and b, not both 0. */
static uint64_t
gcd(uint64_t a, uint64_t b)
{
	uint64_t	t;

	for (; b != 0; a = t) {
		t = b;
		b = a % b;
	}
	return a;
}

/* n rounded up to a multiple of unit, in 64 bits: a block may pass the image. */
static uint64_t
round_up(uint64_t n, uint64_t unit)
{
	return (n + unit - 1) / unit * unit;
}

/*
 * A block height of about `rows`: whole rows of the output's chunks (which slaves
 * compress), and a multiple of `unit`: by default the input's strip or tile height when
 * slaves decode it, so that each is decoded only by the blocks whose rows it holds (and
 * by neighbours for their halo). A height asked for with -rows may cut strips: those
 * are decoded by both blocks.
 */
static uint32_t
block_rows(struct master *m, uint32_t rows, uint64_t unit)
{
	const struct layout	*l = &m->job.layout;
	uint64_t		 most = MASTER_BLOCK_MAX / job_row_bytes(&m->job) / unit * unit;
	uint64_t		 r;

	/*
	 * A block decodes the whole strip its top halo ends in, for a few rows: blocks of
	 * DECODE_CHUNKS strips at least (within MASTER_BLOCK_MAX) keep that to a quarter.
	 */
	if (unit > 1 && rows < DECODE_CHUNKS * unit)
		rows = DECODE_CHUNKS * unit < most ? DECODE_CHUNKS * unit :
		    most > rows ? most : rows;

	r = image_layout_block(&m->job.layout, &m->o->layout,
	    round_up(rows, unit) < m->job.height ? round_up(rows, unit) : m->job.height);
	if (r % unit != 0 && r < m->job.height)
		r = round_up(r, unit / gcd(unit, l->rows) * l->rows);
	return r < m->job.height ? r : m->job.height;
}

/*
 * The overview levels of the output: as many as asked, or as the input has, or (auto)
 * down to the first that fits in one 512x512 tile, as GDAL's COG driver makes them; never
 * past a level of 1x1.
 */
static uint32_t
master_levels(const struct job *job, int asked, uint32_t input)
{
	uint32_t	want = asked >= 0 ? (uint32_t)asked : asked == OVERVIEWS_AUTO ?
			    JOB_LEVELS_MAX : input;
	uint32_t	k = 0, w = job->width, h = job->height;

	while (k < want && k < JOB_LEVELS_MAX && (w > 1 || h > 1) &&
	    (asked != OVERVIEWS_AUTO || w > OVERVIEWS_TILE || h > OVERVIEWS_TILE)) {
		w = reduce_half(w, job->cog);
		h = reduce_half(h, job->cog);
		k++;
	}
	return k;
}

/* Describe the job from the input and the options. */
static void
make_job(struct master *m)
{
	const struct master_opts	*o = m->o;
	struct job			*job = &m->job;
	struct stat			 st;
	uint64_t			 unit;

	job_new_id(job);
	job->width = m->in.width;
	job->height = m->in.height;
	job->samples = m->in.samples;
	job->format = m->in.format;
	job->bits = m->in.bits;
	job->alpha = m->in.alpha != 0;
	job->nodata = m->in.nodata;
	job->nodata_value = m->in.nodata_value;
	job->render = o->input == NULL;
	op_args_copy(&job->args, o->args);
	o->args->op->halo(o->args, &job->top, &job->bottom);
	choose_decoder(m);
	job->directory = m->in.directory;
	/*
	 * By default whole input strips (when slaves decode) and whole output strips of
	 * their own height: a block height they do not divide would shrink the output's. A
	 * render's blocks cost what its command spends, not their bytes: TARGET_BLOCKS
	 * whatever its size (a 640x480 frame was one block), twice what 32 workers run.
	 */
	unit = o->rows == 0 && job->decode ? image_chunk_rows(&m->in) : 1;
	if (o->rows == 0 && job->layout.tile_width == 0 && !job->render)
		unit = unit / gcd(unit, job->layout.rows) * job->layout.rows;
	job->rows = block_rows(m, o->rows > 0 ? o->rows : job->render ?
	    (job->height - 1) / TARGET_BLOCKS + 1 : master_default_rows(job->height,
	    job->top > job->bottom ? job->top : job->bottom, job_row_bytes(job)), unit);
	job->cog = o->cog;
	job->levels = master_levels(job, o->overviews, m->in.overviews);
	job->resample = o->resample;
	job->blocks = job_level_first(job, job->levels + 1);
	master_shown_name(job->input, o->input != NULL ? o->input : "");
	master_shown_name(job->output, m->output);
	if (o->input != NULL && stat(o->input, &st) == 0)
		snprintf(job->source, sizeof job->source, "%ju %ju %jd %jd.%09ld",
		    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* Read the input (or the size of a render) and describe the job: 0, or -1 with *cause. */
static int
describe(struct master *m, char **cause)
{
	const struct master_opts	*o = m->o;
	char				*why;

	if (o->secret != NULL) {
		if (secret_load(o->secret, m->key, cause) == -1)
			return -1;
		m->keyed = m->key;
	}
	if (o->input == NULL)
		image_blank(&m->in, o->width, o->height, o->samples, o->depth);
	else if (image_open(&m->in, o->input, o->page > 0 ? (uint32_t)o->page : 0, &why) ==
	    -1) {
		*cause = xasprintf("%s: %s", o->input, why);
		free(why);
		return -1;
	}
	/* Said, not refused: ImageMagick's IN[N] picks another. */
	if (o->input != NULL && o->page < 0 && m->in.pages > 1 && o->verbosity >= 0)
		say("%s: %u pages; this job blurs the first (%s[N] is page N, from 0)",
		    o->input, m->in.pages, o->input);
	if (!op_takes(o->args->op, m->in.format)) {
		why = op_formats(o->args->op);
		*cause = xasprintf("%s: %s samples; %s takes %s", o->input,
		    sample_name(m->in.format), o->args->op->name, why);
		free(why);
		return -1;
	}
	if (image_layout(&m->in, &o->layout, &m->job.layout, &why) == -1) {
		*cause = xasprintf("%s: %s", o->input != NULL ? o->input : o->output, why);
		free(why);
		return -1;
	}
	m->output = o->output != NULL ? xstrdup(o->output) :
	    master_output_name(o->input);
	make_job(m);
	blocks_init(&m->bs, m->job.blocks, o->timeout, o->retries);
	m->announced = xcalloc(m->job.blocks, sizeof *m->announced);
	m->owed = xcalloc(m->job.blocks, 1);
	m->staged = xcalloc(m->job.blocks, 1);
	return 0;
}

/* Watch DIR, before `working` exists, so that no claim happens unseen. */
static void
watch_job(struct master *m)
{
	const struct master_opts	*o = m->o;

	progress_start(&m->progress, &m->job, o->verbosity);
	watch_start(&m->watch, m->dirfd, o->poll, m->sigfd);
	watch_dir(&m->watch, o->dir);
	snprintf(m->progress.tally.notice, sizeof m->progress.tally.notice, "%s",
	    m->watch.how);
	if (o->verbosity > 0)
		say("%s: %s", o->dir, m->watch.how);
	if (o->resume && !m->dead)
		say("%s: no job to resume there; starting afresh", o->dir);
}

/*
 * The job in DIR, which is ours: publish it (or take over a dead master's), collect
 * every block into the output, put the output in place; then stop the local slaves and
 * remove the job's files, whatever happened. 0, or -1 with *cause.
 */
static int
work(struct master *m, char **cause)
{
	int	r = -1;

	if (m->dead && m->o->resume) {
		/* A job we cannot resume stays as it was, for a master that can. */
		if (resume_adopt(m, cause) == -1) {
			locals_stop(m);
			return -1;
		}
	} else if (publish_job(m, cause) == -1)
		goto stop;
	if (settle_run(m, cause) == 0 && settle_levels(m, cause) == 0 &&
	    output_finish(m, cause) == 0)
		r = 0;
stop:
	locals_stop(m);
	output_drop(m);	/* while data.dat, which names it, is there */
	dir_clean(m);
	return r;
}

/* Everything the master held, once its job is over. */
static void
master_free(struct master *m, int failed)
{
	locals_end(m);
	collect_end(m->collect);
	if (failed)
		progress_clear(&m->progress);
	image_close(&m->in, NULL);
	output_drop(m);
	watch_close(&m->watch);
	if (m->bitfd != -1)
		close(m->bitfd);
	if (m->readfd != -1)
		close(m->readfd);
	if (m->levelsfd != -1)
		close(m->levelsfd);
	free(m->signs);
	if (m->dirfd != -1)
		close(m->dirfd);
	close(m->sigfd);
	sigprocmask(SIG_SETMASK, &m->oldmask, NULL);
	free(m->outdir);
	free(m->output);
	blocks_free(&m->bs);
	free(m->announced);
	free(m->owed);
	free(m->staged);
	job_free(&m->job);
	free(m->rows);
	free(m->slaves);
	progress_free(&m->progress);
}

int
master_run(const struct master_opts *o, char **cause)
{
	struct master	m = { .o = o, .dirfd = -1, .sigfd = -1, .bitfd = -1,
			    .levelsfd = -1, .readfd = -1, .letgo = -1 };
	int		r = -1;

	m.sigfd = signals_catch(&m.oldmask);
	/* Nothing is made beside the output until DIR is ours: see output_name(). */
	if (describe(&m, cause) == 0 && output_check(&m, cause) == 0 &&
	    dir_take(&m, cause) == 0) {
		watch_job(&m);
		r = work(&m, cause);
	}
	master_free(&m, r == -1);
	return r == -1 && m.signo != 0 ? m.signo : r;
}
