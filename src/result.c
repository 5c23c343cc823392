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

/* The chunks of block n's result, and the next level's rows it makes, if any. */
static uint32_t
result_chunks(const struct job *job, uint32_t n)
{
	return job_block_chunks(job, n) + (job_block_level(job, n) < job->levels);
}

/*
 * The bytes of block n's pixels as its chunks hold them: whole tiles, padded past the
 * image's edges (a block of a few rows may fill tiles 512 rows high).
 */
static uint64_t
result_pixels(const struct job *job, uint32_t n)
{
	const struct layout	*l = &job->layout;

	if (l->tile_width == 0)
		return (uint64_t)job_block_rows(job, n) * job_block_row_bytes(job, n);
	return (uint64_t)job_block_chunks(job, n) *
	    sample_row_bytes(l->tile_width, job->samples, job->bits) * l->rows;
}

/* The HMAC of a result: its header with the mac zeroed, then its payload's parts. */
static void
result_mac(const struct result *h, const struct iovec *parts, int n,
    const unsigned char *key, unsigned char mac[32])
{
	crypto_auth_hmacsha512256_state	st;
	struct result			bare = *h;
	int				i;

	memset(bare.mac, 0, sizeof bare.mac);
	crypto_auth_hmacsha512256_init(&st, key, SECRET_KEY);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)&bare,
	    sizeof bare);
	for (i = 0; i < n; i++)
		crypto_auth_hmacsha512256_update(&st, parts[i].iov_base,
		    parts[i].iov_len);
	crypto_auth_hmacsha512256_final(&st, mac);
}

/* XXH3-64 of a payload's parts, one after another. */
static uint64_t
result_sum(const struct iovec *parts, int n)
{
	XXH3_state_t	*st = XXH3_createState();
	uint64_t	 sum;
	int		 i;

	XXH3_64bits_reset(st);
	for (i = 0; i < n; i++)
		XXH3_64bits_update(st, parts[i].iov_base, parts[i].iov_len);
	sum = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return sum;
}

int
protocol_publish(int dirfd, const struct job *job, const unsigned char *key,
    const char *who, uint32_t n, char v, const uint32_t *sizes, const void *data,
    size_t len, const void *made)
{
	struct result	h;
	struct iovec	iov[4] = { { &h, sizeof h } };
	int		bfd, fd = -1, saved;

	memset(&h, 0, sizeof h);	/* the checksum and the HMAC cover every byte */
	h.block = n;
	h.version = v;
	h.chunks = result_chunks(job, n);
	iov[1] = (struct iovec){ (void *)sizes, h.chunks * sizeof *sizes };
	iov[2] = (struct iovec){ (void *)data, len };
	iov[3] = (struct iovec){ (void *)made, job_block_made_bytes(job, n) };
	h.bytes = iov[1].iov_len + len + iov[3].iov_len;
	memcpy(h.magic, RESULT_MAGIC, sizeof h.magic);
	memcpy(h.job, job->id, sizeof h.job);
	snprintf(h.who, sizeof h.who, "%s", who);
	h.rows = job_block_rows(job, n);
	h.sum = result_sum(iov + 1, 3);
	if (key != NULL)
		result_mac(&h, iov + 1, 3, key, h.mac);
	if ((bfd = dirfile_open_block(dirfd, n, v)) == -1)
		return -1;
	if (dirfile_write(bfd, "img.bit", iov, 4) == 0)
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

/*
 * A large result is checked in pieces this large, read into the master's memory: a
 * mapping costs more (each first touch of a 4 KiB page of it, in a virtual machine
 * most of all: 140 ms against 40 to hash 192 MB here) than the copy it saves.
 */
#define RESULT_PIECE	(1u << 20)

/* What is wrong with a result's header, or NULL. */
static const char *
bad_header(const struct result *h, const struct job *job, uint32_t n, char v,
    off_t size)
{
	uint64_t	raw = result_pixels(job, n) + job_block_made_bytes(job, n);
	uint64_t	table = (uint64_t)h->chunks * sizeof(uint32_t);

	if (memcmp(h->magic, RESULT_MAGIC, sizeof h->magic) != 0)
		return "not a blur result of this version";
	if (memcmp(h->job, job->id, sizeof h->job) != 0)
		return "from another job";
	if (h->block != n || h->version != v)
		return "for another block";
	if (h->rows != job_block_rows(job, n) || h->chunks != result_chunks(job, n) ||
	    h->bytes < table || h->bytes - table > RESULT_BOUND(raw))
		return "of the wrong size";
	if ((uint64_t)size != sizeof *h + h->bytes)
		return "truncated or padded";
	if (memchr(h->who, '\0', sizeof h->who) == NULL)
		return "with a claimant's name too long";
	return NULL;
}

int
protocol_open_result(int dirfd, const struct job *job, uint32_t n, char v,
    struct result *header, char **why)
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
		if (header != NULL)
			*header = h;
		return fd;
	}
	*why = xasprintf("%s", bad);
	if (fd != -1)
		close(fd);
	return -1;
}

/* Whether the chunk table at the start of a payload of len bytes adds up to it. */
static int
table_adds_up(const struct result *h, const void *buf, size_t len)
{
	const uint32_t	*sizes = buf;
	uint64_t	 sum = (uint64_t)h->chunks * sizeof *sizes;
	uint32_t	 i;

	for (i = 0; i < h->chunks && sum <= len; i++)
		sum += sizes[i];
	return sum == len;
}

int
protocol_read_result(int fd, const unsigned char *key, void *buf, size_t len,
    char **why)
{
	struct result	h;
	struct iovec	iov[2] = { { &h, sizeof h }, { buf, len } };
	unsigned char	mac[32];

	/* The header again, with the payload: one round trip, not two. */
	if (preadv_all(fd, iov, 2, 0) == -1) {
		*why = xasprintf("cannot be read: %s", strerror(errno));
		return -1;
	}
	if (h.bytes != len || result_sum(iov + 1, 1) != h.sum) {
		*why = xasprintf("fails its checksum");
		return -1;
	}
	if (!table_adds_up(&h, buf, len)) {
		*why = xasprintf("has a chunk table that does not add up");
		return -1;
	}
	if (key != NULL) {
		result_mac(&h, iov + 1, 1, key, mac);
		if (sodium_memcmp(mac, h.mac, sizeof mac) != 0) {
			*why = xasprintf("fails its HMAC: not from a slave with this "
			    "job's secret");
			return -1;
		}
	}
	return 0;
}


/*
 * Read `len` bytes of fd from off into buf, piece after piece, into a checksum: 0, or -1
 * with errno.
 */
static int
sum_pieces(int fd, off_t off, size_t len, uint8_t *buf, XXH3_state_t *st)
{
	size_t	k;

	for (; len > 0; len -= k, off += (off_t)k) {
		k = len < RESULT_PIECE ? len : RESULT_PIECE;
		if (pread_all(fd, buf, k, off) == -1)
			return -1;
		XXH3_64bits_update(st, buf, k);
	}
	return 0;
}

const void *
protocol_check_result(int fd, size_t len, int sum, void **buf, size_t *size,
    char **why)
{
	struct result	 h;
	XXH3_state_t	*st = NULL;
	size_t		 table;
	int		 r;

	if (pread_all(fd, &h, sizeof h, 0) == -1) {
		*why = xasprintf("cannot be read: %s", strerror(errno));
		return NULL;
	}
	table = (size_t)h.chunks * sizeof(uint32_t);
	if (h.bytes != len || table > len) {
		*why = xasprintf("is not the size its header says");
		return NULL;
	}
	reserve(buf, size, table + RESULT_PIECE);
	r = pread_all(fd, *buf, table, sizeof h);
	if (r == 0 && sum && (r = (st = XXH3_createState()) == NULL ? -1 : 0) == 0) {
		XXH3_64bits_reset(st);
		XXH3_64bits_update(st, *buf, table);
		r = sum_pieces(fd, (off_t)(sizeof h + table), len - table,
		    (uint8_t *)*buf + table, st);
	}
	if (r == -1)
		*why = xasprintf("cannot be read: %s", strerror(errno));
	else if (sum && XXH3_64bits_digest(st) != h.sum)
		*why = xasprintf("fails its checksum");
	else if (!table_adds_up(&h, *buf, len))
		*why = xasprintf("has a chunk table that does not add up");
	else
		r = 1;
	XXH3_freeState(st);
	return r == 1 ? *buf : NULL;
}
