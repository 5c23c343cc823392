/* secret.c — see secret.h. */
#include <config.h>

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "secret.h"
#include "util.h"

/* No secret file is this large; a larger one is surely the wrong file. */
#define SECRET_MAX	(1 << 20)

int
secret_load(const char *path, unsigned char key[SECRET_KEY], char **cause)
{
	crypto_generichash_state	 h;
	struct stat			 st;
	unsigned char			 buf[4096];
	ssize_t				 n;
	int				 fd;

	if (sodium_init() == -1)
		fatal("libsodium cannot start");
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (st.st_mode & (S_IRWXG|S_IRWXO)) {
		*cause = xasprintf("%s: others can read this secret (mode %04o); "
		    "chmod 600 it", path, (unsigned)st.st_mode & 07777);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > SECRET_MAX) {
		*cause = xasprintf("%s: a secret is a file of 1 byte to 1 MiB", path);
		goto fail;
	}
	crypto_generichash_init(&h, NULL, 0, SECRET_KEY);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		crypto_generichash_update(&h, buf, n);
	sodium_memzero(buf, sizeof buf);
	if (n == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	crypto_generichash_final(&h, key, SECRET_KEY);
	close(fd);
	return 0;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/* Begin an HMAC of the job id, then label (what is signed, of which block). */
static void
bound_begin(struct secret_mac *m, const unsigned char key[SECRET_KEY], const char *id,
    const char *label)
{
	crypto_auth_hmacsha512256_init(&m->st, key, SECRET_KEY);
	crypto_auth_hmacsha512256_update(&m->st, (const unsigned char *)id, strlen(id));
	crypto_auth_hmacsha512256_update(&m->st, (const unsigned char *)label,
	    strlen(label));
}

void
secret_stored_add(void *mac, const void *bytes, size_t len)
{
	crypto_auth_hmacsha512256_update(&((struct secret_mac *)mac)->st, bytes, len);
}

void
secret_stored_end(struct secret_mac *m, char hex[SECRET_HEX])
{
	unsigned char	mac[crypto_auth_hmacsha512256_BYTES];

	crypto_auth_hmacsha512256_final(&m->st, mac);
	sodium_bin2hex(hex, SECRET_HEX, mac, sizeof mac);
}

/* The hex HMAC of the job id, then label, then data. */
static void
bound_mac(const unsigned char key[SECRET_KEY], const char *id, const char *label,
    const void *data, size_t len, char hex[SECRET_HEX])
{
	struct secret_mac	m;

	bound_begin(&m, key, id, label);
	secret_stored_add(&m, data, len);
	secret_stored_end(&m, hex);
}

void
secret_stored_begin(struct secret_mac *m, const unsigned char key[SECRET_KEY],
    const char *id, uint32_t n)
{
	char	label[32];

	snprintf(label, sizeof label, " %u stored\n", n);
	bound_begin(m, key, id, label);
}

void
secret_rows(const unsigned char key[SECRET_KEY], const char *id, uint32_t n,
    const void *rows, size_t len, char hex[SECRET_HEX])
{
	char	label[16];

	snprintf(label, sizeof label, " %u\n", n);
	bound_mac(key, id, label, rows, len, hex);
}

void
secret_failure(const unsigned char key[SECRET_KEY], const char *id, uint32_t n, char v,
    const void *text, size_t len, char hex[SECRET_HEX])
{
	char	label[40];

	snprintf(label, sizeof label, " block.%u.%c failed\n", n, v);
	bound_mac(key, id, label, text, len, hex);
}

void
secret_auth(const unsigned char key[SECRET_KEY], const void *text, size_t len,
    char auth[SECRET_AUTH_MAX])
{
	unsigned char	mac[crypto_auth_hmacsha512256_BYTES];
	char		hex[2 * sizeof mac + 1];

	crypto_auth_hmacsha512256(mac, text, len, key);
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	snprintf(auth, SECRET_AUTH_MAX, "%s %s", SECRET_AUTH, hex);
}
