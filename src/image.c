/*
 * image.c — TIFF <-> image.bit (see image.h).
 */
#include <config.h>

#include <sys/stat.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"
#include "tiffopts.h"
#include "tags.h"
#include "util.h"

/* Rows decoded at a time through the RGBA interface, at least. */
#define CONVERT_BAND	64
/* Bytes of a strip above which it is decoded a scanline at a time. */
#define SCANLINE_BAND	(4u << 20)
/*
 * The most bytes in an output strip (libtiff's default is 8 KiB, libvips writes 128
 * rows): few writes, and little for a reader to hold at once.
 */
#define STRIP_BYTES	(256u << 10)
/* The most a compressed strip may expand: far above what real codecs reach on real data. */
#define MAX_RATIO	65536

static TIFF *
open_tiff(struct image *im, const char *path, const char *mode)
{
	TIFFOpenOptions	*opts;
	TIFF		*tif;

	opts = tiffopts_new(im->error);
	tif = TIFFOpenExt(path, mode, opts);
	TIFFOpenOptionsFree(opts);
	return tif;
}

/* Bytes in one row of interleaved samples, as image.bit and the output hold them. */
static size_t
image_row_bytes(const struct image *im)
{
	return sample_row_bytes(im->width, im->samples, im->bits);
}

/* A cause built from our words and libtiff's, if it said anything. */
static char *
tiff_cause(const struct image *im, const char *what)
{
	if (im->error[0] == '\0')
		return xasprintf("%s", what);
	return xasprintf("%s (%s)", what, im->error);
}

/*
 * Inks of a separated image: four for CMYK (InkSet's default), else NumberOfInks, else
 * what ExtraSamples leaves. Not ExtraSamples alone: libtiff makes some up for a file
 * whose Photometric is missing, as it guesses RGB.
 */
static uint16_t
inks(TIFF *tif, uint16_t spp, uint16_t nextra)
{
	uint16_t	inkset, n;

	TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
	if (inkset == INKSET_CMYK && spp >= 4)
		return 4;
	if (TIFFGetField(tif, TIFFTAG_NUMBEROFINKS, &n) && n >= 1 && n <= spp)
		return n;
	return spp > nextra ? spp - nextra : 0;
}

/* Colour samples of a photometric whose samples are read as stored; 0 if it is not one. */
static uint16_t
colours(TIFF *tif, uint16_t photometric, uint16_t spp, uint16_t nextra)
{
	switch (photometric) {
	case PHOTOMETRIC_MINISBLACK:
	case PHOTOMETRIC_MINISWHITE:
		return 1;
	case PHOTOMETRIC_RGB:
	case PHOTOMETRIC_CIELAB:
	case PHOTOMETRIC_ICCLAB:
	case PHOTOMETRIC_ITULAB:
		return 3;
	case PHOTOMETRIC_SEPARATED:
		return inks(tif, spp, nextra);
	}
	return 0;
}

/*
 * The format image.bit holds a file's samples in: kind 'u' of 1 to 32 bits widened to
 * 8, 16 or 32, 'i' of 8, 16 or 32, 'f' of 16 (made single), 32 or 64; 0 otherwise.
 */
static enum sample_format
held_as(int kind, uint16_t bits)
{
	if (kind == 'u' && bits >= 1 && bits <= 32)
		return sample_of('u', bits <= 8 ? 8 : bits <= 16 ? 16 : 32);
	if (kind == 'f' && bits == 16)
		return SAMPLE_FLOAT32;
	return sample_of(kind, bits);
}

/* The file's sample format in words, for a refusal. */
static char *
format_refused(int kind, uint16_t bits)
{
	switch (kind) {
	case 'i':
		return xasprintf("%u-bit signed samples are not supported (8, 16 and "
		    "32 are)", bits);
	case 'f':
		return xasprintf("%u-bit floating-point samples are not supported (16, "
		    "32 and 64 are)", bits);
	case 'c':
		return xasprintf("complex samples are not supported");
	}
	return xasprintf("%u-bit unsigned samples are not supported (1 to 32 are)",
	    bits);
}

/* 'u', 'i', 'f' or 'c' (complex) for the file's SampleFormat. */
static int
sample_kind(TIFF *tif)
{
	uint16_t	format;

	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
	switch (format) {
	case SAMPLEFORMAT_INT:
		return 'i';
	case SAMPLEFORMAT_IEEEFP:
		return 'f';
	case SAMPLEFORMAT_UINT:
	case SAMPLEFORMAT_VOID:
		return 'u';
	}
	return 'c';
}

/*
 * Which extra samples there are, and whether the last is alpha: when ExtraSamples says so,
 * or when it is the only one beside gray or RGB and says nothing, as ImageMagick reads it.
 * The output says unassociated alpha for it (associated alpha is divided out).
 */
static void
describe_extra(struct image *im, uint16_t colour)
{
	TIFF		*tif = im->tif;
	uint16_t	 n = 0, *extra, last;

	if (!TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &n, &extra) || extra == NULL)
		n = 0;
	im->nextra = im->samples - colour;
	memset(im->extra, 0, sizeof im->extra);
	/* ExtraSamples describes the last samples: when it says more, the last ones. */
	if (n > im->nextra) {
		extra += n - im->nextra;
		n = im->nextra;
	}
	if (n > 0)
		memcpy(im->extra, extra, n * sizeof *extra);
	if (im->nextra == 0)
		return;
	last = im->extra[im->nextra - 1];
	im->premultiplied = last == EXTRASAMPLE_ASSOCALPHA;
	if (last != EXTRASAMPLE_UNSPECIFIED || (im->nextra == 1 &&
	    im->photometric != PHOTOMETRIC_SEPARATED)) {
		im->alpha = EXTRASAMPLE_UNASSALPHA;
		im->extra[im->nextra - 1] = EXTRASAMPLE_UNASSALPHA;
	}
}

/* Samples read as stored, in a format of sample.h. */
static int
describe_direct(struct image *im, uint16_t colour, int kind, char **cause)
{
	im->format = held_as(kind, im->stored_bits);
	if (im->format == 0) {
		*cause = format_refused(kind, im->stored_bits);
		return -1;
	}
	im->samples = im->stored_samples;
	im->bits = sample_bits(im->format);
	im->widen = im->bits != im->stored_bits;
	im->lab = im->photometric == PHOTOMETRIC_CIELAB && kind == 'u' &&
	    (im->bits == 8 || im->bits == 16) && !im->widen;
	describe_extra(im, colour);
	return 0;
}

/*
 * Palette: indexes looked up into RGB as deep as the colour map needs: 8 bits when every
 * entry is an 8-bit value (v · 257, or an old 8-bit map), else 16, so that no colour
 * loses the precision its map gives it (libtiff's RGBA interface truncates to 8 bits). A
 * palette with extra samples is left to that interface.
 */
static int
describe_palette(struct image *im, char **cause)
{
	uint16_t	*r, *g, *b;
	uint32_t	 i, n = 1u << im->stored_bits;
	int		 exact8 = 1;

	if (im->stored_bits > 16 || !TIFFGetField(im->tif, TIFFTAG_COLORMAP, &r, &g, &b)) {
		*cause = xasprintf("a %u-bit palette image without its colour map is not "
		    "supported", im->stored_bits);
		return -1;
	}
	im->cmap[0] = r;
	im->cmap[1] = g;
	im->cmap[2] = b;
	im->cmap8 = 1;
	for (i = 0; i < n; i++) {
		if (r[i] > 255 || g[i] > 255 || b[i] > 255)
			im->cmap8 = 0;
		if (r[i] % 257 || g[i] % 257 || b[i] % 257)
			exact8 = 0;
	}
	im->palette = 1;
	im->widen = 1;
	im->samples = 3;
	im->format = im->cmap8 || exact8 ? SAMPLE_UINT8 : SAMPLE_UINT16;
	im->bits = sample_bits(im->format);
	im->photometric = PHOTOMETRIC_RGB;
	return 0;
}

/* Through libtiff's RGBA interface: 8-bit gray or RGB, the pixels in the stored order. */
static int
describe_convert(struct image *im, char **cause)
{
	char	emsg[1024];

	if (!TIFFRGBAImageOK(im->tif, emsg)) {
		*cause = xasprintf("%u-bit %u-sample images of photometric %u are "
		    "not supported (%s)", im->stored_bits, im->stored_samples,
		    im->photometric, emsg);
		return -1;
	}
	im->convert = 1;
	im->bits = 8;
	im->format = SAMPLE_UINT8;
	if (im->photometric == PHOTOMETRIC_MINISBLACK ||
	    im->photometric == PHOTOMETRIC_MINISWHITE) {
		im->samples = 1;
		im->photometric = PHOTOMETRIC_MINISBLACK;
	} else {
		im->samples = 3;
		im->photometric = PHOTOMETRIC_RGB;
	}
	return 0;
}

/* Bytes of pixel data the header promises, for plausible(). */
static double
claimed_bytes(struct image *im)
{
	TIFF		*tif = im->tif;
	uint16_t	 planar;

	if (TIFFIsTiled(tif))
		return (double)im->width * im->height * im->stored_samples *
		    im->stored_bits / 8;
	/* libtiff's own count knows YCbCr subsampling. */
	TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
	return (double)TIFFVStripSize64(tif, im->height) *
	    (planar == PLANARCONFIG_SEPARATE ? im->stored_samples : 1);
}

/*
 * Refuse, before anything is allocated, a file whose strips or tiles lie beyond its end or
 * are too few bytes to hold the pixels its header claims.
 */
static int
plausible(struct image *im, uint64_t file_size, char **cause)
{
	TIFF		*tif = im->tif;
	uint32_t	 i, n = TIFFIsTiled(tif) ? TIFFNumberOfTiles(tif) :
			    TIFFNumberOfStrips(tif);
	uint64_t	 stored = 0, off, len;
	double		 claimed = claimed_bytes(im);
	int		 err = 0;

	for (i = 0; i < n; i++) {
		off = TIFFGetStrileOffsetWithErr(tif, i, &err);
		len = TIFFGetStrileByteCountWithErr(tif, i, &err);
		if (err || off > file_size || len > file_size - off) {
			*cause = xasprintf("truncated or corrupt: pixel data %u of %u "
			    "lies beyond the end of the file", i + 1, n);
			return -1;
		}
		stored += len;
	}
	if (claimed > (double)stored *
	    (im->compression == COMPRESSION_NONE ? 1 : MAX_RATIO)) {
		*cause = xasprintf("truncated or corrupt: %ux%u pixels cannot come "
		    "from %llu bytes of data", im->width, im->height,
		    (unsigned long long)stored);
		return -1;
	}
	return 0;
}

/* A file without Photometric: inks if it names an InkSet, else RGB or gray by samples. */
static uint16_t
guess_photometric(TIFF *tif, uint16_t spp)
{
	uint16_t	inkset;

	if (TIFFGetField(tif, TIFFTAG_INKSET, &inkset))
		return PHOTOMETRIC_SEPARATED;
	return spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
}

/* What the file says of itself that does not depend on how its pixels are read. */
static void
describe_file(struct image *im)
{
	TIFF	*tif = im->tif;

	TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &im->width);
	TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &im->height);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &im->stored_samples);
	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &im->stored_bits);
	if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &im->photometric))
		im->photometric = guess_photometric(tif, im->stored_samples);
	im->stored_photometric = im->photometric;
	TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &im->compression);
	TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &im->predictor);
	TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &im->orientation);
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &im->resunit);
	if (!TIFFGetField(tif, TIFFTAG_XRESOLUTION, &im->xres) ||
	    !TIFFGetField(tif, TIFFTAG_YRESOLUTION, &im->yres))
		im->xres = im->yres = 0;
}

/*
 * Fax codecs complain of lines real scanners wrote, which libtiff's RGBA interface
 * decodes all the same, as ImageMagick and viewers do.
 */
static int
fax(uint16_t compression)
{
	return compression == COMPRESSION_CCITTRLE || compression == COMPRESSION_CCITTRLEW ||
	    compression == COMPRESSION_CCITTFAX3 || compression == COMPRESSION_CCITTFAX4;
}

/* Fill in how the pixels will look in image.bit and the output. */
static int
describe(struct image *im, uint64_t file_size, char **cause)
{
	uint16_t	nextra = 0, *extra, colour;
	int		kind = sample_kind(im->tif);

	describe_file(im);
	if (im->width == 0 || im->height == 0) {
		*cause = xasprintf("image has no pixels (%ux%u)", im->width,
		    im->height);
		return -1;
	}
	if (!TIFFIsCODECConfigured(im->compression)) {
		*cause = xasprintf("compression scheme %u is not supported by "
		    "this libtiff", im->compression);
		return -1;
	}
	if (im->photometric == PHOTOMETRIC_LOGLUV || im->photometric == PHOTOMETRIC_LOGL) {
		*cause = xasprintf("LogLuv high dynamic range images are not supported");
		return -1;
	}
	if (im->stored_samples > SAMPLES_MAX) {
		*cause = xasprintf("%u samples per pixel; at most %u are supported",
		    im->stored_samples, SAMPLES_MAX);
		return -1;
	}
	if (plausible(im, file_size, cause) == -1)
		return -1;
	TIFFGetField(im->tif, TIFFTAG_EXTRASAMPLES, &nextra, &extra);
	colour = colours(im->tif, im->photometric, im->stored_samples, nextra);
	if (colour != 0 && im->stored_samples >= colour && !fax(im->compression))
		return describe_direct(im, colour, kind, cause);
	if (kind != 'u') {
		*cause = format_refused(kind, im->stored_bits);
		return -1;
	}
	if (im->photometric == PHOTOMETRIC_PALETTE && im->stored_samples == 1)
		return describe_palette(im, cause);
	return describe_convert(im, cause);
}

/* Why path cannot be a TIFF file without reading it, or NULL and its size. */
static char *
not_a_file(const char *path, uint64_t *size)
{
	struct stat	st;

	if (stat(path, &st) == -1)
		return xasprintf("%s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return xasprintf("is a directory, not a TIFF file");
	if (!S_ISREG(st.st_mode))
		return xasprintf("not a regular file");
	if (st.st_size == 0)
		return xasprintf("empty file, not a TIFF file");
	*size = st.st_size;
	return NULL;
}

/*
 * Formats a TIFF is mistaken for, by the bytes they begin with; '?' stands for any byte
 * (no magic here has one of its own). A PNM begins "P1" to "P7" and a space: see pnm().
 */
static const struct magic {
	const char	*bytes;
	size_t		 len;
	const char	*what;
} magics[] = {
	{ "\x89PNG\r\n\x1a\n",		8,	"a PNG image" },
	{ "\xff\xd8\xff",			3,	"a JPEG image" },
	{ "GIF8",				4,	"a GIF image" },
	{ "RIFF????WEBP",			12,	"a WebP image" },
	{ "\0\0\0\x0cjP  \r\n\x87\n",	12,	"a JPEG 2000 image" },
	{ "\xff\x4f\xff\x51",		4,	"a JPEG 2000 codestream" },
	{ "%PDF-",				5,	"a PDF document" },
	{ "BM????\0\0\0\0",			10,	"a BMP image" },
};
#define SNIFF_BYTES	12	/* the longest magic */

/* Whether head, of n bytes, begins with magic. */
static int
begins(const uint8_t *head, size_t n, const struct magic *magic)
{
	size_t	i;

	if (n < magic->len)
		return 0;
	for (i = 0; i < magic->len; i++)
		if (magic->bytes[i] != '?' && (uint8_t)magic->bytes[i] != head[i])
			return 0;
	return 1;
}

/* Whether head, of n bytes, begins like a PBM, PGM, PPM or PAM file. */
static int
pnm(const uint8_t *head, size_t n)
{
	return n >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7' &&
	    (head[2] == ' ' || head[2] == '\t' || head[2] == '\n' || head[2] == '\r');
}

int
image_sniff(const char *path, const char **what, char **cause)
{
	uint8_t		head[SNIFF_BYTES];
	uint64_t	size;
	ssize_t		n;
	size_t		i;
	int		fd;

	*what = NULL;
	if ((*cause = not_a_file(path, &size)) != NULL)
		return -1;
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1 ||
	    (n = pread(fd, head, sizeof head, 0)) == -1) {
		*cause = xasprintf("%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; *what == NULL && i < sizeof magics / sizeof magics[0]; i++)
		if (begins(head, n, &magics[i]))
			*what = magics[i].what;
	if (pnm(head, n))
		*what = "a PNM image";
	return 0;
}

void
image_blank(struct image *im, uint32_t width, uint32_t height, uint16_t samples,
    uint16_t bits)
{
	memset(im, 0, sizeof *im);
	im->width = width;
	im->height = height;
	im->samples = samples;
	im->bits = bits;
	im->format = sample_of('u', bits);
	im->alpha = samples == 2 || samples == 4 ? EXTRASAMPLE_UNASSALPHA : 0;
	im->nextra = im->alpha != 0;
	im->extra[0] = im->alpha;
	im->photometric = samples < 3 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB;
	/* Lossless, and a rendered frame has large flat areas. */
	im->compression = COMPRESSION_ADOBE_DEFLATE;
	im->predictor = PREDICTOR_HORIZONTAL;
	im->orientation = ORIENTATION_TOPLEFT;
}

int
image_open(struct image *im, const char *path, char **cause)
{
	uint64_t	size = 0;

	memset(im, 0, sizeof *im);
	if ((*cause = not_a_file(path, &size)) != NULL)
		return -1;
	/* "m": no memory map, whose pages would count against the master's memory. */
	if ((im->tif = open_tiff(im, path, "rm")) == NULL) {
		*cause = errno == EACCES ? xasprintf("%s", strerror(errno)) :
		    tiff_cause(im, "not a readable TIFF file");
		return -1;
	}
	if (describe(im, size, cause) == -1) {
		image_close(im, NULL);
		return -1;
	}
	im->tags = tags_read(im->tif, im->stored_photometric);
	im->nodata = tags_nodata(im->tags, &im->nodata_value);
	return 0;
}

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

/*
 * n samples as the file stores them into the format image.bit holds: half floats made
 * single, packed samples (high bits first, as TIFF packs them) and 24-bit ones widened
 * and scaled, and palette indexes looked up into RGB.
 */
static void
widen(const struct image *im, const uint8_t *src, size_t n, void *dst)
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

/*
 * Copy one decoded strip or tile — `rows` rows of `cw` pixels of `cspp` stored samples
 * each, starting at plane `plane` — into the band of whole interleaved rows, through
 * `wide` (a row of cw · cspp held samples) when they must be widened.
 */
static void
place_chunk(const struct image *im, const uint8_t *chunk, uint32_t cw,
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
			widen(im, src, (size_t)cols * cspp, wide);
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

/*
 * Divide premultiplied colour by alpha, as ImageMagick does when it reads associated
 * alpha: image.bit always holds unassociated alpha. Integers of 8 and 16 bits exactly,
 * the rest in single precision.
 */
static void
unassociate(const struct image *im, uint8_t *band, uint32_t rows)
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

/*
 * CIE Lab's a* and b* are signed in the file: flipping their sign bits offsets them by
 * half the range, into the unsigned samples every operation expects, and back again.
 */
static void
flip_lab(const struct image *im, void *rows, uint32_t n)
{
	uint8_t		*p8 = rows;
	uint16_t	*p16 = rows;
	size_t		 i, count = (size_t)im->width * n, spp = im->samples;

	for (i = 0; i < count; i++)
		if (im->bits == 8) {
			p8[i * spp + 1] ^= 0x80;
			p8[i * spp + 2] ^= 0x80;
		} else {
			p16[i * spp + 1] ^= 0x8000;
			p16[i * spp + 2] ^= 0x8000;
		}
}

/* n × size bytes, or NULL and a cause: image-sized buffers must not kill the master. */
static void *
try_alloc(size_t n, size_t size, char **cause)
{
	void	*p = NULL;

	if (size == 0 || n <= SIZE_MAX / size)
		p = malloc(n * size == 0 ? 1 : n * size);
	if (p == NULL)
		*cause = xasprintf("cannot allocate %zu×%zu bytes to decode it", n,
		    size);
	return p;
}

/* Finish decoded rows [y, y + rows), store them in image.bit, and say so. */
static int
put_band(const struct image *im, int fd, uint8_t *band, uint32_t y,
    uint32_t rows, size_t row_bytes, char **cause)
{
	if (im->premultiplied)
		unassociate(im, band, rows);
	if (im->lab)
		flip_lab(im, band, rows);
	if (pwrite_all(fd, band, rows * row_bytes, y * row_bytes) == 0) {
		im->decoded(im->decoded_arg, y + rows);
		return 0;
	}
	*cause = xasprintf("image.bit: %s", strerror(errno));
	return -1;
}

/*
 * Decode strips of interleaved samples a scanline at a time, in bands of about
 * SCANLINE_BAND bytes: for strips too big to hold twice, decoded, in memory. libtiff
 * still reads a compressed strip's raw bytes whole.
 */
static int
decode_scanlines(struct image *im, int fd, char **cause)
{
	size_t		 row_bytes = image_row_bytes(im);
	uint32_t	 band_rows = SCANLINE_BAND / row_bytes + 1, y, i, rows;
	uint8_t		*band = try_alloc(band_rows, row_bytes, cause);
	uint8_t		*line = band == NULL || !im->widen ? NULL :
			    try_alloc(TIFFScanlineSize(im->tif), 1, cause);
	int		 r = band != NULL && (line != NULL || !im->widen) ? 0 : -1;

	for (y = 0; r == 0 && y < im->height; y += rows) {
		rows = im->height - y < band_rows ? im->height - y : band_rows;
		for (i = 0; r == 0 && i < rows; i++) {
			if (TIFFReadScanline(im->tif, im->widen ? line : band + i *
			    row_bytes, y + i, 0) == -1) {
				*cause = tiff_cause(im, "cannot decode pixels");
				r = -1;
			} else if (im->widen)
				widen(im, line, (size_t)im->width * im->stored_samples,
				    band + i * row_bytes);
		}
		if (r == 0)
			r = put_band(im, fd, band, y, rows, row_bytes, cause);
	}
	free(line);
	free(band);
	return r;
}

/* Read chunk (strip or tile) x, y of plane p into `into`: -1 with *cause. */
static int
read_chunk(struct image *im, uint32_t x, uint32_t y, uint16_t p, uint8_t *into,
    tmsize_t size, char **cause)
{
	tmsize_t	got;

	/* Given the size, libtiff reads an uncompressed strip straight into `into`. */
	got = TIFFIsTiled(im->tif) ? TIFFReadTile(im->tif, into, x, y, 0, p) :
	    TIFFReadEncodedStrip(im->tif, TIFFComputeStrip(im->tif, y, p), into, size);
	if (got == -1)
		*cause = tiff_cause(im, "cannot decode pixels");
	return got == -1 ? -1 : 0;
}

/* Decode strips or tiles, any planar configuration, a band of whole rows at a time. */
static int
decode_direct(struct image *im, int fd, char **cause)
{
	TIFF		*tif = im->tif;
	uint32_t	 cw = im->width, ch, y, x, rows;
	uint16_t	 planar, planes, cspp, p;
	size_t		 row_bytes = image_row_bytes(im);
	uint8_t		*chunk, *band, *into, *wide = NULL;
	tmsize_t	 size;
	int		 tiled = TIFFIsTiled(tif), whole, r = -1;

	TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
	planes = planar == PLANARCONFIG_SEPARATE ? im->stored_samples : 1;
	cspp = planar == PLANARCONFIG_SEPARATE ? 1 : im->stored_samples;
	if (tiled) {
		TIFFGetField(tif, TIFFTAG_TILEWIDTH, &cw);
		TIFFGetField(tif, TIFFTAG_TILELENGTH, &ch);
	} else
		TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &ch);
	if (ch > im->height)
		ch = im->height;
	if (!tiled && planes == 1 && (uint64_t)TIFFStripSize(tif) > SCANLINE_BAND)
		return decode_scanlines(im, fd, cause);
	/* A strip of interleaved samples as held is already a band of rows: in place. */
	whole = !tiled && planes == 1 && !im->widen;
	size = whole ? (tmsize_t)(ch * row_bytes) : tiled ? TIFFTileSize(tif) :
	    TIFFStripSize(tif);
	chunk = whole ? NULL : try_alloc(size, 1, cause);
	if (im->widen && chunk != NULL &&
	    (wide = try_alloc((size_t)cw * cspp * 3, sizeof(uint64_t), cause)) == NULL) {
		free(chunk);
		return -1;
	}
	band = chunk == NULL && !whole ? NULL : try_alloc(ch, row_bytes, cause);
	into = whole ? band : chunk;
	for (y = 0; band != NULL && y < im->height; y += ch) {
		rows = im->height - y < ch ? im->height - y : ch;
		for (p = 0; p < planes; p++)
			for (x = 0; x < im->width; x += cw) {
				if (read_chunk(im, x, y, p, into, size, cause) == -1)
					goto out;
				if (!whole)
					place_chunk(im, chunk, cw, x, rows, cspp, p,
					    band, wide);
			}
		if (put_band(im, fd, band, y, rows, row_bytes, cause) == -1)
			goto out;
	}
	r = band != NULL ? 0 : -1;
out:
	free(band);
	free(wide);
	free(chunk);
	return r;
}

/*
 * Whether the file's strips are already image.bit's rows, byte for byte: uncompressed
 * interleaved samples as held, in the host's order, whole bytes in the usual bit order.
 */
static int
copyable(const struct image *im)
{
	uint16_t	planar, fill;

	TIFFGetFieldDefaulted(im->tif, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetFieldDefaulted(im->tif, TIFFTAG_FILLORDER, &fill);
	return !TIFFIsTiled(im->tif) && planar == PLANARCONFIG_CONTIG &&
	    im->compression == COMPRESSION_NONE && fill == FILLORDER_MSB2LSB &&
	    !im->widen && !im->lab && !im->premultiplied &&
	    (im->bits == 8 || !TIFFIsByteSwapped(im->tif));
}

/* Copy len bytes at off of the file to image.bit at to, in the kernel; -1 and errno. */
static int
copy_range(int from, off_t off, int fd, off_t to, size_t len)
{
	ssize_t	n;

	for (; len > 0; len -= n)
		if ((n = copy_file_range(from, &off, fd, &to, len, 0)) <= 0) {
			if (n == 0)
				errno = EIO;	/* the strip ends before the file does */
			return -1;
		}
	return 0;
}

/*
 * Move uncompressed strips into image.bit without a copy through this process (see
 * copyable()): copy_file_range(2), which a filesystem may even do by sharing blocks.
 * 1 if the kernel cannot (another filesystem, an old kernel) or a strip is short:
 * decode them instead.
 */
static int
decode_copy(struct image *im, int fd, char **cause)
{
	size_t		 row_bytes = image_row_bytes(im);
	uint32_t	 ch, y, rows, s;
	uint64_t	 off;
	int		 err = 0;

	TIFFGetFieldDefaulted(im->tif, TIFFTAG_ROWSPERSTRIP, &ch);
	ch = ch < im->height ? ch : im->height;
	/* A short strip is libtiff's to report, as it reads it. */
	for (y = 0, s = 0; y < im->height; y += rows, s++) {
		rows = im->height - y < ch ? im->height - y : ch;
		if (TIFFGetStrileByteCountWithErr(im->tif, s, &err) < rows * row_bytes || err)
			return 1;
	}
	for (y = 0, s = 0; y < im->height; y += rows, s++) {
		rows = im->height - y < ch ? im->height - y : ch;
		off = TIFFGetStrileOffsetWithErr(im->tif, s, &err);
		if (copy_range(TIFFFileno(im->tif), (off_t)off, fd, (off_t)y * row_bytes,
		    rows * row_bytes) == -1) {
			if (y == 0 && (errno == EXDEV || errno == EINVAL ||
			    errno == ENOSYS || errno == EOPNOTSUPP))
				return 1;
			*cause = xasprintf("image.bit: %s", strerror(errno));
			return -1;
		}
		im->decoded(im->decoded_arg, y + rows);
	}
	return 0;
}

/* Decode through libtiff's RGBA interface into 8-bit gray or RGB. */
static int
decode_convert(struct image *im, int fd, char **cause)
{
	TIFFRGBAImage	 img;
	uint32_t	*raster, y, rows, i, px, chunk, band_rows;
	uint8_t		*band, *q;
	size_t		 row_bytes = (size_t)im->width * im->samples;
	char		 emsg[1024];
	int		 r = -1;

	if (!TIFFRGBAImageBegin(&img, im->tif, 0, emsg)) {
		*cause = xasprintf("cannot decode pixels (%s)", emsg);
		return -1;
	}
	/* Rows as stored: the output keeps the Orientation tag, as the direct path does. */
	img.req_orientation = im->orientation;
	/*
	 * Whole strips or tile rows only: some decoders (old JPEG) cannot start inside a
	 * strip, and libtiff writes whole tile rows whatever band it is asked for.
	 */
	if (TIFFIsTiled(im->tif))
		TIFFGetField(im->tif, TIFFTAG_TILELENGTH, &chunk);
	else
		TIFFGetFieldDefaulted(im->tif, TIFFTAG_ROWSPERSTRIP, &chunk);
	chunk = chunk < im->height ? chunk : im->height;
	band_rows = (CONVERT_BAND + chunk - 1) / chunk * chunk;
	raster = try_alloc((size_t)im->width * band_rows, sizeof *raster, cause);
	band = raster == NULL ? NULL : try_alloc(band_rows, row_bytes, cause);
	for (y = 0; band != NULL && y < im->height; y += rows) {
		rows = im->height - y < band_rows ? im->height - y : band_rows;
		img.row_offset = y;
		img.col_offset = 0;
		if (!TIFFRGBAImageGet(&img, raster, im->width, rows)) {
			*cause = tiff_cause(im, "cannot decode pixels");
			goto out;
		}
		for (i = 0, q = band; i < im->width * rows; i++) {
			px = raster[i];
			*q++ = TIFFGetR(px);
			if (im->samples == 3) {
				*q++ = TIFFGetG(px);
				*q++ = TIFFGetB(px);
			}
		}
		if (put_band(im, fd, band, y, rows, row_bytes, cause) == -1)
			goto out;
	}
	r = band != NULL ? 0 : -1;
out:
	free(band);
	free(raster);
	TIFFRGBAImageEnd(&img);
	return r;
}

int
image_decode(struct image *im, int fd, void (*decoded)(void *, uint32_t),
    void *arg, char **cause)
{
	int	r;

	im->decoded = decoded;
	im->decoded_arg = arg;
	if (im->convert)
		return decode_convert(im, fd, cause);
	if (copyable(im) && (r = decode_copy(im, fd, cause)) != 1)
		return r;
	return decode_direct(im, fd, cause);
}

/*
 * The output's compression: the input's when it is lossless and libtiff can write it for
 * these pixels; otherwise (JPEG, fax, LogLuv, ...) Deflate, so that a blur never adds
 * compression loss of its own.
 */
static uint16_t
output_compression(const struct image *like)
{
	switch (like->compression) {
	case COMPRESSION_NONE:
	case COMPRESSION_LZW:
	case COMPRESSION_PACKBITS:
	case COMPRESSION_ADOBE_DEFLATE:
	case COMPRESSION_DEFLATE:
	case COMPRESSION_ZSTD:
	case COMPRESSION_LZMA:
		return like->compression;
	case COMPRESSION_WEBP:
		if (like->bits == 8 && like->samples >= 3)
			return COMPRESSION_WEBP;	/* written lossless */
		break;
	}
	return COMPRESSION_ADOBE_DEFLATE;
}

/*
 * The output's predictor: the input's where it suits the samples and the compression
 * (horizontal differencing for integers, floating-point for floats), else none.
 */
static uint16_t
output_predictor(const struct image *im, const struct image *like)
{
	if (im->compression == COMPRESSION_NONE || im->compression == COMPRESSION_PACKBITS ||
	    im->compression == COMPRESSION_WEBP)
		return PREDICTOR_NONE;
	if (like->predictor == PREDICTOR_FLOATINGPOINT && sample_is_float(like->format))
		return PREDICTOR_FLOATINGPOINT;
	if (like->predictor == PREDICTOR_HORIZONTAL && !sample_is_float(like->format))
		return PREDICTOR_HORIZONTAL;
	return PREDICTOR_NONE;
}

/* SampleFormat of a format of sample.h. */
static uint16_t
tiff_sample_format(enum sample_format f)
{
	if (sample_is_float(f))
		return SAMPLEFORMAT_IEEEFP;
	return sample_min(f) < 0 ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;
}

/* Set the tags of a new image shaped like `like`. */
static int
set_tags(struct image *im, const struct image *like)
{
	TIFF		*tif = im->tif;
	uint16_t	 predictor = output_predictor(im, like);
	int		 ok;

	ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, like->width) &&
	    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, like->height) &&
	    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, like->bits) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, like->samples) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, tiff_sample_format(like->format)) &&
	    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, like->photometric) &&
	    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
	    TIFFSetField(tif, TIFFTAG_ORIENTATION, like->orientation) &&
	    TIFFSetField(tif, TIFFTAG_COMPRESSION, im->compression);
	if (ok && like->nextra != 0)
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, like->nextra, like->extra);
	if (ok && predictor != PREDICTOR_NONE)
		ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, predictor);
	if (ok && im->compression == COMPRESSION_WEBP)
		ok = TIFFSetField(tif, TIFFTAG_WEBP_LOSSLESS, 1);
	if (ok && like->xres > 0 && like->yres > 0)
		ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, like->xres) &&
		    TIFFSetField(tif, TIFFTAG_YRESOLUTION, like->yres) &&
		    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, like->resunit);
	if (ok)
		ok = TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, im->strip_rows);
	return ok ? 0 : -1;
}

/*
 * The height of the output's strips: the tallest that divides a block and holds at
 * most STRIP_BYTES, so a block is whole strips.
 */
static uint32_t
strip_rows(const struct image *like, uint32_t block)
{
	uint32_t	rows = STRIP_BYTES / image_row_bytes(like), d;

	for (d = rows < block ? rows : block; d > 1; d--)
		if (block % d == 0)
			return d;
	return 1;
}

int
image_create(struct image *im, const char *path, const struct image *like,
    uint32_t block, char **cause)
{
	uint64_t	bytes = (uint64_t)image_row_bytes(like) * like->height;
	int		fd;

	*im = *like;
	im->tif = NULL;		/* like's, which only like closes */
	im->tags = NULL;
	im->strip_rows = strip_rows(like, block);
	im->compression = output_compression(like);
	/*
	 * Made here, not by libtiff: its "w" opens with O_TRUNC, and ext4 takes a file
	 * truncated to nothing for one being replaced, so its close writes back every
	 * page at once (14 ms at 48 MB) instead of leaving that to the kernel's flusher.
	 */
	fd = open(path, O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0666);
	if (fd == -1) {
		*cause = xasprintf("cannot write: %s", strerror(errno));
		return -1;
	}
	/* Leave room below 4 GiB for the directory and strip tables. */
	im->tif = tiffopts_fdopen(fd, path, bytes > 0xF0000000u ? "w8" : "w", im->error);
	if (im->tif == NULL) {
		*cause = tiff_cause(im, "cannot create");
		return -1;
	}
	if (set_tags(im, like) == -1) {
		*cause = tiff_cause(im, "cannot describe the output");
		image_close(im, NULL);
		return -1;
	}
	if (tags_write(like->tags, im->tif, cause) == -1) {
		image_close(im, NULL);
		return -1;
	}
	im->error[0] = '\0';	/* a tag libtiff would not take is not an error */
	return 0;
}

/*
 * Why a write to a created image failed: the system's reason first (a full disk, an I/O
 * error), which libtiff's own words ("Write error at scanline 388") leave out.
 */
static char *
write_cause(const struct image *im, int err)
{
	char	*text, *why;

	if (err == 0)
		return tiff_cause(im, "cannot write");
	why = xasprintf("cannot write: %s", strerror(err));
	text = tiff_cause(im, why);
	free(why);
	return text;
}

int
image_write_strip(struct image *im, uint32_t y, void *rows, uint32_t n,
    char **cause)
{
	if (im->lab)
		flip_lab(im, rows, n);
	errno = 0;
	if (TIFFWriteEncodedStrip(im->tif, y / im->strip_rows, rows,
	    (tmsize_t)n * image_row_bytes(im)) == -1) {
		*cause = write_cause(im, errno);
		return -1;
	}
	return 0;
}

int
image_close(struct image *im, char **cause)
{
	int	r = 0;

	tags_free(im->tags);
	im->tags = NULL;
	if (im->tif == NULL)
		return 0;
	errno = 0;
	if (TIFFGetMode(im->tif) != O_RDONLY && !TIFFFlush(im->tif)) {
		if (cause != NULL)
			*cause = write_cause(im, errno);
		r = -1;
	}
	TIFFClose(im->tif);
	im->tif = NULL;
	return r;
}
