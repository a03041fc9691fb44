// SPDX-License-Identifier: GPL-2.0
/* xdpdnsd's options. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "version.h"

enum opt_type {
	OPT_STRING,   /* char[] of size `max` */
	OPT_U16,
	OPT_U32,
	OPT_DURATION, /* stored in ms; written as seconds, or with an "ms" suffix */
	OPT_BOOL,     /* yes/no; a flag without a value is yes */
	OPT_LISTEN,
	OPT_UPSTREAM,
	OPT_ZONE,     /* a domain name suffix, repeatable */
	OPT_MODE,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
	OPT_METRICS_LISTEN,
	OPT_RATELIMIT_ACTION,
	OPT_IFACE,    /* a NIC attach point, repeatable */
	OPT_ATTACH,   /* IF[:HOOK], IF a name or a pattern, repeatable */
	OPT_CONFIG,   /* command line only */
};

/* When a changed value takes effect: at a SIGHUP, or only when the daemon starts again (what
 * the loader and the process were started with: the attach points, the instance, the XDP mode,
 * the maps' capacity, the user, the threads). On SIGHUP the running value of an AT_RESTART
 * option is kept, with a warning (xdpdns_options_keep_restart()); the man pages say which. */
enum opt_when {
	ON_RELOAD,
	AT_RESTART,
};

struct opt_def {
	const char *name;
	enum opt_type type;
	enum opt_when when;
	size_t off;        /* in struct xdpdns_options */
	uint32_t min, max; /* numbers: range (durations in ms); strings: size */
	const char *arg;
	const char *help;
};

#define OFF(field) offsetof(struct xdpdns_options, field)
#define SIZE(field) sizeof(((struct xdpdns_options *)0)->field)

/* The single definition of every option, for the file, the flags, --help, the man pages and
 * what a SIGHUP changes. */
static const struct opt_def opts[] = {
	{ "config", OPT_CONFIG, ON_RELOAD, 0, 0, 0, "FILE", "read options from FILE (" XDPDNS_DEFAULT_CONFIG ")" },
	{ "iface", OPT_IFACE, AT_RESTART, 0, 0, 0, "IF",
	  "a NIC: XDP, native or generic by mode; repeatable (the flags replace the file's); its "
	  "addresses are the default listen addresses (iface or attach: at least one)" },
	{ "attach", OPT_ATTACH, AT_RESTART, 0, 0, 0, "IF[:HOOK]",
	  "lo, a bridge, or every interface matching a pattern (cali*, lxc*, veth*) as they come "
	  "and go; HOOK tc (default; on lo tc-egress), tc-egress, xdp-skb or xdp; repeatable, one "
	  "attach point each" },
	{ "instance", OPT_STRING, AT_RESTART, OFF(instance), 1, SIZE(instance), "NAME",
	  "names the cache: its pins, control socket and default snapshot (the first iface, "
	  "else " XDPDNS_DEFAULT_INSTANCE ")" },
	{ "listen", OPT_LISTEN, ON_RELOAD, 0, 0, 0, "ADDR", "service address, repeatable (default: IF's addresses)" },
	{ "port", OPT_U16, ON_RELOAD, OFF(port), 1, 65535, "N", "service port (53)" },
	{ "upstream", OPT_UPSTREAM, ON_RELOAD, 0, 0, 0, "ADDR[:PORT]",
	  "upstream resolver in failover order, repeatable (default: resolv.conf)" },
	{ "mode", OPT_MODE, AT_RESTART, OFF(mode), 0, 0, "auto|native|skb", "XDP mode; auto falls back to skb (auto)" },
	{ "timeout", OPT_DURATION, ON_RELOAD, OFF(timeout_ms), 100, 30000, "SECONDS", "per upstream attempt (1)" },
	{ "attempts", OPT_U32, ON_RELOAD, OFF(attempts), 1, 5, "N", "rounds over the upstreams (2)" },
	{ "min-ttl", OPT_U32, ON_RELOAD, OFF(min_ttl_sec), 0, 86400, "SECONDS", "floor of cached TTLs (0)" },
	{ "max-ttl", OPT_U32, ON_RELOAD, OFF(max_ttl_sec), 1, 604800, "SECONDS", "cap of cached TTLs (86400)" },
	{ "max-negative-ttl", OPT_U32, ON_RELOAD, OFF(max_negative_ttl_sec), 0, 86400, "SECONDS",
	  "cap of NXDOMAIN/NODATA TTLs (30)" },
	{ "servfail-ttl", OPT_U32, ON_RELOAD, OFF(servfail_ttl_sec), 0, 30, "SECONDS",
	  "how long a SERVFAIL is remembered, never in the kernel (5)" },
	{ "stale-ttl", OPT_U32, ON_RELOAD, OFF(stale_ttl_sec), 1, 3600, "SECONDS", "TTL of stale answers (30)" },
	{ "max-stale", OPT_U32, ON_RELOAD, OFF(max_stale_sec), 0, 604800, "SECONDS",
	  "serve stale at most this long past expiry (86400)" },
	{ "stale-answer-timeout", OPT_DURATION, ON_RELOAD, OFF(stale_answer_ms), 100, 30000, "SECONDS",
	  "answer stale if upstreams take longer (1.8s as 1800ms)" },
	{ "edns-udp-size", OPT_U16, ON_RELOAD, OFF(edns_udp_size), 512, 4096, "BYTES", "EDNS size we offer (1232)" },
	{ "prefetch", OPT_U32, ON_RELOAD, OFF(prefetch_percent), 0, 50, "PERCENT",
	  "refresh hot entries in the last PERCENT of their TTL; 0 disables (10)" },
	{ "health-query", OPT_STRING, ON_RELOAD, OFF(health_query), 3, SIZE(health_query), "'NAME TYPE'",
	  "probe sent to every upstream ('. NS')" },
	{ "health-interval", OPT_DURATION, ON_RELOAD, OFF(health_interval_ms), 100, 600000, "SECONDS",
	  "between probes, jittered (2)" },
	{ "health-failures", OPT_U32, ON_RELOAD, OFF(health_failures), 1, 100, "N",
	  "consecutive failures that mark an upstream down (3)" },
	{ "guard-window", OPT_DURATION, ON_RELOAD, OFF(guard_window_ms), 0, 86400000, "SECONDS",
	  "serve the last good answer this long when a name turns negative, until confirmed; "
	  "0 disables (300)" },
	{ "no-guard-zone", OPT_ZONE, ON_RELOAD, 0, 0, 0, "SUFFIX",
	  "no guard for names in this zone, repeatable" },
	{ "negative-recheck", OPT_DURATION, ON_RELOAD, OFF(negative_recheck_ms), 1000, 3600000, "SECONDS",
	  "TTL of negative answers for names positive within the hour (5)" },
	{ "upstream-qps", OPT_U32, ON_RELOAD, OFF(upstream_qps), 0, 10000000, "N",
	  "queries per second to the upstreams at most; 0: no limit (10000)" },
	{ "upstream-inflight", OPT_U32, ON_RELOAD, OFF(upstream_inflight), 1, 10000, "N",
	  "resolutions in flight at most (2000)" },
	{ "upstream-0x20", OPT_BOOL, ON_RELOAD, OFF(upstream_0x20), 0, 0, "yes|no",
	  "random case in upstream query names; answers must echo it byte for byte (no)" },
	{ "recovery-rate", OPT_U32, ON_RELOAD, OFF(recovery_rate), 1, 100000, "N",
	  "stale entries refreshed per second when upstreams come back (200)" },
	{ "snapshot-file", OPT_STRING, ON_RELOAD, OFF(snapshot_file), 0, SIZE(snapshot_file), "FILE",
	  "cache saved here at stop, restored at a start without a kept cache; '' disables ("
	  XDPDNS_SNAPSHOT_DIR "/INSTANCE.snapshot)" },
	{ "snapshot-interval", OPT_U32, ON_RELOAD, OFF(snapshot_interval_sec), 0, 86400, "SECONDS",
	  "save the cache this often too; 0: only at stop (300)" },
	{ "cache-entries", OPT_U32, AT_RESTART, OFF(cache_entries), 16, 16777216, "N",
	  "kernel cache capacity: N small, N/4 medium, N/16 large entries; at most 512 bytes x N "
	  "when full (1048576)" },
	{ "keep", OPT_BOOL, ON_RELOAD, OFF(keep), 0, 0, "yes|no",
	  "leave the program attached at exit, serving from the kernel (no)" },
	{ "fallback-file", OPT_STRING, ON_RELOAD, OFF(fallback_file), 0, SIZE(fallback_file), "FILE",
	  "pinned answers for when upstreams are down and nothing is cached (none)" },
	{ "threads", OPT_U32, AT_RESTART, OFF(threads), 0, 64, "N",
	  "threads answering UDP from the daemon's cache, one of them also resolving; 0: one per "
	  "online CPU, at most 8 (0)" },
	{ "user", OPT_STRING, AT_RESTART, OFF(user), 0, SIZE(user), "NAME",
	  "once attached and listening, run as NAME with only CAP_NET_BIND_SERVICE; needs keep "
	  "yes (root)" },
	/* shield mode: the kernel's per-source rate limit, the daemon's budget for misses */
	{ "ratelimit-qps", OPT_U32, ON_RELOAD, OFF(ratelimit_qps), 0, XDPDNS_RATELIMIT_QPS_MAX, "N",
	  "queries per second per IPv4 source or IPv6 /64, hits and misses, in XDP; 0: off (0)" },
	{ "ratelimit-burst", OPT_U32, ON_RELOAD, OFF(ratelimit_burst), 1, 1000000, "N",
	  "bucket size: queries a source may send at once before its rate applies (20)" },
	{ "ratelimit-action", OPT_RATELIMIT_ACTION, ON_RELOAD, 0, 0, 0, "drop|truncate",
	  "over the rate: no answer, or an empty TC=1 one so real clients retry over TCP (drop)" },
	{ "cache-only", OPT_BOOL, ON_RELOAD, OFF(cache_only), 0, 0, "yes|no",
	  "answer from the cache; ask upstream for misses only within cache-only-miss-qps (no)" },
	{ "cache-only-miss-qps", OPT_U32, ON_RELOAD, OFF(cache_only_miss_qps), 0, 10000000, "N",
	  "with cache-only: client misses sent upstream per second, 0: none; over it stale, else "
	  "REFUSED (100)" },
	/* TCP clients (RFC 7766) */
	{ "tcp-connections", OPT_U32, ON_RELOAD, OFF(tcp_connections), 1, 65536, "N",
	  "TCP connections open at most; when all are taken, an idle one is closed for a new one, "
	  "else the new one is (1024)" },
	{ "tcp-connections-per-source", OPT_U32, ON_RELOAD, OFF(tcp_connections_per_source), 1, 65536, "N",
	  "TCP connections open at most from one IPv4 address or IPv6 /64 (64)" },
	{ "tcp-idle-timeout", OPT_DURATION, ON_RELOAD, OFF(tcp_idle_timeout_ms), 100, 3600000, "SECONDS",
	  "close a TCP connection with nothing asked or owed this long (10)" },
	{ "tcp-io-timeout", OPT_DURATION, ON_RELOAD, OFF(tcp_io_timeout_ms), 100, 60000, "SECONDS",
	  "a message must arrive whole within this of its first byte, and answers not taken by a "
	  "client must move within it, or the connection is closed (2)" },
	{ "tcp-pipeline", OPT_U32, ON_RELOAD, OFF(tcp_pipeline), 1, 1000, "N",
	  "queries in flight per TCP connection; no more is read until one is answered (100)" },
	{ "log-level", OPT_LOG_LEVEL, ON_RELOAD, 0, 0, 0, "error|warn|info|debug", "(info)" },
	{ "log-format", OPT_LOG_FORMAT, ON_RELOAD, 0, 0, 0, "text|json",
	  "log lines as text, or as JSON objects with ts, level, msg and event fields (text)" },
	{ "metrics-listen", OPT_METRICS_LISTEN, ON_RELOAD, 0, 0, 0, "ADDR:PORT|off",
	  "Prometheus metrics at http://ADDR:PORT/metrics, [ADDR]:PORT for IPv6; off disables ("
	  XDPDNS_METRICS_DEFAULT_LISTEN ")" },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))
_Static_assert(N_OPTS <= 64, "xdpdns_options.given has a bit per option");

void xdpdns_options_defaults(struct xdpdns_options *o)
{
	memset(o, 0, sizeof(*o));
	o->port = XDPDNS_DEFAULT_PORT;
	o->mode = XDPDNS_MODE_AUTO;
	o->timeout_ms = 1000; /* as resolv.conf */
	o->attempts = 2;
	o->max_ttl_sec = 86400;
	o->max_negative_ttl_sec = 30; /* the outage showed why a long negative TTL hurts */
	o->servfail_ttl_sec = 5;      /* RFC 9520: at least 1 s, and briefly */
	o->stale_ttl_sec = XDPDNS_DEFAULT_STALE_TTL_SEC;
	o->max_stale_sec = XDPDNS_DEFAULT_MAX_STALE_SEC;
	o->stale_answer_ms = 1800; /* RFC 8767 5 */
	o->edns_udp_size = XDPDNS_DEFAULT_EDNS_UDP_SIZE;
	o->prefetch_percent = 10;
	snprintf(o->health_query, sizeof(o->health_query), ". NS");
	o->health_interval_ms = 2000;
	o->health_failures = 3;
	o->guard_window_ms = 300000;
	o->negative_recheck_ms = 5000;
	o->upstream_qps = 10000;
	o->upstream_inflight = 2000;
	o->recovery_rate = 200;
	o->snapshot_interval_sec = 300;
	o->cache_entries = XDPDNS_CLASS_S_ENTRIES;
	o->log_level = XDPDNS_LOG_INFO;
	o->log_format = XDPDNS_LOG_TEXT;
	xdpdns_sockaddr_parse_port(XDPDNS_METRICS_DEFAULT_LISTEN, XDPDNS_METRICS_DEFAULT_PORT,
				   &o->metrics_listen);
	o->ratelimit_burst = 20;
	o->ratelimit_action = XDPDNS_RATELIMIT_ACTION_DROP;
	o->cache_only_miss_qps = 100;
	o->tcp_connections = 1024;
	o->tcp_connections_per_source = 64;
	o->tcp_idle_timeout_ms = 10000; /* RFC 7766 6.2.3: a few seconds to tens of seconds */
	o->tcp_io_timeout_ms = 2000;
	o->tcp_pipeline = 100;
}

int xdpdns_sockaddr_parse(const char *text, struct xdpdns_sockaddr *out)
{
	return xdpdns_sockaddr_parse_port(text, 53, out);
}

int xdpdns_sockaddr_parse_port(const char *text, uint16_t default_port,
			       struct xdpdns_sockaddr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *port_str = NULL;
	struct sockaddr_in *in = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
	unsigned long port = default_port;
	const char *end;
	char *stop;

	memset(out, 0, sizeof(*out));
	if (text[0] == '[') { /* [v6]:port */
		end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, end - text - 1);
		host[end - text - 1] = 0;
		if (end[1] == ':')
			port_str = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		end = strchr(text, ':');
		if (end && strchr(end + 1, ':'))
			end = NULL; /* a bare IPv6 address */
		if (strlen(text) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%s", text);
		if (end) {
			host[end - text] = 0;
			port_str = end + 1;
		}
	}
	if (port_str) {
		port = strtoul(port_str, &stop, 10);
		if (!*port_str || *stop || port < 1 || port > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		out->len = sizeof(*in);
		snprintf(out->text, sizeof(out->text), "%s:%lu", host, port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		out->len = sizeof(*in6);
		snprintf(out->text, sizeof(out->text), "[%s]:%lu", host, port);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* An unsigned number in [min, max]; durations take seconds (with a fraction) or "ms". */
static int parse_number(const struct opt_def *d, const char *v, uint32_t *out, char *err,
			size_t errlen)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || errno || x < 0)
		return xdpdns_fail(err, errlen, "%s: '%s' is not a number", d->name, v);
	if (d->type == OPT_DURATION)
		x *= !strcmp(end, "ms") ? 1 : (!strcmp(end, "s") || !*end) ? 1000 : -1;
	else if (*end || x != (double)(uint32_t)x)
		x = -1;
	if (x < 0)
		return xdpdns_fail(err, errlen, "%s: '%s' is not a whole number%s", d->name, v,
			    d->type == OPT_DURATION ? " of seconds, or of ms with 'ms'" : "");
	if (x < d->min || x > d->max) {
		if (d->type == OPT_DURATION)
			return xdpdns_fail(err, errlen, "%s: %s is out of range, %g to %g seconds", d->name,
				    v, d->min / 1000.0, d->max / 1000.0);
		return xdpdns_fail(err, errlen, "%s: %s is out of range, %u to %u", d->name, v, d->min,
			    d->max);
	}
	*out = (uint32_t)x;
	return 0;
}

/* `iface IF` or `attach IF[:HOOK]`: one attach point more (a name given twice is one). */
static int add_attach(struct xdpdns_options *o, const struct opt_def *d, const char *v, char *err,
		      size_t errlen)
{
	struct xdpdns_attach_spec a = { .nic = d->type == OPT_IFACE };
	const char *colon = d->type == OPT_ATTACH ? strchr(v, ':') : NULL;
	size_t len = colon ? (size_t)(colon - v) : strlen(v);
	int i;

	/* an interface name has no ':', '/' or space (dev_valid_name()) */
	if (!len || len >= sizeof(a.name) || strcspn(v, "/ \t") < len)
		return xdpdns_fail(err, errlen, "%s: '%s' is not an interface name%s", d->name, v,
				   d->type == OPT_ATTACH ? " or pattern" : "");
	memcpy(a.name, v, len);
	if (a.nic && xdpdns_attach_is_pattern(a.name))
		return xdpdns_fail(err, errlen, "%s: '%s' is a pattern: use attach", d->name, v);
	if (colon) {
		const char *hook = colon + 1;

		if (!strcmp(hook, "tc"))
			a.hook = XDPDNS_HOOK_TC;
		else if (!strcmp(hook, "tc-egress"))
			a.hook = XDPDNS_HOOK_TC_EGRESS;
		else if (!strcmp(hook, "xdp"))
			a.hook = XDPDNS_HOOK_XDP;
		else if (!strcmp(hook, "xdp-skb") || !strcmp(hook, "skb"))
			a.hook = XDPDNS_HOOK_XDP_SKB;
		else if (strcmp(hook, "auto"))
			return xdpdns_fail(err, errlen,
					   "%s: '%s': the hook is tc, tc-egress, xdp-skb, xdp or auto",
					   d->name, v);
	}
	for (i = 0; i < o->n_attach; i++)
		if (!strcmp(o->attach[i].name, a.name)) {
			if (o->attach[i].nic == a.nic && o->attach[i].hook == a.hook)
				return 0; /* the same, twice */
			return xdpdns_fail(err, errlen, "%s: %s is an attach point already", d->name,
					   a.name);
		}
	if (o->n_attach == XDPDNS_ATTACH_POINTS_MAX)
		return xdpdns_fail(err, errlen, "%s: more than %d attach points (a pattern is one)",
				   d->name, XDPDNS_ATTACH_POINTS_MAX);
	if (a.nic && !o->iface[0])
		snprintf(o->iface, sizeof(o->iface), "%s", a.name);
	o->attach[o->n_attach++] = a;
	return 0;
}

/* The first --iface flag: the file's NICs go (the unit's `--iface %i` picks its own). */
static void drop_file_ifaces(struct xdpdns_options *o)
{
	int i, n = 0;

	for (i = 0; i < o->n_attach; i++)
		if (!o->attach[i].nic)
			o->attach[n++] = o->attach[i];
	o->n_attach = n;
	o->iface[0] = 0;
	o->iface_from_flags = true;
}

static int set_value(struct xdpdns_options *o, const struct opt_def *d, const char *v, char *err,
		     size_t errlen)
{
	void *field = (char *)o + d->off;
	uint32_t n = 0;
	int err2;

	switch (d->type) {
	case OPT_STRING:
		if (strlen(v) < d->min || strlen(v) >= d->max)
			return xdpdns_fail(err, errlen, "%s: '%s' is too short or too long", d->name, v);
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case OPT_U16:
	case OPT_U32:
	case OPT_DURATION:
		err2 = parse_number(d, v, &n, err, errlen);
		if (err2)
			return err2;
		if (d->type == OPT_U16)
			*(uint16_t *)field = n;
		else
			*(uint32_t *)field = n;
		return 0;
	case OPT_BOOL:
		if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
			*(bool *)field = true;
		else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
			*(bool *)field = false;
		else
			return xdpdns_fail(err, errlen, "%s: '%s' is not yes or no", d->name, v);
		return 0;
	case OPT_LISTEN: {
		struct in6_addr a;

		if (inet_pton(AF_INET, v, &a) != 1 && inet_pton(AF_INET6, v, &a) != 1)
			return xdpdns_fail(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address", d->name, v);
		if (o->n_listen == XDPDNS_SERVICES_MAX)
			return xdpdns_fail(err, errlen, "%s: more than %d addresses", d->name,
				    XDPDNS_SERVICES_MAX);
		snprintf(o->listen[o->n_listen++], sizeof(o->listen[0]), "%s", v);
		return 0;
	}
	case OPT_UPSTREAM:
		if (o->n_upstreams == XDPDNS_UPSTREAMS_MAX)
			return xdpdns_fail(err, errlen, "%s: more than %d upstreams", d->name,
				    XDPDNS_UPSTREAMS_MAX);
		if (xdpdns_sockaddr_parse(v, &o->upstreams[o->n_upstreams]))
			return xdpdns_fail(err, errlen, "%s: '%s' is not ADDR, ADDR:PORT or [ADDR]:PORT",
				    d->name, v);
		o->n_upstreams++;
		return 0;
	case OPT_ZONE: {
		ldns_rdf *zone = NULL;

		if (ldns_str2rdf_dname(&zone, v) != LDNS_STATUS_OK ||
		    ldns_rdf_size(zone) > sizeof(o->no_guard_zones[0].wire)) {
			ldns_rdf_deep_free(zone);
			return xdpdns_fail(err, errlen, "%s: '%s' is not a domain name", d->name, v);
		}
		if (o->n_no_guard_zones == XDPDNS_NO_GUARD_ZONES_MAX) {
			ldns_rdf_deep_free(zone);
			return xdpdns_fail(err, errlen, "%s: more than %d zones", d->name,
				    XDPDNS_NO_GUARD_ZONES_MAX);
		}
		/* kept as the server compares it (policy.c guard_window): wire form, lowercased */
		ldns_dname2canonical(zone);
		o->no_guard_zones[o->n_no_guard_zones].len = ldns_rdf_size(zone);
		memcpy(o->no_guard_zones[o->n_no_guard_zones++].wire, ldns_rdf_data(zone),
		       ldns_rdf_size(zone));
		ldns_rdf_deep_free(zone);
		return 0;
	}
	case OPT_MODE:
		if (!strcmp(v, "auto"))
			o->mode = XDPDNS_MODE_AUTO;
		else if (!strcmp(v, "native"))
			o->mode = XDPDNS_MODE_NATIVE;
		else if (!strcmp(v, "skb"))
			o->mode = XDPDNS_MODE_SKB;
		else
			return xdpdns_fail(err, errlen, "%s: '%s' is not auto, native or skb", d->name, v);
		return 0;
	case OPT_LOG_LEVEL: {
		static const char *const levels[] = { "error", "warn", "info", "debug" };
		size_t i;

		for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
			if (!strcmp(v, levels[i])) {
				o->log_level = i;
				return 0;
			}
		return xdpdns_fail(err, errlen, "%s: '%s' is not error, warn, info or debug", d->name, v);
	}
	case OPT_LOG_FORMAT:
		if (!strcmp(v, "text"))
			o->log_format = XDPDNS_LOG_TEXT;
		else if (!strcmp(v, "json"))
			o->log_format = XDPDNS_LOG_JSON;
		else
			return xdpdns_fail(err, errlen, "%s: '%s' is not text or json", d->name, v);
		return 0;
	case OPT_METRICS_LISTEN:
		if (!strcmp(v, "off")) {
			memset(&o->metrics_listen, 0, sizeof(o->metrics_listen));
			return 0;
		}
		if (xdpdns_sockaddr_parse_port(v, XDPDNS_METRICS_DEFAULT_PORT, &o->metrics_listen))
			return xdpdns_fail(err, errlen, "%s: '%s' is not ADDR:PORT, [ADDR]:PORT or off",
					   d->name, v);
		return 0;
	case OPT_RATELIMIT_ACTION:
		if (!strcmp(v, "drop"))
			o->ratelimit_action = XDPDNS_RATELIMIT_ACTION_DROP;
		else if (!strcmp(v, "truncate"))
			o->ratelimit_action = XDPDNS_RATELIMIT_ACTION_TRUNCATE;
		else
			return xdpdns_fail(err, errlen, "%s: '%s' is not drop or truncate", d->name, v);
		return 0;
	case OPT_IFACE:
	case OPT_ATTACH:
		return add_attach(o, d, v, err, errlen);
	case OPT_CONFIG:
		return xdpdns_fail(err, errlen, "%s: only on the command line", d->name);
	}
	return -EINVAL;
}

static int set_def(struct xdpdns_options *o, const struct opt_def *d, const char *v, char *err,
		   size_t errlen)
{
	int ret = set_value(o, d, v, err, errlen);

	if (!ret)
		o->given |= 1ULL << (d - opts);
	return ret;
}

static const struct opt_def *find_def(const char *name)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

int xdpdns_options_set(struct xdpdns_options *o, const char *name, const char *value, char *err,
		       size_t errlen)
{
	const struct opt_def *d = find_def(name);

	if (!d)
		return xdpdns_fail(err, errlen, "unknown option '%s'", name);
	return set_def(o, d, value, err, errlen);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return s;
}

int xdpdns_options_load(struct xdpdns_options *o, const char *path, char *err, size_t errlen)
{
	char line[512], msg[256];
	FILE *f = fopen(path, "r");
	int lineno = 0, ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	snprintf(o->config_path, sizeof(o->config_path), "%s", path);
	while (!ret && fgets(line, sizeof(line), f)) {
		char *key, *value, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
				 sizeof(line) - 2);
			ret = -EINVAL;
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		key = trim(line);
		if (!*key)
			continue;
		value = key + strcspn(key, " \t");
		if (*value)
			*value++ = 0;
		value = trim(value);
		if (!*value) {
			snprintf(err, errlen, "%s:%d: %s: no value", path, lineno, key);
			ret = -EINVAL;
			continue;
		}
		if (!strcmp(value, "\"\"")) /* an empty value, written as "" */
			value[0] = 0;
		if (xdpdns_options_set(o, key, value, msg, sizeof(msg))) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			ret = -EINVAL;
		}
	}
	fclose(f);
	return ret;
}

void xdpdns_options_usage(FILE *out, const char *prog)
{
	size_t i;

	fprintf(out, "usage: %s --iface IF|--attach IF[:HOOK] [OPTION]...\n"
		     "Every option can also be set as a 'NAME VALUE' line of the config file.\n",
		prog);
	for (i = 0; i < N_OPTS; i++) {
		char lhs[64];

		snprintf(lhs, sizeof(lhs), "--%s %s", opts[i].name, opts[i].arg);
		fprintf(out, "  %-34s %s\n", lhs, opts[i].help);
	}
	fprintf(out, "  %-34s %s\n", "--help", "this text");
	fprintf(out, "  %-34s %s\n", "--version", "the version");
}

/* Does option d have the same value in a and b? The attach points (iface and attach) share
 * their fields: each compares its own kind. */
static bool same_value(const struct opt_def *d, const struct xdpdns_options *a,
		       const struct xdpdns_options *b)
{
	int i, j;

	switch (d->type) {
	case OPT_STRING:
		return !strcmp((const char *)a + d->off, (const char *)b + d->off);
	case OPT_U16:
		return *(const uint16_t *)((const char *)a + d->off) ==
		       *(const uint16_t *)((const char *)b + d->off);
	case OPT_U32:
	case OPT_DURATION:
		return *(const uint32_t *)((const char *)a + d->off) ==
		       *(const uint32_t *)((const char *)b + d->off);
	case OPT_MODE:
		return a->mode == b->mode;
	case OPT_IFACE:
	case OPT_ATTACH:
		/* the attach points of d's kind, in order */
		for (i = j = 0;; i++, j++) {
			while (i < a->n_attach && a->attach[i].nic != (d->type == OPT_IFACE))
				i++;
			while (j < b->n_attach && b->attach[j].nic != (d->type == OPT_IFACE))
				j++;
			if (i == a->n_attach || j == b->n_attach)
				return i == a->n_attach && j == b->n_attach;
			if (strcmp(a->attach[i].name, b->attach[j].name) ||
			    a->attach[i].hook != b->attach[j].hook)
				return false;
		}
	default: /* not an AT_RESTART option's type: no other is needed yet */
		return true;
	}
}

/* Sets option d in to back to its value in from. */
static void restore_value(const struct opt_def *d, struct xdpdns_options *to,
			  const struct xdpdns_options *from)
{
	switch (d->type) {
	case OPT_STRING:
		memcpy((char *)to + d->off, (const char *)from + d->off, d->max);
		break;
	case OPT_U16:
		memcpy((char *)to + d->off, (const char *)from + d->off, sizeof(uint16_t));
		break;
	case OPT_U32:
	case OPT_DURATION:
		memcpy((char *)to + d->off, (const char *)from + d->off, sizeof(uint32_t));
		break;
	case OPT_MODE:
		to->mode = from->mode;
		break;
	case OPT_IFACE:
	case OPT_ATTACH: /* both kinds at once: they share the list */
		memcpy(to->attach, from->attach, sizeof(to->attach));
		to->n_attach = from->n_attach;
		memcpy(to->iface, from->iface, sizeof(to->iface));
		break;
	default:
		break;
	}
}

void xdpdns_options_keep_restart(struct xdpdns_options *next, const struct xdpdns_options *running)
{
	bool changed[N_OPTS] = { false };
	size_t i;

	/* all compared before any is restored: iface and attach share their fields */
	for (i = 0; i < N_OPTS; i++)
		changed[i] = opts[i].when == AT_RESTART && !same_value(&opts[i], next, running);
	for (i = 0; i < N_OPTS; i++) {
		if (!changed[i])
			continue;
		log_warn("SIGHUP: %s changes only with a restart: the running value is kept",
			 opts[i].name);
		restore_value(&opts[i], next, running);
	}
}

/* s for a roff text line: backslashes and minus signs escaped, and a leading '.' or '\''
 * (a request) made text. */
static void roff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void xdpdns_options_roff(FILE *out, bool flags)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++) {
		if (opts[i].type == OPT_CONFIG && !flags)
			continue; /* command line only */
		fputs(".TP\n.BI \"", out); /* the tag: NAME in bold, then its value in italics */
		roff_text(out, flags ? "--" : "");
		roff_text(out, opts[i].name);
		fputs(" \" \"", out);
		roff_text(out, opts[i].arg);
		fputs("\"\n", out);
		roff_text(out, opts[i].help);
		if (opts[i].when == AT_RESTART)
			fputs("\nTakes effect at a restart: on SIGHUP the running value is kept.", out);
		fputs("\n", out);
	}
}

int xdpdns_options_parse_args(struct xdpdns_options *o, int argc, char **argv, char *err,
			      size_t errlen)
{
	struct option longopts[N_OPTS + 3];
	const char *config = NULL;
	size_t i;
	int c, ret;

	for (i = 0; i < N_OPTS; i++)
		longopts[i] = (struct option){ opts[i].name,
					       opts[i].type == OPT_BOOL ? optional_argument :
									    required_argument,
					       NULL, (int)i };
	longopts[N_OPTS] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[N_OPTS + 1] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[N_OPTS + 2] = (struct option){ NULL, 0, NULL, 0 };

	/* first pass: --config (and --help, --version), so the flags override the file */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			xdpdns_options_usage(stdout, argv[0]);
			return 1;
		}
		if (c == 'V') {
			printf("xdpdnsd %s\n", xdpdns_version);
			return 1;
		}
		if (c == '?') {
			return xdpdns_fail(err, errlen, "%s: unknown option or missing value",
				    argv[optind - 1]);
		}
		if (opts[c].type == OPT_CONFIG)
			config = optarg;
	}
	if (config) {
		ret = xdpdns_options_load(o, config, err, errlen);
		if (ret)
			return ret;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char msg[256];

		if (opts[c].type == OPT_CONFIG)
			continue;
		if (opts[c].type == OPT_IFACE && !o->iface_from_flags)
			drop_file_ifaces(o);
		if (set_def(o, &opts[c], optarg ? optarg : "yes", msg, sizeof(msg)))
			return xdpdns_fail(err, errlen, "--%s", msg);
	}
	if (optind < argc)
		return xdpdns_fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* resolv.conf's "options timeout:N attempts:N", where the config and the flags said nothing. */
static void resolv_options(struct xdpdns_options *o, char *words)
{
	const struct opt_def *timeout = find_def("timeout"), *attempts = find_def("attempts");
	char *w, *save = NULL, err[128];

	for (w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (!strncmp(w, "timeout:", 8) && !(o->given & (1ULL << (timeout - opts))))
			set_value(o, timeout, w + 8, err, sizeof(err)); /* out of range: ignored */
		else if (!strncmp(w, "attempts:", 9) && !(o->given & (1ULL << (attempts - opts))))
			set_value(o, attempts, w + 9, err, sizeof(err));
	}
}

int xdpdns_options_resolv_conf(struct xdpdns_options *o, const char *path, char *err,
			       size_t errlen)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int i;

	if (!f) {
		snprintf(err, errlen, "%s: %s (give --upstream)", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = trim(line), *word;
		struct xdpdns_sockaddr ns;
		bool ours = false;

		if (!strncmp(p, "options", 7) && isspace((unsigned char)p[7])) {
			resolv_options(o, p + 7);
			continue;
		}
		if (strncmp(p, "nameserver", 10) || !isspace((unsigned char)p[10]))
			continue;
		word = trim(p + 10);
		word[strcspn(word, " \t#;%")] = 0; /* no zone ids, no trailing comments */
		if (xdpdns_sockaddr_parse(word, &ns) || o->n_upstreams == XDPDNS_UPSTREAMS_MAX)
			continue;
		for (i = 0; i < o->n_listen; i++) /* not ourselves: resolv.conf may point here */
			ours |= !strcmp(o->listen[i], word);
		if (!ours)
			o->upstreams[o->n_upstreams++] = ns;
	}
	fclose(f);
	if (!o->n_upstreams) {
		snprintf(err, errlen, "%s: no nameserver other than our own addresses (give --upstream)",
			 path);
		return -ENOENT;
	}
	return 0;
}

const char *xdpdns_options_snapshot_path(const struct xdpdns_options *o, char *buf, size_t len)
{
	const struct opt_def *d = find_def("snapshot-file");

	if (o->given & (1ULL << (d - opts)))
		return o->snapshot_file[0] ? o->snapshot_file : NULL;
	snprintf(buf, len, "%s/%s.snapshot", XDPDNS_SNAPSHOT_DIR, xdpdns_options_instance(o));
	return buf;
}

unsigned int xdpdns_options_threads(const struct xdpdns_options *o)
{
	long cpus;

	if (o->threads)
		return o->threads;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* past 8, the resolution thread and the lock bound it (docs/design.md "Threads") */
	return cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned int)cpus;
}

const char *xdpdns_options_instance(const struct xdpdns_options *o)
{
	if (o->instance[0])
		return o->instance;
	return o->iface[0] ? o->iface : XDPDNS_DEFAULT_INSTANCE;
}

int xdpdns_health_query_parse(const char *text, ldns_rdf **qname, ldns_rr_type *qtype)
{
	char name[300], type[32], extra;

	*qname = NULL;
	if (sscanf(text, "%299s %31s %c", name, type, &extra) != 2)
		return -EINVAL;
	*qtype = ldns_get_rr_type_by_name(type);
	if (!*qtype || ldns_str2rdf_dname(qname, name) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(*qname);
		*qname = NULL;
		return -EINVAL;
	}
	return 0;
}

int xdpdns_options_check(const struct xdpdns_options *o, char *err, size_t errlen)
{
	ldns_rr_type qtype;
	ldns_rdf *qname;

	if (!o->iface[0] && !o->n_attach)
		return xdpdns_fail(err, errlen, "no interface: give --iface or --attach, or 'iface' or "
				   "'attach' in the config");
	if (!xdpdns_instance_valid(xdpdns_options_instance(o)))
		return xdpdns_fail(err, errlen, "instance: '%s' is not a name of letters, digits, '-' "
				   "and '_' (%d at most)%s", xdpdns_options_instance(o),
				   XDPDNS_INSTANCE_MAX_LEN, o->instance[0] ? "" : ": give instance");
	if (o->user[0] && !o->keep)
		return xdpdns_fail(err, errlen, "user: needs keep yes: running as %s, the daemon can't "
				   "take its XDP program off at exit", o->user);
	if (o->min_ttl_sec > o->max_ttl_sec)
		return xdpdns_fail(err, errlen, "min-ttl is above max-ttl");
	if (xdpdns_health_query_parse(o->health_query, &qname, &qtype))
		return xdpdns_fail(err, errlen, "health-query: '%s' is not 'NAME TYPE'", o->health_query);
	ldns_rdf_deep_free(qname);
	return 0;
}
