/*
 * reduce.h — one overview level from the level above, as GDAL 3.6's gdaladdo and COG
 * driver compute it, bit for bit. A pure pixel operation: rows in, rows out.
 *
 * GDAL builds every level from the one above (not from full resolution), so a slave that
 * holds level k's rows makes level k+1's. A level of n columns becomes m (reduce_half():
 * ceil(n/2) as gdaladdo, max(1, floor(n/2)) as the COG driver); the same along rows.
 * With r = n/m (a double: 2 exactly when n is even), output pixel i covers source
 * [i r, (i+1) r), whose pixels and weights are
 *
 *	lo = (int)(i r + 1e-8),  hi = (int)ceil((i+1) r - 1e-8)  (hi = lo+1 if equal, <= n)
 *	w(lo) = 1 - (i r - lo)  (1 when hi = lo+1),  w(hi-1) = 1 - (hi - (i+1) r),  others 1
 *
 * For odd n the windows overlap and every output pixel mixes up to three source pixels
 * (13 -> 7 columns: a lone 100 at column 6 gives 54 at column 3).
 *
 * average: the weighted mean over valid (non-hole) pixels,
 *
 *	v = sum w_x w_y s / sum w_x w_y
 *
 * summed in double line by line (each line's sum times its w_y). uint8 and uint16 are
 * stored as (int)(v + 1/2); every other format is averaged as float32 (float64 too: its
 * means carry 24 bits, as GDAL's do) and integers stored rounding half away from zero,
 * clamped. Where the x windows are all [2j, 2j+2) (even n) and a row's y window holds
 * two rows, GDAL ignores the y weights: without nodata such a pixel is (a+b+c+d+2)/4 on
 * uint8/uint16, and 0.25f times a float sum otherwise, summed (a+c)+(b+d) for the output
 * columns in whole groups of four from column 0 and ((a+b)+c)+d for the last m mod 4
 * (a, b the top pair, c, d the bottom; GDAL's SSE2 order). A pixel with no valid input is
 * nodata; a mean equal to nodata becomes nodata+1 (nodata-1 at the format's top) for
 * integers, the next float32 away from zero for floats.
 * nearest: source pixel (int)(i r + 1/2) in each direction (the top-left one when r = 2),
 * holes or not.
 * mode: the most frequent valid value among the window's pixels (no weights), scanned
 * row by row; a tie goes to the value that reached the top count first (all different:
 * the top-left one). No valid pixel: nodata.
 *
 * Calling sequence
 * ----------------
 * The caller:
 *
 * * fills a struct reduce: method, format, samples, the whole source level's size and the
 *   whole output level's size (each from reduce_half()), the nodata value if any;
 * * asks reduce_source_rows() which rows [s0, s1) of the source level output rows
 *   [y0, y1) need. When the source height is even these are rows [2 y0, 2 y1): a block of
 *   source rows starting on an even row makes its own output rows. When it is odd the
 *   windows are not aligned on pairs and [s0, s1) reaches up to one row into the blocks
 *   above and below: the caller must bring those rows too;
 * * calls reduce_rows() with rows [s0, s1) of the source level, pixel-interleaved as
 *   image.bit holds them, and gets rows [y0, y1) of the output level.
 */
#ifndef BLUR_REDUCE_H
#define BLUR_REDUCE_H

#include <stdint.h>

#include "sample.h"

enum reduce_method {
	REDUCE_AVERAGE,
	REDUCE_NEAREST,
	REDUCE_MODE,
};

struct reduce {
	enum reduce_method	 method;
	enum sample_format	 format;
	uint32_t		 samples;
	uint32_t		 src_width, src_height;	/* the whole source level */
	uint32_t		 width, height;		/* the whole output level */
	int			 has_nodata;
	double			 nodata;
};

/* A level's size from the one above's n: ceil(n/2) as gdaladdo, max(1, n/2) as -of COG. */
uint32_t	reduce_half(uint32_t n, int cog);
/* "average", "nearest", "mode" as the method; -1 for another name. */
int		reduce_parse(const char *name);
/* The method's name. */
const char	*reduce_name(enum reduce_method);
/* The rows [*s0, *s1) of the source level that output rows [y0, y1) are made of. */
void		reduce_source_rows(const struct reduce *, uint32_t y0, uint32_t y1,
		    uint32_t *s0, uint32_t *s1);
/*
 * The output rows [*y0, *y1) whose first source row is in [s0, s1): rows [s0, s1) of
 * the source level make them, given the rows below them that reduce_source_rows() names.
 * Blocks of source rows that tile the level so make every output row once.
 */
void		reduce_made_rows(const struct reduce *, uint32_t s0, uint32_t s1,
		    uint32_t *y0, uint32_t *y1);
/*
 * Output rows [y0, y1) into dst from source rows [s0, s1) at src. Returns 0, or -1 with
 * *cause when the sizes are not a halving or the rows given lack some that are needed.
 */
int		reduce_rows(const struct reduce *, const void *src, uint32_t s0,
		    uint32_t s1, uint32_t y0, uint32_t y1, void *dst, char **cause);

#endif
