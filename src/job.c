/* job.c — see job.h. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>

#include "job.h"
#include "util.h"

size_t
job_row_bytes(const struct job *job)
{
	return sample_row_bytes(job->width, job->samples, job->bits);
}

/* Level k's width (w = 1) or height (w = 0): each level halves the one above. */
static uint32_t
level_size(const struct job *job, uint32_t k, int w)
{
	uint32_t	n = w ? job->width : job->height;

	while (k-- > 0)
		n = reduce_half(n, job->cog);
	return n;
}

uint32_t
job_level_width(const struct job *job, uint32_t k)
{
	return level_size(job, k, 1);
}

uint32_t
job_level_height(const struct job *job, uint32_t k)
{
	return level_size(job, k, 0);
}

size_t
job_level_row_bytes(const struct job *job, uint32_t k)
{
	return sample_row_bytes(job_level_width(job, k), job->samples, job->bits);
}

uint64_t
job_level_offset(const struct job *job, uint32_t k)
{
	uint64_t	off = 0;
	uint32_t	i;

	for (i = 1; i < k; i++)
		off += (uint64_t)job_level_height(job, i) * job_level_row_bytes(job, i);
	return off;
}

uint32_t
job_level_first(const struct job *job, uint32_t k)
{
	uint32_t	i, n = 0;

	for (i = 0; i < k; i++)
		n += (job_level_height(job, i) - 1) / job->rows + 1;
	return n;
}

struct reduce
job_reduce(const struct job *job, uint32_t k)
{
	struct reduce	g = { job->resample, job->format, job->samples,
			    job_level_width(job, k), job_level_height(job, k),
			    job_level_width(job, k + 1), job_level_height(job, k + 1),
			    (int)job->nodata, job->nodata_value };

	return g;
}

uint32_t
job_block_level(const struct job *job, uint32_t n)
{
	uint32_t	k = 0;

	while (k < job->levels && n >= job_level_first(job, k + 1))
		k++;
	return k;
}

size_t
job_block_row_bytes(const struct job *job, uint32_t n)
{
	return job_level_row_bytes(job, job_block_level(job, n));
}

uint32_t
job_block_y(const struct job *job, uint32_t n)
{
	return (n - job_level_first(job, job_block_level(job, n))) * job->rows;
}

uint32_t
job_block_rows(const struct job *job, uint32_t n)
{
	uint32_t	y = job_block_y(job, n);
	uint32_t	h = job_level_height(job, job_block_level(job, n));

	return h - y < job->rows ? h - y : job->rows;
}

void
job_block_made(const struct job *job, uint32_t n, uint32_t *y0, uint32_t *y1)
{
	uint32_t	k = job_block_level(job, n), y = job_block_y(job, n);
	struct reduce	g;

	*y0 = *y1 = 0;
	if (k == job->levels)
		return;
	g = job_reduce(job, k);
	reduce_made_rows(&g, y, y + job_block_rows(job, n), y0, y1);
}

size_t
job_block_made_bytes(const struct job *job, uint32_t n)
{
	uint32_t	y0, y1;

	job_block_made(job, n, &y0, &y1);
	return (size_t)(y1 - y0) * job_level_row_bytes(job, job_block_level(job, n) + 1);
}

uint32_t
job_block_chunks(const struct job *job, uint32_t n)
{
	return layout_count(&job->layout, job_level_width(job, job_block_level(job, n)),
	    job_block_rows(job, n));
}

uint32_t
job_block_extent(const struct job *job, uint32_t n)
{
	uint32_t	y = job_block_y(job, n), rows = job_block_rows(job, n);
	uint32_t	y0, y1, s0, s1;
	struct reduce	g;

	job_block_made(job, n, &y0, &y1);
	if (y1 == y0)
		return rows;
	g = job_reduce(job, job_block_level(job, n));
	reduce_source_rows(&g, y0, y1, &s0, &s1);
	return s1 > y + rows ? s1 - y : rows;
}

void
job_block_input(const struct job *job, uint32_t n, uint32_t *a, uint32_t *b)
{
	uint32_t	y = job_block_y(job, n), end = y + job_block_extent(job, n);

	if (job->render || job_block_level(job, n) > 0) {
		*a = y;		/* no input, or raw rows: nothing above or below */
		*b = end;
		return;
	}
	*a = y > job->top ? y - job->top : 0;
	*b = job->height - end > job->bottom ? end + job->bottom : job->height;
}

void
job_block_span(const struct job *job, uint32_t n, uint64_t *off, size_t *len)
{
	uint32_t	k = job_block_level(job, n), a, b;
	size_t		row_bytes = job_level_row_bytes(job, k);

	job_block_input(job, n, &a, &b);
	*off = (k > 0 ? job_level_offset(job, k) : 0) + (uint64_t)a * row_bytes;
	*len = (size_t)(b - a) * row_bytes;
}

struct op_image
job_image(const struct job *job)
{
	struct op_image	im = { job->width, job->height, job->samples, job->bits,
			    job->alpha, job->format, job->nodata, job->nodata_value };

	return im;
}

void
job_free(struct job *job)
{
	op_args_free(&job->args);
}

void
job_new_id(struct job *job)
{
	unsigned char	r[16];
	size_t		i;

	random_bytes(r, sizeof r);
	for (i = 0; i < sizeof r; i++)
		snprintf(job->id + 2 * i, 3, "%02x", r[i]);
}

uint64_t
job_source_bytes(const struct job *job)
{
	uintmax_t	dev, ino, size;

	if (sscanf(job->source, "%ju %ju %ju", &dev, &ino, &size) != 3)
		return 0;
	return size;
}
