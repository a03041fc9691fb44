/* SPDX-License-Identifier: GPL-2.0 */
/* Responses written for a client: a cached answer (aged, or stale), an rcode alone, the operator's
 * fallback record, or a refusal of what could not be parsed; over UDP within the client's size,
 * else truncated. Every response goes out through the client's reply callback (server.h). */
#ifndef XDPDNS_RESPOND_H
#define XDPDNS_RESPOND_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "server.h"

/* A client owed an answer: its query as it asked it (ID, RD, the question's case, EDNS), and its
 * way back. Waiters of one resolution are a list. */
struct waiter {
	struct waiter *next;
	ldns_pkt *query;
	struct server_client client;
};

/* Sends w the answer (a cached copy, aged by age seconds, or with every TTL stale_ttl) or, with
 * answer NULL, just rcode. Header and question as the client asked. */
void respond(struct server *s, const struct waiter *w, const ldns_pkt *answer,
	     ldns_pkt_rcode rcode, uint32_t age, uint32_t stale_ttl);

/* Answers w from the cache entry e: the answer aged by age, or stale; SERVFAIL if e holds one. */
void respond_cached(struct server *s, const struct waiter *w, const struct dcache_entry *e,
		    uint32_t age, bool stale);

/* w's question can't be resolved now (upstreams down or failing, or no budget): the cached
 * answer e stale if RFC 8767 allows, else the operator's fallback record if allowed (not for a
 * spent budget: that is not an outage), else SERVFAIL. */
void respond_unresolved(struct server *s, const struct waiter *w, const struct dcache_entry *e,
			bool fallback_ok);

/* FORMERR, NOTIMP or BADVERS for the query wire of len bytes (at least 12), which ldns could or
 * could not parse (w->query may be NULL). */
void respond_error(struct server *s, struct waiter *w, const uint8_t *wire, size_t len,
		   ldns_pkt_rcode rcode, bool badvers);

/* Frees w, telling its transport the query is done with. */
void waiter_free(struct waiter *w);

#endif /* XDPDNS_RESPOND_H */
