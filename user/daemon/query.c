// SPDX-License-Identifier: GPL-2.0
/* A query from any transport: parsed, answered from the daemon's cache, refused, or handed to
 * resolution.c. */
#include <stdlib.h>
#include "respond.h"
#include "server.h"
#include "wire.h"

/* Handles one query; takes w (its client), frees it or hands it to a resolution. */
static void handle_query(struct server *s, const uint8_t *wire, size_t len, struct waiter *w)
{
	struct dcache_key key;
	struct dcache_entry *e;
	const ldns_rr *question;
	uint8_t key_flags;
	uint64_t now = ev_now_ms();

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
	if (e && dcache_fresh(e, now)) {
		s->stats.from_dcache++;
		e->hits++;
		respond_cached(s, w, e, (now - e->stored_ms) / 1000, false);
		waiter_free(w);
		return;
	}
	s->stats.misses++;
	resolution_miss(s, w, &key, key_flags, ldns_rr_owner(question), ldns_rr_get_type(question),
			e);
}

void server_query(struct server *s, const uint8_t *wire, size_t len,
		  const struct server_client *c)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w) {
		if (c->release)
			c->release(c);
		return;
	}
	w->client = *c;
	handle_query(s, wire, len, w);
}
