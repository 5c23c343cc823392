/*
 * sample.h — the formats a sample of image.bit can have, and rows of them as floats.
 *
 * image.bit holds every sample in one of eight formats, in native byte order: unsigned
 * and signed integers of 8, 16 and 32 bits, and IEEE floats of 32 and 64 bits (image.c
 * widens what a file stores in other sizes). An operation that does not compute in the
 * samples' own type loads rows as float and stores them back through this module, so
 * that every format is rounded and clamped the same way everywhere:
 *
 *	integers: stored as floor(v + 1/2) clamped to the format's range
 *	floats:   stored as computed, never clamped or rounded to integers
 *
 * Single precision carries 24 bits: exact for every 8- and 16-bit value, and within
 * 2^-24 of the range for the wider ones.
 */
#ifndef BLUR_SAMPLE_H
#define BLUR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* One bit each, so that an operation can say which it takes in one mask. */
enum sample_format {
	SAMPLE_UINT8	= 0x01,
	SAMPLE_UINT16	= 0x02,
	SAMPLE_UINT32	= 0x04,
	SAMPLE_INT8	= 0x08,
	SAMPLE_INT16	= 0x10,
	SAMPLE_INT32	= 0x20,
	SAMPLE_FLOAT32	= 0x40,
	SAMPLE_FLOAT64	= 0x80,
};
#define SAMPLE_ALL	0xff
/* Samples in a pixel, at most: past the bands of hyperspectral cubes. */
#define SAMPLES_MAX	1024

/* "uint8", "int16", "float32": the names data.dat and messages use. */
const char	*sample_name(enum sample_format);
/* The format called name, or 0. */
enum sample_format sample_parse(const char *name);
/* The format of `bits`-bit samples of a kind: 'u', 'i' or 'f'; 0 if there is none. */
enum sample_format sample_of(int kind, unsigned bits);
unsigned	 sample_bits(enum sample_format);
/*
 * Bytes in a row of `width` pixels of `samples` interleaved samples of `bits` bits: the
 * one row size of image.bit, of results and of the output.
 */
size_t		 sample_row_bytes(uint32_t width, uint32_t samples, unsigned bits);
int		 sample_is_float(enum sample_format);
/*
 * The nominal range: the integers' own, [0, 1] for floats. Its top is what an opaque
 * alpha holds.
 */
double		 sample_min(enum sample_format);
double		 sample_max(enum sample_format);
/* Sample i of format f at buf as a double (exactly), and v stored there (of that format). */
double		 sample_get(enum sample_format f, const void *buf, size_t i);
void		 sample_put(enum sample_format f, void *buf, size_t i, double v);
/* n samples of format f at src as floats at dst, and back. */
void		 sample_load(enum sample_format f, const void *src, size_t n,
		    float *dst);
void		 sample_store(enum sample_format f, const float *src, size_t n,
		    void *dst);
/*
 * valid[i] = 0 where sample i of the n at src is a hole, 1 elsewhere: equal to nodata
 * as format f holds it (none if f cannot hold it), or any NaN when nodata is NaN.
 */
void		 sample_valid(enum sample_format f, const void *src, size_t n,
		    double nodata, float *valid);
/* Copy each hole among the n samples at in to the same place in out. */
void		 sample_holes(enum sample_format f, const void *in, size_t n,
		    double nodata, void *out);

#endif
