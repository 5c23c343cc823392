/*
 * joblog.c — the job log of a batch, in GNU parallel's columns (see joblog.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "joblog.h"
#include "util.h"

#define JOBLOG_HEADER	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n"
#define JOBLOG_COLUMNS	9

struct joblog {
	FILE	 *f;
	char	 *path;
	char	**done;		/* commands the log showed done when opened */
	size_t	  ndone;
	char	  host[256];
};

/* Keep the command of a line whose Exitval is 0 (the header's is not a number). */
static void
keep_done(struct joblog *log, char *line)
{
	char	*col[JOBLOG_COLUMNS], *p = line;
	size_t	 n;

	line[strcspn(line, "\n")] = '\0';
	for (n = 0; n < JOBLOG_COLUMNS - 1 && (col[n] = strsep(&p, "\t")) != NULL; n++)
		;
	if (n < JOBLOG_COLUMNS - 1 || p == NULL || strcmp(col[6], "0") != 0)
		return;
	log->done = xreallocarray(log->done, log->ndone + 1, sizeof *log->done);
	log->done[log->ndone++] = xstrdup(p);
}

/* Read the lines of a log being resumed; 0, or -1 (errno) if it cannot be read. */
static int
read_done(struct joblog *log)
{
	char	*line = NULL;
	size_t	 size = 0;

	rewind(log->f);
	while (getline(&line, &size, log->f) != -1)
		keep_done(log, line);
	free(line);
	return ferror(log->f) ? -1 : fseek(log->f, 0, SEEK_END);
}

struct joblog *
joblog_open(const char *path, int resume, char **cause)
{
	struct joblog	*log = xcalloc(1, sizeof *log);

	log->path = xstrdup(path);
	gethostname(log->host, sizeof log->host - 1);
	if ((log->f = fopen(path, resume ? "a+" : "w")) == NULL ||
	    (resume && read_done(log) == -1) ||
	    (ftell(log->f) == 0 && fputs(JOBLOG_HEADER, log->f) == EOF) ||
	    fflush(log->f) == EOF) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		joblog_close(log);
		return NULL;
	}
	return log;
}

int
joblog_done(const struct joblog *log, const char *command)
{
	size_t	i;

	for (i = 0; log != NULL && i < log->ndone; i++)
		if (strcmp(log->done[i], command) == 0)
			return 1;
	return 0;
}

int
joblog_add(struct joblog *log, const struct joblog_entry *e, char **cause)
{
	if (fprintf(log->f, "%zu\t%s\t%.3f\t%.3f\t%ju\t%ju\t%d\t%d\t%s\n", e->seq,
	    log->host, e->start, e->runtime, (uintmax_t)e->send, (uintmax_t)e->receive,
	    e->exitval, e->signal, e->command) < 0 || fflush(log->f) == EOF) {
		*cause = xasprintf("%s: %s", log->path, strerror(errno));
		return -1;
	}
	return 0;
}

void
joblog_close(struct joblog *log)
{
	size_t	i;

	if (log == NULL)
		return;
	if (log->f != NULL)
		fclose(log->f);
	for (i = 0; i < log->ndone; i++)
		free(log->done[i]);
	free(log->done);
	free(log->path);
	free(log);
}

/* Append name to *text as sh reads it back: bare when it can be. */
static void
quote(char **text, const char *name)
{
	const char	*p;

	if (*name != '\0' && name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./+-,:=@%")] == '\0') {
		xappendf(text, "%s", name);
		return;
	}
	xappendf(text, "'");
	for (p = name; *p != '\0'; p++) {
		if (*p == '\'')
			xappendf(text, "'\\''");
		else if (*p == '\t' || *p == '\n')
			xappendf(text, "'$'\\%c''", *p == '\t' ? 't' : 'n');
		else
			xappendf(text, "%c", *p);
	}
	xappendf(text, "'");
}

char *
joblog_command(const char *input, long frame, const char *output)
{
	char	*text = xstrdup("blur -master ");

	if (input != NULL)
		quote(&text, input);
	else
		xappendf(&text, "-frame %ld", frame);
	xappendf(&text, " -o ");
	quote(&text, output);
	return text;
}
