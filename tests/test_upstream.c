// SPDX-License-Identifier: GPL-2.0
/* The upstream client against a scripted fake resolver on 127.0.0.1 (a child process): the
 * query name picks its behaviour. */
#include <arpa/inet.h>
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

/* The fake resolver's answer to wire (a query), or NULL to stay silent. Names:
 *   ok.        an A record               wrongid.  a wrong ID first, then the answer
 *   wrongq.    another question first    tc.       TC=1 over UDP, the answer over TCP
 *   servfail.  SERVFAIL                  silent.   nothing */
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
	r = ldns_pkt_clone(q);
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_ra(r, true);
	ldns_rr_new_frm_str(&rr, "ok. 60 IN A 192.0.2.1", 0, NULL, NULL);
	if (!strcmp(name, "silent.")) {
		goto out;
	} else if (!strcmp(name, "servfail.")) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_SERVFAIL);
	} else if (!strcmp(name, "tc.") && !tcp) {
		ldns_pkt_set_tc(r, true);
	} else {
		ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(q), 0))));
		ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
	}
	if (!strcmp(name, "wrongid.") || !strcmp(name, "wrongq.")) {
		ldns_pkt *bad = ldns_pkt_clone(r);

		if (!strcmp(name, "wrongid."))
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
		cmocka_unit_test(test_wrong_id_and_question_ignored),
		cmocka_unit_test(test_truncated_retries_over_tcp),
		cmocka_unit_test(test_servfail_everywhere),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_outcome_counts_against_the_server_asked),
		cmocka_unit_test(test_everything_silent),
	};

	return cmocka_run_group_tests_name("upstream", tests, setup, teardown);
}
