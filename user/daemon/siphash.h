/* SPDX-License-Identifier: GPL-2.0 */
/* SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash for the daemon's tables whose keys
 * come from clients (the cache, the resolutions in flight, the guard). With a key drawn at
 * start, a client cannot compute which names share a bucket, so it cannot make one bucket a
 * long list that every lookup walks. 64-bit output, as in the reference implementation. */
#ifndef XDPDNS_SIPHASH_H
#define XDPDNS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct xdpdns_siphash_key {
	uint64_t k0, k1; /* the 16 key bytes, little-endian halves */
};

/* A new random key (getrandom). Returns 0 or -errno. */
int xdpdns_siphash_key_new(struct xdpdns_siphash_key *key);

uint64_t xdpdns_siphash(const struct xdpdns_siphash_key *key, const void *data, size_t len);

#endif /* XDPDNS_SIPHASH_H */
