/*
 * batch.h — many inputs in one command (blur -master IN...): each input is a job, run in
 * order by master_run(), its output named from -o (batch_output()). A job that fails is
 * said in one line and the next one starts, unless -halt says otherwise (GNU parallel's
 * --halt); -joblog records each job (joblog.h); -resume skips the jobs whose outputs
 * exist or which the log shows done, and continues the first of the others if a dead
 * master left it in DIR. A render's frames (-frames A-B) are a batch too: one render
 * job per frame, BLUR_FRAME in the command's environment, the frame's number in -o.
 */
#ifndef BLUR_BATCH_H
#define BLUR_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "master.h"

enum batch_halt { HALT_NEVER, HALT_SOON, HALT_NOW };

struct batch_opts {
	const char	**inputs;	/* NULL: frames of a render */
	size_t		 count;
	long		 first_frame;	/* -frames: the first of count frames, or -1 */
	const char	*joblog;	/* -joblog FILE, or NULL */
	enum batch_halt	 halt;
	uint32_t	 halt_fail;	/* jobs failed that halt the batch, */
	int		 halt_percent;	/* or a percentage of its jobs */
};

/*
 * ImageMagick's IN[N], page N (from 0) of IN, when no file has the name as given: 1 with
 * *path (allocated) and *page; else 0.
 */
int	 batch_page(const char *in, char **path, uint32_t *page);
/* An input's default output: IN with -blur before its extension; IN[N]'s with -blur-N. */
char	*batch_default_output(const char *input);
/* -frames A-B (or A) into b: 0, or -1 if it is not frames A to B, A <= B. */
int	 batch_frames_parse(struct batch_opts *b, const char *spec);
/* -halt never|now,fail=N|soon,fail=N (N or P%) into b: 0, or -1 if it is not one. */
int	 batch_halt_parse(struct batch_opts *b, const char *spec);
/*
 * Why -o cannot name the outputs of count inputs, or NULL: with several inputs it must
 * name a directory (an existing one, or any name ending in /) or be a pattern with one
 * %d (flags and a width allowed, %% for a percent sign), the job's number from 1.
 */
const char *batch_output_refusal(const char *output, size_t count);
/*
 * The output of job seq (from 1) of input: from -o as above, else the input's default;
 * a frame's (input NULL), -o with the frame's number (seq).
 */
char	*batch_output(const char *output, const char *input, size_t seq);
/*
 * Why input cannot be a job's, or NULL: blur reads TIFF only, and an image of another
 * format is named with the way to convert it.
 */
char	*batch_input_refusal(const char *input);
/* Whether an output name says TIFF (.tif, .tiff, or no extension). */
int	 batch_tiff_name(const char *name);
/*
 * Run the batch, o its jobs' options (o->input and o->output set for each); every
 * failure said in one line. The exit status: 0 when every job was done (or skipped as
 * done), else 1.
 */
int	 batch_run(const struct master_opts *o, const char *output,
	    const struct batch_opts *b);

#endif
