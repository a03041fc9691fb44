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
#include "csum.h"

#define DNS_HDR_LEN   12
#define DNS_QR        0x8000
#define DNS_OPCODE    0x7800
#define DNS_AA        0x0400
#define DNS_TC        0x0200
#define DNS_RD        0x0100
#define DNS_RA        0x0080
#define DNS_AD        0x0020
#define DNS_CD        0x0010
#define DNS_RCODE     0x000f
#define DNS_EDNS_DO   0x8000 /* in the OPT TTL's low 16 bits */
#define DNS_OPT_LEN   11     /* OPT RR without options: root, type, class, TTL, rdlen */

#define DNS_TYPE_OPT  41
#define DNS_TYPE_IXFR 251 /* 251..255: IXFR, AXFR, MAILB, MAILA, ANY */
#define DNS_TYPE_ANY  255
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

/* Header: a plain query with one question and at most one additional record (the OPT).
 * QR=1 never gets here: parse_packet() drops it from the frame. */
static __always_inline int dns_parse_header(const __u8 *q, struct dns_query *dq)
{
	dq->flags = get16(q, 2);
	if (dq->flags & (DNS_OPCODE | DNS_TC))
		return -XDPDNS_PASS_DNS_HEADER;
	if (get16(q, 4) != 1 || get16(q, 6) != 0 || get16(q, 8) != 0 || get16(q, 10) > 1)
		return -XDPDNS_PASS_DNS_HEADER;
	if (dq->flags & DNS_CD)
		dq->key_flags |= XDPDNS_KEY_CD;
	return 0;
}

/* Lowercases the bytes of w that are 'A'..'Z', eight at a time. Safe on a whole wire name:
 * length bytes are at most 63 and never in that range. */
static __always_inline __u64 lower8(__u64 w)
{
	__u64 low7 = w & 0x7f7f7f7f7f7f7f7fULL; /* no carry can cross a byte below */
	__u64 ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL; /* bit 7 set where byte >= 'A' */
	__u64 gt_z = low7 + 0x2525252525252525ULL; /* bit 7 set where byte > 'Z' */

	return w | ((ge_a & ~gt_z & ~w & 0x8080808080808080ULL) >> 2);
}

/* The question name: walks the labels to find its length, then takes it a word at a time:
 * lowercased into name (zero past the end), hashed, and summed as sent for the checksum. */
static __always_inline int dns_parse_name(const __u8 *q, __u32 len, __u64 seed,
					  struct dns_query *dq, __u64 *name)
{
	__u32 pos = DNS_HDR_LEN, name_len, i;
	__u64 h = seed, sum = 0;

	/* at most 128 labels fit in 255 bytes */
	for (i = 0; i < (XDPDNS_NAME_MAX_LEN + 1) / 2; i++) {
		__u8 c;

		if (pos >= len)
			return -XDPDNS_PASS_QNAME; /* name runs past the payload */
		c = q[Q(pos)];
		if (c == 0)
			break;
		/* 0xc0 is a compression pointer, 0x40 and 0x80 reserved label types */
		if (c > XDPDNS_LABEL_MAX_LEN)
			return -XDPDNS_PASS_QNAME;
		pos += c + 1;
		if (pos - DNS_HDR_LEN >= XDPDNS_NAME_MAX_LEN)
			return -XDPDNS_PASS_QNAME; /* no room left for the root label */
	}
	if (pos >= len || q[Q(pos)] != 0) /* for the verifier: the loop ended on the root */
		return -XDPDNS_PASS_QNAME;
	name_len = pos - DNS_HDR_LEN + 1;
	*dq->name_len_slot = name_len;

	for (i = 0; i < XDPDNS_NAME_WORDS; i++) {
		__u32 off = i * 8;
		__u64 w;

		if (off >= name_len)
			break;
		w = *(const __u64 *)(q + DNS_HDR_LEN + off);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		w = __builtin_bswap64(w); /* the hash is defined on little-endian words */
#endif
		if (name_len - off < 8)
			w &= (1ULL << ((name_len - off) * 8)) - 1;
		sum += (w & 0xffffffff) + (w >> 32);
		w = lower8(w);
		name[i] = w;
		h = xdpdns_hash_word(h, w);
	}
	/* the words were little-endian: fold, and swap into a sum of big-endian words */
	dq->name_sum = (__u16)__builtin_bswap16(csum_fold(sum));
	dq->name_hash = h;
	return 0;
}

/* qtype and qclass: only IN, and no meta or zone-transfer types. */
static __always_inline int dns_parse_qtype(const __u8 *q, __u32 len, struct dns_query *dq)
{
	__u32 off = DNS_HDR_LEN + dq->name_len;

	if (off + 4 > len)
		return -XDPDNS_PASS_QNAME;
	dq->qtype = get16(q, off);
	if (dq->qtype == 0 || dq->qtype == DNS_TYPE_OPT ||
	    (dq->qtype >= DNS_TYPE_IXFR && dq->qtype <= DNS_TYPE_ANY))
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
