/*
 * decode.c — an input's pixels, a band of whole strips or tile rows at a time, into
 * image.bit (image_decode()) or, for a slave, a block's rows in memory
 * (image_decode_rows()): copied as they are when the strips already are image.bit's
 * rows, read strip by strip or tile by tile, or through libtiff's RGBA interface.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
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

/*
 * Where decoded rows go: image.bit (fd), or rows [first, last) of the image into mem,
 * which is where a band wholly among them is decoded.
 */
struct sink {
	int		 fd;		/* -1: mem */
	uint8_t		*mem;
	uint32_t	 first, last;
	size_t		 row_bytes;
};

/* The first row of the chunk row, `ch` rows high, that holds row y. */
static uint32_t
chunk_row_start(uint32_t y, uint32_t ch)
{
	return y / ch * ch;
}

/* Where to decode rows [y, y + rows): into the sink's memory if they all go there. */
static uint8_t *
sink_band(const struct sink *k, uint8_t *scratch, uint32_t y, uint32_t rows)
{
	if (k->fd == -1 && y >= k->first && y + rows <= k->last)
		return k->mem + (y - k->first) * k->row_bytes;
	return scratch;
}

/* Finish decoded rows [y, y + rows) and store those the sink wants, saying so. */
static int
put_band(const struct image *im, const struct sink *k, uint8_t *band, uint32_t y,
    uint32_t rows, char **cause)
{
	uint32_t	a = y > k->first ? y : k->first;
	uint32_t	b = y + rows < k->last ? y + rows : k->last;

	if (b <= a)
		return 0;
	band += (a - y) * k->row_bytes;
	if (im->premultiplied)
		pixel_unassociate(im, band, b - a);
	if (im->lab)
		pixel_flip_lab(im->width, im->samples, im->bits, band, b - a);
	if (k->fd == -1) {
		if (band != k->mem + (a - k->first) * k->row_bytes)
			memcpy(k->mem + (a - k->first) * k->row_bytes, band,
			    (b - a) * k->row_bytes);
		return 0;
	}
	if (pwrite_all(k->fd, band, (b - a) * k->row_bytes, a * k->row_bytes) == 0) {
		im->decoded(im->decoded_arg, b);
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
decode_scanlines(struct image *im, const struct sink *k, char **cause)
{
	size_t		 row_bytes = k->row_bytes;
	uint32_t	 band_rows = SCANLINE_BAND / row_bytes + 1, y, i, rows;
	uint8_t		*band = try_alloc(band_rows, row_bytes, cause), *to;
	uint8_t		*line = band == NULL || !im->widen ? NULL :
			    try_alloc(TIFFScanlineSize(im->tif), 1, cause);
	int		 r = band != NULL && (line != NULL || !im->widen) ? 0 : -1;

	/* From the strip's first row: LZW, Deflate and most codecs cannot seek into it. */
	for (y = chunk_row_start(k->first, image_chunk_rows(im)); r == 0 && y < k->last;
	    y += rows) {
		rows = k->last - y < band_rows ? k->last - y : band_rows;
		to = sink_band(k, band, y, rows);
		for (i = 0; r == 0 && i < rows; i++) {
			if (TIFFReadScanline(im->tif, im->widen ? line : to + i *
			    row_bytes, y + i, 0) == -1) {
				*cause = image_cause(im, "cannot decode pixels");
				r = -1;
			} else if (im->widen)
				pixel_widen(im, line, (size_t)im->width * im->stored_samples,
				    to + i * row_bytes);
		}
		if (r == 0)
			r = put_band(im, k, to, y, rows, cause);
	}
	free(line);
	free(band);
	return r;
}

/* The number of chunk (strip or tile) x, y of plane p. */
static uint32_t
chunk_number(struct image *im, uint32_t x, uint32_t y, uint16_t p)
{
	return TIFFIsTiled(im->tif) ? TIFFComputeTile(im->tif, x, y, 0, p) :
	    TIFFComputeStrip(im->tif, y, p);
}

/* Read chunk n as stored into im->stored and hand it to im->raw: its size, or -1. */
static tmsize_t
read_stored(struct image *im, uint32_t n)
{
	uint64_t	size = TIFFGetStrileByteCount(im->tif, n);
	tmsize_t	got;

	reserve(&im->stored, &im->stored_size, size > 0 ? size : 1);
	got = TIFFIsTiled(im->tif) ? TIFFReadRawTile(im->tif, n, im->stored, size) :
	    TIFFReadRawStrip(im->tif, n, im->stored, size);
	if (got != -1)
		im->raw(im->raw_arg, im->stored, got);
	return got;
}

/*
 * Read the first `size` bytes of chunk x, y of plane p, decoded, into `into`: -1 with
 * *cause. With im->raw, from its stored bytes once they are handed over, so that what
 * is decoded is what raw() saw.
 */
static int
read_chunk(struct image *im, uint32_t x, uint32_t y, uint16_t p, uint8_t *into,
    tmsize_t size, char **cause)
{
	int		tiled = TIFFIsTiled(im->tif);
	uint32_t	n = chunk_number(im, x, y, p);
	tmsize_t	got;
	char		what[48];

	if (im->raw != NULL) {
		if ((got = read_stored(im, n)) != -1 &&
		    TIFFReadFromUserBuffer(im->tif, n, im->stored, got, into, size))
			return 0;
	} else if ((tiled ? TIFFReadEncodedTile(im->tif, n, into, size) :
	    TIFFReadEncodedStrip(im->tif, n, into, size)) != -1)
		/* Given the size, libtiff reads an uncompressed strip straight in. */
		return 0;
	snprintf(what, sizeof what, "cannot decode %s %u", tiled ? "tile" : "strip", n);
	*cause = image_cause(im, what);
	return -1;
}

/* The planes chunks are stored in: one, or each sample's (PlanarConfig separate). */
static uint16_t
planes(const struct image *im)
{
	uint16_t	planar;

	TIFFGetFieldDefaulted(im->tif, TIFFTAG_PLANARCONFIG, &planar);
	return planar == PLANARCONFIG_SEPARATE ? im->stored_samples : 1;
}

/* Whether strips are read a scanline at a time: contiguous ones too big to hold twice. */
static int
by_scanline(const struct image *im)
{
	return !TIFFIsTiled(im->tif) && planes(im) == 1 &&
	    (uint64_t)TIFFStripSize(im->tif) > SCANLINE_BAND;
}

/* The width of the input's chunks: its tiles', or the image's for strips. */
static uint32_t
chunk_width(const struct image *im)
{
	uint32_t	cw = im->width;

	if (TIFFIsTiled(im->tif))
		TIFFGetField(im->tif, TIFFTAG_TILEWIDTH, &cw);
	return cw;
}

/*
 * Call fn on each chunk of the chunk row at row y, plane by plane, left to right: the
 * order decode_direct() reads them in, which image_stored() must hand them over in.
 */
static int
each_chunk(struct image *im, uint32_t y, int (*fn)(struct image *, uint32_t x,
    uint32_t y, uint16_t p, void *arg, char **cause), void *arg, char **cause)
{
	uint32_t	cw = chunk_width(im), x;
	uint16_t	np = planes(im), p;

	for (p = 0; p < np; p++)
		for (x = 0; x < im->width; x += cw)
			if (fn(im, x, y, p, arg, cause) == -1)
				return -1;
	return 0;
}

/* decode_direct()'s band of `rows` rows, and where each chunk of it is decoded. */
struct direct {
	uint8_t		*chunk, *into, *wide;
	uint32_t	 cw, rows;
	uint16_t	 cspp;
	tmsize_t	 line;
	int		 whole;		/* chunks decoded straight into the band */
};

/* Decode chunk x, y of plane p into the band: each_chunk()'s fn for decode_direct(). */
static int
decode_chunk(struct image *im, uint32_t x, uint32_t y, uint16_t p, void *arg,
    char **cause)
{
	struct direct	*d = arg;

	if (read_chunk(im, x, y, p, d->whole ? d->into : d->chunk, d->rows * d->line,
	    cause) == -1)
		return -1;
	if (!d->whole)
		pixel_place_chunk(im, d->chunk, d->cw, x, d->rows, d->cspp, p, d->into,
		    d->wide);
	return 0;
}

/* Decode strips or tiles, any planar configuration, a band of whole rows at a time. */
static int
decode_direct(struct image *im, const struct sink *k, char **cause)
{
	TIFF		*tif = im->tif;
	uint32_t	 ch = image_chunk_rows(im), y;
	uint16_t	 np = planes(im);
	size_t		 row_bytes = k->row_bytes;
	uint8_t		*band;
	tmsize_t	 size;
	int		 tiled = TIFFIsTiled(tif), r = -1;
	struct direct	 d = { .cw = chunk_width(im), .cspp = np > 1 ? 1 :
			    im->stored_samples };

	if (by_scanline(im))
		return decode_scanlines(im, k, cause);
	/* A strip of interleaved samples as held is already a band of rows: in place. */
	d.whole = !tiled && np == 1 && !im->widen;
	d.line = d.whole ? (tmsize_t)row_bytes : tiled ? TIFFTileRowSize(tif) :
	    TIFFScanlineSize(tif);
	size = d.whole ? (tmsize_t)(ch * row_bytes) : tiled ? TIFFTileSize(tif) :
	    TIFFStripSize(tif);
	d.chunk = d.whole ? NULL : try_alloc(size, 1, cause);
	if (im->widen && d.chunk != NULL && (d.wide = try_alloc((size_t)d.cw * d.cspp * 3,
	    sizeof(uint64_t), cause)) == NULL) {
		free(d.chunk);
		return -1;
	}
	band = d.chunk == NULL && !d.whole ? NULL : try_alloc(ch, row_bytes, cause);
	for (y = chunk_row_start(k->first, ch); band != NULL && y < k->last; y += ch) {
		/* Rows past the sink's last are not decoded: a codec stops where asked. */
		d.rows = (im->height < k->last ? im->height : k->last) - y;
		d.rows = d.rows < ch ? d.rows : ch;
		d.into = sink_band(k, band, y, d.rows);
		if (each_chunk(im, y, decode_chunk, &d, cause) == -1 ||
		    put_band(im, k, d.into, y, d.rows, cause) == -1)
			goto out;
	}
	r = band != NULL ? 0 : -1;
out:
	free(band);
	free(d.wide);
	free(d.chunk);
	return r;
}

uint32_t
image_chunk_rows(const struct image *im)
{
	uint32_t	ch = im->height;

	if (TIFFIsTiled(im->tif))
		TIFFGetField(im->tif, TIFFTAG_TILELENGTH, &ch);
	else
		TIFFGetFieldDefaulted(im->tif, TIFFTAG_ROWSPERSTRIP, &ch);
	return ch < im->height && ch > 0 ? ch : im->height;
}

const char *
image_master_decodes(const struct image *im, int signed_)
{
	if (image_chunk_rows(im) >= im->height)
		return "one strip or row of tiles holds the whole image";
	if (im->convert)
		return "it is read through libtiff's RGBA interface, which reads what it "
		    "likes (and refuses some files only as it reads them)";
	if (signed_ && by_scanline(im))
		return "with a secret, the rows slaves read are signed, and these strips "
		    "are not decoded from bytes handed over";
	return NULL;
}

int
image_copyable(const struct image *im)
{
	uint16_t	planar, fill;

	TIFFGetFieldDefaulted(im->tif, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetFieldDefaulted(im->tif, TIFFTAG_FILLORDER, &fill);
	return !TIFFIsTiled(im->tif) && planar == PLANARCONFIG_CONTIG &&
	    im->compression == COMPRESSION_NONE && fill == FILLORDER_MSB2LSB &&
	    !im->widen && !im->lab && !im->premultiplied &&
	    (im->bits == 8 || !TIFFIsByteSwapped(im->tif));
}

int
image_raw_rows(struct image *im, uint32_t first, uint32_t last, uint64_t *off)
{
	uint64_t	 row_bytes = image_row_bytes(im), at, next = 0, bytes;
	uint32_t	 ch = image_chunk_rows(im), s, rows;
	int		 err = 0;

	if (im->convert || !image_copyable(im) || first >= last || last > im->height)
		return -1;
	for (s = first / ch; (uint64_t)s * ch < last; s++) {
		rows = im->height - s * ch < ch ? im->height - s * ch : ch;
		at = TIFFGetStrileOffsetWithErr(im->tif, s, &err);
		bytes = TIFFGetStrileByteCountWithErr(im->tif, s, &err);
		if (err || bytes < rows * row_bytes || (s > first / ch && at != next))
			return -1;
		if (s == first / ch)
			*off = at + (first - s * ch) * row_bytes;
		next = at + rows * row_bytes;
	}
	/* Samples are read in place by their type: a float64 at an odd offset is not. */
	return *off % (sample_bits(im->format) / 8) == 0 ? 0 : -1;
}

/*
 * Move uncompressed strips into image.bit without a copy through this process (see
 * image_copyable()): copy_range(), which a filesystem may even do by sharing blocks.
 * 1 if a strip is short: decode them instead, for libtiff to say so.
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
			*cause = xasprintf("image.bit: %s", strerror(errno));
			return -1;
		}
		im->decoded(im->decoded_arg, y + rows);
	}
	return 0;
}

/* Decode through libtiff's RGBA interface into 8-bit gray or RGB. */
static int
decode_convert(struct image *im, const struct sink *k, char **cause)
{
	TIFFRGBAImage	 img;
	uint32_t	*raster, y, rows, i, px, chunk = image_chunk_rows(im), band_rows;
	uint8_t		*band, *q, *to;
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
	band_rows = (CONVERT_BAND + chunk - 1) / chunk * chunk;
	raster = try_alloc((size_t)im->width * band_rows, sizeof *raster, cause);
	band = raster == NULL ? NULL : try_alloc(band_rows, k->row_bytes, cause);
	for (y = chunk_row_start(k->first, chunk); band != NULL && y < k->last; y += rows) {
		rows = im->height - y < band_rows ? im->height - y : band_rows;
		img.row_offset = y;
		img.col_offset = 0;
		if (!TIFFRGBAImageGet(&img, raster, im->width, rows)) {
			*cause = image_cause(im, "cannot decode pixels");
			goto out;
		}
		to = sink_band(k, band, y, rows);
		for (i = 0, q = to; i < im->width * rows; i++) {
			px = raster[i];
			*q++ = TIFFGetR(px);
			if (im->samples == 3) {
				*q++ = TIFFGetG(px);
				*q++ = TIFFGetB(px);
			}
		}
		if (put_band(im, k, to, y, rows, cause) == -1)
			goto out;
	}
	r = band != NULL ? 0 : -1;
out:
	free(band);
	free(raster);
	TIFFRGBAImageEnd(&img);
	return r;
}

/* Decode into the sink: the whole image, or a slave's rows. */
static int
decode_into(struct image *im, const struct sink *k, char **cause)
{
	return im->convert ? decode_convert(im, k, cause) : decode_direct(im, k, cause);
}

/* Hand im->raw how the stored bytes are decoded: every tag a decoder reads. */
static void
raw_description(struct image *im)
{
	TIFF		*tif = im->tif;
	uint16_t	 v[10] = { 0 }, n = 0, *extra = NULL, *cmap[3];
	uint32_t	 u[3] = { 0 }, len = 0, i;
	void		*tables = NULL;
	char		 text[256];

	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &v[0]);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &v[1]);
	TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &v[2]);
	v[3] = im->predictor;	/* as read when opened: see describe() */
	TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &v[4]);
	TIFFGetFieldDefaulted(tif, TIFFTAG_FILLORDER, &v[5]);
	TIFFGetFieldDefaulted(tif, TIFFTAG_YCBCRSUBSAMPLING, &v[6], &v[7]);
	TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &v[8]);
	TIFFGetField(tif, TIFFTAG_NUMBEROFINKS, &v[9]);
	TIFFGetField(tif, TIFFTAG_TILEWIDTH, &u[0]);
	TIFFGetField(tif, TIFFTAG_TILELENGTH, &u[1]);
	TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &u[2]);
	snprintf(text, sizeof text, "%ux%u %u %u planes %u swapped %d tiles %ux%u strips %u",
	    im->width, im->height, im->stored_samples, im->convert, planes(im),
	    TIFFIsByteSwapped(tif), u[0], u[1], u[2]);
	im->raw(im->raw_arg, text, strlen(text) + 1);
	im->raw(im->raw_arg, v, sizeof v);
	if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &n, &extra) && extra != NULL)
		im->raw(im->raw_arg, extra, n * sizeof *extra);
	if (TIFFGetField(tif, TIFFTAG_JPEGTABLES, &len, &tables) && tables != NULL)
		im->raw(im->raw_arg, tables, len);
	if (im->palette && v[0] <= 16 &&
	    TIFFGetField(tif, TIFFTAG_COLORMAP, &cmap[0], &cmap[1], &cmap[2]))
		for (i = 0; i < 3; i++)
			im->raw(im->raw_arg, cmap[i], (sizeof *cmap[i]) << v[0]);
}

/* Hand chunk x, y of plane p to im->raw as stored (each_chunk() for image_stored()). */
static int
hand_over(struct image *im, uint32_t x, uint32_t y, uint16_t p, void *arg,
    char **cause)
{
	uint32_t	n = chunk_number(im, x, y, p);

	(void)arg;
	if (read_stored(im, n) != -1)
		return 0;
	*cause = xasprintf("cannot read %s %u", TIFFIsTiled(im->tif) ? "tile" : "strip",
	    n);
	return -1;
}

int
image_stored(struct image *im, uint32_t first, uint32_t last,
    void (*raw)(void *, const void *, size_t), void *arg, char **cause)
{
	uint32_t	ch = image_chunk_rows(im), y;
	int		r = 0;

	im->raw = raw;
	im->raw_arg = arg;
	raw_description(im);
	/* The chunk rows decode_direct() reads, from the same first one. */
	for (y = chunk_row_start(first, ch); r == 0 && y < last; y += ch)
		r = each_chunk(im, y, hand_over, NULL, cause);
	im->raw = NULL;
	return r;
}

int
image_decode(struct image *im, int fd, void (*decoded)(void *, uint32_t),
    void *arg, char **cause)
{
	struct sink	k = { .fd = fd, .first = 0, .last = im->height,
			    .row_bytes = image_row_bytes(im) };
	int		r;

	im->decoded = decoded;
	im->decoded_arg = arg;
	if (!im->convert && image_copyable(im) && (r = decode_copy(im, fd, cause)) != 1)
		return r;
	return decode_into(im, &k, cause);
}

int
image_decode_rows(struct image *im, uint32_t first, uint32_t last, void *rows,
    char **cause)
{
	struct sink	k = { .fd = -1, .mem = rows, .first = first, .last = last,
			    .row_bytes = image_row_bytes(im) };

	if (im->raw != NULL)
		raw_description(im);
	return decode_into(im, &k, cause);
}
