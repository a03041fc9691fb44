// SPDX-License-Identifier: GPL-2.0
/* Interfaces as they come and go, from rtnetlink. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "linkwatch.h"
#include "log.h"

/* A pod's creation or deletion sends a few messages; the buffer holds thousands. Overrun (a
 * node creating pods faster than the loop reads) is survived by looking at every interface. */
#define LINKWATCH_RCVBUF (1 << 20)

int xdpdns_linkwatch_open(struct xdpdns_linkwatch *w, struct ev_loop *loop, xdpdns_link_fn fn,
			  void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int size = LINKWATCH_RCVBUF, err;

	memset(w, 0, sizeof(*w));
	w->loop = loop;
	w->fn = fn;
	w->arg = arg;
	w->io.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->io.fd < 0)
		return -errno;
	setsockopt(w->io.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)); /* best effort */
	if (bind(w->io.fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(w->io.fd);
		w->io.fd = -1;
		return err;
	}
	return 0;
}

/* One RTM_NEWLINK or RTM_DELLINK: its ifindex and IFLA_IFNAME. */
static void link_message(struct xdpdns_linkwatch *w, const struct nlmsghdr *nh)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *rta;
	char name[IF_NAMESIZE] = "";

	if (len < 0)
		return;
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		size_t n = RTA_PAYLOAD(rta);

		if (rta->rta_type != IFLA_IFNAME)
			continue;
		if (n > sizeof(name))
			n = sizeof(name);
		memcpy(name, RTA_DATA(rta), n);
		name[sizeof(name) - 1] = 0;
	}
	if (ifi->ifi_index > 0 && name[0])
		w->fn(w->arg, ifi->ifi_index, name, nh->nlmsg_type == RTM_DELLINK);
}

static void on_readable(struct ev_loop *loop, struct ev_io *io, uint32_t events)
{
	struct xdpdns_linkwatch *w = container_of(io, struct xdpdns_linkwatch, io);
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n;

	(void)loop;
	(void)events;
	for (;;) {
		const struct nlmsghdr *nh;

		n = recv(io->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == ENOBUFS) {
				log_warn("interface events were lost (the netlink buffer overran): "
					 "looking at every interface again");
				w->fn(w->arg, 0, "", false);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				log_warn("can't read interface events: %s", strerror(errno));
			return;
		}
		for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n))
			if (nh->nlmsg_type == RTM_NEWLINK || nh->nlmsg_type == RTM_DELLINK)
				link_message(w, nh);
	}
}

int xdpdns_linkwatch_run(struct xdpdns_linkwatch *w)
{
	w->io.cb = on_readable;
	return ev_io_add(w->loop, &w->io, EPOLLIN);
}

void xdpdns_linkwatch_close(struct xdpdns_linkwatch *w)
{
	if (w->io.fd < 0)
		return;
	if (w->io.cb)
		ev_io_del(w->loop, &w->io);
	close(w->io.fd);
	w->io.fd = -1;
}
