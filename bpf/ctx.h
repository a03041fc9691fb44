/* SPDX-License-Identifier: GPL-2.0 */
/* One fast path for two hooks: the context abstraction; BPF only, included by serve.h.
 * The serve code takes its context as `void *ctx` with the hook as a compile-time constant
 * (HOOK_XDP: struct xdp_md, native or generic XDP; HOOK_TC: struct __sk_buff, TC clsact
 * ingress), and reaches the packet only through these ctx_* functions, as Cilium's __ctx_buff
 * does. Every function is always inlined from an entry point that passes a literal, so clang
 * keeps one branch and each program holds only its own hook's code; the verifier knows the
 * context by the register, not by the C type, so a void * is enough.
 *
 * What differs between the hooks, and why it is handled where it is:
 * - Length: XDP's frame is data..data_end. An skb may hold part of its bytes outside the
 *   linear area that data..data_end covers: ctx_len() is skb->len, and ctx_pull() makes a
 *   small skb linear before the headers are parsed (a DNS query always is small).
 * - Growing the reply: bpf_xdp_adjust_tail(), within the frame's tailroom (serve.h grows at the
 *   front when there is none); bpf_skb_change_tail(), which reallocates when it must and
 *   leaves the whole skb linear and writable.
 * - Checksum state: an skb carries one (ip_summed) that a BPF program can't read or set. A TC
 *   resize turns CHECKSUM_COMPLETE into CHECKSUM_NONE, which is what a rewritten packet needs
 *   (the stale skb->csum would make the receiver log a hardware checksum failure): ctx_resize()
 *   resizes always, even to the same length. CHECKSUM_PARTIAL stays, with csum_start kept
 *   right by the kernel; serve.h writes the reply's checksum field to match.
 * - Verdicts: XDP_TX is a bpf_redirect() to the interface's own egress (the reply leaves where
 *   the query came in: back into the pod's veth, into lo, out of the bridge), XDP_DROP is
 *   TC_ACT_SHOT, XDP_PASS is TC_ACT_UNSPEC (the next filter decides, as without us).
 */
#ifndef XDPDNS_CTX_H
#define XDPDNS_CTX_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "xdpdns_kern_user.h"

#define HOOK_XDP 0
#define HOOK_TC  1

/* Largest skb made linear before parsing: headers (XDPDNS_FRONT_MAX_LEN covers them with the
 * question) and the largest query the fast path reads. Bigger packets are never answered, and
 * pulling every large packet of a pod's veth would cost a copy each. */
#define CTX_PULL_MAX_LEN 1024

static __always_inline void *ctx_data(const void *ctx, const int hook)
{
	if (hook == HOOK_TC)
		return (void *)(long)((const struct __sk_buff *)ctx)->data;
	return (void *)(long)((const struct xdp_md *)ctx)->data;
}

static __always_inline void *ctx_data_end(const void *ctx, const int hook)
{
	if (hook == HOOK_TC)
		return (void *)(long)((const struct __sk_buff *)ctx)->data_end;
	return (void *)(long)((const struct xdp_md *)ctx)->data_end;
}

/* The packet's length, Ethernet header included (TC ingress pushes it back for the program). */
static __always_inline __u32 ctx_len(const void *ctx, const int hook)
{
	if (hook == HOOK_TC)
		return ((const struct __sk_buff *)ctx)->len;
	return ((const struct xdp_md *)ctx)->data_end - ((const struct xdp_md *)ctx)->data;
}

/* The interface the packet entered on: the key of xdpdns_ifaces, and where a reply leaves. */
static __always_inline __u32 ctx_ifindex(const void *ctx, const int hook)
{
	if (hook == HOOK_TC)
		return ((const struct __sk_buff *)ctx)->ifindex;
	return ((const struct xdp_md *)ctx)->ingress_ifindex;
}

/* TC: a small packet whose bytes are not all in the linear area is made linear, so that its
 * headers can be parsed in place. Invalidates packet pointers: call before taking any. */
static __always_inline void ctx_pull(void *ctx, const int hook)
{
	struct __sk_buff *skb = ctx;
	__u32 len;

	if (hook != HOOK_TC)
		return;
	len = skb->len;
	if (len <= CTX_PULL_MAX_LEN && skb->data_end - skb->data < len)
		bpf_skb_pull_data(skb, len);
}

static __always_inline long ctx_load_bytes(const void *ctx, const int hook, __u32 off, void *to,
					   __u32 len)
{
	if (hook == HOOK_TC)
		return bpf_skb_load_bytes(ctx, off, to, len);
	return bpf_xdp_load_bytes((struct xdp_md *)ctx, off, to, len);
}

static __always_inline long ctx_store_bytes(void *ctx, const int hook, __u32 off,
					    const void *from, __u32 len)
{
	if (hook == HOOK_TC)
		return bpf_skb_store_bytes(ctx, off, from, len, 0);
	return bpf_xdp_store_bytes(ctx, off, (void *)from, len);
}

/* Grows or shrinks the packet at its end by delta bytes; len is its length now. TC resizes
 * even by 0 bytes (one byte more, then back), since that is what resets CHECKSUM_COMPLETE (see
 * above); a same-length reply is rare (a query with EDNS padding). Returns 0 or a negative
 * errno, the packet unchanged in its bytes. */
static __always_inline long ctx_resize(void *ctx, const int hook, __u32 len, int delta)
{
	if (hook != HOOK_TC)
		return bpf_xdp_adjust_tail(ctx, delta);
	if (!delta && bpf_skb_change_tail(ctx, len + 1, 0))
		return -1;
	return bpf_skb_change_tail(ctx, len + delta, 0);
}

/* On lo the answer goes to lo's egress again, where the program already is (TC egress; with
 * TC ingress it comes back in through loopback): one run more per answer, a full parse that
 * ends in a pass. The skb's control block (qdisc_skb_cb's data: the only scratch a TC program
 * may write that travels with the skb through the redirect) carries XDPDNS_TC_ANSWER_MARK to
 * that run, which passes at once. Only a run of ours writes it, only for that next run, which
 * clears it; a stray match in whatever the stack left there would cost a query its kernel
 * answer (the daemon answers it), nothing worse. */

static __always_inline int ctx_is_own_answer(void *ctx, const int hook)
{
	struct __sk_buff *skb = ctx;

	if (hook != HOOK_TC || skb->cb[0] != XDPDNS_TC_ANSWER_MARK)
		return 0;
	skb->cb[0] = 0;
	return 1;
}

static __always_inline void ctx_mark_answer(void *ctx, const int hook)
{
	if (hook == HOOK_TC)
		((struct __sk_buff *)ctx)->cb[0] = XDPDNS_TC_ANSWER_MARK;
}

/* The hook's return code for an XDP action. */
static __always_inline int ctx_verdict(void *ctx, const int hook, int xdp_action)
{
	if (hook != HOOK_TC)
		return xdp_action;
	if (xdp_action == XDP_TX)
		return bpf_redirect(((struct __sk_buff *)ctx)->ifindex, 0);
	return xdp_action == XDP_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

#endif /* XDPDNS_CTX_H */
