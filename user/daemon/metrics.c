// SPDX-License-Identifier: GPL-2.0
/* Prometheus metrics over HTTP. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "stats.h"
#include "version.h"

static const uint64_t latency_bounds_ns[XDPDNS_LATENCY_BUCKETS] = { XDPDNS_LATENCY_BUCKETS_NS };

void xdpdns_histogram_observe(struct xdpdns_histogram *h, uint64_t ns)
{
	int i = 0;

	while (i < XDPDNS_LATENCY_BUCKETS && ns > latency_bounds_ns[i])
		i++;
	h->buckets[i]++;
	h->count++;
	h->sum_ns += ns;
}

/* ---- the page ---- */

/* A label value: backslash, double quote and newline escaped (exposition format 0.0.4). */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const action_names[] = {
	[XDP_ABORTED] = "aborted", [XDP_DROP] = "drop", [XDP_PASS] = "pass", [XDP_TX] = "tx",
	[XDP_REDIRECT] = "redirect",
};

static void render_kernel(FILE *f, const struct metrics_kernel *k)
{
	unsigned int r;
	int c;

	if (k->counts_ok) {
		family(f, "xdpdns_kernel_packets_total", "counter",
		       "Packets the XDP program saw, summed over CPUs, by verdict reason and action.");
		for (r = 0; r < XDPDNS_REASON_COUNT; r++)
			fprintf(f, "xdpdns_kernel_packets_total{reason=\"%s\",action=\"%s\"} %llu\n",
				xdpdns_reason_name(r), action_names[xdpdns_reason_action(r)],
				(unsigned long long)k->counts[r]);
	}
	if (k->slots_ok) {
		int slot;

		/* by action, not by reason: a pattern is one attach point, and 3 series each keep
		 * a node's page short (the reasons are in the family above) */
		family(f, "xdpdns_kernel_attach_packets_total", "counter",
		       "Packets the program saw on each attach point (an interface, or every "
		       "interface of a pattern; \"-\": interfaces none lists), by action.");
		for (slot = 0; slot < XDPDNS_ATTACH_MAX; slot++) {
			static const int actions[] = { XDP_TX, XDP_PASS, XDP_DROP };
			size_t a;

			if (slot && !k->names[slot].name[0])
				continue;
			for (a = 0; a < sizeof(actions) / sizeof(actions[0]); a++) {
				fputs("xdpdns_kernel_attach_packets_total{attach=\"", f);
				label_value(f, slot ? k->names[slot].name : "-");
				fprintf(f, "\",hook=\"%s\",action=\"%s\"} %llu\n",
					slot ? xdpdns_hook_name(k->names[slot].hook) : "-",
					action_names[actions[a]],
					(unsigned long long)xdpdns_stats_action_sum(k->slots[slot],
										    actions[a]));
			}
		}
	}
	if (!k->entries_ok)
		return;
	family(f, "xdpdns_kernel_cache_entries", "gauge",
	       "Entries in the kernel's cache maps, by size class (counted at most every 10 s).");
	for (c = 0; c < XDPDNS_CLASS_COUNT; c++)
		fprintf(f, "xdpdns_kernel_cache_entries{class=\"%s\"} %llu\n", xdpdns_class_name(c),
			(unsigned long long)k->entries[c]);
	family(f, "xdpdns_kernel_cache_bytes", "gauge",
	       "Kernel memory of the cache maps' elements, by size class: entries times the "
	       "element size (value, key and kernel overhead).");
	for (c = 0; c < XDPDNS_CLASS_COUNT; c++)
		fprintf(f, "xdpdns_kernel_cache_bytes{class=\"%s\"} %llu\n", xdpdns_class_name(c),
			(unsigned long long)k->entries[c] *
				(xdpdns_class_value_len(c) + XDPDNS_MAP_ELEM_OVERHEAD));
}

static const char *kind_name(enum xdpdns_counter_kind kind)
{
	return kind == XDPDNS_GAUGE ? "gauge" : "counter";
}

/* The daemon's counters (counters.h): a family's HELP and TYPE come with its first row. */
static void render_daemon(FILE *f, const uint64_t v[XDPDNS_CTR_COUNT])
{
	const char *last = NULL;
	int i;

	for (i = 0; i < XDPDNS_CTR_COUNT; i++) {
		const struct xdpdns_counter_def *c = &xdpdns_counters[i];

		if (!last || strcmp(last, c->metric))
			family(f, c->metric, kind_name(c->kind), c->help);
		last = c->metric;
		fprintf(f, "%s%s%s%s %llu\n", c->metric, *c->labels ? "{" : "", c->labels,
			*c->labels ? "}" : "", (unsigned long long)v[i]);
	}
}

/* Each upstream's counters (counters.h), its state and its latency histogram. */
static void render_upstreams(FILE *f, const struct upstream_set *u)
{
	const char *h = "xdpdns_upstream_response_seconds";
	uint64_t v[XDPDNS_UPSTREAMS_MAX][XDPDNS_UPC_COUNT];
	int i, b, c;

	for (i = 0; i < u->n; i++)
		stats_read_upstream(&u->servers[i], v[i]);
	for (c = 0; c < XDPDNS_UPC_COUNT; c++) {
		const struct xdpdns_counter_def *d = &xdpdns_upstream_counters[c];

		family(f, d->metric, kind_name(d->kind), d->help);
		for (i = 0; i < u->n; i++) {
			fprintf(f, "%s{upstream=\"", d->metric);
			label_value(f, u->servers[i].addr.text);
			fprintf(f, "\"} %llu\n", (unsigned long long)v[i][c]);
		}
	}
	family(f, "xdpdns_upstream_up", "gauge",
	       "1 if the upstream is up (health probes and queries), 0 if down or forced down.");
	for (i = 0; i < u->n; i++) {
		fputs("xdpdns_upstream_up{upstream=\"", f);
		label_value(f, u->servers[i].addr.text);
		fprintf(f, "\"} %d\n", !u->servers[i].down);
	}
	family(f, h, "histogram",
	       "Time from sending an attempt to its matching response, by upstream.");
	for (i = 0; i < u->n; i++) {
		const struct xdpdns_histogram *hist = &u->servers[i].latency;
		uint64_t cumulative = 0;

		for (b = 0; b <= XDPDNS_LATENCY_BUCKETS; b++) {
			cumulative += hist->buckets[b];
			fprintf(f, "%s_bucket{upstream=\"", h);
			label_value(f, u->servers[i].addr.text);
			if (b < XDPDNS_LATENCY_BUCKETS)
				fprintf(f, "\",le=\"%g\"} %llu\n", latency_bounds_ns[b] / 1e9,
					(unsigned long long)cumulative);
			else
				fprintf(f, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
		}
		fprintf(f, "%s_sum{upstream=\"", h);
		label_value(f, u->servers[i].addr.text);
		fprintf(f, "\"} %.9f\n%s_count{upstream=\"", hist->sum_ns / 1e9, h);
		label_value(f, u->servers[i].addr.text);
		fprintf(f, "\"} %llu\n", (unsigned long long)hist->count);
	}
}

int metrics_render(FILE *f, const struct server *s, const struct metrics_kernel *k)
{
	uint64_t v[XDPDNS_CTR_COUNT];

	stats_read(s, v);
	family(f, "xdpdns_build_info", "gauge", "Always 1: the version of xdpdnsd, as a label.");
	fputs("xdpdns_build_info{version=\"", f);
	label_value(f, xdpdns_version);
	fputs("\"} 1\n", f);
	render_kernel(f, k);
	render_daemon(f, v);
	render_upstreams(f, server_upstreams_const(s));
	return ferror(f) ? -EIO : 0;
}

/* ---- HTTP ---- */

static void conn_close(struct metrics_conn *c)
{
	if (c->io.fd < 0)
		return;
	ev_io_del(c->m->loop, &c->io);
	ev_timer_stop(c->m->loop, &c->idle);
	close(c->io.fd);
	c->io.fd = -1;
	free(c->resp);
	c->resp = NULL;
}

static void on_idle(struct ev_loop *loop, struct ev_timer *t)
{
	(void)loop;
	conn_close(container_of(t, struct metrics_conn, idle));
}

/* Reads the kernel's side for a scrape: its counters every time, its entries when the last
 * count is older than METRICS_KERNEL_COUNT_MS. */
static void read_kernel(struct metrics *m)
{
	struct metrics_kernel *k = &m->kernel;
	uint64_t now = ev_now_ms();

	k->counts_ok = !xdpdns_stats_read(server_maps(m->srv), k->counts);
	k->slots_ok = !xdpdns_stats_read_slots(server_maps(m->srv), k->slots) &&
		      !xdpdns_attach_read(server_maps(m->srv), k->names);
	if (!m->counted_ms || now - m->counted_ms >= METRICS_KERNEL_COUNT_MS) {
		k->entries_ok = !xdpdns_cache_count_classes(server_maps(m->srv), k->entries);
		m->counted_ms = now;
	}
}

/* The response to the request in c->req (complete, NUL-terminated), in c->resp. */
static int respond(struct metrics_conn *c, bool too_big)
{
	char method[16] = "", target[256] = "", version[16] = "", *body = NULL, *q;
	const char *status = "200 OK", *extra = "";
	size_t body_len = 0;
	FILE *f;
	int ret;

	if (too_big)
		status = "431 Request Header Fields Too Large";
	else if (sscanf(c->req, "%15s %255s %15s", method, target, version) != 3 ||
		 strncmp(version, "HTTP/1.", 7))
		status = "400 Bad Request";
	else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		status = "405 Method Not Allowed", extra = "Allow: GET, HEAD\r\n";
	q = strchr(target, '?'); /* a query string changes nothing */
	if (q)
		*q = 0;
	if (!strcmp(status, "200 OK") && strcmp(target, "/metrics"))
		status = "404 Not Found";

	f = open_memstream(&body, &body_len);
	if (!f)
		return -ENOMEM;
	if (!strcmp(status, "200 OK")) {
		read_kernel(c->m);
		metrics_render(f, c->m->srv, &c->m->kernel);
		c->m->scrapes++;
	} else {
		fprintf(f, "%s\n", status);
	}
	ret = fclose(f) ? -ENOMEM : 0;
	if (!ret) {
		f = open_memstream(&c->resp, &c->resp_len);
		if (!f) {
			free(body);
			return -ENOMEM;
		}
		fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			   "Connection: close\r\n\r\n",
			status, !strcmp(status, "200 OK") ? "text/plain; version=0.0.4; charset=utf-8" :
							      "text/plain; charset=utf-8",
			body_len, extra);
		if (strcmp(method, "HEAD"))
			fwrite(body, 1, body_len, f);
		ret = fclose(f) ? -ENOMEM : 0;
	}
	free(body);
	c->resp_sent = 0;
	return ret;
}

/* Sends what is left of the response. Then, a lingering close: our side shut, the client's
 * read until it closes (or METRICS_CONN_MS), as closing with bytes unread (a refused request
 * cut short, a body) would reset the connection and could lose the response. */
static void conn_send(struct metrics_conn *c)
{
	while (c->resp_sent < c->resp_len) {
		ssize_t n = send(c->io.fd, c->resp + c->resp_sent, c->resp_len - c->resp_sent,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return; /* EPOLLOUT calls again */
			conn_close(c);
			return;
		}
		c->resp_sent += n;
	}
	if (shutdown(c->io.fd, SHUT_WR) || ev_io_mod(c->m->loop, &c->io, EPOLLIN))
		conn_close(c);
}

/* After the response: what the client still sends is read and dropped until it closes. */
static void conn_drain(struct metrics_conn *c)
{
	char scratch[512];
	ssize_t n;

	while ((n = recv(c->io.fd, scratch, sizeof(scratch), 0)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

/* The end of the headers: a blank line (CRLF, or bare LF from hand-typed requests). */
static bool request_complete(const char *req)
{
	return strstr(req, "\r\n\r\n") || strstr(req, "\n\n");
}

static void on_conn(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct metrics_conn *c = container_of(io, struct metrics_conn, io);
	bool too_big = false;
	ssize_t n;

	(void)events;
	if (io->fd < 0) /* closed by metrics_stop() earlier in this batch of events */
		return;
	if (c->resp && c->resp_sent < c->resp_len)
		conn_send(c);
	else if (c->resp)
		conn_drain(c);
	if (c->resp || io->fd < 0)
		return;
	for (;;) {
		n = recv(io->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) { /* closed, or failed, before a whole request */
			conn_close(c);
			return;
		}
		c->req_len += n;
		c->req[c->req_len] = 0;
		if (request_complete(c->req))
			break;
		if (c->req_len == sizeof(c->req) - 1) {
			too_big = true;
			break;
		}
	}
	if (respond(c, too_big) || ev_io_mod(loop, io, EPOLLOUT)) {
		conn_close(c);
		return;
	}
	conn_send(c);
}

static void on_accept(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct metrics *m = container_of(io, struct metrics, io);
	int fd, i;

	(void)events;
	if (io->fd < 0)
		return;
	while ((fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct metrics_conn *c = NULL;

		for (i = 0; i < METRICS_CONNS_MAX && !c; i++)
			if (m->conns[i].io.fd < 0)
				c = &m->conns[i];
		if (!c) { /* a scraper needs one; more are a client gone wrong */
			close(fd);
			continue;
		}
		c->m = m;
		c->io.fd = fd;
		c->io.cb = on_conn;
		c->idle.cb = on_idle;
		c->req_len = 0;
		c->resp = NULL;
		if (ev_io_add(loop, &c->io, EPOLLIN) ||
		    ev_timer_start(loop, &c->idle, METRICS_CONN_MS)) {
			close(fd);
			c->io.fd = -1;
			ev_timer_stop(loop, &c->idle);
		}
	}
}

void metrics_init(struct metrics *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->io.fd = -1;
	for (i = 0; i < METRICS_CONNS_MAX; i++)
		m->conns[i].io.fd = -1;
}

int metrics_start(struct metrics *m, struct ev_loop *loop, struct server *srv,
		  const struct xdpdns_sockaddr *addr)
{
	int one = 1, err;

	metrics_init(m);
	m->loop = loop;
	m->srv = srv;
	m->addr = *addr;
	m->io.fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->io.fd < 0) {
		err = -errno;
		goto fail;
	}
	/* a restart finds the port in TIME_WAIT from the last scrapes */
	setsockopt(m->io.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(m->io.fd, (const struct sockaddr *)&addr->sa, addr->len) ||
	    listen(m->io.fd, METRICS_CONNS_MAX * 2)) {
		err = -errno;
		goto fail;
	}
	m->io.cb = on_accept;
	err = ev_io_add(loop, &m->io, EPOLLIN);
	if (err)
		goto fail;
	log_info("metrics on http://%s/metrics", addr->text);
	return 0;
fail:
	log_error("can't serve metrics on %s: %s", addr->text, strerror(-err));
	if (m->io.fd >= 0)
		close(m->io.fd);
	m->io.fd = -1;
	return err;
}

void metrics_stop(struct metrics *m)
{
	int i;

	for (i = 0; i < METRICS_CONNS_MAX; i++)
		conn_close(&m->conns[i]);
	if (m->io.fd < 0)
		return;
	ev_io_del(m->loop, &m->io);
	close(m->io.fd);
	m->io.fd = -1;
}
