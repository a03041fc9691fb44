/* SPDX-License-Identifier: GPL-2.0 */
/* Upstream health: probes every upstream with the configured query at jittered intervals (the
 * upstream client counts the outcomes, of probes and of real queries alike, and marks servers
 * down and up), and tells the kernel, through its health map, when none is left up: then it
 * serves expired entries stale; and when one is back, that it should go on with that until the
 * server has refreshed them (XDPDNS_HEALTH_RECOVERING). */
#ifndef XDPDNS_HEALTH_H
#define XDPDNS_HEALTH_H

#include "bpf_maps.h"
#include "upstream.h"

#define HEALTH_BACKOFF_MAX 4         /* doublings of the interval for a server that is down */
#define HEALTH_BACKOFF_MAX_MS 10000  /* ...but probed at least this often */

struct health;

struct health_probe {
	struct health *h;
	struct upstream_query q;
	struct ev_timer timer;
	bool in_flight;
	unsigned int backoff; /* failed probes in a row, up to HEALTH_BACKOFF_MAX */
};

struct health {
	struct upstream_set *set;
	const struct xdpdns_maps *maps;
	const struct xdpdns_options *opts;
	struct health_probe probes[XDPDNS_UPSTREAMS_MAX];
	bool all_down; /* as last written to the health map */
	void (*back_up)(void *ctx); /* every upstream was down, and one is back */
	void *ctx;
};

/* Starts probing; writes "up" to the health map. back_up(ctx) is called when an outage of every
 * upstream ends, right after the map says "recovering". Returns 0 or -errno. */
int health_start(struct health *h, struct upstream_set *set, const struct xdpdns_maps *maps,
		 const struct xdpdns_options *o, void (*back_up)(void *ctx), void *ctx);
void health_stop(struct health *h);

#endif /* XDPDNS_HEALTH_H */
