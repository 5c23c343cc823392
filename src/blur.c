/*
 * blur.c — the command line: blur -master IN [options] | blur -slave [-dir DIR].
 *
 * Exit status: 0 done, 1 the job failed (the message says why), 2 bad usage.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "slave.h"
#include "util.h"

#define DEFAULT_DIR	"/tmp/blur"

enum { OPT_MASTER = 256, OPT_SLAVE, OPT_DIR, OPT_RADIUS, OPT_SIGMA, OPT_FILTER,
    OPT_SLAVES, OPT_ROWS, OPT_TIMEOUT };

static const struct option options[] = {
	{ "master",	required_argument,	NULL, OPT_MASTER },
	{ "slave",	no_argument,		NULL, OPT_SLAVE },
	{ "o",		required_argument,	NULL, 'o' },
	{ "dir",	required_argument,	NULL, OPT_DIR },
	{ "radius",	required_argument,	NULL, OPT_RADIUS },
	{ "sigma",	required_argument,	NULL, OPT_SIGMA },
	{ "filter",	required_argument,	NULL, OPT_FILTER },
	{ "slaves",	required_argument,	NULL, OPT_SLAVES },
	{ "rows",	required_argument,	NULL, OPT_ROWS },
	{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
	{ NULL,		0,			NULL, 0 }
};

static void __attribute__((noreturn))
usage(const char *fmt, const char *arg)
{
	fputs("blur: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nusage: blur -master IN [-o OUT] [-dir DIR] [-radius R] [-sigma S] "
	    "[-filter gaussian|box]\n"
	    "                   [-slaves N] [-rows N] [-timeout SEC]\n"
	    "       blur -slave [-dir DIR]\n", stderr);
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
	    v > max) {
		fprintf(stderr, "blur: -%s must be a whole number from %lu to %lu\n",
		    opt, min, max);
		usage("bad value '%s'", s);
	}
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
	    v > max) {
		fprintf(stderr, "blur: -%s must be a number above 0 and at most %g\n",
		    opt, max);
		usage("bad value '%s'", s);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct master_opts	 o = { .radius = 4, .timeout = MASTER_TIMEOUT,
				    .filter = FILTER_GAUSSIAN };
	char			*cause;
	int			 c, slave = 0;
	long			 done;

	o.dir = getenv("BLUR_DIR") != NULL && *getenv("BLUR_DIR") != '\0' ?
	    getenv("BLUR_DIR") : DEFAULT_DIR;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_MASTER:	o.input = optarg; break;
		case OPT_SLAVE:		slave = 1; break;
		case 'o':		o.output = optarg; break;
		case OPT_DIR:		o.dir = optarg; break;
		case OPT_RADIUS:	o.radius = number("radius", optarg, 1, 1000); break;
		case OPT_SIGMA:		o.sigma = real("sigma", optarg, 1000); break;
		case OPT_ROWS:		o.rows = number("rows", optarg, 1, UINT32_MAX); break;
		case OPT_SLAVES:	o.slaves = number("slaves", optarg, 0, 1024); break;
		case OPT_TIMEOUT:	o.timeout = real("timeout", optarg, 1e6); break;
		case OPT_FILTER:
			if (strcmp(optarg, "gaussian") == 0)
				o.filter = FILTER_GAUSSIAN;
			else if (strcmp(optarg, "box") == 0)
				o.filter = FILTER_BOX;
			else
				usage("unknown filter '%s' (gaussian or box)", optarg);
			break;
		default:
			usage("unknown option or missing value: %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage("unexpected argument '%s'", argv[optind]);
	if (slave == (o.input != NULL))
		usage("%s", "give either -master IN or -slave");
	if (*o.dir == '\0')
		usage("%s", "-dir must not be empty");

	if (slave) {
		if ((done = slave_run(o.dir, NULL, &cause)) == -1)
			fatal("%s", cause);
		printf("Finished: %ld blocks\n", done);
		return 0;
	}
	if (master_run(&o, &cause) == -1)
		fatal("%s", cause);
	return 0;
}
