// SPDX-License-Identifier: GPL-2.0
/* The daemon's cache keys (dcache.c) for names of every length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "dcache.h"

/* A name of wire length len (a multiple of 2 plus 1 is enough here), labels of one byte: c */
static ldns_rdf *name_of_len(size_t len, char c)
{
	uint8_t wire[XDPDNS_NAME_MAX_LEN];
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		wire[i] = 1;
		wire[i + 1] = c;
	}
	wire[len - 1] = 0;
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, wire);
}

/* Found while writing tests/fuzz: the key's length was a uint8_t, and name + type + flags of a
 * name of 253 bytes and more wrapped it (258 -> 2), so that long names shared keys and
 * dcache_key_question() read past the key. */
static void test_longest_names_keep_their_keys(void **state)
{
	struct dcache c;
	struct dcache_key ka, kb, back;
	ldns_rdf *a = name_of_len(255, 'a'), *b = name_of_len(255, 'b'), *q = NULL;
	static const uint8_t wire_a[] = { 0xaa }, wire_b[] = { 0xbb };
	struct dcache_entry *e;
	ldns_rr_type type;
	uint8_t flags;

	(void)state;
	assert_non_null(a);
	assert_int_equal(dcache_init(&c, 16), 0);
	dcache_key(&ka, a, LDNS_RR_TYPE_A, 1);
	dcache_key(&kb, b, LDNS_RR_TYPE_A, 1);
	assert_int_equal(ka.len, 255 + 3);
	assert_non_null(dcache_put(&c, &ka, wire_a, 1, 0, 60));
	assert_non_null(dcache_put(&c, &kb, wire_b, 1, 0, 60));
	e = dcache_get(&c, &ka);
	assert_non_null(e);
	assert_int_equal(e->data[e->key_len], 0xaa);
	dcache_entry_key(e, &back);
	assert_int_equal(back.len, ka.len);
	dcache_key_question(&back, &q, &type, &flags);
	assert_non_null(q);
	assert_int_equal(ldns_rdf_size(q), 255);
	assert_memory_equal(ldns_rdf_data(q), ldns_rdf_data(a), 255);
	assert_int_equal(type, LDNS_RR_TYPE_A);
	assert_int_equal(flags, 1);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(b);
	dcache_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_names_keep_their_keys),
	};

	return cmocka_run_group_tests_name("dcache", tests, NULL, NULL);
}
