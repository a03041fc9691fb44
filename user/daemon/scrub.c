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

/* The signer of an RRSIG, or NULL. */
static const ldns_rdf *signer(const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG ? ldns_rr_rrsig_signame(rr) : NULL;
}

/* Is the RRSIG signed by a zone that holds its owner (RFC 4035 5.3.1: the signer is the zone
 * that contains the RRset)? A signature that is not names no zone and validates nothing. */
static bool signed_from_above(const ldns_rr *rr)
{
	const ldns_rdf *z = signer(rr);

	return z && in_zone(ldns_rr_owner(rr), z);
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
	for (i = 0; i < n; i++) { /* signatures of what was kept, by its zone */
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type t = covered(rr);

		if (!t || !signed_from_above(rr))
			continue;
		if (t == LDNS_RR_TYPE_DNAME)
			keep[i] = above_chain(c, ldns_rr_owner(rr), true);
		else
			keep[i] = on_chain(c, ldns_rr_owner(rr)) &&
				  (t == qtype || t == LDNS_RR_TYPE_CNAME ||
				   qtype == LDNS_RR_TYPE_ANY);
	}
}

/* Did the chain end in data of the type asked (kept in an)? Not for a NODATA or NXDOMAIN. */
static bool answered(const ldns_rr_list *an, const bool *keep, ldns_rr_type qtype)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(an, i));

		if (keep[i] && t != LDNS_RR_TYPE_RRSIG &&
		    (t == qtype || qtype == LDNS_RR_TYPE_ANY))
			return true;
	}
	return false;
}

/* The owners of the records kept, lowercased: an upstream echoes the case we asked in (random
 * with upstream-0x20), and the cache serves every client the same names. */
static void lowercase_owners(ldns_rr_list *an, const bool *keep)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (keep[i])
			ldns_dname2canonical(ldns_rr_owner(ldns_rr_list_rr(an, i)));
}

/* The zones the answer belongs to: their apexes, borrowed from its records. */
struct zones {
	const ldns_rdf **apex; /* room for every record of the answer and authority sections */
	size_t n;
};

static bool is_zone(const struct zones *z, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		if (!ldns_dname_compare(z->apex[i], name))
			return true;
	return false;
}

static void add_zone(struct zones *z, const ldns_rdf *apex)
{
	if (!is_zone(z, apex))
		z->apex[z->n++] = apex;
}

/* Does a record of this owner and type belong to zone `apex` (the name of the zone that signs
 * it)? NSEC3 owners are a hash, one label under the apex (RFC 5155 7.1); SOA and NS are signed
 * at the apex only (a delegation's NS is not signed); the others lie inside the zone. */
static bool belongs(const ldns_rdf *owner, ldns_rr_type type, const ldns_rdf *apex)
{
	if (type == LDNS_RR_TYPE_NSEC3)
		return ldns_dname_is_subdomain(owner, apex) &&
		       ldns_dname_label_count(owner) == ldns_dname_label_count(apex) + 1;
	if (type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_NS)
		return !ldns_dname_compare(owner, apex);
	return in_zone(owner, apex);
}

/* Is a record of this owner and type kept in ns? */
static bool kept_in(const ldns_rr_list *ns, const bool *keep, const ldns_rdf *owner,
		    ldns_rr_type type)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (keep[i] && ldns_rr_get_type(rr) == type &&
		    !ldns_dname_compare(ldns_rr_owner(rr), owner))
			return true;
	}
	return false;
}

/* The zones of the answer's chain, known from its signatures (kept in an): each signer is the
 * apex of the zone holding the link it signs (walk_answer kept only signers above it). A name
 * synthesised from a wildcard is proven in that zone. */
static void answer_zones(const ldns_rr_list *an, const bool *keep, struct zones *z)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (keep[i] && covered(ldns_rr_list_rr(an, i)))
			add_zone(z, signer(ldns_rr_list_rr(an, i)));
}

/* Marks in keep the authority records in the bailiwick of the chain; *soa when an SOA is
 * among them. z holds the answer's zones, and gets those found here. */
static void walk_authority(const ldns_rr_list *ns, const struct chain *c, bool negative,
			   struct zones *z, bool *keep, bool *soa)
{
	size_t n = ldns_rr_list_rr_count(ns), i, j;

	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (type != LDNS_RR_TYPE_SOA && type != LDNS_RR_TYPE_NS)
			continue;
		keep[i] = above_chain(c, ldns_rr_owner(rr), false);
		if (!keep[i])
			continue;
		add_zone(z, ldns_rr_owner(rr));
		if (type == LDNS_RR_TYPE_SOA)
			*soa = true;
	}
	/* a denial without an SOA beside it (RFC 2308 asks for one, not every server sends it):
	 * the zone of the name the chain ends at is whichever ancestor of it signed the denial */
	for (i = 0; i < n && negative; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type t = covered(rr);

		if ((t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3) && signer(rr) &&
		    in_zone(c->names[c->n - 1], signer(rr)))
			add_zone(z, signer(rr));
	}
	/* DNSSEC denial (NSEC, NSEC3) of those zones */
	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (type != LDNS_RR_TYPE_NSEC && type != LDNS_RR_TYPE_NSEC3)
			continue;
		for (j = 0; j < z->n && !keep[i]; j++)
			keep[i] = belongs(ldns_rr_owner(rr), type, z->apex[j]);
	}
	/* and the signatures of what was kept, each by the zone it belongs to */
	for (i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type t = covered(rr);

		keep[i] |= t && t != LDNS_RR_TYPE_RRSIG && signer(rr) && is_zone(z, signer(rr)) &&
			   belongs(ldns_rr_owner(rr), t, signer(rr)) &&
			   kept_in(ns, keep, ldns_rr_owner(rr), t);
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
	struct zones z = { .apex = calloc(n_an + n_ns + 1, sizeof(*z.apex)) };
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(a);

	*res = (struct xdpdns_scrub_result){0};
	if (!keep || !z.apex)
		goto nomem;
	walk_answer(an, qtype, &c, keep);
	answer_zones(an, keep, &z);
	walk_authority(ns, &c, rcode == LDNS_RCODE_NXDOMAIN || !answered(an, keep, qtype), &z,
		       keep + n_an, &soa);
	free(z.apex); /* borrowed names: before filter() frees the records */
	z.apex = NULL;
	lowercase_owners(an, keep);
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
	free(z.apex);
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
