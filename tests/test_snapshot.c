// SPDX-License-Identifier: GPL-2.0
/* Cache snapshots against the real maps of the XDP program: a round trip, re-keying for another
 * host's seed, ages re-based by the time between save and load, entries past max-stale
 * dropped, and every kind of bad file refused with nothing loaded. Then 100,000 entries, timed. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <zlib.h>
#include <cmocka.h>
#include "harness.h"
#include "snapshot.h"
#include "xdpdns.skel.h"

#define NS 1000000000ULL

/* src fills the cache and saves; dst, with a seed of its own like another host, loads. */
static struct harness src, dst;
static char dir[] = "/tmp/xdpdns-snapshot-XXXXXX";
static char file[sizeof(dir) + 32];

/* ---- helpers ---- */

static int drop_all(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
		    enum xdpdns_cache_class cls, void *arg)
{
	return 1;
}

static int count_one(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
		     enum xdpdns_cache_class cls, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int class_bit(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
		     enum xdpdns_cache_class cls, void *arg)
{
	*(int *)arg |= 1 << cls;
	return 0;
}

static void flush(struct harness *h)
{
	assert_int_equal(xdpdns_cache_for_each(&h->maps, drop_all, NULL, NULL), 0);
}

static int entries(struct harness *h)
{
	int n = 0;

	assert_int_equal(xdpdns_cache_for_each(&h->maps, count_one, &n, NULL), 0);
	return n;
}

static void store(struct harness *h, const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
		  const char *const *an, const char *const *ns, uint8_t flags, uint32_t age,
		  uint32_t ttl)
{
	ldns_pkt *p = make_response(name, type, rcode, an, ns);

	assert_non_null(p);
	assert_int_equal(harness_store(h, p, flags, age, ttl), 0);
	ldns_pkt_free(p);
}

/* The entries every test starts from in src: one per class, DO in the key, a negative answer. */
static int fill(struct harness *h)
{
	static const char *a[] = { "www.example.com. 300 IN A 192.0.2.1", NULL };
	static const char *aaaa[] = { "www.example.com. 300 IN AAAA 2001:db8::1", NULL };
	static const char *soa[] = { "example.com. 60 IN SOA ns.example.com. h.example.com. 1 2 3 4 60",
				     NULL };
	char m_rrs[10][80], l_rrs[14][200];
	const char *m[11], *l[15];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(m_rrs[i], sizeof(m_rrs[i]), "m.example.com. 300 IN AAAA 2001:db8::%d", i + 1);
		m[i] = m_rrs[i];
	}
	m[10] = NULL;
	for (i = 0; i < 14; i++) {
		snprintf(l_rrs[i], sizeof(l_rrs[i]), "l.example.com. 300 IN TXT \"%d %050d\"", i, 0);
		l[i] = l_rrs[i];
	}
	l[14] = NULL;
	flush(h);
	store(h, "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0, 10, 300);
	store(h, "www.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, aaaa, NULL,
	      XDPDNS_KEY_DO, 20, 300);
	store(h, "nope.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa, 0, 5, 60);
	store(h, "m.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, m, NULL, 0, 0, 300);
	store(h, "l.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, l, NULL, 0, 0, 300);
	return 5;
}

/* The kernel's answer to name/type (DO with flags), through the program: the action, and the
 * first record's TTL in *ttl. */
static int ask(struct harness *h, const char *name, ldns_rr_type type, uint8_t flags,
	       uint32_t *ttl)
{
	struct query_opts o = { .id = 7, .edns = 1, .do_bit = !!(flags & XDPDNS_KEY_DO) };
	uint8_t dns[FRAME_MAX_LEN], in[FRAME_MAX_LEN], out[FRAME_MAX_LEN];
	struct frame_spec spec = { 0 };
	size_t dns_len = make_query(dns, name, type, &o), in_len, out_len;
	struct frame_view v;
	ldns_pkt *p;
	int action;

	assert_true(dns_len > 0);
	in_len = frame_build(in, &spec, dns, dns_len);
	action = harness_run(h, in, in_len, out, &out_len);
	if (action != XDP_TX || !ttl)
		return action;
	assert_null(frame_parse(out, out_len, &v));
	assert_int_equal(ldns_wire2pkt(&p, v.dns, v.dns_len), LDNS_STATUS_OK);
	*ttl = ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_ancount(p) ? ldns_pkt_answer(p) :
					   ldns_pkt_authority(p), 0));
	ldns_pkt_free(p);
	return action;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	uint8_t *buf;
	struct stat st;

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, st.st_size, f), st.st_size);
	fclose(f);
	*len = st.st_size;
	return buf;
}

static void write_all(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* As a writer would have checksummed buf. */
static void fix_crc(uint8_t *buf, size_t len)
{
	struct xdpdns_snapshot_header *h = (struct xdpdns_snapshot_header *)buf;

	h->crc32 = 0;
	h->crc32 = crc32(crc32(0, Z_NULL, 0), buf, len);
}

static void save(struct harness *h, uint64_t want)
{
	struct xdpdns_snapshot_counts n;
	char err[512] = "";

	if (xdpdns_snapshot_save(&h->maps, file, &n, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(n.saved, want);
}

/* Loads into h; returns the error, with the message in err. */
static int load(struct harness *h, struct xdpdns_snapshot_counts *n, char *err, size_t len)
{
	err[0] = 0;
	return xdpdns_snapshot_load(&h->maps, file, n, err, len);
}

/* ---- tests ---- */

/* Saved, flushed, loaded: the same entries, byte for byte but for the time they were stored
 * (re-based, so their age is the same), served by the program. */
static void test_round_trip(void **state)
{
	struct xdpdns_snapshot_counts n;
	struct xdpdns_entry_buf before, after;
	struct xdpdns_cache_key key;
	static const uint8_t www[] = "\3www\7example\3com";
	char err[512];
	uint32_t ttl;
	int64_t drift;
	int classes;

	save(&src, fill(&src));
	xdpdns_entry_key(&key, src.cfg.hash_seed, www, sizeof(www), LDNS_RR_TYPE_A, 0);
	assert_int_equal(xdpdns_cache_lookup(&src.maps, &key, &before), 0);
	flush(&src);
	assert_int_equal(entries(&src), 0);

	if (load(&src, &n, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(n.loaded, 5);
	assert_int_equal(n.too_old + n.full + n.kept_newer, 0);
	assert_int_equal(entries(&src), 5);
	classes = 0;
	assert_int_equal(xdpdns_cache_for_each(&src.maps, class_bit, &classes, NULL), 0);
	assert_int_equal(classes, (1 << XDPDNS_CLASS_COUNT) - 1);
	assert_int_equal(xdpdns_cache_lookup(&src.maps, &key, &after), 0);
	assert_int_equal(after.cls, before.cls);
	drift = (int64_t)(after.value.entry.stored_ns - before.value.entry.stored_ns);
	assert_true(drift > -(int64_t)NS && drift < (int64_t)NS); /* clocks read apart */
	after.value.entry.stored_ns = before.value.entry.stored_ns;
	assert_memory_equal(&after.value, &before.value, before.value_len);

	assert_int_equal(ask(&src, "WWW.example.com.", LDNS_RR_TYPE_A, 0, &ttl), XDP_TX);
	assert_int_equal(ttl, 290);
	assert_int_equal(ask(&src, "www.example.com.", LDNS_RR_TYPE_AAAA, XDPDNS_KEY_DO, &ttl),
			 XDP_TX);
	assert_int_equal(ttl, 280);
	assert_int_equal(ask(&src, "nope.example.com.", LDNS_RR_TYPE_A, 0, &ttl), XDP_TX);
	assert_int_equal(ask(&src, "m.example.com.", LDNS_RR_TYPE_AAAA, 0, &ttl), XDP_TX);
	assert_int_equal(ask(&src, "l.example.com.", LDNS_RR_TYPE_TXT, 0, &ttl), XDP_TX);
}

/* Another host's file: its keys are of another seed, so every entry is keyed again; found
 * with this seed's key, and not with the old one. */
static void test_foreign_seed_rekeyed(void **state)
{
	struct xdpdns_snapshot_counts n;
	struct xdpdns_entry_buf b;
	struct xdpdns_cache_key key;
	static const uint8_t www[] = "\3www\7example\3com";
	char err[512];
	uint32_t ttl;

	assert_true(src.cfg.hash_seed != dst.cfg.hash_seed);
	save(&src, fill(&src));
	flush(&dst);
	if (load(&dst, &n, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(n.loaded, 5);
	xdpdns_entry_key(&key, dst.cfg.hash_seed, www, sizeof(www), LDNS_RR_TYPE_A, 0);
	assert_int_equal(xdpdns_cache_lookup(&dst.maps, &key, &b), 0);
	xdpdns_entry_key(&key, src.cfg.hash_seed, www, sizeof(www), LDNS_RR_TYPE_A, 0);
	assert_int_equal(xdpdns_cache_lookup(&dst.maps, &key, &b), -ENOENT);
	assert_int_equal(ask(&dst, "www.example.com.", LDNS_RR_TYPE_A, 0, &ttl), XDP_TX);
	assert_int_equal(ttl, 290);
}

/* Moves the save back by sec seconds, as if the file had waited that long (or the host had
 * been down). */
static void age_file(uint64_t sec)
{
	size_t len;
	uint8_t *buf = read_all(file, &len);

	((struct xdpdns_snapshot_header *)buf)->saved_realtime_ns -= sec * NS;
	fix_crc(buf, len);
	write_all(file, buf, len);
	free(buf);
}

/* Time between save and load ages every entry by as much: 100 s, then an hour, with entries
 * past their expiry + max-stale dropped, and those within kept as stale candidates. */
static void test_ttl_rebased(void **state)
{
	struct xdpdns_snapshot_counts n;
	struct xdpdns_config cfg = dst.cfg;
	char err[512];
	uint32_t ttl;

	save(&src, fill(&src));
	age_file(100);
	flush(&dst);
	assert_int_equal(load(&dst, &n, err, sizeof(err)), 0);
	assert_int_equal(n.loaded, 5);
	assert_int_equal(ask(&dst, "www.example.com.", LDNS_RR_TYPE_A, 0, &ttl), XDP_TX);
	assert_int_equal(ttl, 190); /* 300 - 10 - 100 */

	/* max-stale 3305 s, an hour later: www A is 3610 s old, 3310 past its expiry; AAAA 3320;
	 * nope 3545; m and l 3300, the only ones within the limit */
	cfg.max_stale_sec = 3305;
	assert_int_equal(xdpdns_config_write(&dst.maps, &cfg), 0);
	save(&src, fill(&src));
	age_file(3600);
	flush(&dst);
	assert_int_equal(load(&dst, &n, err, sizeof(err)), 0);
	assert_int_equal(n.loaded, 2);
	assert_int_equal(n.too_old, 3);
	assert_int_equal(entries(&dst), 2);
	/* kept ones are stale candidates: passed while upstreams are up, stale while down */
	assert_int_equal(ask(&dst, "m.example.com.", LDNS_RR_TYPE_AAAA, 0, NULL), XDP_PASS);
	assert_int_equal(xdpdns_health_write(&dst.maps, XDPDNS_HEALTH_ALL_DOWN), 0);
	assert_int_equal(ask(&dst, "m.example.com.", LDNS_RR_TYPE_AAAA, 0, &ttl), XDP_TX);
	assert_int_equal(ttl, dst.cfg.stale_ttl_sec);
	assert_int_equal(xdpdns_health_write(&dst.maps, 0), 0);
	assert_int_equal(xdpdns_config_write(&dst.maps, &dst.cfg), 0);
}

/* A newer answer already in the cache stays; an older one is replaced. */
static void test_newer_entry_kept(void **state)
{
	static const char *a[] = { "www.example.com. 300 IN A 192.0.2.99", NULL };
	struct xdpdns_snapshot_counts n;
	char err[512];
	uint32_t ttl;

	save(&src, fill(&src)); /* www A stored 10 s before */
	flush(&dst);
	store(&dst, "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0, 1, 300);
	store(&dst, "m.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, a, NULL, 0, 50, 300);
	assert_int_equal(load(&dst, &n, err, sizeof(err)), 0);
	assert_int_equal(n.kept_newer, 1);
	assert_int_equal(n.loaded, 4);
	assert_int_equal(ask(&dst, "www.example.com.", LDNS_RR_TYPE_A, 0, &ttl), XDP_TX);
	assert_int_equal(ttl, 299);
	assert_int_equal(ask(&dst, "m.example.com.", LDNS_RR_TYPE_AAAA, 0, &ttl), XDP_TX);
	assert_int_equal(ttl, 300); /* the snapshot's, stored just now */
}

/* Each bad file is refused with its reason, and not one entry is loaded. */
static void refused(const uint8_t *buf, size_t len, int want_err, const char *want_msg)
{
	struct xdpdns_snapshot_counts n;
	char err[512];
	int ret;

	write_all(file, buf, len);
	flush(&dst);
	ret = load(&dst, &n, err, sizeof(err));
	print_message("  %s\n", err);
	assert_int_equal(ret, want_err);
	if (strncmp(err, "snapshot ", 9) || !strstr(err, file) || !strstr(err, want_msg))
		fail_msg("got '%s', want '...%s...'", err, want_msg);
	assert_int_equal(n.loaded, 0);
	assert_int_equal(entries(&dst), 0);
}

static void test_corrupt_refused(void **state)
{
	struct xdpdns_snapshot_header *h;
	struct xdpdns_snapshot_record *r;
	size_t len, i;
	uint8_t *good, *bad;

	save(&src, fill(&src));
	good = read_all(file, &len);
	bad = malloc(len);
	assert_non_null(bad);

	/* a flipped bit anywhere: header, record, body, name, the last byte */
	for (i = 0; i < 5; i++) {
		static const size_t at[] = { 20, 110, 200, 300 };
		size_t off = i < 4 ? at[i] : len - 1;

		memcpy(bad, good, len);
		bad[off] ^= 0x10;
		if (off == 20) /* in the layout, checked before the checksum */
			refused(bad, len, -EPROTO, "written by a different entry layout");
		else
			refused(bad, len, -EBADMSG, "bad checksum");
	}
	refused(good, len - 1, -EBADMSG, "truncated");
	refused(good, len / 2, -EBADMSG, "truncated");
	refused(good, 50, -EBADMSG, "truncated in the header");
	refused(good, 0, -EBADMSG, "empty");

	memcpy(bad, good, len);
	memcpy(bad, "XDPDNSXX", 8);
	refused(bad, len, -EBADMSG, "not an xdpdns snapshot (bad magic)");
	refused((const uint8_t *)"hello, world\n", 13, -EBADMSG, "bad magic");

	memcpy(bad, good, len);
	h = (struct xdpdns_snapshot_header *)bad;
	h->version = 2;
	fix_crc(bad, len);
	refused(bad, len, -EPROTO, "format version 2, this build reads version 1");

	memcpy(bad, good, len);
	h->layout.entry_hdr_len += 8;
	fix_crc(bad, len);
	refused(bad, len, -EPROTO, "written by a different entry layout");
	memcpy(bad, good, len);
	h->layout.byte_order = __builtin_bswap32(h->layout.byte_order);
	fix_crc(bad, len);
	refused(bad, len, -EPROTO, "different entry layout (other byte order)");

	/* checksummed, yet not what a writer of this layout makes */
	memcpy(bad, good, len);
	h->records_len -= 1;
	fix_crc(bad, len - 1);
	refused(bad, len - 1, -EBADMSG, "entry 4: ");
	memcpy(bad, good, len);
	r = (struct xdpdns_snapshot_record *)(bad + sizeof(*h));
	r->cls = XDPDNS_CLASS_L;
	fix_crc(bad, len);
	refused(bad, len, -EBADMSG, "entry 0: not in the class its size gives");
	memcpy(bad, good, len);
	r->value_len = 60000;
	fix_crc(bad, len);
	refused(bad, len, -EBADMSG, "entry 0: 60000 bytes, out of bounds");
	memcpy(bad, good, len);
	h->count = 4;
	fix_crc(bad, len);
	refused(bad, len, -EBADMSG, "4 entries end before the file does");
	memcpy(bad, good, len);
	/* the name's first label length, after the entry's header and body */
	bad[sizeof(*h) + sizeof(*r) + XDPDNS_ENTRY_HDR_LEN +
	    ((struct xdpdns_cache_entry *)(bad + sizeof(*h) + sizeof(*r)))->body_len] = 64;
	fix_crc(bad, len);
	refused(bad, len, -EBADMSG, "entry 0: not a domain name");

	/* and the good file still loads */
	write_all(file, good, len);
	{
		struct xdpdns_snapshot_counts n;
		char err[512];

		assert_int_equal(load(&dst, &n, err, sizeof(err)), 0);
		assert_int_equal(n.loaded, 5);
	}
	free(good);
	free(bad);
}

static void test_missing_file(void **state)
{
	struct xdpdns_snapshot_counts n;
	char err[512];

	unlink(file);
	assert_int_equal(load(&dst, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
}

/* A map smaller than the snapshot: it evicts the least recently used, as a full cache does. */
static void test_full_map_evicts(void **state)
{
	struct xdpdns_snapshot_counts n;
	struct harness small;
	struct xdpdns *skel = xdpdns__open();
	uint64_t count;
	char err[512];
	int i;

	assert_non_null(skel);
	assert_int_equal(bpf_map__set_max_entries(skel->maps.xdpdns_cache_s, 2), 0);
	assert_int_equal(xdpdns__load(skel), 0);
	assert_int_equal(harness_attach(&small, skel->obj,
					bpf_program__fd(skel->progs.xdpdns_xdp_serve)), 0);
	flush(&src);
	for (i = 0; i < 4; i++) {
		char name[32], rr[80];
		const char *an[] = { rr, NULL };

		snprintf(name, sizeof(name), "n%d.example.", i);
		snprintf(rr, sizeof(rr), "%s 300 IN A 192.0.2.%d", name, i + 1);
		store(&src, name, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, 0, 0, 300);
	}
	save(&src, 4);
	assert_int_equal(load(&small, &n, err, sizeof(err)), 0);
	/* every entry stored, the first two evicted to make room for the last two, as a full
	 * cache does */
	assert_int_equal(n.loaded, 4);
	assert_int_equal(n.evicted, 2);
	assert_int_equal(n.full, 0);
	assert_int_equal(xdpdns_cache_count(&small.maps, &count), 0);
	assert_int_equal(count, 2);
	harness_close(&small);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 100,000 typical entries (a 22-byte name, one A record): saved and loaded, timed. */
#define MANY 100000
static void test_many(void **state)
{
	static const char *a[] = { "host-000000.example.com. 300 IN A 192.0.2.1", NULL };
	ldns_pkt *p = make_response("host-000000.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
				    a, NULL);
	struct xdpdns_entry_meta meta = { .hash_seed = src.cfg.hash_seed, .ttl_sec = 300,
					  .stored_ns = xdpdns_boottime_ns() };
	struct xdpdns_snapshot_counts n;
	struct xdpdns_entry_buf b;
	struct timespec t0;
	char err[512];
	uint8_t *name;
	double save_s, load_s;
	struct stat st;
	uint32_t ttl;
	int i;

	assert_non_null(p);
	assert_int_equal(xdpdns_entry_build(p, &meta, &b), 0);
	ldns_pkt_free(p);
	flush(&src);
	name = b.value.entry.data + b.value.entry.body_len; /* "\13host-000000\7example\3com" */
	for (i = 0; i < MANY; i++) {
		char digits[8];

		snprintf(digits, sizeof(digits), "%06d", i);
		memcpy(name + 6, digits, 6);
		xdpdns_entry_key(&b.key, src.cfg.hash_seed, name, b.key.name_len, LDNS_RR_TYPE_A, 0);
		assert_int_equal(bpf_map_update_elem(src.maps.cache[b.cls], &b.key, &b.value, 0), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	save(&src, MANY);
	save_s = seconds_since(&t0);
	flush(&dst);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(load(&dst, &n, err, sizeof(err)), 0);
	load_s = seconds_since(&t0);
	assert_int_equal(n.loaded, MANY);
	assert_int_equal(stat(file, &st), 0);
	print_message("  %d entries: save %.0f ms, load %.0f ms, %lld bytes (%.1f per entry)\n",
		      MANY, save_s * 1000, load_s * 1000, (long long)st.st_size,
		      (double)st.st_size / MANY);
	assert_int_equal(ask(&dst, "host-031337.example.com.", LDNS_RR_TYPE_A, 0, &ttl), XDP_TX);
	flush(&src);
	flush(&dst);
}

/* ---- setup ---- */

static int setup(void **state)
{
	int err;

	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/cache.snapshot", dir);
	err = harness_daemon_up(); /* expired entries pass to it, as on a live host */
	if (!err)
		err = harness_open(&src);
	if (!err)
		err = harness_open(&dst);
	if (err)
		fprintf(stderr, "can't load the XDP program: %s\n", strerror(-err));
	return err;
}

static int teardown(void **state)
{
	harness_close(&src);
	harness_close(&dst);
	harness_daemon_down();
	unlink(file);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_foreign_seed_rekeyed),
		cmocka_unit_test(test_ttl_rebased),
		cmocka_unit_test(test_newer_entry_kept),
		cmocka_unit_test(test_corrupt_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_full_map_evicts),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests_name("snapshot", tests, setup, teardown);
}
