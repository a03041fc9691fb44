/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's own cache: every answer it resolved (including those too big for a kernel
 * entry), and SERVFAILs for a few seconds. Keyed like the kernel: lowercased wire name, type,
 * DO and CD. Answers are kept in wire form, key and answer in one allocation: most are also
 * kernel entries and are served from there, so the daemon parses one only when it answers
 * with it. Bounded: the oldest entry goes when it is full. Its entries can also be put in an
 * index by the time their owner wants to look at them again (prefetch's, refresh.h), so that
 * nothing has to walk them all to find those due.
 *
 * One thread writes it (the one that owns resolution); others may read answers from it (the
 * UDP threads' hits, udp.c) under the lock of the entry's stripe of buckets, which the writer
 * takes to link or unlink an entry. An entry's answer and key never change once it is linked;
 * its hit count is the only field both sides write (atomically). The writer reads without the
 * lock. */
#ifndef XDPDNS_DCACHE_H
#define XDPDNS_DCACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "siphash.h"
#include "wire.h"
#include "xdpdns_kern_user.h"

struct dcache_key {
	uint16_t len; /* up to 258: a uint8_t wrapped for names of 253 bytes and more */
	uint8_t bytes[XDPDNS_NAME_MAX_LEN + 3]; /* name, type (2), flags (1) */
};

struct dcache_entry {
	struct dcache_entry *next_in_bucket;
	struct dcache_entry *older, *newer; /* insertion order, for eviction */
	uint64_t stored_ms;                 /* CLOCK_MONOTONIC */
	uint32_t ttl_sec;
	uint32_t hits;                      /* answers the daemon gave from it: dcache_hit() */
	struct xdpdns_cache_key kernel_key; /* when in_kernel: where the kernel has it */
	uint8_t kernel_class;
	bool in_kernel;
	bool refreshing;                    /* a prefetch is under way */
	uint8_t refresh_fails;              /* prefetches failed in a row: backoff */
	uint64_t refresh_after_ms;          /* no prefetch before (backoff) */
	uint16_t key_len;
	uint16_t wire_len;                  /* 0: a remembered SERVFAIL */
	/* the answer's index (wire.h), found when it was stored, for answers written without
	 * ldns: where its records start, and how many TTLs it has (their offsets follow the
	 * answer in data); indexed false for an answer the index can't describe */
	uint16_t body_off;
	uint8_t ttl_count;
	bool indexed;
	uint64_t gen;                       /* of the resolution that stored it (dcache_store) */
	uint64_t check_ms;                  /* when it is due in the index (dcache_check_at) */
	size_t check_slot;                  /* its place in the index, +1; 0: not in it */
	size_t bucket;
	/* the key's bytes, the answer's wire form, then (2-byte aligned) its TTLs' offsets */
	uint8_t data[];
};

#define DCACHE_LOCKS 256 /* stripes of buckets, a lock each, for the threads that read */

struct dcache {
	struct xdpdns_siphash_key key; /* of the buckets' hash, random per start */
	pthread_mutex_t locks[DCACHE_LOCKS]; /* bucket b's is b % DCACHE_LOCKS */
	struct dcache_entry **buckets;
	size_t n_buckets, count, max_count;
	struct dcache_entry *oldest, *newest;
	struct dcache_entry **due;           /* the index: a binary heap on check_ms */
	size_t n_due, cap_due;
};

/* An empty cache of at most max_count entries, with a new random hash key. Returns 0 or
 * -errno. */
int dcache_init(struct dcache *c, size_t max_count);
void dcache_fini(struct dcache *c);

void dcache_key(struct dcache_key *k, const ldns_rdf *qname, ldns_rr_type qtype, uint8_t flags);

/* The same from a name in wire form (name_len bytes, any letter case). */
void dcache_key_wire(struct dcache_key *k, const uint8_t *name, size_t name_len, uint16_t qtype,
		     uint8_t flags);

/* A hash of k's bytes under key (SipHash: clients choose the names, and must not be able to
 * make them collide); for every table keyed by dcache keys: the cache, the resolutions in
 * flight, the guard, the fallback records. */
uint64_t dcache_key_hash(const struct xdpdns_siphash_key *key, const struct dcache_key *k);

/* The entry for k, fresh or not (the caller compares ages), or NULL. The writer's. */
struct dcache_entry *dcache_get(struct dcache *c, const struct dcache_key *k);

/* Another thread's dcache_get(): k's bucket, locked with dcache_lock() while its entry is read
 * (and not kept after dcache_unlock()). */
size_t dcache_bucket(const struct dcache *c, const struct dcache_key *k);
struct dcache_entry *dcache_get_bucket(struct dcache *c, const struct dcache_key *k, size_t bucket);

static inline void dcache_lock(struct dcache *c, size_t bucket)
{
	pthread_mutex_lock(&c->locks[bucket % DCACHE_LOCKS]);
}

static inline void dcache_unlock(struct dcache *c, size_t bucket)
{
	pthread_mutex_unlock(&c->locks[bucket % DCACHE_LOCKS]);
}

/* Counts an answer given from e, from any thread. */
static inline void dcache_hit(struct dcache_entry *e)
{
	__atomic_fetch_add(&e->hits, 1, __ATOMIC_RELAXED);
}

/* The answers given from e so far. */
static inline uint32_t dcache_hits(const struct dcache_entry *e)
{
	return __atomic_load_n(&e->hits, __ATOMIC_RELAXED);
}

/* Stores the answer's wire form (len 0: a SERVFAIL) under k, replacing what was there.
 * Returns the new entry, or NULL when out of memory. */
struct dcache_entry *dcache_put(struct dcache *c, const struct dcache_key *k, const uint8_t *wire,
				size_t len, uint64_t now_ms, uint32_t ttl_sec);

/* dcache_put() of the outcome of a resolution of generation gen (a counter the caller bumps
 * for every resolution it starts, so a later query has a larger one): refused with -ESTALE when
 * the entry under k came from a later resolution, so that an answer arriving late never
 * overwrites a newer one. Returns 0 (*out, if not NULL, is the new entry), -ESTALE or -ENOMEM. */
int dcache_store(struct dcache *c, const struct dcache_key *k, const uint8_t *wire, size_t len,
		 uint64_t now_ms, uint32_t ttl_sec, uint64_t gen, struct dcache_entry **out);

/* Puts e in the index, due at when_ms (moves it if it is there). Returns 0 or -ENOMEM. */
int dcache_check_at(struct dcache *c, struct dcache_entry *e, uint64_t when_ms);

/* Takes the entry due earliest out of the index if it is due at now_ms, and returns it; NULL
 * when none is. An entry also leaves the index when it leaves the cache. */
struct dcache_entry *dcache_check_due(struct dcache *c, uint64_t now_ms);

/* Is e fresh at now: within its TTL? */
static inline bool dcache_fresh(const struct dcache_entry *e, uint64_t now_ms)
{
	return now_ms - e->stored_ms < (uint64_t)e->ttl_sec * 1000;
}

/* e's answer in wire form (wire_len bytes). */
static inline const uint8_t *dcache_wire(const struct dcache_entry *e)
{
	return e->data + e->key_len;
}

/* e's answer index, for xdpdns_answer_write(); e must be indexed. */
void dcache_answer_index(const struct dcache_entry *e, struct xdpdns_answer_index *ix);

/* The answer of e, parsed (the caller frees it), or NULL for a SERVFAIL. */
ldns_pkt *dcache_answer(const struct dcache_entry *e);

/* The question a key stands for (*qname to free; NULL when out of memory). */
void dcache_key_question(const struct dcache_key *k, ldns_rdf **qname, ldns_rr_type *qtype,
			 uint8_t *flags);

/* e's key. */
void dcache_entry_key(const struct dcache_entry *e, struct dcache_key *k);

#endif /* XDPDNS_DCACHE_H */
