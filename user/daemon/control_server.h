/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's end of the control socket (lib/control.h says what it answers). */
#ifndef XDPDNS_CONTROL_SERVER_H
#define XDPDNS_CONTROL_SERVER_H

#include "control.h"
#include "event.h"
#include "server.h"

struct control {
	struct ev_io io;
	struct server *srv;
	char path[128];
};

/* Listens on the socket for ifname (a stale one from a killed daemon is replaced). */
int control_start(struct control *c, struct server *srv, const char *ifname);
void control_stop(struct control *c);

#endif /* XDPDNS_CONTROL_SERVER_H */
