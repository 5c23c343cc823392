/*
 * dirfile.h — how the protocol's files are made and read in DIR, for the protocol
 * module's own files (protocol.c, jobfile.c, tally.c, result.c) only: whatever else
 * wants a file of DIR asks protocol.h.
 *
 * A file another process may open at any moment is written whole under a temporary
 * name, BASE.HOST.PID.RANDOM.tmp (unique across hosts, as Maildir's), then renamed into
 * place (dirfile_write()); one whose existence is the message (`working`, `done`,
 * `slave`, a todo file) is created directly, O_EXCL (dirfile_create()).
 */
#ifndef BLUR_DIRFILE_H
#define BLUR_DIRFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "protocol.h"

/* Bytes of a path to a block's entry: "todo/block.N.v" or "block.N.v/img.bit". */
#define DIRFILE_ENTRY_MAX	(PROTOCOL_NAME_MAX + 16)
/* Bytes of a temporary name. */
#define DIRFILE_TMP_MAX		(256 + 96)

/* The path in DIR of dir, then block.N.v, then file: one helper for every such name. */
void	 dirfile_entry(char buf[DIRFILE_ENTRY_MAX], const char *dir, uint32_t n, char v,
	    const char *file);
/* Open block.N.v as a directory: a descriptor or -1. */
int	 dirfile_open_block(int dirfd, uint32_t n, char v);
/* Create name in dirfd holding text; the name must not exist yet. 0 or -1. */
int	 dirfile_create(int dirfd, const char *name, const char *text);
/*
 * Write the pieces of iov into dirfd as `name`, under a temporary name then renamed, so
 * that whoever opens `name` reads it whole; iov is used up. 0, or -1 with errno, and
 * nothing left behind.
 */
int	 dirfile_write(int dirfd, const char *name, struct iovec *iov, int count);
/* The same with size bytes of the file `from`, copied in the kernel (copy_range()). */
int	 dirfile_copy(int dirfd, const char *name, int from, off_t size);
/* dirfile_write() of one string. */
int	 dirfile_replace(int dirfd, const char *name, const char *text);
/* Read a small file whole into buf (NUL-terminated); its length or -1. */
ssize_t	 dirfile_read(int dirfd, const char *name, char *buf, size_t size);
/* Whether name is one of the temporary names of base. */
int	 dirfile_is_tmp(const char *name, const char *base);

#endif
