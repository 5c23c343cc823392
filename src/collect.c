/* collect.c — see collect.h. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "secret.h"
#include "util.h"

enum task_kind { TASK_TODO, TASK_RETIRE, TASK_LOOK };

/* A request, and once done, for a look, its answer. */
struct task {
	struct task	*next;
	enum task_kind	 kind;
	uint32_t	 n;
	char		 v;
	int		 what;		/* TASK_RETIRE: RETIRE_TODO, RETIRE_BLOCK */
	uint32_t	 claimed;	/* TASK_LOOK */
	char		*sign;		/* TASK_TODO */
	int		 error;		/* TASK_TODO: errno, or 0 */
	struct look	 look;
};

/* A thread, or the caller's when there are none, with the rows it signs. */
struct worker {
	struct collect	*c;
	pthread_t	 thread;
	void		*buf;
	size_t		 size;
};

struct collect {
	int			 dirfd;
	const struct job	*job;
	const unsigned char	*key;
	int			 readfd;
	int			 levelsfd;
	unsigned		 threads;
	struct worker		*workers;
	struct worker		 own;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;	/* a request is queued, or stop */
	pthread_cond_t		 done;	/* a request is done */
	struct task		*queue, **queue_end;
	struct task		*looks, **looks_end;	/* finished, not yet returned */
	unsigned		 pending;	/* asked and not done */
	unsigned		 out;		/* looks asked and not yet returned */
	int			 error;		/* of the first failed todo file, or 0 */
	int			 stop;
};

/* Append t to the list whose end pointer is *end. */
static void
append(struct task ***end, struct task *t)
{
	t->next = NULL;
	**end = t;
	*end = &t->next;
}

/* Take the first task of a list, or NULL. */
static struct task *
pop(struct task **head, struct task ***end)
{
	struct task	*t = *head;

	if (t != NULL && (*head = t->next) == NULL)
		*end = head;
	return t;
}

void
collect_take(struct collect *c, uint32_t n, char v, struct look *l)
{
	struct result	h;

	l->v = v;
	l->why = NULL;
	l->rows = NULL;
	l->bytes = 0;
	l->fd = protocol_open_result(c->dirfd, c->job, n, v, &h, &l->why);
	/* A bad result's header is not to be trusted: the claim's signature says who. */
	if (l->fd == -1)
		protocol_claimant(c->dirfd, n, v, l->who);
	else {
		memcpy(l->who, h.who, sizeof l->who);
		l->bytes = h.bytes;
	}
}

/* Take the result as collect_take() does, and read its payload if it is small. */
static void
take_rows(struct collect *c, uint32_t n, char v, struct look *l)
{
	collect_take(c, n, v, l);
	if (l->fd == -1 || l->bytes > COLLECT_ROWS_MAX)
		return;
	l->rows = xmalloc(l->bytes);
	if (protocol_read_result(l->fd, c->key, l->rows, l->bytes, &l->why) == -1) {
		free(l->rows);
		l->rows = NULL;
	}
	close(l->fd);
	l->fd = -1;
}

/* Look into a block's claimed versions; take the lowest done one's result. */
static void
look(struct collect *c, struct task *t)
{
	struct look	*l = &t->look;
	char		 v;

	l->n = t->n;
	l->s.claimed = t->claimed;
	protocol_look_inside(c->dirfd, t->n, &l->s);
	for (v = PROTOCOL_FIRST; v <= PROTOCOL_LAST; v++)
		if (l->s.done & BLOCK_BIT(v)) {
			take_rows(c, t->n, v, l);
			return;
		}
}

/* Sign block n's input rows into sign (see secret.h): 0, or -1 with errno. */
static int
sign_rows(struct worker *w, uint32_t n, char *sign)
{
	struct collect	*c = w->c;
	uint64_t	 off;
	size_t		 len;

	job_block_span(c->job, n, &off, &len);
	reserve(&w->buf, &w->size, len);
	if (pread_all(job_block_level(c->job, n) > 0 ? c->levelsfd : c->readfd, w->buf,
	    len, (off_t)off) == -1)
		return -1;
	secret_rows(c->key, c->job->id, n, w->buf, len, sign);
	return 0;
}

static void
run(struct worker *w, struct task *t)
{
	struct collect	*c = w->c;

	switch (t->kind) {
	case TASK_TODO:
		if ((t->sign != NULL && t->sign[0] == '\0' &&
		    (c->readfd != -1 || job_block_level(c->job, t->n) > 0) &&
		    sign_rows(w, t->n, t->sign) == -1) ||
		    protocol_todo_add(c->dirfd, t->n, t->v,
		    t->sign != NULL ? t->sign : "") == -1)
			t->error = errno;
		break;
	case TASK_RETIRE:
		if (t->what & RETIRE_TODO)
			protocol_todo_remove(c->dirfd, t->n, t->v);
		if (t->what & RETIRE_BLOCK)
			protocol_retire(c->dirfd, t->n, t->v);
		break;
	case TASK_LOOK:
		look(c, t);
		break;
	}
}

/* Account for a done task, under the lock: a look waits to be returned. */
static void
finish(struct collect *c, struct task *t)
{
	if (t->error != 0 && c->error == 0)
		c->error = t->error;
	if (t->kind == TASK_LOOK)
		append(&c->looks_end, t);
	else
		free(t);
	c->pending--;
	pthread_cond_broadcast(&c->done);
}

static void *
work(void *arg)
{
	struct worker	*w = arg;
	struct collect	*c = w->c;
	struct task	*t;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (c->queue == NULL && !c->stop)
			pthread_cond_wait(&c->work, &c->lock);
		if ((t = pop(&c->queue, &c->queue_end)) == NULL)
			break;
		pthread_mutex_unlock(&c->lock);
		run(w, t);
		pthread_mutex_lock(&c->lock);
		finish(c, t);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Hand a request to the threads, or do it now when there are none. */
static void
ask(struct collect *c, struct task *t)
{
	t->look.fd = -1;
	pthread_mutex_lock(&c->lock);
	c->pending++;
	c->out += t->kind == TASK_LOOK;
	if (c->threads > 0) {
		append(&c->queue_end, t);
		pthread_cond_signal(&c->work);
	} else {
		pthread_mutex_unlock(&c->lock);
		run(&c->own, t);
		pthread_mutex_lock(&c->lock);
		finish(c, t);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Stop and join the first `started` threads. */
static void
stop(struct collect *c, unsigned started)
{
	unsigned	i;

	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < started; i++)
		pthread_join(c->workers[i].thread, NULL);
}

/* Free a collector whose threads are stopped. */
static void
free_collect(struct collect *c)
{
	struct task	*t;
	unsigned	 i;

	while ((t = pop(&c->looks, &c->looks_end)) != NULL) {
		collect_drop(&t->look);
		free(t);
	}
	for (i = 0; i < c->threads; i++)
		free(c->workers[i].buf);
	free(c->own.buf);
	free(c->workers);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct collect *
collect_start(int dirfd, const struct job *job, const unsigned char *key, int readfd,
    int levelsfd, unsigned threads)
{
	struct collect	*c = xcalloc(1, sizeof *c);
	unsigned	 i;
	int		 e;

	c->dirfd = dirfd;
	c->job = job;
	c->key = key;
	c->readfd = readfd;
	c->levelsfd = levelsfd;
	c->threads = threads;
	c->own.c = c;
	c->queue_end = &c->queue;
	c->looks_end = &c->looks;
	c->workers = xcalloc(threads > 0 ? threads : 1, sizeof *c->workers);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->done, NULL);
	for (i = 0; i < threads; i++) {
		c->workers[i].c = c;
		if ((e = pthread_create(&c->workers[i].thread, NULL, work,
		    &c->workers[i])) != 0) {
			stop(c, i);
			free_collect(c);
			errno = e;
			return NULL;
		}
	}
	return c;
}

void
collect_end(struct collect *c)
{
	if (c == NULL)
		return;
	stop(c, c->threads);
	free_collect(c);
}

/* A fresh request. */
static struct task *
task(enum task_kind kind, uint32_t n, char v)
{
	struct task	*t = xcalloc(1, sizeof *t);

	t->kind = kind;
	t->n = n;
	t->v = v;
	return t;
}

void
collect_todo(struct collect *c, uint32_t n, char v, char *sign)
{
	struct task	*t = task(TASK_TODO, n, v);

	t->sign = sign;
	ask(c, t);
}

void
collect_retire(struct collect *c, uint32_t n, char v, int what)
{
	struct task	*t = task(TASK_RETIRE, n, v);

	t->what = what;
	ask(c, t);
}

int
collect_wait(struct collect *c)
{
	int	error;

	pthread_mutex_lock(&c->lock);
	while (c->pending > 0)
		pthread_cond_wait(&c->done, &c->lock);
	error = c->error;
	c->error = 0;
	pthread_mutex_unlock(&c->lock);
	errno = error;
	return error != 0 ? -1 : 0;
}

void
collect_look(struct collect *c, uint32_t n, uint32_t claimed)
{
	struct task	*t = task(TASK_LOOK, n, 0);

	t->claimed = claimed;
	ask(c, t);
}

int
collect_next(struct collect *c, int drain, struct look *l)
{
	unsigned	 most = c->threads > 0 ? c->threads * COLLECT_AHEAD : 1;
	struct task	*t;

	pthread_mutex_lock(&c->lock);
	while (c->looks == NULL && c->out > 0 && (drain || c->out >= most))
		pthread_cond_wait(&c->done, &c->lock);
	if ((t = pop(&c->looks, &c->looks_end)) != NULL)
		c->out--;
	pthread_mutex_unlock(&c->lock);
	if (t == NULL)
		return 0;
	*l = t->look;
	free(t);
	return 1;
}

void
collect_drop(struct look *l)
{
	free(l->why);
	free(l->rows);
	if (l->fd != -1)
		close(l->fd);
	l->why = NULL;
	l->rows = NULL;
	l->fd = -1;
	l->v = 0;
	l->who[0] = '\0';
}
