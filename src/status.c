/* status.c — see status.h. */
#include <config.h>

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol.h"
#include "status.h"
#include "util.h"

/* What DIR says of one job at one moment. */
struct snapshot {
	struct job	 job;
	struct tally	 tally;
	char		*map;		/* one character per block */
	uint32_t	 claimed, waiting, done, failed;
};

/*
 * What -watch has seen of a job's output, to say at its end whether the job wrote it:
 * the master writes the partial output data.dat names and renames it into place on
 * success, while its files in DIR are still there.
 */
struct outcome {
	int		 seen;		/* the partial output was seen: dev and ino */
	dev_t		 dev;
	ino_t		 ino;
	char		*output;	/* the output, beside the partial */
	char		 shown[JOB_PATH_MAX];	/* the output as data.dat names it */
};

/* Note the job's partial output, if this host can see it, and where its output goes. */
static void
outcome_note(struct outcome *o, const struct job *job)
{
	const char	*slash = strrchr(job->partial, '/');
	const char	*base = strrchr(job->output, '/');
	struct stat	 st;

	if (stat(job->partial, &st) == 0) {
		o->seen = 1;
		o->dev = st.st_dev;
		o->ino = st.st_ino;
	}
	free(o->output);
	o->output = xasprintf("%.*s/%s", slash != NULL ? (int)(slash - job->partial) : 0,
	    job->partial, base != NULL ? base + 1 : job->output);
	snprintf(o->shown, sizeof o->shown, "%s", job->output);
}

/* Say how the job in dir ended, by what became of the partial output it was seen with. */
static void
outcome_say(const struct outcome *o, const char *dir)
{
	struct stat	st;

	if (!o->seen)
		printf("the job in %s ended; its output is not visible from this host\n", dir);
	else if (stat(o->output, &st) == 0 && st.st_dev == o->dev && st.st_ino == o->ino)
		printf("the job in %s succeeded: wrote %s\n", dir, o->shown);
	else
		printf("the job in %s failed (no output)\n", dir);
}

/* Fill in the block map and its counts, from one listing of DIR (blocks.h). */
static void
map_blocks(int dirfd, struct snapshot *s)
{
	struct sighting	*list = protocol_list(dirfd, s->job.blocks, 1, NULL);
	uint32_t	 n;

	s->map = xcalloc(s->job.blocks + 1, 1);
	for (n = 0; n < s->job.blocks; n++) {
		s->map[n] = blocks_shown(&list[n]);
		if (s->map[n] == '#')
			s->done++;
		else if (s->map[n] == 'x')
			s->failed++;
		else if (blocks_at_work(&list[n]))
			s->claimed++;
		else
			s->waiting++;
	}
	free(list);
}

/* Read DIR: 0, STATUS_NO_JOB, or -1 with *cause. */
static int
snap(int dirfd, const char *dir, struct snapshot *s, char **cause)
{
	char	id[33], *why;

	memset(s, 0, sizeof *s);
	if (protocol_working(dirfd, id) == -1)
		return STATUS_NO_JOB;
	if (protocol_read_job(dirfd, &s->job, NULL, &why) == -1) {
		*cause = xasprintf("%s/%s", dir, why);
		free(why);
		return -1;
	}
	if (strcmp(id, s->job.id) != 0)
		return STATUS_NO_JOB;	/* between two jobs */
	protocol_read_tally(dirfd, &s->tally);
	map_blocks(dirfd, s);
	return 0;
}

static int
columns(void)
{
	struct winsize	 ws;
	const char	*env = getenv("COLUMNS");

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return env != NULL && atoi(env) > 0 ? atoi(env) : 80;
}

static void
print(const char *dir, const struct snapshot *s)
{
	const struct job	*job = &s->job;
	double			 elapsed = s->tally.elapsed;
	uint32_t		 i, width = columns();
	char			 e[CLOCK_TEXT], *what;

	printf("job %s in %s\n", job->id, dir);
	printf("input %s\noutput %s\n", job->render ? "none (a render)" : job->input,
	    job->output);
	what = op_describe(&job->args);
	printf("image %ux%u, %u %s sample%s; %s\n", job->width, job->height,
	    job->samples, sample_name(job->format), job->samples == 1 ? "" : "s",
	    what);
	free(what);
	printf("blocks %u of %u row%s: %u done, %u claimed, %u waiting; %u reissue%s\n",
	    job->blocks, job->rows, job->rows == 1 ? "" : "s", s->done, s->claimed,
	    s->waiting, s->tally.reissues, s->tally.reissues == 1 ? "" : "s");
	if (s->tally.failures > 0 || s->failed > 0)
		printf("failures %u, %u block%s failed and not yet reissued\n",
		    s->tally.failures, s->failed, s->failed == 1 ? "" : "s");
	printf("slaves");
	for (i = 0; i < s->tally.nslaves; i++)
		printf(" %s (%u)", s->tally.slaves[i].who, s->tally.slaves[i].blocks);
	printf("%s\n", s->tally.nslaves == 0 ? " none yet" : "");
	if (s->tally.notice[0] != '\0')
		printf("master %s\n", s->tally.notice);
	printf("elapsed %s", clock_text(elapsed, e));
	if (s->done > 0 && s->done < job->blocks)
		printf(", ETA %s", clock_text(elapsed *
		    (job->blocks - s->done) / s->done, e));
	printf("\n");
	for (i = 0; i < job->blocks; i += width)
		printf("%.*s\n", (int)width, s->map + i);
	fflush(stdout);
}

static void
snapshot_free(struct snapshot *s)
{
	tally_free(&s->tally);
	job_free(&s->job);
	free(s->map);
	s->map = NULL;
}

int
status_run(const char *dir, int watch, char **cause)
{
	struct snapshot	 s;
	struct outcome	 outcome = { 0 };
	char		 first[33] = "";
	int		 fd, r, tty = isatty(STDOUT_FILENO);

	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			*cause = xasprintf("%s: %s", dir, strerror(errno));
			return -1;
		}
		printf("no job in %s\n", dir);
		return STATUS_NO_JOB;
	}
	for (;;) {
		r = snap(fd, dir, &s, cause);
		if (r == STATUS_NO_JOB || (r == 0 && first[0] != '\0' &&
		    strcmp(first, s.job.id) != 0)) {
			if (first[0] == '\0')
				printf("no job in %s\n", dir);
			else
				outcome_say(&outcome, dir);
			r = first[0] == '\0' ? STATUS_NO_JOB : 0;
			break;
		}
		if (r == -1)
			break;
		if (watch && tty)
			printf("\033[H\033[2J");
		print(dir, &s);
		outcome_note(&outcome, &s.job);
		memcpy(first, s.job.id, sizeof first);
		snapshot_free(&s);
		if (!watch)
			break;
		sleep(1);
		if (!tty)
			printf("\n");
	}
	snapshot_free(&s);
	free(outcome.output);
	close(fd);
	return r;
}
