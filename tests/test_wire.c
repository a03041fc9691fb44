// SPDX-License-Identifier: GPL-2.0
/* Messages from the network before ldns parses them (wire.h): what ldns would leak or take
 * wrongly is refused, the rest parsed as ldns does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "cache_entry.h"
#include "wire.h"

/* a query for ". A" with n records in additional, each of type types[i], root owner, no rdata */
static size_t message(uint8_t *buf, const uint16_t *types, int n)
{
	static const uint8_t head[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					0, 0, 1, 0, 1 };
	size_t len = sizeof(head);
	int i;

	memcpy(buf, head, len);
	buf[11] = n;
	for (i = 0; i < n; i++) {
		static const uint8_t rr[] = { 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0 };

		memcpy(buf + len, rr, sizeof(rr));
		buf[len + 1] = types[i] >> 8;
		buf[len + 2] = types[i] & 0xff;
		len += sizeof(rr);
	}
	return len;
}

/* ldns 1.8.3 keeps the last TSIG and leaks the others (tests/fuzz found it: 73 bytes a query) */
static void test_two_tsig_refused(void **state)
{
	static const uint16_t types[] = { 250, 250 };
	uint8_t buf[128];
	size_t len = message(buf, types, 2);
	ldns_pkt *p = (ldns_pkt *)1;

	(void)state;
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_null(p);
}

static void test_tsig_not_last_refused(void **state)
{
	static const uint16_t types[] = { 250, 1 };
	uint8_t buf[128];
	size_t len = message(buf, types, 2);
	ldns_pkt *p;

	(void)state;
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_null(p);
}

static void test_one_tsig_last_parsed(void **state)
{
	static const uint16_t types[] = { 1, 250 };
	uint8_t buf[128];
	size_t len = message(buf, types, 2);
	ldns_pkt *p;

	(void)state;
	assert_int_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_non_null(p);
	assert_non_null(ldns_pkt_tsig(p));
	ldns_pkt_free(p);
}

static void test_short_and_overrun_refused(void **state)
{
	static const uint16_t types[] = { 1 };
	uint8_t buf[128];
	size_t len = message(buf, types, 1);
	ldns_pkt *p;

	(void)state;
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, 11), LDNS_STATUS_OK);
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len - 1), LDNS_STATUS_OK);
	buf[len - 1] = 4; /* rdlength past the end */
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	buf[12] = 0x80; /* a label type that does not exist */
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
}

/* ---- the hot path: queries parsed just enough, answers written from cached messages ---- */

/* a query in wire form, built by ldns: name (case as given), type, header flags (LDNS_RD...),
 * EDNS size (0: no OPT) and DO */
static size_t query_wire(uint8_t *buf, const char *name, ldns_rr_type type, uint16_t flags,
			 uint16_t edns_size, bool do_bit)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, flags),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0xbeef);
	if (edns_size) {
		ldns_pkt_set_edns_udp_size(p, edns_size);
		ldns_pkt_set_edns_do(p, do_bit);
	}
	assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	memcpy(buf, wire, len);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

/* the cached message of an upstream answer to www.example. A: two A records (TTL 300 and 200),
 * the zone's SOA in authority (TTL 100), AD set, and `more` A records (TTL 60); as the caches
 * keep it */
static size_t cached_msg_more(uint8_t *buf, size_t *len_out, int more)
{
	static const char *const rrs[] = { "www.example. 300 IN A 192.0.2.1",
					   "www.example. 200 IN A 192.0.2.2",
					   "example. 100 IN SOA ns.example. h.example. 1 2 3 4 5" };
	ldns_pkt *a = ldns_pkt_new(), *copy;
	uint8_t *wire = NULL;
	size_t len = 0, i;
	ldns_rr *rr;

	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_rd(a, true);
	ldns_pkt_set_ad(a, true);
	assert_int_equal(ldns_rr_new_question_frm_str(&rr, "WWW.example. IN A", NULL, NULL),
			 LDNS_STATUS_OK);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, rr);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(a, i < 2 ? LDNS_SECTION_ANSWER : LDNS_SECTION_AUTHORITY, rr);
	}
	for (i = 0; i < (size_t)more; i++) {
		char text[64];

		snprintf(text, sizeof(text), "www.example. 60 IN A 198.51.100.%zu", i);
		assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
	}
	copy = xdpdns_answer_copy(a);
	assert_non_null(copy);
	assert_int_equal(ldns_pkt2wire(&wire, copy, &len), LDNS_STATUS_OK);
	memcpy(buf, wire, len);
	free(wire);
	ldns_pkt_free(copy);
	ldns_pkt_free(a);
	*len_out = len;
	return len;
}

static size_t cached_msg(uint8_t *buf, size_t *len_out)
{
	return cached_msg_more(buf, len_out, 0);
}

static void test_query_verdicts(void **state)
{
	uint8_t buf[600];
	struct xdpdns_query q;
	size_t len;

	(void)state;
	len = query_wire(buf, "wWw.Example.", LDNS_RR_TYPE_A, LDNS_RD, 0, false);
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_OK);
	assert_int_equal(q.id, 0xbeef);
	assert_int_equal(q.qtype, LDNS_RR_TYPE_A);
	assert_int_equal(q.name_len, 13);
	assert_false(q.edns);
	assert_int_equal(xdpdns_query_udp_limit(&q, 1232), 512);
	assert_int_equal(xdpdns_query_parse(buf, 11, &q), XDPDNS_QUERY_DROP);
	assert_int_equal(xdpdns_query_parse(buf, len - 1, &q), XDPDNS_QUERY_SLOW);
	buf[len] = 0; /* a trailing byte */
	assert_int_equal(xdpdns_query_parse(buf, len + 1, &q), XDPDNS_QUERY_SLOW);
	buf[2] |= 0x80; /* a response */
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_DROP);
	buf[2] = (buf[2] & 0x7f) | 4 << 3; /* NOTIFY */
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_SLOW);
	buf[2] &= 0x87;
	buf[len - 1] = 3; /* class CH */
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_SLOW);
	buf[len - 1] = 1;
	buf[5] = 2; /* two questions */
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_SLOW);
	buf[5] = 1;
	buf[12] = 0xc0; /* a compression pointer */
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_SLOW);

	len = query_wire(buf, "example.", LDNS_RR_TYPE_AXFR, 0, 0, false);
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_SLOW);
	len = query_wire(buf, "example.", LDNS_RR_TYPE_ANY, 0, 0, false);
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_OK);

	len = query_wire(buf, "example.", LDNS_RR_TYPE_AAAA, LDNS_RD, 4096, true);
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_OK);
	assert_true(q.edns);
	assert_true(q.do_bit);
	assert_int_equal(xdpdns_query_udp_limit(&q, 1232), 1232);
	buf[len - 6] = 1; /* EDNS version 1: BADVERS is the slow path's */
	assert_int_equal(xdpdns_query_parse(buf, len, &q), XDPDNS_QUERY_SLOW);
	buf[len - 6] = 0;
	/* an option (a client cookie, 8 bytes) is skipped */
	{
		static const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

		memcpy(buf + len, cookie, sizeof(cookie));
		buf[len - 1] = sizeof(cookie);
		assert_int_equal(xdpdns_query_parse(buf, len + sizeof(cookie), &q), XDPDNS_QUERY_OK);
		buf[len - 1] = sizeof(cookie) + 1; /* an option running past the end */
		assert_int_equal(xdpdns_query_parse(buf, len + sizeof(cookie), &q),
				 XDPDNS_QUERY_SLOW);
	}
}

/* The answer written from the cache, parsed back by ldns: what the client gets. */
static ldns_pkt *answer_for(const uint8_t *query, size_t qlen, const struct xdpdns_answer_how *how,
			    bool *truncated)
{
	uint8_t msg[512], out[1024];
	struct xdpdns_answer_index ix;
	struct xdpdns_query q;
	size_t msg_len;
	ldns_pkt *p = NULL;
	int n;

	cached_msg(msg, &msg_len);
	assert_int_equal(xdpdns_answer_index(msg, msg_len, &ix), 0);
	assert_int_equal(ix.ttl_count, 3);
	assert_int_equal(xdpdns_query_parse(query, qlen, &q), XDPDNS_QUERY_OK);
	n = xdpdns_answer_write(out, sizeof(out), &q, msg, msg_len, &ix, how, truncated);
	assert_true(n > 0);
	assert_int_equal(memcmp(out + 12, query + 12, q.name_len), 0); /* the case as asked */
	assert_int_equal(xdpdns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	return p;
}

static void test_answer_aged_with_query_header(void **state)
{
	struct xdpdns_answer_how how = { .age_sec = 250, .our_udp_size = 1232 };
	uint8_t query[512];
	size_t len = query_wire(query, "wWw.EXample.", LDNS_RR_TYPE_A, LDNS_RD | LDNS_CD, 0, false);
	bool truncated;
	ldns_pkt *p = answer_for(query, len, &how, &truncated);

	(void)state;
	assert_false(truncated);
	assert_int_equal(ldns_pkt_id(p), 0xbeef);
	assert_true(ldns_pkt_qr(p) && ldns_pkt_rd(p) && ldns_pkt_ra(p) && ldns_pkt_cd(p));
	assert_false(ldns_pkt_aa(p) || ldns_pkt_tc(p));
	assert_false(ldns_pkt_ad(p)); /* asked with neither AD nor DO */
	assert_false(ldns_pkt_edns(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)), 50);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 1)), 0);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p), 0)), 0);
	ldns_pkt_free(p);
}

static void test_answer_stale_ad_and_edns(void **state)
{
	struct xdpdns_answer_how how = { .age_sec = 1000, .stale_ttl = 30, .our_udp_size = 1232 };
	uint8_t query[512];
	size_t len = query_wire(query, "www.example.", LDNS_RR_TYPE_A, LDNS_AD, 4096, true);
	bool truncated;
	ldns_pkt *p = answer_for(query, len, &how, &truncated);
	size_t i;

	(void)state;
	assert_false(ldns_pkt_rd(p) || ldns_pkt_cd(p));
	assert_true(ldns_pkt_ad(p));
	assert_true(ldns_pkt_edns(p));
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	assert_int_equal(ldns_pkt_edns_version(p), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), i)), 30);
	ldns_pkt_free(p);
}

static void test_answer_truncated_over_udp_only(void **state)
{
	struct xdpdns_answer_how how = { .our_udp_size = 1232 };
	uint8_t query[512], msg[2048], out[2048];
	struct xdpdns_answer_index ix;
	struct xdpdns_query q;
	size_t len, msg_len;
	bool truncated;
	ldns_pkt *p;
	int n;

	(void)state;
	/* 2 + 40 A records: about 700 bytes, over 512 */
	cached_msg_more(msg, &msg_len, 40);
	assert_true(msg_len > 600);
	assert_int_equal(xdpdns_answer_index(msg, msg_len, &ix), 0);
	len = query_wire(query, "www.example.", LDNS_RR_TYPE_A, LDNS_RD, 0, false);
	assert_int_equal(xdpdns_query_parse(query, len, &q), XDPDNS_QUERY_OK);
	n = xdpdns_answer_write(out, sizeof(out), &q, msg, msg_len, &ix, &how, &truncated);
	assert_true(truncated);
	assert_int_equal(xdpdns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_int_equal(ldns_pkt_ancount(p) + ldns_pkt_nscount(p) + ldns_pkt_arcount(p), 0);
	ldns_pkt_free(p);
	/* the client takes 4096 but we offer 512: ours caps it */
	len = query_wire(query, "www.example.", LDNS_RR_TYPE_A, LDNS_RD, 4096, false);
	assert_int_equal(xdpdns_query_parse(query, len, &q), XDPDNS_QUERY_OK);
	how.our_udp_size = 512;
	n = xdpdns_answer_write(out, sizeof(out), &q, msg, msg_len, &ix, &how, &truncated);
	assert_true(truncated);
	assert_int_equal(xdpdns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tc(p) && ldns_pkt_edns(p));
	ldns_pkt_free(p);
	/* ours is 1232: it fits */
	how.our_udp_size = 1232;
	n = xdpdns_answer_write(out, sizeof(out), &q, msg, msg_len, &ix, &how, &truncated);
	assert_false(truncated);
	assert_int_equal(n, 12 + 17 + msg_len - ix.body_off + 11);
	/* over TCP nothing is cut; a buffer too small is refused */
	how.tcp = true;
	len = query_wire(query, "www.example.", LDNS_RR_TYPE_A, LDNS_RD, 0, false);
	assert_int_equal(xdpdns_query_parse(query, len, &q), XDPDNS_QUERY_OK);
	n = xdpdns_answer_write(out, sizeof(out), &q, msg, msg_len, &ix, &how, &truncated);
	assert_false(truncated);
	assert_int_equal(xdpdns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_ancount(p), 42);
	ldns_pkt_free(p);
	assert_int_equal(xdpdns_answer_write(out, 100, &q, msg, msg_len, &ix, &how, &truncated),
			 -ENOSPC);
}

static void test_answer_rcode(void **state)
{
	uint8_t query[512], out[512];
	size_t len = query_wire(query, "Nx.example.", LDNS_RR_TYPE_MX, LDNS_RD, 1400, false);
	struct xdpdns_query q;
	ldns_pkt *p;
	int n;

	(void)state;
	assert_int_equal(xdpdns_query_parse(query, len, &q), XDPDNS_QUERY_OK);
	n = xdpdns_answer_write_rcode(out, sizeof(out), &q, LDNS_RCODE_SERVFAIL, 1232);
	assert_true(n > 0);
	assert_int_equal(xdpdns_wire2pkt(&p, out, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	assert_true(ldns_pkt_rd(p) && ldns_pkt_ra(p) && ldns_pkt_edns(p));
	assert_false(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	assert_int_equal(ldns_pkt_ancount(p) + ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
}

static void test_index_limits(void **state)
{
	uint8_t msg[512];
	struct xdpdns_answer_index ix;
	size_t len;

	(void)state;
	cached_msg(msg, &len);
	assert_int_equal(xdpdns_answer_index(msg, len - 1, &ix), -EINVAL);
	msg[len] = 0;
	assert_int_equal(xdpdns_answer_index(msg, len + 1, &ix), -EINVAL);
	msg[7] = XDPDNS_ANSWER_TTLS_MAX + 1;
	assert_int_equal(xdpdns_answer_index(msg, len, &ix), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_verdicts),
		cmocka_unit_test(test_answer_aged_with_query_header),
		cmocka_unit_test(test_answer_stale_ad_and_edns),
		cmocka_unit_test(test_answer_truncated_over_udp_only),
		cmocka_unit_test(test_answer_rcode),
		cmocka_unit_test(test_index_limits),
		cmocka_unit_test(test_two_tsig_refused),
		cmocka_unit_test(test_tsig_not_last_refused),
		cmocka_unit_test(test_one_tsig_last_parsed),
		cmocka_unit_test(test_short_and_overrun_refused),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
