/* SPDX-License-Identifier: GPL-2.0 */
/* Where xdpdns pins its maps and programs in bpffs, one directory per instance (one daemon and
 * its attach points): the daemon (daemon/loader.h) pins there, xdpdnsctl opens what it finds
 * there. */
#ifndef XDPDNS_PINS_H
#define XDPDNS_PINS_H

#include <stdbool.h>
#include <stddef.h>

#define XDPDNS_PIN_ROOT "/sys/fs/bpf/xdpdns"
/* In XDPDNS_PIN_ROOT/<instance>/: the XDP program attached, while the daemon that attached it
 * runs or after it left it with keep; the next program is pinned under the second name before
 * the swap and renamed over the first after it. (No dot in the names: bpffs refuses them,
 * EPERM, keeping dots for files of its own.) */
#define XDPDNS_PROG_PIN "xdpdns_prog"
#define XDPDNS_PROG_PIN_NEXT "xdpdns_prog_next"
#define XDPDNS_INSTANCE_MAX_LEN 32 /* [A-Za-z0-9_-]: a bpffs directory name (no dot) */

/* The TC filter of an instance on an interface: clsact (ingress, or egress on lo), direct
 * action, at this priority, with a handle derived from the instance's name
 * (xdpdns_tc_handle()), so that two instances on one interface keep out of each other's way
 * and a start finds (and replaces) only its own. */
#define XDPDNS_TC_PRIORITY 0xd53
#define XDPDNS_TC_HANDLE_BASE 0xd5000

/* XDPDNS_PIN_ROOT/<instance>. Returns 0 or -ENAMETOOLONG. */
int xdpdns_pin_dir(const char *instance, char *buf, size_t len);

/* The handle of instance's TC filters: XDPDNS_TC_HANDLE_BASE + 12 bits of its name's hash. */
unsigned int xdpdns_tc_handle(const char *instance);

/* The id of the program in the filter of handle on ifindex's clsact side (BPF_TC_INGRESS or
 * BPF_TC_EGRESS), 0 if none (no clsact, no filter: not news, libbpf's complaint kept quiet). */
unsigned int xdpdns_tc_filter_id(int ifindex, int side, unsigned int handle);

/* Takes the filter of handle off ifindex's clsact side (the qdisc stays: other filters may use
 * it, and an empty one costs nothing). Returns 0 or -errno. */
int xdpdns_tc_filter_detach(int ifindex, int side, unsigned int handle);

/* Is name usable as an instance ([A-Za-z0-9_-], 1..XDPDNS_INSTANCE_MAX_LEN)? */
bool xdpdns_instance_valid(const char *name);

/* Mounts bpffs on /sys/fs/bpf if it is not there, and creates root and dir (a directory in
 * root) for pins. Returns 0 or -errno, having logged what failed. */
int xdpdns_bpffs_dir(const char *root, const char *dir);

#endif /* XDPDNS_PINS_H */
