// SPDX-License-Identifier: GPL-2.0
/* Shield mode's per-source rate limit in the XDP program (BPF_PROG_TEST_RUN): a burst then
 * drops, refill (the bucket's timestamp moved back through the map: no sleeping), the empty
 * TC=1 answer checked with ldns and frame.c's checksums, IPv6 /64 buckets, and traffic that is
 * not a query to the service left alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "harness.h"

static struct harness H;
static int rl_fd; /* the xdpdns_ratelimit map */

struct pkt {
	uint8_t dns[FRAME_MAX_LEN], in[FRAME_MAX_LEN], out[FRAME_MAX_LEN];
	size_t dns_len, in_len, out_len;
};

/* A query for name/A from src (NULL: frame.h's client) to the service, or as spec says. */
static void build(struct pkt *p, struct frame_spec spec, const char *name, uint16_t id, int edns)
{
	struct query_opts qo = { .id = id, .edns = edns, .cookie = edns };

	p->dns_len = make_query(p->dns, name, LDNS_RR_TYPE_A, &qo);
	assert_true(p->dns_len > 0);
	p->in_len = frame_build(p->in, &spec, p->dns, p->dns_len);
}

static int run(struct pkt *p)
{
	return harness_run(&H, p->in, p->in_len, p->out, &p->out_len);
}

static void set_limit(uint32_t qps, uint32_t burst, uint32_t action)
{
	struct xdpdns_ratelimit_key key, next;

	H.cfg.ratelimit_cost_ns = qps ? 1000000000ULL / qps : 0;
	H.cfg.ratelimit_burst = burst;
	H.cfg.ratelimit_action = action;
	assert_int_equal(xdpdns_config_write(&H.maps, &H.cfg), 0);
	/* every test starts with no bucket */
	while (!bpf_map_get_next_key(rl_fd, NULL, &next)) {
		key = next;
		assert_int_equal(bpf_map_delete_elem(rl_fd, &key), 0);
	}
}

static void key_of(struct xdpdns_ratelimit_key *key, const char *addr)
{
	memset(key, 0, sizeof(*key));
	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, key->addr), 1);
		memset(key->addr + 8, 0, 8); /* the /64 */
	} else {
		key->addr[10] = key->addr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, addr, key->addr + 12), 1);
	}
}

/* Runs p and checks the action and that the reason's counter moved by one. */
static void expect(struct pkt *p, int action, unsigned int reason)
{
	uint64_t before = harness_count(&H, reason);
	int got = run(p);

	if (got != action)
		fail_msg("action %d, want %d (%s)", got, action, xdpdns_reason_name(reason));
	if (harness_count(&H, reason) != before + 1)
		fail_msg("counter %s did not move", xdpdns_reason_name(reason));
	if (action == XDP_PASS) {
		assert_int_equal(p->out_len, p->in_len);
		assert_memory_equal(p->out, p->in, p->in_len);
	}
}

static void test_off_by_default(void **state)
{
	struct frame_spec spec = { 0 };
	uint64_t passed = harness_count(&H, XDPDNS_RATELIMIT_PASSED);
	struct xdpdns_ratelimit_key next;
	struct xdpdns_config fresh;
	struct pkt p;
	int i;

	assert_int_equal(xdpdns_config_init(&fresh), 0);
	assert_int_equal(fresh.ratelimit_cost_ns, 0);
	set_limit(0, 1, XDPDNS_RATELIMIT_ACTION_DROP);
	build(&p, spec, "miss.example.", 1, 0);
	for (i = 0; i < 5; i++)
		expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	assert_int_equal(harness_count(&H, XDPDNS_RATELIMIT_PASSED), passed);
	assert_int_not_equal(bpf_map_get_next_key(rl_fd, NULL, &next), 0); /* no bucket */
}

/* A burst of 3 at 1 query/s: three through (misses and a hit alike), then drops. */
static void test_burst_then_drop(void **state)
{
	const char *an[] = { "www.example. 300 IN A 192.0.2.1", NULL };
	ldns_pkt *resp = make_response("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	struct frame_spec spec = { 0 };
	uint64_t passed = harness_count(&H, XDPDNS_RATELIMIT_PASSED);
	struct pkt miss, hit;

	assert_non_null(resp);
	assert_int_equal(harness_store(&H, resp, 0, 0, 300), 0);
	ldns_pkt_free(resp);
	set_limit(1, 3, XDPDNS_RATELIMIT_ACTION_DROP);
	build(&miss, spec, "miss.example.", 2, 0);
	build(&hit, spec, "www.example.", 3, 0);
	expect(&miss, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&hit, XDP_TX, XDPDNS_HIT_FRESH);
	build(&hit, spec, "www.example.", 3, 0); /* the frame was rewritten into the answer */
	expect(&miss, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&hit, XDP_DROP, XDPDNS_RATELIMIT_DROP);
	expect(&miss, XDP_DROP, XDPDNS_RATELIMIT_DROP);
	assert_int_equal(harness_count(&H, XDPDNS_RATELIMIT_PASSED), passed + 3);

	/* another source has its own bucket */
	spec.src = "198.51.100.8";
	build(&miss, spec, "miss.example.", 4, 0);
	expect(&miss, XDP_PASS, XDPDNS_PASS_MISS);
}

/* Refill: the bucket's last_ns moved 2.5 s back is 2.5 tokens at 1 query/s. */
static void test_refill(void **state)
{
	struct frame_spec spec = { 0 };
	struct xdpdns_ratelimit_bucket b;
	struct xdpdns_ratelimit_key key;
	struct pkt p;

	set_limit(1, 3, XDPDNS_RATELIMIT_ACTION_DROP);
	build(&p, spec, "miss.example.", 5, 0);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_DROP, XDPDNS_RATELIMIT_DROP);

	key_of(&key, FRAME_CLIENT4);
	assert_int_equal(bpf_map_lookup_elem(rl_fd, &key, &b), 0);
	assert_true(b.credit_ns < 1000000000ULL);
	b.last_ns -= 2500000000ULL;
	assert_int_equal(bpf_map_update_elem(rl_fd, &key, &b, BPF_EXIST), 0);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_DROP, XDPDNS_RATELIMIT_DROP);

	/* a long silence fills the bucket to the burst, not beyond */
	assert_int_equal(bpf_map_lookup_elem(rl_fd, &key, &b), 0);
	b.last_ns -= 3600 * 1000000000ULL;
	assert_int_equal(bpf_map_update_elem(rl_fd, &key, &b, BPF_EXIST), 0);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_DROP, XDPDNS_RATELIMIT_DROP);
}

/* The frame is an empty TC=1 answer to p's query: addresses swapped, checksums right, same ID
 * and question, no records, no OPT. */
static void assert_truncated(const struct pkt *p, int ipv6)
{
	ldns_pkt *got = NULL, *q = NULL;
	struct frame_view v;
	const char *err = frame_parse(p->out, p->out_len, &v);
	size_t qlen;

	if (err)
		fail_msg("reply frame: %s", err);
	assert_int_equal(v.ipv6, ipv6);
	assert_memory_equal(v.dmac, frame_client_mac, 6);
	assert_int_equal(v.sport, 53);
	assert_int_equal(v.dport, 40000);
	assert_int_not_equal(v.udp_csum, 0);
	assert_int_equal(ldns_wire2pkt(&q, p->dns, p->dns_len), LDNS_STATUS_OK);
	qlen = 12 + ldns_rdf_size(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0))) + 4;
	assert_int_equal(v.dns_len, qlen); /* header and question only: the OPT trimmed */
	assert_memory_equal(v.dns + 12, p->dns + 12, qlen - 12);
	assert_int_equal(ldns_wire2pkt(&got, v.dns, v.dns_len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(got), ldns_pkt_id(q));
	assert_true(ldns_pkt_qr(got));
	assert_true(ldns_pkt_tc(got));
	assert_true(ldns_pkt_ra(got));
	assert_int_equal(ldns_pkt_rd(got), ldns_pkt_rd(q));
	assert_int_equal(ldns_pkt_get_rcode(got), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_qdcount(got), 1);
	assert_int_equal(ldns_pkt_ancount(got), 0);
	assert_int_equal(ldns_pkt_nscount(got), 0);
	assert_int_equal(ldns_pkt_arcount(got), 0);
	ldns_pkt_free(got);
	ldns_pkt_free(q);
}

static void truncate_case(int ipv6, int edns)
{
	struct frame_spec spec = { .ipv6 = ipv6 };
	struct pkt p;

	set_limit(1, 1, XDPDNS_RATELIMIT_ACTION_TRUNCATE);
	build(&p, spec, "MiXeD.Example.", 0x4242, edns); /* case kept in the echo */
	expect(&p, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&p, XDP_TX, XDPDNS_RATELIMIT_TRUNCATE);
	assert_truncated(&p, ipv6);
}

static void test_truncate_ipv4(void **state)
{
	truncate_case(0, 0);
	truncate_case(0, 1);
}

static void test_truncate_ipv6(void **state)
{
	truncate_case(1, 0);
	truncate_case(1, 1);
}

/* Truncate mode, over the limit, a query the fast path can't parse (two questions): dropped,
 * not passed to the daemon. Within the limit it passes as before. */
static void test_truncate_unparsed_drops(void **state)
{
	struct frame_spec spec = { 0 };
	struct pkt p;

	set_limit(1, 1, XDPDNS_RATELIMIT_ACTION_TRUNCATE);
	build(&p, spec, "miss.example.", 7, 0);
	p.dns[5] = 2; /* QDCOUNT 2 */
	p.in_len = frame_build(p.in, &spec, p.dns, p.dns_len);
	expect(&p, XDP_PASS, XDPDNS_PASS_DNS_HEADER);
	expect(&p, XDP_DROP, XDPDNS_RATELIMIT_DROP);
}

/* Two addresses of one /64 share a bucket; another /64 has its own. */
static void test_ipv6_prefix(void **state)
{
	struct frame_spec a = { .ipv6 = 1, .src = "2001:db8:1::7" };
	struct frame_spec b = { .ipv6 = 1, .src = "2001:db8:1::ffff:8" };
	struct frame_spec c = { .ipv6 = 1, .src = "2001:db8:1:1::7" };
	struct xdpdns_ratelimit_bucket bucket;
	struct xdpdns_ratelimit_key key;
	struct pkt pa, pb, pc;

	set_limit(1, 2, XDPDNS_RATELIMIT_ACTION_DROP);
	build(&pa, a, "miss.example.", 8, 0);
	build(&pb, b, "miss.example.", 9, 0);
	build(&pc, c, "miss.example.", 10, 0);
	expect(&pa, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&pb, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&pa, XDP_DROP, XDPDNS_RATELIMIT_DROP);
	expect(&pb, XDP_DROP, XDPDNS_RATELIMIT_DROP);
	expect(&pc, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&pc, XDP_PASS, XDPDNS_PASS_MISS);
	expect(&pc, XDP_DROP, XDPDNS_RATELIMIT_DROP);
	key_of(&key, "2001:db8:1::");
	assert_int_equal(bpf_map_lookup_elem(rl_fd, &key, &bucket), 0);
	key_of(&key, "2001:db8:1:1::");
	assert_int_equal(bpf_map_lookup_elem(rl_fd, &key, &bucket), 0);
}

/* With the limiter on and a bucket of 1, other UDP ports and other addresses pass untouched
 * however many, and get no bucket. */
static void test_other_traffic_untouched(void **state)
{
	struct frame_spec other_port = { .src = "203.0.113.9", .dport = 5353 };
	struct frame_spec other_addr = { .src = "203.0.113.9", .dst = "192.0.2.54" };
	struct frame_spec other_addr6 = { .ipv6 = 1, .src = "2001:db8:9::9", .dst = "2001:db8::54" };
	struct frame_spec *specs[] = { &other_port, &other_addr, &other_addr6 };
	struct xdpdns_ratelimit_key next;
	struct pkt p;
	size_t s;
	int i;

	set_limit(1, 1, XDPDNS_RATELIMIT_ACTION_DROP);
	for (s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		build(&p, *specs[s], "miss.example.", 11, 0);
		for (i = 0; i < 4; i++)
			expect(&p, XDP_PASS, XDPDNS_PASS_NOT_SERVICE);
	}
	assert_int_not_equal(bpf_map_get_next_key(rl_fd, NULL, &next), 0); /* no bucket */
}

static int setup_hook(bool tc)
{
	if (harness_open(&H) || harness_hook(&H, tc))
		return -1;
	rl_fd = bpf_object__find_map_fd_by_name(H.obj, "xdpdns_ratelimit");
	return rl_fd < 0 ? -1 : 0;
}

static int setup_xdp(void **state)
{
	return setup_hook(false);
}

/* the TC program: the same limiter through its own global function (ratelimit.h) */
static int setup_tc(void **state)
{
	return setup_hook(true);
}

static int teardown(void **state)
{
	harness_close(&H);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_burst_then_drop),
		cmocka_unit_test(test_refill),
		cmocka_unit_test(test_truncate_ipv4),
		cmocka_unit_test(test_truncate_ipv6),
		cmocka_unit_test(test_truncate_unparsed_drops),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_other_traffic_untouched),
	};

	int failed = cmocka_run_group_tests_name("ratelimit xdp", tests, setup_xdp, teardown);

	return failed + cmocka_run_group_tests_name("ratelimit tc", tests, setup_tc, teardown);
}
