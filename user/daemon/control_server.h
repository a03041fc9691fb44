/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's end of the control socket (lib/control.h says what it answers). */
#ifndef XDPDNS_CONTROL_SERVER_H
#define XDPDNS_CONTROL_SERVER_H

#include <stdio.h>
#include "control.h"
#include "event.h"
#include "server.h"

struct control {
	struct ev_io io;
	struct server *srv;
	char path[128];
};

/* Listens on the socket for instance (a stale one from a killed daemon is replaced). */
int control_start(struct control *c, struct server *srv, const char *instance);
void control_stop(struct control *c);

/* Runs one command line (without its newline) for s, its answer to out: what a client of the
 * socket gets. */
void control_command(struct server *s, const char *cmd, FILE *out);

#endif /* XDPDNS_CONTROL_SERVER_H */
