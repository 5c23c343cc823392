/*
 * target.h — what the fuzzer (fuzz.c) feeds blur's readers of DIR, shared with the test
 * of its seeds (fuzz/seeds, tests/check_protocol.c) so that both read alike.
 *
 * The first byte of an input picks the reader, the rest is the file's content:
 *	odd	DIR/data.dat, read by protocol_read_job
 *	even	DIR/block.1.a/img.bit, opened by protocol_open_result for target_job and
 *		read by protocol_read_result, with target_key when bit 1 is set
 */
#ifndef BLUR_TARGET_H
#define BLUR_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

#define TARGET_BLOCK	1
#define TARGET_VERSION	'a'
#define TARGET_RESULT	"block.1.a/img.bit"	/* that block's result */

extern const struct job		target_job;
extern const unsigned char	target_key[32];

/* Make the block directory an img.bit goes in: 0 or -1. */
int	target_prepare(int dirfd);
/* Put an input where its reader looks and run it: 0 if it parses, else -1 with *why. */
int	target_feed(int dirfd, const uint8_t *data, size_t size, char **why);

#endif
