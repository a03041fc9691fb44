// SPDX-License-Identifier: GPL-2.0
/* Dropping root after start-up, and sd_notify. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/capability.h>
#include "log.h"
#include "privileges.h"

#define CAP_MASK(cap) (1ULL << (cap))

int xdpdns_user_lookup(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		snprintf(err, errlen, "user %s: %s", name, errno ? strerror(errno) : "no such user");
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* capset(2) for the 64 capability bits; libcap would be a dependency for this one call. */
static int set_caps(uint64_t permitted, uint64_t effective)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
		{ .effective = (uint32_t)effective, .permitted = (uint32_t)permitted },
		{ .effective = effective >> 32, .permitted = permitted >> 32 },
	};

	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int xdpdns_privileges_drop(const char *name, uid_t uid, gid_t gid, const struct xdpdns_maps *m,
			   bool net_admin, bool *kept_bpf, char *err, size_t errlen)
{
	const uint64_t keep = CAP_MASK(CAP_NET_BIND_SERVICE) |
			      (net_admin ? CAP_MASK(CAP_NET_ADMIN) : 0);
	struct xdpdns_config cfg;
	int ret;

	*kept_bpf = false;
	/* keep the permitted set across setuid(), to choose from it below */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || initgroups(name, gid) ||
	    setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		ret = -errno;
		snprintf(err, errlen, "can't become user %s (%u:%u): %s", name, uid, gid,
			 strerror(errno));
		return ret;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* CAP_BPF permitted, not effective: does this kernel let the fds be used without it? */
	ret = set_caps(keep | CAP_MASK(CAP_BPF), keep);
	if (!ret && xdpdns_config_read(m, &cfg) == -EPERM) {
		*kept_bpf = true;
		ret = set_caps(keep | CAP_MASK(CAP_BPF), keep | CAP_MASK(CAP_BPF));
	} else if (!ret) {
		ret = set_caps(keep, keep);
	}
	if (ret) {
		snprintf(err, errlen, "can't set the capabilities of user %s: %s", name,
			 strerror(-ret));
		return ret;
	}
	if (!setuid(0)) { /* must be impossible now */
		snprintf(err, errlen, "still able to become root after dropping to %s", name);
		return -EPERM;
	}
	return 0;
}

int xdpdns_sd_notify(const char *state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	int fd, ret = 0;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = 0; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
		   offsetof(struct sockaddr_un, sun_path) + len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
