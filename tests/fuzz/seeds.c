// SPDX-License-Identifier: GPL-2.0
/* Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/), built with ldns
 * and frame.c: `make -C tests/fuzz seeds` after a change of what the harnesses take. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "harness.h"

#define ANSWER_ID 0x1234 /* fuzz_upstream.c's fixed question's ID */

static const char *dir;

static void put_file(const char *harness, const char *name, const uint8_t *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "seeds: can't write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

struct query_seed {
	const char *file, *name;
	ldns_rr_type type;
	struct query_opts opts;
};

static const struct query_seed queries[] = {
	{ "www-a", "www.example.com.", LDNS_RR_TYPE_A, { .id = 1 } },
	{ "www-a-edns", "www.example.com.", LDNS_RR_TYPE_A, { .id = 2, .edns = 1 } },
	{ "www-a-do", "www.example.com.", LDNS_RR_TYPE_A, { .id = 3, .edns = 1, .do_bit = 1 } },
	{ "www-a-cd", "www.example.com.", LDNS_RR_TYPE_A, { .id = 4, .cd = 1 } },
	{ "www-a-cookie", "www.example.com.", LDNS_RR_TYPE_A, { .id = 5, .edns = 1, .cookie = 1 } },
	{ "www-a-mixed-case", "WwW.ExAmPlE.CoM.", LDNS_RR_TYPE_A, { .id = 6 } },
	{ "nx-a", "nx.example.com.", LDNS_RR_TYPE_A, { .id = 7 } },
	{ "empty-aaaa", "empty.example.com.", LDNS_RR_TYPE_AAAA, { .id = 8 } },
	{ "alias-aaaa", "alias.example.com.", LDNS_RR_TYPE_AAAA, { .id = 9, .edns = 1 } },
	{ "caa", "example.com.", 257, { .id = 10 } },
	{ "txt", "txt.example.com.", LDNS_RR_TYPE_TXT, { .id = 11, .edns = 1 } },
	{ "big-txt-512", "big.example.com.", LDNS_RR_TYPE_TXT, { .id = 12 } },
	{ "big-txt-edns-4096", "big.example.com.", LDNS_RR_TYPE_TXT,
	  { .id = 13, .edns = 1, .udp_size = 4096 } },
	{ "stale-a", "stale.example.com.", LDNS_RR_TYPE_A, { .id = 14 } },
	{ "fail-a", "fail.example.com.", LDNS_RR_TYPE_A, { .id = 15 } },
	{ "fallback-a", "fallback.example.", LDNS_RR_TYPE_A, { .id = 16 } },
	{ "fallback-aaaa", "Fallback.Example.", LDNS_RR_TYPE_AAAA, { .id = 17, .edns = 1 } },
	{ "miss-a", "miss.example.net.", LDNS_RR_TYPE_A, { .id = 18 } },
	{ "any", "www.example.com.", LDNS_RR_TYPE_ANY, { .id = 19 } },
	{ "long-name",
	  "a123456789012345678901234567890123456789012345678901234567890.b12345678901234567890123"
	  "4567890123456789012345678901234567890.c1234567890123456789012345678901234567890123456"
	  "789012345678901.d1234567890123456789012345678901234567890123456789012345678.",
	  LDNS_RR_TYPE_A, { .id = 20 } },
	{ "root-ns", ".", LDNS_RR_TYPE_NS, { .id = 21, .edns = 1, .do_bit = 1, .cd = 1 } },
};

/* Variants of a query the daemon must refuse: the header's byte 2 and counts changed. */
static void query_variants(const uint8_t *wire, size_t len)
{
	uint8_t v[FRAME_MAX_LEN];

	memcpy(v, wire, len);
	v[2] |= 0x80; /* a response: no answer */
	put_file("query", "response", v, len);
	memcpy(v, wire, len);
	v[2] = (v[2] & ~0x78) | (4 << 3); /* NOTIFY: NOTIMP */
	put_file("query", "opcode-notify", v, len);
	memcpy(v, wire, len);
	v[5] = 2; /* two questions, one there: FORMERR */
	put_file("query", "qdcount-2", v, len);
	put_file("query", "header-only", wire, 12);
	put_file("query", "short", wire, 5);
}

struct answer_seed {
	const char *file, *name;
	ldns_rr_type type;
	ldns_pkt_rcode rcode;
	const char *const *answer, *const *authority;
	int tc;
};

static const char *const a[] = { "www.example.com. 300 IN A 192.0.2.1",
				 "www.example.com. 300 IN A 192.0.2.2", NULL };
static const char *const soa[] = { "example.com. 3600 IN SOA ns.example.com. host.example.com. "
				   "1 7200 3600 1209600 60", NULL };
static const char *const cname[] = { "alias.example.com. 300 IN CNAME www.example.com.",
				     "www.example.com. 30 IN AAAA 2001:db8::1", NULL };
static const char *const rrsig[] = { "www.example.com. 300 IN A 192.0.2.1",
				     "www.example.com. 300 IN RRSIG A 8 3 300 20300101000000 "
				     "20200101000000 12345 example.com. AAAA", NULL };
static const char *const ns[] = { "example.com. 86400 IN NS ns1.example.com.",
				  "example.com. 86400 IN NS ns2.example.com.", NULL };
static const char *const mx[] = { "example.com. 300 IN MX 10 mail.example.com.", NULL };
static const char *const txt[] = { "www.example.com. 300 IN TXT \"v=spf1 -all\" \"more\"", NULL };

static const struct answer_seed answers[] = {
	{ "a", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0 },
	{ "a-rrsig", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, rrsig, NULL, 0 },
	{ "a-with-ns", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, ns, 0 },
	{ "nxdomain-soa", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa, 0 },
	{ "nodata-soa", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, soa, 0 },
	{ "nxdomain-no-soa", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, NULL, 0 },
	{ "cname-aaaa", "alias.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, cname, NULL, 0 },
	{ "mx", "example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, mx, NULL, 0 },
	{ "txt", "www.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, txt, NULL, 0 },
	{ "servfail", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, NULL, NULL, 0 },
	{ "refused", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_REFUSED, NULL, NULL, 0 },
	{ "truncated", "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, NULL, 1 },
};

static void write_answers(void)
{
	size_t i;

	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		const struct answer_seed *s = &answers[i];
		ldns_pkt *p = make_response(s->name, s->type, s->rcode, s->answer, s->authority);
		uint8_t *wire = NULL, buf[1 + FRAME_MAX_LEN];
		char file[64];
		size_t len;
		int mode;

		if (!p)
			exit(1);
		ldns_pkt_set_id(p, ANSWER_ID);
		ldns_pkt_set_tc(p, s->tc);
		if (i % 3 == 0) /* an upstream's EDNS */
			ldns_pkt_set_edns_udp_size(p, 1232);
		if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK || len > FRAME_MAX_LEN)
			exit(1);
		put_file("cache_entry", s->file, wire, len);
		/* fuzz_upstream.c's mode byte: UDP, then TCP; its own question, then the fixed one */
		memcpy(buf + 1, wire, len);
		for (mode = 0; mode < 4; mode += (i < 4 ? 1 : 3)) {
			buf[0] = mode;
			snprintf(file, sizeof(file), "%s-mode%d", s->file, mode);
			put_file("upstream", file, buf, len + 1);
		}
		free(wire);
		ldns_pkt_free(p);
	}
}

struct frame_seed {
	const char *file;
	unsigned int query; /* index in queries[] */
	struct frame_spec spec;
};

static const struct frame_seed frames[] = {
	{ "www-a-ipv4", 0, {} },
	{ "www-a-edns-ipv6", 1, { .ipv6 = 1 } },
	{ "www-a-do-vlan", 2, { .vlans = 1 } },
	{ "www-a-cd-qinq", 3, { .vlans = 2 } },
	{ "www-a-cookie-partial-csum", 4, { .udp_csum_partial = 1 } },
	{ "www-mixed-case-no-csum", 5, { .udp_csum_zero = 1 } },
	{ "nx-a-padded", 6, { .min_frame_len = 96 } },
	{ "alias-aaaa-ipv6", 8, { .ipv6 = 1 } },
	{ "caa", 9, {} },
	{ "txt-edns", 10, {} },
	{ "stale-a", 13, {} },
	{ "miss", 17, {} },
	{ "other-port", 0, { .dport = 5353 } },
	{ "source-port-0", 0, { .sport = 0xffff } },
	{ "ip-options", 0, { .ip_options_len = 4 } },
	{ "long-name-ipv6", 19, { .ipv6 = 1 } },
};

int main(int argc, char **argv)
{
	uint8_t wire[FRAME_MAX_LEN], frame[FRAME_MAX_LEN];
	size_t i, len;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0755);
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		len = make_query(wire, queries[i].name, queries[i].type, &queries[i].opts);
		if (!len)
			return 1;
		put_file("query", queries[i].file, wire, len);
		if (i == 1)
			query_variants(wire, len);
	}
	write_answers();
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		const struct query_seed *q = &queries[frames[i].query];

		len = make_query(wire, q->name, q->type, &q->opts);
		len = frame_build(frame, &frames[i].spec, wire, len);
		put_file("xdp", frames[i].file, frame, len);
	}
	return 0;
}
