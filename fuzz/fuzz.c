/*
 * fuzz.c — libFuzzer harness for what blur reads from a directory others can write:
 * data.dat (protocol_read_job) and block.N.v/img.bit (protocol_open_result and
 * protocol_read_result). The first byte of an input picks the reader; the rest is the
 * file's content.
 *
 *	make fuzz [FUZZ_SECONDS=60]
 */
#include <config.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol.h"

/* The job an img.bit is checked against: 64x40 RGB, blocks of 8 rows. */
static const struct job job = { .id = "0123456789abcdef0123456789abcdef",
    .width = 64, .height = 40, .samples = 3, .bits = 8, .radius = 1, .sigma = 1,
    .rows = 8, .blocks = 5 };

static const unsigned char key[32] = "a key for the fuzzer, 32 bytes.";
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
	    mkdirat(dirfd, "block.1.a", 0700) == -1) {
		perror(path);
		exit(1);
	}
	return 0;
}

/* Replace name in the directory with these bytes. */
static void
put(const char *name, const uint8_t *data, size_t size)
{
	int	fd = openat(dirfd, name, O_WRONLY|O_CREAT|O_TRUNC, 0600);

	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
		perror(name);
		exit(1);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job	 back;
	uint8_t		 rows[64 * 8 * 3];
	char		*why = NULL;
	int		 fd;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		put("data.dat", data + 1, size - 1);
		protocol_read_job(dirfd, &back, &why);
	} else {
		put("block.1.a/img.bit", data + 1, size - 1);
		if ((fd = protocol_open_result(dirfd, &job, 1, 'a', &why)) != -1) {
			/* With a key every other input, to reach the HMAC's check. */
			protocol_read_result(fd, data[0] & 2 ? key : NULL, rows,
			    sizeof rows, &why);
			close(fd);
		}
	}
	free(why);
	return 0;
}
