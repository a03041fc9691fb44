// SPDX-License-Identifier: GPL-2.0
/* The daemon's cache (dcache.h): generations, so that an answer arriving late never overwrites
 * the answer to a later query. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "dcache.h"

static void key_of(struct dcache_key *k, const char *name)
{
	ldns_rdf *qname = ldns_dname_new_frm_str(name);

	dcache_key(k, qname, LDNS_RR_TYPE_A, 0);
	ldns_rdf_deep_free(qname);
}

/* Resolution 1 is sent, times out at the client's patience, resolution 2 is sent and answered;
 * then 1's answer comes: refused, 2's stays. A later resolution replaces it. */
static void test_older_answer_discarded(void **state)
{
	const uint8_t newer[] = "newer", older[] = "older", latest[] = "latest";
	struct dcache_entry *e = NULL;
	struct dcache_key k;
	struct dcache c;

	assert_int_equal(dcache_init(&c, 16), 0);
	key_of(&k, "www.example.com.");
	assert_int_equal(dcache_store(&c, &k, newer, sizeof(newer), 1000, 60, 2, &e), 0);
	assert_non_null(e);
	assert_int_equal(dcache_store(&c, &k, older, sizeof(older), 1100, 60, 1, &e), -ESTALE);
	e = dcache_get(&c, &k);
	assert_int_equal(e->gen, 2);
	assert_memory_equal(e->data + e->key_len, newer, sizeof(newer));
	assert_int_equal(e->stored_ms, 1000);
	/* a SERVFAIL of an older resolution neither */
	assert_int_equal(dcache_store(&c, &k, NULL, 0, 1200, 5, 1, NULL), -ESTALE);
	assert_int_equal(dcache_get(&c, &k)->wire_len, sizeof(newer));
	/* the same or a later one does */
	assert_int_equal(dcache_store(&c, &k, latest, sizeof(latest), 1300, 60, 3, &e), 0);
	assert_memory_equal(e->data + e->key_len, latest, sizeof(latest));
	/* entries imported from the kernel have generation 0: any answer replaces them */
	key_of(&k, "imported.example.com.");
	assert_non_null(dcache_put(&c, &k, older, sizeof(older), 1000, 60));
	assert_int_equal(dcache_store(&c, &k, newer, sizeof(newer), 1000, 60, 1, NULL), 0);
	dcache_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_older_answer_discarded),
	};

	return cmocka_run_group_tests_name("dcache", tests, NULL, NULL);
}
