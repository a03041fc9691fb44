/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's DNS service: the queries the XDP program passes on, over UDP and TCP. Answers
 * from its own cache, or resolves upstream; identical questions in flight wait for the one
 * resolution; every answer the kernel can serve is written to its cache. */
#ifndef XDPDNS_SERVER_H
#define XDPDNS_SERVER_H

#include <stdint.h>
#include "bpf_maps.h"
#include "config.h"
#include "dcache.h"
#include "event.h"
#include "upstream.h"

#define SERVER_LISTENERS_MAX (2 * XDPDNS_SERVICES_MAX) /* UDP and TCP per address */
#define SERVER_PENDING_BUCKETS 4096
#define SERVER_PENDING_MAX 10000   /* resolutions in flight */
#define SERVER_WAITERS_MAX 256     /* clients waiting on one resolution */
#define SERVER_TCP_CONNS_MAX 256
#define SERVER_TCP_IDLE_MS 10000   /* RFC 7766 6.2.3: a few seconds to tens of seconds */
#define SERVER_DCACHE_ENTRIES 200000
#define PREFETCH_SCAN_MS 500
#define PREFETCH_MIN_MS 1000 /* prefetch window of short TTLs */

struct server_stats {
	uint64_t queries_udp, queries_tcp;
	uint64_t from_dcache;   /* answered from the daemon's cache */
	uint64_t resolved;      /* resolutions finished with an answer */
	uint64_t coalesced;     /* queries that waited on another's resolution */
	uint64_t servfail;      /* SERVFAIL sent */
	uint64_t stale_answers; /* RFC 8767: upstreams down or too slow */
	uint64_t malformed;     /* FORMERR, NOTIMP, BADVERS sent */
	uint64_t kernel_fills, kernel_fill_skipped;
	uint64_t kernel_evictions; /* entries evicted to make room (LRU of a sample) */
	uint64_t prefetches;
	uint64_t truncated;     /* UDP answers sent with TC=1 */
};

struct listener {
	struct ev_io io;
	struct server *srv;
	int tcp;
};

struct pending;
struct tcp_conn;

struct server {
	struct ev_loop *loop;
	const struct xdpdns_options *opts;
	struct xdpdns_maps *maps; /* the cache's writer: eviction state */
	uint64_t hash_seed;
	struct upstream_set upstreams;
	struct dcache cache;
	struct listener listeners[SERVER_LISTENERS_MAX];
	int n_listeners;
	struct pending *pending[SERVER_PENDING_BUCKETS];
	unsigned int n_pending, n_tcp;
	struct tcp_conn *tcp_conns;
	struct ev_timer prefetch_timer;
	struct server_stats stats;
};

int server_init(struct server *s, struct ev_loop *loop, const struct xdpdns_options *o,
		struct xdpdns_maps *maps, uint64_t hash_seed);

/* Listens on addr (IPv4 or IPv6 literal) and o->port, UDP and TCP. Returns 0 or -errno. */
int server_listen(struct server *s, const char *addr);

/* Closes the listeners (resolutions in flight go on). */
void server_unlisten(struct server *s);

/* The options changed under s->opts: takes the upstream settings and the new upstream list
 * (resolutions in flight carry on over the new list). */
void server_options_changed(struct server *s);

/* Closes everything; resolutions in flight are dropped. */
void server_fini(struct server *s);

#endif /* XDPDNS_SERVER_H */
