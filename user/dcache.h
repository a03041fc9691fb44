/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's own cache: every answer it resolved (including those too big for a kernel
 * entry), and SERVFAILs for a few seconds. Keyed like the kernel: lowercased wire name,
 * type, DO and CD. Bounded: the oldest entry goes when it is full. */
#ifndef XDPDNS_DCACHE_H
#define XDPDNS_DCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "xdpdns_kern_user.h"

struct dcache_key {
	uint8_t len;
	uint8_t bytes[XDPDNS_NAME_MAX_LEN + 3]; /* name, type (2), flags (1) */
};

struct dcache_entry {
	struct dcache_key key;
	ldns_pkt *answer;   /* ID 0, no EDNS; NULL for a remembered SERVFAIL */
	uint64_t stored_ms; /* CLOCK_MONOTONIC */
	uint32_t ttl_sec;
	uint32_t hits;      /* answers the daemon gave from it */
	bool in_kernel;     /* also a kernel entry, under kernel_key in class kernel_class */
	bool refreshing;    /* a prefetch is under way */
	struct xdpdns_cache_key kernel_key;
	enum xdpdns_cache_class kernel_class;
	struct dcache_entry *next_in_bucket;
	struct dcache_entry *older, *newer; /* insertion order, for eviction */
};

struct dcache {
	struct dcache_entry **buckets;
	size_t n_buckets, count, max_count;
	struct dcache_entry *oldest, *newest;
};

int dcache_init(struct dcache *c, size_t max_count);
void dcache_fini(struct dcache *c);

void dcache_key(struct dcache_key *k, const ldns_rdf *qname, ldns_rr_type qtype, uint8_t flags);

/* The entry for k, fresh or not (the caller compares ages), or NULL. */
struct dcache_entry *dcache_get(struct dcache *c, const struct dcache_key *k);

/* Stores answer (taking it; NULL: a SERVFAIL) under k, replacing what was there. Returns the
 * new entry, or NULL when out of memory (answer freed). */
struct dcache_entry *dcache_put(struct dcache *c, const struct dcache_key *k, ldns_pkt *answer,
				uint64_t now_ms, uint32_t ttl_sec);

#endif /* XDPDNS_DCACHE_H */
