// SPDX-License-Identifier: GPL-2.0
/* Logging with levels to stderr, as text or JSON lines. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "clock.h"
#include "log.h"

#define LOG_MSG_LEN 1024 /* a message; longer ones are cut */
#define LOG_LINE_LEN (6 * LOG_MSG_LEN + 1024) /* escaped: at most 6 bytes per byte, and fields */

/* Process-wide by nature, like stderr itself. */
static const char *log_ident = "xdpdns";
static enum xdpdns_log_level log_level = XDPDNS_LOG_INFO;
static enum xdpdns_log_format log_format = XDPDNS_LOG_TEXT;
static int libbpf_quiet;
static struct xdpdns_ratelimit event_limits;

static const char *const level_names[] = {
	[XDPDNS_LOG_ERROR] = "error",
	[XDPDNS_LOG_WARN] = "warning",
	[XDPDNS_LOG_INFO] = "info",
	[XDPDNS_LOG_DEBUG] = "debug",
};

/* Length of the UTF-8 sequence at s, or 0 if it is not one (overlong forms, surrogates and
 * code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the NUL at the end stops here too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t xdpdns_json_escape(char *out, size_t len, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (!len)
		return 0;
	while (*p) {
		char esc[8];
		const char *piece = esc;
		size_t n = utf8_len(p), plen;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = *p, esc[2] = 0;
		} else if (*p == '\n') {
			piece = "\\n";
		} else if (*p == '\t') {
			piece = "\\t";
		} else if (*p == '\r') {
			piece = "\\r";
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else if (!n) {
			piece = "\\ufffd";
			n = 1;
		} else {
			piece = NULL; /* n bytes as they are */
		}
		plen = piece ? strlen(piece) : n;
		if (o + plen >= len)
			break;
		memcpy(out + o, piece ? piece : (const char *)p, plen);
		o += plen;
		p += n;
	}
	out[o] = 0;
	return o;
}

/* One line, written at once (stderr is unbuffered: a line is one write). */
static void emit(enum xdpdns_log_level level, const char *msg, const char *event,
		 const char *field, const char *subject, uint64_t suppressed)
{
	char line[LOG_LINE_LEN], ts[40];
	size_t n = 0;
	struct timespec now;
	struct tm tm;

/* appends to line; once it is full (n past its end), nothing more */
#define PUT(...) \
	(n += n < sizeof(line) ? (size_t)snprintf(line + n, sizeof(line) - n, __VA_ARGS__) : 0)
#define PUT_ESCAPED(s) \
	(n += n < sizeof(line) ? xdpdns_json_escape(line + n, sizeof(line) - n, s) : 0)
	if (log_format == XDPDNS_LOG_TEXT) {
		PUT("%s: %s: %s", log_ident, level_names[level], msg);
		if (suppressed)
			PUT(" (suppressed %llu similar)", (unsigned long long)suppressed);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		PUT("{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"ident\":\"", ts, now.tv_nsec / 1000000,
		    level_names[level]);
		PUT_ESCAPED(log_ident);
		PUT("\",\"msg\":\"");
		PUT_ESCAPED(msg);
		PUT("\"");
		if (event)
			PUT(",\"event\":\"%s\"", event); /* an identifier of ours: nothing to escape */
		if (field && subject) {
			PUT(",\"%s\":\"", field);
			PUT_ESCAPED(subject);
			PUT("\"");
		}
		if (suppressed)
			PUT(",\"suppressed\":%llu", (unsigned long long)suppressed);
		PUT("}");
	}
#undef PUT
#undef PUT_ESCAPED
	if (n >= sizeof(line) - 1) /* cut: a JSON line is then broken, but still one line */
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}

static void vlog_event(enum xdpdns_log_level level, const char *event, const char *field,
		       const char *subject, uint64_t suppressed, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_LEN];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n') /* libbpf ends its lines; ours do not */
		msg[--n] = 0;
	emit(level, msg, event, field, subject, suppressed);
}

static void vlog(enum xdpdns_log_level level, const char *fmt, va_list ap)
{
	if (level <= log_level)
		vlog_event(level, NULL, NULL, NULL, 0, fmt, ap);
}

void xdpdns_log(enum xdpdns_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int xdpdns_ratelimit_allow(struct xdpdns_ratelimit *rl, const char *key, uint64_t now_ms,
			   uint32_t interval_ms, uint32_t burst, uint64_t *suppressed)
{
	struct xdpdns_ratelimit_slot *s = NULL, *lru = &rl->slots[0];
	int i;

	for (i = 0; i < XDPDNS_RATELIMIT_KEYS && !s; i++) {
		struct xdpdns_ratelimit_slot *t = &rl->slots[i];

		if (t->window_ms && !strncmp(t->key, key, sizeof(t->key) - 1))
			s = t;
		else if (t->used_ms < lru->used_ms)
			lru = t; /* unused slots have used_ms 0: taken first */
	}
	if (!s) { /* a new key; a replaced one's suppressed count is lost */
		s = lru;
		memset(s, 0, sizeof(*s));
		snprintf(s->key, sizeof(s->key), "%s", key);
	}
	s->used_ms = now_ms;
	if (!s->window_ms || now_ms - s->window_ms >= interval_ms) {
		s->window_ms = now_ms;
		s->allowed = 0;
	}
	if (s->allowed >= burst) {
		s->suppressed++;
		return 0;
	}
	s->allowed++;
	*suppressed = s->suppressed;
	s->suppressed = 0;
	return 1;
}

void xdpdns_log_event(enum xdpdns_log_level level, const char *event, const char *field,
		      const char *subject, const char *fmt, ...)
{
	char key[XDPDNS_RATELIMIT_KEY_LEN];
	uint64_t now_ms, by_subject = 0, by_event = 0;
	va_list ap;

	if (level > log_level)
		return;
	now_ms = ev_now_ms() + 1; /* never 0: unused */
	if (subject) {
		snprintf(key, sizeof(key), "%s\x1f%s", event, subject);
		if (!xdpdns_ratelimit_allow(&event_limits, key, now_ms,
					    XDPDNS_LOG_EVENT_INTERVAL_MS, 1, &by_subject))
			return;
	}
	if (!xdpdns_ratelimit_allow(&event_limits, event, now_ms, XDPDNS_LOG_EVENT_INTERVAL_MS,
				    subject ? XDPDNS_LOG_EVENT_BURST : 1, &by_event))
		return;
	va_start(ap, fmt);
	vlog_event(level, event, field, subject, by_subject + by_event, fmt, ap);
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

void xdpdns_log_set_format(enum xdpdns_log_format format)
{
	log_format = format;
}

int xdpdns_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
