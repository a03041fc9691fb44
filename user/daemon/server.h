/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's DNS service: the queries the XDP program passes on, over UDP and TCP. Answers
 * from its own cache, or resolves upstream; identical questions in flight wait for the one
 * resolution; every answer the kernel can serve is written to its cache.
 *
 * One struct server holds it; each concern is a file, with its part of the struct:
 *   udp.c, tcp.c   the transports: sockets, connections, their limits. Each hands a query to
 *                  server_query() with a struct server_client, its way back to the client, and
 *                  gets the answer through that client's reply callback: nothing else in the
 *                  service knows of sockets
 *   query.c        a query, from any transport: parsed, answered from the daemon's cache,
 *                  refused (FORMERR...), or handed to resolution.c
 *   respond.c      responses written for a client: a cached answer, an rcode, a fallback record
 *   resolution.c   resolutions in flight and the clients waiting on each (coalescing and its
 *                  cap, generations, budgets, the client response timer), and what an answer
 *                  or a failure becomes
 *   policy.c       the answer policy: how long to cache, stale answers, the guard, healing
 *   refresh.c      prefetch, the guard's re-checks, recovery after an outage
 *   ksync.c        the kernel's cache: fills, hit counts, its entries imported at start
 * control_server.c, metrics.c and stats.c read the server through the counter registry
 * (counters.h) and the accessors below. */
#ifndef XDPDNS_SERVER_H
#define XDPDNS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "bpf_maps.h"
#include "config.h"
#include "dcache.h"
#include "event.h"
#include "fallback.h"
#include "guard.h"
#include "refresh.h"
#include "resolution.h"
#include "tcp.h"
#include "udp.h"
#include "upstream.h"

#define SERVER_DCACHE_ENTRIES 200000

struct server_stats {
	uint64_t queries_udp, queries_tcp;
	uint64_t misses;        /* no fresh answer in the daemon's cache */
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
	uint64_t guard_names;   /* names that turned negative and were guarded */
	uint64_t guard_answers; /* answers with the last good answer instead of a negative */
	uint64_t guard_confirmed, guard_expired, guard_recovered; /* how guards ended */
	uint64_t negative_healing; /* negatives cached briefly: the name was positive lately */
	uint64_t over_budget;   /* queries answered without asking upstream: budget spent */
	uint64_t half_open_queries; /* misses sent upstream while every upstream was down */
	uint64_t recovery_refreshes; /* stale entries refreshed after an outage */
	uint64_t fallback_answers; /* from fallback-file: upstreams failed, nothing cached */
	/* hostile input (scrub.h) */
	uint64_t scrubbed_records; /* upstream records dropped: not the answer to the question */
	uint64_t not_cached;       /* answers passed on, not stored: TC, TTL 0, no SOA, rcode */
	uint64_t outdated_answers; /* not stored: a later query's answer was in already */
	uint64_t waiters_over_cap; /* queries beyond SERVER_WAITERS_MAX on one resolution */
	/* cache-only: client misses sent upstream within cache-only-miss-qps, and those over it,
	 * answered stale or REFUSED */
	uint64_t cache_only_forwarded, cache_only_stale, cache_only_refused;
	/* TCP clients over the limits (docs/security.md "TCP clients") */
	uint64_t tcp_refused;          /* closed at once: tcp-connections-per-source reached, or
					* tcp-connections with none idle to close for it */
	uint64_t tcp_closed_idle;      /* after tcp-idle-timeout, or to make room */
	uint64_t tcp_closed_slow_read; /* a message not whole within tcp-io-timeout */
	uint64_t tcp_closed_unread;    /* reset: answers not taken within tcp-io-timeout, or too
					* many of them */
	uint64_t tcp_accept_failed;    /* accept() out of descriptors or memory: paused */
	/* UDP queries a worker thread could not hand to the resolution thread: its queue full */
	uint64_t udp_handoff_dropped;
};

struct server_client;
struct xdpdns_query;

/* A response for c: wire is valid during the call only. */
typedef void (*server_reply_fn)(const struct server_client *c, const uint8_t *wire, size_t len);

/* Where a query came from and how its answer goes back, filled by the transport that received
 * it (or a test) and kept with the query while it waits for a resolution. */
struct server_client {
	server_reply_fn reply;  /* the response: called once, or never for what gets none */
	/* NULL, or called once when the query is done with, answered or not (a TCP connection
	 * counts the queries it has in flight) */
	void (*release)(const struct server_client *c);
	void *ctx;              /* the transport's: its socket or connection; a test's own */
	bool tcp;               /* no UDP size limit */
	socklen_t addr_len;     /* UDP: the client's address, where the answer goes */
	struct sockaddr_storage addr;
};

struct server {
	struct ev_loop *loop;
	const struct xdpdns_options *opts;
	struct xdpdns_maps *maps; /* the cache's writer: eviction state */
	uint64_t hash_seed;
	struct upstream_set upstreams;
	struct dcache cache;
	struct guard_table guard;
	struct server_stats stats;
	struct resolutions res;  /* resolution.h */
	struct refresh refresh;  /* refresh.h */
	struct server_udp udp;   /* udp.h */
	struct server_tcp tcp;   /* tcp.h */
	/* answers for when every upstream is down and nothing is cached; set by xdpdnsd.c */
	const struct xdpdns_fallback *fallback;
};

int server_init(struct server *s, struct ev_loop *loop, const struct xdpdns_options *o,
		struct xdpdns_maps *maps, uint64_t hash_seed);

/* Listens on addr (IPv4 or IPv6 literal) and o->port, UDP and TCP. Returns 0 or -errno. */
int server_listen(struct server *s, const char *addr);

/* Runs the threads that answer with this one (threads > 1, udp.h) on the listeners: after
 * server_listen(), once the privileges are dropped. Returns 0 or -errno. */
int server_start(struct server *s);

/* Closes the listeners and stops the threads (resolutions in flight go on). */
void server_unlisten(struct server *s);

/* The options changed under s->opts: takes the upstream settings and the new upstream list
 * (resolutions in flight carry on over the new list). */
void server_options_changed(struct server *s);

/* Handles one query from client c, which the server copies: the path every transport takes, and
 * the tests' and fuzzers' way in. Every response goes to c->reply: at once when the answer needs
 * no upstream (a cache hit, an error, SERVFAIL or stale with every upstream down, as on a server
 * without upstreams), else when the resolution ends, so c->ctx must outlive the query or the
 * server. No call at all for what gets no answer (a response, fewer than 12 bytes). */
void server_query(struct server *s, const uint8_t *wire, size_t len,
		  const struct server_client *c);

/* The hot path for a thread other than the one that owns resolution (udp.c's workers): q
 * answered over UDP (our EDNS size udp_size) from a fresh answer of the daemon's cache, read
 * under its bucket's lock (dcache.h), into out (size bytes); counted in st, that thread's own.
 * Returns the length, or < 0 when the query must go to the resolution thread. */
int server_query_hit_shared(struct server *s, const struct xdpdns_query *q, uint16_t udp_size,
			    uint8_t *out, size_t size, struct server_stats *st);

/* The operator's fallback records (fallback-file; the caller's, kept while the server runs), or
 * NULL for none. */
static inline void server_set_fallback(struct server *s, const struct xdpdns_fallback *fb)
{
	s->fallback = fb;
}

/* For the control socket and the metrics page: what they show besides the registry's
 * counters. */
static inline struct upstream_set *server_upstreams(struct server *s)
{
	return &s->upstreams;
}

static inline const struct upstream_set *server_upstreams_const(const struct server *s)
{
	return &s->upstreams;
}

static inline struct xdpdns_maps *server_maps(const struct server *s)
{
	return s->maps;
}

static inline struct ev_loop *server_loop(const struct server *s)
{
	return s->loop;
}

/* Closes everything; resolutions in flight are dropped. */
void server_fini(struct server *s);

#endif /* XDPDNS_SERVER_H */
