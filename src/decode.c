/*
 * decode.c — an input's pixels into image.bit, a band at a time (see image_decode()):
 * copied as they are when the strips already are its rows, read strip by strip or tile
 * by tile, or through libtiff's RGBA interface.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image-int.h"
#include "util.h"

#define CONVERT_BAND	64
#define SCANLINE_BAND	(4u << 20)

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
		pixel_unassociate(im, band, rows);
	if (im->lab)
		pixel_flip_lab(im->width, im->samples, im->bits, band, rows);
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
				*cause = image_cause(im, "cannot decode pixels");
				r = -1;
			} else if (im->widen)
				pixel_widen(im, line, (size_t)im->width * im->stored_samples,
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
		*cause = image_cause(im, "cannot decode pixels");
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
					pixel_place_chunk(im, chunk, cw, x, rows, cspp, p,
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
			*cause = image_cause(im, "cannot decode pixels");
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
