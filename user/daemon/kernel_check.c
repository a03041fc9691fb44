// SPDX-License-Identifier: GPL-2.0
/* Start-up check that the running kernel has what the XDP program needs. */
#include <errno.h>
#include <stdio.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "kernel_check.h"

int xdpdns_kernel_check(char *why, size_t len)
{
	static const struct {
		enum bpf_func_id id;
		const char *name;
		const char *since;
	} helpers[] = {
		{ BPF_FUNC_xdp_load_bytes, "bpf_xdp_load_bytes", "5.18" },
		{ BPF_FUNC_xdp_store_bytes, "bpf_xdp_store_bytes", "5.18" },
		{ BPF_FUNC_xdp_adjust_tail, "bpf_xdp_adjust_tail", "4.18" },
		{ BPF_FUNC_ktime_get_boot_ns, "bpf_ktime_get_boot_ns", "5.8" },
		{ BPF_FUNC_csum_diff, "bpf_csum_diff", "4.6" },
	};
	size_t i;

	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		int ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_XDP, helpers[i].id, NULL);

		if (ret < 0)
			return ret;
		if (ret == 0) {
			snprintf(why, len, "this kernel's XDP programs lack %s (Linux %s or later has it)",
				 helpers[i].name, helpers[i].since);
			return -ENOTSUP;
		}
	}
	return 0;
}
