/* SPDX-License-Identifier: GPL-2.0 */
/* The UDP service: a socket per service address, every datagram handed to server_query(), each
 * answer sent back from the socket it came to. */
#ifndef XDPDNS_UDP_H
#define XDPDNS_UDP_H

#include "control.h" /* XDPDNS_SERVICES_MAX */
#include "event.h"

struct server;

struct udp_socket {
	struct ev_io io;
	struct server *srv;
};

/* The UDP service's part of struct server. */
struct server_udp {
	struct udp_socket socks[XDPDNS_SERVICES_MAX];
	int n;
};

/* Serves queries on fd, a bound UDP socket (the server's from then on). Returns 0 or -errno
 * (fd closed). */
int udp_listen(struct server *s, int fd);

/* Closes the sockets. */
void udp_unlisten(struct server *s);

#endif /* XDPDNS_UDP_H */
