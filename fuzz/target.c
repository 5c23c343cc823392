/* target.c — an input's first byte picks one of DIR's readers (see target.h). */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"
#include "../src/ops/ops.h"
#include "util.h"

/* 64x40 RGB in blocks of 8 rows, a Gaussian of radius 1. */
const struct job target_job = { .id = "0123456789abcdef0123456789abcdef",
    .width = 64, .height = 40, .samples = 3, .format = SAMPLE_UINT8, .bits = 8,
    .args = { .op = &op_gaussian, .value = { "1", "1" } }, .top = 1, .bottom = 1,
    .rows = 8, .blocks = 5, .layout = { .compression = 1, .photometric = 2, .rows = 8 },
    .input = "in.tif", .output = "out.tif",
    .source = "2049 1234 5678 1764000000.000000000", .partial = "/tmp/.out.tif.AbCdEf" };

const unsigned char target_key[32] = "a key for the fuzzer, 32 bytes.";

int
target_prepare(int dirfd)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, TARGET_BLOCK, TARGET_VERSION);
	return mkdirat(dirfd, name, 0700);
}

/* Replace name in the directory with these bytes. */
static int
put(int dirfd, const char *name, const uint8_t *data, size_t size, char **why)
{
	int	fd = openat(dirfd, name, O_WRONLY|O_CREAT|O_TRUNC, 0600);

	if (fd == -1 || write_all(fd, data, size) == -1) {
		*why = xasprintf("%s: %s", name, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Read block TARGET_BLOCK's img.bit, already in place. */
static int
read_result(int dirfd, const unsigned char *key, char **why)
{
	struct result	 h;
	uint8_t		*payload;
	int		 fd, r;

	if ((fd = protocol_open_result(dirfd, &target_job, TARGET_BLOCK,
	    TARGET_VERSION, &h, why)) == -1)
		return -1;
	payload = xmalloc(h.bytes);
	r = protocol_read_result(fd, key, payload, h.bytes, why);
	free(payload);
	close(fd);
	return r;
}

int
target_feed(int dirfd, const uint8_t *data, size_t size, char **why)
{
	struct job	back;

	if (size == 0) {
		*why = xasprintf("no byte to pick a reader");
		return -1;
	}
	if (data[0] & 1) {
		if (put(dirfd, "data.dat", data + 1, size - 1, why) == -1 ||
		    protocol_read_job(dirfd, &back, data[0] & 2 ? target_key : NULL,
		    why) == -1)
			return -1;
		job_free(&back);
		return 0;
	}
	if (put(dirfd, TARGET_RESULT, data + 1, size - 1, why) == -1)
		return -1;
	return read_result(dirfd, data[0] & 2 ? target_key : NULL, why);
}
