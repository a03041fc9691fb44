/* SPDX-License-Identifier: GPL-2.0 */
/* Logging with levels to stderr; libbpf and libxdp messages go through it too. */
#ifndef XDPDNS_LOG_H
#define XDPDNS_LOG_H

#include <stddef.h>

enum xdpdns_log_level {
	XDPDNS_LOG_ERROR,
	XDPDNS_LOG_WARN,
	XDPDNS_LOG_INFO,
	XDPDNS_LOG_DEBUG,
};

/* Messages above level are dropped; ident prefixes every line ("xdpdnsd"). Also routes
 * libbpf's and libxdp's output here (their debug output only at XDPDNS_LOG_DEBUG). */
void xdpdns_log_init(const char *ident, enum xdpdns_log_level level);

/* While quiet, libbpf's warnings are logged as debug: for libxdp's probes, whose failures it
 * handles itself (the dispatcher check on kernels that refuse it). */
void xdpdns_log_libbpf_quiet(int quiet);

void xdpdns_log(enum xdpdns_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For functions that hand their caller a message instead of logging it: writes the message to
 * err (errlen bytes) and returns -EINVAL. */
int xdpdns_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...) xdpdns_log(XDPDNS_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  xdpdns_log(XDPDNS_LOG_WARN, __VA_ARGS__)
#define log_info(...)  xdpdns_log(XDPDNS_LOG_INFO, __VA_ARGS__)
#define log_debug(...) xdpdns_log(XDPDNS_LOG_DEBUG, __VA_ARGS__)

#endif /* XDPDNS_LOG_H */
