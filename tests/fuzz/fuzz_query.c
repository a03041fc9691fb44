// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the daemon's query path, server_query() (user/daemon/query.c), the one both listeners
 * take, with each input as a query over UDP and again over TCP. The server has no upstreams,
 * so a miss gets its answer at once (SERVFAIL, stale or fallback), and its cache holds a few
 * answers (fresh, with DO and CD, negative, too big for UDP, expired, a remembered SERVFAIL),
 * and a fallback record. Every response must parse, carry the query's ID and QR, fit the
 * client's UDP size (and ours: xdpdns_udp_limit()), keep RD and CD, and echo the question as
 * asked (a refusal too, where exactly one parses); exactly one per query that is not a response
 * and has a header.
 *
 * And the two ways of answering give the same response: a query the hot path parses
 * (xdpdns_query_parse) gets, from every cache entry for its name (any type, DO, CD), aged,
 * stale, over UDP and TCP, and as an rcode alone, the same bytes written from the cached wire
 * form (respond.c, wire.c) as through ldns (the slow path's).
 * Seeds: tests/fuzz/corpus/query/. */
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "harness.h"
#include "policy.h"
#include "respond.h"
#include "wire.h"

#define UDP_PLAIN_LEN 512
#define DNS_MAX_LEN 65535

static struct ev_loop L;
static struct xdpdns_options O;
static struct server S;
static struct xdpdns_fallback *F;

static struct {
	uint8_t wire[DNS_MAX_LEN];
	size_t len;
	int count;
} R;

static void on_reply(const struct server_client *c, const uint8_t *wire, size_t len)
{
	(void)c;
	R.count++;
	R.len = len < sizeof(R.wire) ? len : sizeof(R.wire);
	memcpy(R.wire, wire, R.len);
}

/* Puts an answer in the daemon's cache as pending_done() would, stored age_ms ago. */
static void put(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
		const char *const *answer, const char *const *authority, uint8_t key_flags,
		uint64_t age_ms)
{
	ldns_pkt *resp = make_response(name, type, rcode, answer, authority);
	ldns_pkt *copy = resp ? xdpdns_answer_copy(resp) : NULL;
	uint8_t *wire = NULL;
	struct dcache_key k;
	uint32_t ttl;
	size_t len;

	if (!copy || ldns_pkt2wire(&wire, copy, &len) != LDNS_STATUS_OK)
		abort();
	ttl = server_cache_ttl(&O, copy);
	free(wire); /* the TTLs as clamped */
	if (ldns_pkt2wire(&wire, copy, &len) != LDNS_STATUS_OK)
		abort();
	dcache_key(&k, ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(copy), 0)), type, key_flags);
	if (!dcache_put(&S.cache, &k, wire, len, ev_now_ms() - age_ms, ttl))
		abort();
	free(wire);
	ldns_pkt_free(copy);
	ldns_pkt_free(resp);
}

static void load_fallback(void)
{
	static const char text[] = "fallback.example. 60 IN A 192.0.2.99\n"
				   "fallback.example. 60 IN AAAA 2001:db8::99\n";
	char path[] = "/tmp/xdpdns-fuzz-fallback.XXXXXX", err[256];
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, sizeof(text) - 1) != sizeof(text) - 1)
		abort();
	close(fd);
	if (xdpdns_fallback_load(&F, path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	unlink(path);
	S.fallback = F;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const a[] = { "www.example.com. 300 IN A 192.0.2.1", NULL };
	static const char *const a_do[] = { "www.example.com. 300 IN A 192.0.2.1",
					    "www.example.com. 300 IN RRSIG A 8 3 300 20300101000000 "
					    "20200101000000 12345 example.com. AAAA", NULL };
	static const char *const soa[] = { "example.com. 3600 IN SOA ns.example.com. "
					   "host.example.com. 1 7200 3600 1209600 60", NULL };
	static const char *const cname[] = { "alias.example.com. 300 IN CNAME www.example.com.",
					     "www.example.com. 300 IN AAAA 2001:db8::1", NULL };
	static char big_rrs[12][300];
	static const char *big[13];
	int i;

	(void)argc;
	(void)argv;
	xdpdns_log_init("fuzz_query", XDPDNS_LOG_ERROR);
	xdpdns_options_defaults(&O);
	if (ev_init(&L) || server_init(&S, &L, &O, NULL, 42))
		abort();
	put("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0, 0);
	put("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a_do, NULL, XDPDNS_KEY_DO, 0);
	put("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, XDPDNS_KEY_CD, 1000);
	put("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa, 0, 0);
	put("empty.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL, soa, 0, 0);
	put("alias.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, cname, NULL, 0, 0);
	/* expired 1000 s ago: served stale, every upstream being down */
	put("stale.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL, 0, 1300 * 1000);
	/* about 3 kB: truncated over UDP but to clients that take it */
	for (i = 0; i < 12; i++) {
		snprintf(big_rrs[i], sizeof(big_rrs[i]), "big.example.com. 300 IN TXT \"%0240d\"", i);
		big[i] = big_rrs[i];
	}
	put("big.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR, big, NULL, 0, 0);
	{ /* a SERVFAIL remembered (RFC 9520) */
		ldns_rdf *name = ldns_dname_new_frm_str("fail.example.com.");
		struct dcache_key k;

		dcache_key(&k, name, LDNS_RR_TYPE_A, 0);
		if (!dcache_put(&S.cache, &k, NULL, 0, ev_now_ms(), 3600))
			abort();
		ldns_rdf_deep_free(name);
	}
	load_fallback();
	return 0;
}

/* The UDP size limit of a query ldns parsed (NULL: it could not): the client's, never more than
 * ours. */
static size_t udp_limit(const ldns_pkt *query)
{
	size_t size = query && ldns_pkt_edns(query) ? ldns_pkt_edns_udp_size(query) : UDP_PLAIN_LEN;

	if (size > O.edns_udp_size)
		size = O.edns_udp_size;
	return size < UDP_PLAIN_LEN ? UDP_PLAIN_LEN : size;
}

/* ---- the hot path and the slow path, side by side ---- */

struct capture {
	uint8_t wire[DNS_MAX_LEN + 512];
	size_t len;
	int count;
};

static void on_capture(const struct server_client *c, const uint8_t *wire, size_t len)
{
	struct capture *k = c->ctx;

	k->count++;
	k->len = len < sizeof(k->wire) ? len : sizeof(k->wire);
	memcpy(k->wire, wire, k->len);
}

/* The response to the query (q, parsed by the hot path) as each path writes it: how(w) on a
 * waiter that answers from the wire form, and on one that goes through ldns. */
#define BOTH_PATHS(how)                                                                          	do {                                                                                     		struct server_client cf = { .reply = on_capture, .ctx = &fast, .tcp = tcp };   		struct server_client cs = { .reply = on_capture, .ctx = &slow, .tcp = tcp };   		struct waiter *w = waiter_new(data, size, q, &cf);                                                                                                                              		fast.count = slow.count = 0;                                                    		if (!w)                                                                         			abort();                                                                		how;                                                                            		waiter_free(w);                                                                 		w = waiter_new(data, size, NULL, &cs);                                         		if (!w)                                                                         			abort();                                                                		FUZZ_CHECK(xdpdns_wire2pkt(&w->query, data, size) == LDNS_STATUS_OK,            			   "a query the hot path takes, ldns refuses");                          		how;                                                                            		waiter_free(w);                                                                 	} while (0)

static struct capture fast, slow;

static void same(const char *what, bool tcp)
{
	FUZZ_CHECK(fast.count == 1 && slow.count == 1, "%s: %d and %d responses", what, fast.count,
		   slow.count);
	FUZZ_CHECK(fast.len == slow.len && !memcmp(fast.wire, slow.wire, fast.len),
		   "%s over %s: the hot path wrote %zu bytes, ldns %zu, not the same", what,
		   tcp ? "TCP" : "UDP", fast.len, slow.len);
}

static void compare_paths(const uint8_t *data, size_t size, const struct xdpdns_query *q)
{
	static const struct {
		uint32_t age;
		bool stale;
	} ways[] = { { 0, false }, { 7, false }, { 1000, false }, { 0, true } };
	const struct dcache_entry *e;
	struct dcache_key key;
	size_t i;
	int tcp;

	dcache_key_wire(&key, data + 12, q->name_len, q->qtype, 0); /* its name, lowercased */
	for (tcp = 0; tcp <= 1; tcp++) {
		BOTH_PATHS(respond_rcode(&S, w, LDNS_RCODE_SERVFAIL));
		same("SERVFAIL", tcp);
		BOTH_PATHS(respond_rcode(&S, w, LDNS_RCODE_REFUSED));
		same("REFUSED", tcp);
		for (e = S.cache.oldest; e; e = e->newer) {
			if (e->key_len - 3 != q->name_len || /* name, type, flags */
			    memcmp(e->data, key.bytes, q->name_len))
				continue;
			for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
				BOTH_PATHS(respond_cached(&S, w, e, ways[i].age, ways[i].stale));
				same("a cached answer", tcp);
			}
		}
	}
}

static void check(const uint8_t *q, size_t len, bool tcp)
{
	ldns_pkt *query = NULL, *resp = NULL;

	R.count = 0;
	server_query(&S, q, len, &(struct server_client){ .reply = on_reply, .tcp = tcp });
	if (len < 12 || (q[2] & 0x80)) { /* no header, or a response: never answered */
		FUZZ_CHECK(R.count == 0, "%d responses to a non-query", R.count);
		return;
	}
	FUZZ_CHECK(R.count == 1, "%d responses, want 1 (%s)", R.count, tcp ? "TCP" : "UDP");
	FUZZ_CHECK(R.len >= 12 && R.wire[0] == q[0] && R.wire[1] == q[1] && (R.wire[2] & 0x80),
		   "response header");
	FUZZ_CHECK(ldns_wire2pkt(&resp, R.wire, R.len) == LDNS_STATUS_OK,
		   "response unparsable");
	/* as the daemon parses it: ldns_wire2pkt alone leaks what xdpdns_wire2pkt refuses */
	if (xdpdns_wire2pkt(&query, q, len) != LDNS_STATUS_OK)
		FUZZ_CHECK(ldns_pkt_get_rcode(resp) == LDNS_RCODE_FORMERR, "rcode %d to junk",
			   ldns_pkt_get_rcode(resp));
	FUZZ_CHECK(tcp || R.len <= udp_limit(query), "%zu bytes over UDP, limit %zu", R.len,
		   udp_limit(query));
	if (ldns_pkt_qdcount(resp)) { /* the question exactly as asked, letter case included */
		const ldns_rr *rq = ldns_rr_list_rr(ldns_pkt_question(resp), 0);
		const ldns_rr *qq = query ? ldns_rr_list_rr(ldns_pkt_question(query), 0) : NULL;
		ldns_rr *alone = NULL; /* a refusal echoes a question that parses on its own */
		size_t pos = 12;

		if (!query && ldns_wire2rr(&alone, q, len, &pos, LDNS_SECTION_QUESTION) ==
				      LDNS_STATUS_OK)
			qq = alone;
		FUZZ_CHECK(ldns_pkt_qdcount(resp) == 1 && qq && q[4] == 0 && q[5] == 1,
			   "question count");
		FUZZ_CHECK(ldns_rdf_size(ldns_rr_owner(rq)) == ldns_rdf_size(ldns_rr_owner(qq)) &&
				   !memcmp(ldns_rdf_data(ldns_rr_owner(rq)),
					   ldns_rdf_data(ldns_rr_owner(qq)),
					   ldns_rdf_size(ldns_rr_owner(qq))) &&
				   ldns_rr_get_type(rq) == ldns_rr_get_type(qq) &&
				   ldns_rr_get_class(rq) == ldns_rr_get_class(qq),
			   "question not echoed");
		ldns_rr_free(alone);
	}
	FUZZ_CHECK(ldns_pkt_rd(resp) == !!(q[2] & 0x01) && ldns_pkt_cd(resp) == !!(q[3] & 0x10),
		   "RD or CD not copied");
	ldns_pkt_free(query);
	ldns_pkt_free(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xdpdns_query q;

	check(data, size, false);
	check(data, size, true);
	if (xdpdns_query_parse(data, size, &q) == XDPDNS_QUERY_OK)
		compare_paths(data, size, &q);
	return 0;
}
