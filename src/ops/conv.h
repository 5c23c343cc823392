/*
 * conv.h — ImageMagick 6's Convolve on a band of rows, in its own (Q16) arithmetic.
 *
 * For a W×H kernel k with origin (X, Y), ImageMagick reflects the kernel about its
 * origin (a true convolution, not a correlation):
 *
 *	out(x, y) = sum_{u,v} k[v][u] in(clamp(x + X - u), clamp(y + Y - v))
 *
 * so row y depends on rows y - (H-1-Y) to y + Y. Samples are scaled to 16 bits (8-bit
 * ones times 257), summed in double in ImageMagick's order (NaN values skipped), and
 * each result is rounded and clamped to 0..65535. With alpha:
 *
 * * CONV_SYNC (convert's default channels, as -morphology Convolve uses them): colour is
 *   weighted by alpha, c = (N/n) sum k a c / sum k a, with n of the N values not NaN and
 *   1/s taken as ±1e12 where |s| < 1e-12 (PerceptibleReciprocal); alpha is
 *   65535 - clamp(sum k (65535 - A)), the convolution of the opacity ImageMagick keeps.
 * * CONV_COLOUR (a channel set without alpha or sync, as -unsharp blurs with): colour is
 *   convolved as it is and alpha copied from the pixel itself.
 */
#ifndef BLUR_CONV_H
#define BLUR_CONV_H

#include <stdint.h>

#include "../op.h"
#include "kspec.h"


enum conv_mode { CONV_SYNC, CONV_COLOUR };

struct conv {
	uint32_t	  width, height;	/* of the kernel */
	uint32_t	  left, up;	/* columns and rows it reaches left and up */
	double		 *k;		/* reflected: k[v W + u] weighs in(x - left + u, y - up + v) */
	uint32_t	  taps;		/* values that are not NaN */
	double		  sum;		/* of those values */
	enum conv_mode	  mode;
	/* Kept from call to call: the converted rows, the sums, the window's rows. */
	void		 *ring, *acc, *gamma, *scratch;
	size_t		  ring_size, acc_size, gamma_size, scratch_size;
	size_t		 *rows;		/* where each of the window's rows starts in the ring */
};

void	 conv_init(struct conv *, const struct kspec *, enum conv_mode);
void	 conv_free(struct conv *);
/* Rows of input the kernel needs above and below the row it makes. */
void	 conv_halo(const struct conv *, uint32_t *top, uint32_t *bottom);
/*
 * Convolve rows [y0, y0 + n) of image im into out, as samples of `bits` bits (16: the
 * rounded results; 8: scaled down as ImageMagick writes 8-bit files). `in` holds rows
 * [a, b), all the rows those depend on, clipped to the image.
 */
void	 conv_rows(struct conv *, const struct op_image *im, const void *in,
	    uint32_t a, uint32_t y0, uint32_t n, uint32_t b, uint32_t bits, void *out);

/* Sample i of a row of `bits` bits, scaled to 16 bits as ImageMagick reads it. */
static inline uint16_t
conv_get(uint32_t bits, const void *row, size_t i)
{
	return bits == 8 ? (uint16_t)(((const uint8_t *)row)[i] * 257) :
	    ((const uint16_t *)row)[i];
}

/* Store a 16-bit result as sample i of a row of `bits` bits, as ImageMagick writes it. */
static inline void
conv_put(uint32_t bits, void *row, size_t i, uint16_t q)
{
	uint32_t	v = (uint32_t)q + 128;

	/* ImageMagick's ScaleQuantumToChar(), exact for every 16-bit value. */
	if (bits == 8)
		((uint8_t *)row)[i] = (uint8_t)((v - (v >> 8)) >> 8);
	else
		((uint16_t *)row)[i] = q;
}

/* ImageMagick's ClampToQuantum(): round to 0..65535, NaN as 0. */
static inline uint16_t
conv_clamp(double v)
{
	return !(v > 0) ? 0 : v >= 65535.0 ? 65535 : (uint16_t)(v + 0.5);
}

#endif
