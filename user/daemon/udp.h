/* SPDX-License-Identifier: GPL-2.0 */
/* The UDP service: datagrams read and answered in batches (recvmmsg, sendmmsg), on as many
 * threads as `threads` says. The thread that owns resolution (the event loop's) has a socket per
 * service address; with threads > 1, every other thread (a worker) has one too, all bound with
 * SO_REUSEPORT so that the kernel spreads the clients over them by their address and port. A
 * worker answers hits from the daemon's cache (its readers' side, dcache.h) and hands every
 * other query (a miss, a stale or failed answer, anything the hot path does not parse) to the
 * resolution thread through a bounded queue and an eventfd; that thread answers it from its own
 * socket for the same address, so the answer comes from the address and port the client asked.
 * Resolution state (one upstream query per question in flight, the waiter cap, generations)
 * stays on one thread, whatever thread a query lands on. Each worker counts in its own struct
 * server_stats, which it publishes after every batch and stats.c sums (udp_stats_sum()). */
#ifndef XDPDNS_UDP_H
#define XDPDNS_UDP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "address.h"
#include "control.h" /* XDPDNS_SERVICES_MAX */
#include "event.h"

#define UDP_THREADS_MAX 64    /* the option's range */
#define UDP_THREADS_AUTO_MAX 8 /* the default's cap: past it the resolution thread is the limit
				* (docs/design.md "Threads") */
#define UDP_HANDOFF_MAX 8192  /* queries waiting for the resolution thread; more are dropped */

struct server;
struct server_stats;
struct udp_batch;
struct udp_worker;
struct udp_handoff;

/* The resolution thread's socket for a service address. */
struct udp_socket {
	struct ev_io io;
	struct server *srv;
	struct udp_batch *batch; /* while a batch read from it is answered: where answers go */
};

/* The UDP service's part of struct server. */
struct server_udp {
	struct udp_socket socks[XDPDNS_SERVICES_MAX];
	int n;
	struct udp_batch *batch;    /* the resolution thread's buffers */
	unsigned int n_threads;     /* answering UDP, this one included */
	struct udp_worker *workers; /* the n_threads - 1 others */
	bool running;               /* the workers' threads are */
	uint16_t edns_udp_size;     /* the options' (read by the workers: atomic) */
	/* queries handed over by the workers, oldest first */
	pthread_mutex_t handoff_lock;
	struct udp_handoff *handoff, *handoff_last;
	unsigned int n_handoff;
	struct ev_io handoff_io;    /* an eventfd the workers write to wake this thread */
};

/* Before any udp_listen(): the resolution thread's buffers, and how many threads answer UDP
 * (1: this one alone). Returns 0 or -errno. */
int udp_init(struct server *s, unsigned int threads);

/* Does the service need its UDP sockets bound with SO_REUSEPORT (threads > 1)? */
bool udp_reuseport(const struct server *s);

/* Serves queries on fd, a bound UDP socket (the server's from then on), and gives each worker a
 * socket bound to the same address and port (SO_REUSEPORT); they read it once udp_start() runs
 * them. Returns 0 or -errno (fd closed). */
int udp_listen(struct server *s, int fd);

/* Runs the workers' threads on their sockets, if there are workers and they are not running:
 * after the daemon dropped its privileges, which a thread started before would keep. Returns
 * 0 or -errno. */
int udp_start(struct server *s);

/* Stops the workers, closes every socket, drops the queries handed over. */
void udp_unlisten(struct server *s);

/* The options changed (edns-udp-size). */
void udp_options_changed(struct server *s);

void udp_fini(struct server *s);

/* Adds every worker's published counters to *sum. */
void udp_stats_sum(const struct server *s, struct server_stats *sum);

#endif /* XDPDNS_UDP_H */
