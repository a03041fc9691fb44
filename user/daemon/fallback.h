/* SPDX-License-Identifier: GPL-2.0 */
/* Fallback records: answers the operator pins in a file (option fallback-file), the daemon's
 * last resort when every upstream is down and nothing is cached. One record a line in zone-file
 * syntax, "name [TTL] [IN] TYPE RDATA" (names are absolute, with or without the final dot; a
 * line that starts with blanks has the previous line's name; TTL 30 when omitted); '#' and ';'
 * start comments outside quotes. Lines with the same name and type make one RRset. A file with
 * one bad line is refused whole.
 */
#ifndef XDPDNS_FALLBACK_H
#define XDPDNS_FALLBACK_H

#include <stddef.h>
#include <ldns/ldns.h>

#define XDPDNS_FALLBACK_DEFAULT_TTL_SEC 30 /* short: an operator's guess, not the zone's data */

struct xdpdns_fallback;

/* Reads path into a new set, *out, only on success: 0, or -EINVAL with "FILE:LINE: what is
 * wrong" in err (or -errno with "FILE: why" when it can't be read), and *out untouched. The
 * caller frees the set it replaces. */
int xdpdns_fallback_load(struct xdpdns_fallback **out, const char *path, char *err,
			 size_t errlen);

void xdpdns_fallback_free(struct xdpdns_fallback *f);

/* Records and RRsets in f, for the logs. */
size_t xdpdns_fallback_records(const struct xdpdns_fallback *f);
size_t xdpdns_fallback_rrsets(const struct xdpdns_fallback *f);

/* A NOERROR answer to qname (any letter case) and qtype holding the pinned RRset, QR and RA
 * set, ID 0: the caller sets the ID, RD, CD and EDNS from the query and frees it. NULL when f
 * is NULL, has no RRset for qname and qtype (even if it has the name with other types: this
 * does not invent NODATA), or memory runs out. */
ldns_pkt *xdpdns_fallback_answer(const struct xdpdns_fallback *f, const ldns_rdf *qname,
				 ldns_rr_type qtype);

#endif /* XDPDNS_FALLBACK_H */
