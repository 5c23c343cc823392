/* check_op.c — the operation table and parameter parsing (op.c). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "tests.h"

START_TEST(test_table)
{
	static const char *const names[] = { "gaussian", "box", "unsharp", "median",
	    "convolve", "exec", "negate" };
	size_t	i, j;
	int	k;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_msg(op_find(names[i]) != NULL, "no %s", names[i]);
	ck_assert_ptr_null(op_find("sharpen"));
	ck_assert_ptr_null(op_find(""));
	for (i = 0; op_table[i] != NULL; i++) {
		const struct op	*op = op_table[i];

		ck_assert(op->halo && op->start && op->run && op->stop);
		ck_assert(op->summary != NULL && op->halo_text != NULL);
		ck_assert(op_takes(op, SAMPLE_UINT8) || op_takes(op, SAMPLE_UINT16));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(op->name, op_table[j]->name);
		for (k = 0; k < OP_PARAMS && op->params[k].name != NULL; k++) {
			ck_assert_int_eq(op_param_index(op, op->params[k].name), k);
			ck_assert_ptr_nonnull(op->params[k].help);
		}
	}
	/* Only exec makes a slave run what data.dat says. */
	for (i = 0; op_table[i] != NULL; i++)
		ck_assert_int_eq(op_table[i]->runs_commands,
		    strcmp(op_table[i]->name, "exec") == 0);
}
END_TEST

/* op_set(name, value) on op's values must fail, with a cause holding want. */
static void
refused(const char *op, const char *name, const char *value, const char *want)
{
	struct op_args	 a = { .op = op_find(op) };
	char		*cause = NULL;

	ck_assert_msg(op_set(&a, name, value, &cause) == -1, "%s -%s '%s' accepted", op,
	    name, value);
	ck_assert_msg(strstr(cause, want) != NULL, "'%s' lacks '%s'", cause, want);
	ck_assert_ptr_null(strchr(cause, '\n'));
	free(cause);
	op_args_free(&a);
}

START_TEST(test_values_refused)
{
	refused("gaussian", "radius", "0", "-radius '0': must be a whole number from 1 to 1000");
	refused("gaussian", "radius", "1001", "from 1 to 1000");
	refused("gaussian", "radius", "2.5", "whole number");
	refused("gaussian", "radius", "4x", "whole number");
	refused("gaussian", "radius", "", "whole number");
	refused("gaussian", "radius", "nan", "whole number");
	refused("gaussian", "sigma", "0", "-sigma '0': must be a number from 0.001");
	refused("gaussian", "sigma", "inf", "number");
	refused("gaussian", "sigma", "1e400", "number");
	refused("unsharp", "threshold", "2", "from 0 to 1");
	refused("gaussian", "amount", "1", "-amount is not a parameter of gaussian "
	    "(it takes -radius -sigma)");
	refused("median", "sigma", "1", "-sigma is not a parameter of median (it takes "
	    "-radius)");
	refused("exec", "command", "a\nb", "one line");
}
END_TEST

START_TEST(test_ready)
{
	struct op_args	 a = { .op = op_find("gaussian") }, b = { 0 };
	char		*cause = NULL, *text;

	ck_assert_int_eq(op_set(&a, "radius", "6", &cause), 0);
	ck_assert_int_eq(op_set(&a, "radius", "8", &cause), 0);	/* the last one given */
	ck_assert_int_eq(op_ready(&a, &cause), 0);
	ck_assert_str_eq(op_text(&a, GAUSSIAN_SIGMA), "4");
	ck_assert_double_eq(op_number(&a, GAUSSIAN_RADIUS), 8);
	ck_assert_double_eq(op_number(&a, GAUSSIAN_SIGMA), 4);	/* filled in, resolved */
	ck_assert_ptr_null(op_text(&a, 2));
	op_args_copy(&b, &a);
	op_args_free(&a);
	text = op_describe(&b);
	ck_assert_str_eq(text, "gaussian radius 8 sigma 4");
	free(text);
	op_args_free(&b);
	/* A value without a default must be given. */
	a.op = op_find("exec");
	ck_assert_int_eq(op_ready(&a, &cause), -1);
	ck_assert_str_eq(cause, "exec needs -command");
	free(cause);
	op_args_free(&a);
}
END_TEST

Suite *
op_suite(void)
{
	Suite	*s = suite_create("op");
	TCase	*tc = tcase_create("op");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_values_refused);
	tcase_add_test(tc, test_ready);
	suite_add_tcase(s, tc);
	return s;
}
