/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's counter values: the registry's source column (counters.h) read from the server
 * and its upstreams, for the stats and health commands and the metrics page. */
#ifndef XDPDNS_STATS_H
#define XDPDNS_STATS_H

#include <stdint.h>
#include "counters.h"
#include "server.h"

/* Every daemon counter of s, now. */
void stats_read(const struct server *s, uint64_t v[XDPDNS_CTR_COUNT]);

/* Every counter of upstream u, now. */
void stats_read_upstream(const struct upstream *u, uint64_t v[XDPDNS_UPC_COUNT]);

#endif /* XDPDNS_STATS_H */
