/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace access to the XDP program's maps: cache entries, config, services, health, stats. */
#ifndef XDPDNS_BPF_MAPS_H
#define XDPDNS_BPF_MAPS_H

#include <stdbool.h>
#include <stdint.h>
#include "xdpdns_kern_user.h"
#include "cache_entry.h"

/* When a class's map is full, xdpdns_cache_put() looks at XDPDNS_EVICT_SAMPLE of its entries,
 * going on from where the last look stopped, and deletes the XDPDNS_EVICT_BATCH least recently
 * used of them: approximate LRU for bounded work (one look makes room for a batch of inserts).
 * Maps are walked in hash order, so a look is a fair sample. */
#define XDPDNS_EVICT_SAMPLE 128
#define XDPDNS_EVICT_BATCH  8

/* File descriptors of the program's maps, however they were obtained (skeleton or pins), and
 * the state of the one writer that fills the cache. */
struct xdpdns_maps {
	int cache[XDPDNS_CLASS_COUNT];
	int services;
	int config;
	int health;
	int stats;
	int ifaces;
	int attach;
	int hot;   /* -1 when the pins are of a daemon from before it (xdpdnsctl needs none) */
	/* eviction: a key where each class's next look starts, if set; entries evicted */
	struct xdpdns_cache_key evict_from[XDPDNS_CLASS_COUNT];
	bool evict_from_set[XDPDNS_CLASS_COUNT];
	uint64_t evicted;
};

struct bpf_object;

/* Sets every fd to -1 and clears the eviction state. */
void xdpdns_maps_reset(struct xdpdns_maps *m);

/* Finds the maps of a loaded xdpdns object (the program's or the benchmark's) by name; the
 * object keeps owning the fds. Returns 0 or -ENOENT. */
int xdpdns_maps_find(struct bpf_object *obj, struct xdpdns_maps *m);

/* Opens the maps pinned in dir (see loader.h), fds to be closed with xdpdns_maps_close().
 * Returns 0 or -errno (-ENOENT: no such pins). */
int xdpdns_maps_open_pinned(const char *dir, struct xdpdns_maps *m);
void xdpdns_maps_close(struct xdpdns_maps *m);

/* Stores b in its class's map and removes the key from the others, so a lookup finds one
 * entry. A full map makes room by evicting least recently used entries (m->evicted counts
 * them). Returns 0 or -errno. */
int xdpdns_cache_put(struct xdpdns_maps *m, const struct xdpdns_entry_buf *b);

/* Entries in the three cache maps. Returns 0 or -errno. */
int xdpdns_cache_count(const struct xdpdns_maps *m, uint64_t *count);
/* ...per class: counts[XDPDNS_CLASS_COUNT]. */
int xdpdns_cache_count_classes(const struct xdpdns_maps *m, uint64_t *counts);

/* Removes the key from every class. Returns 0 or -ENOENT. */
int xdpdns_cache_delete(const struct xdpdns_maps *m, const struct xdpdns_cache_key *key);

/* The entry for key, from whichever class holds it. Returns 0 or -ENOENT. */
int xdpdns_cache_lookup(const struct xdpdns_maps *m, const struct xdpdns_cache_key *key,
			struct xdpdns_entry_buf *out);

/* What xdpdns_cache_for_each() calls per entry, with a copy of its value (the class's value
 * size, 8-byte aligned). Returns 0 to go on, 1 to delete the entry, or -errno to stop. */
typedef int (*xdpdns_entry_fn)(const struct xdpdns_cache_key *key,
			       const struct xdpdns_cache_entry *e, enum xdpdns_cache_class cls,
			       void *arg);

/* Calls fn for every entry of every class, smallest class first. Entries added meanwhile may
 * or may not be seen; none is seen twice unless re-added. Returns 0, fn's error or -errno;
 * *deleted (may be NULL) counts the entries fn had deleted. */
int xdpdns_cache_for_each(const struct xdpdns_maps *m, xdpdns_entry_fn fn, void *arg,
			  int *deleted);

/* Defaults of xdpdns_kern_user.h with a fresh random hash seed. */
int xdpdns_config_init(struct xdpdns_config *cfg);
int xdpdns_config_read(const struct xdpdns_maps *m, struct xdpdns_config *cfg);
int xdpdns_config_write(const struct xdpdns_maps *m, const struct xdpdns_config *cfg);

int xdpdns_health_write(const struct xdpdns_maps *m, uint32_t flags);
/* Sets and clears XDPDNS_HEALTH_* bits, leaving the others. Returns 0 or -errno. */
int xdpdns_health_update(const struct xdpdns_maps *m, uint32_t set, uint32_t clear);

/* Makes the list exactly addrs[0..n) on port, written in place: an address that stays is
 * never missing from it, so a restarting daemon leaves no moment when the kernel passes its
 * queries to a stack with nobody listening. Returns 0 or -errno: -EINVAL for an address (an
 * IPv4 or IPv6 literal) that does not parse or port 0, -ENOSPC for more than
 * XDPDNS_SERVICES_MAX. */
int xdpdns_services_set(const struct xdpdns_maps *m, const char *const *addrs, int n,
			uint16_t port);

/* Sums the per-CPU counters of a PERCPU_ARRAY of n u64 values into counts[n]. Returns 0 or
 * -errno. */
int xdpdns_percpu_sum(int fd, uint32_t n, uint64_t *counts);

/* Sums the per-CPU counters over every attach point: counts[XDPDNS_REASON_COUNT]. */
int xdpdns_stats_read(const struct xdpdns_maps *m, uint64_t *counts);

/* ...per attach point: counts[XDPDNS_ATTACH_MAX][XDPDNS_REASON_COUNT] (slot 0: interfaces not
 * listed). */
int xdpdns_stats_read_slots(const struct xdpdns_maps *m,
			    uint64_t (*counts)[XDPDNS_REASON_COUNT]);

/* Packets of one attach point's row by the action of their reason (XDP_TX: answered, XDP_PASS,
 * XDP_DROP), RATELIMIT_PASSED left out (not a verdict). */
uint64_t xdpdns_stats_action_sum(const uint64_t *row, int action);

/* Slot names (struct xdpdns_attach) for xdpdnsctl and the metrics. Returns 0 or -errno. */
int xdpdns_attach_read(const struct xdpdns_maps *m, struct xdpdns_attach *slots);
int xdpdns_attach_write(const struct xdpdns_maps *m, uint32_t slot, const struct xdpdns_attach *a);

/* The interface ifindex serves attach point slot (xdpdns_ifaces), or (delete) no longer; its
 * hint in xdpdns_hot follows, when it is free or this interface's (and a deleted interface's
 * hint goes to another listed one with the same hint, if any). Returns 0 or -errno. */
int xdpdns_iface_set(const struct xdpdns_maps *m, uint32_t ifindex, const struct xdpdns_iface *v);
int xdpdns_iface_delete(const struct xdpdns_maps *m, uint32_t ifindex);

/* Writes CLOCK_BOOTTIME - CLOCK_MONOTONIC to xdpdns_hot when it has changed (a resume from
 * suspend) by more than a millisecond. Returns 0 or -errno. */
int xdpdns_hot_clock_write(const struct xdpdns_maps *m);

/* Name of a hook, as in options and stats: "xdp", "xdp-skb", "tc", "tc-egress"; "" for none. */
const char *xdpdns_hook_name(unsigned int hook);

/* Name of a counter, as in xdpdnsctl stats: "hit_fresh", "pass_expired"... */
const char *xdpdns_reason_name(unsigned int reason);

#endif /* XDPDNS_BPF_MAPS_H */
