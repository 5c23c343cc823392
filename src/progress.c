/* progress.c — see progress.h. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

#define BAR		24	/* characters of the bar */
#define REDRAW		0.1	/* seconds between redraws of the live line */

/* "s" for a count of other than one, "" for one: the plural of a noun. */
static const char *
plural(uint32_t n)
{
	return n == 1 ? "" : "s";
}

uint32_t
progress_percent(uint32_t part, uint32_t whole)
{
	uint32_t	pct = (uint32_t)(((uint64_t)part * 200 + whole) / (2 * (uint64_t)whole));

	return pct == 100 && part < whole ? 99 : pct;
}

/* The estimated time left, from the rate so far. */
static const char *
eta_text(const struct progress *p, double elapsed, char *buf)
{
	uint32_t	done = p->tally.done;

	if (done == 0)
		return "?";
	return clock_text(elapsed * (p->total - done) / done, buf);
}

void
progress_start(struct progress *p, const struct job *job, int verbosity)
{
	memset(p, 0, sizeof *p);
	p->verbosity = verbosity;
	p->tty = verbosity >= 0 && isatty(STDERR_FILENO);
	p->total = job->blocks;
	p->start = now();
	p->changed = 1;
}

void
progress_open(struct progress *p, const struct job *job)
{
	char	*what;

	if (p->verbosity < 0 || p->tty)
		return;
	what = op_describe(&job->args);
	say("%s: %u block%s of %u row%s, %s", job->render ? job->output : job->input,
	    job->blocks, plural(job->blocks), job->rows, plural(job->rows), what);
	free(what);
}

/* Clear the live line, if one is drawn, so that a message can take its place. */
void
progress_clear(struct progress *p)
{
	if (p->tty && p->drawn != 0) {
		fputs("\r\033[K", stderr);
		p->drawn = 0;
	}
}

void
progress_say(struct progress *p, const char *fmt, ...)
{
	va_list	ap;

	if (p->verbosity < 0)
		return;
	progress_clear(p);
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* The name a slave is counted under: its signature, if it could be read. */
static const char *
counted(const char *who)
{
	return who[0] != '\0' ? who : "unknown";
}

void
progress_done(struct progress *p, const char *who)
{
	p->tally.done++;
	tally_add(&p->tally, counted(who));
	p->changed = 1;
}

void
progress_undo(struct progress *p, const char *who)
{
	uint32_t	i;

	p->tally.done--;
	for (i = 0; i < p->tally.nslaves; i++)
		if (strcmp(p->tally.slaves[i].who, counted(who)) == 0)
			p->tally.slaves[i].blocks--;
	p->changed = 1;
}

void
progress_reissue(struct progress *p)
{
	p->tally.reissues++;
	p->changed = 1;
}

void
progress_failure(struct progress *p)
{
	p->tally.failures++;
	p->changed = 1;
}

void
progress_draw(struct progress *p, uint32_t working, int force)
{
	double		t = now(), elapsed = t - p->start;
	uint32_t	done = p->tally.done, pct = progress_percent(done, p->total);
	uint32_t	fill = done * BAR / p->total, decile = done * 10 / p->total;
	char		bar[BAR + 1], e[CLOCK_TEXT], eta[CLOCK_TEXT];

	if (p->verbosity < 0)
		return;
	if (!p->tty) {
		if (decile > p->decile) {
			p->decile = decile;
			say("%u%% (%u/%u block%s), %s elapsed", pct, done, p->total,
			    plural(p->total), clock_text(elapsed, e));
		}
		return;
	}
	if (!force && p->drawn != 0 && t - p->drawn < REDRAW)
		return;
	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR - fill);
	bar[BAR] = '\0';
	fprintf(stderr, "\r[%s] %u/%u block%s %3u%%  %u slave%s at work  %s elapsed"
	    "  ETA %s\033[K", bar, done, p->total, plural(p->total), pct, working,
	    plural(working), clock_text(elapsed, e),
	    eta_text(p, elapsed, eta));
	fflush(stderr);
	p->drawn = t;
}

void
progress_end(struct progress *p, const char *output)
{
	uint32_t	i;

	if (p->verbosity < 0)
		return;
	if (p->tty) {
		progress_draw(p, 0, 1);
		fputc('\n', stderr);
		p->drawn = 0;
	}
	say("wrote %s: %u block%s in %.2f s, %u reissue%s, %u failure%s", output,
	    p->total, plural(p->total), now() - p->start, p->tally.reissues,
	    plural(p->tally.reissues), p->tally.failures, plural(p->tally.failures));
	for (i = 0; i < p->tally.nslaves; i++)
		say("  %s: %u block%s (%u%%)", p->tally.slaves[i].who,
		    p->tally.slaves[i].blocks, plural(p->tally.slaves[i].blocks),
		    progress_percent(p->tally.slaves[i].blocks, p->total));
}

void
progress_free(struct progress *p)
{
	tally_free(&p->tally);
}
