/*
 * result.c — what a slave hands back in block.N.v: img.bit, a header (struct result)
 * then the rows, checked by size, XXH3 and with a secret its HMAC; or `failed`, signed
 * the same way with a secret. The master believes neither before it has checked it.
 */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <xxhash.h>

#include "dirfile.h"
#include "protocol.h"
#include "secret.h"
#include "util.h"

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
	if ((bfd = dirfile_open_block(dirfd, n, v)) == -1)
		return -1;
	if (dirfile_write(bfd, "img.bit", iov, 2) == 0)
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

	if ((bfd = dirfile_open_block(dirfd, n, v)) == -1)
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
	r = dirfile_write(bfd, "failed", iov, 2);
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
	char	name[DIRFILE_ENTRY_MAX], *body;
	char	text[SECRET_AUTH_MAX + FAILURE_MAX + 1];
	ssize_t	len;

	dirfile_entry(name, "", n, v, "/failed");
	len = dirfile_read(dirfd, name, text, key != NULL ? sizeof text : FAILURE_MAX + 1);
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
	char		 name[DIRFILE_ENTRY_MAX];
	struct result	 h;
	struct stat	 st;
	const char	*bad = NULL;
	int		 fd;

	dirfile_entry(name, "", n, v, "/img.bit");
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

