/*
 * tiffopts.c — libtiff's complaints, kept or dropped (see tiffopts.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "tiffopts.h"

static int
keep_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	(void)tif;
	(void)module;
	vsnprintf(user, TIFFOPTS_ERROR_MAX, fmt, ap);
	return 1;
}

static int
drop_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

TIFFOpenOptions *
tiffopts_new(char *error)
{
	TIFFOpenOptions	*opts = TIFFOpenOptionsAlloc();

	error[0] = '\0';
	TIFFOpenOptionsSetErrorHandlerExtR(opts, keep_error, error);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, drop_warning, NULL);
	return opts;
}

TIFF *
tiffopts_fdopen(int fd, const char *name, const char *mode, char *error)
{
	TIFFOpenOptions	*opts = tiffopts_new(error);
	TIFF		*tif = TIFFFdOpenExt(fd, name, mode, opts);

	TIFFOpenOptionsFree(opts);
	if (tif == NULL)
		close(fd);
	return tif;
}
