/*
 * fsops.c — what the protocol costs on a filesystem: S processes race to claim B blocks
 * exactly as blur's slaves do (list todo/ once, then mkdir block.N.a from a random place,
 * EEXIST meaning another won), after B todo files are created as the master does.
 *
 *	fsops DIR BLOCKS SLAVES
 *
 * Prints one line: blocks, slaves, ms to create the todo files, ms for one listing of
 * todo/, us per won and per lost mkdir (mean over all processes), wall ms until every
 * block is claimed, and the claims each slave won (min-max). DIR must not exist; it is
 * removed afterwards.
 */
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tally {
	double	list_ms, won_us, lost_us;
	long	won, lost;
};

static double
ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One slave's pass: list todo/, then try every block from a random start. */
static void
slave(const char *dir, long blocks, struct tally *t)
{
	char		 path[4096];
	struct dirent	*e;
	DIR		*d;
	double		 t0;
	long		 n = 0, i, start;
	unsigned	 r;

	snprintf(path, sizeof path, "%s/todo", dir);
	t0 = ms();
	if ((d = opendir(path)) == NULL)
		exit(1);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	t->list_ms = ms() - t0;
	if (n != blocks)
		exit(1);
	getrandom(&r, sizeof r, 0);
	start = r % blocks;
	for (i = 0; i < blocks; i++) {
		snprintf(path, sizeof path, "%s/block.%ld.a", dir, (start + i) % blocks);
		t0 = ms();
		if (mkdir(path, 0700) == 0) {
			t->won_us += (ms() - t0) * 1e3;
			t->won++;
		} else {
			t->lost_us += (ms() - t0) * 1e3;
			t->lost++;
		}
	}
}

int
main(int argc, char **argv)
{
	struct tally	*t;
	char		 path[4096];
	long		 blocks, slaves, i, won = 0, lost = 0, lo = -1, hi = 0;
	double		 t0, create, wall, list = 0, won_us = 0, lost_us = 0;

	if (argc != 4 || (blocks = atol(argv[2])) < 1 || (slaves = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: fsops DIR BLOCKS SLAVES\n");
		return 2;
	}
	t = mmap(NULL, slaves * sizeof *t, PROT_READ|PROT_WRITE,
	    MAP_SHARED|MAP_ANONYMOUS, -1, 0);
	snprintf(path, sizeof path, "%s/todo", argv[1]);
	if (t == MAP_FAILED || mkdir(argv[1], 0700) == -1 || mkdir(path, 0700) == -1) {
		perror(argv[1]);
		return 1;
	}
	t0 = ms();
	for (i = 0; i < blocks; i++) {
		snprintf(path, sizeof path, "%s/todo/block.%ld.a", argv[1], i);
		close(open(path, O_WRONLY|O_CREAT|O_EXCL, 0600));
	}
	create = ms() - t0;
	t0 = ms();
	for (i = 0; i < slaves; i++)
		if (fork() == 0) {
			slave(argv[1], blocks, &t[i]);
			_exit(0);
		}
	while (wait(NULL) > 0)
		;
	wall = ms() - t0;
	for (i = 0; i < slaves; i++) {
		list += t[i].list_ms / slaves;
		won += t[i].won, lost += t[i].lost;
		won_us += t[i].won_us, lost_us += t[i].lost_us;
		lo = lo == -1 || t[i].won < lo ? t[i].won : lo;
		hi = t[i].won > hi ? t[i].won : hi;
	}
	printf("| %ld | %ld | %.1f | %.2f | %.0f | %.0f | %.1f | %ld-%ld |%s\n",
	    blocks, slaves, create, list, won ? won_us / won : 0,
	    lost ? lost_us / lost : 0, wall, lo, hi,
	    won == blocks ? "" : " LOST CLAIMS");
	for (i = 0; i < blocks; i++) {
		snprintf(path, sizeof path, "%s/todo/block.%ld.a", argv[1], i);
		unlink(path);
		snprintf(path, sizeof path, "%s/block.%ld.a", argv[1], i);
		rmdir(path);
	}
	snprintf(path, sizeof path, "%s/todo", argv[1]);
	rmdir(path);
	rmdir(argv[1]);
	return won == blocks ? 0 : 1;
}
