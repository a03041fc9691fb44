// SPDX-License-Identifier: GPL-2.0
/* Scrubbing upstream answers (scrub.h): answers built with ldns from zone-file lines, scrubbed,
 * and the records left and the caching verdict checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "scrub.h"

#define END NULL

/* An answer to (qname, qtype) with rcode; the sections as zone-file lines, each list ending
 * with END. */
static ldns_pkt *answer(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
			const char *const *an, const char *const *ns, const char *const *ar)
{
	const char *const *sections[] = { an, ns, ar };
	const ldns_pkt_section which[] = { LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
					   LDNS_SECTION_ADDITIONAL };
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype, LDNS_RR_CLASS_IN,
					 LDNS_RD);
	size_t s;

	assert_non_null(p);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	for (s = 0; s < 3; s++) {
		const char *const *line;

		for (line = sections[s]; line && *line; line++) {
			ldns_rr *rr = NULL;

			assert_int_equal(ldns_rr_new_frm_str(&rr, *line, 0, NULL, NULL), LDNS_STATUS_OK);
			assert_true(ldns_pkt_push_rr(p, which[s], rr));
		}
	}
	return p;
}

/* Scrubs p as an answer to (qname, qtype). */
static struct xdpdns_scrub_result scrub(ldns_pkt *p, const char *qname, ldns_rr_type qtype)
{
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	struct xdpdns_scrub_result res;

	assert_int_equal(xdpdns_scrub(p, name, qtype, &res), 0);
	ldns_rdf_deep_free(name);
	/* the header's counts follow the sections */
	assert_int_equal(ldns_pkt_ancount(p), ldns_rr_list_rr_count(ldns_pkt_answer(p)));
	assert_int_equal(ldns_pkt_nscount(p), ldns_rr_list_rr_count(ldns_pkt_authority(p)));
	assert_int_equal(ldns_pkt_arcount(p), ldns_rr_list_rr_count(ldns_pkt_additional(p)));
	return res;
}

/* Does section list hold a record whose text form starts with line (owner...rdata)? */
static bool holds(const ldns_rr_list *list, const char *line)
{
	ldns_rr *want = NULL;
	size_t i;
	bool found = false;

	assert_int_equal(ldns_rr_new_frm_str(&want, line, 0, NULL, NULL), LDNS_STATUS_OK);
	for (i = 0; i < ldns_rr_list_rr_count(list) && !found; i++)
		found = !ldns_rr_compare(ldns_rr_list_rr(list, i), want);
	ldns_rr_free(want);
	return found;
}

static void test_unrelated_answer_records_dropped(void **state)
{
	const char *an[] = { "www.example.com. 300 IN A 192.0.2.1",
			     "bank.test. 300 IN A 6.6.6.6",            /* another name */
			     "www.example.com. 300 IN MX 10 mail.test.", /* another type */
			     END };
	ldns_pkt *p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct xdpdns_scrub_result r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_false(xdpdns_answer_is_negative(p));
	assert_int_equal(r.dropped, 2);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_true(holds(ldns_pkt_answer(p), "www.example.com. 300 IN A 192.0.2.1"));
	ldns_pkt_free(p);
}

/* The chain from the query name, in any order, names in any case; not beyond it. */
static void test_cname_chain_kept(void **state)
{
	const char *an[] = { "b.cdn.test. 60 IN A 192.0.2.2",
			     "WWW.Example.COM. 300 IN CNAME a.cdn.test.",
			     "a.cdn.test. 60 IN CNAME b.cdn.test.",
			     "a.cdn.test. 60 IN A 6.6.6.6", /* a CNAME's owner has no A: not asked */
			     "c.cdn.test. 60 IN A 6.6.6.7", /* next to the chain, not on it */
			     END };
	ldns_pkt *p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct xdpdns_scrub_result r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_ancount(p), 3);
	assert_true(holds(ldns_pkt_answer(p), "b.cdn.test. 60 IN A 192.0.2.2"));
	assert_false(holds(ldns_pkt_answer(p), "a.cdn.test. 60 IN A 6.6.6.6"));
	assert_false(holds(ldns_pkt_answer(p), "c.cdn.test. 60 IN A 6.6.6.7"));
	ldns_pkt_free(p);
}

/* A CNAME loop ends; the records are kept once. */
static void test_cname_loop_bounded(void **state)
{
	const char *an[] = { "a.test. 60 IN CNAME b.test.", "b.test. 60 IN CNAME a.test.", END };
	const char *ns[] = { "test. 60 IN SOA ns.test. h.test. 1 2 3 4 60", END };
	ldns_pkt *p = answer("a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct xdpdns_scrub_result r = scrub(p, "a.test.", LDNS_RR_TYPE_A);

	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_true(xdpdns_answer_is_negative(p)); /* no A at the end */
	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	ldns_pkt_free(p);
}

static void test_dname_and_signatures(void **state)
{
	const char *an[] = {
		"example.com. 300 IN DNAME example.net.",
		"www.example.com. 300 IN CNAME www.example.net.",
		"www.example.net. 300 IN A 192.0.2.3",
		"www.example.net. 300 IN RRSIG A 8 3 300 20300101000000 20200101000000 1 example.net. AAAA",
		"evil.test. 300 IN RRSIG A 8 2 300 20300101000000 20200101000000 1 evil.test. AAAA",
		"other.com. 300 IN DNAME evil.test.", /* not above the name */
		END };
	ldns_pkt *p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	struct xdpdns_scrub_result r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_ancount(p), 4);
	assert_int_equal(r.dropped, 2);
	assert_true(holds(ldns_pkt_answer(p), "example.com. 300 IN DNAME example.net."));
	ldns_pkt_free(p);
}

/* Authority: SOA and NS of the name's zones only; nothing in additional. */
static void test_out_of_bailiwick_dropped(void **state)
{
	const char *an[] = { "www.example.com. 300 IN A 192.0.2.1", END };
	const char *ns[] = { "example.com. 300 IN NS ns1.example.com.",
			     "com. 300 IN NS a.gtld.test.",
			     "bank.test. 300 IN NS ns.evil.test.",  /* not above the name */
			     "www.example.com.evil.test. 300 IN NS ns.evil.test.",
			     "sub.www.example.com. 300 IN NS ns.evil.test.", /* below it */
			     END };
	const char *ar[] = { "ns1.example.com. 300 IN A 192.0.2.53", "ns.evil.test. 300 IN A 6.6.6.6",
			     "bank.test. 300 IN A 6.6.6.6", END };
	ldns_pkt *p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, ar);
	struct xdpdns_scrub_result r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_true(holds(ldns_pkt_authority(p), "example.com. 300 IN NS ns1.example.com."));
	assert_true(holds(ldns_pkt_authority(p), "com. 300 IN NS a.gtld.test."));
	assert_int_equal(ldns_pkt_arcount(p), 0);
	assert_int_equal(r.dropped, 6);
	ldns_pkt_free(p);
}

static void test_negative_needs_soa(void **state)
{
	const char *soa[] = { "example.com. 60 IN SOA ns.example.com. h.example.com. 1 2 3 4 30",
			      "example.com. 60 IN NSEC zz.example.com. A NS SOA RRSIG NSEC",
			      "evil.test. 60 IN NSEC zz.evil.test. A", END };
	const char *evil_soa[] = { "evil.test. 60 IN SOA ns.evil.test. h.evil.test. 1 2 3 4 30", END };
	ldns_pkt *p;
	struct xdpdns_scrub_result r;

	/* NXDOMAIN without SOA: passed on, not cached */
	p = answer("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, NULL, NULL);
	r = scrub(p, "nx.example.com.", LDNS_RR_TYPE_A);
	assert_true(xdpdns_answer_is_negative(p));
	assert_int_equal(r.nocache, XDPDNS_SCRUB_NEGATIVE_NO_SOA);
	ldns_pkt_free(p);
	/* with its zone's SOA (and NSEC in the zone): cached */
	p = answer("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa, NULL);
	r = scrub(p, "nx.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_int_equal(r.dropped, 1);
	ldns_pkt_free(p);
	/* another zone's SOA does not count */
	p = answer("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, evil_soa, NULL);
	r = scrub(p, "nx.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(r.nocache, XDPDNS_SCRUB_NEGATIVE_NO_SOA);
	assert_int_equal(ldns_pkt_nscount(p), 0);
	ldns_pkt_free(p);
	/* NODATA: NOERROR, nothing of the type asked */
	p = answer("www.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL, NULL, NULL);
	r = scrub(p, "www.example.com.", LDNS_RR_TYPE_AAAA);
	assert_true(xdpdns_answer_is_negative(p));
	assert_int_equal(r.nocache, XDPDNS_SCRUB_NEGATIVE_NO_SOA);
	ldns_pkt_free(p);
	p = answer("www.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL, soa, NULL);
	r = scrub(p, "www.example.com.", LDNS_RR_TYPE_AAAA);
	assert_true(xdpdns_answer_is_negative(p));
	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	ldns_pkt_free(p);
}

static void test_not_cached(void **state)
{
	const char *an[] = { "www.example.com. 300 IN A 192.0.2.1", END };
	const char *an0[] = { "www.example.com. 0 IN A 192.0.2.1", END };
	ldns_pkt *p;
	struct xdpdns_scrub_result r;

	p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, NULL, NULL);
	ldns_pkt_set_tc(p, true);
	r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(r.nocache, XDPDNS_SCRUB_TRUNCATED);
	ldns_pkt_free(p);

	p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an0, NULL, NULL);
	r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(r.nocache, XDPDNS_SCRUB_TTL_ZERO);
	assert_int_equal(ldns_pkt_ancount(p), 1); /* still passed to the client */
	ldns_pkt_free(p);

	p = answer("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_FORMERR, NULL, NULL, NULL);
	r = scrub(p, "www.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(r.nocache, XDPDNS_SCRUB_RCODE);
	ldns_pkt_free(p);
}

/* ANY keeps every type at the name; CNAME asked is not followed. */
static void test_any_and_cname_questions(void **state)
{
	const char *an[] = { "x.test. 60 IN A 192.0.2.1", "x.test. 60 IN TXT \"hi\"",
			     "y.test. 60 IN A 6.6.6.6", END };
	const char *cn[] = { "x.test. 60 IN CNAME y.test.", "y.test. 60 IN A 6.6.6.6", END };
	ldns_pkt *p;

	p = answer("x.test.", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR, an, NULL, NULL);
	scrub(p, "x.test.", LDNS_RR_TYPE_ANY);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_false(xdpdns_answer_is_negative(p));
	ldns_pkt_free(p);
	p = answer("x.test.", LDNS_RR_TYPE_CNAME, LDNS_RCODE_NOERROR, cn, NULL, NULL);
	scrub(p, "x.test.", LDNS_RR_TYPE_CNAME);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_false(xdpdns_answer_is_negative(p));
	ldns_pkt_free(p);
}

/* Signatures in these tests: algorithm 13, valid 2020..2030; the signature bytes do not
 * matter to scrubbing. */
#define SIG "13 3 300 20300101000000 20200101000000 1"
#define SIG4 "13 4 300 20300101000000 20200101000000 1"

/* A name synthesised from a wildcard (RFC 4035 3.1.3.3): a minimal answer carries no SOA or NS,
 * and the NSEC proving that no closer name exists is the validator's only proof. The zone is
 * the signer of the answer's signature; records of other zones, or signed by a name that is
 * not an ancestor of what it covers, go. */
static void test_wildcard_nsec_kept(void **state)
{
	const char *an[] = {
		"x.wild.example.com. 300 IN A 192.0.2.9",
		/* labels 3: the record was expanded from *.wild.example.com */
		"x.wild.example.com. 300 IN RRSIG A " SIG " example.com. AAAA",
		END };
	const char *ns[] = {
		"*.wild.example.com. 300 IN NSEC www.example.com. A RRSIG NSEC",
		"*.wild.example.com. 300 IN RRSIG NSEC " SIG4 " example.com. AAAA",
		/* another zone's proof */
		"a.evil.test. 300 IN NSEC z.evil.test. A RRSIG NSEC",
		"a.evil.test. 300 IN RRSIG NSEC " SIG " evil.test. AAAA",
		/* a signer that is not an ancestor of what it signs */
		"*.wild.example.com. 300 IN RRSIG NSEC " SIG4 " evil.test. AAAA",
		/* a signature over nothing kept */
		"*.wild.example.com. 300 IN RRSIG A " SIG4 " example.com. AAAA",
		END };
	ldns_pkt *p = answer("x.wild.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct xdpdns_scrub_result r = scrub(p, "x.wild.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_true(holds(ldns_pkt_authority(p),
			  "*.wild.example.com. 300 IN NSEC www.example.com. A RRSIG NSEC"));
	assert_true(holds(ldns_pkt_authority(p),
			  "*.wild.example.com. 300 IN RRSIG NSEC " SIG4 " example.com. AAAA"));
	assert_int_equal(r.dropped, 4);
	ldns_pkt_free(p);
}

/* The same with NSEC3 (RFC 5155 7.2.6): the hashed owners are one label under the zone's apex;
 * an NSEC3 owned deeper, or in a zone that did not sign the answer, goes. */
static void test_wildcard_nsec3_kept(void **state)
{
	const char *an[] = {
		"x.wild.example.com. 300 IN A 192.0.2.9",
		"x.wild.example.com. 300 IN RRSIG A " SIG " example.com. AAAA",
		END };
	const char *ns[] = {
		"b4um86eghhds6nea196smvmlo4ors995.example.com. 300 IN NSEC3 1 0 0 - "
		"gjeqe526plbf1g8mklp59enfd789njgi A RRSIG",
		"b4um86eghhds6nea196smvmlo4ors995.example.com. 300 IN RRSIG NSEC3 " SIG
		" example.com. AAAA",
		/* two labels under the apex: not an NSEC3 of the zone */
		"b4um86eghhds6nea196smvmlo4ors995.wild.example.com. 300 IN NSEC3 1 0 0 - "
		"gjeqe526plbf1g8mklp59enfd789njgi A RRSIG",
		"b4um86eghhds6nea196smvmlo4ors995.wild.example.com. 300 IN RRSIG NSEC3 " SIG4
		" example.com. AAAA",
		/* a zone below the one that signed the answer, not above the name */
		"b4um86eghhds6nea196smvmlo4ors995.sub.example.com. 300 IN NSEC3 1 0 0 - "
		"gjeqe526plbf1g8mklp59enfd789njgi A RRSIG",
		"b4um86eghhds6nea196smvmlo4ors995.sub.example.com. 300 IN RRSIG NSEC3 " SIG4
		" sub.example.com. AAAA",
		END };
	ldns_pkt *p = answer("x.wild.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct xdpdns_scrub_result r = scrub(p, "x.wild.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_true(holds(ldns_pkt_authority(p), "b4um86eghhds6nea196smvmlo4ors995.example.com. 300 "
			  "IN RRSIG NSEC3 " SIG " example.com. AAAA"));
	assert_int_equal(r.dropped, 4);
	ldns_pkt_free(p);
}

/* A CNAME chain crossing zones, each link signed by its own zone, both links synthesised from
 * wildcards: each zone's proof is kept, and only that zone's. A signature over the chain by a
 * name that is not an ancestor of its owner names no zone. */
static void test_chain_across_zones_keeps_each_zones_proof(void **state)
{
	const char *an[] = {
		"www.a.test. 300 IN CNAME x.wild.b.test.",
		"www.a.test. 300 IN RRSIG CNAME 13 2 300 20300101000000 20200101000000 1 a.test. AAAA",
		"x.wild.b.test. 300 IN A 192.0.2.10",
		"x.wild.b.test. 300 IN RRSIG A " SIG " b.test. AAAA",
		"x.wild.b.test. 300 IN RRSIG A " SIG " evil.test. AAAA",
		END };
	const char *ns[] = {
		"*.a.test. 300 IN NSEC zz.a.test. CNAME RRSIG NSEC",
		"*.a.test. 300 IN RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 a.test. AAAA",
		"*.wild.b.test. 300 IN NSEC zz.b.test. A RRSIG NSEC",
		"*.wild.b.test. 300 IN RRSIG NSEC " SIG " b.test. AAAA",
		/* signed by a zone of the chain, but owned outside it */
		"*.wild.b.test. 300 IN RRSIG NSEC " SIG " a.test. AAAA",
		"a.evil.test. 300 IN NSEC z.evil.test. A RRSIG NSEC",
		"a.evil.test. 300 IN RRSIG NSEC " SIG " evil.test. AAAA",
		"x.c.test. 300 IN NSEC z.c.test. A RRSIG NSEC",
		"x.c.test. 300 IN RRSIG NSEC " SIG " c.test. AAAA",
		END };
	ldns_pkt *p = answer("www.a.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, an, ns, NULL);
	struct xdpdns_scrub_result r = scrub(p, "www.a.test.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_ancount(p), 4);
	assert_false(holds(ldns_pkt_answer(p), "x.wild.b.test. 300 IN RRSIG A " SIG " evil.test. AAAA"));
	assert_int_equal(ldns_pkt_nscount(p), 4);
	assert_true(holds(ldns_pkt_authority(p), "*.a.test. 300 IN NSEC zz.a.test. CNAME RRSIG NSEC"));
	assert_true(holds(ldns_pkt_authority(p), "*.wild.b.test. 300 IN RRSIG NSEC " SIG " b.test. AAAA"));
	assert_int_equal(r.dropped, 6);
	ldns_pkt_free(p);
}

/* NXDOMAIN and NODATA proofs without an SOA beside them (not cached, but passed whole to the
 * client): the zone is the signer of the denial, when it is an ancestor of the name the chain
 * ends at. */
static void test_denial_without_soa_kept(void **state)
{
	const char *nx[] = {
		"example.com. 300 IN NSEC www.example.com. A NS SOA RRSIG NSEC",
		"example.com. 300 IN RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 example.com. AAAA",
		"a.evil.test. 300 IN NSEC z.evil.test. A RRSIG NSEC",
		"a.evil.test. 300 IN RRSIG NSEC " SIG " evil.test. AAAA",
		END };
	/* NODATA at the end of a chain that left the first zone */
	const char *an[] = {
		"www.a.test. 300 IN CNAME www.b.test.",
		"www.a.test. 300 IN RRSIG CNAME " SIG " a.test. AAAA",
		END };
	const char *nodata[] = {
		"www.b.test. 300 IN NSEC zz.b.test. A RRSIG NSEC",
		"www.b.test. 300 IN RRSIG NSEC " SIG " b.test. AAAA",
		/* a zone neither of the chain nor above the name it ends at */
		"www.c.test. 300 IN NSEC zz.c.test. A RRSIG NSEC",
		"www.c.test. 300 IN RRSIG NSEC " SIG " c.test. AAAA",
		END };
	ldns_pkt *p;
	struct xdpdns_scrub_result r;

	p = answer("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, nx, NULL);
	r = scrub(p, "nx.example.com.", LDNS_RR_TYPE_A);
	assert_int_equal(r.nocache, XDPDNS_SCRUB_NEGATIVE_NO_SOA);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_true(holds(ldns_pkt_authority(p),
			  "example.com. 300 IN NSEC www.example.com. A NS SOA RRSIG NSEC"));
	assert_int_equal(r.dropped, 2);
	ldns_pkt_free(p);

	p = answer("www.a.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, an, nodata, NULL);
	r = scrub(p, "www.a.test.", LDNS_RR_TYPE_AAAA);
	assert_true(xdpdns_answer_is_negative(p));
	assert_int_equal(ldns_pkt_ancount(p), 2);
	assert_int_equal(ldns_pkt_nscount(p), 2);
	assert_true(holds(ldns_pkt_authority(p), "www.b.test. 300 IN NSEC zz.b.test. A RRSIG NSEC"));
	assert_int_equal(r.dropped, 2);
	ldns_pkt_free(p);
}

/* With an SOA: the denial of its zone and the signatures of what was kept, by that zone. */
static void test_denial_with_soa_signed_by_its_zone(void **state)
{
	const char *ns[] = {
		"example.com. 60 IN SOA ns.example.com. h.example.com. 1 2 3 4 30",
		"example.com. 60 IN RRSIG SOA 13 2 60 20300101000000 20200101000000 1 example.com. AAAA",
		"example.com. 60 IN NSEC www.example.com. A NS SOA RRSIG NSEC",
		"example.com. 60 IN RRSIG NSEC 13 2 60 20300101000000 20200101000000 1 example.com. AAAA",
		/* inside the zone, but signed by another, or over nothing kept */
		"example.com. 60 IN RRSIG NSEC 13 2 60 20300101000000 20200101000000 1 evil.test. AAAA",
		"x.example.com. 60 IN RRSIG A " SIG " example.com. AAAA",
		END };
	ldns_pkt *p = answer("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, ns, NULL);
	struct xdpdns_scrub_result r = scrub(p, "nx.example.com.", LDNS_RR_TYPE_A);

	assert_int_equal(r.nocache, XDPDNS_SCRUB_CACHEABLE);
	assert_int_equal(ldns_pkt_nscount(p), 4);
	assert_int_equal(r.dropped, 2);
	ldns_pkt_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unrelated_answer_records_dropped),
		cmocka_unit_test(test_cname_chain_kept),
		cmocka_unit_test(test_cname_loop_bounded),
		cmocka_unit_test(test_dname_and_signatures),
		cmocka_unit_test(test_out_of_bailiwick_dropped),
		cmocka_unit_test(test_negative_needs_soa),
		cmocka_unit_test(test_not_cached),
		cmocka_unit_test(test_any_and_cname_questions),
		cmocka_unit_test(test_wildcard_nsec_kept),
		cmocka_unit_test(test_wildcard_nsec3_kept),
		cmocka_unit_test(test_chain_across_zones_keeps_each_zones_proof),
		cmocka_unit_test(test_denial_without_soa_kept),
		cmocka_unit_test(test_denial_with_soa_signed_by_its_zone),
	};

	return cmocka_run_group_tests_name("scrub", tests, NULL, NULL);
}
