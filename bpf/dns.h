/* SPDX-License-Identifier: GPL-2.0 */
/* DNS query parsing for the fast path, on the per-CPU copy of the payload; BPF only.
 * Returns 0 or a negative enum xdpdns_reason. Offsets into the copy are masked with
 * (XDPDNS_QUERY_MAX_LEN - 1) for the verifier; real offsets are checked against the payload
 * length first, so the mask never changes one.
 */
#ifndef XDPDNS_DNS_H
#define XDPDNS_DNS_H

#include <linux/types.h>
#include "xdpdns_kern_user.h"

#define DNS_HDR_LEN   12
#define DNS_QR        0x8000
#define DNS_OPCODE    0x7800
#define DNS_AA        0x0400
#define DNS_TC        0x0200
#define DNS_RD        0x0100
#define DNS_AD        0x0020
#define DNS_CD        0x0010
#define DNS_RCODE     0x000f
#define DNS_EDNS_DO   0x8000 /* in the OPT TTL's low 16 bits */
#define DNS_OPT_LEN   11     /* OPT RR without options: root, type, class, TTL, rdlen */

#define DNS_TYPE_OPT  41
#define DNS_TYPE_IXFR 251 /* 251..255: IXFR, AXFR, MAILB, MAILA, ANY */
#define DNS_CLASS_IN  1
#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_NXDOMAIN 3
#define EDNS_OPT_COOKIE  10
#define EDNS_OPT_PADDING 12

#define Q(off) ((off) & (XDPDNS_QUERY_MAX_LEN - 1)) /* for the verifier */

struct dns_query {
	__u64 name_hash;  /* xdpdns_name_hash of the lowercased name */
	__u32 name_sum;   /* checksum words of the name as sent, from an even offset */
	__u16 *name_len_slot; /* where dns_parse_name leaves the length: map memory */
	__u16 flags;      /* header flags word */
	__u16 qtype;
	__u16 name_len;   /* wire length */
	__u16 udp_size;   /* client's EDNS payload size; 0 without EDNS */
	__u8 edns;        /* query had an OPT RR */
	__u8 key_flags;   /* XDPDNS_KEY_* */
};

static __always_inline __u16 get16(const __u8 *q, __u32 off)
{
	return (__u16)q[Q(off)] << 8 | q[Q(off + 1)];
}

/* Header: a plain query with one question and at most one additional record (the OPT). */
static __always_inline int dns_parse_header(const __u8 *q, struct dns_query *dq)
{
	dq->flags = get16(q, 2);
	if (dq->flags & DNS_QR)
		return -XDPDNS_DROP_RESPONSE; /* a response sent to the service: reflection bait */
	if (dq->flags & (DNS_OPCODE | DNS_TC))
		return -XDPDNS_PASS_DNS_HEADER;
	if (get16(q, 4) != 1 || get16(q, 6) != 0 || get16(q, 8) != 0 || get16(q, 10) > 1)
		return -XDPDNS_PASS_DNS_HEADER;
	if (dq->flags & DNS_CD)
		dq->key_flags |= XDPDNS_KEY_CD;
	return 0;
}

/* Walks the question name once: checks labels, lowercases the copy in place (the packet keeps
 * the client's case), hashes it and sums the bytes as sent for the checksum. */
static __always_inline int dns_parse_name(__u8 *q, __u32 len, __u64 seed, struct dns_query *dq)
{
	__u64 h = xdpdns_hash_init(seed);
	__u32 sum = 0, next_label = 0, i;

	for (i = 0; i < XDPDNS_NAME_MAX_LEN; i++) {
		__u32 off = DNS_HDR_LEN + i;
		__u8 c;

		if (off >= len)
			return -XDPDNS_PASS_QNAME; /* name runs past the payload */
		c = q[Q(off)];
		/* the question starts at an even offset: even bytes are high halves of words */
		sum += (__u32)c << ((~i & 1) << 3);
		if (i == next_label) {
			if (c == 0) {
				*dq->name_len_slot = i + 1;
				dq->name_hash = xdpdns_hash_byte(h, 0);
				dq->name_sum = sum;
				return 0;
			}
			/* 0xc0 is a compression pointer, 0x40 and 0x80 reserved label types */
			if (c > XDPDNS_LABEL_MAX_LEN)
				return -XDPDNS_PASS_QNAME;
			next_label = i + c + 1;
		} else if (c >= 'A' && c <= 'Z') {
			c |= 0x20;
			q[Q(off)] = c;
		}
		h = xdpdns_hash_byte(h, c);
	}
	return -XDPDNS_PASS_QNAME; /* no root label within 255 bytes */
}

/* qtype and qclass: only IN, and no meta or zone-transfer types. */
static __always_inline int dns_parse_qtype(const __u8 *q, __u32 len, struct dns_query *dq)
{
	__u32 off = DNS_HDR_LEN + dq->name_len;

	if (off + 4 > len)
		return -XDPDNS_PASS_QNAME;
	dq->qtype = get16(q, off);
	if (dq->qtype == 0 || dq->qtype == DNS_TYPE_OPT || dq->qtype >= DNS_TYPE_IXFR)
		return -XDPDNS_PASS_QTYPE;
	if (get16(q, off + 2) != DNS_CLASS_IN)
		return -XDPDNS_PASS_QTYPE;
	return 0;
}

/* The rest of the payload: nothing, or exactly one OPT RR (RFC 6891) at version 0 whose options
 * are only COOKIE or PADDING. Those are ignored, as RFC 7873 5.2 lets a server without cookie
 * support do; anything else (ECS, unknown options) needs the daemon. */
static __always_inline int dns_parse_opt(const __u8 *q, __u32 len, struct dns_query *dq,
					 __u16 arcount)
{
	__u32 off = DNS_HDR_LEN + dq->name_len + 4;
	__u32 end, i;

	if (!arcount)
		return off == len ? 0 : -XDPDNS_PASS_TRAILING;
	if (off + DNS_OPT_LEN > len)
		return -XDPDNS_PASS_EDNS;
	if (q[Q(off)] != 0 || get16(q, off + 1) != DNS_TYPE_OPT)
		return -XDPDNS_PASS_EDNS; /* the one additional record is not an OPT */
	if (q[Q(off + 5)] != 0 || q[Q(off + 6)] != 0)
		return -XDPDNS_PASS_EDNS; /* extended rcode bits or version != 0: BADVERS */
	dq->edns = 1;
	dq->udp_size = get16(q, off + 3);
	if (get16(q, off + 7) & DNS_EDNS_DO)
		dq->key_flags |= XDPDNS_KEY_DO;
	end = off + DNS_OPT_LEN + get16(q, off + 9);
	if (end != len)
		return end > len ? -XDPDNS_PASS_EDNS : -XDPDNS_PASS_TRAILING;

	off += DNS_OPT_LEN;
	for (i = 0; i < XDPDNS_EDNS_OPTS_MAX; i++) {
		__u16 code;

		if (off == end)
			return 0;
		if (off + 4 > end)
			return -XDPDNS_PASS_EDNS;
		code = get16(q, off);
		if (code != EDNS_OPT_COOKIE && code != EDNS_OPT_PADDING)
			return -XDPDNS_PASS_EDNS;
		off += 4 + get16(q, off + 2);
	}
	return off == end ? 0 : -XDPDNS_PASS_EDNS;
}

#endif /* XDPDNS_DNS_H */
