// SPDX-License-Identifier: GPL-2.0
/* Scrubbing upstream answers before they are cached (the policy is in scrub.h). */
#include <errno.h>
#include <stdlib.h>
#include "scrub.h"

/* The names an answer's chain goes through, from the query name; borrowed from the question
 * and the answer's records. */
struct chain {
	const ldns_rdf *names[XDPDNS_SCRUB_CHAIN_MAX + 1];
	size_t n;
};

static bool in_zone(const ldns_rdf *name, const ldns_rdf *zone)
{
	return !ldns_dname_compare(name, zone) || ldns_dname_is_subdomain(name, zone);
}

static bool on_chain(const struct chain *c, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!ldns_dname_compare(c->names[i], name))
			return true;
	return false;
}

/* Is zone an ancestor of (or, unless strict, equal to) a name of the chain? */
static bool above_chain(const struct chain *c, const ldns_rdf *zone, bool strict)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strict ? ldns_dname_is_subdomain(c->names[i], zone)
			   : in_zone(c->names[i], zone))
			return true;
	return false;
}

/* The type an RRSIG covers, or 0. */
static ldns_rr_type covered(const ldns_rr *rr)
{
	const ldns_rdf *t =
		ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG ? ldns_rr_rrsig_typecovered(rr) : NULL;

	return t ? ldns_rdf2rr_type(t) : 0;
}

/* Is a CNAME owned by name among the records kept? */
static bool kept_cname(const ldns_rr_list *an, const bool *keep, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (keep[i] && ldns_rr_get_type(ldns_rr_list_rr(an, i)) == LDNS_RR_TYPE_CNAME &&
		    !ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(an, i)), name))
			return true;
	return false;
}

/* Marks in keep the answer records of the chain from qname; fills c. */
static void walk_answer(const ldns_rr_list *an, ldns_rr_type qtype, struct chain *c, bool *keep)
{
	size_t n = ldns_rr_list_rr_count(an), i;
	bool grew = true;

	/* the records may come in any order: go over them until the chain stops growing, at most
	 * once per name it can hold */
	while (grew) {
		grew = false;
		for (i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			ldns_rr_type type = ldns_rr_get_type(rr);
			const ldns_rdf *target;

			if (keep[i] || type == LDNS_RR_TYPE_RRSIG)
				continue;
			if (type == LDNS_RR_TYPE_DNAME) { /* its CNAME is synthesised next to it */
				keep[i] = above_chain(c, ldns_rr_owner(rr), true);
				continue;
			}
			if (!on_chain(c, ldns_rr_owner(rr)))
				continue;
			if (type == qtype || qtype == LDNS_RR_TYPE_ANY ||
			    type == LDNS_RR_TYPE_CNAME)
				keep[i] = true;
			if (type != LDNS_RR_TYPE_CNAME || qtype == LDNS_RR_TYPE_CNAME ||
			    qtype == LDNS_RR_TYPE_ANY)
				continue;
			target = ldns_rr_rdf(rr, 0);
			if (target && c->n < XDPDNS_SCRUB_CHAIN_MAX + 1 && !on_chain(c, target)) {
				c->names[c->n++] = target;
				grew = true;
			}
		}
	}
	/* a name with a CNAME has no other data (RFC 1034 3.6.2): the chain goes on from it */
	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (keep[i] && type != LDNS_RR_TYPE_CNAME && type != LDNS_RR_TYPE_DNAME &&
		    kept_cname(an, keep, ldns_rr_owner(rr)))
			keep[i] = false;
	}
	for (i = 0; i < n; i++) { /* signatures of what was kept */
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type t = covered(rr);

		if (!t)
			continue;
		if (t == LDNS_RR_TYPE_DNAME)
			keep[i] = above_chain(c, ldns_rr_owner(rr), true);
		else
			keep[i] = on_chain(c, ldns_rr_owner(rr)) &&
				  (t == qtype || t == LDNS_RR_TYPE_CNAME ||
				   qtype == LDNS_RR_TYPE_ANY);
	}
}

/* The owners of the records kept, lowercased: an upstream echoes the query's case (random with
 * upstream-0x20), and the cache serves every client the same names. */
static void lowercase_owners(ldns_rr_list *an, const bool *keep)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (keep[i])
			ldns_dname2canonical(ldns_rr_owner(ldns_rr_list_rr(an, i)));
}

/* Marks in keep the authority records in the bailiwick of the chain; *soa when an SOA is
 * among them. */
static void walk_authority(const ldns_rr_list *ns, const struct chain *c, bool *keep, bool *soa)
{
	size_t n = ldns_rr_list_rr_count(ns), i, j;

	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (type != LDNS_RR_TYPE_SOA && type != LDNS_RR_TYPE_NS)
			continue;
		keep[i] = above_chain(c, ldns_rr_owner(rr), false);
		if (keep[i] && type == LDNS_RR_TYPE_SOA)
			*soa = true;
	}
	/* DNSSEC denial: inside a zone whose SOA or NS was kept */
	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (type != LDNS_RR_TYPE_NSEC && type != LDNS_RR_TYPE_NSEC3 &&
		    type != LDNS_RR_TYPE_RRSIG)
			continue;
		for (j = 0; j < n && !keep[i]; j++) {
			const ldns_rr *z = ldns_rr_list_rr(ns, j);

			keep[i] = keep[j] &&
				  (ldns_rr_get_type(z) == LDNS_RR_TYPE_SOA ||
				   ldns_rr_get_type(z) == LDNS_RR_TYPE_NS) &&
				  in_zone(ldns_rr_owner(rr), ldns_rr_owner(z));
		}
	}
}

/* The records of list marked in keep, in their order; frees the others and the list. NULL
 * when out of memory, with list untouched. */
static ldns_rr_list *filter(ldns_rr_list *list, const bool *keep, unsigned int *dropped)
{
	size_t n = ldns_rr_list_rr_count(list), i;
	ldns_rr_list *out = ldns_rr_list_new();

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		if (keep && keep[i] && !ldns_rr_list_push_rr(out, ldns_rr_list_rr(list, i))) {
			ldns_rr_list_free(out); /* the records are still list's */
			return NULL;
		}
	}
	for (i = 0; i < n; i++) {
		if (!keep || !keep[i]) {
			ldns_rr_free(ldns_rr_list_rr(list, i));
			(*dropped)++;
		}
	}
	ldns_rr_list_free(list);
	return out;
}

static bool any_ttl_zero(const ldns_rr_list *list)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++)
		if (!ldns_rr_ttl(ldns_rr_list_rr(list, i)))
			return true;
	return false;
}

static bool has_type(const ldns_rr_list *list, ldns_rr_type type)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++)
		if (type == LDNS_RR_TYPE_ANY || ldns_rr_get_type(ldns_rr_list_rr(list, i)) == type)
			return true;
	return false;
}

bool xdpdns_answer_is_negative(const ldns_pkt *a)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(a), 0);

	if (ldns_pkt_get_rcode(a) == LDNS_RCODE_NXDOMAIN)
		return true;
	/* a CNAME question is answered by the CNAME itself */
	return ldns_pkt_get_rcode(a) == LDNS_RCODE_NOERROR && q &&
	       !has_type(ldns_pkt_answer(a), ldns_rr_get_type(q));
}

int xdpdns_scrub(ldns_pkt *a, const ldns_rdf *qname, ldns_rr_type qtype,
		 struct xdpdns_scrub_result *res)
{
	ldns_rr_list *an = ldns_pkt_answer(a), *ns = ldns_pkt_authority(a), *ar, *list;
	size_t n_an = ldns_rr_list_rr_count(an), n_ns = ldns_rr_list_rr_count(ns);
	bool *keep = calloc(n_an + n_ns + 1, sizeof(*keep)), soa = false;
	struct chain c = { .names = { qname }, .n = 1 };
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(a);

	*res = (struct xdpdns_scrub_result){0};
	if (!keep)
		return -ENOMEM;
	walk_answer(an, qtype, &c, keep);
	lowercase_owners(an, keep);
	walk_authority(ns, &c, keep + n_an, &soa);
	list = filter(an, keep, &res->dropped);
	if (!list)
		goto nomem;
	ldns_pkt_set_answer(a, list);
	list = filter(ns, keep + n_an, &res->dropped);
	if (!list)
		goto nomem;
	ldns_pkt_set_authority(a, list);
	ar = ldns_pkt_additional(a);
	list = filter(ar, NULL, &res->dropped);
	if (!list)
		goto nomem;
	ldns_pkt_set_additional(a, list);
	free(keep);
	an = ldns_pkt_answer(a);
	ns = ldns_pkt_authority(a);
	ldns_pkt_set_ancount(a, ldns_rr_list_rr_count(an));
	ldns_pkt_set_nscount(a, ldns_rr_list_rr_count(ns));
	ldns_pkt_set_arcount(a, 0);

	if (ldns_pkt_tc(a))
		res->nocache = XDPDNS_SCRUB_TRUNCATED;
	else if (ldns_pkt_get_opcode(a) != LDNS_PACKET_QUERY ||
		 (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN))
		res->nocache = XDPDNS_SCRUB_RCODE;
	else if (xdpdns_answer_is_negative(a) && !soa)
		res->nocache = XDPDNS_SCRUB_NEGATIVE_NO_SOA;
	else if (any_ttl_zero(an) || any_ttl_zero(ns))
		res->nocache = XDPDNS_SCRUB_TTL_ZERO;
	return 0;
nomem:
	free(keep);
	return -ENOMEM;
}

const char *xdpdns_scrub_nocache_str(enum xdpdns_scrub_nocache why)
{
	switch (why) {
	case XDPDNS_SCRUB_CACHEABLE:
		return "cacheable";
	case XDPDNS_SCRUB_TRUNCATED:
		return "truncated";
	case XDPDNS_SCRUB_RCODE:
		return "rcode or opcode";
	case XDPDNS_SCRUB_NEGATIVE_NO_SOA:
		return "negative without SOA";
	case XDPDNS_SCRUB_TTL_ZERO:
		return "TTL 0";
	}
	return "?";
}
