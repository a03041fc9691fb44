/* SPDX-License-Identifier: GPL-2.0 */
/* Running as an unprivileged user once the start-up work that needs root is done (the `user`
 * option), and telling systemd the daemon is ready (sd_notify, without libsystemd). */
#ifndef XDPDNS_PRIVILEGES_H
#define XDPDNS_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "bpf_maps.h"

/* Looks NAME up in the passwd database. Returns 0, or -ENOENT with a message in err. */
int xdpdns_user_lookup(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* Becomes uid:gid (with NAME's supplementary groups) keeping only CAP_NET_BIND_SERVICE, which
 * a SIGHUP that changes the listen addresses needs to bind port 53 again, and with net_admin
 * CAP_NET_ADMIN, which putting the program on interfaces as they appear needs (the attach
 * points other than NICs: patterns, a bridge made with the first pod). Map updates go
 * through the fds the loader opened: kernels since 6.5 check no capability for them; older
 * ones with kernel.unprivileged_bpf_disabled set want CAP_BPF, so it is kept when a read of m
 * through those fds fails without it (*kept_bpf). Returns 0, or -errno with err. */
int xdpdns_privileges_drop(const char *name, uid_t uid, gid_t gid, const struct xdpdns_maps *m,
			   bool net_admin, bool *kept_bpf, char *err, size_t errlen);

/* Sends state ("READY=1", "STOPPING=1", "STATUS=...") to systemd's $NOTIFY_SOCKET, a datagram
 * socket (a path, or an abstract name written with a leading '@'). Returns 0 also when there
 * is no such socket (not started by systemd with Type=notify), or -errno. */
int xdpdns_sd_notify(const char *state);

#endif /* XDPDNS_PRIVILEGES_H */
