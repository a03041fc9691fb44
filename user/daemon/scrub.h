/* SPDX-License-Identifier: GPL-2.0 */
/* Scrubbing an upstream answer before it is cached or served: only what answers the question
 * asked is kept, and answers that must not be stored are marked so. The policy, for a forwarding
 * cache whose clients are stub resolvers:
 *  - answer: the chain from the query name: records owned by the name of the type asked (any
 *    type for ANY), CNAMEs followed to their targets, DNAMEs above a name of the chain, and the
 *    RRSIGs of those records whose signer is an ancestor of (or equal to) their owner;
 *    everything else goes. Their owners are lowercased (an upstream echoes the case we asked
 *    in, random with upstream-0x20).
 *  - authority: SOA and NS records owned by an ancestor of (or equal to) a name of the chain;
 *    and DNSSEC denial (NSEC, NSEC3) of the answer's own zones, for DO clients to validate
 *    wildcard expansions, NODATA and NXDOMAIN. Those zones are: the owners of the SOA and NS
 *    kept; the signers of the RRSIGs kept in the answer (each link of a chain that crosses
 *    zones has its own); and, for a negative answer, the signer of the denial when it is an
 *    ancestor of the name the chain ends at (no SOA need be beside it). An NSEC is kept inside
 *    such a zone, an NSEC3 one label under its apex; an RRSIG in authority only over a record
 *    kept there and by the zone that record belongs to.
 *  - additional: nothing (ldns keeps the OPT apart; the cache writes its own). Glue and
 *    "helpful" addresses are what a poisoner would smuggle in; stubs do not need them.
 *  - not cached (passed to the clients, not stored): TC=1, an opcode other than QUERY, an rcode
 *    other than NOERROR and NXDOMAIN, a negative answer (NXDOMAIN, or no record of the type
 *    asked at the end of the chain) without an SOA, and any kept record with TTL 0 (RFC 1035
 *    3.2.1: not to be cached). TTLs are capped by the caller (max-ttl). */
#ifndef XDPDNS_SCRUB_H
#define XDPDNS_SCRUB_H

#include <stdbool.h>
#include <ldns/ldns.h>

#define XDPDNS_SCRUB_CHAIN_MAX 16 /* CNAME/DNAME steps followed; a longer chain is cut there */

enum xdpdns_scrub_nocache {
	XDPDNS_SCRUB_CACHEABLE = 0,
	XDPDNS_SCRUB_TRUNCATED,
	XDPDNS_SCRUB_RCODE,       /* or opcode */
	XDPDNS_SCRUB_NEGATIVE_NO_SOA,
	XDPDNS_SCRUB_TTL_ZERO,
};

struct xdpdns_scrub_result {
	enum xdpdns_scrub_nocache nocache; /* why not to cache it; 0: cache it */
	unsigned int dropped;              /* records removed */
};

/* Scrubs a, an answer to (qname, qtype) whose ID and question were checked already, in place
 * (sections and counts). Returns 0 or -ENOMEM; res says whether to cache it. */
int xdpdns_scrub(ldns_pkt *a, const ldns_rdf *qname, ldns_rr_type qtype,
		 struct xdpdns_scrub_result *res);

/* Does a (scrubbed) answer say the name has no such record: NXDOMAIN, or NOERROR with no
 * record of the question's type (NODATA, at the end of a CNAME chain too)? The one test of
 * "negative" for caching, the guard and healing. */
bool xdpdns_answer_is_negative(const ldns_pkt *a);

/* Short words for logs and tests. */
const char *xdpdns_scrub_nocache_str(enum xdpdns_scrub_nocache why);

#endif /* XDPDNS_SCRUB_H */
