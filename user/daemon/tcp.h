/* SPDX-License-Identifier: GPL-2.0 */
/* The TCP service (RFC 7766): listeners, connections with several queries each, answered as they
 * resolve, and the limits that keep any client from crashing the daemon or taking the service
 * from the others (README "TCP clients"). Queries go to server_query(); answers come back through
 * the connection's struct server_client. */
#ifndef XDPDNS_TCP_H
#define XDPDNS_TCP_H

#include <stdbool.h>
#include "control.h" /* XDPDNS_SERVICES_MAX */
#include "event.h"

#define SERVER_TCP_SOURCE_BUCKETS 1024 /* open TCP connections by source, for their limit */

struct server;
struct tcp_conn;

struct tcp_listener {
	struct ev_io io;
	struct server *srv;
};

/* The TCP service's part of struct server. */
struct server_tcp {
	struct tcp_listener listeners[XDPDNS_SERVICES_MAX];
	int n_listeners;
	struct tcp_conn *open, *open_tail; /* the most recently active first */
	unsigned int n_open;
	struct tcp_conn *closed; /* still owed answers by resolutions, or about to be freed */
	struct tcp_conn *sources[SERVER_TCP_SOURCE_BUCKETS]; /* open ones, by source */
	struct ev_timer accept_timer; /* accepting again, after accept() failed */
};

void tcp_init(struct server *s);

/* Serves connections on fd, a listening TCP socket (the server's from then on). Returns 0 or
 * -errno (fd closed). */
int tcp_listen(struct server *s, int fd);

/* Closes the listeners; connections go on. */
void tcp_unlisten(struct server *s);

/* Closes every connection; their queries in flight must be gone already. */
void tcp_fini(struct server *s);

#endif /* XDPDNS_TCP_H */
