// SPDX-License-Identifier: GPL-2.0
/* Resolving through upstream resolvers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include "log.h"
#include "upstream.h"
#include "wire.h"
#include "xdpdns_kern_user.h"

#define DNS_MAX_LEN 65535
/* datagrams read at an attempt's deadline before it times out: the answer, and a few that are
 * not it (forgeries from the server's address, its garbage) ahead of it */
#define UPSTREAM_LATE_READS_MAX 8

/* What reading an attempt's socket came to. */
enum attempt_read {
	READ_NOTHING, /* nothing to read (or, TCP, the query still being sent) */
	READ_SOME,    /* read something: the attempt still waits for its answer */
	READ_ENDED,   /* the attempt is over (answered, failed, retried): q may be gone */
};

/* The settings of o that are the set's, not its servers'. */
static void take_settings(struct upstream_set *s, const struct xdpdns_options *o)
{
	s->timeout_ms = o->timeout_ms;
	s->attempts = o->attempts;
	s->edns_udp_size = o->edns_udp_size;
	s->use_0x20 = o->upstream_0x20;
	s->down_after = o->health_failures;
	s->qps = o->upstream_qps;
}

void upstream_set_init(struct upstream_set *s, struct ev_loop *loop,
		       const struct xdpdns_options *o)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	for (i = 0; i < o->n_upstreams; i++)
		s->servers[i].addr = o->upstreams[i];
	s->n = o->n_upstreams;
	take_settings(s, o);
	ev_bucket_init(&s->budget, o->upstream_qps);
}

/* Takes a token from the budget, if there is one. */
static bool take_token(struct upstream_set *s)
{
	if (!s->qps || ev_bucket_take(&s->budget, s->qps))
		return true;
	s->over_budget++;
	return false;
}

bool upstream_all_down(const struct upstream_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!s->servers[i].down)
			return false;
	return true;
}

static void set_down(struct upstream_set *s, struct upstream *srv, bool down)
{
	bool was_down = srv->down;

	srv->down = srv->force == UPSTREAM_FORCE_DOWN ? true :
		    srv->force == UPSTREAM_FORCE_UP ? false : down;
	if (srv->down != was_down) {
		if (srv->down)
			xdpdns_log_event(XDPDNS_LOG_WARN, "upstream_down", "upstream", srv->addr.text,
					 "upstream %s is down: %u failures in a row%s", srv->addr.text,
					 srv->fails,
					 srv->force == UPSTREAM_FORCE_DOWN ? " (forced)" : "");
		else
			xdpdns_log_event(XDPDNS_LOG_INFO, "upstream_up", "upstream", srv->addr.text,
					 "upstream %s is up again", srv->addr.text);
		if (s->changed)
			s->changed(s, srv - s->servers);
	}
}

/* Counts an attempt's outcome toward the server's health: ok for any response to the question
 * (life), not ok for a timeout or an error. */
static void server_result(struct upstream_set *s, struct upstream *srv, bool ok)
{
	srv->fails = ok ? 0 : srv->fails + 1;
	set_down(s, srv, ok ? false : srv->down || srv->fails >= s->down_after);
}

void upstream_force(struct upstream_set *s, int i, enum upstream_force force)
{
	struct upstream *srv = &s->servers[i];

	srv->force = force;
	log_info("upstream %s: %s", srv->addr.text, force == UPSTREAM_FORCE_DOWN ? "forced down" :
		 force == UPSTREAM_FORCE_UP ? "forced up" : "health decides again");
	set_down(s, srv, srv->fails >= s->down_after);
}

static uint32_t max_tries(const struct upstream_query *q)
{
	return q->only >= 0 ? 1 : q->set->attempts * (uint32_t)q->set->n;
}

/* The server for attempt number q->tries: ordered failover over the servers that are up, or
 * while none is (the half-open trickle) over those not forced down by a drill, else over all;
 * leaving out those that said SERVFAIL or REFUSED to this question; -1 when that leaves none.
 * Decided when the attempt is sent (q->server): by the time its answer or timeout comes, other
 * queries may have changed which servers are up. */
static int pick_server(const struct upstream_query *q)
{
	const struct upstream_set *s = q->set;
	int i, n[3] = { 0 }, tier, k;

	if (q->only >= 0)
		return q->name_failed & (1U << q->only) ? -1 : q->only;
	/* tier 0: up; 1: down by health; 2: forced down */
	for (i = 0; i < s->n; i++)
		if (!(q->name_failed & (1U << i)))
			n[!s->servers[i].down ? 0 : s->servers[i].force == UPSTREAM_FORCE_DOWN ? 2 : 1]++;
	for (tier = 0; tier < 3 && !n[tier]; tier++)
		;
	if (tier == 3)
		return -1;
	k = q->tries % n[tier];
	for (i = 0; i < s->n; i++) {
		int t = !s->servers[i].down ? 0 : s->servers[i].force == UPSTREAM_FORCE_DOWN ? 2 : 1;

		if (!(q->name_failed & (1U << i)) && t == tier && k-- == 0)
			break;
	}
	return i;
}

/* The server the current attempt went to; NULL when a reload took it off the list. */
static struct upstream *server_of(struct upstream_query *q)
{
	return q->server >= 0 ? &q->set->servers[q->server] : NULL;
}

static void inflight_add(struct upstream_query *q)
{
	struct upstream_set *s = q->set;

	q->prev = NULL;
	q->next = s->inflight;
	if (q->next)
		q->next->prev = q;
	s->inflight = q;
}

static void inflight_del(struct upstream_query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else if (q->set->inflight == q)
		q->set->inflight = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

/* Closes the attempt in flight, if any. */
static void end_attempt(struct upstream_query *q)
{
	ev_timer_stop(q->set->loop, &q->timer);
	ev_timer_stop(q->set->loop, &q->hold);
	free(q->held);
	q->held = NULL;
	if (q->io.fd >= 0) {
		ev_io_del(q->set->loop, &q->io);
		close(q->io.fd);
		q->io.fd = -1;
	}
	free(q->wire);
	free(q->out);
	q->wire = q->out = NULL;
	q->out_len = q->out_sent = 0;
	tcp_frame_free(&q->in);
	ldns_rdf_deep_free(q->sent_qname);
	q->sent_qname = NULL;
}

static void finish(struct upstream_query *q, ldns_pkt *answer, int err)
{
	end_attempt(q);
	inflight_del(q);
	q->done(q, answer, err);
}

static int send_attempt(struct upstream_query *q);

/* Sends the next attempt, round after round, until one goes out (0) or there is none left to
 * send: returns the error to finish with. */
static int send_next(struct upstream_query *q)
{
	int err;

	while (++q->tries < max_tries(q)) {
		err = send_attempt(q);
		if (!err)
			return 0;
		if (err == -ENOENT || err == -EBUSY) /* no server left for the name; out of budget:
						       * not the server's fault */
			break;
		server_result(q->set, server_of(q), false);
	}
	return q->last_err;
}

/* This attempt failed (err): counted against its server when failed is true, then the next
 * server, round after round, then give up. */
static void next_attempt(struct upstream_query *q, int err, bool failed)
{
	struct upstream *srv = server_of(q);

	q->last_err = err;
	end_attempt(q);
	q->tcp = false;
	if (srv)
		server_result(q->set, srv, !failed); /* may change which servers are up */
	err = send_next(q);
	if (err)
		finish(q, NULL, err);
}

/* The answer to what we asked? (RFC 5452 9.1: ID and question) UPSTREAM_ANSWER, or why not. */
static enum upstream_verdict matches(const struct upstream_query *q, const ldns_pkt *p)
{
	const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	const ldns_rdf *name = rr ? ldns_rr_owner(rr) : NULL;

	if (!ldns_pkt_qr(p) || ldns_pkt_id(p) != q->id)
		return UPSTREAM_WRONG_ID;
	if (ldns_pkt_qdcount(p) != 1 || !rr || ldns_rr_get_type(rr) != q->qtype ||
	    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_dname_compare(name, q->qname) ||
	    /* 0x20: the case as sent, byte for byte */
	    (q->set && q->set->use_0x20 &&
	     memcmp(ldns_rdf_data(name), ldns_rdf_data(q->sent_qname), ldns_rdf_size(name))))
		return UPSTREAM_WRONG_QUESTION;
	return UPSTREAM_ANSWER;
}

enum upstream_verdict upstream_answer_check(const struct upstream_query *q, const uint8_t *wire,
					   size_t len, bool tcp, ldns_pkt **answer)
{
	enum upstream_verdict v;
	ldns_pkt *p = NULL;

	*answer = NULL;
	if (xdpdns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
		return UPSTREAM_UNPARSABLE;
	v = matches(q, p);
	if (v != UPSTREAM_ANSWER) {
		ldns_pkt_free(p);
		return v;
	}
	if (ldns_pkt_tc(p) && !tcp) {
		ldns_pkt_free(p);
		return UPSTREAM_TRUNCATED;
	}
	if (ldns_pkt_get_rcode(p) == LDNS_RCODE_SERVFAIL ||
	    ldns_pkt_get_rcode(p) == LDNS_RCODE_REFUSED) {
		bool servfail = ldns_pkt_get_rcode(p) == LDNS_RCODE_SERVFAIL;

		ldns_pkt_free(p);
		return servfail ? UPSTREAM_SERVFAIL : UPSTREAM_REFUSED;
	}
	*answer = p;
	return UPSTREAM_ANSWER;
}

static bool got_answer(struct upstream_query *q, const uint8_t *wire, size_t len);

/* A slow drill's answer, held back until now. */
static void on_hold(struct ev_loop *loop, struct ev_timer *t)
{
	struct upstream_query *q = container_of(t, struct upstream_query, hold);
	uint8_t *held = q->held;

	(void)loop;
	q->held = NULL;
	got_answer(q, held, q->held_len);
	free(held);
}

/* A drill on the server: the answer lost or held back (returns true), or delivered. */
static bool drilled_away(struct upstream_query *q, const uint8_t *wire, size_t len)
{
	struct upstream *srv = server_of(q);
	uint64_t hold_ms = 0;

	switch (drill_on_answer(&srv->drill, ev_now_ms(), q->sent_ns / 1000000, &hold_ms)) {
	case DRILL_DROP:
		return true;
	case DRILL_HOLD:
		if (q->held) /* one held at a time: a second is as late as the first */
			return true;
		q->held = malloc(len);
		if (!q->held)
			return true;
		memcpy(q->held, wire, len);
		q->held_len = len;
		q->hold.cb = on_hold;
		ev_timer_start(q->set->loop, &q->hold, hold_ms);
		return true;
	default:
		return false;
	}
}

/* A drill that rewrites answers (servfail, empty, nxdomain): the answer as the drill has it,
 * in a buffer of the caller's to free, with its length in *len; NULL: the answer as it came. */
static uint8_t *drilled_answer(struct upstream_query *q, const uint8_t *wire, size_t *len)
{
	struct upstream *srv = server_of(q);
	ldns_pkt *p = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (!drill_active(&srv->drill, ev_now_ms()) ||
	    xdpdns_wire2pkt(&p, wire, *len) != LDNS_STATUS_OK || matches(q, p) != UPSTREAM_ANSWER) {
		ldns_pkt_free(p);
		return NULL;
	}
	if (drill_rewrite(&srv->drill, ev_now_ms(), q->qname, p) &&
	    ldns_pkt2wire(&out, p, &out_len) == LDNS_STATUS_OK)
		*len = out_len;
	ldns_pkt_free(p);
	return out;
}

/* A datagram or TCP message from the server: ignored unless it answers our question. Returns
 * true when it ended the attempt (q may be gone then), false when the attempt still waits. */
static bool got_answer(struct upstream_query *q, const uint8_t *wire, size_t len)
{
	struct upstream *srv = server_of(q);
	enum upstream_verdict v;
	uint8_t *drilled;
	ldns_pkt *p;

	if (drilled_away(q, wire, len))
		return false;
	drilled = drilled_answer(q, wire, &len);
	v = upstream_answer_check(q, drilled ? drilled : wire, len, q->tcp, &p);
	free(drilled);
	if (v != UPSTREAM_UNPARSABLE && v != UPSTREAM_WRONG_ID && v != UPSTREAM_WRONG_QUESTION)
		/* a response, whatever it says: SERVFAIL and TC=1 take time too */
		xdpdns_histogram_observe(&srv->latency, ev_now_ns() - q->sent_ns);
	switch (v) {
	case UPSTREAM_UNPARSABLE:
	case UPSTREAM_WRONG_ID:
	case UPSTREAM_WRONG_QUESTION:
		q->set->bogus.unparsable += v == UPSTREAM_UNPARSABLE;
		q->set->bogus.wrong_id += v == UPSTREAM_WRONG_ID;
		q->set->bogus.wrong_question += v == UPSTREAM_WRONG_QUESTION;
		srv->bogus++;
		if (!q->tcp)
			return false;
		next_attempt(q, -EPROTO, true); /* one message per TCP query: the stream is no good */
		return true;
	case UPSTREAM_TRUNCATED:
		/* the same question over TCP, to the same server: part of this attempt, so no
		 * token of the budget (a miss storm must not turn TC answers into failures) */
		server_result(q->set, srv, true);
		q->tcp = true;
		end_attempt(q);
		if (send_attempt(q))
			next_attempt(q, -EIO, true);
		return true;
	case UPSTREAM_SERVFAIL:
	case UPSTREAM_REFUSED:
		/* about this name, not the server: alive, and not asked again for it */
		log_debug("upstream %s: %s for the question", srv->addr.text,
			  v == UPSTREAM_SERVFAIL ? "SERVFAIL" : "REFUSED");
		srv->name_failures++;
		q->name_failed |= 1U << q->server;
		next_attempt(q, -EIO, false);
		return true;
	case UPSTREAM_ANSWER:
		break;
	}
	srv->answers++;
	server_result(q->set, srv, true);
	finish(q, p, 0);
	return true;
}

/* One datagram from the attempt's socket, if one is waiting. */
static enum attempt_read udp_read(struct upstream_query *q)
{
	static uint8_t buf[DNS_MAX_LEN];
	ssize_t n = recv(q->io.fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return READ_NOTHING;
		next_attempt(q, -errno, true); /* ICMP unreachable and the like */
		return READ_ENDED;
	}
	return got_answer(q, buf, n) ? READ_ENDED : READ_SOME;
}

/* TCP: write the framed query, then read one framed answer (tcp_frame.h, RFC 7766); one step
 * of either, as far as the socket lets. */
static enum attempt_read tcp_step(struct upstream_query *q, uint32_t events)
{
	size_t len;
	ssize_t n;

	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		next_attempt(q, -ECONNREFUSED, true);
		return READ_ENDED;
	}
	if (q->out_sent < q->out_len) { /* still sending */
		n = send(q->io.fd, q->out + q->out_sent, q->out_len - q->out_sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				return READ_NOTHING;
			next_attempt(q, -errno, true);
			return READ_ENDED;
		}
		q->out_sent += n;
		if (q->out_sent == q->out_len) /* sent: now the answer */
			ev_io_mod(q->set->loop, &q->io, EPOLLIN);
		return READ_NOTHING;
	}
	/* the length first, then exactly the message: the buffer holds no more than it */
	if (tcp_frame_reserve(&q->in, 2)) {
		next_attempt(q, -ENOMEM, true);
		return READ_ENDED;
	}
	n = recv(q->io.fd, q->in.buf + q->in.have, q->in.cap - q->in.have, MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return READ_NOTHING;
		next_attempt(q, n ? -errno : -ECONNRESET, true);
		return READ_ENDED;
	}
	q->in.have += n;
	if (q->in.have == 2 && !q->in.buf[0] && !q->in.buf[1]) { /* an empty message */
		next_attempt(q, -EPROTO, true);
		return READ_ENDED;
	}
	len = tcp_frame_ready(&q->in);
	if (len && got_answer(q, q->in.buf + 2, len - 2))
		return READ_ENDED;
	return READ_SOME;
}

/* The attempt's deadline. ev_run() runs due timers before it polls, and one turn of a loop busy
 * with clients (a flood of misses) can take longer than a server takes to answer: an answer
 * may be waiting in the socket, unread, when the timer fires. The server answered; the loop was
 * the slow one. So what is waiting is read first, as if the socket's turn had come before the
 * timer's, and only an attempt still unanswered then times out: a server that stays silent
 * times out as ever, one that answers in time is not counted as failing, nor marked down. */
static void on_timeout(struct ev_loop *loop, struct ev_timer *t)
{
	struct upstream_query *q = container_of(t, struct upstream_query, timer);
	enum attempt_read r = READ_SOME;
	int i;

	(void)loop;
	for (i = 0; i < UPSTREAM_LATE_READS_MAX && r == READ_SOME; i++) {
		if (!q->tcp)
			r = udp_read(q);
		else if (q->out_sent == q->out_len && !tcp_frame_ready(&q->in))
			r = tcp_step(q, EPOLLIN);
		else /* still sending, or a whole message in that a drill holds back */
			r = READ_NOTHING;
	}
	if (r == READ_ENDED)
		return;
	server_of(q)->timeouts++;
	next_attempt(q, -ETIMEDOUT, true);
}

static void on_udp(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	(void)loop;
	(void)events;
	udp_read(container_of(io, struct upstream_query, io));
}

static void on_tcp(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	(void)loop;
	tcp_step(container_of(io, struct upstream_query, io), events);
}

static int random_id(uint16_t *id)
{
	return getrandom(id, sizeof(*id), 0) == sizeof(*id) ? 0 : -errno;
}

/* 0x20: every letter of name in a random case. Returns 0 or -errno. */
static int randomise_case(ldns_rdf *name)
{
	uint8_t *d = ldns_rdf_data(name), bits[XDPDNS_NAME_MAX_LEN];
	size_t n = ldns_rdf_size(name), i;

	if (n > sizeof(bits) || getrandom(bits, n, 0) != (ssize_t)n)
		return n > sizeof(bits) ? -EINVAL : -errno;
	/* length bytes (<= 63) are not letters: untouched */
	for (i = 0; i < n; i++)
		if ((d[i] | 0x20) >= 'a' && (d[i] | 0x20) <= 'z')
			d[i] = (bits[i] & 1) ? (d[i] | 0x20) : (d[i] & ~0x20);
	return 0;
}

/* Builds the query for this attempt with a new ID (and, with 0x20, a new case). */
static int build_query(struct upstream_query *q)
{
	ldns_pkt *p;
	int err = random_id(&q->id);

	ldns_rdf_deep_free(q->sent_qname);
	q->sent_qname = ldns_rdf_clone(q->qname);
	if (!q->sent_qname)
		return -ENOMEM;
	if (!err && q->set->use_0x20)
		err = randomise_case(q->sent_qname);
	/* AD (RFC 6840 5.7): a validating upstream says whether the answer is authentic without
	 * DO too, so the entry cached for DO=0 holds AD for the clients that ask with AD */
	p = ldns_pkt_query_new(ldns_rdf_clone(q->sent_qname), q->qtype, LDNS_RR_CLASS_IN,
			       LDNS_RD | LDNS_AD | (q->cd ? LDNS_CD : 0));
	if (!p)
		return -ENOMEM;
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_edns_udp_size(p, q->set->edns_udp_size);
	ldns_pkt_set_edns_do(p, q->do_bit);
	if (!err && ldns_pkt2wire(&q->wire, p, &q->wire_len) != LDNS_STATUS_OK)
		err = -ENOMEM;
	ldns_pkt_free(p);
	return err;
}

static int send_attempt(struct upstream_query *q)
{
	struct upstream *srv;
	int fd, err;

	q->server = pick_server(q);
	if (q->server < 0)
		return -ENOENT; /* every server said SERVFAIL or REFUSED to this name */
	srv = server_of(q);
	/* a TCP attempt is the retry of a truncated answer, paid for by the UDP one */
	if (!q->unbudgeted && !q->tcp && !take_token(q->set))
		return -EBUSY;
	err = build_query(q);
	if (err)
		goto fail;
	fd = socket(srv->addr.sa.ss_family,
		    (q->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	q->io.fd = fd;
	q->sent_ns = ev_now_ns(); /* over TCP, the connection's setup counts too */
	/* connect: the kernel picks a random source port, and drops other senders' datagrams */
	if (connect(fd, (struct sockaddr *)&srv->addr.sa, srv->addr.len) && errno != EINPROGRESS) {
		err = -errno;
		goto fail;
	}
	if (q->tcp) {
		err = tcp_frame_append(&q->out, &q->out_len, q->wire, q->wire_len);
		if (err)
			goto fail;
		q->io.cb = on_tcp;
		err = ev_io_add(q->set->loop, &q->io, EPOLLOUT);
	} else {
		if (!drill_drops_query(&srv->drill, ev_now_ms()) &&
		    send(fd, q->wire, q->wire_len, 0) < 0) {
			err = -errno;
			goto fail;
		}
		q->io.cb = on_udp;
		err = ev_io_add(q->set->loop, &q->io, EPOLLIN);
	}
	if (err)
		goto fail;
	srv->queries++;
	q->timer.cb = on_timeout;
	return ev_timer_start(q->set->loop, &q->timer, q->set->timeout_ms);
fail:
	end_attempt(q); /* what this attempt made: the query, its socket */
	return err;
}

int upstream_query_start(struct upstream_set *s, struct upstream_query *q)
{
	int err;

	if (!s->n)
		return -ENOENT;
	q->set = s;
	q->tries = 0;
	q->tcp = false;
	q->last_err = -ETIMEDOUT;
	q->io.fd = -1;
	q->wire = q->out = NULL;
	q->out_len = q->out_sent = 0;
	q->in = (struct tcp_frame_in){ 0 };
	q->sent_qname = NULL;
	q->timer.slot = 0;
	q->hold.slot = 0;
	q->held = NULL;
	q->name_failed = 0;
	for (;;) {
		err = send_attempt(q);
		if (!err) {
			inflight_add(q);
			return 0;
		}
		if (err == -EBUSY)
			return err;
		server_result(s, server_of(q), false);
		if (++q->tries >= max_tries(q))
			return err;
	}
}

void upstream_query_cancel(struct upstream_query *q)
{
	end_attempt(q);
	inflight_del(q);
}

void upstream_set_reconfigure(struct upstream_set *s, const struct xdpdns_options *o,
			      int map[XDPDNS_UPSTREAMS_MAX])
{
	struct upstream old[XDPDNS_UPSTREAMS_MAX];
	int old_n = s->n, i, j;
	struct upstream_query *q, *next, *moved = NULL;

	memcpy(old, s->servers, sizeof(old));
	memset(s->servers, 0, sizeof(s->servers));
	for (j = 0; j < XDPDNS_UPSTREAMS_MAX; j++)
		map[j] = -1;
	for (i = 0; i < o->n_upstreams; i++) {
		s->servers[i].addr = o->upstreams[i];
		for (j = 0; j < old_n; j++)
			if (map[j] < 0 && !strcmp(old[j].addr.text, o->upstreams[i].text)) {
				s->servers[i] = old[j]; /* its health, counters and drill */
				map[j] = i;
				break;
			}
	}
	for (j = 0; j < old_n; j++)
		if (map[j] < 0)
			drill_clear(&old[j].drill);
	s->n = o->n_upstreams;
	if (s->qps != o->upstream_qps)
		ev_bucket_init(&s->budget, o->upstream_qps);
	take_settings(s, o);
	/* queries in flight: their attempt's server by its new index; those whose server is
	 * gone are moved on below, once the list is walked */
	for (q = s->inflight; q; q = q->next) {
		q->name_failed = upstream_bits_moved(q->name_failed, map);
		q->server = map[q->server];
		if (q->only >= 0) { /* one server's (a guard's re-check): ends if it is gone */
			q->server = map[q->only];
			if (q->server >= 0)
				q->only = q->server;
		}
		if (q->server < 0) {
			end_attempt(q);
			q->tcp = false;
		}
	}
	for (q = s->inflight; q; q = next) {
		next = q->next;
		if (q->server >= 0)
			continue;
		/* its attempt counted against nobody; the next one goes to the new list */
		q->last_err = -ETIMEDOUT;
		if (q->only < 0 && s->n && !send_next(q))
			continue;
		inflight_del(q);
		q->prev = moved;
		moved = q;
	}
	for (q = moved; q; q = next) { /* done last: done() may start or end other queries */
		next = q->prev;
		q->prev = NULL;
		q->done(q, NULL, -ETIMEDOUT);
	}
}
