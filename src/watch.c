/* watch.c — see watch.h. */
#include <config.h>

#include <sys/inotify.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "watch.h"

#define WATCH_EVENTS	(IN_CREATE|IN_MOVED_TO|IN_DELETE|IN_CLOSE_WRITE)

int
watch_init(void)
{
	return inotifytools_initialize() ? 0 : -1;
}

void
watch_close(void)
{
	inotifytools_cleanup();
}

void
watch_dir(const char *path)
{
	inotifytools_watch_file(path, WATCH_EVENTS);
}

void
watch_forget(const char *path)
{
	inotifytools_remove_watch_by_filename(path);
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
watch_next(int seconds, struct change *c)
{
	struct inotify_event	*e;
	const char		*dir;

	if (inotifytools_get_num_watches() <= 0) {
		if (seconds > 0)
			sleep(seconds);
		return 0;
	}
	/* The library blocks forever on 0 seconds; next_events(0) is its non-blocking form. */
	e = seconds > 0 ? inotifytools_next_event(seconds) :
	    inotifytools_next_events(0, 1);
	if (e == NULL)
		return 0;
	if ((dir = inotifytools_filename_from_wd(e->wd)) == NULL)
		dir = "";
	last_component(dir, c->dir, sizeof c->dir);
	snprintf(c->name, sizeof c->name, "%s", e->len > 0 ? e->name : "");
	return 1;
}
