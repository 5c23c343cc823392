/*
 * exec.c — a command of the user's computes each block, as `/bin/sh -c CMD`.
 *
 *	out = rows [s, s + rows) of CMD(in rows [y - top, y + rows + bottom))
 *
 * The command reads the block's rows and -halo rows each side (fewer at the image's
 * edges) as one binary PNM/PAM image on its standard input (/dev/null for a job without
 * an input), and writes one on its standard output, of the image's width, samples (gray
 * stands for RGB, as ImageMagick's pnm: writes a gray block) and maxval (255, 65535),
 * and of the block's height (s = 0), the height it was given (s = top) or the whole
 * image's (s = y). Its environment says where the block lies (BLUR_WIDTH ... below); the
 * slave's own, which it inherits, names the job (BLUR_JOB).
 *
 * It runs in its own process group, so that ending it ends its children too: when it
 * exits, whatever it left behind is killed; when the block is cancelled, the group gets
 * SIGTERM and, EXEC_GRACE seconds later, SIGKILL. Its standard error reaches ours a line
 * at a time, after "block N: ", and its last EXEC_DETAIL bytes become the block's detail
 * when the block fails.
 *
 * The group is led by a guardian, a fork of ours that never executes anything: it starts
 * the command, reports how it ended on a pipe, and waits to be killed with the group.
 * Should we die first, even of SIGKILL, the kernel tells it (PR_SET_PDEATHSIG) and it
 * kills the group, itself included: no command outlives its slave. As the leader, alive
 * until we kill it, it also keeps the group's id from being reused while we signal it.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../pnm.h"
#include "../util.h"
#include "ops.h"

#define EXEC_CHUNK	65536	/* bytes read from the command at a time */
#define EXEC_HEADER_MAX	65536	/* a longer PNM header is refused */
#define EXEC_LINE	1024	/* a longer line of its stderr is passed on in pieces */
#define EXEC_DETAIL	4096	/* bytes of its stderr kept for the failed report */
#define EXEC_TICK	50	/* milliseconds between looks at b->cancelled */
#define EXEC_GRACE	1.5	/* seconds from SIGTERM to SIGKILL */
#define GUARD_WAKE	SIGHUP	/* the guardian's when its parent thread ends */
#define GUARD_LOOK	1	/* seconds between its looks at its parent regardless */

struct exec_state {
	struct op_image	 im;
	char		*command;
	uint8_t		*input;		/* a 16-bit block in PNM's byte order */
	size_t		 input_size;
	uint8_t		*raster;	/* the block's rows of the command's image */
	size_t		 raster_size;
	uint8_t		*chunk;		/* EXEC_CHUNK */
	uint8_t		*header;	/* EXEC_HEADER_MAX */
};

/* The command's standard output, as it arrives. */
struct output {
	size_t		 header_len;
	int		 parsed;
	struct pnm	 pnm;
	uint64_t	 at;		/* raster bytes seen */
	uint64_t	 skip;		/* of them, before the block's rows */
	uint64_t	 keep;		/* the block's rows */
	uint64_t	 total;		/* the raster's */
	uint64_t	 extra;		/* bytes after it */
	char		*fault;		/* what is wrong with it, once known */
};

/* The command's standard error, as it arrives. */
struct errors {
	char		 line[EXEC_LINE];
	size_t		 line_len;
	char		 tail[2 * EXEC_DETAIL];
	size_t		 tail_len;
	uint64_t	 seen;		/* bytes, tail's and those before */
};

/* What the guardian reports, once: how the command ended, or why it never ran. */
struct report {
	int	status;		/* as waitpid() gives it */
	int	error;		/* an errno: no command ran */
};

/* What the guardian needs, made before the fork: it may not allocate. */
struct guard {
	int	 fd[4];		/* the command's stdin, stdout, stderr; the report's pipe */
	char	**argv;
	char	**env;
	pid_t	 parent;
};

/* One block's command while it runs. */
struct child {
	struct exec_state	*st;
	struct op_block		*b;
	pid_t			 pid;		/* its guardian's, the group's */
	int			 fd[4];		/* our ends of its stdin, stdout, stderr and
						   of the report, or -1 */
	int			 reported;	/* report holds the guardian's */
	struct report		 report;
	struct iovec		 put[2];	/* the input's header and rows not written yet */
	struct output		 out;
	struct errors		 err;
};

static int
exec_ready(struct op_args *a, char **cause)
{
	const char	*command = op_text(a, EXEC_COMMAND);

	if (command != NULL && command[strspn(command, " \t")] == '\0') {
		*cause = xstrdup("exec: -command is empty");
		return -1;
	}
	return 0;
}

static void
exec_halo(const struct op_args *a, uint32_t *top, uint32_t *bottom)
{
	*top = *bottom = (uint32_t)op_number(a, EXEC_HALO);
}

static void *
exec_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct exec_state	*st = xcalloc(1, sizeof *st);

	(void)cause;
	st->im = *im;
	st->command = xstrdup(op_text(a, EXEC_COMMAND));
	st->chunk = xmalloc(EXEC_CHUNK);
	st->header = xmalloc(EXEC_HEADER_MAX);
	return st;
}

static void
exec_stop(void *state)
{
	struct exec_state	*st = state;

	free(st->command);
	free(st->input);
	free(st->raster);
	free(st->chunk);
	free(st->header);
	free(st);
}

/* The image's shape as a PNM header describes it. */
static struct pnm
image_pnm(const struct op_image *im, uint32_t height)
{
	struct pnm	p = { im->width, height, im->samples, im->bits == 8 ? 255 : 65535 };

	return p;
}

/* Samples as words: "RGB". */
static const char *
kind_text(uint32_t depth, char *buf, size_t size)
{
	static const char *const names[] = { "gray", "gray+alpha", "RGB", "RGBA" };

	if (depth >= 1 && depth <= 4)
		return names[depth - 1];
	snprintf(buf, size, "%u-sample", depth);
	return buf;
}

/* The heights the command may write, in words: "10, 30 or 480". */
static char *
heights_text(const uint32_t h[3])
{
	if (h[0] == h[1] && h[1] == h[2])
		return xasprintf("%u", h[0]);
	if (h[0] == h[1] || h[1] == h[2])
		return xasprintf("%u or %u", h[0], h[2]);
	if (h[0] == h[2])
		return xasprintf("%u or %u", h[0], h[1]);
	return xasprintf("%u, %u or %u", h[0], h[1], h[2]);
}

/* Whether the command's header fits the job; where the block's rows are if it does. */
static void
output_check(struct child *c)
{
	const struct op_image	*im = &c->st->im;
	struct output		*o = &c->out;
	const struct pnm	*p = &o->pnm, want = image_pnm(im, 0);
	const struct op_block	*b = c->b;
	uint32_t		 h[3] = { b->rows, b->top + b->rows + b->bottom, im->height };
	uint32_t		 skip[3] = { 0, b->top, b->y }, i;
	char			 k1[24], k2[24], k3[24], *heights;

	for (i = 0; i < 3 && p->height != h[i]; i++)
		continue;
	if (p->width == want.width && p->maxval == want.maxval && i < 3 &&
	    (p->depth == want.depth || (p->depth <= 2 && p->depth + 2 == want.depth))) {
		o->skip = skip[i] * (uint64_t)pnm_row_bytes(p);
		o->keep = b->rows * (uint64_t)pnm_row_bytes(p);
		o->total = p->height * (uint64_t)pnm_row_bytes(p);
		reserve((void **)&c->st->raster, &c->st->raster_size, o->keep);
		return;
	}
	heights = heights_text(h);
	o->fault = xasprintf("the command wrote %ux%u %s, maxval %u; wanted %u wide, %s%s%s, "
	    "maxval %u, and %s rows", p->width, p->height, kind_text(p->depth, k1,
	    sizeof k1), p->maxval, want.width, kind_text(want.depth, k2, sizeof k2),
	    want.depth > 2 ? " or " : "", want.depth > 2 ? kind_text(want.depth - 2, k3,
	    sizeof k3) : "", want.maxval, heights);
	free(heights);
}

/* Raster bytes of the command's image: the block's rows are kept, the rest counted. */
static void
output_raster(struct output *o, uint8_t *raster, const uint8_t *data, size_t n)
{
	uint64_t	from, to;

	if (o->at < o->skip + o->keep && o->at + n > o->skip) {
		from = o->at > o->skip ? o->at : o->skip;
		to = o->at + n < o->skip + o->keep ? o->at + n : o->skip + o->keep;
		memcpy(raster + (from - o->skip), data + (from - o->at), to - from);
	}
	if (o->at + n > o->total)
		o->extra += o->at + n - (o->at > o->total ? o->at : o->total);
	o->at += n;
}

/* Bytes of the command's standard output. */
static void
output_take(struct child *c, const uint8_t *data, size_t n)
{
	struct output	*o = &c->out;
	size_t		 k;
	int		 rc;

	while (n > 0 && !o->parsed && o->fault == NULL) {
		k = n < EXEC_HEADER_MAX - o->header_len ? n : EXEC_HEADER_MAX - o->header_len;
		memcpy(c->st->header + o->header_len, data, k);
		o->header_len += k;
		data += k;
		n -= k;
		rc = pnm_parse(c->st->header, o->header_len, &o->pnm, &k, &o->fault);
		if (rc == 0 && o->header_len == EXEC_HEADER_MAX)
			o->fault = xasprintf("a header of more than %d bytes",
			    EXEC_HEADER_MAX);
		if (rc == 1) {
			o->parsed = 1;
			output_check(c);
			if (o->fault == NULL)
				output_raster(o, c->st->raster, c->st->header + k,
				    o->header_len - k);
		}
	}
	if (o->parsed && o->fault == NULL)
		output_raster(o, c->st->raster, data, n);
}

/* With the command done, the block's rows into out, or why they cannot be had. */
static int
output_finish(struct child *c, void *out, char **cause)
{
	struct output	*o = &c->out;
	char		*why;

	if (o->fault != NULL) {
		why = o->fault;
		o->fault = NULL;
		*cause = o->parsed ? why : xasprintf("the command's output: %s", why);
		if (*cause != why)
			free(why);
		return -1;
	}
	if (!o->parsed) {
		*cause = xstrdup(o->header_len == 0 ? "the command wrote nothing on its "
		    "standard output" : "the command's output ends inside a PNM header");
		return -1;
	}
	if (o->at < o->total || o->extra > 0) {
		*cause = o->extra > 0 ? xasprintf("the command's output goes on for %llu "
		    "bytes after its image", (unsigned long long)o->extra) :
		    xasprintf("the command's %ux%u image ends after %llu of its %llu bytes",
		    o->pnm.width, o->pnm.height, (unsigned long long)o->at,
		    (unsigned long long)o->total);
		return -1;
	}
	pnm_convert(&o->pnm, c->st->raster, (size_t)c->b->rows * c->st->im.width,
	    c->st->im.samples, out);
	return 0;
}

/* One line of the command's standard error, passed on. */
static void
errors_line(struct child *c)
{
	struct errors	*e = &c->err;
	size_t		 n = e->line_len;

	if (n > 0 && e->line[n - 1] == '\r')
		n--;
	say("block %u: %.*s", c->b->n, (int)n, e->line);
	e->line_len = 0;
}

/* Bytes of the command's standard error. */
static void
errors_take(struct child *c, const uint8_t *data, size_t n)
{
	struct errors	*e = &c->err;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (data[i] != '\n')
			e->line[e->line_len++] = (char)data[i];
		if (data[i] == '\n' || e->line_len == sizeof e->line)
			errors_line(c);
	}
	e->seen += n;
	if (n >= EXEC_DETAIL) {
		memcpy(e->tail, data + n - EXEC_DETAIL, EXEC_DETAIL);
		e->tail_len = EXEC_DETAIL;
		return;
	}
	if (e->tail_len + n > sizeof e->tail) {
		memmove(e->tail, e->tail + e->tail_len - EXEC_DETAIL, EXEC_DETAIL);
		e->tail_len = EXEC_DETAIL;
	}
	memcpy(e->tail + e->tail_len, data, n);
	e->tail_len += n;
}

/* The last EXEC_DETAIL bytes of the command's standard error, from a line's start. */
static char *
errors_detail(const struct errors *e)
{
	const char	*end = e->tail + e->tail_len, *nl;
	const char	*p = e->tail_len > EXEC_DETAIL ? end - EXEC_DETAIL : e->tail;

	/* What came before was dropped: start at the first whole line. */
	if (e->seen > (uint64_t)(end - p) && (nl = memchr(p, '\n', (size_t)(end - p))) !=
	    NULL && nl + 1 < end)
		p = nl + 1;
	return xasprintf("%.*s", (int)(end - p), p);
}

static void
fd_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/*
 * The environment the command gets: ours, without any BLUR_WIDTH ... we set, then those.
 * What we added starts at *mine, for env_free().
 */
static char **
env_make(const struct child *c, size_t *mine)
{
	static const char *const names[] = { "BLUR_WIDTH", "BLUR_HEIGHT", "BLUR_BLOCK",
				    "BLUR_Y", "BLUR_ROWS", "BLUR_TOP", "BLUR_BOTTOM",
				    "BLUR_SAMPLES", "BLUR_DEPTH" };
	const struct op_image	*im = &c->st->im;
	const struct op_block	*b = c->b;
	const uint32_t		 values[] = { im->width, im->height, b->n, b->y, b->rows,
				    b->top, b->bottom, im->samples, im->bits };
	size_t			 n, i, j, k, len;
	char			**env;

	for (n = 0; environ[n] != NULL; n++)
		continue;
	env = xreallocarray(NULL, n + 10, sizeof *env);
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < 9; j++) {
			len = strlen(names[j]);
			if (strncmp(environ[i], names[j], len) == 0 && environ[i][len] == '=')
				break;
		}
		if (j == 9)
			env[k++] = environ[i];
	}
	*mine = k;
	for (j = 0; j < 9; j++)
		env[k++] = xasprintf("%s=%u", names[j], values[j]);
	env[k] = NULL;
	return env;
}

static void
env_free(char **env, size_t mine)
{
	size_t	i;

	for (i = mine; env[i] != NULL; i++)
		free(env[i]);
	free(env);
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
 * without O_CLOEXEC, and other blocks' pipes may be open.
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
	execve("/bin/sh", g->argv, g->env);
	guard_report(report, 0, errno);
	_exit(127);
}

/*
 * The guardian, in the child of a multi-threaded process: async-signal-safe calls only
 * (sigtimedwait() is a bare system call). It blocks every signal, so that the group's
 * SIGTERM leaves it, and waits for two: the command's SIGCHLD, and GUARD_WAKE, which the
 * kernel sends when the thread that forked it ends. That thread waits for it, so ends
 * only with the slave; the guardian then kills the group, if its parent is indeed gone
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
child_spawn(struct child *c, int input, char **cause)
{
	char		*argv[] = { "sh", "-c", c->st->command, NULL };
	struct guard	 g = { .argv = argv, .parent = getpid() };
	const char	*what = "/dev/null";
	int		 p[4][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int		 i, error = 0;
	size_t		 mine;

	if (!input && (p[0][0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		error = errno;
	for (i = input ? 0 : 1; i < 4 && error == 0; i++)
		if (pipe2(p[i], O_CLOEXEC) == -1)
			error = errno, what = "pipe";
	if (error == 0) {
		for (i = 0; i < 4; i++)
			g.fd[i] = p[i][i == 0 ? 0 : 1];
		g.env = env_make(c, &mine);
		/* _Fork(), without fork()'s handlers: the guardian needs no more than it. */
		if ((c->pid = _Fork()) == 0)
			guard_run(&g);
		if (c->pid == -1)
			error = errno, what = "fork";
		else	/* as it does: our first kill(-pid) may come before its setpgid() */
			setpgid(c->pid, c->pid);
		env_free(g.env, mine);
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
	double		deadline = now() + EXEC_GRACE;
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
	struct iovec	*v = c->put[0].iov_len > 0 ? &c->put[0] : &c->put[1];
	ssize_t		 n;
	size_t		 k;

	while (c->put[0].iov_len + c->put[1].iov_len > 0) {
		n = writev(c->fd[0], v, v == c->put ? 2 : 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		/* EPIPE: a command may well not read its input (a renderer). */
		if (n == -1)
			break;
		for (; n > 0; n -= (ssize_t)k) {
			k = (size_t)n < v->iov_len ? (size_t)n : v->iov_len;
			v->iov_base = (uint8_t *)v->iov_base + k;
			v->iov_len -= k;
			if (v->iov_len == 0 && v == c->put)
				v++;
		}
	}
	fd_close(&c->fd[0]);
}

/* Read what the command's stdout (i 1) or stderr (2) has; close it at its end. */
static void
child_read(struct child *c, int i)
{
	ssize_t	n;

	while ((n = read(c->fd[i], c->st->chunk, EXEC_CHUNK)) == -1 && errno == EINTR)
		continue;
	if (n == -1 && errno == EAGAIN)
		return;
	if (n > 0) {
		if (i == 1)
			output_take(c, c->st->chunk, (size_t)n);
		else
			errors_take(c, c->st->chunk, (size_t)n);
		return;
	}
	if (i == 2 && c->err.line_len > 0)
		errors_line(c);
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

/* Why the command's status fails the block, or 0. */
static int
child_status(int status, char **cause)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		*cause = xasprintf("the command exited with status %d", WEXITSTATUS(status));
	else
		*cause = xasprintf("the command was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	return -1;
}

/* Serve the command until it has exited and closed its output; reap its guardian. */
static int
child_wait(struct child *c, char **cause)
{
	struct op_block	*b = c->b;
	double		 looked = now();
	int		 status, waited, rc = 0;

	while (c->fd[1] != -1 || c->fd[2] != -1 || c->fd[3] != -1) {
		if ((waited = (int)((now() - looked) * 1000)) >= EXEC_TICK) {
			looked = now();
			waited = 0;
			if (b->cancelled != NULL && b->cancelled(b->arg)) {
				child_end(c);
				*cause = xstrdup("cancelled");
				rc = -1;
				break;
			}
		}
		child_pump(c, EXEC_TICK - waited);
	}
	while (waitpid(c->pid, &status, 0) == -1 && errno == EINTR)
		continue;
	if (rc == 0 && c->reported && c->report.error != 0) {
		*cause = xasprintf("cannot start /bin/sh: %s", strerror(c->report.error));
		return -1;
	}
	/* No report: the guardian died with the group, as a command's `kill -9 0` does. */
	return rc == 0 ? child_status(c->reported ? c->report.status : status, cause) : rc;
}

/* The block's image for the command's stdin: its header, then its rows. */
static void
child_input(struct child *c, const void *in, char *header)
{
	struct exec_state	*st = c->st;
	const struct op_block	*b = c->b;
	struct pnm		 p = image_pnm(&st->im, b->top + b->rows + b->bottom);
	size_t			 pixels = (size_t)p.width * p.height;

	c->put[0].iov_base = header;
	c->put[0].iov_len = pnm_header(&p, header);
	c->put[1].iov_base = (void *)(uintptr_t)in;
	c->put[1].iov_len = pixels * p.depth * (st->im.bits / 8);
	if (st->im.bits == 16) {
		reserve((void **)&st->input, &st->input_size, c->put[1].iov_len);
		pnm_convert(&p, in, pixels, p.depth, st->input);
		c->put[1].iov_base = st->input;
	}
}

static int
exec_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	struct child	*c = xcalloc(1, sizeof *c);
	char		 header[PNM_HEADER_TEXT];
	sigset_t	 pipe, old;
	struct timespec	 zero = { 0, 0 };
	int		 rc;

	c->st = state;
	c->b = b;
	c->fd[0] = c->fd[1] = c->fd[2] = c->fd[3] = -1;
	if (in != NULL)
		child_input(c, in, header);
	/*
	 * A command that does not read all its input must not kill us with SIGPIPE: blocked,
	 * it makes the write fail with EPIPE instead, and is taken back before unblocking.
	 */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, &old);
	rc = child_spawn(c, in != NULL, cause);
	if (rc == 0)
		rc = child_wait(c, cause);
	sigtimedwait(&pipe, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		rc = output_finish(c, out, cause);
	if (rc == -1 && c->err.tail_len > 0)
		b->detail = errors_detail(&c->err);
	free(c->out.fault);
	free(c);
	return rc;
}

const struct op op_exec = {
	.name = "exec",
	.summary = "runs a command on each block, PNM/PAM in and out (see blur(1))",
	.halo_text = "-halo rows above and below",
	.params = {
		{ "command", OP_TEXT, 0, 0, NULL, "the command, run by /bin/sh -c" },
		{ "halo", OP_INT, 0, 100000, "0", "rows it gets above and below a block" },
	},
	.formats = SAMPLE_UINT8 | SAMPLE_UINT16,
	.runs_commands = 1,
	.draws = 1,
	.ready = exec_ready,
	.halo = exec_halo,
	.start = exec_start,
	.run = exec_run,
	.stop = exec_stop,
};
