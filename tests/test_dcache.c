// SPDX-License-Identifier: GPL-2.0
/* The daemon's cache (dcache.h): keys for names of every length, generations, so that an
 * answer arriving late never overwrites the answer to a later query, and a keyed hash, so that
 * names crafted to collide (as they are easily against an unseeded FNV) spread over the buckets
 * of the cache and of the guard's table like any others. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "dcache.h"
#include "guard.h"

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

/* FNV-1a, unseeded: what the tables hashed keys with. Anyone can compute it. */
static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define CRAFTED 200
#define CRAFT_BUCKETS 4096 /* the pending table's, and a cache of 4096 entries' */

/* CRAFTED names a client can make offline that share one bucket of a CRAFT_BUCKETS table
 * (and of any smaller power of two) under FNV-1a: about CRAFT_BUCKETS tries each. */
static void craft_fnv_collisions(struct dcache_key *keys)
{
	uint64_t target = 0;
	unsigned int i, n = 0;

	for (i = 0; n < CRAFTED; i++) {
		char name[32];
		uint64_t b;

		snprintf(name, sizeof(name), "c%u.example.", i);
		key_of(&keys[n], name);
		b = fnv1a(keys[n].bytes, keys[n].len) % CRAFT_BUCKETS;
		if (!n)
			target = b;
		if (b == target)
			n++;
	}
}

static size_t deepest(struct dcache_entry *const *buckets, size_t n)
{
	size_t b, most = 0;

	for (b = 0; b < n; b++) {
		const struct dcache_entry *e;
		size_t depth = 0;

		for (e = buckets[b]; e; e = e->next_in_bucket)
			depth++;
		most = depth > most ? depth : most;
	}
	return most;
}

static size_t deepest_guard(const struct guard_table *t)
{
	size_t b, most = 0;

	for (b = 0; b < GUARD_BUCKETS; b++) {
		const struct guard_name *g;
		size_t depth = 0;

		for (g = t->buckets[b]; g; g = g->next)
			depth++;
		most = depth > most ? depth : most;
	}
	return most;
}

/* 200 names in one FNV bucket: with the keyed hash the cache's and the guard's deepest bucket
 * holds a handful (at random, more than 8 is about as likely as 10^-10). */
static void test_crafted_collisions_spread(void **state)
{
	static struct dcache_key keys[CRAFTED];
	static struct guard_table guard;
	static const uint8_t wire[] = { 0 };
	struct dcache c;
	size_t i, cache_depth, guard_depth;
	bool started;

	craft_fnv_collisions(keys);
	assert_int_equal(dcache_init(&c, CRAFT_BUCKETS), 0);
	assert_int_equal(guard_init(&guard), 0);
	assert_int_equal(c.n_buckets, CRAFT_BUCKETS);
	for (i = 0; i < CRAFTED; i++) {
		assert_non_null(dcache_put(&c, &keys[i], wire, sizeof(wire), 0, 60));
		guard_negative(&guard, &keys[i], 0, 1, 2, 0, &started); /* remembered, unguarded */
	}
	assert_int_equal(guard.count, CRAFTED);
	cache_depth = deepest(c.buckets, c.n_buckets);
	guard_depth = deepest_guard(&guard);
	print_message("%d names crafted against FNV-1a: deepest bucket %zu in the cache (%zu "
		      "buckets), %zu in the guard (%d)\n", CRAFTED, cache_depth, c.n_buckets,
		      guard_depth, GUARD_BUCKETS);
	assert_true(cache_depth <= 8);
	assert_true(guard_depth <= 8);
	guard_fini(&guard);
	dcache_fini(&c);
}

/* The index by time (prefetch's): entries come out in the order they are due, only once due, and
 * leave it with the cache (replaced or evicted), so that nothing in it points at freed memory
 * (ASan in make san and the fuzzers would say). */
static void test_check_index(void **state)
{
	static const uint8_t wire[] = { 0x11 };
	struct dcache_entry *e[8], *got;
	struct dcache_key k[8];
	struct dcache c;
	char name[32];
	int i;

	assert_int_equal(dcache_init(&c, 8), 0);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "n%d.example.", i);
		key_of(&k[i], name);
		e[i] = dcache_put(&c, &k[i], wire, sizeof(wire), 1000, 60);
		assert_non_null(e[i]);
	}
	/* due at 800, 700, ..., 100: they come out the other way round */
	for (i = 0; i < 8; i++)
		assert_int_equal(dcache_check_at(&c, e[i], 800 - 100 * i), 0);
	assert_int_equal(dcache_check_at(&c, e[0], 50), 0); /* moved to first */
	assert_ptr_equal(dcache_check_due(&c, 60), e[0]);
	assert_null(dcache_check_due(&c, 60));
	assert_ptr_equal(dcache_check_due(&c, 100), e[7]);
	/* replaced: the old entry leaves the index, the new one is not in it */
	assert_non_null(dcache_put(&c, &k[6], wire, sizeof(wire), 1000, 60));
	/* evicted (the oldest: e[0], then e[1]): gone from the index too */
	assert_non_null(dcache_put(&c, &k[7], wire, sizeof(wire), 1000, 60));
	key_of(&k[0], "new.example.");
	assert_non_null(dcache_put(&c, &k[0], wire, sizeof(wire), 1000, 60));
	key_of(&k[1], "newer.example.");
	assert_non_null(dcache_put(&c, &k[1], wire, sizeof(wire), 1000, 60));
	for (i = 5; i >= 2; i--) {
		got = dcache_check_due(&c, 10000);
		assert_ptr_equal(got, e[i]);
	}
	assert_null(dcache_check_due(&c, 10000));
	assert_int_equal(c.n_due, 0);
	dcache_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_names_keep_their_keys),
		cmocka_unit_test(test_older_answer_discarded),
		cmocka_unit_test(test_crafted_collisions_spread),
		cmocka_unit_test(test_check_index),
	};

	return cmocka_run_group_tests_name("dcache", tests, NULL, NULL);
}
