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
#include "guard.h"
#include "fallback.h"
#include "upstream.h"

#define SERVER_LISTENERS_MAX (2 * XDPDNS_SERVICES_MAX) /* UDP and TCP per address */
#define SERVER_PENDING_BUCKETS 4096
#define SERVER_PENDING_MAX 10000   /* resolutions in flight; upstream-inflight is at most this */
/* clients waiting on one resolution: identical questions share one upstream query, and the
 * cap keeps a flood of them (a birthday attack needs many queries in flight) from piling up */
#define SERVER_WAITERS_MAX 64
#define SERVER_TCP_SOURCE_BUCKETS 1024 /* open TCP connections by source, for their limit */
#define SERVER_DCACHE_ENTRIES 200000
#define PREFETCH_SCAN_MS 500
#define PREFETCH_MIN_MS 1000 /* prefetch window of short TTLs */
#define REFRESH_BACKOFF_MAX_MS 60000 /* a failing prefetch retries after 1, 2, 4... s, up to this */
#define UPKEEP_MS 500        /* guard re-checks, forgetting old names, noticing recoveries */
#define RECOVERY_TICK_MS 100 /* refreshes after an outage start in steps this far apart */
#define RECOVERY_MAX 50000   /* stale entries refreshed hot-first; the rest on demand */
#define SERVER_HALF_OPEN_QPS 2 /* client misses sent upstream a second while all are down */

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
};

struct listener {
	struct ev_io io;
	struct server *srv;
	int tcp;
};

struct pending;
struct tcp_conn;

/* The TCP service's connections (server.c's TCP section). */
struct server_tcp {
	struct tcp_conn *open, *open_tail; /* the most recently active first */
	unsigned int n_open;
	struct tcp_conn *closed; /* still owed answers by resolutions, or about to be freed */
	struct tcp_conn *sources[SERVER_TCP_SOURCE_BUCKETS]; /* open ones, by source */
	struct ev_timer accept_timer; /* accepting again, after accept() failed */
};

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
	unsigned int n_pending;
	struct server_tcp tcp;
	struct ev_timer prefetch_timer;
	struct ev_timer upkeep_timer;
	struct guard_table guard;
	/* After an outage: stale entries to refresh, hottest first, at recovery-rate; the kernel
	 * serves them stale meanwhile (XDPDNS_HEALTH_RECOVERING). */
	struct dcache_key *recovery;
	size_t recovery_n, recovery_next;
	struct ev_timer recovery_timer;
	uint64_t next_gen;        /* generations of resolutions (dcache_store) */
	struct server_stats stats;
	/* cache-only's budget for client misses: a token bucket of cache-only-miss-qps tokens a
	 * second holding at most one second's worth, like upstream-qps's (which still bounds
	 * everything sent upstream, prefetches and refreshes included) */
	struct ev_bucket miss_budget;
	/* while every upstream is marked down: the trickle of misses still sent (half_open) */
	struct ev_bucket half_open;
	/* answers for when every upstream is down and nothing is cached; set by xdpdnsd.c */
	const struct xdpdns_fallback *fallback;
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

/* Copies every kernel cache entry into the daemon's cache, with its age and TTL, so that the
 * daemon can serve it stale and prefetch it: after a start that adopted a cache, or restored
 * one from a snapshot. Returns 0 or -errno (logged). */
int server_import_kernel(struct server *s);

/* Every upstream was down and one is back (health.h's back_up): the stale entries that were
 * used are refreshed, hottest first, at recovery-rate. ctx is the server. */
void server_recovery_start(void *ctx);

/* Clamps the TTLs of a (copied) upstream answer a, as the caches keep it, and returns how long
 * to cache it; 0: not to cache (server.c says how). */
uint32_t server_cache_ttl(const struct xdpdns_options *o, ldns_pkt *a);

/* Where server_query() delivers a response: wire is the response's, valid during the call. */
typedef void (*server_reply_fn)(void *ctx, const uint8_t *wire, size_t len);

/* Handles one query as if it came over UDP (tcp false: the answer is truncated to the client's
 * UDP size) or TCP, without a socket: the path both listeners take. Every response goes to
 * reply(ctx, ...): at once when the answer needs no upstream (a cache hit, an error, SERVFAIL or
 * stale with every upstream down, as on a server without upstreams), else when the resolution
 * ends, so ctx must outlive the query or the server. No call at all for what gets no answer (a
 * response, fewer than 12 bytes). For tests and fuzzing (tests/fuzz/). */
void server_query(struct server *s, const uint8_t *wire, size_t len, bool tcp,
		  server_reply_fn reply, void *ctx);

/* Closes everything; resolutions in flight are dropped. */
void server_fini(struct server *s);

#endif /* XDPDNS_SERVER_H */
