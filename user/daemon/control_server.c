// SPDX-License-Identifier: GPL-2.0
/* The daemon's end of the control socket. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "control_server.h"
#include "log.h"
#include "stats.h"

static void cmd_stats(struct server *s, FILE *out)
{
	uint64_t v[XDPDNS_CTR_COUNT];

	stats_read(s, v);
	xdpdns_counters_print(out, v);
}

/* "ADDR up|down [(forced)]" and the upstream's counters, a line per upstream. */
static void cmd_health(struct server *s, FILE *out)
{
	const struct upstream_set *set = server_upstreams(s);
	uint64_t v[XDPDNS_UPC_COUNT];
	int i;

	for (i = 0; i < set->n; i++) {
		const struct upstream *u = &set->servers[i];

		fprintf(out, "%s %s%s", u->addr.text, u->down ? "down" : "up",
			u->force != UPSTREAM_AUTO ? " (forced)" : "");
		stats_read_upstream(u, v);
		xdpdns_upstream_counters_print(out, v);
		fputc('\n', out);
	}
}

/* The upstream named by text, as the health list shows it: its index, or -1. */
static int upstream_named(struct server *s, const char *text)
{
	const struct upstream_set *set = server_upstreams(s);
	struct xdpdns_sockaddr want;
	int i;

	if (xdpdns_sockaddr_parse(text, &want))
		return -1;
	for (i = 0; i < set->n; i++)
		if (!strcmp(set->servers[i].addr.text, want.text))
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
	upstream_force(server_upstreams(s), i, !strcmp(state, "down") ? UPSTREAM_FORCE_DOWN :
					 !strcmp(state, "up") ? UPSTREAM_FORCE_UP : UPSTREAM_AUTO);
	cmd_health(s, out);
}

static void drills_list(struct server *s, FILE *out)
{
	struct upstream_set *set = server_upstreams(s);
	uint64_t now = ev_now_ms();
	char what[320];
	int i;

	for (i = 0; i < set->n; i++) {
		struct upstream *u = &set->servers[i];

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
	for (i = 0; i < server_upstreams(s)->n; i++) {
		struct upstream *u = &server_upstreams(s)->servers[i];
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

void control_command(struct server *s, const char *cmd, FILE *out)
{
	if (!strcmp(cmd, "stats"))
		cmd_stats(s, out);
	else if (!strcmp(cmd, "health"))
		cmd_health(s, out);
	else if (!strncmp(cmd, "force ", 6))
		cmd_force(s, cmd + 6, out);
	else if (!strcmp(cmd, "drill") || !strncmp(cmd, "drill ", 6))
		cmd_drill(s, cmd + 5, out);
	else
		fprintf(out, "error: unknown command '%s'\n", cmd);
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
	control_command(c->srv, cmd, out);
	fclose(out);
}

int control_start(struct control *c, struct server *srv, const char *instance)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err;

	memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->io.fd = -1;
	err = xdpdns_control_path(instance, c->path, sizeof(c->path));
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
	return ev_io_add(server_loop(srv), &c->io, EPOLLIN);
}

void control_stop(struct control *c)
{
	if (c->io.fd < 0)
		return;
	ev_io_del(server_loop(c->srv), &c->io);
	close(c->io.fd);
	unlink(c->path);
	c->io.fd = -1;
}
