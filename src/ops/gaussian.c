/*
 * gaussian.c — ImageMagick's -blur RxS: a separable Gaussian (maths in kernel.h).
 *
 *	out(x, y) = sum_j w[j] sum_i w[i] in(x + i, y + j),	i, j in [-r, r]
 *
 * w[i] integrates exp(-x²/2σ²) over pixel i, normalised; σ defaults to r / 2.
 */
#include <config.h>

#include <stdlib.h>

#include "../kernel.h"
#include "../util.h"
#include "ops.h"

static void *
gaussian_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct kernel_state	*k = xcalloc(1, sizeof *k);

	(void)cause;
	k->im = *im;
	kernel_gauss(&k->mask, (uint32_t)op_number(a, GAUSSIAN_RADIUS), op_number(a, GAUSSIAN_SIGMA));
	kernel_fix(&k->mask, im);
	return k;
}

const struct op op_gaussian = {
	.name = "gaussian",
	.summary = "Gaussian blur, as convert -blur RxS",
	.halo_text = "radius rows above and below",
	.params = {
		{ "radius", OP_INT, 1, 1000, "4", "the mask's radius in pixels" },
		{ "sigma", OP_REAL, 0.001, 1000, NULL,
		    "the standard deviation (default: radius / 2)" },
	},
	.formats = SAMPLE_ALL,
	.ready = kernel_ready,
	.halo = kernel_radius_halo,
	.start = gaussian_start,
	.run = kernel_run,
	.stop = kernel_stop,
};
