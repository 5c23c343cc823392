/* check_ops_exec.c — the exec operation's start, run and stop on synthetic blocks, with
   real commands: what they get, what they may write, how they fail and are ended. */
#include <config.h>

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "op.h"
#include "ops/ops.h"
#include "pnm.h"
#include "util.h"
#include "tests.h"

/* An image, a job on it, and a directory the commands find as $T. */
struct fixture {
	struct op_image	 im;
	struct op_args	 args;
	void		*state;
	uint8_t		*px;		/* native samples */
	char		*dir;
};

static struct fixture
fixture_make(const char *command, uint32_t halo, uint32_t w, uint32_t h,
    uint32_t samples, uint32_t bits)
{
	struct fixture	 f = { { w, h, samples, bits, samples % 2 == 0,
			    sample_of('u', bits), 0, 0 }, { .op = &op_exec },
			    NULL, NULL, test_dir() };
	size_t		 n = (size_t)w * h * samples, i;
	char		*cause = NULL, text[16];

	ck_assert_ptr_eq(op_find("exec"), &op_exec);
	snprintf(text, sizeof text, "%u", halo);
	ck_assert_int_eq(op_set(&f.args, "command", command, &cause), 0);
	ck_assert_int_eq(op_set(&f.args, "halo", text, &cause), 0);
	ck_assert_int_eq(op_ready(&f.args, &cause), 0);
	ck_assert(op_takes(&op_exec, sample_of('u', bits)));
	f.state = op_exec.start(&f.args, &f.im, &cause);
	ck_assert_ptr_nonnull(f.state);
	f.px = malloc(n * 2);
	for (i = 0; i < n; i++) {
		/* Every byte differs from its neighbours: a byte order mistake shows. */
		uint32_t	v = (uint32_t)((i + 7) * 2654435761u >> 13);

		if (bits == 8)
			f.px[i] = (uint8_t)v;
		else
			((uint16_t *)f.px)[i] = (uint16_t)v;
	}
	setenv("T", f.dir, 1);
	return f;
}

static void
fixture_free(struct fixture *f)
{
	op_exec.stop(f->state);
	op_args_free(&f->args);
	free(f->px);
	test_rmdir(f->dir);
}

static size_t
row_bytes(const struct fixture *f)
{
	return op_row_bytes(&f->im);
}

/* The block of rows [y, y + rows) with the job's halo, clipped at the image's edges. */
static struct op_block
block_at(const struct fixture *f, uint32_t n, uint32_t y, uint32_t rows)
{
	uint32_t	 halo = (uint32_t)op_number(&f->args, EXEC_HALO);
	struct op_block	 b = { n, y, rows, y < halo ? y : halo, 0, NULL, NULL, NULL };

	b.bottom = f->im.height - y - rows < halo ? f->im.height - y - rows : halo;
	return b;
}

/* Run block b on the fixture's pixels (or no input); out gets its rows. */
static int
block_run(struct fixture *f, struct op_block *b, int input, void *out, char **cause)
{
	const uint8_t	*in = f->px + (size_t)(b->y - b->top) * row_bytes(f);

	*cause = NULL;
	return op_exec.run(f->state, b, input ? in : NULL, out, cause);
}

/* A file $T/name holding rows [0, h) of the fixture's image, as PNM with depth d. */
static void
frame_write(const struct fixture *f, const char *name, uint32_t h, uint32_t depth)
{
	struct pnm	 p = { f->im.width, h, depth, f->im.bits == 8 ? 255 : 65535 };
	char		 header[PNM_HEADER_TEXT], *path = xasprintf("%s/%s", f->dir, name);
	size_t		 n = pnm_row_bytes(&p) * h;
	uint8_t		*raster = malloc(n);
	FILE		*file = fopen(path, "w");

	ck_assert_ptr_nonnull(file);
	pnm_convert(&p, f->px, (size_t)p.width * h, depth, raster);
	fwrite(header, 1, pnm_header(&p, header), file);
	ck_assert_uint_eq(fwrite(raster, 1, n, file), n);
	ck_assert_int_eq(fclose(file), 0);
	free(raster);
	free(path);
}

/* The whole of file $T/name, NUL-terminated; its length in *n. */
static char *
file_read(const struct fixture *f, const char *name, size_t *n)
{
	char	*path = xasprintf("%s/%s", f->dir, name), *buf = malloc(1 << 22);
	FILE	*file = fopen(path, "r");

	ck_assert_msg(file != NULL, "%s", path);
	*n = fread(buf, 1, (1 << 22) - 1, file);
	buf[*n] = '\0';
	fclose(file);
	free(path);
	return buf;
}

/*
 * `tee` hands back what it gets: the block's rows, from the input with its halo, on
 * every layout; and what it got is the PNM it should be, most significant byte first.
 */
START_TEST(test_identity)
{
	static const uint32_t	 ys[][2] = { { 0, 6 }, { 5, 6 }, { 14, 6 }, { 0, 20 } };
	struct fixture		 f;
	struct op_block		 b;
	uint8_t			*out;
	char			*cause, *got, header[PNM_HEADER_TEXT];
	struct pnm		 p;
	size_t			 n, len, i, j;
	uint32_t		 halo, samples, bits;

	for (halo = 0; halo <= 3; halo += 3)
		for (i = 0; i < 8; i++) {
			samples = (uint32_t)i % 4 + 1;
			bits = i < 4 ? 8 : 16;
			f = fixture_make("tee \"$T/in.pnm\"", halo, 37, 20, samples, bits);
			out = malloc(row_bytes(&f) * 20);
			for (j = 0; j < 4; j++) {
				b = block_at(&f, 4, ys[j][0], ys[j][1]);
				ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s",
				    cause);
				ck_assert_mem_eq(out, f.px + b.y * row_bytes(&f),
				    b.rows * row_bytes(&f));
				ck_assert_ptr_null(b.detail);
			}
			/* The last block's input, looked at byte by byte. */
			got = file_read(&f, "in.pnm", &n);
			p = (struct pnm){ 37, 20, samples, bits == 8 ? 255 : 65535 };
			len = pnm_header(&p, header);
			ck_assert_mem_eq(got, header, len);
			ck_assert_uint_eq(n, len + row_bytes(&f) * 20);
			if (bits == 16)
				for (j = 0; j < 100; j++)
					ck_assert_uint_eq((uint8_t)got[len + 2 * j] << 8 |
					    (uint8_t)got[len + 2 * j + 1],
					    ((uint16_t *)f.px)[j]);
			free(got);
			free(out);
			fixture_free(&f);
		}
}
END_TEST

/* ImageMagick reads what we give and writes what we take, in 8 and 16 bits. */
START_TEST(test_imagemagick)
{
	static const char *const commands[] = { "convert pnm:- pnm:-", "convert pam:- pam:-",
				    "convert pnm:- -evaluate add 1 pnm:-" };
	struct fixture		 f;
	struct op_block		 b;
	uint16_t		*out, *want;
	char			*cause;
	uint32_t		 i, j, samples, bits;

	for (i = 0; i < 8; i++) {
		samples = i % 4 + 1;
		bits = i < 4 ? 8 : 16;
		/* pnm: writes no alpha; pam: does. */
		f = fixture_make(commands[samples % 2 == 0], 2, 37, 20, samples, bits);
		out = malloc(row_bytes(&f) * 6);
		b = block_at(&f, 1, 5, 6);
		ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
		ck_assert_mem_eq(out, f.px + 5 * row_bytes(&f), 6 * row_bytes(&f));
		free(out);
		fixture_free(&f);
	}
	/* Adding 1 to each 16-bit sample: a value read with its bytes swapped would not
	   come back plus 1. */
	f = fixture_make(commands[2], 0, 37, 20, 3, 16);
	out = malloc(row_bytes(&f) * 6);
	want = (uint16_t *)(f.px + 5 * row_bytes(&f));
	b = block_at(&f, 1, 5, 6);
	ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
	for (j = 0; j < 37 * 6 * 3; j++)
		ck_assert_uint_eq(out[j], want[j] == 65535 ? 65535 : want[j] + 1);
	free(out);
	fixture_free(&f);
}
END_TEST

/* A gray block of an RGB image comes back from ImageMagick's pnm: as P5: taken as RGB. */
START_TEST(test_gray_for_rgb)
{
	struct fixture	 f = fixture_make("convert pnm:- pnm:- | tee \"$T/out.pnm\"", 1, 37,
			    20, 3, 16);
	struct op_block	 b = block_at(&f, 1, 5, 6);
	uint16_t	*px = (uint16_t *)f.px, *out = malloc(row_bytes(&f) * 6);
	size_t		 i, n;
	char		*cause, *got;

	for (i = 0; i < (size_t)37 * 20 * 3; i++)
		px[i] = px[i - i % 3];
	ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
	ck_assert_mem_eq(out, f.px + 5 * row_bytes(&f), 6 * row_bytes(&f));
	got = file_read(&f, "out.pnm", &n);
	ck_assert_msg(strncmp(got, "P5", 2) == 0, "ImageMagick wrote %.2s", got);
	free(got);
	free(out);
	fixture_free(&f);
}
END_TEST

/*
 * A command that draws the whole frame, reading nothing: the block's rows are taken,
 * the input it leaves unread (more than a pipe holds) does not stop us, nor SIGPIPE.
 * Without an input its stdin is /dev/null (cat - would hang or add bytes otherwise).
 */
START_TEST(test_whole_frame)
{
	struct fixture	 f = fixture_make("cat \"$T/frame.pnm\"", 10, 1000, 200, 3, 8);
	struct op_block	 b = block_at(&f, 2, 50, 50);
	uint8_t		*out = malloc(row_bytes(&f) * 50);
	sigset_t	 pending;
	char		*cause, *path;

	signal(SIGPIPE, SIG_DFL);
	frame_write(&f, "frame.pnm", 200, 3);
	ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
	ck_assert_mem_eq(out, f.px + 50 * row_bytes(&f), 50 * row_bytes(&f));
	sigpending(&pending);
	ck_assert(!sigismember(&pending, SIGPIPE));
	fixture_free(&f);

	f = fixture_make("cat - \"$T/frame.pnm\"", 0, 1000, 200, 3, 8);
	frame_write(&f, "frame.pnm", 200, 3);
	/* Ours has something to read: the command's must not. */
	frame_write(&f, "stdin", 1, 3);
	path = xasprintf("%s/stdin", f.dir);
	ck_assert_int_eq(dup2(open(path, O_RDONLY), STDIN_FILENO), STDIN_FILENO);
	free(path);
	b = block_at(&f, 3, 150, 50);
	memset(out, 0, row_bytes(&f) * 50);
	ck_assert_msg(block_run(&f, &b, 0, out, &cause) == 0, "%s", cause);
	ck_assert_mem_eq(out, f.px + 150 * row_bytes(&f), 50 * row_bytes(&f));
	free(out);
	fixture_free(&f);
}
END_TEST

/*
 * The block's place in the environment, over any the slave had (once each: the shell's
 * own environment is read from /proc); BLUR_JOB is the slave's.
 */
START_TEST(test_environment)
{
	struct fixture	 f = fixture_make("tr '\\0' '\\n' </proc/$$/environ | grep ^BLUR_ | "
			    "sort >\"$T/env\"; cat", 3, 37, 20, 2, 16);
	struct op_block	 b = block_at(&f, 4, 5, 6);
	uint8_t		*out = malloc(row_bytes(&f) * 6);
	char		*cause, *env;
	size_t		 n;

	setenv("BLUR_JOB", "0123abcd", 1);
	setenv("BLUR_Y", "999", 1);
	ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
	env = file_read(&f, "env", &n);
	ck_assert_str_eq(env, "BLUR_BLOCK=4\nBLUR_BOTTOM=3\nBLUR_DEPTH=16\n"
	    "BLUR_HEIGHT=20\nBLUR_JOB=0123abcd\nBLUR_ROWS=6\nBLUR_SAMPLES=2\nBLUR_TOP=3\n"
	    "BLUR_WIDTH=37\nBLUR_Y=5\n");
	free(env);
	free(out);
	fixture_free(&f);
}
END_TEST

/* What a command may not write, and what the block's failure then says. */
START_TEST(test_wrong_output)
{
	static const struct {
		const char	*command, *cause;
	} bad[] = {
		{ "printf 'P6\\n37 7\\n255\\n'; head -c 777 /dev/zero", "the command wrote "
		    "37x7 RGB, maxval 255; wanted 37 wide, RGB or gray, maxval 255, and 6, "
		    "12 or 20 rows" },
		{ "printf 'P6\\n36 6\\n255\\n'; head -c 648 /dev/zero", "the command wrote "
		    "36x6 RGB, maxval 255; wanted 37 wide, RGB or gray, maxval 255, and 6, "
		    "12 or 20 rows" },
		{ "printf 'P6\\n37 6\\n65535\\n'; head -c 1332 /dev/zero", "the command "
		    "wrote 37x6 RGB, maxval 65535; wanted 37 wide, RGB or gray, maxval 255, "
		    "and 6, 12 or 20 rows" },
		{ "printf 'P7\\nWIDTH 37\\nHEIGHT 6\\nDEPTH 4\\nMAXVAL 255\\nENDHDR\\n'; "
		    "head -c 888 /dev/zero", "the command wrote 37x6 RGBA, maxval 255; wanted "
		    "37 wide, RGB or gray, maxval 255, and 6, 12 or 20 rows" },
		{ "printf 'P6\\n37 6\\n255\\n'; head -c 100 /dev/zero", "the command's 37x6 "
		    "image ends after 100 of its 666 bytes" },
		{ "printf 'P6\\n37 6\\n255\\n'; head -c 667 /dev/zero", "the command's output "
		    "goes on for 1 bytes after its image" },
		{ "cat; cat \"$T/frame.pnm\"", "the command's output goes on for 123 bytes "
		    "after its image" },
		{ "true", "the command wrote nothing on its standard output" },
		{ "echo hello", "the command's output: not a PNM or PAM image: it starts with "
		    "'hello'" },
		{ "printf 'P6\\n37 6'", "the command's output ends inside a PNM header" },
		{ "printf 'P6\\n'; head -c 70000 /dev/zero | tr '\\0' ' '", "the command's "
		    "output: a header of more than 65536 bytes" },
	};
	struct fixture	 f;
	struct op_block	 b;
	uint8_t		*out = malloc((size_t)37 * 3 * 6);
	char		*cause;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f = fixture_make(bad[i].command, 3, 37, 20, 3, 8);
		frame_write(&f, "frame.pnm", 1, 3);
		b = block_at(&f, 4, 5, 6);
		ck_assert_int_eq(block_run(&f, &b, 1, out, &cause), -1);
		ck_assert_str_eq(cause, bad[i].cause);
		ck_assert_ptr_null(b.detail);
		free(cause);
		fixture_free(&f);
	}
	free(out);
}
END_TEST

/* Send our stderr to a file until capture_end(), which returns what came. */
static int
capture_begin(const struct fixture *f)
{
	char	*path = xasprintf("%s/stderr", f->dir);
	int	 saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ne(fd, -1);
	dup2(fd, STDERR_FILENO);
	close(fd);
	free(path);
	return saved;
}

static char *
capture_end(const struct fixture *f, int saved)
{
	size_t	n;

	dup2(saved, STDERR_FILENO);
	close(saved);
	return file_read(f, "stderr", &n);
}

/*
 * A command that fails: its status is the cause, its stderr kept and said once it has
 * failed (as it came, with -v: test_detail_tail).
 */
START_TEST(test_exit_status)
{
	struct fixture	 f = fixture_make("cat >/dev/null; echo oops >&2; printf 'and "
			    "then\\r\\nno newline' >&2; exit 3", 0, 37, 20, 1, 8);
	struct op_block	 b = block_at(&f, 7, 5, 6);
	uint8_t		*out = malloc(row_bytes(&f) * 6);
	char		*cause, *said;
	int		 saved;

	saved = capture_begin(&f);
	ck_assert_int_eq(block_run(&f, &b, 1, out, &cause), -1);
	said = capture_end(&f, saved);
	ck_assert_str_eq(cause, "the command exited with status 3");
	ck_assert_str_eq(b.detail, "oops\nand then\r\nno newline");
	ck_assert_str_eq(said, "blur: block 7: oops\nblur: block 7: and then\n"
	    "blur: block 7: no newline\n");
	free(said);
	free(cause);
	free(b.detail);
	free(out);
	fixture_free(&f);
}
END_TEST

/* A block done: what the command said (a renderer's banner) is said only with -v. */
START_TEST(test_banner_held)
{
	struct fixture	 f = fixture_make("cat; echo 'Persistence of Vision' >&2", 0, 37, 20,
			    1, 8);
	struct op_block	 b;
	uint8_t		*out = malloc(row_bytes(&f) * 6);
	char		*cause, *said;
	int		 saved, verbose;

	for (verbose = 0; verbose <= 1; verbose++) {
		b = block_at(&f, 7, 5, 6);
		b.verbose = verbose;
		saved = capture_begin(&f);
		ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
		said = capture_end(&f, saved);
		ck_assert_str_eq(said, verbose ? "blur: block 7: Persistence of Vision\n" : "");
		ck_assert_ptr_null(b.detail);
		free(said);
	}
	free(out);
	fixture_free(&f);
}
END_TEST

/*
 * Of much stderr, the last EXEC_DETAIL bytes are kept, from the start of a line; with -v
 * every line is passed on as it comes.
 */
START_TEST(test_detail_tail)
{
	static const char *const commands[] = {
		"i=0; while [ $i -lt 1000 ]; do echo \"line $i\"; i=$((i + 1)); done >&2; "
		    "exit 1",
		/* in one write, a line longer than what is kept and than a line passed on */
		"awk 'BEGIN { s = sprintf(\"%6000s\", \"\"); gsub(/ /, \"x\", s); "
		    "printf \"%s\\nlast\\n\", s >\"/dev/stderr\" }'; exit 1",
	};
	struct fixture	 f;
	struct op_block	 b;
	uint8_t		*out = malloc((size_t)37 * 6);
	char		*cause, *said, *p;
	size_t		 n;
	int		 saved, i, lines;

	for (i = 0; i < 2; i++) {
		f = fixture_make(commands[i], 0, 37, 20, 1, 8);
		b = block_at(&f, 7, 5, 6);
		b.verbose = 1;
		saved = capture_begin(&f);
		ck_assert_int_eq(block_run(&f, &b, 1, out, &cause), -1);
		said = capture_end(&f, saved);
		ck_assert_str_eq(cause, "the command exited with status 1");
		n = strlen(b.detail);
		if (i == 1) {
			ck_assert_str_eq(b.detail, "last\n");
			for (lines = 0, p = said; (p = strstr(p, "blur: block 7: x")) != NULL;
			    p++)
				lines++;
			ck_assert_int_eq(lines, 6);	/* 5 of 1024 bytes, then 880 */
			ck_assert_ptr_nonnull(strstr(said, "x\nblur: block 7: last\n"));
		} else {
			ck_assert_msg(n > 4000 && n <= 4096, "%zu bytes", n);
			ck_assert_msg(strncmp(b.detail, "line ", 5) == 0, "%.20s", b.detail);
			ck_assert_str_eq(b.detail + n - 18, "line 998\nline 999\n");
			ck_assert_msg(strncmp(said, "blur: block 7: line 0\n", 22) == 0,
			    "%.40s", said);
			ck_assert_ptr_nonnull(strstr(said, "\nblur: block 7: line 999\n"));
		}
		free(said);
		free(cause);
		free(b.detail);
		fixture_free(&f);
	}
	free(out);
}
END_TEST

/*
 * Killed by a signal; SIGPIPE and SIGTERM are the command's to die of even when we
 * ignore them.
 */
START_TEST(test_killed)
{
	static const struct {
		const char	*command, *cause;
	} deaths[] = {
		{ "kill -9 $$", "the command was killed by signal 9 (Killed)" },
		{ "kill -PIPE $$; cat", "the command was killed by signal 13 (Broken pipe)" },
		{ "kill -TERM $$; cat", "the command was killed by signal 15 (Terminated)" },
	};
	struct fixture	 f;
	struct op_block	 b;
	uint8_t		*out = malloc((size_t)37 * 6);
	char		*cause;
	size_t		 i;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	for (i = 0; i < sizeof deaths / sizeof deaths[0]; i++) {
		f = fixture_make(deaths[i].command, 0, 37, 20, 1, 8);
		b = block_at(&f, 7, 5, 6);
		ck_assert_int_eq(block_run(&f, &b, 1, out, &cause), -1);
		ck_assert_str_eq(cause, deaths[i].cause);
		ck_assert_ptr_null(b.detail);
		free(cause);
		fixture_free(&f);
	}
	free(out);
}
END_TEST

/* A block that stops being wanted at a given time; how often it was asked. */
struct cancel {
	double	at;
	int	calls;
};

static int
cancel_at(void *arg)
{
	struct cancel	*c = arg;

	c->calls++;
	return now() >= c->at;
}

/* The pid a command wrote in $T/name. */
static pid_t
pid_read(const struct fixture *f, const char *name)
{
	size_t	 n;
	char	*text = file_read(f, name, &n);
	pid_t	 pid = (pid_t)atoi(text);

	free(text);
	ck_assert_int_gt(pid, 1);
	return pid;
}

/*
 * The command's shell (pid in $T/sh) has ended, reaped by its guardian or, when they were
 * killed together, orphaned to us, its subreaper; and its child (in $T/sleeper), orphaned
 * to us, is dead of signal sig.
 */
static void
gone(const struct fixture *f, int sig)
{
	pid_t	sh = pid_read(f, "sh"), sleeper = pid_read(f, "sleeper");
	int	status, i;

	for (i = 0; i < 100 && waitpid(sh, &status, WNOHANG) != sh && kill(sh, 0) == 0; i++)
		usleep(10000);
	ck_assert_msg(i < 100, "the command's shell is still running");
	for (i = 0; i < 100 && waitpid(sleeper, &status, WNOHANG) == 0; i++)
		usleep(10000);
	ck_assert_msg(i < 100, "the command's child is still running");
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), sig);
}

/* How many descriptors we have open. */
static int
fds_open(void)
{
	int	fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

/*
 * A hung command is ended when the block is cancelled, its children too, though we
 * block SIGTERM as the slave does (for signalfd); no descriptor of it is left open.
 */
static void
cancel_check(const char *command, double grace)
{
	struct fixture	 f = fixture_make(command, 0, 37, 20, 1, 8);
	struct op_block	 b = block_at(&f, 7, 5, 6);
	struct cancel	 c = { now() + 0.3, 0 };
	uint8_t		*out = malloc(row_bytes(&f) * 6);
	double		 t0 = now(), took;
	sigset_t	 set;
	char		*cause;
	int		 fds = fds_open();

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	b.cancelled = cancel_at;
	b.arg = &c;
	ck_assert_int_eq(block_run(&f, &b, 1, out, &cause), -1);
	took = now() - t0;
	ck_assert_str_eq(cause, "cancelled");
	ck_assert_msg(took >= 0.3 && took < 0.6 + grace, "took %.3f s", took);
	ck_assert_msg(c.calls >= 3, "cancelled() asked %d times in 0.3 s", c.calls);
	gone(&f, grace > 0 ? SIGKILL : SIGTERM);
	ck_assert_int_eq(fds_open(), fds);
	free(cause);
	free(out);
	fixture_free(&f);
}

START_TEST(test_cancelled)
{
	cancel_check("echo $$ >\"$T/sh\"; sleep 100 & echo $! >\"$T/sleeper\"; wait", 0);
}
END_TEST

/* One that ignores SIGTERM gets SIGKILL after the grace. */
START_TEST(test_cancelled_stubborn)
{
	cancel_check("trap '' TERM; echo $$ >\"$T/sh\"; sleep 100 & echo $! >\"$T/sleeper\"; "
	    "wait; wait", 1.5);
}
END_TEST

/*
 * What a command leaves running when it exits is killed, though it holds our pipes:
 * otherwise it would be an orphan, and we would wait for it.
 */
START_TEST(test_leftovers)
{
	struct fixture	 f = fixture_make("echo $$ >\"$T/sh\"; sleep 100 & echo $! "
			    ">\"$T/sleeper\"; cat", 0, 37, 20, 1, 8);
	struct op_block	 b = block_at(&f, 7, 5, 6);
	uint8_t		*out = malloc(row_bytes(&f) * 6);
	double		 t0 = now();
	char		*cause;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
	ck_assert_msg(now() - t0 < 1, "took %.3f s", now() - t0);
	ck_assert_mem_eq(out, f.px + 5 * row_bytes(&f), 6 * row_bytes(&f));
	gone(&f, SIGKILL);
	free(out);
	fixture_free(&f);
}
END_TEST

/*
 * Quick commands are not held up by the look at cancelled() every 50 ms, nor one that
 * closes its output a little before it exits; and they leave no descriptor open.
 */
START_TEST(test_quick)
{
	static const char *const commands[] = { "cat", "cat; exec >&- 2>&-; sleep 0.005" };
	struct fixture	 f;
	struct op_block	 b;
	uint8_t		*out = malloc((size_t)37 * 6);
	double		 t0;
	char		*cause;
	int		 i, j, fds;

	ck_assert_int_eq(system("exit 0"), 0);	/* ready to count descriptors */
	fds = fds_open();
	for (j = 0; j < 2; j++) {
		f = fixture_make(commands[j], 0, 37, 20, 1, 8);
		b = block_at(&f, 7, 5, 6);
		t0 = now();
		for (i = 0; i < 20; i++)
			ck_assert_msg(block_run(&f, &b, 1, out, &cause) == 0, "%s", cause);
		/*
		 * Held up, each block would wait a tick of 50 ms at least: 1 s for the 20,
		 * on top of the commands' own time (0.2 s, 0.7 s on two loaded cores, 1.03 s
		 * once in a sanitized build): held up, 1.2 s at the least.
		 */
		ck_assert_msg(now() - t0 < 1.15, "20 blocks of %s took %.3f s", commands[j],
		    now() - t0);
		ck_assert_mem_eq(out, f.px + 5 * row_bytes(&f), 6 * row_bytes(&f));
		fixture_free(&f);
	}
	ck_assert_int_eq(fds_open(), fds);	/* none left open */
	free(out);
}
END_TEST

START_TEST(test_parameters)
{
	struct op_args	 a = { .op = &op_exec };
	uint32_t	 top, bottom;
	char		*cause = NULL;

	ck_assert_int_eq(op_ready(&a, &cause), -1);
	ck_assert_str_eq(cause, "exec needs -command");
	free(cause);
	ck_assert_int_eq(op_set(&a, "command", " \t", &cause), 0);
	ck_assert_int_eq(op_ready(&a, &cause), -1);
	ck_assert_str_eq(cause, "exec: -command is empty");
	free(cause);
	ck_assert_int_eq(op_set(&a, "halo", "100001", &cause), -1);
	free(cause);
	ck_assert_int_eq(op_set(&a, "command", "cat", &cause), 0);
	ck_assert_int_eq(op_ready(&a, &cause), 0);
	op_exec.halo(&a, &top, &bottom);
	ck_assert_uint_eq(top, 0);
	ck_assert_uint_eq(bottom, 0);
	ck_assert_int_eq(op_set(&a, "halo", "100000", &cause), 0);
	op_exec.halo(&a, &top, &bottom);
	ck_assert_uint_eq(top, 100000);
	ck_assert_uint_eq(bottom, 100000);
	ck_assert(op_takes(&op_exec, SAMPLE_UINT8) && op_takes(&op_exec, SAMPLE_UINT16));
	/* It runs what data.dat names: a slave must be willing to. */
	ck_assert_int_eq(op_exec.runs_commands, 1);
	op_args_free(&a);
}
END_TEST

Suite *
exec_suite(void)
{
	Suite	*s = suite_create("exec");
	TCase	*tc = tcase_create("exec");

	tcase_add_test(tc, test_parameters);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_imagemagick);
	tcase_add_test(tc, test_gray_for_rgb);
	tcase_add_test(tc, test_whole_frame);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_wrong_output);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_banner_held);
	tcase_add_test(tc, test_detail_tail);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_cancelled);
	tcase_add_test(tc, test_cancelled_stubborn);
	tcase_add_test(tc, test_leftovers);
	tcase_add_test(tc, test_quick);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
