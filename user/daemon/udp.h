/* SPDX-License-Identifier: GPL-2.0 */
/* The UDP service: datagrams read and answered in batches (recvmmsg, sendmmsg), on as many
 * threads as `threads` says. The thread that owns resolution (the event loop's) has a socket per
 * service address; with threads > 1, every other thread has one too, all bound with SO_REUSEPORT
 * so that the kernel spreads the clients over them. Those threads answer hits from the daemon's
 * cache (its readers' side, dcache.h) and hand every other query (a miss, a stale or failed
 * answer, anything the hot path does not parse) to the resolution thread, which answers it from
 * its own socket for the same address: one upstream query per question in flight, the waiter
 * cap and the generations stay where they are, whatever thread a query lands on. */
#ifndef XDPDNS_UDP_H
#define XDPDNS_UDP_H

#include <pthread.h>
#include <stdint.h>
#include "control.h" /* XDPDNS_SERVICES_MAX */
#include "event.h"

#define UDP_THREADS_MAX 64
#define UDP_HANDOFF_MAX 8192 /* queries waiting for the resolution thread; more are dropped */

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
	struct udp_worker *workers; /* the n_threads - 1 others, while there are sockets */
	uint16_t edns_udp_size;     /* the options' (read by the other threads: atomic) */
	/* queries handed over by the other threads, oldest first */
	pthread_mutex_t handoff_lock;
	struct udp_handoff *handoff, *handoff_last;
	unsigned int n_handoff;
	struct ev_io handoff_io;    /* an eventfd the others write to wake this thread */
};

/* Before any udp_listen(): the resolution thread's buffers, and how many threads (1: this one
 * alone). Returns 0 or -errno. */
int udp_init(struct server *s, unsigned int threads);

/* Serves queries on fd, a bound UDP socket for the service address sa (the server's from then
 * on), and, with threads, on a socket of each other thread bound to sa too, which starts them
 * if they are not running. Returns 0 or -errno (fd closed). */
int udp_listen(struct server *s, int fd, const struct xdpdns_sockaddr *sa, const char *addr);

/* Stops the other threads, closes every socket, drops the queries handed over. */
void udp_unlisten(struct server *s);

void udp_fini(struct server *s);

/* The counters of thread i (0 .. n_threads - 2) of the others, for stats.c: each writes its
 * own, with server_count(). */
const struct server_stats *udp_thread_stats(const struct server *s, unsigned int i);

#endif /* XDPDNS_UDP_H */
