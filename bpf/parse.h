/* SPDX-License-Identifier: GPL-2.0 */
/* Bounds-checked header parsing (Ethernet, VLAN, IPv4, IPv6, UDP) with a cursor; BPF only. */
#ifndef XDPDNS_PARSE_H
#define XDPDNS_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#define XDPDNS_VLAN_MAX_DEPTH 2 /* 802.1Q, and 802.1ad QinQ outer + inner */
#define IP_MF     0x2000 /* IPv4 frag_off, host order: more fragments */
#define IP_OFFSET 0x1fff /* IPv4 frag_off, host order: fragment offset, 8-byte units */

struct cursor {
	void *pos;
	void *end;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

static __always_inline int proto_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Returns the Ethernet header and the ethertype after up to two VLAN tags, or NULL. */
static __always_inline struct ethhdr *parse_ethhdr(struct cursor *c, __be16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vlan;
	int i;

	if ((void *)(eth + 1) > c->end)
		return NULL;
	c->pos = eth + 1;
	*proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XDPDNS_VLAN_MAX_DEPTH; i++) {
		if (!proto_is_vlan(*proto))
			break;
		vlan = c->pos;
		if ((void *)(vlan + 1) > c->end)
			return NULL;
		c->pos = vlan + 1;
		*proto = vlan->encap_proto;
	}
	return eth;
}

/* Returns the IPv4 header with its full length (IHL) in bounds, or NULL. */
static __always_inline struct iphdr *parse_iphdr(struct cursor *c)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;

	if ((void *)(iph + 1) > c->end)
		return NULL;
	hlen = iph->ihl * 4;
	if (hlen < sizeof(*iph) || c->pos + hlen > c->end)
		return NULL;
	c->pos += hlen;
	return iph;
}

static __always_inline struct ipv6hdr *parse_ipv6hdr(struct cursor *c)
{
	struct ipv6hdr *ip6h = c->pos;

	if ((void *)(ip6h + 1) > c->end)
		return NULL;
	c->pos = ip6h + 1;
	return ip6h;
}

static __always_inline struct udphdr *parse_udphdr(struct cursor *c)
{
	struct udphdr *udph = c->pos;

	if ((void *)(udph + 1) > c->end)
		return NULL;
	c->pos = udph + 1;
	return udph;
}

#endif /* XDPDNS_PARSE_H */
