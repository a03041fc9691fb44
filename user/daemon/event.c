// SPDX-License-Identifier: GPL-2.0
/* The daemon's event loop. */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "event.h"

#define EV_BATCH 64 /* events taken per epoll_wait */

int ev_init(struct ev_loop *loop)
{
	*loop = (struct ev_loop){ .epfd = epoll_create1(EPOLL_CLOEXEC) };
	return loop->epfd < 0 ? -errno : 0;
}

void ev_fini(struct ev_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	free(loop->heap);
	loop->heap = NULL;
	loop->epfd = -1;
}

int ev_io_add(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, io->fd, &ev) ? -errno : 0;
}

int ev_io_mod(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) ? -errno : 0;
}

void ev_io_del(struct ev_loop *loop, struct ev_io *io)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

/* heap[i] sits at slot i + 1; the earliest timer is heap[0]. */
static void heap_set(struct ev_loop *loop, size_t i, struct ev_timer *t)
{
	loop->heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];

	while (i > 0 && loop->heap[(i - 1) / 2]->when_ms > t->when_ms) {
		heap_set(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(loop, i, t);
}

static void sift_down(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= loop->n_timers)
			break;
		if (c + 1 < loop->n_timers && loop->heap[c + 1]->when_ms < loop->heap[c]->when_ms)
			c++;
		if (loop->heap[c]->when_ms >= t->when_ms)
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
{
	size_t i;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (i == --loop->n_timers)
		return;
	/* the last timer fills the hole, then moves whichever way it must */
	heap_set(loop, i, loop->heap[loop->n_timers]);
	if (i > 0 && loop->heap[(i - 1) / 2]->when_ms > loop->heap[i]->when_ms)
		sift_up(loop, i);
	else
		sift_down(loop, i);
}

int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ms)
{
	ev_timer_stop(loop, t);
	if (loop->n_timers == loop->cap_timers) {
		size_t cap = loop->cap_timers ? 2 * loop->cap_timers : 64;
		struct ev_timer **heap = realloc(loop->heap, cap * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		loop->heap = heap;
		loop->cap_timers = cap;
	}
	t->when_ms = ev_now_ms() + after_ms;
	heap_set(loop, loop->n_timers, t);
	sift_up(loop, loop->n_timers++);
	return 0;
}

void ev_stop(struct ev_loop *loop)
{
	loop->stop = true;
}

uint64_t ev_run_timers(struct ev_loop *loop)
{
	uint64_t now = ev_now_ms();

	/* a callback may arm or stop others */
	while (loop->n_timers && loop->heap[0]->when_ms <= now && !loop->stop) {
		struct ev_timer *t = loop->heap[0];

		ev_timer_stop(loop, t);
		t->cb(loop, t);
	}
	return now;
}

bool ev_next_timer(const struct ev_loop *loop, uint64_t *when_ms)
{
	if (!loop->n_timers)
		return false;
	*when_ms = loop->heap[0]->when_ms;
	return true;
}

int ev_poll(struct ev_loop *loop, int timeout_ms)
{
	struct epoll_event events[EV_BATCH];
	int n = epoll_wait(loop->epfd, events, EV_BATCH, timeout_ms), i;

	for (i = 0; i < n && !loop->stop; i++) {
		struct ev_io *io = events[i].data.ptr;

		io->cb(loop, io, events[i].events);
	}
	return n < 0 ? -errno : n;
}

void ev_run(struct ev_loop *loop)
{
	while (!loop->stop) {
		uint64_t now = ev_run_timers(loop), when; /* due timers first */
		int timeout = -1;

		if (loop->stop)
			break;
		if (ev_next_timer(loop, &when))
			timeout = when > now ? (int)(when - now) : 0;
		/* -EINTR from a signal: the loop re-checks stop */
		ev_poll(loop, timeout);
	}
}

uint64_t ev_jittered_ms(uint32_t ms)
{
	uint32_t r = 0;

	getrandom(&r, sizeof(r), GRND_NONBLOCK);
	return ms * 4 / 5 + r % (ms * 2 / 5 + 1);
}

void ev_bucket_init(struct ev_bucket *b, uint32_t rate)
{
	b->tokens = rate;
	b->last_ms = ev_now_ms();
}

bool ev_bucket_take(struct ev_bucket *b, uint32_t rate)
{
	uint64_t now = ev_now_ms();

	b->tokens += (double)(now - b->last_ms) * rate / 1000;
	if (b->tokens > rate)
		b->tokens = rate;
	b->last_ms = now;
	if (b->tokens < 1)
		return false;
	b->tokens--;
	return true;
}
