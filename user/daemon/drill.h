/* SPDX-License-Identifier: GPL-2.0 */
/* Fault drills on a running daemon (xdpdnsctl drill): faults injected where the daemon meets
 * its upstreams, so an operator can rehearse an outage on a live host without touching the
 * upstream servers or the network. Every drill ends by itself (DRILL_DEFAULT_SEC unless told),
 * so a forgotten one cannot leave a host broken. */
#ifndef XDPDNS_DRILL_H
#define XDPDNS_DRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#define DRILL_DEFAULT_SEC 60
#define DRILL_MAX_SEC     3600

enum drill_fault {
	DRILL_NONE,
	DRILL_STOP,     /* no query reaches the server: every attempt times out */
	DRILL_SLOW,     /* answers held back arg ms (longer than the timeout: late, ignored) */
	DRILL_SERVFAIL, /* every answer turned into SERVFAIL */
	DRILL_LOSS,     /* arg percent of queries and of answers lost, each way on its own */
	DRILL_FLAP,     /* stopped for arg seconds, answering for arg seconds, and so on */
	DRILL_NXDOMAIN, /* answers for name turned into NXDOMAIN, records dropped */
	DRILL_EMPTY,    /* answers for name turned into NOERROR with no records (the outage's) */
};

struct drill {
	enum drill_fault fault;
	uint32_t arg;        /* ms (slow), percent (loss), seconds (flap) */
	ldns_rdf *name;      /* nxdomain, empty: the name whose answers turn */
	uint64_t start_ms;   /* CLOCK_MONOTONIC */
	uint64_t until_ms;
	char label[80];      /* what it is on, for the log line at its end */
};

/* Parses "FAULT [ARG] [for SECONDS]" (the upstream part is the caller's) into a drill that
 * starts at now_ms. Returns 0, or -EINVAL with the reason in err. */
int drill_parse(const char *args, uint64_t now_ms, struct drill *d, char *err, size_t errlen);

/* Ends d (frees the name). */
void drill_clear(struct drill *d);

/* Is d in force at now_ms? An expired drill is cleared (and true is never returned again). */
bool drill_active(struct drill *d, uint64_t now_ms);

/* Should the query about to be sent be lost? */
bool drill_drops_query(struct drill *d, uint64_t now_ms);

/* What to do with an answer that came sent_ms after its query was sent: DRILL_DELIVER,
 * DRILL_DROP, or hold it *hold_ms longer (slow). */
enum drill_verdict { DRILL_DELIVER, DRILL_DROP, DRILL_HOLD };
enum drill_verdict drill_on_answer(struct drill *d, uint64_t now_ms, uint64_t sent_ms,
				   uint64_t *hold_ms);

/* Rewrites a matching answer as the drill says (servfail, nxdomain, empty); qname is the
 * question's. Returns whether it did. */
bool drill_rewrite(struct drill *d, uint64_t now_ms, const ldns_rdf *qname, ldns_pkt *p);

/* "servfail, 42 s left" and the like. */
void drill_describe(const struct drill *d, uint64_t now_ms, char *buf, size_t len);

#endif /* XDPDNS_DRILL_H */
