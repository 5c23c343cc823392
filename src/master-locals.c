/* master-locals.c — see master-int.h. */
#include <config.h>

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "master-int.h"
#include "slave.h"
#include "util.h"

#define STOP_GRACE	3.0	/* seconds a local slave has to stop before it is killed */

void
locals_start(struct master *m)
{
	struct slave_opts so = { .dir = m->o->dir, .job = m->job.id,
			    .verbosity = m->o->verbosity, .secret = m->o->secret,
			    .poll = m->o->poll, .letgo = -1 };
	pid_t		 pid, master = getpid();
	uint32_t	 i;
	char		*cause;
	long		 r;
	int		 letgo[2];

	if (m->o->slaves == 0)
		return;
	/* As when a fork fails: the job goes on, done by other slaves. */
	if (pipe2(letgo, O_CLOEXEC) == -1) {
		say("cannot start the local slaves: %s", strerror(errno));
		return;
	}
	m->slaves = xcalloc(m->o->slaves, sizeof *m->slaves);
	fflush(NULL);
	for (i = 0; i < m->o->slaves; i++) {
		if ((pid = fork()) == -1) {
			say("cannot start a local slave: %s", strerror(errno));
			break;
		}
		if (pid > 0) {
			m->slaves[m->nslaves++] = pid;
			m->alive++;
			continue;
		}
		/* Hold nothing of the master's, least of all its lock on DIR: only letgo. */
		watch_close(&m->watch);
		if (dup2(letgo[1], 3) == -1 || fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
			_exit(1);
		closefrom(4);
		so.letgo = 3;
		sigprocmask(SIG_SETMASK, &m->oldmask, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master)
			_exit(1);
		if ((r = slave_run(&so, &cause)) == -1)
			say("local slave: %s", cause);
		_exit(r == -1);
	}
	close(letgo[1]);
	m->letgo = letgo[0];
}

uint32_t
locals_reap(struct master *m)
{
	uint32_t	i;

	for (i = 0; i < m->nslaves; i++)
		if (m->slaves[i] != 0 && waitpid(m->slaves[i], NULL, WNOHANG) > 0) {
			m->slaves[i] = 0;
			m->alive--;
		}
	return m->alive;
}

void
locals_stop(struct master *m)
{
	struct pollfd	p = { .fd = m->letgo, .events = POLLIN };
	uint32_t	i;

	if (m->letgo == -1)
		return;
	protocol_stop(m->dirfd);
	for (i = 0; i < m->nslaves; i++)
		if (m->slaves[i] != 0)
			kill(m->slaves[i], SIGTERM);
	/* A slave ends its block's command at once; a built-in operation runs to the end. */
	if (poll(&p, 1, STOP_GRACE * 1000) != 1)
		for (i = 0; i < m->nslaves; i++)
			if (m->slaves[i] != 0) {
				kill(m->slaves[i], SIGKILL);
				waitpid(m->slaves[i], NULL, 0);
				m->slaves[i] = 0;
			}
	close(m->letgo);
	m->letgo = -1;
}

void
locals_end(struct master *m)
{
	uint32_t	i;

	for (i = 0; i < m->nslaves; i++)
		if (m->slaves[i] != 0)
			waitpid(m->slaves[i], NULL, 0);
	m->nslaves = m->alive = 0;
}
