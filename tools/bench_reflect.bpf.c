// SPDX-License-Identifier: GPL-2.0
/* The cheapest possible DNS "cache", for make bench's baseline: it turns every IPv4 UDP
 * query to port 53 into a reply by swapping addresses and ports and setting QR, and sends it
 * back (XDP_TX). Run against it at a fixed rate, the load generator, veth and softirq cost
 * what they cost against any cache; a cache's machine CPU per answer less this is its own. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define DNS_QR_BIT 0x80 /* in the header's third byte */

SEC("xdp")
int bench_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *udp = (void *)(iph + 1);
	__u8 *dns = (void *)(udp + 1), mac[ETH_ALEN];
	__be32 addr;
	__be16 port;

	if ((void *)(dns + 12) > end || eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP || udp->dest != bpf_htons(53) || (dns[2] & DNS_QR_BIT))
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	addr = iph->saddr; /* swapping leaves both checksums as they are */
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	dns[2] |= DNS_QR_BIT;
	udp->check = 0; /* IPv4: no checksum; the bit flip above would need an update */
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
