/*
 * pixel.c — samples as a TIFF stores them into the format image.bit holds (see
 * image.h): odd depths widened, half floats, palettes looked up, associated alpha
 * divided out, Lab's signed a* and b* offset.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "image-int.h"

/* A half float's value: sign, 5 exponent bits, 10 of mantissa. */
static float
half(uint16_t h)
{
	int	e = h >> 10 & 0x1f, m = h & 0x3ff;
	float	v;

	if (e == 0x1f)
		v = m != 0 ? NAN : INFINITY;
	else if (e == 0)
		v = ldexpf(m, -24);
	else
		v = ldexpf(m + 1024, e - 25);
	return h & 0x8000 ? -v : v;
}

/* An unsigned sample of `from` bits on the range of `to` bits, rounded. */
static uint32_t
rescale(uint64_t v, unsigned from, unsigned to)
{
	uint64_t	top = (1ull << from) - 1, max = (1ull << to) - 1;

	return (uint32_t)((v * max + top / 2) / top);
}

/*
 * A 16-bit sample as libtiff hands it over (in the host's order), or a 24-bit one:
 * those GDAL and ImageMagick write high byte first whatever the file's byte order, and
 * libtiff reverses them in a file of the other order.
 */
static uint32_t
multibyte(const struct image *im, const uint8_t *p, unsigned bytes)
{
	uint16_t	v16;

	if (bytes == 2) {
		memcpy(&v16, p, 2);
		return v16;
	}
	return TIFFIsByteSwapped(im->tif) ? p[0] | p[1] << 8 | (uint32_t)p[2] << 16 :
	    (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
}

/* Colour map entry v of channel c, on the range of the held samples. */
static uint16_t
colour_entry(const struct image *im, unsigned c, uint32_t v)
{
	uint32_t	e = im->cmap[c][v];

	/* Old writers put 8-bit entries in the 16-bit map, as libtiff allows. */
	if (im->cmap8)
		e *= 257;
	return im->bits == 16 ? e : e / 257;	/* exact: see describe_palette() */
}

void
pixel_widen(const struct image *im, const uint8_t *src, size_t n, void *dst)
{
	uint8_t		*d8 = dst;
	uint16_t	*d16 = dst, h;
	uint32_t	*d32 = dst, v, mask = (uint32_t)((1ull << im->stored_bits) - 1);
	float		*df = dst;
	uint64_t	 acc = 0;
	unsigned	 have = 0, d = im->stored_bits;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (im->format == SAMPLE_FLOAT32) {
			memcpy(&h, src + 2 * i, 2);
			df[i] = half(h);
			continue;
		}
		if (d == 16 || d == 24)
			v = multibyte(im, src + d / 8 * i, d / 8);
		else {
			for (; have < d; have += 8)
				acc = acc << 8 | *src++;
			v = (uint32_t)(acc >> (have - d)) & mask;
			have -= d;
		}
		if (im->palette && im->bits == 16) {
			d16[3 * i] = colour_entry(im, 0, v);
			d16[3 * i + 1] = colour_entry(im, 1, v);
			d16[3 * i + 2] = colour_entry(im, 2, v);
		} else if (im->palette) {
			d8[3 * i] = colour_entry(im, 0, v);
			d8[3 * i + 1] = colour_entry(im, 1, v);
			d8[3 * i + 2] = colour_entry(im, 2, v);
		} else if (im->bits == 8)
			d8[i] = rescale(v, d, 8);
		else if (im->bits == 16)
			d16[i] = rescale(v, d, 16);
		else
			d32[i] = rescale(v, d, 32);
	}
}

void
pixel_place_chunk(const struct image *im, const uint8_t *chunk, uint32_t cw,
    uint32_t x0, uint32_t rows, uint16_t cspp, uint16_t plane, uint8_t *band,
    uint8_t *wide)
{
	size_t		bps = im->bits / 8, pixel = im->samples * bps;
	size_t		piece = (im->palette ? 3 : cspp) * bps;
	size_t		row_bytes = im->width * pixel;
	size_t		stored_row = ((size_t)cw * cspp * im->stored_bits + 7) / 8;
	uint32_t	cols = im->width - x0 < cw ? im->width - x0 : cw, r, x;

	for (r = 0; r < rows; r++) {
		const uint8_t	*src = chunk + r * stored_row;
		uint8_t		*dst = band + r * row_bytes + x0 * pixel +
				    plane * bps;

		if (im->widen) {
			pixel_widen(im, src, (size_t)cols * cspp, wide);
			src = wide;
		}
		if (piece == pixel) {
			memcpy(dst, src, cols * pixel);
			continue;
		}
		for (x = 0; x < cols; x++)
			memcpy(dst + x * pixel, src + x * piece, piece);
	}
}

void
pixel_unassociate(const struct image *im, uint8_t *band, uint32_t rows)
{
	size_t		 i, n = (size_t)im->width * rows, spp = im->samples;
	uint32_t	 max = im->bits == 8 ? 255 : 65535, a, c, v;
	uint16_t	*p16 = (uint16_t *)band;
	float		 px[SAMPLES_MAX], top = sample_max(im->format);

	for (i = 0; i < n; i++) {
		if (im->format != SAMPLE_UINT8 && im->format != SAMPLE_UINT16) {
			sample_load(im->format, band + i * spp * im->bits / 8, spp, px);
			for (c = 0; c < spp - 1; c++)
				px[c] = px[spp - 1] != 0 ? px[c] * top / px[spp - 1] : 0;
			sample_store(im->format, px, spp, band + i * spp * im->bits / 8);
			continue;
		}
		for (c = 0; c < spp - 1; c++) {
			a = im->bits == 8 ? band[i * spp + spp - 1] :
			    p16[i * spp + spp - 1];
			v = im->bits == 8 ? band[i * spp + c] : p16[i * spp + c];
			v = a == 0 ? 0 : (v * max + a / 2) / a;
			v = v > max ? max : v;
			if (im->bits == 8)
				band[i * spp + c] = v;
			else
				p16[i * spp + c] = v;
		}
	}
}

void
pixel_flip_lab(uint32_t width, uint16_t samples, uint16_t bits, void *rows,
    uint32_t n)
{
	uint8_t		*p8 = rows;
	uint16_t	*p16 = rows;
	size_t		 i, count = (size_t)width * n, spp = samples;

	for (i = 0; i < count; i++)
		if (bits == 8) {
			p8[i * spp + 1] ^= 0x80;
			p8[i * spp + 2] ^= 0x80;
		} else {
			p16[i * spp + 1] ^= 0x8000;
			p16[i * spp + 2] ^= 0x8000;
		}
}
