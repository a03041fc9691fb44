// SPDX-License-Identifier: GPL-2.0
/* The service addresses on the node over rtnetlink: a request, then its ack. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include "address.h"
#include "log.h"

/* One request: the header, the family's struct and a few attributes (a name, a kind, an
 * address) fit with room to spare. */
struct nl_req {
	struct nlmsghdr h;
	char body[256];
};

static void *nl_tail(struct nl_req *r)
{
	return (char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);
}

/* Appends an attribute and returns it, for nesting (nl_nest_end). The requests here are
 * fixed and small: body[] always has room. */
static struct rtattr *nl_attr(struct nl_req *r, unsigned short type, const void *data,
			      size_t len)
{
	struct rtattr *a = nl_tail(r);

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_nest_end(struct nl_req *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)nl_tail(r) - (char *)nest);
}

/* Sends r and waits for the kernel's ack. Returns 0 or the kernel's -errno. */
static int nl_talk(int fd, struct nl_req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[1024];
	struct nlmsghdr *h;
	ssize_t n;

	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

static void link_req(struct nl_req *r, unsigned short flags, int ifindex, unsigned int seq)
{
	struct ifinfomsg *ifi;

	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	r->h.nlmsg_type = RTM_NEWLINK;
	r->h.nlmsg_flags = flags;
	r->h.nlmsg_seq = seq;
	ifi = NLMSG_DATA(&r->h);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
}

int xdpdns_address_ensure(const char *ifname, const char *const *addrs, int n, bool *on_lo,
			  char *err, size_t errlen)
{
	struct nl_req r;
	struct ifinfomsg *ifi;
	struct rtattr *info;
	unsigned int seq = 0;
	int fd, i, ret, ifindex;

	if (strlen(ifname) >= IF_NAMESIZE) {
		snprintf(err, errlen, "%s: interface name too long", ifname);
		return -ENAMETOOLONG;
	}
	for (i = 0; i < n; i++) { /* all good before anything changes */
		unsigned char bin[sizeof(struct in6_addr)];

		if (inet_pton(strchr(addrs[i], ':') ? AF_INET6 : AF_INET, addrs[i], bin) != 1)
			return xdpdns_fail(err, errlen, "%s: not an IPv4 or IPv6 address",
					   addrs[i]);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "can't open a netlink socket: %s", strerror(-ret));
		return ret;
	}

	/* made when missing; EEXIST: made meanwhile by another, which is as good */
	*on_lo = false;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		link_req(&r, NLM_F_CREATE | NLM_F_EXCL, 0, ++seq);
		nl_attr(&r, IFLA_IFNAME, ifname, strlen(ifname) + 1);
		info = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
		nl_attr(&r, IFLA_INFO_KIND, "dummy", sizeof("dummy"));
		nl_nest_end(&r, info);
		ret = nl_talk(fd, &r);
		if (ret == -EOPNOTSUPP) { /* no such kind: lo accepts them as well */
			*on_lo = true;
			ifname = "lo";
		} else if (ret && ret != -EEXIST) {
			snprintf(err, errlen, "can't make the dummy interface %s: %s", ifname,
				 strerror(-ret));
			goto out;
		}
		ifindex = (int)if_nametoindex(ifname);
		if (!ifindex) {
			ret = -ENODEV;
			snprintf(err, errlen, "made the dummy interface %s, then lost it", ifname);
			goto out;
		}
	}

	link_req(&r, 0, ifindex, ++seq);
	ifi = NLMSG_DATA(&r.h);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	ret = nl_talk(fd, &r);
	if (ret) {
		snprintf(err, errlen, "can't set %s up: %s", ifname, strerror(-ret));
		goto out;
	}

	for (i = 0; i < n; i++) {
		unsigned char bin[sizeof(struct in6_addr)];
		struct ifaddrmsg *ifa;
		int v6 = !!strchr(addrs[i], ':');
		size_t len = v6 ? 16 : 4;

		inet_pton(v6 ? AF_INET6 : AF_INET, addrs[i], bin); /* checked above */
		memset(&r, 0, sizeof(r));
		r.h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
		r.h.nlmsg_type = RTM_NEWADDR;
		r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
		r.h.nlmsg_seq = ++seq;
		ifa = NLMSG_DATA(&r.h);
		ifa->ifa_family = v6 ? AF_INET6 : AF_INET;
		ifa->ifa_prefixlen = (unsigned char)(len * 8);
		ifa->ifa_scope = RT_SCOPE_UNIVERSE;
		ifa->ifa_index = (unsigned int)ifindex;
		/* an address still tentative can't be bound: nobody else is on a dummy link */
		ifa->ifa_flags = v6 ? IFA_F_NODAD : 0;
		nl_attr(&r, IFA_LOCAL, bin, len);
		nl_attr(&r, IFA_ADDRESS, bin, len);
		ret = nl_talk(fd, &r);
		if (ret) {
			snprintf(err, errlen, "can't put %s on %s: %s", addrs[i], ifname,
				 strerror(-ret));
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}
