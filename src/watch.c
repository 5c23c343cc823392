/* watch.c — see watch.h. */
#include <config.h>

#include <sys/inotify.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "watch.h"

#define WATCH_EVENTS	(IN_CREATE|IN_MOVED_TO|IN_DELETE|IN_CLOSE_WRITE)

/*
 * Filesystems whose every change goes through this kernel, so inotify sees it. Anything
 * else, known to be shared (nfs, fuse, cifs...) or not known at all, is polled.
 */
static const struct fs {
	long		 magic;
	const char	*name;
} local_fs[] = {
	{ EXT4_SUPER_MAGIC, "ext4" },	/* also ext2 and ext3 */
	{ XFS_SUPER_MAGIC, "xfs" },
	{ BTRFS_SUPER_MAGIC, "btrfs" },
	{ TMPFS_MAGIC, "tmpfs" },
	{ RAMFS_MAGIC, "ramfs" },
	{ OVERLAYFS_SUPER_MAGIC, "overlay" },
	{ F2FS_SUPER_MAGIC, "f2fs" },
	{ 0x2fc12fc1, "zfs" },
	{ 0x3153464a, "jfs" },
	{ REISERFS_SUPER_MAGIC, "reiserfs" },
	{ MSDOS_SUPER_MAGIC, "vfat" },
	{ 0x2011bab0, "exfat" },
	{ 0x7366746e, "ntfs3" },
	{ 0xca451a4e, "bcachefs" },
}, shared_fs[] = {
	{ NFS_SUPER_MAGIC, "nfs" },
	{ 0x65735546, "fuse" },		/* GlusterFS, sshfs, ... */
	{ 0xff534d42, "cifs" },
	{ 0xfe534d42, "smb2" },
	{ SMB_SUPER_MAGIC, "smb" },
	{ 0x00c36400, "ceph" },
	{ 0x0bd00bd0, "lustre" },
	{ 0x47504653, "gpfs" },
	{ V9FS_MAGIC, "9p" },
	{ AFS_SUPER_MAGIC, "afs" },
	{ 0x7461636f, "ocfs2" },
	{ 0x01161970, "gfs2" },
};

/* The name of a filesystem type from a table, or NULL. */
static const char *
fs_name(long magic, const struct fs *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (t[i].magic == magic)
			return t[i].name;
	return NULL;
}

void
watch_start(struct watch *w, int dirfd, int poll_ms, int wake)
{
	struct statfs	 sf;
	const char	*local = NULL, *shared = NULL;
	char		 type[24] = "unknown";

	if (fstatfs(dirfd, &sf) == 0) {
		local = fs_name(sf.f_type, local_fs, sizeof local_fs / sizeof *local_fs);
		shared = fs_name(sf.f_type, shared_fs,
		    sizeof shared_fs / sizeof *shared_fs);
		if (local != NULL || shared != NULL)
			snprintf(type, sizeof type, "%s", local != NULL ? local : shared);
		else
			snprintf(type, sizeof type, "type %#lx", (long)sf.f_type);
	}
	w->wake = wake;
	w->inotify = poll_ms <= 0 && local != NULL && inotifytools_initialize();
	if (w->inotify) {
		w->ms = WATCH_RESCAN;
		snprintf(w->how, sizeof w->how, "inotify (%s), rescan every %d ms",
		    type, w->ms);
	} else {
		w->ms = poll_ms > 0 ? poll_ms : WATCH_POLL;
		snprintf(w->how, sizeof w->how, "polling every %d ms (%s)", w->ms,
		    type);
	}
}

void
watch_close(struct watch *w)
{
	if (w->inotify)
		inotifytools_cleanup();
	w->inotify = 0;
}

void
watch_dir(const struct watch *w, const char *path)
{
	if (w->inotify)
		inotifytools_watch_file(path, WATCH_EVENTS);
}

void
watch_forget(const struct watch *w, const char *path)
{
	char	dir[PATH_MAX];

	/*
	 * The library files a directory's watch under its name and a '/': any other spelling
	 * finds nothing and removes nothing, and every watch left open costs the final
	 * close of the inotify descriptor a wait of its own (20 ms for 65 of them).
	 */
	if (!w->inotify || snprintf(dir, sizeof dir, "%s/", path) >= (int)sizeof dir)
		return;
	/*
	 * The kernel drops the watch of a directory removed (a slave gave its claim back),
	 * and the library, asked to remove it after that, says so on stderr.
	 */
	if (access(path, F_OK) == 0)
		inotifytools_remove_watch_by_filename(dir);
}

/* Last component of a watched path, which libinotifytools ends with '/'. */
static void
last_component(const char *path, char *out, size_t size)
{
	size_t		 len = strlen(path);
	const char	*p;

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (p = path + len; p > path && p[-1] != '/'; p--)
		;
	snprintf(out, size, "%.*s", (int)(path + len - p), p);
}

int
watch_next(const struct watch *w, int ms, struct change *c)
{
	struct inotify_event	*e;
	struct pollfd		 wake = { .fd = w->wake, .events = POLLIN };
	const char		*dir;

	if (!w->inotify || inotifytools_get_num_watches() <= 0) {
		poll(&wake, 1, ms);	/* a sleep that a signal cuts short */
		return 0;
	}
	/* The library blocks forever on 0 seconds; next_events(0) is its non-blocking form. */
	e = ms > 0 ? inotifytools_next_event((ms + 999) / 1000) :
	    inotifytools_next_events(0, 1);
	/* A forgotten watch's last event says only that: no change to report. */
	while (e != NULL && (e->mask & IN_IGNORED))
		e = inotifytools_next_events(0, 1);
	if (e == NULL)
		return 0;
	if ((dir = inotifytools_filename_from_wd(e->wd)) == NULL)
		dir = "";
	last_component(dir, c->dir, sizeof c->dir);
	snprintf(c->name, sizeof c->name, "%s", e->len > 0 ? e->name : "");
	return 1;
}
