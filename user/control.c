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

	fprintf(out, "queries_udp %llu\nqueries_tcp %llu\nanswered_from_daemon_cache %llu\n"
		     "resolved %llu\ncoalesced %llu\nprefetches %llu\nstale_answers %llu\n"
		     "servfail %llu\nmalformed %llu\ntruncated %llu\nkernel_fills %llu\n"
		     "kernel_fill_skipped %llu\nkernel_evictions %llu\nresolutions_in_flight %u\n"
		     "daemon_cache_entries %zu\n",
		(unsigned long long)st->queries_udp, (unsigned long long)st->queries_tcp,
		(unsigned long long)st->from_dcache, (unsigned long long)st->resolved,
		(unsigned long long)st->coalesced, (unsigned long long)st->prefetches,
		(unsigned long long)st->stale_answers, (unsigned long long)st->servfail,
		(unsigned long long)st->malformed, (unsigned long long)st->truncated,
		(unsigned long long)st->kernel_fills, (unsigned long long)st->kernel_fill_skipped,
		(unsigned long long)st->kernel_evictions, s->n_pending, s->cache.count);
	/* the storm: guard, healing negatives, budget, recovery after an outage */
	fprintf(out, "guard_names %llu\nguard_answers %llu\nguard_confirmed %llu\n"
		     "guard_expired %llu\nguard_recovered %llu\nguard_watching %u\n"
		     "negative_healing %llu\nover_budget %llu\nupstream_over_budget %llu\n"
		     "recovery_refreshes %llu\nrecovery_queued %zu\nfallback_answers %llu\n"
		     "cache_only_forwarded %llu\ncache_only_stale %llu\ncache_only_refused %llu\n",
		(unsigned long long)st->guard_names, (unsigned long long)st->guard_answers,
		(unsigned long long)st->guard_confirmed, (unsigned long long)st->guard_expired,
		(unsigned long long)st->guard_recovered, s->guard.count,
		(unsigned long long)st->negative_healing, (unsigned long long)st->over_budget,
		(unsigned long long)s->upstreams.over_budget,
		(unsigned long long)st->recovery_refreshes, s->recovery_n - s->recovery_next,
		(unsigned long long)st->fallback_answers,
		(unsigned long long)st->cache_only_forwarded,
		(unsigned long long)st->cache_only_stale,
		(unsigned long long)st->cache_only_refused);
}

static void cmd_health(struct server *s, FILE *out)
{
	int i;

	for (i = 0; i < s->upstreams.n; i++) {
		const struct upstream *u = &s->upstreams.servers[i];

		fprintf(out, "%s %s%s fails=%u queries=%llu answers=%llu timeouts=%llu bogus=%llu\n",
			u->addr.text, u->down ? "down" : "up",
			u->force == UPSTREAM_FORCE_DOWN ? " (forced)" :
			u->force == UPSTREAM_FORCE_UP ? " (forced)" : "",
			u->fails, (unsigned long long)u->queries, (unsigned long long)u->answers,
			(unsigned long long)u->timeouts, (unsigned long long)u->bogus);
	}
}

static void cmd_force(struct server *s, const char *args, FILE *out)
{
	char addr[INET6_ADDRSTRLEN + 16], state[8];
	struct xdpdns_sockaddr want;
	int i;

	if (sscanf(args, "%63s %7s", addr, state) != 2 || xdpdns_sockaddr_parse(addr, &want) ||
	    (strcmp(state, "down") && strcmp(state, "up") && strcmp(state, "auto"))) {
		fprintf(out, "error: force ADDR[:PORT] down|up|auto\n");
		return;
	}
	for (i = 0; i < s->upstreams.n; i++)
		if (!strcmp(s->upstreams.servers[i].addr.text, want.text))
			break;
	if (i == s->upstreams.n) {
		fprintf(out, "error: %s is not an upstream\n", want.text);
		return;
	}
	upstream_force(&s->upstreams, i, !strcmp(state, "down") ? UPSTREAM_FORCE_DOWN :
					 !strcmp(state, "up") ? UPSTREAM_FORCE_UP : UPSTREAM_AUTO);
	cmd_health(s, out);
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
	char buf[4096];
	ssize_t n;
	int fd, err = socket_path(ifname, sun.sun_path, sizeof(sun.sun_path));

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
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
