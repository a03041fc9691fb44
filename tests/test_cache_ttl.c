// SPDX-License-Identifier: GPL-2.0
/* How long the daemon caches an upstream's answer (server_cache_ttl()): every record's TTL is
 * at least the entry's, so the kernel never ages one to 0 before the entry expires. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include "policy.h"

static const char *const soa[] = { "example.com. 3600 IN SOA ns.example.com. host.example.com. "
				   "1 7200 3600 1209600 60", NULL };

static void assert_ttls_at_least(const ldns_pkt *p, uint32_t ttl)
{
	const ldns_rr_list *lists[] = { ldns_pkt_answer(p), ldns_pkt_authority(p),
					ldns_pkt_additional(p) };
	size_t s, i;

	for (s = 0; s < 3; s++)
		for (i = 0; i < ldns_rr_list_rr_count(lists[s]); i++)
			if (ldns_rr_ttl(ldns_rr_list_rr(lists[s], i)) < ttl)
				fail_msg("section %zu record %zu: TTL %u below the entry's %u", s, i,
					 ldns_rr_ttl(ldns_rr_list_rr(lists[s], i)), ttl);
}

static void test_negative_with_soa(void **state)
{
	struct xdpdns_options o;
	ldns_pkt *p = make_response("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa);

	xdpdns_options_defaults(&o);
	assert_int_equal(server_cache_ttl(&o, p), 30); /* MINIMUM 60, max-negative-ttl 30 */
	assert_ttls_at_least(p, 30);
	ldns_pkt_free(p);
}

/* Found by tests/fuzz/fuzz_upstream.c (tests/fuzz/regress/upstream/nxdomain-additional-ttl-0):
 * a negative answer's records outside the authority section kept TTLs below the entry's. */
static void test_negative_no_longer_than_its_other_records(void **state)
{
	static const char *const cname[] = { "alias.example.com. 5 IN CNAME nx.example.com.", NULL };
	struct xdpdns_options o;
	ldns_pkt *p = make_response("alias.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, cname,
				    soa);
	ldns_pkt *q = make_response("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa);
	ldns_rr *extra = NULL;

	xdpdns_options_defaults(&o);
	assert_int_equal(server_cache_ttl(&o, p), 5);
	assert_ttls_at_least(p, 5);
	assert_int_equal(ldns_rr_new_frm_str(&extra, "ns.example.com. 0 IN A 192.0.2.1", 0, NULL,
					     NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(q, LDNS_SECTION_ADDITIONAL, extra);
	assert_int_equal(server_cache_ttl(&o, q), 0); /* TTL 0: not cached */
	ldns_pkt_free(p);
	ldns_pkt_free(q);
}

static void test_positive_takes_the_smallest(void **state)
{
	static const char *const a[] = { "www.example.com. 300 IN A 192.0.2.1",
					 "www.example.com. 100 IN A 192.0.2.2", NULL };
	struct xdpdns_options o;
	ldns_pkt *p = make_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);

	xdpdns_options_defaults(&o);
	assert_int_equal(server_cache_ttl(&o, p), 100);
	assert_ttls_at_least(p, 100);
	ldns_pkt_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negative_with_soa),
		cmocka_unit_test(test_negative_no_longer_than_its_other_records),
		cmocka_unit_test(test_positive_takes_the_smallest),
	};

	return cmocka_run_group_tests_name("cache_ttl", tests, NULL, NULL);
}
