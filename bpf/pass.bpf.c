// SPDX-License-Identifier: GPL-2.0
/* XDP_PASS for the other end of a veth: a veth delivers XDP_TX frames to its peer only when the
 * peer has an XDP program (or GRO) enabled; otherwise the replies vanish. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdpdns_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
