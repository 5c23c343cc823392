/*
 * child.c — a command under its guardian, its pipes served until it ends (see child.h).
 *
 * The guardian, a fork of ours that never executes anything, leads the command's process
 * group: it starts the command, reports how it ended on a pipe, and waits to be killed
 * with the group. Should we die first, even of SIGKILL, the kernel tells it
 * (PR_SET_PDEATHSIG) and it kills the group, itself included. As the leader, alive until
 * we kill it, it also keeps the group's id from being reused while we signal it.
 */
#include <config.h>

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "util.h"

#define CHILD_CHUNK	65536	/* bytes read from the command at a time */
#define GUARD_WAKE	SIGHUP	/* the guardian's when its parent thread ends */
#define GUARD_LOOK	1	/* seconds between its looks at its parent regardless */

/* What the guardian reports, once: how the command ended, or why it never ran. */
struct report {
	int	status;		/* as waitpid() gives it */
	int	error;		/* an errno: no command ran */
};

/* What the guardian needs, made before the fork: it may not allocate. */
struct guard {
	int		 fd[4];		/* the command's stdin, stdout, stderr; the report's pipe */
	const char	*path;
	char *const	*argv;
	char *const	*env;
	pid_t		 parent;
};

/* One command while it runs. */
struct child {
	const struct child_io	*io;
	pid_t			 pid;		/* its guardian's, the group's */
	int			 fd[4];		/* our ends of its stdin, stdout, stderr and
						   of the report, or -1 */
	int			 reported;	/* report holds the guardian's */
	struct report		 report;
	struct iovec		*put;		/* the input not written yet */
	int			 put_count;
	sigset_t		 pipe, old;	/* SIGPIPE; the mask before we blocked it */
	uint8_t			 chunk[CHILD_CHUNK];
};

static void
fd_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* Tell our parent how the command ended; a write this small to a pipe is whole. */
static void
guard_report(int fd, int status, int error)
{
	struct report	r = { status, error };

	if (write(fd, &r, sizeof r) == -1)
		return;	/* our parent is gone: nobody to tell */
}

/*
 * The descriptors the command is to have: g->fd[0] to [2] as 0 to 2, and the report's
 * pipe (returned, close-on-exec), nothing else: libinotifytools opens its descriptor
 * without O_CLOEXEC, and other commands' pipes may be open.
 */
static int
guard_fds(const struct guard *g)
{
	int	high[4], i;

	/* All above 2 first, so that no dup2() below replaces one not yet moved. */
	for (i = 0; i < 4; i++)
		if ((high[i] = fcntl(g->fd[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
			return -1;
	for (i = 0; i < 3; i++)
		dup2(high[i], i);
	if (high[3] > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)high[3] - 1, 0);
	close_range((unsigned)high[3] + 1, ~0U, 0);
	return high[3];
}

/* The command itself: SIGPIPE and SIGTERM at their defaults, no signal blocked. */
static void __attribute__((noreturn))
guard_exec(const struct guard *g, int report)
{
	struct sigaction	dfl = { .sa_handler = SIG_DFL };
	sigset_t		none;

	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(g->path, g->argv, g->env);
	guard_report(report, 0, errno);
	_exit(127);
}

/*
 * The guardian, in the child of a multi-threaded process: async-signal-safe calls only
 * (sigtimedwait() is a bare system call). It blocks every signal, so that the group's
 * SIGTERM leaves it, and waits for two: the command's SIGCHLD, and GUARD_WAKE, which the
 * kernel sends when the thread that forked it ends. That thread waits for it, so ends
 * only with our process; the guardian then kills the group, if its parent is indeed gone
 * (anyone may send a signal). It also looks every GUARD_LOOK seconds, lest a wake-up be
 * lost: once, a guardian was seen to outlive its slave.
 */
static void __attribute__((noreturn))
guard_run(const struct guard *g)
{
	struct timespec	look = { GUARD_LOOK, 0 };
	sigset_t	all, wake;
	pid_t		pid = -1;
	int		report, status;

	setpgid(0, 0);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, GUARD_WAKE);
	if (getppid() != g->parent)
		_exit(127);
	/* vfork(): the command's exec needs no copy of an address space the size of ours. */
	if ((report = guard_fds(g)) == -1 || (pid = vfork()) == -1) {
		guard_report(report == -1 ? g->fd[3] : report, 0, errno);
		_exit(127);
	}
	if (pid == 0)
		guard_exec(g, report);
	close_range(STDIN_FILENO, STDERR_FILENO, 0);
	sigemptyset(&wake);
	sigaddset(&wake, SIGCHLD);
	sigaddset(&wake, GUARD_WAKE);
	for (;;) {
		sigtimedwait(&wake, NULL, &look);
		if (getppid() != g->parent)
			kill(0, SIGKILL);
		if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
			guard_report(report, status, 0);
			pid = 0;
		}
	}
}

/* Start the command under its guardian, with our ends of its pipes in c->fd, not blocking. */
static int
child_spawn(struct child *c, struct guard *g, int input, char **cause)
{
	const char	*what = "/dev/null";
	int		 p[4][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int		 i, error = 0;

	if (!input && (p[0][0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		error = errno;
	for (i = input ? 0 : 1; i < 4 && error == 0; i++)
		if (pipe2(p[i], O_CLOEXEC) == -1)
			error = errno, what = "pipe";
	if (error == 0) {
		for (i = 0; i < 4; i++)
			g->fd[i] = p[i][i == 0 ? 0 : 1];
		/* _Fork(), without fork()'s handlers: the guardian needs no more than it. */
		if ((c->pid = _Fork()) == 0)
			guard_run(g);
		if (c->pid == -1)
			error = errno, what = "fork";
		else	/* as it does: our first kill(-pid) may come before its setpgid() */
			setpgid(c->pid, c->pid);
	}
	for (i = 0; i < 4; i++) {
		fd_close(&p[i][i == 0 ? 0 : 1]);
		c->fd[i] = p[i][i == 0 ? 1 : 0];
		if (error != 0)
			fd_close(&c->fd[i]);
		else if (c->fd[i] != -1)
			fcntl(c->fd[i], F_SETFL, fcntl(c->fd[i], F_GETFL) | O_NONBLOCK);
	}
	if (error != 0) {
		*cause = xasprintf("%s: %s", what, strerror(error));
		return -1;
	}
	return 0;
}

/* Take back a SIGPIPE our writes raised, before unblocking it, and free c. */
static void
child_free(struct child *c)
{
	struct timespec	zero = { 0, 0 };

	sigtimedwait(&c->pipe, NULL, &zero);
	sigprocmask(SIG_SETMASK, &c->old, NULL);
	free(c);
}

struct child *
child_start(const char *path, char *const argv[], char *const env[],
    const struct child_io *io, char **cause)
{
	struct child	*c = xcalloc(1, sizeof *c);
	struct guard	 g = { .path = path, .argv = argv, .env = env, .parent = getpid() };

	c->io = io;
	c->put = io->in;
	c->put_count = io->in_count;
	/* Blocked, SIGPIPE makes a write to a command that stopped reading fail with EPIPE. */
	sigemptyset(&c->pipe);
	sigaddset(&c->pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &c->pipe, &c->old);
	if (child_spawn(c, &g, io->in != NULL, cause) == -1) {
		child_free(c);
		return NULL;
	}
	return c;
}

/*
 * The guardian's report, or its end without one. Either way the command has exited, and
 * anything it left running in its group would be orphaned: kill it, and the guardian.
 */
static void
child_report(struct child *c)
{
	ssize_t	n;

	while ((n = read(c->fd[3], &c->report, sizeof c->report)) == -1 && errno == EINTR)
		continue;
	if (n == -1 && errno == EAGAIN)
		return;
	c->reported = n == sizeof c->report;
	kill(-c->pid, SIGKILL);
	fd_close(&c->fd[0]);
	fd_close(&c->fd[3]);
}

/* End a command no longer wanted, and its group: SIGTERM, then SIGKILL. */
static void
child_end(struct child *c)
{
	struct pollfd	pfd = { .fd = c->fd[3], .events = POLLIN };
	double		deadline = now() + CHILD_GRACE;
	int		i;

	kill(-c->pid, SIGTERM);
	/* A command writing to us then dies of SIGPIPE, one reading from us of EOF. */
	for (i = 0; i < 3; i++)
		fd_close(&c->fd[i]);
	while (c->fd[3] != -1 && now() < deadline)
		if (poll(&pfd, 1, (int)((deadline - now()) * 1000) + 1) > 0)
			child_report(c);
	kill(-c->pid, SIGKILL);
	fd_close(&c->fd[3]);
}

/* Write what the command's stdin can take; close it when all is written. */
static void
child_write(struct child *c)
{
	ssize_t	n;

	while (c->put_count > 0) {
		n = writev(c->fd[0], c->put, c->put_count);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		/* EPIPE: a command may well not read its input (a renderer). */
		if (n == -1)
			break;
		iov_advance(&c->put, &c->put_count, (size_t)n);
	}
	fd_close(&c->fd[0]);
}

/* Read what the command's stdout (i 1) or stderr (2) has; close it at its end. */
static void
child_read(struct child *c, int i)
{
	ssize_t	n;

	while ((n = read(c->fd[i], c->chunk, CHILD_CHUNK)) == -1 && errno == EINTR)
		continue;
	if (n == -1 && errno == EAGAIN)
		return;
	(i == 1 ? c->io->out : c->io->err)(c->io->arg, c->chunk, n > 0 ? (size_t)n : 0);
	if (n <= 0)
		fd_close(&c->fd[i]);
}

/* Wait up to ms for the command's pipes, and serve them. */
static void
child_pump(struct child *c, int ms)
{
	struct pollfd	pfd[4];
	int		i, n = 0, which[4];

	for (i = 0; i < 4; i++)
		if (c->fd[i] != -1) {
			pfd[n].fd = c->fd[i];
			pfd[n].events = i == 0 ? POLLOUT : POLLIN;
			which[n++] = i;
		}
	if (poll(pfd, (nfds_t)n, ms) <= 0)
		return;
	for (i = 0; i < n; i++)
		if (pfd[i].revents != 0) {
			if (which[i] == 0)
				child_write(c);
			else if (which[i] == 3)
				child_report(c);
			else
				child_read(c, which[i]);
		}
}

void
child_wait(struct child *c, struct child_exit *how)
{
	const struct child_io	*io = c->io;
	double			 looked = now();
	int			 status, waited;

	how->cancelled = 0;
	while (c->fd[1] != -1 || c->fd[2] != -1 || c->fd[3] != -1) {
		if ((waited = (int)((now() - looked) * 1000)) >= CHILD_TICK) {
			looked = now();
			waited = 0;
			if (io->cancelled != NULL && io->cancelled(io->cancel_arg)) {
				child_end(c);
				how->cancelled = 1;
				break;
			}
		}
		child_pump(c, CHILD_TICK - waited);
	}
	while (waitpid(c->pid, &status, 0) == -1 && errno == EINTR)
		continue;
	/* No report: the guardian died with the group, as a command's `kill -9 0` does. */
	how->error = c->reported ? c->report.error : 0;
	how->status = c->reported ? c->report.status : status;
	child_free(c);
}
