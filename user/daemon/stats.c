// SPDX-License-Identifier: GPL-2.0
/* The daemon's counter values. */
#include "stats.h"

static uint64_t recovery_queued(const struct server *s)
{
	return s->refresh.recovery_n - s->refresh.recovery_next;
}

void stats_read(const struct server *s, uint64_t v[XDPDNS_CTR_COUNT])
{
	struct server_stats sum = s->stats;

	/* STAT: the sum over every thread's struct server_stats */
	udp_stats_sum(s, &sum);
#define STAT(field) sum.field
#define OF(path) s->path
#define FN(f) f(s)
#define ROW(id, stats, metric, labels, kind, help, top, source)                                 \
	v[XDPDNS_CTR_##id] = (uint64_t)(source);
	XDPDNS_DAEMON_COUNTERS(ROW)
#undef ROW
#undef FN
#undef OF
#undef STAT
}

void stats_read_upstream(const struct upstream *u, uint64_t v[XDPDNS_UPC_COUNT])
{
#define ROW(id, key, metric, kind, help, top, field) v[XDPDNS_UPC_##id] = u->field;
	XDPDNS_UPSTREAM_COUNTERS(ROW)
#undef ROW
}
