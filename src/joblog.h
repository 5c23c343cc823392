/*
 * joblog.h — a batch's job log in GNU parallel's --joblog format, so that the scripts
 * users wrote for parallel read it: a header line, then one line per job as it ends,
 * tab-separated:
 *
 *	Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
 *
 * Seq counts the batch's jobs from 1; Host is the master's; Starttime is seconds since
 * the epoch and JobRuntime seconds, both to the millisecond; Send and Receive are the
 * input's and the output's bytes; Exitval is 0 for a job done, 1 for one failed; Signal
 * the signal that stopped it, or 0; Command the job as one blur command
 * (joblog_command()). A line is flushed as it is written: a batch killed keeps the
 * lines of the jobs that ended, and one resumed (-resume) skips those with Exitval 0.
 */
#ifndef BLUR_JOBLOG_H
#define BLUR_JOBLOG_H

#include <stddef.h>
#include <stdint.h>

struct joblog;

struct joblog_entry {
	size_t		 seq;
	double		 start;		/* seconds since the epoch */
	double		 runtime;
	uint64_t	 send, receive;
	int		 exitval, signal;
	const char	*command;
};

/*
 * Open path: made anew with its header, or, resuming, appended to (the header written
 * if the file was empty or absent), the commands of its lines with Exitval 0 kept for
 * joblog_done(). NULL with *cause.
 */
struct joblog	*joblog_open(const char *path, int resume, char **cause);
/* Whether the log, as it was opened, shows command done (Exitval 0). */
int		 joblog_done(const struct joblog *, const char *command);
/* Add a job's line, flushed: 0, or -1 with *cause. */
int		 joblog_add(struct joblog *, const struct joblog_entry *, char **cause);
void		 joblog_close(struct joblog *);
/*
 * The job as one blur command, "blur -master IN -o OUT" (a frame's, input NULL: "blur
 * -master -frame N -o OUT"), each name quoted as sh needs it (tabs and newlines, which
 * would break the log's lines, as $'\t' and $'\n').
 */
char		*joblog_command(const char *input, long frame, const char *output);

#endif
