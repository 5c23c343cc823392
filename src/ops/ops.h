/* ops.h — the operations op.c's table lists, one file each in src/ops/. */
#ifndef BLUR_OPS_H
#define BLUR_OPS_H

#include "../op.h"

extern const struct op op_gaussian;
extern const struct op op_box;
extern const struct op op_unsharp;
extern const struct op op_convolve;
extern const struct op op_median;
extern const struct op op_exec;
extern const struct op op_negate;

/*
 * Each operation's parameters, by their place in its table: resolved once (op_ready()),
 * read by index (op_number(), op_text()). Gaussian and unsharp begin alike, so that
 * kernel.c's ready() and halo() serve both.
 */
enum { GAUSSIAN_RADIUS, GAUSSIAN_SIGMA };
enum { BOX_RADIUS };
enum { UNSHARP_RADIUS, UNSHARP_SIGMA, UNSHARP_AMOUNT, UNSHARP_THRESHOLD };
enum { CONVOLVE_KERNEL, CONVOLVE_SCALE };
enum { MEDIAN_RADIUS };
enum { EXEC_COMMAND, EXEC_HALO, EXEC_FRAME };

#endif
