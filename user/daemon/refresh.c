// SPDX-License-Identifier: GPL-2.0
/* Keeping what is cached fresh. */
#include <stdlib.h>
#include <string.h>
#include "ksync.h"
#include "log.h"
#include "policy.h"
#include "server.h"

/* Prefetch: an answer in the last prefetch-percent of its TTL (at least PREFETCH_MIN_MS, so that
 * short TTLs get their turn) that was hit since it was stored is resolved again before it
 * expires, so a hot name never misses. Hotness comes from the kernel entry's hit counter (bumped
 * by every kernel answer, and new with every refresh) and from the daemon's own answers; no
 * event stream from the kernel is needed.
 *
 * An entry is looked at only when it is due, in the cache's index by time (dcache_check_at):
 * first when its window opens, then, while nobody has asked for it, when half of what is left
 * has gone (a name first asked late in its window still gets its turn, in a few looks), or at
 * the end of a failed refresh's backoff. The scan every PREFETCH_SCAN_MS takes what is due: the
 * cost follows the entries in their window, not the size of the cache. */
static uint64_t prefetch_window_ms(const struct server *s, const struct dcache_entry *e)
{
	uint64_t window = (uint64_t)e->ttl_sec * 1000 * s->opts->prefetch_percent / 100;

	return window < PREFETCH_MIN_MS ? PREFETCH_MIN_MS : window;
}

void refresh_stored(struct server *s, struct dcache_entry *e)
{
	uint64_t expiry = e->stored_ms + (uint64_t)e->ttl_sec * 1000;
	uint64_t window = prefetch_window_ms(s, e);

	if (!e->wire_len || !s->opts->prefetch_percent)
		return;
	/* out of memory: this entry is not prefetched, which costs one miss */
	dcache_check_at(&s->cache, e, expiry - e->stored_ms > window ? expiry - window :
								       e->stored_ms);
}

/* Looks at e, due: prefetches it if it is hot, else puts it back for when to look again.
 * Returns whether it started a prefetch. */
static bool prefetch_look(struct server *s, struct dcache_entry *e, uint64_t now)
{
	uint64_t ttl_ms = (uint64_t)e->ttl_sec * 1000, age = now - e->stored_ms, left, window;
	struct dcache_key key;
	ldns_rr_type qtype;
	ldns_rdf *qname;
	uint8_t flags;
	bool started;

	s->refresh.looked_at++;
	/* refreshing: its outcome puts it back, a failure at the end of its backoff; expired:
	 * recovery's, or a client's */
	if (!e->wire_len || e->refreshing || age >= ttl_ms)
		return false;
	if (now < e->refresh_after_ms) {
		dcache_check_at(&s->cache, e, e->refresh_after_ms);
		return false;
	}
	left = ttl_ms - age;
	window = prefetch_window_ms(s, e);
	if (left > window) { /* prefetch-percent changed */
		dcache_check_at(&s->cache, e, now + left - window);
		return false;
	}
	if (!dcache_hits(e) && !ksync_hits(s, e)) {
		if (left > PREFETCH_SCAN_MS)
			dcache_check_at(&s->cache, e,
					now + (left / 2 > PREFETCH_SCAN_MS ? left / 2 : PREFETCH_SCAN_MS));
		return false;
	}
	dcache_entry_key(e, &key);
	started = false;
	if (!resolution_in_flight(s, &key)) {
		dcache_key_question(&key, &qname, &qtype, &flags);
		started = qname && resolution_start(s, &key, flags, qname, qtype, -1);
		ldns_rdf_deep_free(qname);
	}
	if (started) {
		e->refreshing = true;
		s->stats.prefetches++;
	} else { /* a client's resolution in flight, or no budget now: the next scan */
		dcache_check_at(&s->cache, e, now + PREFETCH_SCAN_MS);
	}
	return started;
}

/* Takes what is due, a pass at a time: entries stored together come due together (a restart on
 * a snapshot, a burst of misses), and each costs system calls (a look reads the kernel entry's
 * hits; a prefetch's start sends; tens of µs on a VM). Taken all in one turn of the loop, 500
 * prefetches kept every client query waiting 28 ms. A pass starts at most
 * PREFETCH_STARTS_PER_PASS and looks at most at PREFETCH_LOOKS_PER_PASS, and the next comes
 * PREFETCH_PACE_MS later while more may be due: up to 8,000 prefetches and 64,000 looks a
 * second, none of them in a client's way for more than a few hundred µs. */
static void on_prefetch_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct server *s = container_of(t, struct server, refresh.prefetch_timer);
	uint64_t now = ev_now_ms();
	int started = 0, looked = 0;
	struct dcache_entry *e;
	bool capped; /* the pass ended on a cap, not on the last due entry: more may be due */

	if (!s->opts->prefetch_percent)
		return; /* turned off by a reload */
	if (!upstream_all_down(&s->upstreams))
		for (; started < PREFETCH_STARTS_PER_PASS && looked < PREFETCH_LOOKS_PER_PASS;
		     looked++) {
			e = dcache_check_due(&s->cache, now);
			if (!e)
				break;
			started += prefetch_look(s, e, now);
		}
	capped = started == PREFETCH_STARTS_PER_PASS || looked == PREFETCH_LOOKS_PER_PASS;
	ev_timer_start(loop, t, capped ? PREFETCH_PACE_MS : PREFETCH_SCAN_MS);
}

void refresh_failed(struct server *s, struct dcache_entry *e)
{
	/* 1 s, 2 s, 4 s..., jittered so that names that failed together are not retried
	 * together */
	uint64_t backoff = 1000ULL << (e->refresh_fails < 6 ? e->refresh_fails : 6);

	e->refreshing = false;
	e->refresh_fails++;
	e->refresh_after_ms = ev_now_ms() + ev_jittered_ms(backoff < REFRESH_BACKOFF_MAX_MS ?
								   backoff :
								   REFRESH_BACKOFF_MAX_MS);
	if (s->opts->prefetch_percent)
		dcache_check_at(&s->cache, e, e->refresh_after_ms);
}

/* ---- the guard's re-checks ---- */

/* A guarded name's re-check: asks an upstream that has not answered negative yet (one that
 * agrees confirms the negative), else all in failover order. */
static void recheck_guarded(struct guard_name *g, void *ctx)
{
	struct server *s = ctx;
	ldns_rr_type qtype;
	ldns_rdf *qname;
	uint8_t flags;
	int only = -1, i;

	if (resolution_in_flight(s, &g->key))
		return;
	for (i = 0; i < s->upstreams.n && only < 0; i++)
		if (!(g->negative_from & (1U << i)) && !s->upstreams.servers[i].down)
			only = i;
	dcache_key_question(&g->key, &qname, &qtype, &flags);
	if (qname)
		resolution_start(s, &g->key, flags, qname, qtype, only);
	ldns_rdf_deep_free(qname);
}

/* Guard re-checks, forgetting names no longer worth remembering, and drills that are over
 * (ended, and logged, on time: not whenever a query or a probe next meets them). */
static void on_upkeep_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct server *s = container_of(t, struct server, refresh.upkeep_timer);
	uint64_t now = ev_now_ms();
	int i;

	for (i = 0; i < s->upstreams.n; i++)
		drill_active(&s->upstreams.servers[i].drill, now);
	if (!upstream_all_down(&s->upstreams))
		guard_recheck_due(&s->guard, now, recheck_guarded, s);
	guard_expire(&s->guard, now);
	ev_timer_start(loop, t, UPKEEP_MS);
}

/* ---- recovery after an outage ---- */

bool refresh_recovering(const struct server *s)
{
	return s->refresh.recovery != NULL;
}

static void recovery_end(struct server *s)
{
	int err = xdpdns_health_update(s->maps, 0, XDPDNS_HEALTH_RECOVERING);

	if (err)
		log_error("can't write the health map: %s", strerror(-err));
	free(s->refresh.recovery);
	s->refresh.recovery = NULL;
	s->refresh.recovery_n = s->refresh.recovery_next = 0;
	ev_timer_stop(s->loop, &s->refresh.recovery_timer);
}

struct hot_entry {
	uint64_t hits;
	struct dcache_entry *e;
};

static int hotter_first(const void *a, const void *b)
{
	const struct hot_entry *x = a, *y = b;

	return x->hits < y->hits ? 1 : x->hits > y->hits ? -1 : 0;
}

/* Every upstream was down and one is back. The health checker has told the kernel to keep
 * serving expired entries stale (XDPDNS_HEALTH_RECOVERING); the stale entries that were used
 * are refreshed hottest first at recovery-rate, and then the kernel is told to stop. Not all at
 * once: that is the retry storm that follows an outage. */
void server_recovery_start(void *ctx)
{
	struct server *s = ctx;
	struct refresh *r = &s->refresh;
	uint64_t now = ev_now_ms();
	struct hot_entry *hot = NULL;
	struct dcache_entry *e;
	size_t n = 0, cap = 0, i;

	free(r->recovery); /* a recovery cut short by another outage */
	r->recovery = NULL;
	r->recovery_n = r->recovery_next = 0;
	for (e = s->cache.oldest; e && n < RECOVERY_MAX; e = e->newer) {
		uint64_t hits;

		if (!e->wire_len || dcache_fresh(e, now) || !stale_ok(s, e, now))
			continue;
		hits = dcache_hits(e) + ksync_hits(s, e);
		if (!hits)
			continue; /* nobody asked: refreshed when someone does */
		if (n == cap) {
			struct hot_entry *more = realloc(hot, (cap = cap ? 2 * cap : 256) * sizeof(*hot));

			if (!more)
				break;
			hot = more;
		}
		hot[n++] = (struct hot_entry){ hits, e };
	}
	qsort(hot, n, sizeof(*hot), hotter_first);
	r->recovery = n ? malloc(n * sizeof(*r->recovery)) : NULL;
	if (!r->recovery) {
		free(hot);
		/* events, rate-limited: an upstream that flaps starts a recovery at every return */
		xdpdns_log_event(XDPDNS_LOG_INFO, "recovery_nothing_stale", NULL, NULL,
				 "an upstream is back: no stale entry to refresh");
		recovery_end(s);
		return;
	}
	for (i = 0; i < n; i++)
		dcache_entry_key(hot[i].e, &r->recovery[i]);
	free(hot);
	r->recovery_n = n;
	xdpdns_log_event(XDPDNS_LOG_INFO, "recovery_started", NULL, NULL,
			 "an upstream is back: refreshing %zu stale entries that were used, hottest "
			 "first, %u a second; they are served stale until then", n,
			 s->opts->recovery_rate);
	ev_timer_start(s->loop, &r->recovery_timer, 0);
}

static void on_recovery_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct server *s = container_of(t, struct server, refresh.recovery_timer);
	struct refresh *r = &s->refresh;
	uint64_t now = ev_now_ms();
	uint32_t step = s->opts->recovery_rate * RECOVERY_TICK_MS / 1000, started = 0;

	if (upstream_all_down(&s->upstreams)) { /* down again: the outage rules apply */
		xdpdns_log_event(XDPDNS_LOG_WARN, "recovery_stopped", NULL, NULL,
				 "recovery stopped: every upstream is down again");
		recovery_end(s);
		return;
	}
	if (!step)
		step = 1;
	while (started < step && r->recovery_next < r->recovery_n) {
		const struct dcache_key *k = &r->recovery[r->recovery_next];
		struct dcache_entry *e = dcache_get(&s->cache, k);
		ldns_rr_type qtype;
		ldns_rdf *qname;
		uint8_t flags;
		bool ok;

		if (!e || !e->wire_len || dcache_fresh(e, now) || resolution_in_flight(s, k)) {
			r->recovery_next++; /* gone, or fresh already */
			continue;
		}
		dcache_key_question(k, &qname, &qtype, &flags);
		ok = qname && resolution_start(s, k, flags, qname, qtype, -1);
		ldns_rdf_deep_free(qname);
		if (!ok)
			break; /* no budget or room now: the next tick */
		r->recovery_next++;
		s->stats.recovery_refreshes++;
		started++;
	}
	if (r->recovery_next >= r->recovery_n) {
		log_info("recovery done: %zu stale entries refreshed or found fresh", r->recovery_n);
		recovery_end(s);
		return;
	}
	ev_timer_start(loop, t, ev_jittered_ms(RECOVERY_TICK_MS));
}

void refresh_init(struct server *s)
{
	s->refresh.prefetch_timer.cb = on_prefetch_timer;
	s->refresh.prefetch_percent = s->opts->prefetch_percent;
	if (s->opts->prefetch_percent)
		ev_timer_start(s->loop, &s->refresh.prefetch_timer, PREFETCH_SCAN_MS);
	s->refresh.upkeep_timer.cb = on_upkeep_timer;
	ev_timer_start(s->loop, &s->refresh.upkeep_timer, UPKEEP_MS);
	s->refresh.recovery_timer.cb = on_recovery_timer;
}

void refresh_options_changed(struct server *s)
{
	struct dcache_entry *e;

	/* prefetch turned on, or another window: every entry's time is found again, once */
	if (s->opts->prefetch_percent != s->refresh.prefetch_percent)
		for (e = s->cache.oldest; e; e = e->newer)
			refresh_stored(s, e);
	s->refresh.prefetch_percent = s->opts->prefetch_percent;
	if (s->opts->prefetch_percent && !s->refresh.prefetch_timer.slot)
		ev_timer_start(s->loop, &s->refresh.prefetch_timer, PREFETCH_SCAN_MS);
}

void refresh_fini(struct server *s)
{
	ev_timer_stop(s->loop, &s->refresh.prefetch_timer);
	ev_timer_stop(s->loop, &s->refresh.upkeep_timer);
	ev_timer_stop(s->loop, &s->refresh.recovery_timer);
	free(s->refresh.recovery);
	s->refresh.recovery = NULL;
}
