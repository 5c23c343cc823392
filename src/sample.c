/*
 * sample.c — sample formats (see sample.h).
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "pass.h"
#include "sample.h"

static const struct {
	enum sample_format	 f;
	const char		*name;
	int			 kind;
	unsigned		 bits;
	double			 min, max;
} formats[] = {
	{ SAMPLE_UINT8,   "uint8",   'u',  8, 0, 255 },
	{ SAMPLE_UINT16,  "uint16",  'u', 16, 0, 65535 },
	{ SAMPLE_UINT32,  "uint32",  'u', 32, 0, 4294967295.0 },
	{ SAMPLE_INT8,    "int8",    'i',  8, -128, 127 },
	{ SAMPLE_INT16,   "int16",   'i', 16, -32768, 32767 },
	{ SAMPLE_INT32,   "int32",   'i', 32, -2147483648.0, 2147483647.0 },
	{ SAMPLE_FLOAT32, "float32", 'f', 32, 0, 1 },
	{ SAMPLE_FLOAT64, "float64", 'f', 64, 0, 1 },
};
#define FORMATS	(sizeof formats / sizeof formats[0])

static size_t
find(enum sample_format f)
{
	size_t	i;

	for (i = 0; i < FORMATS - 1 && formats[i].f != f; i++)
		;
	return i;
}

const char *
sample_name(enum sample_format f)
{
	return formats[find(f)].name;
}

enum sample_format
sample_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < FORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return formats[i].f;
	return 0;
}

enum sample_format
sample_of(int kind, unsigned bits)
{
	size_t	i;

	for (i = 0; i < FORMATS; i++)
		if (formats[i].kind == kind && formats[i].bits == bits)
			return formats[i].f;
	return 0;
}

unsigned
sample_bits(enum sample_format f)
{
	return formats[find(f)].bits;
}

size_t
sample_row_bytes(uint32_t width, uint32_t samples, unsigned bits)
{
	return (size_t)width * samples * (bits / 8);
}

int
sample_is_float(enum sample_format f)
{
	return formats[find(f)].kind == 'f';
}

double
sample_min(enum sample_format f)
{
	return formats[find(f)].min;
}

double
sample_max(enum sample_format f)
{
	return formats[find(f)].max;
}

#define GET(type)	return ((const type *)buf)[i]
#define PUT(type)	((type *)buf)[i] = (type)v; break

double
sample_get(enum sample_format f, const void *buf, size_t i)
{
	switch (f) {
	case SAMPLE_UINT8:	GET(uint8_t);
	case SAMPLE_UINT16:	GET(uint16_t);
	case SAMPLE_UINT32:	GET(uint32_t);
	case SAMPLE_INT8:	GET(int8_t);
	case SAMPLE_INT16:	GET(int16_t);
	case SAMPLE_INT32:	GET(int32_t);
	case SAMPLE_FLOAT32:	GET(float);
	case SAMPLE_FLOAT64:	GET(double);
	}
	return 0;
}

void
sample_put(enum sample_format f, void *buf, size_t i, double v)
{
	switch (f) {
	case SAMPLE_UINT8:	PUT(uint8_t);
	case SAMPLE_UINT16:	PUT(uint16_t);
	case SAMPLE_UINT32:	PUT(uint32_t);
	case SAMPLE_INT8:	PUT(int8_t);
	case SAMPLE_INT16:	PUT(int16_t);
	case SAMPLE_INT32:	PUT(int32_t);
	case SAMPLE_FLOAT32:	PUT(float);
	case SAMPLE_FLOAT64:	PUT(double);
	}
}

#define LOAD(type) do {							\
	const type	*s = src;						\
									\
	for (i = 0; i < n; i++)						\
		dst[i] = (float)s[i];					\
} while (0)

OP_PASS void
sample_load(enum sample_format f, const void *src, size_t n, float *dst)
{
	size_t	i;

	switch (f) {
	case SAMPLE_UINT8:	LOAD(uint8_t); break;
	case SAMPLE_UINT16:	LOAD(uint16_t); break;
	case SAMPLE_UINT32:	LOAD(uint32_t); break;
	case SAMPLE_INT8:	LOAD(int8_t); break;
	case SAMPLE_INT16:	LOAD(int16_t); break;
	case SAMPLE_INT32:	LOAD(int32_t); break;
	case SAMPLE_FLOAT32:	memcpy(dst, src, n * sizeof *dst); break;
	case SAMPLE_FLOAT64:	LOAD(double); break;
	}
}

/* In double: a float cannot hold the ends of the 32-bit ranges exactly. */
#define STORE(type, lo, hi) do {					\
	type	*d = dst;						\
	double	 v;							\
									\
	for (i = 0; i < n; i++) {					\
		v = floor((double)src[i] + 0.5);			\
		d[i] = (type)(v < (lo) ? (lo) : v > (hi) ? (hi) : v == v ? v : 0); \
	}								\
} while (0)

OP_PASS void
sample_store(enum sample_format f, const float *src, size_t n, void *dst)
{
	double	*d64 = dst;
	size_t	 i;

	switch (f) {
	case SAMPLE_UINT8:	STORE(uint8_t, 0, 255); break;
	case SAMPLE_UINT16:	STORE(uint16_t, 0, 65535); break;
	case SAMPLE_UINT32:	STORE(uint32_t, 0, 4294967295.0); break;
	case SAMPLE_INT8:	STORE(int8_t, -128, 127); break;
	case SAMPLE_INT16:	STORE(int16_t, -32768, 32767); break;
	case SAMPLE_INT32:	STORE(int32_t, -2147483648.0, 2147483647.0); break;
	case SAMPLE_FLOAT32:	memcpy(dst, src, n * sizeof *src); break;
	case SAMPLE_FLOAT64:
		for (i = 0; i < n; i++)
			d64[i] = src[i];
		break;
	}
}

/*
 * Compared in the format's own type, so that a 32-bit integer is not taken for its
 * neighbours as it would be in float; a nodata value the type cannot hold makes no holes.
 */
#define VALID(type) do {						\
	const type	*s = src;					\
	type		 nv;						\
									\
	if (!(nodata >= formats[k].min && nodata <= formats[k].max &&	\
	    nodata == floor(nodata))) {					\
		for (i = 0; i < n; i++)					\
			valid[i] = 1;					\
		break;							\
	}								\
	nv = (type)nodata;						\
	for (i = 0; i < n; i++)						\
		valid[i] = s[i] != nv;					\
} while (0)

/* NaN is no number but a hole of any NaN; otherwise the value as the type holds it. */
#define VALID_FLOAT(type) do {						\
	const type	*s = src;					\
	type		 nv = (type)nodata;				\
									\
	if (nodata != nodata)						\
		for (i = 0; i < n; i++)					\
			valid[i] = s[i] == s[i];			\
	else								\
		for (i = 0; i < n; i++)					\
			valid[i] = s[i] != nv;				\
} while (0)

OP_PASS void
sample_valid(enum sample_format f, const void *src, size_t n, double nodata,
    float *valid)
{
	size_t	i, k = find(f);

	switch (f) {
	case SAMPLE_UINT8:	VALID(uint8_t); break;
	case SAMPLE_UINT16:	VALID(uint16_t); break;
	case SAMPLE_UINT32:	VALID(uint32_t); break;
	case SAMPLE_INT8:	VALID(int8_t); break;
	case SAMPLE_INT16:	VALID(int16_t); break;
	case SAMPLE_INT32:	VALID(int32_t); break;
	case SAMPLE_FLOAT32:	VALID_FLOAT(float); break;
	case SAMPLE_FLOAT64:	VALID_FLOAT(double); break;
	}
}

#define HOLES_CHUNK	1024	/* samples compared at once */

void
sample_holes(enum sample_format f, const void *in, size_t n, double nodata,
    void *out)
{
	float	valid[HOLES_CHUNK];
	size_t	i, k, m, bytes = sample_bits(f) / 8;

	for (i = 0; i < n; i += m) {
		m = n - i < HOLES_CHUNK ? n - i : HOLES_CHUNK;
		sample_valid(f, (const char *)in + i * bytes, m, nodata, valid);
		for (k = 0; k < m; k++)
			if (valid[k] == 0)
				memcpy((char *)out + (i + k) * bytes,
				    (const char *)in + (i + k) * bytes, bytes);
	}
}
