/*
 * watch.h — wait for a change in watched directories, or for time to pass.
 *
 * Local changes arrive at once through inotify (libinotifytools); changes made by other
 * hosts on a network filesystem do not, so every caller also rescans when watch_next()
 * times out. Without inotify, watch_next() simply sleeps: polling alone still works.
 */
#ifndef BLUR_WATCH_H
#define BLUR_WATCH_H

#define WATCH_POLL	1	/* seconds between rescans; inotify's library counts whole seconds */

struct change {
	char	dir[64];	/* last component of the watched directory */
	char	name[256];	/* the entry that changed in it */
};

/* Start watching (once per process); 0, or -1 when only polling is possible. */
int	watch_init(void);
/* Stop watching everything: a forked child must, before its own watch_init(). */
void	watch_close(void);
/* Watch a directory for entries created, moved in or removed. */
void	watch_dir(const char *path);
/* Stop watching a directory (before it is removed). */
void	watch_forget(const char *path);
/*
 * Wait up to `seconds` for a change: 1 and *c filled in, or 0 when the time passed
 * (or nothing is watched). With seconds 0, only report a change already queued.
 */
int	watch_next(int seconds, struct change *c);

#endif
