// SPDX-License-Identifier: GPL-2.0
/* The XDP program on crafted frames (BPF_PROG_TEST_RUN): answers checked field by field with
 * ldns and the frame's checksums with frame.c's own arithmetic; every case the program must not
 * answer checked to leave the frame bit for bit as it came. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <cmocka.h>
#include "harness.h"

static struct harness H;

/* One query through the program. */
struct exchange {
	struct frame_spec spec;
	struct query_opts opts;
	uint8_t dns[FRAME_MAX_LEN];
	size_t dns_len;
	uint8_t in[FRAME_MAX_LEN];
	size_t in_len;
	uint8_t out[FRAME_MAX_LEN];
	size_t out_len;
	int action;
};

static void build(struct exchange *x, const char *name, ldns_rr_type type)
{
	x->dns_len = make_query(x->dns, name, type, &x->opts);
	assert_true(x->dns_len > 0);
	x->in_len = frame_build(x->in, &x->spec, x->dns, x->dns_len);
}

static void run(struct exchange *x)
{
	x->action = harness_run(&H, x->in, x->in_len, x->out, &x->out_len);
}

static void query(struct exchange *x, const char *name, ldns_rr_type type)
{
	build(x, name, type);
	run(x);
}

/* What a correct answer to x holds: resp with the query's ID, RD and CD, AD only if asked for
 * with DO, our OPT when the query had one, and every TTL aged by age or set to stale_ttl. */
static ldns_pkt *expected(const struct exchange *x, const ldns_pkt *resp, uint32_t age,
			  uint32_t stale_ttl)
{
	ldns_pkt *e = ldns_pkt_clone(resp);
	size_t s, i;

	ldns_pkt_set_id(e, x->opts.id);
	ldns_pkt_set_rd(e, true);
	ldns_pkt_set_cd(e, x->opts.cd);
	if (!x->opts.do_bit)
		ldns_pkt_set_ad(e, false);
	ldns_pkt_set_edns_udp_size(e, x->opts.edns ? H.cfg.edns_udp_size : 0);
	ldns_pkt_set_edns_do(e, x->opts.edns && x->opts.do_bit);
	for (s = 0; s < 3; s++) {
		const ldns_rr_list *rrs = s == 0 ? ldns_pkt_answer(e)
					: s == 1 ? ldns_pkt_authority(e) : ldns_pkt_additional(e);

		for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			ldns_rr *rr = ldns_rr_list_rr(rrs, i);
			uint32_t ttl = ldns_rr_ttl(rr);

			ldns_rr_set_ttl(rr, stale_ttl ? stale_ttl : ttl > age ? ttl - age : 0);
		}
	}
	return e;
}

static void assert_same_section(const ldns_rr_list *got, const ldns_rr_list *want, const char *what)
{
	size_t i;

	if (ldns_rr_list_rr_count(got) != ldns_rr_list_rr_count(want))
		fail_msg("%s: %zu records, want %zu", what, ldns_rr_list_rr_count(got),
			 ldns_rr_list_rr_count(want));
	for (i = 0; i < ldns_rr_list_rr_count(want); i++) {
		ldns_rr *g = ldns_rr_list_rr(got, i), *w = ldns_rr_list_rr(want, i);

		if (ldns_rr_compare(g, w) != 0) {
			char *gs = ldns_rr2str(g), *ws = ldns_rr2str(w);

			fail_msg("%s record %zu: got %s want %s", what, i, gs, ws);
		}
		if (ldns_rr_ttl(g) != ldns_rr_ttl(w))
			fail_msg("%s record %zu: TTL %u, want %u", what, i, ldns_rr_ttl(g), ldns_rr_ttl(w));
	}
}

/* The frame is a well-formed reply to x's query and holds exactly want. */
static void assert_answer(const struct exchange *x, const ldns_pkt *want)
{
	struct frame_view r;
	const char *err;
	ldns_pkt *got = NULL;
	ldns_pkt *qp = NULL;
	size_t qlen;
	int i;

	assert_int_equal(x->action, XDP_TX);
	err = frame_parse(x->out, x->out_len, &r);
	if (err)
		fail_msg("reply frame: %s", err);

	/* addressing: everything swapped, VLAN tags kept */
	assert_memory_equal(r.dmac, frame_client_mac, 6);
	assert_memory_equal(r.smac, frame_server_mac, 6);
	assert_int_equal(r.ipv6, x->spec.ipv6);
	assert_int_equal(r.vlans, x->spec.vlans);
	for (i = 0; i < r.vlans; i++)
		assert_int_equal(r.vlan_tci[i], 100 + i);
	{
		uint8_t client[16] = { 0 }, service[16] = { 0 };
		int af = x->spec.ipv6 ? AF_INET6 : AF_INET;

		inet_pton(af, x->spec.src ? x->spec.src : x->spec.ipv6 ? FRAME_CLIENT6 : FRAME_CLIENT4, client);
		inet_pton(af, x->spec.dst ? x->spec.dst : x->spec.ipv6 ? FRAME_SERVICE6 : FRAME_SERVICE4, service);
		assert_memory_equal(r.dst, client, 16);
		assert_memory_equal(r.src, service, 16);
	}
	assert_int_equal(r.sport, 53);
	assert_int_equal(r.dport, x->spec.sport ? x->spec.sport : 40000);
	assert_int_not_equal(r.udp_csum, 0); /* computed for IPv4 too */

	/* DNS: the ID and the question exactly as sent, case included */
	assert_int_equal(ldns_wire2pkt(&qp, x->dns, x->dns_len), LDNS_STATUS_OK);
	qlen = 12 + ldns_rdf_size(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(qp), 0))) + 4;
	ldns_pkt_free(qp);
	assert_true(r.dns_len >= qlen);
	assert_memory_equal(r.dns, x->dns, 2);
	assert_memory_equal(r.dns + 12, x->dns + 12, qlen - 12);

	assert_int_equal(ldns_wire2pkt(&got, r.dns, r.dns_len), LDNS_STATUS_OK);
	assert_true(ldns_pkt_qr(got));
	assert_int_equal(ldns_pkt_get_opcode(got), LDNS_PACKET_QUERY);
	assert_int_equal(ldns_pkt_get_rcode(got), ldns_pkt_get_rcode(want));
	assert_int_equal(ldns_pkt_aa(got), ldns_pkt_aa(want));
	assert_false(ldns_pkt_tc(got));
	assert_int_equal(ldns_pkt_rd(got), ldns_pkt_rd(want));
	assert_int_equal(ldns_pkt_ra(got), ldns_pkt_ra(want));
	assert_int_equal(ldns_pkt_ad(got), ldns_pkt_ad(want));
	assert_int_equal(ldns_pkt_cd(got), ldns_pkt_cd(want));
	assert_int_equal(ldns_pkt_qdcount(got), 1);
	assert_same_section(ldns_pkt_answer(got), ldns_pkt_answer(want), "answer");
	assert_same_section(ldns_pkt_authority(got), ldns_pkt_authority(want), "authority");
	assert_same_section(ldns_pkt_additional(got), ldns_pkt_additional(want), "additional");
	assert_int_equal(ldns_pkt_edns(got), ldns_pkt_edns(want));
	if (ldns_pkt_edns(want)) {
		assert_int_equal(ldns_pkt_edns_udp_size(got), ldns_pkt_edns_udp_size(want));
		assert_int_equal(ldns_pkt_edns_do(got), ldns_pkt_edns_do(want));
		assert_int_equal(ldns_pkt_edns_version(got), 0);
		assert_null(ldns_pkt_edns_data(got)); /* cookie not echoed: RFC 7873 5.2 */
	}
	ldns_pkt_free(got);
}

/* Answers the query, checks it against resp aged by age (or stale), counts the hit. */
static void expect_hit(struct exchange *x, const ldns_pkt *resp, uint32_t age, uint32_t stale_ttl)
{
	unsigned int reason = stale_ttl ? XDPDNS_HIT_STALE : XDPDNS_HIT_FRESH;
	uint64_t before = harness_count(&H, reason);
	ldns_pkt *want = expected(x, resp, age, stale_ttl);

	run(x);
	assert_answer(x, want);
	assert_int_equal(harness_count(&H, reason), before + 1);
	ldns_pkt_free(want);
}

/* The program left the frame exactly as it was and gave this action and reason. */
static void expect_untouched(struct exchange *x, int action, unsigned int reason)
{
	uint64_t before = harness_count(&H, reason);

	run(x);
	if (x->action != action)
		fail_msg("action %d, want %d (reason %s)", x->action, action,
			 xdpdns_reason_name(reason));
	if (harness_count(&H, reason) != before + 1)
		fail_msg("counter %s did not move", xdpdns_reason_name(reason));
	if (action == XDP_PASS) {
		assert_int_equal(x->out_len, x->in_len);
		assert_memory_equal(x->out, x->in, x->in_len);
	}
}

static ldns_pkt *store(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
		       const char *const *answer, const char *const *authority, uint8_t key_flags,
		       uint32_t age, uint32_t ttl)
{
	ldns_pkt *resp = make_response(name, type, rcode, answer, authority);

	assert_non_null(resp);
	assert_int_equal(harness_store(&H, resp, key_flags, age, ttl), 0);
	return resp;
}

static void set_health(uint32_t flags)
{
	assert_int_equal(xdpdns_health_write(&H.maps, flags), 0);
}

/* ---- answers ---- */

static void test_hit_ipv4_echoes_case(void **state)
{
	const char *an[] = { "www.example.com. 300 IN A 192.0.2.1", NULL };
	ldns_pkt *resp = store("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .opts = { .id = 0xbeef } };

	build(&x, "wWw.ExAmPlE.cOm.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

static void test_hit_ipv6_edns_cookie(void **state)
{
	const char *an[] = { "v6.example.com. 600 IN AAAA 2001:db8::1", NULL };
	ldns_pkt *resp = store("v6.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 600);
	struct exchange x = { .spec = { .ipv6 = 1 }, .opts = { .id = 7, .edns = 1, .cookie = 1 } };

	build(&x, "V6.example.com.", LDNS_RR_TYPE_AAAA);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

static void test_hit_do_bit_is_part_of_key(void **state)
{
	const char *an[] = {
		"signed.example.com. 300 IN A 192.0.2.9",
		"signed.example.com. 300 IN RRSIG A 13 3 300 20301231000000 20201231000000 12345 example.com. AAAA",
		NULL,
	};
	ldns_pkt *resp = make_response("signed.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct exchange x = { .opts = { .id = 1, .edns = 1, .do_bit = 1 } };

	ldns_pkt_set_ad(resp, true);
	assert_int_equal(harness_store(&H, resp, XDPDNS_KEY_DO, 0, 300), 0);
	build(&x, "signed.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0); /* DO echoed, AD kept */

	x.opts.do_bit = 0; /* the DO=0 answer is another entry: not cached */
	build(&x, "signed.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_MISS);
	ldns_pkt_free(resp);
}

static void test_hit_clears_ad_unless_asked(void **state)
{
	const char *an[] = { "ad.example.com. 300 IN A 192.0.2.10", NULL };
	ldns_pkt *resp = make_response("ad.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct exchange x = { .opts = { .id = 2 } };

	ldns_pkt_set_ad(resp, true);
	assert_int_equal(harness_store(&H, resp, 0, 0, 300), 0);
	build(&x, "ad.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0); /* expected() clears AD for a query without DO */
	ldns_pkt_free(resp);
}

static void test_hit_cd_bit(void **state)
{
	const char *an[] = { "cd.example.com. 300 IN A 192.0.2.11", NULL };
	ldns_pkt *resp = make_response("cd.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct exchange x = { .opts = { .id = 3, .cd = 1 } };

	ldns_pkt_set_cd(resp, true);
	assert_int_equal(harness_store(&H, resp, XDPDNS_KEY_CD, 0, 300), 0);
	build(&x, "cd.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

static void test_hit_vlan_and_qinq(void **state)
{
	const char *an[] = { "vlan.example.com. 300 IN A 192.0.2.12", NULL };
	ldns_pkt *resp = store("vlan.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .spec = { .vlans = 1 }, .opts = { .id = 4 } };

	build(&x, "vlan.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	x.spec.vlans = 2;
	x.spec.ipv6 = 1;
	build(&x, "vlan.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

/* A name of exactly 255 wire bytes: three 63-byte labels, one of 61, and the root. */
static void test_hit_longest_name(void **state)
{
	char name[300], rr[400];
	const char *an[] = { rr, NULL };
	struct exchange x = { .opts = { .id = 5, .edns = 1 } };
	ldns_pkt *resp;
	int i, len = 0;

	for (i = 0; i < 4; i++) {
		int n = i < 3 ? 63 : 61;

		memset(name + len, i < 3 ? 'a' + i : 'Z', n);
		len += n;
		name[len++] = '.';
	}
	name[len] = 0;
	snprintf(rr, sizeof(rr), "%s 300 IN A 192.0.2.13", name);
	resp = store(name, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	build(&x, name, LDNS_RR_TYPE_A);
	assert_int_equal(x.dns_len, 12 + 255 + 4 + 11);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

static void test_hit_nxdomain_with_soa(void **state)
{
	const char *ns[] = {
		"example.com. 900 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 60",
		NULL,
	};
	ldns_pkt *resp = store("nope.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns, 0, 10, 60);
	struct exchange x = { .opts = { .id = 6, .edns = 1 } };

	build(&x, "nope.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 10, 0);
	ldns_pkt_free(resp);
}

static void test_hit_nodata(void **state)
{
	const char *ns[] = {
		"example.com. 60 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 60",
		NULL,
	};
	ldns_pkt *resp = store("www.example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, NULL, ns, 0, 0, 60);
	struct exchange x = { .opts = { .id = 8 } };

	build(&x, "www.example.com.", LDNS_RR_TYPE_MX);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

/* Types above 255 are ordinary types (CAA is 257): only 251..255 are meta or transfer. */
static void test_hit_type_above_255(void **state)
{
	const char *an[] = { "caa.example.com. 300 IN CAA 0 issue \"ca.example.net\"", NULL };
	ldns_pkt *resp = store("caa.example.com.", LDNS_RR_TYPE_CAA, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .opts = { .id = 20, .edns = 1 } };

	build(&x, "caa.example.com.", LDNS_RR_TYPE_CAA);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

/* Each record ages from its own TTL. */
static void test_ttl_aging(void **state)
{
	const char *an[] = {
		"alias.example.com. 3600 IN CNAME target.example.net.",
		"target.example.net. 60 IN A 192.0.2.14",
		NULL,
	};
	ldns_pkt *resp = store("alias.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 20, 60);
	struct exchange x = { .opts = { .id = 9 } };
	struct frame_view r;
	ldns_pkt *got;

	build(&x, "alias.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 20, 0);
	assert_null(frame_parse(x.out, x.out_len, &r));
	assert_int_equal(ldns_wire2pkt(&got, r.dns, r.dns_len), LDNS_STATUS_OK);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(got), 0)), 3580);
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(got), 1)), 40);
	ldns_pkt_free(got);
	ldns_pkt_free(resp);
}

/* An entry older than this boot (restored from a snapshot after a reboot) has stored_ns below
 * 0, wrapped: it is aged by its real age, not taken for one stored in the future. */
static void test_entry_older_than_boot(void **state)
{
	const char *an[] = { "boot.example.com. 2000000000 IN A 192.0.2.17", NULL };
	uint32_t age = xdpdns_boottime_ns() / 1000000000ULL + 3600;
	ldns_pkt *fresh = store("boot.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0,
				age, age + 3600);
	ldns_pkt *expired = store("boot.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL,
				  NULL, 0, age, 60);
	struct exchange x = { .opts = { .id = 11 } };

	set_health(0);
	build(&x, "boot.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, fresh, age, 0);
	build(&x, "boot.example.com.", LDNS_RR_TYPE_AAAA);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_EXPIRED);
	ldns_pkt_free(fresh);
	ldns_pkt_free(expired);
}

static void test_expired_passes_while_upstreams_up(void **state)
{
	const char *an[] = { "old.example.com. 300 IN A 192.0.2.15", NULL };
	ldns_pkt *resp = store("old.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 4, 3);
	struct exchange x = { .opts = { .id = 10 } };

	set_health(0);
	build(&x, "old.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_EXPIRED);
	ldns_pkt_free(resp);
}

static void test_stale_while_upstreams_down(void **state)
{
	const char *an[] = {
		"stale.example.com. 300 IN CNAME stale2.example.com.",
		"stale2.example.com. 300 IN A 192.0.2.16",
		NULL,
	};
	/* expired 3 s ago (entries are backdated on CLOCK_BOOTTIME: keep ages below uptime) */
	ldns_pkt *resp = store("stale.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 5, 2);
	struct exchange x = { .spec = { .ipv6 = 1 }, .opts = { .id = 11, .edns = 1 } };

	set_health(XDPDNS_HEALTH_ALL_DOWN);
	build(&x, "stale.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, XDPDNS_DEFAULT_STALE_TTL_SEC);
	set_health(0);
	build(&x, "stale.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_EXPIRED);
	ldns_pkt_free(resp);
}

static void test_stale_has_a_limit(void **state)
{
	const char *an[] = { "ancient.example.com. 300 IN A 192.0.2.17", NULL };
	/* fresh for 5 s, stored 20 s ago: 15 s past expiry */
	ldns_pkt *resp = store("ancient.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 20, 5);
	struct exchange x = { .opts = { .id = 12 } };
	struct xdpdns_config cfg = H.cfg;

	set_health(XDPDNS_HEALTH_ALL_DOWN);
	cfg.max_stale_sec = 10;
	assert_int_equal(xdpdns_config_write(&H.maps, &cfg), 0);
	build(&x, "ancient.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_STALE_TOO_OLD);
	cfg.max_stale_sec = 20; /* within the limit: served stale, with the configured TTL */
	cfg.stale_ttl_sec = 7;
	assert_int_equal(xdpdns_config_write(&H.maps, &cfg), 0);
	build(&x, "ancient.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 7);
	assert_int_equal(xdpdns_config_write(&H.maps, &H.cfg), 0);
	set_health(0);
	ldns_pkt_free(resp);
}

/* Three 250-byte TXT records: about 800 bytes, more than 512, less than 1232. */
static void test_too_big_for_client(void **state)
{
	char txt[3][400];
	const char *an[] = { txt[0], txt[1], txt[2], NULL };
	struct exchange x = { .opts = { .id = 13 } };
	struct xdpdns_config small;
	ldns_pkt *resp;
	char s[251];
	int i;

	memset(s, 'x', 250);
	s[250] = 0;
	for (i = 0; i < 3; i++)
		snprintf(txt[i], sizeof(txt[i]), "big.example.com. 300 IN TXT \"%d%s\"", i, s + 1);
	resp = store("big.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);

	build(&x, "big.example.com.", LDNS_RR_TYPE_TXT); /* no EDNS: 512 */
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_TOO_BIG);
	x.opts.edns = 1;
	x.opts.udp_size = 600;
	build(&x, "big.example.com.", LDNS_RR_TYPE_TXT);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_TOO_BIG);
	x.opts.udp_size = 1232;
	build(&x, "big.example.com.", LDNS_RR_TYPE_TXT);
	expect_hit(&x, resp, 0, 0);

	small = H.cfg; /* the client takes it, the link does not */
	small.mtu = 576;
	assert_int_equal(xdpdns_config_write(&H.maps, &small), 0);
	build(&x, "big.example.com.", LDNS_RR_TYPE_TXT);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_TOO_BIG);
	assert_int_equal(xdpdns_config_write(&H.maps, &H.cfg), 0);
	ldns_pkt_free(resp);
}

/* The daemon never stores SERVFAIL in the kernel; if an entry says so anyway, it passes. */
static void test_servfail_never_served(void **state)
{
	const char *an[] = { "sf.example.com. 300 IN A 192.0.2.18", NULL };
	ldns_pkt *resp = make_response("sf.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .stored_ns = xdpdns_boottime_ns(), .ttl_sec = 300 };
	struct exchange x = { .opts = { .id = 14 } };
	struct xdpdns_entry_buf b;

	assert_int_equal(xdpdns_entry_build(resp, &meta, &b), 0);
	b.value.entry.dns_flags = (b.value.entry.dns_flags & ~0xf) | LDNS_RCODE_SERVFAIL;
	assert_int_equal(xdpdns_cache_put(&H.maps, &b), 0);
	build(&x, "sf.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_ENTRY_RCODE);
	ldns_pkt_free(resp);
}

/* An entry found under the key of another name is a miss: the full name is compared. */
static void test_key_collision_is_a_miss(void **state)
{
	const char *an[] = { "one.example.com. 300 IN A 192.0.2.19", NULL };
	const char *an2[] = { "two.example.com. 300 IN A 192.0.2.20", NULL };
	ldns_pkt *one = make_response("one.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	ldns_pkt *two = make_response("two.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an2, NULL);
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .stored_ns = xdpdns_boottime_ns(), .ttl_sec = 300 };
	struct exchange x = { .opts = { .id = 15 } };
	struct xdpdns_entry_buf b1, b2;

	assert_int_equal(xdpdns_entry_build(one, &meta, &b1), 0);
	assert_int_equal(xdpdns_entry_build(two, &meta, &b2), 0);
	b2.key = b1.key; /* "two" stored where "one" hashes to */
	assert_int_equal(xdpdns_cache_put(&H.maps, &b2), 0);
	build(&x, "one.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_COLLISION);
	ldns_pkt_free(one);
	ldns_pkt_free(two);
}

/* Lengths come from the IP and UDP headers, not from the end of a padded frame. */
static void test_padded_minimum_frame(void **state)
{
	const char *an[] = { "x. 300 IN A 192.0.2.21", NULL };
	ldns_pkt *resp = store("x.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .spec = { .min_frame_len = 80 }, .opts = { .id = 16 } };

	build(&x, "x.", LDNS_RR_TYPE_A);
	assert_int_equal(x.in_len, 80);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

static void test_ipv4_without_udp_checksum(void **state)
{
	const char *an[] = { "nocsum.example.com. 300 IN A 192.0.2.22", NULL };
	ldns_pkt *resp = store("nocsum.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .spec = { .udp_csum_zero = 1 }, .opts = { .id = 17 } };

	build(&x, "nocsum.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	ldns_pkt_free(resp);
}

/* Over a veth, a local sender's offloaded checksum holds only the pseudo-header sum. */
static void test_checksum_offloaded_by_local_sender(void **state)
{
	const char *an[] = { "veth.example.com. 300 IN A 192.0.2.24", NULL };
	ldns_pkt *resp = store("veth.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .spec = { .udp_csum_partial = 1 }, .opts = { .id = 19, .edns = 1 } };

	build(&x, "veth.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	x.spec.ipv6 = 1;
	build(&x, "veth.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	x.spec.udp_csum_partial = 0; /* a full checksum that is wrong still passes */
	build(&x, "veth.example.com.", LDNS_RR_TYPE_A);
	x.in[x.in_len - 3] ^= 0x10;
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM);
	ldns_pkt_free(resp);
}

/* Entries count their hits for the daemon's prefetch. */
static void test_entry_counts_hits(void **state)
{
	const char *an[] = { "hot.example.com. 300 IN A 192.0.2.23", NULL };
	ldns_pkt *resp = store("hot.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .ttl_sec = 300 };
	struct exchange x = { .opts = { .id = 18 } };
	struct xdpdns_entry_buf b;
	uint8_t value[XDPDNS_CLASS_L_VALUE_LEN];
	int i;

	for (i = 0; i < 3; i++) {
		query(&x, "hot.example.com.", LDNS_RR_TYPE_A);
		assert_int_equal(x.action, XDP_TX);
	}
	assert_int_equal(xdpdns_entry_build(resp, &meta, &b), 0);
	assert_int_equal(bpf_map_lookup_elem(H.maps.cache[b.cls], &b.key, value), 0);
	assert_int_equal(((struct xdpdns_cache_entry *)value)->hits, 3);
	ldns_pkt_free(resp);
}

/* A hit records its time, in CLOCK_BOOTTIME seconds, for the daemon's eviction. */
static void test_hit_records_last_hit(void **state)
{
	const char *an[] = { "recent.example.com. 300 IN A 192.0.2.24", NULL };
	ldns_pkt *resp = store("recent.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL,
			       0, 100, 300);
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .ttl_sec = 300 };
	struct exchange x = { .opts = { .id = 19 } };
	uint8_t value[XDPDNS_CLASS_L_VALUE_LEN] __attribute__((aligned(8)));
	struct xdpdns_cache_entry *e = (struct xdpdns_cache_entry *)value;
	struct xdpdns_entry_buf b;
	uint32_t before, after;
	int fd;

	assert_int_equal(xdpdns_entry_build(resp, &meta, &b), 0);
	fd = H.maps.cache[b.cls];
	assert_int_equal(bpf_map_lookup_elem(fd, &b.key, value), 0);
	assert_int_equal(e->last_hit_sec, 0); /* stored, never hit */

	before = xdpdns_boottime_ns() / 1000000000ULL;
	query(&x, "recent.example.com.", LDNS_RR_TYPE_A);
	after = xdpdns_boottime_ns() / 1000000000ULL;
	assert_int_equal(x.action, XDP_TX);
	assert_int_equal(bpf_map_lookup_elem(fd, &b.key, value), 0);
	assert_in_range(e->last_hit_sec, before, after);

	/* an old time is brought up to date */
	e->last_hit_sec = 1;
	assert_int_equal(bpf_map_update_elem(fd, &b.key, value, BPF_EXIST), 0);
	before = xdpdns_boottime_ns() / 1000000000ULL;
	run(&x);
	after = xdpdns_boottime_ns() / 1000000000ULL;
	assert_int_equal(x.action, XDP_TX);
	assert_int_equal(bpf_map_lookup_elem(fd, &b.key, value), 0);
	assert_in_range(e->last_hit_sec, before, after);
	assert_int_equal(e->hits, 2);
	ldns_pkt_free(resp);
}

/* ---- everything the program must leave alone ---- */

#define PASS_NAME "pass.example.com."

static void fix_ipv4_csum(struct exchange *x, size_t l3)
{
	uint8_t *ip = x->in + l3;
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = ~inet_sum(ip, (ip[0] & 0xf) * 4, 0);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Rebuilds the frame around x->dns (after a change to the DNS bytes). */
static void reframe(struct exchange *x)
{
	x->in_len = frame_build(x->in, &x->spec, x->dns, x->dns_len);
}

static void base(struct exchange *x)
{
	build(x, PASS_NAME, LDNS_RR_TYPE_A);
}

static void base_edns(struct exchange *x)
{
	x->opts.edns = 1;
	base(x);
}

/* raw question: header then the given name bytes, type A, class IN */
static void raw_question(struct exchange *x, const uint8_t *name, size_t len)
{
	base(x);
	memcpy(x->dns + 12, name, len);
	put16(x->dns + 12 + len, LDNS_RR_TYPE_A);
	put16(x->dns + 14 + len, LDNS_RR_CLASS_IN);
	x->dns_len = 12 + len + 4;
	reframe(x);
}

static size_t qend(void)
{
	return 12 + 1 + 4 + 1 + 7 + 1 + 3 + 1; /* "pass.example.com." is 18 bytes */
}

static void mk_arp(struct exchange *x) { base(x); put16(x->in + 12, 0x0806); }
static void mk_three_vlans(struct exchange *x) { x->spec.vlans = 3; base(x); }
static void mk_tcp(struct exchange *x) { base(x); x->in[14 + 9] = 6; fix_ipv4_csum(x, 14); }
static void mk_ipv6_ext_header(struct exchange *x) { x->spec.ipv6 = 1; base(x); x->in[14 + 6] = 0; }
static void mk_ipv4_more_fragments(struct exchange *x) { base(x); x->in[14 + 6] = 0x20; fix_ipv4_csum(x, 14); }
static void mk_ipv4_fragment_offset(struct exchange *x) { base(x); x->in[14 + 7] = 0x10; fix_ipv4_csum(x, 14); }
static void mk_ipv4_options(struct exchange *x) { x->spec.ip_options_len = 8; base(x); }
static void mk_udp_len_below_8(struct exchange *x) { base(x); put16(x->in + 34 + 4, 4); }
static void mk_udp_len_not_ip_payload(struct exchange *x)
{
	base(x);
	put16(x->in + 34 + 4, 8 + x->dns_len - 1);
}
static void mk_ip_len_past_frame(struct exchange *x)
{
	base(x);
	put16(x->in + 14 + 2, 20 + 8 + x->dns_len + 40);
	fix_ipv4_csum(x, 14);
}
static void mk_dns_under_12(struct exchange *x) { base(x); x->dns_len = 11; reframe(x); }
static void mk_other_port(struct exchange *x) { x->spec.dport = 5353; base(x); }
static void mk_other_address(struct exchange *x) { x->spec.dst = "192.0.2.54"; base(x); }
static void mk_other_address6(struct exchange *x) { x->spec.ipv6 = 1; x->spec.dst = "2001:db8::54"; base(x); }
static void mk_bad_udp_checksum(struct exchange *x) { base(x); x->in[34 + 6] ^= 0x40; }
/* found by tests/fuzz/fuzz_xdp.c: answered, with the reply's header checksum wrong too */
static void mk_bad_ip_checksum(struct exchange *x) { base(x); x->in[14 + 10] ^= 0x40; }
static void mk_bad_udp_checksum6(struct exchange *x) { x->spec.ipv6 = 1; base(x); x->in[54 + 6] ^= 0x01; }
static void mk_l2_multicast(struct exchange *x) { base(x); x->in[0] = 0x01; }
static void mk_opcode_notify(struct exchange *x) { base(x); x->dns[2] |= 4 << 3; reframe(x); }
static void mk_opcode_update(struct exchange *x) { base(x); x->dns[2] |= 5 << 3; reframe(x); }
static void mk_tc(struct exchange *x) { base(x); x->dns[2] |= 0x02; reframe(x); }
static void mk_qdcount_0(struct exchange *x) { base(x); put16(x->dns + 4, 0); reframe(x); }
static void mk_qdcount_2(struct exchange *x) { base(x); put16(x->dns + 4, 2); reframe(x); }
static void mk_ancount(struct exchange *x) { base(x); put16(x->dns + 6, 1); reframe(x); }
static void mk_nscount(struct exchange *x) { base(x); put16(x->dns + 8, 1); reframe(x); }
static void mk_arcount_2(struct exchange *x) { base_edns(x); put16(x->dns + 10, 2); reframe(x); }
static void mk_compression(struct exchange *x)
{
	static const uint8_t name[] = { 0xc0, 0x0c };

	raw_question(x, name, sizeof(name));
}
static void mk_reserved_label(struct exchange *x)
{
	static const uint8_t name[] = { 0x41, 'a', 0 };

	raw_question(x, name, sizeof(name));
}
static void mk_label_64(struct exchange *x)
{
	uint8_t name[66] = { 64 };

	memset(name + 1, 'a', 64);
	name[65] = 0;
	raw_question(x, name, sizeof(name));
}
static void mk_name_256(struct exchange *x)
{
	uint8_t name[256];
	int i;

	/* 4 labels of 63 + 1 label of 2 = 258 before the root: over 255 */
	for (i = 0; i < 4; i++) {
		name[i * 64] = 63;
		memset(name + i * 64 + 1, 'a', 63);
	}
	raw_question(x, name, sizeof(name)); /* no root label within 255 bytes */
}
static void mk_name_past_payload(struct exchange *x) { base(x); x->dns_len = 12 + 6; reframe(x); }
static void mk_qtype_any(struct exchange *x) { build(x, PASS_NAME, LDNS_RR_TYPE_ANY); }
static void mk_qtype_axfr(struct exchange *x) { build(x, PASS_NAME, LDNS_RR_TYPE_AXFR); }
static void mk_qtype_ixfr(struct exchange *x) { build(x, PASS_NAME, LDNS_RR_TYPE_IXFR); }
static void mk_qtype_opt(struct exchange *x) { build(x, PASS_NAME, LDNS_RR_TYPE_OPT); }
static void mk_qtype_maila(struct exchange *x) { build(x, PASS_NAME, LDNS_RR_TYPE_MAILA); }
static void mk_qtype_0(struct exchange *x) { base(x); put16(x->dns + qend(), 0); reframe(x); }
static void mk_qclass_chaos(struct exchange *x) { base(x); put16(x->dns + qend() + 2, LDNS_RR_CLASS_CH); reframe(x); }
static void mk_edns_version_1(struct exchange *x) { base_edns(x); x->dns[qend() + 4 + 6] = 1; reframe(x); }
static void mk_additional_not_opt(struct exchange *x) { base_edns(x); put16(x->dns + qend() + 4 + 1, LDNS_RR_TYPE_A); reframe(x); }
static void mk_opt_rdlen_overrun(struct exchange *x) { base_edns(x); put16(x->dns + qend() + 4 + 9, 4); reframe(x); }
static void edns_option(struct exchange *x, uint16_t code, size_t len)
{
	uint8_t *opt;

	base_edns(x);
	opt = x->dns + x->dns_len;
	put16(opt, code);
	put16(opt + 2, len);
	memset(opt + 4, 0, len);
	x->dns_len += 4 + len;
	put16(x->dns + qend() + 4 + 9, 4 + len);
	reframe(x);
}
static void mk_edns_client_subnet(struct exchange *x) { edns_option(x, 8, 7); }
static void mk_edns_unknown_option(struct exchange *x) { edns_option(x, 65001, 2); }
static void mk_query_too_long(struct exchange *x) { edns_option(x, 12, 480); }
static void mk_trailing_bytes(struct exchange *x) { base(x); x->dns_len += 2; reframe(x); }
static void mk_miss(struct exchange *x) { build(x, "uncached.example.com.", LDNS_RR_TYPE_A); }
static void mk_src_port_0(struct exchange *x) { x->spec.sport = 0xffff; base(x); put16(x->in + 34, 0); }
static void mk_response(struct exchange *x) { base(x); x->dns[2] |= 0x80; reframe(x); }
static void mk_src_multicast(struct exchange *x) { x->spec.src = "224.0.0.251"; base(x); }
static void mk_src_broadcast(struct exchange *x) { x->spec.src = "255.255.255.255"; base(x); }
static void mk_src_self(struct exchange *x) { x->spec.src = FRAME_SERVICE4; base(x); }
static void mk_src_multicast6(struct exchange *x) { x->spec.ipv6 = 1; x->spec.src = "ff02::fb"; base(x); }
static void mk_src_mac_multicast(struct exchange *x) { base(x); x->in[6] = 0x01; }

struct untouched_case {
	const char *name;
	void (*make)(struct exchange *x);
	int action;
	unsigned int reason;
};

static const struct untouched_case untouched_cases[] = {
	{ "ARP", mk_arp, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "three VLAN tags", mk_three_vlans, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "TCP", mk_tcp, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv6 extension header", mk_ipv6_ext_header, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv4 more fragments", mk_ipv4_more_fragments, XDP_PASS, XDPDNS_PASS_IP_FRAGMENT },
	{ "IPv4 fragment offset", mk_ipv4_fragment_offset, XDP_PASS, XDPDNS_PASS_IP_FRAGMENT },
	{ "IPv4 options", mk_ipv4_options, XDP_PASS, XDPDNS_PASS_IP_OPTIONS },
	{ "UDP length < 8", mk_udp_len_below_8, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "UDP length != IP payload", mk_udp_len_not_ip_payload, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "IP length past frame", mk_ip_len_past_frame, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "DNS payload < 12", mk_dns_under_12, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "other port", mk_other_port, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	{ "other address", mk_other_address, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	{ "other IPv6 address", mk_other_address6, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	{ "bad UDP checksum", mk_bad_udp_checksum, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	{ "bad IPv4 header checksum", mk_bad_ip_checksum, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	{ "bad UDP checksum IPv6", mk_bad_udp_checksum6, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	{ "to a group MAC", mk_l2_multicast, XDP_PASS, XDPDNS_PASS_L2_MULTICAST },
	{ "opcode NOTIFY", mk_opcode_notify, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "opcode UPDATE", mk_opcode_update, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "TC=1", mk_tc, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "QDCOUNT 0", mk_qdcount_0, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "QDCOUNT 2", mk_qdcount_2, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "ANCOUNT 1", mk_ancount, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "NSCOUNT 1", mk_nscount, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "ARCOUNT 2", mk_arcount_2, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "compression pointer", mk_compression, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "reserved label type", mk_reserved_label, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "64-byte label", mk_label_64, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "name over 255 bytes", mk_name_256, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "name past payload", mk_name_past_payload, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "qtype ANY", mk_qtype_any, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype AXFR", mk_qtype_axfr, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype IXFR", mk_qtype_ixfr, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype OPT", mk_qtype_opt, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype MAILA", mk_qtype_maila, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype 0", mk_qtype_0, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "class CH", mk_qclass_chaos, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "EDNS version 1", mk_edns_version_1, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "additional record not OPT", mk_additional_not_opt, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "OPT rdlength past payload", mk_opt_rdlen_overrun, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "EDNS client subnet", mk_edns_client_subnet, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "unknown EDNS option", mk_edns_unknown_option, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "query over 512 bytes", mk_query_too_long, XDP_PASS, XDPDNS_PASS_QUERY_TOO_LONG },
	{ "bytes after the question", mk_trailing_bytes, XDP_PASS, XDPDNS_PASS_TRAILING },
	{ "miss", mk_miss, XDP_PASS, XDPDNS_PASS_MISS },
	{ "source port 0", mk_src_port_0, XDP_DROP, XDPDNS_DROP_SRC_PORT },
	{ "QR=1 to the service", mk_response, XDP_DROP, XDPDNS_DROP_RESPONSE },
	{ "multicast source", mk_src_multicast, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "broadcast source", mk_src_broadcast, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "own address as source", mk_src_self, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "IPv6 multicast source", mk_src_multicast6, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "group MAC as source", mk_src_mac_multicast, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
};

static void test_untouched_cases(void **state)
{
	const char *an[] = { PASS_NAME " 300 IN A 192.0.2.99", NULL };
	ldns_pkt *resp = store(PASS_NAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	size_t i;

	/* the query every case starts from is cached: it is the change that makes it pass */
	{
		struct exchange x = { .opts = { .id = 0x5555 } };

		base(&x);
		expect_hit(&x, resp, 0, 0);
		x.opts.edns = 1;
		base(&x);
		expect_hit(&x, resp, 0, 0);
	}
	for (i = 0; i < sizeof(untouched_cases) / sizeof(untouched_cases[0]); i++) {
		const struct untouched_case *c = &untouched_cases[i];
		struct exchange x = { .opts = { .id = 0x5555 } };

		print_message("  %-28s -> %s\n", c->name, xdpdns_reason_name(c->reason));
		c->make(&x);
		expect_untouched(&x, c->action, c->reason);
	}
	ldns_pkt_free(resp);
}

static int setup(void **state)
{
	int err = harness_open(&H);

	if (err)
		fprintf(stderr, "can't load the XDP program: %s\n", strerror(-err));
	return err;
}

static int teardown(void **state)
{
	harness_close(&H);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_ipv4_echoes_case),
		cmocka_unit_test(test_hit_ipv6_edns_cookie),
		cmocka_unit_test(test_hit_do_bit_is_part_of_key),
		cmocka_unit_test(test_hit_clears_ad_unless_asked),
		cmocka_unit_test(test_hit_cd_bit),
		cmocka_unit_test(test_hit_vlan_and_qinq),
		cmocka_unit_test(test_hit_longest_name),
		cmocka_unit_test(test_hit_nxdomain_with_soa),
		cmocka_unit_test(test_hit_nodata),
		cmocka_unit_test(test_hit_type_above_255),
		cmocka_unit_test(test_ttl_aging),
		cmocka_unit_test(test_entry_older_than_boot),
		cmocka_unit_test(test_expired_passes_while_upstreams_up),
		cmocka_unit_test(test_stale_while_upstreams_down),
		cmocka_unit_test(test_stale_has_a_limit),
		cmocka_unit_test(test_too_big_for_client),
		cmocka_unit_test(test_servfail_never_served),
		cmocka_unit_test(test_key_collision_is_a_miss),
		cmocka_unit_test(test_padded_minimum_frame),
		cmocka_unit_test(test_ipv4_without_udp_checksum),
		cmocka_unit_test(test_checksum_offloaded_by_local_sender),
		cmocka_unit_test(test_entry_counts_hits),
		cmocka_unit_test(test_hit_records_last_hit),
		cmocka_unit_test(test_untouched_cases),
	};

	return cmocka_run_group_tests_name("xdp", tests, setup, teardown);
}
