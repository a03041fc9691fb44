/* SPDX-License-Identifier: GPL-2.0 */
/* xdpdnsd's options: defaults, the config file (see xdpdns.conf.example), command-line flags and
 * upstreams from resolv.conf. One table (config.c) defines every option for all of them. */
#ifndef XDPDNS_CONFIG_H
#define XDPDNS_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <ldns/ldns.h>
#include "control.h"
#include "loader.h"
#include "log.h"

#define XDPDNS_NO_GUARD_ZONES_MAX 16
#define XDPDNS_DEFAULT_CONFIG "/etc/xdpdns/xdpdns.conf"
#define XDPDNS_RESOLV_CONF "/etc/resolv.conf"
#define XDPDNS_SNAPSHOT_DIR "/var/lib/xdpdns" /* default snapshot: <dir>/<instance>.snapshot */
#define XDPDNS_ATTACH_POINTS_MAX (XDPDNS_ATTACH_MAX - 1) /* slot 0 counts the rest */

struct xdpdns_sockaddr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[INET6_ADDRSTRLEN + 16]; /* "192.0.2.1:53", "[2001:db8::1]:53", for logs */
};

struct xdpdns_options {
	char iface[IF_NAMESIZE];   /* the first `iface`: its addresses and MTU are the defaults */
	/* attach points, in slot order: every `iface` (nic) and `attach`; `iface` flags replace
	 * the file's, as the systemd unit's --iface %i must */
	struct xdpdns_attach_spec attach[XDPDNS_ATTACH_POINTS_MAX];
	int n_attach;
	bool iface_from_flags;     /* a --iface flag has replaced the file's (parsing state) */
	char instance[XDPDNS_INSTANCE_MAX_LEN + 1]; /* empty: see xdpdns_options_instance() */
	char listen[XDPDNS_SERVICES_MAX][INET6_ADDRSTRLEN]; /* empty: the interface's addresses */
	int n_listen;
	uint16_t port;
	struct xdpdns_sockaddr upstreams[XDPDNS_UPSTREAMS_MAX]; /* empty: from resolv.conf */
	int n_upstreams;
	enum xdpdns_xdp_mode mode;
	uint32_t timeout_ms;       /* per upstream attempt */
	uint32_t attempts;         /* rounds over the upstream list */
	uint32_t min_ttl_sec, max_ttl_sec;
	uint32_t max_negative_ttl_sec;
	uint32_t servfail_ttl_sec;
	uint32_t stale_ttl_sec;
	uint32_t max_stale_sec;
	uint32_t stale_answer_ms;  /* RFC 8767 client response timer */
	uint16_t edns_udp_size;
	uint32_t prefetch_percent; /* refresh hot entries in the last this % of their TTL */
	char health_query[300];    /* "NAME TYPE" */
	uint32_t health_interval_ms;
	uint32_t health_failures;  /* consecutive failures that mark an upstream down */
	uint32_t guard_window_ms;  /* last-known-good guard; 0: off */
	struct {                   /* suffixes without the guard, wire form, lowercased */
		uint8_t len;
		uint8_t wire[255];
	} no_guard_zones[XDPDNS_NO_GUARD_ZONES_MAX];
	int n_no_guard_zones;
	uint32_t negative_recheck_ms; /* negative TTL of names positive within the last hour */
	uint32_t upstream_qps;     /* queries per second to all upstreams; 0: no limit */
	uint32_t upstream_inflight; /* resolutions in flight at most */
	bool upstream_0x20;        /* random case in upstream query names, checked in answers */
	uint32_t recovery_rate;    /* stale entries refreshed per second after an outage */
	char snapshot_file[256];   /* see xdpdns_options_snapshot_path() */
	uint32_t snapshot_interval_sec; /* save this often too; 0: only at stop */
	uint32_t cache_entries;    /* kernel class S capacity; M and L in proportion (loader.c) */
	bool keep;                 /* leave the program attached at exit */
	char fallback_file[256];   /* pinned answers (fallback.h); empty: none */
	uint32_t threads;          /* answering UDP (udp.h); 0: xdpdns_options_threads() */
	char user[64];             /* run as this user after start-up (privileges.h); empty: root */
	enum xdpdns_log_level log_level;
	enum xdpdns_log_format log_format;
	struct xdpdns_sockaddr metrics_listen; /* Prometheus endpoint (metrics.h); len 0: off */
	/* shield mode */
	uint32_t ratelimit_qps;    /* per source (IPv4 address, IPv6 /64), in XDP; 0: off */
	uint32_t ratelimit_burst;  /* bucket size, queries */
	uint32_t ratelimit_action; /* enum xdpdns_ratelimit_action */
	bool cache_only;           /* client misses go upstream only within cache_only_miss_qps */
	uint32_t cache_only_miss_qps;
	/* TCP clients (tcp.c): connections open at most, and from one IPv4 address or IPv6
	 * /64; idle and per-message timeouts; queries in flight per connection */
	uint32_t tcp_connections, tcp_connections_per_source;
	uint32_t tcp_idle_timeout_ms, tcp_io_timeout_ms;
	uint32_t tcp_pipeline;
	char config_path[256];     /* where the options came from, for messages */
	uint64_t given;            /* options set by the file or a flag, a bit each (config.c) */
};

void xdpdns_options_defaults(struct xdpdns_options *o);

/* Sets one option by its name, as in the file and in --NAME flags. Returns 0 or -EINVAL with
 * a message in err. */
int xdpdns_options_set(struct xdpdns_options *o, const char *name, const char *value, char *err,
		       size_t errlen);

/* Reads a config file over o. Returns 0, or -errno with "FILE:LINE: problem" in err. */
int xdpdns_options_load(struct xdpdns_options *o, const char *path, char *err, size_t errlen);

/* The command line: --config FILE is read first, then the other flags override it.
 * Returns 0, 1 when --help or --version was printed, or -EINVAL with a message in err. */
int xdpdns_options_parse_args(struct xdpdns_options *o, int argc, char **argv, char *err,
			      size_t errlen);

/* Upstreams from resolv.conf's nameserver lines, without our own listen addresses, and its
 * timeout:/attempts: options when the config set none. Returns 0 or -errno with err. */
int xdpdns_options_resolv_conf(struct xdpdns_options *o, const char *path, char *err,
			       size_t errlen);

/* Checks what no single option can: an interface, a sane TTL range... Returns 0 or -EINVAL. */
int xdpdns_options_check(const struct xdpdns_options *o, char *err, size_t errlen);

/* Parses "ADDR", "ADDR:PORT", "[ADDR]:PORT" (IPv6), default port 53. Returns 0 or -EINVAL. */
int xdpdns_sockaddr_parse(const char *text, struct xdpdns_sockaddr *out);
/* ...with another default port. */
int xdpdns_sockaddr_parse_port(const char *text, uint16_t default_port,
			       struct xdpdns_sockaddr *out);

/* Parses health-query ("NAME TYPE"). Returns 0 with *qname to free, or -EINVAL. */
int xdpdns_health_query_parse(const char *text, ldns_rdf **qname, ldns_rr_type *qtype);

/* The instance: `instance`, else the first `iface` (the pins, socket and snapshot of a daemon
 * from before instances, which went by interface), else XDPDNS_DEFAULT_INSTANCE. */
const char *xdpdns_options_instance(const struct xdpdns_options *o);

/* How many threads answer UDP: threads, or for 0 one per online CPU, at most 8. */
unsigned int xdpdns_options_threads(const struct xdpdns_options *o);

/* Where the cache is saved and restored: snapshot-file, by default
 * XDPDNS_SNAPSHOT_DIR/<instance>.snapshot. NULL when snapshot-file is empty: no snapshots. */
const char *xdpdns_options_snapshot_path(const struct xdpdns_options *o, char *buf, size_t len);

/* SIGHUP: the options of next that take effect only at a restart (the table's column) are set
 * back to their values in running, each one that changed named in a warning. */
void xdpdns_options_keep_restart(struct xdpdns_options *next, const struct xdpdns_options *running);

/* --help, generated from the option table. */
void xdpdns_options_usage(FILE *out, const char *prog);

/* The option table as man(7) .TP paragraphs for the man pages (man/): as config file lines
 * ("NAME VALUE"), or as flags ("--NAME VALUE") when flags is true. */
void xdpdns_options_roff(FILE *out, bool flags);

#endif /* XDPDNS_CONFIG_H */
