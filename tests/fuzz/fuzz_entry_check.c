// SPDX-License-Identifier: GPL-2.0
/* The checks of a kernel cache entry, shared by fuzz_cache_entry.c and fuzz_upstream.c. */
#include <string.h>
#include "fuzz.h"

#define DNS_HDR_LEN 12
/* the next record's TTL is at least this far past one's: its rdlength (2), the next owner (the
 * root, 1), type (2) and class (2), besides the TTL (4) itself */
#define TTL_GAP_MIN (4 + 2 + 1 + 2 + 2)

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const ldns_rr_list *section(const ldns_pkt *p, int s)
{
	return s == 0 ? ldns_pkt_answer(p) : s == 1 ? ldns_pkt_authority(p) : ldns_pkt_additional(p);
}

void fuzz_check_entry(const ldns_pkt *resp, const struct xdpdns_entry_meta *meta,
		      const struct xdpdns_entry_buf *b)
{
	const struct xdpdns_cache_entry *e = &b->value.entry;
	static uint8_t wire[XDPDNS_ENTRY_WIRE_MAX_LEN], body[XDPDNS_CLASS_L_VALUE_LEN];
	ldns_pkt *want = xdpdns_answer_copy(resp), *got = NULL;
	const ldns_rr *question;
	const ldns_rdf *qname;
	struct xdpdns_cache_key key;
	size_t name_len = b->key.name_len, qlen = DNS_HDR_LEN + name_len + 4, i, n = 0;
	int len, s;

	FUZZ_CHECK(want, "out of memory");
	question = ldns_rr_list_rr(ldns_pkt_question(want), 0);
	qname = ldns_rr_owner(question);

	/* the class: the smallest that holds the body and the name in whole 64-bit words */
	FUZZ_CHECK(b->cls < XDPDNS_CLASS_COUNT, "class %d", b->cls);
	FUZZ_CHECK(b->value_len == xdpdns_class_value_len(b->cls), "value_len %u", b->value_len);
	FUZZ_CHECK(xdpdns_entry_class(e->body_len, name_len) == (int)b->cls, "body %u name %zu",
		   e->body_len, name_len);
	FUZZ_CHECK(e->body_len + ((name_len + 7) & ~(size_t)7) <=
			   XDPDNS_CLASS_DATA_LEN(b->value_len),
		   "body %u name %zu", e->body_len, name_len);

	/* the key and the stored name: the lowercased question's */
	FUZZ_CHECK(name_len == ldns_rdf_size(qname) && name_len >= 1 &&
			   name_len <= XDPDNS_NAME_MAX_LEN,
		   "name_len %zu, question %zu", name_len, ldns_rdf_size(qname));
	FUZZ_CHECK(!memcmp(e->data + e->body_len, ldns_rdf_data(qname), name_len), "stored name");
	xdpdns_entry_key(&key, meta->hash_seed, ldns_rdf_data(qname), name_len,
			 ldns_rr_get_type(question), meta->key_flags);
	FUZZ_CHECK(!memcmp(&key, &b->key, sizeof(key)), "key");
	FUZZ_CHECK(e->stored_ns == meta->stored_ns && e->ttl_sec == meta->ttl_sec, "meta");

	/* one TTL offset per record, in order, inside the body; the checksum with them zeroed */
	FUZZ_CHECK(e->ttl_count <= XDPDNS_ENTRY_TTLS_MAX &&
			   e->ttl_count == e->ancount + e->nscount + e->arcount,
		   "ttl_count %u, counts %u %u %u", e->ttl_count, e->ancount, e->nscount,
		   e->arcount);
	memcpy(body, e->data, e->body_len);
	for (i = 0; i < e->ttl_count; i++) {
		FUZZ_CHECK(e->ttl_off[i] + 4u <= e->body_len, "TTL %zu at %u, body %u", i,
			   e->ttl_off[i], e->body_len);
		FUZZ_CHECK(i == 0 || e->ttl_off[i] >= e->ttl_off[i - 1] + TTL_GAP_MIN,
			   "TTL %zu at %u after %u", i, e->ttl_off[i], e->ttl_off[i - 1]);
		memset(body + e->ttl_off[i], 0, 4);
	}
	FUZZ_CHECK(xdpdns_csum16(body, e->body_len) == e->body_csum, "body checksum");

	/* and back: the same answer, its TTLs where the offsets say */
	len = xdpdns_entry_answer(e, &b->key, wire, sizeof(wire));
	FUZZ_CHECK(len == (int)(qlen + e->body_len), "xdpdns_entry_answer: %d", len);
	FUZZ_CHECK(ldns_wire2pkt(&got, wire, len) == LDNS_STATUS_OK, "entry answer unparsable");
	FUZZ_CHECK(ldns_pkt_get_rcode(got) == ldns_pkt_get_rcode(want) &&
			   ldns_pkt_qr(got) == ldns_pkt_qr(want) &&
			   ldns_pkt_aa(got) == ldns_pkt_aa(want) &&
			   ldns_pkt_tc(got) == ldns_pkt_tc(want) &&
			   ldns_pkt_rd(got) == ldns_pkt_rd(want) &&
			   ldns_pkt_ra(got) == ldns_pkt_ra(want) &&
			   ldns_pkt_ad(got) == ldns_pkt_ad(want) &&
			   ldns_pkt_cd(got) == ldns_pkt_cd(want),
		   "header flags or rcode");
	FUZZ_CHECK(!ldns_pkt_edns(got), "an OPT record in the entry");
	FUZZ_CHECK(ldns_rr_compare(ldns_rr_list_rr(ldns_pkt_question(got), 0), question) == 0,
		   "question");
	for (s = 0; s < 3; s++) {
		const ldns_rr_list *g = section(got, s), *w = section(want, s);

		FUZZ_CHECK(ldns_rr_list_rr_count(g) == ldns_rr_list_rr_count(w),
			   "section %d: %zu records, want %zu", s, ldns_rr_list_rr_count(g),
			   ldns_rr_list_rr_count(w));
		for (i = 0; i < ldns_rr_list_rr_count(w); i++, n++) {
			const ldns_rr *gr = ldns_rr_list_rr(g, i), *wr = ldns_rr_list_rr(w, i);

			FUZZ_CHECK(ldns_rr_compare(gr, wr) == 0, "section %d record %zu", s, i);
			FUZZ_CHECK(ldns_rr_ttl(gr) == ldns_rr_ttl(wr), "section %d record %zu TTL",
				   s, i);
			FUZZ_CHECK(get32(wire + qlen + e->ttl_off[n]) == ldns_rr_ttl(wr),
				   "TTL offset %zu", n);
		}
	}
	ldns_pkt_free(got);
	ldns_pkt_free(want);
}
