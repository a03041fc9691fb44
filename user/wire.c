// SPDX-License-Identifier: GPL-2.0
/* DNS messages in wire form, before ldns sees them. */
#include "wire.h"

#define DNS_HDR_LEN 12
#define DNS_TYPE_TSIG 250

/* The offset after the name at off (a compression pointer ends it), or 0 when it runs out. */
static size_t skip_name(const uint8_t *wire, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = wire[off];

		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0; /* 0x40, 0x80: no such label types */
		off += 1 + l;
		if (!l)
			return off;
	}
	return 0;
}

ldns_status xdpdns_wire2pkt(ldns_pkt **pkt, const uint8_t *wire, size_t len)
{
	size_t off = DNS_HDR_LEN, qd, rrs, i;

	*pkt = NULL;
	if (len < DNS_HDR_LEN)
		return LDNS_STATUS_WIRE_INCOMPLETE_HEADER;
	qd = (size_t)wire[4] << 8 | wire[5];
	rrs = ((size_t)wire[6] << 8 | wire[7]) + ((size_t)wire[8] << 8 | wire[9]) +
	      ((size_t)wire[10] << 8 | wire[11]);
	for (i = 0; i < qd; i++) {
		off = skip_name(wire, len, off);
		if (!off || off + 4 > len)
			return LDNS_STATUS_WIRE_INCOMPLETE_QUESTION;
		off += 4;
	}
	for (i = 0; i < rrs; i++) {
		uint16_t type, rdlen;

		off = skip_name(wire, len, off);
		if (!off || off + 10 > len)
			return LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL;
		type = (uint16_t)wire[off] << 8 | wire[off + 1];
		rdlen = (uint16_t)wire[off + 8] << 8 | wire[off + 9];
		off += 10 + rdlen;
		if (off > len)
			return LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL;
		if (type == DNS_TYPE_TSIG && i != rrs - 1)
			return LDNS_STATUS_WIRE_RDATA_ERR; /* only one, and last */
	}
	return ldns_wire2pkt(pkt, wire, len);
}
