/*
 * kspec.c — ImageMagick's kernel text and convolve:scale (see kspec.h).
 *
 * What ImageMagick 6 accepts here (morphology.c's ParseKernelArray, ScaleKernelInfo,
 * UnityAddKernelInfo; geometry.c's ParseGeometry) it is given the same meaning; what it
 * accepts only by accident (a value "1x" read as 1, a size "3.7" cut to 3, a width of 0
 * made 1, a hexadecimal number) is refused here with the reason, as is everything it
 * refuses.
 */
#include <config.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util.h"
#include "kspec.h"

/* Bytes of a size or a scale, or of one value: more is not one. */
#define KSPEC_WORD	64

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * The length of the decimal number at s (sign, digits, point, exponent), 0 if none: the
 * part of strtod's syntax ImageMagick's numbers share, without hexadecimal, inf and nan.
 */
static size_t
number_length(const char *s)
{
	size_t	i = 0, digits = 0, e;

	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; isdigit((unsigned char)s[i]); i++)
		digits++;
	if (s[i] == '.')
		for (i++; isdigit((unsigned char)s[i]); i++)
			digits++;
	if (digits == 0)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		e = i + 1;
		if (s[e] == '+' || s[e] == '-')
			e++;
		if (isdigit((unsigned char)s[e])) {
			for (i = e; isdigit((unsigned char)s[i]); i++)
				;
		}
	}
	return i;
}

/* The number at *s, moving *s past it: 0, or -1 if there is none or it is not finite. */
static int
read_number(const char **s, double *v)
{
	size_t	len = number_length(*s);

	if (len == 0)
		return -1;
	*v = strtod(*s, NULL);
	*s += len;
	return isfinite(*v) ? 0 : -1;
}

/* text without its white space, in buf (KSPEC_WORD bytes): 0, or -1 if too long. */
static int
squeeze(const char *text, size_t len, char *buf)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i])) {
			if (n + 1 >= KSPEC_WORD)
				return -1;
			buf[n++] = text[i];
		}
	buf[n] = '\0';
	return 0;
}

/*
 * A side or an origin coordinate at *s: digits only, any beyond KSPEC_SIDE_MAX read as
 * one more, which every later check refuses. 0, or -1 if there are no digits.
 */
static int
read_side(const char **s, uint32_t *v)
{
	unsigned long	n;
	char		*end;

	if (!isdigit((unsigned char)**s))
		return -1;
	n = strtoul(*s, &end, 10);
	*s = end;
	*v = n > KSPEC_SIDE_MAX ? KSPEC_SIDE_MAX + 1 : (uint32_t)n;
	return 0;
}

/* What is said of a size that is not one. */
static int
not_size(const char *size, char **cause)
{
	*cause = xasprintf("'%s' is not a kernel size: WxH or WxH+X+Y", size);
	return -1;
}

/* The origin "+X+Y" (or "+X") at s into k; 0, or -1 with *cause. */
static int
parse_origin(struct kspec *k, const char *s, const char *size, char **cause)
{
	uint32_t	*at[2] = { &k->x, &k->y };
	int		 i;

	for (i = 0; i < 2 && (*s == '+' || *s == '-'); i++) {
		if (*s++ == '-') {
			*cause = xasprintf("the origin in '%s' is negative", size);
			return -1;
		}
		if (read_side(&s, at[i]) == -1)
			return not_size(size, cause);
	}
	if (*s != '\0')
		return not_size(size, cause);
	if (k->x >= k->width || k->y >= k->height) {
		*cause = xasprintf("'%s': the origin is outside the %ux%u kernel", size,
		    k->width, k->height);
		return -1;
	}
	return 0;
}

/*
 * The size before the ':', "W" or "WxH", with "+X+Y" or not, into k. (ImageMagick takes
 * "xH:" for the name of a kernel, so refuse_kind() has refused it.)
 */
static int
parse_size(struct kspec *k, const char *text, size_t len, char **cause)
{
	char		 size[KSPEC_WORD];
	const char	*s = size;

	if (squeeze(text, len, size) == -1) {
		*cause = xasprintf("'%.*s' is too long for a kernel size", (int)len, text);
		return -1;
	}
	if (strpbrk(size, "@<>") != NULL) {
		*cause = xasprintf("'%s': rotated kernel lists (@ < >) are not supported",
		    size);
		return -1;
	}
	if (read_side(&s, &k->width) == -1)
		return not_size(size, cause);
	k->height = k->width;
	if (*s == 'x' || *s == 'X') {
		s++;
		if (read_side(&s, &k->height) == -1)
			return not_size(size, cause);
	}
	if (k->width == 0 || k->height == 0 || k->width > KSPEC_SIDE_MAX ||
	    k->height > KSPEC_SIDE_MAX) {
		*cause = xasprintf("'%s': a kernel's sides are from 1 to %d", size,
		    KSPEC_SIDE_MAX);
		return -1;
	}
	k->x = (k->width - 1) / 2;
	k->y = (k->height - 1) / 2;
	return parse_origin(k, s, size, cause);
}

/* One value, [p, end): a number, or "nan" or "-" (NaN). 0, or -1 with *cause. */
static int
parse_value(const char *p, const char *end, size_t n, double *v, char **cause)
{
	size_t		 len = (size_t)(end - p);
	char		 word[KSPEC_WORD];
	const char	*s = word;

	if ((len == 3 && strncasecmp(p, "nan", 3) == 0) || (len == 1 && *p == '-')) {
		*v = NAN;
		return 0;
	}
	if (len < KSPEC_WORD) {
		memcpy(word, p, len);
		word[len] = '\0';
		if (read_number(&s, v) == 0 && *s == '\0')
			return 0;
	}
	*cause = xasprintf("value %zu, '%.*s', is not a number", n + 1,
	    len < KSPEC_WORD ? (int)len : KSPEC_WORD, p);
	return -1;
}

/*
 * The values in [p, end), separated by white space or a comma (one, which may also come
 * before the first), into *v (*n of them). 0, or -1 with *cause.
 */
static int
parse_values(const char *p, const char *end, double **v, size_t *n, char **cause)
{
	const char	*word;
	size_t		 room = 16;
	int		 comma;

	*n = 0;
	*v = xreallocarray(NULL, room, sizeof **v);
	for (;;) {
		p = skip_space(p, end);
		if ((comma = p < end && *p == ','))
			p = skip_space(p + 1, end);
		if (p == end && !comma)
			break;
		if (p == end || *p == ',') {
			*cause = xasprintf("value %zu is missing: two commas, or one at "
			    "the end", *n + 1);
			return -1;
		}
		for (word = p; p < end && !isspace((unsigned char)*p) && *p != ','; p++)
			;
		if (*n == room)
			*v = xreallocarray(*v, room *= 2, sizeof **v);
		if (parse_value(word, p, *n, *v + *n, cause) == -1)
			return -1;
		(*n)++;
	}
	if (*n == 0) {
		*cause = xstrdup("no values");
		return -1;
	}
	return 0;
}

/* Where the kernel ends: at a ';' followed by nothing but more of them, or at the end. */
static const char *
kernel_end(const char *p, char **cause)
{
	const char	*end = strchr(p, ';'), *q;

	if (end == NULL)
		return strchr(p, '\0');
	for (q = end; *q == ';' || isspace((unsigned char)*q); q++)
		;
	if (*q != '\0') {
		*cause = xstrdup("lists of kernels (;) are not supported");
		return NULL;
	}
	return end;
}

/* What ImageMagick takes for another kind of kernel than values, refused. */
static int
refuse_kind(const char *p, char **cause)
{
	size_t	len;

	if (*p == '@') {
		*cause = xstrdup("kernels from files (@FILE) are not supported");
		return -1;
	}
	if (strncasecmp(p, "nan", 3) == 0 && !isalnum((unsigned char)p[3])) {
		*cause = xstrdup("a list of values without a size may not begin with "
		    "nan (ImageMagick takes it for the name of a kernel)");
		return -1;
	}
	if (isalpha((unsigned char)*p)) {
		for (len = 0; isalnum((unsigned char)p[len]); len++)
			;
		*cause = xasprintf("named kernels ('%.*s') are not supported: give the "
		    "values, WxH: v,v,...", (int)len, p);
		return -1;
	}
	return 0;
}

/* Whether the values fill the kernel (for the old form, some square): 0, or -1. */
static int
check_count(struct kspec *k, size_t n, int sized, char **cause)
{
	size_t	side = (size_t)sqrt((double)n), i;

	if (!sized) {
		while (side * side > n)
			side--;
		while ((side + 1) * (side + 1) <= n)
			side++;
		if (side * side != n || side > KSPEC_SIDE_MAX) {
			*cause = xasprintf("%zu values: without a size (WxH:) they must "
			    "fill a square, 1, 4, 9, 16...", n);
			return -1;
		}
		k->width = k->height = (uint32_t)side;
		k->x = k->y = (uint32_t)(side - 1) / 2;
	}
	if (n != (size_t)k->width * k->height) {
		*cause = xasprintf("%zu value%s for a %ux%u kernel, which takes %zu", n,
		    n == 1 ? "" : "s", k->width, k->height,
		    (size_t)k->width * k->height);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!isnan(k->v[i]))
			return 0;
	*cause = xstrdup("every value is nan: a kernel needs one number at least");
	return -1;
}

int
kspec_parse(struct kspec *k, const char *text, char **cause)
{
	const char	*p = skip_space(text, strchr(text, '\0')), *end, *colon;
	size_t		 n;

	memset(k, 0, sizeof *k);
	if (*p == '\0') {
		*cause = xstrdup("no kernel");
		return -1;
	}
	if (refuse_kind(p, cause) == -1 || (end = kernel_end(p, cause)) == NULL)
		return -1;
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon != NULL && parse_size(k, p, (size_t)(colon - p), cause) == -1)
		return -1;
	if (parse_values(colon != NULL ? colon + 1 : p, end, &k->v, &n, cause) == -1 ||
	    check_count(k, n, colon != NULL, cause) == -1) {
		kspec_free(k);
		return -1;
	}
	return 0;
}

/* ImageMagick's ScaleKernelInfo(): normalize as the flags say, then multiply by s. */
static void
scale_values(struct kspec *k, double s, int normalize, int correlate)
{
	double	pos = 0, neg = 0, ps = 1, ns;
	size_t	i, n = (size_t)k->width * k->height;

	for (i = 0; i < n; i++)
		if (!isnan(k->v[i])) {
			if (k->v[i] < 0)
				neg += k->v[i];
			else
				pos += k->v[i];
		}
	if (normalize)
		ps = fabs(pos + neg) >= KSPEC_EPSILON ? fabs(pos + neg) : pos;
	if (correlate) {
		ps = fabs(pos) >= KSPEC_EPSILON ? pos : 1;
		ns = fabs(neg) >= KSPEC_EPSILON ? -neg : 1;
	} else
		ns = ps;
	ps = s / ps;
	ns = s / ns;
	for (i = 0; i < n; i++)
		if (!isnan(k->v[i]))
			k->v[i] *= k->v[i] >= 0 ? ps : ns;
}

/* A scale's flags, taken out of s wherever they are (as ParseGeometry does). */
static void
scale_flags(char *s, int *normalize, int *correlate, int *percent)
{
	char	*q = s;

	*normalize = *correlate = *percent = 0;
	for (; *s != '\0'; s++)
		if (*s == '!')
			*normalize = 1;
		else if (*s == '^')
			*correlate = 1;
		else if (*s == '%')
			*percent = 1;
		else
			*q++ = *s;
	*q = '\0';
}

int
kspec_scale(struct kspec *k, const char *text, char **cause)
{
	char		 buf[KSPEC_WORD];
	const char	*s = buf;
	double		 scale = 0, unity = 0;
	int		 normalize, correlate, percent, has_scale, has_unity = 0;

	if (squeeze(text, strlen(text), buf) == -1)
		goto bad;
	scale_flags(buf, &normalize, &correlate, &percent);
	if ((has_scale = number_length(s) > 0) && read_number(&s, &scale) == -1)
		goto bad;
	if (*s == ',' || *s == 'x' || *s == 'X') {
		/* ImageMagick reads "Sx+U" as an offset, not U: refuse it rather. */
		if (*s++ != ',' && *s == '+')
			goto bad;
		if (read_number(&s, &unity) == -1)
			goto bad;
		has_unity = 1;
	}
	if (*s != '\0')
		goto bad;
	if (percent) {
		scale *= 0.01;
		unity *= 0.01;
	}
	if (!has_scale)
		scale = 1;
	scale_values(k, scale, normalize, correlate);
	if (has_unity)
		k->v[(size_t)k->y * k->width + k->x] += unity;
	return 0;
bad:
	*cause = xasprintf("'%s' is not a scale: S, S!, S^, S%% or any of them "
	    "followed by ,U", text);
	return -1;
}

void
kspec_free(struct kspec *k)
{
	free(k->v);
	k->v = NULL;
}
