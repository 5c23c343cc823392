/*
 * batch.c — many inputs, one job each, in order (see batch.h).
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "batch.h"
#include "image.h"
#include "joblog.h"
#include "util.h"

/* The extension of a file's name, from its dot; NULL if it has none. */
static const char *
extension(const char *name)
{
	const char	*base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
	const char	*dot = strrchr(base, '.');

	return dot == NULL || dot == base ? NULL : dot;
}

int
batch_tiff_name(const char *name)
{
	const char	*dot = extension(name);

	return dot == NULL || strcasecmp(dot, ".tif") == 0 || strcasecmp(dot, ".tiff") == 0;
}

char *
batch_input_refusal(const char *input)
{
	const char	*what, *dot = extension(input);
	size_t		 stem = dot != NULL ? (size_t)(dot - input) : strlen(input);
	char		*cause, *tif, *why, *path = NULL;
	uint32_t	 page;
	int		 r;

	batch_page(input, &path, &page);
	r = image_sniff(path != NULL ? path : input, &what, &cause);
	free(path);
	if (r == -1) {
		why = xasprintf("%s: %s", input, cause);
		free(cause);
		return why;
	}
	if (what == NULL)
		return NULL;
	tif = xasprintf("%.*s.tif", (int)stem, input);
	why = xasprintf("%s: %s, not a TIFF; convert it first: convert %s %s (or vips copy "
	    "%s %s)", input, what, input, tif, input, tif);
	free(tif);
	return why;
}

int
batch_page(const char *in, char **path, uint32_t *page)
{
	const char	*open = strrchr(in, '[');
	size_t		 digits;
	struct stat	 st;

	if (open == NULL || stat(in, &st) == 0)
		return 0;
	digits = strspn(open + 1, "0123456789");
	if (digits == 0 || digits > 9 || strcmp(open + 1 + digits, "]") != 0)
		return 0;
	*path = xasprintf("%.*s", (int)(open - in), in);
	*page = (uint32_t)strtoul(open + 1, NULL, 10);
	return 1;
}

char *
batch_default_output(const char *input)
{
	char		*path, *name, *paged;
	const char	*dot;
	uint32_t	 page;

	if (!batch_page(input, &path, &page))
		return master_output_name(input);
	name = master_output_name(path);
	if ((dot = extension(name)) == NULL)
		dot = name + strlen(name);
	paged = xasprintf("%.*s-%u%s", (int)(dot - name), name, page, dot);
	free(name);
	free(path);
	return paged;
}

/* How many %d conversions the pattern holds, or -1 if it holds another one. */
static int
conversions(const char *pattern)
{
	const char	*p;
	int		 n = 0;

	for (p = strchr(pattern, '%'); p != NULL; p = strchr(p, '%')) {
		if (*++p == '%') {
			p++;
			continue;
		}
		p += strspn(p, "-+ 0#");
		p += strspn(p, "0123456789");
		if (*p++ != 'd')
			return -1;
		n++;
	}
	return n;
}

/* Whether a name ends in /. */
static int
slashed(const char *name)
{
	size_t	len = strlen(name);

	return len > 0 && name[len - 1] == '/';
}

/* Whether -o names a directory: one that exists, or any name ending in /. */
static int
directory(const char *output)
{
	struct stat	st;

	return slashed(output) || (stat(output, &st) == 0 && S_ISDIR(st.st_mode));
}

const char *
batch_output_refusal(const char *output, size_t count)
{
	int	n;

	if (output == NULL || directory(output))
		return NULL;
	if ((n = conversions(output)) == 1)
		return NULL;
	if (n == -1 || n > 1)
		return "a pattern takes one %d (flags and a width allowed; %% for a %)";
	return count > 1 ? "with several inputs, -o names a directory (end it in /) or "
	    "a pattern such as out-%03d.tif" : NULL;
}

char *
batch_output(const char *output, const char *input, size_t seq)
{
	char		*name, *path;
	const char	*base;

	if (input == NULL)
		return xasprintf(output, (int)seq);
	if (output == NULL)
		return batch_default_output(input);
	if (!directory(output))
		return conversions(output) == 1 ? xasprintf(output, (int)seq) :
		    xstrdup(output);
	name = batch_default_output(input);
	base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
	path = xasprintf("%s%s%s", output, slashed(output) ? "" : "/", base);
	free(name);
	return path;
}

int
batch_frames_parse(struct batch_opts *b, const char *spec)
{
	unsigned long	 first, last;
	char		*end;

	errno = 0;
	first = strtoul(spec, &end, 10);
	last = *end == '-' ? strtoul(end + 1, &end, 10) : first;
	if (*spec < '0' || *spec > '9' || *end != '\0' || errno != 0 || last < first ||
	    last > INT_MAX || last - first >= 1000000)
		return -1;
	b->first_frame = (long)first;
	b->count = last - first + 1;
	return 0;
}

int
batch_halt_parse(struct batch_opts *b, const char *spec)
{
	unsigned	n;
	char		when[8], pct[2];
	int		got;

	if (strcmp(spec, "never") == 0) {
		b->halt = HALT_NEVER;
		return 0;
	}
	got = sscanf(spec, "%7[a-z],fail=%u%1[%]", when, &n, pct);
	if (got < 2 || n == 0 || (strcmp(when, "now") != 0 && strcmp(when, "soon") != 0) ||
	    strspn(spec + strlen(when) + 6, "0123456789%") != strlen(spec + strlen(when) + 6) ||
	    (got == 3 && n > 100))
		return -1;
	b->halt = when[0] == 'n' ? HALT_NOW : HALT_SOON;
	b->halt_fail = n;
	b->halt_percent = got == 3;
	return 0;
}

/* Whether `failed` failures halt the batch. */
static int
halted(const struct batch_opts *b, size_t failed)
{
	if (b->halt == HALT_NEVER || failed == 0)
		return 0;
	return b->halt_percent ? failed * 100 >= (size_t)b->halt_fail * b->count :
	    failed >= b->halt_fail;
}

/* The wall clock, in seconds since the epoch: Starttime's. */
static double
epoch(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* A file's size, or 0. */
static uint64_t
size_of(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*
 * One job, its input and output in o: checked as the single job's are, then run. 0, -1
 * with *cause, or the signal that stopped it.
 */
static int
run_job(const struct master_opts *o, char **cause)
{
	if (o->input != NULL && (*cause = batch_input_refusal(o->input)) != NULL)
		return -1;
	if (!batch_tiff_name(o->output)) {
		*cause = xasprintf("%s: blur writes TIFF only; name the output .tif or .tiff",
		    o->output);
		return -1;
	}
	return master_run(o, cause);
}

/* The state of a batch as it goes. */
struct batch_state {
	struct joblog	*log;
	size_t		 failed, skipped, run;
	int		 signo;
};

/* A frame's job: the render's operation with BLUR_FRAME set (the exec op's frame). */
static void
frame_args(struct op_args *args, const struct op_args *render, long frame)
{
	char	text[24], *cause;

	op_args_copy(args, render);
	snprintf(text, sizeof text, "%ld", frame);
	if (op_set(args, "frame", text, &cause) == -1)
		fatal("%s", cause);	/* a render is -exec's, which takes frames */
}

/* Job seq of the batch: skipped if -resume finds it done, else run and logged. */
static void
batch_job(struct batch_state *p, const struct master_opts *o, const char *output,
    const struct batch_opts *b, size_t seq)
{
	struct master_opts	 jo = *o;
	struct joblog_entry	 e = { .seq = seq, .start = epoch() };
	struct op_args		 args = { 0 };
	long			 frame = b->inputs == NULL ? b->first_frame + (long)seq - 1 : -1;
	char			*out, *command, *cause = NULL, *why = NULL, *path = NULL;
	double			 t = now();
	uint32_t		 page;
	int			 r;

	jo.input = b->inputs != NULL ? b->inputs[seq - 1] : NULL;
	jo.output = out = batch_output(output, jo.input, frame >= 0 ? (size_t)frame : seq);
	command = joblog_command(jo.input, frame, out);
	if (jo.input != NULL && batch_page(jo.input, &path, &page)) {
		jo.input = path;
		jo.page = (int)page;
	}
	if (frame >= 0) {
		frame_args(&args, o->args, frame);
		jo.args = &args;
	}
	if (o->resume && (size_of(out) > 0 || joblog_done(p->log, command))) {
		p->skipped++;
		goto out;
	}
	/* Only the first job not done can be the one a dead master left in DIR. */
	jo.resume = o->resume && p->run == 0;
	p->run++;
	if ((r = run_job(&jo, &cause)) != 0) {
		say("%s", cause);
		p->failed++;
	}
	p->signo = r > 0 ? r : 0;
	e.runtime = now() - t;
	e.send = jo.input != NULL ? size_of(jo.input) : 0;
	e.receive = r == 0 ? size_of(out) : 0;
	e.exitval = r != 0;
	e.signal = p->signo;
	e.command = command;
	if (p->log != NULL && joblog_add(p->log, &e, &why) == -1) {
		say("%s", why);
		free(why);
	}
out:
	op_args_free(&args);
	free(path);
	free(cause);
	free(command);
	free(out);
}

int
batch_run(const struct master_opts *o, const char *output, const struct batch_opts *b)
{
	struct batch_state	 p = { 0 };
	char				*cause;
	size_t				 seq;

	if (output != NULL && slashed(output) && mkdir(output, 0777) == -1 &&
	    errno != EEXIST)
		fatal("%s: %s", output, strerror(errno));
	if (b->joblog != NULL && (p.log = joblog_open(b->joblog, o->resume, &cause)) == NULL)
		fatal("%s", cause);
	for (seq = 1; seq <= b->count && p.signo == 0 && !halted(b, p.failed); seq++)
		batch_job(&p, o, output, b, seq);
	joblog_close(p.log);
	if (p.skipped > 0 && o->verbosity >= 0)
		say("-resume: %zu job%s done already, skipped", p.skipped,
		    p.skipped == 1 ? "" : "s");
	/* A signal was said by the master that it stopped. */
	if (p.signo == 0 && seq <= b->count)
		say("halting after %zu failed job%s (-halt): %zu not started", p.failed,
		    p.failed == 1 ? "" : "s", b->count - seq + 1);
	else if (p.signo == 0 && p.failed > 0 && b->count > 1)
		say("%zu of %zu jobs failed", p.failed, b->count);
	return p.failed > 0 || p.signo != 0 ? 1 : 0;
}
