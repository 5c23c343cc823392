/*
 * op.h — what a block operation is, and the table of them.
 *
 * An operation computes the rows of one block from the block's input rows and a halo of
 * rows above and below it, as libvips' operations compute a region from a slightly larger
 * one. It knows pixels, not files: where the rows come from and where its result goes is
 * the slave's business, and nothing here may include protocol.h.
 *
 * Calling sequence
 * ----------------
 *
 * The master:
 *
 * * Finds the operation by name (op_find()), collects the values given on the command
 *   line (op_set()), and completes them (op_ready()): defaults filled in, ranges
 *   checked, values derived from others (a Gaussian's sigma from its radius).
 * * Asks the operation for its halo (op->halo()) and whether it takes the input's sample
 *   format (op->formats), and publishes the name, every value and the halo in data.dat.
 *
 * A slave, having read the name and the values back from data.dat (op_find(), op_set(),
 * op_ready() again: what the master published must pass the same checks):
 *
 * * Calls op->start() once for the job: masks, tables, anything the blocks share.
 * * Calls op->run() for each block it claims, with the block's rows plus op_block.top
 *   rows above and op_block.bottom below (fewer at the image's edges), and gets the
 *   block's rows back; a failure says why, and is the block's, not the slave's.
 * * Calls op->stop() when it leaves the job.
 *
 * Adding an operation is its file in src/ops/, its line in op.c's table, its tests and
 * its paragraph in the man page.
 */
#ifndef BLUR_OP_H
#define BLUR_OP_H

#include <stddef.h>
#include <stdint.h>

#include "pass.h"
#include "sample.h"

#define OP_PARAMS	6	/* parameters of one operation, at most */
#define OP_TEXT_MAX	4096	/* bytes of one value (a kernel, a command) */

enum op_type { OP_INT, OP_REAL, OP_TEXT };

struct op_param {
	const char	*name;		/* also the option: -radius */
	enum op_type	 type;
	double		 min, max;	/* of a number */
	const char	*fallback;	/* the default, as text; NULL: derived in ready() */
	const char	*help;		/* for blur -ops */
};

/* The values of one job's parameters, as text, by their index in op->params. */
struct op_args {
	const struct op	*op;
	char		*value[OP_PARAMS];	/* NULL until given or filled in */
	double		 number[OP_PARAMS];	/* a number's value, from value */
};

/* The pixels an operation works on: the whole image's shape. */
struct op_image {
	uint32_t	width;
	uint32_t	height;
	uint32_t	samples;	/* interleaved */
	uint32_t	bits;		/* of the format: 8, 16, 32 or 64 */
	uint32_t	alpha;		/* 1: the last sample is unassociated alpha */
	enum sample_format format;	/* in native byte order */
	/*
	 * 1: a sample equal to nodata_value (NaN: any NaN) is a hole, as GDAL_NODATA
	 * says: left out of every sum, and a hole again in the result.
	 */
	int		nodata;
	double		nodata_value;
};

/* One block, as run() sees it. */
struct op_block {
	uint32_t	 n;		/* its number */
	uint32_t	 y;		/* its first row */
	uint32_t	 rows;
	uint32_t	 top;		/* input rows given above y */
	uint32_t	 bottom;	/* and below y + rows */
	/* Polled by a long run(): non-zero when the block is no longer wanted. */
	int		(*cancelled)(void *);
	void		*arg;
	/* What run() may say beyond its cause, on failure: a command's last output. */
	char		*detail;
	/* -v: a command's stderr is passed on as it comes, else only a failed block's. */
	int		 verbose;
};

struct op {
	const char	*name;
	const char	*summary;	/* one line, for blur -ops */
	const char	*halo_text;	/* the halo in words, for blur -ops */
	struct op_param	 params[OP_PARAMS];	/* ended by a NULL name */
	unsigned	 formats;	/* the sample formats it takes: SAMPLE_UINT8 | ... */
	int		 runs_commands;	/* a slave runs what data.dat says: see slave.c */
	int		 draws;		/* can make a block without input: a render */
	/* Check the values against each other and derive the missing ones; may be NULL. */
	int		(*ready)(struct op_args *, char **cause);
	/* Rows of input wanted above and below a block. */
	void		(*halo)(const struct op_args *, uint32_t *top, uint32_t *bottom);
	/* Prepare for the job's blocks: a state for run(), or NULL with *cause. */
	void		*(*start)(const struct op_args *, const struct op_image *,
			    char **cause);
	/*
	 * Compute block b: `in` holds its b->top + b->rows + b->bottom input rows (none
	 * when the job has no input), `out` gets its b->rows rows. 0, or -1 with *cause.
	 */
	int		(*run)(void *state, struct op_block *b, const void *in,
			    void *out, char **cause);
	void		(*stop)(void *state);
};

/* The registry (ops/ops.c): every operation, ended by NULL. */
extern const struct op *const op_table[];

/* The operation called name, or NULL. */
const struct op *op_find(const char *name);
/* The index of parameter name in op, or -1. */
int	 op_param_index(const struct op *, const char *name);
/*
 * Give parameter name the text value: -1 with *cause if op has no such parameter or the
 * value is not of its type or range.
 */
int	 op_set(struct op_args *, const char *name, const char *value, char **cause);
/* Fill in the defaults and let the operation check and derive the rest. */
int	 op_ready(struct op_args *, char **cause);
/*
 * Parameter i (its place in op->params: see ops/ops.h) as a number, resolved when it was
 * set, or as text (NULL if unset).
 */
double	 op_number(const struct op_args *, int i);
const char *op_text(const struct op_args *, int i);
/* Whether the operation takes samples of format f. */
int	 op_takes(const struct op *, enum sample_format f);
/* The sample formats it takes, in words: "uint8, uint16"; the caller frees it. */
char	*op_formats(const struct op *);
/* "gaussian radius 4 sigma 2": the operation and its values, for messages. */
char	*op_describe(const struct op_args *);
void	 op_args_copy(struct op_args *, const struct op_args *);
/* Bytes in one row of the image. */
size_t	 op_row_bytes(const struct op_image *);
/* Print every operation with its parameters, defaults, ranges and halo. */
void	 op_list(void);
void	 op_args_free(struct op_args *);

#endif
