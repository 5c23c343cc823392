/*
 * image.c — opening a TIFF and describing its first image (see image.h); its pixels are
 * read by decode.c and written by encode.c.
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image-int.h"
#include "tags.h"
#include "util.h"

#define MAX_RATIO	65536

static TIFF *
image_open_tiff(struct image *im, const char *path, const char *mode)
{
	TIFFOpenOptions	*opts;
	TIFF		*tif;

	opts = tiffopts_new(im->error);
	tif = TIFFOpenExt(path, mode, opts);
	TIFFOpenOptionsFree(opts);
	return tif;
}

size_t
image_row_bytes(const struct image *im)
{
	return sample_row_bytes(im->width, im->samples, im->bits);
}

char *
image_cause(const struct image *im, const char *what)
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
	/*
	 * Not TIFFGetFieldDefaulted(): for a codec without a predictor (JPEG) it reads the
	 * codec's own state, which changes as strips are decoded.
	 */
	if (!TIFFGetField(tif, TIFFTAG_PREDICTOR, &im->predictor))
		im->predictor = PREDICTOR_NONE;
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
image_open_fd(struct image *im, int fd, const char *name, uint32_t directory,
    char **cause)
{
	struct stat	st;

	memset(im, 0, sizeof *im);
	if (fstat(fd, &st) == -1) {
		*cause = xasprintf("%s", strerror(errno));
		close(fd);
		return -1;
	}
	if ((im->tif = tiffopts_fdopen(fd, name, "rm", im->error)) == NULL) {
		*cause = image_cause(im, "not a readable TIFF file");
		return -1;
	}
	if (!TIFFSetDirectory(im->tif, (tdir_t)directory)) {
		*cause = xasprintf("no directory %u", directory);
		image_close(im, NULL);
		return -1;
	}
	if (describe(im, st.st_size, cause) == -1) {
		image_close(im, NULL);
		return -1;
	}
	return 0;
}

/* Directory i's NewSubfileType: 0 for a page; UINT32_MAX if it cannot be read. */
static uint32_t
subfile_type(TIFF *tif, tdir_t i)
{
	uint32_t	type = 0;

	if (!TIFFSetDirectory(tif, i))
		return UINT32_MAX;
	TIFFGetField(tif, TIFFTAG_SUBFILETYPE, &type);
	return type;
}

/*
 * Find page `page` (from 0; overviews and masks are not pages) and count the pages and
 * the overviews that follow it (as gdaladdo and GDAL's COG driver write them), leaving
 * its directory current: 0, or -1 if there is no such page.
 */
static int
find_page(struct image *im, uint32_t page)
{
	tdir_t		i, count = TIFFNumberOfDirectories(im->tif), at = 0;
	uint32_t	pages = 0, type;
	int		found = 0;

	for (i = 0; i < count; i++) {
		if (i > 0 && (type = subfile_type(im->tif, i)) != 0 &&
		    (type & ~(uint32_t)FILETYPE_PAGE) != 0) {
			im->overviews += found && pages == page + 1 &&
			    type == FILETYPE_REDUCEDIMAGE;
			continue;
		}
		if (pages++ == page) {
			at = i;
			found = 1;
		}
	}
	im->pages = pages;
	im->directory = at;
	return found && TIFFSetDirectory(im->tif, at) ? 0 : -1;
}

int
image_open(struct image *im, const char *path, uint32_t page, char **cause)
{
	uint64_t	size = 0;

	memset(im, 0, sizeof *im);
	if ((*cause = not_a_file(path, &size)) != NULL)
		return -1;
	/* "m": no memory map, whose pages would count against the master's memory. */
	if ((im->tif = image_open_tiff(im, path, "rm")) == NULL) {
		*cause = errno == EACCES ? xasprintf("%s", strerror(errno)) :
		    image_cause(im, "not a readable TIFF file");
		return -1;
	}
	if (find_page(im, page) == -1) {
		*cause = xasprintf("no page %u: the file has %u (from 0)", page, im->pages);
		image_close(im, NULL);
		return -1;
	}
	im->error[0] = '\0';	/* what other images said is not this one's */
	if (describe(im, size, cause) == -1) {
		image_close(im, NULL);
		return -1;
	}
	im->tags = tags_read(im->tif, im->stored_photometric);
	im->nodata = tags_nodata(im->tags, &im->nodata_value);
	return 0;
}
