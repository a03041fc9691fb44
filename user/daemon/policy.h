/* SPDX-License-Identifier: GPL-2.0 */
/* The answer policy: how long an upstream's answer is cached (TTLs clamped, RFC 2308 for
 * negatives), when an expired one may still be served (RFC 8767), and what a negative answer for
 * a name that was positive becomes: the last-known-good guard (guard.h), or a short negative TTL
 * so that a fixed record is seen within seconds (healing). */
#ifndef XDPDNS_POLICY_H
#define XDPDNS_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "server.h"

/* Clamps the TTLs of a (copied) upstream answer a, as the caches keep it, and returns how long
 * to cache it; 0: not to cache (policy.c says how). */
uint32_t server_cache_ttl(const struct xdpdns_options *o, ldns_pkt *a);

/* May e still be served stale (RFC 8767: at most max-stale past its expiry)? */
bool stale_ok(const struct server *s, const struct dcache_entry *e, uint64_t now);

/* The question an upstream answered, for the policy's decisions and its messages. */
struct policy_question {
	const struct dcache_key *key;
	const ldns_rdf *qname; /* lowercased */
	ldns_rr_type qtype;
	int server;            /* the upstream whose answer it is */
};

/* What an upstream's answer becomes. */
struct policy_outcome {
	ldns_pkt *answer; /* to serve, and to cache when ttl is not 0 */
	uint32_t ttl;     /* how long to cache it; 0: not at all */
	bool guarded;     /* the last good answer, served instead of a negative */
};

/* The policy for answer, a scrubbed copy of an upstream's answer to q (now out's), with old the
 * entry the cache has for it (NULL if none): TTLs clamped, not cached when nocache, and a
 * negative after a positive guarded or healed. Counts what it does. */
void policy_answer(struct server *s, const struct policy_question *q,
		   const struct dcache_entry *old, ldns_pkt *answer, bool nocache,
		   struct policy_outcome *out);

#endif /* XDPDNS_POLICY_H */
