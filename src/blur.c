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

#include "master.h"
#include "slave.h"
#include "status.h"
#include "util.h"
#include "watch.h"

#define DEFAULT_DIR	"/tmp/blur"

enum { OPT_MASTER = 256, OPT_SLAVE, OPT_STATUS, OPT_DIR, OPT_RADIUS, OPT_SIGMA,
    OPT_FILTER, OPT_SLAVES, OPT_ROWS, OPT_TIMEOUT, OPT_PERSIST, OPT_WATCH,
    OPT_HELP, OPT_VERSION, OPT_SECRET, OPT_RESUME, OPT_POLL };

static const struct option options[] = {
	{ "master",	required_argument,	NULL, OPT_MASTER },
	{ "slave",	no_argument,		NULL, OPT_SLAVE },
	{ "status",	no_argument,		NULL, OPT_STATUS },
	{ "o",		required_argument,	NULL, 'o' },
	{ "dir",	required_argument,	NULL, OPT_DIR },
	{ "radius",	required_argument,	NULL, OPT_RADIUS },
	{ "sigma",	required_argument,	NULL, OPT_SIGMA },
	{ "filter",	required_argument,	NULL, OPT_FILTER },
	{ "slaves",	required_argument,	NULL, OPT_SLAVES },
	{ "rows",	required_argument,	NULL, OPT_ROWS },
	{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
	{ "persist",	no_argument,		NULL, OPT_PERSIST },
	{ "watch",	no_argument,		NULL, OPT_WATCH },
	{ "secret",	required_argument,	NULL, OPT_SECRET },
	{ "resume",	no_argument,		NULL, OPT_RESUME },
	{ "poll",	required_argument,	NULL, OPT_POLL },
	{ "q",		no_argument,		NULL, 'q' },
	{ "v",		no_argument,		NULL, 'v' },
	{ "help",	no_argument,		NULL, OPT_HELP },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 }
};

static const char synopsis[] =
    "usage: blur -master IN [-o OUT] [-dir DIR] [-radius R] [-sigma S]\n"
    "                   [-filter gaussian|box] [-slaves N] [-rows N] [-timeout SEC]\n"
    "                   [-secret FILE] [-resume] [-poll MS] [-q|-v]\n"
    "       blur -slave [-dir DIR] [-persist] [-secret FILE] [-poll MS] [-q|-v]\n"
    "       blur -status [-dir DIR] [-watch]\n";

static void __attribute__((noreturn))
help(void)
{
	printf("%s\n"
	    "Blur a TIFF image with slaves on any hosts that share DIR.\n\n"
	    "  -master IN      blur IN; write OUT when every block is in\n"
	    "  -o OUT          output file (default: IN with -blur before the extension)\n"
	    "  -radius R       mask radius in pixels, 1 to 1000 (default 4)\n"
	    "  -sigma S        Gaussian standard deviation (default R/2)\n"
	    "  -filter F       gaussian (default) or box\n"
	    "  -slaves N       also start N slaves on this host (default 0)\n"
	    "  -rows N         block height (default: height/64, at least 16 and 2R)\n"
	    "  -timeout SEC    reissue a block claimed this long ago (default: %d until a\n"
	    "                  block is in, then %d times the slowest, at least %d)\n"
	    "  -resume         continue the job a dead master left in DIR\n"
	    "  -slave          work on the job in DIR until it ends\n"
	    "  -persist        with -slave: then wait for the next job\n"
	    "  -status         show the job in DIR and a map of its blocks\n"
	    "  -watch          with -status: refresh every second until the job ends\n"
	    "  -dir DIR        shared directory (default: $BLUR_DIR, else %s)\n"
	    "  -secret FILE    sign results with a key from FILE, which every host has\n"
	    "                  and DIR never sees (default: $BLUR_SECRET_FILE)\n"
	    "  -poll MS        look for changes in DIR every MS milliseconds, without\n"
	    "                  inotify (default: inotify on a local filesystem, else\n"
	    "                  polling every %d ms)\n"
	    "  -q, -v          quiet; verbose (claims, results, reissues)\n"
	    "  -help, --help   this text;  --version  the version\n\n"
	    "Exit status: 0 done, 1 failed, 2 bad usage, 3 no job (-status).\n",
	    synopsis, MASTER_TIMEOUT, TIMEOUT_FACTOR, TIMEOUT_FLOOR, DEFAULT_DIR,
	    WATCH_POLL);
	exit(0);
}

/* A one-line complaint and a hint, then exit 2. */
static void __attribute__((noreturn)) printflike(1, 2)
usage(const char *fmt, ...)
{
	va_list	ap;

	fputs("blur: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(synopsis, stderr);
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
bad_option(char **argv)
{
	const char	*arg = argv[optind - 1];
	size_t		 i;

	for (i = 0; options[i].name != NULL; i++)
		if (options[i].has_arg == required_argument &&
		    strcmp(arg + (arg[1] == '-' ? 2 : 1), options[i].name) == 0)
			usage("%s needs a value", arg);
	usage("unknown option %s", arg);
}

/*
 * Whether an output name says TIFF, which is all blur writes: it ends in .tif or .tiff,
 * whatever the case, or names no format at all (no extension).
 */
static int
tiff_name(const char *name)
{
	const char	*base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;
	const char	*dot = strrchr(base, '.');

	return dot == NULL || dot == base || strcasecmp(dot, ".tif") == 0 ||
	    strcasecmp(dot, ".tiff") == 0;
}

int
main(int argc, char **argv)
{
	struct master_opts	 o = { .radius = 4, .filter = FILTER_GAUSSIAN };
	struct slave_opts	 so = { 0 };
	char			*cause, *output;
	int			 c, slave = 0, status = 0, persist = 0, watch = 0, r;
	long			 done;

	o.dir = getenv("BLUR_DIR") != NULL && *getenv("BLUR_DIR") != '\0' ?
	    getenv("BLUR_DIR") : DEFAULT_DIR;
	if (getenv("BLUR_SECRET_FILE") != NULL && *getenv("BLUR_SECRET_FILE") != '\0')
		o.secret = getenv("BLUR_SECRET_FILE");
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_MASTER:	o.input = optarg; break;
		case OPT_SLAVE:		slave = 1; break;
		case OPT_STATUS:	status = 1; break;
		case 'o':		o.output = optarg; break;
		case OPT_DIR:		o.dir = optarg; break;
		case OPT_RADIUS:	o.radius = number("radius", optarg, 1, 1000); break;
		case OPT_SIGMA:		o.sigma = real("sigma", optarg, 1000); break;
		case OPT_ROWS:		o.rows = number("rows", optarg, 1, UINT32_MAX); break;
		case OPT_SLAVES:	o.slaves = number("slaves", optarg, 0, 1024); break;
		case OPT_TIMEOUT:	o.timeout = real("timeout", optarg, 1e6); break;
		case OPT_PERSIST:	persist = 1; break;
		case OPT_WATCH:		watch = 1; break;
		case OPT_SECRET:	o.secret = optarg; break;
		case OPT_RESUME:	o.resume = 1; break;
		case OPT_POLL:		o.poll = number("poll", optarg, 1, 60000); break;
		case 'q':		o.verbosity = -1; break;
		case 'v':		o.verbosity = 1; break;
		case OPT_HELP:		help();
		case OPT_VERSION:	printf("blur %s\n", PACKAGE_VERSION); return 0;
		case OPT_FILTER:
			if (strcmp(optarg, "gaussian") == 0)
				o.filter = FILTER_GAUSSIAN;
			else if (strcmp(optarg, "box") == 0)
				o.filter = FILTER_BOX;
			else
				usage("-filter '%s': must be gaussian or box", optarg);
			break;
		default:
			bad_option(argv);
		}
	}
	if (optind < argc)
		usage("unexpected argument '%s'", argv[optind]);
	if (slave + status + (o.input != NULL) != 1)
		usage("give one of -master IN, -slave or -status");
	if (*o.dir == '\0')
		usage("-dir must not be empty");
	if (persist && !slave)
		usage("-persist goes with -slave");
	if (watch && !status)
		usage("-watch goes with -status");
	if (o.input != NULL) {
		output = o.output != NULL ? xstrdup(o.output) :
		    master_output_name(o.input);
		if (!tiff_name(output))
			usage("%s: blur writes TIFF only; name the output .tif or "
			    ".tiff (-o OUT)", output);
		free(output);
	}

	if (status) {
		if ((r = status_run(o.dir, watch, &cause)) == -1)
			fatal("%s", cause);
		return r == STATUS_NO_JOB ? 3 : 0;
	}
	if (slave) {
		so.dir = o.dir;
		so.verbosity = o.verbosity;
		so.secret = o.secret;
		so.poll = o.poll;
		so.persist = persist;
		do {
			if ((done = slave_run(&so, &cause)) == -1)
				fatal("%s", cause);
			if (o.verbosity >= 0)
				printf("Finished: %ld blocks\n", done);
			fflush(stdout);
		} while (persist);
		return 0;
	}
	if (master_run(&o, &cause) == -1)
		fatal("%s", cause);
	return 0;
}
