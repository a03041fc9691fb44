// SPDX-License-Identifier: GPL-2.0
/* The resolution table and its waiters, in process (tests/resolve.h: the server with a fake
 * upstream and a settable clock): a miss resolved once and then cached; identical questions
 * coalesced on one upstream query, up to the cap of SERVER_WAITERS_MAX waiters; the RFC 8767
 * client response timer (the stale answer after stale-answer-timeout while the resolution goes
 * on); failures answered stale or SERVFAIL, and a SERVFAIL remembered (RFC 9520); cache-only's
 * budget for client misses; the half-open trickle of misses while every upstream is down. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "resolve.h"

#define NAME "www.example.com."
#define A LDNS_RR_TYPE_A

static struct resolve r;

static ldns_pkt *www(const char *addr, uint32_t ttl)
{
	char rr[100];

	snprintf(rr, sizeof(rr), NAME " %u IN A %s", ttl, addr);
	return positive(NAME, A, rr);
}

/* NAME resolved and cached with ttl (an answer of 192.0.2.10). */
static void cache_www(uint32_t ttl)
{
	struct client c = { 0 };

	ask(&r, &c, NAME, A);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", ttl));
	assert_answered(&c, LDNS_RCODE_NOERROR);
	client_free(&c);
}

static void test_miss_resolved_once_then_cached(void **state)
{
	struct client c = { 0 };

	resolve_init(&r, 2);
	resolve_start(&r);
	ask(&r, &c, NAME, A);
	assert_int_equal(c.replies, 0);
	assert_int_equal(fake_upstream_count(), 1);
	assert_int_equal(r.s.stats.misses, 1);
	resolve_wait(&r, 30);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 300));
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.10");
	assert_int_equal(answer_ttl(&c), 300);
	assert_int_equal(c.at_ms, FAKE_CLOCK_START_MS + 30);
	assert_int_equal(r.s.stats.resolved, 1);
	assert_int_equal(r.s.stats.kernel_fills, 1);

	/* 10 s later: from the daemon's cache at once, aged; nothing asked upstream */
	resolve_wait(&r, 10000);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c), 290);
	assert_int_equal(r.s.stats.from_dcache, 1);
	assert_int_equal(fake_upstream_count(), 0);
	client_free(&c);
}

/* Five clients, one upstream query; each gets the answer with its own ID. */
static void test_coalescing(void **state)
{
	struct client c[5] = { 0 };
	int i;

	resolve_init(&r, 2);
	resolve_start(&r);
	for (i = 0; i < 5; i++) {
		ask(&r, &c[i], NAME, A);
		resolve_wait(&r, 10);
	}
	assert_int_equal(fake_upstream_count(), 1);
	assert_int_equal(r.s.stats.coalesced, 4);
	assert_int_equal(r.s.res.n_pending, 1);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 300));
	for (i = 0; i < 5; i++) {
		assert_answered(&c[i], LDNS_RCODE_NOERROR);
		assert_string_equal(answer_rdata(&c[i]), "192.0.2.10");
		client_free(&c[i]);
	}
	assert_int_equal(r.s.res.n_pending, 0);
}

/* SERVER_WAITERS_MAX wait on one resolution; the next is answered at once, SERVFAIL when
 * nothing is cached, stale when something is. */
static void test_coalescing_cap(void **state)
{
	static struct client c[SERVER_WAITERS_MAX + 2];
	int i;

	resolve_init(&r, 2);
	resolve_start(&r);
	for (i = 0; i < SERVER_WAITERS_MAX; i++)
		ask(&r, &c[i], NAME, A);
	assert_int_equal(fake_upstream_count(), 1);
	for (i = 0; i < SERVER_WAITERS_MAX; i++)
		assert_int_equal(c[i].replies, 0);
	ask(&r, &c[SERVER_WAITERS_MAX], NAME, A);
	assert_answered(&c[SERVER_WAITERS_MAX], LDNS_RCODE_SERVFAIL);
	assert_int_equal(r.s.stats.waiters_over_cap, 1);
	assert_int_equal(r.s.stats.coalesced, SERVER_WAITERS_MAX - 1);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 10));
	for (i = 0; i < SERVER_WAITERS_MAX; i++)
		assert_answered(&c[i], LDNS_RCODE_NOERROR);

	/* expired: the one over the cap gets the stale answer */
	resolve_wait(&r, 11000);
	for (i = 0; i < SERVER_WAITERS_MAX; i++)
		ask(&r, &c[i], NAME, A);
	ask(&r, &c[SERVER_WAITERS_MAX + 1], NAME, A);
	assert_answered(&c[SERVER_WAITERS_MAX + 1], LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c[SERVER_WAITERS_MAX + 1]), r.o.stale_ttl_sec);
	assert_int_equal(r.s.stats.waiters_over_cap, 2);
	assert_int_equal(r.s.stats.stale_answers, 1);
	for (i = 0; i < SERVER_WAITERS_MAX + 2; i++)
		client_free(&c[i]);
}

/* RFC 8767 5: an expired name whose resolution is slow gets its stale answer after
 * stale-answer-timeout, and the resolution goes on to refresh the cache. */
static void test_client_response_timer(void **state)
{
	struct client c = { 0 }, d = { 0 };
	uint64_t asked;

	resolve_init(&r, 2);
	resolve_start(&r);
	cache_www(10);
	resolve_wait(&r, 11000);
	ask(&r, &c, NAME, A);
	asked = ev_now_ms();
	assert_int_equal(fake_upstream_count(), 1);
	resolve_wait(&r, r.o.stale_answer_ms - 1);
	assert_int_equal(c.replies, 0);
	resolve_wait(&r, 1);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_int_equal(c.at_ms - asked, r.o.stale_answer_ms);
	assert_string_equal(answer_rdata(&c), "192.0.2.10");
	assert_int_equal(answer_ttl(&c), r.o.stale_ttl_sec);
	assert_int_equal(r.s.stats.stale_answers, 1);

	/* still resolving; its answer is cached, and c gets nothing more */
	assert_int_equal(fake_upstream_count(), 1);
	resolve_wait(&r, 500);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.20", 300));
	assert_int_equal(c.replies, 1);
	ask(&r, &d, NAME, A);
	assert_answered(&d, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&d), "192.0.2.20");
	assert_int_equal(r.s.stats.from_dcache, 1);
	client_free(&c);
	client_free(&d);
}

/* An answer in time: fresh, and no stale answer after it. */
static void test_answer_before_the_timer(void **state)
{
	struct client c = { 0 };

	resolve_init(&r, 2);
	resolve_start(&r);
	cache_www(10);
	resolve_wait(&r, 11000);
	ask(&r, &c, NAME, A);
	resolve_wait(&r, r.o.stale_answer_ms / 2);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.20", 300));
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.20");
	resolve_wait(&r, r.o.stale_answer_ms * 2);
	assert_int_equal(c.replies, 1);
	assert_int_equal(r.s.stats.stale_answers, 0);
	client_free(&c);
}

/* A resolution that fails: SERVFAIL, remembered servfail-ttl seconds (RFC 9520) without
 * asking upstream again; with an expired answer cached, that answer stale instead (RFC 8767:
 * stale beats SERVFAIL). Left unanswered, the query times out: the same. */
static void test_failures(void **state)
{
	struct client c = { 0 };

	resolve_init(&r, 2);
	resolve_start(&r);
	ask(&r, &c, NAME, A);
	fake_upstream_fail(upstream_query(NAME, A), -EIO);
	assert_answered(&c, LDNS_RCODE_SERVFAIL);
	assert_int_equal(r.s.stats.servfail, 1);
	resolve_wait(&r, r.o.servfail_ttl_sec * 1000 - 1);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_SERVFAIL);
	assert_int_equal(fake_upstream_count(), 0);
	assert_int_equal(r.s.stats.servfail, 2);
	resolve_wait(&r, 1);
	ask(&r, &c, NAME, A);
	assert_int_equal(c.replies, 0);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 10));
	assert_answered(&c, LDNS_RCODE_NOERROR);

	/* expired, and the upstreams fail: stale */
	resolve_wait(&r, 11000);
	ask(&r, &c, NAME, A);
	resolve_wait(&r, 100);
	fake_upstream_fail(upstream_query(NAME, A), -EIO);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c), r.o.stale_ttl_sec);
	assert_int_equal(r.s.stats.stale_answers, 1);

	/* a timeout, every attempt: the same, once the stale answer is not given already */
	r.o.stale_answer_ms = 60000;
	ask(&r, &c, NAME, A);
	resolve_wait(&r, (uint64_t)r.o.timeout_ms * r.o.attempts * 2 - 1);
	assert_int_equal(c.replies, 0);
	resolve_wait(&r, 1);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c), r.o.stale_ttl_sec);
	assert_int_equal(r.s.stats.stale_answers, 2);
	client_free(&c);
}

/* The client response timer answers every client waiting, and counts every one (it counted one
 * per timer, whatever the number of clients answered stale). */
static void test_client_response_timer_counts_each_client(void **state)
{
	struct client c[3] = { 0 };
	int i;

	resolve_init(&r, 2);
	resolve_start(&r);
	cache_www(10);
	resolve_wait(&r, 11000);
	for (i = 0; i < 3; i++)
		ask(&r, &c[i], NAME, A);
	assert_int_equal(fake_upstream_count(), 1);
	resolve_wait(&r, r.o.stale_answer_ms);
	for (i = 0; i < 3; i++) {
		assert_answered(&c[i], LDNS_RCODE_NOERROR);
		assert_int_equal(answer_ttl(&c[i]), r.o.stale_ttl_sec);
	}
	assert_int_equal(r.s.stats.stale_answers, 3);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.20", 300));
	for (i = 0; i < 3; i++)
		client_free(&c[i]);
}

/* Every upstream marked down: misses get stale or SERVFAIL at once, but for a trickle
 * (SERVER_HALF_OPEN_QPS a second) that still goes upstream, so that a wrong verdict heals by
 * itself: a client with no stale answer waits for it, one with a stale answer gets that at once
 * while the trickle's query refreshes it in the background. */
static void test_half_open_trickle(void **state)
{
	struct client c[5] = { 0 };
	char name[40];
	int i;

	resolve_init(&r, 2);
	resolve_start(&r);
	fake_upstream_set_down(&r.s.upstreams, 0, true);
	fake_upstream_set_down(&r.s.upstreams, 1, true);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "n%d.example.com.", i);
		ask(&r, &c[i], name, A);
	}
	assert_int_equal(fake_upstream_count(), SERVER_HALF_OPEN_QPS);
	assert_int_equal(r.s.stats.half_open_queries, SERVER_HALF_OPEN_QPS);
	for (i = 0; i < 5; i++)
		if (i < SERVER_HALF_OPEN_QPS)
			assert_int_equal(c[i].replies, 0);
		else
			assert_answered(&c[i], LDNS_RCODE_SERVFAIL);
	/* the first upstream answers after all: the client gets it */
	fake_upstream_reply(upstream_query("n0.example.com.", A), 0,
			    positive("n0.example.com.", A, "n0.example.com. 60 IN A 192.0.2.30"));
	assert_answered(&c[0], LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c[0]), "192.0.2.30");
	/* a second later, the bucket lets one more through per half second */
	resolve_wait(&r, 500);
	ask(&r, &c[4], "n4.example.com.", A);
	assert_int_equal(c[4].replies, 0);
	assert_int_equal(r.s.stats.half_open_queries, SERVER_HALF_OPEN_QPS + 1);
	fake_upstream_fail(upstream_query("n1.example.com.", A), -ETIMEDOUT);
	fake_upstream_fail(upstream_query("n4.example.com.", A), -ETIMEDOUT);

	/* a stale answer: at once, and the trickle's query in the background refreshes it */
	fake_upstream_set_down(&r.s.upstreams, 0, false);
	cache_www(10);
	fake_upstream_set_down(&r.s.upstreams, 0, true);
	resolve_wait(&r, 11000);
	ask(&r, &c[0], NAME, A);
	assert_answered(&c[0], LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c[0]), r.o.stale_ttl_sec);
	assert_int_equal(r.s.stats.half_open_queries, SERVER_HALF_OPEN_QPS + 2);
	fake_upstream_reply(upstream_query(NAME, A), 1, www("192.0.2.20", 300));
	ask(&r, &c[0], NAME, A);
	assert_answered(&c[0], LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c[0]), "192.0.2.20");
	for (i = 0; i < 5; i++)
		client_free(&c[i]);
}

/* cache-only: client misses go upstream within cache-only-miss-qps (a bucket of a second's
 * worth); over it, stale if there is, else REFUSED, at once. */
static void test_cache_only_budget(void **state)
{
	struct client c[4] = { 0 };
	int i;

	resolve_init(&r, 2);
	r.o.cache_only = true;
	r.o.cache_only_miss_qps = 2;
	resolve_start(&r);
	cache_www(10); /* one token */
	resolve_wait(&r, 11000);
	ask(&r, &c[0], "a.example.com.", A);
	ask(&r, &c[1], "b.example.com.", A);
	assert_int_equal(fake_upstream_count(), 2);
	ask(&r, &c[2], "c.example.com.", A);
	assert_answered(&c[2], LDNS_RCODE_REFUSED);
	ask(&r, &c[3], NAME, A);
	assert_answered(&c[3], LDNS_RCODE_NOERROR);
	assert_int_equal(answer_ttl(&c[3]), r.o.stale_ttl_sec);
	assert_int_equal(fake_upstream_count(), 2);
	assert_int_equal(r.s.stats.cache_only_forwarded, 3);
	assert_int_equal(r.s.stats.cache_only_refused, 1);
	assert_int_equal(r.s.stats.cache_only_stale, 1);

	/* half a second: a token back */
	resolve_wait(&r, 500);
	ask(&r, &c[2], "c.example.com.", A);
	assert_int_equal(c[2].replies, 0);
	assert_int_equal(fake_upstream_count(), 3);
	assert_int_equal(r.s.stats.cache_only_forwarded, 4);
	for (i = 0; i < 4; i++)
		client_free(&c[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_miss_resolved_once_then_cached, resolve_teardown),
		cmocka_unit_test_teardown(test_coalescing, resolve_teardown),
		cmocka_unit_test_teardown(test_coalescing_cap, resolve_teardown),
		cmocka_unit_test_teardown(test_client_response_timer, resolve_teardown),
		cmocka_unit_test_teardown(test_answer_before_the_timer, resolve_teardown),
		cmocka_unit_test_teardown(test_failures, resolve_teardown),
		cmocka_unit_test_teardown(test_cache_only_budget, resolve_teardown),
		cmocka_unit_test_teardown(test_client_response_timer_counts_each_client,
					  resolve_teardown),
		cmocka_unit_test_teardown(test_half_open_trickle, resolve_teardown),
	};

	return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
