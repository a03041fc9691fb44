/* SPDX-License-Identifier: GPL-2.0 */
/* The in-process harness for the daemon's resolution (tests/test_resolve*.c): a server
 * (daemon/server.h) with the daemon's default options, the kernel's maps of the XDP program
 * loaded (not attached: harness.h), the settable clock (fake_clock.h) and the fake upstream
 * (fake_upstream.h) linked in place of the real ones; clients that ask through server_query(),
 * the path both listeners take, and keep what they are answered and when. Time moves only by
 * resolve_wait(), in milliseconds, with every timer due meanwhile run at its own time. */
#ifndef XDPDNS_RESOLVE_H
#define XDPDNS_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "fake_clock.h"
#include "fake_upstream.h"
#include "harness.h"
#include "server.h"

#define UPSTREAM1 "192.0.2.1"
#define UPSTREAM2 "192.0.2.2"

struct client {
	int replies;      /* answers it got (one, for one question) */
	uint16_t id;      /* of its query */
	ldns_pkt *answer; /* the last, parsed */
	uint64_t at_ms;   /* when it came, on the fake clock */
};

struct resolve {
	struct ev_loop loop;
	struct xdpdns_options o;
	struct harness h;
	struct server s;
	bool started;
};

/* The daemon's default options with n_upstreams upstreams (UPSTREAM1, UPSTREAM2), for the test
 * to change before resolve_start(). The clock is set back to FAKE_CLOCK_START_MS. */
void resolve_init(struct resolve *r, int n_upstreams);

/* Loads the program (for its maps) and starts the server; fails the test on an error. */
void resolve_start(struct resolve *r);

/* Stops the server started last (resolutions in flight dropped) and unloads the program, if
 * the test has not: every test's cmocka teardown, so that one that fails leaves nothing in
 * flight for the next. Returns 0, or -1 if the fake upstream still has a query. */
int resolve_teardown(void **state);

/* Moves the clock on by ms. */
void resolve_wait(struct resolve *r, uint64_t ms);

/* c, emptied first, asks for name and type over UDP with EDNS: its answer comes to c now or
 * later. */
void ask(struct resolve *r, struct client *c, const char *name, ldns_rr_type type);

void client_free(struct client *c);

/* Upstream answers: a record "NAME TTL IN TYPE RDATA" for name and type; a negative answer
 * (rcode NXDOMAIN or NOERROR) with example.com's SOA, TTL and MINIMUM soa_ttl. */
ldns_pkt *positive(const char *name, ldns_rr_type type, const char *rr);
ldns_pkt *negative(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode, uint32_t soa_ttl);

/* c got exactly one answer, to its ID, with rcode (a failure names the test's line). */
#define assert_answered(c, rcode) assert_answered_at(c, rcode, __FILE__, __LINE__)
void assert_answered_at(const struct client *c, ldns_pkt_rcode rcode, const char *file,
			int line);

/* The rdata of c's first answer record, as text ("192.0.2.10"), and its TTL; the TTL of the
 * SOA in the authority section of a negative answer. */
const char *answer_rdata(const struct client *c);
uint32_t answer_ttl(const struct client *c);
uint32_t soa_ttl(const struct client *c);

/* The fake upstream's query for name and type, which must be in flight. */
struct upstream_query *upstream_query(const char *name, ldns_rr_type type);

/* Moves the clock on step_ms at a time until a query for name and type is in flight, for at
 * most max_ms; returns it, or NULL. sent_ms() says when it was started. */
struct upstream_query *wait_for_query(struct resolve *r, const char *name, ldns_rr_type type,
				      uint64_t step_ms, uint64_t max_ms);

static inline uint64_t sent_ms(const struct upstream_query *q)
{
	return q->sent_ns / 1000000;
}

#endif /* XDPDNS_RESOLVE_H */
