/*
 * pnm.h — binary PNM and PAM images (netpbm's P5, P6 and P7), the form in which the exec
 * operation hands a block to a command and takes its result back.
 *
 * A header gives the width, height, depth (samples per pixel) and maxval; the raster
 * follows at once, each sample in one byte if maxval is below 256, else in two, most
 * significant first. blur's own rows are native-endian, hence pnm_convert().
 */
#ifndef BLUR_PNM_H
#define BLUR_PNM_H

#include <stddef.h>
#include <stdint.h>

#define PNM_HEADER_TEXT	160	/* bytes pnm_header() may write, its NUL included */
#define PNM_DIMENSION	0x7fffffff	/* the largest width, height or depth read */

struct pnm {
	uint32_t	width;
	uint32_t	height;
	uint32_t	depth;		/* samples per pixel */
	uint32_t	maxval;		/* 1 to 65535 */
};

/*
 * Write p's header into buf, PNM_HEADER_TEXT bytes, and return its length: P5 for gray
 * and P6 for RGB (which every reader knows), P7 GRAYSCALE_ALPHA and RGB_ALPHA for depths
 * 2 and 4.
 */
size_t	pnm_header(const struct pnm *, char *buf);

/*
 * Parse the header at the start of the n bytes at buf: 1 with *p filled in and *len the
 * header's length (the raster starts there), 0 if buf ends before the header does, -1
 * with *cause if it is not a P5, P6 or P7 header or says something impossible.
 */
int	pnm_parse(const void *buf, size_t n, struct pnm *p, size_t *len, char **cause);

/* Bytes in one row of p's raster. */
size_t	pnm_row_bytes(const struct pnm *);

/*
 * Convert n pixels between p's raster and native samples of the same size (maxval 255: 8
 * bits, else 16), either way: 16-bit samples change byte order on a little-endian host.
 * With `samples` 2 more than p->depth (gray or gray+alpha read for RGB or RGBA), each
 * gray sample is copied to red, green and blue, reading raster src into native dst.
 */
void	pnm_convert(const struct pnm *p, const void *src, size_t n, uint32_t samples,
	    void *dst);

#endif
