/* SPDX-License-Identifier: GPL-2.0 */
/* DNS messages in wire form, before ldns sees them: what ldns gets wrong on hostile input.
 * Shared by the daemon, the tools and the tests. */
#ifndef XDPDNS_WIRE_H
#define XDPDNS_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

/* ldns_wire2pkt() for bytes from the network. ldns 1.8.3 keeps only the last TSIG record of a
 * message and leaks the others (found by tests/fuzz): a message with more than one TSIG, or a
 * TSIG that is not the last record (RFC 8945 5.1: both are FORMERR), is refused here, as is
 * anything whose records do not walk to the end of the counts. Returns ldns's status, or
 * LDNS_STATUS_WIRE_RDATA_ERR for what this refuses. */
ldns_status xdpdns_wire2pkt(ldns_pkt **pkt, const uint8_t *wire, size_t len);

#endif /* XDPDNS_WIRE_H */
