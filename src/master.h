/*
 * master.h — split, publish, watch, reissue, assemble.
 *
 * The master owns DIR for the life of a job (an exclusive flock on the directory, which
 * dies with the process), so a second master cannot clobber a live job, and a job whose
 * master died can be told from one that is running.
 */
#ifndef BLUR_MASTER_H
#define BLUR_MASTER_H

#include <stdint.h>

#include "protocol.h"

struct master_opts {
	const char	*input;
	const char	*output;	/* NULL: the input's name with -blur */
	const char	*dir;
	enum filter	 filter;
	uint32_t	 radius;
	double		 sigma;		/* 0: radius / 2 */
	uint32_t	 rows;		/* 0: see master_default_rows() */
	uint32_t	 slaves;	/* local slave processes to start */
	double		 timeout;	/* seconds a claimed block may take; 0: adapt */
	int		 verbosity;	/* -1 quiet, 0, 1 verbose */
	const char	*secret;	/* file of the shared secret, or NULL */
	int		 resume;	/* continue a dead master's job in DIR */
	int		 poll;		/* ms between looks at DIR, without inotify; 0:
					   see watch.h */
};

/*
 * Without -timeout a claimed block may take MASTER_TIMEOUT seconds until the first block
 * is in, then TIMEOUT_FACTOR times the slowest block so far, but at least TIMEOUT_FLOOR.
 */
#define MASTER_TIMEOUT	60
#define TIMEOUT_FACTOR	5
#define TIMEOUT_FLOOR	10

/* Run a whole job; 0, or -1 with *cause (DIR is then left as it was found). */
int	 master_run(const struct master_opts *, char **cause);
/* The default output name: dir/name.ext -> dir/name-blur.ext. */
char	*master_output_name(const char *input);
/* The default block height for an image of this height and a blur of this radius. */
uint32_t master_default_rows(uint32_t height, uint32_t radius);

#endif
