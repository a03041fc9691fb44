// SPDX-License-Identifier: GPL-2.0
/* The XDP and the TC program on crafted frames (BPF_PROG_TEST_RUN): answers checked field by
 * field with ldns and the frame's checksums with frame.c's own arithmetic; every case the
 * program must not answer checked to leave the frame bit for bit as it came. Every test runs
 * twice, once per entry point (the groups "xdp" and "tc"): one serve code, two hooks. The
 * attach point rules (the host's own clients on lo, a NIC's rules elsewhere, counters per
 * attach point, partial checksums kept on the skb hooks) have their tests and table rows. */
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
	int reply_partial; /* the reply must keep a partial checksum (FRAME_PARTIAL_CSUM) */
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
	err = frame_parse_flags(x->out, x->out_len, &r, x->reply_partial ? FRAME_PARTIAL_CSUM : 0);
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

/* 802.1Q and QinQ (802.1ad outer, 802.1Q inner), IPv4 and IPv6: assert_answer() checks that
 * the reply keeps every tag as it came. Three tags pass (table: "three VLAN tags"). */
static void test_hit_vlan_and_qinq(void **state)
{
	const char *an[] = { "vlan.example.com. 300 IN A 192.0.2.12", NULL };
	ldns_pkt *resp = store("vlan.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	int vlans, ipv6;

	for (vlans = 1; vlans <= 2; vlans++) {
		for (ipv6 = 0; ipv6 <= 1; ipv6++) {
			struct exchange x = { .spec = { .vlans = vlans, .ipv6 = ipv6 },
					      .opts = { .id = 4 } };

			build(&x, "vlan.example.com.", LDNS_RR_TYPE_A);
			expect_hit(&x, resp, 0, 0);
		}
	}
	ldns_pkt_free(resp);
}

/* DF alone is not a fragment (Linux sets it on most UDP): answered, and the reply clears it. */
static void test_hit_ipv4_dont_fragment(void **state)
{
	const char *an[] = { "df.example.com. 300 IN A 192.0.2.25", NULL };
	ldns_pkt *resp = store("df.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .opts = { .id = 21 } };
	uint8_t *ip = x.in + 14;
	uint16_t c;

	build(&x, "df.example.com.", LDNS_RR_TYPE_A);
	ip[6] = 0x40; /* DF */
	ip[10] = ip[11] = 0;
	c = ~inet_sum(ip, 20, 0);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	expect_hit(&x, resp, 0, 0);
	assert_int_equal(x.out[14 + 6], 0);
	ldns_pkt_free(resp);
}

/* ARCOUNT 1 holding an OPT is plain EDNS: a hit, not a "counts" pass. */
static void test_hit_edns_arcount_1(void **state)
{
	const char *an[] = { "edns.example.com. 300 IN A 192.0.2.26", NULL };
	ldns_pkt *resp = store("edns.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .opts = { .id = 22, .edns = 1 } };

	build(&x, "edns.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(x.dns[10] << 8 | x.dns[11], 1);
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

/* The program reads the coarse monotonic clock plus the boot clock's offset the daemon writes
 * (struct xdpdns_hot): after a suspend of 100 s that the daemon has noticed, an entry stored
 * (on CLOCK_BOOTTIME) 20 s before it is 120 s old, not 20. */
static void test_suspend_ages_entries(void **state)
{
	const char *an[] = { "sleep.example.com. 600 IN A 192.0.2.18", NULL };
	ldns_pkt *resp = store("sleep.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL,
			       0, 20, 600);
	uint64_t before = harness_count(&H, XDPDNS_HIT_FRESH);
	struct exchange x = { .opts = { .id = 12 } };
	struct xdpdns_hot hot;
	uint32_t zero = 0;
	ldns_pkt *want;
	int err;

	build(&x, "sleep.example.com.", LDNS_RR_TYPE_A);
	want = expected(&x, resp, 120, 0);
	assert_int_equal(bpf_map_lookup_elem(H.maps.hot, &zero, &hot), 0);
	hot.boot_offset_ns += 100 * 1000000000ULL;
	assert_int_equal(bpf_map_update_elem(H.maps.hot, &zero, &hot, BPF_ANY), 0);
	run(&x);
	err = xdpdns_hot_clock_write(&H.maps); /* the real offset again, for the tests after */
	assert_int_equal(err, 0);
	assert_answer(&x, want);
	assert_int_equal(harness_count(&H, XDPDNS_HIT_FRESH), before + 1);
	ldns_pkt_free(want);
	ldns_pkt_free(resp);
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

/* The daemon killed or restarting: nothing would answer an expired entry's query, so it is
 * served stale though the upstreams are up; once a socket is bound again, it passes. */
static void test_stale_while_no_daemon(void **state)
{
	const char *an[] = { "gone.example.com. 300 IN A 192.0.2.18", NULL };
	ldns_pkt *resp = store("gone.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 5, 2);
	struct exchange x = { .opts = { .id = 13 } };
	struct exchange x6 = { .spec = { .ipv6 = 1 }, .opts = { .id = 14 } };

	set_health(0);
	harness_daemon_down();
	build(&x, "gone.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, XDPDNS_DEFAULT_STALE_TTL_SEC);
	build(&x6, "gone.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x6, resp, 0, XDPDNS_DEFAULT_STALE_TTL_SEC);
	assert_int_equal(harness_daemon_up(), 0);
	build(&x, "gone.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_EXPIRED);
	build(&x6, "gone.example.com.", LDNS_RR_TYPE_A);
	expect_untouched(&x6, XDP_PASS, XDPDNS_PASS_EXPIRED);
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

/* Stores the answer for stored under the key of asked (same hash, type, length and flags: a
 * forced collision) and checks that asking asked is a miss: the full name is compared. */
static void expect_collision(const char *asked, const char *stored, uint16_t id)
{
	char rr[400];
	const char *an[] = { rr, NULL };
	ldns_pkt *a = make_response(asked, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, NULL);
	ldns_pkt *s;
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .stored_ns = xdpdns_boottime_ns(), .ttl_sec = 300 };
	struct exchange x = { .opts = { .id = id } };
	struct xdpdns_entry_buf ba, bs;

	snprintf(rr, sizeof(rr), "%s 300 IN A 192.0.2.20", stored);
	s = make_response(stored, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	assert_non_null(a);
	assert_non_null(s);
	assert_int_equal(xdpdns_entry_build(a, &meta, &ba), 0);
	assert_int_equal(xdpdns_entry_build(s, &meta, &bs), 0);
	assert_int_equal(ba.key.name_len, bs.key.name_len); /* else the key could never match */
	assert_int_equal(ba.cls, bs.cls);
	assert_true(ba.key.name_hash != bs.key.name_hash); /* two names, really */
	bs.key = ba.key; /* stored where asked hashes to */
	assert_int_equal(xdpdns_cache_put(&H.maps, &bs), 0);
	build(&x, asked, LDNS_RR_TYPE_A);
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_COLLISION);
	ldns_pkt_free(a);
	ldns_pkt_free(s);
}

/* A 255-byte wire name: three 63-byte labels, one of 61 ending in last, and the root. */
static void name_255(char *name, char last)
{
	int i, len = 0;

	for (i = 0; i < 4; i++) {
		int n = i < 3 ? 63 : 61;

		memset(name + len, 'a' + i, n);
		len += n;
		name[len++] = '.';
	}
	name[len - 2] = last;
	name[len] = 0;
}

/* An entry found under the key of another name is a miss: the full name is compared, every
 * byte of it, not a prefix and not case-insensitively beyond A-Z. */
static void test_key_collision_is_a_miss(void **state)
{
	char long1[300], long2[300];

	expect_collision("one.example.com.", "two.example.com.", 15);
	/* the names differ in their last word only */
	name_255(long1, 'x');
	name_255(long2, 'y');
	expect_collision(long1, long2, 15);
	/* '@' (0x40) and '`' (0x60) are one bit apart like 'A' and 'a', and are not a letter */
	expect_collision("a\\064b.example.com.", "a\\096b.example.com.", 15);
}

/* Only A-Z fold to a-z: names differing in case share one entry; names differing in
 * non-letters one case bit (0x20) apart ('@' '`', '[' '{', '^' '~', 0xc1 0xe1) are others. */
static void test_case_folds_only_letters(void **state)
{
	const char *an[] = { "a\\064[^\\193.fold.example. 300 IN A 192.0.2.27", NULL };
	ldns_pkt *resp = store("a\\064[^\\193.fold.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
			       an, NULL, 0, 0, 300);
	static const char *const others[] = {
		"a\\096[^\\193.fold.example.", /* '@' -> '`' */
		"a\\064{^\\193.fold.example.", /* '[' -> '{' */
		"a\\064[~\\193.fold.example.", /* '^' -> '~' */
		"a\\064[^\\225.fold.example.", /* 0xc1 -> 0xe1, Latin-1 'A' and 'a' */
	};
	struct exchange x = { .opts = { .id = 23 } };
	size_t i;

	build(&x, "A\\064[^\\193.FoLd.ExAmPlE.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		build(&x, others[i], LDNS_RR_TYPE_A);
		expect_untouched(&x, XDP_PASS, XDPDNS_PASS_MISS);
	}
	ldns_pkt_free(resp);
}

/* Pads the frame past the IP datagram with bytes that are not zero, as some NICs and switches
 * leave them: read as DNS bytes they would break the query's checksum and trailing-data
 * checks, and carried into the reply they would be answer bytes. */
static void pad_frame(struct exchange *x, size_t len)
{
	size_t end = x->in_len;

	x->spec.min_frame_len = len;
	x->in_len = frame_build(x->in, &x->spec, x->dns, x->dns_len);
	assert_int_equal(x->in_len, len);
	memset(x->in + end, 0xa5, len - end);
}

/* Runs a padded query and checks the reply's DNS length exactly: header, question, resp's
 * body, nothing else (frame_parse() has checked the IP and UDP lengths and checksums). */
static void expect_padded_hit(struct exchange *x, const ldns_pkt *resp, size_t qname_len)
{
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .ttl_sec = 300 };
	struct xdpdns_entry_buf b;
	struct frame_view r;

	assert_int_equal(xdpdns_entry_build(resp, &meta, &b), 0);
	expect_hit(x, resp, 0, 0);
	assert_null(frame_parse(x->out, x->out_len, &r));
	assert_int_equal(r.dns_len, 12 + qname_len + 4 + b.value.entry.body_len);
}

/* Lengths come from the IP and UDP headers, not from the end of a padded frame. */
static void test_padded_minimum_frame(void **state)
{
	const char *an[] = { "x. 300 IN A 192.0.2.21", NULL };
	const char *root_ns[] = { ". 300 IN NS a.root-servers.net.", NULL };
	ldns_pkt *resp = store("x.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	ldns_pkt *root = store(".", LDNS_RR_TYPE_NS, LDNS_RCODE_NOERROR, root_ns, NULL, 0, 0, 300);
	struct exchange x = { .opts = { .id = 16 } };

	/* the smallest query there is, ". NS" over IPv4: 59 bytes, padded to the 60 of the wire */
	build(&x, ".", LDNS_RR_TYPE_NS);
	assert_int_equal(x.in_len, 59);
	pad_frame(&x, 60);
	expect_padded_hit(&x, root, 1);

	build(&x, "x.", LDNS_RR_TYPE_A);
	pad_frame(&x, 80);
	expect_padded_hit(&x, resp, 3);
	ldns_pkt_free(resp);
	ldns_pkt_free(root);
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

/* Over a veth or lo, a local sender's offloaded checksum holds only the pseudo-header sum
 * (CHECKSUM_PARTIAL). Native XDP's reply is a new packet: it gets the full sum. On the skb
 * hooks (TC, generic XDP: XDPDNS_IFACE_SKB) the query's skb goes out as the reply, still
 * partial, so its field must hold the reply's pseudo-header sum: a full sum there would be
 * summed again by whoever completes it. */
static void test_checksum_offloaded_by_local_sender(void **state)
{
	const char *an[] = { "veth.example.com. 300 IN A 192.0.2.24", NULL };
	ldns_pkt *resp = store("veth.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .spec = { .udp_csum_partial = 1 }, .opts = { .id = 19, .edns = 1 } };
	int skb_flags;

	for (skb_flags = 0; skb_flags <= XDPDNS_IFACE_SKB; skb_flags += XDPDNS_IFACE_SKB) {
		assert_int_equal(harness_iface(&H, skb_flags ? 1 : 0, skb_flags), 0);
		x.reply_partial = H.tc || skb_flags;
		x.spec.ipv6 = 0;
		build(&x, "veth.example.com.", LDNS_RR_TYPE_A);
		expect_hit(&x, resp, 0, 0);
		x.spec.ipv6 = 1;
		build(&x, "veth.example.com.", LDNS_RR_TYPE_A);
		expect_hit(&x, resp, 0, 0);
	}
	/* a full checksum gets a full one back, whatever the hook */
	x.spec.udp_csum_partial = 0;
	x.reply_partial = 0;
	build(&x, "veth.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	x.in[x.in_len - 3] ^= 0x10; /* a full checksum that is wrong still passes */
	expect_untouched(&x, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM);
	assert_int_equal(harness_iface(&H, 0, 0), 0);
	ldns_pkt_free(resp);
}

/* lo as a local attach point: the host's own processes ask from 127/8, ::1 or the very service
 * address they ask (the local route's source), and are answered; counted in its row. */
static void test_host_clients_on_lo(void **state)
{
	static const struct {
		int ipv6;
		const char *src;
	} clients[] = {
		{ 0, "127.0.0.1" }, { 0, "127.1.2.3" }, { 0, FRAME_SERVICE4 },
		{ 1, "::1" }, { 1, FRAME_SERVICE6 },
	};
	const char *an[] = { "lo.example.com. 300 IN A 192.0.2.25", NULL };
	ldns_pkt *resp = store("lo.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	size_t i;

	assert_int_equal(harness_iface(&H, 3, XDPDNS_IFACE_LOCAL), 0);
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct exchange x = { .spec = { .ipv6 = clients[i].ipv6, .src = clients[i].src },
				      .opts = { .id = 20 + i } };
		uint64_t row = harness_count_slot(&H, 3, XDPDNS_HIT_FRESH);

		print_message("  from %s\n", clients[i].src);
		build(&x, "lo.example.com.", LDNS_RR_TYPE_A);
		expect_hit(&x, resp, 0, 0);
		assert_int_equal(harness_count_slot(&H, 3, XDPDNS_HIT_FRESH), row + 1);
	}
	assert_int_equal(harness_iface(&H, 0, 0), 0);
	ldns_pkt_free(resp);
}

/* TC on lo: an answer carries the mark to the run it meets next (lo's own, as it goes out
 * again), which passes it at once, uncounted, and clears it; an unmarked one is parsed and
 * passed as not ours. Elsewhere an answer is not marked: nothing of ours runs on it again. */
static void test_own_answer_passes_by_on_lo(void **state)
{
	const char *an[] = { "mark.example.com. 300 IN A 192.0.2.26", NULL };
	ldns_pkt *resp = store("mark.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	struct exchange x = { .opts = { .id = 30 } }, back;
	static struct __sk_buff skb; /* static: H keeps it if an assertion ends the test */
	uint64_t passes;

	if (!H.tc)
		skip(); /* generic XDP's skb has no control block for a program */
	memset(&skb, 0, sizeof(skb));
	H.skb = &skb;
	assert_int_equal(harness_iface(&H, 3, XDPDNS_IFACE_LOCAL), 0);
	build(&x, "mark.example.com.", LDNS_RR_TYPE_A);
	expect_hit(&x, resp, 0, 0);
	assert_int_equal(skb.cb[0], XDPDNS_TC_ANSWER_MARK);

	/* the answer, as lo's egress shows it to the program again */
	back = x;
	memcpy(back.in, x.out, x.out_len);
	back.in_len = x.out_len;
	passes = harness_count_slot(&H, 3, XDPDNS_PASS_NOT_SERVICE);
	run(&back);
	assert_int_equal(back.action, XDP_PASS);
	assert_int_equal(back.out_len, back.in_len);
	assert_memory_equal(back.out, back.in, back.in_len);
	assert_int_equal(skb.cb[0], 0);
	assert_int_equal(harness_count_slot(&H, 3, XDPDNS_PASS_NOT_SERVICE), passes);
	/* without the mark (cleared above): parsed, and passed as not to the service */
	run(&back);
	assert_int_equal(back.action, XDP_PASS);
	assert_int_equal(harness_count_slot(&H, 3, XDPDNS_PASS_NOT_SERVICE), passes + 1);

	/* a NIC's or a pod's answer is not marked */
	assert_int_equal(harness_iface(&H, 0, 0), 0);
	expect_hit(&x, resp, 0, 0);
	assert_int_equal(skb.cb[0], 0);
	H.skb = NULL;
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
/* A real 8-byte IPv6 extension header of type nh between the IPv6 header and the UDP one, so
 * that a parser skipping it would find the cached query behind it. */
static void ipv6_ext_header(struct exchange *x, uint8_t nh)
{
	uint8_t *ip6 = x->in + 14, *ext = ip6 + 40;

	x->spec.ipv6 = 1;
	base(x);
	memmove(ext + 8, ext, x->in_len - 54);
	memset(ext, 0, 8);
	ext[0] = ip6[6]; /* UDP */
	ip6[6] = nh;
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_DSTOPTS) {
		ext[2] = 1; /* PadN, 4 bytes: the header's 8 */
		ext[3] = 4;
	} else if (nh == IPPROTO_ROUTING) {
		ext[2] = 4; /* segment routing, segments left 0: a node takes what follows */
	} /* IPPROTO_FRAGMENT: offset 0, M=0, an atomic fragment (RFC 6946), the whole datagram */
	put16(ip6 + 4, (ip6[4] << 8 | ip6[5]) + 8);
	x->in_len += 8;
}
static void mk_ipv6_hop_by_hop(struct exchange *x) { ipv6_ext_header(x, IPPROTO_HOPOPTS); }
static void mk_ipv6_routing(struct exchange *x) { ipv6_ext_header(x, IPPROTO_ROUTING); }
static void mk_ipv6_dest_opts(struct exchange *x) { ipv6_ext_header(x, IPPROTO_DSTOPTS); }
static void mk_ipv6_fragment(struct exchange *x) { ipv6_ext_header(x, IPPROTO_FRAGMENT); }
static void mk_ipv4_version_6(struct exchange *x) { base(x); x->in[14] = 0x65; fix_ipv4_csum(x, 14); }
static void mk_ipv6_version_4(struct exchange *x) { x->spec.ipv6 = 1; base(x); x->in[14] = 0x40; }
static void mk_ipv4_ihl_below_5(struct exchange *x) { base(x); x->in[14] = 0x44; }
static void mk_vlan_cut_short(struct exchange *x) { x->spec.vlans = 1; base(x); x->in_len = 16; }
static void mk_vlan_arp(struct exchange *x) { x->spec.vlans = 1; base(x); put16(x->in + 16, 0x0806); }
static void mk_ipv4_more_fragments(struct exchange *x) { base(x); x->in[14 + 6] = 0x20; fix_ipv4_csum(x, 14); }
static void mk_ipv4_fragment_offset(struct exchange *x) { base(x); x->in[14 + 7] = 0x10; fix_ipv4_csum(x, 14); }
static void mk_ipv4_options(struct exchange *x) { x->spec.ip_options_len = 8; base(x); }
static void mk_udp_len_below_8(struct exchange *x) { base(x); put16(x->in + 34 + 4, 4); }
static void mk_udp_len_not_ip_payload(struct exchange *x)
{
	base(x);
	put16(x->in + 34 + 4, 8 + x->dns_len - 1);
}
static void mk_udp_len_over_ip_payload(struct exchange *x)
{
	base(x);
	put16(x->in + 34 + 4, 8 + x->dns_len + 1);
}
static void mk_ip_len_past_frame(struct exchange *x)
{
	base(x);
	put16(x->in + 14 + 2, 20 + 8 + x->dns_len + 40);
	fix_ipv4_csum(x, 14);
}
static void mk_ip_len_below_udp(struct exchange *x)
{
	base(x);
	put16(x->in + 14 + 2, 20 + 4);
	fix_ipv4_csum(x, 14);
}
static void mk_ipv6_len_past_frame(struct exchange *x)
{
	x->spec.ipv6 = 1;
	base(x);
	put16(x->in + 14 + 4, 8 + x->dns_len + 40);
}
/* payload and UDP length agree, at 4: no room for the UDP header they describe */
static void mk_ipv6_udp_len_4(struct exchange *x)
{
	x->spec.ipv6 = 1;
	base(x);
	put16(x->in + 14 + 4, 4);
	put16(x->in + 54 + 4, 4);
}
static void mk_ipv6_jumbo_len_0(struct exchange *x) { x->spec.ipv6 = 1; base(x); put16(x->in + 14 + 4, 0); }
static void mk_dns_empty6(struct exchange *x) { x->spec.ipv6 = 1; base(x); x->dns_len = 0; reframe(x); }
/* IPv6 must carry a UDP checksum: a zero one is refused even when the bytes sum as if it were
 * right (the query ID is chosen so they do) */
static void mk_udp_csum_zero6(struct exchange *x)
{
	uint8_t *udp = x->in + 54;
	size_t udp_len;
	uint32_t sum;

	x->spec.ipv6 = 1;
	base(x);
	udp_len = 8 + x->dns_len;
	udp[6] = udp[7] = 0;
	udp[8] = udp[9] = 0; /* the DNS ID */
	sum = inet_sum(x->in + 22, 32, IPPROTO_UDP + udp_len); /* pseudo-header addresses */
	sum = inet_sum(udp, udp_len, sum);
	put16(udp + 8, 0xffff - sum);
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
static void mk_opcode_iquery(struct exchange *x) { base(x); x->dns[2] |= 1 << 3; reframe(x); }
static void mk_opcode_status(struct exchange *x) { base(x); x->dns[2] |= 2 << 3; reframe(x); }
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
static void mk_compression_after_label(struct exchange *x)
{
	static const uint8_t name[] = { 4, 'p', 'a', 's', 's', 0xc0, 0x0c };

	raw_question(x, name, sizeof(name));
}
static void mk_reserved_label_80(struct exchange *x)
{
	static const uint8_t name[] = { 0x81, 'a', 0 };

	raw_question(x, name, sizeof(name));
}
/* labels of 63, 63, 63 and 62 bytes and the root: 256 wire bytes, one over */
static void mk_name_256_wire(struct exchange *x)
{
	uint8_t name[256];
	int i;

	for (i = 0; i < 4; i++) {
		name[i * 64] = i < 3 ? 63 : 62;
		memset(name + i * 64 + 1, 'a', 63);
	}
	name[255] = 0;
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
static void qclass(struct exchange *x, uint16_t c) { base(x); put16(x->dns + qend() + 2, c); reframe(x); }
static void mk_qclass_hs(struct exchange *x) { qclass(x, LDNS_RR_CLASS_HS); }
static void mk_qclass_none(struct exchange *x) { qclass(x, LDNS_RR_CLASS_NONE); }
static void mk_qclass_any(struct exchange *x) { qclass(x, LDNS_RR_CLASS_ANY); }
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
/* 0xffff -> 0 leaves the UDP checksum right: the same number in ones' complement */
static void mk_src_port_0(struct exchange *x) { x->spec.sport = 0xffff; base(x); put16(x->in + 34, 0); }
static void mk_src_port_0_ipv6(struct exchange *x)
{
	x->spec.ipv6 = 1;
	x->spec.sport = 0xffff;
	base(x);
	put16(x->in + 54, 0);
}
static void mk_response(struct exchange *x) { base(x); x->dns[2] |= 0x80; reframe(x); }
static void mk_response_big(struct exchange *x) { edns_option(x, 12, 1000); x->dns[2] |= 0x80; reframe(x); }
static void mk_response_bad_csum(struct exchange *x) { mk_response(x); x->in[34 + 6] ^= 0x40; }
/* what the daemon's upstream queries get back: from port 53 to its ephemeral port, on an
 * address that may well be a service address (the interface's own, by default) */
static void mk_upstream_reply(struct exchange *x)
{
	x->spec.src = "203.0.113.53";
	x->spec.sport = 53;
	x->spec.dport = 40001;
	mk_response(x);
}
static void mk_upstream_reply6(struct exchange *x)
{
	x->spec.ipv6 = 1;
	x->spec.src = "2001:db8:53::1";
	x->spec.sport = 53;
	x->spec.dport = 40001;
	mk_response(x);
}
static void mk_src_multicast(struct exchange *x) { x->spec.src = "224.0.0.251"; base(x); }
static void mk_src_broadcast(struct exchange *x) { x->spec.src = "255.255.255.255"; base(x); }
static void mk_src_class_e(struct exchange *x) { x->spec.src = "240.0.0.1"; base(x); }
static void mk_src_self(struct exchange *x) { x->spec.src = FRAME_SERVICE4; base(x); }
static void mk_src_self6(struct exchange *x) { x->spec.ipv6 = 1; x->spec.src = FRAME_SERVICE6; base(x); }
static void mk_src_loopback(struct exchange *x) { x->spec.src = "127.0.0.1"; base(x); }
static void mk_src_loopback_8(struct exchange *x) { x->spec.src = "127.1.2.3"; base(x); }
static void mk_src_loopback6(struct exchange *x) { x->spec.ipv6 = 1; x->spec.src = "::1"; base(x); }
static void mk_src_unspecified(struct exchange *x) { x->spec.src = "0.0.0.0"; base(x); }
static void mk_src_this_network(struct exchange *x) { x->spec.src = "0.1.2.3"; base(x); }
static void mk_src_unspecified6(struct exchange *x) { x->spec.ipv6 = 1; x->spec.src = "::"; base(x); }
static void mk_src_v4_mapped6(struct exchange *x)
{
	x->spec.ipv6 = 1;
	x->spec.src = "::ffff:198.51.100.7";
	base(x);
}
static void mk_src_multicast6(struct exchange *x) { x->spec.ipv6 = 1; x->spec.src = "ff02::fb"; base(x); }
static void mk_src_mac_multicast(struct exchange *x) { base(x); x->in[6] = 0x01; }

struct untouched_case {
	const char *name;
	void (*make)(struct exchange *x);
	int action;
	unsigned int reason;
	unsigned int iface; /* the attach point it enters on: IF_* below (0: one not listed) */
};

/* Attach points of the table's rows, as slot and XDPDNS_IFACE_* flags */
#define IF_NIC   1 /* a NIC the daemon attached: its own slot, a NIC's rules */
#define IF_LOCAL 2 /* lo: the host's own clients */
static const struct {
	unsigned int slot, flags;
} row_ifaces[] = { [IF_NIC] = { 1, 0 }, [IF_LOCAL] = { 2, XDPDNS_IFACE_LOCAL } };

/* The kernel half of the bad input catalogue (issue 6): each item's rows are marked with its
 * number; items 1, 2, 7, 8 and 9 have hit tests too (test_padded_minimum_frame,
 * test_hit_vlan_and_qinq, test_hit_edns_arcount_1, test_hit_longest_name,
 * test_key_collision_is_a_miss, test_case_folds_only_letters). */
/* rows without an attach point leave iface out: 0, an interface the program does not list */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct untouched_case untouched_cases[] = {
	/* 2: L2 the program does not know */
	{ "ARP", mk_arp, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "three VLAN tags", mk_three_vlans, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "VLAN tag cut short", mk_vlan_cut_short, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "VLAN-tagged ARP", mk_vlan_arp, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "to a group MAC", mk_l2_multicast, XDP_PASS, XDPDNS_PASS_L2_MULTICAST },
	/* 3: IP headers the program does not parse */
	{ "TCP", mk_tcp, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv4 version 6", mk_ipv4_version_6, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "IPv6 version 4", mk_ipv6_version_4, XDP_PASS, XDPDNS_PASS_NOT_IP },
	{ "IPv6 hop-by-hop options", mk_ipv6_hop_by_hop, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv6 routing header", mk_ipv6_routing, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv6 destination options", mk_ipv6_dest_opts, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv6 fragment header", mk_ipv6_fragment, XDP_PASS, XDPDNS_PASS_NOT_UDP },
	{ "IPv4 more fragments", mk_ipv4_more_fragments, XDP_PASS, XDPDNS_PASS_IP_FRAGMENT },
	{ "IPv4 fragment offset", mk_ipv4_fragment_offset, XDP_PASS, XDPDNS_PASS_IP_FRAGMENT },
	{ "IPv4 options", mk_ipv4_options, XDP_PASS, XDPDNS_PASS_IP_OPTIONS },
	/* 4: lengths that do not add up */
	{ "IPv4 IHL < 5", mk_ipv4_ihl_below_5, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "UDP length < 8", mk_udp_len_below_8, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "UDP length < IP payload", mk_udp_len_not_ip_payload, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "UDP length > IP payload", mk_udp_len_over_ip_payload, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "IP length past frame", mk_ip_len_past_frame, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "IP length < IP + UDP header", mk_ip_len_below_udp, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "IPv6 payload past frame", mk_ipv6_len_past_frame, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "IPv6 and UDP length 4", mk_ipv6_udp_len_4, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "IPv6 payload length 0", mk_ipv6_jumbo_len_0, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "DNS payload < 12", mk_dns_under_12, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "DNS payload empty, IPv6", mk_dns_empty6, XDP_PASS, XDPDNS_PASS_BAD_LENGTH },
	{ "query over 512 bytes", mk_query_too_long, XDP_PASS, XDPDNS_PASS_QUERY_TOO_LONG },
	{ "bad UDP checksum", mk_bad_udp_checksum, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	{ "bad IPv4 header checksum", mk_bad_ip_checksum, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	{ "bad UDP checksum IPv6", mk_bad_udp_checksum6, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	{ "zero UDP checksum IPv6", mk_udp_csum_zero6, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM },
	/* not for us */
	{ "other port", mk_other_port, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	{ "other address", mk_other_address, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	{ "other IPv6 address", mk_other_address6, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	/* 5: sources a reply must never go to */
	{ "source port 0", mk_src_port_0, XDP_DROP, XDPDNS_DROP_SRC_PORT },
	{ "source port 0, IPv6", mk_src_port_0_ipv6, XDP_DROP, XDPDNS_DROP_SRC_PORT },
	{ "group MAC as source", mk_src_mac_multicast, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "multicast source", mk_src_multicast, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "broadcast source", mk_src_broadcast, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "class E source", mk_src_class_e, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "IPv6 multicast source", mk_src_multicast6, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "IPv4-mapped IPv6 source", mk_src_v4_mapped6, XDP_DROP, XDPDNS_DROP_SRC_ADDR },
	{ "own address as source", mk_src_self, XDP_DROP, XDPDNS_DROP_SRC_SELF },
	{ "own IPv6 address as source", mk_src_self6, XDP_DROP, XDPDNS_DROP_SRC_SELF },
	{ "loopback source", mk_src_loopback, XDP_DROP, XDPDNS_DROP_SRC_LOOPBACK },
	{ "127/8 source", mk_src_loopback_8, XDP_DROP, XDPDNS_DROP_SRC_LOOPBACK },
	{ "IPv6 loopback source", mk_src_loopback6, XDP_DROP, XDPDNS_DROP_SRC_LOOPBACK },
	{ "unspecified source", mk_src_unspecified, XDP_DROP, XDPDNS_DROP_SRC_UNSPEC },
	{ "0/8 source", mk_src_this_network, XDP_DROP, XDPDNS_DROP_SRC_UNSPEC },
	{ "IPv6 unspecified source", mk_src_unspecified6, XDP_DROP, XDPDNS_DROP_SRC_UNSPEC },
	/* the same rules on a NIC the daemon lists, counted in its row; on lo, the host's own
	 * clients may send from loopback and our addresses, and from nothing else on the list */
	{ "loopback source, NIC", mk_src_loopback, XDP_DROP, XDPDNS_DROP_SRC_LOOPBACK, IF_NIC },
	{ "IPv6 loopback source, NIC", mk_src_loopback6, XDP_DROP, XDPDNS_DROP_SRC_LOOPBACK, IF_NIC },
	{ "own address as source, NIC", mk_src_self, XDP_DROP, XDPDNS_DROP_SRC_SELF, IF_NIC },
	{ "own IPv6 address, NIC", mk_src_self6, XDP_DROP, XDPDNS_DROP_SRC_SELF, IF_NIC },
	{ "multicast source on lo", mk_src_multicast, XDP_DROP, XDPDNS_DROP_SRC_ADDR, IF_LOCAL },
	{ "broadcast source on lo", mk_src_broadcast, XDP_DROP, XDPDNS_DROP_SRC_ADDR, IF_LOCAL },
	{ "IPv4-mapped source on lo", mk_src_v4_mapped6, XDP_DROP, XDPDNS_DROP_SRC_ADDR, IF_LOCAL },
	{ "unspecified source on lo", mk_src_unspecified, XDP_DROP, XDPDNS_DROP_SRC_UNSPEC, IF_LOCAL },
	{ ":: source on lo", mk_src_unspecified6, XDP_DROP, XDPDNS_DROP_SRC_UNSPEC, IF_LOCAL },
	{ "source port 0 on lo", mk_src_port_0, XDP_DROP, XDPDNS_DROP_SRC_PORT, IF_LOCAL },
	{ "QR=1 on lo", mk_response, XDP_DROP, XDPDNS_DROP_RESPONSE, IF_LOCAL },
	{ "bad UDP checksum on lo", mk_bad_udp_checksum, XDP_PASS, XDPDNS_PASS_BAD_CHECKSUM, IF_LOCAL },
	{ "other port on lo", mk_other_port, XDP_PASS, XDPDNS_PASS_NOT_SERVICE, IF_LOCAL },
	/* 6: responses */
	{ "QR=1 to the service", mk_response, XDP_DROP, XDPDNS_DROP_RESPONSE },
	{ "QR=1 over 512 bytes", mk_response_big, XDP_DROP, XDPDNS_DROP_RESPONSE },
	{ "QR=1, bad checksum", mk_response_bad_csum, XDP_DROP, XDPDNS_DROP_RESPONSE },
	{ "upstream reply to daemon", mk_upstream_reply, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	{ "upstream reply, IPv6", mk_upstream_reply6, XDP_PASS, XDPDNS_PASS_NOT_SERVICE },
	/* 7: queries the daemon answers */
	{ "opcode IQUERY", mk_opcode_iquery, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "opcode STATUS", mk_opcode_status, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "opcode NOTIFY", mk_opcode_notify, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "opcode UPDATE", mk_opcode_update, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "TC=1", mk_tc, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "QDCOUNT 0", mk_qdcount_0, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "QDCOUNT 2", mk_qdcount_2, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "ANCOUNT 1", mk_ancount, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "NSCOUNT 1", mk_nscount, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "ARCOUNT 2", mk_arcount_2, XDP_PASS, XDPDNS_PASS_DNS_HEADER },
	{ "qtype ANY", mk_qtype_any, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype AXFR", mk_qtype_axfr, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype IXFR", mk_qtype_ixfr, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype OPT", mk_qtype_opt, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype MAILA", mk_qtype_maila, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "qtype 0", mk_qtype_0, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "class CH", mk_qclass_chaos, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "class HS", mk_qclass_hs, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "class NONE", mk_qclass_none, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "class ANY", mk_qclass_any, XDP_PASS, XDPDNS_PASS_QTYPE },
	{ "EDNS version 1", mk_edns_version_1, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "additional record not OPT", mk_additional_not_opt, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "OPT rdlength past payload", mk_opt_rdlen_overrun, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "EDNS client subnet", mk_edns_client_subnet, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "unknown EDNS option", mk_edns_unknown_option, XDP_PASS, XDPDNS_PASS_EDNS },
	{ "bytes after the question", mk_trailing_bytes, XDP_PASS, XDPDNS_PASS_TRAILING },
	/* 8: names the program does not walk */
	{ "compression pointer", mk_compression, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "pointer after a label", mk_compression_after_label, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "reserved label type 0x40", mk_reserved_label, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "reserved label type 0x80", mk_reserved_label_80, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "64-byte label", mk_label_64, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "name of 256 wire bytes", mk_name_256_wire, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "name over 255 bytes", mk_name_256, XDP_PASS, XDPDNS_PASS_QNAME },
	{ "name past payload", mk_name_past_payload, XDP_PASS, XDPDNS_PASS_QNAME },
	/* the one pass that is not about bad input */
	{ "miss", mk_miss, XDP_PASS, XDPDNS_PASS_MISS },
};
#pragma GCC diagnostic pop

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
		unsigned int slot = row_ifaces[c->iface].slot;
		uint64_t row;

		print_message("  %-28s -> %s\n", c->name, xdpdns_reason_name(c->reason));
		assert_int_equal(harness_iface(&H, slot, row_ifaces[c->iface].flags), 0);
		row = harness_count_slot(&H, slot, c->reason);
		c->make(&x);
		expect_untouched(&x, c->action, c->reason);
		if (harness_count_slot(&H, slot, c->reason) != row + 1)
			fail_msg("not counted in the row of its attach point (slot %u)", slot);
	}
	assert_int_equal(harness_iface(&H, 0, 0), 0);
	ldns_pkt_free(resp);
}

static int setup_hook(bool tc)
{
	int err;

	err = harness_daemon_up();
	if (err) {
		fprintf(stderr, "can't bind the daemon's sockets: %s\n", strerror(-err));
		return err;
	}
	err = harness_open(&H);
	if (err)
		fprintf(stderr, "can't load the programs: %s\n", strerror(-err));
	if (!err)
		err = harness_hook(&H, tc);
	return err;
}

static int setup_xdp(void **state)
{
	return setup_hook(false);
}

static int setup_tc(void **state)
{
	return setup_hook(true);
}

static int teardown(void **state)
{
	harness_close(&H);
	harness_daemon_down();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_ipv4_echoes_case),
		cmocka_unit_test(test_own_answer_passes_by_on_lo),
		cmocka_unit_test(test_hit_ipv6_edns_cookie),
		cmocka_unit_test(test_hit_do_bit_is_part_of_key),
		cmocka_unit_test(test_hit_clears_ad_unless_asked),
		cmocka_unit_test(test_hit_cd_bit),
		cmocka_unit_test(test_hit_vlan_and_qinq),
		cmocka_unit_test(test_hit_ipv4_dont_fragment),
		cmocka_unit_test(test_hit_edns_arcount_1),
		cmocka_unit_test(test_hit_longest_name),
		cmocka_unit_test(test_hit_nxdomain_with_soa),
		cmocka_unit_test(test_hit_nodata),
		cmocka_unit_test(test_hit_type_above_255),
		cmocka_unit_test(test_ttl_aging),
		cmocka_unit_test(test_entry_older_than_boot),
		cmocka_unit_test(test_suspend_ages_entries),
		cmocka_unit_test(test_expired_passes_while_upstreams_up),
		cmocka_unit_test(test_stale_while_upstreams_down),
		cmocka_unit_test(test_stale_while_no_daemon),
		cmocka_unit_test(test_stale_has_a_limit),
		cmocka_unit_test(test_too_big_for_client),
		cmocka_unit_test(test_servfail_never_served),
		cmocka_unit_test(test_key_collision_is_a_miss),
		cmocka_unit_test(test_case_folds_only_letters),
		cmocka_unit_test(test_padded_minimum_frame),
		cmocka_unit_test(test_ipv4_without_udp_checksum),
		cmocka_unit_test(test_checksum_offloaded_by_local_sender),
		cmocka_unit_test(test_host_clients_on_lo),
		cmocka_unit_test(test_entry_counts_hits),
		cmocka_unit_test(test_hit_records_last_hit),
		cmocka_unit_test(test_untouched_cases),
	};

	int failed = cmocka_run_group_tests_name("xdp", tests, setup_xdp, teardown);

	return failed + cmocka_run_group_tests_name("tc", tests, setup_tc, teardown);
}
