// SPDX-License-Identifier: GPL-2.0
/* Cache entry building: layout, TTL offsets, body checksum, class choice, refusals; and back
 * to the answer. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cache_entry.h"
#include "frame.h"
#include "harness.h"

static const struct xdpdns_entry_meta meta = { .hash_seed = 42, .stored_ns = 1000, .ttl_sec = 300 };

static ldns_pkt *response(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
			  const char *const *an, const char *const *ns)
{
	ldns_pkt *p = make_response(name, type, rcode, an, ns);

	assert_non_null(p);
	return p;
}

static void test_a_record_layout(void **state)
{
	const char *an[] = { "www.example.com. 300 IN A 192.0.2.1", NULL };
	ldns_pkt *p = response("WWW.Example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	static const uint8_t wire_name[] = "\3www\7example\3com";
	struct xdpdns_entry_buf b;
	struct xdpdns_cache_entry *e = &b.value.entry;
	/* the owner compresses to the question at offset 12 */
	static const uint8_t body[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1 };
	uint8_t zeroed[sizeof(body)];

	assert_int_equal(xdpdns_entry_build(p, &meta, &b), 0);
	assert_int_equal(b.cls, XDPDNS_CLASS_S);
	assert_int_equal(b.value_len, XDPDNS_CLASS_S_VALUE_LEN);
	assert_int_equal(b.key.qtype, LDNS_RR_TYPE_A);
	assert_int_equal(b.key.name_len, sizeof(wire_name));
	assert_true(b.key.name_hash == xdpdns_name_hash(42, wire_name, sizeof(wire_name)));
	assert_int_equal(e->stored_ns, 1000);
	assert_int_equal(e->ttl_sec, 300);
	assert_int_equal(e->dns_flags & 0x8000, 0x8000); /* QR */
	assert_int_equal(e->dns_flags & 0x0400, 0);      /* AA: a cache has no authority */
	assert_int_equal(e->dns_flags & 0x0080, 0x0080); /* RA */
	assert_int_equal(e->dns_flags & 0xf, LDNS_RCODE_NOERROR);
	assert_int_equal(e->ancount, 1);
	assert_int_equal(e->nscount, 0);
	assert_int_equal(e->arcount, 0);
	assert_int_equal(e->body_len, sizeof(body));
	assert_memory_equal(e->data, body, sizeof(body));
	assert_memory_equal(e->data + sizeof(body), wire_name, sizeof(wire_name)); /* lowercased */
	assert_int_equal(e->ttl_count, 1);
	assert_int_equal(e->ttl_off[0], 6);
	memcpy(zeroed, body, sizeof(body));
	memset(zeroed + 6, 0, 4);
	assert_int_equal(e->body_csum, inet_sum(zeroed, sizeof(zeroed), 0));
	ldns_pkt_free(p);
}

static void test_ttl_offsets_follow_every_record(void **state)
{
	const char *an[] = { "a.example.com. 3600 IN CNAME b.example.net.",
			     "b.example.net. 60 IN A 192.0.2.2", "b.example.net. 60 IN A 192.0.2.3",
			     NULL };
	const char *ns[] = { "example.net. 900 IN NS ns.example.net.", NULL };
	ldns_pkt *p = response("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns);
	struct xdpdns_entry_buf b;
	struct xdpdns_cache_entry *e = &b.value.entry;
	static const uint32_t ttls[] = { 3600, 60, 60, 900 };
	int i;

	assert_int_equal(xdpdns_entry_build(p, &meta, &b), 0);
	assert_int_equal(e->ttl_count, 4);
	for (i = 0; i < 4; i++) {
		const uint8_t *t = e->data + e->ttl_off[i];

		assert_int_equal((uint32_t)t[0] << 24 | t[1] << 16 | t[2] << 8 | t[3], ttls[i]);
	}
	ldns_pkt_free(p);
}

static void test_case_does_not_change_the_key(void **state)
{
	const char *an[] = { "x.example. 300 IN A 192.0.2.4", NULL };
	ldns_pkt *p1 = response("X.EXAMPLE.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	ldns_pkt *p2 = response("x.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	ldns_pkt *p3 = response("x-example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct xdpdns_entry_buf b1, b2, b3;

	assert_int_equal(xdpdns_entry_build(p1, &meta, &b1), 0);
	assert_int_equal(xdpdns_entry_build(p2, &meta, &b2), 0);
	assert_int_equal(xdpdns_entry_build(p3, &meta, &b3), 0);
	assert_memory_equal(&b1.key, &b2.key, sizeof(b1.key));
	assert_memory_not_equal(&b1.key, &b3.key, sizeof(b1.key));
	ldns_pkt_free(p1);
	ldns_pkt_free(p2);
	ldns_pkt_free(p3);
}

/* The SOA's names compress against the question: a negative answer stays small. */
static void test_nxdomain_with_soa_is_compact(void **state)
{
	const char *ns[] = { "example.com. 60 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 60", NULL };
	ldns_pkt *p = response("nothing-here.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns);
	struct xdpdns_entry_buf b;

	assert_int_equal(xdpdns_entry_build(p, &meta, &b), 0);
	assert_int_equal(b.value.entry.dns_flags & 0xf, LDNS_RCODE_NXDOMAIN);
	assert_int_equal(b.value.entry.nscount, 1);
	assert_true(b.value.entry.body_len < 64);
	assert_int_equal(b.cls, XDPDNS_CLASS_S);
	ldns_pkt_free(p);
}

static void test_refuses_what_the_kernel_must_not_serve(void **state)
{
	const char *an[] = { "r.example. 300 IN A 192.0.2.5", NULL };
	ldns_pkt *sf = response("r.example.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, NULL, NULL);
	ldns_pkt *refused = response("r.example.", LDNS_RR_TYPE_A, LDNS_RCODE_REFUSED, NULL, NULL);
	ldns_pkt *tc = response("r.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct xdpdns_entry_buf b;

	ldns_pkt_set_tc(tc, true);
	assert_int_equal(xdpdns_entry_build(sf, &meta, &b), -EINVAL);
	assert_int_equal(xdpdns_entry_build(refused, &meta, &b), -EINVAL);
	assert_int_equal(xdpdns_entry_build(tc, &meta, &b), -EINVAL);
	ldns_pkt_free(sf);
	ldns_pkt_free(refused);
	ldns_pkt_free(tc);
}

/* Found by tests/fuzz/fuzz_cache_entry.c: an answer to a question of class CH (or none) was
 * stored under a key that has no class, to be served to IN queries. */
static void test_refuses_a_question_of_another_class(void **state)
{
	const char *an[] = { "r.example. 300 IN A 192.0.2.5", NULL };
	ldns_pkt *ch = response("r.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	/* the fuzzer's input: NXDOMAIN to "www.examp\000\001." type 0 class 0, then junk */
	static const uint8_t crash[] = {
		0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 7, 'e', 'x',
		'a', 'm', 'p', 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	ldns_pkt *zero = NULL;
	struct xdpdns_entry_buf b;

	ldns_rr_set_class(ldns_rr_list_rr(ldns_pkt_question(ch), 0), LDNS_RR_CLASS_CH);
	assert_int_equal(xdpdns_entry_build(ch, &meta, &b), -EINVAL);
	assert_int_equal(ldns_wire2pkt(&zero, crash, sizeof(crash)), LDNS_STATUS_OK);
	assert_int_equal(xdpdns_entry_build(zero, &meta, &b), -EINVAL);
	ldns_pkt_free(ch);
	ldns_pkt_free(zero);
}

static void test_too_many_records(void **state)
{
	char rrs[XDPDNS_ENTRY_TTLS_MAX + 1][64];
	const char *an[XDPDNS_ENTRY_TTLS_MAX + 2];
	struct xdpdns_entry_buf b;
	ldns_pkt *p;
	int i;

	for (i = 0; i <= XDPDNS_ENTRY_TTLS_MAX; i++) {
		snprintf(rrs[i], sizeof(rrs[i]), "many.example. 300 IN A 192.0.2.%d", i + 1);
		an[i] = rrs[i];
	}
	an[XDPDNS_ENTRY_TTLS_MAX + 1] = NULL;
	p = response("many.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	assert_int_equal(xdpdns_entry_build(p, &meta, &b), -E2BIG);
	ldns_pkt_free(p);
}

static void test_class_boundaries(void **state)
{
	size_t s = XDPDNS_CLASS_DATA_LEN(XDPDNS_CLASS_S_VALUE_LEN);
	size_t l = XDPDNS_CLASS_DATA_LEN(XDPDNS_CLASS_L_VALUE_LEN);

	assert_int_equal(xdpdns_entry_class(s - 64, 64), XDPDNS_CLASS_S);
	assert_int_equal(xdpdns_entry_class(s - 64, 65), XDPDNS_CLASS_M); /* name read in words */
	assert_int_equal(xdpdns_entry_class(l - 256, 255), XDPDNS_CLASS_L);
	assert_int_equal(xdpdns_entry_class(l - 255, 255), -E2BIG);
}

/* The memory target: a typical answer (name <= 64 bytes, one A or AAAA) costs <= 512
 * bytes of map memory. Elements are 72 bytes of kernel overhead plus the value, and each class
 * is sized to land on a kernel allocation size (make bench-xdp measures the real figure). */
static void test_typical_entry_fits_256_bytes(void **state)
{
	char name[80], rr[160];
	const char *an[] = { rr, NULL };
	struct xdpdns_entry_buf b;
	ldns_pkt *p;

	/* 62 characters + root: a 64-byte wire name */
	snprintf(name, sizeof(name), "%.*s.%.*s.", 30, "abcdefghijklmnopqrstuvwxyzabcdefgh", 30,
		 "abcdefghijklmnopqrstuvwxyzabcdefgh");
	snprintf(rr, sizeof(rr), "%s 300 IN AAAA 2001:db8::1", name);
	p = response(name, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, an, NULL);
	assert_int_equal(xdpdns_entry_build(p, &meta, &b), 0);
	assert_int_equal(b.key.name_len, 63);
	assert_int_equal(b.cls, XDPDNS_CLASS_S);
	assert_int_equal(XDPDNS_MAP_ELEM_OVERHEAD + b.value_len, 256);
	ldns_pkt_free(p);
}

/* xdpdns_entry_answer() gives back, byte for byte, the answer the daemon keeps in its own
 * cache (xdpdns_answer_copy's wire form): a CNAME chain with an authority section, and an
 * NXDOMAIN, asked in mixed case. */
static void test_answer_is_the_inverse_of_build(void **state)
{
	const char *an[] = { "Alias.Example.com. 3600 IN CNAME b.example.net.",
			     "b.example.net. 60 IN A 192.0.2.2", NULL };
	const char *ns[] = { "example.net. 900 IN NS ns.example.net.", NULL };
	const char *soa[] = { "example.com. 60 IN SOA ns1.example.com. h.example.com. 1 2 3 4 60",
			      NULL };
	ldns_pkt *in[2] = {
		response("ALIAS.example.COM.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns),
		response("Nope.Example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN, NULL, soa),
	};
	uint8_t got[XDPDNS_ENTRY_WIRE_MAX_LEN];
	int i;

	for (i = 0; i < 2; i++) {
		ldns_pkt *copy = xdpdns_answer_copy(in[i]);
		struct xdpdns_entry_buf b;
		uint8_t *want = NULL;
		size_t want_len = 0;
		int len;

		assert_non_null(copy);
		assert_int_equal(ldns_pkt2wire(&want, copy, &want_len), LDNS_STATUS_OK);
		assert_int_equal(xdpdns_entry_build(in[i], &meta, &b), 0);
		len = xdpdns_entry_answer(&b.value.entry, &b.key, got, sizeof(got));
		assert_int_equal(len, want_len);
		assert_memory_equal(got, want, want_len);
		assert_int_equal(xdpdns_entry_answer(&b.value.entry, &b.key, got, len - 1), -ENOSPC);
		free(want);
		ldns_pkt_free(copy);
		ldns_pkt_free(in[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_record_layout),
		cmocka_unit_test(test_ttl_offsets_follow_every_record),
		cmocka_unit_test(test_case_does_not_change_the_key),
		cmocka_unit_test(test_nxdomain_with_soa_is_compact),
		cmocka_unit_test(test_refuses_what_the_kernel_must_not_serve),
		cmocka_unit_test(test_refuses_a_question_of_another_class),
		cmocka_unit_test(test_too_many_records),
		cmocka_unit_test(test_class_boundaries),
		cmocka_unit_test(test_typical_entry_fits_256_bytes),
		cmocka_unit_test(test_answer_is_the_inverse_of_build),
	};

	return cmocka_run_group_tests_name("cache_entry", tests, NULL, NULL);
}
