/*
 * image.h — TIFF files in and out, through libtiff only.
 *
 * An input is read as it is stored where its samples mean something alone: gray, RGB,
 * CMYK and other inks, Lab; any number of samples (extra samples kept, the last one taken
 * as alpha when ExtraSamples says so); unsigned integers of 1 to 32 bits, signed ones of
 * 8, 16 and 32, floats of 16, 32 and 64; contiguous or separate planes; strips or tiles;
 * any compression libtiff decodes. Samples reach image.bit in one of sample.h's formats:
 * an unsigned depth other than 8, 16 and 32 is widened to the next of them and scaled to
 * its range (v · (2^M − 1) / (2^N − 1), as ImageMagick reads it), half floats become
 * single; Lab's signed a* and b* are held offset by half the range, as ICC Lab is, so
 * that every operation sees them as unsigned, and turned back on output. Associated
 * alpha is divided out, as ImageMagick reads it. A palette is looked up into 8-bit RGB
 * (16-bit beyond 256 colours). What libtiff's RGBA interface understands besides (YCbCr,
 * fax, ...) is converted to 8-bit gray or RGB, its pixels in the order stored.
 *
 * The output mirrors the input's size, format, samples, photometric, extra samples,
 * orientation, resolution and (where libtiff can write it) compression and predictor.
 */
#ifndef BLUR_IMAGE_H
#define BLUR_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tiffio.h>

#include "layout.h"
#include "sample.h"
#include "tiffopts.h"

struct image {
	TIFF		*tif;
	char		 error[TIFFOPTS_ERROR_MAX];	/* libtiff's last complaint about this file */
	uint32_t	 width;
	uint32_t	 height;
	uint16_t	 samples;	/* in image.bit */
	enum sample_format format;	/* in image.bit */
	uint16_t	 bits;		/* in image.bit: the format's */
	uint16_t	 alpha;		/* EXTRASAMPLE_UNASSALPHA if the last sample is alpha */
	uint16_t	 nextra;	/* ExtraSamples, as the output says them */
	uint16_t	 extra[SAMPLES_MAX];
	uint16_t	 stored_bits;	/* per sample in the file */
	uint16_t	 stored_samples;
	uint16_t	 stored_photometric;	/* guessed if the file names none */
	int		 widen;		/* stored_bits is not bits: see widen() */
	int		 lab;		/* CIE Lab: a* and b* are signed in the file */
	int		 palette;	/* indexes into the colour map */
	uint16_t	*cmap[3];	/* libtiff's, while the file is open */
	int		 cmap8;		/* its entries are 8-bit values */
	int		 nodata;	/* GDAL_NODATA names nodata_value a hole */
	double		 nodata_value;
	int		 premultiplied;	/* the file's alpha is associated: divided out on decode */
	uint16_t	 photometric;	/* of the pixels in image.bit */
	uint16_t	 compression;	/* of the input */
	uint16_t	 predictor;
	uint16_t	 orientation;
	uint16_t	 resunit;
	float		 xres, yres;	/* 0 when the input has none */
	uint32_t	 overviews;	/* reduced images after this page, in the file */
	uint32_t	 pages;		/* images in the file that are not overviews */
	uint32_t	 directory;	/* the TIFF directory of the page opened */
	int		 convert;	/* decoded through libtiff's RGBA interface */
	struct tags	*tags;		/* an opened image's others (tags.h) */
	struct layout	 layout;	/* of an image being created */
	int		 cog;		/* laid out as a Cloud Optimized GeoTIFF */
	struct place	*place;		/* its file (place.c) */
	void		(*decoded)(void *, uint32_t);	/* see image_decode() */
	void		*decoded_arg;
	/*
	 * When set, each strip or tile is read as stored and handed to raw() before it is
	 * decoded from memory, after a description of how it is decoded (image_stored()).
	 */
	void		(*raw)(void *, const void *, size_t);
	void		*raw_arg;
	void		*stored;	/* a strip or tile as stored */
	size_t		 stored_size;
};

/*
 * Describe an image that no file holds, to be created like one (image_create()): what
 * a render draws, width x height of samples (gray, gray+alpha, RGB, RGBA) of bits.
 */
void	image_blank(struct image *, uint32_t width, uint32_t height, uint16_t samples,
	    uint16_t bits);
/*
 * What path holds when its first bytes say another format than TIFF: *what is then "a
 * PNG image", "a JPEG image", ... (GIF, WebP, JPEG 2000, PDF, BMP, PNM), else NULL: a
 * TIFF, or something image_open() will judge. -1 with *cause if path cannot be read.
 */
int	image_sniff(const char *path, const char **what, char **cause);
/*
 * Open path and describe its page `page` (from 0: the images that are not overviews),
 * its directory left current (TIFFCurrentDirectory()); -1 with *cause saying what is
 * wrong.
 */
int	image_open(struct image *, const char *path, uint32_t page, char **cause);
/*
 * The same from fd (which it then owns), named name, of TIFF directory `directory`,
 * for its pixels alone: its other tags are not read.
 */
int	image_open_fd(struct image *, int fd, const char *name, uint32_t directory,
	    char **cause);
/*
 * Decode every pixel into fd, which becomes image.bit, from the top; after each band is
 * stored, call decoded(arg, rows), rows being how many rows fd now holds.
 */
int	image_decode(struct image *, int fd, void (*decoded)(void *, uint32_t),
	    void *arg, char **cause);
/*
 * The output's layout for an input like this (layout.h), as `ask` changes it: by
 * default the input's compression where it is lossless and libtiff can write it for
 * these samples, else Deflate; its predictor where it suits; its tiles, rounded up to a
 * multiple of 16, or strips of about 256 KiB; BigTIFF when the output could pass 4 GiB
 * (needs_bigtiff() says how that is judged). -1 with *cause if libtiff cannot write
 * these samples so.
 */
int	image_layout(const struct image *like, const struct layout_ask *,
	    struct layout *, char **cause);
/*
 * The height of blocks of about `rows` rows in layout l: whole rows of its chunks. Strips
 * of the default height are made shorter, to divide `rows` (a block height asked for
 * with -rows); tiles, strips asked for, and JPEG's (whole MCUs) make it taller.
 */
uint32_t image_layout_block(struct layout *l, const struct layout_ask *, uint32_t rows);
/*
 * The compression -compress names (none, lzw, deflate, zstd, lzma, packbits, jpeg,
 * webp), if this libtiff writes it; else 0. The list of those it does, to be freed.
 */
uint16_t image_compression(const char *name);
char	*image_compressions(void);
/*
 * Decode rows [first, last) into rows (whole interleaved rows, as image.bit holds them),
 * reading only the strips or tiles that hold them: what a slave does with its block.
 */
int	image_decode_rows(struct image *, uint32_t first, uint32_t last, void *rows,
	    char **cause);
/*
 * Hand raw(arg, ...) what image_decode_rows(first, last) decodes with im->raw set: the
 * description of the decoding (every tag a decoder reads), then the bytes of each strip
 * or tile it reads, as stored, in its order; without decoding them. -1 with *cause.
 * What a master that signs a block's input gives the slaves that decode it.
 */
int	image_stored(struct image *, uint32_t first, uint32_t last,
	    void (*raw)(void *, const void *, size_t), void *arg, char **cause);
/* The height of the input's strips, or of its tiles (at most the image's). */
uint32_t image_chunk_rows(const struct image *);
/*
 * Why the master had better decode this input itself than leave it to the slaves, or
 * NULL: its strips are already image.bit's rows (image_copyable()), or one strip holds
 * the whole image, or it is read through the RGBA interface; or, in a job with a
 * secret (`signed`), its strips cannot be handed to image_stored() (strips read a
 * scanline at a time).
 */
const char *image_master_decodes(const struct image *, int signed_);
/*
 * Where rows [first, last) lie in the file as image.bit would hold them (uncompressed,
 * image_copyable(), in strips stored one after the other, at an offset aligned for the
 * samples' type): 0 with *off, the offset of the first, so that they can be mapped; -1
 * if they are not so stored.
 */
int	image_raw_rows(struct image *, uint32_t first, uint32_t last, uint64_t *off);
/*
 * Whether the file's strips are already image.bit's rows, byte for byte: uncompressed
 * interleaved samples as held, in the host's order, whole bytes in the usual bit order.
 */
int	image_copyable(const struct image *);
/*
 * Create path, which must not exist, to hold a result shaped like `like`, in layout. A
 * COG (cog) gets GDAL's ghost area after its header, and its directories' chunk tables
 * are written when the directories are (image_cog_open()).
 */
int	image_create(struct image *, const char *path, const struct image *like,
	    const struct layout *, int cog, char **cause);
/*
 * End the created image's directory and begin the next, an overview of width x height:
 * reduced, in the same layout, its chunks placed as the image's were. 0, or -1.
 */
int	image_add_level(struct image *, uint32_t width, uint32_t height, char **cause);
/*
 * A COG's directories are all written (image_add_level() for each overview): write
 * the last, reopen the file for the chunks, which come after every directory and
 * table, and turn to directory k (image_cog_level()). 0, or -1 with *cause.
 */
int	image_cog_open(struct image *, const char *path, char **cause);
int	image_cog_level(struct image *, uint32_t k, char **cause);
/* Give a created JPEG image the tables its chunks were compressed against. */
int	image_set_tables(struct image *, const void *tables, size_t len, char **cause);
/*
 * Place chunk i of an image being created: len bytes compressed as its layout says, at
 * mem, or when mem is NULL at off in the file fd, copied there by the kernel. Chunks
 * may come in any order: the file's tables, not their order, say where they go.
 */
int	image_place(struct image *, uint32_t i, const void *mem, int fd, off_t off,
	    size_t len, char **cause);
/* Flush and close; for a created image, -1 if the last bytes could not be written. */
int	image_close(struct image *, char **cause);

#endif
