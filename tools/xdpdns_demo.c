// SPDX-License-Identifier: GPL-2.0
/* xdpdns_demo: attaches the XDP fast path to an interface with a cache preloaded from a zone
 * file, serves until told to stop, and prints the kernel's counters. What `make run` shows
 * until the daemon (xdpdnsd) exists: no upstream, no misses answered, nothing pinned.
 *
 * Usage: xdpdns_demo --iface IF --listen ADDR [--listen ADDR]... --zone FILE
 *                    [--port N] [--mode native|skb] [--seconds N]
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_maps.h"
#include "cache_entry.h"
#include "kernel_check.h"
#include "xdpdns.skel.h"

#define LISTEN_MAX 8

struct demo_opts {
	const char *iface;
	const char *listen[LISTEN_MAX];
	int n_listen;
	const char *zone;
	uint16_t port;
	uint32_t xdp_flags;
	unsigned int seconds; /* 0: until a signal */
};

static volatile sig_atomic_t stop, dump;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump = 1;
	else
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
		"          [--port N] [--mode native|skb] [--seconds N]\n"
		"Attaches the xdpdns XDP program to IF, answering queries to ADDR:port (53) from a\n"
		"cache preloaded with the zone file's records, until SIGINT/SIGTERM or N seconds;\n"
		"prints the kernel counters on SIGUSR1 and at exit.\n",
		prog);
}

static int parse_args(int argc, char **argv, struct demo_opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },   { "listen", required_argument, NULL, 'l' },
		{ "zone", required_argument, NULL, 'z' },    { "port", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },    { "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
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
				o->xdp_flags = XDP_FLAGS_DRV_MODE;
			} else if (!strcmp(optarg, "skb")) {
				o->xdp_flags = XDP_FLAGS_SKB_MODE;
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
	struct demo_opts o = { .port = XDPDNS_DEFAULT_PORT, .xdp_flags = XDP_FLAGS_DRV_MODE };
	struct xdpdns_config cfg;
	struct xdpdns_maps maps;
	struct xdpdns *skel;
	time_t deadline;
	int ifindex, names = 0, err, i;
	char why[160];

	if (parse_args(argc, argv, &o))
		return 2;
	err = xdpdns_kernel_check(why, sizeof(why));
	if (err) {
		fprintf(stderr, "xdpdns_demo: %s\n",
			err == -ENOTSUP ? why : "can't probe the kernel's BPF support (are you root?)");
		return 1;
	}
	ifindex = if_nametoindex(o.iface);
	if (!ifindex) {
		fprintf(stderr, "xdpdns_demo: no interface %s: %s\n", o.iface, strerror(errno));
		return 1;
	}
	skel = xdpdns__open_and_load();
	if (!skel) {
		fprintf(stderr, "xdpdns_demo: can't load the XDP program: %s\n", strerror(errno));
		return 1;
	}
	err = xdpdns_maps_find(skel->obj, &maps);
	if (!err)
		err = xdpdns_config_init(&cfg);
	if (!err)
		err = xdpdns_config_write(&maps, &cfg);
	for (i = 0; i < o.n_listen && !err; i++) {
		err = xdpdns_service_add(&maps, o.listen[i], o.port);
		if (err)
			fprintf(stderr, "xdpdns_demo: --listen %s: %s\n", o.listen[i],
				err == -EINVAL ? "not an IPv4 or IPv6 address" : strerror(-err));
	}
	if (!err)
		err = load_zone(&maps, cfg.hash_seed, o.zone, &names);
	if (err)
		goto out;

	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdpdns_xdp_serve), o.xdp_flags,
			     NULL);
	if (err) {
		fprintf(stderr, "xdpdns_demo: can't attach XDP on %s: %s%s\n", o.iface, strerror(-err),
			o.xdp_flags == XDP_FLAGS_DRV_MODE ? " (try --mode skb)" : "");
		goto out;
	}
	printf("xdpdns_demo: %d names cached; answering on %s port %u (%s XDP)\n", names, o.iface,
	       o.port, o.xdp_flags == XDP_FLAGS_DRV_MODE ? "native" : "generic");
	fflush(stdout);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	deadline = o.seconds ? time(NULL) + o.seconds : 0;
	while (!stop && (!deadline || time(NULL) < deadline)) {
		usleep(100 * 1000);
		if (dump) {
			dump = 0;
			print_stats(&maps);
		}
	}

	bpf_xdp_detach(ifindex, o.xdp_flags, NULL);
	print_stats(&maps);
out:
	xdpdns__destroy(skel);
	return err ? 1 : 0;
}
