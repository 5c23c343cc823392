/*
 * image.c — TIFF <-> image.bit (see image.h).
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
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

/* Keep libtiff's last error for this file, to say it in one line later. */
static int
keep_error(TIFF *tif, void *user, const char *module, const char *fmt,
    va_list ap)
{
	struct image	*im = user;

	(void)tif;
	(void)module;
	vsnprintf(im->error, sizeof im->error, fmt, ap);
	return 1;
}

/* Warnings (unknown tags and the like) change nothing we do: drop them. */
static int
drop_warning(TIFF *tif, void *user, const char *module, const char *fmt,
    va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

static TIFF *
open_tiff(struct image *im, const char *path, const char *mode)
{
	TIFFOpenOptions	*opts;
	TIFF		*tif;

	im->error[0] = '\0';
	opts = TIFFOpenOptionsAlloc();
	TIFFOpenOptionsSetErrorHandlerExtR(opts, keep_error, im);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, drop_warning, im);
	tif = TIFFOpenExt(path, mode, opts);
	TIFFOpenOptionsFree(opts);
	return tif;
}

/* Bytes in one row of interleaved samples, as image.bit and the output hold them. */
static size_t
image_row_bytes(const struct image *im)
{
	return (size_t)im->width * im->samples * im->bits / 8;
}

/* A cause built from our words and libtiff's, if it said anything. */
static char *
tiff_cause(const struct image *im, const char *what)
{
	if (im->error[0] == '\0')
		return xasprintf("%s", what);
	return xasprintf("%s (%s)", what, im->error);
}

/* Whether the file's samples can be copied as they are. */
static int
direct(const struct image *im, uint16_t spp, uint16_t bits)
{
	uint16_t	colour;

	if (bits != 8 && bits != 16)
		return 0;
	switch (im->photometric) {
	case PHOTOMETRIC_MINISBLACK:
	case PHOTOMETRIC_MINISWHITE:
		colour = 1;
		break;
	case PHOTOMETRIC_RGB:
		colour = 3;
		break;
	default:
		return 0;
	}
	return spp >= colour && spp <= colour + 1;
}

/* What kind of samples this is, when it is one we refuse. */
static const char *
refused(TIFF *tif, uint16_t photometric, uint16_t spp)
{
	uint16_t	format;

	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
	if (photometric == PHOTOMETRIC_LOGLUV || photometric == PHOTOMETRIC_LOGL)
		return "LogLuv high dynamic range images are not supported";
	if (format == SAMPLEFORMAT_IEEEFP)
		return "floating-point samples are not supported";
	if (format != SAMPLEFORMAT_UINT && format != SAMPLEFORMAT_VOID)
		return "signed or complex samples are not supported";
	if (spp > 4)
		return "more than 4 samples per pixel are not supported";
	return NULL;
}

/*
 * Refuse, before anything is allocated, a file whose strips or tiles lie beyond its end or
 * are too few bytes to hold the pixels its header claims.
 */
static int
plausible(struct image *im, uint64_t file_size, uint16_t spp, uint16_t bits,
    char **cause)
{
	TIFF		*tif = im->tif;
	uint32_t	 i, n = TIFFIsTiled(tif) ? TIFFNumberOfTiles(tif) :
			    TIFFNumberOfStrips(tif);
	uint64_t	 stored = 0, off, len;
	double		 claimed = (double)im->width * im->height * spp * bits / 8;
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

/* Fill in how the pixels will look in image.bit and the output. */
static int
describe(struct image *im, uint64_t file_size, char **cause)
{
	TIFF		*tif = im->tif;
	uint16_t	 spp, bits, n, *extra;
	const char	*no;
	char		 emsg[1024];

	TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &im->width);
	TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &im->height);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
	if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &im->photometric))
		im->photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
	TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &im->compression);
	TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &im->predictor);
	TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &im->orientation);
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &im->resunit);
	if (!TIFFGetField(tif, TIFFTAG_XRESOLUTION, &im->xres) ||
	    !TIFFGetField(tif, TIFFTAG_YRESOLUTION, &im->yres))
		im->xres = im->yres = 0;
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
	if ((no = refused(tif, im->photometric, spp)) != NULL) {
		*cause = xasprintf("%s", no);
		return -1;
	}
	if (plausible(im, file_size, spp, bits, cause) == -1)
		return -1;
	if (direct(im, spp, bits)) {
		im->samples = spp;
		im->bits = bits;
		im->alpha = 0;
		if (spp == 2 || spp == 4) {
			/* An unspecified extra sample is alpha, as ImageMagick reads it. */
			im->alpha = EXTRASAMPLE_UNASSALPHA;
			im->premultiplied = TIFFGetField(tif, TIFFTAG_EXTRASAMPLES,
			    &n, &extra) && n == 1 && extra[0] == EXTRASAMPLE_ASSOCALPHA;
		}
		im->format = sample_of('u', im->bits);
		return 0;
	}
	if (!TIFFRGBAImageOK(tif, emsg)) {
		*cause = xasprintf("%u-bit %u-sample images of photometric %u are "
		    "not supported (%s)", bits, spp, im->photometric, emsg);
		return -1;
	}
	im->convert = 1;
	im->bits = 8;
	im->format = SAMPLE_UINT8;
	im->alpha = 0;
	if (im->photometric == PHOTOMETRIC_MINISBLACK ||
	    im->photometric == PHOTOMETRIC_MINISWHITE) {
		im->samples = 1;
		im->photometric = PHOTOMETRIC_MINISBLACK;
	} else {
		im->samples = 3;
		im->photometric = PHOTOMETRIC_RGB;
	}
	im->orientation = ORIENTATION_TOPLEFT;	/* the RGBA interface applies it */
	return 0;
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
	im->tags = tags_read(im->tif);
	im->nodata = tags_nodata(im->tags, &im->nodata_value);
	return 0;
}

/*
 * Copy one decoded strip or tile — `rows` rows of `cols` pixels of `cspp` samples each,
 * starting at plane `plane` — into the band of whole interleaved rows.
 */
static void
place_chunk(const struct image *im, const uint8_t *chunk, uint32_t cw,
    uint32_t x0, uint32_t rows, uint16_t cspp, uint16_t plane, uint8_t *band)
{
	size_t		bps = im->bits / 8, pixel = im->samples * bps;
	size_t		piece = cspp * bps, row_bytes = im->width * pixel;
	uint32_t	cols = im->width - x0 < cw ? im->width - x0 : cw, r, x;

	for (r = 0; r < rows; r++) {
		const uint8_t	*src = chunk + (size_t)r * cw * piece;
		uint8_t		*dst = band + r * row_bytes + x0 * pixel +
				    plane * bps;

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
 * alpha: image.bit always holds unassociated alpha.
 */
static void
unassociate(const struct image *im, uint8_t *band, uint32_t rows)
{
	size_t		 i, n = (size_t)im->width * rows, spp = im->samples;
	uint32_t	 max = im->bits == 8 ? 255 : 65535, a, c, v;
	uint16_t	*p16 = (uint16_t *)band;

	for (i = 0; i < n; i++)
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

/* Store decoded rows [y, y + rows) in image.bit, and say so. */
static int
put_band(const struct image *im, int fd, const uint8_t *band, uint32_t y,
    uint32_t rows, size_t row_bytes, char **cause)
{
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
	int		 r = band != NULL ? 0 : -1;

	for (y = 0; r == 0 && y < im->height; y += rows) {
		rows = im->height - y < band_rows ? im->height - y : band_rows;
		for (i = 0; r == 0 && i < rows; i++)
			if (TIFFReadScanline(im->tif, band + i * row_bytes, y + i, 0) == -1) {
				*cause = tiff_cause(im, "cannot decode pixels");
				r = -1;
			}
		if (r == 0 && im->premultiplied)
			unassociate(im, band, rows);
		if (r == 0)
			r = put_band(im, fd, band, y, rows, row_bytes, cause);
	}
	free(band);
	return r;
}

/* Decode strips or tiles, any planar configuration, a band of whole rows at a time. */
static int
decode_direct(struct image *im, int fd, char **cause)
{
	TIFF		*tif = im->tif;
	uint32_t	 cw = im->width, ch, y, x, rows;
	uint16_t	 planar, planes, cspp, p;
	size_t		 row_bytes = image_row_bytes(im);
	uint8_t		*chunk, *band, *into;
	tmsize_t	 got, size;
	int		 tiled = TIFFIsTiled(tif), whole, r = -1;

	TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
	planes = planar == PLANARCONFIG_SEPARATE ? im->samples : 1;
	cspp = planar == PLANARCONFIG_SEPARATE ? 1 : im->samples;
	if (tiled) {
		TIFFGetField(tif, TIFFTAG_TILEWIDTH, &cw);
		TIFFGetField(tif, TIFFTAG_TILELENGTH, &ch);
	} else
		TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &ch);
	if (ch > im->height)
		ch = im->height;
	/* A strip of interleaved samples is already a band of rows: decode it in place. */
	whole = !tiled && planes == 1;
	if (whole && (uint64_t)TIFFStripSize(tif) > SCANLINE_BAND)
		return decode_scanlines(im, fd, cause);
	size = whole ? (tmsize_t)(ch * row_bytes) : tiled ? TIFFTileSize(tif) :
	    TIFFStripSize(tif);
	chunk = whole ? NULL : try_alloc(size, 1, cause);
	band = chunk == NULL && !whole ? NULL : try_alloc(ch, row_bytes, cause);
	into = whole ? band : chunk;
	for (y = 0; band != NULL && y < im->height; y += ch) {
		rows = im->height - y < ch ? im->height - y : ch;
		for (p = 0; p < planes; p++)
			for (x = 0; x < im->width; x += cw) {
				/* Given the size, libtiff reads an uncompressed
				   strip straight into `into`, not via its buffer. */
				got = tiled ? TIFFReadTile(tif, into, x, y, 0, p) :
				    TIFFReadEncodedStrip(tif,
				    TIFFComputeStrip(tif, y, p), into, size);
				if (got == -1) {
					*cause = tiff_cause(im, "cannot decode pixels");
					goto out;
				}
				if (!whole)
					place_chunk(im, chunk, cw, x, rows, cspp, p, band);
			}
		if (im->premultiplied)
			unassociate(im, band, rows);
		if (put_band(im, fd, band, y, rows, row_bytes, cause) == -1)
			goto out;
	}
	r = band != NULL ? 0 : -1;
out:
	free(band);
	free(chunk);
	return r;
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
	img.req_orientation = ORIENTATION_TOPLEFT;
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
	im->decoded = decoded;
	im->decoded_arg = arg;
	return im->convert ? decode_convert(im, fd, cause) :
	    decode_direct(im, fd, cause);
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

/* Set the tags of a new image shaped like `like`. */
static int
set_tags(struct image *im, const struct image *like)
{
	TIFF		*tif = im->tif;
	uint16_t	 extra = like->alpha;
	int		 ok;

	ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, like->width) &&
	    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, like->height) &&
	    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, like->bits) &&
	    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, like->samples) &&
	    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, like->photometric) &&
	    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
	    TIFFSetField(tif, TIFFTAG_ORIENTATION, like->orientation) &&
	    TIFFSetField(tif, TIFFTAG_COMPRESSION, im->compression);
	if (ok && extra != 0)
		ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
	if (ok && like->predictor == PREDICTOR_HORIZONTAL &&
	    im->compression != COMPRESSION_NONE &&
	    im->compression != COMPRESSION_PACKBITS &&
	    im->compression != COMPRESSION_WEBP)
		ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
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

	*im = *like;
	im->tags = NULL;	/* like's */
	im->strip_rows = strip_rows(like, block);
	im->compression = output_compression(like);
	/* Leave room below 4 GiB for the directory and strip tables. */
	im->tif = open_tiff(im, path, bytes > 0xF0000000u ? "w8" : "w");
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

int
image_write_strip(struct image *im, uint32_t y, void *rows, uint32_t n,
    char **cause)
{
	if (TIFFWriteEncodedStrip(im->tif, y / im->strip_rows, rows,
	    (tmsize_t)n * image_row_bytes(im)) == -1) {
		*cause = tiff_cause(im, "cannot write");
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
	if (TIFFGetMode(im->tif) != O_RDONLY && !TIFFFlush(im->tif)) {
		if (cause != NULL)
			*cause = tiff_cause(im, "cannot write");
		r = -1;
	}
	TIFFClose(im->tif);
	im->tif = NULL;
	return r;
}
