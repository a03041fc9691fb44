// SPDX-License-Identifier: GPL-2.0
/* The cheapest possible DNS "cache", for make bench's baseline: it turns every IPv4 UDP
 * query to port 53 into a reply by swapping addresses and ports and setting QR, and sends it
 * back where it came from: XDP_TX on the NIC, and on lo and pod veths from TC, where xdpdns
 * answers there (lo's egress, a pod veth's ingress; the reply redirected to the interface's
 * egress). Run against it, the load generator, veth and softirq cost what they cost against
 * any cache on the same hook: its qps is the generator's ceiling on that path, its machine CPU
 * per answer the floor. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define DNS_QR_BIT 0x80 /* in the header's third byte */

/* Turns the query in data..end into its reply in place; false: not a query to reflect. */
static __always_inline int reflect(void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *udp = (void *)(iph + 1);
	__u8 *dns = (void *)(udp + 1), mac[ETH_ALEN];
	__be32 addr;
	__be16 port;

	if ((void *)(dns + 12) > end || eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP || udp->dest != bpf_htons(53) || (dns[2] & DNS_QR_BIT))
		return 0;
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
	/* IPv4: no checksum; the bit flip above would need an update. A partial checksum (a
	 * host-local or pod query) stays partial and is never computed on these paths. */
	udp->check = 0;
	return 1;
}

SEC("xdp")
int bench_reflect(struct xdp_md *ctx)
{
	return reflect((void *)(long)ctx->data, (void *)(long)ctx->data_end) ? XDP_TX : XDP_PASS;
}

SEC("tc")
int bench_reflect_tc(struct __sk_buff *skb)
{
	if (skb->data_end - skb->data < skb->len && skb->len <= 512)
		bpf_skb_pull_data(skb, skb->len);
	if (!reflect((void *)(long)skb->data, (void *)(long)skb->data_end))
		return TC_ACT_UNSPEC;
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
