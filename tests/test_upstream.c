// SPDX-License-Identifier: GPL-2.0
/* The upstream client against a scripted fake resolver on 127.0.0.1 (a child process): the
 * query name picks its behaviour. */
#include <arpa/inet.h>
#include <strings.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "upstream.h"

static pid_t fake_pid;
static uint16_t fake_port;

/* Sends the datagram out to `to` from a new socket bound to from_addr (port 0: any). */
static void send_from(const char *from_addr, uint16_t from_port, const uint8_t *out,
		      size_t out_len, const struct sockaddr *to, socklen_t tolen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(from_port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	inet_pton(AF_INET, from_addr, &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)))
		sendto(fd, out, out_len, 0, to, tolen);
	close(fd);
}

/* The fake resolver's answer to wire (a query), or NULL to stay silent. Names (in any case):
 *   ok.        an A record               wrongid.  a wrong ID first, then the answer
 *   wrongq.    another question first    tc.       TC=1 over UDP, the answer over TCP
 *   servfail.  SERVFAIL                  silent.   nothing
 *   refused.   REFUSED (an authoritative server asked for a zone it does not serve)
 *   wrongaddr. wrongport.  a forged answer (A 192.0.2.66) from 127.0.0.2:port or from
 *              127.0.0.1:another port first, then the answer
 *   garbage.   random bytes, the answer cut short, the answer with bad counts, then the answer
 *   garbageonly.  only those three
 *   case.      the answer with every letter of the question's name in the other case (A
 *              192.0.2.66) first, then the answer
 *   port.      A 10.0.X.Y where X.Y is the query's source port
 *   flags.     A 10.0.X.Y where X.Y are the query's header flags (bytes 2 and 3) */
static void fake_reply(int fd, const uint8_t *wire, size_t len, bool tcp,
		       const struct sockaddr *to, socklen_t tolen)
{
	ldns_pkt *q = NULL, *r;
	ldns_rr *rr = NULL;
	uint8_t *out = NULL;
	size_t out_len;
	char *name;

	if (ldns_wire2pkt(&q, wire, len) != LDNS_STATUS_OK)
		return;
	name = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	if (!tcp && (!strcasecmp(name, "port.") || !strcasecmp(name, "flags."))) {
		char line[64];
		uint16_t port = ntohs(((const struct sockaddr_in *)to)->sin_port);

		if (!strcasecmp(name, "flags."))
			snprintf(line, sizeof(line), "flags. 60 IN A 10.0.%u.%u", wire[2], wire[3]);
		else
			snprintf(line, sizeof(line), "port. 60 IN A 10.0.%u.%u", port >> 8,
				 port & 0xff);
		ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
		r = ldns_pkt_clone(q);
		ldns_pkt_set_qr(r, true);
		ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
		rr = NULL;
		goto send;
	}
	r = ldns_pkt_clone(q);
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_ra(r, true);
	ldns_rr_new_frm_str(&rr, "ok. 60 IN A 192.0.2.1", 0, NULL, NULL);
	if (!strcasecmp(name, "silent.")) {
		goto out;
	} else if (!strcasecmp(name, "servfail.")) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_SERVFAIL);
	} else if (!strcasecmp(name, "refused.")) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
	} else if (!strcasecmp(name, "tc.") && !tcp) {
		ldns_pkt_set_tc(r, true);
	} else {
		ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0))));
		ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
	}
	if (!tcp && (!strcasecmp(name, "wrongaddr.") || !strcasecmp(name, "wrongport.") ||
		     !strcasecmp(name, "case."))) {
		ldns_pkt *forged = ldns_pkt_clone(r);
		ldns_rr *a = ldns_rr_list_rr(ldns_pkt_answer(forged), 0);
		ldns_rdf *qn = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(forged), 0));
		size_t i;

		ldns_rdf_deep_free(ldns_rr_set_rdf(a, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A,
									 "192.0.2.66"), 0));
		for (i = 0; i < ldns_rdf_size(qn); i++) { /* "case.": every letter flipped */
			uint8_t *c = ldns_rdf_data(qn) + i;

			if (!strcasecmp(name, "case.") && (*c | 0x20) >= 'a' && (*c | 0x20) <= 'z')
				*c ^= 0x20;
		}
		ldns_pkt2wire(&out, forged, &out_len);
		if (!strcasecmp(name, "wrongaddr."))
			send_from("127.0.0.2", fake_port, out, out_len, to, tolen);
		else if (!strcasecmp(name, "wrongport."))
			send_from("127.0.0.1", 0, out, out_len, to, tolen);
		else
			sendto(fd, out, out_len, 0, to, tolen);
		free(out);
		out = NULL;
		ldns_pkt_free(forged);
		usleep(20000); /* the forgery is there first */
	}
	if (!tcp && (!strcasecmp(name, "garbage.") || !strcasecmp(name, "garbageonly."))) {
		uint8_t junk[64];
		size_t i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = i * 37 + 11;
		junk[0] = ldns_pkt_id(q) >> 8; /* the right ID, even */
		junk[1] = ldns_pkt_id(q) & 0xff;
		sendto(fd, junk, sizeof(junk), 0, to, tolen);
		ldns_pkt2wire(&out, r, &out_len);
		sendto(fd, out, out_len - 3, 0, to, tolen);     /* cut short */
		out[7] += 3;                                     /* ancount: 3 records too many */
		sendto(fd, out, out_len, 0, to, tolen);
		free(out);
		out = NULL;
		usleep(20000);
		if (!strcasecmp(name, "garbageonly."))
			goto out;
	}
	if (!strcasecmp(name, "wrongid.") || !strcasecmp(name, "wrongq.")) {
		ldns_pkt *bad = ldns_pkt_clone(r);

		if (!strcasecmp(name, "wrongid."))
			ldns_pkt_set_id(bad, ldns_pkt_id(q) ^ 0x5555);
		else
			ldns_rr_set_owner(ldns_rr_list_rr(ldns_pkt_question(bad), 0),
					  ldns_dname_new_frm_str("other."));
		ldns_pkt2wire(&out, bad, &out_len);
		sendto(fd, out, out_len, 0, to, tolen);
		free(out);
		out = NULL;
		ldns_pkt_free(bad);
	}
send:
	ldns_pkt2wire(&out, r, &out_len);
	if (tcp) {
		uint8_t hdr[2] = { out_len >> 8, out_len & 0xff };

		send(fd, hdr, 2, MSG_NOSIGNAL);
		send(fd, out, out_len, MSG_NOSIGNAL);
	} else {
		sendto(fd, out, out_len, 0, to, tolen);
	}
out:
	free(out);
	free(name);
	ldns_rr_free(rr);
	ldns_pkt_free(r);
	ldns_pkt_free(q);
}

static void fake_serve(int udp, int tcp)
{
	struct pollfd pfd[2] = { { .fd = udp, .events = POLLIN }, { .fd = tcp, .events = POLLIN } };
	uint8_t buf[65536];

	alarm(30); /* bounded, whatever happens to the parent */
	for (;;) {
		if (poll(pfd, 2, -1) <= 0)
			continue;
		if (pfd[0].revents) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

			if (n > 0)
				fake_reply(udp, buf, n, false, (struct sockaddr *)&from, fl);
		}
		if (pfd[1].revents) {
			int c = accept(tcp, NULL, NULL);
			uint8_t hdr[2];

			if (c >= 0 && recv(c, hdr, 2, MSG_WAITALL) == 2) {
				size_t len = (size_t)hdr[0] << 8 | hdr[1];

				if (recv(c, buf, len, MSG_WAITALL) == (ssize_t)len)
					fake_reply(c, buf, len, true, NULL, 0);
			}
			if (c >= 0)
				close(c);
		}
	}
}

static int setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int udp = socket(AF_INET, SOCK_DGRAM, 0), tcp = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	/* the same port for UDP and TCP: take one for UDP, then bind TCP to it */
	if (bind(udp, (struct sockaddr *)&a, sizeof(a)) || getsockname(udp, (struct sockaddr *)&a, &alen))
		return -1;
	setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(tcp, (struct sockaddr *)&a, sizeof(a)) || listen(tcp, 8))
		return -1;
	fake_port = ntohs(a.sin_port);
	fake_pid = fork();
	if (fake_pid == 0)
		fake_serve(udp, tcp);
	close(udp);
	close(tcp);
	return fake_pid > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	kill(fake_pid, SIGKILL);
	waitpid(fake_pid, NULL, 0);
	return 0;
}

struct result {
	bool done;
	ldns_pkt *answer;
	int err;
	uint64_t bogus; /* datagrams the client ignored, all servers */
	struct upstream_bogus kinds;
	struct ev_loop *loop;
	struct upstream_query q; /* last: done() finds the result from it */
};

static void on_done(struct upstream_query *q, ldns_pkt *answer, int err)
{
	struct result *r = container_of(q, struct result, q);

	r->done = true;
	r->answer = answer;
	r->err = err;
	ev_stop(r->loop);
}

static struct ev_timer guard; /* ends a test whose query never finishes */

static void on_guard(struct ev_loop *loop, struct ev_timer *t)
{
	(void)t;
	ev_stop(loop);
}

static bool use_0x20; /* upstream-0x20 for resolve() */

/* Resolves name through upstreams ("127.0.0.1:PORT" for the fake); timeout per attempt. */
static void resolve(struct result *r, const char *name, const char *const *upstreams,
		    uint32_t timeout_ms)
{
	struct xdpdns_options o;
	struct upstream_set set;
	struct ev_loop loop;
	char err[128];
	int i;

	xdpdns_options_defaults(&o);
	o.timeout_ms = timeout_ms;
	o.upstream_0x20 = use_0x20;
	for (i = 0; upstreams[i]; i++)
		assert_int_equal(xdpdns_options_set(&o, "upstream", upstreams[i], err, sizeof(err)), 0);
	assert_int_equal(ev_init(&loop), 0);
	upstream_set_init(&set, &loop, &o);
	memset(r, 0, sizeof(*r));
	r->loop = &loop;
	r->q.qname = ldns_dname_new_frm_str(name);
	r->q.qtype = LDNS_RR_TYPE_A;
	r->q.only = -1;
	r->q.done = on_done;
	assert_int_equal(upstream_query_start(&set, &r->q), 0);
	guard.cb = on_guard;
	ev_timer_start(&loop, &guard, 5000);
	ev_run(&loop);
	ev_timer_stop(&loop, &guard);
	if (!r->done)
		upstream_query_cancel(&r->q);
	for (i = 0; i < set.n; i++)
		r->bogus += set.servers[i].bogus;
	r->kinds = set.bogus;
	ldns_rdf_deep_free(r->q.qname);
	ev_fini(&loop);
	assert_true(r->done);
}

static char fake[32];

static const char *fake_addr(void)
{
	snprintf(fake, sizeof(fake), "127.0.0.1:%u", fake_port);
	return fake;
}

static void assert_answer_a(const struct result *r, const char *name)
{
	ldns_rdf *want = ldns_dname_new_frm_str(name);

	assert_int_equal(r->err, 0);
	assert_non_null(r->answer);
	assert_int_equal(ldns_pkt_ancount(r->answer), 1);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(r->answer), 0)), want), 0);
	ldns_rdf_deep_free(want);
}

static void test_answer(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;

	resolve(&r, "ok.", up, 500);
	assert_answer_a(&r, "ok.");
	assert_int_equal(r.bogus, 0);
	ldns_pkt_free(r.answer);
}

/* Answers with another ID or another question are ignored; the genuine one still counts. */
/* The upstream query asks for recursion and sets AD (RFC 6840 5.7): a validating upstream then
 * says whether the answer is authentic even to a query without DO, and the entry cached for DO=0
 * holds AD for the clients that ask with AD. CD only when the client set it. */
static void test_query_flags(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;
	const uint8_t *a;

	resolve(&r, "flags.", up, 500);
	assert_int_equal(r.err, 0);
	assert_non_null(r.answer);
	a = ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r.answer), 0), 0));
	assert_int_equal(a[2] & 0x81, 0x01); /* QR=0, RD=1 */
	assert_int_equal(a[3] & 0x30, 0x20); /* AD=1, CD=0 */
	ldns_pkt_free(r.answer);
}

static void test_wrong_id_and_question_ignored(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;

	resolve(&r, "wrongid.", up, 500);
	assert_answer_a(&r, "wrongid.");
	assert_int_equal(r.bogus, 1);
	ldns_pkt_free(r.answer);
	resolve(&r, "wrongq.", up, 500);
	assert_answer_a(&r, "wrongq.");
	assert_int_equal(r.bogus, 1);
	ldns_pkt_free(r.answer);
}

/* The A record's address in r's answer, as text (to free). */
static char *answer_addr(const struct result *r)
{
	return ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r->answer), 0), 0));
}

/* A forged answer from another address, or from the server's address but another port, comes
 * first: the connected socket never sees it, and the genuine answer is taken. */
static void test_wrong_source_ignored(void **state)
{
	const char *names[] = { "wrongaddr.", "wrongport." };
	const char *up[] = { fake_addr(), NULL };
	struct result r;
	size_t i;

	for (i = 0; i < 2; i++) {
		char *addr;

		resolve(&r, names[i], up, 500);
		assert_answer_a(&r, names[i]);
		addr = answer_addr(&r);
		assert_string_equal(addr, "192.0.2.1");
		assert_int_equal(r.bogus, 0); /* dropped by the kernel, not by us */
		free(addr);
		ldns_pkt_free(r.answer);
	}
}

/* Garbage, a cut-short answer and one with bad counts (all with the right ID) are ignored; the
 * genuine answer that follows is taken, and without it the attempt times out. */
static void test_malformed_answers_ignored(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;

	resolve(&r, "garbage.", up, 500);
	assert_answer_a(&r, "garbage.");
	assert_int_equal(r.bogus, 3);
	assert_int_equal(r.kinds.unparsable, 3);
	ldns_pkt_free(r.answer);
	resolve(&r, "garbageonly.", up, 100);
	assert_null(r.answer);
	assert_int_equal(r.err, -ETIMEDOUT);
	assert_true(r.kinds.unparsable >= 3);
}

/* upstream-0x20: an answer whose question is not in the case we sent is ignored. Without it, the
 * case does not matter (the first answer is taken). */
static void test_0x20(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;
	char *addr;

	use_0x20 = true;
	resolve(&r, "case.", up, 500);
	use_0x20 = false;
	assert_answer_a(&r, "case.");
	addr = answer_addr(&r);
	assert_string_equal(addr, "192.0.2.1");
	assert_int_equal(r.kinds.wrong_question, 1);
	free(addr);
	ldns_pkt_free(r.answer);

	resolve(&r, "case.", up, 500);
	addr = answer_addr(&r);
	assert_string_equal(addr, "192.0.2.66");
	assert_int_equal(r.bogus, 0);
	free(addr);
	ldns_pkt_free(r.answer);
}

/* Every query from its own random source port (RFC 5452 9.2): sequential ports would be
 * guessable. A few close pairs may happen by chance (about 1 in 900 per pair). */
static void test_random_source_ports(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	unsigned int ports[8], close_pairs = 0, i;
	struct result r;

	for (i = 0; i < 8; i++) {
		const ldns_rdf *a;

		resolve(&r, "port.", up, 500);
		assert_int_equal(r.err, 0);
		a = ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r.answer), 0), 0);
		ports[i] = ldns_rdf_data(a)[2] << 8 | ldns_rdf_data(a)[3];
		ldns_pkt_free(r.answer);
		if (i && (ports[i] > ports[i - 1] ? ports[i] - ports[i - 1] :
						    ports[i - 1] - ports[i]) < 32)
			close_pairs++;
	}
	assert_true(close_pairs < 3);
}

static void test_truncated_retries_over_tcp(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;

	resolve(&r, "tc.", up, 500);
	assert_answer_a(&r, "tc.");
	assert_false(ldns_pkt_tc(r.answer));
	ldns_pkt_free(r.answer);
}

static void test_servfail_everywhere(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;

	resolve(&r, "servfail.", up, 500);
	assert_null(r.answer);
	assert_int_equal(r.err, -EIO);
}

/* The first upstream never answers: after its timeout, the second one does. */
static void test_failover(void **state)
{
	int silent = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char silent_addr[32];
	const char *up[] = { silent_addr, fake_addr(), NULL };
	struct result r;
	uint64_t t0;

	/* a bound socket nobody reads: datagrams vanish without an ICMP error */
	assert_int_equal(bind(silent, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(silent, (struct sockaddr *)&a, &alen);
	snprintf(silent_addr, sizeof(silent_addr), "127.0.0.1:%u", ntohs(a.sin_port));
	t0 = ev_now_ms();
	resolve(&r, "ok.", up, 200);
	assert_answer_a(&r, "ok.");
	assert_true(ev_now_ms() - t0 >= 200); /* it did wait for the first one */
	ldns_pkt_free(r.answer);
	close(silent);
}

/* A server's state changes while an attempt to it is in flight: its timeout still counts against
 * that server, not the one the failover would pick now. */
static struct upstream_set *forced_set;

static void force_first_down(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	(void)t;
	upstream_force(forced_set, 0, UPSTREAM_FORCE_DOWN);
}

static void test_outcome_counts_against_the_server_asked(void **state)
{
	int silent = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct ev_timer force = { .cb = force_first_down };
	struct xdpdns_options o;
	struct upstream_set set;
	struct ev_loop loop;
	struct result r;
	char err[128], silent_addr[32];

	assert_int_equal(bind(silent, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(silent, (struct sockaddr *)&a, &alen);
	snprintf(silent_addr, sizeof(silent_addr), "127.0.0.1:%u", ntohs(a.sin_port));
	xdpdns_options_defaults(&o);
	o.timeout_ms = 200;
	assert_int_equal(xdpdns_options_set(&o, "upstream", silent_addr, err, sizeof(err)), 0);
	assert_int_equal(xdpdns_options_set(&o, "upstream", fake_addr(), err, sizeof(err)), 0);
	assert_int_equal(ev_init(&loop), 0);
	upstream_set_init(&set, &loop, &o);
	forced_set = &set;
	memset(&r, 0, sizeof(r));
	r.loop = &loop;
	r.q.qname = ldns_dname_new_frm_str("ok.");
	r.q.qtype = LDNS_RR_TYPE_A;
	r.q.only = -1;
	r.q.done = on_done;
	assert_int_equal(upstream_query_start(&set, &r.q), 0); /* to the silent one first */
	ev_timer_start(&loop, &force, 50);                      /* which goes down meanwhile */
	guard.cb = on_guard;
	ev_timer_start(&loop, &guard, 5000);
	ev_run(&loop);
	ev_timer_stop(&loop, &guard);
	assert_true(r.done);
	assert_answer_a(&r, "ok.");
	assert_int_equal(set.servers[0].timeouts, 1);
	assert_int_equal(set.servers[1].timeouts, 0);
	assert_int_equal(set.servers[1].answers, 1);
	ldns_pkt_free(r.answer);
	ldns_rdf_deep_free(r.q.qname);
	ev_fini(&loop);
	close(silent);
}

/* A set kept across several queries (resolve() makes one per query). */
struct kept {
	struct xdpdns_options o;
	struct upstream_set set;
	struct ev_loop loop;
};

static void kept_init(struct kept *k, const char *const *upstreams, uint32_t timeout_ms)
{
	char err[128];
	int i;

	xdpdns_options_defaults(&k->o);
	k->o.timeout_ms = timeout_ms;
	for (i = 0; upstreams[i]; i++)
		assert_int_equal(xdpdns_options_set(&k->o, "upstream", upstreams[i], err, sizeof(err)),
				 0);
	assert_int_equal(ev_init(&k->loop), 0);
	upstream_set_init(&k->set, &k->loop, &k->o);
}

/* Starts asking name of the kept set (only: one server, as a health probe does; -1:
 * failover); the caller runs the loop and frees r->q.qname. */
static void kept_start(struct kept *k, struct result *r, const char *name, int only)
{
	memset(r, 0, sizeof(*r));
	r->loop = &k->loop;
	r->q.qname = ldns_dname_new_frm_str(name);
	r->q.qtype = LDNS_RR_TYPE_A;
	r->q.only = only;
	r->q.done = on_done;
	assert_int_equal(upstream_query_start(&k->set, &r->q), 0);
	k->loop.stop = false; /* the last query's done() stopped it */
}

/* Asks name of the kept set, and runs the loop until it is done. */
static void kept_resolve(struct kept *k, struct result *r, const char *name, int only)
{
	kept_start(k, r, name, only);
	guard.cb = on_guard;
	ev_timer_start(&k->loop, &guard, 5000);
	ev_run(&k->loop);
	ev_timer_stop(&k->loop, &guard);
	ldns_rdf_deep_free(r->q.qname);
	assert_true(r->done);
}

/* A socket bound on loopback that nobody reads: datagrams to it vanish without an ICMP error. */
static int silent_server(char *addr, size_t len)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	snprintf(addr, len, "127.0.0.1:%u", ntohs(a.sin_port));
	return fd;
}

/* SERVFAIL and REFUSED are about the name: the server is not asked again for it in the same
 * resolution (attempts 2 asked it twice), and however many names fail so, it stays up (three in
 * a row marked it down: one broken domain behind a validating resolver took the resolver out). */
static void test_servfail_and_refused_are_about_the_name(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;
	struct kept k;
	int i;

	kept_init(&k, up, 500);
	assert_int_equal(k.o.attempts, 2);
	for (i = 0; i < 6; i++) {
		kept_resolve(&k, &r, i % 2 ? "refused." : "servfail.", -1);
		assert_null(r.answer);
		assert_int_equal(r.err, -EIO);
		assert_int_equal(k.set.servers[0].queries, i + 1);
	}
	assert_false(k.set.servers[0].down);
	assert_int_equal(k.set.servers[0].fails, 0);
	assert_int_equal(k.set.servers[0].name_failures, 6);
	kept_resolve(&k, &r, "ok.", -1);
	assert_answer_a(&r, "ok.");
	ldns_pkt_free(r.answer);
	ev_fini(&k.loop);
}

/* Timeouts mark a server down; any response to the question brings it back, a REFUSED to a
 * health probe's name included (an authoritative server refuses the default probe, ". NS"). */
static void test_any_response_is_life(void **state)
{
	char silent_addr[32];
	int silent = silent_server(silent_addr, sizeof(silent_addr));
	const char *up[] = { silent_addr, fake_addr(), NULL };
	struct result r;
	struct kept k;

	kept_init(&k, up, 100);
	kept_resolve(&k, &r, "x.", 0); /* probes of the silent one */
	kept_resolve(&k, &r, "x.", 0);
	kept_resolve(&k, &r, "x.", 0);
	assert_int_equal(r.err, -ETIMEDOUT);
	assert_true(k.set.servers[0].down);
	/* the fake: probed with a name it refuses, it is alive; so is it after a SERVFAIL */
	k.set.servers[1].fails = 2;
	kept_resolve(&k, &r, "refused.", 1);
	assert_int_equal(r.err, -EIO);
	assert_false(k.set.servers[1].down);
	assert_int_equal(k.set.servers[1].fails, 0);
	upstream_force(&k.set, 1, UPSTREAM_FORCE_DOWN);
	upstream_force(&k.set, 1, UPSTREAM_AUTO);
	assert_false(k.set.servers[1].down); /* fails were 0: down only while forced */
	ev_fini(&k.loop);
	close(silent);
}

/* A truncated answer's retry over TCP is part of the attempt: it takes no token of the budget,
 * so a budget spent by a storm of misses does not turn TC answers into failures of the server. */
static void test_truncated_retry_takes_no_token(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;
	struct kept k;

	kept_init(&k, up, 500);
	k.o.upstream_qps = 1;
	upstream_set_init(&k.set, &k.loop, &k.o); /* a bucket of one token */
	kept_resolve(&k, &r, "tc.", -1);
	assert_answer_a(&r, "tc.");
	assert_int_equal(k.set.servers[0].fails, 0);
	assert_int_equal(k.set.over_budget, 0);
	ldns_pkt_free(r.answer);
	ev_fini(&k.loop);
}

/* The upstream list changes under a query in flight (SIGHUP): its attempt follows its server to
 * its new place, so the outcome counts against the server asked; an attempt to a server no
 * longer listed moves on at once to the new list, counted against nobody. */
static struct kept *reload_k;
static const char *const *reload_to;

static void reload_now(struct ev_loop *loop, struct ev_timer *t)
{
	struct xdpdns_options o;
	int moved[XDPDNS_UPSTREAMS_MAX], i;
	char err[128];

	(void)loop;
	(void)t;
	xdpdns_options_defaults(&o);
	o.timeout_ms = reload_k->o.timeout_ms;
	for (i = 0; reload_to[i]; i++)
		assert_int_equal(xdpdns_options_set(&o, "upstream", reload_to[i], err, sizeof(err)),
				 0);
	reload_k->o = o;
	upstream_set_reconfigure(&reload_k->set, &reload_k->o, moved);
}

static void test_reload_moves_queries_in_flight(void **state)
{
	char silent_addr[32];
	int silent = silent_server(silent_addr, sizeof(silent_addr));
	const char *up[] = { silent_addr, fake_addr(), NULL };
	const char *swapped[] = { fake_addr(), silent_addr, NULL };
	const char *without[] = { fake_addr(), NULL };
	struct ev_timer reload = { .cb = reload_now };
	struct result r;
	struct kept k;
	uint64_t t0;

	/* swapped: the silent one's timeout counts against it, now at index 1 */
	kept_init(&k, up, 300);
	reload_k = &k;
	reload_to = swapped;
	ev_timer_start(&k.loop, &reload, 50);
	kept_resolve(&k, &r, "ok.", -1); /* to the silent one first */
	assert_answer_a(&r, "ok.");
	assert_string_equal(k.set.servers[1].addr.text, silent_addr);
	assert_true(k.set.servers[1].timeouts >= 1);
	assert_int_equal(k.set.servers[1].fails, k.set.servers[1].timeouts);
	assert_int_equal(k.set.servers[0].timeouts, 0);
	assert_int_equal(k.set.servers[0].answers, 1);
	assert_null(k.set.inflight);
	ldns_pkt_free(r.answer);
	ev_fini(&k.loop);

	/* the silent one dropped: the query goes to the fake at once, not after the timeout */
	kept_init(&k, up, 1000);
	reload_k = &k;
	reload_to = without;
	t0 = ev_now_ms();
	ev_timer_start(&k.loop, &reload, 50);
	kept_resolve(&k, &r, "ok.", -1);
	assert_answer_a(&r, "ok.");
	assert_true(ev_now_ms() - t0 < 900);
	assert_int_equal(k.set.n, 1);
	assert_int_equal(k.set.servers[0].timeouts + k.set.servers[0].fails, 0);
	assert_null(k.set.inflight);
	ldns_pkt_free(r.answer);
	ev_fini(&k.loop);
	close(silent);
}

/* The loop was busy (a flood of clients) while the answer came: by the time it turns again the
 * attempt's deadline has passed too, and ev_run() runs due timers before it polls. Timers run
 * here alone, as that turn does: name's answers are already in the socket, the deadline past.
 * "tc.": the loop serves the sockets until the retry over TCP is sent; then the same. */
static void deadline_passed_with_answer_waiting(struct kept *k, struct result *r,
						const char *name, int only)
{
	struct pollfd p = { .events = POLLIN };
	int i;

	kept_start(k, r, name, only);
	for (i = 0; !strcmp(name, "tc.") && i < 100 &&
		    !(r->q.tcp && r->q.out_len && r->q.out_sent == r->q.out_len); i++)
		ev_poll(&k->loop, 50);
	p.fd = r->q.io.fd;
	assert_int_equal(poll(&p, 1, 5000), 1); /* something arrived, none of it read */
	usleep(50000);                          /* all the fake sends (garbage: three, 20 ms on) */
	while (ev_now_ms() <= r->q.timer.when_ms)
		usleep(1000);
	ev_run_timers(&k->loop);
	ldns_rdf_deep_free(r->q.qname);
}

/* The same, and name's answer taken: the attempt did not time out, the server is not down. */
static void answered_though_deadline_passed(struct kept *k, const char *name, int only)
{
	struct result r;

	deadline_passed_with_answer_waiting(k, &r, name, only);
	assert_true(r.done);
	assert_int_equal(r.err, 0);
	assert_false(k->set.servers[0].down);
	assert_answer_a(&r, name);
	ldns_pkt_free(r.answer);
}

/* An answer that arrived before the deadline is an answer, though the loop reaches the
 * attempt's timer before its socket: a working server is not counted as silent, nor marked down
 * (health-failures 1 here: one such timeout took it down), whether a query or a health probe. */
static void test_answer_waiting_at_the_deadline_counts(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct kept k;

	kept_init(&k, up, 100);
	k.set.down_after = 1;
	answered_though_deadline_passed(&k, "ok.", 0); /* a probe: one attempt */
	answered_though_deadline_passed(&k, "ok.", -1);
	answered_though_deadline_passed(&k, "tc.", 0);
	assert_int_equal(k.set.servers[0].timeouts, 0);
	assert_int_equal(k.set.servers[0].answers, 3);
	assert_int_equal(k.set.servers[0].fails, 0);
	assert_false(k.set.servers[0].down);
	ev_fini(&k.loop);
}

/* ...but what waits there must be the answer: datagrams that are not (garbage, here) are
 * ignored as ever, and the attempt times out. */
static void test_only_the_answer_counts_at_the_deadline(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;
	struct kept k;

	kept_init(&k, up, 100);
	k.set.down_after = 1;
	deadline_passed_with_answer_waiting(&k, &r, "garbageonly.", 0);
	assert_true(r.done);
	assert_null(r.answer);
	assert_int_equal(r.err, -ETIMEDOUT);
	assert_int_equal(k.set.servers[0].timeouts, 1);
	assert_true(k.set.servers[0].down);
	ev_fini(&k.loop);
}

static void test_everything_silent(void **state)
{
	const char *up[] = { fake_addr(), NULL };
	struct result r;

	resolve(&r, "silent.", up, 100);
	assert_null(r.answer);
	assert_int_equal(r.err, -ETIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_query_flags),
		cmocka_unit_test(test_wrong_id_and_question_ignored),
		cmocka_unit_test(test_wrong_source_ignored),
		cmocka_unit_test(test_malformed_answers_ignored),
		cmocka_unit_test(test_0x20),
		cmocka_unit_test(test_random_source_ports),
		cmocka_unit_test(test_truncated_retries_over_tcp),
		cmocka_unit_test(test_servfail_everywhere),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_outcome_counts_against_the_server_asked),
		cmocka_unit_test(test_everything_silent),
		cmocka_unit_test(test_servfail_and_refused_are_about_the_name),
		cmocka_unit_test(test_any_response_is_life),
		cmocka_unit_test(test_truncated_retry_takes_no_token),
		cmocka_unit_test(test_reload_moves_queries_in_flight),
		cmocka_unit_test(test_answer_waiting_at_the_deadline_counts),
		cmocka_unit_test(test_only_the_answer_counts_at_the_deadline),
	};

	return cmocka_run_group_tests_name("upstream", tests, setup, teardown);
}
