// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: kernel cache entries (user/lib/cache_entry.c). The input is a DNS response in wire form;
 * what ldns parses is built into an entry with xdpdns_entry_build(), which must succeed or
 * refuse with -EINVAL or -E2BIG, and an entry it builds must hold the answer exactly, TTL
 * offsets and checksum included, and turn back into it with xdpdns_entry_answer()
 * (fuzz_check_entry()). Seeds: tests/fuzz/corpus/cache_entry/. */
#include <errno.h>
#include <string.h>
#include "fuzz.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xdpdns_entry_buf b;
	struct xdpdns_entry_meta meta = {
		.hash_seed = 0x5eed5eed5eed5eedULL,
		.stored_ns = 1000000000ULL,
		.ttl_sec = 300,
		.key_flags = size > 1 ? data[1] & (XDPDNS_KEY_DO | XDPDNS_KEY_CD) : 0, /* from the ID */
	};
	ldns_pkt *resp = NULL;
	int err;

	if (xdpdns_wire2pkt(&resp, data, size) != LDNS_STATUS_OK)
		return 0;
	err = xdpdns_entry_build(resp, &meta, &b);
	FUZZ_CHECK(!err || err == -EINVAL || err == -E2BIG, "xdpdns_entry_build: %s",
		   strerror(-err));
	if (!err)
		fuzz_check_entry(resp, &meta, &b);
	ldns_pkt_free(resp);
	return 0;
}
