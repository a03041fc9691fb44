/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The whole ABI between the XDP program and userspace: map layouts, limits, flags, counters.
 * Included by both sides (clang -target bpf and cc): <linux/types.h> types only, no libc.
 * Byte order is host unless a field says otherwise; DNS wire bytes are always network order.
 */
#ifndef XDPDNS_KERN_USER_H
#define XDPDNS_KERN_USER_H

#include <linux/types.h>
#include <linux/bpf.h> /* enum xdp_action */

/* ---- DNS limits (RFC 1035 2.3.4) ---- */
#define XDPDNS_LABEL_MAX_LEN 63
#define XDPDNS_NAME_MAX_LEN  255 /* wire length, root label included */

/* Largest DNS payload of a query the kernel path looks at. Bigger queries (heavy EDNS padding)
 * pass to the daemon. A power of two: BPF masks offsets into its copy with (LEN - 1). */
#define XDPDNS_QUERY_MAX_LEN 512

/* EDNS options one query may carry and still be served: COOKIE and PADDING only. */
#define XDPDNS_EDNS_OPTS_MAX 4

/* Resource records per kernel entry whose TTL the fast path ages; answers with more stay in
 * the daemon's cache. 16 covers an A/AAAA RRset with RRSIGs or a signed NXDOMAIN proof. */
#define XDPDNS_ENTRY_TTLS_MAX 16

/* Defaults of struct xdpdns_config. */
#define XDPDNS_DEFAULT_PORT          53
#define XDPDNS_DEFAULT_STALE_TTL_SEC 30    /* RFC 8767 4: 30 s recommended */
#define XDPDNS_DEFAULT_MAX_STALE_SEC 86400 /* serve stale up to 1 day past expiry */
#define XDPDNS_DEFAULT_EDNS_UDP_SIZE 1232  /* DNS flag day 2020 */
#define XDPDNS_DEFAULT_MTU           1500  /* L3 MTU of the interface, bytes */

/* ---- Cache maps ----
 * Layout choice: the key holds a 64-bit seeded hash of the lowercased wire name, and the value
 * holds the full name, compared on every hit, so a hash collision is a miss, never a wrong
 * answer. Hashing keeps the key at 16 bytes whatever the name length, and lets one value hold
 * name and answer back to back. Values come in three size classes, one BPF hash map each,
 * looked up smallest first; the daemon stores an entry in the smallest class it fits and in no
 * other. The maps are BPF_F_NO_PREALLOC, so memory follows the entries actually stored; each
 * element costs 8 (allocator) + 48 (struct htab_elem) + 16 (key) + value bytes, rounded up to
 * the kernel's allocation size, so the classes are sized to land exactly on 256, 512 and 2048
 * bytes. A typical answer (name <= 64 bytes, one A or AAAA) fits class S: 256 bytes of map
 * memory per entry (measured by make bench-xdp).
 */
#define XDPDNS_MAP_ELEM_OVERHEAD 72 /* 8 + 48 + sizeof(struct xdpdns_cache_key), bytes */

struct xdpdns_cache_key {
	__u64 name_hash; /* xdpdns_name_hash() of the lowercased wire name */
	__u16 qtype;
	__u8 name_len;   /* wire length of the name, 1..255 */
	__u8 flags;      /* XDPDNS_KEY_* from the query */
	__u32 pad;       /* zero */
};

#define XDPDNS_KEY_DO 0x01 /* query had EDNS with DO=1: answer carries DNSSEC records */
#define XDPDNS_KEY_CD 0x02 /* query had CD=1: answer was fetched without validation */

struct xdpdns_cache_entry {
	__u64 stored_ns;  /* CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) when the answer arrived;
			   * ages are now - stored_ns modulo 2^64, so an entry restored from a
			   * snapshot older than this boot is stored "before 0" */
	__u32 ttl_sec;    /* fresh for this many seconds after stored_ns */
	__u32 hits;       /* kernel hits since stored (atomic add): tells the daemon what is hot */
	__u32 last_hit_sec; /* CLOCK_BOOTTIME seconds (boot ns / 10^9) of the last kernel hit,
			     * 0 if none since stored; written only when the second changes.
			     * The daemon evicts the least recently used when a map is full */
	__u16 dns_flags;  /* response header flags word; QR=1, RD and AD are set per query */
	__u16 ancount;    /* records in the body, by section */
	__u16 nscount;
	__u16 arcount;    /* without OPT: the kernel adds its own when the query had one */
	__u16 body_len;   /* bytes of data[] holding the records, as on the wire after the question */
	__u16 body_csum;  /* folded ones' complement sum of the body with every TTL zeroed,
			   * 16-bit words from body offset 0 */
	__u16 ttl_off[XDPDNS_ENTRY_TTLS_MAX]; /* offset of each record's TTL in the body */
	__u8 ttl_count;   /* used entries of ttl_off */
	__u8 pad[7];      /* zero */
	/* The body (compression pointers may point into the question at offset 12, which the
	 * response keeps), then the lowercased wire name of the key, read 8 bytes at a time:
	 * body_len + round_up(name_len, 8) <= the class's data length. */
	__u8 data[];
};

#define XDPDNS_ENTRY_HDR_LEN 72 /* sizeof(struct xdpdns_cache_entry) */

enum xdpdns_cache_class {
	XDPDNS_CLASS_S, /* 256-byte elements: a name and a short answer */
	XDPDNS_CLASS_M, /* 512-byte elements: negative answers with SOA, small RRsets */
	XDPDNS_CLASS_L, /* 2048-byte elements: up to a full-MTU answer */
	XDPDNS_CLASS_COUNT,
};

#define XDPDNS_CLASS_S_VALUE_LEN (256 - XDPDNS_MAP_ELEM_OVERHEAD)
#define XDPDNS_CLASS_M_VALUE_LEN (512 - XDPDNS_MAP_ELEM_OVERHEAD)
#define XDPDNS_CLASS_L_VALUE_LEN (2048 - XDPDNS_MAP_ELEM_OVERHEAD)
#define XDPDNS_CLASS_DATA_LEN(value_len) ((value_len) - XDPDNS_ENTRY_HDR_LEN)

/* Default capacities (max_entries); memory is only used as entries are stored. */
#define XDPDNS_CLASS_S_ENTRIES 1048576
#define XDPDNS_CLASS_M_ENTRIES 262144
#define XDPDNS_CLASS_L_ENTRIES 65536

/* ---- Name hash ----
 * Over the lowercased wire name (length bytes included, so "a.bc" != "ab.c") zero-padded to
 * whole 64-bit little-endian words, from a random per-cache seed so names cannot be chosen
 * off-line to collide. A word at a time because the fast path processes the name in words.
 * Collisions cost a miss, never a wrong answer: the full name is compared.
 */
#define XDPDNS_NAME_WORDS ((XDPDNS_NAME_MAX_LEN + 7) / 8)

static inline __u64 xdpdns_hash_word(__u64 h, __u64 word)
{
	h = (h ^ word) * 0x9e3779b97f4a7c15ULL; /* 2^64 / golden ratio: odd, well mixed */
	return h ^ (h >> 29);
}

static inline __u64 xdpdns_name_hash(__u64 seed, const __u8 *name, __u32 len)
{
	__u64 h = seed;
	__u32 i, k;

	for (i = 0; i < len; i += 8) {
		__u64 word = 0;

		for (k = 0; k < 8 && i + k < len; k++)
			word |= (__u64)name[i + k] << (8 * k);
		h = xdpdns_hash_word(h, word);
	}
	return h;
}

/* ---- Service addresses and ports: ARRAY map xdpdns_services ----
 * The (address, port) pairs the cache answers on, filled from index 0; the first entry with
 * port 0 ends the list. A node cache has a handful, so the program scans them in place: cheaper
 * than a hash lookup, which every UDP packet on the interface would pay.
 */
#define XDPDNS_SERVICES_MAX 16

struct xdpdns_service {
	__u8 addr[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
	__u16 port;    /* host order; 0: unused, and no entry after it is used */
	__u8 pad[6];   /* zero */
};

/* ---- Attach points: HASH xdpdns_ifaces, ARRAY xdpdns_attach ----
 * One program (two entry points: XDP and TC, one serve code) runs on every interface of an
 * instance: the NICs, lo, a bridge, every pod veth matching an operator's pattern. What differs
 * per interface is in xdpdns_ifaces, keyed by the ifindex the packet entered on (one lookup
 * per packet): the attach point's slot, whether the host's own clients arrive there, how the
 * hook treats checksums, the interface's MTU. An attach point is what the operator named: one
 * interface, or every interface matching a pattern ("cali*": many ifindexes, one slot), so
 * the counters (xdpdns_stats, per slot) never grow with the pods. Slot 0 counts the packets of
 * an interface the map does not list (the program left on one by a daemon that stopped with
 * keep and no longer names it, BPF_PROG_TEST_RUN): treated as a NIC. xdpdns_attach holds each
 * slot's name for xdpdnsctl and the metrics, without the daemon; the program never reads it.
 */
#define XDPDNS_ATTACH_MAX 16   /* slots, 0 included: NICs, lo, a bridge, a few patterns */
#define XDPDNS_IFACES_MAX 4096 /* interfaces at once: pod veths of a large node, and more */
#define XDPDNS_ATTACH_NAME_LEN 16 /* IF_NAMESIZE: an interface name or a pattern, NUL included */

struct xdpdns_iface {
	__u16 slot;  /* 1..XDPDNS_ATTACH_MAX - 1: index into xdpdns_attach and the counters */
	__u16 flags; /* XDPDNS_IFACE_* */
	__u16 mtu;   /* L3 MTU of the interface, bytes: the largest reply; 0: xdpdns_config.mtu */
	__u16 pad;   /* zero */
};

/* ---- What every packet reads: ARRAY map xdpdns_hot, one entry, written by the daemon ----
 * In real traffic the program's cost is mostly the memory pages it touches, more than the
 * instructions it runs (README "The kernel path's cost"): so what each packet needs from the
 * daemon beside the config is here, in one value, instead of behind a hash lookup and a clock
 * source.
 * - boot_offset_ns: CLOCK_BOOTTIME - CLOCK_MONOTONIC, how long this host has been suspended.
 *   The program ages entries (stored in CLOCK_BOOTTIME) by the coarse monotonic clock plus
 *   this: the coarse clock is a read of the timekeeper, a tick old at most (4 ms at HZ=250, no
 *   matter for ages in seconds), where the fine one reads the clock source (~25 ns on a VM).
 *   The daemon writes it at start and every second; across a suspend while no daemon runs,
 *   entries age slower by the time suspended, until the next daemon.
 * - ifaces: xdpdns_ifaces direct-mapped, an interface in the hint at ifindex % XDPDNS_IFACE_HINTS:
 *   a packet whose interface holds its hint finds its attach point there (no hash, no jhash);
 *   one whose hint another interface holds (two ifindexes apart by a multiple of the size)
 *   is looked up in xdpdns_ifaces, which stays the whole list.
 */
#define XDPDNS_IFACE_HINTS 1024 /* a power of two (the program masks with it): 8 KiB */

struct xdpdns_iface_hint {
	__u32 ifindex; /* 0: empty (no interface has ifindex 0) */
	__u16 mtu;     /* as in struct xdpdns_iface */
	__u8 slot;     /* as in struct xdpdns_iface: < XDPDNS_ATTACH_MAX */
	__u8 flags;    /* as in struct xdpdns_iface */
};

struct xdpdns_hot {
	__u64 boot_offset_ns;
	struct xdpdns_iface_hint ifaces[XDPDNS_IFACE_HINTS];
};

/* The host's own clients enter here (lo): a loopback or own-address source is a client, not
 * a loop or a spoof as it is on a NIC. */
#define XDPDNS_IFACE_LOCAL 0x1
/* The program runs on an skb that is transmitted as it is (generic XDP, TC), not on a frame a
 * driver turns into a new packet (native XDP): a query with a partial checksum (a sender on
 * this host, CHECKSUM_PARTIAL) gets a reply that stays partial, so its UDP checksum field
 * holds the pseudo-header sum for whoever completes it (see serve.h). */
#define XDPDNS_IFACE_SKB 0x2

/* On TC, the mark an answer leaves in its skb's control block (__sk_buff cb[0]) for the run
 * it meets next: lo's, which passes it at once instead of parsing it (bpf/ctx.h). */
#define XDPDNS_TC_ANSWER_MARK 0x78646e73 /* "xdns" */

enum xdpdns_hook {
	XDPDNS_HOOK_NONE,
	XDPDNS_HOOK_XDP,     /* native (driver) XDP */
	XDPDNS_HOOK_XDP_SKB, /* generic XDP, on the skb */
	XDPDNS_HOOK_TC,      /* TC clsact ingress, replies through bpf_redirect to egress */
	XDPDNS_HOOK_TC_EGRESS, /* TC clsact egress (lo: queries as they are sent), replies
				* through bpf_redirect to egress again, and on through loopback */
	XDPDNS_HOOK_COUNT,
};

struct xdpdns_attach {
	char name[XDPDNS_ATTACH_NAME_LEN]; /* the interface or the pattern; "" for an unused slot */
	__u8 hook;     /* enum xdpdns_hook; for a pattern, the hook its interfaces get */
	__u8 flags;    /* XDPDNS_IFACE_* */
	__u8 pad[6];   /* zero */
};

/* ---- Runtime configuration: ARRAY map xdpdns_config, one entry, written by the daemon ---- */
/* The maps are pinned and outlive the program: a new program reuses them (an upgrade keeps the
 * cache). libbpf checks that sizes match, not fields, so a pinned config of another layout
 * version (0: maps from before the field) means maps a new program must not reuse. Bump it with
 * any change to a struct stored in a map. */
#define XDPDNS_LAYOUT_VERSION 2 /* 2: the per-source rate limit fields */
/* Not bumped for the attach points: they added maps and made xdpdns_stats longer, changing no
 * struct of a map that is kept. The longer stats map is made anew by its size (its counters
 * start at 0); the cache, config, services and health of a layout-2 daemon are kept. */

struct xdpdns_config {
	__u64 hash_seed;      /* seed of xdpdns_name_hash; fixed for the life of the cache maps */
	__u32 stale_ttl_sec;  /* TTL of every record in a stale answer */
	__u32 max_stale_sec;  /* serve stale at most this long after expiry */
	__u16 edns_udp_size;  /* UDP payload size we advertise in OPT */
	__u16 mtu;            /* L3 MTU of the interface: IP header + UDP + DNS, bytes */
	__u32 layout_version; /* XDPDNS_LAYOUT_VERSION of the maps this config lives with */
	/* Shield mode: per-source rate limit (see the ratelimit map below) */
	__u64 ratelimit_cost_ns; /* 10^9 / ratelimit-qps: the refill time one query costs, ns;
				  * 0: the limiter is off */
	__u32 ratelimit_burst;   /* bucket size, queries (>= 1 when the limiter is on) */
	__u32 ratelimit_action;  /* enum xdpdns_ratelimit_action, over the limit */
};

/* ---- Per-source rate limit: LRU_HASH xdpdns_ratelimit ----
 * A token bucket per IPv4 source address and per IPv6 /64 (one host or customer typically owns
 * a /64: a per-address limit would give it 2^64 buckets). Tokens are kept as refill time: a
 * full bucket holds burst x cost_ns of credit, time adds credit, a query takes cost_ns. So the
 * fast path only adds and compares, and the division (10^9 / qps) is the daemon's, once.
 * One map shared by every CPU, not per CPU: queries from one source arrive on several RX
 * queues (a new source port, a new hash), and per-CPU buckets would let it send ncpus x the
 * rate. Updates are plain loads and stores, not atomics: two CPUs updating one bucket at once
 * can lose one's debit or move last_ns back, which only ever lets a query too many through
 * (the limit is exact for one CPU, approximate by at most the racing CPUs' queries otherwise).
 * LRU: a flood from more sources than entries evicts the least recently seen; an evicted or
 * new source starts with a full bucket. Preallocated (LRU maps always are): about 100 bytes
 * per entry whether used or not (make bench-xdp measures it). */
#define XDPDNS_RATELIMIT_SOURCES 65536
#define XDPDNS_RATELIMIT_QPS_MAX 10000000 /* cost_ns >= 100: rounding error <= 1% */

enum xdpdns_ratelimit_action {
	XDPDNS_RATELIMIT_ACTION_DROP,     /* over the limit: no answer */
	XDPDNS_RATELIMIT_ACTION_TRUNCATE, /* over the limit: an empty TC=1 answer, so a real
					   * client retries over TCP (a spoofed victim gets no
					   * more bytes than were sent: no amplification) */
};

struct xdpdns_ratelimit_key {
	__u8 addr[16]; /* network order: IPv4 as ::ffff:a.b.c.d; IPv6 the /64, low 8 bytes zero */
};

struct xdpdns_ratelimit_bucket {
	__u64 credit_ns; /* tokens x cost_ns, at most burst x cost_ns */
	__u64 last_ns;   /* bpf_ktime_get_ns (CLOCK_MONOTONIC) of the last query counted */
};

/* ---- Upstream health: ARRAY map xdpdns_health, one entry, written by the health checker ---- */
struct xdpdns_health {
	__u32 flags; /* XDPDNS_HEALTH_* */
	__u32 pad;
};

#define XDPDNS_HEALTH_ALL_DOWN 0x1   /* no upstream answers: serve expired entries stale */
#define XDPDNS_HEALTH_RECOVERING 0x2 /* upstreams are back: go on serving stale until the daemon
				      * has refreshed the hot entries (no retry storm) */

/* ---- Verdict reasons: per-CPU counters, PERCPU_ARRAY xdpdns_stats ----
 * Indexed by XDPDNS_STATS_KEY(slot, reason): one row of reasons per attach point (slot 0:
 * interfaces not listed). Every packet the program sees bumps exactly one, except
 * RATELIMIT_PASSED, bumped as well as the verdict by a query the rate limiter let through (the
 * limiter is on). The X-macro gives the enum here and the names in userspace from one list:
 * X(enum suffix, name, action); the action is XDP's, and the TC entry maps it (TX: a redirect
 * to the interface's egress, DROP: TC_ACT_SHOT, PASS: TC_ACT_UNSPEC). New reasons go at the
 * end: the values index the pinned counters (a longer list makes a new stats map at the
 * upgrade).
 */
#define XDPDNS_REASONS(X)                                                                    \
	X(HIT_FRESH, "hit_fresh", XDP_TX)               /* answered from a fresh entry */     \
	X(HIT_STALE, "hit_stale", XDP_TX)               /* answered stale: upstreams down */  \
	X(PASS_MISS, "miss", XDP_PASS)                  /* query understood, not cached */    \
	X(PASS_COLLISION, "pass_hash_collision", XDP_PASS) /* key matched, name did not */    \
	X(PASS_EXPIRED, "pass_expired", XDP_PASS)       /* entry expired, upstreams up */     \
	X(PASS_STALE_TOO_OLD, "pass_stale_too_old", XDP_PASS) /* past max_stale_sec */        \
	X(PASS_ENTRY_RCODE, "pass_entry_rcode", XDP_PASS) /* SERVFAIL etc.: daemon only */    \
	X(PASS_TOO_BIG, "pass_too_big", XDP_PASS)       /* answer over client size or MTU */  \
	X(PASS_NO_ROOM, "pass_no_tailroom", XDP_PASS)   /* frame could not grow */            \
	X(PASS_NOT_IP, "pass_not_ip", XDP_PASS)         /* not IPv4/IPv6 (or > 2 VLANs) */    \
	X(PASS_NOT_UDP, "pass_not_udp", XDP_PASS)       /* other protocol, IPv6 ext headers */\
	X(PASS_IP_FRAGMENT, "pass_ip_fragment", XDP_PASS)                                     \
	X(PASS_IP_OPTIONS, "pass_ip_options", XDP_PASS) /* IPv4 IHL > 5: not echoed back */   \
	X(PASS_BAD_LENGTH, "pass_bad_length", XDP_PASS) /* IP/UDP lengths inconsistent */     \
	X(PASS_NOT_SERVICE, "pass_not_service", XDP_PASS) /* not to our address and port */   \
	X(PASS_L2_MULTICAST, "pass_l2_multicast", XDP_PASS) /* to a group MAC */              \
	X(PASS_BAD_CHECKSUM, "pass_bad_checksum", XDP_PASS) /* the stack will drop it */      \
	X(PASS_QUERY_TOO_LONG, "pass_query_too_long", XDP_PASS) /* > XDPDNS_QUERY_MAX_LEN */  \
	X(PASS_DNS_HEADER, "pass_dns_header", XDP_PASS) /* opcode, TC, counts */              \
	X(PASS_QNAME, "pass_qname", XDP_PASS)           /* compression, long label/name */    \
	X(PASS_QTYPE, "pass_qtype_qclass", XDP_PASS)    /* meta types, class not IN */        \
	X(PASS_EDNS, "pass_edns", XDP_PASS)             /* bad OPT, version, options */       \
	X(PASS_TRAILING, "pass_trailing_data", XDP_PASS) /* bytes after the last record */    \
	X(DROP_SRC_PORT, "drop_src_port_zero", XDP_DROP) /* reply would go to port 0 */       \
	X(DROP_SRC_ADDR, "drop_src_addr", XDP_DROP)     /* multicast/broadcast, v4-mapped */  \
	X(DROP_RESPONSE, "drop_response", XDP_DROP)     /* QR=1 sent to the service */        \
	X(DROP_INTERNAL, "drop_internal", XDP_DROP)     /* rewrite failed half way */         \
	X(DROP_SRC_SELF, "drop_src_own_address", XDP_DROP) /* one of ours: loop, spoof */ \
	X(DROP_SRC_LOOPBACK, "drop_src_loopback", XDP_DROP) /* 127/8, ::1 from the NIC */     \
	X(DROP_SRC_UNSPEC, "drop_src_unspecified", XDP_DROP) /* 0/8, :: */                   \
	X(RATELIMIT_PASSED, "ratelimit_passed", XDP_PASS) /* not a verdict: see above */      \
	X(RATELIMIT_DROP, "ratelimit_dropped", XDP_DROP) /* source over its rate */           \
	X(RATELIMIT_TRUNCATE, "ratelimit_truncated", XDP_TX) /* over: empty TC=1 answer */

#define XDPDNS_REASON_ENUM(name, str, action) XDPDNS_##name,
enum xdpdns_reason {
	XDPDNS_REASONS(XDPDNS_REASON_ENUM)
	XDPDNS_REASON_COUNT
};
#undef XDPDNS_REASON_ENUM

#define XDPDNS_STATS_KEY(slot, reason) ((slot) * XDPDNS_REASON_COUNT + (reason))
#define XDPDNS_STATS_ENTRIES (XDPDNS_ATTACH_MAX * XDPDNS_REASON_COUNT)

/* always inlined: the fast path calls it twice (ratelimit.h), and as a BPF subprogram it made
 * the program fail to load */
static inline __attribute__((always_inline)) int xdpdns_reason_action(__u32 reason)
{
	switch (reason) {
#define XDPDNS_REASON_CASE(name, str, action)                                                \
	case XDPDNS_##name:                                                                   \
		return action;
		XDPDNS_REASONS(XDPDNS_REASON_CASE)
#undef XDPDNS_REASON_CASE
	}
	return XDP_PASS;
}

#endif /* XDPDNS_KERN_USER_H */
