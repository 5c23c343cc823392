/*
 * job.h — what a job is (data.dat holds it: protocol.h) and the geometry of its blocks:
 * arithmetic that the master, the slaves, the collector and -status share, knowing no
 * file.
 *
 * Block n covers rows [n * rows, min(height, (n + 1) * rows)); it is computed from those
 * rows and its halo, `top` rows above and `bottom` below, cut at the image's edges (a
 * render, which has no input, from its own rows only).
 *
 * With overviews the job has levels 0 (the image) to `levels`, each made from the one
 * above (reduce.h), and blocks of `rows` rows of each level, numbered level after level.
 * A block of level k < levels also makes the rows of level k+1 whose window starts in
 * its own rows (job_block_made()), computing past its last row what those windows reach
 * (job_block_extent(); with odd sizes, a row or two). A block of level k >= 1 starts
 * from level k's rows as raw pixels (levels.bit, protocol.h) and only encodes and
 * reduces them.
 */
#ifndef BLUR_JOB_H
#define BLUR_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "op.h"
#include "reduce.h"
#include "sample.h"

#define JOB_PATH_MAX	512	/* of the names a job records, shown by -status */
#define JOB_LEVELS_MAX	24	/* overviews, at most (a level of 1x1 before that
					   unless the image is 2^24 wide or high) */

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
	uint32_t	directory;	/* the TIFF directory of the input's page, which
					   slaves decode */
	uint32_t	levels;		/* overviews below the image, 0 to JOB_LEVELS_MAX */
	uint32_t	resample;	/* enum reduce_method of every level */
	uint32_t	cog;		/* 1: a COG: levels halve rounding down, as GDAL's
					   COG driver does, and the output is laid out as
					   its; 0: up, as gdaladdo */
	uint32_t	blocks;		/* of every level */
	char		input[JOB_PATH_MAX];	/* shown by -status */
	char		output[JOB_PATH_MAX];
	char		source[96];	/* the input's identity: device, inode, size, mtime */
	char		partial[JOB_PATH_MAX];	/* the output while it is written */
	char		auth[128];	/* as read: "none", or secret_auth() of the lines
					   before it */
};

/* Bytes in one row of image.bit (level 0's). */
size_t	 job_row_bytes(const struct job *);
/* Level k's size, and the bytes of one of its rows. */
uint32_t job_level_width(const struct job *, uint32_t k);
uint32_t job_level_height(const struct job *, uint32_t k);
size_t	 job_level_row_bytes(const struct job *, uint32_t k);
/* Where level k >= 1 starts in levels.bit (k = levels + 1: its size). */
uint64_t job_level_offset(const struct job *, uint32_t k);
/* The number of the first block of level k (k = levels + 1: of blocks in all). */
uint32_t job_level_first(const struct job *, uint32_t k);
/* How level k+1 is made from level k. */
struct reduce job_reduce(const struct job *, uint32_t k);
/* The level of block n, and the bytes of its rows. */
uint32_t job_block_level(const struct job *, uint32_t n);
size_t	 job_block_row_bytes(const struct job *, uint32_t n);
/* First row of block n, in its level, and how many rows it has. */
uint32_t job_block_y(const struct job *, uint32_t n);
uint32_t job_block_rows(const struct job *, uint32_t n);
/*
 * The rows block n computes: its own, and below them those the windows of the rows it
 * makes of the next level reach (job_block_made()).
 */
uint32_t job_block_extent(const struct job *, uint32_t n);
/* The rows [*y0, *y1) of the next level block n makes; empty at the last level. */
void	 job_block_made(const struct job *, uint32_t n, uint32_t *y0, uint32_t *y1);
/* The bytes of those rows. */
size_t	 job_block_made_bytes(const struct job *, uint32_t n);
/* The output's chunks (layout.h) that hold block n's rows, in its level. */
uint32_t job_block_chunks(const struct job *, uint32_t n);
/*
 * The input rows [*a, *b) block n is computed from, in its level: its extent and its
 * halo's (in a render, which has no input, and above level 0, its extent).
 */
void	 job_block_input(const struct job *, uint32_t n, uint32_t *a, uint32_t *b);
/*
 * Where block n's input rows lie, in bytes, in the file that holds them: image.bit, or
 * levels.bit for a level below the image.
 */
void	 job_block_span(const struct job *, uint32_t n, uint64_t *off, size_t *len);
/* The image's shape, as an operation sees it. */
struct op_image job_image(const struct job *);
/* The input's size in bytes, as `source` records it; 0 if it does not. */
uint64_t job_source_bytes(const struct job *);
/* A fresh random job id. */
void	 job_new_id(struct job *);
void	 job_free(struct job *);

#endif
