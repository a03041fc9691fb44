// SPDX-License-Identifier: GPL-2.0
/* The upstream client without a network (fake_upstream.h). */
#include <errno.h>
#include <string.h>
#include "fake_upstream.h"

#define FAKE_INFLIGHT_MAX 20000

static struct upstream_query *inflight[FAKE_INFLIGHT_MAX];
static int n_inflight;
static unsigned int started;

void upstream_set_init(struct upstream_set *s, struct ev_loop *loop,
		       const struct xdpdns_options *o)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	for (i = 0; i < o->n_upstreams; i++)
		s->servers[i].addr = o->upstreams[i];
	s->n = o->n_upstreams;
	s->timeout_ms = o->timeout_ms;
	s->attempts = o->attempts;
	s->edns_udp_size = o->edns_udp_size;
	s->use_0x20 = o->upstream_0x20;
	s->down_after = o->health_failures;
	s->qps = o->upstream_qps;
	ev_bucket_init(&s->budget, o->upstream_qps);
}

/* The real one's bookkeeping, without attempts to move: queries in flight keep their server. */
void upstream_set_reconfigure(struct upstream_set *s, const struct xdpdns_options *o,
			      int moved[XDPDNS_UPSTREAMS_MAX])
{
	struct upstream old[XDPDNS_UPSTREAMS_MAX];
	int old_n = s->n, i, j;

	memcpy(old, s->servers, sizeof(old));
	memset(s->servers, 0, sizeof(s->servers));
	for (j = 0; j < XDPDNS_UPSTREAMS_MAX; j++)
		moved[j] = -1;
	for (i = 0; i < o->n_upstreams; i++) {
		s->servers[i].addr = o->upstreams[i];
		for (j = 0; j < old_n; j++)
			if (moved[j] < 0 && !strcmp(old[j].addr.text, o->upstreams[i].text)) {
				s->servers[i] = old[j];
				moved[j] = i;
				break;
			}
	}
	s->n = o->n_upstreams;
	s->timeout_ms = o->timeout_ms;
	s->attempts = o->attempts;
	s->down_after = o->health_failures;
	s->qps = o->upstream_qps;
}

bool upstream_all_down(const struct upstream_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!s->servers[i].down)
			return false;
	return true;
}

void fake_upstream_set_down(struct upstream_set *s, int i, bool down)
{
	if (s->servers[i].down == down)
		return;
	s->servers[i].down = down;
	if (s->changed)
		s->changed(s, i);
}

void upstream_force(struct upstream_set *s, int i, enum upstream_force force)
{
	s->servers[i].force = force;
	if (force != UPSTREAM_AUTO)
		fake_upstream_set_down(s, i, force == UPSTREAM_FORCE_DOWN);
}

static void forget(struct upstream_query *q)
{
	int i;

	ev_timer_stop(q->set->loop, &q->timer);
	for (i = 0; i < n_inflight; i++)
		if (inflight[i] == q) {
			memmove(&inflight[i], &inflight[i + 1], (n_inflight - i - 1) * sizeof(q));
			n_inflight--;
			return;
		}
}

/* Every attempt went unanswered. */
static void on_timeout(struct ev_loop *loop, struct ev_timer *t)
{
	struct upstream_query *q = container_of(t, struct upstream_query, timer);

	(void)loop;
	fake_upstream_fail(q, -ETIMEDOUT);
}

int upstream_query_start(struct upstream_set *s, struct upstream_query *q)
{
	uint32_t tries;
	int i;

	if (!s->n)
		return -ENOENT;
	if (!q->unbudgeted && s->qps && !ev_bucket_take(&s->budget, s->qps)) {
		s->over_budget++;
		return -EBUSY;
	}
	if (n_inflight == FAKE_INFLIGHT_MAX)
		return -ENOMEM;
	q->set = s;
	q->tries = 0;
	q->server = q->only;
	for (i = 0; i < s->n && q->server < 0; i++) /* the first that is up, as failover does */
		if (!s->servers[i].down)
			q->server = i;
	if (q->server < 0)
		q->server = 0;
	s->servers[q->server].queries++;
	q->sent_ns = ev_now_ns();
	tries = q->only >= 0 ? 1 : s->attempts * (uint32_t)s->n;
	q->timer.slot = 0;
	q->timer.cb = on_timeout;
	ev_timer_start(s->loop, &q->timer, (uint64_t)s->timeout_ms * tries);
	inflight[n_inflight++] = q;
	started++;
	return 0;
}

void upstream_query_cancel(struct upstream_query *q)
{
	forget(q);
}

int fake_upstream_count(void)
{
	return n_inflight;
}

struct upstream_query *fake_upstream_at(int i)
{
	return i < n_inflight ? inflight[i] : NULL;
}

struct upstream_query *fake_upstream_find(const char *name, ldns_rr_type type)
{
	ldns_rdf *want = ldns_dname_new_frm_str(name);
	struct upstream_query *q = NULL;
	int i;

	for (i = 0; want && i < n_inflight && !q; i++)
		if (inflight[i]->qtype == type && !ldns_dname_compare(inflight[i]->qname, want))
			q = inflight[i];
	ldns_rdf_deep_free(want);
	return q;
}

unsigned int fake_upstream_started(void)
{
	return started;
}

void fake_upstream_reply(struct upstream_query *q, int server, ldns_pkt *answer)
{
	forget(q);
	q->server = server;
	q->set->servers[server].answers++;
	q->done(q, answer, 0);
}

void fake_upstream_fail(struct upstream_query *q, int err)
{
	forget(q);
	q->done(q, NULL, err);
}
