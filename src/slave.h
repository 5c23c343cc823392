/*
 * slave.h — find, claim, compute, publish.
 *
 * A slave waits for DIR and its `working` file, reads data.dat, then claims blocks listed
 * in todo/ until `working` is gone or names another job.
 */
#ifndef BLUR_SLAVE_H
#define BLUR_SLAVE_H

/*
 * Work through one job in dir; the number of blocks done, or -1 with *cause. With a job
 * id (a master's own local slaves), join only that job, and only if it is still working.
 */
long	slave_run(const char *dir, const char *job, char **cause);

#endif
