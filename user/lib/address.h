/* SPDX-License-Identifier: GPL-2.0 */
/* The service addresses on the node, as NodeLocal DNSCache puts 169.254.20.10 on a dummy
 * interface: what the DaemonSet's init container runs (xdpdnsctl address), so that the image
 * needs neither a shell nor iproute2. Plain rtnetlink, CAP_NET_ADMIN. */
#ifndef XDPDNS_ADDRESS_H
#define XDPDNS_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/* Puts each of the n addresses on ifname as a host address (/32; /128 without duplicate address
 * detection), replacing the same address if it is there, and sets ifname up: running it again
 * changes nothing. An ifname that does not exist is made a dummy interface; on a kernel without
 * dummy interfaces (CONFIG_DUMMY) the addresses go on lo instead, and *on_lo says so. One that
 * exists is used as it is, whatever its kind. Returns 0, or -errno with a message in err. */
int xdpdns_address_ensure(const char *ifname, const char *const *addrs, int n, bool *on_lo,
			  char *err, size_t errlen);

#endif
