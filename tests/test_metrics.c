// SPDX-License-Identifier: GPL-2.0
/* The metrics page: exposition format, labels, the histogram's cumulative buckets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "metrics.h"
#include "server.h"
#include "version.h"

/* The page for s and k, to free. */
static char *render(const struct server *s, const struct metrics_kernel *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(metrics_render(f, s, k), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void assert_line(const char *text, const char *line)
{
	const char *p = text;
	size_t len = strlen(line);

	for (; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, len) && (p[len] == '\n' || !p[len]))
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_counters(void **state)
{
	static struct server s;
	struct metrics_kernel k = { .counts_ok = true, .entries_ok = true, .entries = { 3, 2, 1 } };
	char *text, line[128];

	memset(&s, 0, sizeof(s));
	k.counts[XDPDNS_HIT_FRESH] = 1234;
	k.counts[XDPDNS_DROP_RESPONSE] = 7;
	s.stats.queries_udp = 10;
	s.stats.queries_tcp = 2;
	s.stats.misses = 5;
	s.stats.guard_expired = 4;
	s.stats.tcp_closed_slow_read = 3;
	s.tcp.n_open = 7;
	s.cache.count = 42;
	text = render(&s, &k);
	snprintf(line, sizeof(line), "xdpdns_build_info{version=\"%s\"} 1", xdpdns_version);
	assert_line(text, line);
	assert_line(text, "# TYPE xdpdns_build_info gauge");
	assert_line(text, "# TYPE xdpdns_kernel_packets_total counter");
	assert_line(text, "xdpdns_kernel_packets_total{reason=\"hit_fresh\",action=\"tx\"} 1234");
	assert_line(text, "xdpdns_kernel_packets_total{reason=\"drop_response\",action=\"drop\"} 7");
	assert_line(text, "xdpdns_kernel_packets_total{reason=\"miss\",action=\"pass\"} 0");
	assert_line(text, "xdpdns_kernel_cache_entries{class=\"M\"} 2");
	assert_line(text, "xdpdns_kernel_cache_bytes{class=\"S\"} 768");
	assert_line(text, "xdpdns_kernel_cache_bytes{class=\"L\"} 2048");
	assert_line(text, "xdpdns_queries_total{transport=\"udp\"} 10");
	assert_line(text, "xdpdns_queries_total{transport=\"tcp\"} 2");
	assert_line(text, "xdpdns_misses_total 5");
	assert_line(text, "xdpdns_guard_ended_total{how=\"expired\"} 4");
	assert_line(text, "xdpdns_tcp_closed_total{why=\"slow_read\"} 3");
	assert_line(text, "xdpdns_tcp_closed_total{why=\"idle\"} 0");
	assert_line(text, "xdpdns_tcp_connections 7");
	assert_line(text, "xdpdns_daemon_cache_entries 42");
	assert_line(text, "# TYPE xdpdns_daemon_cache_entries gauge");
	free(text);

	/* the kernel unreadable: its families are left out, the daemon's stay */
	k.counts_ok = k.entries_ok = false;
	text = render(&s, &k);
	assert_null(strstr(text, "xdpdns_kernel_packets_total"));
	assert_null(strstr(text, "xdpdns_kernel_cache_entries"));
	assert_line(text, "xdpdns_misses_total 5");
	free(text);
}

/* Every sample's family has one HELP and one TYPE line, before its samples, and a family's
 * samples are together. */
static void test_format(void **state)
{
	static struct server s;
	struct metrics_kernel k = { .counts_ok = true, .entries_ok = true };
	char *text, *line, *save = NULL, seen[8192] = " ", family[128] = "";

	memset(&s, 0, sizeof(s));
	s.upstreams.n = 2;
	xdpdns_sockaddr_parse("192.0.2.1", &s.upstreams.servers[0].addr);
	xdpdns_sockaddr_parse("[2001:db8::1]:5353", &s.upstreams.servers[1].addr);
	text = render(&s, &k);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], key[140];

		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", family);
			snprintf(key, sizeof(key), " %s ", family);
			assert_null(strstr(seen, key)); /* no family twice */
			strcat(seen, key + 1);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%127s", name);
			assert_string_equal(name, family);
			assert_true(strstr(line, " counter") || strstr(line, " gauge") ||
				    strstr(line, " histogram"));
			if (strstr(line, " counter"))
				assert_non_null(strstr(name, "_total"));
			continue;
		}
		/* a sample of the current family: its name, or the name with a histogram suffix */
		sscanf(line, "%127[^{ ]", name);
		assert_int_equal(strncmp(name, family, strlen(family)), 0);
		assert_true(!name[strlen(family)] || !strcmp(name + strlen(family), "_bucket") ||
			    !strcmp(name + strlen(family), "_sum") ||
			    !strcmp(name + strlen(family), "_count"));
		assert_non_null(strchr(line, ' '));
	}
	free(text);
}

static void test_upstreams(void **state)
{
	static struct server s;
	struct metrics_kernel k = { 0 };
	struct upstream *u = &s.upstreams.servers[0];
	char *text;

	memset(&s, 0, sizeof(s));
	s.upstreams.n = 2;
	xdpdns_sockaddr_parse("[2001:db8::1]:53", &u->addr);
	u->queries = 9;
	u->down = true;
	xdpdns_histogram_observe(&u->latency, 300000);    /* 0.3 ms */
	xdpdns_histogram_observe(&u->latency, 1000000);   /* 1 ms: on a bound, in its bucket */
	xdpdns_histogram_observe(&u->latency, 40000000);  /* 40 ms */
	xdpdns_histogram_observe(&u->latency, 60000000000ULL); /* 60 s: only +Inf */
	/* a label value with what must be escaped */
	snprintf(s.upstreams.servers[1].addr.text, sizeof(s.upstreams.servers[1].addr.text),
		 "a\"b\\c");
	text = render(&s, &k);
	assert_line(text, "xdpdns_upstream_queries_total{upstream=\"[2001:db8::1]:53\"} 9");
	assert_line(text, "xdpdns_upstream_up{upstream=\"[2001:db8::1]:53\"} 0");
	assert_line(text, "xdpdns_upstream_up{upstream=\"a\\\"b\\\\c\"} 1");
	assert_line(text, "# TYPE xdpdns_upstream_response_seconds histogram");
	assert_line(text, "xdpdns_upstream_response_seconds_bucket{upstream=\"[2001:db8::1]:53\",le=\"0.0005\"} 1");
	assert_line(text, "xdpdns_upstream_response_seconds_bucket{upstream=\"[2001:db8::1]:53\",le=\"0.001\"} 2");
	assert_line(text, "xdpdns_upstream_response_seconds_bucket{upstream=\"[2001:db8::1]:53\",le=\"0.025\"} 2");
	assert_line(text, "xdpdns_upstream_response_seconds_bucket{upstream=\"[2001:db8::1]:53\",le=\"0.05\"} 3");
	assert_line(text, "xdpdns_upstream_response_seconds_bucket{upstream=\"[2001:db8::1]:53\",le=\"10\"} 3");
	assert_line(text, "xdpdns_upstream_response_seconds_bucket{upstream=\"[2001:db8::1]:53\",le=\"+Inf\"} 4");
	assert_line(text, "xdpdns_upstream_response_seconds_count{upstream=\"[2001:db8::1]:53\"} 4");
	assert_line(text, "xdpdns_upstream_response_seconds_sum{upstream=\"[2001:db8::1]:53\"} 60.041300000");
	assert_line(text, "xdpdns_upstream_response_seconds_count{upstream=\"a\\\"b\\\\c\"} 0");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_upstreams),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
