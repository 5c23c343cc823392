/*
 * box.c — the mean over the (2r+1)² square around each pixel, as ImageMagick's
 * convert -define convolve:scale=! -morphology Convolve Square:R. Both passes run as
 * running sums (kernel.c), so a pixel costs the same at any radius.
 */
#include <config.h>

#include <stdlib.h>

#include "../kernel.h"
#include "../util.h"
#include "ops.h"

static void *
box_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct kernel_state	*k = xcalloc(1, sizeof *k);

	(void)cause;
	k->im = *im;
	kernel_box(&k->mask, (uint32_t)op_number(a, BOX_RADIUS));
	return k;
}

const struct op op_box = {
	.name = "box",
	.summary = "mean over a (2R+1)² square, as convert -morphology Convolve Square:R",
	.halo_text = "radius rows above and below",
	.params = {
		{ "radius", OP_INT, 1, 1000, "4", "half the square's side, in pixels" },
	},
	.formats = SAMPLE_ALL,
	.halo = kernel_radius_halo,
	.start = box_start,
	.run = kernel_run,
	.stop = kernel_stop,
};
