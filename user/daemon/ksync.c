// SPDX-License-Identifier: GPL-2.0
/* The daemon and the kernel's cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "cache_entry.h"
#include "ksync.h"
#include "log.h"
#include "server.h"

void ksync_fill(struct server *s, const ldns_pkt *a, uint8_t key_flags, uint32_t ttl,
		struct dcache_entry *e)
{
	struct xdpdns_entry_meta meta = {
		.hash_seed = s->hash_seed,
		.stored_ns = xdpdns_boottime_ns(),
		.ttl_sec = ttl,
		.key_flags = key_flags,
	};
	struct xdpdns_entry_buf *b = malloc(sizeof(*b));
	int err = b ? xdpdns_entry_build(a, &meta, b) : -ENOMEM;
	uint64_t evicted = s->maps->evicted;

	if (!err)
		err = xdpdns_cache_put(s->maps, b);
	if (s->maps->evicted != evicted) /* this put made room */
		xdpdns_log_event(XDPDNS_LOG_WARN, "kernel_map_full", "class", xdpdns_class_name(b->cls),
				 "kernel cache class %s full: evicting least recently used entries "
				 "(%llu evicted so far; see cache-entries)", xdpdns_class_name(b->cls),
				 (unsigned long long)s->maps->evicted);
	s->stats.kernel_evictions = s->maps->evicted; /* the writer's count, for stats */
	if (err) {
		s->stats.kernel_fill_skipped++; /* too big, too many records...: daemon only */
		if (err != -E2BIG && err != -EINVAL)
			xdpdns_log_event(XDPDNS_LOG_WARN, "kernel_store_failed", NULL, NULL,
					 "can't store an answer in the kernel cache: %s",
					 strerror(-err));
	} else {
		s->stats.kernel_fills++;
		if (e) {
			e->in_kernel = true;
			e->kernel_key = b->key;
			e->kernel_class = b->cls;
		}
	}
	free(b);
}

uint32_t ksync_hits(struct server *s, const struct dcache_entry *e)
{
	static uint8_t value[XDPDNS_CLASS_L_VALUE_LEN] __attribute__((aligned(8)));

	if (!e->in_kernel ||
	    bpf_map_lookup_elem(s->maps->cache[e->kernel_class], &e->kernel_key, value))
		return 0;
	return ((struct xdpdns_cache_entry *)value)->hits;
}

struct import {
	struct server *srv;
	uint64_t now_boot_ns, now_ms;
	size_t count;
};

static int import_entry(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
			enum xdpdns_cache_class cls, void *arg)
{
	struct import *im = arg;
	uint8_t wire[XDPDNS_ENTRY_WIRE_MAX_LEN];
	int64_t age_ns = (int64_t)(im->now_boot_ns - e->stored_ns); /* as the kernel ages it */
	int len = xdpdns_entry_answer(e, key, wire, sizeof(wire));
	struct dcache_entry *d;
	struct dcache_key k;
	ldns_rdf *qname;

	if (len < 0)
		return 0; /* not an entry the daemon stores */
	qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, key->name_len, e->data + e->body_len);
	if (!qname)
		return -ENOMEM;
	dcache_key(&k, qname, key->qtype, key->flags);
	ldns_rdf_deep_free(qname);
	/* the same age on the daemon's clock (modulo 2^64 too: it may be older than the boot) */
	d = dcache_put(&im->srv->cache, &k, wire, len,
		       im->now_ms - (age_ns > 0 ? (uint64_t)age_ns / 1000000 : 0), e->ttl_sec);
	if (!d)
		return -ENOMEM;
	d->in_kernel = true; /* for prefetch: its hits are counted there */
	d->kernel_key = *key;
	d->kernel_class = cls;
	refresh_stored(im->srv, d);
	im->count++;
	return 0;
}

int server_import_kernel(struct server *s)
{
	struct import im = { .srv = s, .now_boot_ns = xdpdns_boottime_ns(), .now_ms = ev_now_ms() };
	int err = xdpdns_cache_for_each(s->maps, import_entry, &im, NULL);

	if (err)
		log_warn("can't copy the kernel's cache into the daemon's: %s", strerror(-err));
	else if (im.count)
		log_info("the daemon's cache starts with the kernel's %zu entries%s", im.count,
			 im.count > s->cache.max_count ? ", more than it holds: some left out" :
							 "");
	return err;
}
