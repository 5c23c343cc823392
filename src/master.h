/*
 * master.h — split, publish, watch, reissue, assemble.
 *
 * The master owns DIR for the life of a job (an exclusive flock on the directory, which
 * dies with the process), so a second master cannot clobber a live job, and a job whose
 * master died can be told from one that is running.
 */
#ifndef BLUR_MASTER_H
#define BLUR_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "op.h"

struct master_opts {
	const char	*input;		/* NULL: a render of width x height */
	int		 page;		/* of the input, from 0; -1: none asked for (0) */
	const char	*output;	/* NULL: the input's name with -blur */
	const char	*dir;
	struct op_args	*args;		/* the operation, its values ready (op_ready()) */
	uint32_t	 width, height;	/* of a render */
	uint32_t	 samples, depth;
	uint32_t	 rows;		/* 0: see master_default_rows() */
	struct layout_ask layout;	/* of the output: -compress, -tile, ... */
	int		 overviews;	/* levels; OVERVIEWS_INPUT: as many as the
					   input has; OVERVIEWS_AUTO: see master.c */
	uint32_t	 resample;	/* enum reduce_method */
	int		 cog;		/* a Cloud Optimized GeoTIFF, levels rounded down */
	uint32_t	 retries;	/* failures of one block that fail the job */
	uint32_t	 slaves;	/* local slave processes to start */
	double		 timeout;	/* seconds a claimed block may take; 0: adapt
					   (see blocks.h) */
	int		 verbosity;	/* -1 quiet, 0, 1 verbose */
	const char	*secret;	/* file of the shared secret, or NULL */
	int		 resume;	/* continue a dead master's job in DIR */
	int		 poll;		/* ms between looks at DIR, without inotify; 0:
					   see watch.h */
};

enum { OVERVIEWS_INPUT = -1, OVERVIEWS_AUTO = -2 };

/*
 * Run a whole job: 0; -1 with *cause (DIR is then left as it was found); or, with
 * *cause, the number of the signal that stopped it (SIGINT, SIGTERM or SIGHUP).
 */
int	 master_run(const struct master_opts *, char **cause);
/* The default output name: dir/name.ext -> dir/name-blur.ext. */
char	*master_output_name(const char *input);
/*
 * The default block height for an image of this height and row size and an operation
 * of this halo.
 */
uint32_t master_default_rows(uint32_t height, uint32_t halo, size_t row_bytes);

#endif
