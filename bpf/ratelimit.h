/* SPDX-License-Identifier: GPL-2.0 */
/* Shield mode: a token bucket per query source, and the empty TC=1 answer over the limit; BPF
 * only, included by serve.h after the parsing it builds on (struct pkt_info, struct dns_query).
 * The bucket layout and why the map is shared and LRU: xdpdns_kern_user.h.
 *
 * The limiter runs on every datagram to a service address that parse_packet() accepts, before
 * the query is parsed or looked up: hits and misses count alike, and so does a query the fast
 * path can't parse (else a malformed query would be a way around it). Over the limit:
 *  - drop mode: XDP_DROP at once;
 *  - truncate mode: the query goes on being parsed; the cache lookup is replaced by
 *    ratelimit_truncate(), and a query that fails to parse is dropped, not passed, by
 *    ratelimit_verdict() (the daemon must not see what the limit refused).
 * The decision is kept in the per-CPU scratch map (scratch->ratelimit) from the check to the
 * exit, where ratelimit_verdict() reads and clears it: every packet leaves it RATELIMIT_NONE.
 */
#ifndef XDPDNS_RATELIMIT_H
#define XDPDNS_RATELIMIT_H

enum ratelimit_state {
	RATELIMIT_NONE,   /* not checked: the limiter is off, or not a datagram to us */
	RATELIMIT_PASSED, /* within the source's rate: a token taken */
	RATELIMIT_OVER,   /* over it, truncate mode */
};

/* The bucket key of the packet's source: the IPv4 address, or the IPv6 /64. */
static __always_inline int ratelimit_key(void *ctx, const int hook, __u32 l3_off, __u32 ipv6,
					 struct xdpdns_ratelimit_key *key)
{
	void *data = ctx_data(ctx, hook);
	void *data_end = ctx_data_end(ctx, hook);
	void *l3 = data + (l3_off & L3_OFF_MAX);

	if (ipv6) {
		struct ipv6hdr *ip6h = l3;

		if ((void *)(ip6h + 1) > data_end) /* for the verifier: parsed already */
			return -XDPDNS_DROP_INTERNAL;
		__builtin_memcpy(key->addr, &ip6h->saddr, 8);
	} else {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > data_end) /* for the verifier */
			return -XDPDNS_DROP_INTERNAL;
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		__builtin_memcpy(&key->addr[12], &iph->saddr, 4);
	}
	return 0;
}

/* Takes a token from the source's bucket: RATELIMIT_PASSED, or RATELIMIT_OVER when it has
 * none. Credit is refill time in ns (see xdpdns_kern_user.h): no multiplication per packet but
 * the bucket size, no division. */
static __always_inline int ratelimit_take(const struct xdpdns_config *cfg,
					  const struct xdpdns_ratelimit_key *key)
{
	__u64 cost = cfg->ratelimit_cost_ns, now = bpf_ktime_get_ns(), cap, credit, elapsed;
	__u32 burst = cfg->ratelimit_burst;
	struct xdpdns_ratelimit_bucket *b;

	cap = cost * (burst ? burst : 1);
	b = bpf_map_lookup_elem(&xdpdns_ratelimit, key);
	if (!b) {
		/* a new source (or one the LRU forgot) starts with a full bucket; if the map
		 * can't take it (no memory), the query goes through unlimited */
		struct xdpdns_ratelimit_bucket fresh = { .credit_ns = cap - cost, .last_ns = now };

		bpf_map_update_elem(&xdpdns_ratelimit, key, &fresh, BPF_ANY);
		return RATELIMIT_PASSED;
	}
	/* another CPU may have stamped a later time meanwhile: no refill then, never a negative
	 * one. No wrap: credit <= cap < 2^53 (qps >= 1, burst bounded by the daemon) and
	 * elapsed is at most the uptime. */
	elapsed = now - b->last_ns;
	if ((__s64)elapsed < 0)
		elapsed = 0;
	credit = b->credit_ns + elapsed;
	if (credit > cap)
		credit = cap;
	b->last_ns = now;
	if (credit < cost) {
		b->credit_ns = credit;
		return RATELIMIT_OVER;
	}
	b->credit_ns = credit - cost;
	return RATELIMIT_PASSED;
}

/* The hook after parse_packet(): 0 to go on (the decision in scratch->ratelimit), or
 * -XDPDNS_RATELIMIT_DROP over the limit in drop mode. Called through a global function per
 * hook (below), verified once on its own: inlined, its three ways on (off, passed, over in
 * truncate mode) doubled the verifier's states in the rest of the program, past the 1M
 * instruction limit. Takes scalars, not struct pkt_info: a global function gets only the
 * context and scalars. */
static __always_inline int ratelimit_check_body(void *ctx, const int hook, __u32 l3_off,
						__u32 ipv6)
{
	struct xdpdns_ratelimit_key key = {};
	struct xdpdns_scratch *scratch;
	struct xdpdns_config *cfg;
	__u32 zero = 0;
	int state;

	cfg = bpf_map_lookup_elem(&xdpdns_config, &zero);
	scratch = bpf_map_lookup_elem(&xdpdns_scratch, &zero);
	if (!cfg || !scratch)
		return -XDPDNS_DROP_INTERNAL; /* unreachable: arrays always have entry 0 */
	if (!cfg->ratelimit_cost_ns)
		return 0; /* off */
	if (ratelimit_key(ctx, hook, l3_off, ipv6, &key))
		return -XDPDNS_DROP_INTERNAL;
	state = ratelimit_take(cfg, &key);
	if (state == RATELIMIT_OVER && cfg->ratelimit_action != XDPDNS_RATELIMIT_ACTION_TRUNCATE)
		return -XDPDNS_RATELIMIT_DROP;
	scratch->ratelimit = state;
	return 0;
}

/* One global function per context type: the verifier checks a global function's context
 * argument against the program type that calls it. */
__attribute__((noinline)) int xdpdns_ratelimit_check(struct xdp_md *ctx, __u32 l3_off, __u32 ipv6)
{
	return ratelimit_check_body(ctx, HOOK_XDP, l3_off, ipv6);
}

__attribute__((noinline)) int xdpdns_ratelimit_check_tc(struct __sk_buff *ctx, __u32 l3_off,
							 __u32 ipv6)
{
	return ratelimit_check_body(ctx, HOOK_TC, l3_off, ipv6);
}

static __always_inline int ratelimit_check(void *ctx, const int hook, __u32 l3_off, __u32 ipv6)
{
	if (hook == HOOK_TC)
		return xdpdns_ratelimit_check_tc(ctx, l3_off, ipv6);
	return xdpdns_ratelimit_check(ctx, l3_off, ipv6);
}

/* Rewrites the query into an empty answer with TC=1: the header with QR, TC, RA and the
 * query's RD and CD, the question as sent, nothing else (an OPT is dropped: RFC 6891 allows an
 * answer without one, and it carries nothing the client needs to retry over TCP). The frame
 * only shrinks. */
static __always_inline int ratelimit_truncate(void *ctx, const int hook,
					      const struct pkt_info *pi,
					      struct xdpdns_scratch *sc,
					      const struct dns_query *dq, const __u8 *q)
{
	__u32 resp_len = DNS_HDR_LEN + dq->name_len + 4;
	__u16 flags = DNS_QR | DNS_TC | DNS_RA | (dq->flags & (DNS_RD | DNS_CD));
	struct csum cs = {};
	struct udphdr *udph;
	__u8 *dns;
	int delta, err;

	delta = (int)(pi->dns_off + resp_len) - (int)pi->frame_len;
	if (delta > 0 || ctx_resize(ctx, hook, pi->frame_len, delta))
		return -XDPDNS_RATELIMIT_DROP; /* never: the query holds the question */

	/* the frame has changed: a failure from here can only drop */
	err = reply_headers(ctx, hook, pi, resp_len, &udph, &dns);
	if (err)
		return err;
	*(__be16 *)(dns + 2) = bpf_htons(flags);
	*(__be16 *)(dns + 6) = 0; /* ANCOUNT, NSCOUNT, ARCOUNT; ID and QDCOUNT 1 stay */
	*(__be16 *)(dns + 8) = 0;
	*(__be16 *)(dns + 10) = 0;

	/* pseudo-header, UDP header (the swap leaves their sums alone), DNS header, question */
	cs.even = pi->addr_sum + IPPROTO_UDP + 2 * (UDP_HDR_LEN + resp_len) + pi->port_sum;
	cs.even += get16(q, 0) + flags + 1 + dq->name_sum;
	csum_add_at(&cs, UDP_HDR_LEN + DNS_HDR_LEN + dq->name_len, dq->qtype);
	csum_add_at(&cs, UDP_HDR_LEN + DNS_HDR_LEN + dq->name_len + 2, DNS_CLASS_IN);
	udph->check = bpf_htons(reply_csum(hook, pi, sc, resp_len, &cs));
	return XDPDNS_RATELIMIT_TRUNCATE;
}

/* At the exit, for every packet: a query let through by the limiter is counted as such, one
 * over the limit that did not become a TC=1 answer (it did not parse) is dropped, not passed;
 * and the decision is cleared for the next packet. Returns the reason to count. */
static __always_inline __u32 ratelimit_verdict(__u32 reason, __u32 slot,
					       struct xdpdns_scratch *scratch)
{
	__u32 passed = XDPDNS_STATS_KEY(slot, XDPDNS_RATELIMIT_PASSED);
	__u64 *count;
	__u8 state;

	if (!scratch)
		return reason;
	state = scratch->ratelimit;
	if (state == RATELIMIT_NONE)
		return reason;
	scratch->ratelimit = RATELIMIT_NONE;
	if (state == RATELIMIT_OVER)
		return xdpdns_reason_action(reason) == XDP_PASS ? XDPDNS_RATELIMIT_DROP : reason;
	count = bpf_map_lookup_elem(&xdpdns_stats, &passed);
	if (count)
		*count += 1;
	return reason;
}

#endif /* XDPDNS_RATELIMIT_H */
