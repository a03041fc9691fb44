// SPDX-License-Identifier: GPL-2.0
/* Responses written for a client. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "policy.h"
#include "respond.h"

#define DNS_MAX_LEN 65535

struct waiter *waiter_new(const uint8_t *wire, size_t len, const struct xdpdns_query *q,
			  const struct server_client *c)
{
	struct waiter *w = calloc(1, sizeof(*w) + (q ? len : 0));

	if (!w)
		return NULL;
	w->client = *c;
	if (q) {
		memcpy(w->qwire, wire, len);
		w->qlen = len;
		w->q = *q;
		w->q.wire = w->qwire;
		w->fast = true;
	}
	return w;
}

void waiter_free(struct waiter *w)
{
	ldns_pkt_free(w->query);
	if (w->client.release)
		w->client.release(&w->client);
	free(w);
}

/* w's query as ldns parses it: a fast query is parsed only when a response needs ldns (a
 * fallback record, an answer the index can't describe). NULL if that fails. */
static const ldns_pkt *waiter_query(struct waiter *w)
{
	if (!w->query && w->fast && xdpdns_wire2pkt(&w->query, w->qwire, w->qlen) != LDNS_STATUS_OK)
		w->query = NULL;
	return w->query;
}

/* ---- through ldns ---- */

static void age_ttls(ldns_rr_list *rrs, uint32_t age, uint32_t stale_ttl)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		uint32_t ttl = ldns_rr_ttl(rr);

		ldns_rr_set_ttl(rr, stale_ttl ? stale_ttl : ttl > age ? ttl - age : 0);
	}
}

/* The response to q: answer (a cached copy, aged by age seconds or stale) or, with answer NULL,
 * just rcode. Header and question as the client asked. */
static ldns_pkt *build_response(struct server *s, const ldns_pkt *q, const ldns_pkt *answer,
				ldns_pkt_rcode rcode, uint32_t age, uint32_t stale_ttl)
{
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

/* Sends r, the response to q, to client c; over UDP, an answer the client can't take goes out
 * empty with TC=1, and so does one longer than TCP's length prefix can say. */
static void send_response(struct server *s, const struct server_client *c, const ldns_pkt *q,
			  ldns_pkt *r)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	if (ldns_pkt2wire(&wire, r, &len) != LDNS_STATUS_OK)
		return;
	if ((!c->tcp && len > xdpdns_udp_limit(ldns_pkt_edns(q), ldns_pkt_edns_udp_size(q),
						   s->opts->edns_udp_size)) ||
	    len > DNS_MAX_LEN) {
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
	c->reply(c, wire, len);
	free(wire);
}

/* respond()'s ldns path. */
static void respond_ldns(struct server *s, struct waiter *w, const ldns_pkt *answer,
			 ldns_pkt_rcode rcode, uint32_t age, uint32_t stale_ttl)
{
	const ldns_pkt *q = waiter_query(w);
	ldns_pkt *r = q ? build_response(s, q, answer, rcode, age, stale_ttl) : NULL;

	if (r)
		send_response(s, &w->client, q, r);
	ldns_pkt_free(r);
}

/* ---- from the wire form ---- */

int respond_write_cached(const struct xdpdns_query *q, const struct dcache_entry *e,
			 uint32_t age, uint32_t stale_ttl, uint16_t our_udp_size, bool tcp,
			 uint8_t *out, size_t size, struct server_stats *st)
{
	struct xdpdns_answer_how how = {
		.age_sec = age, .stale_ttl = stale_ttl, .our_udp_size = our_udp_size, .tcp = tcp,
	};
	struct xdpdns_answer_index ix;
	bool truncated;
	int n;

	dcache_answer_index(e, &ix);
	n = xdpdns_answer_write(out, size, q, dcache_wire(e), e->wire_len, &ix, &how, &truncated);
	if (n > 0 && truncated)
		st->truncated++;
	return n;
}

/* Sends w (fast) the message msg, indexed as ix. Returns false when it could not be written. */
static bool respond_wire(struct server *s, struct waiter *w, const uint8_t *msg, size_t len,
			 const struct xdpdns_answer_index *ix, uint32_t age, uint32_t stale_ttl)
{
	static uint8_t out[RESPOND_MAX_LEN];
	struct xdpdns_answer_how how = {
		.age_sec = age, .stale_ttl = stale_ttl, .our_udp_size = s->opts->edns_udp_size,
		.tcp = w->client.tcp,
	};
	bool truncated;
	int n = xdpdns_answer_write(out, sizeof(out), &w->q, msg, len, ix, &how, &truncated);

	if (n < 0)
		return false;
	if (truncated)
		s->stats.truncated++;
	w->client.reply(&w->client, out, n);
	return true;
}

/* ---- what the service sends ---- */

int respond_answer_init(struct respond_answer *a, const ldns_pkt *pkt)
{
	uint8_t *wire = NULL;

	memset(a, 0, sizeof(*a));
	a->pkt = pkt;
	if (ldns_pkt2wire(&wire, pkt, &a->len) != LDNS_STATUS_OK)
		return -ENOMEM;
	a->wire = wire;
	a->indexed = !xdpdns_answer_index(wire, a->len, &a->ix);
	return 0;
}

void respond_answer(struct server *s, const struct waiter *cw, const struct respond_answer *a)
{
	struct waiter *w = (struct waiter *)cw; /* only its lazily parsed query changes */

	if (w->fast && a->indexed && respond_wire(s, w, a->wire, a->len, &a->ix, 0, 0))
		return;
	respond_ldns(s, w, a->pkt, 0, 0, 0);
}

void respond_rcode(struct server *s, struct waiter *w, ldns_pkt_rcode rcode)
{
	static uint8_t out[XDPDNS_DNS_HDR_LEN + 255 + 4 + XDPDNS_OPT_LEN];
	int n;

	if (rcode == LDNS_RCODE_SERVFAIL)
		s->stats.servfail++;
	if (!w->fast) {
		respond_ldns(s, w, NULL, rcode, 0, 0);
		return;
	}
	n = xdpdns_answer_write_rcode(out, sizeof(out), &w->q, rcode, s->opts->edns_udp_size);
	if (n > 0)
		w->client.reply(&w->client, out, n);
}

/* The operator's pinned answer (fallback-file) for w's question, for when the upstreams failed
 * and nothing is cached, not even stale. Returns false when there is none. */
static bool respond_fallback(struct server *s, struct waiter *w)
{
	const ldns_pkt *query = waiter_query(w);
	const ldns_rr *q = query ? ldns_rr_list_rr(ldns_pkt_question(query), 0) : NULL;
	ldns_pkt *a = q ? xdpdns_fallback_answer(s->fallback, ldns_rr_owner(q), ldns_rr_get_type(q))
			: NULL;
	char *name;

	if (!a)
		return false;
	respond_ldns(s, w, a, 0, 0, 0);
	ldns_pkt_free(a);
	s->stats.fallback_answers++;
	name = ldns_rdf2str(ldns_rr_owner(q));
	xdpdns_log_event(XDPDNS_LOG_WARN, "fallback_used", "name", name ? name : "?",
			 "answered %s from fallback-file: upstreams failed and nothing is cached",
			 name ? name : "?");
	free(name);
	return true;
}

void respond_cached(struct server *s, struct waiter *w, const struct dcache_entry *e,
		    uint32_t age, bool stale)
{
	uint32_t stale_ttl = stale ? s->opts->stale_ttl_sec : 0;
	struct xdpdns_answer_index ix;
	ldns_pkt *a;

	if (!e->wire_len) {
		respond_rcode(s, w, LDNS_RCODE_SERVFAIL);
		return;
	}
	if (w->fast && e->indexed) {
		dcache_answer_index(e, &ix);
		if (respond_wire(s, w, dcache_wire(e), e->wire_len, &ix, age, stale_ttl))
			return;
	}
	a = dcache_answer(e);
	if (a)
		respond_ldns(s, w, a, 0, age, stale_ttl);
	else
		respond_rcode(s, w, LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(a);
}

void respond_unresolved(struct server *s, struct waiter *w, const struct dcache_entry *e,
			bool fallback_ok)
{
	if (stale_ok(s, e, ev_now_ms())) {
		s->stats.stale_answers++;
		respond_cached(s, w, e, 0, true);
	} else if (!fallback_ok || !respond_fallback(s, w)) {
		respond_rcode(s, w, LDNS_RCODE_SERVFAIL);
	}
}

/* FORMERR, NOTIMP or BADVERS for a query ldns could (or could not) parse, len >= 12: the ID,
 * opcode, RD and CD copied (RFC 1035 4.1.1, RFC 6840 5.9), RA, and the question echoed when
 * there is exactly one and it parses alone (RFC 6891 7: a BADVERS keeps it too). */
void respond_error(struct server *s, struct waiter *w, const uint8_t *wire, size_t len,
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
	send_response(s, &w->client, w->query, r);
out:
	ldns_pkt_free(r);
	waiter_free(w);
}
