// SPDX-License-Identifier: GPL-2.0
/* The counter registry's tables, and the text of the stats and health commands. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "counters.h"

#define COUNTER XDPDNS_COUNTER
#define GAUGE XDPDNS_GAUGE

const struct xdpdns_counter_def xdpdns_counters[XDPDNS_CTR_COUNT] = {
#define ROW(id, stats, metric, labels, kind, help, top, source)                                 \
	[XDPDNS_CTR_##id] = { stats, metric, labels, kind, help, top },
	XDPDNS_DAEMON_COUNTERS(ROW)
#undef ROW
};

const struct xdpdns_counter_def xdpdns_upstream_counters[XDPDNS_UPC_COUNT] = {
#define ROW(id, key, metric, kind, help, top, field)                                            \
	[XDPDNS_UPC_##id] = { key, metric, "", kind, help, top },
	XDPDNS_UPSTREAM_COUNTERS(ROW)
#undef ROW
};

void xdpdns_counters_print(FILE *out, const uint64_t v[XDPDNS_CTR_COUNT])
{
	int i;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++)
		fprintf(out, "%s %" PRIu64 "\n", xdpdns_counters[i].name, v[i]);
}

/* The value after "name" and sep (a space in stats lines, '=' in health pairs) at the start
 * of a line of text (stats), or after a space (health); false if there is none. */
static bool find_value(const char *text, const char *name, char sep, uint64_t *v)
{
	size_t len = strlen(name);
	const char *p;

	for (p = strstr(text, name); p; p = strstr(p + 1, name)) {
		bool start = p == text || p[-1] == (sep == ' ' ? '\n' : ' ');

		if (start && p[len] == sep) {
			*v = strtoull(p + len + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

int xdpdns_counters_parse(const char *text, uint64_t v[XDPDNS_CTR_COUNT], const char **missing)
{
	int i;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++)
		if (!find_value(text, xdpdns_counters[i].name, ' ', &v[i])) {
			*missing = xdpdns_counters[i].name;
			return -ENOENT;
		}
	return 0;
}

void xdpdns_upstream_counters_print(FILE *out, const uint64_t v[XDPDNS_UPC_COUNT])
{
	int i;

	for (i = 0; i < XDPDNS_UPC_COUNT; i++)
		fprintf(out, " %s=%" PRIu64, xdpdns_upstream_counters[i].name, v[i]);
}

int xdpdns_upstream_counters_parse(const char *line, uint64_t v[XDPDNS_UPC_COUNT],
				   const char **missing)
{
	int i;

	for (i = 0; i < XDPDNS_UPC_COUNT; i++)
		if (!find_value(line, xdpdns_upstream_counters[i].name, '=', &v[i])) {
			*missing = xdpdns_upstream_counters[i].name;
			return -ENOENT;
		}
	return 0;
}
