/*
 * secret.h — the shared secret that makes results unforgeable.
 *
 * With BLUR_SECRET_FILE (or -secret FILE), the key is a BLAKE2b hash of that file's
 * bytes, which every host of the job reads from its own copy: the secret itself never
 * enters DIR. Results then carry an HMAC-SHA-512-256 (libsodium's crypto_auth) that the
 * master checks, as it checks failed reports, and data.dat carries the HMAC of all its
 * other lines, so that a slave runs only what a holder of the secret asked for, and
 * tells a wrong key at once.
 */
#ifndef BLUR_SECRET_H
#define BLUR_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define SECRET_KEY	32	/* bytes of key */
#define SECRET_AUTH	"hmac-sha512-256"	/* data.dat's name for it */

/* Derive the key from a file; -1 with *cause if it cannot be read or others can read it. */
int	secret_load(const char *path, unsigned char key[SECRET_KEY], char **cause);
/* data.dat's auth value: SECRET_AUTH, a space, the hex HMAC of text. */
#define SECRET_AUTH_MAX	(sizeof SECRET_AUTH + 65)
void	secret_auth(const unsigned char key[SECRET_KEY], const void *text, size_t len,
	    char auth[SECRET_AUTH_MAX]);

/*
 * What a todo file of a keyed job holds: the hex HMAC of block n's input rows, bound to
 * the job and the block, so that a slave computes only the pixels the master published.
 */
#define SECRET_HEX	65
void	secret_rows(const unsigned char key[SECRET_KEY], const char *id, uint32_t n,
	    const void *rows, size_t len, char hex[SECRET_HEX]);
/*
 * Where slaves decode the input: the same for the stored bytes they decode block n from
 * (the decoding's description, then each strip or tile: image.h's raw hook), taken in
 * pieces. Its label differs from secret_rows()'s, so that neither passes for the other.
 */
struct secret_mac {
	crypto_auth_hmacsha512256_state	st;
};
void	secret_stored_begin(struct secret_mac *, const unsigned char key[SECRET_KEY],
	    const char *id, uint32_t n);
void	secret_stored_add(void *mac, const void *bytes, size_t len);
void	secret_stored_end(struct secret_mac *, char hex[SECRET_HEX]);

/*
 * The hex HMAC of a failed report's text, bound to the job, the block and the version,
 * so that only a holder of the secret can fail a block, and only that one: a report is
 * no use in another job or block. Its label (" block.N.v failed") differs from the
 * todo file's (" N"), so that neither can pass for the other.
 */
void	secret_failure(const unsigned char key[SECRET_KEY], const char *id,
	    uint32_t n, char v, const void *text, size_t len, char hex[SECRET_HEX]);

#endif
