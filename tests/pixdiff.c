/*
 * pixdiff — compare two images sample by sample.
 *
 *	pixdiff A B DEPTH TOLERANCE
 *	pixdiff [-n D] [-b N] [-holes V] [-far V R] A.tif B.tif TOLERANCE
 *
 * With a DEPTH, A and B are raw sample files (as `convert X -depth D rgba:F` writes
 * them), 8- or 16-bit big-endian. Without one they are TIFFs, read with libtiff as
 * stored (no orientation, photometric or colormap applied): unsigned and signed integers
 * of 1-32 bits, floats of 16, 32 and 64 bits, strips of one plane or separate ones; a
 * CIELAB file's a* and b* are signed, as the TIFF specification says. Values are
 * compared as numbers, TOLERANCE being absolute (it may have decimals), unless:
 *
 *	-n D	  each file's values are first mapped from its format's range (an
 *		  integer's own, [0, 1] for floats) to [0, 2^D - 1]: files of different
 *		  formats are compared in D-bit levels, as ImageMagick scales them
 *	-b N	  only sample N (from 1) of A's pixels is compared with B, a one-sample image
 *	-holes V  a sample equal to V in A must be V in B and the other way round (each
 *		  one that is not counts as over); samples equal to V are not compared
 *	-far V R  only pixels more than R columns or rows away from every sample equal
 *		  to V in A are compared
 *
 * Prints the largest difference, where it is, how many samples exceed the tolerance,
 * and (TIFFs) the largest difference of each sample; exits 0 when none does, 1
 * otherwise or when the shapes differ, 2 on a bad command line or an unreadable file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

static unsigned char *
slurp(const char *path, long *len)
{
	FILE		*f = fopen(path, "rb");
	unsigned char	*buf;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	if ((buf = malloc(*len + 1)) == NULL ||
	    fread(buf, 1, *len, f) != (size_t)*len) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return buf;
}

static int
raw_compare(const char *apath, const char *bpath, int depth, const char *tolerance)
{
	unsigned char	*a, *b;
	long		 alen, blen, i, over = 0, worst = 0, d, step;

	a = slurp(apath, &alen);
	b = slurp(bpath, &blen);
	if (alen != blen) {
		printf("sizes differ: %ld and %ld bytes\n", alen, blen);
		free(a);
		free(b);
		return 1;
	}
	step = depth == 16 ? 2 : 1;
	for (i = 0; i + step <= alen; i += step) {
		d = step == 2 ? ((a[i] << 8 | a[i + 1]) - (b[i] << 8 | b[i + 1])) :
		    a[i] - b[i];
		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
		over += d > atol(tolerance);
	}
	printf("max %ld, %ld of %ld samples over %s\n", worst, over, alen / step,
	    tolerance);
	free(a);
	free(b);
	return over > 0;
}

/* A TIFF's samples as doubles, pixel by pixel, and the range of its format. */
struct image {
	uint32_t	 width, height, samples;
	double		*v;
	double		 lo, hi;
};

/* An IEEE half (binary16) as a double. */
static double
half_value(uint16_t h)
{
	int	 e = h >> 10 & 0x1f;
	double	 m = h & 0x3ff, v;

	if (e == 0x1f)
		v = m != 0 ? 0.0 / 0.0 : 1.0 / 0.0;
	else if (e == 0)
		v = m / 1024 / 16384;
	else {
		v = (1 + m / 1024) * (double)(1u << (e > 15 ? e - 15 : 0)) /
		    (double)(1u << (e < 15 ? 15 - e : 0));
	}
	return h & 0x8000 ? -v : v;
}

/*
 * Sample i of a row of `bits`-bit samples. libtiff hands 16-, 32- and 64-bit ones over
 * in this host's byte order; other sizes are a stream of bits from the high one, 24
 * included: GDAL and ImageMagick write them so in files of either byte order.
 */
static double
sample_value(const unsigned char *row, size_t i, unsigned bits, int format)
{
	const unsigned char	*p = row + i * bits / 8;
	uint64_t		 u = 0;
	uint16_t		 u16;
	uint32_t		 u32;
	float			 f;
	double			 d;
	size_t			 bit;
	unsigned		 k;

	if (format == SAMPLEFORMAT_IEEEFP) {
		switch (bits) {
		case 16:
			memcpy(&u16, p, 2);
			return half_value(u16);
		case 32:
			memcpy(&f, p, 4);
			return f;
		default:
			memcpy(&d, p, 8);
			return d;
		}
	}
	if (bits == 16) {
		memcpy(&u16, p, 2);
		u = u16;
	} else if (bits == 32) {
		memcpy(&u32, p, 4);
		u = u32;
	} else {
		for (bit = i * bits, k = 0; k < bits; bit++, k++)
			u = u << 1 | (row[bit / 8] >> (7 - bit % 8) & 1);
	}
	if (format == SAMPLEFORMAT_INT && u >> (bits - 1) & 1)
		return (double)u - (double)((uint64_t)1 << bits);
	return (double)u;
}

/* Sample s's format: CIELAB's a* and b* are signed whatever SampleFormat says. */
static int
sample_format(uint16_t format, uint16_t photometric, uint32_t s)
{
	if (photometric == PHOTOMETRIC_CIELAB && (s == 1 || s == 2))
		return SAMPLEFORMAT_INT;
	return format;
}

static int
image_read(const char *path, struct image *im)
{
	TIFF		*tif = TIFFOpen(path, "r");
	uint16_t	 bits, spp, planar, format, photometric;
	uint32_t	 y, x, s, p, planes;
	unsigned char	*row;
	int		 fmt;

	if (tif == NULL)
		return -1;
	TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &im->width);
	TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &im->height);
	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
	if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric))
		photometric = PHOTOMETRIC_MINISBLACK;
	if (TIFFIsTiled(tif) || bits == 0 || bits > 64 ||
	    (format == SAMPLEFORMAT_IEEEFP ? bits != 16 && bits != 32 && bits != 64 :
	    bits > 32 || (format != SAMPLEFORMAT_UINT && format != SAMPLEFORMAT_INT))) {
		fprintf(stderr, "%s: tiled, or %u-bit samples of format %u: not read\n",
		    path, bits, format);
		TIFFClose(tif);
		return -1;
	}
	im->samples = spp;
	planes = planar == PLANARCONFIG_SEPARATE ? spp : 1;
	if (format == SAMPLEFORMAT_IEEEFP) {
		im->lo = 0;
		im->hi = 1;
	} else {
		im->lo = format == SAMPLEFORMAT_INT ? -(double)((uint64_t)1 << (bits - 1)) : 0;
		im->hi = im->lo + (double)(((uint64_t)1 << bits) - 1);
	}
	im->v = malloc(sizeof *im->v * im->width * im->height * spp);
	row = malloc(TIFFScanlineSize(tif));
	if (im->v == NULL || row == NULL) {
		perror(path);
		exit(2);
	}
	for (p = 0; p < planes; p++) {
		for (y = 0; y < im->height; y++) {
			if (TIFFReadScanline(tif, row, y, p) < 0) {
				free(row);
				TIFFClose(tif);
				return -1;
			}
			for (x = 0; x < im->width; x++) {
				for (s = planes > 1 ? p : 0; s < (planes > 1 ? p + 1 : spp);
				    s++) {
					fmt = sample_format(format, photometric, s);
					im->v[((size_t)y * im->width + x) * spp + s] =
					    sample_value(row, planes > 1 ? x :
					    (size_t)x * spp + s, bits, fmt);
				}
			}
		}
	}
	free(row);
	TIFFClose(tif);
	return 0;
}

struct compare {
	int		 levels;	/* -n: bits, or 0 */
	uint32_t	 band;		/* -b: from 1, or 0 */
	int		 holes, far;
	double		 hole, far_value, far_radius;
	double		 tolerance;
};

/* Whether a sample equal to value lies within radius pixels of (x, y) in im. */
static int
image_near(const struct image *im, uint32_t x, uint32_t y, double value, double radius)
{
	long	 r = (long)radius, i, j;
	uint32_t s;

	for (j = (long)y - r; j <= (long)y + r; j++) {
		for (i = (long)x - r; i <= (long)x + r; i++) {
			if (i < 0 || j < 0 || i >= im->width || j >= im->height)
				continue;
			for (s = 0; s < im->samples; s++) {
				if (im->v[((size_t)j * im->width + i) * im->samples + s] ==
				    value)
					return 1;
			}
		}
	}
	return 0;
}

/* v in D-bit levels, when asked to. */
static double
scaled(const struct compare *c, const struct image *im, double v)
{
	if (c->levels == 0)
		return v;
	return (v - im->lo) / (im->hi - im->lo) * (double)((1ull << c->levels) - 1);
}

static int
tiff_compare(const struct compare *c, const char *apath, const char *bpath)
{
	struct image	 a, b;
	uint32_t	 x, y, s, n, first = c->band ? c->band - 1 : 0;
	double		 va, vb, d, worst = 0, *band_worst;
	size_t		 over = 0, compared = 0, ia, ib, at = 0;

	if (image_read(apath, &a) == -1 || image_read(bpath, &b) == -1) {
		fprintf(stderr, "pixdiff: cannot read %s or %s\n", apath, bpath);
		return 2;
	}
	n = c->band ? 1 : a.samples;
	if (a.width != b.width || a.height != b.height || n != b.samples ||
	    first >= a.samples) {
		printf("shapes differ: %ux%u, %u samples and %ux%u, %u samples%s\n",
		    a.width, a.height, a.samples, b.width, b.height, b.samples,
		    c->band ? " (one compared)" : "");
		return 1;
	}
	band_worst = calloc(n, sizeof *band_worst);
	for (y = 0; y < a.height; y++) {
		for (x = 0; x < a.width; x++) {
			if (c->far && image_near(&a, x, y, c->far_value, c->far_radius))
				continue;
			for (s = 0; s < n; s++) {
				ia = ((size_t)y * a.width + x) * a.samples + first + s;
				ib = ((size_t)y * b.width + x) * b.samples + s;
				va = a.v[ia];
				vb = b.v[ib];
				if (c->holes && (va == c->hole || vb == c->hole)) {
					over += va != vb;
					continue;
				}
				d = scaled(c, &a, va) - scaled(c, &b, vb);
				d = d < 0 ? -d : d;
				if (d != d)	/* a NaN: the same when both are */
					d = va != va && vb != vb ? 0 : 1.0 / 0.0;
				if (compared == 0 || d > worst) {
					worst = d;
					at = ia;
				}
				band_worst[s] = d > band_worst[s] ? d : band_worst[s];
				over += d > c->tolerance;
				compared++;
			}
		}
	}
	printf("max %g (sample %zu of pixel %zu,%zu), %zu of %zu samples over %g; by sample:",
	    worst, at % a.samples + 1, at / a.samples % a.width,
	    at / a.samples / a.width, over, compared, c->tolerance);
	for (s = 0; s < n; s++)
		printf(" %g", band_worst[s]);
	printf("\n");
	free(band_worst);
	free(a.v);
	free(b.v);
	return over > 0 || compared == 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: pixdiff A B DEPTH TOLERANCE\n"
	    "       pixdiff [-n D] [-b N] [-holes V] [-far V R] A.tif B.tif TOLERANCE\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct compare	 c = { 0 };
	int		 i;

	TIFFSetWarningHandler(NULL);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			c.levels = atoi(argv[++i]);
		else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
			c.band = atoi(argv[++i]);
		else if (strcmp(argv[i], "-holes") == 0 && i + 1 < argc) {
			c.holes = 1;
			c.hole = atof(argv[++i]);
		} else if (strcmp(argv[i], "-far") == 0 && i + 2 < argc) {
			c.far = 1;
			c.far_value = atof(argv[++i]);
			c.far_radius = atof(argv[++i]);
		} else
			return usage();
	}
	if (c.levels < 0 || c.levels > 32)
		return usage();
	if (argc - i == 4 && i == 1)
		return raw_compare(argv[1], argv[2], atoi(argv[3]), argv[4]);
	if (argc - i != 3)
		return usage();
	c.tolerance = atof(argv[i + 2]);
	return tiff_compare(&c, argv[i], argv[i + 1]);
}
