// SPDX-License-Identifier: GPL-2.0
/* Upstream health. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "health.h"
#include "log.h"

/* All down: the kernel serves expired entries stale. Back up: it goes on doing so, flagged as
 * recovering, until the server has refreshed the hot ones (refresh.c) and clears the flag. */
static void write_map(struct health *h)
{
	int err = xdpdns_health_write(h->maps, h->all_down ? XDPDNS_HEALTH_ALL_DOWN
							    : XDPDNS_HEALTH_RECOVERING);

	if (err)
		log_error("can't write the health map: %s", strerror(-err));
}

/* The kernel's flag and the log for h->all_down, just changed; the recovery hook when an
 * outage of every upstream ended. */
static void all_down_changed(struct health *h)
{
	if (h->all_down)
		xdpdns_log_event(XDPDNS_LOG_WARN, "all_upstreams_down", NULL, NULL,
				 "every upstream is down: serving expired answers stale (TTL %u) for "
				 "up to %u s past expiry", h->opts->stale_ttl_sec,
				 h->opts->max_stale_sec);
	else
		xdpdns_log_event(XDPDNS_LOG_INFO, "upstreams_back", NULL, NULL,
				 "an upstream is back: fresh answers again");
	write_map(h);
	if (!h->all_down && h->back_up)
		h->back_up(h->ctx);
}

static void on_changed(struct upstream_set *s, int server)
{
	struct health *h = s->owner;
	bool all_down = upstream_all_down(s);

	(void)server;
	if (all_down == h->all_down)
		return;
	h->all_down = all_down;
	all_down_changed(h);
}

static void on_probe_done(struct upstream_query *q, ldns_pkt *answer, int err)
{
	struct health_probe *p = container_of(q, struct health_probe, q);

	/* the upstream client has counted it (any response is life: -EIO is a SERVFAIL or a
	 * REFUSED for the probe's name); a server that stays silent is probed less often */
	p->backoff = err && err != -EIO ?
			     (p->backoff < HEALTH_BACKOFF_MAX ? p->backoff + 1 : p->backoff) : 0;
	ldns_pkt_free(answer);
	p->in_flight = false;
}

/* The interval, doubled for every failed probe of a server that is down (a circuit breaker
 * open, probed half-open), up to HEALTH_BACKOFF_MAX_MS, never below the interval. */
static uint32_t probe_interval(const struct health_probe *p, int server)
{
	uint64_t ms = p->h->opts->health_interval_ms;

	if (p->h->set->servers[server].down && ms < HEALTH_BACKOFF_MAX_MS) {
		ms <<= p->backoff;
		if (ms > HEALTH_BACKOFF_MAX_MS)
			ms = HEALTH_BACKOFF_MAX_MS;
	}
	return ms;
}

static void on_probe_timer(struct ev_loop *loop, struct ev_timer *t)
{
	struct health_probe *p = container_of(t, struct health_probe, timer);

	if (!p->in_flight && !upstream_query_start(p->h->set, &p->q))
		p->in_flight = true;
	ev_timer_start(loop, t, ev_jittered_ms(probe_interval(p, p->q.only)));
}

/* A probe for every server of the set, each on its own jittered timer. */
static int probes_start(struct health *h)
{
	ldns_rdf *qname;
	ldns_rr_type qtype;
	int i;

	if (xdpdns_health_query_parse(h->opts->health_query, &qname, &qtype))
		return -EINVAL; /* xdpdns_options_check() refuses it before */
	for (i = 0; i < h->set->n; i++) {
		struct health_probe *p = &h->probes[i];

		memset(p, 0, sizeof(*p));
		p->h = h;
		p->q.qname = i ? ldns_rdf_clone(qname) : qname;
		p->q.qtype = qtype;
		p->q.only = i;
		p->q.unbudgeted = true; /* a few a second at most, and how an outage ends */
		p->q.done = on_probe_done;
		p->timer.cb = on_probe_timer;
		p->interval_ms = h->opts->health_interval_ms;
		snprintf(p->addr, sizeof(p->addr), "%s", h->set->servers[i].addr.text);
		ev_timer_start(h->set->loop, &p->timer, ev_jittered_ms(h->opts->health_interval_ms));
	}
	if (!h->set->n)
		ldns_rdf_deep_free(qname);
	h->n_probes = h->set->n;
	return 0;
}

static void probes_stop(struct health *h)
{
	int i;

	for (i = 0; i < h->n_probes; i++) {
		struct health_probe *p = &h->probes[i];

		ev_timer_stop(h->set->loop, &p->timer);
		if (p->in_flight)
			upstream_query_cancel(&p->q);
		p->in_flight = false;
		ldns_rdf_deep_free(p->q.qname);
		p->q.qname = NULL;
	}
	h->n_probes = 0;
}

int health_start(struct health *h, struct upstream_set *set, const struct xdpdns_maps *maps,
		 const struct xdpdns_options *o, void (*back_up)(void *ctx), void *ctx)
{
	int err;

	memset(h, 0, sizeof(*h));
	h->set = set;
	h->maps = maps;
	h->opts = o;
	h->back_up = back_up;
	h->ctx = ctx;
	err = probes_start(h);
	if (err)
		return err;
	set->changed = on_changed;
	set->owner = h;
	/* every server starts up: what an earlier daemon left in the map (an outage, a
	 * recovery that it did not finish) is not this one's state */
	xdpdns_health_write(maps, 0);
	return 0;
}

int health_reload(struct health *h)
{
	/* each probe's due time and backoff, by its server's address: reloads in a row (a
	 * script, a config manager) must not keep pushing the next probe back, or an outage
	 * would end only through the half-open trickle */
	struct {
		const char *addr;
		uint64_t when_ms;
		unsigned int backoff;
	} kept[XDPDNS_UPSTREAMS_MAX];
	struct health_probe old[XDPDNS_UPSTREAMS_MAX];
	bool all_down = upstream_all_down(h->set);
	int n_kept = 0, i, j, err;

	memcpy(old, h->probes, sizeof(old)); /* their addresses outlive probes_stop */
	for (i = 0; i < h->n_probes; i++) {
		const struct health_probe *p = &old[i];

		if (p->interval_ms != h->opts->health_interval_ms || !p->timer.slot)
			continue;
		kept[n_kept].addr = p->addr;
		kept[n_kept].when_ms = p->timer.when_ms;
		kept[n_kept++].backoff = p->backoff;
	}
	probes_stop(h);
	if (all_down != h->all_down) { /* the list changed: a server was added or dropped */
		h->all_down = all_down;
		all_down_changed(h);
	}
	err = probes_start(h);
	for (i = 0; !err && i < h->n_probes; i++)
		for (j = 0; j < n_kept; j++)
			if (!strcmp(kept[j].addr, h->set->servers[i].addr.text)) {
				uint64_t now = ev_now_ms();

				h->probes[i].backoff = kept[j].backoff;
				ev_timer_start(h->set->loop, &h->probes[i].timer,
					       kept[j].when_ms > now ? kept[j].when_ms - now : 0);
				break;
			}
	return err;
}

void health_stop(struct health *h)
{
	probes_stop(h);
	h->set->changed = NULL;
}
