// SPDX-License-Identifier: GPL-2.0
/* The daemon's control socket. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "control.h"
#include "log.h"

static int socket_path(const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.sock", XDPDNS_RUN_DIR, ifname);

	return n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path) ?
		       -ENAMETOOLONG : 0;
}

static void cmd_stats(struct server *s, FILE *out)
{
	const struct server_stats *st = &s->stats;

	fprintf(out, "queries_udp %llu\nqueries_tcp %llu\nmisses %llu\nanswered_from_daemon_cache %llu\n"
		     "resolved %llu\ncoalesced %llu\nprefetches %llu\nstale_answers %llu\n"
		     "servfail %llu\nmalformed %llu\ntruncated %llu\nkernel_fills %llu\n"
		     "kernel_fill_skipped %llu\nkernel_evictions %llu\nresolutions_in_flight %u\n"
		     "daemon_cache_entries %zu\n",
		(unsigned long long)st->queries_udp, (unsigned long long)st->queries_tcp,
		(unsigned long long)st->misses, (unsigned long long)st->from_dcache, (unsigned long long)st->resolved,
		(unsigned long long)st->coalesced, (unsigned long long)st->prefetches,
		(unsigned long long)st->stale_answers, (unsigned long long)st->servfail,
		(unsigned long long)st->malformed, (unsigned long long)st->truncated,
		(unsigned long long)st->kernel_fills, (unsigned long long)st->kernel_fill_skipped,
		(unsigned long long)st->kernel_evictions, s->n_pending, s->cache.count);
	/* the storm: guard, healing negatives, budget, recovery after an outage */
	fprintf(out, "guard_names %llu\nguard_answers %llu\nguard_confirmed %llu\n"
		     "guard_expired %llu\nguard_recovered %llu\nguard_watching %u\n"
		     "negative_healing %llu\nover_budget %llu\nupstream_over_budget %llu\n"
		     "recovery_refreshes %llu\nrecovery_queued %zu\nfallback_answers %llu\n",
		(unsigned long long)st->guard_names, (unsigned long long)st->guard_answers,
		(unsigned long long)st->guard_confirmed, (unsigned long long)st->guard_expired,
		(unsigned long long)st->guard_recovered, s->guard.count,
		(unsigned long long)st->negative_healing, (unsigned long long)st->over_budget,
		(unsigned long long)s->upstreams.over_budget,
		(unsigned long long)st->recovery_refreshes, s->recovery_n - s->recovery_next,
		(unsigned long long)st->fallback_answers);
	/* hostile input: upstream answers ignored (wrong ID or question, unparsable), scrubbed,
	 * not cached, outdated; coalesced queries over the cap */
	fprintf(out, "upstream_unparsable %llu\nupstream_wrong_id %llu\n"
		     "upstream_wrong_question %llu\nscrubbed_records %llu\nnot_cached %llu\n"
		     "outdated_answers %llu\nwaiters_over_cap %llu\n",
		(unsigned long long)s->upstreams.bogus.unparsable,
		(unsigned long long)s->upstreams.bogus.wrong_id,
		(unsigned long long)s->upstreams.bogus.wrong_question,
		(unsigned long long)st->scrubbed_records, (unsigned long long)st->not_cached,
		(unsigned long long)st->outdated_answers, (unsigned long long)st->waiters_over_cap);
	/* shield mode: cache-only's budget for client misses */
	fprintf(out, "cache_only_forwarded %llu\ncache_only_stale %llu\ncache_only_refused %llu\n",
		(unsigned long long)st->cache_only_forwarded,
		(unsigned long long)st->cache_only_stale, (unsigned long long)st->cache_only_refused);
	/* TCP clients: open now, and those refused or closed for a limit */
	fprintf(out, "tcp_connections %u\ntcp_refused %llu\ntcp_closed_idle %llu\n"
		     "tcp_closed_slow_read %llu\ntcp_closed_unread %llu\ntcp_accept_failed %llu\n",
		s->tcp.n_open, (unsigned long long)st->tcp_refused,
		(unsigned long long)st->tcp_closed_idle, (unsigned long long)st->tcp_closed_slow_read,
		(unsigned long long)st->tcp_closed_unread, (unsigned long long)st->tcp_accept_failed);
}

static void cmd_health(struct server *s, FILE *out)
{
	int i;

	for (i = 0; i < s->upstreams.n; i++) {
		const struct upstream *u = &s->upstreams.servers[i];

		fprintf(out, "%s %s%s fails=%u queries=%llu answers=%llu timeouts=%llu bogus=%llu\n",
			u->addr.text, u->down ? "down" : "up",
			u->force != UPSTREAM_AUTO ? " (forced)" : "",
			u->fails, (unsigned long long)u->queries, (unsigned long long)u->answers,
			(unsigned long long)u->timeouts, (unsigned long long)u->bogus);
	}
}

/* The upstream named by text, as the health list shows it: its index, or -1. */
static int upstream_named(struct server *s, const char *text)
{
	struct xdpdns_sockaddr want;
	int i;

	if (xdpdns_sockaddr_parse(text, &want))
		return -1;
	for (i = 0; i < s->upstreams.n; i++)
		if (!strcmp(s->upstreams.servers[i].addr.text, want.text))
			return i;
	return -1;
}

static void cmd_force(struct server *s, const char *args, FILE *out)
{
	char addr[INET6_ADDRSTRLEN + 16], state[8];
	int i;

	/* the width is sizeof(addr) - 1 */
	if (sscanf(args, "%61s %7s", addr, state) != 2 ||
	    (strcmp(state, "down") && strcmp(state, "up") && strcmp(state, "auto"))) {
		fprintf(out, "error: force ADDR[:PORT] down|up|auto\n");
		return;
	}
	i = upstream_named(s, addr);
	if (i < 0) {
		fprintf(out, "error: %s is not an upstream\n", addr);
		return;
	}
	upstream_force(&s->upstreams, i, !strcmp(state, "down") ? UPSTREAM_FORCE_DOWN :
					 !strcmp(state, "up") ? UPSTREAM_FORCE_UP : UPSTREAM_AUTO);
	cmd_health(s, out);
}

static void drills_list(struct server *s, FILE *out)
{
	uint64_t now = ev_now_ms();
	char what[320];
	int i;

	for (i = 0; i < s->upstreams.n; i++) {
		struct upstream *u = &s->upstreams.servers[i];

		drill_active(&u->drill, now); /* an expired one ends here */
		drill_describe(&u->drill, now, what, sizeof(what));
		fprintf(out, "%s drill: %s\n", u->addr.text, what);
	}
}

/* drill | drill off [ADDR] | drill ADDR|all FAULT [ARG] [for SECONDS] */
static void cmd_drill(struct server *s, const char *args, FILE *out)
{
	char target[INET6_ADDRSTRLEN + 16] = "", err[300], what[320];
	uint64_t now = ev_now_ms();
	int i, only = -1, n = 0;

	while (*args == ' ')
		args++;
	if (!*args) {
		drills_list(s, out);
		return;
	}
	if (sscanf(args, "%61s%n", target, &n) != 1) { /* the width is sizeof(target) - 1 */
		fprintf(out, "error: drill [off [ADDR]] | drill ADDR|all FAULT [ARG] [for SECONDS]\n");
		return;
	}
	args += n;
	if (!strcmp(target, "off")) {
		while (*args == ' ')
			args++;
		if (*args && (only = upstream_named(s, args)) < 0) {
			fprintf(out, "error: %s is not an upstream\n", args);
			return;
		}
	} else if (strcmp(target, "all") && (only = upstream_named(s, target)) < 0) {
		fprintf(out, "error: %s is not an upstream (or 'all', or 'off')\n", target);
		return;
	}
	for (i = 0; i < s->upstreams.n; i++) {
		struct upstream *u = &s->upstreams.servers[i];
		struct drill d;

		if (only >= 0 && i != only)
			continue;
		if (!strcmp(target, "off")) {
			if (drill_active(&u->drill, now))
				log_info("drill on upstream %s ended by hand", u->addr.text);
			drill_clear(&u->drill);
			continue;
		}
		if (drill_parse(args, now, &d, err, sizeof(err))) {
			fprintf(out, "error: %s\n", err);
			return;
		}
		drill_clear(&u->drill);
		u->drill = d;
		snprintf(u->drill.label, sizeof(u->drill.label), "upstream %s", u->addr.text);
		drill_describe(&d, now, what, sizeof(what));
		log_warn("drill on upstream %s: %s (xdpdnsctl drill off ends it)", u->addr.text,
			 what);
	}
	drills_list(s, out);
}

static void on_client(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct control *c = container_of(io, struct control, io);
	char cmd[256] = "", *nl;
	int fd = accept4(io->fd, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 1 };
	ssize_t n;
	FILE *out;

	(void)loop;
	(void)events;
	if (fd < 0)
		return;
	/* a client that says nothing must not stall the daemon for long */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = recv(fd, cmd, sizeof(cmd) - 1, 0);
	out = fdopen(fd, "w");
	if (!out) {
		close(fd);
		return;
	}
	cmd[n > 0 ? n : 0] = 0;
	nl = strchr(cmd, '\n');
	if (nl)
		*nl = 0;
	if (!strcmp(cmd, "stats"))
		cmd_stats(c->srv, out);
	else if (!strcmp(cmd, "health"))
		cmd_health(c->srv, out);
	else if (!strncmp(cmd, "force ", 6))
		cmd_force(c->srv, cmd + 6, out);
	else if (!strcmp(cmd, "drill") || !strncmp(cmd, "drill ", 6))
		cmd_drill(c->srv, cmd + 5, out);
	else
		fprintf(out, "error: unknown command '%s'\n", cmd);
	fclose(out);
}

int control_start(struct control *c, struct server *srv, const char *ifname)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err;

	memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->io.fd = -1;
	err = socket_path(ifname, c->path, sizeof(c->path));
	if (err)
		return err;
	if (mkdir(XDPDNS_RUN_DIR, 0700) && errno != EEXIST)
		return -errno;
	unlink(c->path); /* left by a daemon that was killed */
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	c->io.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->io.fd < 0)
		return -errno;
	if (bind(c->io.fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(c->io.fd, 8) ||
	    chmod(c->path, 0600)) {
		err = -errno;
		log_error("can't listen on %s: %s", c->path, strerror(errno));
		close(c->io.fd);
		c->io.fd = -1;
		return err;
	}
	c->io.cb = on_client;
	return ev_io_add(srv->loop, &c->io, EPOLLIN);
}

void control_stop(struct control *c)
{
	if (c->io.fd < 0)
		return;
	ev_io_del(c->srv->loop, &c->io);
	close(c->io.fd);
	unlink(c->path);
	c->io.fd = -1;
}

int control_request(const char *ifname, const char *cmd, FILE *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	char buf[4096];
	ssize_t n;
	int fd, err = socket_path(ifname, sun.sun_path, sizeof(sun.sun_path));

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a daemon that is stuck must fail a health probe, not hang it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = errno == ECONNREFUSED ? -ENOENT : -errno; /* a socket left by a killed daemon */
		close(fd);
		return err;
	}
	/* one message: the daemon reads once, answers and closes */
	n = snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (n >= (ssize_t)sizeof(buf) || send(fd, buf, n, MSG_NOSIGNAL) < 0) {
		err = n >= (ssize_t)sizeof(buf) ? -E2BIG : -errno;
		close(fd);
		return err;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		fwrite(buf, 1, n, out);
	close(fd);
	return n < 0 ? -errno : 0;
}
