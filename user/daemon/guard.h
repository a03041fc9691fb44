/* SPDX-License-Identifier: GPL-2.0 */
/* The last-known-good guard and healing negatives: what the daemon remembers about names whose
 * answer went from positive to negative (NXDOMAIN, NODATA, an empty answer). The outage this
 * project exists for was a record that went empty by mistake: clients cached the negative and
 * stayed broken after the fix. So a name that turns negative keeps its last good answer (served
 * stale) until the negative is confirmed, by a second upstream or by time; and once accepted, a
 * negative for a name that was positive within the hour is cached only briefly, so the fix is
 * seen within seconds. Kept per name only after such a transition: a small table. */
#ifndef XDPDNS_GUARD_H
#define XDPDNS_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include "control.h" /* XDPDNS_UPSTREAMS_MAX */
#include "dcache.h"

#define GUARD_MEMORY_MS (3600 * 1000ULL) /* "positive within the last hour" */
#define GUARD_RECHECK_FIRST_MS 1000       /* re-checks while guarding: 1 s, doubling... */
#define GUARD_RECHECK_MAX_MS 60000        /* ...up to a minute */
#define GUARD_BUCKETS 1024
#define GUARD_NAMES_MAX 10000

struct guard_name {
	struct guard_name *next;  /* in its bucket */
	struct dcache_key key;
	uint64_t positive_ms;     /* when it last had a positive answer */
	uint64_t since_ms;        /* guarding since; 0: not guarding */
	uint64_t recheck_ms;      /* next re-check while guarding */
	uint32_t backoff_ms;      /* between re-checks, doubling */
	uint32_t negative_from;   /* upstreams that answered negative while guarding, a bit each */
};

struct guard_table {
	struct xdpdns_siphash_key key; /* of the buckets' hash, random per start */
	struct guard_name *buckets[GUARD_BUCKETS];
	unsigned int count;
};

enum guard_verdict {
	GUARD_KEEP_OLD,          /* serve the last good answer */
	GUARD_ACCEPT_CONFIRMED,  /* a second upstream agrees */
	GUARD_ACCEPT_WINDOW,     /* the window is over */
	GUARD_ACCEPT_UNGUARDED,  /* no guard for this name (off, or no room to remember it) */
};

/* An empty table (t zeroed or finished) with a new random hash key. Returns 0 or -errno. */
int guard_init(struct guard_table *t);

struct guard_name *guard_find(struct guard_table *t, const struct dcache_key *k);

/* A negative answer from upstream `server` came for k, which had a positive answer at
 * positive_ms. window_ms 0: the guard is off for it. Returns what to do; starts guarding
 * (verdict GUARD_KEEP_OLD, *started true) on the first negative. */
enum guard_verdict guard_negative(struct guard_table *t, const struct dcache_key *k, int server,
				  uint64_t positive_ms, uint64_t now, uint32_t window_ms,
				  bool *started);

/* A positive answer came for k: it stops guarding and remembers when. Returns true if it was
 * guarding (the name recovered). */
bool guard_positive(struct guard_table *t, const struct dcache_key *k, uint64_t now);

/* Was k positive within the hour (a negative for it heals quickly)? */
bool guard_recently_positive(struct guard_table *t, const struct dcache_key *k, uint64_t now);

/* Calls fn for every name being guarded whose re-check is due, having scheduled its next one
 * (backoff doubling, with jitter, so re-checks of many names do not fall in step). */
typedef void (*guard_due_fn)(struct guard_name *g, void *ctx);
void guard_recheck_due(struct guard_table *t, uint64_t now, guard_due_fn fn, void *ctx);

/* The upstream list changed: old server i is now moved[i] (-1: gone), in negative_from. */
void guard_servers_moved(struct guard_table *t, const int moved[XDPDNS_UPSTREAMS_MAX]);

/* Forgets names not guarded and not positive within the hour. */
void guard_expire(struct guard_table *t, uint64_t now);

void guard_fini(struct guard_table *t);

#endif /* XDPDNS_GUARD_H */
