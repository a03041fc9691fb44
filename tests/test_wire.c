// SPDX-License-Identifier: GPL-2.0
/* Messages from the network before ldns parses them (wire.h): what ldns would leak or take
 * wrongly is refused, the rest parsed as ldns does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "wire.h"

/* a query for ". A" with n records in additional, each of type types[i], root owner, no rdata */
static size_t message(uint8_t *buf, const uint16_t *types, int n)
{
	static const uint8_t head[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					0, 0, 1, 0, 1 };
	size_t len = sizeof(head);
	int i;

	memcpy(buf, head, len);
	buf[11] = n;
	for (i = 0; i < n; i++) {
		static const uint8_t rr[] = { 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0 };

		memcpy(buf + len, rr, sizeof(rr));
		buf[len + 1] = types[i] >> 8;
		buf[len + 2] = types[i] & 0xff;
		len += sizeof(rr);
	}
	return len;
}

/* ldns 1.8.3 keeps the last TSIG and leaks the others (tests/fuzz found it: 73 bytes a query) */
static void test_two_tsig_refused(void **state)
{
	static const uint16_t types[] = { 250, 250 };
	uint8_t buf[128];
	size_t len = message(buf, types, 2);
	ldns_pkt *p = (ldns_pkt *)1;

	(void)state;
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_null(p);
}

static void test_tsig_not_last_refused(void **state)
{
	static const uint16_t types[] = { 250, 1 };
	uint8_t buf[128];
	size_t len = message(buf, types, 2);
	ldns_pkt *p;

	(void)state;
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_null(p);
}

static void test_one_tsig_last_parsed(void **state)
{
	static const uint16_t types[] = { 1, 250 };
	uint8_t buf[128];
	size_t len = message(buf, types, 2);
	ldns_pkt *p;

	(void)state;
	assert_int_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	assert_non_null(p);
	assert_non_null(ldns_pkt_tsig(p));
	ldns_pkt_free(p);
}

static void test_short_and_overrun_refused(void **state)
{
	static const uint16_t types[] = { 1 };
	uint8_t buf[128];
	size_t len = message(buf, types, 1);
	ldns_pkt *p;

	(void)state;
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, 11), LDNS_STATUS_OK);
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len - 1), LDNS_STATUS_OK);
	buf[len - 1] = 4; /* rdlength past the end */
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	buf[12] = 0x80; /* a label type that does not exist */
	assert_int_not_equal(xdpdns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_tsig_refused),
		cmocka_unit_test(test_tsig_not_last_refused),
		cmocka_unit_test(test_one_tsig_last_parsed),
		cmocka_unit_test(test_short_and_overrun_refused),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
