// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the XDP program under BPF_PROG_TEST_RUN (needs root). The input is a whole
 * Ethernet frame; the cache holds a few entries (fresh, with DO, CD, negative, a CNAME chain, a
 * medium-class TXT, a type above 255, one expired and served stale: the health map says every
 * upstream is down). Every run must end in one of:
 *  - XDP_PASS with the frame byte for byte as it came;
 *  - XDP_DROP;
 *  - XDP_TX with a reply to it: lengths and both checksums right (frame_parse()), addresses and
 *    ports swapped, VLAN tags kept, the query's ID and question bytes, and the body of the
 *    cache entry for (lowercased name, type, DO, CD) with only its TTLs aged (or stale), then our
 *    OPT record when the query had one.
 * Anything else aborts, and libFuzzer keeps the frame. libFuzzer sees no coverage inside the
 * BPF program, so the harness gives it the verdict instead: the counter each run bumped, read
 * back in one batch, selects one of as many branches here as there are reasons, and a frame
 * that reaches a reason not seen before is kept. Seeds: tests/fuzz/corpus/xdp/. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include "fuzz.h"
#include "harness.h"

#define DNS_HDR_LEN 12
#define OPT_RR_LEN 11 /* root name, type, class, TTL, rdlength 0: the kernel's OPT */
#define RUN_LEN_MAX 3000 /* BPF_PROG_TEST_RUN takes a frame up to about a page less headroom */

struct cached {
	bool stale; /* expired: served stale with TTL stale_ttl_sec */
	struct xdpdns_entry_buf b;
};

static struct harness H;
static struct cached entries[16];
static unsigned int n_entries;
static uint8_t out[FRAME_MAX_LEN];
static int ncpus;
static uint64_t totals[XDPDNS_REASON_COUNT];

/* The reason the last run counted: the one counter that moved since the last call. */
static int last_reason(void)
{
	static uint64_t percpu[XDPDNS_REASON_COUNT * 256];
	static uint32_t keys[XDPDNS_REASON_COUNT];
	uint32_t count = XDPDNS_REASON_COUNT, out_batch, r;
	int cpu, moved = -1, err;

	err = bpf_map_lookup_batch(H.maps.stats, NULL, &out_batch, keys, percpu, &count, NULL);
	FUZZ_CHECK(!err || (err == -ENOENT && count == XDPDNS_REASON_COUNT),
		   "can't read the counters: %d, %u", err, count);
	for (r = 0; r < XDPDNS_REASON_COUNT; r++) {
		uint64_t sum = 0;

		for (cpu = 0; cpu < ncpus; cpu++)
			sum += percpu[r * ncpus + cpu];
		if (sum != totals[r]) {
			FUZZ_CHECK(moved < 0 && sum == totals[r] + 1, "counter %s moved by %lu",
				   xdpdns_reason_name(r), (unsigned long)(sum - totals[r]));
			moved = r;
		}
		totals[r] = sum;
	}
	return moved;
}

/* One branch per reason, for libFuzzer's coverage to tell verdicts apart. */
static void feature(int reason)
{
	static volatile unsigned long seen[XDPDNS_REASON_COUNT];

	switch (reason) {
#define X(name, text, action)                                                                \
	case XDPDNS_##name:                                                                  \
		seen[XDPDNS_##name]++;                                                       \
		break;
		XDPDNS_REASONS(X)
#undef X
	default:
		FUZZ_CHECK(0, "no counter moved");
	}
}

static void store(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
		  const char *const *answer, const char *const *authority, uint8_t key_flags,
		  uint32_t age_sec, uint32_t ttl_sec)
{
	struct cached *c = &entries[n_entries++];
	ldns_pkt *resp = make_response(name, type, rcode, answer, authority);
	struct xdpdns_entry_meta meta = {
		.hash_seed = H.cfg.hash_seed,
		.stored_ns = xdpdns_boottime_ns() - (uint64_t)age_sec * 1000000000ULL,
		.ttl_sec = ttl_sec,
		.key_flags = key_flags,
	};

	if (!resp || xdpdns_entry_build(resp, &meta, &c->b) || xdpdns_cache_put(&H.maps, &c->b)) {
		fprintf(stderr, "fuzz_xdp: can't store %s\n", name);
		abort();
	}
	c->stale = age_sec >= ttl_sec;
	ldns_pkt_free(resp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const a[] = { "www.example.com. 300 IN A 192.0.2.1",
					 "www.example.com. 300 IN A 192.0.2.2", NULL };
	static const char *const a_do[] = { "www.example.com. 300 IN A 192.0.2.1",
					    "www.example.com. 300 IN RRSIG A 8 3 300 20300101000000 "
					    "20200101000000 12345 example.com. AAAA", NULL };
	static const char *const soa[] = { "example.com. 60 IN SOA ns.example.com. "
					   "host.example.com. 1 7200 3600 1209600 60", NULL };
	static const char *const cname[] = { "alias.example.com. 300 IN CNAME www.example.com.",
					     "www.example.com. 300 IN AAAA 2001:db8::1", NULL };
	static const char *const caa[] = { "example.com. 300 IN CAA 0 issue \"ca.example\"", NULL };
	static char txt_rrs[4][300];
	static const char *txt[5];
	int err, i;

	(void)argc;
	(void)argv;
	err = harness_open(&H);
	if (err) {
		fprintf(stderr, "fuzz_xdp: can't load the XDP program (root?): %s\n", strerror(-err));
		exit(1);
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 256)
		abort();
	if (xdpdns_health_write(&H.maps, XDPDNS_HEALTH_ALL_DOWN))
		abort();
	store("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0, 5, 300);
	store("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a_do, NULL, XDPDNS_KEY_DO, 0,
	      300);
	store("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, XDPDNS_KEY_CD, 100,
	      300);
	store("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa, 0, 0, 60);
	store("alias.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, cname, NULL, 0, 0, 300);
	store("example.com.", 257 /* CAA */, LDNS_RCODE_NOERROR, caa, NULL, 0, 0, 300);
	store("stale.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0, 1000, 300);
	for (i = 0; i < 4; i++) {
		snprintf(txt_rrs[i], sizeof(txt_rrs[i]), "txt.example.com. 300 IN TXT \"%0200d\"", i);
		txt[i] = txt_rrs[i];
	}
	store("txt.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, txt, NULL, 0, 0, 300);
	last_reason(); /* the totals so far */
	return 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* The length of the uncompressed name at dns[off], or 0 if there is none in len bytes. */
static size_t name_len(const uint8_t *dns, size_t len, size_t off)
{
	size_t n = 0;

	while (off + n < len && n < XDPDNS_NAME_MAX_LEN) {
		uint8_t l = dns[off + n];

		if (l > 63)
			return 0;
		n += 1 + l;
		if (!l)
			return n <= XDPDNS_NAME_MAX_LEN ? n : 0;
	}
	return 0;
}

static const struct cached *find(const uint8_t *name, size_t len, uint16_t qtype, uint8_t flags)
{
	uint8_t lower[XDPDNS_NAME_MAX_LEN];
	unsigned int i;
	size_t k;

	for (k = 0; k < len; k++)
		lower[k] = name[k] >= 'A' && name[k] <= 'Z' ? name[k] | 0x20 : name[k];
	for (i = 0; i < n_entries; i++) {
		const struct cached *c = &entries[i];

		if (c->b.key.name_len == len && c->b.key.qtype == qtype &&
		    c->b.key.flags == flags &&
		    !memcmp(c->b.value.entry.data + c->b.value.entry.body_len, lower, len))
			return c;
	}
	return NULL;
}

static void check_reply(const uint8_t *in, size_t in_len, size_t out_len)
{
	struct frame_view q, r;
	const char *err = frame_parse_flags(in, in_len, &q, FRAME_PADDED | FRAME_ANY_CSUM);
	const struct xdpdns_cache_entry *e;
	const struct cached *c;
	size_t nlen, qlen, i;
	bool edns = false;
	uint8_t flags = 0;
	uint64_t age_max;

	FUZZ_CHECK(!err, "answered a frame that does not parse: %s", err);
	err = frame_parse(out, out_len, &r);
	FUZZ_CHECK(!err, "reply frame: %s", err);

	/* addressing: swapped, tags kept */
	FUZZ_CHECK(!memcmp(r.dmac, q.smac, 6) && !memcmp(r.smac, q.dmac, 6), "MACs not swapped");
	FUZZ_CHECK(r.ipv6 == q.ipv6 && r.vlans == q.vlans &&
			   !memcmp(r.vlan_tci, q.vlan_tci, sizeof(q.vlan_tci)),
		   "IP version or VLAN tags changed");
	FUZZ_CHECK(!memcmp(r.src, q.dst, 16) && !memcmp(r.dst, q.src, 16) && r.sport == q.dport &&
			   r.dport == q.sport,
		   "addresses or ports not swapped");

	/* the question as asked, and the entry it names */
	FUZZ_CHECK(q.dns_len >= DNS_HDR_LEN, "answered a query without a header");
	nlen = name_len(q.dns, q.dns_len, DNS_HDR_LEN);
	qlen = DNS_HDR_LEN + nlen + 4;
	FUZZ_CHECK(nlen && qlen <= q.dns_len, "answered a query without a whole question");
	FUZZ_CHECK(r.dns_len >= qlen && !memcmp(r.dns, q.dns, 2) &&
			   !memcmp(r.dns + DNS_HDR_LEN, q.dns + DNS_HDR_LEN, qlen - DNS_HDR_LEN),
		   "ID or question bytes changed");
	if (get16(q.dns + 10) == 1) { /* the OPT record: its DO bit is in the TTL's third byte */
		FUZZ_CHECK(qlen + OPT_RR_LEN <= q.dns_len && q.dns[qlen] == 0 &&
				   get16(q.dns + qlen + 1) == LDNS_RR_TYPE_OPT,
			   "answered a query whose additional record is not an OPT");
		edns = true;
		flags |= q.dns[qlen + 7] & 0x80 ? XDPDNS_KEY_DO : 0;
	}
	flags |= q.dns[3] & 0x10 ? XDPDNS_KEY_CD : 0;
	c = find(q.dns + DNS_HDR_LEN, nlen, get16(q.dns + DNS_HDR_LEN + nlen), flags);
	FUZZ_CHECK(c, "answered a query with no entry for it");
	e = &c->b.value.entry;

	/* header: counts and rcode from the entry, RD and CD from the query */
	FUZZ_CHECK(get16(r.dns + 4) == 1 && get16(r.dns + 6) == e->ancount &&
			   get16(r.dns + 8) == e->nscount &&
			   get16(r.dns + 10) == e->arcount + edns,
		   "counts %u %u %u %u", get16(r.dns + 4), get16(r.dns + 6), get16(r.dns + 8),
		   get16(r.dns + 10));
	FUZZ_CHECK((r.dns[2] & 0x80) && !(r.dns[2] & 0x7a) && /* QR, opcode QUERY, not TC */
			   (r.dns[3] & 0xf) == (e->dns_flags & 0xf) &&
			   (r.dns[2] & 0x01) == (q.dns[2] & 0x01) &&
			   (r.dns[3] & 0x10) == (q.dns[3] & 0x10),
		   "flags %02x%02x, query %02x%02x, entry %04x", r.dns[2], r.dns[3], q.dns[2],
		   q.dns[3], e->dns_flags);

	/* the body: the entry's, but for the TTLs */
	FUZZ_CHECK(r.dns_len == qlen + e->body_len + (edns ? OPT_RR_LEN : 0),
		   "reply DNS length %zu, want %zu", r.dns_len,
		   qlen + e->body_len + (edns ? OPT_RR_LEN : 0));
	age_max = (xdpdns_boottime_ns() - e->stored_ns) / 1000000000ULL + 1;
	for (i = 0; i <= e->ttl_count; i++) {
		size_t from = i ? e->ttl_off[i - 1] + 4u : 0;
		size_t to = i < e->ttl_count ? e->ttl_off[i] : e->body_len;

		FUZZ_CHECK(!memcmp(r.dns + qlen + from, e->data + from, to - from),
			   "body bytes %zu..%zu differ from the entry's", from, to);
		if (i < e->ttl_count) {
			uint32_t got = get32(r.dns + qlen + to), ttl = get32(e->data + to);

			if (c->stale)
				FUZZ_CHECK(got == H.cfg.stale_ttl_sec, "stale TTL %u", got);
			else
				FUZZ_CHECK(got <= ttl && ttl - got <= age_max,
					   "TTL %zu: %u, stored %u, age at most %lu", i, got, ttl,
					   (unsigned long)age_max);
		}
	}
	if (edns)
		FUZZ_CHECK(r.dns[qlen + e->body_len] == 0 &&
				   get16(r.dns + qlen + e->body_len + 1) == LDNS_RR_TYPE_OPT,
			   "no OPT record at the end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_len = 0;
	int action;

	if (size < 14 || size > RUN_LEN_MAX) /* not a frame BPF_PROG_TEST_RUN takes */
		return 0;
	action = harness_run(&H, data, size, out, &out_len);
	FUZZ_CHECK(action >= 0, "BPF_PROG_TEST_RUN failed: %s", strerror(-action));
	feature(last_reason());
	switch (action) {
	case XDP_PASS:
		FUZZ_CHECK(out_len == size && !memcmp(out, data, size), "passed a changed frame");
		break;
	case XDP_DROP:
		break;
	case XDP_TX:
		check_reply(data, size, out_len);
		break;
	default:
		FUZZ_CHECK(0, "action %d", action);
	}
	return 0;
}
