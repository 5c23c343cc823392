/*
 * child.h — run a command in a process group of its own: feed its standard input, take
 * its standard output and error as they come, and end it, with its group, when told to.
 *
 * The group is led by a guardian, a fork of ours that never executes anything: it starts
 * the command, reports how it ended, and waits to be killed with the group. Should we die
 * first, even of SIGKILL, it kills the group: no command outlives its caller. When the
 * command exits, whatever it left running in its group is killed.
 *
 * Calling sequence
 * ----------------
 *
 * The caller:
 *
 * * Fills a struct child_io: the bytes for the command's standard input (or none: it
 *   reads /dev/null), what becomes of those it writes, and whether to stop now.
 *
 * * Starts the command with child_start(), argv and env as execve() takes them.
 *
 * * Calls child_wait(), which writes the input, hands over the output as it arrives and
 *   asks io->cancelled every CHILD_TICK ms, until the command has exited and closed its
 *   output, or is cancelled: then its group gets SIGTERM and, CHILD_GRACE seconds
 *   later, SIGKILL. It says how the command ended, and frees the child.
 *
 * Error handling
 * --------------
 *
 * child_start() fails (NULL and *cause) only for want of a pipe or a process; a command
 * that cannot be executed ends with child_exit's error. From child_start() to
 * child_wait() the calling thread blocks SIGPIPE: a command that does not read all its
 * input fails our write with EPIPE, which is no error, instead of killing us.
 */
#ifndef BLUR_CHILD_H
#define BLUR_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define CHILD_TICK	50	/* milliseconds between looks at io->cancelled */
#define CHILD_GRACE	1.5	/* seconds from SIGTERM to SIGKILL */

/* What the command reads, what becomes of what it writes: the caller's, until child_wait(). */
struct child_io {
	struct iovec	*in;		/* its standard input (used up); NULL: /dev/null */
	int		 in_count;
	/* Its standard output's and error's bytes as they arrive; n 0 once, at their end. */
	void		(*out)(void *arg, const uint8_t *data, size_t n);
	void		(*err)(void *arg, const uint8_t *data, size_t n);
	void		*arg;
	int		(*cancelled)(void *cancel_arg);	/* 1: end it now; or NULL */
	void		*cancel_arg;
};

/* How the command ended. */
struct child_exit {
	int	cancelled;	/* io->cancelled said so, and it was ended: nothing else holds */
	int	error;		/* an errno: it could not be executed */
	int	status;		/* else as waitpid() gives it */
};

struct child;

/* Start `path` with argv and env under a guardian, or NULL and why (*cause). */
struct child	*child_start(const char *path, char *const argv[], char *const env[],
		    const struct child_io *, char **cause);
/* Serve the command until it ends or is cancelled; how into *how; free it. */
void		 child_wait(struct child *, struct child_exit *how);

#endif
