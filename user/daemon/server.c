// SPDX-License-Identifier: GPL-2.0
/* The daemon's DNS service. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "cache_entry.h"
#include "log.h"
#include "scrub.h"
#include "server.h"
#include "wire.h"

#define DNS_MAX_LEN 65535
#define UDP_PLAIN_LEN 512 /* without EDNS, RFC 1035 4.2.1 */

struct tcp_conn; /* a TCP client (the TCP section) */

/* A client waiting for an answer. */
struct waiter {
	struct waiter *next;
	ldns_pkt *query;  /* as the client sent it: ID, RD, the question's case, EDNS */
	int udp_fd;       /* UDP: the listener's socket, and the client's address */
	struct sockaddr_storage client;
	socklen_t client_len;
	struct tcp_conn *conn; /* TCP instead */
	server_reply_fn reply; /* or neither: server_query()'s caller takes the answer */
	void *reply_ctx;
	bool tcp;              /* over TCP (conn, or reply as TCP): no UDP size limit */
};

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

/* ---- answers ---- */

static void tcp_unref(struct tcp_conn *c);
static void tcp_write(struct tcp_conn *c, const uint8_t *wire, size_t len);

/* The largest answer the client takes over UDP (RFC 6891 6.2.5: at least 512). */
static size_t udp_limit(const ldns_pkt *query)
{
	size_t size = ldns_pkt_edns(query) ? ldns_pkt_edns_udp_size(query) : UDP_PLAIN_LEN;

	return size < UDP_PLAIN_LEN ? UDP_PLAIN_LEN : size;
}

static void age_ttls(ldns_rr_list *rrs, uint32_t age, uint32_t stale_ttl)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		uint32_t ttl = ldns_rr_ttl(rr);

		ldns_rr_set_ttl(rr, stale_ttl ? stale_ttl : ttl > age ? ttl - age : 0);
	}
}

/* The response to w's query: answer (a cached copy, aged by age seconds or stale) or, with
 * answer NULL, just rcode. Header and question as the client asked. */
static ldns_pkt *build_response(struct server *s, const struct waiter *w, const ldns_pkt *answer,
				ldns_pkt_rcode rcode, uint32_t age, uint32_t stale_ttl)
{
	const ldns_pkt *q = w->query;
	ldns_pkt *r = answer ? ldns_pkt_clone(answer) : ldns_pkt_new();

	if (!r)
		return NULL;
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
	ldns_pkt_set_aa(r, false);
	ldns_pkt_set_tc(r, false);
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_cd(r, ldns_pkt_cd(q));
	if (!answer)
		ldns_pkt_set_rcode(r, rcode);
	/* RFC 6840 5.7-5.8: AD only for a client that asked with AD or DO */
	if (!ldns_pkt_ad(q) && !ldns_pkt_edns_do(q))
		ldns_pkt_set_ad(r, false);
	ldns_rr_list_deep_free(ldns_pkt_question(r));
	ldns_pkt_set_question(r, ldns_rr_list_clone(ldns_pkt_question(q)));
	ldns_pkt_set_qdcount(r, ldns_rr_list_rr_count(ldns_pkt_question(q)));
	age_ttls(ldns_pkt_answer(r), age, stale_ttl);
	age_ttls(ldns_pkt_authority(r), age, stale_ttl);
	age_ttls(ldns_pkt_additional(r), age, stale_ttl);
	if (ldns_pkt_edns(q)) {
		ldns_pkt_set_edns_udp_size(r, s->opts->edns_udp_size);
		ldns_pkt_set_edns_do(r, ldns_pkt_edns_do(q));
	}
	return r;
}

/* Sends r to w; over UDP, an answer the client can't take goes out empty with TC=1, and so does
 * one longer than TCP's length prefix can say. */
static void send_response(struct server *s, const struct waiter *w, ldns_pkt *r)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	if (ldns_pkt2wire(&wire, r, &len) != LDNS_STATUS_OK)
		return;
	if ((!w->tcp && len > udp_limit(w->query)) || len > DNS_MAX_LEN) {
		ldns_rr_list_deep_free(ldns_pkt_answer(r));
		ldns_rr_list_deep_free(ldns_pkt_authority(r));
		ldns_rr_list_deep_free(ldns_pkt_additional(r));
		ldns_pkt_set_answer(r, ldns_rr_list_new());
		ldns_pkt_set_authority(r, ldns_rr_list_new());
		ldns_pkt_set_additional(r, ldns_rr_list_new());
		ldns_pkt_set_ancount(r, 0);
		ldns_pkt_set_nscount(r, 0);
		ldns_pkt_set_arcount(r, 0);
		ldns_pkt_set_tc(r, true);
		free(wire);
		wire = NULL;
		if (ldns_pkt2wire(&wire, r, &len) != LDNS_STATUS_OK)
			return;
		s->stats.truncated++;
	}
	if (w->reply)
		w->reply(w->reply_ctx, wire, len);
	else if (w->conn)
		tcp_write(w->conn, wire, len);
	else
		sendto(w->udp_fd, wire, len, MSG_DONTWAIT, (struct sockaddr *)&w->client,
		       w->client_len);
	free(wire);
}

static void respond(struct server *s, const struct waiter *w, const ldns_pkt *answer,
		    ldns_pkt_rcode rcode, uint32_t age, uint32_t stale_ttl)
{
	ldns_pkt *r = build_response(s, w, answer, rcode, age, stale_ttl);

	if (!answer && rcode == LDNS_RCODE_SERVFAIL)
		s->stats.servfail++;
	if (r)
		send_response(s, w, r);
	ldns_pkt_free(r);
}

/* The operator's pinned answer (fallback-file) for w's question, for when the upstreams failed
 * and nothing is cached, not even stale. Returns false when there is none. */
static bool respond_fallback(struct server *s, const struct waiter *w)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(w->query), 0);
	ldns_pkt *a = q ? xdpdns_fallback_answer(s->fallback, ldns_rr_owner(q), ldns_rr_get_type(q))
			: NULL;

	char *name;

	if (!a)
		return false;
	respond(s, w, a, 0, 0, 0);
	ldns_pkt_free(a);
	s->stats.fallback_answers++;
	name = ldns_rdf2str(ldns_rr_owner(q));
	xdpdns_log_event(XDPDNS_LOG_WARN, "fallback_used", "name", name ? name : "?",
			 "answered %s from fallback-file: upstreams failed and nothing is cached",
			 name ? name : "?");
	free(name);
	return true;
}

static void waiter_free(struct waiter *w)
{
	ldns_pkt_free(w->query);
	if (w->conn)
		tcp_unref(w->conn);
	free(w);
}

/* ---- caching ---- */

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void set_ttls(ldns_rr_list *rrs, uint32_t lo, uint32_t hi, uint32_t *min)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		uint32_t ttl = clamp(ldns_rr_ttl(rr), lo, hi);

		ldns_rr_set_ttl(rr, ttl);
		if (ttl < *min)
			*min = ttl;
	}
}

/* Clamps the TTLs of a (copied) answer and returns how long to cache it: positive answers for
 * their smallest TTL within [min-ttl, max-ttl]; negative ones (RFC 2308 5) for the SOA's TTL or
 * MINIMUM, whichever is less, at most max-negative-ttl and at most the TTL of any record
 * outside the authority section; 0 for an answer not to cache (a
 * negative answer without SOA). Every record's TTL is at least the entry's, so TTLs aged in the
 * kernel never reach 0 before the entry expires. */
uint32_t server_cache_ttl(const struct xdpdns_options *o, ldns_pkt *a)
{
	uint32_t min = UINT32_MAX;
	if (xdpdns_answer_is_negative(a)) {
		ldns_rr_list *ns = ldns_pkt_authority(a);
		size_t i;

		for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
			ldns_rr *rr = ldns_rr_list_rr(ns, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7) {
				uint32_t ttl = ldns_rr_ttl(rr), others = UINT32_MAX;
				uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));

				ttl = clamp(ttl < minimum ? ttl : minimum, 0, o->max_negative_ttl_sec);
				/* nor longer than the other records (a CNAME before the NXDOMAIN,
				 * additional ones), whose TTLs stay: found by tests/fuzz */
				set_ttls(ldns_pkt_answer(a), 0, UINT32_MAX, &others);
				set_ttls(ldns_pkt_additional(a), 0, UINT32_MAX, &others);
				if (others < ttl)
					ttl = others;
				set_ttls(ldns_pkt_authority(a), ttl, ttl, &min);
				return min;
			}
		}
		return 0;
	}
	set_ttls(ldns_pkt_answer(a), o->min_ttl_sec, o->max_ttl_sec, &min);
	set_ttls(ldns_pkt_authority(a), o->min_ttl_sec, o->max_ttl_sec, &min);
	set_ttls(ldns_pkt_additional(a), o->min_ttl_sec, o->max_ttl_sec, &min);
	return min == UINT32_MAX ? 0 : min;
}

/* Writes a to the kernel's cache; records the kernel key in e (for prefetch) when it fits. */
static void fill_kernel(struct server *s, const ldns_pkt *a, uint8_t key_flags, uint32_t ttl,
			struct dcache_entry *e)
{
	struct xdpdns_entry_meta meta = {
		.hash_seed = s->hash_seed,
		.stored_ns = xdpdns_boottime_ns(),
		.ttl_sec = ttl,
		.key_flags = key_flags,
	};
	struct xdpdns_entry_buf *b = malloc(sizeof(*b));
	int err = b ? xdpdns_entry_build(a, &meta, b) : -ENOMEM;
	uint64_t evicted = s->maps->evicted;

	if (!err)
		err = xdpdns_cache_put(s->maps, b);
	if (s->maps->evicted != evicted) /* this put made room */
		xdpdns_log_event(XDPDNS_LOG_WARN, "kernel_map_full", "class", xdpdns_class_name(b->cls),
				 "kernel cache class %s full: evicting least recently used entries "
				 "(%llu evicted so far; see cache-entries)", xdpdns_class_name(b->cls),
				 (unsigned long long)s->maps->evicted);
	s->stats.kernel_evictions = s->maps->evicted; /* the writer's count, for stats */
	if (err) {
		s->stats.kernel_fill_skipped++; /* too big, too many records...: daemon only */
		if (err != -E2BIG && err != -EINVAL)
			xdpdns_log_event(XDPDNS_LOG_WARN, "kernel_store_failed", NULL, NULL,
					 "can't store an answer in the kernel cache: %s",
					 strerror(-err));
	} else {
		s->stats.kernel_fills++;
		if (e) {
			e->in_kernel = true;
			e->kernel_key = b->key;
			e->kernel_class = b->cls;
		}
	}
	free(b);
}

/* ---- resolutions ---- */

/* May e still be served stale (RFC 8767: at most max-stale past its expiry)? */
static bool stale_ok(struct server *s, const struct dcache_entry *e, uint64_t now)
{
	uint64_t expiry;

	if (!e || !e->wire_len)
		return false;
	expiry = e->stored_ms + (uint64_t)e->ttl_sec * 1000;
	return now - expiry <= (uint64_t)s->opts->max_stale_sec * 1000;
}

/* Answers w from the cache entry e: the answer aged by age, or stale; SERVFAIL if e holds one. */
static void respond_cached(struct server *s, const struct waiter *w, const struct dcache_entry *e,
			   uint32_t age, bool stale)
{
	ldns_pkt *a = dcache_answer(e);

	if (a)
		respond(s, w, a, 0, age, stale ? s->opts->stale_ttl_sec : 0);
	else
		respond(s, w, NULL, LDNS_RCODE_SERVFAIL, 0, 0);
	ldns_pkt_free(a);
}

/* w's question can't be resolved now (upstreams down or failing, or no budget): the cached
 * answer e stale if RFC 8767 allows, else the operator's fallback record if allowed (not for a
 * spent budget: that is not an outage), else SERVFAIL. */
static void respond_unresolved(struct server *s, const struct waiter *w,
			       const struct dcache_entry *e, bool fallback_ok)
{
	if (stale_ok(s, e, ev_now_ms())) {
		s->stats.stale_answers++;
		respond_cached(s, w, e, 0, true);
	} else if (!fallback_ok || !respond_fallback(s, w)) {
		respond(s, w, NULL, LDNS_RCODE_SERVFAIL, 0, 0);
	}
}

/* keyed like the cache's buckets: the same names, from the same clients */
static size_t pending_bucket(const struct server *s, const struct dcache_key *k)
{
	return dcache_key_hash(&s->cache.key, k) % SERVER_PENDING_BUCKETS;
}

static struct pending **pending_slot(struct server *s, const struct dcache_key *k)
{
	struct pending **p = &s->pending[pending_bucket(s, k)];

	while (*p && ((*p)->key.len != k->len || memcmp((*p)->key.bytes, k->bytes, k->len)))
		p = &(*p)->next;
	return p;
}

/* The guard's window for qname (lowercased, as resolutions keep it): 0 where it is off
 * (guard-window 0, or inside a no-guard-zone: a suffix of qname at a label boundary). */
static uint32_t guard_window(struct server *s, const ldns_rdf *qname)
{
	const uint8_t *name = ldns_rdf_data(qname);
	size_t len = ldns_rdf_size(qname), off;
	int i;

	for (off = 0; off < len; off += name[off] + 1) {
		for (i = 0; i < s->opts->n_no_guard_zones; i++)
			if (len - off == s->opts->no_guard_zones[i].len &&
			    !memcmp(name + off, s->opts->no_guard_zones[i].wire, len - off))
				return 0;
		if (!name[off])
			break; /* the root label, compared above */
	}
	return s->opts->guard_window_ms;
}

/* A guard's news for the name of p. event: the guard engaged, an event rate-limited per name
 * (and a storm's many names together); NULL: how it ended, always logged. */
static void log_guard(const struct pending *p, const char *event, const char *what,
		      const char *upstream)
{
	char *name = ldns_rdf2str(p->uq.qname), *type = ldns_rr_type2str(p->uq.qtype);
	char subject[300];

	snprintf(subject, sizeof(subject), "%s %s", name ? name : "?", type ? type : "?");
	if (event)
		xdpdns_log_event(XDPDNS_LOG_WARN, event, "name", subject, "guard: %s %s%s%s",
				 subject, what, upstream ? " " : "", upstream ? upstream : "");
	else
		log_warn("guard: %s %s%s%s", subject, what, upstream ? " " : "",
			 upstream ? upstream : "");
	free(name);
	free(type);
}

/* copy, a negative answer, came for a name whose cached answer old was positive: the
 * last-known-good guard (guard.h) decides. Returns the answer to serve and cache: copy, or
 * the last good answer with every TTL at stale-ttl (then *ttl is that, and *guarded true). */
static ldns_pkt *guard_answer(struct server *s, struct pending *p, const struct dcache_entry *old,
			      ldns_pkt *copy, uint32_t *ttl, bool *guarded)
{
	const char *upstream = s->upstreams.servers[p->uq.server].addr.text;
	uint32_t window = guard_window(s, p->uq.qname), min = UINT32_MAX;
	ldns_pkt *last = old && old->wire_len ? dcache_answer(old) : NULL;
	enum guard_verdict v;
	bool started;
	char what[160];

	if (!last || xdpdns_answer_is_negative(last)) {
		ldns_pkt_free(last);
		return copy;
	}
	v = guard_negative(&s->guard, &p->key, p->uq.server, old->stored_ms, ev_now_ms(), window,
			   &started);
	if (v == GUARD_ACCEPT_CONFIRMED) {
		s->stats.guard_confirmed++;
		log_guard(p, NULL, "is negative, confirmed by upstream", upstream);
	} else if (v == GUARD_ACCEPT_WINDOW) {
		s->stats.guard_expired++;
		log_guard(p, NULL, "is still negative at the end of the guard window: accepted", NULL);
	}
	if (v != GUARD_KEEP_OLD) {
		ldns_pkt_free(last);
		return copy;
	}
	if (started) {
		s->stats.guard_names++;
		snprintf(what, sizeof(what), "turned %s: serving the last good answer for up to %u s "
			 "unless another upstream agrees; it came from",
			 ldns_pkt_get_rcode(copy) == LDNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "empty",
			 window / 1000);
		log_guard(p, "guard_engaged", what, upstream);
	}
	ldns_pkt_free(copy);
	set_ttls(ldns_pkt_answer(last), s->opts->stale_ttl_sec, s->opts->stale_ttl_sec, &min);
	set_ttls(ldns_pkt_authority(last), s->opts->stale_ttl_sec, s->opts->stale_ttl_sec, &min);
	set_ttls(ldns_pkt_additional(last), s->opts->stale_ttl_sec, s->opts->stale_ttl_sec, &min);
	*ttl = s->opts->stale_ttl_sec;
	*guarded = true;
	return last;
}

/* An accepted negative for a name positive within the hour is cached for negative-recheck
 * only, its TTLs too, so clients and this cache ask again soon: a fixed record is seen within
 * seconds. */
static void heal_negative(struct server *s, struct pending *p, ldns_pkt *copy, uint32_t *ttl)
{
	uint32_t recheck = s->opts->negative_recheck_ms / 1000, min = UINT32_MAX;

	if (!*ttl || *ttl <= recheck || !xdpdns_answer_is_negative(copy) ||
	    !guard_recently_positive(&s->guard, &p->key, ev_now_ms()))
		return;
	set_ttls(ldns_pkt_authority(copy), recheck, recheck, &min);
	*ttl = recheck;
	s->stats.negative_healing++;
}

static void pending_done(struct upstream_query *uq, ldns_pkt *answer, int err)
{
	struct pending *p = container_of(uq, struct pending, uq);
	struct server *s = p->srv;
	struct dcache_entry *old = dcache_get(&s->cache, &p->key);
	ldns_pkt *copy = answer ? xdpdns_answer_copy(answer) : NULL;
	struct xdpdns_scrub_result scrubbed;
	bool stale, guarded = false;
	struct waiter *w, *next;
	uint32_t ttl = 0;

	*pending_slot(s, &p->key) = p->next;
	s->n_pending--;
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
		s->stats.resolved++;
		s->stats.scrubbed_records += scrubbed.dropped;
		ttl = server_cache_ttl(s->opts, copy);
		if (scrubbed.nocache) { /* passed to the clients, not stored */
			s->stats.not_cached++;
			log_debug("an answer not cached: %s",
				  xdpdns_scrub_nocache_str(scrubbed.nocache));
			ttl = 0;
		}
		if (xdpdns_answer_is_negative(copy)) {
			copy = guard_answer(s, p, old, copy, &ttl, &guarded);
			if (!guarded)
				heal_negative(s, p, copy, &ttl);
		} else if (guard_positive(&s->guard, &p->key, ev_now_ms())) {
			s->stats.guard_recovered++;
			log_guard(p, NULL, "is positive again: guard lifted", NULL);
		}
	} else {
		log_debug("resolution failed: %s", strerror(-err));
	}
	for (w = p->waiters; w; w = next) {
		next = w->next;
		if (copy)
			respond(s, w, copy, 0, 0, 0);
		else /* RFC 8767: stale beats SERVFAIL */
			respond_unresolved(s, w, old, err != -EBUSY);
		if (guarded)
			s->stats.guard_answers++;
		waiter_free(w);
	}
	if (copy && ttl) {
		uint8_t *wire = NULL;
		size_t len = 0;
		struct dcache_entry *e = NULL;

		err = ldns_pkt2wire(&wire, copy, &len) == LDNS_STATUS_OK ?
			      dcache_store(&s->cache, &p->key, wire, len, ev_now_ms(), ttl, p->gen, &e) :
			      -ENOMEM;
		free(wire);
		if (err == -ESTALE) /* a later query's answer is in: this one is older */
			s->stats.outdated_answers++;
		else
			fill_kernel(s, copy, p->key_flags, ttl, e);
	} else if (!copy && !stale && (!old || !old->wire_len)) {
		/* RFC 9520: remember the failure briefly, never in the kernel */
		if (err != -EBUSY) /* not a failure: the budget was spent */
			dcache_store(&s->cache, &p->key, NULL, 0, ev_now_ms(),
				     s->opts->servfail_ttl_sec, p->gen, NULL);
	} else if (!copy && old) {
		/* a failed prefetch: back off before the next, 1 s, 2 s, 4 s..., jittered so that
		 * names that failed together are not retried together */
		uint64_t backoff = 1000ULL << (old->refresh_fails < 6 ? old->refresh_fails : 6);

		old->refreshing = false;
		old->refresh_fails++;
		old->refresh_after_ms = ev_now_ms() +
					ev_jittered_ms(backoff < REFRESH_BACKOFF_MAX_MS ? backoff :
										   REFRESH_BACKOFF_MAX_MS);
	}
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

/* Starts resolving (qname, qtype) for key, with no one waiting yet, through the upstreams in
 * failover order (only -1) or one of them. NULL when it can't: too many in flight, no memory,
 * no upstream to ask, no budget. */
static struct pending *start_resolution(struct server *s, const struct dcache_key *key,
					uint8_t key_flags, const ldns_rdf *qname, ldns_rr_type qtype,
					int only)
{
	struct pending *p = s->n_pending < s->opts->upstream_inflight &&
			    s->n_pending < SERVER_PENDING_MAX ? calloc(1, sizeof(*p)) : NULL;
	struct pending **slot = pending_slot(s, key);

	if (!p)
		return NULL;
	p->key = *key;
	p->key_flags = key_flags;
	p->srv = s;
	p->gen = ++s->next_gen;
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
	s->n_pending++;
	return p;
}

/* Prefetch (run every PREFETCH_SCAN_MS): an answer in the last prefetch-percent of its TTL (at
 * least PREFETCH_MIN_MS, so that short TTLs get their turn) that was hit since it was stored is
 * resolved again before it expires, so a hot name never misses. Hotness comes from the kernel
 * entry's hit counter (bumped by every kernel answer, and new with every refresh) and from the
 * daemon's own answers; no event stream from the kernel is needed. */
static uint32_t kernel_hits(struct server *s, const struct dcache_entry *e)
{
	static uint8_t value[XDPDNS_CLASS_L_VALUE_LEN] __attribute__((aligned(8)));

	if (!e->in_kernel ||
	    bpf_map_lookup_elem(s->maps->cache[e->kernel_class], &e->kernel_key, value))
		return 0;
	return ((struct xdpdns_cache_entry *)value)->hits;
}

static void on_prefetch_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct server *s = container_of(t, struct server, prefetch_timer);
	uint64_t now = ev_now_ms();
	struct dcache_entry *e;

	if (!s->opts->prefetch_percent)
		return; /* turned off by a reload */
	if (upstream_all_down(&s->upstreams))
		goto again;
	for (e = s->cache.oldest; e; e = e->newer) {
		uint64_t ttl_ms = (uint64_t)e->ttl_sec * 1000, window, age = now - e->stored_ms;
		struct dcache_key key;
		ldns_rr_type qtype;
		ldns_rdf *qname;
		uint8_t flags;

		if (!e->wire_len || e->refreshing || age >= ttl_ms || now < e->refresh_after_ms)
			continue;
		window = ttl_ms * s->opts->prefetch_percent / 100;
		if (window < PREFETCH_MIN_MS)
			window = PREFETCH_MIN_MS;
		if (ttl_ms - age > window || (!e->hits && !kernel_hits(s, e)))
			continue;
		dcache_entry_key(e, &key);
		if (*pending_slot(s, &key))
			continue;
		dcache_key_question(&key, &qname, &qtype, &flags);
		if (qname && start_resolution(s, &key, flags, qname, qtype, -1)) {
			e->refreshing = true;
			s->stats.prefetches++;
		}
		ldns_rdf_deep_free(qname);
	}
again:
	ev_timer_start(loop, t, PREFETCH_SCAN_MS);
}

/* ---- the guard's re-checks, and recovery after an outage ---- */

/* A guarded name's re-check: asks an upstream that has not answered negative yet (one that
 * agrees confirms the negative), else all in failover order. */
static void recheck_guarded(struct guard_name *g, void *ctx)
{
	struct server *s = ctx;
	ldns_rr_type qtype;
	ldns_rdf *qname;
	uint8_t flags;
	int only = -1, i;

	if (*pending_slot(s, &g->key))
		return;
	for (i = 0; i < s->upstreams.n && only < 0; i++)
		if (!(g->negative_from & (1U << i)) && !s->upstreams.servers[i].down)
			only = i;
	dcache_key_question(&g->key, &qname, &qtype, &flags);
	if (qname)
		start_resolution(s, &g->key, flags, qname, qtype, only);
	ldns_rdf_deep_free(qname);
}

static void recovery_end(struct server *s)
{
	int err = xdpdns_health_update(s->maps, 0, XDPDNS_HEALTH_RECOVERING);

	if (err)
		log_error("can't write the health map: %s", strerror(-err));
	free(s->recovery);
	s->recovery = NULL;
	s->recovery_n = s->recovery_next = 0;
	ev_timer_stop(s->loop, &s->recovery_timer);
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
	uint64_t now = ev_now_ms();
	struct hot_entry *hot = NULL;
	struct dcache_entry *e;
	size_t n = 0, cap = 0, i;

	free(s->recovery); /* a recovery cut short by another outage */
	s->recovery = NULL;
	s->recovery_n = s->recovery_next = 0;
	for (e = s->cache.oldest; e && n < RECOVERY_MAX; e = e->newer) {
		uint64_t hits;

		if (!e->wire_len || now - e->stored_ms < (uint64_t)e->ttl_sec * 1000 ||
		    !stale_ok(s, e, now))
			continue;
		hits = e->hits + kernel_hits(s, e);
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
	s->recovery = n ? malloc(n * sizeof(*s->recovery)) : NULL;
	if (!s->recovery) {
		free(hot);
		log_info("an upstream is back: no stale entry to refresh");
		recovery_end(s);
		return;
	}
	for (i = 0; i < n; i++)
		dcache_entry_key(hot[i].e, &s->recovery[i]);
	free(hot);
	s->recovery_n = n;
	log_info("an upstream is back: refreshing %zu stale entries that were used, hottest first, "
		 "%u a second; they are served stale until then", n, s->opts->recovery_rate);
	ev_timer_start(s->loop, &s->recovery_timer, 0);
}

static void on_recovery_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct server *s = container_of(t, struct server, recovery_timer);
	uint64_t now = ev_now_ms();
	uint32_t step = s->opts->recovery_rate * RECOVERY_TICK_MS / 1000, started = 0;

	if (upstream_all_down(&s->upstreams)) { /* down again: the outage rules apply */
		log_warn("recovery stopped: every upstream is down again");
		recovery_end(s);
		return;
	}
	if (!step)
		step = 1;
	while (started < step && s->recovery_next < s->recovery_n) {
		const struct dcache_key *k = &s->recovery[s->recovery_next];
		struct dcache_entry *e = dcache_get(&s->cache, k);
		ldns_rr_type qtype;
		ldns_rdf *qname;
		uint8_t flags;
		struct pending *p;

		if (!e || !e->wire_len || now - e->stored_ms < (uint64_t)e->ttl_sec * 1000 ||
		    *pending_slot(s, k)) {
			s->recovery_next++; /* gone, or fresh already */
			continue;
		}
		dcache_key_question(k, &qname, &qtype, &flags);
		p = qname ? start_resolution(s, k, flags, qname, qtype, -1) : NULL;
		ldns_rdf_deep_free(qname);
		if (!p)
			break; /* no budget or room now: the next tick */
		s->recovery_next++;
		s->stats.recovery_refreshes++;
		started++;
	}
	if (s->recovery_next >= s->recovery_n) {
		log_info("recovery done: %zu stale entries refreshed or found fresh", s->recovery_n);
		recovery_end(s);
		return;
	}
	ev_timer_start(loop, t, ev_jittered_ms(RECOVERY_TICK_MS));
}

/* Guard re-checks, forgetting names no longer worth remembering, and drills that are over
 * (ended, and logged, on time: not whenever a query or a probe next meets them). */
static void on_upkeep_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct server *s = container_of(t, struct server, upkeep_timer);
	uint64_t now = ev_now_ms();
	int i;

	for (i = 0; i < s->upstreams.n; i++)
		drill_active(&s->upstreams.servers[i].drill, now);
	if (!upstream_all_down(&s->upstreams))
		guard_recheck_due(&s->guard, now, recheck_guarded, s);
	guard_expire(&s->guard, now);
	ev_timer_start(loop, t, UPKEEP_MS);
}

/* ---- queries ---- */

/* FORMERR, NOTIMP or BADVERS for a query ldns could (or could not) parse, len >= 12: the ID,
 * opcode, RD and CD copied (RFC 1035 4.1.1, RFC 6840 5.9), RA, and the question echoed when
 * there is exactly one and it parses alone (RFC 6891 7: a BADVERS keeps it too). */
static void respond_error(struct server *s, struct waiter *w, const uint8_t *wire, size_t len,
			  ldns_pkt_rcode rcode, bool badvers)
{
	ldns_pkt *r = ldns_pkt_new();
	ldns_rr *question = NULL;
	size_t pos = 12;

	s->stats.malformed++;
	if (!r || len < 12)
		goto out;
	ldns_pkt_set_id(r, (uint16_t)wire[0] << 8 | wire[1]);
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, (wire[2] >> 3) & 0xf);
	ldns_pkt_set_rd(r, wire[2] & 0x01);
	ldns_pkt_set_cd(r, wire[3] & 0x10);
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, rcode);
	if (wire[4] == 0 && wire[5] == 1 &&
	    ldns_wire2rr(&question, wire, len, &pos, LDNS_SECTION_QUESTION) == LDNS_STATUS_OK &&
	    !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, question))
		ldns_rr_free(question);
	if (badvers) { /* RFC 6891 6.1.3: extended rcode 1 with rcode 0 is BADVERS (16) */
		ldns_pkt_set_edns_udp_size(r, s->opts->edns_udp_size);
		ldns_pkt_set_edns_extended_rcode(r, 1);
	}
	if (!w->query) {
		w->query = ldns_pkt_new(); /* send_response needs a query for the UDP limit */
		if (!w->query)
			goto out;
	}
	send_response(s, w, r);
out:
	ldns_pkt_free(r);
	waiter_free(w);
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
			return ev_bucket_take(&s->half_open, SERVER_HALF_OPEN_QPS);
	return false;
}

/* Handles one query; takes w (its transport), frees it or hands it to a resolution. */
static void handle_query(struct server *s, const uint8_t *wire, size_t len, struct waiter *w)
{
	struct dcache_key key;
	struct dcache_entry *e;
	struct pending **slot, *p;
	const ldns_rr *question;
	uint8_t key_flags;
	uint64_t now = ev_now_ms();
	bool trickle = false;

	if (len < 12 || (wire[2] & 0x80)) { /* not even a header, or a response: no answer */
		waiter_free(w);
		return;
	}
	if (xdpdns_wire2pkt(&w->query, wire, len) != LDNS_STATUS_OK) {
		respond_error(s, w, wire, len, LDNS_RCODE_FORMERR, false);
		return;
	}
	if (ldns_pkt_get_opcode(w->query) != LDNS_PACKET_QUERY) {
		respond_error(s, w, wire, len, LDNS_RCODE_NOTIMPL, false);
		return;
	}
	/* ldns takes one OPT record and drops it from the count: more than one is left out of the
	 * count too (RFC 6891 6.1.1: more than one OPT is FORMERR) */
	if (ldns_pkt_qdcount(w->query) != 1 ||
	    ((unsigned int)wire[10] << 8 | wire[11]) - ldns_pkt_arcount(w->query) > 1) {
		respond_error(s, w, wire, len, LDNS_RCODE_FORMERR, false);
		return;
	}
	if (ldns_pkt_edns(w->query) && ldns_pkt_edns_version(w->query) > 0) {
		respond_error(s, w, wire, len, LDNS_RCODE_NOERROR, true);
		return;
	}
	question = ldns_rr_list_rr(ldns_pkt_question(w->query), 0);
	key_flags = (ldns_pkt_edns_do(w->query) ? XDPDNS_KEY_DO : 0) |
		    (ldns_pkt_cd(w->query) ? XDPDNS_KEY_CD : 0);
	dcache_key(&key, ldns_rr_owner(question), ldns_rr_get_type(question), key_flags);

	e = dcache_get(&s->cache, &key);
	if (e && now - e->stored_ms < (uint64_t)e->ttl_sec * 1000) {
		s->stats.from_dcache++;
		e->hits++;
		respond_cached(s, w, e, (now - e->stored_ms) / 1000, false);
		waiter_free(w);
		return;
	}
	s->stats.misses++;
	/* after an outage, the refresh is queued: stale now */
	if (s->recovery && stale_ok(s, e, now)) {
		respond_unresolved(s, w, e, true);
		waiter_free(w);
		return;
	}
	/* no upstream to wait for: answer now (stale, fallback or SERVFAIL), but for the
	 * half-open trickle, which goes upstream all the same: in the background for a name with
	 * a stale answer (served at once), with the client waiting for one without */
	if (upstream_all_down(&s->upstreams)) {
		trickle = !*pending_slot(s, &key) && half_open(s);
		if (!trickle || stale_ok(s, e, now)) {
			respond_unresolved(s, w, e, true);
			if (trickle && start_resolution(s, &key, key_flags, ldns_rr_owner(question),
							ldns_rr_get_type(question), -1))
				s->stats.half_open_queries++;
			waiter_free(w); /* last: question is its query's */
			return;
		}
	}

	slot = pending_slot(s, &key);
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
	    !ev_bucket_take(&s->miss_budget, s->opts->cache_only_miss_qps)) {
		if (stale_ok(s, e, now)) {
			s->stats.cache_only_stale++;
			s->stats.stale_answers++;
			respond_cached(s, w, e, 0, true);
		} else {
			s->stats.cache_only_refused++;
			respond(s, w, NULL, LDNS_RCODE_REFUSED, 0, 0);
		}
		waiter_free(w);
		return;
	}
	if (s->opts->cache_only)
		s->stats.cache_only_forwarded++;
	p = start_resolution(s, &key, key_flags, ldns_rr_owner(question), ldns_rr_get_type(question),
			     -1);
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

void server_query(struct server *s, const uint8_t *wire, size_t len, bool tcp,
		  server_reply_fn reply, void *ctx)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return;
	w->reply = reply;
	w->reply_ctx = ctx;
	w->tcp = tcp;
	handle_query(s, wire, len, w);
}

/* ---- UDP ---- */

static void on_udp(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct listener *l = container_of(io, struct listener, io);
	static uint8_t buf[DNS_MAX_LEN];
	int budget = 64; /* then let other sockets have a turn */

	(void)loop;
	(void)events;
	while (budget--) {
		struct waiter *w = calloc(1, sizeof(*w));
		ssize_t n;

		if (!w)
			return;
		w->client_len = sizeof(w->client);
		n = recvfrom(io->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&w->client,
			     &w->client_len);
		if (n < 0) {
			free(w);
			return;
		}
		w->udp_fd = io->fd;
		l->srv->stats.queries_udp++;
		handle_query(l->srv, buf, n, w);
	}
}

/* ---- TCP (RFC 7766): length-prefixed messages, several per connection ---- */

/*
 * A connection is open from accept() to tcp_close(). Its memory outlives that while a query it
 * sent still waits for an answer: refs counts the holders (1 while open, 1 per query in
 * flight), and a resolution that ends after the client left finds the connection closed and
 * drops its answer. The memory is freed only by the connection's own timer, in the loop's timer
 * phase, never from an I/O callback: an event for the connection may still wait in the batch
 * the loop is working through (event.h), and the code that closed it may go on looking at it.
 *
 * It reads while fewer than tcp-pipeline of its queries are in flight and all its answers went
 * out (a client that does not read gets nothing more read: backpressure). Its timer fires when
 * it has something to do: at once when a whole message waits in its buffer and it may take it,
 * when the client closed its side and everything is answered, or when it can be freed; else at
 * the nearest of these deadlines:
 *   slow read  a message begun must arrive whole within tcp-io-timeout of its first byte
 *   unread     answers the kernel could not take yet must move within tcp-io-timeout
 *   idle       nothing in flight, begun or unsent: closed after tcp-idle-timeout
 */
#define TCP_IN_MIN_LEN 512        /* the read buffer, grown to a longer message's length */
/* answers the kernel would not take yet: a client that lets more than two of the largest pile
 * up is reset */
#define TCP_UNSENT_MAX_LEN (2 * (2 + DNS_MAX_LEN))
#define TCP_ACCEPT_BATCH 16       /* connections accepted per wake-up; then other sockets */
#define TCP_ACCEPT_PAUSE_MS 100   /* no accept() this long after one failed for want of
				   * descriptors or memory (EMFILE...) */
#define TCP_EVICT_SCAN 32         /* when all places are taken, the least recently active
				   * connections looked at for an idle one to close */

struct tcp_source {
	sa_family_t family;
	uint8_t prefix[8]; /* the IPv4 address, or the IPv6 /64 */
};

struct tcp_conn {
	struct server *srv;
	struct tcp_conn *prev, *next; /* open: the most recently active first; or closed */
	struct tcp_conn *source_next; /* open, in the same source bucket */
	struct tcp_source source;
	struct ev_io io;              /* fd -1 once closed */
	struct ev_timer timer;
	uint32_t events;              /* what io waits for now */
	int refs;                     /* 1 while open, +1 per query in flight */
	bool eof;                     /* the client closed its side: answer, then close */
	uint8_t *in;                  /* received, not yet taken: whole messages, then a part */
	size_t in_have, in_cap;
	uint8_t *out;                 /* answers not yet written */
	size_t out_len, out_sent;
	uint64_t in_since_ms;         /* the part's first byte came (or reading resumed) */
	uint64_t out_since_ms;        /* the unsent answers last moved */
	uint64_t active_ms;           /* the last query, or the last answer written whole */
};

enum tcp_due { TCP_DUE_NONE, TCP_DUE_NOW, TCP_DUE_SLOW_READ, TCP_DUE_UNREAD, TCP_DUE_IDLE };
enum tcp_close_why { TCP_CLOSE_DONE, TCP_CLOSE_IDLE, TCP_CLOSE_SLOW_READ, TCP_CLOSE_UNREAD };

static void tcp_update(struct tcp_conn *c);

static bool tcp_is_open(const struct tcp_conn *c)
{
	return c->io.fd >= 0;
}

static unsigned int tcp_inflight(const struct tcp_conn *c)
{
	return c->refs - tcp_is_open(c);
}

static size_t tcp_unsent(const struct tcp_conn *c)
{
	return c->out_len - c->out_sent;
}

static bool tcp_idle(const struct tcp_conn *c)
{
	return !c->in_have && !tcp_unsent(c) && !tcp_inflight(c);
}

/* The length, prefix included, of the whole message at the start of c's buffer; 0 when it is
 * not all in. */
static size_t tcp_message_len(const struct tcp_conn *c)
{
	size_t len;

	if (c->in_have < 2)
		return 0;
	len = 2 + ((size_t)c->in[0] << 8 | c->in[1]);
	return c->in_have >= len ? len : 0;
}

/* May c take another query: a place among tcp-pipeline, and every answer out? */
static bool tcp_may_take(const struct tcp_conn *c)
{
	return tcp_is_open(c) && tcp_inflight(c) < c->srv->opts->tcp_pipeline && !tcp_unsent(c);
}

static bool tcp_may_read(const struct tcp_conn *c)
{
	return tcp_may_take(c) && !c->eof;
}

/* What c must do next, and when (ev_now_ms's clock). */
static uint64_t tcp_next(const struct tcp_conn *c, enum tcp_due *due)
{
	const struct xdpdns_options *o = c->srv->opts;
	uint64_t when = UINT64_MAX;

	*due = TCP_DUE_NONE;
	if ((tcp_may_take(c) && tcp_message_len(c)) ||
	    (c->eof && !tcp_inflight(c) && !tcp_unsent(c))) {
		*due = TCP_DUE_NOW;
		return 0;
	}
	if (tcp_unsent(c)) {
		when = c->out_since_ms + o->tcp_io_timeout_ms;
		*due = TCP_DUE_UNREAD;
	}
	if (c->in_have && tcp_may_read(c) && c->in_since_ms + o->tcp_io_timeout_ms < when) {
		when = c->in_since_ms + o->tcp_io_timeout_ms;
		*due = TCP_DUE_SLOW_READ;
	}
	if (tcp_idle(c)) {
		when = c->active_ms + o->tcp_idle_timeout_ms;
		*due = TCP_DUE_IDLE;
	}
	return when;
}

static void tcp_source_of(const struct sockaddr_storage *sa, struct tcp_source *src)
{
	memset(src, 0, sizeof(*src));
	src->family = sa->ss_family;
	if (sa->ss_family == AF_INET6)
		memcpy(src->prefix, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
	else
		memcpy(src->prefix, &((const struct sockaddr_in *)sa)->sin_addr, 4);
}

static struct tcp_conn **tcp_source_bucket(struct server *s, const struct tcp_source *src)
{
	/* keyed, as the cache's buckets are: a client can't choose addresses that fall in one */
	return &s->tcp.sources[xdpdns_siphash(&s->cache.key, src, sizeof(*src)) %
			       SERVER_TCP_SOURCE_BUCKETS];
}

/* How many connections from src are open. */
static unsigned int tcp_source_count(struct server *s, const struct tcp_source *src)
{
	const struct tcp_conn *c = *tcp_source_bucket(s, src);
	unsigned int n = 0;

	for (; c; c = c->source_next)
		n += !memcmp(&c->source, src, sizeof(*src));
	return n;
}

/* Takes c out of its list: the open ones' or the closed ones'. */
static void tcp_unlink(struct tcp_conn *c)
{
	struct server_tcp *t = &c->srv->tcp;

	if (c->prev)
		c->prev->next = c->next;
	else if (tcp_is_open(c))
		t->open = c->next;
	else
		t->closed = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (tcp_is_open(c))
		t->open_tail = c->prev;
	c->prev = c->next = NULL;
}

/* Puts c (unlinked) first in its list. */
static void tcp_link(struct tcp_conn *c)
{
	struct server_tcp *t = &c->srv->tcp;
	struct tcp_conn **head = tcp_is_open(c) ? &t->open : &t->closed;

	c->next = *head;
	if (*head)
		(*head)->prev = c;
	else if (tcp_is_open(c))
		t->open_tail = c;
	*head = c;
}

/* c (open) asked something: the last to be closed to make room. */
static void tcp_touch(struct tcp_conn *c)
{
	c->active_ms = ev_now_ms();
	tcp_unlink(c);
	tcp_link(c);
}

static void tcp_free(struct tcp_conn *c)
{
	tcp_unlink(c);
	ev_timer_stop(c->srv->loop, &c->timer);
	free(c->in);
	free(c->out);
	free(c);
}

/* Drops a holder's reference: the last one frees c (later: see above); a query's place
 * freed may let the next be read. */
static void tcp_unref(struct tcp_conn *c)
{
	if (!--c->refs)
		ev_timer_start(c->srv->loop, &c->timer, 0);
	else if (tcp_is_open(c))
		tcp_update(c);
}

/* Closes c, counting why; answers to its queries still in flight will be dropped. A client that
 * does not read is reset, so that the kernel drops what it holds for it at once. */
static void tcp_close(struct tcp_conn *c, enum tcp_close_why why)
{
	struct server *s = c->srv;
	struct tcp_conn **p;

	if (!tcp_is_open(c))
		return;
	if (why == TCP_CLOSE_IDLE) {
		s->stats.tcp_closed_idle++;
	} else if (why == TCP_CLOSE_SLOW_READ) {
		s->stats.tcp_closed_slow_read++;
	} else if (why == TCP_CLOSE_UNREAD) {
		struct linger reset = { .l_onoff = 1, .l_linger = 0 };

		s->stats.tcp_closed_unread++;
		setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	}
	for (p = tcp_source_bucket(s, &c->source); *p != c; p = &(*p)->source_next)
		;
	*p = c->source_next;
	tcp_unlink(c);
	ev_io_del(s->loop, &c->io);
	ev_timer_stop(s->loop, &c->timer);
	close(c->io.fd);
	c->io.fd = -1;
	tcp_link(c);
	s->tcp.n_open--;
	free(c->out); /* never sent now; the input stays: the caller may be reading it */
	c->out = NULL;
	c->out_len = c->out_sent = 0;
	tcp_unref(c);
}

/* The events c waits for, and its timer, from what it must do next. */
static void tcp_update(struct tcp_conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	uint32_t events = (tcp_may_read(c) ? EPOLLIN : 0) | (tcp_unsent(c) ? EPOLLOUT : 0);
	uint64_t now = ev_now_ms(), when;
	enum tcp_due due;

	if (events != c->events) {
		/* reading again: a message's time starts now, not when the pause began */
		if ((events & EPOLLIN) && !(c->events & EPOLLIN))
			c->in_since_ms = now;
		if (ev_io_mod(loop, &c->io, events)) {
			tcp_close(c, TCP_CLOSE_DONE);
			return;
		}
		c->events = events;
	}
	when = tcp_next(c, &due);
	if (due == TCP_DUE_NONE)
		ev_timer_stop(loop, &c->timer);
	else
		ev_timer_start(loop, &c->timer, when > now ? when - now : 0);
}

/* Writes what the kernel takes; a client that lets too much pile up is reset. */
static void tcp_flush(struct tcp_conn *c)
{
	while (tcp_unsent(c)) {
		ssize_t n = send(c->io.fd, c->out + c->out_sent, tcp_unsent(c),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) { /* reset, or gone */
			tcp_close(c, TCP_CLOSE_DONE);
			return;
		}
		c->out_sent += n;
		c->out_since_ms = ev_now_ms();
	}
	if (!tcp_unsent(c)) {
		free(c->out); /* an idle connection keeps no buffer */
		c->out = NULL;
		c->out_len = c->out_sent = 0;
		c->active_ms = ev_now_ms();
	} else if (tcp_unsent(c) > TCP_UNSENT_MAX_LEN) {
		tcp_close(c, TCP_CLOSE_UNREAD);
		return;
	}
	tcp_update(c);
}

static void tcp_write(struct tcp_conn *c, const uint8_t *wire, size_t len)
{
	uint8_t *out;

	if (!tcp_is_open(c)) /* the client left before its answer */
		return;
	if (c->out_sent) { /* what went out makes room */
		memmove(c->out, c->out + c->out_sent, tcp_unsent(c));
		c->out_len -= c->out_sent;
		c->out_sent = 0;
	}
	out = realloc(c->out, c->out_len + 2 + len);
	if (!out) {
		tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	if (!c->out_len)
		c->out_since_ms = ev_now_ms();
	c->out = out;
	out[c->out_len] = len >> 8;
	out[c->out_len + 1] = len & 0xff;
	memcpy(out + c->out_len + 2, wire, len);
	c->out_len += 2 + len;
	tcp_flush(c);
}

/* Hands the whole messages at the start of c's buffer to handle_query while c may take them. */
static void tcp_take(struct tcp_conn *c)
{
	size_t len;

	while (tcp_may_take(c) && (len = tcp_message_len(c))) {
		struct waiter *w = calloc(1, sizeof(*w));

		if (!w) {
			tcp_close(c, TCP_CLOSE_DONE);
			return;
		}
		w->conn = c;
		w->tcp = true;
		c->refs++;
		c->srv->stats.queries_tcp++;
		tcp_touch(c);
		handle_query(c->srv, c->in + 2, len - 2, w);
		/* c may be closed now (its answer could not be sent), not freed */
		memmove(c->in, c->in + len, c->in_have - len);
		c->in_have -= len;
		c->in_since_ms = ev_now_ms(); /* the next message's time starts */
	}
	if (!c->in_have && c->in_cap > TCP_IN_MIN_LEN) { /* after a long message */
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static void tcp_read(struct tcp_conn *c)
{
	size_t want = TCP_IN_MIN_LEN;
	ssize_t n;

	tcp_take(c); /* what is in first: then the buffer holds at most a part */
	if (!tcp_may_read(c))
		return;
	if (c->in_have >= 2 && 2 + ((size_t)c->in[0] << 8 | c->in[1]) > want)
		want = 2 + ((size_t)c->in[0] << 8 | c->in[1]);
	if (c->in_cap < want) {
		uint8_t *in = realloc(c->in, want);

		if (!in) {
			tcp_close(c, TCP_CLOSE_DONE);
			return;
		}
		c->in = in;
		c->in_cap = want;
	}
	n = recv(c->io.fd, c->in + c->in_have, c->in_cap - c->in_have, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	if (!n) {
		c->eof = true;
		return;
	}
	if (!c->in_have)
		c->in_since_ms = ev_now_ms();
	c->in_have += n;
	tcp_take(c);
}

static void on_tcp_conn(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct tcp_conn *c = container_of(io, struct tcp_conn, io);

	(void)loop;
	if (!tcp_is_open(c)) /* closed earlier in this batch: freed after it */
		return;
	if (events & (EPOLLERR | EPOLLHUP)) { /* reset: nothing can be sent any more */
		tcp_close(c, TCP_CLOSE_DONE);
		return;
	}
	if (events & EPOLLOUT)
		tcp_flush(c);
	if ((events & EPOLLIN) && tcp_may_read(c))
		tcp_read(c);
	if (tcp_is_open(c))
		tcp_update(c);
}

static void on_tcp_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, timer);
	enum tcp_due due;

	(void)loop;
	if (!tcp_is_open(c)) {
		if (!c->refs)
			tcp_free(c);
		return;
	}
	if (tcp_next(c, &due) > ev_now_ms()) { /* moved since the timer was set */
		tcp_update(c);
		return;
	}
	switch (due) {
	case TCP_DUE_NOW:
		tcp_take(c);
		if (c->eof && tcp_is_open(c) && !tcp_inflight(c) && !tcp_unsent(c))
			tcp_close(c, TCP_CLOSE_DONE); /* the kernel still sends what it holds */
		else if (tcp_is_open(c))
			tcp_update(c);
		break;
	case TCP_DUE_SLOW_READ:
		tcp_close(c, TCP_CLOSE_SLOW_READ);
		break;
	case TCP_DUE_UNREAD:
		tcp_close(c, TCP_CLOSE_UNREAD);
		break;
	case TCP_DUE_IDLE:
		tcp_close(c, TCP_CLOSE_IDLE);
		break;
	case TCP_DUE_NONE:
		break;
	}
}

/* An idle connection among the least recently active, closed to make room; false if none. */
static bool tcp_evict_idle(struct server *s)
{
	struct tcp_conn *c = s->tcp.open_tail;
	int i;

	for (i = 0; c && i < TCP_EVICT_SCAN; i++, c = c->prev)
		if (tcp_idle(c) && !c->eof) {
			tcp_close(c, TCP_CLOSE_IDLE);
			return true;
		}
	return false;
}

static void tcp_refuse(struct server *s, int fd, const struct sockaddr_storage *sa,
		       const char *why)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	inet_ntop(sa->ss_family,
		  sa->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
					    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr,
		  addr, sizeof(addr));
	s->stats.tcp_refused++;
	xdpdns_log_event(XDPDNS_LOG_WARN, "tcp_refused", "source", addr,
			 "TCP connection from %s refused: %s", addr, why);
	close(fd);
}

static void tcp_accepted(struct server *s, int fd, const struct sockaddr_storage *sa)
{
	const struct xdpdns_options *o = s->opts;
	struct tcp_source src;
	struct tcp_conn *c, **bucket;

	tcp_source_of(sa, &src);
	if (tcp_source_count(s, &src) >= o->tcp_connections_per_source)
		return tcp_refuse(s, fd, sa, "tcp-connections-per-source reached");
	if (s->tcp.n_open >= o->tcp_connections && !tcp_evict_idle(s))
		return tcp_refuse(s, fd, sa, "tcp-connections reached, none idle");
	c = calloc(1, sizeof(*c));
	if (!c)
		return tcp_refuse(s, fd, sa, "out of memory");
	c->srv = s;
	c->source = src;
	c->io.fd = fd;
	c->io.cb = on_tcp_conn;
	c->timer.cb = on_tcp_timer;
	c->refs = 1;
	c->events = EPOLLIN;
	if (ev_io_add(s->loop, &c->io, c->events)) {
		free(c);
		return tcp_refuse(s, fd, sa, "can't watch it");
	}
	bucket = tcp_source_bucket(s, &src);
	c->source_next = *bucket;
	*bucket = c;
	s->tcp.n_open++;
	tcp_link(c);
	c->active_ms = ev_now_ms();
	tcp_update(c);
}

static void tcp_listeners_set(struct server *s, uint32_t events)
{
	int i;

	for (i = 0; i < s->n_listeners; i++)
		if (s->listeners[i].tcp)
			ev_io_mod(s->loop, &s->listeners[i].io, events);
}

static void on_tcp_accept_timer(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	tcp_listeners_set(container_of(t, struct server, tcp.accept_timer), EPOLLIN);
}

/* accept()'s errors that are the new connection's own (accept(2): network errors pending on
 * it), not the listener's: the next one is taken. */
static bool tcp_accept_error_passes(int err)
{
	return err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM ||
	       err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET ||
	       err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH;
}

static void on_tcp_accept(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct listener *l = container_of(io, struct listener, io);
	struct server *s = l->srv;
	int i;

	(void)events;
	for (i = 0; i < TCP_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(io->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			tcp_accepted(s, fd, &sa);
			continue;
		}
		if (errno == EAGAIN)
			return;
		if (tcp_accept_error_passes(errno))
			continue;
		/* out of descriptors or memory (EMFILE, ENFILE, ENOBUFS...): the connection stays
		 * in the backlog, and the listener would wake the loop for it at once, for ever */
		s->stats.tcp_accept_failed++;
		xdpdns_log_event(XDPDNS_LOG_WARN, "tcp_accept_failed", NULL, NULL,
				 "can't accept TCP connections: %s; trying again in %d ms",
				 strerror(errno), TCP_ACCEPT_PAUSE_MS);
		tcp_listeners_set(s, 0);
		ev_timer_start(loop, &s->tcp.accept_timer, TCP_ACCEPT_PAUSE_MS);
		return;
	}
}

/* Closes every connection; their queries in flight must be gone already. */
static void tcp_fini(struct server *s)
{
	ev_timer_stop(s->loop, &s->tcp.accept_timer);
	while (s->tcp.open)
		tcp_close(s->tcp.open, TCP_CLOSE_DONE);
	while (s->tcp.closed)
		tcp_free(s->tcp.closed);
}

/* ---- setup ---- */

int server_init(struct server *s, struct ev_loop *loop, const struct xdpdns_options *o,
		struct xdpdns_maps *maps, uint64_t hash_seed)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->opts = o;
	s->maps = maps;
	s->hash_seed = hash_seed;
	ev_bucket_init(&s->miss_budget, o->cache_only_miss_qps);
	ev_bucket_init(&s->half_open, SERVER_HALF_OPEN_QPS);
	upstream_set_init(&s->upstreams, loop, o);
	err = dcache_init(&s->cache, SERVER_DCACHE_ENTRIES);
	if (err)
		return err;
	err = guard_init(&s->guard);
	if (err) {
		dcache_fini(&s->cache);
		return err;
	}
	s->prefetch_timer.cb = on_prefetch_timer;
	if (o->prefetch_percent)
		ev_timer_start(loop, &s->prefetch_timer, PREFETCH_SCAN_MS);
	s->upkeep_timer.cb = on_upkeep_timer;
	ev_timer_start(loop, &s->upkeep_timer, UPKEEP_MS);
	s->recovery_timer.cb = on_recovery_timer;
	s->tcp.accept_timer.cb = on_tcp_accept_timer;
	return 0;
}

int server_listen(struct server *s, const char *addr)
{
	struct xdpdns_sockaddr sa;
	int tcp, one = 1;

	if (xdpdns_sockaddr_parse(addr, &sa))
		return -EINVAL;
	if (sa.sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa.sa)->sin_port = htons(s->opts->port);
	else
		((struct sockaddr_in6 *)&sa.sa)->sin6_port = htons(s->opts->port);
	for (tcp = 0; tcp <= 1; tcp++) {
		struct listener *l;
		int fd;

		if (s->n_listeners == SERVER_LISTENERS_MAX)
			return -ENOSPC;
		fd = socket(sa.sa.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
						  SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (sa.sa.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		/* the address may not be up yet (IPv6 DAD): bind anyway */
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa.sa, sa.len) || (tcp && listen(fd, 128))) {
			int err = -errno;

			log_error("can't listen on %s port %u/%s: %s", addr, s->opts->port,
				  tcp ? "tcp" : "udp", strerror(errno));
			close(fd);
			return err;
		}
		l = &s->listeners[s->n_listeners];
		l->srv = s;
		l->tcp = tcp;
		l->io.fd = fd;
		l->io.cb = tcp ? on_tcp_accept : on_udp;
		if (ev_io_add(s->loop, &l->io, EPOLLIN)) {
			close(fd);
			return -errno;
		}
		s->n_listeners++;
	}
	return 0;
}

void server_unlisten(struct server *s)
{
	int i;

	for (i = 0; i < s->n_listeners; i++) {
		ev_io_del(s->loop, &s->listeners[i].io);
		close(s->listeners[i].io.fd);
	}
	s->n_listeners = 0;
}

void server_options_changed(struct server *s)
{
	int moved[XDPDNS_UPSTREAMS_MAX];

	upstream_set_reconfigure(&s->upstreams, s->opts, moved);
	guard_servers_moved(&s->guard, moved);
	if (s->opts->prefetch_percent && !s->prefetch_timer.slot)
		ev_timer_start(s->loop, &s->prefetch_timer, PREFETCH_SCAN_MS);
}

void server_fini(struct server *s)
{
	size_t b;

	ev_timer_stop(s->loop, &s->prefetch_timer);
	ev_timer_stop(s->loop, &s->upkeep_timer);
	ev_timer_stop(s->loop, &s->recovery_timer);
	free(s->recovery);
	s->recovery = NULL;
	guard_fini(&s->guard);
	for (b = 0; b < SERVER_PENDING_BUCKETS; b++) {
		while (s->pending[b]) {
			struct pending *p = s->pending[b];
			struct waiter *w, *next;

			s->pending[b] = p->next;
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
	server_unlisten(s);
	tcp_fini(s); /* after the waiters: they hold connections */
	dcache_fini(&s->cache);
}

/* ---- the kernel's entries, into the daemon's cache ---- */

struct import {
	struct server *srv;
	uint64_t now_boot_ns, now_ms;
	size_t count;
};

static int import_entry(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
			enum xdpdns_cache_class cls, void *arg)
{
	struct import *im = arg;
	uint8_t wire[XDPDNS_ENTRY_WIRE_MAX_LEN];
	int64_t age_ns = (int64_t)(im->now_boot_ns - e->stored_ns); /* as the kernel ages it */
	int len = xdpdns_entry_answer(e, key, wire, sizeof(wire));
	struct dcache_entry *d;
	struct dcache_key k;
	ldns_rdf *qname;

	if (len < 0)
		return 0; /* not an entry the daemon stores */
	qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, key->name_len, e->data + e->body_len);
	if (!qname)
		return -ENOMEM;
	dcache_key(&k, qname, key->qtype, key->flags);
	ldns_rdf_deep_free(qname);
	/* the same age on the daemon's clock (modulo 2^64 too: it may be older than the boot) */
	d = dcache_put(&im->srv->cache, &k, wire, len,
		       im->now_ms - (age_ns > 0 ? (uint64_t)age_ns / 1000000 : 0), e->ttl_sec);
	if (!d)
		return -ENOMEM;
	d->in_kernel = true; /* for prefetch: its hits are counted there */
	d->kernel_key = *key;
	d->kernel_class = cls;
	im->count++;
	return 0;
}

int server_import_kernel(struct server *s)
{
	struct import im = { .srv = s, .now_boot_ns = xdpdns_boottime_ns(), .now_ms = ev_now_ms() };
	int err = xdpdns_cache_for_each(s->maps, import_entry, &im, NULL);

	if (err)
		log_warn("can't copy the kernel's cache into the daemon's: %s", strerror(-err));
	else if (im.count)
		log_info("the daemon's cache starts with the kernel's %zu entries%s", im.count,
			 im.count > s->cache.max_count ? ", more than it holds: some left out" :
							 "");
	return err;
}
