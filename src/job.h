/*
 * job.h — what a job is (data.dat holds it: protocol.h) and the geometry of its blocks:
 * arithmetic that the master, the slaves, the collector and -status share, knowing no
 * file.
 *
 * Block n covers rows [n * rows, min(height, (n + 1) * rows)); it is computed from those
 * rows and its halo, `top` rows above and `bottom` below, cut at the image's edges (a
 * render, which has no input, from its own rows only).
 */
#ifndef BLUR_JOB_H
#define BLUR_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "op.h"
#include "sample.h"

#define JOB_PATH_MAX	512	/* of the names a job records, shown by -status */

struct job {
	char		id[33];		/* 32 hex digits, fresh for every job */
	uint32_t	width;
	uint32_t	height;
	uint32_t	samples;	/* 1 to SAMPLES_MAX, interleaved */
	enum sample_format format;
	uint32_t	bits;		/* the format's, not in data.dat */
	uint32_t	alpha;		/* 1: the last sample is unassociated alpha */
	uint32_t	nodata;		/* 1: samples equal to nodata_value are holes */
	double		nodata_value;
	uint32_t	render;		/* 1: no input, no image.bit: the operation draws */
	struct op_args	args;		/* the operation and its values */
	uint32_t	top, bottom;	/* its halo: input rows above and below a block */
	uint32_t	rows;		/* rows per block, a multiple of layout.rows; the
					   last block may have fewer */
	struct layout	layout;		/* of the output, in which slaves compress */
	uint32_t	decode;		/* 1: slaves decode image.tif, a block's strips or
					   tiles each; 0: they read image.bit */
	uint32_t	blocks;
	char		input[JOB_PATH_MAX];	/* shown by -status */
	char		output[JOB_PATH_MAX];
	char		source[96];	/* the input's identity: device, inode, size, mtime */
	char		partial[JOB_PATH_MAX];	/* the output while it is written */
	char		auth[128];	/* as read: "none", or secret_auth() of the lines
					   before it */
};

/* Bytes in one row of image.bit or img.bit. */
size_t	 job_row_bytes(const struct job *);
/* First row of block n and how many rows it has. */
uint32_t job_block_y(const struct job *, uint32_t n);
uint32_t job_block_rows(const struct job *, uint32_t n);
/*
 * The input rows [*a, *b) block n is computed from: its own and its halo's (in a render,
 * which has no input, its own).
 */
void	 job_block_input(const struct job *, uint32_t n, uint32_t *a, uint32_t *b);
/* The image's shape, as an operation sees it. */
struct op_image job_image(const struct job *);
/* The input's size in bytes, as `source` records it; 0 if it does not. */
uint64_t job_source_bytes(const struct job *);
/* A fresh random job id. */
void	 job_new_id(struct job *);
void	 job_free(struct job *);

#endif
