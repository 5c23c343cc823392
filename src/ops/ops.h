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

#endif
