// SPDX-License-Identifier: GPL-2.0
/* Where xdpdns pins things in bpffs, and how its TC filters are known. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pins.h"

int xdpdns_pin_dir(const char *instance, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", XDPDNS_PIN_ROOT, instance);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool xdpdns_instance_valid(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return n && !name[n] && n <= XDPDNS_INSTANCE_MAX_LEN;
}

unsigned int xdpdns_tc_handle(const char *instance)
{
	unsigned int h = 2166136261u; /* FNV-1a */

	for (; *instance; instance++)
		h = (h ^ (unsigned char)*instance) * 16777619u;
	return XDPDNS_TC_HANDLE_BASE + (h & 0xfff);
}

unsigned int xdpdns_tc_filter_id(int ifindex, int side, unsigned int handle)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = side);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = XDPDNS_TC_PRIORITY);
	int err;

	xdpdns_log_libbpf_quiet(1);
	err = bpf_tc_query(&hook, &opts);
	xdpdns_log_libbpf_quiet(0);
	return err ? 0 : opts.prog_id;
}

int xdpdns_tc_filter_detach(int ifindex, int side, unsigned int handle)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = side);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = XDPDNS_TC_PRIORITY);

	return bpf_tc_detach(&hook, &opts);
}

int xdpdns_bpffs_dir(const char *root, const char *dir)
{
	struct statfs st;
	int err;

	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			err = -errno; /* before logging, which may change errno */
			log_error("can't mount bpffs on /sys/fs/bpf: %s", strerror(-err));
			return err;
		}
		log_info("mounted bpffs on /sys/fs/bpf");
	}
	if ((mkdir(root, 0700) && errno != EEXIST) || (mkdir(dir, 0700) && errno != EEXIST)) {
		err = -errno;
		log_error("can't create %s: %s", dir, strerror(-err));
		return err;
	}
	return 0;
}
