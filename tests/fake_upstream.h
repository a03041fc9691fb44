/* SPDX-License-Identifier: GPL-2.0 */
/* The upstream client without a network: daemon/upstream.h's functions, linked in place of
 * user/daemon/upstream.c by the in-process tests of resolution (tests/resolve.h), as Unbound's
 * testcode/fake_event stands in for its network. A query the daemon starts is recorded; the
 * test answers it with a message, or fails it (SERVFAIL, REFUSED: -EIO), at the fake time it
 * chooses; one left alone times out, as every attempt would have, after timeout x attempts x
 * servers. Servers are up until the test says otherwise. A query's sent_ns is when it was
 * started. */
#ifndef XDPDNS_FAKE_UPSTREAM_H
#define XDPDNS_FAKE_UPSTREAM_H

#include <stdbool.h>
#include <ldns/ldns.h>
#include "upstream.h"

/* Queries in flight, in the order they were started. */
int fake_upstream_count(void);
struct upstream_query *fake_upstream_at(int i);

/* The query in flight for name (any case) and type; NULL if none. */
struct upstream_query *fake_upstream_find(const char *name, ldns_rr_type type);

/* Queries started since the program began (health probes would count too: none here). */
unsigned int fake_upstream_started(void);

/* Server `server` answers q with answer (the daemon's to free then); q ends. */
void fake_upstream_reply(struct upstream_query *q, int server, ldns_pkt *answer);

/* q fails with err (-EIO: every server said SERVFAIL or REFUSED; -ETIMEDOUT). */
void fake_upstream_fail(struct upstream_query *q, int err);

/* Server i goes down or comes up, as health checks would decide (the set's changed hook
 * runs). */
void fake_upstream_set_down(struct upstream_set *s, int i, bool down);

#endif /* XDPDNS_FAKE_UPSTREAM_H */
