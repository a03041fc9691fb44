// SPDX-License-Identifier: GPL-2.0
/* Logging with levels to stderr. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "log.h"

/* Process-wide by nature, like stderr itself. */
static const char *log_ident = "xdpdns";
static enum xdpdns_log_level log_level = XDPDNS_LOG_INFO;
static int libbpf_quiet;

static const char *const level_names[] = {
	[XDPDNS_LOG_ERROR] = "error",
	[XDPDNS_LOG_WARN] = "warning",
	[XDPDNS_LOG_INFO] = "info",
	[XDPDNS_LOG_DEBUG] = "debug",
};

static void vlog(enum xdpdns_log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n') /* libbpf ends its lines; ours do not */
		line[--n] = 0;
	fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[level], line);
}

void xdpdns_log(enum xdpdns_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	vlog(level == LIBBPF_WARN && !libbpf_quiet ? XDPDNS_LOG_WARN : XDPDNS_LOG_DEBUG, fmt, ap);
	return 0;
}

void xdpdns_log_libbpf_quiet(int quiet)
{
	libbpf_quiet = quiet;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	vlog(level == LIBXDP_WARN ? XDPDNS_LOG_WARN : XDPDNS_LOG_DEBUG, fmt, ap);
	return 0;
}

void xdpdns_log_init(const char *ident, enum xdpdns_log_level level)
{
	log_ident = ident;
	log_level = level;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

int xdpdns_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
