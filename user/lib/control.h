/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's control socket, XDPDNS_RUN_DIR/<instance>.sock: one text command per connection,
 * answered in text. The daemon's end is daemon/control_server.c; this is what both ends share,
 * and the client (xdpdnsctl). The kernel side needs no daemon (pinned maps).
 *   stats                     the daemon's counters, "name value" lines (counters.h)
 *   health                    one line per upstream: "ADDR up|down [(forced)] key=value..."
 *   force ADDR down|up|auto   a drill: force an upstream's state, or let health decide
 *   drill ...                 fault drills (daemon/drill.h) */
#ifndef XDPDNS_CONTROL_H
#define XDPDNS_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#define XDPDNS_RUN_DIR "/run/xdpdns"

/* Upstreams a daemon has at most: the health command's lines. */
#define XDPDNS_UPSTREAMS_MAX 8

/* XDPDNS_RUN_DIR/<instance>.sock into buf. Returns 0 or -ENAMETOOLONG (also when it would not fit
 * a sockaddr_un). */
int xdpdns_control_path(const char *instance, char *buf, size_t len);

/* Client: sends cmd to the daemon on instance and copies its answer to out. Returns 0, -ENOENT
 * when no daemon runs there, or another -errno. */
int control_request(const char *instance, const char *cmd, FILE *out);

#endif /* XDPDNS_CONTROL_H */
