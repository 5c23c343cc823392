/*
 * pixdiff — compare two raw sample files (as `convert X -depth D rgba:F` writes them).
 *
 *	pixdiff A B DEPTH TOLERANCE
 *
 * Prints the largest difference between corresponding samples and how many exceed the
 * tolerance; exits 0 when none does, 1 otherwise or when the sizes differ.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char *
slurp(const char *path, long *len)
{
	FILE		*f = fopen(path, "rb");
	unsigned char	*buf;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	if ((buf = malloc(*len + 1)) == NULL ||
	    fread(buf, 1, *len, f) != (size_t)*len) {
		perror(path);
		exit(1);
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	unsigned char	*a, *b;
	long		 alen, blen, i, over = 0, worst = 0, d, step;

	if (argc != 5) {
		fprintf(stderr, "usage: pixdiff A B DEPTH TOLERANCE\n");
		return 2;
	}
	a = slurp(argv[1], &alen);
	b = slurp(argv[2], &blen);
	if (alen != blen) {
		printf("sizes differ: %ld and %ld bytes\n", alen, blen);
		free(a);
		free(b);
		return 1;
	}
	step = atoi(argv[3]) == 16 ? 2 : 1;
	for (i = 0; i + step <= alen; i += step) {
		d = step == 2 ? ((a[i] << 8 | a[i + 1]) - (b[i] << 8 | b[i + 1])) :
		    a[i] - b[i];
		d = d < 0 ? -d : d;
		worst = d > worst ? d : worst;
		over += d > atol(argv[4]);
	}
	printf("max %ld, %ld of %ld samples over %s\n", worst, over, alen / step,
	    argv[4]);
	free(a);
	free(b);
	return over > 0;
}
