/* check_secret.c — secret.h: the key a file gives, and what it signs. */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "secret.h"
#include "tests.h"

static const unsigned char	k1[SECRET_KEY] = "one key, thirty-two bytes long.";
static const unsigned char	k2[SECRET_KEY] = "another key, also 32 bytes long";

/* dir/name holding len bytes of text, with mode; its path. */
static char *
secret_file(const char *dir, const char *name, const void *text, size_t len, mode_t mode)
{
	char	*path;
	int	 fd;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	ck_assert_int_ge(fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0600), 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* secret_load() of path refused, saying `what`. */
static void
expect_refused(const char *path, const char *what)
{
	unsigned char	 key[SECRET_KEY];
	char		*cause = NULL;

	ck_assert_int_eq(secret_load(path, key, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, what) != NULL, "'%s' lacks '%s'", cause, what);
	ck_assert_msg(strncmp(cause, path, strlen(path)) == 0, "'%s' lacks its file",
	    cause);
	free(cause);
}

/* The key is BLAKE2b-256 of the file's bytes: each host derives it from its copy. */
START_TEST(test_load)
{
	unsigned char	 key[SECRET_KEY], again[SECRET_KEY], want[SECRET_KEY];
	char		*dir = test_dir(), *a, *b, *c, *cause = NULL, *big;
	size_t		 len = 3 * 4096 + 5;	/* more than one read */

	big = malloc(len);
	memset(big, 's', len);
	a = secret_file(dir, "a", big, len, 0600);
	b = secret_file(dir, "b", big, len, 0400);
	big[len - 1] = 't';
	c = secret_file(dir, "c", big, len, 0600);
	ck_assert_int_eq(secret_load(a, key, &cause), 0);
	big[len - 1] = 's';
	ck_assert_int_eq(sodium_init() >= 0, 1);
	crypto_generichash(want, sizeof want, (unsigned char *)big, len, NULL, 0);
	ck_assert_int_eq(memcmp(key, want, SECRET_KEY), 0);
	/* The same bytes, another file: the same key; one byte other: another. */
	ck_assert_int_eq(secret_load(b, again, &cause), 0);
	ck_assert_int_eq(memcmp(key, again, SECRET_KEY), 0);
	ck_assert_int_eq(secret_load(c, again, &cause), 0);
	ck_assert_int_ne(memcmp(key, again, SECRET_KEY), 0);
	free(a);
	free(b);
	free(c);
	free(big);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_load_refused)
{
	unsigned char	 key[SECRET_KEY];
	char		*dir = test_dir(), *path, *big, *cause = NULL;
	pid_t		 pid;
	int		 status;

	path = secret_file(dir, "empty", "", 0, 0600);
	expect_refused(path, "1 byte to 1 MiB");
	free(path);
	big = calloc(1, (1 << 20) + 1);
	path = secret_file(dir, "big", big, (1 << 20) + 1, 0600);
	expect_refused(path, "1 byte to 1 MiB");
	free(path);
	path = secret_file(dir, "one", "x", 1, 0600);	/* the least there is */
	free(path);
	path = secret_file(dir, "group", "secret", 6, 0640);
	expect_refused(path, "others can read this secret (mode 0640)");
	free(path);
	path = secret_file(dir, "world", "secret", 6, 0604);
	expect_refused(path, "others can read this secret (mode 0604)");
	free(path);
	path = secret_file(dir, "gx", "secret", 6, 0610);	/* any bit for them */
	expect_refused(path, "chmod 600");
	free(path);
	ck_assert_int_ne(asprintf(&path, "%s/none", dir), -1);
	expect_refused(path, "No such file or directory");
	free(path);
	ck_assert_int_ne(asprintf(&path, "%s/sub", dir), -1);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	expect_refused(path, "a secret is a file");
	free(path);
	/* Unreadable: a mode that forbids even its owner. Root reads anything: a child
	   tries as nobody. */
	path = secret_file(dir, "locked", "secret", 6, 0000);
	ck_assert_int_eq(chmod(dir, 0711), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) == -1 || setuid(65534) == -1))
			_exit(2);
		_exit(secret_load(path, key, &cause) == -1 &&
		    strstr(cause, ": Permission denied") != NULL ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "an unreadable secret was not refused as such");
	free(path);
	free(big);
	test_rmdir(dir);
}
END_TEST

/* HMAC-SHA-512-256 of the job id, " N\n" and the rows, in hex. */
static void
mac_of(const unsigned char *key, const char *id, const char *label, const void *data,
    size_t len, char hex[SECRET_HEX])
{
	crypto_auth_hmacsha512256_state	st;
	unsigned char			mac[32];

	crypto_auth_hmacsha512256_init(&st, key, SECRET_KEY);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)id, strlen(id));
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)label,
	    strlen(label));
	crypto_auth_hmacsha512256_update(&st, data, len);
	crypto_auth_hmacsha512256_final(&st, mac);
	sodium_bin2hex(hex, SECRET_HEX, mac, sizeof mac);
}

/* A todo file's signature is bound to the key, the job, the block and every byte. */
START_TEST(test_rows)
{
	static const char	id[] = "0123456789abcdef0123456789abcdef";
	unsigned char		rows[3000];
	char			hex[SECRET_HEX], other[SECRET_HEX], want[SECRET_HEX];
	size_t			i;

	for (i = 0; i < sizeof rows; i++)
		rows[i] = (unsigned char)(i * 13);
	secret_rows(k1, id, 7, rows, sizeof rows, hex);
	ck_assert_uint_eq(strlen(hex), 64);
	ck_assert_uint_eq(strspn(hex, "0123456789abcdef"), 64);
	mac_of(k1, id, " 7\n", rows, sizeof rows, want);
	ck_assert_str_eq(hex, want);
	secret_rows(k1, id, 7, rows, sizeof rows, other);
	ck_assert_str_eq(hex, other);
	secret_rows(k2, id, 7, rows, sizeof rows, other);
	ck_assert_str_ne(hex, other);
	secret_rows(k1, "0123456789abcdef0123456789abcdee", 7, rows, sizeof rows, other);
	ck_assert_str_ne(hex, other);
	secret_rows(k1, id, 8, rows, sizeof rows, other);
	ck_assert_str_ne(hex, other);
	secret_rows(k1, id, 7, rows, sizeof rows - 1, other);
	ck_assert_str_ne(hex, other);
	for (i = 0; i < sizeof rows; i += 999) {
		rows[i] ^= 0x10;
		secret_rows(k1, id, 7, rows, sizeof rows, other);
		ck_assert_msg(strcmp(hex, other) != 0, "byte %zu flipped, same HMAC", i);
		rows[i] ^= 0x10;
	}
}
END_TEST

/* A failed report's is bound to the version too, and is no todo file's. */
START_TEST(test_failure)
{
	static const char	id[] = "0123456789abcdef0123456789abcdef";
	static const char	text[] = "h:1\nexited with status 3\n";
	char			hex[SECRET_HEX], other[SECRET_HEX], want[SECRET_HEX];
	char			flipped[sizeof text];

	secret_failure(k1, id, 7, 'b', text, strlen(text), hex);
	mac_of(k1, id, " block.7.b failed\n", text, strlen(text), want);
	ck_assert_str_eq(hex, want);
	secret_failure(k1, id, 7, 'c', text, strlen(text), other);
	ck_assert_str_ne(hex, other);
	secret_failure(k1, id, 6, 'b', text, strlen(text), other);
	ck_assert_str_ne(hex, other);
	secret_failure(k2, id, 7, 'b', text, strlen(text), other);
	ck_assert_str_ne(hex, other);
	memcpy(flipped, text, sizeof text);
	flipped[5] ^= 1;
	secret_failure(k1, id, 7, 'b', flipped, strlen(flipped), other);
	ck_assert_str_ne(hex, other);
	secret_rows(k1, id, 7, text, strlen(text), other);
	ck_assert_str_ne(hex, other);
}
END_TEST

/* data.dat's auth line: the name, a space, the HMAC of the lines before it. */
START_TEST(test_auth)
{
	static const char	text[] = "blur 3\nid 0123\nwidth 4\n";
	char			auth[SECRET_AUTH_MAX], other[SECRET_AUTH_MAX], flipped[64];
	unsigned char		mac[32];
	char			hex[65];

	secret_auth(k1, text, strlen(text), auth);
	crypto_auth_hmacsha512256(mac, (const unsigned char *)text, strlen(text), k1);
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	ck_assert_int_eq(strncmp(auth, SECRET_AUTH " ", strlen(SECRET_AUTH) + 1), 0);
	ck_assert_str_eq(auth + strlen(SECRET_AUTH) + 1, hex);
	ck_assert_uint_eq(strlen(auth), SECRET_AUTH_MAX - 1);
	secret_auth(k2, text, strlen(text), other);
	ck_assert_str_ne(auth, other);
	strcpy(flipped, text);
	flipped[8] ^= 1;
	secret_auth(k1, flipped, strlen(flipped), other);
	ck_assert_str_ne(auth, other);
}
END_TEST

/* A key from a file signs a job that reads back with it alone; a flipped byte, refused. */
START_TEST(test_signed_job)
{
	struct job	 job = test_job("box", "radius=2", 100), back;
	unsigned char	 key[SECRET_KEY], wrong[SECRET_KEY];
	char		*dir = test_dir(), *cause = NULL, *a, *b, *path, c;
	int		 fd, data;
	off_t		 size, off;

	a = secret_file(dir, "a", "the secret", 10, 0600);
	b = secret_file(dir, "b", "the secreT", 10, 0600);
	ck_assert_int_eq(secret_load(a, key, &cause), 0);
	ck_assert_int_eq(secret_load(b, wrong, &cause), 0);
	ck_assert_int_ne(asprintf(&path, "%s/job", dir), -1);
	ck_assert_int_ge(fd = protocol_open_dir(path, 1, &cause), 0);
	ck_assert_int_eq(protocol_write_job(fd, &job, key, &cause), 0);
	ck_assert_int_eq(protocol_read_job(fd, &back, key, &cause), 0);
	job_free(&back);
	ck_assert_int_eq(protocol_read_job(fd, &back, wrong, &cause), -1);
	free(cause);
	/* Any byte of data.dat flipped, a line or its HMAC: refused. */
	ck_assert_int_ge(data = openat(fd, "data.dat", O_RDWR), 0);
	size = lseek(data, 0, SEEK_END);
	for (off = 0; off < size - 1; off += 37) {
		ck_assert_int_eq(pread(data, &c, 1, off), 1);
		c ^= 0x04;
		ck_assert_int_eq(pwrite(data, &c, 1, off), 1);
		cause = NULL;
		ck_assert_msg(protocol_read_job(fd, &back, key, &cause) == -1,
		    "byte %lld flipped: accepted", (long long)off);
		free(cause);
		c ^= 0x04;
		ck_assert_int_eq(pwrite(data, &c, 1, off), 1);
	}
	ck_assert_int_eq(protocol_read_job(fd, &back, key, &cause), 0);
	job_free(&back);
	close(data);
	close(fd);
	free(path);
	free(a);
	free(b);
	job_free(&job);
	test_rmdir(dir);
}
END_TEST

Suite *
secret_suite(void)
{
	Suite	*s = suite_create("secret");
	TCase	*tc = tcase_create("secret");

	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_load_refused);
	tcase_add_test(tc, test_rows);
	tcase_add_test(tc, test_failure);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_signed_job);
	suite_add_tcase(s, tc);
	return s;
}
