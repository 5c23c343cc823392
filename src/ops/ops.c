/*
 * ops.c — the registry: every operation blur has, by name, and what `blur -ops` says of
 * them. The helpers an operation calls back into are op.c's.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "ops.h"

const struct op *const op_table[] = {
	&op_gaussian,
	&op_box,
	&op_unsharp,
	&op_convolve,
	&op_median,
	&op_exec,
	&op_negate,
	NULL
};

const struct op *
op_find(const char *name)
{
	size_t	i;

	for (i = 0; op_table[i] != NULL; i++)
		if (strcmp(op_table[i]->name, name) == 0)
			return op_table[i];
	return NULL;
}

void
op_list(void)
{
	const struct op_param	*p;
	size_t			 i;
	int			 j;

	for (i = 0; op_table[i] != NULL; i++) {
		const struct op	*op = op_table[i];

		printf("%s\t%s\n\thalo: %s\n", op->name, op->summary, op->halo_text);
		for (j = 0; j < OP_PARAMS && op->params[j].name != NULL; j++) {
			p = &op->params[j];
			printf("\t-%s", p->name);
			if (p->type != OP_TEXT)
				printf(" %s from %g to %g", p->type == OP_INT ?
				    "whole number" : "number", p->min, p->max);
			if (p->fallback != NULL)
				printf(", default %s", p->fallback);
			printf(": %s\n", p->help);
		}
	}
}
