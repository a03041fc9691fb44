// SPDX-License-Identifier: GPL-2.0
/* The answer policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "policy.h"
#include "scrub.h"

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

bool stale_ok(const struct server *s, const struct dcache_entry *e, uint64_t now)
{
	uint64_t expiry;

	if (!e || !e->wire_len)
		return false;
	expiry = e->stored_ms + (uint64_t)e->ttl_sec * 1000;
	return now - expiry <= (uint64_t)s->opts->max_stale_sec * 1000;
}

/* The guard's window for qname (lowercased, as resolutions keep it): 0 where it is off
 * (guard-window 0, or inside a no-guard-zone: a suffix of qname at a label boundary). */
static uint32_t guard_window(const struct server *s, const ldns_rdf *qname)
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

/* A guard's news for the name of q. event: the guard engaged, an event rate-limited per name
 * (and a storm's many names together); NULL: how it ended, always logged. */
static void log_guard(const struct policy_question *q, const char *event, const char *what,
		      const char *upstream)
{
	char *name = ldns_rdf2str(q->qname), *type = ldns_rr_type2str(q->qtype);
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
static ldns_pkt *guard_answer(struct server *s, const struct policy_question *q,
			      const struct dcache_entry *old, ldns_pkt *copy, uint32_t *ttl,
			      bool *guarded)
{
	const char *upstream = s->upstreams.servers[q->server].addr.text;
	uint32_t window = guard_window(s, q->qname), min = UINT32_MAX;
	ldns_pkt *last = old && old->wire_len ? dcache_answer(old) : NULL;
	enum guard_verdict v;
	bool started;
	char what[160];

	if (!last || xdpdns_answer_is_negative(last)) {
		ldns_pkt_free(last);
		return copy;
	}
	v = guard_negative(&s->guard, q->key, q->server, old->stored_ms, ev_now_ms(), window,
			   &started);
	if (v == GUARD_ACCEPT_CONFIRMED) {
		s->stats.guard_confirmed++;
		log_guard(q, NULL, "is negative, confirmed by upstream", upstream);
	} else if (v == GUARD_ACCEPT_WINDOW) {
		s->stats.guard_expired++;
		log_guard(q, NULL, "is still negative at the end of the guard window: accepted", NULL);
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
		log_guard(q, "guard_engaged", what, upstream);
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
static void heal_negative(struct server *s, const struct dcache_key *key, ldns_pkt *copy,
			  uint32_t *ttl)
{
	uint32_t recheck = s->opts->negative_recheck_ms / 1000, min = UINT32_MAX;

	if (!*ttl || *ttl <= recheck || !xdpdns_answer_is_negative(copy) ||
	    !guard_recently_positive(&s->guard, key, ev_now_ms()))
		return;
	set_ttls(ldns_pkt_authority(copy), recheck, recheck, &min);
	*ttl = recheck;
	s->stats.negative_healing++;
}

void policy_answer(struct server *s, const struct policy_question *q,
		   const struct dcache_entry *old, ldns_pkt *answer, bool nocache,
		   struct policy_outcome *out)
{
	out->answer = answer;
	out->guarded = false;
	out->ttl = server_cache_ttl(s->opts, answer);
	if (nocache) /* passed to the clients, not stored */
		out->ttl = 0;
	if (xdpdns_answer_is_negative(answer)) {
		out->answer = guard_answer(s, q, old, answer, &out->ttl, &out->guarded);
		if (!out->guarded)
			heal_negative(s, q->key, out->answer, &out->ttl);
	} else if (guard_positive(&s->guard, q->key, ev_now_ms())) {
		s->stats.guard_recovered++;
		log_guard(q, NULL, "is positive again: guard lifted", NULL);
	}
}
