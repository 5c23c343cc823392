/* check_protocol.c — names, data.dat, claim, publish and clean. */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz/target.h"
#include "ops/ops.h"
#include "protocol.h"
#include "secret.h"
#include "tests.h"

static struct job
sample_job(void)
{
	return test_job("gaussian", "radius=4 sigma=2", 100);
}

static int
open_dir(const char *path)
{
	int	fd = open(path, O_RDONLY|O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static int
entries(const char *path)
{
	struct dirent	*e;
	DIR		*d = opendir(path);
	int		 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(test_names_round_trip)
{
	static const uint32_t	ns[] = { 0, 1, 9, 10, 12345, 4294967294u };
	char			name[PROTOCOL_NAME_MAX], v;
	uint32_t		n, i;

	for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		protocol_block_name(name, ns[i], 'q');
		ck_assert_int_eq(protocol_parse_block(name, UINT32_MAX, &n, &v), 0);
		ck_assert_uint_eq(n, ns[i]);
		ck_assert_int_eq(v, 'q');
	}
	protocol_block_name(name, 7, 'a');
	ck_assert_str_eq(name, "block.7.a");
}
END_TEST

START_TEST(test_names_rejected)
{
	static const char *const bad[] = { "block.07.a", "block.-1.a", "block.+1.a",
	    "block.1.A", "block.1.a ", " block.1.a", "block.1.aa", ".block.1.a",
	    "block.1..a", "block..a", "block.1", "block.1.", "block.a", "BLOCK.1.a",
	    "block.1.a.b", "block.5.a", "block.99999999999999999999.a",
	    "block.1.{", "block.1.`", "block.00.a", "block.0x1.a", "todo", "" };
	uint32_t	n;
	size_t		i;
	char		v;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(protocol_parse_block(bad[i], 5, &n, &v) == -1,
		    "'%s' was accepted", bad[i]);
	ck_assert_int_eq(protocol_parse_block("block.4.z", 5, &n, &v), 0);
	ck_assert_int_eq(protocol_parse_block("block.0.a", 5, &n, &v), 0);
}
END_TEST

START_TEST(test_block_geometry)
{
	struct job	job = sample_job();
	uint32_t	n, total = 0;

	for (n = 0; n < job.blocks; n++) {
		ck_assert_uint_eq(job_block_y(&job, n), total);
		total += job_block_rows(&job, n);
	}
	ck_assert_uint_eq(total, job.height);
	ck_assert_uint_eq(job_block_rows(&job, 4), 80);
	ck_assert_uint_eq(job_row_bytes(&job), 640 * 3);
	job_free(&job);
}
END_TEST

START_TEST(test_job_round_trip)
{
	struct job	 job = sample_job(), back;
	char		*dir = test_dir(), *cause;
	int		 fd = open_dir(dir);

	job_free(&job);
	job = test_job("box", "radius=7", 100);
	strcpy(job.input, "photos/a b.tif");
	strcpy(job.output, "out.tif");
	strcpy(job.source, "2049 77 1000 1764000000.5");
	strcpy(job.partial, "/photos/.out.tif.XyZ123");
	job.alpha = 0;
	job.format = SAMPLE_UINT16;
	job.bits = 16;
	job.nodata = 1;
	job.nodata_value = -9999;
	job.layout = (struct layout){ .compression = 5, .predictor = 2,
	    .photometric = 1, .quality = 0, .level = 9, .bigtiff = 1, .rows = 25 };
	ck_assert_int_eq(protocol_write_job(fd, &job, NULL, &cause), 0);
	ck_assert_int_eq(protocol_read_job(fd, &back, NULL, &cause), 0);
	ck_assert_int_eq(memcmp(&back.layout, &job.layout, sizeof job.layout), 0);
	ck_assert_str_eq(back.id, job.id);
	ck_assert_uint_eq(back.width, job.width);
	ck_assert_uint_eq(back.height, job.height);
	ck_assert_uint_eq(back.samples, job.samples);
	ck_assert_uint_eq(back.format, job.format);
	ck_assert_uint_eq(back.bits, job.bits);
	ck_assert_uint_eq(back.nodata, job.nodata);
	ck_assert_double_eq(back.nodata_value, job.nodata_value);
	ck_assert_uint_eq(back.alpha, job.alpha);
	ck_assert_ptr_eq(back.args.op, job.args.op);
	ck_assert_str_eq(op_text(&back.args, GAUSSIAN_RADIUS), "7");
	ck_assert_uint_eq(back.top, 7);
	ck_assert_uint_eq(back.bottom, 7);
	ck_assert_str_eq(back.auth, "none");
	ck_assert_uint_eq(back.rows, job.rows);
	ck_assert_uint_eq(back.blocks, job.blocks);
	ck_assert_str_eq(back.input, job.input);
	ck_assert_str_eq(back.output, job.output);
	ck_assert_str_eq(back.source, job.source);
	ck_assert_str_eq(back.partial, job.partial);
	/* Rewritten (as a resuming master does), it is replaced whole. */
	job.rows = 50;
	job.blocks = 10;
	job_free(&back);
	ck_assert_int_eq(protocol_write_job(fd, &job, NULL, &cause), 0);
	ck_assert_int_eq(protocol_read_job(fd, &back, NULL, &cause), 0);
	ck_assert_uint_eq(back.rows, 50);
	ck_assert_int_eq(entries(dir), 1);
	job_free(&back);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}
END_TEST

/* Write data.dat with text and expect protocol_read_job to refuse it. */
static void
expect_refused(const char *text)
{
	struct job	 job;
	char		*dir = test_dir(), *path, *cause = NULL;
	FILE		*f;
	int		 fd = open_dir(dir);

	ck_assert_int_ne(asprintf(&path, "%s/data.dat", dir), -1);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_msg(protocol_read_job(fd, &job, NULL, &cause) == -1, "accepted: %s",
	    text);
	ck_assert_ptr_nonnull(strstr(cause, "data.dat"));
	free(cause);
	free(path);
	close(fd);
	test_rmdir(dir);
}

#define GOOD_ID	"0123456789abcdef0123456789abcdef"
#define HEAD_AS(pixels) "blur 6\nid " GOOD_ID "\norder little\nwidth 4\nheight 4\n" \
		pixels "render 0\n"
#define HEAD	HEAD_AS("samples 1\nformat uint8\nalpha 0\nnodata none\n")
#define OP	"op gaussian\nparam radius 1\nparam sigma 0.5\nhalo 1 1\n"
#define TAIL_WITH(overviews, decode) "rows 2\nlayout 1 1 1 0 0 0 0 0 2\noverviews " \
		overviews "\ndecode " decode "\ninput in put.tif\noutput o.tif\nauth none\n" \
		"source 2049 1234 5678 1764000000.000000000\npartial /tmp/.o.tif.AbCdEf\n"
#define TAIL_AS(overviews) TAIL_WITH(overviews, "master")
#define TAIL	TAIL_AS("0 average up")
#define GOOD	HEAD OP TAIL

/* Read data.dat holding text, which must be accepted: the job read, into *job. */
static void
expect_accepted(const char *text, struct job *job)
{
	char	*dir = test_dir(), *path, *cause = NULL;
	FILE	*f;
	int	 fd = open_dir(dir);

	ck_assert_int_ne(asprintf(&path, "%s/data.dat", dir), -1);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_msg(protocol_read_job(fd, job, NULL, &cause) == 0, "refused (%s): %s",
	    cause != NULL ? cause : "malformed", text);
	free(path);
	close(fd);
	test_rmdir(dir);
}

START_TEST(test_job_refused)
{
	struct job	 job;

	/* The good text is read, so each refusal below is the change's doing. */
	expect_accepted(GOOD "blocks 2\n", &job);
	ck_assert_uint_eq(job.width, 4);
	ck_assert_str_eq(job.input, "in put.tif");
	job_free(&job);

	expect_refused("");
	expect_refused(GOOD);				/* blocks missing */
	/* Slaves decode TIFF directory 2 of image.tif: a page's. */
	expect_accepted(HEAD OP TAIL_WITH("0 average up", "slaves 2") "blocks 2\n", &job);
	ck_assert(job.decode == 1 && job.directory == 2);
	job_free(&job);
	expect_refused(HEAD OP TAIL_WITH("0 average up", "slaves") "blocks 2\n");
	expect_refused(HEAD OP TAIL_WITH("0 average up", "slaves -1") "blocks 2\n");
	expect_refused(HEAD OP TAIL_WITH("0 average up", "slaves 2x") "blocks 2\n");
	/* Overviews: 4x4 in blocks of 2 rows, levels of 2 and 1 rows: 2 + 1 + 1 blocks. */
	expect_accepted(HEAD OP TAIL_AS("2 mode down") "blocks 4\n", &job);
	ck_assert_uint_eq(job.levels, 2);
	ck_assert_uint_eq(job.resample, REDUCE_MODE);
	ck_assert_uint_eq(job.cog, 1);
	job_free(&job);
	expect_refused(HEAD OP TAIL_AS("2 mode down") "blocks 2\n");
	expect_refused(HEAD OP TAIL_AS("1 median up") "blocks 3\n");
	expect_refused(HEAD OP TAIL_AS("1 average sideways") "blocks 3\n");
	expect_refused(HEAD OP TAIL_AS("25 average up") "blocks 26\n");
	expect_refused(HEAD OP TAIL_AS("1 average") "blocks 3\n");
	expect_refused(GOOD "blocks 2");		/* torn last line */
	expect_refused(GOOD "blocks 3\n");		/* blocks ≠ height/rows */
	expect_refused(GOOD "blocks -2\n");
	expect_refused(GOOD "blocks 2x\n");
	expect_refused("blur 1\n" GOOD "blocks 2\n");
	expect_refused(GOOD "blocks 2\nblur 1\n");	/* a key twice */
	expect_refused(GOOD "blocks 2\nformat uint12\n");	/* a key twice */
	expect_refused(HEAD_AS("samples 1\nformat uint12\nalpha 0\nnodata none\n")
	    OP TAIL "blocks 2\n");
	expect_refused(HEAD_AS("samples 1025\nformat uint8\nalpha 0\nnodata none\n")
	    OP TAIL "blocks 2\n");
	expect_refused(HEAD_AS("samples 1\nformat uint8\nalpha 0\nnodata -9x\n")
	    OP TAIL "blocks 2\n");
	expect_refused(HEAD "op gaussian\nparam radius 1\nparam sigma nan\nhalo 1 1\n"
	    TAIL "blocks 2\n");
	expect_refused(HEAD "op gaussian\nparam radius 1\nparam sigma 0\nhalo 1 1\n"
	    TAIL "blocks 2\n");
	expect_refused(HEAD "op sharpen\nhalo 1 1\n" TAIL "blocks 2\n");
	expect_refused(HEAD "op gaussian\nparam radius 1\nparam amount 3\n"
	    "halo 1 1\n" TAIL "blocks 2\n");		/* not gaussian's */
	expect_refused(HEAD "op gaussian\nparam radius 1\nhalo 2 1\n" TAIL
	    "blocks 2\n");				/* not its halo */
	expect_refused(HEAD "param radius 1\nop gaussian\nhalo 1 1\n" TAIL
	    "blocks 2\n");				/* values before the op */
	expect_refused(GOOD "blocks 2\nalpha 1\n");	/* alpha with one sample */
	expect_refused(GOOD "blocks 2\nid xyz\n");
	expect_refused(HEAD "op gaussian\nparam radius 0\nhalo 0 0\n" TAIL
	    "blocks 2\n");
	expect_refused(GOOD "blocks 2\nwidth 99999999999\n");
	expect_refused(GOOD "blocks 2\nnoise\n");
	expect_refused(GOOD "blocks 2\nlayout 1 1 1 0 0 0 0 0 3\n");	/* a key twice */
	expect_refused(HEAD OP "rows 2\nlayout 1 1 1 0 0 0 0 0 3\ninput i\noutput o\n"
	    "auth none\nsource x\npartial y\nblocks 2\n");	/* chunks across blocks */
	expect_refused(HEAD OP "rows 2\nlayout 1 1 1 0 0 0 0 8 2\ninput i\noutput o\n"
	    "auth none\nsource x\npartial y\nblocks 2\n");	/* tiles TIFF cannot have */
	expect_refused(HEAD OP "rows 2\nlayout 1 1 1 0 0 0 2 0 2\ninput i\noutput o\n"
	    "auth none\nsource x\npartial y\nblocks 2\n");	/* malformed */
	expect_refused(HEAD OP "rows 2\nlayout 1 1 1\ninput i\noutput o\n"
	    "auth none\nsource x\npartial y\nblocks 2\n");
	expect_refused(HEAD OP "rows 2\nblocks 2\nauth none\nsource x\npartial y\n");
							/* no input, output */
}
END_TEST

START_TEST(test_job_signed)
{
	static const unsigned char	k1[32] = "one key, thirty-two bytes long.";
	static const unsigned char	k2[32] = "another key, also 32 bytes long";
	struct job			job = sample_job(), back;
	char				*dir = test_dir(), *cause, *path, text[4096], *p;
	FILE				*f;
	size_t				 n;
	int				 fd = open_dir(dir);

	ck_assert_int_eq(protocol_write_job(fd, &job, k1, &cause), 0);
	ck_assert_int_eq(protocol_read_job(fd, &back, k1, &cause), 0);
	ck_assert_int_eq(strncmp(back.auth, "hmac-sha512-256 ", 16), 0);
	job_free(&back);
	/* Without a key it reads (-status, a discarding master); with another, not. */
	ck_assert_int_eq(protocol_read_job(fd, &back, NULL, &cause), 0);
	job_free(&back);
	ck_assert_int_eq(protocol_read_job(fd, &back, k2, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "not signed with this secret"));
	free(cause);
	/* Change the radius, keep the signature: a forgery. */
	ck_assert_int_ne(asprintf(&path, "%s/data.dat", dir), -1);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	ck_assert_ptr_nonnull(p = strstr(text, "param radius 4\nparam sigma 2\nhalo 4 4"));
	memcpy(p, "param radius 3\nparam sigma 2\nhalo 3 3", 37);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(protocol_read_job(fd, &back, NULL, &cause), 0);
	ck_assert_str_eq(op_text(&back.args, GAUSSIAN_RADIUS), "3");
	job_free(&back);
	ck_assert_int_eq(protocol_read_job(fd, &back, k1, &cause), -1);
	free(cause);
	/* Nor is a job without a signature one a key holder runs. */
	ck_assert_int_eq(protocol_write_job(fd, &job, NULL, &cause), 0);
	ck_assert_int_eq(protocol_read_job(fd, &back, NULL, &cause), 0);
	job_free(&back);
	ck_assert_int_eq(protocol_read_job(fd, &back, k1, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "without a secret"));
	free(cause);
	free(path);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_block_input)
{
	struct job	job = test_job("gaussian", "radius=30", 100);
	uint32_t	a, b;

	job_block_input(&job, 0, &a, &b);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 130);
	job_block_input(&job, 2, &a, &b);
	ck_assert_uint_eq(a, 170);
	ck_assert_uint_eq(b, 330);
	job_block_input(&job, 4, &a, &b);
	ck_assert_uint_eq(a, 370);
	ck_assert_uint_eq(b, 480);
	job.render = 1;
	job_block_input(&job, 2, &a, &b);
	ck_assert_uint_eq(a, 200);
	ck_assert_uint_eq(b, 300);
	job_free(&job);
}
END_TEST

START_TEST(test_failed_and_listing)
{
	struct job	 job = sample_job();
	char		*dir = test_dir(), *text, *why = NULL, sign[SECRET_HEX];
	int		 fd = open_dir(dir), junk;
	struct sighting	*list;

	ck_assert_int_eq(mkdirat(fd, "todo", 0700), 0);
	ck_assert_int_eq(protocol_todo_add(fd, 1, 'a', ""), 0);
	ck_assert_int_eq(protocol_todo_add(fd, 1, 'b', "0123abcd"), 0);
	ck_assert_int_eq(protocol_todo_add(fd, 2, 'a', ""), 0);
	ck_assert_int_eq(protocol_todo_read(fd, 1, 'b', sign), 0);
	ck_assert_str_eq(sign, "0123abcd");
	ck_assert_int_eq(protocol_todo_read(fd, 1, 'a', sign), 0);
	ck_assert_str_eq(sign, "");
	ck_assert_int_eq(protocol_todo_read(fd, 0, 'a', sign), -1);
	/* Names that are not the job's blocks count for nothing. */
	ck_assert_int_ge(junk = openat(fd, "todo/block.9.a", O_CREAT|O_WRONLY, 0600), 0);
	close(junk);
	ck_assert_int_ge(junk = openat(fd, "todo/block.01.a", O_CREAT|O_WRONLY, 0600), 0);
	close(junk);
	ck_assert_int_eq(protocol_claim(fd, 1, 'a', "h:1"), 1);
	ck_assert_int_eq(protocol_claim(fd, 2, 'a', "h:2"), 1);
	/* Failing a block not claimed fails: the master took it back. */
	ck_assert_int_eq(protocol_fail(fd, &job, NULL, 0, 'a', "h:1", "why", NULL), -1);
	ck_assert_int_eq(protocol_fail(fd, &job, NULL, 1, 'a', "h:1",
	    "exited with status 3", "line one\nlast line\n"), 0);
	/* Without a secret the file is exactly these lines. */
	ck_assert_ptr_nonnull(text = protocol_failure(fd, &job, NULL, 1, 'a', &why));
	ck_assert_str_eq(text, "h:1\nexited with status 3\nline one\nlast line\n");
	free(text);
	ck_assert_ptr_null(protocol_failure(fd, &job, NULL, 2, 'a', &why));
	ck_assert_ptr_nonnull(strstr(why, "cannot be read"));
	free(why);
	list = protocol_list(fd, 3, 1, NULL);
	ck_assert_uint_eq(list[0].todo | list[0].claimed, 0);
	ck_assert_uint_eq(list[1].todo, BLOCK_BIT('a') | BLOCK_BIT('b'));
	ck_assert_uint_eq(list[1].claimed, BLOCK_BIT('a'));
	ck_assert_uint_eq(list[1].failed, BLOCK_BIT('a'));
	ck_assert_uint_eq(list[1].done, 0);
	ck_assert_uint_eq(list[2].claimed, BLOCK_BIT('a'));
	ck_assert_uint_eq(list[2].failed | list[2].done, 0);
	free(list);
	/* Without looking inside, only todo/ and the claims. */
	list = protocol_list(fd, 3, 0, NULL);
	ck_assert_uint_eq(list[1].failed, 0);
	ck_assert_uint_eq(list[1].claimed, BLOCK_BIT('a'));
	free(list);
	ck_assert_uint_eq(protocol_sight(fd, 1, 'b').failed, BLOCK_BIT('a'));
	close(fd);
	test_rmdir(dir);
	job_free(&job);
}
END_TEST

/* Toggle one bit of the byte at off in the file at dir/name. */
static void
flip_at(const char *dir, const char *name, off_t off)
{
	char	*path, c;
	int	 fd;

	ck_assert_int_ne(asprintf(&path, "%s/%s", dir, name), -1);
	ck_assert_int_ge(fd = open(path, O_RDWR), 0);
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 1;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
	free(path);
}

/* Read block.N.v/failed with key as job expects: refused, saying `what`. */
static void
expect_unbelieved(int fd, const struct job *job, const unsigned char *key, uint32_t n,
    char v, const char *what)
{
	char	*why = NULL, *text = protocol_failure(fd, job, key, n, v, &why);

	ck_assert_msg(text == NULL, "a failed report was believed: %s", text);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, what) != NULL, "'%s' lacks '%s'", why, what);
	free(why);
}

START_TEST(test_failed_signed)
{
	static const unsigned char	k1[32] = "one key, thirty-two bytes long.";
	static const unsigned char	k2[32] = "another key, also 32 bytes long";
	static const char		want[] = "h:1\nexited with status 3\nlast line\n";
	struct job			job = sample_job(), other = sample_job();
	char				*dir = test_dir(), *text, *why = NULL;
	int				fd = open_dir(dir), v;
	size_t				head = strlen(SECRET_AUTH " ") + 64 + 1;

	for (v = 'a'; v <= 'c'; v++)
		ck_assert_int_eq(protocol_claim(fd, 1, v, "h:1"), 1);
	ck_assert_int_eq(protocol_claim(fd, 2, 'a', "h:1"), 1);
	ck_assert_int_eq(protocol_fail(fd, &job, k1, 1, 'a', "h:1",
	    "exited with status 3", "last line\n"), 0);
	/* Written with a key, it reads back verified, without its HMAC line. */
	ck_assert_ptr_nonnull(text = protocol_failure(fd, &job, k1, 1, 'a', &why));
	ck_assert_str_eq(text, want);
	free(text);
	/* That line comes first: SECRET_AUTH, a space, 64 hex digits. */
	ck_assert_ptr_nonnull(text = protocol_failure(fd, &job, NULL, 1, 'a', &why));
	ck_assert_uint_eq(strlen(text), head + strlen(want));
	ck_assert_int_eq(strncmp(text, SECRET_AUTH " ", strlen(SECRET_AUTH " ")), 0);
	ck_assert_uint_eq(strspn(text + head - 65, "0123456789abcdef"), 64);
	ck_assert_str_eq(text + head, want);
	free(text);
	/* Another key, another job, another block or version: refused. */
	expect_unbelieved(fd, &job, k2, 1, 'a', "HMAC");
	expect_unbelieved(fd, &other, k1, 1, 'a', "HMAC");
	ck_assert_int_eq(renameat(fd, "block.1.a/failed", fd, "block.2.a/failed"), 0);
	expect_unbelieved(fd, &job, k1, 2, 'a', "HMAC");
	ck_assert_int_eq(renameat(fd, "block.2.a/failed", fd, "block.1.b/failed"), 0);
	expect_unbelieved(fd, &job, k1, 1, 'b', "HMAC");
	/* A byte flipped, in the text or in the HMAC: refused. */
	ck_assert_int_eq(protocol_fail(fd, &job, k1, 1, 'a', "h:1",
	    "exited with status 3", "last line\n"), 0);
	flip_at(dir, "block.1.a/failed", head + 5);
	expect_unbelieved(fd, &job, k1, 1, 'a', "HMAC");
	ck_assert_int_eq(protocol_fail(fd, &job, k1, 1, 'a', "h:1",
	    "exited with status 3", "last line\n"), 0);
	flip_at(dir, "block.1.a/failed", head - 2);
	expect_unbelieved(fd, &job, k1, 1, 'a', "HMAC");
	/* Unsigned, or missing, in a job with a secret: refused. */
	ck_assert_int_eq(protocol_fail(fd, &job, NULL, 1, 'c', "h:1", "forged", NULL), 0);
	expect_unbelieved(fd, &job, k1, 1, 'c', "HMAC");
	expect_unbelieved(fd, &job, k1, 2, 'a', "cannot be read");
	close(fd);
	test_rmdir(dir);
	job_free(&job);
	job_free(&other);
}
END_TEST

START_TEST(test_working)
{
	struct job	 job = sample_job();
	char		*dir = test_dir(), id[33];
	int		 fd = open_dir(dir);

	ck_assert_int_eq(protocol_working(fd, id), -1);
	ck_assert_int_eq(protocol_start(fd, &job), 0);
	ck_assert_int_eq(protocol_working(fd, id), 0);
	ck_assert_str_eq(id, job.id);
	ck_assert_int_eq(protocol_start(fd, &job), -1);
	close(fd);
	test_rmdir(dir);
	job_free(&job);
}
END_TEST

/*
 * Several processes claim every block at once: each block must be won exactly once.
 * Each child reports the blocks it won through a pipe.
 */
START_TEST(test_claim_race)
{
	enum { CHILDREN = 8, BLOCKS = 200 };
	char		*dir = test_dir();
	int		 fd = open_dir(dir), p[2], wins[BLOCKS] = { 0 }, i, status;
	uint32_t	 n;
	pid_t		 pid;

	ck_assert_int_eq(pipe(p), 0);
	for (i = 0; i < CHILDREN; i++) {
		ck_assert_int_ge(pid = fork(), 0);
		if (pid > 0)
			continue;
		close(p[0]);
		for (n = 0; n < BLOCKS; n++) {
			uint32_t	k = (n * 7 + i * 31) % BLOCKS;

			if (protocol_claim(fd, k, 'a', "test:1") == 1 &&
			    write(p[1], &k, sizeof k) != sizeof k)
				_exit(2);
		}
		_exit(0);
	}
	close(p[1]);
	while (read(p[0], &n, sizeof n) == sizeof n)
		wins[n]++;
	for (i = 0; i < CHILDREN; i++) {
		wait(&status);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	for (n = 0; n < BLOCKS; n++)
		ck_assert_msg(wins[n] == 1, "block %u won %d times", n, wins[n]);
	close(p[0]);
	close(fd);
	test_rmdir(dir);
}
END_TEST

START_TEST(test_publish_and_release)
{
	static const unsigned char key[32] = "thirty-two bytes of secret key.";
	struct job	 job = sample_job();
	size_t		 len = job_block_rows(&job, 3) * job_row_bytes(&job);
	char		*dir = test_dir(), *buf = malloc(len), *back = malloc(len), *why;
	struct result	 h;
	int		 fd = open_dir(dir), r;

	memset(buf, 'x', len);
	ck_assert_int_eq(protocol_held(fd, 3, 'b'), 0);
	/* Publishing into a block not claimed fails: the master may have taken it back. */
	ck_assert_int_eq(test_publish(fd, &job, NULL, "test:1", 3, 'b', buf, len), -1);
	ck_assert_int_eq(protocol_claim(fd, 3, 'b', "test:1"), 1);
	ck_assert_int_eq(protocol_claim(fd, 3, 'b', "test:1"), 0);
	ck_assert_int_eq(protocol_held(fd, 3, 'b'), 1);
	ck_assert_uint_eq(protocol_sight(fd, 3, 'b').done, 0);
	ck_assert_int_eq(test_publish(fd, &job, NULL, "test:1", 3, 'b', buf, len), 0);
	ck_assert_uint_eq(protocol_sight(fd, 3, 'b').done, BLOCK_BIT('b'));
	/* The header names the claimant, as the claim's signature does. */
	ck_assert_int_ge(r = protocol_open_result(fd, &job, 3, 'b', &h, &why), 0);
	ck_assert_str_eq(h.who, "test:1");
	ck_assert_int_eq(test_read_rows(r, NULL, back, len, &why), 0);
	ck_assert_int_eq(memcmp(buf, back, len), 0);
	close(r);
	/* Signed with a key, it reads with that key. */
	protocol_release(fd, 3, 'b');
	ck_assert_int_eq(protocol_claim(fd, 3, 'b', "test:1"), 1);
	ck_assert_int_eq(test_publish(fd, &job, key, "test:1", 3, 'b', buf, len), 0);
	ck_assert_int_ge(r = protocol_open_result(fd, &job, 3, 'b', NULL, &why), 0);
	ck_assert_int_eq(test_read_rows(r, key, back, len, &why), 0);
	close(r);
	protocol_release(fd, 3, 'b');
	ck_assert_int_eq(protocol_held(fd, 3, 'b'), 0);
	ck_assert_int_eq(entries(dir), 0);
	free(buf);
	free(back);
	close(fd);
	test_rmdir(dir);
	job_free(&job);
}
END_TEST

/*
 * Publish block 1.a of a job whose id is GOOD_ID, let damage() spoil img.bit, and expect
 * a reader of job `reader` (NULL: the same job) to reject it saying `what`.
 */
static void
expect_rejected(void (*damage)(const char *), struct job *reader,
    const unsigned char *wkey, const unsigned char *rkey, const char *what)
{
	struct job	 job = sample_job();
	size_t		 len = job_block_rows(&job, 1) * job_row_bytes(&job);
	char		*dir = test_dir(), *buf = calloc(1, len), *why = NULL, *path;
	int		 fd = open_dir(dir), r;

	memcpy(job.id, GOOD_ID, sizeof job.id);
	ck_assert_int_eq(protocol_claim(fd, 1, 'a', "test:1"), 1);
	ck_assert_int_eq(test_publish(fd, &job, wkey, "test:1", 1, 'a', buf, len), 0);
	ck_assert_int_ne(asprintf(&path, "%s/block.1.a/img.bit", dir), -1);
	damage(path);
	r = protocol_open_result(fd, reader != NULL ? reader : &job, 1, 'a', NULL, &why);
	if (r != -1 && test_read_rows(r, rkey, buf, len, &why) == 0)
		ck_abort_msg("a damaged result was accepted (%s)", what);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, what) != NULL, "'%s' lacks '%s'", why, what);
	if (r != -1)
		close(r);
	free(why);
	free(path);
	free(buf);
	job_free(&job);
	close(fd);
	test_rmdir(dir);
}

static void
truncate_it(const char *path)
{
	ck_assert_int_eq(truncate(path, 1000), 0);
}

static void
flip_a_byte(const char *path)
{
	int	fd = open(path, O_RDWR);

	ck_assert_int_eq(pwrite(fd, "y", 1, sizeof(struct result) + 77), 1);
	close(fd);
}

static void
garbage(const char *path)
{
	FILE	*f = fopen(path, "r+");

	fputs("GARBAGE!", f);
	fclose(f);
}

static void
nothing(const char *path)
{
	(void)path;
}

START_TEST(test_results_rejected)
{
	static const unsigned char	k1[32] = "one key, thirty-two bytes long.";
	static const unsigned char	k2[32] = "another key, also 32 bytes long";
	struct job			other = sample_job();

	expect_rejected(truncate_it, NULL, NULL, NULL, "truncated");
	expect_rejected(flip_a_byte, NULL, NULL, NULL, "checksum");
	expect_rejected(garbage, NULL, NULL, NULL, "not a blur result");
	expect_rejected(nothing, &other, NULL, NULL, "from another job");
	expect_rejected(nothing, NULL, NULL, k1, "HMAC");	/* unsigned */
	expect_rejected(nothing, NULL, k2, k1, "HMAC");		/* another key */
	expect_rejected(flip_a_byte, NULL, k1, k1, "checksum");
	memcpy(other.id, GOOD_ID, sizeof other.id);
	other.rows = 50;
	other.blocks = 10;
	expect_rejected(nothing, &other, NULL, NULL, "wrong size");
	job_free(&other);
}
END_TEST

START_TEST(test_clean_leaves_foreign_files)
{
	struct job	 job = sample_job();
	char		*dir = test_dir(), *cause, *path;
	int		 fd = open_dir(dir), other;

	ck_assert_int_eq(protocol_leftovers(fd), 0);
	ck_assert_int_ge(other = openat(fd, "notes.txt", O_CREAT|O_WRONLY, 0600), 0);
	close(other);
	ck_assert_int_eq(protocol_leftovers(fd), 0);
	ck_assert_int_eq(protocol_write_job(fd, &job, NULL, &cause), 0);
	ck_assert_int_eq(mkdirat(fd, "todo", 0700), 0);
	ck_assert_int_eq(protocol_todo_add(fd, 1, 'a', ""), 0);
	ck_assert_int_ge(other = openat(fd, "todo/junk", O_CREAT|O_WRONLY, 0600), 0);
	close(other);
	ck_assert_int_eq(protocol_claim(fd, 1, 'a', "test:1"), 1);
	ck_assert_int_eq(test_publish(fd, &job, NULL, "test:1", 1, 'a', "x", 1), 0);
	ck_assert_int_eq(protocol_start(fd, &job), 0);
	ck_assert_int_eq(protocol_leftovers(fd), 1);
	protocol_clean(fd);
	ck_assert_int_eq(protocol_leftovers(fd), 0);
	ck_assert_int_eq(entries(dir), 1);
	ck_assert_int_ne(asprintf(&path, "%s/notes.txt", dir), -1);
	ck_assert_int_eq(access(path, F_OK), 0);
	free(path);
	close(fd);
	test_rmdir(dir);
	job_free(&job);
}
END_TEST

START_TEST(test_tally_round_trip)
{
	struct tally	 t = { .elapsed = 12.5, .reissues = 2,
			    .notice = "polling every 250 ms (nfs)" }, back;
	char		*dir = test_dir(), who[PROTOCOL_WHO_MAX];
	int		 fd = open_dir(dir);

	ck_assert_int_eq(protocol_read_tally(fd, &back), -1);
	tally_add(&t, "a:1");
	tally_add(&t, "b:2");
	tally_add(&t, "a:1");
	t.done = 3;
	ck_assert_int_eq(protocol_write_tally(fd, &t), 0);
	ck_assert_int_eq(protocol_write_tally(fd, &t), 0);	/* replaces */
	ck_assert_int_eq(protocol_read_tally(fd, &back), 0);
	ck_assert_double_eq(back.elapsed, 12.5);
	ck_assert_str_eq(back.notice, "polling every 250 ms (nfs)");
	ck_assert_uint_eq(back.done, 3);
	ck_assert_uint_eq(back.reissues, 2);
	ck_assert_uint_eq(back.nslaves, 2);
	ck_assert_str_eq(back.slaves[0].who, "a:1");
	ck_assert_uint_eq(back.slaves[0].blocks, 2);
	ck_assert_uint_eq(back.slaves[1].blocks, 1);
	ck_assert_int_eq(entries(dir), 1);
	tally_free(&t);
	tally_free(&back);

	/* A claim is signed with its slave's name. */
	ck_assert_int_eq(protocol_claim(fd, 0, 'c', "host.example:4242"), 1);
	protocol_claimant(fd, 0, 'c', who);
	ck_assert_str_eq(who, "host.example:4242");
	protocol_claimant(fd, 1, 'c', who);
	ck_assert_str_eq(who, "");
	close(fd);
	test_rmdir(dir);
}
END_TEST

/* The bytes of file name in dirfd, their number in *size; NULL if there is none. */
static uint8_t *
file_bytes(int dirfd, const char *name, size_t *size)
{
	struct stat	 st;
	uint8_t		*buf;
	int		 fd = openat(dirfd, name, O_RDONLY);

	if (fd == -1)
		return NULL;
	ck_assert_int_eq(fstat(fd, &st), 0);
	*size = st.st_size;
	ck_assert_ptr_nonnull(buf = malloc(*size + 1));
	ck_assert_int_eq(read(fd, buf, *size), (ssize_t)*size);
	close(fd);
	return buf;
}

/*
 * Whether seed name is the selector byte, then file path of dirfd as blur wrote it. If
 * not, the one it should be is left as NAME.new here (the build directory), to be copied
 * into fuzz/seeds: this test is what makes the seeds.
 */
static int
seed_is(int seeds, const char *name, uint8_t selector, int dirfd, const char *path)
{
	size_t	 n, m;
	uint8_t	*seed = file_bytes(seeds, name, &n), *now = file_bytes(dirfd, path, &m);
	char	*fresh;
	FILE	*f;
	int	 same;

	ck_assert_ptr_nonnull(now);
	same = seed != NULL && n == m + 1 && seed[0] == selector &&
	    memcmp(seed + 1, now, m) == 0;
	if (!same) {
		ck_assert_int_ne(asprintf(&fresh, "%s.new", name), -1);
		ck_assert_ptr_nonnull(f = fopen(fresh, "wb"));
		fputc(selector, f);
		fwrite(now, 1, m, f);
		fclose(f);
		fprintf(stderr, "fuzz/seeds/%s is not what blur writes now: %s is\n", name,
		    fresh);
		free(fresh);
	}
	free(seed);
	free(now);
	return same;
}

/*
 * The fuzzer's seeds parse, each through the reader its first byte picks, so that it
 * starts past the refusals; and they are what blur writes for the fuzzer's job, so that
 * they follow data.dat and struct result as they change: data.dat as protocol_write_job
 * writes it (selector 1), block 1.a's img.bit as protocol_publish writes it, signed
 * with the fuzzer's key and read with it (selector 2).
 */
START_TEST(test_fuzz_seeds)
{
	size_t		 len = job_block_rows(&target_job, TARGET_BLOCK) *
			    job_row_bytes(&target_job), n, i;
	char		*dir = test_dir(), *path, *why = NULL;
	uint8_t		*rows = malloc(len), *seed;
	struct dirent	*e;
	DIR		*d;
	int		 fd = open_dir(dir), seeds, same;

	ck_assert_ptr_nonnull(getenv("SRCDIR"));
	ck_assert_int_ne(asprintf(&path, "%s/fuzz/seeds", getenv("SRCDIR")), -1);
	seeds = open_dir(path);
	ck_assert_int_eq(target_prepare(fd), 0);
	ck_assert_int_eq(protocol_write_job(fd, &target_job, NULL, &why), 0);
	same = seed_is(seeds, "data.dat", 1, fd, "data.dat");
	for (i = 0; i < len; i++)
		rows[i] = i * 7;	/* every byte value */
	ck_assert_int_eq(test_publish(fd, &target_job, target_key, "fuzz:1",
	    TARGET_BLOCK, TARGET_VERSION, rows, len), 0);
	same &= seed_is(seeds, "img.bit", 2, fd, TARGET_RESULT);

	ck_assert_ptr_nonnull(d = fdopendir(dup(seeds)));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		ck_assert_ptr_nonnull(seed = file_bytes(seeds, e->d_name, &n));
		ck_assert_msg(target_feed(fd, seed, n, &why) == 0, "fuzz/seeds/%s: %s",
		    e->d_name, why);
		free(seed);
	}
	closedir(d);
	ck_assert_msg(same, "fuzz/seeds are not what blur writes now (see above)");
	free(rows);
	free(path);
	close(seeds);
	close(fd);
	test_rmdir(dir);
}
END_TEST

Suite *
protocol_suite(void)
{
	Suite	*s = suite_create("protocol");
	TCase	*tc = tcase_create("protocol");

	tcase_add_test(tc, test_names_round_trip);
	tcase_add_test(tc, test_job_signed);
	tcase_add_test(tc, test_block_input);
	tcase_add_test(tc, test_failed_and_listing);
	tcase_add_test(tc, test_failed_signed);
	tcase_add_test(tc, test_names_rejected);
	tcase_add_test(tc, test_block_geometry);
	tcase_add_test(tc, test_job_round_trip);
	tcase_add_test(tc, test_job_refused);
	tcase_add_test(tc, test_working);
	tcase_add_test(tc, test_claim_race);
	tcase_add_test(tc, test_publish_and_release);
	tcase_add_test(tc, test_results_rejected);
	tcase_add_test(tc, test_clean_leaves_foreign_files);
	tcase_add_test(tc, test_tally_round_trip);
	tcase_add_test(tc, test_fuzz_seeds);
	suite_add_tcase(s, tc);
	return s;
}
