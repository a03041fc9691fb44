/* SPDX-License-Identifier: GPL-2.0 */
/* Interfaces as they come and go: an rtnetlink socket on RTMGRP_LINK in the daemon's event
 * loop, so that the attach points named by a pattern (pod veths) follow the pods. */
#ifndef XDPDNS_LINKWATCH_H
#define XDPDNS_LINKWATCH_H

#include <stdbool.h>
#include "event.h"

/* Called per RTM_NEWLINK (removed false: a new interface, or a change to one: a rename, a
 * state) and RTM_DELLINK (removed true); with ifindex 0 when events were lost (the socket's
 * buffer overran): the caller must look at every interface again. */
typedef void (*xdpdns_link_fn)(void *arg, int ifindex, const char *ifname, bool removed);

struct xdpdns_linkwatch {
	struct ev_io io;
	struct ev_loop *loop;
	xdpdns_link_fn fn;
	void *arg;
};

/* Subscribes now (before the caller enumerates the interfaces that exist, so that none is
 * missed in between); events are read once xdpdns_linkwatch_run() put the socket in the
 * loop. Returns 0 or -errno. */
int xdpdns_linkwatch_open(struct xdpdns_linkwatch *w, struct ev_loop *loop, xdpdns_link_fn fn,
			  void *arg);
int xdpdns_linkwatch_run(struct xdpdns_linkwatch *w);
void xdpdns_linkwatch_close(struct xdpdns_linkwatch *w);

#endif /* XDPDNS_LINKWATCH_H */
