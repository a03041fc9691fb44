// SPDX-License-Identifier: GPL-2.0
/* Fault drills (user/daemon/drill.c): what xdpdnsctl drill accepts and refuses, and what each fault
 * does to queries and answers over time. Times are given, not read from a clock. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <ldns/ldns.h>
#include "drill.h"

#define T0 1000000 /* ms: any start */

static struct drill parse_ok(const char *args)
{
	struct drill d;
	char err[300] = "";

	if (drill_parse(args, T0, &d, err, sizeof(err)))
		fail_msg("'%s' refused: %s", args, err);
	return d;
}

static void test_parse(void **state)
{
	struct drill d = parse_ok("servfail");
	char text[320];

	assert_int_equal(d.fault, DRILL_SERVFAIL);
	assert_int_equal(d.until_ms, T0 + DRILL_DEFAULT_SEC * 1000);
	drill_describe(&d, T0 + 500, text, sizeof(text));
	assert_string_equal(text, "servfail, 60 s left");

	d = parse_ok("slow 1500 for 5");
	assert_int_equal(d.fault, DRILL_SLOW);
	assert_int_equal(d.arg, 1500);
	assert_int_equal(d.until_ms, T0 + 5000);

	d = parse_ok("stop for 1");
	assert_int_equal(d.fault, DRILL_STOP);
	assert_int_equal(d.until_ms, T0 + 1000);

	d = parse_ok("empty WWW.Example.com");
	assert_int_equal(d.fault, DRILL_EMPTY);
	drill_describe(&d, T0, text, sizeof(text));
	assert_string_equal(text, "empty www.example.com., 60 s left");
	drill_clear(&d);
	assert_int_equal(d.fault, DRILL_NONE);
	assert_null(d.name);
}

static void test_refused(void **state)
{
	static const struct {
		const char *args, *why;
	} bad[] = {
		{ "", "unknown fault" },
		{ "crash", "unknown fault 'crash'" },
		{ "slow", "slow needs MS" },
		{ "slow fast", "MS from 1 to 60000" },
		{ "slow 0", "MS from 1 to 60000" },
		{ "loss 101", "PERCENT from 1 to 100" },
		{ "loss 20x", "PERCENT from 1 to 100" },
		{ "flap 0", "SECONDS from 1 to 600" },
		{ "nxdomain", "nxdomain needs NAME" },
		{ "servfail for", "'for SECONDS'" },
		{ "servfail for 0", "'for SECONDS'" },
		{ "servfail for 3601", "'for SECONDS'" },
		{ "servfail during 5", "'for SECONDS'" },
		{ "stop for 5 more", "'for SECONDS'" },
		{ "loss 20 for 5 and", "'for SECONDS'" },
		{ "empty a..b", "not a domain name" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct drill d;
		char err[300] = "";

		if (drill_parse(bad[i].args, T0, &d, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].args);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].args, err, bad[i].why);
		assert_int_equal(d.fault, DRILL_NONE);
		assert_null(d.name);
	}
}

/* Every drill ends by itself. */
static void test_expires(void **state)
{
	struct drill d = parse_ok("stop for 2");

	assert_true(drill_drops_query(&d, T0 + 1999));
	assert_false(drill_drops_query(&d, T0 + 2000));
	assert_int_equal(d.fault, DRILL_NONE);
	assert_false(drill_active(&d, T0 + 1)); /* cleared: not back when the clock is */
}

static void test_slow_holds_answers(void **state)
{
	struct drill d = parse_ok("slow 800");
	uint64_t hold = 0;

	assert_false(drill_drops_query(&d, T0));
	assert_int_equal(drill_on_answer(&d, T0 + 100, T0 + 50, &hold), DRILL_HOLD);
	assert_int_equal(hold, 750);
	assert_int_equal(drill_on_answer(&d, T0 + 850, T0 + 50, &hold), DRILL_DELIVER);
}

static void test_flap(void **state)
{
	struct drill d = parse_ok("flap 2");
	uint64_t hold;

	assert_true(drill_drops_query(&d, T0));
	assert_true(drill_drops_query(&d, T0 + 1999));
	assert_false(drill_drops_query(&d, T0 + 2000));
	assert_int_equal(drill_on_answer(&d, T0 + 3999, T0, &hold), DRILL_DELIVER);
	assert_true(drill_drops_query(&d, T0 + 4000));
	assert_int_equal(drill_on_answer(&d, T0 + 4000, T0, &hold), DRILL_DROP);
}

/* loss 20: about a fifth of each way, over enough rolls that it cannot flake (the bounds are
 * over ten standard deviations out) */
static void test_loss(void **state)
{
	struct drill d = parse_ok("loss 20");
	int i, dropped_q = 0, dropped_a = 0, n = 20000;
	uint64_t hold;

	for (i = 0; i < n; i++) {
		dropped_q += drill_drops_query(&d, T0 + 1);
		dropped_a += drill_on_answer(&d, T0 + 1, T0, &hold) == DRILL_DROP;
	}
	assert_in_range(dropped_q, n * 17 / 100, n * 23 / 100);
	assert_in_range(dropped_a, n * 17 / 100, n * 23 / 100);
}

static ldns_pkt *positive_answer(const char *name)
{
	ldns_pkt *p = NULL;
	ldns_rr *rr = NULL;
	char text[300];

	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
						    LDNS_RD), LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	snprintf(text, sizeof(text), "%s 300 IN A 192.0.2.10", name);
	assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	assert_int_equal(ldns_rr_new_frm_str(&rr, "example.com. 300 IN NS ns.example.com.", 0,
					     NULL, NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
	return p;
}

/* The outage's own failure: the named record turns empty (or NXDOMAIN), with an SOA as a zone
 * would give, so the cache sees what it saw in October 2025; other names are untouched. */
static void test_rewrites(void **state)
{
	struct drill d = parse_ok("empty api.example.com");
	ldns_pkt *p = positive_answer("API.example.com.");
	ldns_pkt *other = positive_answer("www.example.com.");
	ldns_rdf *qname = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0));
	ldns_rr *soa;

	assert_true(drill_rewrite(&d, T0 + 1, qname, p));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(soa),
					    ldns_dname_new_frm_str("example.com.")), 0);
	assert_false(drill_rewrite(&d, T0 + 1,
				   ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(other), 0)),
				   other));
	assert_int_equal(ldns_pkt_ancount(other), 1);
	drill_clear(&d);
	ldns_pkt_free(p);

	d = parse_ok("nxdomain api.example.com");
	p = positive_answer("api.example.com.");
	assert_true(drill_rewrite(&d, T0 + 1,
				  ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)), p));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	drill_clear(&d);
	ldns_pkt_free(p);

	d = parse_ok("servfail");
	assert_true(drill_rewrite(&d, T0 + 1,
				  ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(other), 0)),
				  other));
	assert_int_equal(ldns_pkt_get_rcode(other), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ldns_pkt_ancount(other), 0);
	ldns_pkt_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_expires),
		cmocka_unit_test(test_slow_holds_answers),
		cmocka_unit_test(test_flap),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_rewrites),
	};

	return cmocka_run_group_tests_name("drill", tests, NULL, NULL);
}
