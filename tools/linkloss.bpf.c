// SPDX-License-Identifier: GPL-2.0
/* xdpdns-linkloss's XDP program: drops a share of the packets arriving on an interface, every
 * packet or only UDP and TCP to or from one port, for fault drills on kernels without netem.
 * Loaded by tools/linkloss.c; the config and counters are in include/linkloss_kern_user.h.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "linkloss_kern_user.h"
#include "parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct xdpdns_linkloss_config);
	__uint(max_entries, 1);
} linkloss_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, XDPDNS_LINKLOSS_COUNTERS);
} linkloss_stats SEC(".maps");

/* UDP and TCP headers both begin with the two ports. */
struct l4_ports {
	__be16 source;
	__be16 dest;
};

/* Whether the frame is UDP or TCP with port (network order) as source or destination. Not
 * matched: IPv4 fragments after the first (they carry no ports), IPv6 with an extension
 * header before the transport header, anything not IP. */
static __always_inline int match_port(struct xdp_md *ctx, __be16 port)
{
	struct cursor c = { (void *)(long)ctx->data, (void *)(long)ctx->data_end };
	struct l4_ports *ports;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__be16 proto;
	__u8 l4;

	if (!parse_ethhdr(&c, &proto))
		return 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		iph = parse_iphdr(&c);
		if (!iph || (iph->frag_off & bpf_htons(IP_OFFSET)))
			return 0;
		l4 = iph->protocol;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		ip6h = parse_ipv6hdr(&c);
		if (!ip6h)
			return 0;
		l4 = ip6h->nexthdr;
	} else {
		return 0;
	}
	if (l4 != IPPROTO_UDP && l4 != IPPROTO_TCP)
		return 0;
	ports = c.pos;
	if ((void *)(ports + 1) > c.end)
		return 0;
	return ports->source == port || ports->dest == port;
}

/* A uniform draw in [0, XDPDNS_LINKLOSS_PPM_MAX): below loss_ppm with probability
 * loss_ppm / PPM_MAX, so 0 never drops and PPM_MAX always does. */
static __always_inline __u32 draw_ppm(void)
{
	return (__u64)bpf_get_prandom_u32() * XDPDNS_LINKLOSS_PPM_MAX >> 32;
}

SEC("xdp")
int xdpdns_xdp_loss(struct xdp_md *ctx)
{
	struct xdpdns_linkloss_config *cfg;
	__u32 zero = 0, counter;
	int action = XDP_PASS;
	__u64 *count;

	cfg = bpf_map_lookup_elem(&linkloss_config, &zero);
	if (!cfg) /* for the verifier: an ARRAY's element 0 is always there */
		return XDP_PASS;
	if (cfg->port && !match_port(ctx, cfg->port)) {
		counter = XDPDNS_LINKLOSS_OTHER;
	} else if (draw_ppm() < cfg->loss_ppm) {
		counter = XDPDNS_LINKLOSS_DROPPED;
		action = XDP_DROP;
	} else {
		counter = XDPDNS_LINKLOSS_PASSED;
	}
	count = bpf_map_lookup_elem(&linkloss_stats, &counter);
	if (count)
		*count += 1; /* per-CPU: no other writer */
	return action;
}

char LICENSE[] SEC("license") = "GPL";
