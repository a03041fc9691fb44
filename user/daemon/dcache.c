// SPDX-License-Identifier: GPL-2.0
/* The daemon's own cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dcache.h"

int dcache_init(struct dcache *c, size_t max_count)
{
	int err;

	int i;

	memset(c, 0, sizeof(*c));
	err = xdpdns_siphash_key_new(&c->key);
	if (err)
		return err;
	for (i = 0; i < DCACHE_LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	c->n_buckets = 1;
	while (c->n_buckets < max_count) /* load factor <= 1 */
		c->n_buckets <<= 1;
	c->buckets = calloc(c->n_buckets, sizeof(*c->buckets));
	c->max_count = max_count;
	return c->buckets ? 0 : -ENOMEM;
}

/* ---- the index by check_ms: due[i] is at slot i + 1, the earliest first ---- */

static void due_set(struct dcache *c, size_t i, struct dcache_entry *e)
{
	c->due[i] = e;
	e->check_slot = i + 1;
}

static void due_up(struct dcache *c, size_t i)
{
	struct dcache_entry *e = c->due[i];

	while (i > 0 && c->due[(i - 1) / 2]->check_ms > e->check_ms) {
		due_set(c, i, c->due[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	due_set(c, i, e);
}

static void due_down(struct dcache *c, size_t i)
{
	struct dcache_entry *e = c->due[i];

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= c->n_due)
			break;
		if (k + 1 < c->n_due && c->due[k + 1]->check_ms < c->due[k]->check_ms)
			k++;
		if (c->due[k]->check_ms >= e->check_ms)
			break;
		due_set(c, i, c->due[k]);
		i = k;
	}
	due_set(c, i, e);
}

static void due_remove(struct dcache *c, struct dcache_entry *e)
{
	size_t i;

	if (!e->check_slot)
		return;
	i = e->check_slot - 1;
	e->check_slot = 0;
	if (i == --c->n_due)
		return;
	due_set(c, i, c->due[c->n_due]); /* the last fills the hole, then moves as it must */
	if (i > 0 && c->due[(i - 1) / 2]->check_ms > c->due[i]->check_ms)
		due_up(c, i);
	else
		due_down(c, i);
}

int dcache_check_at(struct dcache *c, struct dcache_entry *e, uint64_t when_ms)
{
	due_remove(c, e);
	if (c->n_due == c->cap_due) {
		size_t cap = c->cap_due ? 2 * c->cap_due : 1024;
		struct dcache_entry **due = realloc(c->due, cap * sizeof(*due));

		if (!due)
			return -ENOMEM;
		c->due = due;
		c->cap_due = cap;
	}
	e->check_ms = when_ms;
	due_set(c, c->n_due, e);
	due_up(c, c->n_due++);
	return 0;
}

struct dcache_entry *dcache_check_due(struct dcache *c, uint64_t now_ms)
{
	struct dcache_entry *e = c->n_due ? c->due[0] : NULL;

	if (!e || e->check_ms > now_ms)
		return NULL;
	due_remove(c, e);
	return e;
}

/* ---- the cache ---- */

static void free_entry(struct dcache_entry *e)
{
	free(e);
}

void dcache_fini(struct dcache *c)
{
	struct dcache_entry *e = c->oldest, *next;
	int i;

	for (; e; e = next) {
		next = e->newer;
		free_entry(e);
	}
	free(c->buckets);
	free(c->due);
	if (c->n_buckets) /* initialised */
		for (i = 0; i < DCACHE_LOCKS; i++)
			pthread_mutex_destroy(&c->locks[i]);
	memset(c, 0, sizeof(*c));
}

void dcache_key(struct dcache_key *k, const ldns_rdf *qname, ldns_rr_type qtype, uint8_t flags)
{
	dcache_key_wire(k, ldns_rdf_data(qname), ldns_rdf_size(qname), qtype, flags);
}

void dcache_key_wire(struct dcache_key *k, const uint8_t *name, size_t n, uint16_t qtype,
		     uint8_t flags)
{
	size_t i;

	if (n > XDPDNS_NAME_MAX_LEN)
		n = XDPDNS_NAME_MAX_LEN;
	for (i = 0; i < n; i++) /* length bytes are <= 63: never changed by this */
		k->bytes[i] = name[i] >= 'A' && name[i] <= 'Z' ? name[i] | 0x20 : name[i];
	k->bytes[n] = qtype >> 8;
	k->bytes[n + 1] = qtype & 0xff;
	k->bytes[n + 2] = flags;
	k->len = n + 3;
}

uint64_t dcache_key_hash(const struct xdpdns_siphash_key *key, const struct dcache_key *k)
{
	return xdpdns_siphash(key, k->bytes, k->len);
}

static size_t bucket_of(const struct dcache *c, const uint8_t *key, size_t len)
{
	return xdpdns_siphash(&c->key, key, len) & (c->n_buckets - 1);
}

static struct dcache_entry **slot_in(struct dcache *c, size_t bucket, const uint8_t *key,
				     size_t len)
{
	struct dcache_entry **p = &c->buckets[bucket];

	while (*p && ((*p)->key_len != len || memcmp((*p)->data, key, len)))
		p = &(*p)->next_in_bucket;
	return p;
}

struct dcache_entry *dcache_get(struct dcache *c, const struct dcache_key *k)
{
	return *slot_in(c, bucket_of(c, k->bytes, k->len), k->bytes, k->len);
}

size_t dcache_bucket(const struct dcache *c, const struct dcache_key *k)
{
	return bucket_of(c, k->bytes, k->len);
}

struct dcache_entry *dcache_get_bucket(struct dcache *c, const struct dcache_key *k, size_t bucket)
{
	return *slot_in(c, bucket, k->bytes, k->len);
}

/* Takes e out of the cache; readers can't reach it once its bucket's lock is released. */
static void unlink_entry(struct dcache *c, struct dcache_entry *e)
{
	struct dcache_entry **p = slot_in(c, e->bucket, e->data, e->key_len);

	due_remove(c, e);
	dcache_lock(c, e->bucket);
	*p = e->next_in_bucket;
	dcache_unlock(c, e->bucket);
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
}

/* Where e's TTL offsets are: after its answer, 2-byte aligned. */
static size_t ttls_at(size_t key_len, size_t wire_len)
{
	return (key_len + wire_len + 1) & ~(size_t)1;
}

void dcache_answer_index(const struct dcache_entry *e, struct xdpdns_answer_index *ix)
{
	ix->body_off = e->body_off;
	ix->ttl_count = e->ttl_count;
	memcpy(ix->ttl_off, e->data + ttls_at(e->key_len, e->wire_len),
	       e->ttl_count * sizeof(ix->ttl_off[0]));
}

struct dcache_entry *dcache_put(struct dcache *c, const struct dcache_key *k, const uint8_t *wire,
				size_t len, uint64_t now_ms, uint32_t ttl_sec)
{
	struct dcache_entry *e = dcache_get(c, k);
	struct xdpdns_answer_index ix;
	bool indexed = len && !xdpdns_answer_index(wire, len, &ix);
	size_t b, size = ttls_at(k->len, len) + (indexed ? ix.ttl_count * sizeof(ix.ttl_off[0]) : 0);

	if (len > UINT16_MAX)
		return NULL;
	if (e) {
		unlink_entry(c, e);
		free_entry(e);
	}
	while (c->count >= c->max_count && c->oldest) {
		e = c->oldest;
		unlink_entry(c, e);
		free_entry(e);
	}
	e = calloc(1, sizeof(*e) + size);
	if (!e)
		return NULL;
	memcpy(e->data, k->bytes, k->len);
	if (len)
		memcpy(e->data + k->len, wire, len);
	if (indexed) {
		e->indexed = true;
		e->body_off = ix.body_off;
		e->ttl_count = ix.ttl_count;
		memcpy(e->data + ttls_at(k->len, len), ix.ttl_off,
		       ix.ttl_count * sizeof(ix.ttl_off[0]));
	}
	e->key_len = k->len;
	e->wire_len = len;
	e->stored_ms = now_ms;
	e->ttl_sec = ttl_sec;
	b = bucket_of(c, k->bytes, k->len);
	e->bucket = b;
	e->next_in_bucket = c->buckets[b];
	dcache_lock(c, b); /* published: every field above is set */
	c->buckets[b] = e;
	dcache_unlock(c, b);
	e->older = c->newest;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
	return e;
}

int dcache_store(struct dcache *c, const struct dcache_key *k, const uint8_t *wire, size_t len,
		 uint64_t now_ms, uint32_t ttl_sec, uint64_t gen, struct dcache_entry **out)
{
	struct dcache_entry *e = dcache_get(c, k);

	if (e && e->gen > gen)
		return -ESTALE;
	e = dcache_put(c, k, wire, len, now_ms, ttl_sec);
	if (!e)
		return -ENOMEM;
	e->gen = gen;
	if (out)
		*out = e;
	return 0;
}

ldns_pkt *dcache_answer(const struct dcache_entry *e)
{
	ldns_pkt *p = NULL;

	if (!e->wire_len ||
	    ldns_wire2pkt(&p, e->data + e->key_len, e->wire_len) != LDNS_STATUS_OK)
		return NULL;
	return p;
}

void dcache_key_question(const struct dcache_key *k, ldns_rdf **qname, ldns_rr_type *qtype,
			 uint8_t *flags)
{
	size_t name_len = k->len - 3;

	*qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, name_len, k->bytes);
	*qtype = (ldns_rr_type)(k->bytes[name_len] << 8 | k->bytes[name_len + 1]);
	*flags = k->bytes[name_len + 2];
}

void dcache_entry_key(const struct dcache_entry *e, struct dcache_key *k)
{
	k->len = e->key_len;
	memcpy(k->bytes, e->data, e->key_len);
}
