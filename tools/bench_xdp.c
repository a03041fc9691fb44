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

struct result {
	double median, min, max; /* ns per packet */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Runs prog on f repeat times per call, rounds calls; every call must return want. */
static int measure(int prog_fd, const struct frame *f, int want, const struct bench_opts *o,
		   struct result *r)
{
	double ns[64];
	unsigned int i;

	for (i = 0; i < o->rounds; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->bytes, .data_size_in = f->len,
			    .repeat = o->repeat);

		if (bpf_prog_test_run_opts(prog_fd, &opts))
			return -errno;
		if ((int)opts.retval != want) {
			fprintf(stderr, "bench_xdp: action %u, want %d\n", opts.retval, want);
			return -EINVAL;
		}
		ns[i] = opts.duration; /* the kernel's average over the repeats, ns */
	}
	qsort(ns, o->rounds, sizeof(ns[0]), cmp_double);
	r->median = ns[o->rounds / 2];
	r->min = ns[0];
	r->max = ns[o->rounds - 1];
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

static void row(const char *what, const struct result *r)
{
	printf("| %-38s | %8.1f | %6.1f - %-6.1f |\n", what, r->median, r->min, r->max);
}

static int bench_speed(struct bench_xdp *skel, struct harness *h, const struct bench_opts *o)
{
	int serve = bpf_program__fd(skel->progs.bench_serve);
	int restore = bpf_program__fd(skel->progs.bench_restore_only);
	int trivial = bpf_program__fd(skel->progs.bench_swap_macs);
	struct result r_triv, r_rest, r_hit4, r_hit6, r_stale, r_miss, r_other;
	struct frame hit4, hit6, stale, miss, other;
	int err;

	query_frame(&hit4, "www.example.com.", 0);
	query_frame(&hit6, "www.example.com.", 1);
	query_frame(&stale, "stale.example.com.", 0);
	query_frame(&miss, "miss.example.com.", 0);
	{
		struct frame_spec spec = { .dport = 443 }; /* UDP that is not DNS: QUIC, say */
		uint8_t payload[64] = { 0xc0 };

		other.len = frame_build(other.bytes, &spec, payload, sizeof(payload));
	}
	err = store_a(h, "www.example.com.", 0, 3600);
	if (!err)
		err = store_a(h, "stale.example.com.", 5, 2); /* expired 3 s ago */
	if (err)
		return err;

	err = check_restored(serve, &hit4, XDP_TX);
	if (!err)
		err = check_restored(serve, &miss, XDP_PASS);
	if (!err)
		err = measure(trivial, &hit4, XDP_TX, o, &r_triv);
	if (!err)
		err = measure(restore, &hit4, XDP_TX, o, &r_rest);
	if (!err)
		err = measure(serve, &hit4, XDP_TX, o, &r_hit4);
	if (!err)
		err = measure(serve, &hit6, XDP_TX, o, &r_hit6);
	if (!err)
		err = measure(serve, &miss, XDP_PASS, o, &r_miss);
	if (!err)
		err = measure(serve, &other, XDP_PASS, o, &r_other);
	if (!err)
		err = xdpdns_health_write(&h->maps, XDPDNS_HEALTH_ALL_DOWN);
	if (!err)
		err = measure(serve, &stale, XDP_TX, o, &r_stale);
	xdpdns_health_write(&h->maps, 0);
	if (err)
		return err;

	printf("### XDP fast path, BPF_PROG_TEST_RUN (%u runs per call, median of %u calls)\n\n",
	       o->repeat, o->rounds);
	printf("| %-38s | %8s | %-15s |\n", "case", "ns/pkt", "min - max");
	printf("|%s|%s|%s|\n", "----------------------------------------", "----------:",
	       "-----------------");
	row("trivial XDP_TX (swap MACs)", &r_triv);
	row("save + restore frame only", &r_rest);
	row("fresh hit, IPv4, EDNS", &r_hit4);
	row("fresh hit, IPv6, EDNS", &r_hit6);
	row("stale hit, IPv4, upstreams down", &r_stale);
	row("miss, IPv4 (XDP_PASS)", &r_miss);
	row("other UDP (not to the service)", &r_other);
	printf("\nThe hit, stale and miss rows run the real fast path between a save and a restore of\n"
	       "the frame (BPF_PROG_TEST_RUN does not reset it between repeats); \"net\" subtracts\n"
	       "the save + restore row.\n\n");
	printf("- fresh hit / trivial: %.1f raw, **%.1f net** (target <= 4)\n",
	       r_hit4.median / r_triv.median, (r_hit4.median - r_rest.median) / r_triv.median);
	printf("- fresh hit, net: %.1f ns/packet; stale hit, net: %.1f; miss, net: %.1f\n\n",
	       r_hit4.median - r_rest.median, r_stale.median - r_rest.median,
	       r_miss.median - r_rest.median);
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
	meta.stored_ns = boottime_ns();
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
	struct bench_opts o = { .repeat = 1000000, .rounds = 5, .entries = 1000000 };
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
