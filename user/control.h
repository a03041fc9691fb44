/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's control socket, XDPDNS_RUN_DIR/<instance>.sock: one text command per connection,
 * answered in text. xdpdnsctl is the client; the kernel side needs no daemon (pinned maps).
 *   stats                     the daemon's counters, "name value" lines
 *   health                    one line per upstream
 *   force ADDR down|up|auto   a drill: force an upstream's state, or let health decide */
#ifndef XDPDNS_CONTROL_H
#define XDPDNS_CONTROL_H

#include <stdio.h>
#include "event.h"
#include "server.h"

#define XDPDNS_RUN_DIR "/run/xdpdns"

struct control {
	struct ev_io io;
	struct server *srv;
	char path[128];
};

/* Listens on the socket of instance (a stale one from a killed daemon is replaced). */
int control_start(struct control *c, struct server *srv, const char *instance);
void control_stop(struct control *c);

/* Client: sends cmd to the daemon of instance and copies its answer to out. Returns 0, -ENOENT
 * when no daemon runs there, or another -errno. */
int control_request(const char *instance, const char *cmd, FILE *out);

#endif /* XDPDNS_CONTROL_H */
