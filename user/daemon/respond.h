/* SPDX-License-Identifier: GPL-2.0 */
/* Responses written for a client: a cached answer (aged, or stale), an upstream's answer, an
 * rcode alone, the operator's fallback record, or a refusal of what could not be parsed; over
 * UDP within the client's size and ours (xdpdns_udp_limit()), else truncated. A query parsed by
 * xdpdns_query_parse() (most) gets its response written from the cached wire form, as the
 * kernel writes its own (wire.h), without ldns; the others, and the odd cases, go through ldns.
 * Both give the same response (tests/fuzz/fuzz_query.c checks it). Every response goes out
 * through the client's reply callback (server.h). */
#ifndef XDPDNS_RESPOND_H
#define XDPDNS_RESPOND_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "server.h"
#include "wire.h"

/* A client owed an answer: its query as it asked it (ID, RD, the question's case, EDNS), and its
 * way back. Waiters of one resolution are a list. */
struct waiter {
	struct waiter *next;
	ldns_pkt *query;     /* as ldns parses it: the slow path's; for a fast one, when needed */
	bool fast;           /* parsed by xdpdns_query_parse(): q, over qwire */
	struct xdpdns_query q;
	struct server_client client;
	size_t qlen;
	uint8_t qwire[];     /* fast: the query's bytes */
};

/* A waiter for client c's query wire (len bytes), a copy of c; q is its parse when
 * xdpdns_query_parse() took it (the query is then copied in), else NULL. NULL when out of
 * memory. */
struct waiter *waiter_new(const uint8_t *wire, size_t len, const struct xdpdns_query *q,
			  const struct server_client *c);

/* Frees w, telling its transport the query is done with. */
void waiter_free(struct waiter *w);

/* An upstream's answer, scrubbed and put through the policy, as every waiter of its resolution
 * gets it: parsed, and in wire form with its index when it has one. */
struct respond_answer {
	const ldns_pkt *pkt;
	const uint8_t *wire;
	size_t len;
	bool indexed;
	struct xdpdns_answer_index ix;
};

/* Fills a from pkt (the caller's, kept while a is used): its wire form (a->wire, to free) and
 * index. Returns 0 or -ENOMEM. */
int respond_answer_init(struct respond_answer *a, const ldns_pkt *pkt);

/* Sends w the answer a, as it is (just resolved). */
void respond_answer(struct server *s, const struct waiter *w, const struct respond_answer *a);

/* Sends w an rcode alone (SERVFAIL, REFUSED). */
void respond_rcode(struct server *s, struct waiter *w, ldns_pkt_rcode rcode);

/* Answers w from the cache entry e: the answer aged by age, or stale; SERVFAIL if e holds one. */
void respond_cached(struct server *s, struct waiter *w, const struct dcache_entry *e,
		    uint32_t age, bool stale);

/* w's question can't be resolved now (upstreams down or failing, or no budget): the cached
 * answer e stale if RFC 8767 allows, else the operator's fallback record if allowed (not for a
 * spent budget: that is not an outage), else SERVFAIL. */
void respond_unresolved(struct server *s, struct waiter *w, const struct dcache_entry *e,
			bool fallback_ok);

/* FORMERR, NOTIMP or BADVERS for the query wire of len bytes (at least 12), which ldns could or
 * could not parse (w->query may be NULL); w is freed. */
void respond_error(struct server *s, struct waiter *w, const uint8_t *wire, size_t len,
		   ldns_pkt_rcode rcode, bool badvers);

/* The hot path: writes into out (size bytes) the response to q from the fresh entry e, indexed,
 * aged by age seconds, over TCP or UDP; counts a truncation in st. Returns the length, or
 * -ENOSPC / -EINVAL (not answered). No ldns, no allocation: what every cache hit takes. */
int respond_write_cached(const struct xdpdns_query *q, const struct dcache_entry *e,
			 uint32_t age, uint32_t stale_ttl, uint16_t our_udp_size, bool tcp,
			 uint8_t *out, size_t size, struct server_stats *st);

/* The largest response respond_write_cached() writes. */
#define RESPOND_MAX_LEN (XDPDNS_DNS_HDR_LEN + 255 + 4 + 65535 + XDPDNS_OPT_LEN)

#endif /* XDPDNS_RESPOND_H */
