/*
 * protocol.c — the directory protocol's names, claims, listings and cleanup (protocol.h
 * states the protocol). Its other files: jobfile.c (data.dat), tally.c (`working` and
 * `progress`), result.c (img.bit and `failed`), dirfile.c (how each file is written:
 * created whole, or renamed into place).
 */
#include <config.h>

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "dirfile.h"
#include "protocol.h"
#include "secret.h"
#include "util.h"

/* The hint that goes with every refusal of a DIR. */
#define OWN_DIR	"use -dir or BLUR_DIR to name a directory of your own"

int
protocol_open_dir(const char *path, int create, char **cause)
{
	struct stat	st;
	int		fd, tries = 0;

	do {
		if (create && mkdir(path, 0700) == -1 && errno != EEXIST) {
			*cause = xasprintf("%s: cannot create: %s", path,
			    strerror(errno));
			return -1;
		}
		fd = open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
		/* GlusterFS under load once answered ENOENT right after the mkdir. */
	} while (fd == -1 && errno == ENOENT && create && ++tries < 5 &&
	    usleep(100000) == 0);
	if (fd == -1) {
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			*cause = xasprintf("%s: is a symbolic link; refusing it (%s)",
			    path, OWN_DIR);
		else
			*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	else if (st.st_uid != geteuid())
		*cause = xasprintf("%s: owned by another user (uid %u); refusing it "
		    "(%s)", path, (unsigned)st.st_uid, OWN_DIR);
	else if (st.st_mode & (S_IWGRP|S_IWOTH))
		*cause = xasprintf("%s: writable by group or others (mode %04o); "
		    "refusing it (%s)", path, (unsigned)st.st_mode & 07777, OWN_DIR);
	else
		return fd;
	close(fd);
	errno = EPERM;
	return -1;
}

int
protocol_input_create(int dirfd)
{
	return openat(dirfd, "image.bit", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC,
	    0600);
}

int
protocol_input_open(int dirfd)
{
	return openat(dirfd, "image.bit", O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
}

int
protocol_input_whole(int dirfd, const struct job *job)
{
	struct stat	st;

	if (job->decode)
		return fstatat(dirfd, "image.tif", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (uint64_t)st.st_size == job_source_bytes(job);
	return fstatat(dirfd, "image.bit", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (uint64_t)st.st_size == (uint64_t)job_row_bytes(job) * job->height;
}

int
protocol_levels_create(int dirfd)
{
	return openat(dirfd, "levels.bit", O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC,
	    0600);
}

int
protocol_levels_open(int dirfd, int mode)
{
	return openat(dirfd, "levels.bit", mode|O_NOFOLLOW|O_CLOEXEC);
}

void
protocol_input_remove(int dirfd)
{
	unlinkat(dirfd, "image.bit", 0);
}

int
protocol_source_place(int dirfd, const char *path, int *linked)
{
	struct stat	st, dir;
	int		from, r;

	if ((from = open(path, O_RDONLY|O_CLOEXEC)) == -1 || fstat(from, &st) == -1 ||
	    fstat(dirfd, &dir) == -1) {
		r = -1;
		goto out;
	}
	/* On DIR's filesystem a link moves no byte; a link refused (not ours) is copied. */
	*linked = st.st_dev == dir.st_dev &&
	    linkat(AT_FDCWD, path, dirfd, "image.tif", 0) == 0;
	r = *linked ? 0 : dirfile_copy(dirfd, "image.tif", from, st.st_size);
out:
	if (from != -1)
		close(from);
	return r;
}

int
protocol_source_open(int dirfd)
{
	return openat(dirfd, "image.tif", O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
}

int
protocol_todo_start(int dirfd)
{
	return mkdirat(dirfd, "todo", 0700);
}

void
protocol_block_name(char *buf, uint32_t n, char v)
{
	snprintf(buf, PROTOCOL_NAME_MAX, "block.%u.%c", n, v);
}

int
protocol_parse_block(const char *name, uint32_t blocks, uint32_t *n, char *v)
{
	const char	*p;
	uint64_t	 value = 0;

	if (strncmp(name, "block.", 6) != 0)
		return -1;
	p = name + 6;
	if (*p == '0' && p[1] != '.')
		return -1;	/* leading zero: block.07.a is not block.7.a */
	for (; *p >= '0' && *p <= '9'; p++) {
		value = value * 10 + (*p - '0');
		if (value >= blocks)
			return -1;
	}
	if (p == name + 6 || *p != '.')
		return -1;
	if (p[1] < PROTOCOL_FIRST || p[1] > PROTOCOL_LAST || p[2] != '\0')
		return -1;
	*n = value;
	*v = p[1];
	return 0;
}

int
protocol_dir_fault(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EROFS || err == EIO;
}

void
protocol_who(char who[PROTOCOL_WHO_MAX])
{
	char	host[HOST_NAME_MAX + 1] = "";

	gethostname(host, sizeof host - 1);
	snprintf(who, PROTOCOL_WHO_MAX, "%s:%ld", host, (long)getpid());
}

int
protocol_todo_add(int dirfd, uint32_t n, char v, const char *sign)
{
	char	name[DIRFILE_ENTRY_MAX];

	dirfile_entry(name, "todo/", n, v, "");
	/* A slave may read it the moment the name exists: a signature must be whole. */
	return sign[0] == '\0' ? dirfile_create(dirfd, name, "") :
	    dirfile_replace(dirfd, name, sign);
}

int
protocol_todo_read(int dirfd, uint32_t n, char v, char *sign)
{
	char	name[DIRFILE_ENTRY_MAX];

	dirfile_entry(name, "todo/", n, v, "");
	return dirfile_read(dirfd, name, sign, SECRET_HEX) == -1 ? -1 : 0;
}

void
protocol_todo_remove(int dirfd, uint32_t n, char v)
{
	char	name[DIRFILE_ENTRY_MAX];

	dirfile_entry(name, "todo/", n, v, "");
	unlinkat(dirfd, name, 0);
}

int
protocol_claim(int dirfd, uint32_t n, char v, const char *who)
{
	char	name[DIRFILE_ENTRY_MAX], *line;

	dirfile_entry(name, "", n, v, "");
	if (mkdirat(dirfd, name, 0700) == -1)
		return errno == EEXIST ? 0 : -1;
	/* The signature only informs: the claim stands without it. */
	dirfile_entry(name, "", n, v, "/slave");
	line = xasprintf("%s\n", who);
	dirfile_create(dirfd, name, line);
	free(line);
	return 1;
}

/* Open directory name of dirfd for listing, or NULL. */
static DIR *
open_listing(int dirfd, const char *name)
{
	DIR	*d;
	int	 fd;

	fd = openat(dirfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

/*
 * Set, in each block's field at `offset` of s, the bit of every block.N.v listed in d
 * that is of the type the protocol makes there (a plain file in todo/, a directory in
 * DIR): anything else is someone else's.
 */
static void
list_names(DIR *d, unsigned char type, uint32_t blocks, struct sighting *s,
    size_t offset)
{
	struct dirent	*e;
	uint32_t	 n;
	char		 v;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_type == type || e->d_type == DT_UNKNOWN)
			if (protocol_parse_block(e->d_name, blocks, &n, &v) == 0)
				*(uint32_t *)((char *)&s[n] + offset) |= BLOCK_BIT(v);
	closedir(d);
}

/* Whether block.N.v/file exists. */
static int
block_has(int dirfd, uint32_t n, char v, const char *file)
{
	char	name[DIRFILE_ENTRY_MAX];

	dirfile_entry(name, "", n, v, file);
	return faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Look into each claimed version of block n for done and failed. */
static void
look_inside(int dirfd, uint32_t n, struct sighting *s)
{
	char	v;

	for (v = PROTOCOL_FIRST; v <= PROTOCOL_LAST; v++) {
		if (!(s->claimed & BLOCK_BIT(v)))
			continue;
		if (block_has(dirfd, n, v, "/done"))
			s->done |= BLOCK_BIT(v);
		else if (block_has(dirfd, n, v, "/failed"))
			s->failed |= BLOCK_BIT(v);
	}
}

struct sighting *
protocol_list(int dirfd, uint32_t blocks, int inside, const struct blocks *known)
{
	struct sighting	*s = xcalloc(blocks, sizeof *s);
	uint32_t	 n;

	list_names(open_listing(dirfd, "todo"), DT_REG, blocks, s,
	    offsetof(struct sighting, todo));
	list_names(open_listing(dirfd, "."), DT_DIR, blocks, s,
	    offsetof(struct sighting, claimed));
	for (n = 0; inside && n < blocks; n++)
		if (s[n].claimed != 0 && (known == NULL || known->b[n].in == 0))
			look_inside(dirfd, n, &s[n]);
	return s;
}

int
protocol_held(int dirfd, uint32_t n, char v)
{
	return block_has(dirfd, n, v, "");
}

struct sighting
protocol_sight(int dirfd, uint32_t n, char v)
{
	struct sighting	s = { 0 };
	char		name[DIRFILE_ENTRY_MAX], u;

	for (u = PROTOCOL_FIRST; u <= v; u++) {
		dirfile_entry(name, "todo/", n, u, "");
		if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			s.todo |= BLOCK_BIT(u);
		if (block_has(dirfd, n, u, ""))
			s.claimed |= BLOCK_BIT(u);
	}
	look_inside(dirfd, n, &s);
	return s;
}

void
protocol_claimant(int dirfd, uint32_t n, char v, char who[PROTOCOL_WHO_MAX])
{
	char	name[DIRFILE_ENTRY_MAX];
	ssize_t	len;

	dirfile_entry(name, "", n, v, "/slave");
	len = dirfile_read(dirfd, name, who, PROTOCOL_WHO_MAX);
	if (len <= 0 || who[len - 1] != '\n')
		len = 1;	/* not written yet, or torn */
	who[len - 1] = '\0';
}

/*
 * Whether a name is an NFS client's stand-in for a removed file that is still open there
 * (its "silly rename"): it goes by itself when the file is closed, and cannot be removed
 * before.
 */
static int
nfs_standin(const char *name)
{
	return strncmp(name, ".nfs", 4) == 0;
}

/*
 * Remove every entry of directory `name` in dirfd, then the directory itself; the number
 * of NFS stand-ins that keep it (see nfs_standin()).
 */
static int
remove_tree(int dirfd, const char *name)
{
	struct dirent	*e;
	DIR		*d;
	int		 fd, standins = 0;

	fd = openat(dirfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		unlinkat(dirfd, name, 0);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (nfs_standin(e->d_name))
			standins++;
		else if (unlinkat(fd, e->d_name, 0) == -1 && errno == EISDIR)
			unlinkat(fd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
	return standins;
}

void
protocol_release(int dirfd, uint32_t n, char v)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, n, v);
	remove_tree(dirfd, name);
}

void
protocol_retire(int dirfd, uint32_t n, char v)
{
	static const char *const files[] = { "/img.bit", "/done", "/slave" };
	char	name[DIRFILE_ENTRY_MAX];
	size_t	i;

	for (i = 0; i < sizeof files / sizeof *files; i++) {
		dirfile_entry(name, "", n, v, files[i]);
		unlinkat(dirfd, name, 0);
	}
	dirfile_entry(name, "", n, v, "");
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		remove_tree(dirfd, name);
}

void
protocol_look_inside(int dirfd, uint32_t n, struct sighting *s)
{
	look_inside(dirfd, n, s);
}

/* Whether an entry of DIR is one of the protocol's names. */
static int
protocol_name(const char *name)
{
	uint32_t	n;
	char		v;

	return strcmp(name, "working") == 0 || strcmp(name, "data.dat") == 0 ||
	    dirfile_is_tmp(name, "data.dat") ||
	    strcmp(name, "image.bit") == 0 || strcmp(name, "todo") == 0 ||
	    strcmp(name, "levels.bit") == 0 ||
	    strcmp(name, "image.tif") == 0 || dirfile_is_tmp(name, "image.tif") ||
	    strcmp(name, "progress") == 0 || dirfile_is_tmp(name, "progress") ||
	    protocol_parse_block(name, UINT32_MAX, &n, &v) == 0;
}

/* Call fn for each protocol name in DIR; the sum of what it returned, or -1. */
static int
protocol_each(int dirfd, int (*fn)(int, const char *))
{
	struct dirent	*e;
	DIR		*d;
	int		 fd, r = 0;

	if ((fd = openat(dirfd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (protocol_name(e->d_name))
			r += fn(dirfd, e->d_name);
	closedir(d);
	return r;
}

static int
found(int dirfd, const char *name)
{
	(void)dirfd;
	(void)name;
	return 1;
}

/* Remove a protocol name; the number of NFS stand-ins that keep it. */
static int
remove_entry(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == -1 && (errno == EISDIR || errno == EPERM))
		return remove_tree(dirfd, name);
	return 0;
}

int
protocol_leftovers(int dirfd)
{
	return protocol_each(dirfd, found) > 0;
}

int
protocol_clean(int dirfd)
{
	double	until = now() + CLEAN_PATIENCE;
	int	standins;

	protocol_stop(dirfd);
	while ((standins = protocol_each(dirfd, remove_entry)) > 0 &&
	    now() < until)
		usleep(CLEAN_RETRY);
	return standins > 0 ? standins : 0;
}
