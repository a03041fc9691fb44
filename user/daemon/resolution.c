// SPDX-License-Identifier: GPL-2.0
/* Resolutions in flight, and the clients waiting on each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cache_entry.h"
#include "ksync.h"
#include "log.h"
#include "policy.h"
#include "respond.h"
#include "scrub.h"
#include "server.h"

/* A resolution in flight, and everyone waiting for it. */
struct pending {
	struct pending *next;
	struct dcache_key key;
	uint8_t key_flags;
	struct server *srv;
	struct waiter *waiters;
	unsigned int n_waiters;
	struct upstream_query uq;
	struct ev_timer stale_timer; /* RFC 8767 client response timer */
	uint64_t gen;                /* the server's next_gen when it started (dcache_store) */
};

void resolution_init(struct server *s)
{
	ev_bucket_init(&s->res.miss_budget, s->opts->cache_only_miss_qps);
	ev_bucket_init(&s->res.half_open, SERVER_HALF_OPEN_QPS);
}

/* keyed like the cache's buckets: the same names, from the same clients */
static size_t pending_bucket(const struct server *s, const struct dcache_key *k)
{
	return dcache_key_hash(&s->cache.key, k) % SERVER_PENDING_BUCKETS;
}

static struct pending **pending_slot(struct server *s, const struct dcache_key *k)
{
	struct pending **p = &s->res.pending[pending_bucket(s, k)];

	while (*p && ((*p)->key.len != k->len || memcmp((*p)->key.bytes, k->bytes, k->len)))
		p = &(*p)->next;
	return p;
}

bool resolution_in_flight(struct server *s, const struct dcache_key *key)
{
	return *pending_slot(s, key) != NULL;
}

/* What a resolution's answer (or failure: answer NULL, err) does: to its waiters, to the cache
 * and the kernel's. */
static void pending_done(struct upstream_query *uq, ldns_pkt *answer, int err)
{
	struct pending *p = container_of(uq, struct pending, uq);
	struct server *s = p->srv;
	struct dcache_entry *old = dcache_get(&s->cache, &p->key);
	ldns_pkt *copy = answer ? xdpdns_answer_copy(answer) : NULL;
	struct xdpdns_scrub_result scrubbed;
	struct policy_outcome out = { 0 };
	struct respond_answer ra = { 0 };
	struct waiter *w, *next;
	bool stale;

	*pending_slot(s, &p->key) = p->next;
	s->res.n_pending--;
	ev_timer_stop(s->loop, &p->stale_timer);
	ldns_pkt_free(answer);
	/* only what answers the question is served and cached (scrub.h) */
	if (copy && xdpdns_scrub(copy, p->uq.qname, p->uq.qtype, &scrubbed)) {
		ldns_pkt_free(copy);
		copy = NULL;
		err = -ENOMEM;
	}
	stale = !copy && stale_ok(s, old, ev_now_ms());

	if (copy) {
		struct policy_question q = {
			.key = &p->key, .qname = p->uq.qname, .qtype = p->uq.qtype,
			.server = p->uq.server,
		};

		s->stats.resolved++;
		s->stats.scrubbed_records += scrubbed.dropped;
		if (scrubbed.nocache) {
			s->stats.not_cached++;
			log_debug("an answer not cached: %s",
				  xdpdns_scrub_nocache_str(scrubbed.nocache));
		}
		policy_answer(s, &q, old, copy, scrubbed.nocache, &out);
		copy = out.answer;
		/* its wire form, written once: every waiter's answer, and the cache's */
		if (respond_answer_init(&ra, copy)) {
			ldns_pkt_free(copy);
			copy = NULL;
			err = -ENOMEM;
		}
	} else {
		log_debug("resolution failed: %s", strerror(-err));
	}
	for (w = p->waiters; w; w = next) {
		next = w->next;
		if (copy)
			respond_answer(s, w, &ra);
		else /* RFC 8767: stale beats SERVFAIL */
			respond_unresolved(s, w, old, err != -EBUSY);
		if (out.guarded)
			s->stats.guard_answers++;
		waiter_free(w);
	}
	if (copy && out.ttl) {
		struct dcache_entry *e = NULL;

		err = dcache_store(&s->cache, &p->key, ra.wire, ra.len, ev_now_ms(), out.ttl, p->gen,
				   &e);
		if (err == -ESTALE) /* a later query's answer is in: this one is older */
			s->stats.outdated_answers++;
		else
			ksync_fill(s, copy, p->key_flags, out.ttl, e);
		if (!err)
			refresh_stored(s, e);
	} else if (!copy && !stale && (!old || !old->wire_len)) {
		/* RFC 9520: remember the failure briefly, never in the kernel */
		if (err != -EBUSY) /* not a failure: the budget was spent */
			dcache_store(&s->cache, &p->key, NULL, 0, ev_now_ms(),
				     s->opts->servfail_ttl_sec, p->gen, NULL);
	} else if (!copy && old) {
		refresh_failed(s, old);
	}
	free((void *)ra.wire);
	ldns_pkt_free(copy);
	ldns_rdf_deep_free(p->uq.qname);
	free(p);
}

/* The upstreams are slow (stale-answer-timeout): the clients waiting so far get the stale
 * answer now, and the resolution goes on to refresh the cache (RFC 8767 5). */
static void on_stale_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct pending *p = container_of(t, struct pending, stale_timer);
	struct server *s = p->srv;
	const struct dcache_entry *e = dcache_get(&s->cache, &p->key);
	struct waiter *w, *next;

	(void)loop;
	if (!stale_ok(s, e, ev_now_ms()))
		return;
	for (w = p->waiters; w; w = next) {
		next = w->next;
		respond_cached(s, w, e, 0, true);
		s->stats.stale_answers++;
		waiter_free(w);
	}
	p->waiters = NULL;
	p->n_waiters = 0;
}

/* Starts resolving (qname, qtype) for key, with no one waiting yet. NULL when it can't. */
static struct pending *start(struct server *s, const struct dcache_key *key, uint8_t key_flags,
			     const ldns_rdf *qname, ldns_rr_type qtype, int only)
{
	struct pending *p = s->res.n_pending < s->opts->upstream_inflight &&
			    s->res.n_pending < SERVER_PENDING_MAX ? calloc(1, sizeof(*p)) : NULL;
	struct pending **slot = pending_slot(s, key);

	if (!p)
		return NULL;
	p->key = *key;
	p->key_flags = key_flags;
	p->srv = s;
	p->gen = ++s->res.next_gen;
	p->stale_timer.cb = on_stale_timer;
	p->uq.qname = ldns_rdf_clone(qname);
	if (p->uq.qname)
		ldns_dname2canonical(p->uq.qname);
	p->uq.qtype = qtype;
	p->uq.do_bit = key_flags & XDPDNS_KEY_DO;
	p->uq.cd = key_flags & XDPDNS_KEY_CD;
	p->uq.only = only;
	p->uq.done = pending_done;
	if (!p->uq.qname || upstream_query_start(&s->upstreams, &p->uq)) {
		ldns_rdf_deep_free(p->uq.qname);
		free(p);
		return NULL;
	}
	p->next = *slot;
	*slot = p;
	s->res.n_pending++;
	return p;
}

bool resolution_start(struct server *s, const struct dcache_key *key, uint8_t key_flags,
		      const ldns_rdf *qname, ldns_rr_type qtype, int only)
{
	return start(s, key, key_flags, qname, qtype, only) != NULL;
}

/* Every upstream is marked down: may this miss go upstream all the same? A few a second do
 * (SERVER_HALF_OPEN_QPS), a circuit breaker half open: if the verdict was wrong, the first
 * answer marks its upstream up and ends the outage, without waiting for a probe; if it was
 * right, they time out and change nothing. */
static bool half_open(struct server *s)
{
	int i;

	/* not through a drill: an upstream forced down stays down whatever it answers */
	for (i = 0; i < s->upstreams.n; i++)
		if (s->upstreams.servers[i].force != UPSTREAM_FORCE_DOWN)
			return ev_bucket_take(&s->res.half_open, SERVER_HALF_OPEN_QPS);
	return false;
}

/* start() for the question key stands for. */
static struct pending *start_key(struct server *s, const struct dcache_key *key)
{
	struct pending *p;
	ldns_rr_type qtype;
	ldns_rdf *qname;
	uint8_t flags;

	dcache_key_question(key, &qname, &qtype, &flags);
	p = qname ? start(s, key, flags, qname, qtype, -1) : NULL;
	ldns_rdf_deep_free(qname);
	return p;
}

void resolution_miss(struct server *s, struct waiter *w, const struct dcache_key *key,
		     const struct dcache_entry *e)
{
	struct pending **slot, *p;
	uint64_t now = ev_now_ms();
	bool trickle = false;

	/* after an outage, the refresh is queued: stale now */
	if (refresh_recovering(s) && stale_ok(s, e, now)) {
		respond_unresolved(s, w, e, true);
		waiter_free(w);
		return;
	}
	/* no upstream to wait for: answer now (stale, fallback or SERVFAIL), but for the
	 * half-open trickle, which goes upstream all the same: in the background for a name with
	 * a stale answer (served at once), with the client waiting for one without */
	if (upstream_all_down(&s->upstreams)) {
		trickle = !*pending_slot(s, key) && half_open(s);
		if (!trickle || stale_ok(s, e, now)) {
			respond_unresolved(s, w, e, true);
			if (trickle && start_key(s, key))
				s->stats.half_open_queries++;
			waiter_free(w);
			return;
		}
	}

	slot = pending_slot(s, key);
	if (*slot) { /* already being resolved: wait for it */
		p = *slot;
		if (p->n_waiters >= SERVER_WAITERS_MAX) { /* stale if there is, else SERVFAIL */
			s->stats.waiters_over_cap++;
			respond_unresolved(s, w, e, false);
			waiter_free(w);
			return;
		}
		s->stats.coalesced++;
		w->next = p->waiters;
		p->waiters = w;
		p->n_waiters++;
		/* the first client of a prefetch or a refresh: the client response timer starts
		 * now (RFC 8767), as for a resolution a client started */
		if (!p->stale_timer.slot && stale_ok(s, e, now))
			ev_timer_start(s->loop, &p->stale_timer, s->opts->stale_answer_ms);
		return;
	}
	/* cache-only: a client's miss goes upstream within cache-only-miss-qps (prefetches and
	 * refreshes after an outage don't come here: they keep what is cached fresh, and
	 * upstream-qps bounds them). Over it: stale if there is (RFC 8767 allows it), else
	 * REFUSED, a policy answer (SERVFAIL would say the service is broken, and be cached). */
	if (s->opts->cache_only &&
	    !ev_bucket_take(&s->res.miss_budget, s->opts->cache_only_miss_qps)) {
		if (stale_ok(s, e, now)) {
			s->stats.cache_only_stale++;
			s->stats.stale_answers++;
			respond_cached(s, w, e, 0, true);
		} else {
			s->stats.cache_only_refused++;
			respond_rcode(s, w, LDNS_RCODE_REFUSED);
		}
		waiter_free(w);
		return;
	}
	if (s->opts->cache_only)
		s->stats.cache_only_forwarded++;
	p = start_key(s, key);
	if (!p) { /* no room or no budget: stale if there is, else SERVFAIL, at once */
		s->stats.over_budget++;
		respond_unresolved(s, w, e, false);
		waiter_free(w);
		return;
	}
	s->stats.half_open_queries += trickle;
	p->waiters = w;
	p->n_waiters = 1;
	if (stale_ok(s, e, now))
		ev_timer_start(s->loop, &p->stale_timer, s->opts->stale_answer_ms);
}

void resolution_fini(struct server *s)
{
	size_t b;

	for (b = 0; b < SERVER_PENDING_BUCKETS; b++) {
		while (s->res.pending[b]) {
			struct pending *p = s->res.pending[b];
			struct waiter *w, *next;

			s->res.pending[b] = p->next;
			upstream_query_cancel(&p->uq);
			ev_timer_stop(s->loop, &p->stale_timer);
			for (w = p->waiters; w; w = next) {
				next = w->next;
				waiter_free(w);
			}
			ldns_rdf_deep_free(p->uq.qname);
			free(p);
		}
	}
	s->res.n_pending = 0;
}
