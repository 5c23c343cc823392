/* op.c — an operation's parameters and the helpers operations share (see op.h). */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "util.h"

int
op_param_index(const struct op *op, const char *name)
{
	int	i;

	for (i = 0; i < OP_PARAMS && op->params[i].name != NULL; i++)
		if (strcmp(op->params[i].name, name) == 0)
			return i;
	return -1;
}

/* The names of op's parameters, "-radius -sigma", for messages. */
static char *
param_names(const struct op *op)
{
	char	*names = xstrdup("");
	int	 i;

	for (i = 0; i < OP_PARAMS && op->params[i].name != NULL; i++)
		xappendf(&names, "%s-%s", i > 0 ? " " : "", op->params[i].name);
	return names;
}

/* Whether value is a number of the parameter's type and range; *cause if not. */
static int
check_number(const struct op_param *p, const char *value, char **cause)
{
	double	 v;
	char	*end;

	errno = 0;
	v = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 || !isfinite(v) ||
	    (p->type == OP_INT && v != floor(v)) || v < p->min || v > p->max) {
		*cause = xasprintf("-%s '%s': must be a %s from %g to %g", p->name,
		    value, p->type == OP_INT ? "whole number" : "number", p->min,
		    p->max);
		return -1;
	}
	return 0;
}

/* Resolve parameter i's value, checked already, as a number once for every use. */
static void
resolve(struct op_args *a, int i)
{
	a->number[i] = a->value[i] != NULL && a->op->params[i].type != OP_TEXT ?
	    strtod(a->value[i], NULL) : 0;
}

int
op_set(struct op_args *a, const char *name, const char *value, char **cause)
{
	const struct op	*op = a->op;
	char		*names;
	int		 i;

	if ((i = op_param_index(op, name)) == -1) {
		names = param_names(op);
		*cause = xasprintf("-%s is not a parameter of %s (it takes %s)", name,
		    op->name, names[0] != '\0' ? names : "none");
		free(names);
		return -1;
	}
	if (strlen(value) >= OP_TEXT_MAX || strchr(value, '\n') != NULL) {
		*cause = xasprintf("-%s: a value must be one line of less than %d bytes",
		    name, OP_TEXT_MAX);
		return -1;
	}
	if (op->params[i].type != OP_TEXT && check_number(&op->params[i], value,
	    cause) == -1)
		return -1;
	free(a->value[i]);
	a->value[i] = xstrdup(value);
	resolve(a, i);
	return 0;
}

int
op_ready(struct op_args *a, char **cause)
{
	const struct op	*op = a->op;
	int		 i;

	for (i = 0; i < OP_PARAMS && op->params[i].name != NULL; i++)
		if (a->value[i] == NULL && op->params[i].fallback != NULL) {
			a->value[i] = xstrdup(op->params[i].fallback);
			resolve(a, i);
		}
	if (op->ready != NULL && op->ready(a, cause) == -1)
		return -1;
	for (i = 0; i < OP_PARAMS && op->params[i].name != NULL; i++) {
		if (a->value[i] == NULL) {
			*cause = xasprintf("%s needs -%s", op->name, op->params[i].name);
			return -1;
		}
		resolve(a, i);	/* what ready() filled in */
	}
	return 0;
}

double
op_number(const struct op_args *a, int i)
{
	return a->number[i];
}

const char *
op_text(const struct op_args *a, int i)
{
	return a->value[i];
}

int
op_takes(const struct op *op, enum sample_format f)
{
	return (op->formats & f) != 0;
}

char *
op_formats(const struct op *op)
{
	char		*words = xstrdup("");
	unsigned	 f;

	if ((op->formats & SAMPLE_ALL) == SAMPLE_ALL)
		xappendf(&words, "every sample format");
	for (f = 1; (op->formats & SAMPLE_ALL) != SAMPLE_ALL && (f & SAMPLE_ALL); f <<= 1)
		if (op->formats & f)
			xappendf(&words, "%s%s", *words != '\0' ? ", " : "",
			    sample_name(f));
	return words;
}

char *
op_describe(const struct op_args *a)
{
	char	*text = xstrdup(a->op->name);
	int	 i;

	for (i = 0; i < OP_PARAMS && a->op->params[i].name != NULL; i++)
		xappendf(&text, " %s %s", a->op->params[i].name,
		    a->value[i] != NULL ? a->value[i] : "?");
	return text;
}

void
op_args_copy(struct op_args *dst, const struct op_args *src)
{
	int	i;

	dst->op = src->op;
	for (i = 0; i < OP_PARAMS; i++) {
		dst->value[i] = src->value[i] != NULL ? xstrdup(src->value[i]) : NULL;
		dst->number[i] = src->number[i];
	}
}

size_t
op_row_bytes(const struct op_image *im)
{
	return sample_row_bytes(im->width, im->samples, im->bits);
}

void
op_args_free(struct op_args *a)
{
	int	i;

	for (i = 0; i < OP_PARAMS; i++) {
		free(a->value[i]);
		a->value[i] = NULL;
	}
}
