/*
 * protocol.h — the shared directory: its names, the order of steps, and what each step
 * promises to the other side. The man page and the README say the same in their words.
 *
 * DIR/image.bit		the input as raw pixels: rows top to bottom, samples interleaved,
 *				of the format (sample.h) and byte order data.dat names (none
 *				in a render)
 * DIR/image.tif		the input TIFF itself, when slaves decode it (data.dat's
 *				decode: an input in several strips or tiles; uncompressed
 *				strips in order they map): a hard link to it on DIR's
 *				filesystem, else a copy made in the kernel
 * DIR/levels.bit		with overviews: the rows of every level below the image as
 *				raw pixels, as image.bit holds the image's, level after
 *				level (job_level_offset()); the master copies each block's
 *				rows of the next level in from its result
 * DIR/data.dat		the job: "key value" lines (see struct job), signed with a secret
 * DIR/working		exists while the job runs; holds the job id
 * DIR/progress		the master's tally for -status, rewritten at least every
 *			second (BEAT_EVERY): its moving beat tells a live master
 * DIR/todo/block.N.v	block N (from 0) is wanted at version v (a, b, ... z)
 * DIR/block.N.v/		claimed by the one slave whose mkdir made it
 * DIR/block.N.v/slave	"host:pid" of that slave
 * DIR/block.N.v/img.bit	a header (struct result, which names the claimant too),
 *				then the block's rows compressed into the output's chunks
 *				(the layout data.dat names), and their sizes; with
 *				overviews, last, the next level's rows the block makes, raw
 * DIR/block.N.v/done	img.bit is complete
 * DIR/block.N.v/failed	the operation failed on this block: who, and why; with a
 *				secret, after a first line that is their HMAC
 *
 * Calling sequence
 * ----------------
 *
 * The master:
 *
 * * Locks DIR (flock), creates image.bit empty, writes data.dat (protocol_write_job()),
 *   and makes todo/ and progress.
 * * When it watches DIR by inotify (a local filesystem), creates `working`
 *   (protocol_start()) at once, then decodes the input into image.bit and adds
 *   todo/block.N.a (protocol_todo_add()) as soon as block N's rows and halo are in.
 *   When it polls (a network filesystem, or -poll: DIR may be exported to hosts that
 *   cannot see a file still open here), it decodes everything first, closes
 *   image.bit, creates `working`, then adds every todo file: slaves claim the first
 *   while it adds the rest.
 *   Either way, a slave that sees todo/block.N.v finds block N's input rows complete.
 * * With overviews, creates levels.bit of its whole size first, and asks for a block of a
 *   level below the image only once every row it is made from has been copied into
 *   levels.bit from the results of the level above (when polling, after an fdatasync).
 *
 * A slave, while `working` names the job it joined and the master's beat moves:
 *
 * * Lists todo/ and DIR (protocol_list()) and claims a wanted, unclaimed version by
 *   mkdir block.N.v (protocol_claim()): only one mkdir succeeds, so one slave works on
 *   each version. It signs the claim (block.N.v/slave) and, if todo/block.N.v is gone
 *   by then, releases it: the master no longer wants that version.
 * * Reads the block's rows and halo from image.bit (from levels.bit for a level below
 *   the image, opened for each block so that a network filesystem shows what the
 *   master wrote before it asked), runs the operation (or reduces), and either
 *   writes img.bit under a temporary name, renames it into place and creates `done`
 *   (protocol_publish()), or writes `failed` the same way (protocol_fail()). Once
 *   `done` or `failed` exists, its content is whole. A slave told to stop removes its
 *   claim (protocol_release()) so that the block can be claimed again at once.
 *
 * The master, until every block is in:
 *
 * * Lists DIR and judges each block (blocks.h). A done version's result is checked
 *   (header, size, checksum, HMAC: protocol_open_result(), protocol_read_result());
 *   a good one is the block's, whichever version it is, the lowest letter if several
 *   are done at once: its rows go to the output, its todo files and other versions are
 *   removed, and its directory stays until the job ends, so that no slave with a stale
 *   listing can claim the name again, and so that a later master can -resume from the
 *   results. A bad result is removed and the block reissued. In a job with a secret
 *   a failed report whose HMAC does not verify (protocol_failure()) is ignored: the
 *   version counts as still claimed, and is reissued once it is late.
 * * Reissues a block as its next version (todo/block.N.v+1, then removes todo/block.N.v)
 *   when its newest version failed, had a bad result, or stayed claimed longer than the
 *   timeout; the slave still working on an old version may finish it, and the first
 *   good result wins. After z, or after -retries failures of one block, the job fails.
 *
 * A write refused in DIR for DIR's sake (protocol_dir_fault(): full, read-only, failing)
 * fails no block: the slave keeps its result and tries again, later each time; the master
 * beats by touching progress, calls no claim late while DIR cannot take results, and
 * fails the job if that lasts longer than the timeout.
 *
 * At the end the master renames the output into place, removes `working` first (slaves
 * stop at once; its own it also signals, and waits until each has let go of DIR) and
 * then every other name above (protocol_clean()); names it does not know are left
 * alone. A failed job is removed the same way, with no output.
 *
 * Every file is reached through a descriptor of DIR, never by joining paths, so a name
 * always means the same object for the whole job. Files are replaced by renaming a
 * temporary BASE.HOST.PID.RANDOM.tmp, unique across hosts.
 *
 * Assumptions about the filesystem: mkdir is exclusive and rename atomic; a file closed
 * by one process is complete for a process, on any host, that opens it afterwards.
 * Names may be cached (NFS, FUSE: for a second or more; on GlusterFS even open()
 * succeeds that long on a file removed elsewhere): a stale name may delay a step, never
 * make a wrong one, because every result is checked.
 */
#ifndef BLUR_PROTOCOL_H
#define BLUR_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "job.h"
#include "op.h"

#define PROTOCOL_VERSION	6
#define PROTOCOL_NAME_MAX	32	/* "block.4294967295.z" and the fixed names fit */
#define PROTOCOL_FIRST		BLOCK_FIRST
#define PROTOCOL_LAST		BLOCK_LAST
#define BEAT_EVERY		1.0	/* seconds between rewrites of progress, at most */
#define PROTOCOL_WHO_MAX	300	/* "host:pid" */


/* What the master publishes of its progress, in DIR/progress. */
struct tally {
	uint64_t	 beat;		/* counts the rewrites: a live master's moves */
	double		 elapsed;	/* seconds since the job started, by the master's
					   clock: no other host compares it with its own */
	char		 notice[64];	/* how the master notices changes (see watch.h) */
	uint32_t	 done;		/* blocks whose result is in */
	uint32_t	 reissues;
	uint32_t	 failures;	/* blocks reported failed */
	uint32_t	 nslaves;
	struct share {
		char		who[PROTOCOL_WHO_MAX];
		uint32_t	blocks;
	}		*slaves;	/* every slave that delivered a block */
};

/*
 * The header of img.bit, in the job's byte order: what the rows claim to be, so that a
 * truncated, foreign or garbage result is told from a good one.
 */
#define RESULT_MAGIC	"BLURBLK4"	/* the last character is the format version */
struct result {
	char		magic[8];
	char		job[32];	/* the job id, without its NUL */
	uint32_t	block;
	uint32_t	rows;
	uint64_t	bytes;		/* of payload after the header: a uint32_t size
					   per chunk, then the chunks' bytes in order; with
					   overviews the last "chunk" is the next level's
					   rows the block makes, raw */
	uint64_t	sum;		/* XXH3-64 (libxxhash) of the payload */
	char		version;
	char		pad[3];
	uint32_t	chunks;		/* the block's (layout.h, job_block_chunks()),
					   and one more for the rows made, if any */
	unsigned char	mac[32];	/* HMAC of all this (mac zeroed) and the rows, when
					   the job has a secret (see secret.h); else zeros */
	char		who[PROTOCOL_WHO_MAX];	/* the claimant, as in `slave`, NUL-padded:
					   the master need not open that file too */
	char		pad2[4];	/* to 8 bytes, so that no byte goes unwritten */
};


/* Format "block.N.v" into buf (PROTOCOL_NAME_MAX bytes). */
void	 protocol_block_name(char *buf, uint32_t n, char v);
/*
 * Parse a name that must be exactly block.N.v: N decimal without leading zeros and
 * below `blocks`, v one letter a-z. Returns 0 and fills n and v, or -1.
 */
int	 protocol_parse_block(const char *name, uint32_t blocks, uint32_t *n, char *v);

/*
 * Open DIR, creating it (mode 0700) when `create`. A symbolic link, a directory owned by
 * another user, or one that group or others may write is refused: anyone who can write
 * there could forge results or redirect files. -1 with *cause (and errno ENOENT when it
 * does not exist yet).
 */
int	 protocol_open_dir(const char *path, int create, char **cause);

/*
 * Write data.dat whole, replacing any, signed with key (see secret.h) unless it is NULL.
 * Read it back and check it: -1 with *cause on anything malformed, on an operation this
 * blur does not have, and, with a key, on a job not signed with it (unsigned included:
 * whoever can write DIR could otherwise take the signature off).
 */
int	 protocol_write_job(int dirfd, const struct job *, const unsigned char *key,
	    char **cause);
int	 protocol_read_job(int dirfd, struct job *, const unsigned char *key,
	    char **cause);

/*
 * image.bit: create it empty, for writing (O_EXCL: the master's alone); open it for
 * reading; whether it (or image.tif, when slaves decode) is whole (a dead master's job,
 * for -resume); remove it. Descriptors, or -1 with errno.
 */
int	 protocol_input_create(int dirfd);
int	 protocol_input_open(int dirfd);
int	 protocol_input_whole(int dirfd, const struct job *);
void	 protocol_input_remove(int dirfd);
/*
 * image.tif: make it from the input at path, a hard link when DIR's filesystem holds
 * path (*linked then 1) and a link is allowed, else a copy under a temporary name,
 * renamed (copy_range()); open it for reading. 0 or a descriptor, or -1 with errno.
 */
int	 protocol_source_place(int dirfd, const char *path, int *linked);
int	 protocol_source_open(int dirfd);
/*
 * levels.bit: create it empty for reading and writing (O_EXCL: the master's alone);
 * open it, O_RDONLY for a slave, O_RDWR for a master resuming the job. Descriptors, or
 * -1 with errno.
 */
int	 protocol_levels_create(int dirfd);
int	 protocol_levels_open(int dirfd, int mode);
/* Make todo/, empty: 0 or -1 with errno. */
int	 protocol_todo_start(int dirfd);

/*
 * Create `working` holding the job id; remove it, which ends the job for the slaves
 * (they stop claiming and leave); read the id of the job now working (-1: none).
 */
int	 protocol_start(int dirfd, const struct job *);
void	 protocol_stop(int dirfd);
int	 protocol_working(int dirfd, char id[33]);

/*
 * Add todo/block.N.v holding sign (the signature of the block's input rows, or "" in a
 * job without a secret); read it back into sign (SECRET_HEX bytes): -1 if it is gone,
 * the master no longer wants that version.
 */
int	 protocol_todo_add(int dirfd, uint32_t n, char v, const char *sign);
int	 protocol_todo_read(int dirfd, uint32_t n, char v, char *sign);
void	 protocol_todo_remove(int dirfd, uint32_t n, char v);

/* Write DIR/progress whole (a temporary name, renamed); read it (-1: none or malformed). */
int	 protocol_write_tally(int dirfd, const struct tally *);
int	 protocol_read_tally(int dirfd, struct tally *);
/*
 * The heartbeat in DIR/progress, 0 if there is none: a value that changes whenever the
 * master rewrites progress or, when it cannot (DIR full), touches it
 * (protocol_touch_tally(): 0 or -1), so that a master blocked on a full DIR still beats.
 * Only compared for change, never with a clock.
 */
uint64_t protocol_beat(int dirfd);
int	 protocol_touch_tally(int dirfd);
/*
 * Whether an error writing in DIR is DIR's condition, not a block's: full (ENOSPC,
 * EDQUOT), read-only or failing (EROFS, EIO). Slaves wait for room and master fails the
 * job if it lasts (see the calling sequence); no block is counted failed for it.
 */
int	 protocol_dir_fault(int err);
/* Count a block delivered by `who` in the tally. */
void	 tally_add(struct tally *, const char *who);
void	 tally_free(struct tally *);

/* This process as slaves name themselves: "host:pid". */
void	 protocol_who(char who[PROTOCOL_WHO_MAX]);

/*
 * mkdir block.N.v and sign it with `who`: 1 if this process now owns the block, 0 if
 * another does, -1 on error.
 */
int	 protocol_claim(int dirfd, uint32_t n, char v, const char *who);
/*
 * One listing of DIR and todo/: a sighting per block (blocks.h). With `inside`, also
 * whether each claimed version is done or failed, except in blocks `known` has in:
 * the master no longer looks into blocks it has. On a network filesystem two
 * listings cost far less than a lookup per block. The caller frees the array.
 */
struct sighting *protocol_list(int dirfd, uint32_t blocks, int inside,
	    const struct blocks *known);
/* Who claimed block.N.v, into who (empty if it cannot be read yet). */
void	 protocol_claimant(int dirfd, uint32_t n, char v, char who[PROTOCOL_WHO_MAX]);
/* Whether block.N.v still exists: the master has not taken it back. */
int	 protocol_held(int dirfd, uint32_t n, char v);
/* What one lookup shows of block n's versions up to v, done and failed included. */
struct sighting protocol_sight(int dirfd, uint32_t n, char v);
/*
 * Publish block.N.v's chunks (layout.h), computed by `who`: their sizes, one for each
 * chunk of the block, and their bytes, len in all, one after another, then with
 * overviews the next level's rows it makes (job_block_made(); sizes ends with their
 * size): img.bit (header and payload) under a temporary name, renamed into place, then
 * done.
 */
int	 protocol_publish(int dirfd, const struct job *, const unsigned char *key,
	    const char *who, uint32_t n, char v, const uint32_t *sizes,
	    const void *data, size_t len, const void *made);
/*
 * Open block.N.v/img.bit and check its header and size against the job: a descriptor,
 * and the header in *h (unless NULL: h->bytes is the payload's size, h->who the
 * claimant); or -1 with *why for the log. Compressed chunks may take more room than the
 * pixels they hold, within RESULT_BOUND.
 */
#define RESULT_BOUND(raw)	((raw) + (raw) / 2 + (1u << 20))
int	 protocol_open_result(int dirfd, const struct job *, uint32_t n, char v,
	    struct result *h, char **why);
/*
 * Read the payload of an opened result into buf (len bytes, its header's) and check it:
 * its checksum, its chunk table, and its HMAC when there is a key: 0 or -1.
 */
int	 protocol_read_result(int fd, const unsigned char *key, void *buf, size_t len,
	    char **why);
/*
 * Check the payload of an opened result of a job without a secret where it lies:
 * reading it piece after piece through *buf (grown as needed) into its checksum (unless
 * sum is 0: a result checked before), and its chunk table. The table, at the start of
 * *buf, for the chunks to be copied from fd by the kernel (the payload lies at
 * sizeof(struct result)); or NULL with *why. With a secret, read it whole instead: what
 * was checked could change under the copy.
 */
const void *protocol_check_result(int fd, size_t len, int sum, void **buf,
	    size_t *size, char **why);
/*
 * Report that block.N.v failed: `failed` holds who, then the reason on one line, then
 * detail (a command's last output; may be NULL), written whole and renamed into place.
 * With a key (a job with a secret) a first line comes before them: SECRET_AUTH, a
 * space and the hex HMAC of the rest (at most FAILURE_MAX bytes of it, all that is
 * written) bound to the job, the block and the version (secret_failure()), so that
 * whoever can write DIR cannot fail a block. Without one the file is those lines alone.
 */
int	 protocol_fail(int dirfd, const struct job *, const unsigned char *key,
	    uint32_t n, char v, const char *who, const char *reason,
	    const char *detail);
/*
 * The text of block.N.v/failed (at most FAILURE_MAX bytes of it) from who on, or NULL
 * with *why: it cannot be read, or, with a key, its first line is not its HMAC. The
 * master then takes the version for neither failed nor done.
 */
#define FAILURE_MAX	8192
char	*protocol_failure(int dirfd, const struct job *, const unsigned char *key,
	    uint32_t n, char v, char **why);
/* Remove block.N.v and everything in it. */
void	 protocol_release(int dirfd, uint32_t n, char v);
/*
 * The same in fewer round trips when block.N.v holds no more than a finished block
 * does (slave, img.bit, done): those are removed by name, and the directory is listed
 * only if something else keeps it.
 */
void	 protocol_retire(int dirfd, uint32_t n, char v);
/*
 * Look into each version of block n that s shows claimed, for done and failed, as
 * protocol_list() does with `inside`: one block's lookups, for a caller that makes
 * several blocks' at once.
 */
void	 protocol_look_inside(int dirfd, uint32_t n, struct sighting *s);

/*
 * Whether DIR holds any of the names above; remove all of them. A directory kept by an
 * NFS client's .nfsXXXX stand-in (a removed file still open on some host) is retried
 * every CLEAN_RETRY us for up to CLEAN_PATIENCE s; returns how many stand-ins were left
 * then (their directories with them), else 0. Files of other names are never removed.
 */
#define CLEAN_RETRY	100000
#define CLEAN_PATIENCE	30
int	 protocol_leftovers(int dirfd);
int	 protocol_clean(int dirfd);

#endif
