/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ABI of xdpdns-linkloss, the packet-loss injector for fault drills: its XDP program
 * (tools/linkloss.bpf.c), the tool (tools/linkloss.c) and its test include it. Apart from
 * xdpdns_kern_user.h because it is no part of the cache: it goes on other interfaces.
 * <linux/types.h> types only, no libc; byte order is host unless a field says otherwise.
 */
#ifndef XDPDNS_LINKLOSS_KERN_USER_H
#define XDPDNS_LINKLOSS_KERN_USER_H

#include <linux/types.h>

/* Loss is set in parts per million: 0.0001% steps, and 100% is exact. */
#define XDPDNS_LINKLOSS_PPM_MAX 1000000

/* The single element of the ARRAY map XDPDNS_LINKLOSS_CONFIG_MAP. */
struct xdpdns_linkloss_config {
	__u32 loss_ppm; /* matching packets dropped per million, 0..XDPDNS_LINKLOSS_PPM_MAX */
	__be16 port;    /* network order: only UDP and TCP with this source or destination port
			 * match; 0: every packet matches, whatever it is (ARP included) */
	__u16 pad;      /* zero */
};

/* Per-CPU packet counters, the index of the PERCPU_ARRAY map XDPDNS_LINKLOSS_STATS_MAP. */
enum xdpdns_linkloss_counter {
	XDPDNS_LINKLOSS_PASSED,  /* matched and passed */
	XDPDNS_LINKLOSS_DROPPED, /* matched and dropped */
	XDPDNS_LINKLOSS_OTHER,   /* did not match the port: passed */
	XDPDNS_LINKLOSS_COUNTERS,
};

/* Names as the kernel keeps them (at most 15 characters): the tool recognises its program on
 * an interface by these, and pins the maps under XDPDNS_LINKLOSS_PIN_ROOT/<ifname>/ by them. */
#define XDPDNS_LINKLOSS_PROG_NAME  "xdpdns_xdp_loss"
#define XDPDNS_LINKLOSS_CONFIG_MAP "linkloss_config"
#define XDPDNS_LINKLOSS_STATS_MAP  "linkloss_stats"
#define XDPDNS_LINKLOSS_PIN_ROOT   "/sys/fs/bpf/xdpdns-linkloss"

#endif /* XDPDNS_LINKLOSS_KERN_USER_H */
