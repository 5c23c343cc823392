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

uint32_t
job_block_y(const struct job *job, uint32_t n)
{
	return n * job->rows;
}

uint32_t
job_block_rows(const struct job *job, uint32_t n)
{
	uint32_t	y = job_block_y(job, n);

	return job->height - y < job->rows ? job->height - y : job->rows;
}

void
job_block_input(const struct job *job, uint32_t n, uint32_t *a, uint32_t *b)
{
	uint32_t	y = job_block_y(job, n), end = y + job_block_rows(job, n);

	if (job->render) {
		*a = y;		/* no input: nothing above or below */
		*b = end;
		return;
	}
	*a = y > job->top ? y - job->top : 0;
	*b = job->height - end > job->bottom ? end + job->bottom : job->height;
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
