/*
 * slave.h — find, claim, compute, publish.
 *
 * A slave waits for DIR and its `working` file, reads data.dat, then claims blocks listed
 * in todo/ until `working` is gone or names another job.
 */
#ifndef BLUR_SLAVE_H
#define BLUR_SLAVE_H

struct slave_opts {
	const char	*dir;
	const char	*job;		/* join only this job, if it is working (local slaves) */
	int		 verbosity;	/* -1 quiet, 0, 1 verbose */
};

/* Work through one job in dir; the number of blocks done, or -1 with *cause. */
long	slave_run(const struct slave_opts *, char **cause);

#endif
