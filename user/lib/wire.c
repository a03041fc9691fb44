// SPDX-License-Identifier: GPL-2.0
/* DNS messages in wire form, before ldns sees them. */
#include <errno.h>
#include <string.h>
#include "wire.h"

#define DNS_HDR_LEN XDPDNS_DNS_HDR_LEN
#define DNS_MSG_MAX 65535 /* what TCP's length prefix can say */
#define DNS_QR 0x8000
#define DNS_OPCODE 0x7800
#define DNS_TC 0x0200
#define DNS_RD 0x0100
#define DNS_RA 0x0080
#define DNS_AD 0x0020
#define DNS_CD 0x0010
#define DNS_RCODE 0x000f
#define DNS_EDNS_DO 0x8000 /* in the OPT TTL's low 16 bits */
#define DNS_TYPE_OPT 41
#define DNS_TYPE_TKEY 249
#define DNS_TYPE_TSIG 250
#define DNS_TYPE_IXFR 251
#define DNS_TYPE_AXFR 252
#define DNS_CLASS_IN 1

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

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
	size_t pos = DNS_HDR_LEN, qd, n, i;

	*pkt = NULL;
	if (len < DNS_HDR_LEN)
		return LDNS_STATUS_WIRE_INCOMPLETE_HEADER;
	/* no TSIG can be read where its type's two bytes (0x00fa) stand nowhere: the walk below
	 * (a second parse of every record) is only for messages that might hold one */
	if (!memmem(wire + DNS_HDR_LEN, len - DNS_HDR_LEN, "\x00\xfa", 2))
		return ldns_wire2pkt(pkt, wire, len);
	qd = (size_t)wire[4] << 8 | wire[5];
	n = qd + ((size_t)wire[6] << 8 | wire[7]) + ((size_t)wire[8] << 8 | wire[9]) +
	    ((size_t)wire[10] << 8 | wire[11]);
	/* walked record by record as ldns_wire2pkt will walk them (by each type's rdata fields,
	 * not only RDLENGTH: the two can disagree), each freed at once */
	for (i = 0; i < n; i++) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_wire2rr(&rr, wire, len, &pos,
					      i < qd ? LDNS_SECTION_QUESTION : LDNS_SECTION_ANSWER);
		bool tsig;

		if (st != LDNS_STATUS_OK) {
			ldns_rr_free(rr);
			return st;
		}
		tsig = i >= qd && ldns_rr_get_type(rr) == LDNS_RR_TYPE_TSIG;
		ldns_rr_free(rr);
		if (tsig && i != n - 1)
			return LDNS_STATUS_WIRE_RDATA_ERR; /* only one, and last */
	}
	return ldns_wire2pkt(pkt, wire, len);
}

/* ---- queries ---- */

enum xdpdns_query_verdict xdpdns_query_parse(const uint8_t *wire, size_t len,
					     struct xdpdns_query *q)
{
	size_t off = DNS_HDR_LEN;
	uint16_t qclass;

	if (len < DNS_HDR_LEN || (wire[2] & (DNS_QR >> 8)))
		return XDPDNS_QUERY_DROP;
	memset(q, 0, sizeof(*q));
	q->wire = wire;
	q->id = get16(wire);
	q->flags = get16(wire + 2);
	if ((q->flags & (DNS_OPCODE | DNS_TC)) || get16(wire + 4) != 1 || get16(wire + 6) ||
	    get16(wire + 8) || get16(wire + 10) > 1)
		return XDPDNS_QUERY_SLOW;
	/* the name, uncompressed: a pointer in a query's only name points nowhere useful */
	for (;;) {
		uint8_t l;

		if (off >= len)
			return XDPDNS_QUERY_SLOW;
		l = wire[off];
		if (l & 0xc0)
			return XDPDNS_QUERY_SLOW;
		off += 1 + l;
		if (off - DNS_HDR_LEN > 255) /* RFC 1035 2.3.4 */
			return XDPDNS_QUERY_SLOW;
		if (!l)
			break;
	}
	q->name_len = off - DNS_HDR_LEN;
	if (off + 4 > len)
		return XDPDNS_QUERY_SLOW;
	q->qtype = get16(wire + off);
	qclass = get16(wire + off + 2);
	off += 4;
	/* meta types and class other than IN: the slow path says what they get */
	if (qclass != DNS_CLASS_IN || !q->qtype || q->qtype == DNS_TYPE_OPT ||
	    (q->qtype >= DNS_TYPE_TKEY && q->qtype <= DNS_TYPE_AXFR))
		return XDPDNS_QUERY_SLOW;
	if (get16(wire + 10)) {
		/* the OPT: root owner, type 41, class = UDP size, TTL = ext. rcode, version, flags */
		uint16_t rdlen;

		if (off + 11 > len || wire[off] != 0 || get16(wire + off + 1) != DNS_TYPE_OPT ||
		    wire[off + 5] != 0 || wire[off + 6] != 0) /* ext. rcode, version 0 */
			return XDPDNS_QUERY_SLOW;
		q->edns = true;
		q->udp_size = get16(wire + off + 3);
		q->do_bit = get16(wire + off + 7) & DNS_EDNS_DO;
		rdlen = get16(wire + off + 9);
		off += 11;
		/* options (COOKIE, padding...) are read by nobody here: they must only fit */
		while (rdlen) {
			uint16_t olen;

			if (rdlen < 4 || off + 4 > len)
				return XDPDNS_QUERY_SLOW;
			olen = get16(wire + off + 2);
			if ((size_t)olen + 4 > rdlen || off + 4 + olen > len)
				return XDPDNS_QUERY_SLOW;
			off += 4 + olen;
			rdlen -= 4 + olen;
		}
	}
	return off == len ? XDPDNS_QUERY_OK : XDPDNS_QUERY_SLOW;
}

size_t xdpdns_udp_limit(bool edns, uint16_t client_size, uint16_t our_udp_size)
{
	size_t size = edns ? client_size : XDPDNS_UDP_PLAIN_LEN;

	if (size > our_udp_size)
		size = our_udp_size;
	return size < XDPDNS_UDP_PLAIN_LEN ? XDPDNS_UDP_PLAIN_LEN : size;
}

size_t xdpdns_query_udp_limit(const struct xdpdns_query *q, uint16_t our_udp_size)
{
	return xdpdns_udp_limit(q->edns, q->udp_size, our_udp_size);
}

/* ---- cached answers ---- */

int xdpdns_answer_index(const uint8_t *msg, size_t len, struct xdpdns_answer_index *ix)
{
	size_t off, rrs, i;

	if (len < DNS_HDR_LEN || get16(msg + 4) != 1)
		return -EINVAL;
	off = skip_name(msg, len, DNS_HDR_LEN);
	if (!off || off + 4 > len)
		return -EINVAL;
	off += 4;
	ix->body_off = off;
	ix->ttl_count = 0;
	rrs = (size_t)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	if (rrs > XDPDNS_ANSWER_TTLS_MAX)
		return -E2BIG;
	for (i = 0; i < rrs; i++) {
		off = skip_name(msg, len, off);
		if (!off || off + 10 > len || get16(msg + off) == DNS_TYPE_OPT)
			return -EINVAL;
		ix->ttl_off[ix->ttl_count++] = off + 4;
		off += 10 + get16(msg + off + 8);
		if (off > len)
			return -EINVAL;
	}
	return off == len ? 0 : -EINVAL;
}

/* Header and question of an answer to q: flags from q (RD, CD) and from the cached message's
 * (rcode, AD), counts left to the caller. Returns the offset after the question. */
static size_t write_head(uint8_t *out, const struct xdpdns_query *q, uint16_t msg_flags)
{
	uint16_t flags = DNS_QR | DNS_RA | (q->flags & (DNS_RD | DNS_CD)) | (msg_flags & DNS_RCODE);
	size_t qlen = XDPDNS_QUERY_QUESTION_LEN(q);

	/* RFC 6840 5.7-5.8: AD only for a client that asked for it with AD or DO */
	if ((q->flags & DNS_AD) || q->do_bit)
		flags |= msg_flags & DNS_AD;
	put16(out, q->id);
	put16(out + 2, flags);
	put16(out + 4, 1);
	memcpy(out + DNS_HDR_LEN, q->wire + DNS_HDR_LEN, qlen);
	return DNS_HDR_LEN + qlen;
}

/* Our OPT at p: root, our size, version 0, DO echoed (RFC 3225), no options. */
static void write_opt(uint8_t *p, const struct xdpdns_query *q, uint16_t our_udp_size)
{
	p[0] = 0;
	put16(p + 1, DNS_TYPE_OPT);
	put16(p + 3, our_udp_size);
	put32(p + 5, q->do_bit ? DNS_EDNS_DO : 0);
	put16(p + 9, 0);
}

int xdpdns_answer_write(uint8_t *out, size_t size, const struct xdpdns_query *q,
			const uint8_t *msg, size_t msg_len, const struct xdpdns_answer_index *ix,
			const struct xdpdns_answer_how *how, bool *truncated)
{
	size_t qlen = XDPDNS_QUERY_QUESTION_LEN(q), body_len = msg_len - ix->body_off, off, i;
	size_t opt = q->edns ? XDPDNS_OPT_LEN : 0, len = DNS_HDR_LEN + qlen + body_len + opt;
	uint16_t msg_flags = get16(msg + 2);

	/* the cached question has the query's length: the key holds the same name */
	if (ix->body_off != DNS_HDR_LEN + qlen || ix->body_off > msg_len)
		return -EINVAL;
	*truncated = (!how->tcp && len > xdpdns_query_udp_limit(q, how->our_udp_size)) ||
		     len > DNS_MSG_MAX;
	if (*truncated)
		len = DNS_HDR_LEN + qlen + opt;
	if (len > size)
		return -ENOSPC;
	off = write_head(out, q, msg_flags);
	if (*truncated) {
		out[2] |= DNS_TC >> 8;
		memset(out + 6, 0, 6);
	} else {
		memcpy(out + 6, msg + 6, 6);
		memcpy(out + off, msg + ix->body_off, body_len);
		for (i = 0; i < ix->ttl_count; i++) {
			uint32_t ttl = get32(msg + ix->ttl_off[i]);

			ttl = how->stale_ttl ? how->stale_ttl : ttl > how->age_sec ? ttl - how->age_sec : 0;
			put32(out + off + ix->ttl_off[i] - ix->body_off, ttl);
		}
		off += body_len;
	}
	if (opt) {
		write_opt(out + off, q, how->our_udp_size);
		put16(out + 10, get16(out + 10) + 1);
		off += opt;
	}
	return off;
}

int xdpdns_answer_write_rcode(uint8_t *out, size_t size, const struct xdpdns_query *q,
			      uint8_t rcode, uint16_t our_udp_size)
{
	size_t len = DNS_HDR_LEN + XDPDNS_QUERY_QUESTION_LEN(q) + (q->edns ? XDPDNS_OPT_LEN : 0);
	size_t off;

	if (len > size)
		return -ENOSPC;
	off = write_head(out, q, rcode & DNS_RCODE);
	memset(out + 6, 0, 6);
	if (q->edns) {
		write_opt(out + off, q, our_udp_size);
		put16(out + 10, 1);
		off += XDPDNS_OPT_LEN;
	}
	return off;
}
