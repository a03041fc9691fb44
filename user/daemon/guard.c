// SPDX-License-Identifier: GPL-2.0
/* The last-known-good guard and healing negatives. */
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "guard.h"
#include "upstream.h"

static struct guard_name **slot(struct guard_table *t, const struct dcache_key *k)
{
	struct guard_name **g = &t->buckets[dcache_key_hash(&t->key, k) % GUARD_BUCKETS];

	while (*g && ((*g)->key.len != k->len || memcmp((*g)->key.bytes, k->bytes, k->len)))
		g = &(*g)->next;
	return g;
}

int guard_init(struct guard_table *t)
{
	return xdpdns_siphash_key_new(&t->key);
}

struct guard_name *guard_find(struct guard_table *t, const struct dcache_key *k)
{
	return *slot(t, k);
}

static unsigned int popcount(uint32_t v)
{
	return __builtin_popcount(v);
}

enum guard_verdict guard_negative(struct guard_table *t, const struct dcache_key *k, int server,
				  uint64_t positive_ms, uint64_t now, uint32_t window_ms,
				  bool *started)
{
	struct guard_name **s = slot(t, k), *g = *s;

	*started = false;
	if (!g) {
		if (t->count >= GUARD_NAMES_MAX || !(g = calloc(1, sizeof(*g))))
			return GUARD_ACCEPT_UNGUARDED;
		g->key = *k;
		*s = g;
		t->count++;
	}
	if (positive_ms > g->positive_ms)
		g->positive_ms = positive_ms;
	if (!window_ms)
		return GUARD_ACCEPT_UNGUARDED;
	if (!g->since_ms) {
		g->since_ms = now;
		g->negative_from = 1U << server;
		g->backoff_ms = GUARD_RECHECK_FIRST_MS;
		g->recheck_ms = now + g->backoff_ms;
		*started = true;
		return GUARD_KEEP_OLD;
	}
	g->negative_from |= 1U << server;
	if (popcount(g->negative_from) >= 2) {
		g->since_ms = 0;
		return GUARD_ACCEPT_CONFIRMED;
	}
	if (now - g->since_ms >= window_ms) {
		g->since_ms = 0;
		return GUARD_ACCEPT_WINDOW;
	}
	return GUARD_KEEP_OLD;
}

bool guard_positive(struct guard_table *t, const struct dcache_key *k, uint64_t now)
{
	struct guard_name *g = guard_find(t, k);
	bool was_guarding;

	if (!g)
		return false; /* names are remembered only after they turned negative */
	was_guarding = g->since_ms != 0;
	g->since_ms = 0;
	g->positive_ms = now;
	return was_guarding;
}

bool guard_recently_positive(struct guard_table *t, const struct dcache_key *k, uint64_t now)
{
	struct guard_name *g = guard_find(t, k);

	return g && g->positive_ms && now - g->positive_ms < GUARD_MEMORY_MS;
}

void guard_recheck_due(struct guard_table *t, uint64_t now, guard_due_fn fn, void *ctx)
{
	size_t b;

	for (b = 0; b < GUARD_BUCKETS; b++) {
		struct guard_name *g;

		for (g = t->buckets[b]; g; g = g->next) {
			if (!g->since_ms || now < g->recheck_ms)
				continue;
			g->recheck_ms = now + ev_jittered_ms(g->backoff_ms);
			g->backoff_ms = g->backoff_ms * 2 > GUARD_RECHECK_MAX_MS ? GUARD_RECHECK_MAX_MS
									   : g->backoff_ms * 2;
			fn(g, ctx);
		}
	}
}

void guard_servers_moved(struct guard_table *t, const int moved[XDPDNS_UPSTREAMS_MAX])
{
	struct guard_name *g;
	size_t b;

	for (b = 0; b < GUARD_BUCKETS; b++)
		for (g = t->buckets[b]; g; g = g->next)
			g->negative_from = upstream_bits_moved(g->negative_from, moved);
}

void guard_expire(struct guard_table *t, uint64_t now)
{
	size_t b;

	for (b = 0; b < GUARD_BUCKETS; b++) {
		struct guard_name **g = &t->buckets[b];

		while (*g) {
			struct guard_name *old = *g;

			if (!old->since_ms && now - old->positive_ms >= GUARD_MEMORY_MS) {
				*g = old->next;
				free(old);
				t->count--;
			} else {
				g = &old->next;
			}
		}
	}
}

void guard_fini(struct guard_table *t)
{
	size_t b;

	for (b = 0; b < GUARD_BUCKETS; b++)
		while (t->buckets[b]) {
			struct guard_name *g = t->buckets[b];

			t->buckets[b] = g->next;
			free(g);
		}
	t->count = 0;
}
