/*
 * fuzz.c — libFuzzer harness for what blur reads from a directory others can write:
 * data.dat (protocol_read_job) and block.N.v/img.bit (protocol_open_result and
 * protocol_read_result). The first byte of an input picks the reader; the rest is the
 * file's content (target.h). It starts from fuzz/seeds, one input each reader accepts.
 *
 *	make fuzz [FUZZ_SECONDS=60]
 */
#include <config.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "target.h"

static int	dirfd = -1;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	path[] = "/tmp/blur-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(path) == NULL || (dirfd = open(path, O_RDONLY|O_DIRECTORY)) == -1 ||
	    target_prepare(dirfd) == -1) {
		perror(path);
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*why = NULL;

	target_feed(dirfd, data, size, &why);
	free(why);
	return 0;
}
