/*
 * protocol.c — the directory protocol, written once.
 *
 * The master publishes data.dat, todo/, image.bit and `working`, and todo/block.N.a for
 * every block once its rows are in image.bit (see master.c for the order on local and on
 * network filesystems). A slave lists todo/ and claims block.N.v by mkdir: only one mkdir of a name
 * succeeds, so only one slave computes each version. The slave writes img.bit inside its
 * directory under a temporary name, renames it into place and creates `done`. The master
 * collects done blocks and removes their todo files and other versions (keeping the
 * block and its result until the end: see protocol.h), reissues a claimed block that is
 * not done in time as the next version letter, and when the output is written removes
 * `working` first (so slaves stop) and then everything else.
 *
 * Assumptions about the filesystem: mkdir is exclusive and rename atomic; a file closed
 * by one process is complete for a process, on any host, that opens it afterwards. Names
 * may be cached (NFS, FUSE): a stale one may delay a step, and every result is checked.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "protocol.h"
#include "secret.h"
#include "util.h"

#define TMP_SUFFIX	".tmp"

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

void
protocol_block_name(char *buf, uint32_t n, char v)
{
	snprintf(buf, PROTOCOL_NAME_MAX, "block.%u.%c", n, v);
}

/* Bytes of a path to a block's entry: "todo/block.N.v" or "block.N.v/img.bit". */
#define ENTRY_MAX	(PROTOCOL_NAME_MAX + 16)

/* The path in DIR of dir, then block.N.v, then file: one helper for every such name. */
static void
block_entry(char buf[ENTRY_MAX], const char *dir, uint32_t n, char v,
    const char *file)
{
	snprintf(buf, ENTRY_MAX, "%sblock.%u.%c%s", dir, n, v, file);
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

/* Create name in dirfd with the given contents; the name must not exist yet. */
static int
create_file(int dirfd, const char *name, const char *text)
{
	int	fd;

	fd = openat(dirfd, name, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (write_all(fd, text, strlen(text)) == -1) {
		close(fd);
		unlinkat(dirfd, name, 0);
		return -1;
	}
	return close(fd);
}

/*
 * A temporary name for `base`, unique across hosts as Maildir's are:
 * base.HOST.PID.RANDOM.tmp (a '/' in the host name becomes '_').
 */
static void
tmp_name(char *buf, size_t size, const char *base)
{
	char		host[HOST_NAME_MAX + 1] = "", *p;
	uint32_t	r;

	gethostname(host, sizeof host - 1);
	for (p = host; (p = strchr(p, '/')) != NULL; )
		*p = '_';
	random_bytes(&r, sizeof r);
	snprintf(buf, size, "%s.%s.%ld.%08x" TMP_SUFFIX, base, host,
	    (long)getpid(), r);
}

/* Whether name is one of tmp_name(base)'s. */
static int
is_tmp_of(const char *name, const char *base)
{
	size_t	len = strlen(base), n = strlen(name);

	return strncmp(name, base, len) == 0 && name[len] == '.' &&
	    n > len + strlen(TMP_SUFFIX) &&
	    strcmp(name + n - strlen(TMP_SUFFIX), TMP_SUFFIX) == 0;
}

/* Replace name in dirfd whole: written under a temporary name, then renamed. */
static int
replace_file(int dirfd, const char *name, const char *text)
{
	char	tmp[HOST_NAME_MAX + 96];
	int	saved;

	tmp_name(tmp, sizeof tmp, name);
	if (create_file(dirfd, tmp, text) == -1)
		return -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		saved = errno;
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Read a small file whole into buf (NUL-terminated); its length or -1. */
static ssize_t
read_small(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t	n;
	int	fd;

	if ((fd = openat(dirfd, name, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return n;
}

/* data.dat without its auth line: what the auth line signs. */
static char *
job_text(const struct job *job)
{
	const struct op	*op = job->args.op;
	char		*text = xstrdup("");
	int		 i;

	xappendf(&text, "blur %d\nid %s\norder %s\nwidth %u\nheight %u\nsamples %u\n"
	    "format %s\nalpha %u\n", PROTOCOL_VERSION, job->id,
	    BYTE_ORDER == LITTLE_ENDIAN ? "little" : "big", job->width,
	    job->height, job->samples, sample_name(job->format), job->alpha);
	if (job->nodata)
		xappendf(&text, "nodata %.17g\n", job->nodata_value);
	else
		xappendf(&text, "nodata none\n");
	xappendf(&text, "render %u\nop %s\n", job->render, op->name);
	for (i = 0; i < OP_PARAMS && op->params[i].name != NULL; i++)
		xappendf(&text, "param %s %s\n", op->params[i].name, job->args.value[i]);
	xappendf(&text, "halo %u %u\nrows %u\nblocks %u\ninput %s\noutput %s\n"
	    "source %s\npartial %s\n", job->top, job->bottom, job->rows,
	    job->blocks, job->input, job->output, job->source, job->partial);
	return text;
}

int
protocol_write_job(int dirfd, const struct job *job, const unsigned char *key,
    char **cause)
{
	char	*text = job_text(job), auth[SECRET_AUTH_MAX] = "none";
	int	 r;

	if (key != NULL)
		secret_auth(key, text, strlen(text), auth);
	xappendf(&text, "auth %s\n", auth);
	r = replace_file(dirfd, "data.dat", text);
	free(text);
	if (r == -1)
		*cause = xasprintf("data.dat: %s", strerror(errno));
	return r;
}

/* data.dat's keys, each once but `param`, which names a value of the operation. */
static const char *const job_keys[] = { "blur", "id", "order", "width", "height",
    "samples", "format", "alpha", "nodata", "render", "op", "halo", "rows", "blocks",
    "input", "output", "source", "partial", "auth", "param" };
enum { KEY_BLUR, KEY_ID, KEY_ORDER, KEY_WIDTH, KEY_HEIGHT, KEY_SAMPLES, KEY_FORMAT,
    KEY_ALPHA, KEY_NODATA, KEY_RENDER, KEY_OP, KEY_HALO, KEY_ROWS, KEY_BLOCKS, KEY_INPUT,
    KEY_OUTPUT, KEY_SOURCE, KEY_PARTIAL, KEY_AUTH, KEY_PARAM, KEYS };

/* A decimal uint32_t, or -1. */
static int
parse_u32(const char *value, uint32_t *u)
{
	unsigned long	 v;
	char		*end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || end == value || *value == '-' ||
	    v > UINT32_MAX)
		return -1;
	*u = v;
	return 0;
}

/* Store a text value; one too long for its field is cut, which can only match nothing. */
static int
set_text(char *field, size_t size, const char *value)
{
	snprintf(field, size, "%s", value);
	return 0;
}

/* An operation's value, "NAME VALUE"; -1 with *cause if it is not the operation's. */
static int
set_param(struct job *job, char *value, char **cause)
{
	char	*sp = strchr(value, ' ');

	if (job->args.op == NULL || sp == NULL)
		return -1;
	*sp = '\0';
	return op_set(&job->args, value, sp + 1, cause);
}

/* "none", or the value that marks a hole: a number, nan among them. */
static int
set_nodata(struct job *job, const char *value)
{
	char	*end;

	job->nodata = strcmp(value, "none") != 0;
	if (!job->nodata)
		return 0;
	errno = 0;
	job->nodata_value = strtod(value, &end);
	return errno != 0 || *end != '\0' || end == value ? -1 : 0;
}

/* Store the value of one key of data.dat into job; -1 if it is malformed. */
static int
job_set(struct job *job, int key, char *value, char **cause)
{
	uint32_t	*numbers[] = { [KEY_WIDTH] = &job->width,
	    [KEY_HEIGHT] = &job->height, [KEY_SAMPLES] = &job->samples,
	    [KEY_ALPHA] = &job->alpha,
	    [KEY_RENDER] = &job->render, [KEY_ROWS] = &job->rows,
	    [KEY_BLOCKS] = &job->blocks };
	uint32_t	 version;

	switch (key) {
	case KEY_BLUR:
		return parse_u32(value, &version) == 0 && version == PROTOCOL_VERSION ?
		    0 : -1;
	case KEY_FORMAT:
		job->format = sample_parse(value);
		job->bits = sample_bits(job->format);
		return job->format != 0 ? 0 : -1;
	case KEY_NODATA:
		return set_nodata(job, value);
	case KEY_ID:
		if (strlen(value) != 32 || strspn(value, "0123456789abcdef") != 32)
			return -1;
		memcpy(job->id, value, 33);
		return 0;
	case KEY_ORDER:
		return strcmp(value, BYTE_ORDER == LITTLE_ENDIAN ? "little" : "big") == 0 ?
		    0 : -1;
	case KEY_OP:
		if ((job->args.op = op_find(value)) == NULL)
			*cause = xasprintf("data.dat: a job of operation %s, which this "
			    "blur does not have", value);
		return job->args.op != NULL ? 0 : -1;
	case KEY_HALO:
		return sscanf(value, "%" SCNu32 " %" SCNu32, &job->top,
		    &job->bottom) == 2 ? 0 : -1;
	case KEY_PARAM:
		return set_param(job, value, cause);
	case KEY_INPUT:
		return set_text(job->input, sizeof job->input, value);
	case KEY_OUTPUT:
		return set_text(job->output, sizeof job->output, value);
	case KEY_SOURCE:
		return set_text(job->source, sizeof job->source, value);
	case KEY_PARTIAL:
		return set_text(job->partial, sizeof job->partial, value);
	case KEY_AUTH:
		return set_text(job->auth, sizeof job->auth, value);
	default:
		return parse_u32(value, numbers[key]);
	}
}

/* Whether the numbers of a job describe something a slave can safely compute. */
static int
job_valid(struct job *job, char **cause)
{
	uint32_t	 top, bottom;
	char		*prefix;

	if (job->width == 0 || job->height == 0 || job->rows == 0)
		return 0;
	if (job->samples < 1 || job->samples > SAMPLES_MAX || job->alpha > 1 ||
	    job->render > 1)
		return 0;
	if (job->alpha && job->samples < 2)
		return 0;
	if (job->width > INT32_MAX || job->args.op == NULL)
		return 0;
	if (!op_takes(job->args.op, job->format)) {
		*cause = xasprintf("data.dat: a job of %s samples, which %s does not take",
		    sample_name(job->format), job->args.op->name);
		return 0;
	}
	if (job->render && !job->args.op->draws) {
		*cause = xasprintf("data.dat: a render (no input) by %s, which needs one",
		    job->args.op->name);
		return 0;
	}
	if (op_ready(&job->args, cause) == -1) {
		prefix = xasprintf("data.dat: %s", *cause);
		free(*cause);
		*cause = prefix;
		return 0;
	}
	job->args.op->halo(&job->args, &top, &bottom);
	if (top != job->top || bottom != job->bottom)
		return 0;
	return job->blocks == (job->height - 1) / job->rows + 1;
}

/* Split data.dat into lines and store each: -1 with *cause. */
static int
parse_job(char *text, struct job *job, char **cause)
{
	char		*line, *next, *sp;
	uint32_t	 seen = 0;
	int		 key;

	for (line = text; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL || (sp = strchr(line, ' ')) == NULL)
			return -1;	/* a line without its newline is a torn write */
		*next++ = '\0';
		*sp = '\0';
		for (key = 0; key < KEYS && strcmp(line, job_keys[key]) != 0; key++)
			;
		if (key == KEYS)
			continue;	/* a later version's key: the version line decides */
		if ((seen & (1u << key)) && key != KEY_PARAM)
			return -1;
		seen |= 1u << key;
		if (job_set(job, key, sp + 1, cause) == -1) {
			if (*cause == NULL && key == KEY_BLUR)
				*cause = xasprintf("data.dat: a job of format %s; this blur "
				    "reads format %d", sp + 1, PROTOCOL_VERSION);
			else if (*cause == NULL && key == KEY_ORDER)
				*cause = xasprintf("data.dat: a job in %s-endian pixels; this "
				    "host cannot read them", sp + 1);
			else if (*cause != NULL && key == KEY_PARAM) {
				sp = xasprintf("data.dat: %s", *cause);
				free(*cause);
				*cause = sp;
			}
			return -1;
		}
	}
	return seen == (1u << KEY_PARAM) - 1 || seen == (1u << KEYS) - 1 ? 0 : -1;
}

/* Whether data.dat's auth line signs the text before it with key. */
static int
job_signed(const struct job *job, const unsigned char *key)
{
	char	*text = job_text(job), want[SECRET_AUTH_MAX];
	int	 r;

	secret_auth(key, text, strlen(text), want);
	r = sodium_memcmp(want, job->auth, sizeof want) == 0;
	free(text);
	return r;
}

int
protocol_read_job(int dirfd, struct job *job, const unsigned char *key,
    char **cause)
{
	char	text[16384];

	memset(job, 0, sizeof *job);
	*cause = NULL;
	if (read_small(dirfd, "data.dat", text, sizeof text) == -1) {
		*cause = xasprintf("data.dat: %s", strerror(errno));
		return -1;
	}
	if (parse_job(text, job, cause) == -1 || !job_valid(job, cause)) {
		if (*cause == NULL)
			*cause = xasprintf("data.dat: not a blur job of this version");
		job_free(job);
		return -1;
	}
	if (key != NULL && !job_signed(job, key)) {
		*cause = xasprintf("data.dat: not signed with this secret: %s",
		    strcmp(job->auth, "none") == 0 ? "a job without a secret, or one "
		    "whose signature was taken off" : "written with another, or forged");
		job_free(job);
		return -1;
	}
	return 0;
}

int
protocol_start(int dirfd, const struct job *job)
{
	char	line[40];

	snprintf(line, sizeof line, "%s\n", job->id);
	return create_file(dirfd, "working", line);
}

void
protocol_stop(int dirfd)
{
	unlinkat(dirfd, "working", 0);
}

int
protocol_working(int dirfd, char id[33])
{
	char	line[64];

	if (read_small(dirfd, "working", line, sizeof line) != 33 ||
	    line[32] != '\n')
		return -1;
	memcpy(id, line, 32);
	id[32] = '\0';
	return 0;
}

int
protocol_write_tally(int dirfd, const struct tally *t)
{
	char		*text;
	uint32_t	 i;
	int		 r;

	text = xasprintf("blur %d\nbeat %llu\nelapsed %.1f\ndone %u\nreissues %u\n"
	    "failures %u\nnotice %s\n", PROTOCOL_VERSION, (unsigned long long)t->beat,
	    t->elapsed, t->done, t->reissues, t->failures, t->notice);
	for (i = 0; i < t->nslaves; i++)
		xappendf(&text, "slave %s %u\n", t->slaves[i].who, t->slaves[i].blocks);
	r = replace_file(dirfd, "progress", text);
	free(text);
	return r;
}

int
protocol_read_tally(int dirfd, struct tally *t)
{
	char			 text[65536], *line, *next, who[PROTOCOL_WHO_MAX];
	double			 elapsed;
	unsigned long long	 beat;
	unsigned		 u;
	int			 version;

	memset(t, 0, sizeof *t);
	if (read_small(dirfd, "progress", text, sizeof text) == -1 ||
	    sscanf(text, "blur %d\n", &version) != 1 || version != PROTOCOL_VERSION)
		return -1;
	for (line = text; (next = strchr(line, '\n')) != NULL; line = next) {
		*next++ = '\0';
		if (sscanf(line, "beat %llu", &beat) == 1)
			t->beat = beat;
		else if (sscanf(line, "elapsed %lf", &elapsed) == 1)
			t->elapsed = elapsed;
		else if (strncmp(line, "notice ", 7) == 0)
			snprintf(t->notice, sizeof t->notice, "%s", line + 7);
		else if (sscanf(line, "done %u", &u) == 1)
			t->done = u;
		else if (sscanf(line, "reissues %u", &u) == 1)
			t->reissues = u;
		else if (sscanf(line, "failures %u", &u) == 1)
			t->failures = u;
		else if (sscanf(line, "slave %299s %u", who, &u) == 2) {
			tally_add(t, who);
			t->slaves[t->nslaves - 1].blocks = u;
		}
	}
	return 0;
}

/*
 * The beat is the count in progress and the file's modification time together: a master
 * that cannot rewrite progress (DIR full) still touches it, which takes no room.
 */
uint64_t
protocol_beat(int dirfd)
{
	char			text[64];
	unsigned long long	beat;
	struct stat		st;
	ssize_t			n;
	int			version, fd;

	if ((fd = openat(dirfd, "progress", O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, text, sizeof text - 1);
	if (n == -1 || fstat(fd, &st) == -1) {
		close(fd);
		return 0;
	}
	close(fd);
	text[n] = '\0';
	if (sscanf(text, "blur %d\nbeat %llu", &version, &beat) != 2 ||
	    version != PROTOCOL_VERSION)
		return 0;
	return (beat * 1000003u) ^ ((uint64_t)st.st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st.st_mtim.tv_nsec);
}

int
protocol_touch_tally(int dirfd)
{
	return utimensat(dirfd, "progress", NULL, AT_SYMLINK_NOFOLLOW);
}

int
protocol_dir_fault(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EROFS || err == EIO;
}

void
tally_add(struct tally *t, const char *who)
{
	uint32_t	i;

	for (i = 0; i < t->nslaves; i++)
		if (strcmp(t->slaves[i].who, who) == 0)
			break;
	if (i == t->nslaves) {
		t->slaves = xreallocarray(t->slaves, ++t->nslaves,
		    sizeof *t->slaves);
		snprintf(t->slaves[i].who, sizeof t->slaves[i].who, "%s", who);
		t->slaves[i].blocks = 0;
	}
	t->slaves[i].blocks++;
}

void
tally_free(struct tally *t)
{
	free(t->slaves);
	t->slaves = NULL;
	t->nslaves = 0;
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
	char	name[ENTRY_MAX];

	block_entry(name, "todo/", n, v, "");
	/* A slave may read it the moment the name exists: a signature must be whole. */
	return sign[0] == '\0' ? create_file(dirfd, name, "") :
	    replace_file(dirfd, name, sign);
}

int
protocol_todo_read(int dirfd, uint32_t n, char v, char *sign)
{
	char	name[ENTRY_MAX];

	block_entry(name, "todo/", n, v, "");
	return read_small(dirfd, name, sign, SECRET_HEX) == -1 ? -1 : 0;
}

void
protocol_todo_remove(int dirfd, uint32_t n, char v)
{
	char	name[ENTRY_MAX];

	block_entry(name, "todo/", n, v, "");
	unlinkat(dirfd, name, 0);
}

int
protocol_claim(int dirfd, uint32_t n, char v, const char *who)
{
	char	name[ENTRY_MAX], *line;

	block_entry(name, "", n, v, "");
	if (mkdirat(dirfd, name, 0700) == -1)
		return errno == EEXIST ? 0 : -1;
	/* The signature only informs: the claim stands without it. */
	block_entry(name, "", n, v, "/slave");
	line = xasprintf("%s\n", who);
	create_file(dirfd, name, line);
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
	char	name[ENTRY_MAX];

	block_entry(name, "", n, v, file);
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
	char		name[ENTRY_MAX], u;

	for (u = PROTOCOL_FIRST; u <= v; u++) {
		block_entry(name, "todo/", n, u, "");
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
	char	name[ENTRY_MAX];
	ssize_t	len;

	block_entry(name, "", n, v, "/slave");
	len = read_small(dirfd, name, who, PROTOCOL_WHO_MAX);
	if (len <= 0 || who[len - 1] != '\n')
		len = 1;	/* not written yet, or torn */
	who[len - 1] = '\0';
}

/* Open block.N.v as a directory. */
static int
open_block(int dirfd, uint32_t n, char v)
{
	char	name[PROTOCOL_NAME_MAX];

	protocol_block_name(name, n, v);
	return openat(dirfd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
}

/* The HMAC of a result: its header with the mac zeroed, then its rows. */
static void
result_mac(const struct result *h, const void *rows, size_t len,
    const unsigned char *key, unsigned char mac[32])
{
	crypto_auth_hmacsha512256_state	st;
	struct result			bare = *h;

	memset(bare.mac, 0, sizeof bare.mac);
	crypto_auth_hmacsha512256_init(&st, key, SECRET_KEY);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)&bare,
	    sizeof bare);
	crypto_auth_hmacsha512256_update(&st, rows, len);
	crypto_auth_hmacsha512256_final(&st, mac);
}

/*
 * Write the pieces of iov into block directory bfd as `name`: under a temporary name,
 * then renamed, so that whoever opens `name` reads it whole. iov is used up.
 */
static int
block_write(int bfd, const char *name, struct iovec *iov, int count)
{
	char	tmp[HOST_NAME_MAX + 96];
	int	fd, wrote, saved;

	tmp_name(tmp, sizeof tmp, name);
	fd = openat(bfd, tmp, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	/* One call for all of it: on a network filesystem each is a round trip. */
	wrote = writev_all(fd, iov, count);
	if (close(fd) == 0 && wrote == 0 && renameat(bfd, tmp, bfd, name) == 0)
		return 0;
	saved = errno;
	unlinkat(bfd, tmp, 0);
	errno = saved;
	return -1;
}

int
protocol_publish(int dirfd, const struct job *job, const unsigned char *key,
    const char *who, uint32_t n, char v, const void *rows, size_t len)
{
	struct result	h;
	struct iovec	iov[2] = { { &h, sizeof h }, { (void *)rows, len } };
	int		bfd, fd = -1, saved;

	memset(&h, 0, sizeof h);	/* the checksum and the HMAC cover every byte */
	h.block = n;
	h.version = v;
	h.bytes = len;
	memcpy(h.magic, RESULT_MAGIC, sizeof h.magic);
	memcpy(h.job, job->id, sizeof h.job);
	snprintf(h.who, sizeof h.who, "%s", who);
	h.rows = job_block_rows(job, n);
	h.sum = XXH3_64bits(rows, len);
	if (key != NULL)
		result_mac(&h, rows, len, key, h.mac);
	if ((bfd = open_block(dirfd, n, v)) == -1)
		return -1;
	if (block_write(bfd, "img.bit", iov, 2) == 0)
		fd = openat(bfd, "done", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600);
	saved = errno;
	if (fd != -1)
		close(fd);
	close(bfd);
	errno = saved;
	return fd == -1 ? -1 : 0;
}

int
protocol_fail(int dirfd, const struct job *job, const unsigned char *key, uint32_t n,
    char v, const char *who, const char *reason, const char *detail)
{
	char		*text, hex[SECRET_HEX], auth[SECRET_AUTH_MAX + 1] = "";
	struct iovec	 iov[2];
	size_t		 len;
	int		 bfd, r, saved;

	if ((bfd = open_block(dirfd, n, v)) == -1)
		return -1;
	text = xasprintf("%s\n%s\n%s", who, reason, detail != NULL ? detail : "");
	len = strlen(text);
	if (key != NULL) {
		/* The master reads FAILURE_MAX bytes after this line: sign just those. */
		len = len < FAILURE_MAX ? len : FAILURE_MAX;
		secret_failure(key, job->id, n, v, text, len, hex);
		snprintf(auth, sizeof auth, "%s %s\n", SECRET_AUTH, hex);
	}
	iov[0] = (struct iovec){ auth, strlen(auth) };
	iov[1] = (struct iovec){ text, len };
	r = block_write(bfd, "failed", iov, 2);
	saved = errno;
	free(text);
	close(bfd);
	errno = saved;
	return r;
}

/*
 * The text after a signed failed report's first line, if that line is the HMAC of the
 * text for block.N.v of this job; else NULL. text is len bytes, NUL-terminated.
 */
static char *
signed_text(char *text, size_t len, const struct job *job, const unsigned char *key,
    uint32_t n, char v)
{
	char	want[SECRET_AUTH_MAX], hex[SECRET_HEX], *body = strchr(text, '\n');

	if (body == NULL)
		return NULL;
	*body++ = '\0';
	secret_failure(key, job->id, n, v, body, len - (body - text), hex);
	snprintf(want, sizeof want, "%s %s", SECRET_AUTH, hex);
	if (strlen(text) != strlen(want) ||
	    sodium_memcmp(text, want, strlen(want)) != 0)
		return NULL;
	return body;
}

char *
protocol_failure(int dirfd, const struct job *job, const unsigned char *key, uint32_t n,
    char v, char **why)
{
	char	name[ENTRY_MAX], *body;
	char	text[SECRET_AUTH_MAX + FAILURE_MAX + 1];
	ssize_t	len;

	block_entry(name, "", n, v, "/failed");
	len = read_small(dirfd, name, text, key != NULL ? sizeof text : FAILURE_MAX + 1);
	if (len == -1) {
		*why = xasprintf("cannot be read: %s", strerror(errno));
		return NULL;
	}
	body = key != NULL ? signed_text(text, len, job, key, n, v) : text;
	if (body == NULL) {
		*why = xasprintf("fails its HMAC: not from a slave with this job's "
		    "secret");
		return NULL;
	}
	return xstrdup(body);
}

/* What is wrong with a result's header, or NULL. */
static const char *
bad_header(const struct result *h, const struct job *job, uint32_t n, char v,
    off_t size)
{
	uint64_t	want = (uint64_t)job_block_rows(job, n) * job_row_bytes(job);

	if (memcmp(h->magic, RESULT_MAGIC, sizeof h->magic) != 0)
		return "not a blur result of this version";
	if (memcmp(h->job, job->id, sizeof h->job) != 0)
		return "from another job";
	if (h->block != n || h->version != v)
		return "for another block";
	if (h->rows != job_block_rows(job, n) || h->bytes != want)
		return "of the wrong size";
	if ((uint64_t)size != sizeof *h + want)
		return "truncated or padded";
	if (memchr(h->who, '\0', sizeof h->who) == NULL)
		return "with a claimant's name too long";
	return NULL;
}

int
protocol_open_result(int dirfd, const struct job *job, uint32_t n, char v,
    char who[PROTOCOL_WHO_MAX], char **why)
{
	char		 name[ENTRY_MAX];
	struct result	 h;
	struct stat	 st;
	const char	*bad = NULL;
	int		 fd;

	block_entry(name, "", n, v, "/img.bit");
	fd = openat(dirfd, name, O_RDONLY|O_NOFOLLOW|O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof h ||
	    pread_all(fd, &h, sizeof h, 0) == -1)
		bad = "not a blur result";
	else
		bad = bad_header(&h, job, n, v, st.st_size);
	if (bad == NULL) {
		if (who != NULL)
			memcpy(who, h.who, sizeof h.who);
		return fd;
	}
	*why = xasprintf("%s", bad);
	if (fd != -1)
		close(fd);
	return -1;
}

int
protocol_read_result(int fd, const unsigned char *key, void *buf, size_t len,
    char **why)
{
	struct result	h;
	struct iovec	iov[2] = { { &h, sizeof h }, { buf, len } };
	unsigned char	mac[32];

	/* The header again, with the rows: one round trip, not two. */
	if (preadv_all(fd, iov, 2, 0) == -1) {
		*why = xasprintf("cannot be read: %s", strerror(errno));
		return -1;
	}
	if (XXH3_64bits(buf, len) != h.sum) {
		*why = xasprintf("fails its checksum");
		return -1;
	}
	if (key != NULL) {
		result_mac(&h, buf, len, key, mac);
		if (sodium_memcmp(mac, h.mac, sizeof mac) != 0) {
			*why = xasprintf("fails its HMAC: not from a slave with this "
			    "job's secret");
			return -1;
		}
	}
	return 0;
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
	char	name[ENTRY_MAX];
	size_t	i;

	for (i = 0; i < sizeof files / sizeof *files; i++) {
		block_entry(name, "", n, v, files[i]);
		unlinkat(dirfd, name, 0);
	}
	block_entry(name, "", n, v, "");
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
	    is_tmp_of(name, "data.dat") ||
	    strcmp(name, "image.bit") == 0 || strcmp(name, "todo") == 0 ||
	    strcmp(name, "progress") == 0 || is_tmp_of(name, "progress") ||
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
