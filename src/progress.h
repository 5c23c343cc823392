/*
 * progress.h — what the master tells its operator while a job runs.
 *
 * On a terminal, one live line (bar, blocks, percent, working slaves, elapsed time, ETA)
 * redrawn at most ten times a second; elsewhere, plain lines at the start, every 10 %,
 * and at the end. Messages (reissues, failures, verbose events) go through progress_say() so
 * that they do not tear the live line. The tally it keeps is what DIR/progress publishes.
 */
#ifndef BLUR_PROGRESS_H
#define BLUR_PROGRESS_H

#include <stdint.h>

#include "protocol.h"
#include "util.h"

struct progress {
	int		 tty;		/* stderr is a terminal: draw the live line */
	int		 verbosity;	/* -1 quiet, 0, 1 verbose */
	uint32_t	 total;
	double		 start;		/* monotonic */
	double		 drawn;		/* when the live line was last drawn */
	uint32_t	 decile;	/* last 10 % step reported in plain lines */
	int		 changed;	/* the tally moved since DIR/progress was written */
	struct tally	 tally;
};

/* Start counting (silently: the job may yet fail to open). */
void	progress_start(struct progress *, const struct job *, int verbosity);
/* The job is open: say so, in plain lines. */
void	progress_open(struct progress *, const struct job *);
/* A message of one line: the live line is cleared first and redrawn later. */
void	progress_say(struct progress *, const char *, ...) printflike(2, 3);
/* A block came in from `who`; a block was reissued. */
void	progress_done(struct progress *, const char *who);
/* A block counted in turned out bad when it was read. */
void	progress_undo(struct progress *, const char *who);
void	progress_reissue(struct progress *);
void	progress_failure(struct progress *);
/* Redraw if due (or if forced), with `working` slaves holding blocks now. */
void	progress_draw(struct progress *, uint32_t working, int force);
/* Take the live line away (before an error message). */
void	progress_clear(struct progress *);
/* Finish the live line and print the summary. */
void	progress_end(struct progress *, const char *output);
void	progress_free(struct progress *);
/*
 * part of whole in percent, rounded to the nearest (2 of 3 is 67), but 100 only for the
 * whole: 199 of 200 is 99, the job not yet done.
 */
uint32_t progress_percent(uint32_t part, uint32_t whole);

#endif
