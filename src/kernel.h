/*
 * kernel.h — separable blurs: a 1-D mask, and its two passes over a band of rows. The
 * Gaussian and box operations (src/ops/) are this and a mask; unsharp builds on it.
 *
 * A blur is a horizontal pass then a vertical pass of the same 1-D mask w of 2r+1 taps:
 *
 *	out(x, y) = sum_j w[j] sum_i w[i] in(clamp(x + i), clamp(y + j)),  i, j in [-r, r]
 *
 * where clamp() replicates the edge pixels (ImageMagick's default virtual pixels). With
 * an alpha sample, colours are weighted by alpha as ImageMagick does: the passes run on
 * premultiplied colour and the result is divided by the blurred alpha (0 where that is 0).
 */
#ifndef BLUR_KERNEL_H
#define BLUR_KERNEL_H

#include <stdint.h>

#include "op.h"

struct mask {
	uint32_t	 radius;
	int		 box;		/* 1: equal taps, run as running sums */
	float		*w;		/* 2 * radius + 1 weights summing to 1 */
	int16_t		*q;		/* w in fixed point (kernel.c), or NULL */
};

/*
 * Gaussian mask, as ImageMagick's `-blur RxS`: each tap integrates exp(-x²/2σ²) over its
 * pixel by sampling it at x - 1/3, x and x + 1/3, and the taps are normalized.
 */
void	kernel_gauss(struct mask *, uint32_t radius, double sigma);
/* The same 2 * radius + 1 taps in double, for arithmetic that must round as
   ImageMagick's does (unsharp's); the caller frees them. */
double	*kernel_gauss_taps(uint32_t radius, double sigma);
/*
 * Box mask: 2r+1 equal taps, so the 2-D result is the mean of the (2r+1)² square. Its
 * passes run as running sums, whose cost per pixel does not grow with the radius.
 */
void	kernel_box(struct mask *, uint32_t radius);
/*
 * For a Gaussian on 8-bit samples without alpha, add the fixed-point weights wherever
 * they keep the result within ±1; kernel_rows() then uses them.
 */
void	kernel_fix(struct mask *, const struct op_image *);
void	kernel_free(struct mask *);

/*
 * With nodata, a pixel is 2 spp lanes: each sample times its weight, then the weights.
 * A hole weighs 0, and colour weighs its alpha over the opaque value too (0 where alpha
 * is a hole), so that one division at the end normalises over the valid, opaque ones.
 * v and valid hold one row's samples and sample_valid()'s flags; px gets its lanes.
 */
void	kernel_weigh(const struct op_image *, const float *v, const float *valid,
	    float *px);

/*
 * Blur rows [y0, y0 + n) of the image into out (n rows of op_row_bytes()). `in` holds
 * rows [a, b), a = max(0, y0 - r), b = min(height, y0 + n + r): all the rows the result
 * depends on.
 */
void	kernel_rows(const struct op_image *, const struct mask *, const void *in,
	    uint32_t a, uint32_t y0, uint32_t n, uint32_t b, void *out);

/* What a blur operation's start() returns, for kernel_run() and kernel_stop(). */
struct kernel_state {
	struct op_image	im;
	struct mask	mask;
};
/* The op interface for a blur of parameter "radius": halo, run and stop. */
void	kernel_radius_halo(const struct op_args *, uint32_t *top, uint32_t *bottom);
/* ready() for parameters "radius" and "sigma": sigma defaults to half the radius. */
int	kernel_ready(struct op_args *, char **cause);
int	kernel_run(void *, struct op_block *, const void *in, void *out, char **cause);
void	kernel_stop(void *);

#endif
