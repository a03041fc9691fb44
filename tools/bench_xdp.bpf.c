// SPDX-License-Identifier: GPL-2.0
/* Benchmark programs for BPF_PROG_TEST_RUN. With repeat > 1 the kernel does not reset the
 * frame between runs, and the fast path rewrites its query into the answer: bench_serve saves
 * the frame, runs the real fast path, and puts the frame back, so every run sees the query.
 * bench_restore_only does the save and restore alone; its cost is subtracted to get the fast
 * path's own. bench_swap_macs is the trivial XDP_TX program the target is measured against. */
#include "serve.h"

#define BENCH_FRAME_MAX_LEN 1024

struct bench_frame {
	__u8 bytes[BENCH_FRAME_MAX_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct bench_frame);
	__uint(max_entries, 1);
} bench_frames SEC(".maps");

static __always_inline struct bench_frame *save(struct xdp_md *ctx, __u64 *saved_len)
{
	__u64 len = (__u64)ctx->data_end - ctx->data;
	__u32 zero = 0;
	struct bench_frame *f = bpf_map_lookup_elem(&bench_frames, &zero);

	if (!f || len == 0 || len > BENCH_FRAME_MAX_LEN)
		return NULL;
	barrier_var(len); /* check and use the same register */
	if (bpf_xdp_load_bytes(ctx, 0, f->bytes, len))
		return NULL;
	*saved_len = len;
	return f;
}

static __always_inline int restore(struct xdp_md *ctx, struct bench_frame *f, __u64 len)
{
	int delta = (int)len - (int)(ctx->data_end - ctx->data);

	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	if (len == 0 || len > BENCH_FRAME_MAX_LEN) /* for the verifier */
		return -1;
	barrier_var(len);
	return bpf_xdp_store_bytes(ctx, 0, f->bytes, len);
}

SEC("xdp")
int bench_serve(struct xdp_md *ctx)
{
	struct bench_frame *f;
	__u64 len;
	int action;

	f = save(ctx, &len);
	if (!f)
		return XDP_ABORTED;
	action = xdpdns_serve(ctx, HOOK_XDP);
	return restore(ctx, f, len) ? XDP_ABORTED : action;
}

SEC("xdp")
int bench_restore_only(struct xdp_md *ctx)
{
	struct bench_frame *f;
	__u64 len;

	f = save(ctx, &len);
	if (!f)
		return XDP_ABORTED;
	return restore(ctx, f, len) ? XDP_ABORTED : XDP_TX;
}

SEC("xdp")
int bench_swap_macs(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
