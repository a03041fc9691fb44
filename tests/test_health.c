// SPDX-License-Identifier: GPL-2.0
/* The health checker across reloads, in process (tests/resolve.h: the server with a fake upstream
 * and a settable clock, the kernel's maps loaded): probes keep their schedule through reloads
 * in a row, and the kernel's flag and the recovery hook carry over a reload during an outage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <bpf/bpf.h>
#include <cmocka.h>
#include "health.h"
#include "resolve.h"

static struct resolve r;
static struct health h;
static int back_ups; /* calls of the recovery hook */

static void on_back_up(void *ctx)
{
	(void)ctx;
	back_ups++;
}

static uint32_t kernel_health(void)
{
	struct xdpdns_health k;
	uint32_t zero = 0;

	assert_int_equal(bpf_map_lookup_elem(r.h.maps.health, &zero, &k), 0);
	return k.flags;
}

/* The probes in flight time out (the fake upstream's timeout), then stop. */
static void health_done(void)
{
	health_stop(&h);
	while (fake_upstream_count())
		fake_upstream_fail(fake_upstream_at(0), -ETIMEDOUT);
}

static void start(void)
{
	resolve_init(&r, 2);
	r.o.health_interval_ms = 500;
	resolve_start(&r);
	back_ups = 0;
	assert_int_equal(health_start(&h, &r.s.upstreams, &r.h.maps, &r.o, on_back_up, NULL), 0);
}

/* A reload every 300 ms (a config manager, a script) does not push the probes back: each one
 * keeps its due time (health-interval 500 ms, +-20%). Re-armed afresh at every reload, none
 * went out at all. */
static void test_reloads_in_a_row_keep_probing(void **state)
{
	unsigned int started;
	int i;

	start();
	started = fake_upstream_started();
	for (i = 0; i < 10; i++) {
		resolve_wait(&r, 300);
		server_options_changed(&r.s);
		assert_int_equal(health_reload(&h), 0);
		while (fake_upstream_count()) /* answered: a probe goes out again */
			fake_upstream_reply(fake_upstream_at(0), 0,
					    negative("example.com.", LDNS_RR_TYPE_NS,
						     LDNS_RCODE_NOERROR, 60));
	}
	/* 3 s: 5 or 6 probes of each of the two upstreams */
	assert_in_range(fake_upstream_started() - started, 8, 14);
	health_done();
}

/* Every upstream down: the kernel serves stale. Reloads keep it so, and when one comes back the
 * recovery hook runs once and the kernel is told it is recovering. */
static void test_reload_during_an_outage(void **state)
{
	int i;

	start();
	fake_upstream_set_down(&r.s.upstreams, 0, true);
	fake_upstream_set_down(&r.s.upstreams, 1, true);
	assert_int_equal(kernel_health(), XDPDNS_HEALTH_ALL_DOWN);
	for (i = 0; i < 3; i++) {
		resolve_wait(&r, 100);
		server_options_changed(&r.s);
		assert_int_equal(health_reload(&h), 0);
		assert_int_equal(kernel_health(), XDPDNS_HEALTH_ALL_DOWN);
	}
	assert_int_equal(back_ups, 0);
	fake_upstream_set_down(&r.s.upstreams, 1, false);
	assert_int_equal(back_ups, 1);
	assert_int_equal(kernel_health(), XDPDNS_HEALTH_RECOVERING);
	/* a reload during the recovery leaves the kernel recovering */
	server_options_changed(&r.s);
	assert_int_equal(health_reload(&h), 0);
	assert_int_equal(kernel_health(), XDPDNS_HEALTH_RECOVERING);
	assert_int_equal(back_ups, 1);
	health_done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_reloads_in_a_row_keep_probing, resolve_teardown),
		cmocka_unit_test_teardown(test_reload_during_an_outage, resolve_teardown),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
