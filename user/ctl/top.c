// SPDX-License-Identifier: GPL-2.0
/* xdpdnsctl top. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "top.h"

/* The daemon's answer to cmd in a malloc'ed string; NULL when no daemon answers. */
static char *daemon_text(const char *instance, const char *cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return NULL;
	err = control_request(instance, cmd, f);
	fclose(f);
	if (err) {
		free(text);
		return NULL;
	}
	return text;
}

int top_parse_daemon(struct top_sample *s, const char *stats, const char *health, char *err,
		     size_t errlen)
{
	const char *missing = NULL;
	char *lines = strdup(health), *line, *save = NULL;

	if (!lines)
		return -ENOMEM;
	s->daemon = true;
	s->n_up = 0;
	if (xdpdns_counters_parse(stats, s->v, &missing)) {
		snprintf(err, errlen, "the daemon's stats have no %s: a daemon of another version?",
			 missing);
		free(lines);
		return -ENOENT;
	}
	/* "ADDR up|down [(forced)] key=N..." */
	for (line = strtok_r(lines, "\n", &save); line && s->n_up < XDPDNS_UPSTREAMS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		struct top_upstream *u = &s->up[s->n_up];

		if (sscanf(line, "%63s %15s", u->addr, u->state) != 2)
			continue;
		if (xdpdns_upstream_counters_parse(line, u->v, &missing)) {
			snprintf(err, errlen, "the daemon's health line for %s has no %s: a daemon "
				 "of another version?", u->addr, missing);
			free(lines);
			return -ENOENT;
		}
		if (strstr(line, "(forced)")) /* "down*": a drill */
			strncat(u->state, "*", sizeof(u->state) - 1 - strlen(u->state));
		s->n_up++;
	}
	free(lines);
	return 0;
}

/* The kernel's counters always; the daemon's when it answers. Returns 0 or -errno (err). */
static int top_sample(const struct xdpdns_maps *m, const char *instance, struct top_sample *s,
		      char *err, size_t errlen)
{
	char *stats, *health;
	int ret;

	memset(s, 0, sizeof(*s));
	s->t_ns = ev_now_ns();
	ret = xdpdns_stats_read(m, s->kernel);
	if (ret) {
		snprintf(err, errlen, "can't read the counters: %s", strerror(-ret));
		return ret;
	}
	stats = daemon_text(instance, "stats");
	health = stats ? daemon_text(instance, "health") : NULL;
	if (stats) /* health without an answer: no upstream rows */
		ret = top_parse_daemon(s, stats, health ? health : "", err, errlen);
	free(stats);
	free(health);
	return ret;
}

/* Per second from before to now over dt s; a counter that went back (the daemon restarted)
 * counts from 0. */
static double rate(uint64_t now, uint64_t before, double dt)
{
	return (double)(now >= before ? now - before : now) / dt;
}

static void row(FILE *out, const char *what, uint64_t now, uint64_t before, double dt)
{
	fprintf(out, "  %-26s %12.1f %14llu\n", what, rate(now, before, dt),
		(unsigned long long)now);
}

static void gauge_row(FILE *out, const char *what, uint64_t now)
{
	fprintf(out, "  %-26s %12s %14llu\n", what, "", (unsigned long long)now);
}

static uint64_t kernel_sum(const struct top_sample *s, int action, int except)
{
	uint64_t n = 0;
	unsigned int r;

	for (r = 0; r < XDPDNS_REASON_COUNT; r++)
		if (xdpdns_reason_action(r) == action && (int)r != except)
			n += s->kernel[r];
	return n;
}

/* The sum of the daemon's counters shown under label. */
static uint64_t labelled_sum(const struct top_sample *s, const char *label)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++)
		if (xdpdns_counters[i].top && !strcmp(xdpdns_counters[i].top, label))
			n += s->v[i];
	return n;
}

/* The daemon's rows: each top label once (the sum of its counters), in the registry's order. */
static void draw_daemon(FILE *out, const struct top_sample *a, const struct top_sample *b,
			double dt)
{
	int i, j;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_counters[i];
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = xdpdns_counters[j].top && c->top && !strcmp(xdpdns_counters[j].top, c->top);
		if (!c->top || seen)
			continue;
		if (c->kind == XDPDNS_GAUGE)
			gauge_row(out, c->top, labelled_sum(b, c->top));
		else
			row(out, c->top, labelled_sum(b, c->top), labelled_sum(a, c->top), dt);
	}
}

/* The counters without a label that moved, and the gauges without one that are not 0, under
 * their stats names. */
static void draw_others(FILE *out, const struct top_sample *a, const struct top_sample *b,
			double dt)
{
	bool first = true;
	int i;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_counters[i];
		bool show = c->kind == XDPDNS_GAUGE ? b->v[i] != 0 : b->v[i] != a->v[i];

		if (c->top || !show)
			continue;
		if (first)
			fputc('\n', out);
		first = false;
		if (c->kind == XDPDNS_GAUGE)
			gauge_row(out, c->name, b->v[i]);
		else
			row(out, c->name, b->v[i], a->v[i], dt);
	}
}

static void draw_upstreams(FILE *out, const struct top_sample *a, const struct top_sample *b,
			   double dt)
{
	int i, j, c;

	fprintf(out, "\n  %-24s %-6s", "upstream", "health");
	for (c = 0; c < XDPDNS_UPC_COUNT; c++)
		fprintf(out, " %10s", xdpdns_upstream_counters[c].top);
	fputc('\n', out);
	for (i = 0; i < b->n_up; i++) {
		const struct top_upstream *u = &b->up[i], *u0 = NULL;

		for (j = 0; j < a->n_up && !u0; j++)
			if (!strcmp(a->up[j].addr, u->addr))
				u0 = &a->up[j];
		if (!u0)
			u0 = u; /* new since the last redraw (a reload): no rate yet */
		fprintf(out, "  %-24s %-6s", u->addr, u->state);
		for (c = 0; c < XDPDNS_UPC_COUNT; c++)
			if (xdpdns_upstream_counters[c].kind == XDPDNS_GAUGE)
				fprintf(out, " %10llu", (unsigned long long)u->v[c]);
			else
				fprintf(out, " %10.1f", rate(u->v[c], u0->v[c], dt));
		fputc('\n', out);
	}
}

void top_draw(FILE *out, const char *instance, const struct top_sample *a,
	      const struct top_sample *b, bool tty)
{
	double dt = (b->t_ns - a->t_ns) / 1e9;
	uint64_t khits = b->kernel[XDPDNS_HIT_FRESH] + b->kernel[XDPDNS_HIT_STALE];
	uint64_t khits0 = a->kernel[XDPDNS_HIT_FRESH] + a->kernel[XDPDNS_HIT_STALE];
	/* every query the daemon received, it answered */
	uint64_t queries = b->v[XDPDNS_CTR_QUERIES_UDP] + b->v[XDPDNS_CTR_QUERIES_TCP];
	uint64_t queries0 = a->v[XDPDNS_CTR_QUERIES_UDP] + a->v[XDPDNS_CTR_QUERIES_TCP];
	double share = rate(khits, khits0, 1) + rate(queries, queries0, 1);
	char when[32];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	if (tty)
		fputs("\033[H\033[2J", out); /* home, clear: redraw in place */
	fprintf(out, "xdpdns top on %s at %s, rates over %.1f s\n\n", instance, when, dt);
	fprintf(out, "  %-26s %12s %14s\n", "", "per second", "total");
	row(out, "kernel answers (hits)", khits, khits0, dt);
	row(out, "  of which stale", b->kernel[XDPDNS_HIT_STALE], a->kernel[XDPDNS_HIT_STALE], dt);
	row(out, "kernel misses", b->kernel[XDPDNS_PASS_MISS], a->kernel[XDPDNS_PASS_MISS], dt);
	row(out, "kernel expired", b->kernel[XDPDNS_PASS_EXPIRED], a->kernel[XDPDNS_PASS_EXPIRED],
	    dt);
	row(out, "kernel other passes", kernel_sum(b, XDP_PASS, XDPDNS_PASS_MISS) -
	    b->kernel[XDPDNS_PASS_EXPIRED], kernel_sum(a, XDP_PASS, XDPDNS_PASS_MISS) -
	    a->kernel[XDPDNS_PASS_EXPIRED], dt);
	row(out, "kernel drops", kernel_sum(b, XDP_DROP, -1), kernel_sum(a, XDP_DROP, -1), dt);
	if (!b->daemon || !a->daemon) {
		fprintf(out, "\n  (no daemon running on %s)\n", instance);
		fflush(out);
		return;
	}
	draw_daemon(out, a, b, dt);
	fprintf(out, "  %-26s %11.1f%%\n", "answered by the kernel",
		share > 0 ? 100.0 * rate(khits, khits0, 1) / share : 0.0);
	draw_others(out, a, b, dt);
	draw_upstreams(out, a, b, dt);
	fflush(out);
}

int top_run(const struct xdpdns_maps *m, const char *instance, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_sample a, b;
	double interval = 1;
	long count = 0, i;
	bool tty = isatty(STDOUT_FILENO);
	char *end, err[256];
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:n:", longopts, NULL)) != -1) {
		if (c == 'i') {
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.1 && interval <= 3600))
				c = '?';
		} else if (c == 'n') {
			count = strtol(optarg, &end, 10);
			if (*end || count < 0)
				c = '?';
		}
		if (c == '?') {
			fprintf(stderr, "xdpdnsctl: top [--interval SECONDS (0.1 to 3600)] "
					"[-n COUNT]\n");
			return 2;
		}
	}
	ret = top_sample(m, instance, &a, err, sizeof(err));
	for (i = 0; !ret && (!count || i < count); i++) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (time_t)interval) * 1e9) };

		nanosleep(&ts, NULL);
		ret = top_sample(m, instance, &b, err, sizeof(err));
		if (!ret)
			top_draw(stdout, instance, &a, &b, tty);
		a = b;
	}
	if (ret) {
		fprintf(stderr, "xdpdnsctl: top: %s\n", err);
		return 1;
	}
	return 0;
}
