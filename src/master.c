/* master.c — see master.h. */
#include <config.h>

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks.h"
#include "collect.h"
#include "image.h"
#include "master.h"
#include "progress.h"
#include "protocol.h"
#include "secret.h"
#include "slave.h"
#include "util.h"
#include "watch.h"

#define TARGET_BLOCKS	64	/* default split: enough blocks to balance many slaves */
#define MIN_ROWS	16
#define HALO_BLOCKS	8	/* a block is at least this many halos high */
#define MIN_BLOCK_BYTES	(2u << 20)	/* and holds at least this much of the image */
#define TALLY_EVERY	0.1	/* seconds between rewrites of DIR/progress, at least */
#define BEAT_CHECK	2.5	/* how long to watch a job's beat before calling it dead */
#define STOP_GRACE	3.0	/* seconds a local slave has to stop before it is killed */
#define BLOCK_OVERHEAD	(16u << 10)	/* bytes a block's directory and files take, at most */
#define CLEAN_THREADS	2	/* removing a local job's results */

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
	uint32_t	 wanted;	/* blocks 0 to wanted - 1 have their todo file */
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
	int		 fault;		/* errno of the master's last write in DIR that
					   failed for DIR's sake, or 0 */
	char		*owed;		/* per block, a reissue whose todo file waits for
					   room, or 0 */
};

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

	/*
	 * A block filters its halo's rows too before its own: at 8 halos high that is a
	 * quarter more (radius 40 on 16 MP took 0.78 s in blocks of 2 halos, 0.62 in 8).
	 * And each block is five files made and removed: below MIN_BLOCK_BYTES they cost
	 * more than the pixels (16 MP RGB: 0.15 s in 64 blocks, 0.10 s in 23).
	 */
	if (rows < MIN_ROWS)
		rows = MIN_ROWS;
	if (rows < HALO_BLOCKS * halo)
		rows = HALO_BLOCKS * halo;
	if (rows < least)
		rows = least < height ? (uint32_t)least : height;
	return rows < height ? rows : height;
}

/* A file name as data.dat can hold it: one line. */
static void
shown_name(char *dst, const char *name)
{
	char	*p;

	snprintf(dst, JOB_PATH_MAX, "%s", name);
	for (p = dst; *p != '\0'; p++)
		if (*p == '\n')
			*p = '?';
}

/* Describe the job from the input and the options. */
static void
make_job(struct master *m)
{
	const struct master_opts	*o = m->o;
	struct job			*job = &m->job;
	struct stat			 st;

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
	job->rows = o->rows > 0 ? o->rows : master_default_rows(job->height,
	    job->top > job->bottom ? job->top : job->bottom, job_row_bytes(job));
	if (job->rows > job->height)
		job->rows = job->height;
	job->blocks = (job->height - 1) / job->rows + 1;
	shown_name(job->input, o->input != NULL ? o->input : "");
	shown_name(job->output, m->output);
	if (o->input != NULL && stat(o->input, &st) == 0)
		snprintf(job->source, sizeof job->source, "%ju %ju %jd %jd.%09ld",
		    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/*
 * Check that the output can go where it is asked for, and keep its directory, absolute so
 * that a master resuming from elsewhere can remove the partial output. Nothing is made.
 */
static int
output_dir(struct master *m, char **cause)
{
	struct stat	 st;
	char		*copy;

	if (stat(m->output, &st) == 0 && S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s: is a directory", m->output);
		return -1;
	}
	copy = xstrdup(m->output);
	m->outdir = realpath(dirname(copy), NULL);
	free(copy);
	/*
	 * Known now, before any block is computed: a folder we may not write (for root
	 * too, when read-only or immutable: EROFS, EPERM).
	 */
	if (m->outdir != NULL && stat(m->outdir, &st) == 0 && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (m->outdir != NULL && faccessat(AT_FDCWD, m->outdir, W_OK|X_OK,
	    AT_EACCESS) == 0)
		return 0;
	*cause = xasprintf("%s: cannot write: %s", m->output, strerror(errno));
	return -1;
}

/*
 * Name the partial output after the job, beside the output: .NAME.ID.partial. data.dat
 * records the name before the file is made, so whoever clears a dead job finds it.
 */
static void
name_partial(struct master *m)
{
	const char	*slash = strrchr(m->output, '/');

	free(m->tmp);
	m->tmp = xasprintf("%s/.%s.%s.partial", m->outdir,
	    slash != NULL ? slash + 1 : m->output, m->job.id);
	shown_name(m->job.partial, m->tmp);
}

/*
 * Remove the partial output a dead job's data.dat names, only if the name is one that
 * name_partial() gave that job: whoever can write DIR could name any other file.
 */
static void
remove_partial(const struct job *old)
{
	const char	*base = strrchr(old->partial, '/');
	char		*tail = xasprintf(".%s.partial", old->id);
	size_t		 n, t = strlen(tail);

	if (base != NULL && base[1] == '.' && (n = strlen(base + 1)) > t + 1 &&
	    strcmp(base + 1 + n - t, tail) == 0)
		unlink(old->partial);
	free(tail);
}

/* Create the partial output, a new file like any (0666 less the umask). */
static int
open_output(struct master *m, char **cause)
{
	char	*why;

	if (image_create(&m->out, m->tmp, &m->in, m->job.rows, &why) == -1) {
		*cause = xasprintf("%s: %s", m->output, why);
		free(why);
		return -1;
	}
	return 0;
}

/* Remove the partial output of a job that did not finish, if there is one. */
static void
drop_partial(struct master *m)
{
	image_close(&m->out, NULL);
	if (m->tmp != NULL)
		unlink(m->tmp);
	free(m->tmp);
	m->tmp = NULL;
}

/*
 * Whether the master of the job in DIR still beats. The lock only speaks for this host;
 * a master elsewhere on a shared filesystem shows itself by rewriting DIR/progress, which
 * we time on our own clock.
 */
static int
beating(int dirfd)
{
	uint64_t	beat = protocol_beat(dirfd);
	double		until = now() + BEAT_CHECK;

	while (now() < until) {
		usleep(100000);
		if (protocol_beat(dirfd) != beat)
			return 1;
	}
	return 0;
}

/*
 * Remove the job's files from DIR, saying so if NFS would not let go of some. The job
 * ends for the slaves first; then a collector removes the blocks that are in, several
 * at once, and protocol_clean() whatever is left.
 *
 * On a local disk the job's collector has no threads, but one of its own does: every
 * removal frees its file's pages, and the results are as large as the image (a 64 MP
 * RGB job's took 37 ms on ext4, one after another).
 */
static void
clean(struct master *m)
{
	struct collect	*c = m->collect;
	uint32_t	 n;
	int		 standins;

	if (c != NULL) {
		if (m->watch.inotify && (c = collect_start(m->dirfd, &m->job, NULL, -1,
		    CLEAN_THREADS)) == NULL)
			c = m->collect;
		protocol_stop(m->dirfd);
		for (n = 0; n < m->bs.count; n++)
			if (m->bs.b[n].in != 0)
				collect_retire(c, n, m->bs.b[n].in, RETIRE_BLOCK);
		/*
		 * Meanwhile, here: the input, as large, and the watch. Its last watch, of
		 * DIR, is removed first: a close that finds watches still there waits for
		 * the kernel to free them (10 to 20 ms), one removed before mostly not.
		 */
		unlinkat(m->dirfd, "image.bit", 0);
		watch_forget(&m->watch, m->o->dir);
		watch_close(&m->watch);
		collect_wait(c);
		if (c != m->collect)
			collect_end(c);
	}
	if ((standins = protocol_clean(m->dirfd)) > 0)
		say("%s: %d .nfs file%s still there after %d s (removed files still "
		    "open on some host); left with their directories", m->o->dir,
		    standins, standins == 1 ? "" : "s", CLEAN_PATIENCE);
}

/* Whether block.N.v holds a result of the job that is whole, by its header and size. */
static int
has_result(int dirfd, const struct job *job, uint32_t n, char v)
{
	char	*why;
	int	 fd;

	if ((fd = protocol_open_result(dirfd, job, n, v, NULL, &why)) == -1) {
		free(why);
		return 0;
	}
	close(fd);
	return 1;
}

/* The lowest version of block n, in listing s, with a whole result; or 0. */
static char
result_of(int dirfd, const struct job *job, uint32_t n, const struct sighting *s)
{
	char	v;

	for (v = PROTOCOL_FIRST; v <= PROTOCOL_LAST; v++)
		if ((s->done & BLOCK_BIT(v)) && has_result(dirfd, job, n, v))
			return v;
	return 0;
}

/* Say what a dead master left in DIR, then remove it with its partial output. */
static void
discard(struct master *m)
{
	struct sighting	*list;
	struct job	 old;
	uint32_t	 n, done = 0;
	char		*why;

	if (protocol_read_job(m->dirfd, &old, NULL, &why) == -1) {
		say("%s: removing the files of a job whose master is gone", m->o->dir);
		free(why);
		clean(m);
		return;
	}
	list = protocol_list(m->dirfd, old.blocks, 1, NULL);
	for (n = 0; n < old.blocks; n++)
		done += result_of(m->dirfd, &old, n, &list[n]) != 0;
	free(list);
	say("%s: removing job %s (%s, %u of %u block%s finished), whose "
	    "master is gone; -resume would have continued it", m->o->dir, old.id,
	    old.render ? "a render" : old.input, done, old.blocks,
	    old.blocks == 1 ? "" : "s");
	remove_partial(&old);
	job_free(&old);
	clean(m);
}

/* Make DIR ours: create it, lock it, and clear what a dead master left there. */
static int
take_dir(struct master *m, char **cause)
{
	const char	*dir = m->o->dir;

	if ((m->dirfd = protocol_open_dir(dir, 1, cause)) == -1)
		return -1;
	if (flock(m->dirfd, LOCK_EX|LOCK_NB) == -1) {
		*cause = errno == EWOULDBLOCK ?
		    xasprintf("%s: another job is running there; wait for it to "
		    "end or use another -dir", dir) :
		    xasprintf("%s: cannot lock: %s", dir, strerror(errno));
		close(m->dirfd);
		m->dirfd = -1;
		return -1;
	}
	if (protocol_leftovers(m->dirfd)) {
		if (beating(m->dirfd)) {
			*cause = xasprintf("%s: another job is running there, its master "
			    "on another host; wait for it to end or use another -dir", dir);
			close(m->dirfd);
			m->dirfd = -1;
			return -1;
		}
		m->dead = 1;
		if (!m->o->resume)
			discard(m);
	}
	return 0;
}

/*
 * The room left in DIR, in bytes; UINT64_MAX from a filesystem that reports no size
 * (some FUSE ones), which is trusted. root may use the blocks kept back for it, as
 * root's slaves would.
 */
static uint64_t
dir_left(const struct master *m)
{
	struct statvfs	sv;

	if (fstatvfs(m->dirfd, &sv) == -1 || sv.f_blocks == 0)
		return UINT64_MAX;
	return (uint64_t)(geteuid() == 0 ? sv.f_bfree : sv.f_bavail) * sv.f_frsize;
}

/*
 * Refuse a job that DIR cannot hold: image.bit and every result stay until the job ends
 * (protocol.h), and each block also takes a directory and its files. A DIR that fills
 * up later holds the job until it has room again, for a while (watch_room()).
 */
static int
room(struct master *m, char **cause)
{
	uint64_t	need, left = dir_left(m);

	need = (2 - m->job.render) * (uint64_t)job_row_bytes(&m->job) * m->job.height +
	    (uint64_t)m->job.blocks * BLOCK_OVERHEAD;
	if (left >= need)
		return 0;
	*cause = xasprintf("%s: not enough room: this job writes %ju MiB there (image.bit "
	    "and the results), and %ju MiB are free", m->o->dir,
	    (uintmax_t)(need >> 20) + 1, (uintmax_t)(left >> 20));
	return -1;
}

/* With a secret, get ready to sign each block's input rows in image.bit (add_todo()). */
static int
start_signing(struct master *m, char **cause)
{
	if (m->keyed == NULL || m->job.render)
		return 0;
	m->readfd = openat(m->dirfd, "image.bit", O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
	if (m->readfd == -1) {
		*cause = xasprintf("%s/image.bit: %s", m->o->dir, strerror(errno));
		return -1;
	}
	m->signs = xcalloc(m->job.blocks, sizeof *m->signs);
	return 0;
}

/*
 * Start the collector: threads on a network filesystem, where each round trip costs a
 * millisecond or more; none on a local one (see collect.h).
 */
static int
start_collect(struct master *m, char **cause)
{
	m->collect = collect_start(m->dirfd, &m->job, m->keyed, m->readfd,
	    m->watch.inotify ? 0 : COLLECT_THREADS);
	if (m->collect == NULL) {
		*cause = xasprintf("cannot start the master's threads: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Create image.bit (empty yet, unless a render), data.dat, todo/ and DIR/progress. */
static int
prepare(struct master *m, char **cause)
{
	char	*why;

	if (room(m, cause) == -1)
		return -1;
	if (!m->job.render && (m->bitfd = openat(m->dirfd, "image.bit",
	    O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600)) == -1) {
		*cause = xasprintf("%s/image.bit: %s", m->o->dir, strerror(errno));
		return -1;
	}
	if (start_signing(m, cause) == -1 || start_collect(m, cause) == -1)
		return -1;
	if (protocol_write_job(m->dirfd, &m->job, m->keyed, &why) == -1) {
		*cause = xasprintf("%s/%s", m->o->dir, why);
		free(why);
		return -1;
	}
	if (mkdirat(m->dirfd, "todo", 0700) == -1 ||
	    protocol_write_tally(m->dirfd, &m->progress.tally) == -1) {
		*cause = xasprintf("%s: cannot publish the job: %s", m->o->dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Ask the collector for todo/block.N.v, the first version of block n or a reissue; the
 * caller waits for it (collect_wait()) before it counts on the file.
 */
static void
add_todo(struct master *m, uint32_t n, char v)
{
	collect_todo(m->collect, n, v, m->signs != NULL ? m->signs[n] : NULL);
}

/* Ask for version v of block n, the first or a reissue: 0, or -1 with errno. */
static int
issue(struct master *m, uint32_t n, char v)
{
	add_todo(m, n, v);
	blocks_issued(&m->bs, n, v);
	return collect_wait(m->collect);
}

/*
 * Ask for every block whose rows and halo are among the first `rows` of image.bit, all
 * at once. A failure is kept for decode() to report.
 */
static void
want_ready(struct master *m, uint32_t rows)
{
	const struct job	*job = &m->job;
	uint32_t		 a, b;

	for (; m->wanted < job->blocks && m->todo_errno == 0; m->wanted++) {
		job_block_input(job, m->wanted, &a, &b);
		if (b > rows)
			break;
		add_todo(m, m->wanted, PROTOCOL_FIRST);
		blocks_issued(&m->bs, m->wanted, PROTOCOL_FIRST);
	}
	if (m->todo_errno == 0 && collect_wait(m->collect) == -1)
		m->todo_errno = errno;
}

static void	report(struct master *);

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
	report(m);
}

/* Decode the input into image.bit (a render has none), and close it. */
static int
decode(struct master *m, char **cause)
{
	char	*why;
	int	 r = 0;

	if (!m->job.render) {
		r = image_decode(&m->in, m->bitfd, decoded, m, &why);
		if (close(m->bitfd) == -1 && r == 0) {
			why = xasprintf("image.bit: %s", strerror(errno));
			r = -1;
		}
		m->bitfd = -1;
		image_close(&m->in, NULL);
	}
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

/* Start the local slaves: children that run as any other slave would. */
static void
start_slaves(struct master *m)
{
	struct slave_opts so = { .dir = m->o->dir, .job = m->job.id,
			    .verbosity = m->o->verbosity, .secret = m->o->secret,
			    .poll = m->o->poll, .letgo = -1 };
	pid_t		 pid, master = getpid();
	uint32_t	 i;
	char		*cause;
	long		 r;
	int		 letgo[2];

	if (m->o->slaves == 0)
		return;
	if (pipe2(letgo, O_CLOEXEC) == -1)
		fatal("pipe: %s", strerror(errno));
	m->slaves = xcalloc(m->o->slaves, sizeof *m->slaves);
	fflush(NULL);
	for (i = 0; i < m->o->slaves; i++) {
		if ((pid = fork()) == -1) {
			say("cannot start a local slave: %s", strerror(errno));
			break;
		}
		if (pid > 0) {
			m->slaves[m->nslaves++] = pid;
			m->alive++;
			continue;
		}
		/* Hold nothing of the master's, least of all its lock on DIR: only letgo. */
		watch_close(&m->watch);
		if (dup2(letgo[1], 3) == -1 || fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
			_exit(1);
		closefrom(4);
		so.letgo = 3;
		sigprocmask(SIG_SETMASK, &m->oldmask, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master)
			_exit(1);
		if ((r = slave_run(&so, &cause)) == -1)
			say("local slave: %s", cause);
		_exit(r == -1);
	}
	close(letgo[1]);
	m->letgo = letgo[0];
}

/* Create `working`, which opens the job to slaves, and start the local ones. */
static int
open_job(struct master *m, char **cause)
{
	if (protocol_start(m->dirfd, &m->job) == -1) {
		*cause = xasprintf("%s/working: %s", m->o->dir, strerror(errno));
		return -1;
	}
	start_slaves(m);
	return 0;
}

/*
 * Publish a fresh job. On a local filesystem it opens before the input is decoded, and
 * blocks are asked for as their rows arrive; on a network filesystem only once image.bit
 * is whole and closed, so that a slave opening it sees all of it. The blocks are asked
 * for after it opens: slaves claim the first while the master makes the rest, which a
 * network filesystem makes one at a time (creates in one directory are serialized).
 */
static int
publish(struct master *m, char **cause)
{
	int	early = m->watch.inotify || m->job.render;

	name_partial(m);
	if (prepare(m, cause) == -1 || open_output(m, cause) == -1 ||
	    (early && open_job(m, cause) == -1) || decode(m, cause) == -1 ||
	    (!early && open_job(m, cause) == -1))
		return -1;
	return want_all(m, cause);
}

/* Note the local slaves that have exited; how many are left. */
static uint32_t
reap_slaves(struct master *m)
{
	uint32_t	i;

	for (i = 0; i < m->nslaves; i++)
		if (m->slaves[i] != 0 && waitpid(m->slaves[i], NULL, WNOHANG) > 0) {
			m->slaves[i] = 0;
			m->alive--;
		}
	return m->alive;
}

/*
 * Stop the local slaves, before DIR is cleaned: one still writing a block no longer
 * needed must not leave it behind. The job ends for them first: an idle slave sees
 * `working` go at once, where a signal would wait for its next look at DIR.
 *
 * DIR may be cleaned when m->letgo hangs up: each slave closes its end once it no
 * longer touches DIR, before it tidies up (closing its inotify descriptor alone can
 * take 20 ms), and a slave that dies closes it too. end_slaves() reaps them after.
 */
static void
stop_slaves(struct master *m)
{
	struct pollfd	p = { .fd = m->letgo, .events = POLLIN };
	uint32_t	i;

	if (m->letgo == -1)
		return;
	protocol_stop(m->dirfd);
	for (i = 0; i < m->nslaves; i++)
		if (m->slaves[i] != 0)
			kill(m->slaves[i], SIGTERM);
	/* A slave ends its block's command at once; a built-in operation runs to the end. */
	if (poll(&p, 1, STOP_GRACE * 1000) != 1)
		for (i = 0; i < m->nslaves; i++)
			if (m->slaves[i] != 0) {
				kill(m->slaves[i], SIGKILL);
				waitpid(m->slaves[i], NULL, 0);
				m->slaves[i] = 0;
			}
	close(m->letgo);
	m->letgo = -1;
}

/* Reap the local slaves that stop_slaves() stopped. */
static void
end_slaves(struct master *m)
{
	uint32_t	i;

	for (i = 0; i < m->nslaves; i++)
		if (m->slaves[i] != 0)
			waitpid(m->slaves[i], NULL, 0);
	m->nslaves = m->alive = 0;
}

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

/* Ask for block n again, as its next version. */
static int
reissue(struct master *m, uint32_t n, const char *why, char **cause)
{
	char	old = m->bs.b[n].version, v = blocks_next_version(&m->bs, n);

	if (v == 0) {
		*cause = xasprintf("block %u: no result after %d versions (a to z); "
		    "giving up", n, BLOCK_VERSIONS);
		return -1;
	}
	if (issue(m, n, v) == -1) {
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
		return reissue(m, n, "had its result rejected", cause);
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
		r = reissue(m, n, "failed", cause);
	free(text);
	return r;
}

/* Republish DIR/progress when due: when it changed, and at least every BEAT_EVERY. */
static void
beat(struct master *m)
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

/* Redraw the progress line and republish DIR/progress when due. */
static void
report(struct master *m)
{
	progress_draw(&m->progress, blocks_working(&m->bs), 0);
	beat(m);
}

/*
 * Write block n's result, taken into l (collect.h), to the output: its rows as a
 * collector thread read and checked them, or read and checked here. A bad one is
 * rejected.
 */
static int
deliver(struct master *m, uint32_t n, struct look *l, char **cause)
{
	uint32_t	 rows = job_block_rows(&m->job, n), y, k;
	size_t		 row_bytes = job_row_bytes(&m->job), len = rows * row_bytes;
	char		 v = l->v, *why = l->why;
	char		*from = l->rows;

	l->why = NULL;
	if (why == NULL && from == NULL) {
		reserve(&m->rows, &m->rows_size, len);
		if (protocol_read_result(l->fd, m->keyed, m->rows, len, &why) == 0)
			from = m->rows;
	}
	if (from == NULL)
		return reject(m, n, v, l->who, why, cause);
	/* Strip by strip, keeping the beat: compressing a block can take seconds. */
	for (y = 0; y < rows; y += k) {
		k = rows - y < m->out.strip_rows ? rows - y : m->out.strip_rows;
		if (image_write_strip(&m->out, job_block_y(&m->job, n) + y,
		    from + y * row_bytes, k, &why) == -1) {
			*cause = xasprintf("%s: %s", m->output, why);
			free(why);
			return -1;
		}
		beat(m);
	}
	watch_block(m, n, v, 0);
	m->written++;
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
	r = deliver(m, n, l, cause);
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
			return reissue(m, n, why, cause);
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

/* Whether two descriptions ask for the same operation on the same input. */
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
	    a->rows == b->rows && a->blocks == b->blocks &&
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
	char		 v, in = result_of(m->dirfd, &m->job, n, s), newest = newest_version(s);

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
		return reissue(m, n, "has no valid result", cause);
	if (newest != 0 && (s->claimed & BLOCK_BIT(newest)))
		return reissue(m, n, "was claimed when its master died", cause);
	if (!(s->todo & BLOCK_BIT(b->version))) {
		add_todo(m, n, b->version);
		if (collect_wait(m->collect) == 0)
			return 0;
		*cause = xasprintf("%s/todo: %s", m->o->dir, strerror(errno));
		return -1;
	}
	return 0;
}


/* Write block n's result, found by take_stock(), to the output. */
static int
reuse(struct master *m, uint32_t n, char **cause)
{
	struct look	l = { .n = n, .fd = -1 };
	int		r;

	collect_take(m->collect, n, m->bs.b[n].in, &l);
	r = deliver(m, n, &l, cause);
	collect_drop(&l);
	return r;
}

/* Take over the job a dead master left in DIR: reuse every valid result, redo the rest. */
static int
adopt(struct master *m, char **cause)
{
	const char	*dir = m->o->dir;
	struct sighting	*list;
	struct job	 old;
	struct stat	 st;
	uint32_t	 n, reused, blocks = m->job.blocks;
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
	if (!old.render && (fstatat(m->dirfd, "image.bit", &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    (uint64_t)st.st_size != (uint64_t)job_row_bytes(&m->job) * m->job.height)) {
		*cause = xasprintf("%s: cannot resume job %s: its image.bit is "
		    "incomplete; run without -resume to discard it", dir, old.id);
		job_free(&old);
		return -1;
	}
	remove_partial(&old);	/* an output is not continued; results are */
	job_free(&old);
	name_partial(m);
	if (start_signing(m, cause) == -1 || start_collect(m, cause) == -1)
		return -1;
	if (protocol_write_job(m->dirfd, &m->job, m->keyed, &why) == -1) {
		*cause = xasprintf("%s/%s", dir, why);
		free(why);
		return -1;
	}
	if (open_output(m, cause) == -1)
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
	for (n = 0; n < blocks && r == 0; n++)
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
	start_slaves(m);
	for (n = 0; n < blocks; n++)
		if (m->bs.b[n].in != 0 && reuse(m, n, cause) == -1)
			return -1;
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
			add_todo(m, n, m->owed[n]);
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
	int		takes = dir_takes(m, &left) && pay_owed(m) == 0;
	const char	*what;
	char		*lack;

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

/* Watch, collect and reissue until every block is in the output. */
static int
run(struct master *m, char **cause)
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
		report(m);
		if (signals_caught(m->sigfd)) {
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
			if (m->alive > 0 && reap_slaves(m) == 0)
				progress_say(&m->progress, "the local slaves have all stopped "
				    "(see above); waiting for others");
		}
	}
	return 0;
}

/* Put the output in place; DIR is cleaned by the caller. */
static int
finish(struct master *m, char **cause)
{
	char	*why;

	if (image_close(&m->out, &why) == -1) {
		*cause = xasprintf("%s: %s", m->output, why);
		free(why);
		return -1;
	}
	if (rename(m->tmp, m->output) == -1) {
		*cause = xasprintf("%s: %s", m->output, strerror(errno));
		return -1;
	}
	free(m->tmp);
	m->tmp = NULL;
	progress_end(&m->progress, m->output);
	return 0;
}

int
master_run(const struct master_opts *o, char **cause)
{
	struct master	 m = { .o = o, .dirfd = -1, .sigfd = -1, .bitfd = -1,
			    .readfd = -1, .letgo = -1 };
	char		*why;
	int		 r = -1;

	m.sigfd = signals_catch(&m.oldmask);
	if (o->secret != NULL) {
		if (secret_load(o->secret, m.key, cause) == -1)
			goto out;
		m.keyed = m.key;
	}
	if (o->input == NULL)
		image_blank(&m.in, o->width, o->height, o->samples, o->depth);
	else if (image_open(&m.in, o->input, &why) == -1) {
		*cause = xasprintf("%s: %s", o->input, why);
		free(why);
		goto out;
	}
	if (!op_takes(o->args->op, m.in.format)) {
		why = op_formats(o->args->op);
		*cause = xasprintf("%s: %s samples; %s takes %s", o->input,
		    sample_name(m.in.format), o->args->op->name, why);
		free(why);
		goto out;
	}
	m.output = o->output != NULL ? xstrdup(o->output) :
	    master_output_name(o->input);
	make_job(&m);
	blocks_init(&m.bs, m.job.blocks, o->timeout, o->retries);
	m.announced = xcalloc(m.job.blocks, sizeof *m.announced);
	m.owed = xcalloc(m.job.blocks, 1);
	/* Nothing is made beside the output until DIR is ours: see name_partial(). */
	if (output_dir(&m, cause) == -1 || take_dir(&m, cause) == -1)
		goto out;
	progress_start(&m.progress, &m.job, o->verbosity);
	/* Watch before `working` exists, so that no claim happens unseen. */
	watch_start(&m.watch, m.dirfd, o->poll, m.sigfd);
	watch_dir(&m.watch, o->dir);
	snprintf(m.progress.tally.notice, sizeof m.progress.tally.notice, "%s",
	    m.watch.how);
	if (o->verbosity > 0)
		say("%s: %s", o->dir, m.watch.how);
	if (o->resume && !m.dead)
		say("%s: no job to resume there; starting afresh", o->dir);
	if (m.dead && o->resume) {
		/* A job we cannot resume stays as it was, for a master that can. */
		if (adopt(&m, cause) == -1) {
			stop_slaves(&m);
			goto out;
		}
	} else if (publish(&m, cause) == -1)
		goto stop;
	if (run(&m, cause) == 0 && finish(&m, cause) == 0)
		r = 0;
stop:
	stop_slaves(&m);
	drop_partial(&m);	/* while data.dat, which names it, is there */
	clean(&m);
out:
	end_slaves(&m);
	collect_end(m.collect);
	if (r == -1)
		progress_clear(&m.progress);
	image_close(&m.in, NULL);
	drop_partial(&m);
	watch_close(&m.watch);
	if (m.bitfd != -1)
		close(m.bitfd);
	if (m.readfd != -1)
		close(m.readfd);
	free(m.signs);
	if (m.dirfd != -1)
		close(m.dirfd);
	close(m.sigfd);
	sigprocmask(SIG_SETMASK, &m.oldmask, NULL);
	free(m.outdir);
	free(m.output);
	blocks_free(&m.bs);
	free(m.announced);
	free(m.owed);
	job_free(&m.job);
	free(m.rows);
	free(m.slaves);
	progress_free(&m.progress);
	return r;
}
