/* master-dir.c — see master-int.h. */
#include <config.h>

#include <sys/file.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master-int.h"
#include "util.h"

#define BEAT_CHECK	2.5	/* how long to watch a job's beat before calling it dead */
#define CLEAN_THREADS	2	/* removing a local job's results */
/*
 * How long files left without a job may take to go by themselves: a slave that listed
 * the last job's todo/ just before it ended can claim after the clean, and takes its
 * claim back once it sees todo/ gone (a batch starts its next job at once).
 */
#define STRAY_PATIENCE	0.5

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

void
dir_clean(struct master *m)
{
	struct collect	*c = m->collect;
	uint32_t	 n;
	int		 standins;

	if (c != NULL) {
		if (m->watch.inotify && (c = collect_start(m->dirfd, &m->job, NULL, -1,
		    -1, CLEAN_THREADS)) == NULL)
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
		protocol_input_remove(m->dirfd);
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

char
dir_result_of(int dirfd, const struct job *job, uint32_t n, const struct sighting *s)
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
		dir_clean(m);
		return;
	}
	list = protocol_list(m->dirfd, old.blocks, 1, NULL);
	for (n = 0; n < old.blocks; n++)
		done += dir_result_of(m->dirfd, &old, n, &list[n]) != 0;
	free(list);
	say("%s: removing job %s (%s, %u of %u block%s finished), whose "
	    "master is gone; -resume would have continued it", m->o->dir, old.id,
	    old.render ? "a render" : old.input, done, old.blocks,
	    old.blocks == 1 ? "" : "s");
	output_remove_partial(&old);
	job_free(&old);
	dir_clean(m);
}

/* Whether DIR holds files of a job, once a stray claim has had time to go. */
static int
leftovers(struct master *m)
{
	double		 until = now() + STRAY_PATIENCE;
	struct job	 job;
	char		*why;

	while (protocol_leftovers(m->dirfd)) {
		if (protocol_read_job(m->dirfd, &job, NULL, &why) == 0) {
			job_free(&job);
			return 1;
		}
		free(why);
		if (now() >= until)
			return 1;
		usleep(10000);
	}
	return 0;
}

int
dir_take(struct master *m, char **cause)
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
	if (leftovers(m)) {
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

uint64_t
dir_left(const struct master *m)
{
	struct statvfs	sv;

	if (fstatvfs(m->dirfd, &sv) == -1 || sv.f_blocks == 0)
		return UINT64_MAX;
	return (uint64_t)(geteuid() == 0 ? sv.f_bfree : sv.f_bavail) * sv.f_frsize;
}

int
dir_room(struct master *m, char **cause)
{
	uint64_t	need, left = dir_left(m);

	uint64_t	pixels = (uint64_t)job_row_bytes(&m->job) * m->job.height;

	/*
	 * image.bit, or image.tif (unless it is a link), and results as large as pixels;
	 * with overviews, each level's rows three times: made, in the results of the level
	 * above; staged, in levels.bit; compressed, in their own level's results.
	 */
	need = (m->job.render ? 0 : m->job.decode ? job_source_bytes(&m->job) : pixels) +
	    pixels + 3 * job_level_offset(&m->job, m->job.levels + 1) +
	    (uint64_t)m->job.blocks * BLOCK_OVERHEAD;
	if (left >= need)
		return 0;
	*cause = xasprintf("%s: not enough room: this job writes %ju MiB there (the input "
	    "and the results), and %ju MiB are free", m->o->dir,
	    (uintmax_t)(need >> 20) + 1, (uintmax_t)(left >> 20));
	return -1;
}
