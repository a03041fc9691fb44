// SPDX-License-Identifier: GPL-2.0
/* xdpdns-linkloss's XDP program (tools/linkloss.bpf.c) on crafted frames (BPF_PROG_TEST_RUN,
 * each frame run many times with `repeat`: the program never rewrites it). The shares are
 * checked against bounds far outside random spread: 20% of 20,000 runs is 4,000 drops with a
 * standard deviation of 57, and the test takes 3,400 to 4,600 (over ten deviations).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "harness.h"
#include "linkloss_kern_user.h"
#include "linkloss.skel.h"

_Static_assert(sizeof(struct xdpdns_linkloss_config) == 8, "config layout");

#define RUNS_EXACT 1000   /* runs of a frame whose fate is certain */
#define RUNS_SHARE 20000  /* runs of a frame dropped at random */

static struct linkloss *skel;

/* A frame of the table: frame.c builds UDP; the others are UDP frames with one field written
 * over, since the program reads nothing past the ports (checksums left wrong on purpose). */
struct fixture {
	const char *name;
	struct frame_spec spec;
	__u8 l4;            /* IP protocol written over UDP's; 0 keeps UDP */
	int later_fragment; /* IPv4 fragment offset 1480: no ports in it */
	int arp;            /* ethertype ARP in place of IP */
	int matches_53;     /* matches --port 53 */
};

static const struct fixture fixtures[] = {
	{ "UDP to 53, IPv4", { 0 }, 0, 0, 0, 1 },
	{ "UDP from 53, IPv4", { .sport = 53, .dport = 40000 }, 0, 0, 0, 1 },
	{ "UDP to 53, IPv6", { .ipv6 = 1 }, 0, 0, 0, 1 },
	{ "UDP to 53, QinQ", { .vlans = 2 }, 0, 0, 0, 1 },
	{ "TCP to 53, IPv4", { 0 }, IPPROTO_TCP, 0, 0, 1 },
	{ "TCP from 53, IPv6", { .ipv6 = 1, .sport = 53, .dport = 40000 }, IPPROTO_TCP, 0, 0, 1 },
	{ "UDP 40000 to 443", { .dport = 443 }, 0, 0, 0, 0 },
	{ "UDP 5353 to 5353, IPv6", { .ipv6 = 1, .sport = 5353, .dport = 5353 }, 0, 0, 0, 0 },
	{ "TCP 40000 to 80", { .dport = 80 }, IPPROTO_TCP, 0, 0, 0 },
	{ "ICMP with 53 where ports would be", { 0 }, IPPROTO_ICMP, 0, 0, 0 },
	{ "later IPv4 fragment of UDP to 53", { 0 }, 0, 1, 0, 0 },
	{ "ARP", { 0 }, 0, 0, 1, 0 },
};

#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

struct frame {
	uint8_t bytes[FRAME_MAX_LEN];
	size_t len;
};

static void build(const struct fixture *fx, struct frame *f)
{
	struct query_opts qo = { .id = 0x1234 };
	size_t l3 = 14 + 4 * fx->spec.vlans;
	uint8_t dns[512];
	size_t len = make_query(dns, "www.example.com.", LDNS_RR_TYPE_A, &qo); /* dig A */

	f->len = frame_build(f->bytes, &fx->spec, dns, len);
	if (fx->l4)
		f->bytes[l3 + (fx->spec.ipv6 ? 6 : 9)] = fx->l4;
	if (fx->later_fragment) {
		f->bytes[l3 + 6] = 1480 / 8 >> 8;
		f->bytes[l3 + 7] = 1480 / 8 & 0xff;
	}
	if (fx->arp) {
		f->bytes[l3 - 2] = ETH_P_ARP >> 8;
		f->bytes[l3 - 1] = ETH_P_ARP & 0xff;
	}
}

static void set_loss(__u32 loss_ppm, __u16 port)
{
	struct xdpdns_linkloss_config cfg = { .loss_ppm = loss_ppm, .port = htons(port) };
	__u32 zero = 0;

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.linkloss_config), &zero, &cfg,
					     BPF_ANY), 0);
}

static void read_counts(__u64 counts[XDPDNS_LINKLOSS_COUNTERS])
{
	int ncpus = libbpf_num_possible_cpus(), cpu;
	__u64 percpu[ncpus];
	__u32 c;

	for (c = 0; c < XDPDNS_LINKLOSS_COUNTERS; c++) {
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.linkloss_stats), &c,
						     percpu), 0);
		counts[c] = 0;
		for (cpu = 0; cpu < ncpus; cpu++)
			counts[c] += percpu[cpu];
	}
}

struct outcome {
	int action; /* of the last run */
	__u64 passed, dropped, other;
};

/* Runs the fixture's frame `runs` times; the counters tell what became of each run. */
static struct outcome run(const struct fixture *fx, __u32 runs)
{
	struct frame f;
	__u64 before[XDPDNS_LINKLOSS_COUNTERS], after[XDPDNS_LINKLOSS_COUNTERS];
	struct outcome o;

	build(fx, &f);
	{
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.bytes, .data_size_in = f.len,
			    .repeat = runs);

		read_counts(before);
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdpdns_xdp_loss), &opts))
			fail_msg("%s: test run: %s", fx->name, strerror(errno));
		read_counts(after);
		o.action = opts.retval;
	}
	o.passed = after[XDPDNS_LINKLOSS_PASSED] - before[XDPDNS_LINKLOSS_PASSED];
	o.dropped = after[XDPDNS_LINKLOSS_DROPPED] - before[XDPDNS_LINKLOSS_DROPPED];
	o.other = after[XDPDNS_LINKLOSS_OTHER] - before[XDPDNS_LINKLOSS_OTHER];
	if (o.passed + o.dropped + o.other != runs)
		fail_msg("%s: %llu runs counted, want %u", fx->name,
			 (unsigned long long)(o.passed + o.dropped + o.other), runs);
	return o;
}

static void expect_all(const struct fixture *fx, int action, __u64 passed, __u64 dropped,
		       __u64 other)
{
	struct outcome o = run(fx, RUNS_EXACT);

	if (o.action != action || o.passed != passed || o.dropped != dropped || o.other != other)
		fail_msg("%s: action %d passed %llu dropped %llu other %llu, want %d %llu %llu %llu",
			 fx->name, o.action, (unsigned long long)o.passed,
			 (unsigned long long)o.dropped, (unsigned long long)o.other, action,
			 (unsigned long long)passed, (unsigned long long)dropped,
			 (unsigned long long)other);
}

static void test_zero_drops_nothing(void **state)
{
	size_t i;

	set_loss(0, 0);
	for (i = 0; i < N_FIXTURES; i++)
		expect_all(&fixtures[i], XDP_PASS, RUNS_EXACT, 0, 0);
	set_loss(0, 53);
	for (i = 0; i < N_FIXTURES; i++)
		expect_all(&fixtures[i], XDP_PASS, fixtures[i].matches_53 ? RUNS_EXACT : 0, 0,
			   fixtures[i].matches_53 ? 0 : RUNS_EXACT);
}

static void test_hundred_drops_everything(void **state)
{
	size_t i;

	set_loss(XDPDNS_LINKLOSS_PPM_MAX, 0);
	for (i = 0; i < N_FIXTURES; i++) /* ARP and ICMP too: no port given */
		expect_all(&fixtures[i], XDP_DROP, 0, RUNS_EXACT, 0);
}

static void test_port_filter(void **state)
{
	size_t i;

	set_loss(XDPDNS_LINKLOSS_PPM_MAX, 53);
	for (i = 0; i < N_FIXTURES; i++) {
		if (fixtures[i].matches_53)
			expect_all(&fixtures[i], XDP_DROP, 0, RUNS_EXACT, 0);
		else
			expect_all(&fixtures[i], XDP_PASS, 0, 0, RUNS_EXACT);
	}
}

static const struct fixture *fixture(const char *name)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++)
		if (!strcmp(fixtures[i].name, name))
			return &fixtures[i];
	fail_msg("no fixture '%s'", name);
	return NULL;
}

static void expect_share(const struct fixture *fx)
{
	struct outcome o = run(fx, RUNS_SHARE);

	if (o.dropped < RUNS_SHARE * 17 / 100 || o.dropped > RUNS_SHARE * 23 / 100)
		fail_msg("%s: %llu of %u dropped, want 17%% to 23%%", fx->name,
			 (unsigned long long)o.dropped, RUNS_SHARE);
	assert_int_equal(o.other, 0);
}

static void test_twenty_percent(void **state)
{
	set_loss(XDPDNS_LINKLOSS_PPM_MAX / 5, 0);
	expect_share(fixture("UDP to 53, IPv4"));
	expect_share(fixture("ARP"));
	set_loss(XDPDNS_LINKLOSS_PPM_MAX / 5, 53);
	expect_share(fixture("UDP to 53, IPv6"));
	expect_all(fixture("UDP 40000 to 443"), XDP_PASS, 0, 0, RUNS_EXACT); /* never */
}

static int setup(void **state)
{
	skel = linkloss__open_and_load();
	if (!skel) {
		fprintf(stderr, "can't load the linkloss program: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	linkloss__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_drops_nothing),
		cmocka_unit_test(test_hundred_drops_everything),
		cmocka_unit_test(test_port_filter),
		cmocka_unit_test(test_twenty_percent),
	};

	return cmocka_run_group_tests_name("linkloss", tests, setup, teardown);
}
