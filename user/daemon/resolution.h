/* SPDX-License-Identifier: GPL-2.0 */
/* Resolutions in flight, and the clients waiting on each: identical questions share one
 * upstream query (at most SERVER_WAITERS_MAX clients on it, so that a flood of them cannot open
 * more queries for a forger to race), within the budgets (upstream-inflight, cache-only's, the
 * half-open trickle while every upstream is down); a client with a stale answer gets it after
 * stale-answer-timeout (RFC 8767's client response timer). When a resolution ends, its answer
 * is scrubbed, put through the policy (policy.h), given to every waiter, cached under its
 * generation (a later resolution's answer is never replaced by an earlier one's) and filled into
 * the kernel; a failure is remembered briefly (RFC 9520), or a failed refresh backs off. */
#ifndef XDPDNS_RESOLUTION_H
#define XDPDNS_RESOLUTION_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "dcache.h"
#include "event.h"

#define SERVER_PENDING_BUCKETS 4096
#define SERVER_PENDING_MAX 10000   /* resolutions in flight; upstream-inflight is at most this */
/* clients waiting on one resolution: identical questions share one upstream query, and the
 * cap keeps a flood of them (a birthday attack needs many queries in flight) from piling up */
#define SERVER_WAITERS_MAX 64
#define SERVER_HALF_OPEN_QPS 2 /* client misses sent upstream a second while all are down */

struct server;
struct pending;
struct waiter;

/* The resolutions' part of struct server. */
struct resolutions {
	struct pending *pending[SERVER_PENDING_BUCKETS];
	unsigned int n_pending;
	uint64_t next_gen;        /* generations of resolutions (dcache_store) */
	/* cache-only's budget for client misses: a token bucket of cache-only-miss-qps tokens a
	 * second holding at most one second's worth, like upstream-qps's (which still bounds
	 * everything sent upstream, prefetches and refreshes included) */
	struct ev_bucket miss_budget;
	/* while every upstream is marked down: the trickle of misses still sent (half-open) */
	struct ev_bucket half_open;
};

void resolution_init(struct server *s);

/* A client's query (w, taken) for key had no fresh answer in the cache, whose entry for it is e
 * (expired, or NULL): answered stale or refused at once, or made to wait for a resolution, new
 * or in flight. */
void resolution_miss(struct server *s, struct waiter *w, const struct dcache_key *key,
		     const struct dcache_entry *e);

/* Starts resolving (qname, qtype) for key, with no one waiting, through the upstreams in
 * failover order (only -1) or one of them: a prefetch, a refresh, a guard's re-check. Returns
 * false when it can't: too many in flight, no memory, no upstream to ask, no budget. */
bool resolution_start(struct server *s, const struct dcache_key *key, uint8_t key_flags,
		      const ldns_rdf *qname, ldns_rr_type qtype, int only);

/* Is a resolution for key in flight? */
bool resolution_in_flight(struct server *s, const struct dcache_key *key);

/* Drops every resolution in flight, and its waiters. */
void resolution_fini(struct server *s);

#endif /* XDPDNS_RESOLUTION_H */
