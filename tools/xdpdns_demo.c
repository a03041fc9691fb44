// SPDX-License-Identifier: GPL-2.0
/* xdpdns_demo: puts the XDP fast path on an interface (loader.c: pinned maps, libxdp) with a
 * cache preloaded from a zone file, serves until told to stop, and prints the kernel's
 * counters. What `make run` shows until the daemon (xdpdnsd) exists: no upstream, no misses
 * answered. Started again on the same interface, it re-adopts the program and its cache.
 *
 * Usage: xdpdns_demo --iface IF --listen ADDR [--listen ADDR]... --zone FILE
 *                    [--port N] [--mode native|skb] [--seconds N] [--keep]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_maps.h"
#include "cache_entry.h"
#include "loader.h"
#include "log.h"

#define LISTEN_MAX 8

struct demo_opts {
	const char *iface;
	const char *listen[LISTEN_MAX];
	int n_listen;
	const char *zone;
	uint16_t port;
	enum xdpdns_xdp_mode mode;
	unsigned int seconds; /* 0: until a signal */
	int keep;             /* leave the program attached at exit */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Stores one RRset (all records of rrs with the owner and type of rrs[first]) as the answer
 * to that question. */
static int store_rrset(const struct xdpdns_maps *maps, uint64_t seed, ldns_rr_list *rrs,
		       size_t first)
{
	ldns_rr *head = ldns_rr_list_rr(rrs, first);
	struct xdpdns_entry_meta meta = {
		.hash_seed = seed,
		.stored_ns = boottime_ns(),
		.ttl_sec = ldns_rr_ttl(head),
	};
	ldns_pkt *resp = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(head)),
					    ldns_rr_get_type(head), LDNS_RR_CLASS_IN, LDNS_RD);
	struct xdpdns_entry_buf b;
	size_t i;
	int err;

	if (!resp)
		return -ENOMEM;
	ldns_pkt_set_qr(resp, true);
	ldns_pkt_set_ra(resp, true);
	for (i = first; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == ldns_rr_get_type(head) &&
		    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(head)) == 0) {
			ldns_pkt_push_rr(resp, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
			if (ldns_rr_ttl(rr) < meta.ttl_sec)
				meta.ttl_sec = ldns_rr_ttl(rr);
		}
	}
	err = xdpdns_entry_build(resp, &meta, &b);
	if (!err)
		err = xdpdns_cache_put(maps, &b);
	ldns_pkt_free(resp);
	return err;
}

/* Reads the zone file's records and caches one answer per owner and type. */
static int load_zone(const struct xdpdns_maps *maps, uint64_t seed, const char *path, int *names)
{
	ldns_rr_list *rrs = ldns_rr_list_new();
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 0, err = 0;
	size_t i, j;
	FILE *f = fopen(path, "r");

	if (!f || !rrs) {
		fprintf(stderr, "xdpdns_demo: can't open %s: %s\n", path, strerror(errno));
		ldns_rr_list_free(rrs);
		return -errno;
	}
	while (!feof(f)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);

		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			fprintf(stderr, "xdpdns_demo: %s:%d: %s\n", path, line, ldns_get_errorstr_by_id(st));
			err = -EINVAL;
			break;
		}
		ldns_rr_list_push_rr(rrs, rr);
	}
	fclose(f);

	*names = 0;
	for (i = 0; i < ldns_rr_list_rr_count(rrs) && !err; i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		int seen = 0;

		for (j = 0; j < i && !seen; j++) /* first record of its RRset? */
			seen = ldns_rr_get_type(ldns_rr_list_rr(rrs, j)) == ldns_rr_get_type(rr) &&
			       !ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, j)),
						   ldns_rr_owner(rr));
		if (seen)
			continue;
		err = store_rrset(maps, seed, rrs, i);
		if (err)
			fprintf(stderr, "xdpdns_demo: can't cache record %zu of %s: %s\n", i + 1, path,
				strerror(-err));
		(*names)++;
	}
	ldns_rr_list_deep_free(rrs);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return err;
}

static void print_stats(const struct xdpdns_maps *maps)
{
	uint64_t counts[XDPDNS_REASON_COUNT];
	unsigned int r;

	if (xdpdns_stats_read(maps, counts)) {
		fprintf(stderr, "xdpdns_demo: can't read the counters\n");
		return;
	}
	printf("kernel counters (all CPUs):\n");
	for (r = 0; r < XDPDNS_REASON_COUNT; r++)
		if (counts[r])
			printf("  %-24s %llu\n", xdpdns_reason_name(r), (unsigned long long)counts[r]);
	fflush(stdout);
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s --iface IF --listen ADDR [--listen ADDR]... --zone FILE\n"
		"          [--port N] [--mode native|skb] [--seconds N] [--keep]\n"
		"Attaches the xdpdns XDP program to IF, answering queries to ADDR:port (53) from a\n"
		"cache preloaded with the zone file's records, until SIGINT/SIGTERM or N seconds;\n"
		"prints the kernel counters at exit (xdpdnsctl shows them any time). --keep leaves\n"
		"the program attached at exit, serving from the kernel.\n",
		prog);
}

static int parse_args(int argc, char **argv, struct demo_opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },   { "listen", required_argument, NULL, 'l' },
		{ "zone", required_argument, NULL, 'z' },    { "port", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },    { "seconds", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },          { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'l':
			if (o->n_listen == LISTEN_MAX) {
				fprintf(stderr, "xdpdns_demo: at most %d --listen\n", LISTEN_MAX);
				return -EINVAL;
			}
			o->listen[o->n_listen++] = optarg;
			break;
		case 'z':
			o->zone = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 65535) {
				fprintf(stderr, "xdpdns_demo: --port %s: not a port number\n", optarg);
				return -EINVAL;
			}
			o->port = v;
			break;
		case 'm':
			if (!strcmp(optarg, "native")) {
				o->mode = XDPDNS_MODE_NATIVE;
			} else if (!strcmp(optarg, "skb")) {
				o->mode = XDPDNS_MODE_SKB;
			} else {
				fprintf(stderr, "xdpdns_demo: --mode %s: native or skb\n", optarg);
				return -EINVAL;
			}
			break;
		case 's':
			v = strtol(optarg, &end, 10);
			if (*end || v < 0) {
				fprintf(stderr, "xdpdns_demo: --seconds %s: not a number\n", optarg);
				return -EINVAL;
			}
			o->seconds = v;
			break;
		case 'k':
			o->keep = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	if (!o->iface || !o->n_listen || !o->zone) {
		usage(stderr, argv[0]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct demo_opts o = { .port = XDPDNS_DEFAULT_PORT, .mode = XDPDNS_MODE_AUTO };
	struct xdpdns_loader l;
	struct xdpdns_config cfg;
	time_t deadline;
	int names = 0, err, i;

	if (parse_args(argc, argv, &o))
		return 2;
	xdpdns_log_init("xdpdns_demo", XDPDNS_LOG_INFO);
	if (xdpdns_loader_start(&l, o.iface, o.mode))
		return 1;
	err = xdpdns_config_read(&l.maps, &cfg);
	for (i = 0; i < o.n_listen && !err; i++) {
		err = xdpdns_service_add(&l.maps, o.listen[i], o.port);
		if (err)
			log_error("--listen %s: %s", o.listen[i],
				  err == -EINVAL ? "not an IPv4 or IPv6 address" : strerror(-err));
	}
	if (!err)
		err = load_zone(&l.maps, cfg.hash_seed, o.zone, &names);
	if (err) {
		if (l.prog_adopted)
			xdpdns_loader_close(&l); /* it was serving before us: keep it */
		else
			xdpdns_loader_detach(&l);
		return 1;
	}
	printf("xdpdns_demo: %d names cached; answering on %s port %u\n", names, o.iface, o.port);
	fflush(stdout);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	deadline = o.seconds ? time(NULL) + o.seconds : 0;
	while (!stop && (!deadline || time(NULL) < deadline))
		usleep(100 * 1000);
	print_stats(&l.maps);
	if (o.keep)
		xdpdns_loader_close(&l);
	else
		xdpdns_loader_detach(&l);
	return 0;
}
