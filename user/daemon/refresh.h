/* SPDX-License-Identifier: GPL-2.0 */
/* Keeping what is cached fresh: prefetch (hot answers resolved again before they expire), the
 * guard's re-checks of names it guards, and recovery after an outage of every upstream (the
 * stale entries that were used refreshed hottest first, at recovery-rate, while the kernel
 * serves them stale: not all at once, which is the retry storm that follows an outage). */
#ifndef XDPDNS_REFRESH_H
#define XDPDNS_REFRESH_H

#include <stdbool.h>
#include <stddef.h>
#include "dcache.h"
#include "event.h"

#define PREFETCH_SCAN_MS 500
#define PREFETCH_MIN_MS 1000 /* prefetch window of short TTLs */
/* A scan's pass starts at most so many prefetches and looks at most at so many entries, then
 * another pass comes this soon while more may be due (see on_prefetch_timer) */
#define PREFETCH_STARTS_PER_PASS 8
#define PREFETCH_LOOKS_PER_PASS 64
#define PREFETCH_PACE_MS 1
#define REFRESH_BACKOFF_MAX_MS 60000 /* a failing prefetch retries after 1, 2, 4... s, up to this */
#define UPKEEP_MS 500        /* guard re-checks, forgetting old names, noticing recoveries */
#define RECOVERY_TICK_MS 100 /* refreshes after an outage start in steps this far apart */
#define RECOVERY_MAX 50000   /* stale entries refreshed hot-first; the rest on demand */

struct server;

/* Refresh's part of struct server. */
struct refresh {
	struct ev_timer prefetch_timer;
	uint64_t looked_at;       /* entries prefetch has looked at: what it costs */
	uint32_t prefetch_percent; /* as the entries' times in the index were found */
	struct ev_timer upkeep_timer;
	/* After an outage: stale entries to refresh, hottest first, at recovery-rate; the kernel
	 * serves them stale meanwhile (XDPDNS_HEALTH_RECOVERING). */
	struct dcache_key *recovery;
	size_t recovery_n, recovery_next;
	struct ev_timer recovery_timer;
};

void refresh_init(struct server *s);

/* The options changed: prefetch may have been turned on. */
void refresh_options_changed(struct server *s);

/* e was stored with an answer: prefetch will look at it when its window opens. */
void refresh_stored(struct server *s, struct dcache_entry *e);

/* A refresh of e failed: the next waits, 1 s, 2 s, 4 s... up to REFRESH_BACKOFF_MAX_MS. */
void refresh_failed(struct server *s, struct dcache_entry *e);

/* Is a recovery under way (stale entries queued for their refresh)? */
bool refresh_recovering(const struct server *s);

/* Every upstream was down and one is back (health.h's back_up): the stale entries that were
 * used are refreshed, hottest first, at recovery-rate. ctx is the server. */
void server_recovery_start(void *ctx);

void refresh_fini(struct server *s);

#endif /* XDPDNS_REFRESH_H */
