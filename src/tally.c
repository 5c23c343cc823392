/*
 * tally.c — `working`, which opens the job to slaves, and `progress`, the master's
 * tally and heartbeat (see protocol.h).
 */
#include <config.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirfile.h"
#include "protocol.h"
#include "util.h"

int
protocol_start(int dirfd, const struct job *job)
{
	char	line[40];

	snprintf(line, sizeof line, "%s\n", job->id);
	return dirfile_create(dirfd, "working", line);
}

void
protocol_stop(int dirfd)
{
	unlinkat(dirfd, "working", 0);
}

int
protocol_working(int dirfd, char id[33])
{
	char	line[64];

	if (dirfile_read(dirfd, "working", line, sizeof line) != 33 ||
	    line[32] != '\n')
		return -1;
	memcpy(id, line, 32);
	id[32] = '\0';
	return 0;
}

int
protocol_write_tally(int dirfd, const struct tally *t)
{
	char		*text;
	uint32_t	 i;
	int		 r;

	text = xasprintf("blur %d\nbeat %llu\nelapsed %.1f\ndone %u\nreissues %u\n"
	    "failures %u\nnotice %s\n", PROTOCOL_VERSION, (unsigned long long)t->beat,
	    t->elapsed, t->done, t->reissues, t->failures, t->notice);
	for (i = 0; i < t->nslaves; i++)
		xappendf(&text, "slave %s %u\n", t->slaves[i].who, t->slaves[i].blocks);
	r = dirfile_replace(dirfd, "progress", text);
	free(text);
	return r;
}

int
protocol_read_tally(int dirfd, struct tally *t)
{
	char			 text[65536], *line, *next, who[PROTOCOL_WHO_MAX];
	double			 elapsed;
	unsigned long long	 beat;
	unsigned		 u;
	int			 version;

	memset(t, 0, sizeof *t);
	if (dirfile_read(dirfd, "progress", text, sizeof text) == -1 ||
	    sscanf(text, "blur %d\n", &version) != 1 || version != PROTOCOL_VERSION)
		return -1;
	for (line = text; (next = strchr(line, '\n')) != NULL; line = next) {
		*next++ = '\0';
		if (sscanf(line, "beat %llu", &beat) == 1)
			t->beat = beat;
		else if (sscanf(line, "elapsed %lf", &elapsed) == 1)
			t->elapsed = elapsed;
		else if (strncmp(line, "notice ", 7) == 0)
			snprintf(t->notice, sizeof t->notice, "%s", line + 7);
		else if (sscanf(line, "done %u", &u) == 1)
			t->done = u;
		else if (sscanf(line, "reissues %u", &u) == 1)
			t->reissues = u;
		else if (sscanf(line, "failures %u", &u) == 1)
			t->failures = u;
		else if (sscanf(line, "slave %299s %u", who, &u) == 2) {
			tally_add(t, who);
			t->slaves[t->nslaves - 1].blocks = u;
		}
	}
	return 0;
}

/*
 * The beat is the count in progress and the file's modification time together: a master
 * that cannot rewrite progress (DIR full) still touches it, which takes no room.
 */
uint64_t
protocol_beat(int dirfd)
{
	char			text[64];
	unsigned long long	beat;
	struct stat		st;
	ssize_t			n;
	int			version, fd;

	if ((fd = openat(dirfd, "progress", O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, text, sizeof text - 1);
	if (n == -1 || fstat(fd, &st) == -1) {
		close(fd);
		return 0;
	}
	close(fd);
	text[n] = '\0';
	if (sscanf(text, "blur %d\nbeat %llu", &version, &beat) != 2 ||
	    version != PROTOCOL_VERSION)
		return 0;
	return (beat * 1000003u) ^ ((uint64_t)st.st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st.st_mtim.tv_nsec);
}

int
protocol_touch_tally(int dirfd)
{
	return utimensat(dirfd, "progress", NULL, AT_SYMLINK_NOFOLLOW);
}

void
tally_add(struct tally *t, const char *who)
{
	uint32_t	i;

	for (i = 0; i < t->nslaves; i++)
		if (strcmp(t->slaves[i].who, who) == 0)
			break;
	if (i == t->nslaves) {
		t->slaves = xreallocarray(t->slaves, ++t->nslaves,
		    sizeof *t->slaves);
		snprintf(t->slaves[i].who, sizeof t->slaves[i].who, "%s", who);
		t->slaves[i].blocks = 0;
	}
	t->slaves[i].blocks++;
}

void
tally_free(struct tally *t)
{
	free(t->slaves);
	t->slaves = NULL;
	t->nslaves = 0;
}

