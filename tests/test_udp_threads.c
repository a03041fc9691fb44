// SPDX-License-Identifier: GPL-2.0
/* The UDP service's threads (daemon/udp.h), in process over real sockets on 127.0.0.1: the
 * server of tests/resolve.h with threads 2, its fake upstream and settable clock. Clients, each
 * from its own port (SO_REUSEPORT spreads them over both threads' sockets by port), ask one
 * uncached name at once: the worker hands its share to the resolution thread, one upstream
 * query answers them all, from the port they asked; then hits, answered by whichever thread
 * reads them; the counters of both threads add up in the registry (stats_read()). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "resolve.h"
#include "stats.h"

#define NAME "www.example.com."
#define A LDNS_RR_TYPE_A
#define N_CLIENTS 24 /* below the waiter cap, SERVER_WAITERS_MAX */
/* turns of the event loop while waiting for the worker's handoffs: a bound, not a timing */
#define TURNS_MAX 200
#define TURN_MS 50

static struct resolve r;

struct udp_client {
	int fd;
	uint16_t id;
};

static uint64_t counter(enum xdpdns_counter id)
{
	uint64_t v[XDPDNS_CTR_COUNT];

	stats_read(&r.s, v);
	return v[id];
}

/* The service's port, chosen by the kernel (port 0). */
static uint16_t service_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(r.s.udp.socks[0].io.fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* Each client, from its own socket, sends a query for name. */
static void ask_all(struct udp_client *c, uint16_t port, const char *name)
{
	static uint16_t next_id = 2000;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t wire[512];
	int i;

	for (i = 0; i < N_CLIENTS; i++) {
		struct query_opts qo = { .id = next_id++, .edns = 1 };
		size_t len = make_query(wire, name, A, &qo);

		c[i].id = qo.id;
		assert_int_equal(sendto(c[i].fd, wire, len, 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)len);
	}
}

/* Turns the event loop (the resolution thread's sockets and the handoff) until counter id has
 * reached want, or TURNS_MAX turns. */
static void serve_until(enum xdpdns_counter id, uint64_t want)
{
	int turns;

	for (turns = 0; turns < TURNS_MAX && counter(id) < want; turns++)
		ev_poll(&r.loop, TURN_MS);
	assert_int_equal(counter(id), want);
}

/* Every client got one answer: to its ID, from the service's port, with 192.0.2.10. */
static void assert_all_answered(struct udp_client *c, uint16_t port)
{
	int i;

	for (i = 0; i < N_CLIENTS; i++) {
		uint8_t buf[1232];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ldns_pkt *p = NULL;
		ssize_t n;

		/* the resolution thread's answers are sent by now; a worker's may be on their way */
		do
			n = recvfrom(c[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		while (n < 0 && errno == EINTR);
		assert_true(n > 0);
		assert_int_equal(ntohs(from.sin_port), port);
		assert_int_equal(ldns_wire2pkt(&p, buf, n), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(p), c[i].id);
		assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
		assert_int_equal(ldns_pkt_ancount(p), 1);
		ldns_pkt_free(p);
	}
}

static void test_two_threads_one_resolution(void **state)
{
	struct udp_client c[N_CLIENTS];
	struct timeval tv = { .tv_sec = 5 }; /* a bound on a lost answer, not a timing */
	const char *rr[] = { NAME " 300 IN A 192.0.2.10", NULL };
	uint16_t port;
	int i;

	resolve_init(&r, 1);
	r.o.threads = 2;
	r.o.port = 0; /* the kernel's choice: runs in parallel never collide */
	resolve_start(&r);
	assert_int_equal(r.s.udp.n_threads, 2);
	assert_int_equal(server_listen(&r.s, "127.0.0.1"), 0);
	assert_int_equal(server_start(&r.s), 0);
	port = service_port();
	for (i = 0; i < N_CLIENTS; i++) {
		c[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(c[i].fd >= 0);
		setsockopt(c[i].fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}

	/* a miss from every client: one upstream query; the others wait on it */
	ask_all(c, port, NAME);
	serve_until(XDPDNS_CTR_MISSES, N_CLIENTS);
	assert_int_equal(counter(XDPDNS_CTR_QUERIES_UDP), N_CLIENTS);
	assert_int_equal(fake_upstream_started(), 1);
	assert_int_equal(counter(XDPDNS_CTR_COALESCED), N_CLIENTS - 1);
	fake_upstream_reply(upstream_query(NAME, A), 0,
			    make_response(NAME, A, LDNS_RCODE_NOERROR, rr, NULL));
	assert_all_answered(c, port);

	/* hits: from the daemon's cache, whichever thread each landed on */
	ask_all(c, port, NAME);
	serve_until(XDPDNS_CTR_FROM_DCACHE, N_CLIENTS);
	assert_all_answered(c, port);
	assert_int_equal(counter(XDPDNS_CTR_QUERIES_UDP), 2 * N_CLIENTS);
	assert_int_equal(counter(XDPDNS_CTR_MISSES), N_CLIENTS);
	assert_int_equal(counter(XDPDNS_CTR_UDP_HANDOFF_DROPPED), 0);
	assert_int_equal(fake_upstream_started(), 1);

	for (i = 0; i < N_CLIENTS; i++)
		close(c[i].fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_two_threads_one_resolution, resolve_teardown),
	};

	return cmocka_run_group_tests_name("udp_threads", tests, NULL, NULL);
}
