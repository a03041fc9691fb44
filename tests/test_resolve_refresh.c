// SPDX-License-Identifier: GPL-2.0
/* Refreshes the daemon starts itself, in process (tests/resolve.h): prefetch of a hot entry in
 * the last prefetch-percent of its TTL, and its backoff when it fails (1, 2, 4 s, jittered);
 * recovery after an outage of every upstream, the stale entries that were used refreshed
 * hottest first at recovery-rate, served stale until then, and the kernel told when it is
 * over. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <cmocka.h>
#include "log.h"
#include "resolve.h"

#define NAME "www.example.com."
#define A LDNS_RR_TYPE_A

static struct resolve r;

static ldns_pkt *a_record(const char *name, const char *addr, uint32_t ttl)
{
	char rr[300];

	snprintf(rr, sizeof(rr), "%s %u IN A %s", name, ttl, addr);
	return positive(name, A, rr);
}

/* name resolved (192.0.2.10, ttl) and then answered hits times from the daemon's cache. */
static void cache(const char *name, uint32_t ttl, int hits)
{
	struct client c = { 0 };
	int i;

	ask(&r, &c, name, A);
	fake_upstream_reply(upstream_query(name, A), 0, a_record(name, "192.0.2.10", ttl));
	assert_answered(&c, LDNS_RCODE_NOERROR);
	for (i = 0; i < hits; i++) {
		ask(&r, &c, name, A);
		assert_answered(&c, LDNS_RCODE_NOERROR);
	}
	client_free(&c);
}

/* A hot entry is resolved again once in the last prefetch-percent (10%) of its TTL, so it never
 * misses; a cold one is left to expire. */
static void test_prefetch(void **state)
{
	struct upstream_query *q;
	struct client c = { 0 };
	uint64_t stored;

	resolve_init(&r, 2);
	resolve_start(&r);
	stored = ev_now_ms();
	cache(NAME, 100, 1);
	cache("cold.example.com.", 100, 0);
	resolve_wait(&r, 89000);
	assert_int_equal(fake_upstream_count(), 0);
	q = wait_for_query(&r, NAME, A, 10, 2000);
	assert_non_null(q);
	assert_in_range(sent_ms(q) - stored, 90000, 90000 + PREFETCH_SCAN_MS);
	assert_int_equal(r.s.stats.prefetches, 1);
	fake_upstream_reply(q, 0, a_record(NAME, "192.0.2.20", 100));
	resolve_wait(&r, 11000); /* past the first answer's expiry */
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.20");
	assert_int_equal(r.s.stats.misses, 2); /* the two first questions only */
	assert_null(fake_upstream_find("cold.example.com.", A));
	assert_int_equal(r.s.stats.prefetches, 1);
	client_free(&c);
}

/* A prefetch that fails leaves the entry as it was, and the next one waits 1 s, then 2, then
 * 4 (each +-20%, then the next scan), so that a failing upstream is not asked in a loop. */
static void test_prefetch_backoff(void **state)
{
	struct upstream_query *q;
	struct client c = { 0 };
	uint64_t failed, backoff;

	resolve_init(&r, 2);
	resolve_start(&r);
	cache(NAME, 200, 1);
	q = wait_for_query(&r, NAME, A, 10, 181000);
	assert_non_null(q);
	for (backoff = 1000; backoff <= 4000; backoff *= 2) {
		fake_upstream_fail(q, -EIO);
		failed = ev_now_ms();
		ask(&r, &c, NAME, A); /* still fresh, still served */
		assert_answered(&c, LDNS_RCODE_NOERROR);
		assert_string_equal(answer_rdata(&c), "192.0.2.10");
		q = wait_for_query(&r, NAME, A, 10, 10000);
		assert_non_null(q);
		assert_in_range(sent_ms(q) - failed, backoff * 4 / 5,
				backoff * 6 / 5 + PREFETCH_SCAN_MS);
	}
	assert_int_equal(r.s.stats.prefetches, 4);
	assert_int_equal(r.s.stats.servfail, 0);
	fake_upstream_reply(q, 0, a_record(NAME, "192.0.2.20", 200));
	ask(&r, &c, NAME, A);
	assert_string_equal(answer_rdata(&c), "192.0.2.20");
	client_free(&c);
}

/* Prefetch looks at an entry only when its time comes: near the end of its TTL, and while it is
 * not hot, a few times more before it expires. Thousands of names cached for an hour cost its
 * scans nothing for the first 54 minutes (it used to walk every entry every scan: 8 ms a scan at
 * 100,000 names); a cold one in its window is looked at a few times, not at every scan. */
static void test_prefetch_looks_only_at_due(void **state)
{
	char name[64];
	uint64_t looked;
	int i;

	resolve_init(&r, 2);
	resolve_start(&r);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "n%d.example.com.", i);
		cache(name, 3600, i % 2);
	}
	looked = r.s.refresh.looked_at;
	resolve_wait(&r, 60000); /* 120 scans */
	assert_int_equal(r.s.refresh.looked_at - looked, 0);

	cache("cold.example.com.", 100, 0);
	looked = r.s.refresh.looked_at;
	resolve_wait(&r, 101000); /* its window: the last 10 s, 20 scans */
	assert_in_range(r.s.refresh.looked_at - looked, 1, 8);
	assert_int_equal(fake_upstream_count(), 0);
	assert_int_equal(r.s.stats.prefetches, 0);
}

/* Entries stored together come due together (a restart on a snapshot, a burst of misses): a
 * pass of the scan starts a few prefetches and looks at a few dozen entries, and the next comes
 * PREFETCH_PACE_MS later, not all of them in one turn of the loop. All at once, 500 prefetches
 * kept every client query waiting 28 ms behind them (found by tools/restore_tail_rig.sh: a
 * daemon restarted on a snapshot, p99.9 35 ms at 5,000 qps). */
static void test_prefetch_paced(void **state)
{
	const int n = 200; /* hot ones, and as many cold ones stored with them */
	uint64_t stored, waited, looked;
	char name[64];
	int i, started;

	resolve_init(&r, 2);
	resolve_start(&r);
	stored = ev_now_ms();
	for (i = 0; i < 2 * n; i++) {
		snprintf(name, sizeof(name), "n%d.example.com.", i);
		cache(name, 100, i < n);
	}
	resolve_wait(&r, 90000 - (ev_now_ms() - stored) - 1); /* their windows open at 90 s */
	looked = r.s.refresh.looked_at;
	for (waited = 0; r.s.refresh.looked_at == looked && waited < 2 * PREFETCH_SCAN_MS; waited++)
		resolve_wait(&r, 1);
	started = fake_upstream_count();
	assert_in_range(r.s.refresh.looked_at - looked, 1, PREFETCH_LOOKS_PER_PASS); /* one pass */
	assert_in_range(started, 0, PREFETCH_STARTS_PER_PASS);
	resolve_wait(&r, PREFETCH_PACE_MS); /* the next */
	assert_in_range(r.s.refresh.looked_at - looked, 2, 2 * PREFETCH_LOOKS_PER_PASS);
	assert_in_range(fake_upstream_count(), started, started + PREFETCH_STARTS_PER_PASS);
	/* every hot one well before they expire, no cold one */
	resolve_wait(&r, (2 * n / PREFETCH_STARTS_PER_PASS + 1) * PREFETCH_PACE_MS);
	assert_int_equal(fake_upstream_count(), n);
	assert_int_equal(r.s.stats.prefetches, n);
	assert_true(ev_now_ms() - stored < 100000);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%d.example.com.", i);
		fake_upstream_reply(upstream_query(name, A), 0, a_record(name, "192.0.2.20", 100));
	}
	assert_int_equal(r.s.stats.misses, 2 * n);
}

static uint32_t kernel_health(void)
{
	struct xdpdns_health h;
	uint32_t zero = 0;

	assert_int_equal(bpf_map_lookup_elem(r.h.maps.health, &zero, &h), 0);
	return h.flags;
}

/* After an outage of every upstream the expired entries that were used are refreshed hottest
 * first, recovery-rate a second (here 10: one every RECOVERY_TICK_MS, +-20%), stale until their
 * turn; entries nobody used wait for a question. Then the kernel's "recovering" flag goes. */
static void test_recovery_order(void **state)
{
	static const char *const hottest_first[] = { "hot.example.com.", "warm.example.com.",
						     "cool.example.com." };
	struct client c = { 0 };
	uint64_t last = 0;
	int i;

	resolve_init(&r, 2);
	r.o.recovery_rate = 10;
	r.o.prefetch_percent = 0; /* else the hot ones would be prefetched before they expire */
	resolve_start(&r);
	cache("cool.example.com.", 10, 1);
	cache("hot.example.com.", 10, 5);
	cache("unused.example.com.", 10, 0);
	cache("warm.example.com.", 10, 3);
	resolve_wait(&r, 11000);

	fake_upstream_set_down(&r.s.upstreams, 0, true);
	fake_upstream_set_down(&r.s.upstreams, 1, true);
	ask(&r, &c, "warm.example.com.", A); /* every upstream down: stale at once */
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c), r.o.stale_ttl_sec);
	/* and the half-open trickle asks in the background, which times out: still down */
	assert_int_equal(fake_upstream_count(), 1);
	fake_upstream_fail(upstream_query("warm.example.com.", A), -ETIMEDOUT);
	resolve_wait(&r, 5000);

	/* one is back: health tells the kernel to go on serving stale, and the server to recover */
	fake_upstream_set_down(&r.s.upstreams, 1, false);
	assert_int_equal(xdpdns_health_update(&r.h.maps, XDPDNS_HEALTH_RECOVERING, 0), 0);
	server_recovery_start(&r.s);
	assert_int_equal(r.s.refresh.recovery_n, 3);
	for (i = 0; i < 3; i++) {
		struct upstream_query *q = wait_for_query(&r, hottest_first[i], A, 10, 1000);

		assert_non_null(q);
		assert_int_equal(fake_upstream_count(), 1); /* one at a time, in that order */
		if (i)
			assert_in_range(sent_ms(q) - last, RECOVERY_TICK_MS * 4 / 5,
					RECOVERY_TICK_MS * 6 / 5);
		last = sent_ms(q);
		if (i == 0) { /* the others wait their turn, stale */
			ask(&r, &c, "cool.example.com.", A);
			assert_answered(&c, LDNS_RCODE_NOERROR);
			assert_int_equal(answer_ttl(&c), r.o.stale_ttl_sec);
			assert_true(kernel_health() & XDPDNS_HEALTH_RECOVERING);
		}
		fake_upstream_reply(q, 1, a_record(hottest_first[i], "192.0.2.20", 300));
	}
	assert_int_equal(r.s.stats.recovery_refreshes, 3);
	assert_false(kernel_health() & XDPDNS_HEALTH_RECOVERING);
	assert_null(r.s.refresh.recovery);
	resolve_wait(&r, 5000);
	assert_int_equal(fake_upstream_count(), 0); /* unused.example.com waits for a question */
	ask(&r, &c, "hot.example.com.", A);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.20");
	client_free(&c);
}

/* The daemon's log at info, into a file of the test's, from log_capture() to log_lines(). */
static char log_path[] = "/tmp/xdpdns-test-log-XXXXXX";
static int log_saved_fd = -1;

static void log_capture(void)
{
	int fd = mkstemp(log_path);

	assert_true(fd >= 0);
	log_saved_fd = dup(STDERR_FILENO);
	assert_true(log_saved_fd >= 0);
	xdpdns_log_init("test", XDPDNS_LOG_INFO);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Ends the capture: the lines logged since log_capture() that contain containing. */
static int log_lines(const char *containing)
{
	char line[512];
	int n = 0;
	FILE *f;

	fflush(stderr);
	dup2(log_saved_fd, STDERR_FILENO);
	close(log_saved_fd);
	xdpdns_log_init("test", XDPDNS_LOG_ERROR);
	f = fopen(log_path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, containing) != NULL;
	fclose(f);
	unlink(log_path);
	return n;
}

/* An upstream that flaps starts a recovery at each return: the log says so once, not once a
 * flap (as for the upstream's own down and up events). */
static void test_recovery_logged_once_while_flapping(void **state)
{
	int i;

	resolve_init(&r, 1);
	resolve_start(&r);
	log_capture();
	for (i = 0; i < 3; i++)
		server_recovery_start(&r.s);
	assert_int_equal(log_lines("an upstream is back"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_prefetch, resolve_teardown),
		cmocka_unit_test_teardown(test_prefetch_backoff, resolve_teardown),
		cmocka_unit_test_teardown(test_prefetch_looks_only_at_due, resolve_teardown),
		cmocka_unit_test_teardown(test_prefetch_paced, resolve_teardown),
		cmocka_unit_test_teardown(test_recovery_order, resolve_teardown),
		cmocka_unit_test_teardown(test_recovery_logged_once_while_flapping, resolve_teardown),
	};

	return cmocka_run_group_tests_name("resolve_refresh", tests, NULL, NULL);
}
