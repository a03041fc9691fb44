// SPDX-License-Identifier: GPL-2.0
/* The kernel/user ABI: sizes and offsets both sides rely on, and the counter names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "bpf_maps.h"
#include "kernel_check.h"
#include "xdpdns_kern_user.h"

/* Padding is explicit: a change of layout must show up here, not as a silent mismatch. */
_Static_assert(sizeof(struct xdpdns_cache_key) == 16, "cache key");
_Static_assert(sizeof(struct xdpdns_cache_entry) == XDPDNS_ENTRY_HDR_LEN, "entry header");
_Static_assert(offsetof(struct xdpdns_cache_entry, data) == XDPDNS_ENTRY_HDR_LEN, "entry data");
_Static_assert(offsetof(struct xdpdns_cache_entry, ttl_off) % 2 == 0, "ttl_off alignment");
_Static_assert(sizeof(struct xdpdns_config) == 40, "config");
_Static_assert(offsetof(struct xdpdns_config, ratelimit_cost_ns) == 24, "config: appended");
_Static_assert(sizeof(struct xdpdns_ratelimit_key) == 16, "ratelimit key");
_Static_assert(sizeof(struct xdpdns_ratelimit_bucket) == 16, "ratelimit bucket");
_Static_assert(sizeof(struct xdpdns_health) == 8, "health");
_Static_assert(sizeof(struct xdpdns_service) == 24, "service");
_Static_assert(sizeof(struct xdpdns_iface_hint) == 8, "iface hint");
_Static_assert(sizeof(struct xdpdns_hot) == 8 + 8 * XDPDNS_IFACE_HINTS, "hot");
_Static_assert((XDPDNS_IFACE_HINTS & (XDPDNS_IFACE_HINTS - 1)) == 0,
	       "the program masks ifindexes with XDPDNS_IFACE_HINTS - 1");
_Static_assert((XDPDNS_QUERY_MAX_LEN & (XDPDNS_QUERY_MAX_LEN - 1)) == 0, "query mask");
/* every class holds at least the longest name, read in 8-byte words */
_Static_assert(XDPDNS_CLASS_DATA_LEN(XDPDNS_CLASS_S_VALUE_LEN) >= 64 + 16, "class S");
_Static_assert(XDPDNS_CLASS_DATA_LEN(XDPDNS_CLASS_L_VALUE_LEN) >= 256 + 1400, "class L");

static void test_reason_names_are_unique(void **state)
{
	unsigned int i, j;

	for (i = 0; i < XDPDNS_REASON_COUNT; i++) {
		assert_non_null(xdpdns_reason_name(i));
		for (j = 0; j < i; j++)
			assert_string_not_equal(xdpdns_reason_name(i), xdpdns_reason_name(j));
	}
	assert_string_equal(xdpdns_reason_name(XDPDNS_HIT_FRESH), "hit_fresh");
	assert_string_equal(xdpdns_reason_name(XDPDNS_REASON_COUNT), "unknown");
}

static void test_reason_actions(void **state)
{
	assert_int_equal(xdpdns_reason_action(XDPDNS_HIT_FRESH), XDP_TX);
	assert_int_equal(xdpdns_reason_action(XDPDNS_HIT_STALE), XDP_TX);
	assert_int_equal(xdpdns_reason_action(XDPDNS_PASS_MISS), XDP_PASS);
	assert_int_equal(xdpdns_reason_action(XDPDNS_DROP_RESPONSE), XDP_DROP);
}

static void test_name_hash_covers_label_lengths(void **state)
{
	static const __u8 a[] = "\1a\2bc", b[] = "\2ab\1c";

	assert_true(xdpdns_name_hash(1, a, sizeof(a)) != xdpdns_name_hash(1, b, sizeof(b)));
	assert_true(xdpdns_name_hash(1, a, sizeof(a)) != xdpdns_name_hash(2, a, sizeof(a)));
}

/* The machine the tests run on has everything (they load the program next). */
static void test_kernel_has_what_we_need(void **state)
{
	char why[160] = "";

	if (xdpdns_kernel_check(why, sizeof(why)))
		fail_msg("%s", why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_names_are_unique),
		cmocka_unit_test(test_reason_actions),
		cmocka_unit_test(test_name_hash_covers_label_lengths),
		cmocka_unit_test(test_kernel_has_what_we_need),
	};

	return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
