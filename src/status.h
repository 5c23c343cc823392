/*
 * status.h — blur -status: what a job in DIR is doing, read from DIR alone.
 *
 * Nothing in DIR is changed. The block map is blocks_shown()'s: '#' done, '+' claimed,
 * '.' waiting, '!' reissued and not yet done, 'x' failed and not yet reissued.
 */
#ifndef BLUR_STATUS_H
#define BLUR_STATUS_H

#define STATUS_NO_JOB	1	/* status_run() found no job running in DIR */

/* Print the job in dir (every second until it ends, with watch): 0 when a job was shown,
   STATUS_NO_JOB, or -1 with *cause. */
int	status_run(const char *dir, int watch, char **cause);

#endif
