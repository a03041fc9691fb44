// SPDX-License-Identifier: GPL-2.0
/* A query from any transport: parsed, answered from the daemon's cache, refused, or handed to
 * resolution.c. */
#include <errno.h>
#include <stdlib.h>
#include "respond.h"
#include "server.h"
#include "wire.h"

/* The daemon cache's key for q. */
static void query_key(const struct xdpdns_query *q, struct dcache_key *key)
{
	dcache_key_wire(key, q->wire + XDPDNS_DNS_HDR_LEN, q->name_len, q->qtype,
			(q->do_bit ? XDPDNS_KEY_DO : 0) | (q->flags & XDPDNS_FLAG_CD ? XDPDNS_KEY_CD : 0));
}

/* The hot path: q answered from a fresh answer of the daemon's cache, from its wire form,
 * without ldns or an allocation. false when it can't be (no such answer, a remembered SERVFAIL,
 * one the index can't describe): the query goes the whole way. */
static bool query_hit(struct server *s, const struct xdpdns_query *q,
		      const struct server_client *c)
{
	static uint8_t out[RESPOND_MAX_LEN];
	uint64_t now = ev_now_ms();
	struct dcache_key key;
	struct dcache_entry *e;
	int n;

	query_key(q, &key);
	e = dcache_get(&s->cache, &key);
	if (!e || !e->indexed || !dcache_fresh(e, now))
		return false;
	n = respond_write_cached(q, e, (now - e->stored_ms) / 1000, 0, s->opts->edns_udp_size,
				 c->tcp, out, sizeof(out), &s->stats);
	if (n < 0)
		return false;
	s->stats.from_dcache++;
	dcache_hit(e);
	c->reply(c, out, n);
	return true;
}

int server_query_hit_shared(struct server *s, const struct xdpdns_query *q, uint16_t udp_size,
			    uint8_t *out, size_t size, struct server_stats *st)
{
	uint64_t now = ev_now_ms();
	struct dcache_key key;
	struct dcache_entry *e;
	size_t b;
	int n = -ENOENT;

	query_key(q, &key);
	b = dcache_bucket(&s->cache, &key);
	dcache_lock(&s->cache, b);
	e = dcache_get_bucket(&s->cache, &key, b);
	if (e && e->indexed && dcache_fresh(e, now))
		n = respond_write_cached(q, e, (now - e->stored_ms) / 1000, 0, udp_size, false, out,
					 size, st);
	if (n > 0)
		dcache_hit(e);
	dcache_unlock(&s->cache, b);
	if (n > 0)
		st->from_dcache++;
	return n;
}

/* A keyed query, either way: answered from a fresh entry, else a miss for resolution. */
static void answer_or_resolve(struct server *s, struct waiter *w, const struct dcache_key *key)
{
	struct dcache_entry *e = dcache_get(&s->cache, key);
	uint64_t now = ev_now_ms();

	if (e && dcache_fresh(e, now)) {
		s->stats.from_dcache++;
		dcache_hit(e);
		respond_cached(s, w, e, (now - e->stored_ms) / 1000, false);
		waiter_free(w);
		return;
	}
	s->stats.misses++;
	resolution_miss(s, w, key, e);
}

/* The rest of the way for a query parsed by xdpdns_query_parse(): a fresh entry the hot path
 * could not take (a remembered SERVFAIL), else a miss. */
static void handle_fast(struct server *s, struct waiter *w)
{
	struct dcache_key key;

	query_key(&w->q, &key);
	answer_or_resolve(s, w, &key);
}

/* The slow path: what xdpdns_query_parse() leaves to ldns, which refuses what it must (FORMERR,
 * NOTIMP, BADVERS) and parses the rest. */
static void handle_slow(struct server *s, const uint8_t *wire, size_t len, struct waiter *w)
{
	struct dcache_key key;
	const ldns_rr *question;
	uint8_t key_flags;

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
	answer_or_resolve(s, w, &key);
}

void server_query(struct server *s, const uint8_t *wire, size_t len,
		  const struct server_client *c)
{
	struct xdpdns_query q;
	enum xdpdns_query_verdict v = xdpdns_query_parse(wire, len, &q);
	struct waiter *w;

	/* not even a header, or a response: no answer */
	if (v == XDPDNS_QUERY_DROP || (v == XDPDNS_QUERY_OK && query_hit(s, &q, c))) {
		if (c->release)
			c->release(c);
		return;
	}
	w = waiter_new(wire, len, v == XDPDNS_QUERY_OK ? &q : NULL, c);
	if (!w) {
		if (c->release)
			c->release(c);
		return;
	}
	if (w->fast)
		handle_fast(s, w);
	else
		handle_slow(s, wire, len, w);
}
