/* SPDX-License-Identifier: GPL-2.0 */
/* The fast path: parse a DNS query, look it up, rewrite it in place into the cached answer.
 * BPF only; included by the entry file (xdpdns.bpf.c: the XDP and the TC program) and the
 * benchmark (tools/). One code for both hooks: ctx.h says how, and every function takes the
 * context as void * with the hook as a constant. Every function returns 0 or a negative enum
 * xdpdns_reason; xdpdns_serve() counts the verdict once, in the attach point's row, and maps it
 * to the hook's action. Nothing writes to the packet before the last check that can pass it,
 * so a passed packet is always the packet that arrived.
 */
#ifndef XDPDNS_SERVE_H
#define XDPDNS_SERVE_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpdns_kern_user.h"
#include "ctx.h"
#include "maps.h"
#include "parse.h"
#include "csum.h"
#include "dns.h"

#define NSEC_PER_SEC   1000000000ULL
#define UDP_HDR_LEN    8
#define REPLY_HOP_LIMIT 64
#define L3_OFF_MAX     0x3f  /* Ethernet + 2 VLAN tags = 22: masks for the verifier */
#define DNS_OFF_MAX    0xff  /* l3 + 60-byte IPv4 header + UDP = 90 */
#define FRAME_OFF_MAX  0xfff /* frames of up to 4 KiB */

/* Where the query sits in the frame, from parse_packet(). */
struct pkt_info {
	__u32 frame_len;
	__u32 l3_off;
	__u32 dns_off;
	__u32 dns_len;   /* from the UDP header, never from the frame end */
	__u64 addr_sum;  /* checksum words of source + destination address */
	__u16 port_sum;  /* source + destination port, checksum words */
	__u16 udp_csum;  /* as received, host order */
	__u8 ipv6;
	__u8 ip_options; /* IPv4 header longer than 20 bytes */
};

/* What the per-CPU scratch holds about the packet's attach point and checksum (see maps.h:
 * read back from map memory, never kept in registers). */
#define SCRATCH(sc, field) (*(volatile typeof((sc)->field) *)&(sc)->field)

static __always_inline __u64 sum_words(const __u16 *w, int n)
{
	__u64 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		sum += bpf_ntohs(w[i]);
	return sum;
}

/* Is (addr, port) one of ours? addr is 16 bytes as in struct xdpdns_service. */
static __always_inline int is_service(const void *addr, __u16 port)
{
	__u64 a0 = ((const __u64 *)addr)[0], a1 = ((const __u64 *)addr)[1];
	__u32 i;

	/* unrolled: a short scan, and no loop state for the verifier to compare */
#pragma unroll
	for (i = 0; i < XDPDNS_SERVICES_MAX; i++) {
		__u32 key = i;
		struct xdpdns_service *s = bpf_map_lookup_elem(&xdpdns_services, &key);

		if (!s || !s->port)
			return 0;
		if ((!port || s->port == port) && ((__u64 *)s->addr)[0] == a0 &&
		    ((__u64 *)s->addr)[1] == a1)
			return 1;
	}
	return 0;
}

/* Sources no client can have: the reply would go to a group, to nobody, or back into this host
 * (a loop, or a spoof that makes us answer ourselves). The stack drops these as martians too;
 * here they are dropped, not passed, so that the daemon never answers one either. src is 16
 * bytes as in struct xdpdns_service (IPv4 as ::ffff:a.b.c.d). Subnet broadcasts are not
 * knowable here: the stack's route lookup drops them. Where the host's own clients enter (lo:
 * XDPDNS_IFACE_LOCAL), loopback and own addresses are theirs: a process asking a service
 * address on this host sends from that very address (the local route's source). Nothing else
 * sends on lo, so nothing is spoofed there; on every other interface the rules hold. */
static __always_inline int check_source(const __u8 *src, int ipv6, __u16 if_flags)
{
	int local = if_flags & XDPDNS_IFACE_LOCAL;

	const __u64 *w = (const __u64 *)src;

	if (ipv6) {
		if (src[0] == 0xff)
			return -XDPDNS_DROP_SRC_ADDR; /* multicast ff00::/8 */
		if (w[0] == 0 && w[1] == 0)
			return -XDPDNS_DROP_SRC_UNSPEC; /* :: */
		if (w[0] == 0 && w[1] == bpf_cpu_to_be64(1) && !local)
			return -XDPDNS_DROP_SRC_LOOPBACK; /* ::1 */
		if (w[0] == 0 && ((const __u32 *)src)[2] == bpf_htonl(0xffff))
			return -XDPDNS_DROP_SRC_ADDR; /* ::ffff:0:0/96: IPv4-mapped */
	} else {
		if (src[12] == 0)
			return -XDPDNS_DROP_SRC_UNSPEC; /* 0/8, "this network" */
		if (src[12] == 127 && !local)
			return -XDPDNS_DROP_SRC_LOOPBACK;
		if (src[12] >= 224)
			return -XDPDNS_DROP_SRC_ADDR; /* multicast 224/4, class E and broadcast */
	}
	if (!local && is_service(src, 0))
		return -XDPDNS_DROP_SRC_SELF; /* our own address */
	return 0;
}

/* L2-L4: a UDP datagram to one of our service addresses and ports, lengths consistent. The
 * headers are read in place (ctx_pull() made a small skb linear); lengths are checked against
 * the whole packet. */
static __always_inline int parse_packet(void *ctx, const int hook, struct pkt_info *pi,
					struct xdpdns_scratch *sc)
{
	void *data = ctx_data(ctx, hook);
	void *data_end = ctx_data_end(ctx, hook);
	struct cursor c = { .pos = data, .end = data_end };
	__u8 dst[16] __attribute__((aligned(8))) = {}, src[16] __attribute__((aligned(8))) = {};
	struct iphdr *iph4 = NULL;
	struct udphdr *udph;
	struct ethhdr *eth;
	__u32 l4_len;
	__be16 proto;
	__u8 *dnsh;
	int err;

	pi->frame_len = ctx_len(ctx, hook);
	eth = parse_ethhdr(&c, &proto);
	if (!eth)
		return -XDPDNS_PASS_NOT_IP;
	pi->l3_off = c.pos - data;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = parse_iphdr(&c);
		__u32 tot_len, hlen;

		if (!iph)
			return -XDPDNS_PASS_BAD_LENGTH;
		if (iph->version != 4)
			return -XDPDNS_PASS_NOT_IP; /* the stack drops it too */
		if (iph->protocol != IPPROTO_UDP)
			return -XDPDNS_PASS_NOT_UDP;
		if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return -XDPDNS_PASS_IP_FRAGMENT;
		hlen = iph->ihl * 4;
		tot_len = bpf_ntohs(iph->tot_len);
		if (tot_len < hlen + UDP_HDR_LEN || pi->l3_off + tot_len > pi->frame_len)
			return -XDPDNS_PASS_BAD_LENGTH;
		l4_len = tot_len - hlen;
		__builtin_memcpy(&dst[12], &iph->daddr, 4);
		__builtin_memcpy(&src[12], &iph->saddr, 4);
		dst[10] = dst[11] = src[10] = src[11] = 0xff;
		pi->ip_options = hlen != sizeof(*iph);
		iph4 = iph;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = parse_ipv6hdr(&c);

		if (!ip6h)
			return -XDPDNS_PASS_BAD_LENGTH;
		if (ip6h->version != 6)
			return -XDPDNS_PASS_NOT_IP;
		if (ip6h->nexthdr != IPPROTO_UDP)
			return -XDPDNS_PASS_NOT_UDP; /* extension headers, fragments included */
		l4_len = bpf_ntohs(ip6h->payload_len);
		if (pi->l3_off + sizeof(*ip6h) + l4_len > pi->frame_len)
			return -XDPDNS_PASS_BAD_LENGTH;
		__builtin_memcpy(dst, &ip6h->daddr, 16);
		__builtin_memcpy(src, &ip6h->saddr, 16);
		pi->ipv6 = 1;
	} else {
		return -XDPDNS_PASS_NOT_IP;
	}

	udph = parse_udphdr(&c);
	if (!udph)
		return -XDPDNS_PASS_BAD_LENGTH;
	/* IPv6 gives no floor to the payload length: 0 to 7 would make dns_len wrap */
	if (bpf_ntohs(udph->len) != l4_len || l4_len < UDP_HDR_LEN)
		return -XDPDNS_PASS_BAD_LENGTH;

	if (!is_service(dst, bpf_ntohs(udph->dest)))
		return -XDPDNS_PASS_NOT_SERVICE;

	/* From here on the packet is addressed to us. */
	if (pi->ip_options)
		return -XDPDNS_PASS_IP_OPTIONS; /* answering would echo them (source routes...) */
	/* the stack drops a header whose checksum is wrong, and the reply's is updated from it
	 * (RFC 1624), wrong too (found by tests/fuzz/fuzz_xdp.c); a sum that folds to 0xffff does
	 * in either byte order */
	if (iph4 && csum_fold(sum_words((__u16 *)iph4, 10)) != 0xffff)
		return -XDPDNS_PASS_BAD_CHECKSUM;
	if (eth->h_dest[0] & 1)
		return -XDPDNS_PASS_L2_MULTICAST;
	if (udph->source == 0)
		return -XDPDNS_DROP_SRC_PORT;
	if (eth->h_source[0] & 1)
		return -XDPDNS_DROP_SRC_ADDR;
	err = check_source(src, pi->ipv6, SCRATCH(sc, if_flags));
	if (err)
		return err;

	/* the addresses' part of the checksums, summed only for packets that are ours: on a NIC
	 * most UDP is not (IPv4 as the last 4 bytes of its ::ffff: form) */
	if (pi->ipv6)
		pi->addr_sum = sum_words((__u16 *)src, 8) + sum_words((__u16 *)dst, 8);
	else
		pi->addr_sum = sum_words((__u16 *)&src[12], 2) + sum_words((__u16 *)&dst[12], 2);
	pi->dns_off = (void *)(udph + 1) - data;
	pi->dns_len = l4_len - UDP_HDR_LEN;
	pi->port_sum = csum_fold((__u32)bpf_ntohs(udph->source) + bpf_ntohs(udph->dest));
	pi->udp_csum = bpf_ntohs(udph->check);
	if (pi->dns_len < DNS_HDR_LEN)
		return -XDPDNS_PASS_BAD_LENGTH;
	/* QR=1 to the service is a response nobody asked for (reflection, or a loop): dropped
	 * whatever its size or checksum, before those checks can pass it to the daemon */
	dnsh = (__u8 *)(udph + 1);
	if ((void *)(dnsh + DNS_HDR_LEN) > c.end) /* for the verifier: within tot_len */
		return -XDPDNS_PASS_BAD_LENGTH;
	if (dnsh[2] & (DNS_QR >> 8))
		return -XDPDNS_DROP_RESPONSE;
	if (pi->dns_len > XDPDNS_QUERY_MAX_LEN)
		return -XDPDNS_PASS_QUERY_TOO_LONG;
	return 0;
}

/* Copies the DNS payload into the per-CPU buffer and checks the query's UDP checksum: the stack
 * drops a corrupt datagram, so the fast path must not answer one (IPv4 may send none). */
static __always_inline int load_query(void *ctx, const int hook, struct pkt_info *pi,
				      struct xdpdns_scratch *sc)
{
	__u8 *q = sc->query;
	__u64 len = pi->dns_len, padded; /* 64-bit: keeps the verifier's bounds */
	__u64 sum;

	if (len < DNS_HDR_LEN || len > XDPDNS_QUERY_MAX_LEN) /* for the verifier */
		return -XDPDNS_PASS_BAD_LENGTH;
	barrier_var(len);
	if (ctx_load_bytes(ctx, hook, pi->dns_off, q, len))
		return -XDPDNS_PASS_BAD_LENGTH;
	if (pi->udp_csum == 0) /* IPv4: none sent; IPv6 must have one (RFC 8200 8.1) */
		return pi->ipv6 ? -XDPDNS_PASS_BAD_CHECKSUM : 0;

	/* bpf_csum_diff sums whole 32-bit words: zero the bytes that round len up (the buffer
	 * has room past XDPDNS_QUERY_MAX_LEN) */
	q[len] = 0;
	q[len + 1] = 0;
	q[len + 2] = 0;
	padded = (len + 3) & ~3ULL;
	if (padded > XDPDNS_QUERY_MAX_LEN) /* for the verifier */
		return -XDPDNS_PASS_BAD_LENGTH;
	/* the helper sums in host byte order; ntohs makes it a sum of big-endian words */
	sum = bpf_ntohs(csum_fold((__u32)bpf_csum_diff(NULL, 0, (void *)q, padded, 0)));
	sum += pi->addr_sum + IPPROTO_UDP + 2 * (UDP_HDR_LEN + len) + pi->port_sum + pi->udp_csum;
	if (csum_fold(sum) == 0xffff)
		return 0;
	/* A sender on this host whose checksum is offloaded (CHECKSUM_PARTIAL: a process on lo, a
	 * pod over its veth) leaves only the pseudo-header sum in the field: nothing that crossed
	 * a wire. Looked at after the full sum, not before: a full checksum from the wire equals
	 * the pseudo-header sum once in 65536 queries, and taken for partial, its reply would be
	 * wrong (see reply_csum()); a partial one taken for full costs nothing on the way to a
	 * local socket, which never verifies a partial skb. */
	if (pi->udp_csum == csum_fold(pi->addr_sum + IPPROTO_UDP + UDP_HDR_LEN + len)) {
		sc->csum_partial = 1;
		return 0;
	}
	return -XDPDNS_PASS_BAD_CHECKSUM;
}

/* Does the reply keep a partial checksum? Only where the query's skb goes out as the reply
 * (TC, generic XDP: ip_summed stays CHECKSUM_PARTIAL, csum_start still on the UDP header), and
 * only if the query had one. Native XDP's reply is a new packet that nothing will checksum
 * for us: it always gets the full sum. */
static __always_inline int reply_partial(const int hook, struct xdpdns_scratch *sc)
{
	return SCRATCH(sc, csum_partial) &&
	       (hook == HOOK_TC || (SCRATCH(sc, if_flags) & XDPDNS_IFACE_SKB));
}

/* The reply's UDP checksum field, host order: the full sum from cs, or for a partial one the
 * pseudo-header sum (not complemented, as the stack leaves it for the device: the swapped
 * addresses sum the same, the length is the reply's). */
static __always_inline __u16 reply_csum(const int hook, const struct pkt_info *pi,
					struct xdpdns_scratch *sc, __u32 resp_len,
					const struct csum *cs)
{
	if (reply_partial(hook, sc))
		return csum_fold(pi->addr_sum + IPPROTO_UDP + UDP_HDR_LEN + resp_len);
	return csum_finish(cs);
}

/* Compares the query's lowercased name with the one stored after the entry's body, a word at a
 * time; both are zero-padded to whole words. */
static __always_inline int name_matches(const __u8 *data, __u64 data_len, __u64 body_len,
					const __u64 *name, __u64 name_len)
{
	__u64 i; /* 64-bit offsets: 32-bit ones get zero-extended copies that lose the
		  * verifier's bounds */

	for (i = 0; i < XDPDNS_NAME_WORDS; i++) {
		__u64 off = body_len + i * 8, w;

		if (i * 8 >= name_len)
			return 1;
		if (off > data_len - 8) /* for the verifier; never true */
			return 0;
		barrier_var(off); /* else clang builds the pointer from an unchecked copy */
		w = *(const __u64 *)(data + off);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w);
#endif
		if (w != name[i])
			return 0;
	}
	return 1;
}

/* No tailroom (a veth hands XDP the sender's own skb, with whatever room it has): grows the
 * frame into its headroom instead and moves headers and question there, so every offset from
 * the frame start stays as it was. XDP only (TC's resize reallocates). Not for a reply that
 * keeps a partial checksum: generic XDP would leave the skb's csum_start where the UDP header
 * was, delta bytes into the moved packet, and whoever completed the checksum would sum the
 * wrong bytes; that query goes to the daemon. */
static __always_inline int grow_at_front(void *ctx, const struct pkt_info *pi, __u32 qlen,
					 int delta, struct xdpdns_scratch *scratch, int partial)
{
	__u64 front = pi->dns_off + DNS_HDR_LEN + qlen;

	if (partial)
		return -XDPDNS_PASS_NO_ROOM;
	if (delta <= 0 || front > XDPDNS_FRONT_MAX_LEN)
		return -XDPDNS_PASS_NO_ROOM;
	/* two checks with a barrier between: clang merges adjacent range checks into one the
	 * verifier cannot use */
	barrier_var(front);
	if (front < DNS_HDR_LEN)
		return -XDPDNS_PASS_NO_ROOM;
	barrier_var(front);
	if (ctx_load_bytes(ctx, HOOK_XDP, 0, scratch->front, front))
		return -XDPDNS_PASS_NO_ROOM;
	if (bpf_xdp_adjust_head(ctx, -delta))
		return -XDPDNS_PASS_NO_ROOM;
	/* the frame has changed: from here a failure can only drop */
	if (ctx_store_bytes(ctx, HOOK_XDP, 0, scratch->front, front))
		return -XDPDNS_DROP_INTERNAL;
	return 0;
}

/* Gives the frame the reply's length: at its tail, else (XDP) at its front. */
static __always_inline int resize(void *ctx, const int hook, const struct pkt_info *pi,
				  __u32 qlen, int delta, struct xdpdns_scratch *scratch,
				  int partial)
{
	if (!ctx_resize(ctx, hook, pi->frame_len, delta))
		return 0;
	if (hook == HOOK_TC)
		return -XDPDNS_PASS_NO_ROOM;
	return grow_at_front(ctx, pi, qlen, delta, scratch, partial);
}

/* Is a UDP socket bound where this query goes: the daemon, alive? Read from the frame as it
 * came (before any rewrite). The lookup runs in the device's network namespace. */
static __always_inline int daemon_listening(void *ctx, const int hook, const struct pkt_info *pi)
{
	void *data = ctx_data(ctx, hook), *data_end = ctx_data_end(ctx, hook);
	struct udphdr *udph = data + ((pi->dns_off - UDP_HDR_LEN) & DNS_OFF_MAX);
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 size;

	if ((void *)(udph + 1) > data_end)
		return 1; /* for the verifier: parse_packet read it */
	if (pi->ipv6) {
		struct ipv6hdr *ip6h = data + (pi->l3_off & L3_OFF_MAX);

		if ((void *)(ip6h + 1) > data_end)
			return 1;
		__builtin_memcpy(t.ipv6.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, &ip6h->daddr, 16);
		t.ipv6.sport = udph->source;
		t.ipv6.dport = udph->dest;
		size = sizeof(t.ipv6);
	} else {
		struct iphdr *iph = data + (pi->l3_off & L3_OFF_MAX);

		if ((void *)(iph + 1) > data_end)
			return 1;
		t.ipv4.saddr = iph->saddr;
		t.ipv4.daddr = iph->daddr;
		t.ipv4.sport = udph->source;
		t.ipv4.dport = udph->dest;
		size = sizeof(t.ipv4);
	}
	sk = bpf_sk_lookup_udp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	bpf_sk_release(sk);
	return 1;
}

/* Turns the frame's headers around for a reply of resp_len DNS bytes, the frame already at its
 * new size: MACs, addresses and ports swapped, our hop limit, the new lengths, the IPv4 header
 * checksum updated. The UDP checksum and the DNS header are the caller's. Returns 0 with the
 * UDP and DNS headers, or -XDPDNS_DROP_INTERNAL. */
static __always_inline int reply_headers(void *ctx, const int hook, const struct pkt_info *pi,
					 __u32 resp_len, struct udphdr **udph_out, __u8 **dns_out)
{
	void *data, *data_end;
	struct udphdr *udph;
	struct ethhdr *eth;
	__u8 mac[ETH_ALEN];
	__be16 port;
	__u8 *dns;

	data = ctx_data(ctx, hook);
	data_end = ctx_data_end(ctx, hook);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -XDPDNS_DROP_INTERNAL;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	if (pi->ipv6) {
		struct ipv6hdr *ip6h = data + (pi->l3_off & L3_OFF_MAX);
		struct in6_addr addr;

		if ((void *)(ip6h + 1) > data_end)
			return -XDPDNS_DROP_INTERNAL;
		addr = ip6h->saddr;
		ip6h->saddr = ip6h->daddr;
		ip6h->daddr = addr;
		ip6h->payload_len = bpf_htons(UDP_HDR_LEN + resp_len);
		ip6h->hop_limit = REPLY_HOP_LIMIT;
	} else {
		struct iphdr *iph = data + (pi->l3_off & L3_OFF_MAX);
		__u16 tot_len = sizeof(*iph) + UDP_HDR_LEN + resp_len;
		__be32 addr;
		__u64 sum;

		if ((void *)(iph + 1) > data_end)
			return -XDPDNS_DROP_INTERNAL;
		/* RFC 1624 update: the address swap leaves the sum alone; length, TTL and
		 * fragment field change */
		sum = (__u16)~bpf_ntohs(iph->check);
		sum = csum_replace(sum, bpf_ntohs(iph->tot_len), tot_len);
		sum = csum_replace(sum, bpf_ntohs(iph->frag_off), 0);
		sum = csum_replace(sum, bpf_ntohs(*(__be16 *)&iph->ttl),
				   REPLY_HOP_LIMIT << 8 | iph->protocol);
		addr = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = addr;
		iph->tot_len = bpf_htons(tot_len);
		iph->frag_off = 0;
		iph->ttl = REPLY_HOP_LIMIT;
		iph->check = bpf_htons(~csum_fold(sum));
	}

	udph = data + ((pi->dns_off - UDP_HDR_LEN) & DNS_OFF_MAX);
	dns = data + (pi->dns_off & DNS_OFF_MAX);
	if ((void *)(udph + 1) > data_end || (void *)(dns + DNS_HDR_LEN) > data_end)
		return -XDPDNS_DROP_INTERNAL;
	port = udph->source;
	udph->source = udph->dest;
	udph->dest = port;
	udph->len = bpf_htons(UDP_HDR_LEN + resp_len);
	*udph_out = udph;
	*dns_out = dns;
	return 0;
}

/* Rewrites the query in the frame into the answer held by e. data_len is the entry class's
 * data[] size: a constant, so the verifier can bound every read of e. */
static __always_inline int answer(void *ctx, const int hook, const struct pkt_info *pi,
				  const struct dns_query *dq,
				  struct xdpdns_scratch *scratch, struct xdpdns_cache_entry *e,
				  const __u32 data_len, const struct xdpdns_config *cfg,
				  const struct xdpdns_health *health)
{
	__u32 body_len = e->body_len, ttl_count = e->ttl_count, qlen = dq->name_len + 4;
	__u32 resp_len, limit, body_off, seg_body, age = 0, ttl, now_sec, i, mtu;
	/* CLOCK_BOOTTIME, as entries are stored, from the coarse clock: see struct xdpdns_hot */
	__u64 now = bpf_ktime_get_coarse_ns() + SCRATCH(scratch, boot_offset_ns);
	__u16 rcode = e->dns_flags & DNS_RCODE, flags, arcount;
	struct csum cs = {};
	void *data, *data_end;
	struct udphdr *udph;
	__u8 *dns, stale = 0;
	int delta, err;

	if (body_len > data_len || ttl_count > XDPDNS_ENTRY_TTLS_MAX)
		return -XDPDNS_DROP_INTERNAL; /* unreachable: the daemon validates entries */
	if (!name_matches(e->data, data_len, body_len, scratch->name, dq->name_len))
		return -XDPDNS_PASS_COLLISION;
	if ((rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) || (e->dns_flags & DNS_TC))
		return -XDPDNS_PASS_ENTRY_RCODE; /* SERVFAIL and friends are the daemon's */

	/* modulo 2^64: an entry restored from a snapshot older than this boot was stored "before
	 * 0"; one stored a moment in the future (a fill racing this packet) has age 0 */
	if ((__s64)(now - e->stored_ns) > 0)
		age = (now - e->stored_ns) / NSEC_PER_SEC;
	if (age >= e->ttl_sec) {
		/* looked up only here: a fresh hit touches one map less */
		/* RFC 8767: expired entries only while no upstream can refresh them (every one
		 * down, or the daemon catching up after an outage), or while no daemon listens
		 * (killed, restarting: a query passed on would go unanswered), for a while */
		if (!(health->flags & (XDPDNS_HEALTH_ALL_DOWN | XDPDNS_HEALTH_RECOVERING)) &&
		    daemon_listening(ctx, hook, pi))
			return -XDPDNS_PASS_EXPIRED;
		if (age - e->ttl_sec > cfg->max_stale_sec)
			return -XDPDNS_PASS_STALE_TOO_OLD;
		stale = 1;
	}

	/* 512 bytes without EDNS (RFC 1035 4.2.1), else the client's size; and the link MTU (the
	 * attach point's interface, else the config's) */
	resp_len = DNS_HDR_LEN + qlen + body_len + (dq->edns ? DNS_OPT_LEN : 0);
	limit = dq->edns && dq->udp_size > 512 ? dq->udp_size : 512;
	mtu = SCRATCH(scratch, if_mtu);
	if (!mtu)
		mtu = cfg->mtu;
	if (resp_len > limit || pi->dns_off - pi->l3_off + resp_len > mtu)
		return -XDPDNS_PASS_TOO_BIG;
	delta = (int)(pi->dns_off + resp_len) - (int)pi->frame_len;
	err = resize(ctx, hook, pi, qlen, delta, scratch, reply_partial(hook, scratch));
	if (err)
		return err;

	/* The frame has changed: from here a failure can only drop. */
	err = reply_headers(ctx, hook, pi, resp_len, &udph, &dns);
	if (err)
		return err;

	/* Header: the client's ID, the entry's flags with RD and CD as asked, AD only for a
	 * client that asked for it with AD or DO (RFC 6840 5.7-5.8). */
	flags = (e->dns_flags & ~(DNS_RD | DNS_CD)) | DNS_QR | (dq->flags & (DNS_RD | DNS_CD));
	if (!(dq->flags & DNS_AD) && !(dq->key_flags & XDPDNS_KEY_DO))
		flags &= ~DNS_AD;
	arcount = e->arcount + dq->edns;
	*(__be16 *)(dns + 2) = bpf_htons(flags);
	*(__be16 *)(dns + 6) = bpf_htons(e->ancount);
	*(__be16 *)(dns + 8) = bpf_htons(e->nscount);
	*(__be16 *)(dns + 10) = bpf_htons(arcount);
	/* dns[4..5] stays QDCOUNT 1 and the question stays as the client sent it (0x20 case) */

	/* Checksum: pseudo-header and UDP header (the swaps leave their sums alone), DNS header,
	 * question as sent, body; TTLs and OPT added as they are written. */
	cs.even = pi->addr_sum + IPPROTO_UDP + 2 * (UDP_HDR_LEN + resp_len) + pi->port_sum;
	cs.even += get16(scratch->query, 0) + flags + 1 + e->ancount + e->nscount + arcount + dq->name_sum;
	csum_add_at(&cs, UDP_HDR_LEN + DNS_HDR_LEN + dq->name_len, dq->qtype);
	csum_add_at(&cs, UDP_HDR_LEN + DNS_HDR_LEN + dq->name_len + 2, DNS_CLASS_IN);
	seg_body = UDP_HDR_LEN + DNS_HDR_LEN + qlen;
	csum_add_at(&cs, seg_body, e->body_csum);

	body_off = pi->dns_off + DNS_HDR_LEN + qlen;
	if (body_len > 0 && ctx_store_bytes(ctx, hook, body_off, e->data, body_len))
		return -XDPDNS_DROP_INTERNAL;

	data = ctx_data(ctx, hook);
	data_end = ctx_data_end(ctx, hook);
	for (i = 0; i < XDPDNS_ENTRY_TTLS_MAX; i++) {
		__u64 off;
		__u8 *p;

		if (i >= ttl_count)
			break;
		off = e->ttl_off[i];
		if (off + 4 > body_len || off > data_len - 4) /* the daemon never stores this */
			return -XDPDNS_DROP_INTERNAL;
		barrier_var(off);
		ttl = bpf_ntohl(*(__be32 *)(e->data + off));
		if (stale)
			ttl = cfg->stale_ttl_sec;
		else
			ttl = ttl > age ? ttl - age : 0;
		p = data + ((body_off + off) & FRAME_OFF_MAX);
		if ((void *)(p + 4) > data_end)
			return -XDPDNS_DROP_INTERNAL;
		*(__be32 *)p = bpf_htonl(ttl);
		csum_add_at(&cs, seg_body + off, ttl >> 16);
		csum_add_at(&cs, seg_body + off + 2, ttl & 0xffff);
	}

	if (dq->edns) {
		/* our OPT: root, type 41, our UDP size, version 0, DO echoed (RFC 3225), no options */
		__u16 size = cfg->edns_udp_size;
		__u8 do_hi = dq->key_flags & XDPDNS_KEY_DO ? 0x80 : 0;
		__u8 *opt = data + ((body_off + body_len) & FRAME_OFF_MAX);

		if ((void *)(opt + DNS_OPT_LEN) > data_end)
			return -XDPDNS_DROP_INTERNAL;
		opt[0] = 0;
		*(__be16 *)(opt + 1) = bpf_htons(DNS_TYPE_OPT);
		*(__be16 *)(opt + 3) = bpf_htons(size);
		*(__be32 *)(opt + 5) = bpf_htonl(do_hi << 8); /* ext rcode, version, flags */
		*(__be16 *)(opt + 9) = 0;
		csum_add_at(&cs, seg_body + body_len,
			    (DNS_TYPE_OPT << 8) + (size >> 8) + ((size & 0xff) << 8) + do_hi);
	}

	udph = data + ((pi->dns_off - UDP_HDR_LEN) & DNS_OFF_MAX);
	if ((void *)(udph + 1) > data_end)
		return -XDPDNS_DROP_INTERNAL;
	udph->check = bpf_htons(reply_csum(hook, pi, scratch, resp_len, &cs));

	__sync_fetch_and_add(&e->hits, 1);
	/* recency for the daemon's eviction, from the clock read above; stored only when the
	 * second has changed, so most hits leave it alone */
	now_sec = now / NSEC_PER_SEC;
	if (e->last_hit_sec != now_sec)
		e->last_hit_sec = now_sec;
	return stale ? XDPDNS_HIT_STALE : XDPDNS_HIT_FRESH;
}

#include "ratelimit.h" /* builds on struct pkt_info and the reply above */

/* Looks the key up in each size class, smallest first, and answers from the first hit. */
#define TRY_CLASS(map, value_len)                                                             \
	do {                                                                                  \
		struct xdpdns_cache_entry *e = bpf_map_lookup_elem(&map, &key);               \
		if (e)                                                                        \
			return answer(ctx, hook, &pi, &dq, scratch, e,                        \
				      XDPDNS_CLASS_DATA_LEN(value_len), cfg, health);                 \
	} while (0)

static __always_inline int process(void *ctx, const int hook, struct xdpdns_scratch *scratch)
{
	struct xdpdns_cache_key key = {};
	struct xdpdns_config *cfg;
	struct xdpdns_health *health;
	struct dns_query dq = {};
	struct pkt_info pi = {};
	__u32 zero = 0;
	__u16 arcount;
	__u8 *q;
	int err;

	err = parse_packet(ctx, hook, &pi, scratch);
	if (err)
		return err;
	cfg = bpf_map_lookup_elem(&xdpdns_config, &zero);
	health = bpf_map_lookup_elem(&xdpdns_health, &zero);
	if (!cfg || !health)
		return -XDPDNS_DROP_INTERNAL; /* unreachable: arrays always have entry 0 */
	q = scratch->query;
	dq.name_len_slot = &scratch->name_len;
	if (cfg->ratelimit_cost_ns) { /* on: else not even the call */
		err = ratelimit_check(ctx, hook, pi.l3_off, pi.ipv6);
		if (err)
			return err;
	}

	err = load_query(ctx, hook, &pi, scratch);
	if (err)
		return err;
	err = dns_parse_header(q, &dq);
	if (err)
		return err;
	err = dns_parse_name(q, pi.dns_len, cfg->hash_seed, &dq, scratch->name);
	if (err)
		return err;
	dq.name_len = *(volatile __u16 *)&scratch->name_len; /* volatile: a real load */
	err = dns_parse_qtype(q, pi.dns_len, &dq);
	if (err)
		return err;
	arcount = get16(q, 10);
	err = dns_parse_opt(q, pi.dns_len, &dq, arcount);
	if (err)
		return err;

	if (*(volatile __u8 *)&scratch->ratelimit == RATELIMIT_OVER) /* volatile: read the map */
		return ratelimit_truncate(ctx, hook, &pi, scratch, &dq, q);
	key.name_hash = dq.name_hash;
	key.qtype = dq.qtype;
	key.name_len = dq.name_len;
	key.flags = dq.key_flags;
	TRY_CLASS(xdpdns_cache_s, XDPDNS_CLASS_S_VALUE_LEN);
	TRY_CLASS(xdpdns_cache_m, XDPDNS_CLASS_M_VALUE_LEN);
	TRY_CLASS(xdpdns_cache_l, XDPDNS_CLASS_L_VALUE_LEN);
	return -XDPDNS_PASS_MISS;
}

/* The attach point of the interface the packet came in on, and the boot clock's offset, into
 * the scratch: from xdpdns_hot, where the interface's hint is (an array can't be indexed by
 * ifindex itself: pod veths get ever larger ones), else by a hash lookup in xdpdns_ifaces. */
static __always_inline void attach_lookup(void *ctx, const int hook, struct xdpdns_scratch *sc)
{
	__u32 ifindex = ctx_ifindex(ctx, hook), zero = 0;
	struct xdpdns_hot *hot = bpf_map_lookup_elem(&xdpdns_hot, &zero);
	struct xdpdns_iface *ifc;

	sc->slot = 0;
	sc->if_flags = 0;
	sc->if_mtu = 0;
	sc->csum_partial = 0;
	sc->boot_offset_ns = 0;
	if (hot) {
		struct xdpdns_iface_hint *h = &hot->ifaces[ifindex & (XDPDNS_IFACE_HINTS - 1)];

		sc->boot_offset_ns = hot->boot_offset_ns;
		if (h->ifindex == ifindex) {
			sc->slot = h->slot < XDPDNS_ATTACH_MAX ? h->slot : 0;
			sc->if_flags = h->flags;
			sc->if_mtu = h->mtu;
			return;
		}
	}
	ifc = bpf_map_lookup_elem(&xdpdns_ifaces, &ifindex);
	if (!ifc)
		return;
	sc->slot = ifc->slot < XDPDNS_ATTACH_MAX ? ifc->slot : 0;
	sc->if_flags = ifc->flags;
	sc->if_mtu = ifc->mtu;
}

/* Counts the verdict once, per CPU, in the attach point's row, and returns the hook's action
 * for it. */
static __always_inline int xdpdns_serve(void *ctx, const int hook)
{
	struct xdpdns_scratch *scratch;
	__u32 zero = 0, reason, key, slot = 0;
	__u64 *count;
	int ret;

	if (ctx_is_own_answer(ctx, hook))
		return TC_ACT_UNSPEC; /* not counted: it was, as the answer it is */
	ctx_pull(ctx, hook);
	scratch = bpf_map_lookup_elem(&xdpdns_scratch, &zero);
	if (!scratch) {
		ret = -XDPDNS_DROP_INTERNAL; /* unreachable: arrays always have entry 0 */
	} else {
		attach_lookup(ctx, hook, scratch);
		ret = process(ctx, hook, scratch);
		slot = SCRATCH(scratch, slot);
	}
	if (slot >= XDPDNS_ATTACH_MAX) /* for the verifier */
		slot = 0;
	reason = ratelimit_verdict(ret < 0 ? -ret : ret, slot, scratch);
	key = XDPDNS_STATS_KEY(slot, reason);
	count = bpf_map_lookup_elem(&xdpdns_stats, &key);
	if (count)
		*count += 1; /* per-CPU value: no other writer */
	if (xdpdns_reason_action(reason) == XDP_TX && scratch &&
	    (SCRATCH(scratch, if_flags) & XDPDNS_IFACE_LOCAL))
		ctx_mark_answer(ctx, hook); /* lo: the answer passes this program again */
	return ctx_verdict(ctx, hook, xdpdns_reason_action(reason));
}

#endif /* XDPDNS_SERVE_H */
