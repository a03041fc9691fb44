// SPDX-License-Identifier: GPL-2.0
/* make bench-xdp: ns per packet of the XDP fast path under BPF_PROG_TEST_RUN, beside a trivial
 * XDP_TX program, and the map memory one typical cache entry costs. Prints Markdown.
 *
 * Usage: bench_xdp [--repeat N] [--rounds R] [--entries N]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_xdp.skel.h"
#include "harness.h"

struct bench_opts {
	unsigned int repeat;  /* runs per BPF_PROG_TEST_RUN call */
	unsigned int rounds;  /* calls per case; the median is reported */
	unsigned int entries; /* cache entries for the memory figure */
};

struct frame {
	uint8_t bytes[FRAME_MAX_LEN];
	size_t len;
};

/* One case of the speed table. */
struct bench_case {
	const char *what;
	int prog_fd;
	const struct frame *frame;
	int want;       /* the action every run must return */
	int limiter;    /* the per-source rate limiter on, at a rate no run reaches */
	double ns[64];  /* one figure per round */
	double min, median, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Runs every case once per round, round after round, so that a slow spell of this shared
 * machine falls on all cases alike; each call runs the program repeat times. */
static int measure(struct harness *h, struct bench_case *cases, int n, const struct bench_opts *o)
{
	unsigned int round;
	int c;

	for (round = 0; round < o->rounds; round++) {
		for (c = 0; c < n; c++) {
			/* one bucket (one source), never empty: every run takes the PASSED path */
			h->cfg.ratelimit_cost_ns = cases[c].limiter ? 1 : 0;
			h->cfg.ratelimit_burst = 1000000;
			if (xdpdns_config_write(&h->maps, &h->cfg))
				return -errno;
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = cases[c].frame->bytes,
				    .data_size_in = cases[c].frame->len, .repeat = o->repeat);

			if (bpf_prog_test_run_opts(cases[c].prog_fd, &opts))
				return -errno;
			if ((int)opts.retval != cases[c].want) {
				fprintf(stderr, "bench_xdp: %s: action %u, want %d\n", cases[c].what,
					opts.retval, cases[c].want);
				return -EINVAL;
			}
			cases[c].ns[round] = opts.duration; /* the kernel's average per run, ns */
		}
	}
	for (c = 0; c < n; c++) {
		qsort(cases[c].ns, o->rounds, sizeof(double), cmp_double);
		cases[c].min = cases[c].ns[0];
		cases[c].median = cases[c].ns[o->rounds / 2];
		cases[c].max = cases[c].ns[o->rounds - 1];
	}
	return 0;
}

/* One run must give the action and leave the frame as it was: else repeats measure garbage. */
static int check_restored(int prog_fd, const struct frame *f, int want)
{
	uint8_t out[FRAME_MAX_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->bytes, .data_size_in = f->len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if ((int)opts.retval != want || opts.data_size_out != f->len ||
	    memcmp(out, f->bytes, f->len)) {
		fprintf(stderr, "bench_xdp: the frame is not restored after a run\n");
		return -EINVAL;
	}
	return 0;
}

static void query_frame(struct frame *f, const char *name, int ipv6)
{
	struct query_opts qo = { .id = 0x1234, .edns = 1 };
	struct frame_spec spec = { .ipv6 = ipv6 };
	uint8_t dns[FRAME_MAX_LEN];
	size_t len = make_query(dns, name, LDNS_RR_TYPE_A, &qo);

	f->len = frame_build(f->bytes, &spec, dns, len);
}

static int store_a(struct harness *h, const char *name, uint32_t age, uint32_t ttl)
{
	char rr[300];
	const char *an[] = { rr, NULL };
	ldns_pkt *resp;
	int err;

	snprintf(rr, sizeof(rr), "%s 300 IN A 192.0.2.1", name);
	resp = make_response(name, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	if (!resp)
		return -EINVAL;
	err = harness_store(h, resp, 0, age, ttl);
	ldns_pkt_free(resp);
	return err;
}

static int bench_speed(struct bench_xdp *skel, struct harness *h, const struct bench_opts *o)
{
	int serve = bpf_program__fd(skel->progs.bench_serve);
	int restore = bpf_program__fd(skel->progs.bench_restore_only);
	int trivial = bpf_program__fd(skel->progs.bench_swap_macs);
	struct frame hit4, hit6, stale, miss, other;
	enum { TRIVIAL, RESTORE, HIT4, HIT4_RL, HIT6, STALE, MISS, MISS_RL, OTHER, NCASES };
	struct bench_case cases[NCASES] = {
		[TRIVIAL] = { "trivial XDP_TX (swap MACs)", trivial, &hit4, XDP_TX },
		[RESTORE] = { "save + restore frame only", restore, &hit4, XDP_TX },
		[HIT4] = { "fresh hit, IPv4, EDNS", serve, &hit4, XDP_TX },
		[HIT4_RL] = { "fresh hit, IPv4, EDNS, rate limiter on", serve, &hit4, XDP_TX, 1 },
		[HIT6] = { "fresh hit, IPv6, EDNS", serve, &hit6, XDP_TX },
		[STALE] = { "stale hit, IPv4, upstreams down", serve, &stale, XDP_TX },
		[MISS] = { "miss, IPv4 (XDP_PASS)", serve, &miss, XDP_PASS },
		[MISS_RL] = { "miss, IPv4, rate limiter on", serve, &miss, XDP_PASS, 1 },
		[OTHER] = { "other UDP (not to the service)", serve, &other, XDP_PASS },
	};
	struct frame_spec quic = { .dport = 443 }; /* UDP that is not DNS: QUIC, say */
	uint8_t payload[64] = { 0xc0 };
	int err, c;

	query_frame(&hit4, "www.example.com.", 0);
	query_frame(&hit6, "www.example.com.", 1);
	query_frame(&stale, "stale.example.com.", 0);
	query_frame(&miss, "miss.example.com.", 0);
	other.len = frame_build(other.bytes, &quic, payload, sizeof(payload));
	err = store_a(h, "www.example.com.", 0, 3600);
	if (!err)
		err = store_a(h, "stale.example.com.", 5, 2); /* expired 3 s ago */
	if (!err)
		err = check_restored(serve, &hit4, XDP_TX);
	if (!err)
		err = check_restored(serve, &miss, XDP_PASS);
	/* stale entries are served while upstreams are down; the other cases do not care */
	if (!err)
		err = xdpdns_health_write(&h->maps, XDPDNS_HEALTH_ALL_DOWN);
	if (!err)
		err = measure(h, cases, NCASES, o);
	xdpdns_health_write(&h->maps, 0);
	if (err)
		return err;

	printf("### XDP fast path, BPF_PROG_TEST_RUN\n\n%u runs per call, %u calls per case taken "
	       "in turns; ns per packet.\n\n", o->repeat, o->rounds);
	printf("| %-34s | %7s | %7s | %7s |\n", "case", "min", "median", "max");
	printf("|%s|%s|%s|%s|\n", "------------------------------------", "--------:", "--------:",
	       "--------:");
	for (c = 0; c < NCASES; c++)
		printf("| %-34s | %7.1f | %7.1f | %7.1f |\n", cases[c].what, cases[c].min,
		       cases[c].median, cases[c].max);
	printf("\nHit, stale and miss run the real fast path between a save and a restore of the "
	       "frame\n(BPF_PROG_TEST_RUN does not reset it between repeats); \"net\" subtracts the "
	       "save + restore row.\n\n");
	for (c = HIT4; c <= MISS_RL; c++)
		printf("- %s, net: %.1f ns (min), %.1f ns (median)\n", cases[c].what,
		       cases[c].min - cases[RESTORE].min, cases[c].median - cases[RESTORE].median);
	printf("- fresh hit / trivial, net: **%.1f** (min), %.1f (median); target <= 4\n\n",
	       (cases[HIT4].min - cases[RESTORE].min) / cases[TRIVIAL].min,
	       (cases[HIT4].median - cases[RESTORE].median) / cases[TRIVIAL].median);
	return 0;
}

static long meminfo_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = atol(line + n + 1);
	fclose(f);
	return kb;
}

static long fdinfo_memlock(int fd)
{
	char path[64], line[256];
	long bytes = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "memlock:", 8))
			bytes = atol(line + 8);
	fclose(f);
	return bytes;
}

/* Fills class S with typical entries: a 64-byte name (wire) and one A record. Only the name
 * and its hash change from one to the next, so building them costs nothing measurable. */
static int bench_memory(struct harness *h, const struct bench_opts *o)
{
	char name[80], rr[200];
	const char *an[] = { rr, NULL };
	struct xdpdns_entry_meta meta = { .hash_seed = h->cfg.hash_seed, .ttl_sec = 300 };
	struct xdpdns_entry_buf b;
	struct xdpdns_cache_entry *e = &b.value.entry;
	uint8_t *stored_name;
	long slab0, avail0, slab1, avail1, memlock;
	int fd, err = 0;
	unsigned int i;
	ldns_pkt *resp;

	/* "h0000000xxx...x.bench.example.": 48-byte label, 64 bytes on the wire */
	snprintf(name, sizeof(name), "h0000000%.40s.bench.example.",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	snprintf(rr, sizeof(rr), "%s 300 IN A 192.0.2.1", name);
	resp = make_response(name, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL);
	if (!resp)
		return -EINVAL;
	meta.stored_ns = xdpdns_boottime_ns();
	err = xdpdns_entry_build(resp, &meta, &b);
	ldns_pkt_free(resp);
	if (err)
		return err;
	if (b.key.name_len != 64 || b.cls != XDPDNS_CLASS_S) {
		fprintf(stderr, "bench_xdp: the typical entry is not a 64-byte name in class S\n");
		return -EINVAL;
	}
	fd = h->maps.cache[XDPDNS_CLASS_S];
	stored_name = e->data + e->body_len;

	slab0 = meminfo_kb("Slab");
	avail0 = meminfo_kb("MemAvailable");
	for (i = 0; i < o->entries && !err; i++) {
		char digits[12];

		snprintf(digits, sizeof(digits), "%07u", i);
		memcpy(stored_name + 2, digits, 7); /* after the length byte and 'h' */
		b.key.name_hash = xdpdns_name_hash(meta.hash_seed, stored_name, 64);
		if (bpf_map_update_elem(fd, &b.key, &b.value, BPF_NOEXIST))
			err = -errno;
	}
	slab1 = meminfo_kb("Slab");
	avail1 = meminfo_kb("MemAvailable");
	memlock = fdinfo_memlock(fd);
	if (err) {
		fprintf(stderr, "bench_xdp: stored %u of %u entries: %s\n", i - 1, o->entries,
			strerror(-err));
		return err;
	}

	printf("### Map memory per cache entry (name of 64 bytes, one A record)\n\n");
	printf("%u entries stored in class S (value %u bytes, element %u bytes by layout).\n\n",
	       o->entries, b.value_len, b.value_len + XDPDNS_MAP_ELEM_OVERHEAD);
	printf("| measure | bytes/entry |\n|---|---:|\n");
	printf("| kernel slab growth (/proc/meminfo Slab) | %.0f |\n",
	       (slab1 - slab0) * 1024.0 / o->entries);
	printf("| drop in MemAvailable | %.0f |\n", (avail0 - avail1) * 1024.0 / o->entries);
	printf("| map's own accounting (fdinfo memlock) | %.0f |\n",
	       (double)memlock / o->entries);
	printf("\nTarget: <= 512 bytes per typical entry, >= 1,000,000 entries.\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "entries", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts o = { .repeat = 200000, .rounds = 15, .entries = 1000000 };
	struct bench_xdp *skel;
	struct harness h;
	int c, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.repeat = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o.rounds = strtoul(optarg, NULL, 10);
			break;
		case 'e':
			o.entries = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: %s [--repeat N] [--rounds R] [--entries N]\n", argv[0]);
			return 2;
		}
	}
	if (!o.repeat || !o.rounds || o.rounds > 64 || !o.entries ||
	    o.entries > XDPDNS_CLASS_S_ENTRIES) {
		fprintf(stderr, "bench_xdp: need repeat >= 1, 1 <= rounds <= 64, 1 <= entries <= %u\n",
			XDPDNS_CLASS_S_ENTRIES);
		return 2;
	}

	skel = bench_xdp__open_and_load();
	if (!skel) {
		fprintf(stderr, "bench_xdp: can't load the benchmark programs: %s\n", strerror(errno));
		return 1;
	}
	err = harness_attach(&h, skel->obj, bpf_program__fd(skel->progs.bench_serve));
	if (!err)
		err = bench_speed(skel, &h, &o);
	if (!err)
		err = bench_memory(&h, &o);
	bench_xdp__destroy(skel);
	if (err)
		fprintf(stderr, "bench_xdp: %s\n", strerror(-err));
	return err ? 1 : 0;
}
