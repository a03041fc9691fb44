/* SPDX-License-Identifier: GPL-2.0 */
/* Internet checksum (RFC 1071) arithmetic for building the response; BPF only.
 * The UDP checksum is summed as 16-bit big-endian word values in two accumulators: bytes at even
 * offsets of the UDP segment go to csum.even as they are; pieces that start at odd offsets are
 * summed as if they started at an even one and go to csum.odd, which is byte-swapped at the end
 * (a ones' complement sum commutes with swapping bytes, RFC 1071 2(B)).
 */
#ifndef XDPDNS_CSUM_H
#define XDPDNS_CSUM_H

#include <linux/types.h>

struct csum {
	__u64 even;
	__u64 odd;
};

static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* RFC 1624 eqn. 3: a 16-bit field of a summed header changes from old to new. */
static __always_inline __u64 csum_replace(__u64 sum, __u16 old, __u16 new)
{
	return sum + (__u16)~old + new;
}

/* Adds a 16-bit word value (or a pre-summed piece) that starts at segment offset off. */
static __always_inline void csum_add_at(struct csum *cs, __u32 off, __u32 value)
{
	if (off & 1)
		cs->odd += value;
	else
		cs->even += value;
}

/* The value to store in the checksum field, in host order. */
static __always_inline __u16 csum_finish(const struct csum *cs)
{
	__u16 odd = csum_fold(cs->odd);
	__u16 sum = csum_fold((__u64)csum_fold(cs->even) + (__u16)((odd << 8) | (odd >> 8)));

	return sum == 0xffff ? 0xffff : (__u16)~sum; /* UDP sends a zero sum as 0xffff */
}

#endif /* XDPDNS_CSUM_H */
