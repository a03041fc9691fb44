/* SPDX-License-Identifier: GPL-2.0 */
/* Start-up check that the running kernel has what the XDP program needs. */
#ifndef XDPDNS_KERNEL_CHECK_H
#define XDPDNS_KERNEL_CHECK_H

#include <stddef.h>

/* Returns 0, or -ENOTSUP with a sentence for the operator in why (what is missing and which
 * kernel has it, or the seccomp filter that refuses bpf()), or another -errno when it could not
 * tell (no privileges, say). */
int xdpdns_kernel_check(char *why, size_t len);

#endif /* XDPDNS_KERNEL_CHECK_H */
