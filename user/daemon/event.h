/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's event loop: epoll for sockets, a binary heap of timers, one thread. */
#ifndef XDPDNS_EVENT_H
#define XDPDNS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "clock.h"

struct ev_loop;

/* The struct holding member, from a pointer to member (an ev_io or ev_timer in callbacks). */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* A callback may stop or free its own io or timer, and arm others; it must not free another
 * io, whose event may be waiting in the same batch. */
struct ev_io {
	int fd;
	void (*cb)(struct ev_loop *loop, struct ev_io *io, uint32_t events);
};

struct ev_timer {
	uint64_t when_ms; /* CLOCK_MONOTONIC */
	size_t slot;      /* in the heap, +1; 0 while not armed */
	void (*cb)(struct ev_loop *loop, struct ev_timer *t);
};

struct ev_loop {
	int epfd;
	struct ev_timer **heap;
	size_t n_timers, cap_timers;
	bool stop;
};

int ev_init(struct ev_loop *loop);
void ev_fini(struct ev_loop *loop);

/* Watches io->fd for events (EPOLLIN, EPOLLOUT); returns 0 or -errno. */
int ev_io_add(struct ev_loop *loop, struct ev_io *io, uint32_t events);
int ev_io_mod(struct ev_loop *loop, struct ev_io *io, uint32_t events);
void ev_io_del(struct ev_loop *loop, struct ev_io *io);

/* Arms t to fire in after_ms (re-arms it if armed). Returns 0 or -ENOMEM. */
int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ms);
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t);

/* Waits up to timeout_ms (-1: for ever) for the ios' events and runs their callbacks, not the
 * timers: one turn of ev_run(), and the in-process tests' way to serve real sockets. Returns how
 * many events, or -errno. */
int ev_poll(struct ev_loop *loop, int timeout_ms);

/* Runs until ev_stop() or a signal handler sets loop->stop. */
void ev_run(struct ev_loop *loop);

/* Runs the timers due at ev_now_ms(), earliest first, and those they arm that are due too:
 * what ev_run() does before each wait, and how the in-process tests move time on
 * (tests/fake_clock.h) without waiting. Returns the time it took as now. */
uint64_t ev_run_timers(struct ev_loop *loop);

/* When the earliest timer is due; false when none is armed. */
bool ev_next_timer(const struct ev_loop *loop, uint64_t *when_ms);
void ev_stop(struct ev_loop *loop);

/* ms +- 20%: timers of many upstreams, names and caches do not fall in step. */
uint64_t ev_jittered_ms(uint32_t ms);

/* A token bucket on ev_now_ms(): rate tokens a second, holding at most one second's worth. */
struct ev_bucket {
	double tokens;
	uint64_t last_ms; /* when tokens was last topped up */
};

/* Full, as of now. */
void ev_bucket_init(struct ev_bucket *b, uint32_t rate);

/* Takes a token, if there is one (rate 0: never). */
bool ev_bucket_take(struct ev_bucket *b, uint32_t rate);

#endif /* XDPDNS_EVENT_H */
