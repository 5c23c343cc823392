/*
 * blur.c — the command line: blur -master IN [options] | blur -slave | blur -status.
 *
 * Exit status: 0 done, 1 the job failed (one line says why), 2 bad usage, 3 (-status)
 * no job is running in DIR.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "batch.h"
#include "blocks.h"
#include "image.h"
#include "job.h"
#include "master.h"
#include "op.h"
#include "reduce.h"
#include "slave.h"
#include "status.h"
#include "util.h"
#include "watch.h"

#define DEFAULT_DIR	"/tmp/blur"
#define DEFAULT_RETRIES	3

enum { OPT_MASTER = 256, OPT_SLAVE, OPT_STATUS, OPT_DIR, OPT_OP, OPT_EXEC,
    OPT_SLAVES, OPT_ROWS, OPT_TIMEOUT, OPT_RETRIES, OPT_PERSIST, OPT_WATCH, OPT_HELP,
    OPT_VERSION, OPT_SECRET, OPT_RESUME, OPT_POLL, OPT_OPS, OPT_SIZE, OPT_DEPTH,
    OPT_SAMPLES, OPT_ALLOW_EXEC, OPT_JOBS, OPT_COMPRESS, OPT_QUALITY, OPT_LEVEL,
    OPT_TILE, OPT_STRIP, OPT_BIGTIFF, OPT_OVERVIEWS, OPT_RESAMPLE, OPT_COG, OPT_JOBLOG,
    OPT_HALT, OPT_FRAMES, OPT_PARAM };

static const struct option fixed[] = {
	{ "master",	required_argument,	NULL, OPT_MASTER },
	{ "slave",	no_argument,		NULL, OPT_SLAVE },
	{ "status",	no_argument,		NULL, OPT_STATUS },
	{ "ops",	no_argument,		NULL, OPT_OPS },
	{ "o",		required_argument,	NULL, 'o' },
	{ "dir",	required_argument,	NULL, OPT_DIR },
	{ "op",		required_argument,	NULL, OPT_OP },
	{ "filter",	required_argument,	NULL, OPT_OP },
	{ "exec",	required_argument,	NULL, OPT_EXEC },
	{ "size",	required_argument,	NULL, OPT_SIZE },
	{ "depth",	required_argument,	NULL, OPT_DEPTH },
	{ "samples",	required_argument,	NULL, OPT_SAMPLES },
	{ "slaves",	required_argument,	NULL, OPT_SLAVES },
	{ "rows",	required_argument,	NULL, OPT_ROWS },
	{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
	{ "retries",	required_argument,	NULL, OPT_RETRIES },
	{ "persist",	no_argument,		NULL, OPT_PERSIST },
	{ "allow-exec",	no_argument,		NULL, OPT_ALLOW_EXEC },
	{ "j",		required_argument,	NULL, OPT_JOBS },
	{ "watch",	no_argument,		NULL, OPT_WATCH },
	{ "secret",	required_argument,	NULL, OPT_SECRET },
	{ "resume",	no_argument,		NULL, OPT_RESUME },
	{ "poll",	required_argument,	NULL, OPT_POLL },
	{ "compress",	required_argument,	NULL, OPT_COMPRESS },
	{ "quality",	required_argument,	NULL, OPT_QUALITY },
	{ "level",	required_argument,	NULL, OPT_LEVEL },
	{ "tile",	required_argument,	NULL, OPT_TILE },
	{ "strip",	required_argument,	NULL, OPT_STRIP },
	{ "bigtiff",	required_argument,	NULL, OPT_BIGTIFF },
	{ "overviews",	required_argument,	NULL, OPT_OVERVIEWS },
	{ "resample",	required_argument,	NULL, OPT_RESAMPLE },
	{ "cog",	no_argument,		NULL, OPT_COG },
	{ "joblog",	required_argument,	NULL, OPT_JOBLOG },
	{ "halt",	required_argument,	NULL, OPT_HALT },
	{ "frames",	required_argument,	NULL, OPT_FRAMES },
	{ "q",		no_argument,		NULL, 'q' },
	{ "v",		no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, OPT_HELP },
	{ "version",	no_argument,		NULL, OPT_VERSION },
};
#define FIXED		(sizeof fixed / sizeof fixed[0])
#define PARAMS_MAX	32	/* distinct parameter names over every operation */

/*
 * The options: the fixed ones, then each operation's parameters, each name once
 * (-radius serves gaussian, box, unsharp and median), as OPT_PARAM + its index.
 */
static void
make_options(struct option *options)
{
	const struct op_param	*p;
	size_t			 n = FIXED, i, k;
	int			 j;

	memcpy(options, fixed, sizeof fixed);
	for (i = 0; op_table[i] != NULL; i++)
		for (j = 0; j < OP_PARAMS && op_table[i]->params[j].name != NULL; j++) {
			p = &op_table[i]->params[j];
			for (k = FIXED; k < n; k++)
				if (strcmp(options[k].name, p->name) == 0)
					break;
			if (k < n)
				continue;
			if (n == FIXED + PARAMS_MAX)
				fatal("more than %d parameter names", PARAMS_MAX);
			options[n] = (struct option){ p->name, required_argument, NULL,
			    OPT_PARAM + (int)(n - FIXED) };
			n++;
		}
	options[n] = (struct option){ NULL, 0, NULL, 0 };
}

static const char synopsis[] =
    "usage: blur -master IN... [-o OUT] [-op NAME [-PARAM VALUE ...]] [-exec CMD [-halo N]]\n"
    "                   [-dir DIR] [-slaves N] [-rows N] [-timeout SEC] [-retries K]\n"
    "                   [-secret FILE] [-resume] [-poll MS] [-q|-v]\n"
    "                   [-compress C [-quality Q] [-level N]] [-tile WxH|-strip ROWS]\n"
    "                   [-bigtiff yes|no|auto] [-overviews N|auto]\n"
    "                   [-resample average|nearest|mode] [-cog]\n"
    "                   [-joblog FILE] [-halt now|soon,fail=N|P%]\n"
    "       blur -master -size WxH [-depth 8|16] [-samples N] -exec CMD -o OUT ...\n"
    "                   [-frames A-B]\n"
    "       blur -slave [-dir DIR] [-j N] [-persist] [-allow-exec] [-secret FILE]\n"
    "                   [-poll MS] [-q|-v]\n"
    "       blur -status [-dir DIR] [-watch]\n"
    "       blur -ops | -help | --version\n";

/* The host's cores online: a slave's workers by default. */
static long
cores(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

static void __attribute__((noreturn))
help(void)
{
	char	*codecs = image_compressions();

	printf("%s\n"
	    "Run an operation on a TIFF image, block by block, with slaves on any hosts\n"
	    "that share DIR.\n\n"
	    "  -master IN...   process IN; write OUT when every block is in; several\n"
	    "                  inputs are a batch, one job each, in order\n"
	    "  -o OUT          output TIFF (default: IN with -blur before the extension);\n"
	    "                  for a batch a directory (DIR/) or a pattern (out-%%03d.tif)\n"
	    "  -joblog FILE    log each job of a batch in GNU parallel's --joblog columns\n"
	    "  -halt H         now|soon,fail=N|P%%: end a batch after N failed jobs (or P%%\n"
	    "                  of them); by default every job is run\n"
	    "  -op NAME        the operation (default gaussian; -filter is another name\n"
	    "                  for it); blur -ops lists each with its parameters, such as\n"
	    "                  -radius R (default 4) and -sigma S (default R/2)\n"
	    "  -exec CMD       run CMD with /bin/sh on each block: PNM/PAM in and out\n"
	    "  -halo N         with -exec: rows above and below a block CMD is given\n"
	    "  -size WxH       no input: CMD renders each block (-depth 8|16, -samples N)\n"
	    "  -frames A-B     a render of frames A to B, one job each: BLUR_FRAME in\n"
	    "                  CMD's environment, the frame's number in -o's %%d\n"
	    "  -slaves N       also start N slaves on this host (default 0)\n"
	    "  -rows N         block height (default: height/64, but at least 16, 8 halos\n"
	    "                  and 2 MiB of pixels, at most 12 MiB)\n"
	    "  -timeout SEC    reissue a block claimed this long ago (default: %d until a\n"
	    "                  block is in, then %d times the slowest, at least %d)\n"
	    "  -retries K      fail the job when one block failed K times (default %d)\n"
	    "  -resume         continue the job a dead master left in DIR\n"
	    "  -compress C     the output's compression: %s\n"
	    "                  (default: the input's if lossless, else deflate)\n"
	    "  -quality Q      of jpeg (default 75) and webp (default: lossless), 1-100\n"
	    "  -level N        of deflate (1-12), zstd (1-22) and lzma (1-9)\n"
	    "  -tile WxH       a tiled output, in multiples of 16 (default: the input's\n"
	    "                  tiles; -strip ROWS: strips of ROWS rows, about 256 KiB)\n"
	    "  -bigtiff B      yes, no, or auto (default): when the output could pass 4 GiB\n"
	    "  -overviews N    reduced levels, each half the one above (default: as many\n"
	    "                  as the input has); auto: down to one 512x512 tile\n"
	    "  -resample R     how levels are made: average (default), nearest or mode\n"
	    "  -cog            a Cloud Optimized GeoTIFF, as GDAL's COG driver lays it out\n"
	    "                  (512x512 tiles and -overviews auto unless given)\n"
	    "  -slave          work on the job in DIR until it ends\n"
	    "  -j N            with -slave: N blocks at once (default: the cores, %ld)\n"
	    "  -persist        with -slave: then wait for the next job\n"
	    "  -allow-exec     with -slave: run -exec jobs that have no secret\n"
	    "  -status         show the job in DIR and a map of its blocks\n"
	    "  -watch          with -status: refresh every second until the job ends\n"
	    "  -dir DIR        shared directory (default: $BLUR_DIR, else %s)\n"
	    "  -secret FILE    sign the job and results with a key from FILE, which every\n"
	    "                  host has and DIR never sees (default: $BLUR_SECRET_FILE)\n"
	    "  -poll MS        look for changes in DIR every MS milliseconds, without\n"
	    "                  inotify (default: inotify on a local filesystem, else\n"
	    "                  polling every %d ms)\n"
	    "  -q, -v          quiet; verbose (claims, results, reissues)\n"
	    "  -ops            list the operations, their parameters and halos\n"
	    "  -help, --help   this text;  --version  the version\n\n"
	    "Exit status: 0 done, 1 failed, 2 bad usage, 3 no job (-status).\n",
	    synopsis, BLOCKS_TIMEOUT, TIMEOUT_FACTOR, TIMEOUT_FLOOR, DEFAULT_RETRIES,
	    codecs, cores(), DEFAULT_DIR, WATCH_POLL);
	free(codecs);	/* LeakSanitizer looks at exit */
	exit(0);
}

/*
 * A one-line complaint and where to look, then exit 2: the mistake stays in sight, not
 * scrolled away by the synopsis (as GNU tools do).
 */
static void __attribute__((noreturn)) printflike(1, 2)
usage(const char *fmt, ...)
{
	va_list	ap;

	fputs("blur: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'blur -help'.\n", stderr);
	exit(2);
}

/* A whole number in [min, max], or a usage error naming the option. */
static uint32_t
number(const char *opt, const char *s, unsigned long min, unsigned long max)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < min ||
	    v > max)
		usage("-%s '%s': must be a whole number from %lu to %lu", opt, s,
		    min, max);
	return v;
}

/* A positive real number no larger than max. */
static double
real(const char *opt, const char *s, double max)
{
	double	 v;
	char	*end;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v <= 0 ||
	    v > max)
		usage("-%s '%s': must be a number above 0 and at most %g", opt, s,
		    max);
	return v;
}

/* The option getopt could not take, for the message. */
static void __attribute__((noreturn))
bad_option(const struct option *options, char **argv)
{
	const char	*arg = argv[optind - 1];
	size_t		 i;

	for (i = 0; options[i].name != NULL; i++)
		if (options[i].has_arg == required_argument &&
		    strcmp(arg + (arg[1] == '-' ? 2 : 1), options[i].name) == 0)
			usage("%s needs a value", arg);
	usage("unknown option %s", arg);
}

/* The command line, as getopt found it. */
struct cmdline {
	struct master_opts	 o;
	int			 master, slave, status, ops, persist, watch;
	int			 allow_exec;
	int			 layout;	/* an option of the output's layout given */
	uint32_t		 jobs;		/* -j, 0 when not given */
	const char		*op;		/* -op, -filter, or exec for -exec */
	const char		*size;
	struct batch_opts	 batch;		/* the inputs, -joblog, -halt */
	uint32_t		 nparams;	/* the operation's values, in order given */
	const char		*param[PARAMS_MAX * 2];
	const char		*value[PARAMS_MAX * 2];
};

/* Keep an operation's value for later: the operation may not be named yet. */
static void
keep_param(struct cmdline *cl, const char *name, const char *value)
{
	if (cl->nparams == PARAMS_MAX * 2)
		usage("too many operation parameters");
	cl->param[cl->nparams] = name;
	cl->value[cl->nparams++] = value;
}

/* -tile WxH, or -tile N for square tiles: multiples of 16, as TIFF has them. */
static void
tile_size(struct layout_ask *ask, const char *s)
{
	unsigned	w, h;
	char		end;
	int		n = sscanf(s, "%ux%u%c", &w, &h, &end);

	if (n == 1)
		h = w;
	if ((n != 1 && n != 2) || w == 0 || h == 0 || w % 16 != 0 || h % 16 != 0 ||
	    w > 65536 || h > 65536)
		usage("-tile '%s': must be WxH (or N), multiples of 16 up to 65536", s);
	ask->tile_width = w;
	ask->tile_height = h;
}

/* One option of the output's layout (layout.h). */
static void
layout_option(struct cmdline *cl, int c, const char *arg)
{
	struct layout_ask	*ask = &cl->o.layout;
	char			*list;
	int			 r;

	cl->layout = 1;
	switch (c) {
	case OPT_COMPRESS:
		if ((ask->compression = image_compression(arg)) == 0) {
			list = image_compressions();
			usage("-compress '%s': must be one of %s", arg, list);
		}
		break;
	case OPT_QUALITY:	ask->quality = number("quality", arg, 1, 100); break;
	case OPT_LEVEL:		ask->level = number("level", arg, 1, 22); break;
	case OPT_TILE:		tile_size(ask, arg); break;
	case OPT_STRIP:		ask->strip_rows = number("strip", arg, 1, UINT32_MAX); break;
	case OPT_BIGTIFF:
		if (strcmp(arg, "yes") != 0 && strcmp(arg, "no") != 0 &&
		    strcmp(arg, "auto") != 0)
			usage("-bigtiff '%s': must be yes, no or auto", arg);
		ask->bigtiff = arg[0] == 'y' ? LAYOUT_YES : arg[0] == 'n' ? LAYOUT_NO :
		    LAYOUT_AUTO;
		break;
	case OPT_OVERVIEWS:
		cl->o.overviews = strcmp(arg, "auto") == 0 ? OVERVIEWS_AUTO :
		    (int)number("overviews", arg, 0, JOB_LEVELS_MAX);
		break;
	case OPT_RESAMPLE:
		if ((r = reduce_parse(arg)) == -1)
			usage("-resample '%s': must be average, nearest or mode", arg);
		cl->o.resample = (uint32_t)r;
		break;
	case OPT_COG:
		cl->o.cog = 1;
		break;
	}
}

/* One option of the master's job, the slave's or -status'; 0, or -1 if not one. */
static int
job_option(struct cmdline *cl, int c, const struct option *options)
{
	struct master_opts	*o = &cl->o;

	switch (c) {
	case 'o':		o->output = optarg; break;
	case OPT_DIR:		o->dir = optarg; break;
	case OPT_OP:		cl->op = optarg; break;
	case OPT_EXEC:		cl->op = "exec"; keep_param(cl, "command", optarg); break;
	case OPT_SIZE:		cl->size = optarg; break;
	case OPT_DEPTH:		o->depth = number("depth", optarg, 8, 16); break;
	case OPT_SAMPLES:	o->samples = number("samples", optarg, 1, 4); break;
	case OPT_ROWS:		o->rows = number("rows", optarg, 1, UINT32_MAX); break;
	case OPT_SLAVES:	o->slaves = number("slaves", optarg, 0, 1024); break;
	case OPT_TIMEOUT:	o->timeout = real("timeout", optarg, 1e6); break;
	case OPT_RETRIES:	o->retries = number("retries", optarg, 1, 1000); break;
	case OPT_SECRET:	o->secret = optarg; break;
	case OPT_RESUME:	o->resume = 1; break;
	case OPT_POLL:		o->poll = number("poll", optarg, 1, 60000); break;
	case OPT_COMPRESS:
	case OPT_QUALITY:
	case OPT_LEVEL:
	case OPT_TILE:
	case OPT_STRIP:
	case OPT_BIGTIFF:
	case OPT_OVERVIEWS:
	case OPT_RESAMPLE:
	case OPT_COG:		layout_option(cl, c, optarg); break;
	case 'q':		o->verbosity = -1; break;
	case 'v':		o->verbosity = 1; break;
	default:
		if (c < OPT_PARAM)
			return -1;
		keep_param(cl, options[FIXED + c - OPT_PARAM].name, optarg);
	}
	return 0;
}

/* Read the command line into cl. */
static void
parse(int argc, char **argv, struct cmdline *cl, const struct option *options)
{
	int	c;

	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_MASTER:
			/* A render has no input: -master -size WxH ... */
			if (optarg[0] == '-' && optarg[1] != '\0')
				optind--;
			else
				cl->o.input = optarg;
			cl->master = 1;
			break;
		case OPT_SLAVE:		cl->slave = 1; break;
		case OPT_STATUS:	cl->status = 1; break;
		case OPT_OPS:		cl->ops = 1; break;
		case OPT_PERSIST:	cl->persist = 1; break;
		case OPT_WATCH:		cl->watch = 1; break;
		case OPT_ALLOW_EXEC:	cl->allow_exec = 1; break;
		case OPT_JOBS:		cl->jobs = number("j", optarg, 1, 1024); break;
		case OPT_JOBLOG:	cl->batch.joblog = optarg; break;
		case OPT_FRAMES:
			if (batch_frames_parse(&cl->batch, optarg) == -1)
				usage("-frames '%s': must be A-B (or A), whole numbers, A <= B",
				    optarg);
			break;
		case OPT_HALT:
			if (batch_halt_parse(&cl->batch, optarg) == -1)
				usage("-halt '%s': must be never, or now or soon with "
				    ",fail=N or ,fail=P%%", optarg);
			break;
		case OPT_HELP:		help();
		case OPT_VERSION:	printf("blur %s\n", PACKAGE_VERSION); exit(0);
		default:
			if (job_option(cl, c, options) == -1)
				bad_option(options, argv);
		}
	}
	/* More inputs: a batch (getopt has moved them after the options). */
	if (optind < argc && (!cl->master || cl->o.input == NULL))
		usage("unexpected argument '%s'", argv[optind]);
	if (cl->o.input == NULL)
		return;
	cl->batch.count = (size_t)(argc - optind) + 1;
	cl->batch.inputs = xcalloc(cl->batch.count, sizeof *cl->batch.inputs);
	cl->batch.inputs[0] = cl->o.input;
	memcpy(cl->batch.inputs + 1, argv + optind, (cl->batch.count - 1) * sizeof *argv);
}

/* The operation and its values, ready for a job: any mistake is a usage error. */
static void
make_args(struct cmdline *cl, struct op_args *args)
{
	char		*cause;
	uint32_t	 i;

	if ((args->op = op_find(cl->op != NULL ? cl->op : "gaussian")) == NULL)
		usage("-op '%s': no such operation (blur -ops lists them)", cl->op);
	for (i = 0; i < cl->nparams; i++)
		if (op_set(args, cl->param[i], cl->value[i], &cause) == -1)
			usage("%s", cause);
	if (op_ready(args, &cause) == -1)
		usage("%s", cause);
	cl->o.args = args;
}

/* The output's name must say TIFF, before any work is done. */
static void
check_output(const struct master_opts *o)
{
	char	*output = o->output != NULL ? xstrdup(o->output) :
		    batch_default_output(o->input);

	if (!batch_tiff_name(output))
		usage("%s: blur writes TIFF only; name the output .tif or .tiff (-o OUT)",
		    output);
	free(output);
}

/* A render's size, from -size WxH, and its defaults. */
static void
render_size(struct cmdline *cl)
{
	struct master_opts	*o = &cl->o;
	unsigned		 w, h;
	char			 end;

	if (sscanf(cl->size, "%ux%u%c", &w, &h, &end) != 2 || w == 0 || h == 0 ||
	    w > 1000000 || h > 1000000)
		usage("-size '%s': must be WxH, each from 1 to 1000000", cl->size);
	if (o->output == NULL)
		usage("a render (-size) needs -o OUT");
	o->width = w;
	o->height = h;
	o->depth = o->depth != 0 ? o->depth : 8;
	o->samples = o->samples != 0 ? o->samples : 3;
	if (o->depth != 8 && o->depth != 16)
		usage("-depth '%u': must be 8 or 16", o->depth);
}

/* A batch: several inputs, or one with -joblog or -halt. */
static int
batch(const struct cmdline *cl)
{
	return cl->batch.count > 1 || cl->batch.joblog != NULL ||
	    cl->batch.halt != HALT_NEVER || cl->batch.first_frame >= 0;
}

/* What goes with what: one mode, and only its options. */
static void
check_modes(struct cmdline *cl)
{
	struct master_opts	*o = &cl->o;
	const char		*why;
	int			 master = cl->master;

	if (cl->slave + cl->status + cl->ops + master != 1)
		usage("give one of -master IN, -slave, -status or -ops");
	if (*o->dir == '\0')
		usage("-dir must not be empty");
	if (cl->persist && !cl->slave)
		usage("-persist goes with -slave");
	if (cl->allow_exec && !cl->slave)
		usage("-allow-exec goes with -slave");
	if (cl->jobs != 0 && !cl->slave)
		usage("-j goes with -slave");
	if (cl->watch && !cl->status)
		usage("-watch goes with -status");
	if (!master && (cl->op != NULL || cl->nparams > 0 || cl->size != NULL))
		usage("an operation and its values go with -master");
	if (master && (o->input == NULL) != (cl->size != NULL))
		usage(o->input == NULL ? "-master needs IN, or -size WxH for a render" :
		    "-size goes with -master and no IN: a render");
	if (cl->size == NULL && (o->depth != 0 || o->samples != 0))
		usage("-depth and -samples go with -size");
	if (cl->layout && !master)
		usage("-compress, -quality, -level, -tile, -strip, -bigtiff, -overviews, "
		    "-resample and -cog go with -master");
	if (o->layout.tile_width != 0 && o->layout.strip_rows != 0)
		usage("-tile and -strip: give one");
	if ((cl->batch.joblog != NULL || cl->batch.halt != HALT_NEVER) && o->input == NULL &&
	    cl->batch.first_frame < 0)
		usage("-joblog and -halt go with -master IN... or -frames");
	if (cl->batch.first_frame >= 0 && cl->size == NULL)
		usage("-frames goes with a render (-size WxH -exec CMD)");
	if (cl->batch.first_frame >= 0 && (o->output == NULL || strchr(o->output, '%') ==
	    NULL))
		usage("-frames needs -o with %%d for the frame's number (-o 'frame-%%04d.tif')");
	if (batch(cl) && (why = batch_output_refusal(o->output, cl->batch.count)) != NULL)
		usage("-o '%s': %s", o->output, why);
	if (o->cog && o->layout.strip_rows != 0)
		usage("-cog writes tiles: -strip does not go with it");
	/* GDAL's COG driver's defaults: 512x512 tiles, overviews down to one tile. */
	if (o->cog && o->layout.tile_width == 0)
		o->layout.tile_width = o->layout.tile_height = 512;
	if (o->cog && o->overviews == OVERVIEWS_INPUT)
		o->overviews = OVERVIEWS_AUTO;
}

/* -slave: work until the job ends, or for ever with -persist. */
static int
slave_main(struct cmdline *cl)
{
	struct slave_opts	 so = { .dir = cl->o.dir, .verbosity = cl->o.verbosity,
				    .secret = cl->o.secret, .poll = cl->o.poll,
				    .allow_exec = cl->allow_exec,
				    .persist = cl->persist, .letgo = -1,
				    .jobs = cl->jobs != 0 ? cl->jobs : (unsigned)cores() };
	char			*cause;
	long			 done;

	do {
		if ((done = slave_run(&so, &cause)) == -1 && cl->persist &&
		    so.refusal) {
			say("%s", cause);	/* and wait for the next job */
			free(cause);
			continue;
		}
		if (done == -1)
			fatal("%s", cause);
		if (cl->o.verbosity >= 0)
			printf("Finished: %ld block%s\n", done, done == 1 ? "" : "s");
		fflush(stdout);
	} while (cl->persist);
	return 0;
}

int
main(int argc, char **argv)
{
	struct option	 options[FIXED + PARAMS_MAX + 1];
	struct cmdline	 cl = { .o = { .retries = DEFAULT_RETRIES, .page = -1,
				    .overviews = OVERVIEWS_INPUT }, .batch = { .first_frame = -1 } };
	struct op_args	 args = { 0 };
	char		*cause, *path = NULL, *named = NULL;
	uint32_t	 page;
	int		 r;

	cl.o.dir = getenv("BLUR_DIR") != NULL && *getenv("BLUR_DIR") != '\0' ?
	    getenv("BLUR_DIR") : DEFAULT_DIR;
	if (getenv("BLUR_SECRET_FILE") != NULL && *getenv("BLUR_SECRET_FILE") != '\0')
		cl.o.secret = getenv("BLUR_SECRET_FILE");
	make_options(options);
	parse(argc, argv, &cl, options);
	check_modes(&cl);
	if (cl.ops) {
		op_list();
		return 0;
	}
	if (cl.status) {
		if ((r = status_run(cl.o.dir, cl.watch, &cause)) == -1)
			fatal("%s", cause);
		return r == STATUS_NO_JOB ? 3 : 0;
	}
	if (cl.slave)
		return slave_main(&cl);
	make_args(&cl, &args);
	if (cl.size != NULL && !args.op->draws)
		usage("-size: %s needs an input to work on; a render (-size) is -exec's",
		    args.op->name);
	if (cl.size != NULL)
		render_size(&cl);
	if (batch(&cl)) {
		r = batch_run(&cl.o, cl.o.output, &cl.batch);
		op_args_free(&args);
		free(cl.batch.inputs);
		return r;
	}
	if (cl.o.input != NULL && (cause = batch_input_refusal(cl.o.input)) != NULL)
		fatal("%s", cause);
	check_output(&cl.o);
	if (cl.o.input != NULL && batch_page(cl.o.input, &path, &page)) {
		if (cl.o.output == NULL)
			cl.o.output = named = batch_default_output(cl.o.input);
		cl.o.input = path;
		cl.o.page = (int)page;
	}
	if (master_run(&cl.o, &cause) != 0)
		fatal("%s", cause);
	free(named);
	free(path);
	op_args_free(&args);
	free(cl.batch.inputs);
	return 0;
}
