// SPDX-License-Identifier: GPL-2.0
/* The daemon's replies to queries it refuses (server_query(), the path both listeners take):
 * FORMERR, NOTIMP and BADVERS keep the query's ID, RD and CD, say RA, and echo the question
 * where there is exactly one that parses (RFC 1035 4.1.1, RFC 6891 7, RFC 6840 5.9). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "log.h"
#include "server.h"

static struct ev_loop L;
static struct xdpdns_options O;
static struct server S;

static struct {
	uint8_t wire[4096];
	size_t len;
	int count;
} R;

static void on_reply(const struct server_client *c, const uint8_t *wire, size_t len)
{
	(void)c;
	R.count++;
	R.len = len < sizeof(R.wire) ? len : sizeof(R.wire);
	memcpy(R.wire, wire, R.len);
}

static int setup(void **state)
{
	xdpdns_log_init("test_query_errors", XDPDNS_LOG_ERROR);
	xdpdns_options_defaults(&O);
	return ev_init(&L) || server_init(&S, &L, &O, NULL, 42);
}

static int teardown(void **state)
{
	server_fini(&S);
	ev_fini(&L);
	return 0;
}

/* A query for name (case kept) A, ID 0x1234, with RD and CD; edns_version < 0: no OPT. Its wire
 * form in wire; returns the length. */
static size_t query(uint8_t *wire, const char *name, ldns_pkt_opcode opcode, int edns_version)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
					 LDNS_RR_CLASS_IN, LDNS_RD | LDNS_CD);
	uint8_t *out = NULL;
	size_t len;

	assert_non_null(p);
	ldns_pkt_set_id(p, 0x1234);
	ldns_pkt_set_opcode(p, opcode);
	if (edns_version >= 0) {
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_version(p, edns_version);
	}
	assert_int_equal(ldns_pkt2wire(&out, p, &len), LDNS_STATUS_OK);
	memcpy(wire, out, len);
	free(out);
	ldns_pkt_free(p);
	return len;
}

/* Sends wire to the server; returns the one reply, parsed, with ID, QR, RD, CD and RA checked. */
static ldns_pkt *ask(const uint8_t *wire, size_t len)
{
	ldns_pkt *r = NULL;

	R.count = 0;
	server_query(&S, wire, len, &(struct server_client){ .reply = on_reply });
	assert_int_equal(R.count, 1);
	assert_int_equal(ldns_wire2pkt(&r, R.wire, R.len), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(r), 0x1234);
	assert_true(ldns_pkt_qr(r));
	assert_true(ldns_pkt_rd(r));
	assert_true(ldns_pkt_cd(r));
	assert_true(ldns_pkt_ra(r));
	return r;
}

/* r's question is name A IN, byte for byte (case too) */
static void assert_question(const ldns_pkt *r, const char *name)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(r), 0);
	ldns_rdf *want = ldns_dname_new_frm_str(name);

	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_non_null(q);
	assert_int_equal(ldns_rdf_size(ldns_rr_owner(q)), ldns_rdf_size(want));
	assert_memory_equal(ldns_rdf_data(ldns_rr_owner(q)), ldns_rdf_data(want),
			    ldns_rdf_size(want));
	assert_int_equal(ldns_rr_get_type(q), LDNS_RR_TYPE_A);
	assert_int_equal(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);
	ldns_rdf_deep_free(want);
}

/* RFC 6891 6.1.3: an EDNS version we do not speak gets BADVERS (extended rcode 1, rcode 0),
 * with our OPT at version 0 */
static void test_badvers(void **state)
{
	uint8_t wire[512];
	size_t len = query(wire, "WwW.Example.COM.", LDNS_PACKET_QUERY, 1);
	ldns_pkt *r = ask(wire, len);

	assert_int_equal(ldns_pkt_get_rcode(r), 0);
	assert_true(ldns_pkt_edns(r));
	assert_int_equal(ldns_pkt_edns_extended_rcode(r), 1);
	assert_int_equal(ldns_pkt_edns_version(r), 0);
	assert_question(r, "WwW.Example.COM.");
	ldns_pkt_free(r);
}

static void test_notimp(void **state)
{
	uint8_t wire[512];
	size_t len = query(wire, "example.com.", LDNS_PACKET_NOTIFY, -1);
	ldns_pkt *r = ask(wire, len);

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
	assert_int_equal(ldns_pkt_get_opcode(r), LDNS_PACKET_NOTIFY);
	assert_question(r, "example.com.");
	ldns_pkt_free(r);
}

/* FORMERR with the question: two OPT records (RFC 6891 6.1.1), and a message whose question
 * parses but whose counts promise a record that is not there */
static void test_formerr_keeps_the_question(void **state)
{
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	uint8_t wire[512];
	size_t len = query(wire, "two.opt.example.", LDNS_PACKET_QUERY, 0);
	ldns_pkt *r;

	memcpy(wire + len, opt, sizeof(opt));
	wire[11]++; /* ARCOUNT 2 */
	r = ask(wire, len + sizeof(opt));
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	assert_question(r, "two.opt.example.");
	ldns_pkt_free(r);

	len = query(wire, "Short.Example.", LDNS_PACKET_QUERY, -1);
	wire[7] = 1; /* ANCOUNT 1, and nothing after the question */
	r = ask(wire, len);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	assert_question(r, "Short.Example.");
	ldns_pkt_free(r);
}

/* FORMERR without a question where there is not exactly one that parses */
static void test_formerr_without_a_question(void **state)
{
	uint8_t wire[512];
	size_t len = query(wire, "example.com.", LDNS_PACKET_QUERY, -1);
	ldns_pkt *r;

	wire[5] = 0; /* QDCOUNT 0 */
	r = ask(wire, len);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_qdcount(r), 0);
	ldns_pkt_free(r);

	len = query(wire, "example.com.", LDNS_PACKET_QUERY, -1);
	wire[5] = 2; /* QDCOUNT 2, one question */
	r = ask(wire, len);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_qdcount(r), 0);
	ldns_pkt_free(r);

	len = query(wire, "example.com.", LDNS_PACKET_QUERY, -1);
	r = ask(wire, 12 + 5); /* the question cut in its name */
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	assert_int_equal(ldns_pkt_qdcount(r), 0);
	ldns_pkt_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_notimp),
		cmocka_unit_test(test_formerr_keeps_the_question),
		cmocka_unit_test(test_formerr_without_a_question),
	};

	return cmocka_run_group_tests_name("query_errors", tests, setup, teardown);
}
