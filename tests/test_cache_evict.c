// SPDX-License-Identifier: GPL-2.0
/* A full cache map makes room (xdpdns_cache_put in user/lib/bpf_maps.c). The XDP program is loaded
 * with small classes S and M; entries are hit through it (BPF_PROG_TEST_RUN), so recency is
 * what the kernel wrote. Every put must succeed, entries hit lately must stay, and old entries
 * never hit must go first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>
#include "harness.h"
#include "xdpdns.skel.h"

/* Class S smaller than one eviction look (every look sees the whole map), class M larger (looks
 * go round it from where the last one stopped). */
#define S_ENTRIES 64
#define M_ENTRIES 512
_Static_assert(S_ENTRIES <= XDPDNS_EVICT_SAMPLE && M_ENTRIES > 2 * XDPDNS_EVICT_SAMPLE, "sizes");

static struct harness H;

/* The answer for NAME-I.evict.example. of type A (class S) or TXT (class M). */
static ldns_pkt *response(const char *name, int i, ldns_rr_type type, char *owner, size_t len)
{
	char rr[300], txt[151] = { 0 };
	const char *an[] = { rr, NULL };

	memset(txt, 'x', sizeof(txt) - 1); /* a 150-byte string puts an answer in class M */
	snprintf(owner, len, "%s-%d.evict.example.", name, i);
	if (type == LDNS_RR_TYPE_A)
		snprintf(rr, sizeof(rr), "%s 300 IN A 192.0.2.%d", owner, i % 250 + 1);
	else
		snprintf(rr, sizeof(rr), "%s 300 IN TXT \"%s\"", owner, txt);
	return make_response(owner, type, LDNS_RCODE_NOERROR, an, NULL);
}

/* Stores the answer as if it had arrived age seconds ago. */
static int put(const char *name, int i, ldns_rr_type type, uint32_t age)
{
	char owner[80];
	ldns_pkt *p = response(name, i, type, owner, sizeof(owner));
	int err = harness_store(&H, p, 0, age, 300);

	ldns_pkt_free(p);
	return err;
}

static bool present(const char *name, int i, ldns_rr_type type)
{
	struct xdpdns_entry_meta meta = { .hash_seed = H.cfg.hash_seed, .ttl_sec = 300 };
	uint8_t value[XDPDNS_CLASS_L_VALUE_LEN] __attribute__((aligned(8)));
	struct xdpdns_entry_buf b;
	char owner[80];
	ldns_pkt *p = response(name, i, type, owner, sizeof(owner));
	int err = xdpdns_entry_build(p, &meta, &b);

	ldns_pkt_free(p);
	assert_int_equal(err, 0);
	return bpf_map_lookup_elem(H.maps.cache[b.cls], &b.key, value) == 0;
}

/* A query answered by the XDP program: the entry's last hit is now. */
static void hit(const char *name, int i, ldns_rr_type type)
{
	struct frame_spec spec = { 0 };
	struct query_opts o = { .id = 7 };
	uint8_t dns[512], in[FRAME_MAX_LEN], out[FRAME_MAX_LEN];
	size_t dns_len, in_len, out_len;
	char owner[80];

	snprintf(owner, sizeof(owner), "%s-%d.evict.example.", name, i);
	dns_len = make_query(dns, owner, type, &o);
	assert_true(dns_len > 0);
	in_len = frame_build(in, &spec, dns, dns_len);
	assert_int_equal(harness_run(&H, in, in_len, out, &out_len), XDP_TX);
}

static int count_present(const char *name, int n, ldns_rr_type type)
{
	int i, found = 0;

	for (i = 0; i < n; i++)
		found += present(name, i, type);
	return found;
}

/* Class S, whole map in one look: the map fills with 8 hot entries stored 100 s ago and hit
 * now, and 56 cold ones stored 10 s ago and never hit; 56 new ones then all fit, in place of
 * exactly the cold ones (by stored time alone the hot ones would be the oldest). */
static void test_full_map_keeps_what_was_hit(void **state)
{
	const int hot = 8, cold = S_ENTRIES - hot;
	struct xdpdns_cache_key extra = { .name_hash = 1, .qtype = 1, .name_len = 1 };
	uint8_t value[XDPDNS_CLASS_S_VALUE_LEN] = { 0 };
	uint64_t evicted0 = H.maps.evicted;
	int i;

	for (i = 0; i < hot; i++)
		assert_int_equal(put("hot", i, LDNS_RR_TYPE_A, 100), 0);
	for (i = 0; i < cold; i++)
		assert_int_equal(put("cold", i, LDNS_RR_TYPE_A, 10), 0);
	for (i = 0; i < hot; i++)
		hit("hot", i, LDNS_RR_TYPE_A);
	/* full: the kernel refuses a new key */
	assert_int_not_equal(bpf_map_update_elem(H.maps.cache[XDPDNS_CLASS_S], &extra, value,
						 BPF_NOEXIST), 0);
	assert_int_equal(errno, E2BIG);

	for (i = 0; i < cold; i++)
		assert_int_equal(put("new", i, LDNS_RR_TYPE_A, 0), 0);
	assert_int_equal(count_present("hot", hot, LDNS_RR_TYPE_A), hot);
	assert_int_equal(count_present("new", cold, LDNS_RR_TYPE_A), cold);
	assert_int_equal(count_present("cold", cold, LDNS_RR_TYPE_A), 0);
	assert_int_equal(H.maps.evicted - evicted0, cold);

	/* a refresh of a stored key needs no room */
	assert_int_equal(put("hot", 0, LDNS_RR_TYPE_A, 0), 0);
	assert_int_equal(H.maps.evicted - evicted0, cold);
}

/* Class M, four looks to go round: 32 hot and 480 cold entries, then 480 new ones. Every put
 * succeeds and every hot entry stays; nearly all that go are cold (a look evicts a new entry
 * only when it holds fewer than a batch of cold ones). */
static void test_looks_go_round_a_larger_map(void **state)
{
	const int hot = 32, cold = M_ENTRIES - hot;
	uint64_t evicted0 = H.maps.evicted;
	int i, cold_left;

	for (i = 0; i < hot; i++)
		assert_int_equal(put("hot", i, LDNS_RR_TYPE_TXT, 100), 0);
	for (i = 0; i < cold; i++)
		assert_int_equal(put("cold", i, LDNS_RR_TYPE_TXT, 10), 0);
	for (i = 0; i < hot; i++)
		hit("hot", i, LDNS_RR_TYPE_TXT);

	for (i = 0; i < cold; i++)
		assert_int_equal(put("new", i, LDNS_RR_TYPE_TXT, 0), 0);
	assert_int_equal(count_present("hot", hot, LDNS_RR_TYPE_TXT), hot);
	assert_int_equal(H.maps.evicted - evicted0, cold);
	cold_left = count_present("cold", cold, LDNS_RR_TYPE_TXT);
	print_message("cold entries left: %d of %d\n", cold_left, cold);
	assert_true(cold_left <= cold / 10);
}

static int setup(void **state)
{
	struct xdpdns *skel = xdpdns__open();
	int err;

	if (!skel)
		return -errno;
	err = bpf_map__set_max_entries(skel->maps.xdpdns_cache_s, S_ENTRIES);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.xdpdns_cache_m, M_ENTRIES);
	if (!err)
		err = xdpdns__load(skel);
	if (!err)
		err = harness_attach(&H, skel->obj, bpf_program__fd(skel->progs.xdpdns_xdp_serve));
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
		cmocka_unit_test(test_full_map_keeps_what_was_hit),
		cmocka_unit_test(test_looks_go_round_a_larger_map),
	};

	return cmocka_run_group_tests_name("cache_evict", tests, setup, teardown);
}
