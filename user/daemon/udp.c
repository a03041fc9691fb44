// SPDX-License-Identifier: GPL-2.0
/* The UDP service. */
#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "server.h"

#define UDP_MSG_MAX 65535
#define UDP_BATCH 64 /* datagrams taken per wake-up; then other sockets have a turn */

/* A response to a client of socket c->ctx. */
static void udp_reply(const struct server_client *c, const uint8_t *wire, size_t len)
{
	const struct udp_socket *u = c->ctx;

	sendto(u->io.fd, wire, len, MSG_DONTWAIT, (const struct sockaddr *)&c->addr, c->addr_len);
}

static void on_udp(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct udp_socket *u = container_of(io, struct udp_socket, io);
	static uint8_t buf[UDP_MSG_MAX];
	struct server_client c = { .reply = udp_reply, .ctx = u };
	int budget = UDP_BATCH;

	(void)loop;
	(void)events;
	while (budget--) {
		ssize_t n;

		c.addr_len = sizeof(c.addr);
		n = recvfrom(io->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&c.addr,
			     &c.addr_len);
		if (n < 0)
			return;
		u->srv->stats.queries_udp++;
		server_query(u->srv, buf, n, &c);
	}
}

int udp_listen(struct server *s, int fd)
{
	struct udp_socket *u;
	int err;

	if (s->udp.n == XDPDNS_SERVICES_MAX) {
		close(fd);
		return -ENOSPC;
	}
	u = &s->udp.socks[s->udp.n];
	u->srv = s;
	u->io.fd = fd;
	u->io.cb = on_udp;
	err = ev_io_add(s->loop, &u->io, EPOLLIN);
	if (err) {
		close(fd);
		return err;
	}
	s->udp.n++;
	return 0;
}

void udp_unlisten(struct server *s)
{
	int i;

	for (i = 0; i < s->udp.n; i++) {
		ev_io_del(s->loop, &s->udp.socks[i].io);
		close(s->udp.socks[i].io.fd);
	}
	s->udp.n = 0;
}
