/* SPDX-License-Identifier: GPL-2.0 */
/* Map definitions of the XDP program; BPF only (userspace sees them through the skeleton). */
#ifndef XDPDNS_MAPS_H
#define XDPDNS_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xdpdns_kern_user.h"

/* One hash map per entry size class; see the layout comment in xdpdns_kern_user.h. */
#define XDPDNS_CACHE_MAP(name, value_len, entries)                                            \
	struct {                                                                              \
		__uint(type, BPF_MAP_TYPE_HASH);                                              \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                         \
		__type(key, struct xdpdns_cache_key);                                         \
		__type(value, __u8[value_len]);                                               \
		__uint(max_entries, entries);                                                 \
	} name SEC(".maps")

XDPDNS_CACHE_MAP(xdpdns_cache_s, XDPDNS_CLASS_S_VALUE_LEN, XDPDNS_CLASS_S_ENTRIES);
XDPDNS_CACHE_MAP(xdpdns_cache_m, XDPDNS_CLASS_M_VALUE_LEN, XDPDNS_CLASS_M_ENTRIES);
XDPDNS_CACHE_MAP(xdpdns_cache_l, XDPDNS_CLASS_L_VALUE_LEN, XDPDNS_CLASS_L_ENTRIES);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_service);
	__uint(max_entries, XDPDNS_SERVICES_MAX);
} xdpdns_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_config);
	__uint(max_entries, 1);
} xdpdns_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_health);
	__uint(max_entries, 1);
} xdpdns_health SEC(".maps");

/* Indexed by XDPDNS_STATS_KEY(slot, reason). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, XDPDNS_STATS_ENTRIES);
} xdpdns_stats SEC(".maps");

/* The attach points: see xdpdns_kern_user.h. Keyed by ifindex, which grows with every pod
 * veth made (never an array index). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct xdpdns_iface);
	__uint(max_entries, XDPDNS_IFACES_MAX);
} xdpdns_ifaces SEC(".maps");

/* The boot clock's offset and the interfaces direct-mapped: see xdpdns_kern_user.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_hot);
	__uint(max_entries, 1);
} xdpdns_hot SEC(".maps");

/* For userspace only (names of the slots); the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_attach);
	__uint(max_entries, XDPDNS_ATTACH_MAX);
} xdpdns_attach SEC(".maps");

/* Shield mode's per-source token buckets; see the layout comment in xdpdns_kern_user.h. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xdpdns_ratelimit_key);
	__type(value, struct xdpdns_ratelimit_bucket);
	__uint(max_entries, XDPDNS_RATELIMIT_SOURCES);
} xdpdns_ratelimit SEC(".maps");

/* Ethernet with 2 VLAN tags (22), IPv6 (40; IPv4 with options passes), UDP (8), DNS header (12),
 * question (255 + 4): the bytes before the answer body. */
#define XDPDNS_FRONT_MAX_LEN 344

/* Per-CPU working copy of the query's DNS payload: too big for the 512-byte stack, and a copy
 * lets the name walk index with masked offsets instead of proving packet bounds per byte. */
struct xdpdns_scratch {
	/* + 8: the name is read in whole 64-bit words */
	__u8 query[XDPDNS_QUERY_MAX_LEN + 8];
	/* the lowercased name, zero-padded to whole words like the entry's copy */
	__u64 name[XDPDNS_NAME_WORDS];
	/* headers and question, while they move to make room at the front (no tailroom) */
	__u8 front[XDPDNS_FRONT_MAX_LEN];
	/* The name walk leaves the length here rather than in a register: read back from a map
	 * it is an unknown bounded value, not one of 255 constants, so the verifier checks the
	 * rest of the program once instead of once per possible length. */
	__u16 name_len;
	/* ratelimit.h's verdict on this packet (enum ratelimit_state), kept here for the same
	 * reason: a register would split every later state in two */
	__u8 ratelimit;
	/* the packet's attach point (from xdpdns_ifaces; zero for an interface it does not list)
	 * and whether the query's UDP checksum is partial (load_query()): kept here for the same
	 * reason. As registers, a found and a missing entry, or a partial and a full checksum,
	 * made two states of everything after them, past the 1M instruction limit. */
	__u16 slot;     /* < XDPDNS_ATTACH_MAX */
	__u16 if_flags; /* XDPDNS_IFACE_* */
	__u16 if_mtu;   /* 0: the config's */
	__u8 csum_partial;
	__u64 boot_offset_ns; /* from xdpdns_hot, for answer()'s clock */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_scratch);
	__uint(max_entries, 1);
} xdpdns_scratch SEC(".maps");

#endif /* XDPDNS_MAPS_H */
