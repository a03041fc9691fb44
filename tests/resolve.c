// SPDX-License-Identifier: GPL-2.0
/* The in-process harness for the daemon's resolution. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "resolve.h"

void resolve_init(struct resolve *r, int n_upstreams)
{
	const char *addrs[] = { UPSTREAM1, UPSTREAM2 };
	int i;

	memset(r, 0, sizeof(*r));
	fake_clock_set_ms(FAKE_CLOCK_START_MS);
	xdpdns_log_init("test", XDPDNS_LOG_ERROR);
	xdpdns_options_defaults(&r->o);
	snprintf(r->o.iface, sizeof(r->o.iface), "test0");
	for (i = 0; i < n_upstreams; i++)
		assert_int_equal(xdpdns_sockaddr_parse(addrs[i], &r->o.upstreams[i]), 0);
	r->o.n_upstreams = n_upstreams;
}

static struct resolve *running;

void resolve_start(struct resolve *r)
{
	assert_int_equal(ev_init(&r->loop), 0);
	assert_int_equal(harness_open(&r->h), 0);
	assert_int_equal(server_init(&r->s, &r->loop, &r->o, &r->h.maps, r->h.cfg.hash_seed), 0);
	r->started = true;
	running = r;
	assert_int_equal(fake_upstream_count(), 0);
}

int resolve_teardown(void **state)
{
	struct resolve *r = running;

	(void)state;
	running = NULL;
	if (!r || !r->started)
		return 0;
	server_fini(&r->s);
	harness_close(&r->h);
	ev_fini(&r->loop);
	r->started = false;
	return fake_upstream_count() ? -1 : 0;
}

void resolve_wait(struct resolve *r, uint64_t ms)
{
	fake_clock_advance(&r->loop, ms);
}

static void on_reply(const struct server_client *sc, const uint8_t *wire, size_t len)
{
	struct client *c = sc->ctx;

	c->replies++;
	c->at_ms = ev_now_ms();
	ldns_pkt_free(c->answer);
	c->answer = NULL;
	assert_int_equal(ldns_wire2pkt(&c->answer, wire, len), LDNS_STATUS_OK);
}

void ask(struct resolve *r, struct client *c, const char *name, ldns_rr_type type)
{
	static uint16_t next_id = 1000;
	struct query_opts qo = { .id = next_id++, .edns = 1 };
	struct server_client sc = { .reply = on_reply, .ctx = c };
	uint8_t wire[512];
	size_t len;

	client_free(c);
	c->id = qo.id;
	len = make_query(wire, name, type, &qo);
	assert_true(len > 0);
	server_query(&r->s, wire, len, &sc);
}

void client_free(struct client *c)
{
	ldns_pkt_free(c->answer);
	memset(c, 0, sizeof(*c));
}

ldns_pkt *positive(const char *name, ldns_rr_type type, const char *rr)
{
	const char *const answer[] = { rr, NULL };
	ldns_pkt *p = make_response(name, type, LDNS_RCODE_NOERROR, answer, NULL);

	assert_non_null(p);
	return p;
}

ldns_pkt *negative(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode, uint32_t soa_ttl)
{
	char soa[200];
	const char *const authority[] = { soa, NULL };
	ldns_pkt *p;

	snprintf(soa, sizeof(soa), "example.com. %u IN SOA ns.example.com. host.example.com. "
		 "1 7200 3600 1209600 %u", soa_ttl, soa_ttl);
	p = make_response(name, type, rcode, NULL, authority);
	assert_non_null(p);
	return p;
}

void assert_answered_at(const struct client *c, ldns_pkt_rcode rcode, const char *file, int line)
{
	_assert_int_equal(c->replies, 1, file, line);
	_assert_int_equal(ldns_pkt_id(c->answer), c->id, file, line);
	_assert_int_equal(ldns_pkt_get_rcode(c->answer), rcode, file, line);
}

const char *answer_rdata(const struct client *c)
{
	static char text[256];
	const ldns_rr *rr = c->answer ? ldns_rr_list_rr(ldns_pkt_answer(c->answer), 0) : NULL;
	char *s = rr ? ldns_rdf2str(ldns_rr_rdf(rr, 0)) : NULL;

	snprintf(text, sizeof(text), "%s", s ? s : "");
	free(s);
	return text;
}

uint32_t answer_ttl(const struct client *c)
{
	const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(c->answer), 0);

	assert_non_null(rr);
	return ldns_rr_ttl(rr);
}

uint32_t soa_ttl(const struct client *c)
{
	const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_authority(c->answer), 0);

	assert_non_null(rr);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_SOA);
	return ldns_rr_ttl(rr);
}

struct upstream_query *upstream_query(const char *name, ldns_rr_type type)
{
	struct upstream_query *q = fake_upstream_find(name, type);

	if (!q)
		fail_msg("no upstream query for %s type %d in flight", name, type);
	return q;
}

struct upstream_query *wait_for_query(struct resolve *r, const char *name, ldns_rr_type type,
				      uint64_t step_ms, uint64_t max_ms)
{
	uint64_t waited;

	for (waited = 0; waited <= max_ms; waited += step_ms) {
		struct upstream_query *q = fake_upstream_find(name, type);

		if (q)
			return q;
		resolve_wait(r, step_ms);
	}
	return NULL;
}
