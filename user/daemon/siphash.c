// SPDX-License-Identifier: GPL-2.0
/* SipHash-2-4 as the paper describes it ("SipHash: a fast short-input PRF", INDOCRYPT 2012). */
#include <errno.h>
#include <sys/random.h>
#include "siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* little-endian, whatever the host */
static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* one message word: two compression rounds */
static void compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
}

uint64_t xdpdns_siphash(const struct xdpdns_siphash_key *key, const void *data, size_t len)
{
	uint64_t v[4] = { key->k0 ^ 0x736f6d6570736575ULL, key->k1 ^ 0x646f72616e646f6dULL,
			  key->k0 ^ 0x6c7967656e657261ULL, key->k1 ^ 0x7465646279746573ULL };
	const uint8_t *p = data;
	uint64_t last = (uint64_t)len << 56; /* the length's low byte ends the last word */
	size_t i, tail = len % 8;

	for (i = 0; i + 8 <= len; i += 8)
		compress(v, le64(p + i));
	while (tail--)
		last |= (uint64_t)p[i + tail] << (8 * tail);
	compress(v, last);
	v[2] ^= 0xff; /* finalisation: four rounds */
	sipround(v);
	sipround(v);
	sipround(v);
	sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int xdpdns_siphash_key_new(struct xdpdns_siphash_key *key)
{
	uint8_t b[16];
	ssize_t n = getrandom(b, sizeof(b), 0);

	if (n < 0)
		return -errno;
	if (n != sizeof(b))
		return -EIO;
	key->k0 = le64(b);
	key->k1 = le64(b + 8);
	return 0;
}
