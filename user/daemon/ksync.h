/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon and the kernel's cache: every answer the kernel can serve is written to its maps
 * (cache_entry.h builds the entry), the kernel's per-entry hit counter tells prefetch and
 * recovery which names are hot, and at start the kernel's entries are copied into the daemon's
 * cache, so that it can serve them stale and refresh them too. */
#ifndef XDPDNS_KSYNC_H
#define XDPDNS_KSYNC_H

#include <stdint.h>
#include <ldns/ldns.h>
#include "dcache.h"

struct server;

/* Writes a (cached for ttl, under key_flags) to the kernel's cache; records in e, when not NULL,
 * where the kernel has it. Counts fills, skips and evictions. */
void ksync_fill(struct server *s, const ldns_pkt *a, uint8_t key_flags, uint32_t ttl,
		struct dcache_entry *e);

/* The kernel's hits on e's entry since it was stored; 0 if it has none. */
uint32_t ksync_hits(struct server *s, const struct dcache_entry *e);

/* Copies every kernel cache entry into the daemon's cache, with its age and TTL, so that the
 * daemon can serve it stale and prefetch it: after a start that adopted a cache, or restored
 * one from a snapshot. Returns 0 or -errno (logged). */
int server_import_kernel(struct server *s);

#endif /* XDPDNS_KSYNC_H */
