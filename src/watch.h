/*
 * watch.h — notice changes in the shared directory: by inotify where it sees them all,
 * by polling where it cannot.
 *
 * inotify reports only what the local kernel does. On NFS, GlusterFS (FUSE), CIFS and
 * other network filesystems other hosts' changes raise no event, so there polling is the
 * way, and inotify would only speed up the local ones. watch_start() reads DIR's
 * filesystem type (statfs) and chooses; callers rescan every watch.ms milliseconds
 * whatever arrives, so a change is never missed, only noticed later.
 */
#ifndef BLUR_WATCH_H
#define BLUR_WATCH_H

#define WATCH_RESCAN	1000	/* ms between rescans with inotify (its library counts
				   whole seconds) */
#define WATCH_POLL	250	/* ms between rescans without */

/* How one process follows DIR. */
struct watch {
	int	inotify;	/* 1: inotify started; 0: polling alone */
	int	wake;		/* a descriptor that ends a wait when readable, or -1 */
	int	ms;		/* rescan interval */
	char	how[64];	/* e.g. "inotify (ext4), rescan every 1000 ms" or
				   "polling every 250 ms (nfs)" */
};

struct change {
	char	dir[64];	/* last component of the watched directory */
	char	name[256];	/* the entry that changed in it */
};

/*
 * Choose how to follow the directory dirfd: inotify plus a rescan every WATCH_RESCAN ms
 * on a filesystem known to be local, polling every WATCH_POLL ms on any other; poll_ms
 * > 0 forces polling at that interval. Starts inotify when chosen (a forked child must
 * watch_close() its parent's first).
 */
void	watch_start(struct watch *, int dirfd, int poll_ms, int wake);
/* Stop watching everything. */
void	watch_close(struct watch *);
/* Watch a directory for entries created, moved in or removed (nothing when polling). */
void	watch_dir(const struct watch *, const char *path);
/* Stop watching a directory (before it is removed). */
void	watch_forget(const struct watch *, const char *path);
/*
 * Wait up to `ms` for a change: 1 and *c filled in, or 0 when the time passed. With ms 0,
 * only report a change already queued. When polling, simply sleeps, unless `wake`
 * becomes readable (the caller's signals).
 */
int	watch_next(const struct watch *, int ms, struct change *c);

#endif
