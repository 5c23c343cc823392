/* check_pnm.c — PNM/PAM headers written and parsed, rasters converted, and netpbm's and
   ImageMagick's tools reading what we write. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnm.h"
#include "tests.h"

/* Every shape blur writes: depths 1 to 4, 8 and 16 bits. */
static struct pnm
shape(int i, uint32_t width, uint32_t height)
{
	struct pnm	p = { width, height, (uint32_t)(i % 4) + 1, i < 4 ? 255 : 65535 };

	return p;
}

/* Parse text whole: it must be a header of len bytes. */
static struct pnm
parse_ok(const char *text, size_t n, size_t len)
{
	struct pnm	p;
	size_t		got = 0;
	char		*cause = NULL;

	ck_assert_msg(pnm_parse(text, n, &p, &got, &cause) == 1, "%s: %s", text,
	    cause != NULL ? cause : "incomplete");
	ck_assert_uint_eq(got, len);
	return p;
}

START_TEST(test_header_round_trip)
{
	static const char *const starts[] = { "P5\n", "P7\n", "P6\n", "P7\n" };
	static const char *const types[] = { NULL, "TUPLTYPE GRAYSCALE_ALPHA\n", NULL,
				    "TUPLTYPE RGB_ALPHA\n" };
	char		 text[PNM_HEADER_TEXT];
	struct pnm	 p, q;
	size_t		 len;
	int		 i;

	for (i = 0; i < 8; i++) {
		p = shape(i, i == 7 ? PNM_DIMENSION : 640 + i, i == 7 ? PNM_DIMENSION : 3);
		len = pnm_header(&p, text);
		ck_assert_uint_eq(len, strlen(text));
		ck_assert_msg(strncmp(text, starts[i % 4], 3) == 0, "%s", text);
		if (types[i % 4] != NULL)
			ck_assert_ptr_nonnull(strstr(text, types[i % 4]));
		q = parse_ok(text, len, len);
		ck_assert_uint_eq(q.width, p.width);
		ck_assert_uint_eq(q.height, p.height);
		ck_assert_uint_eq(q.depth, p.depth);
		ck_assert_uint_eq(q.maxval, p.maxval);
		ck_assert_uint_eq(pnm_row_bytes(&q), (size_t)p.width * p.depth * (i < 4 ?
		    1 : 2));
	}
}
END_TEST

/* Headers that are whole at their last byte, as netpbm's pgm(5) and pam(5) allow. */
static const struct {
	const char	*text;
	uint32_t	 w, h, depth, maxval;
} odd[] = {
	{ "P6 # a comment\n 3\t2 #x\r255\n", 3, 2, 3, 255 },
	{ "P5#c\n3\v2\f255 ", 3, 2, 1, 255 },
	{ "P5\n3 2\n255#comment up to the raster\n", 3, 2, 1, 255 },
	{ "P5\n3 2\n65535\r", 3, 2, 1, 65535 },		/* the raster starts at a LF */
	{ "P5\n3#in the middle\n2\n1 ", 3, 2, 1, 1 },
	{ "P7\n# by hand\n\n  WIDTH 3\nHEIGHT\t2 \r\nDEPTH 2\nMAXVAL 65535\n"
	    "TUPLTYPE GRAYSCALE\nTUPLTYPE _ALPHA\n   # indented\nENDHDR \n", 3, 2, 2, 65535 },
};
#define ODD	(sizeof odd / sizeof odd[0])

START_TEST(test_odd_headers)
{
	struct pnm	p;
	size_t		n, i;

	for (i = 0; i < ODD; i++) {
		n = strlen(odd[i].text);
		p = parse_ok(odd[i].text, n, n);
		ck_assert_uint_eq(p.width, odd[i].w);
		ck_assert_uint_eq(p.height, odd[i].h);
		ck_assert_uint_eq(p.depth, odd[i].depth);
		ck_assert_uint_eq(p.maxval, odd[i].maxval);
		/* Raster bytes after the header are not the header's. */
		p = parse_ok(odd[i].text, n + 1, n);
	}
}
END_TEST

/* Every proper prefix of a header asks for more; none is an error. */
START_TEST(test_prefixes_want_more)
{
	char		 text[PNM_HEADER_TEXT], *cause = NULL;
	const char	*t;
	struct pnm	 p;
	size_t		 n, k, len, i;

	for (i = 0; i < 8 + ODD; i++) {
		if (i < 8) {
			p = shape((int)i, 17, 5);
			pnm_header(&p, text);
			t = text;
		} else
			t = odd[i - 8].text;
		n = strlen(t);
		for (k = 0; k < n; k++)
			ck_assert_msg(pnm_parse(t, k, &p, &len, &cause) == 0,
			    "%.*s: %s", (int)k, t, cause != NULL ? cause : "whole?");
	}
}
END_TEST

START_TEST(test_malformed)
{
	static const struct {
		const char	*text, *cause;
	} bad[] = {
		{ "GIF89a", "not a PNM or PAM image: it starts with 'GIF89a'" },
		{ "\211PNG\r\n", "not a PNM or PAM image: it starts with '?PNG?'" },
		{ "P9\n", "not a PNM or PAM image: it starts with 'P9'" },
		{ "P3\n3 2\n255\n", "a P3 image: plain (ASCII) and 1-bit PNM are not read, "
		    "only P5, P6 and P7" },
		{ "P4\n", "a P4 image: plain (ASCII) and 1-bit PNM are not read, "
		    "only P5, P6 and P7" },
		{ "P63 2 255\n", "the header has '3 2 255' where whitespace and the width "
		    "should be" },
		{ "P6 3 x 255\n", "the header has 'x 255' where whitespace and the height "
		    "should be" },
		{ "P6 3,2 255\n", "the header has ',2 255' where whitespace and the height "
		    "should be" },
		{ "P6 0 2 255\n", "the width is 0" },
		{ "P6 3 99999999999999999999 255\n", "the height is more than 2147483647" },
		{ "P6 3 2 65536\n", "the maxval is more than 65535" },
		{ "P6 3 2 255x", "the header has 'x' where the whitespace after the maxval "
		    "should be" },
		{ "P7 332\n", "the header has ' 332' where the newline after P7 should be" },
		{ "P7\nWIDTH 3\nWIDTH 3\n", "the header has two WIDTH lines" },
		{ "P7\nWIDTH three\n", "the header has 'three' where a number should be" },
		{ "P7\nWIDTH 3 4\n", "the header has '3 4' where a number should be" },
		{ "P7\nWIDTH\n", "the header has the end of a line where a number should be" },
		{ "P7\nDEPTH 0\n", "the DEPTH is 0" },
		{ "P7\nMAXVAL 70000\n", "the MAXVAL is more than 65535" },
		{ "P7\nCOLOR red\n", "the header has 'COLOR red' where a line of WIDTH, "
		    "HEIGHT, DEPTH, MAXVAL, TUPLTYPE or ENDHDR should be" },
		{ "P7\nENDHDR please\n", "the header has 'ENDHDR please' where a line of "
		    "WIDTH, HEIGHT, DEPTH, MAXVAL, TUPLTYPE or ENDHDR should be" },
		{ "P7\nTUPLTYPE  \n", "the header has a TUPLTYPE line without a tuple type" },
		{ "P7\nWIDTH 3\nHEIGHT 2\nDEPTH 3\nENDHDR\n", "the header has no MAXVAL "
		    "line" },
		{ "P7\nENDHDR\nWIDTH 3\n", "the header has no WIDTH line" },
	};
	struct pnm	p;
	size_t		i, len;
	char		*cause;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ck_assert_msg(pnm_parse(bad[i].text, strlen(bad[i].text), &p, &len,
		    &cause) == -1, "%s: not refused", bad[i].text);
		ck_assert_str_eq(cause, bad[i].cause);
		free(cause);
	}
}
END_TEST

START_TEST(test_convert)
{
	const uint16_t	 native[] = { 0x0102, 0xa0b0, 0xffee, 0x0001 };
	const uint8_t	 big[] = { 1, 2, 0xa0, 0xb0, 0xff, 0xee, 0, 1 };
	const uint8_t	 gray8[] = { 10, 200, 30, 40 };	/* two gray+alpha pixels */
	struct pnm	 p16 = { 4, 1, 1, 65535 }, ga16 = { 2, 1, 2, 65535 };
	struct pnm	 ga8 = { 2, 1, 2, 255 }, g16 = { 4, 1, 1, 65535 };
	uint8_t		 bytes[8], rgba8[8];
	uint16_t	 back[12];
	int		 i;

	/* Native to PNM's most significant byte first, and back. */
	pnm_convert(&p16, native, 4, 1, bytes);
	ck_assert_mem_eq(bytes, big, 8);
	pnm_convert(&p16, big, 4, 1, back);
	ck_assert_mem_eq(back, native, 8);
	pnm_convert(&ga16, big, 2, 2, back);
	ck_assert_mem_eq(back, native, 8);
	/* Gray read for RGB: each gray sample thrice, alpha kept. */
	pnm_convert(&ga8, gray8, 2, 4, rgba8);
	ck_assert_mem_eq(rgba8, ((const uint8_t[]){ 10, 10, 10, 200, 30, 30, 30, 40 }), 8);
	pnm_convert(&g16, big, 4, 3, back);
	for (i = 0; i < 12; i++)
		ck_assert_uint_eq(back[i], native[i / 3]);
}
END_TEST

/* Samples that differ in every byte, so that an order mistake shows. */
static void *
pattern(const struct pnm *p)
{
	size_t		 n = (size_t)p->width * p->height * p->depth, i;
	uint16_t	*px = malloc(n * 2);

	for (i = 0; i < n; i++)
		px[i] = (uint16_t)(((i + 1) * 40503u) & p->maxval);
	if (p->maxval == 255)
		for (i = 0; i < n; i++)
			((uint8_t *)px)[i] = (uint8_t)px[i];
	return px;
}

/* A file of p's header and native pixels px, as the exec operation writes them. */
static void
file_write(const char *path, const struct pnm *p, const void *px)
{
	char	 header[PNM_HEADER_TEXT];
	size_t	 n = pnm_row_bytes(p) * p->height;
	void	*raster = malloc(n);
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	pnm_convert(p, px, (size_t)p->width * p->height, p->depth, raster);
	ck_assert_int_eq(fwrite(header, 1, pnm_header(p, header), f) > 0, 1);
	ck_assert_uint_eq(fwrite(raster, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	free(raster);
}

/* The image in a file, as native pixels; its shape in *p. */
static void *
file_read(const char *path, struct pnm *p)
{
	static uint8_t	 buf[1 << 20];
	size_t		 n, len, i;
	FILE		*f = fopen(path, "r");
	char		*cause = NULL;
	void		*px;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ck_assert_msg(pnm_parse(buf, n, p, &len, &cause) == 1, "%s: %s", path,
	    cause != NULL ? cause : "incomplete");
	ck_assert_uint_eq(n, len + pnm_row_bytes(p) * p->height);
	/* Not by pnm_convert(): an error of byte order in it must not cancel out. */
	px = malloc(n);
	for (i = 0; i < n - len; i++)
		if (p->maxval == 255)
			((uint8_t *)px)[i] = buf[len + i];
		else if (i % 2 == 0)
			((uint16_t *)px)[i / 2] = (uint16_t)(buf[len + i] << 8 | buf[len + i + 1]);
	return px;
}

/* Run script with $in, $out and $depth set; it must succeed. */
static void
run(const char *script, const char *in, const char *out, uint32_t depth)
{
	char	*cmd;

	ck_assert_int_ne(asprintf(&cmd, "in='%s' out='%s' depth=%u; %s", in, out, depth,
	    script), -1);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
	free(cmd);
}

/*
 * What we write, netpbm (pamfile; pnmtopng or pamtopng, and pngtopam back) and
 * ImageMagick (convert to PAM) read as the same pixels; and we read what they write.
 */
START_TEST(test_tools_agree)
{
	static const char *const tools[] = {
		"pamfile \"$in\" | grep -q ' 7 by 5 .*maxval \\(255\\|65535\\)$' && "
		    "case $depth in 1|3) pnmtopng \"$in\" >\"$out.png\" && "
		    "pngtopam \"$out.png\";; *) pamtopng \"$in\" >\"$out.png\" && "
		    "pngtopam -alphapam \"$out.png\";; esac >\"$out\"",
		"convert \"$in\" pam:\"$out\"",
	};
	char		*dir = test_dir(), *in, *out;
	struct pnm	 p, q;
	void		*px, *back;
	int		 i, t;

	ck_assert_int_ne(asprintf(&in, "%s/in.pam", dir), -1);
	ck_assert_int_ne(asprintf(&out, "%s/out.pam", dir), -1);
	for (t = 0; t < 2; t++)
		for (i = 0; i < 8; i++) {
			p = shape(i, 7, 5);
			px = pattern(&p);
			file_write(in, &p, px);
			run(tools[t], in, out, p.depth);
			back = file_read(out, &q);
			ck_assert_msg(q.width == 7 && q.height == 5 && q.depth == p.depth &&
			    q.maxval == p.maxval, "%s: %ux%u, depth %u, maxval %u",
			    tools[t], q.width, q.height, q.depth, q.maxval);
			ck_assert_mem_eq(back, px, pnm_row_bytes(&p) * p.height);
			free(px);
			free(back);
		}
	free(in);
	free(out);
	test_rmdir(dir);
}
END_TEST

Suite *
pnm_suite(void)
{
	Suite	*s = suite_create("pnm");
	TCase	*tc = tcase_create("pnm");

	tcase_add_test(tc, test_header_round_trip);
	tcase_add_test(tc, test_odd_headers);
	tcase_add_test(tc, test_prefixes_want_more);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_convert);
	tcase_add_test(tc, test_tools_agree);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
