// SPDX-License-Identifier: GPL-2.0
/* The answer policy for names that turn negative, in process (tests/resolve.h): the
 * last-known-good guard serves the last good answer until a second upstream confirms the
 * negative, or the guard window ends, or the name is positive again; re-checks go to an
 * upstream that has not answered negative yet, 1 s after the guard engaged, then backing off;
 * and an accepted negative for a name positive within the hour is cached for
 * negative-recheck only (healing). */
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

/* NAME cached (192.0.2.10, TTL 10) and expired; a client asks and upstream 0 answers NXDOMAIN:
 * the guard engages. Returns when it did. */
static uint64_t turn_negative(void)
{
	struct client c = { 0 };
	uint64_t when;

	ask(&r, &c, NAME, A);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 10));
	assert_answered(&c, LDNS_RCODE_NOERROR);
	resolve_wait(&r, 11000);
	ask(&r, &c, NAME, A);
	when = ev_now_ms();
	fake_upstream_reply(upstream_query(NAME, A), 0, negative(NAME, A, LDNS_RCODE_NXDOMAIN, 60));
	/* the last good answer, stale */
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.10");
	assert_int_equal(answer_ttl(&c), r.o.stale_ttl_sec);
	assert_int_equal(r.s.stats.guard_names, 1);
	assert_int_equal(r.s.stats.guard_answers, 1);
	assert_int_equal(r.s.guard.count, 1);
	client_free(&c);
	return when;
}

/* The first re-check, GUARD_RECHECK_FIRST_MS after, asks the other upstream; its NXDOMAIN
 * confirms: NXDOMAIN from then on, cached briefly (the name was positive: healing). */
static void test_guard_confirmed_by_another_upstream(void **state)
{
	struct upstream_query *q;
	struct client c = { 0 };
	uint64_t engaged;

	resolve_init(&r, 2);
	resolve_start(&r);
	engaged = turn_negative();
	/* meanwhile the guarded answer is cached */
	resolve_wait(&r, 500);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.10");
	assert_int_equal(fake_upstream_count(), 0);

	q = wait_for_query(&r, NAME, A, 10, 2000);
	assert_non_null(q);
	assert_in_range(sent_ms(q) - engaged, GUARD_RECHECK_FIRST_MS,
			GUARD_RECHECK_FIRST_MS + UPKEEP_MS);
	assert_int_equal(q->only, 1);
	fake_upstream_reply(q, 1, negative(NAME, A, LDNS_RCODE_NXDOMAIN, 60));
	assert_int_equal(r.s.stats.guard_confirmed, 1);
	assert_int_equal(r.s.stats.negative_healing, 1);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NXDOMAIN);
	assert_int_equal(soa_ttl(&c), r.o.negative_recheck_ms / 1000);
	assert_int_equal(fake_upstream_count(), 0);
	client_free(&c);
}

/* With one upstream nobody can confirm: re-checks keep finding NXDOMAIN, and the first one
 * past the guard window accepts it. They come GUARD_RECHECK_FIRST_MS after the guard engaged,
 * then after that again, doubling (+-20%), each on the upkeep tick: at about 1, 2, 4, 8, 16 s. */
static void test_guard_window_ends(void **state)
{
	struct client c = { 0 };
	uint64_t engaged, last;
	int rechecks = 0;

	resolve_init(&r, 1);
	r.o.guard_window_ms = 10000;
	resolve_start(&r);
	engaged = last = turn_negative();
	while (!r.s.stats.guard_expired) {
		struct upstream_query *q = wait_for_query(&r, NAME, A, 10, 20000);
		uint64_t gap = GUARD_RECHECK_FIRST_MS << (rechecks ? rechecks - 1 : 0);

		assert_non_null(q);
		if (rechecks++ == 0)
			assert_in_range(sent_ms(q) - last, gap, gap + UPKEEP_MS);
		else
			assert_in_range(sent_ms(q) - last, gap * 4 / 5, gap * 6 / 5 + UPKEEP_MS);
		last = sent_ms(q);
		fake_upstream_reply(q, 0, negative(NAME, A, LDNS_RCODE_NXDOMAIN, 60));
		if (!r.s.stats.guard_expired) { /* still guarded: the last good answer */
			assert_true(ev_now_ms() - engaged < r.o.guard_window_ms);
			ask(&r, &c, NAME, A);
			assert_answered(&c, LDNS_RCODE_NOERROR);
			assert_string_equal(answer_rdata(&c), "192.0.2.10");
		}
	}
	assert_true(ev_now_ms() - engaged >= r.o.guard_window_ms);
	assert_in_range(rechecks, 4, 5); /* the fourth may be past the window already */
	assert_int_equal(r.s.stats.guard_confirmed, 0);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NXDOMAIN);
	client_free(&c);
}

/* A re-check that finds the name positive again lifts the guard. */
static void test_guard_lifted_when_positive_again(void **state)
{
	struct upstream_query *q;
	struct client c = { 0 };

	resolve_init(&r, 2);
	resolve_start(&r);
	turn_negative();
	q = wait_for_query(&r, NAME, A, 10, 2000);
	assert_non_null(q);
	fake_upstream_reply(q, 1, www("192.0.2.30", 300));
	assert_int_equal(r.s.stats.guard_recovered, 1);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NOERROR);
	assert_string_equal(answer_rdata(&c), "192.0.2.30");
	/* no more re-checks */
	resolve_wait(&r, 10000);
	assert_int_equal(fake_upstream_count(), 0);
	client_free(&c);
}

/* Guard off: a negative for a name positive lately is cached for negative-recheck, so the
 * fix of a record gone empty by mistake is seen within seconds; a name never positive keeps
 * its negative TTL (the SOA's, at most max-negative-ttl). */
static void test_negative_healing(void **state)
{
	struct client c = { 0 };
	uint32_t recheck_ms;

	resolve_init(&r, 2);
	r.o.guard_window_ms = 0;
	resolve_start(&r);
	recheck_ms = r.o.negative_recheck_ms;
	ask(&r, &c, NAME, A);
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 10));
	resolve_wait(&r, 11000);
	ask(&r, &c, NAME, A);
	fake_upstream_reply(upstream_query(NAME, A), 0, negative(NAME, A, LDNS_RCODE_NXDOMAIN, 60));
	assert_answered(&c, LDNS_RCODE_NXDOMAIN);
	assert_int_equal(soa_ttl(&c), recheck_ms / 1000);
	assert_int_equal(r.s.stats.negative_healing, 1);
	assert_int_equal(r.s.stats.guard_names, 0);
	resolve_wait(&r, recheck_ms - 1);
	ask(&r, &c, NAME, A);
	assert_answered(&c, LDNS_RCODE_NXDOMAIN); /* cached */
	assert_int_equal(fake_upstream_count(), 0);
	resolve_wait(&r, 1);
	ask(&r, &c, NAME, A);
	assert_non_null(upstream_query(NAME, A)); /* asked again */
	fake_upstream_reply(upstream_query(NAME, A), 0, www("192.0.2.10", 300));
	assert_answered(&c, LDNS_RCODE_NOERROR);

	ask(&r, &c, "new.example.com.", A);
	fake_upstream_reply(upstream_query("new.example.com.", A), 0,
			    negative("new.example.com.", A, LDNS_RCODE_NXDOMAIN, 60));
	assert_answered(&c, LDNS_RCODE_NXDOMAIN);
	assert_int_equal(soa_ttl(&c), r.o.max_negative_ttl_sec);
	assert_int_equal(r.s.stats.negative_healing, 1);
	client_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_guard_confirmed_by_another_upstream,
					  resolve_teardown),
		cmocka_unit_test_teardown(test_guard_window_ends, resolve_teardown),
		cmocka_unit_test_teardown(test_guard_lifted_when_positive_again, resolve_teardown),
		cmocka_unit_test_teardown(test_negative_healing, resolve_teardown),
	};

	return cmocka_run_group_tests_name("resolve_guard", tests, NULL, NULL);
}
