// SPDX-License-Identifier: GPL-2.0
/* The counter registry (user/lib/counters.h): its tables are consistent, and every counter,
 * set where its source column says, reaches each of the three outputs made from it: the
 * control socket's stats and health commands (what `xdpdnsctl stats` prints), the metrics
 * page, and `xdpdnsctl top`, which reads the commands' text back. top refuses a daemon whose
 * stats lack a counter, where it used to show 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "control_server.h"
#include "counters.h"
#include "metrics.h"
#include "server.h"
#include "top.h"

#define ADDR "192.0.2.1:53"

/* Sets one counter's source (the registry's last column) to v. */
static void set_recovery_queued(struct server *s, uint64_t v)
{
	s->refresh.recovery_n = v;
	s->refresh.recovery_next = 0;
}

static void set_counter(struct server *s, int id, uint64_t v)
{
	switch (id) {
#define STAT(field) s->stats.field = v
#define OF(path) s->path = v
#define FN(f) set_##f(s, v)
#define ROW(id, stats, metric, labels, kind, help, top, source)                                 \
	case XDPDNS_CTR_##id:                                                                 \
		source;                                                                       \
		break;
		XDPDNS_DAEMON_COUNTERS(ROW)
#undef ROW
#undef FN
#undef OF
#undef STAT
	default:
		fail_msg("counter %d", id);
	}
}

static void set_upstream_counter(struct upstream *u, int id, uint64_t v)
{
	switch (id) {
#define ROW(id, key, metric, kind, help, top, field)                                            \
	case XDPDNS_UPC_##id:                                                                 \
		u->field = v;                                                                 \
		break;
		XDPDNS_UPSTREAM_COUNTERS(ROW)
#undef ROW
	default:
		fail_msg("upstream counter %d", id);
	}
}

/* What a control socket client gets for cmd, to free. */
static char *command(struct server *s, const char *cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	control_command(s, cmd, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static char *page(const struct server *s)
{
	struct metrics_kernel k = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(metrics_render(f, s, &k), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* A frame of top from a sample of zeros to the daemon's answers now, one second later. */
static char *top_frame(struct server *s)
{
	static struct top_sample a, b;
	char *stats = command(s, "stats"), *health = command(s, "health"), err[256] = "";
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memset(&b, 0, sizeof(b));
	b.t_ns = 1000000000;
	if (top_parse_daemon(&b, stats, health, err, sizeof(err)))
		fail_msg("top: %s", err);
	/* the sample before: the same daemon and upstreams, every count 0 */
	a = b;
	a.t_ns = 0;
	memset(a.v, 0, sizeof(a.v));
	for (int i = 0; i < a.n_up; i++)
		memset(a.up[i].v, 0, sizeof(a.up[i].v));
	f = open_memstream(&text, &len);
	assert_non_null(f);
	top_draw(f, "eth0", &a, &b, false);
	assert_int_equal(fclose(f), 0);
	free(stats);
	free(health);
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

static void test_tables(void **state)
{
	int i, j;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_counters[i];
		bool first = i == 0 || strcmp(xdpdns_counters[i - 1].metric, c->metric);
		size_t len = strlen(c->metric);

		assert_true(*c->name && !strchr(c->name, ' '));
		assert_int_equal(strncmp(c->metric, "xdpdns_", 7), 0);
		/* a counter's family ends in _total, a gauge's does not (Prometheus' naming) */
		assert_int_equal(c->kind == XDPDNS_COUNTER,
				 len > 6 && !strcmp(c->metric + len - 6, "_total"));
		/* a family's help on its first row only, its rows together and of one kind */
		if (first)
			assert_non_null(c->help);
		else
			assert_true(!c->help && xdpdns_counters[i - 1].kind == c->kind);
		for (j = 0; j < i; j++) {
			const struct xdpdns_counter_def *d = &xdpdns_counters[j];

			assert_string_not_equal(c->name, d->name);
			assert_false(!strcmp(c->metric, d->metric) && !strcmp(c->labels, d->labels));
			if (first)
				assert_string_not_equal(c->metric, d->metric);
		}
		/* one label shows one kind in top */
		for (j = 0; j < i && c->top; j++)
			if (xdpdns_counters[j].top && !strcmp(xdpdns_counters[j].top, c->top))
				assert_int_equal(xdpdns_counters[j].kind, c->kind);
	}
	for (i = 0; i < XDPDNS_UPC_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_upstream_counters[i];

		assert_non_null(c->help);
		assert_non_null(c->top); /* a column each */
		for (j = 0; j < i; j++) {
			assert_string_not_equal(c->name, xdpdns_upstream_counters[j].name);
			assert_string_not_equal(c->metric, xdpdns_upstream_counters[j].metric);
		}
	}
}

/* Each counter alone set to a value of its own: the stats command gives it under its name and
 * every other counter 0 (the source is that counter's, no other's); the page has its sample; top
 * shows its row with that rate, or that value for a gauge. */
static void test_every_counter_reaches_every_output(void **state)
{
	static struct server s;
	int i, j;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_counters[i];
		uint64_t value = 1000 + i, v[XDPDNS_CTR_COUNT];
		const char *missing = NULL;
		char line[256], label[64], *text;

		memset(&s, 0, sizeof(s));
		set_counter(&s, i, value);

		text = command(&s, "stats");
		snprintf(line, sizeof(line), "%s %llu", c->name, (unsigned long long)value);
		assert_line(text, line);
		assert_int_equal(xdpdns_counters_parse(text, v, &missing), 0);
		for (j = 0; j < XDPDNS_CTR_COUNT; j++)
			assert_int_equal(v[j], j == i ? value : 0);
		free(text);

		text = page(&s);
		snprintf(line, sizeof(line), "%s%s%s%s %llu", c->metric, *c->labels ? "{" : "",
			 c->labels, *c->labels ? "}" : "", (unsigned long long)value);
		assert_line(text, line);
		free(text);

		text = top_frame(&s);
		snprintf(label, sizeof(label), "%s", c->top ? c->top : c->name);
		if (c->kind == XDPDNS_GAUGE)
			snprintf(line, sizeof(line), "  %-26s %12s %14llu", label, "",
				 (unsigned long long)value);
		else
			snprintf(line, sizeof(line), "  %-26s %12.1f %14llu", label, (double)value,
				 (unsigned long long)value);
		assert_line(text, line);
		free(text);
	}
}

/* The same for each upstream counter: its key=value in the health line, its sample labelled
 * with the upstream, its column in top's row for the upstream. */
static void test_every_upstream_counter_reaches_every_output(void **state)
{
	static struct server s;
	int i, j;

	for (i = 0; i < XDPDNS_UPC_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_upstream_counters[i];
		uint64_t value = 500 + i, v[XDPDNS_UPC_COUNT];
		const char *missing = NULL;
		char line[256], *text, *p;

		memset(&s, 0, sizeof(s));
		s.upstreams.n = 1;
		assert_int_equal(xdpdns_sockaddr_parse(ADDR, &s.upstreams.servers[0].addr), 0);
		set_upstream_counter(&s.upstreams.servers[0], i, value);

		text = command(&s, "health");
		assert_int_equal(strncmp(text, ADDR " up ", strlen(ADDR " up ")), 0);
		snprintf(line, sizeof(line), " %s=%llu", c->name, (unsigned long long)value);
		assert_non_null(strstr(text, line));
		assert_int_equal(xdpdns_upstream_counters_parse(text, v, &missing), 0);
		for (j = 0; j < XDPDNS_UPC_COUNT; j++)
			assert_int_equal(v[j], j == i ? value : 0);
		free(text);

		text = page(&s);
		snprintf(line, sizeof(line), "%s{upstream=\"%s\"} %llu", c->metric, ADDR,
			 (unsigned long long)value);
		assert_line(text, line);
		free(text);

		text = top_frame(&s);
		p = line + snprintf(line, sizeof(line), "  %-24s %-6s", ADDR, "up");
		for (j = 0; j < XDPDNS_UPC_COUNT; j++) {
			uint64_t n = j == i ? value : 0;

			if (xdpdns_upstream_counters[j].kind == XDPDNS_GAUGE)
				p += sprintf(p, " %10llu", (unsigned long long)n);
			else
				p += sprintf(p, " %10.1f", (double)n);
		}
		assert_line(text, line);
		free(text);
	}
}

/* A daemon whose stats lack a counter top knows (another version) is an error naming it, not
 * a 0 shown as if it were the count; so is a health line without a key. */
static void test_top_refuses_missing_counters(void **state)
{
	static struct server s;
	struct top_sample t;
	char *stats, *health, err[256];
	int i;

	memset(&s, 0, sizeof(s));
	s.upstreams.n = 1;
	assert_int_equal(xdpdns_sockaddr_parse(ADDR, &s.upstreams.servers[0].addr), 0);
	stats = command(&s, "stats");
	health = command(&s, "health");
	memset(&t, 0, sizeof(t));
	assert_int_equal(top_parse_daemon(&t, stats, health, err, sizeof(err)), 0);
	assert_int_equal(t.n_up, 1);
	for (i = 0; i < XDPDNS_CTR_COUNT; i++) {
		char *cut = strdup(stats), *line;
		char want[128];

		/* the counter's line taken out */
		snprintf(want, sizeof(want), "%s 0\n", xdpdns_counters[i].name);
		line = strstr(cut, want);
		while (line && line != cut && line[-1] != '\n')
			line = strstr(line + 1, want);
		assert_non_null(line);
		memmove(line, line + strlen(want), strlen(line + strlen(want)) + 1);
		memset(&t, 0, sizeof(t));
		assert_int_equal(top_parse_daemon(&t, cut, health, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, xdpdns_counters[i].name));
		free(cut);
	}
	for (i = 0; i < XDPDNS_UPC_COUNT; i++) {
		char *cut = strdup(health), key[64], *p;

		snprintf(key, sizeof(key), " %s=", xdpdns_upstream_counters[i].name);
		p = strstr(cut, key);
		assert_non_null(p);
		p[1] = 'X'; /* another key */
		memset(&t, 0, sizeof(t));
		assert_int_equal(top_parse_daemon(&t, stats, cut, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, xdpdns_upstream_counters[i].name));
		free(cut);
	}
	free(stats);
	free(health);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_every_counter_reaches_every_output),
		cmocka_unit_test(test_every_upstream_counter_reaches_every_output),
		cmocka_unit_test(test_top_refuses_missing_counters),
	};

	return cmocka_run_group_tests_name("counters", tests, NULL, NULL);
}
