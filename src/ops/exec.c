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
 * SIGTERM and, CHILD_GRACE seconds later, SIGKILL; should the slave die, so does the
 * group (../child.h runs it). Its standard error reaches ours a line at a time, after
 * "block N: ", with -v (b->verbose); its last EXEC_DETAIL bytes become the block's
 * detail when the block fails, and are said then if they were not as they came (a
 * renderer's banner on every block would hide what matters).
 */
#include <config.h>

#include <sys/uio.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../child.h"
#include "../pnm.h"
#include "../util.h"
#include "ops.h"

#define EXEC_SHELL	"/bin/sh"	/* runs the command, as sh -c */
#define EXEC_HEADER_MAX	65536	/* a longer PNM header is refused */
#define EXEC_LINE	1024	/* a longer line of its stderr is passed on in pieces */
#define EXEC_DETAIL	4096	/* bytes of its stderr kept for the failed report */

struct exec_state {
	struct op_image	 im;
	char		*command;
	long		 frame;		/* BLUR_FRAME, or -1 */
	uint8_t		*input;		/* a 16-bit block in PNM's byte order */
	size_t		 input_size;
	uint8_t		*raster;	/* the block's rows of the command's image */
	size_t		 raster_size;
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

/* One block's command while it runs. */
struct run {
	struct exec_state	*st;
	struct op_block		*b;
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
	st->frame = (long)op_number(a, EXEC_FRAME);
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
output_check(struct run *r)
{
	const struct op_image	*im = &r->st->im;
	struct output		*o = &r->out;
	const struct pnm	*p = &o->pnm, want = image_pnm(im, 0);
	const struct op_block	*b = r->b;
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
		reserve((void **)&r->st->raster, &r->st->raster_size, o->keep);
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

/* Bytes of the command's standard output (none at its end: nothing to do). */
static void
output_take(void *arg, const uint8_t *data, size_t n)
{
	struct run	*r = arg;
	struct output	*o = &r->out;
	size_t		 k;
	int		 rc;

	while (n > 0 && !o->parsed && o->fault == NULL) {
		k = n < EXEC_HEADER_MAX - o->header_len ? n : EXEC_HEADER_MAX - o->header_len;
		memcpy(r->st->header + o->header_len, data, k);
		o->header_len += k;
		data += k;
		n -= k;
		rc = pnm_parse(r->st->header, o->header_len, &o->pnm, &k, &o->fault);
		if (rc == 0 && o->header_len == EXEC_HEADER_MAX)
			o->fault = xasprintf("a header of more than %d bytes",
			    EXEC_HEADER_MAX);
		if (rc == 1) {
			o->parsed = 1;
			output_check(r);
			if (o->fault == NULL)
				output_raster(o, r->st->raster, r->st->header + k,
				    o->header_len - k);
		}
	}
	if (o->parsed && o->fault == NULL)
		output_raster(o, r->st->raster, data, n);
}

/* With the command done, the block's rows into out, or why they cannot be had. */
static int
output_finish(struct run *r, void *out, char **cause)
{
	struct output	*o = &r->out;
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
	pnm_convert(&o->pnm, r->st->raster, (size_t)r->b->rows * r->st->im.width,
	    r->st->im.samples, out);
	return 0;
}

/* One line of the command's standard error, passed on with -v (else kept in the tail). */
static void
errors_line(struct run *r)
{
	struct errors	*e = &r->err;
	size_t		 n = e->line_len;

	if (n > 0 && e->line[n - 1] == '\r')
		n--;
	if (r->b->verbose)
		say("block %u: %.*s", r->b->n, (int)n, e->line);
	e->line_len = 0;
}

/* Bytes of the command's standard error; none at its end, where its last line may be. */
static void
errors_take(void *arg, const uint8_t *data, size_t n)
{
	struct run	*r = arg;
	struct errors	*e = &r->err;
	size_t		 i;

	if (n == 0 && e->line_len > 0)
		errors_line(r);
	for (i = 0; i < n; i++) {
		if (data[i] != '\n')
			e->line[e->line_len++] = (char)data[i];
		if (data[i] == '\n' || e->line_len == sizeof e->line)
			errors_line(r);
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

/*
 * The environment the command gets: ours, without any BLUR_WIDTH ... we set, then those
 * (BLUR_FRAME only in a job of -frames). What we added starts at *mine, for env_free().
 */
static char **
env_make(const struct run *r, size_t *mine)
{
	static const char *const names[] = { "BLUR_WIDTH", "BLUR_HEIGHT", "BLUR_BLOCK",
				    "BLUR_Y", "BLUR_ROWS", "BLUR_TOP", "BLUR_BOTTOM",
				    "BLUR_SAMPLES", "BLUR_DEPTH", "BLUR_FRAME" };
	const struct op_image	*im = &r->st->im;
	const struct op_block	*b = r->b;
	const long		 values[] = { im->width, im->height, b->n, b->y, b->rows,
				    b->top, b->bottom, im->samples, im->bits, r->st->frame };
	const size_t		 count = sizeof names / sizeof names[0];
	size_t			 n, i, j, k, len;
	char			**env;

	for (n = 0; environ[n] != NULL; n++)
		continue;
	env = xreallocarray(NULL, n + count + 1, sizeof *env);
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < count; j++) {
			len = strlen(names[j]);
			if (strncmp(environ[i], names[j], len) == 0 && environ[i][len] == '=')
				break;
		}
		if (j == count)
			env[k++] = environ[i];
	}
	*mine = k;
	for (j = 0; j < count; j++)
		if (values[j] >= 0)
			env[k++] = xasprintf("%s=%ld", names[j], values[j]);
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

/* Why the command's end fails the block, or 0. */
static int
exec_status(const struct child_exit *how, char **cause)
{
	int	s = how->status;

	if (how->cancelled)
		*cause = xstrdup("cancelled");
	else if (how->error != 0)
		*cause = xasprintf("cannot start %s: %s", EXEC_SHELL, strerror(how->error));
	else if (WIFEXITED(s) && WEXITSTATUS(s) != 0)
		*cause = xasprintf("the command exited with status %d", WEXITSTATUS(s));
	else if (!WIFEXITED(s))
		*cause = xasprintf("the command was killed by signal %d (%s)", WTERMSIG(s),
		    strsignal(WTERMSIG(s)));
	else
		return 0;
	return -1;
}

/* The block's image for the command's stdin: its header, then its rows. */
static void
exec_input(struct run *r, const void *in, char *header)
{
	struct exec_state	*st = r->st;
	const struct op_block	*b = r->b;
	struct pnm		 p = image_pnm(&st->im, b->top + b->rows + b->bottom);
	size_t			 pixels = (size_t)p.width * p.height;

	r->put[0].iov_base = header;
	r->put[0].iov_len = pnm_header(&p, header);
	r->put[1].iov_base = (void *)(uintptr_t)in;
	r->put[1].iov_len = pixels * p.depth * (st->im.bits / 8);
	if (st->im.bits == 16) {
		reserve((void **)&st->input, &st->input_size, r->put[1].iov_len);
		pnm_convert(&p, in, pixels, p.depth, st->input);
		r->put[1].iov_base = st->input;
	}
}

/* A failed block's last stderr, not passed on as it came: said now, line by line. */
static void
say_lines(const struct op_block *b)
{
	const char	*p, *nl;

	for (p = b->detail; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		say("block %u: %.*s", b->n, (int)(nl - p - (nl > p && nl[-1] == '\r')), p);
	}
}

static int
exec_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	struct run		*r = xcalloc(1, sizeof *r);
	struct exec_state	*st = state;
	char			 header[PNM_HEADER_TEXT], **env;
	char			*argv[] = { "sh", "-c", st->command, NULL };
	struct child_io		 io = { NULL, 0, output_take, errors_take, r, b->cancelled,
				    b->arg };
	struct child		*c;
	struct child_exit	 how;
	size_t			 mine;
	int			 rc = -1;

	r->st = st;
	r->b = b;
	if (in != NULL) {
		exec_input(r, in, header);
		io.in = r->put;
		io.in_count = 2;
	}
	env = env_make(r, &mine);
	c = child_start(EXEC_SHELL, argv, env, &io, cause);
	env_free(env, mine);
	if (c != NULL) {
		child_wait(c, &how);
		rc = exec_status(&how, cause);
	}
	if (rc == 0)
		rc = output_finish(r, out, cause);
	if (rc == -1 && r->err.tail_len > 0) {
		b->detail = errors_detail(&r->err);
		if (!b->verbose)
			say_lines(b);
	}
	free(r->out.fault);
	free(r);
	return rc;
}

const struct op op_exec = {
	.name = "exec",
	.summary = "runs a command on each block, PNM/PAM in and out (see blur(1))",
	.halo_text = "-halo rows above and below",
	.params = {
		{ "command", OP_TEXT, 0, 0, NULL, "the command, run by /bin/sh -c" },
		{ "halo", OP_INT, 0, 100000, "0", "rows it gets above and below a block" },
		{ "frame", OP_INT, -1, 1000000000, "-1",
		    "BLUR_FRAME in its environment, -1 none (set by -frames)" },
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
