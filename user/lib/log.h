/* SPDX-License-Identifier: GPL-2.0 */
/* Logging with levels to stderr, as text or one JSON object a line; libbpf and libxdp messages
 * go through it too. Events worth an operator's attention (an upstream down, the guard engaged)
 * go through xdpdns_log_event(), rate-limited. */
#ifndef XDPDNS_LOG_H
#define XDPDNS_LOG_H

#include <stddef.h>
#include <stdint.h>

enum xdpdns_log_level {
	XDPDNS_LOG_ERROR,
	XDPDNS_LOG_WARN,
	XDPDNS_LOG_INFO,
	XDPDNS_LOG_DEBUG,
};

enum xdpdns_log_format {
	XDPDNS_LOG_TEXT, /* "xdpdnsd: warning: message" */
	XDPDNS_LOG_JSON, /* {"ts":"2026-01-02T03:04:05.678Z","level":"warning","msg":"message",...} */
};

/* Messages above level are dropped; ident prefixes every line ("xdpdnsd"). Also routes
 * libbpf's and libxdp's output here (their debug output only at XDPDNS_LOG_DEBUG). */
void xdpdns_log_init(const char *ident, enum xdpdns_log_level level);
void xdpdns_log_set_format(enum xdpdns_log_format format);

/* While quiet, libbpf's warnings are logged as debug: for libxdp's probes, whose failures it
 * handles itself (the dispatcher check on kernels that refuse it). */
void xdpdns_log_libbpf_quiet(int quiet);

void xdpdns_log(enum xdpdns_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An event an operator should see, but not a thousand times: logged at most once per
 * XDPDNS_LOG_EVENT_INTERVAL_MS for one event and subject (an upstream down, a guarded name),
 * and at most XDPDNS_LOG_EVENT_BURST times per interval for one event whatever the subject (a
 * storm guarding many names). The next line logged of the event says how many were
 * suppressed. event is a fixed identifier ("upstream_down"); field and subject (both may be
 * NULL) name what it is about: in JSON they become "event":event, field:subject. */
#define XDPDNS_LOG_EVENT_INTERVAL_MS 10000
#define XDPDNS_LOG_EVENT_BURST 10
void xdpdns_log_event(enum xdpdns_log_level level, const char *event, const char *field,
		      const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* For functions that hand their caller a message instead of logging it: writes the message to
 * err (errlen bytes) and returns -EINVAL. */
int xdpdns_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes s as the inside of a JSON string (no quotes) to out, at most len - 1 bytes and a NUL,
 * never cutting an escape: ", \ and control characters escaped, bytes that are not UTF-8 as
 * U+FFFD. Returns the length written. */
size_t xdpdns_json_escape(char *out, size_t len, const char *s);

/* Rate limiting by key: at most burst allowed per interval_ms (a fixed window from the first
 * allowed). A table of XDPDNS_RATELIMIT_KEYS keys, the least recently used replaced. */
#define XDPDNS_RATELIMIT_KEYS 64
#define XDPDNS_RATELIMIT_KEY_LEN 128 /* longer keys are cut: a name is 255 bytes at most */

struct xdpdns_ratelimit_slot {
	char key[XDPDNS_RATELIMIT_KEY_LEN];
	uint64_t window_ms; /* start of the window; 0: slot unused */
	uint64_t used_ms;   /* last asked: the least recently used slot is reused */
	uint32_t allowed;   /* in this window */
	uint64_t suppressed; /* since the last allowed */
};

struct xdpdns_ratelimit {
	struct xdpdns_ratelimit_slot slots[XDPDNS_RATELIMIT_KEYS];
};

/* Whether key may be logged at now_ms (> 0). When it may, *suppressed is how many were refused
 * since it last was (and is reset); when not, the refusal is counted. */
int xdpdns_ratelimit_allow(struct xdpdns_ratelimit *rl, const char *key, uint64_t now_ms,
			   uint32_t interval_ms, uint32_t burst, uint64_t *suppressed);

#define log_error(...) xdpdns_log(XDPDNS_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  xdpdns_log(XDPDNS_LOG_WARN, __VA_ARGS__)
#define log_info(...)  xdpdns_log(XDPDNS_LOG_INFO, __VA_ARGS__)
#define log_debug(...) xdpdns_log(XDPDNS_LOG_DEBUG, __VA_ARGS__)

#endif /* XDPDNS_LOG_H */
