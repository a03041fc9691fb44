// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: an upstream's answer, from the socket to the caches. The first input byte is a
 * mode (bit 0: it came over TCP; bit 1: check it against the fixed question www.example.com. A,
 * ID 0x1234, else against its own question and ID, so that most inputs are answers); the rest
 * is the message. upstream_answer_check() says what it is; an answer then goes the way
 * pending_done() (user/daemon/resolution.c) takes it: xdpdns_answer_copy(), server_cache_ttl(), the
 * daemon's cache and back, and a kernel entry (fuzz_check_entry()).
 * Seeds: tests/fuzz/corpus/upstream/. */
#include <errno.h>
#include <string.h>
#include "dcache.h"
#include "fuzz.h"
#include "scrub.h"
#include "policy.h"

#define MODE_TCP 0x1
#define MODE_FIXED_QUESTION 0x2
#define FIXED_ID 0x1234

static struct xdpdns_options O;
static struct dcache C;
static ldns_rdf *fixed_qname;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xdpdns_options_defaults(&O);
	fixed_qname = ldns_dname_new_frm_str("www.example.com.");
	if (!fixed_qname || dcache_init(&C, 64))
		abort();
	return 0;
}

/* Every record's TTL is at least the entry's, and the entry's within the options' range. */
static void check_ttls(const ldns_pkt *copy, uint32_t ttl)
{
	bool negative = xdpdns_answer_is_negative(copy); /* as the server decides it */
	const ldns_rr_list *lists[] = { ldns_pkt_answer(copy), ldns_pkt_authority(copy),
					ldns_pkt_additional(copy) };
	size_t s, i;

	if (negative)
		FUZZ_CHECK(ttl <= O.max_negative_ttl_sec, "negative TTL %u", ttl);
	else
		FUZZ_CHECK(ttl >= O.min_ttl_sec && ttl <= O.max_ttl_sec, "TTL %u", ttl);
	for (s = 0; s < 3; s++)
		for (i = 0; i < ldns_rr_list_rr_count(lists[s]); i++)
			FUZZ_CHECK(ldns_rr_ttl(ldns_rr_list_rr(lists[s], i)) >= ttl,
				   "section %zu record %zu: TTL %u below the entry's %u", s, i,
				   ldns_rr_ttl(ldns_rr_list_rr(lists[s], i)), ttl);
}

/* What pending_done() and ksync_fill() do with an answer. */
static void cache_answer(const struct upstream_query *q, const ldns_pkt *answer)
{
	static struct xdpdns_entry_buf b;
	ldns_pkt *copy = xdpdns_answer_copy(answer), *back;
	struct xdpdns_entry_meta meta = { .hash_seed = 42, .stored_ns = 1, .key_flags = q->cd ? XDPDNS_KEY_CD : 0 };
	struct dcache_entry *e;
	struct dcache_key key;
	uint8_t *wire = NULL;
	size_t len = 0;
	int err;

	FUZZ_CHECK(copy, "out of memory");
	meta.ttl_sec = server_cache_ttl(&O, copy);
	if (!meta.ttl_sec)
		goto out;
	check_ttls(copy, meta.ttl_sec);
	FUZZ_CHECK(ldns_pkt2wire(&wire, copy, &len) == LDNS_STATUS_OK, "can't render the answer");
	dcache_key(&key, q->qname, q->qtype, meta.key_flags);
	e = dcache_put(&C, &key, wire, len, 0, meta.ttl_sec);
	FUZZ_CHECK(e, "out of memory");
	back = dcache_answer(e);
	FUZZ_CHECK(back, "the daemon's cache can't read back what it stored");
	ldns_pkt_free(back);
	err = xdpdns_entry_build(copy, &meta, &b);
	FUZZ_CHECK(!err || err == -EINVAL || err == -E2BIG, "xdpdns_entry_build: %s",
		   strerror(-err));
	if (!err)
		fuzz_check_entry(copy, &meta, &b);
out:
	free(wire);
	ldns_pkt_free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upstream_query q = {
		.qname = fixed_qname, .qtype = LDNS_RR_TYPE_A, .id = FIXED_ID, .only = -1,
	};
	ldns_pkt *own = NULL, *answer;
	enum upstream_verdict v;
	const ldns_rr *rr;
	bool tcp;

	if (!size)
		return 0;
	tcp = data[0] & MODE_TCP;
	if (!(data[0] & MODE_FIXED_QUESTION) &&
	    ldns_wire2pkt(&own, data + 1, size - 1) == LDNS_STATUS_OK &&
	    (rr = ldns_rr_list_rr(ldns_pkt_question(own), 0))) {
		q.qname = ldns_rr_owner(rr);
		q.qtype = ldns_rr_get_type(rr);
		q.id = ldns_pkt_id(own);
		q.cd = ldns_pkt_cd(own);
	}
	v = upstream_answer_check(&q, data + 1, size - 1, tcp, &answer);
	FUZZ_CHECK((v == UPSTREAM_ANSWER) == (answer != NULL), "verdict %d, answer %p", v,
		   (void *)answer);
	if (answer) { /* RFC 5452 9.1: the answer to what was asked, usable */
		rr = ldns_rr_list_rr(ldns_pkt_question(answer), 0);
		FUZZ_CHECK(ldns_pkt_qr(answer) && ldns_pkt_id(answer) == q.id &&
				   ldns_pkt_qdcount(answer) == 1 && rr &&
				   ldns_rr_get_type(rr) == q.qtype &&
				   ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
				   !ldns_dname_compare(ldns_rr_owner(rr), q.qname),
			   "accepted an answer to another question");
		FUZZ_CHECK(tcp || !ldns_pkt_tc(answer), "accepted a truncated answer over UDP");
		FUZZ_CHECK(ldns_pkt_get_rcode(answer) != LDNS_RCODE_SERVFAIL &&
				   ldns_pkt_get_rcode(answer) != LDNS_RCODE_REFUSED,
			   "accepted rcode %d", ldns_pkt_get_rcode(answer));
		cache_answer(&q, answer);
		ldns_pkt_free(answer);
	}
	ldns_pkt_free(own);
	return 0;
}
