/* SPDX-License-Identifier: GPL-2.0 */
/* Resolving through upstream resolvers: ordered failover, per-attempt timeouts, a retry over
 * TCP when an answer is truncated. What an attempt says about a server's health: any
 * well-formed response that answers the question is life, whatever its rcode; SERVFAIL and
 * REFUSED are about the name (a broken domain, a zone the server does not serve), so the
 * resolution moves on to the next server and never asks that one again for the name, and the
 * server is not counted as failing; timeouts, transport errors and unusable answers (a TCP
 * stream that is not DNS) are failures, and down_after of them in a row mark it down; at an
 * attempt's deadline, an answer already in its socket (the loop busy elsewhere) is read before
 * the attempt times out. Every attempt uses a fresh socket connected to the server
 * (a random source port, and only that server's datagrams get through) and a random ID from
 * getrandom(); an answer counts only with that ID and the question that was asked, and with
 * upstream-0x20 the question's case as we randomised it (draft-vixie-dnsext-dns0x20). */
#ifndef XDPDNS_UPSTREAM_H
#define XDPDNS_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "config.h"
#include "drill.h"
#include "event.h"
#include "metrics.h"
#include "tcp_frame.h"

enum upstream_force {
	UPSTREAM_AUTO,       /* health decides */
	UPSTREAM_FORCE_DOWN, /* a drill: treated as down whatever it answers */
	UPSTREAM_FORCE_UP,
};

struct upstream {
	struct xdpdns_sockaddr addr;
	enum upstream_force force;
	bool down;           /* fails reached down_after (or forced); up after any response */
	uint32_t fails;      /* consecutive failed attempts, probes included */
	uint64_t queries;    /* attempts sent */
	uint64_t answers;    /* usable answers */
	uint64_t name_failures; /* SERVFAIL or REFUSED: about the name, the server alive */
	uint64_t timeouts;
	uint64_t bogus;      /* datagrams ignored: wrong ID or question, unparsable */
	struct drill drill;  /* a fault injected by xdpdnsctl drill, if any */
	struct xdpdns_histogram latency; /* from an attempt sent to its matching response */
};

/* Answers ignored, all servers: off-path forgeries, or a broken server. Datagrams from another
 * address or port never get here: the kernel drops them at the connected socket. */
struct upstream_bogus {
	uint64_t unparsable; /* ldns could not parse it: garbage, truncated, bad counts */
	uint64_t wrong_id;
	uint64_t wrong_question; /* name, type, class, or (0x20) the name's case */
};

struct upstream_set {
	struct ev_loop *loop;
	struct upstream servers[XDPDNS_UPSTREAMS_MAX];
	int n;
	uint32_t timeout_ms;
	uint32_t attempts;      /* rounds over the servers */
	uint16_t edns_udp_size; /* offered in our queries */
	bool use_0x20;          /* upstream-0x20: random case in the query name */
	struct upstream_bogus bogus;
	uint32_t down_after;    /* consecutive failures that mark a server down */
	/* the budget: a token bucket of qps tokens a second, holding at most one second's worth;
	 * every attempt but a health probe takes one. qps 0: no limit. */
	uint32_t qps;
	struct ev_bucket budget;
	uint64_t over_budget;   /* attempts not sent for want of a token */
	struct upstream_query *inflight; /* queries started and not yet done or cancelled */
	/* called when a server goes down or comes back up (may be NULL) */
	void (*changed)(struct upstream_set *s, int server);
	void *owner;
};

struct upstream_query;

/* answer: the validated response, now the callee's to free; NULL with err: -ETIMEDOUT when
 * every attempt went unanswered, -EIO when every server asked answered SERVFAIL or REFUSED (or
 * the last attempt failed otherwise after one did), -EBUSY when the budget ran out before an
 * attempt. */
typedef void (*upstream_done_fn)(struct upstream_query *q, ldns_pkt *answer, int err);

/* One resolution. The caller owns it, fills the question and done, and keeps it alive until
 * done runs or upstream_query_cancel() returns. */
struct upstream_query {
	/* set by the caller */
	ldns_rdf *qname;
	ldns_rr_type qtype;
	bool do_bit, cd;
	int only;           /* >= 0: this server, one attempt (health probes); -1: failover */
	bool unbudgeted;    /* health probes: not counted against upstream-qps */
	upstream_done_fn done;
	/* private */
	struct upstream_set *set;
	uint32_t tries;
	int server;         /* index of the server the current attempt went to */
	uint32_t name_failed; /* servers that said SERVFAIL or REFUSED to it: not asked again */
	struct upstream_query *prev, *next; /* in the set's inflight list */
	uint16_t id;
	ldns_rdf *sent_qname; /* the name as sent: with upstream-0x20, in random case */
	bool tcp;
	int last_err;
	uint64_t sent_ns;   /* ev_now_ns() when the current attempt started */
	struct ev_io io;
	struct ev_timer timer;
	struct ev_timer hold; /* a slow drill: the answer held back until then */
	uint8_t *held;
	size_t held_len;
	uint8_t *wire;      /* the query being sent */
	size_t wire_len;
	uint8_t *out;       /* TCP: the query with its length before it (tcp_frame.h) */
	size_t out_len, out_sent;
	struct tcp_frame_in in; /* TCP: the answer */
};

void upstream_set_init(struct upstream_set *s, struct ev_loop *loop,
		       const struct xdpdns_options *o);

/* The options changed (SIGHUP): takes o's upstream settings and list, keeping the state and
 * counters of every server still listed (matched by address), and the budget's tokens. Queries
 * in flight go on: an attempt to a server still listed follows it to its new place, one to a
 * server no longer listed moves on to the next server now, its outcome counted against nobody.
 * The drills of servers no longer listed end. The set's hooks (changed, owner) stay. moved[i]
 * is where old server i went, -1 where it is gone, for the caller's own per-server state. */
void upstream_set_reconfigure(struct upstream_set *s, const struct xdpdns_options *o,
			      int moved[XDPDNS_UPSTREAMS_MAX]);

/* Bits of servers by their old index (one per server), as bits by their new index. */
static inline uint32_t upstream_bits_moved(uint32_t bits, const int moved[XDPDNS_UPSTREAMS_MAX])
{
	uint32_t out = 0;
	int i;

	for (i = 0; i < XDPDNS_UPSTREAMS_MAX; i++)
		if ((bits & (1U << i)) && moved[i] >= 0)
			out |= 1U << moved[i];
	return out;
}

/* Is every server down? */
bool upstream_all_down(const struct upstream_set *s);

/* Forces server i down or up (a drill), or gives it back to the health checks. */
void upstream_force(struct upstream_set *s, int i, enum upstream_force force);

/* Starts resolving q. Returns 0 (done will run) or -errno (it will not): -EBUSY when the
 * budget allows no query now. */
int upstream_query_start(struct upstream_set *s, struct upstream_query *q);

/* What an upstream's message is to query q (its ID, question and type). */
enum upstream_verdict {
	UPSTREAM_ANSWER,    /* the answer: *answer is the caller's to free */
	/* ignored: not a DNS message, or not the answer to q (RFC 5452 9.1) */
	UPSTREAM_UNPARSABLE,
	UPSTREAM_WRONG_ID,
	UPSTREAM_WRONG_QUESTION,
	UPSTREAM_TRUNCATED, /* TC over UDP: ask again over TCP */
	UPSTREAM_SERVFAIL,  /* SERVFAIL or REFUSED: ask the next server */
	UPSTREAM_REFUSED,
};

/* Parses wire, a message that came for q over UDP or TCP, and says what it is; *answer only with
 * UPSTREAM_ANSWER, else NULL. No sockets, no state changed: what an attempt does with each
 * message, and tests/fuzz/fuzz_upstream.c's entry point. */
enum upstream_verdict upstream_answer_check(const struct upstream_query *q, const uint8_t *wire,
					   size_t len, bool tcp, ldns_pkt **answer);

/* Stops q; done will not run. */
void upstream_query_cancel(struct upstream_query *q);

#endif /* XDPDNS_UPSTREAM_H */
