// SPDX-License-Identifier: GPL-2.0
/* The xdpdns XDP program: answers cached DNS queries in place, passes everything else. */
#include "serve.h"

SEC("xdp")
int xdpdns_xdp_serve(struct xdp_md *ctx)
{
	return xdpdns_serve(ctx);
}

char LICENSE[] SEC("license") = "GPL";
