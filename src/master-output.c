/* master-output.c — see master-int.h. */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk.h"
#include "master-int.h"
#include "util.h"

/* The partial output's path: .NAME.ID.partial in the output's directory. */
static char *
partial_path(const struct master *m)
{
	const char	*slash = strrchr(m->output, '/');

	return xasprintf("%s/.%s.%s.partial", m->outdir,
	    slash != NULL ? slash + 1 : m->output, m->job.id);
}

int
output_check(struct master *m, char **cause)
{
	struct stat	 st;
	char		*copy, *partial;
	size_t		 len;

	if (stat(m->output, &st) == 0 && S_ISDIR(st.st_mode)) {
		*cause = xasprintf("%s: is a directory", m->output);
		return -1;
	}
	copy = xstrdup(m->output);
	m->outdir = realpath(dirname(copy), NULL);
	free(copy);
	/*
	 * Known now, before any block is computed: a folder we may not write (for root
	 * too, when read-only or immutable: EROFS, EPERM).
	 */
	if (m->outdir != NULL && stat(m->outdir, &st) == 0 && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (m->outdir != NULL && faccessat(AT_FDCWD, m->outdir, W_OK|X_OK,
	    AT_EACCESS) == 0) {
		/* data.dat records the partial name whole, or no one could remove it. */
		len = strlen(partial = partial_path(m));
		free(partial);
		if (len < JOB_PATH_MAX)
			return 0;
		errno = ENAMETOOLONG;
	}
	*cause = xasprintf("%s: cannot write: %s", m->output, strerror(errno));
	return -1;
}

void
output_name(struct master *m)
{
	free(m->tmp);
	m->tmp = partial_path(m);
	master_shown_name(m->job.partial, m->tmp);
}

void
output_remove_partial(const struct job *old)
{
	const char	*base = strrchr(old->partial, '/');
	char		*tail = xasprintf(".%s.partial", old->id);
	size_t		 n, t = strlen(tail);

	if (base != NULL && base[1] == '.' && (n = strlen(base + 1)) > t + 1 &&
	    strcmp(base + 1 + n - t, tail) == 0)
		unlink(old->partial);
	free(tail);
}

int
output_open(struct master *m, char **cause)
{
	struct chunks	 tables = { 0 };
	char		*why = NULL;
	int		 r;

	r = image_create(&m->out, m->tmp, &m->in, &m->job.layout, m->job.cog, &why);
	/* The tables the slaves' JPEG chunks were made with: the same for every block. */
	if (r == 0 && m->job.layout.compression == COMPRESSION_JPEG)
		r = chunk_tables(&tables, &m->job, &why) == 0 &&
		    image_set_tables(&m->out, tables.data, tables.len, &why) == 0 ? 0 : -1;
	chunk_free(&tables);
	if (r == -1) {
		*cause = xasprintf("%s: %s", m->output, why);
		free(why);
	}
	return r;
}

void
output_drop(struct master *m)
{
	image_close(&m->out, NULL);
	if (m->tmp != NULL)
		unlink(m->tmp);
	free(m->tmp);
	m->tmp = NULL;
}

int
output_finish(struct master *m, char **cause)
{
	char	*why;

	if (image_close(&m->out, &why) == -1) {
		*cause = xasprintf("%s: %s", m->output, why);
		free(why);
		return -1;
	}
	if (rename(m->tmp, m->output) == -1) {
		*cause = xasprintf("%s: %s", m->output, strerror(errno));
		return -1;
	}
	free(m->tmp);
	m->tmp = NULL;
	progress_end(&m->progress, m->output);
	return 0;
}
