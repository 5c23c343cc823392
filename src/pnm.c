/*
 * pnm.c — binary PNM and PAM headers and rasters (see pnm.h), by netpbm's pgm(5), ppm(5)
 * and pam(5):
 *
 * * P5 and P6: the magic, then width, height and maxval in ASCII decimal, each after
 *   whitespace (space, TAB, LF, VT, FF, CR), then one whitespace character; the raster
 *   follows. From a '#' through the next CR or LF is a comment, and counts as the CR or
 *   LF it ends with, anywhere before that last character.
 * * P7: "P7" and a newline, then lines of whitespace-separated tokens: WIDTH, HEIGHT,
 *   DEPTH and MAXVAL exactly once each with a number, TUPLTYPE any number of times with
 *   some text, comments (the line's first token starts with '#'), blank lines, and last
 *   ENDHDR; the raster follows its newline.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnm.h"
#include "util.h"

/* The bytes of a header not read yet. */
struct cursor {
	const uint8_t	*p;
	const uint8_t	*end;
};

size_t
pnm_header(const struct pnm *p, char *buf)
{
	int	n;

	if (p->depth == 1 || p->depth == 3)
		n = snprintf(buf, PNM_HEADER_TEXT, "P%c\n%u %u\n%u\n",
		    p->depth == 1 ? '5' : '6', p->width, p->height, p->maxval);
	else
		n = snprintf(buf, PNM_HEADER_TEXT, "P7\nWIDTH %u\nHEIGHT %u\nDEPTH %u\n"
		    "MAXVAL %u\nTUPLTYPE %s\nENDHDR\n", p->width, p->height, p->depth,
		    p->maxval, p->depth == 2 ? "GRAYSCALE_ALPHA" : "RGB_ALPHA");
	return (size_t)n;
}

size_t
pnm_row_bytes(const struct pnm *p)
{
	return (size_t)p->width * p->depth * (p->maxval > 255 ? 2 : 1);
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* What the header has at p, quoted for a message: its next few printable bytes. */
static char *
quote(const uint8_t *p, const uint8_t *end)
{
	char	text[24];
	size_t	n;

	for (n = 0; n < sizeof text - 1 && p + n < end && p[n] != '\n'; n++)
		text[n] = p[n] >= ' ' && p[n] < 0x7f ? (char)p[n] : '?';
	text[n] = '\0';
	return xasprintf(n == 0 ? "the end of a line" : "'%s'", text);
}

/* A message naming what the header has at p instead of what it should. */
static int
unexpected(const uint8_t *p, const uint8_t *end, const char *wanted, char **cause)
{
	char	*found = quote(p, end);

	*cause = xasprintf("the header has %s where %s should be", found, wanted);
	free(found);
	return -1;
}

/*
 * The decimal number at p, saturated at max + 1 so that any excess is caught; returns
 * where its digits end.
 */
static const uint8_t *
decimal(const uint8_t *p, const uint8_t *end, uint32_t max, uint32_t *v)
{
	uint64_t	n = 0;

	for (; p < end && is_digit(*p); p++)
		if ((n = n * 10 + (uint64_t)(*p - '0')) > max)
			n = (uint64_t)max + 1;
	*v = (uint32_t)n;
	return p;
}

static int
in_range(const char *what, uint32_t v, uint32_t max, char **cause)
{
	if (v >= 1 && v <= max)
		return 1;
	*cause = v == 0 ? xasprintf("the %s is 0", what) :
	    xasprintf("the %s is more than %u", what, max);
	return -1;
}

/* Step over a comment at c->p, through the CR or LF that ends it: 0 if none does yet. */
static int
skip_comment(struct cursor *c)
{
	while (c->p < c->end && *c->p != '\n' && *c->p != '\r')
		c->p++;
	if (c->p == c->end)
		return 0;
	c->p++;
	return 1;
}

/*
 * A number of a P5 or P6 header, after whitespace and comments, of which there must be
 * some: 1, 0 if the bytes end before the number does, -1 with *cause.
 */
static int
plain_number(struct cursor *c, const char *what, uint32_t max, uint32_t *v,
    char **cause)
{
	char	*wanted;
	int	 rc;

	if (c->p == c->end)
		return 0;
	if (is_space(*c->p) || *c->p == '#') {
		while (c->p < c->end && (is_space(*c->p) || *c->p == '#'))
			if (*c->p != '#')
				c->p++;
			else if (skip_comment(c) == 0)
				return 0;
		if (c->p == c->end)
			return 0;
		if (is_digit(*c->p)) {
			c->p = decimal(c->p, c->end, max, v);
			return c->p == c->end ? 0 : in_range(what, *v, max, cause);
		}
	}
	wanted = xasprintf("whitespace and the %s", what);
	rc = unexpected(c->p, c->end, wanted, cause);
	free(wanted);
	return rc;
}

/* The rest of a P5 or P6 header, after its magic. */
static int
plain_parse(struct cursor *c, struct pnm *p, char **cause)
{
	int	rc;

	if ((rc = plain_number(c, "width", PNM_DIMENSION, &p->width, cause)) != 1 ||
	    (rc = plain_number(c, "height", PNM_DIMENSION, &p->height, cause)) != 1 ||
	    (rc = plain_number(c, "maxval", 65535, &p->maxval, cause)) != 1)
		return rc;
	/* The one whitespace character before the raster, or a comment ending in one. */
	if (*c->p == '#')
		return skip_comment(c);
	if (!is_space(*c->p))
		return unexpected(c->p, c->end, "the whitespace after the maxval", cause);
	c->p++;
	return 1;
}

/* Line [p, end) of a PAM header, which is not a comment: 1 if ENDHDR, else 0 or -1. */
static int
pam_line(const uint8_t *p, const uint8_t *end, struct pnm *pnm, unsigned *seen,
    char **cause)
{
	static const char *const keys[] = { "WIDTH", "HEIGHT", "DEPTH", "MAXVAL" };
	const uint32_t		 max[] = { PNM_DIMENSION, PNM_DIMENSION, PNM_DIMENSION,
				    65535 };
	uint32_t		*field[] = { &pnm->width, &pnm->height, &pnm->depth,
				    &pnm->maxval };
	const uint8_t		*key = p, *v;
	size_t			 len, i;

	while (p < end && !is_space(*p))
		p++;
	len = (size_t)(p - key);
	while (p < end && is_space(*p))
		p++;
	if (len == 6 && memcmp(key, "ENDHDR", 6) == 0 && p == end)
		return 1;
	if (len == 8 && memcmp(key, "TUPLTYPE", 8) == 0) {
		if (p < end)
			return 0;	/* DEPTH alone says what blur needs */
		*cause = xstrdup("the header has a TUPLTYPE line without a tuple type");
		return -1;
	}
	for (i = 0; i < 4; i++)
		if (len == strlen(keys[i]) && memcmp(key, keys[i], len) == 0)
			break;
	if (i == 4)
		return unexpected(key, end, "a line of WIDTH, HEIGHT, DEPTH, MAXVAL, "
		    "TUPLTYPE or ENDHDR", cause);
	if (*seen & (1u << i)) {
		*cause = xasprintf("the header has two %s lines", keys[i]);
		return -1;
	}
	*seen |= 1u << i;
	v = decimal(p, end, max[i], field[i]);
	while (v < end && is_space(*v))
		v++;
	if (v == p || v != end)
		return unexpected(p, end, "a number", cause);
	return in_range(keys[i], *field[i], max[i], cause) == 1 ? 0 : -1;
}

/* The rest of a PAM header, after "P7\n". */
static int
pam_parse(struct cursor *c, struct pnm *p, char **cause)
{
	const uint8_t	*eol, *q;
	unsigned	 seen = 0;
	int		 rc;

	for (;;) {
		if ((eol = memchr(c->p, '\n', (size_t)(c->end - c->p))) == NULL)
			return 0;
		for (q = c->p; q < eol && is_space(*q); q++)
			continue;
		c->p = eol + 1;
		if (q == eol || *q == '#')
			continue;
		if ((rc = pam_line(q, eol, p, &seen, cause)) != 0)
			break;
	}
	if (rc == 1 && seen != 0xf) {
		*cause = xasprintf("the header has no %s line", !(seen & 1) ? "WIDTH" :
		    !(seen & 2) ? "HEIGHT" : !(seen & 4) ? "DEPTH" : "MAXVAL");
		return -1;
	}
	return rc;
}

int
pnm_parse(const void *buf, size_t n, struct pnm *p, size_t *len, char **cause)
{
	struct cursor	c = { buf, (const uint8_t *)buf + n };
	int		rc;

	if (n == 0)
		return 0;
	if (c.p[0] != 'P' || (n > 1 && (c.p[1] < '1' || c.p[1] > '7'))) {
		char	*found = quote(c.p, c.end);

		*cause = xasprintf("not a PNM or PAM image: it starts with %s", found);
		free(found);
		return -1;
	}
	if (n == 1)
		return 0;
	if (c.p[1] < '5') {
		*cause = xasprintf("a P%c image: plain (ASCII) and 1-bit PNM are not read, "
		    "only P5, P6 and P7", c.p[1]);
		return -1;
	}
	memset(p, 0, sizeof *p);
	if (c.p[1] != '7') {
		p->depth = c.p[1] == '5' ? 1 : 3;
		c.p += 2;
		rc = plain_parse(&c, p, cause);
	} else if (n == 2)
		return 0;
	else if (c.p[2] != '\n')
		return unexpected(c.p + 2, c.end, "the newline after P7", cause);
	else {
		c.p += 3;
		rc = pam_parse(&c, p, cause);
	}
	if (rc == 1)
		*len = (size_t)(c.p - (const uint8_t *)buf);
	return rc;
}

/* A big-endian 16-bit sample as a native one, or a native one as big-endian. */
static uint16_t
swap_big(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v;
#else
	return __builtin_bswap16(v);
#endif
}

void
pnm_convert(const struct pnm *p, const void *src, size_t n, uint32_t samples, void *dst)
{
	size_t		i, from;
	uint32_t	s;

	if (samples == p->depth && p->maxval <= 255) {
		memcpy(dst, src, n * samples);
		return;
	}
	for (i = 0; i < n; i++)
		for (s = 0; s < samples; s++) {
			/* Widened, red, green and blue are the gray; alpha is alpha. */
			from = i * p->depth + (samples == p->depth ? s : s < 3 ? 0 : 1);
			if (p->maxval > 255)
				((uint16_t *)dst)[i * samples + s] =
				    swap_big(((const uint16_t *)src)[from]);
			else
				((uint8_t *)dst)[i * samples + s] =
				    ((const uint8_t *)src)[from];
		}
}
