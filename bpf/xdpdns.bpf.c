// SPDX-License-Identifier: GPL-2.0
/* The xdpdns programs: answer cached DNS queries in place, pass everything else. One serve code
 * (serve.h) behind two entry points, one per hook (ctx.h); the daemon picks per attach point. */
#include "serve.h"

/* NICs (native XDP, or generic where the driver has none), and lo or a bridge if the operator
 * asks for XDP there */
SEC("xdp")
int xdpdns_xdp_serve(struct xdp_md *ctx)
{
	return xdpdns_serve(ctx, HOOK_XDP);
}

/* TC clsact: ingress on pod veths and bridges, egress on lo (docs/design.md "Attach points: the
 * hooks, measured" says why) */
SEC("tc")
int xdpdns_tc_serve(struct __sk_buff *ctx)
{
	return xdpdns_serve(ctx, HOOK_TC);
}

char LICENSE[] SEC("license") = "GPL";
