// SPDX-License-Identifier: GPL-2.0
/* The daemon's DNS service: the struct that holds it, its start, listeners and stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "log.h"
#include "server.h"

int server_init(struct server *s, struct ev_loop *loop, const struct xdpdns_options *o,
		struct xdpdns_maps *maps, uint64_t hash_seed)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->opts = o;
	s->maps = maps;
	s->hash_seed = hash_seed;
	upstream_set_init(&s->upstreams, loop, o);
	err = dcache_init(&s->cache, SERVER_DCACHE_ENTRIES);
	if (err)
		return err;
	err = guard_init(&s->guard);
	if (err) {
		dcache_fini(&s->cache);
		return err;
	}
	err = udp_init(s, xdpdns_options_threads(o));
	if (err) {
		guard_fini(&s->guard);
		dcache_fini(&s->cache);
		return err;
	}
	resolution_init(s);
	refresh_init(s);
	tcp_init(s);
	return 0;
}

/* A socket of type bound to sa, for the service. Returns the fd or -errno. */
static int service_socket(const struct xdpdns_sockaddr *sa, int type, const char *addr,
			  uint16_t port, bool reuseport)
{
	int fd = socket(sa->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* the UDP workers' sockets join it (udp.h) */
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (sa->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* the address may not be up yet (IPv6 DAD): bind anyway */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&sa->sa, sa->len) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		int err = -errno;

		log_error("can't listen on %s port %u/%s: %s", addr, port,
			  type == SOCK_STREAM ? "tcp" : "udp", strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

int server_listen(struct server *s, const char *addr)
{
	struct xdpdns_sockaddr sa;
	int fd, err;

	if (xdpdns_sockaddr_parse(addr, &sa))
		return -EINVAL;
	if (sa.sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa.sa)->sin_port = htons(s->opts->port);
	else
		((struct sockaddr_in6 *)&sa.sa)->sin6_port = htons(s->opts->port);
	if (s->udp.n == XDPDNS_SERVICES_MAX || s->tcp.n_listeners == XDPDNS_SERVICES_MAX)
		return -ENOSPC;
	fd = service_socket(&sa, SOCK_DGRAM, addr, s->opts->port, udp_reuseport(s));
	if (fd < 0)
		return fd;
	err = udp_listen(s, fd);
	if (err) {
		log_error("can't listen on %s port %u/udp: %s", addr, s->opts->port, strerror(-err));
		return err;
	}
	fd = service_socket(&sa, SOCK_STREAM, addr, s->opts->port, false);
	return fd < 0 ? fd : tcp_listen(s, fd);
}

int server_start(struct server *s)
{
	return udp_start(s);
}

void server_unlisten(struct server *s)
{
	udp_unlisten(s);
	tcp_unlisten(s);
}

void server_options_changed(struct server *s)
{
	int moved[XDPDNS_UPSTREAMS_MAX];

	upstream_set_reconfigure(&s->upstreams, s->opts, moved);
	guard_servers_moved(&s->guard, moved);
	refresh_options_changed(s);
	udp_options_changed(s);
}

void server_fini(struct server *s)
{
	refresh_fini(s);
	guard_fini(&s->guard);
	resolution_fini(s);
	server_unlisten(s);
	udp_fini(s);
	tcp_fini(s); /* after the waiters: they hold connections */
	dcache_fini(&s->cache);
}
