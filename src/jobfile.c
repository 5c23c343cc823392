/*
 * jobfile.c — data.dat, the job: "key value" lines in a fixed order (job_keys), the
 * last one, auth, signing every line before it with a secret. What is read back is
 * checked before anything believes it: whoever can write DIR can write data.dat.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dirfile.h"
#include "protocol.h"
#include "secret.h"
#include "util.h"

/* data.dat without its auth line: what the auth line signs. */
static char *
job_text(const struct job *job)
{
	const struct op		*op = job->args.op;
	const struct layout	*l = &job->layout;
	char			*text = xstrdup("");
	int		 i;

	xappendf(&text, "blur %d\nid %s\norder %s\nwidth %u\nheight %u\nsamples %u\n"
	    "format %s\nalpha %u\n", PROTOCOL_VERSION, job->id,
	    BYTE_ORDER == LITTLE_ENDIAN ? "little" : "big", job->width,
	    job->height, job->samples, sample_name(job->format), job->alpha);
	if (job->nodata)
		xappendf(&text, "nodata %.17g\n", job->nodata_value);
	else
		xappendf(&text, "nodata none\n");
	xappendf(&text, "render %u\nop %s\n", job->render, op->name);
	for (i = 0; i < OP_PARAMS && op->params[i].name != NULL; i++)
		xappendf(&text, "param %s %s\n", op->params[i].name, job->args.value[i]);
	xappendf(&text, "halo %u %u\nrows %u\nblocks %u\n", job->top, job->bottom,
	    job->rows, job->blocks);
	xappendf(&text, "layout %u %u %u %u %u %u %u %u %u\n", l->compression,
	    l->predictor, l->photometric, l->quality, l->level, l->bigtiff, l->lab,
	    l->tile_width, l->rows);
	xappendf(&text, "overviews %u %s %s\n", job->levels,
	    reduce_name(job->resample), job->cog ? "down" : "up");
	if (job->decode)
		xappendf(&text, "decode slaves %u\n", job->directory);
	else
		xappendf(&text, "decode master\n");
	xappendf(&text, "input %s\noutput %s\nsource %s\npartial %s\n", job->input,
	    job->output, job->source, job->partial);
	return text;
}

int
protocol_write_job(int dirfd, const struct job *job, const unsigned char *key,
    char **cause)
{
	char	*text = job_text(job), auth[SECRET_AUTH_MAX] = "none";
	int	 r;

	if (key != NULL)
		secret_auth(key, text, strlen(text), auth);
	xappendf(&text, "auth %s\n", auth);
	r = dirfile_replace(dirfd, "data.dat", text);
	free(text);
	if (r == -1)
		*cause = xasprintf("data.dat: %s", strerror(errno));
	return r;
}

/* data.dat's keys, each once but `param`, which names a value of the operation. */
static const char *const job_keys[] = { "blur", "id", "order", "width", "height",
    "samples", "format", "alpha", "nodata", "render", "op", "halo", "rows", "blocks",
    "layout", "overviews", "decode", "input", "output", "source", "partial", "auth", "param" };
enum { KEY_BLUR, KEY_ID, KEY_ORDER, KEY_WIDTH, KEY_HEIGHT, KEY_SAMPLES, KEY_FORMAT,
    KEY_ALPHA, KEY_NODATA, KEY_RENDER, KEY_OP, KEY_HALO, KEY_ROWS, KEY_BLOCKS, KEY_LAYOUT,
    KEY_OVERVIEWS, KEY_DECODE, KEY_INPUT, KEY_OUTPUT, KEY_SOURCE, KEY_PARTIAL, KEY_AUTH, KEY_PARAM, KEYS };

/* A decimal uint32_t, or -1. */
static int
parse_u32(const char *value, uint32_t *u)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || end == value || *value == '-' ||
	    v > UINT32_MAX)
		return -1;
	*u = v;
	return 0;
}

/* Store a text value; one too long for its field is cut, which can only match nothing. */
static int
set_text(char *field, size_t size, const char *value)
{
	snprintf(field, size, "%s", value);
	return 0;
}

/* An operation's value, "NAME VALUE"; -1 with *cause if it is not the operation's. */
static int
set_param(struct job *job, char *value, char **cause)
{
	char	*sp = strchr(value, ' ');

	if (job->args.op == NULL || sp == NULL)
		return -1;
	*sp = '\0';
	return op_set(&job->args, value, sp + 1, cause);
}

/* "none", or the value that marks a hole: a number, nan among them. */
static int
set_nodata(struct job *job, const char *value)
{
	char	*end;

	job->nodata = strcmp(value, "none") != 0;
	if (!job->nodata)
		return 0;
	errno = 0;
	job->nodata_value = strtod(value, &end);
	return errno != 0 || *end != '\0' || end == value ? -1 : 0;
}

/* The output's layout: nine numbers, in layout.h's order. */
static int
set_layout(struct layout *l, const char *value)
{
	unsigned	v[7];
	int		end = 0;

	if (sscanf(value, "%u %u %u %u %u %u %u %" SCNu32 " %" SCNu32 "%n", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &l->tile_width, &l->rows,
	    &end) != 9 || value[end] != '\0' || v[0] > UINT16_MAX ||
	    v[1] > UINT16_MAX || v[2] > UINT16_MAX || v[3] > 100 || v[4] > 100 ||
	    v[5] > 1 || v[6] > 1)
		return -1;
	l->compression = v[0];
	l->predictor = v[1];
	l->photometric = v[2];
	l->quality = v[3];
	l->level = v[4];
	l->bigtiff = v[5];
	l->lab = v[6];
	return 0;
}

/* The overviews: how many levels, made how, their sizes rounded up or down. */
static int
set_overviews(struct job *job, const char *value)
{
	char	method[16], round[8];
	int	end = 0, r;

	if (sscanf(value, "%" SCNu32 " %15s %7s%n", &job->levels, method, round,
	    &end) != 3 || value[end] != '\0' || (r = reduce_parse(method)) == -1)
		return -1;
	job->resample = (uint32_t)r;
	job->cog = strcmp(round, "down") == 0;
	return job->cog || strcmp(round, "up") == 0 ? 0 : -1;
}

/* Store the value of one key of data.dat into job; -1 if it is malformed. */
static int
job_set(struct job *job, int key, char *value, char **cause)
{
	uint32_t	*numbers[] = { [KEY_WIDTH] = &job->width,
	    [KEY_HEIGHT] = &job->height, [KEY_SAMPLES] = &job->samples,
	    [KEY_ALPHA] = &job->alpha,
	    [KEY_RENDER] = &job->render, [KEY_ROWS] = &job->rows,
	    [KEY_BLOCKS] = &job->blocks };
	uint32_t	 version;

	switch (key) {
	case KEY_BLUR:
		return parse_u32(value, &version) == 0 && version == PROTOCOL_VERSION ?
		    0 : -1;
	case KEY_FORMAT:
		job->format = sample_parse(value);
		job->bits = sample_bits(job->format);
		return job->format != 0 ? 0 : -1;
	case KEY_NODATA:
		return set_nodata(job, value);
	case KEY_ID:
		if (strlen(value) != 32 || strspn(value, "0123456789abcdef") != 32)
			return -1;
		memcpy(job->id, value, 33);
		return 0;
	case KEY_ORDER:
		return strcmp(value, BYTE_ORDER == LITTLE_ENDIAN ? "little" : "big") == 0 ?
		    0 : -1;
	case KEY_OP:
		if ((job->args.op = op_find(value)) == NULL)
			*cause = xasprintf("data.dat: a job of operation %s, which this "
			    "blur does not have", value);
		return job->args.op != NULL ? 0 : -1;
	case KEY_HALO:
		return sscanf(value, "%" SCNu32 " %" SCNu32, &job->top,
		    &job->bottom) == 2 ? 0 : -1;
	case KEY_PARAM:
		return set_param(job, value, cause);
	case KEY_LAYOUT:
		return set_layout(&job->layout, value);
	case KEY_OVERVIEWS:
		return set_overviews(job, value);
	case KEY_DECODE:
		job->decode = strncmp(value, "slaves ", 7) == 0;
		return job->decode ? parse_u32(value + 7, &job->directory) :
		    strcmp(value, "master") == 0 ? 0 : -1;
	case KEY_INPUT:
		return set_text(job->input, sizeof job->input, value);
	case KEY_OUTPUT:
		return set_text(job->output, sizeof job->output, value);
	case KEY_SOURCE:
		return set_text(job->source, sizeof job->source, value);
	case KEY_PARTIAL:
		return set_text(job->partial, sizeof job->partial, value);
	case KEY_AUTH:
		return set_text(job->auth, sizeof job->auth, value);
	default:
		return parse_u32(value, numbers[key]);
	}
}

/* Whether the numbers of a job describe something a slave can safely compute. */
static int
job_valid(struct job *job, char **cause)
{
	uint32_t	 top, bottom;
	char		*prefix;

	if (job->width == 0 || job->height == 0 || job->rows == 0)
		return 0;
	if (job->samples < 1 || job->samples > SAMPLES_MAX || job->alpha > 1 ||
	    job->render > 1)
		return 0;
	if ((job->alpha && job->samples < 2) || (job->decode && job->render))
		return 0;
	if (job->width > INT32_MAX || job->args.op == NULL)
		return 0;
	/* Blocks of whole chunk rows, tiles as TIFF has them: see layout.h. */
	if (job->layout.rows == 0 ||
	    (job->rows % job->layout.rows != 0 && job->rows < job->height) ||
	    job->layout.tile_width % 16 != 0 ||
	    (job->layout.tile_width != 0 && job->layout.rows % 16 != 0))
		return 0;
	if (!op_takes(job->args.op, job->format)) {
		*cause = xasprintf("data.dat: a job of %s samples, which %s does not take",
		    sample_name(job->format), job->args.op->name);
		return 0;
	}
	if (job->render && !job->args.op->draws) {
		*cause = xasprintf("data.dat: a render (no input) by %s, which needs one",
		    job->args.op->name);
		return 0;
	}
	if (op_ready(&job->args, cause) == -1) {
		prefix = xasprintf("data.dat: %s", *cause);
		free(*cause);
		*cause = prefix;
		return 0;
	}
	job->args.op->halo(&job->args, &top, &bottom);
	if (top != job->top || bottom != job->bottom)
		return 0;
	return job->levels <= JOB_LEVELS_MAX &&
	    job->blocks == job_level_first(job, job->levels + 1);
}

/* Split data.dat into lines and store each: -1 with *cause. */
static int
parse_job(char *text, struct job *job, char **cause)
{
	char		*line, *next, *sp;
	uint32_t	 seen = 0;
	int		 key;

	for (line = text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL || (sp = strchr(line, ' ')) == NULL)
			return -1;	/* a line without its newline is a torn write */
		*next++ = '\0';
		*sp = '\0';
		for (key = 0; key < KEYS && strcmp(line, job_keys[key]) != 0; key++)
			;
		if (key == KEYS)
			continue;	/* a later version's key: the version line decides */
		if ((seen & (1u << key)) && key != KEY_PARAM)
			return -1;
		seen |= 1u << key;
		if (job_set(job, key, sp + 1, cause) == -1) {
			if (*cause == NULL && key == KEY_BLUR)
				*cause = xasprintf("data.dat: a job of format %s; this blur "
				    "reads format %d", sp + 1, PROTOCOL_VERSION);
			else if (*cause == NULL && key == KEY_ORDER)
				*cause = xasprintf("data.dat: a job in %s-endian pixels; this "
				    "host cannot read them", sp + 1);
			else if (*cause != NULL && key == KEY_PARAM) {
				sp = xasprintf("data.dat: %s", *cause);
				free(*cause);
				*cause = sp;
			}
			return -1;
		}
	}
	return seen == (1u << KEY_PARAM) - 1 || seen == (1u << KEYS) - 1 ? 0 : -1;
}

/* Whether data.dat's auth line signs the text before it with key. */
static int
job_signed(const struct job *job, const unsigned char *key)
{
	char	*text = job_text(job), want[SECRET_AUTH_MAX];
	int	 r;

	secret_auth(key, text, strlen(text), want);
	r = sodium_memcmp(want, job->auth, sizeof want) == 0;
	free(text);
	return r;
}

int
protocol_read_job(int dirfd, struct job *job, const unsigned char *key,
    char **cause)
{
	char	text[16384];

	memset(job, 0, sizeof *job);
	*cause = NULL;
	if (dirfile_read(dirfd, "data.dat", text, sizeof text) == -1) {
		*cause = xasprintf("data.dat: %s", strerror(errno));
		return -1;
	}
	if (parse_job(text, job, cause) == -1 || !job_valid(job, cause)) {
		if (*cause == NULL)
			*cause = xasprintf("data.dat: not a blur job of this version");
		job_free(job);
		return -1;
	}
	if (key != NULL && !job_signed(job, key)) {
		*cause = xasprintf("data.dat: not signed with this secret: %s",
		    strcmp(job->auth, "none") == 0 ? "a job without a secret, or one "
		    "whose signature was taken off" : "written with another, or forged");
		job_free(job);
		return -1;
	}
	return 0;
}

