// SPDX-License-Identifier: GPL-2.0
/* The control socket's client. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "control.h"

int xdpdns_control_path(const char *instance, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.sock", XDPDNS_RUN_DIR, instance);

	return n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path) ?
		       -ENAMETOOLONG : 0;
}

int control_request(const char *instance, const char *cmd, FILE *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	char buf[4096];
	ssize_t n;
	int fd, err = xdpdns_control_path(instance, sun.sun_path, sizeof(sun.sun_path));

	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a daemon that is stuck must fail a health probe, not hang it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = errno == ECONNREFUSED ? -ENOENT : -errno; /* a socket left by a killed daemon */
		close(fd);
		return err;
	}
	/* one message: the daemon reads once, answers and closes */
	n = snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (n >= (ssize_t)sizeof(buf) || send(fd, buf, n, MSG_NOSIGNAL) < 0) {
		err = n >= (ssize_t)sizeof(buf) ? -E2BIG : -errno;
		close(fd);
		return err;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		fwrite(buf, 1, n, out);
	close(fd);
	return n < 0 ? -errno : 0;
}
