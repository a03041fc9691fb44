/* SPDX-License-Identifier: GPL-2.0 */
/* Prometheus metrics: the daemon serves its counters, the kernel's summed over CPUs, and the
 * upstreams' latency histograms in the text exposition format (version 0.0.4) over HTTP, at
 * GET /metrics on metrics-listen (127.0.0.1:9153 by default), from its event loop. The HTTP is
 * the least a scraper needs: one request per connection, answered and closed. */
#ifndef XDPDNS_METRICS_H
#define XDPDNS_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "event.h"
#include "xdpdns_kern_user.h"

#define XDPDNS_METRICS_DEFAULT_PORT 9153 /* as CoreDNS's: the port DNS caches' metrics use */
#define XDPDNS_METRICS_DEFAULT_LISTEN "127.0.0.1:9153"
#define METRICS_CONNS_MAX 4          /* scrapes served at once; more are closed at accept */
#define METRICS_REQUEST_MAX_LEN 2048 /* request line and headers; a bigger request gets 431 */
#define METRICS_CONN_MS 5000         /* a connection is closed this long after accept, done or
				      * not: a slow client holds a slot no longer */
/* Counting the kernel's entries walks its maps' keys (0.7 s for a million, measured on a
 * 2-core VM): done again only when the last count is older than this, so that frequent
 * scrapes do not stall the loop. */
#define METRICS_KERNEL_COUNT_MS 10000

/* Upper bounds of the upstream latency buckets, in ns; the last bucket (+Inf) is implicit. */
#define XDPDNS_LATENCY_BUCKETS_NS                                                            \
	500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,          \
		250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000
#define XDPDNS_LATENCY_BUCKETS 14

/* A latency histogram: counts per bucket (not cumulative: that is the rendering's business),
 * their number and their sum. */
struct xdpdns_histogram {
	uint64_t buckets[XDPDNS_LATENCY_BUCKETS + 1]; /* the last: above every bound */
	uint64_t count;
	uint64_t sum_ns;
};

void xdpdns_histogram_observe(struct xdpdns_histogram *h, uint64_t ns);

/* What the kernel is read for: its counters, and entries per class (counted at most every
 * METRICS_KERNEL_COUNT_MS). An _ok false leaves those metrics out of the page. */
struct metrics_kernel {
	bool counts_ok;
	uint64_t counts[XDPDNS_REASON_COUNT];
	/* per attach point: its row of counters and its name (xdpdns_attach) */
	bool slots_ok;
	uint64_t slots[XDPDNS_ATTACH_MAX][XDPDNS_REASON_COUNT];
	struct xdpdns_attach names[XDPDNS_ATTACH_MAX];
	bool entries_ok;
	uint64_t entries[XDPDNS_CLASS_COUNT];
};

struct server;

/* The page for s and k. Returns 0 or -errno (a write failed). */
int metrics_render(FILE *out, const struct server *s, const struct metrics_kernel *k);

struct metrics_conn {
	struct ev_io io;
	struct ev_timer idle;
	struct metrics *m;
	char req[METRICS_REQUEST_MAX_LEN];
	size_t req_len;
	char *resp;       /* the whole response, headers and page; NULL: still reading */
	size_t resp_len, resp_sent;
};

struct metrics {
	struct ev_io io; /* the listening socket; fd -1: off */
	struct ev_loop *loop;
	struct server *srv;
	struct xdpdns_sockaddr addr;
	struct metrics_conn conns[METRICS_CONNS_MAX]; /* io.fd -1: free */
	struct metrics_kernel kernel;
	uint64_t counted_ms; /* when kernel.entries was counted; 0: never */
	uint64_t scrapes;
};

/* Listens on addr for srv's metrics. Returns 0 or -errno (logged). */
int metrics_start(struct metrics *m, struct ev_loop *loop, struct server *srv,
		  const struct xdpdns_sockaddr *addr);

/* Closes the listener and every connection; may be called when not started (after
 * metrics_init) or stopped. */
void metrics_stop(struct metrics *m);

/* A metrics that is off: metrics_stop() does nothing. */
void metrics_init(struct metrics *m);

#endif /* XDPDNS_METRICS_H */
