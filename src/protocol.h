/*
 * protocol.h — the shared directory: its names, the job description, claim and done.
 *
 * DIR/image.bit		the input as raw pixels (rows top to bottom, samples interleaved,
 *				8 or 16 bits in the byte order named in data.dat)
 * DIR/data.dat		the job: one "key value" line each (see struct job)
 * DIR/working		exists while the job runs; holds the job id
 * DIR/progress		the master's count of blocks in, reissues and slaves, for -status,
 *			rewritten at least every second: its beat tells a live master
 * DIR/todo/block.N.v	block N (from 0) is wanted at version v (a, b, ... z)
 * DIR/block.N.v/		claimed by the one slave whose mkdir made it
 * DIR/block.N.v/slave	"host:pid" of that slave
 * DIR/block.N.v/img.bit	a header (struct result), then the block's blurred rows, laid
 *				out as in image.bit
 * DIR/block.N.v/done	img.bit is complete
 *
 * Every file is reached through a descriptor of DIR, never by joining paths, so a name
 * always means the same object for the whole job. Files are replaced by renaming a
 * temporary BASE.HOST.PID.RANDOM.tmp, unique across hosts.
 *
 * A finished block stays, img.bit and all, until the job ends, although its rows are in
 * the output: a dead master's output cannot be continued, but its results can, and a
 * name that stays can never be claimed twice. A slave whose view of todo/ is stale would
 * claim it: NFS and FUSE clients cache names for a second or more, and on GlusterFS even
 * open() succeeds on a file removed elsewhere that long.
 */
#ifndef BLUR_PROTOCOL_H
#define BLUR_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_VERSION	1
#define PROTOCOL_NAME_MAX	32	/* "block.4294967295.z" and the fixed names fit */
#define PROTOCOL_FIRST		'a'
#define PROTOCOL_LAST		'z'
#define PROTOCOL_PATH_MAX	512	/* of the names shown by -status */
#define PROTOCOL_WHO_MAX	300	/* "host:pid" */

enum filter { FILTER_GAUSSIAN, FILTER_BOX };

struct job {
	char		id[33];		/* 32 hex digits, fresh for every job */
	uint32_t	width;
	uint32_t	height;
	uint32_t	samples;	/* 1 to 4, interleaved */
	uint32_t	bits;		/* 8 or 16 */
	uint32_t	alpha;		/* 1: the last sample is unassociated alpha */
	enum filter	filter;
	uint32_t	radius;
	double		sigma;
	uint32_t	rows;		/* rows per block; the last block may have fewer */
	uint32_t	blocks;
	char		input[PROTOCOL_PATH_MAX];	/* shown by -status */
	char		output[PROTOCOL_PATH_MAX];
	char		auth[128];	/* "none", or secret_auth() of the key */
	char		source[96];	/* the input's identity: device, inode, size, mtime */
	char		partial[PROTOCOL_PATH_MAX];	/* the output while it is written */
};

/* What the master publishes of its progress, in DIR/progress. */
struct tally {
	uint64_t	 beat;		/* counts the rewrites: a live master's moves */
	double		 elapsed;	/* seconds since the job started, by the master's
					   clock: no other host compares it with its own */
	char		 notice[64];	/* how the master notices changes (see watch.h) */
	uint32_t	 done;		/* blocks whose result is in */
	uint32_t	 reissues;
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
#define RESULT_MAGIC	"BLURBLK2"	/* the last character is the format version */
struct result {
	char		magic[8];
	char		job[32];	/* the job id, without its NUL */
	uint32_t	block;
	uint32_t	rows;
	uint64_t	bytes;		/* of rows after the header */
	uint64_t	sum;		/* XXH3-64 (libxxhash) of those bytes */
	char		version;
	char		pad[7];
	unsigned char	mac[32];	/* HMAC of all this (mac zeroed) and the rows, when
					   the job has a secret (see secret.h); else zeros */
};

/* Bytes in one row of image.bit or img.bit. */
size_t	 job_row_bytes(const struct job *);
/* First row of block n and how many rows it has. */
uint32_t job_block_y(const struct job *, uint32_t n);
uint32_t job_block_rows(const struct job *, uint32_t n);
/* A fresh random job id. */
void	 job_new_id(struct job *);

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

/* Write data.dat (whole, replacing any); read and check it (-1 with *cause on anything malformed). */
int	 protocol_write_job(int dirfd, const struct job *, char **cause);
int	 protocol_read_job(int dirfd, struct job *, char **cause);

/* Create `working` holding the job id; read the id of the job now working (-1: none). */
int	 protocol_start(int dirfd, const struct job *);
int	 protocol_working(int dirfd, char id[33]);

/* Whether todo/block.N.v is there; add or remove it. */
int	 protocol_wanted(int dirfd, uint32_t n, char v);
int	 protocol_todo_add(int dirfd, uint32_t n, char v);
void	 protocol_todo_remove(int dirfd, uint32_t n, char v);

/* Write DIR/progress whole (a temporary name, renamed); read it (-1: none or malformed). */
int	 protocol_write_tally(int dirfd, const struct tally *);
int	 protocol_read_tally(int dirfd, struct tally *);
/* The heartbeat in DIR/progress, 0 if there is none. */
uint64_t protocol_beat(int dirfd);
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
 * The versions of each of `blocks` blocks claimed now, a bit each (1 << (v - 'a')), from
 * one listing of DIR: on a network filesystem one listing costs far less than a lookup
 * per block. The caller frees the array.
 */
uint32_t *protocol_claims(int dirfd, uint32_t blocks);
/* Who claimed block.N.v, into who (empty if it cannot be read yet). */
void	 protocol_claimant(int dirfd, uint32_t n, char v, char who[PROTOCOL_WHO_MAX]);
/* Whether block.N.v exists (claimed) and whether block.N.v/done exists. */
int	 protocol_claimed(int dirfd, uint32_t n, char v);
int	 protocol_done(int dirfd, uint32_t n, char v);
/*
 * Publish block.N.v's rows: img.bit (header and rows) under a temporary name, renamed
 * into place, then done.
 */
int	 protocol_publish(int dirfd, const struct job *, const unsigned char *key,
	    uint32_t n, char v, const void *rows, size_t len);
/*
 * Open block.N.v/img.bit and check its header and size against the job: a descriptor,
 * or -1 with *why for the log.
 */
int	 protocol_open_result(int dirfd, const struct job *, uint32_t n, char v,
	    char **why);
/*
 * Read the rows of an opened result into buf (len bytes) and check them, and their HMAC
 * when there is a key: 0 or -1.
 */
int	 protocol_read_result(int fd, const unsigned char *key, void *buf, size_t len,
	    char **why);
/* Remove block.N.v and everything in it. */
void	 protocol_release(int dirfd, uint32_t n, char v);

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
