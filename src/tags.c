/*
 * tags.c — the tags blur does not change, from the input to the output (see tags.h).
 *
 * A tag is copied by what libtiff says of it: its type, its size in memory and how
 * TIFFGetField() and TIFFSetField() pass its value (enum how), so that a tag libtiff
 * knows, one it read as an anonymous field, and GeoTIFF's all go the same way.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tags.h"
#include "tiffopts.h"
#include "util.h"

#define TAG_GDAL_METADATA	42112
#define TAG_GDAL_NODATA	42113

/*
 * GeoTIFF's tags as libgeotiff registers them and GDAL's two as GDAL does, so that the
 * output names and types them as they do (libtiff knows none of them); with 32-bit
 * counts, so that no long list of tie points is cut on the way.
 */
static const TIFFFieldInfo geo_fields[] = {
	{ 33550, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1,
	    "GeoPixelScale" },
	{ 33922, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1,
	    "GeoTiePoints" },
	{ 34264, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1,
	    "GeoTransformationMatrix" },
	{ 34735, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_SHORT, FIELD_CUSTOM, 1, 1,
	    "GeoKeyDirectory" },
	{ 34736, TIFF_VARIABLE2, TIFF_VARIABLE2, TIFF_DOUBLE, FIELD_CUSTOM, 1, 1,
	    "GeoDoubleParams" },
	{ 34737, TIFF_VARIABLE, TIFF_VARIABLE, TIFF_ASCII, FIELD_CUSTOM, 1, 0,
	    "GeoASCIIParams" },
	{ TAG_GDAL_METADATA, TIFF_VARIABLE, TIFF_VARIABLE, TIFF_ASCII, FIELD_CUSTOM, 1, 0,
	    "GDALMetadata" },
	{ TAG_GDAL_NODATA, TIFF_VARIABLE, TIFF_VARIABLE, TIFF_ASCII, FIELD_CUSTOM, 1, 0,
	    "GDALNoDataValue" },
};

/*
 * The tags libtiff keeps in fields of its own rather than as custom values (which
 * TIFFGetTagListEntry() lists) and that we copy; its others are image.c's or no longer
 * true of the output (see tags.h).
 */
static const uint32_t standard[] = {
	TIFFTAG_XPOSITION, TIFFTAG_YPOSITION, TIFFTAG_PAGENUMBER, TIFFTAG_HALFTONEHINTS,
	TIFFTAG_TRANSFERFUNCTION, TIFFTAG_REFERENCEBLACKWHITE, TIFFTAG_INKNAMES,
	TIFFTAG_NUMBEROFINKS,
};

/* How TIFFGetField() and TIFFSetField() pass a tag's value. */
enum how {
	HOW_SCALAR,	/* one value: through a pointer to get, by value to set */
	HOW_ARRAY,	/* a pointer to a number of values the field fixes */
	HOW_STRING,	/* a pointer to a NUL-terminated string */
	HOW_COUNT16,	/* a count (uint16_t to get, int to set), then a pointer */
	HOW_COUNT32,	/* a count (uint32_t), then a pointer */
	HOW_PAIR,	/* two uint16_t: through pointers to get, by value to set */
	HOW_TRANSFER,	/* 1 or 3 pointers to 2^BitsPerSample uint16_t */
	HOW_INKNAMES,	/* NumberOfInks strings end to end; their length to set */
};

/* One tag's value, copied: count values of size bytes each, as libtiff holds them. */
struct tag {
	uint32_t	 tag;
	TIFFDataType	 type;
	int		 size;
	uint32_t	 count;
	void		*data;	/* with a NUL after the values, for strings */
};

struct tagset {
	struct tag	*v;
	size_t		 n;
};

struct tags {
	struct tagset	 main, exif, gps;
	uint16_t	 photometric;	/* the input's, as image.c reads it */
};

/*
 * A second handle on tif's file (error[TIFFOPTS_ERROR_MAX] gets its errors): the EXIF and GPS
 * directories are read and written through it, so that tif's own directory, in memory,
 * stays as it is. Nothing else uses the file meanwhile, and tif's handle seeks before
 * it reads or writes: sharing the file offset is harmless.
 */
static TIFF *
side_open(TIFF *tif, const char *mode, char *error)
{
	int	fd;

	error[0] = '\0';
	/* libtiff reads the header from where the file is: its start. */
	if ((fd = fcntl(TIFFFileno(tif), F_DUPFD_CLOEXEC, 0)) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		snprintf(error, TIFFOPTS_ERROR_MAX, "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	return tiffopts_fdopen(fd, TIFFFileName(tif), mode, error);
}

static enum how
how(const TIFFField *fip)
{
	switch (TIFFFieldTag(fip)) {
	case TIFFTAG_PAGENUMBER:
	case TIFFTAG_HALFTONEHINTS:
	case TIFFTAG_DOTRANGE:
		return HOW_PAIR;
	case TIFFTAG_TRANSFERFUNCTION:
		return HOW_TRANSFER;
	case TIFFTAG_INKNAMES:
		return HOW_INKNAMES;
	}
	if (TIFFFieldPassCount(fip))
		return TIFFFieldReadCount(fip) == TIFF_VARIABLE2 ? HOW_COUNT32 :
		    HOW_COUNT16;
	if (TIFFFieldDataType(fip) == TIFF_ASCII)
		return HOW_STRING;
	return TIFFFieldReadCount(fip) == 1 ? HOW_SCALAR : HOW_ARRAY;
}

/* Bytes a value of the field takes in libtiff's memory; 0 if we cannot tell. */
static int
value_size(const TIFFField *fip)
{
	switch (how(fip)) {
	case HOW_PAIR:
	case HOW_TRANSFER:
		return 2;
	case HOW_INKNAMES:
		return 1;
	default:
		return TIFFFieldSetGetSize(fip);
	}
}

/* How many values the field holds when it does not say (HOW_ARRAY). */
static uint32_t
array_count(TIFF *tif, const TIFFField *fip)
{
	uint16_t	spp;

	if (TIFFFieldReadCount(fip) == TIFF_SPP) {
		TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
		return spp;
	}
	return TIFFFieldReadCount(fip) > 0 ? (uint32_t)TIFFFieldReadCount(fip) : 1;
}

/* How many transfer curves tif's directory has (libtiff's rule), and of how many values. */
static uint32_t
transfer_count(TIFF *tif)
{
	uint16_t	bits, spp, n = 0, *extra;

	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(tif, TIFFTAG_EXTRASAMPLES, &n, &extra);
	if (bits > 16)
		return 0;
	return (spp - n > 1 ? 3u : 1u) << bits;
}

/* Points at NumberOfInks strings, end to end: how long they are. */
static uint32_t
ink_names_length(TIFF *tif, const char *names)
{
	uint16_t	inks = 0, i;
	size_t		len = 0;

	TIFFGetField(tif, TIFFTAG_NUMBEROFINKS, &inks);
	for (i = 0; i < inks; i++)
		len += strlen(names + len) + 1;
	return len;
}

/* Fill t with a copy of count values at p. */
static void
keep(struct tag *t, const void *p, uint32_t count)
{
	t->count = count;
	t->data = xmalloc((size_t)count * t->size + 1);
	memcpy(t->data, p, (size_t)count * t->size);
	((char *)t->data)[(size_t)count * t->size] = '\0';
}

/* Copy the value tif's current directory holds for fip into t; 0 if there is none. */
static int
get_tag(TIFF *tif, const TIFFField *fip, struct tag *t)
{
	union { uint64_t u; double d; } one;
	uint16_t	 n16 = 0, pair[2], *curve[3] = { NULL, NULL, NULL };
	uint32_t	 n32 = 0, tag = TIFFFieldTag(fip), count = 1;
	void		*p = &one;
	int		 ok = 0;

	t->tag = tag;
	t->type = TIFFFieldDataType(fip);
	if ((t->size = value_size(fip)) == 0)
		return 0;
	switch (how(fip)) {
	case HOW_SCALAR:
		ok = TIFFGetField(tif, tag, &one);
		break;
	case HOW_ARRAY:
		ok = TIFFGetField(tif, tag, &p);
		count = array_count(tif, fip);
		break;
	case HOW_STRING:
		ok = TIFFGetField(tif, tag, &p) && p != NULL;
		count = ok ? strlen(p) + 1 : 0;
		break;
	case HOW_COUNT16:
		ok = TIFFGetField(tif, tag, &n16, &p);
		count = n16;
		break;
	case HOW_COUNT32:
		ok = TIFFGetField(tif, tag, &n32, &p);
		count = n32;
		break;
	case HOW_PAIR:
		ok = TIFFGetField(tif, tag, &pair[0], &pair[1]);
		p = pair;
		count = 2;
		break;
	case HOW_TRANSFER:
		/* Curves past the first come back only when there are three. */
		ok = TIFFGetField(tif, tag, &curve[0], &curve[1], &curve[2]) &&
		    (count = transfer_count(tif)) != 0 &&
		    (curve[1] != NULL) == (count % 3 == 0);
		if (ok && curve[1] != NULL) {
			t->count = count;
			t->data = xmalloc((size_t)count * 2 + 1);
			memcpy(t->data, curve[0], count / 3 * 2);
			memcpy((char *)t->data + count / 3 * 2, curve[1], count / 3 * 2);
			memcpy((char *)t->data + count / 3 * 4, curve[2], count / 3 * 2);
			return 1;
		}
		p = curve[0];
		break;
	case HOW_INKNAMES:
		ok = TIFFGetField(tif, tag, &p) && p != NULL;
		count = ok ? ink_names_length(tif, p) : 0;
		break;
	}
	if (!ok || p == NULL || count == 0)
		return 0;
	keep(t, p, count);
	return 1;
}

/* Pass t's one value to TIFFSetField() as its type is promoted through `...`. */
static int
set_scalar(TIFF *tif, const struct tag *t)
{
	union {
		uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32;
		int32_t i32; uint64_t u64; int64_t i64; float f; double d;
	} v;

	memcpy(&v, t->data, t->size);
	switch (t->type) {
	case TIFF_BYTE:
	case TIFF_UNDEFINED:
		return TIFFSetField(tif, t->tag, (int)v.u8);
	case TIFF_SBYTE:
		return TIFFSetField(tif, t->tag, (int)v.i8);
	case TIFF_SHORT:
		return TIFFSetField(tif, t->tag, (int)v.u16);
	case TIFF_SSHORT:
		return TIFFSetField(tif, t->tag, (int)v.i16);
	case TIFF_LONG:
		return TIFFSetField(tif, t->tag, v.u32);
	case TIFF_SLONG:
		return TIFFSetField(tif, t->tag, v.i32);
	case TIFF_LONG8:
		return TIFFSetField(tif, t->tag, v.u64);
	case TIFF_SLONG8:
		return TIFFSetField(tif, t->tag, v.i64);
	case TIFF_RATIONAL:
	case TIFF_SRATIONAL:
	case TIFF_FLOAT:
	case TIFF_DOUBLE:
		return TIFFSetField(tif, t->tag, t->size == 4 ? (double)v.f : v.d);
	default:
		return 0;
	}
}

/*
 * tif's field for t: libtiff's or GeoTIFF's, else one made for it as libtiff makes one
 * for a tag it reads and does not know. Its name must outlive tif, so it is not the
 * "Tag N" libtiff gives an anonymous field.
 */
static const TIFFField *
field_for(TIFF *tif, const struct tag *t)
{
	TIFFFieldInfo	info = { t->tag, TIFF_VARIABLE2, TIFF_VARIABLE2, t->type,
			    FIELD_CUSTOM, 1, 1, "Unknown tag" };
	const TIFFField	*fip = TIFFFindField(tif, t->tag, TIFF_ANY);

	if (fip == NULL && TIFFMergeFieldInfo(tif, &info, 1) == 0)
		fip = TIFFFindField(tif, t->tag, TIFF_ANY);
	return fip;
}

/* Set t in tif's current directory; 0 if libtiff will not have it as it is. */
static int
set_tag(TIFF *tif, const struct tag *t)
{
	const TIFFField	*fip = field_for(tif, t);
	const uint16_t	*v = t->data;
	size_t		 third = (size_t)t->count / 3;

	if (fip == NULL || TIFFFieldDataType(fip) != t->type ||
	    value_size(fip) != t->size)
		return 0;
	switch (how(fip)) {
	case HOW_SCALAR:
		return t->count == 1 && set_scalar(tif, t);
	case HOW_ARRAY:
		return t->count == array_count(tif, fip) &&
		    TIFFSetField(tif, t->tag, t->data);
	case HOW_STRING:
		return TIFFSetField(tif, t->tag, t->data);
	case HOW_COUNT16:
	case HOW_INKNAMES:
		return t->count <= 0xFFFF && TIFFSetField(tif, t->tag, (int)t->count,
		    t->data);
	case HOW_COUNT32:
		return TIFFSetField(tif, t->tag, t->count, t->data);
	case HOW_PAIR:
		return t->count == 2 && TIFFSetField(tif, t->tag, (int)v[0], (int)v[1]);
	case HOW_TRANSFER:
		/* libtiff reads as many curves and values as the output's samples and
		   depth call for: exactly what we have, or nothing. */
		return t->count == transfer_count(tif) &&
		    TIFFSetField(tif, t->tag, v, v + third, v + 2 * third);
	}
	return 0;
}

/*
 * GDAL_METADATA's STATISTICS_* items (minimum, maximum, mean, standard deviation per
 * band) describe the input's pixels, not the output's, and GIS tools stretch by them:
 * take them out of its XML, <Item name="STATISTICS_..." ...>...</Item> each. Whether
 * any item is left.
 */
static int
drop_statistics(struct tag *t)
{
	char	*p = t->data, *item, *end;
	size_t	 gone;

	while ((item = strstr(p, "<Item name=\"STATISTICS_")) != NULL &&
	    (end = strstr(item, "</Item>")) != NULL) {
		end += strlen("</Item>");
		end += strspn(end, " \t\r\n");
		gone = end - item;
		memmove(item, end, strlen(end) + 1);
		t->count -= gone;
		p = item;
	}
	return strstr(t->data, "<Item") != NULL;
}

/*
 * Tags never copied: those that point at a place in the input (EXIF, GPS and
 * Interoperability directories, SubIFDs), Photoshop's layers (ImageSourceData, of the
 * pixels before the operation), and the colour and JPEG tags of encodings the output
 * never has.
 */
static int
never(uint32_t tag, TIFFDataType type)
{
	if (type == TIFF_IFD || type == TIFF_IFD8)
		return 1;
	switch (tag) {
	case TIFFTAG_IMAGESOURCEDATA:
	case TIFFTAG_YCBCRCOEFFICIENTS:
	case TIFFTAG_JPEGTABLES:
		return 1;
	}
	return tag >= TIFFTAG_JPEGPROC && tag <= TIFFTAG_JPEGACTABLES;
}

static void
add_tag(TIFF *tif, struct tagset *set, uint32_t tag)
{
	const TIFFField	*fip = TIFFFindField(tif, tag, TIFF_ANY);
	struct tag	 t;

	if (fip == NULL || never(tag, TIFFFieldDataType(fip)) || !get_tag(tif, fip, &t))
		return;
	if (tag == TAG_GDAL_METADATA && t.type == TIFF_ASCII && !drop_statistics(&t)) {
		free(t.data);
		return;
	}
	set->v = xreallocarray(set->v, set->n + 1, sizeof *set->v);
	set->v[set->n++] = t;
}

/* Every custom value of tif's current directory (and, for the first, `standard`). */
static void
read_set(TIFF *tif, struct tagset *set, int first)
{
	int	i, n = TIFFGetTagListCount(tif);
	size_t	j;

	for (i = 0; i < n; i++)
		add_tag(tif, set, TIFFGetTagListEntry(tif, i));
	for (j = 0; first && j < sizeof standard / sizeof standard[0]; j++)
		add_tag(tif, set, standard[j]);
}

/* The EXIF and GPS directories the first directory points at, if libtiff reads them. */
static void
read_dirs(TIFF *in, struct tags *tags)
{
	uint64_t	 exif = 0, gps = 0;
	char		 error[TIFFOPTS_ERROR_MAX];
	TIFF		*side;

	TIFFGetField(in, TIFFTAG_EXIFIFD, &exif);
	TIFFGetField(in, TIFFTAG_GPSIFD, &gps);
	/* "h": the header only; "m": no memory map of the whole file. */
	if ((exif == 0 && gps == 0) || (side = side_open(in, "rhm", error)) == NULL)
		return;
	TIFFCreateDirectory(side);	/* the tag methods a directory read needs */
	if (exif != 0 && TIFFReadEXIFDirectory(side, exif))
		read_set(side, &tags->exif, 0);
	if (gps != 0 && TIFFReadGPSDirectory(side, gps))
		read_set(side, &tags->gps, 0);
	TIFFClose(side);
}

struct tags *
tags_read(TIFF *in, uint16_t photometric)
{
	struct tags	*tags = xcalloc(1, sizeof *tags);

	tags->photometric = photometric;
	read_set(in, &tags->main, 1);
	read_dirs(in, tags);
	return tags;
}

/* An ICC profile says its colour space at bytes 16-19 of its header. */
static int
icc_fits(const struct tag *t, uint16_t photometric)
{
	const char	*space = photometric == PHOTOMETRIC_RGB ? "RGB " :
			    photometric == PHOTOMETRIC_MINISBLACK ? "GRAY" : NULL;

	return space != NULL && t->count >= 20 &&
	    memcmp((char *)t->data + 16, space, 4) == 0;
}

/* Whether t is still true of out, whose photometric image.c has set. */
static int
fits(const struct tags *tags, const struct tag *t, TIFF *out)
{
	uint16_t	photometric = 0;

	TIFFGetField(out, TIFFTAG_PHOTOMETRIC, &photometric);
	switch (t->tag) {
	case TIFFTAG_REFERENCEBLACKWHITE:
	case TIFFTAG_INKSET:
	case TIFFTAG_INKNAMES:
	case TIFFTAG_NUMBEROFINKS:
	case TIFFTAG_DOTRANGE:
		return photometric == tags->photometric;
	case TIFFTAG_ICCPROFILE:
		return photometric == tags->photometric || icc_fits(t, photometric);
	}
	return 1;
}

/*
 * Write set as a directory made by create() (EXIF or GPS) at the end of the file, and
 * point out's tag `pointer` at it; -1 if it could not be written.
 */
static int
write_dir(TIFF *side, const struct tagset *set, int (*create)(TIFF *), TIFF *out,
    uint32_t pointer)
{
	uint64_t	off;
	size_t		i;
	int		n = 0, ok;

	if (set->n == 0)
		return 0;
	create(side);
	for (i = 0; i < set->n; i++)
		n += set_tag(side, &set->v[i]);
	ok = n == 0 || TIFFWriteCustomDirectory(side, &off);
	if (n > 0 && ok)
		TIFFSetField(out, pointer, off);
	TIFFFreeDirectory(side);
	return ok ? 0 : -1;
}

static int
write_dirs(const struct tags *tags, TIFF *out, char **cause)
{
	char	 error[TIFFOPTS_ERROR_MAX];
	TIFF	*side;
	int	 r;

	if (tags->exif.n == 0 && tags->gps.n == 0)
		return 0;
	/* "a": the header only, and directories written are linked to nothing. */
	if ((side = side_open(out, "a", error)) == NULL) {
		*cause = xasprintf("cannot write the EXIF and GPS tags (%s)", error);
		return -1;
	}
	r = write_dir(side, &tags->exif, TIFFCreateEXIFDirectory, out,
	    TIFFTAG_EXIFIFD) == 0 && write_dir(side, &tags->gps,
	    TIFFCreateGPSDirectory, out, TIFFTAG_GPSIFD) == 0 ? 0 : -1;
	if (r == -1)
		*cause = xasprintf("cannot write the EXIF and GPS tags (%s)", error);
	/* A fresh directory is not dirty: closing writes nothing more. */
	TIFFCreateDirectory(side);
	TIFFClose(side);
	return r;
}

int
tags_write(const struct tags *tags, TIFF *out, int dirs, char **cause)
{
	size_t	i;

	if (tags == NULL)
		return 0;
	TIFFMergeFieldInfo(out, geo_fields, sizeof geo_fields / sizeof geo_fields[0]);
	for (i = 0; i < tags->main.n; i++)
		if (fits(tags, &tags->main.v[i], out))
			set_tag(out, &tags->main.v[i]);
	return dirs ? write_dirs(tags, out, cause) : 0;
}

static void
set_free(struct tagset *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		free(set->v[i].data);
	free(set->v);
}

void
tags_free(struct tags *tags)
{
	if (tags == NULL)
		return;
	set_free(&tags->main);
	set_free(&tags->exif);
	set_free(&tags->gps);
	free(tags);
}

char *
tags_get_nodata(TIFF *tif)
{
	const char	*s;

	return TIFFGetField(tif, TAG_GDAL_NODATA, &s) ? xstrdup(s) : NULL;
}

int
tags_set_nodata(TIFF *tif, const char *text)
{
	/* A new directory knows libtiff's own tags only. */
	if (text != NULL && TIFFFindField(tif, TAG_GDAL_NODATA, TIFF_ANY) == NULL)
		TIFFMergeFieldInfo(tif, geo_fields, sizeof geo_fields / sizeof geo_fields[0]);
	return text == NULL || TIFFSetField(tif, TAG_GDAL_NODATA, text);
}

int
tags_nodata(const struct tags *tags, double *value)
{
	const char	*s;
	char		*end;
	size_t		 i;
	double		 v;

	for (i = 0; tags != NULL && i < tags->main.n; i++) {
		if (tags->main.v[i].tag != TAG_GDAL_NODATA ||
		    tags->main.v[i].type != TIFF_ASCII)
			continue;
		s = tags->main.v[i].data;
		v = strtod(s, &end);	/* "nan" and "-nan" too */
		while (end != s && isspace((unsigned char)*end))
			end++;
		if (end == s || *end != '\0')
			return 0;
		*value = v;
		return 1;
	}
	return 0;
}
