// SPDX-License-Identifier: GPL-2.0
/* Start-up check that the running kernel has what the XDP program needs. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include "kernel_check.h"

/* bpf() refused by a seccomp filter rather than by the kernel. An unknown command is EINVAL from
 * every kernel for a caller with CAP_BPF (or CAP_SYS_ADMIN, before 5.8); EPERM or ENOSYS then
 * comes from a filter. Without those capabilities the kernel's EPERM says enough. */
static bool seccomp_refuses_bpf(void)
{
	unsigned long long cap_eff = 0;
	int seccomp = 0;
	char line[128];
	FILE *f;

	if (syscall(__NR_bpf, -1, NULL, 0) >= 0 || (errno != EPERM && errno != ENOSYS))
		return false;
	f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "CapEff: %llx", &cap_eff);
		sscanf(line, "Seccomp: %d", &seccomp);
	}
	fclose(f);
	return seccomp == 2 && (cap_eff & (1ULL << CAP_BPF | 1ULL << CAP_SYS_ADMIN));
}

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

	if (seccomp_refuses_bpf()) {
		/* why[] is 160 bytes in the loader */
		snprintf(why, len, "a seccomp filter refuses bpf() despite CAP_BPF: the runtime's "
				   "default profile (podman, CRI-O) wants CAP_SYS_ADMIN; allow it "
				   "with CAP_BPF (docs/operating.md, \"Kubernetes\")");
		return -ENOTSUP;
	}
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
