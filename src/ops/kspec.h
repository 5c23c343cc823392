/*
 * kspec.h — ImageMagick's text for a user-defined kernel, and its convolve:scale.
 *
 * A kernel is "WxH[+X+Y]: v,v,..." (W*H values, row by row, the origin at column X and
 * row Y, by default ((W-1)/2, (H-1)/2)), or the old form, a bare list of n² values for
 * an n×n kernel. Values are separated by commas or spaces; "nan" or "-" leaves a place
 * out of the neighbourhood. This is what ImageMagick 6's AcquireKernelInfo() takes for a
 * user-defined array, less its lists (;), rotations (@ < >), named kernels and files.
 */
#ifndef BLUR_KSPEC_H
#define BLUR_KSPEC_H

#include <stdint.h>

#define KSPEC_SIDE_MAX	4096	/* columns or rows of a kernel, at most */
#define KSPEC_EPSILON	1.0e-12	/* ImageMagick's MagickEpsilon: smaller counts as 0 */

struct kspec {
	uint32_t	 width, height;
	uint32_t	 x, y;		/* the origin */
	double		*v;		/* width * height values, row by row; NaN: not a tap */
};

/* Parse text into k: 0, or -1 with *cause saying what is wrong with it. */
int	kspec_parse(struct kspec *k, const char *text, char **cause);
/*
 * Scale k as -define convolve:scale=TEXT does: "S" multiplies every value by S; "S!"
 * first divides by the sum of the values (by the sum of the positive ones if they sum
 * to 0), "S^" divides the positive and the negative values by their own sums; "%" makes
 * numbers percentages; ",U" then adds U to the origin's value. S defaults to 1.
 * 0, or -1 with *cause.
 */
int	kspec_scale(struct kspec *k, const char *text, char **cause);
void	kspec_free(struct kspec *k);

#endif
