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
	uint32_t interval_ms; /* health-interval when it was armed: a reload keeps its due time */
	char addr[sizeof(((struct xdpdns_sockaddr *)0)->text)]; /* its server's, for a reload */
};

struct health {
	struct upstream_set *set;
	const struct xdpdns_maps *maps;
	const struct xdpdns_options *opts;
	struct health_probe probes[XDPDNS_UPSTREAMS_MAX];
	int n_probes;  /* probes[0..n_probes) are armed: one per server of the set */
	bool all_down; /* as last written to the health map */
	void (*back_up)(void *ctx); /* every upstream was down, and one is back */
	void *ctx;
};

/* Starts probing; writes "up" to the health map (every server starts up). back_up(ctx) is called when an outage of every
 * upstream ends, right after the map says "recovering". Returns 0 or -errno. */
int health_start(struct health *h, struct upstream_set *set, const struct xdpdns_maps *maps,
		 const struct xdpdns_options *o, void (*back_up)(void *ctx), void *ctx);
/* The options changed (SIGHUP), the set already reconfigured (upstream_set_reconfigure): the
 * probes start again for the new list, interval and query, and the state carries over. The
 * kernel's flag is written only if the new list changed it (a server added while all were down
 * ends the outage, with the recovery hook; one dropped may start one): a reload during an
 * outage keeps the kernel serving stale, and one during a recovery keeps it recovering. Returns
 * 0 or -EINVAL (a health-query the check let through). */
int health_reload(struct health *h);

void health_stop(struct health *h);

#endif /* XDPDNS_HEALTH_H */
