/*
 * convolve.c — ImageMagick's convert -define convolve:scale=S -morphology Convolve K:
 * the kernel K (kspec.h's syntax, W×H with origin (X, Y)) scaled as S says, then
 *
 *	out(x, y) = sum_{u,v} k[v][u] in(clamp(x + X - u), clamp(y + Y - v))
 *
 * the kernel reflected about its origin, edges replicated, rounded and clamped; with
 * alpha, colour weighted by alpha and alpha convolved as ImageMagick does (conv.h).
 * Row y depends on rows y - (H-1-Y) to y + Y: that is the halo, above and below.
 */
#include <config.h>

#include <stdlib.h>

#include "../util.h"
#include "conv.h"
#include "ops.h"

/* The job's kernel, scaled: 0, or -1 with *cause naming the parameter at fault. */
static int
convolve_kernel(const struct op_args *a, struct kspec *k, char **cause)
{
	const char	*text = op_text(a, CONVOLVE_KERNEL), *scale = op_text(a, CONVOLVE_SCALE);
	char		*why;

	if (kspec_parse(k, text, &why) == -1) {
		*cause = xasprintf("-kernel '%s': %s", text, why);
		free(why);
		return -1;
	}
	if (kspec_scale(k, scale, &why) == -1) {
		*cause = xasprintf("-scale: %s", why);
		free(why);
		kspec_free(k);
		return -1;
	}
	return 0;
}

static int
convolve_ready(struct op_args *a, char **cause)
{
	struct kspec	k;

	if (op_text(a, CONVOLVE_KERNEL) == NULL)
		return 0;	/* op_ready() says what is missing */
	if (convolve_kernel(a, &k, cause) == -1)
		return -1;
	kspec_free(&k);
	return 0;
}

/* The reflected kernel of a job whose values passed convolve_ready(). */
static void
convolve_conv(const struct op_args *a, struct conv *c)
{
	struct kspec	 k;
	char		*cause;

	if (convolve_kernel(a, &k, &cause) == -1)
		fatal("convolve: %s", cause);
	conv_init(c, &k, CONV_SYNC);
	kspec_free(&k);
}

static void
convolve_halo(const struct op_args *a, uint32_t *top, uint32_t *bottom)
{
	struct conv	c;

	convolve_conv(a, &c);
	conv_halo(&c, top, bottom);
	conv_free(&c);
}

struct convolve {
	struct op_image	im;
	struct conv	c;
};

static void *
convolve_start(const struct op_args *a, const struct op_image *im, char **cause)
{
	struct convolve	*s = xcalloc(1, sizeof *s);

	(void)cause;
	s->im = *im;
	convolve_conv(a, &s->c);
	return s;
}

static int
convolve_run(void *state, struct op_block *b, const void *in, void *out, char **cause)
{
	struct convolve	*s = state;

	(void)cause;
	conv_rows(&s->c, &s->im, in, b->y - b->top, b->y, b->rows,
	    b->y + b->rows + b->bottom, s->im.bits, out);
	return 0;
}

static void
convolve_stop(void *state)
{
	struct convolve	*s = state;

	conv_free(&s->c);
	free(s);
}

const struct op op_convolve = {
	.name = "convolve",
	.summary = "a kernel of any size and origin, as convert -morphology Convolve",
	.halo_text = "H-1-Y rows above, Y below (the kernel is reflected)",
	.params = {
		{ "kernel", OP_TEXT, 0, 0, NULL,
		    "required: WxH[+X+Y]: v,v,... (or n² values for n×n), as ImageMagick's" },
		{ "scale", OP_TEXT, 0, 0, "1",
		    "as -define convolve:scale: S, S! (normalized), S^, S%, then ,U adds U "
		    "at the origin" },
	},
	.formats = SAMPLE_ALL,
	.ready = convolve_ready,
	.halo = convolve_halo,
	.start = convolve_start,
	.run = convolve_run,
	.stop = convolve_stop,
};
