/* SPDX-License-Identifier: GPL-2.0 */
/* Builds kernel cache entries (xdpdns_kern_user.h layout) from DNS responses parsed by ldns,
 * and turns them back into answers. */
#ifndef XDPDNS_CACHE_ENTRY_H
#define XDPDNS_CACHE_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "xdpdns_kern_user.h"

/* A key and a value ready for the map of class cls. */
struct xdpdns_entry_buf {
	struct xdpdns_cache_key key;
	enum xdpdns_cache_class cls;
	uint32_t value_len; /* value size of the class's map */
	union {
		struct xdpdns_cache_entry entry;
		uint8_t bytes[XDPDNS_CLASS_L_VALUE_LEN];
	} value;
};

/* CLOCK_BOOTTIME in ns: the kernel's bpf_ktime_get_boot_ns(), the clock of stored_ns. */
uint64_t xdpdns_boottime_ns(void);

/* What xdpdns_entry_build() needs besides the response. */
struct xdpdns_entry_meta {
	uint64_t hash_seed; /* xdpdns_config.hash_seed of the maps it goes to */
	uint64_t stored_ns; /* CLOCK_BOOTTIME ns when the answer arrived */
	uint32_t ttl_sec;   /* fresh lifetime, chosen by the caller */
	uint8_t key_flags;  /* XDPDNS_KEY_DO / XDPDNS_KEY_CD of the query it answers */
};

/* Builds the entry for resp, a NOERROR or NXDOMAIN answer to one question of class IN.
 * Returns 0, -EINVAL if resp is not an answer the kernel may serve (rcode, TC, question count
 * or class),
 * -E2BIG if it has more than XDPDNS_ENTRY_TTLS_MAX records or fits no class,
 * -ENOMEM. The response's OPT record is left out: the kernel writes its own. */
int xdpdns_entry_build(const ldns_pkt *resp, const struct xdpdns_entry_meta *meta,
		       struct xdpdns_entry_buf *out);

/* The key of an answer to (name, qtype) for a query with key_flags, in maps whose config has
 * hash_seed: how the daemon fills the cache, and how a snapshot is re-keyed on load. name is
 * the lowercased wire name. */
void xdpdns_entry_key(struct xdpdns_cache_key *key, uint64_t hash_seed, const uint8_t *name,
		      size_t name_len, uint16_t qtype, uint8_t key_flags);

/* The inverse of xdpdns_entry_build(): the answer e holds, in wire form, as
 * xdpdns_answer_copy() made it (ID 0, no EDNS, the question lowercased, the TTLs as at fill
 * time, not aged). e must be valid for its class (as the daemon stores them, or as a
 * snapshot load checks them). Returns the length, or -ENOSPC when size is too small;
 * XDPDNS_ENTRY_WIRE_MAX_LEN always suffices. */
#define XDPDNS_ENTRY_WIRE_MAX_LEN (12 + XDPDNS_NAME_MAX_LEN + 4 + XDPDNS_CLASS_L_VALUE_LEN)
int xdpdns_entry_answer(const struct xdpdns_cache_entry *e, const struct xdpdns_cache_key *key,
			uint8_t *wire, size_t size);

/* A copy of resp without EDNS (ldns remembers an OPT it parsed even with its fields cleared),
 * ID 0, AA=0 and RA=1 (a cache's answer), and the question name lowercased: what the caches
 * keep. In a kernel entry, the body's
 * compression pointers may point into the question, which keeps its length in every response.
 * NULL when out of memory. */
ldns_pkt *xdpdns_answer_copy(const ldns_pkt *resp);

/* The class an entry with this body and name lengths goes to, or -E2BIG. */
int xdpdns_entry_class(size_t body_len, size_t name_len);

/* Value size of a class's map. */
uint32_t xdpdns_class_value_len(enum xdpdns_cache_class cls);

/* "S", "M" or "L", as xdpdnsctl, the logs and the metrics name a class; "?" out of range. */
const char *xdpdns_class_name(enum xdpdns_cache_class cls);

/* Folded ones' complement sum of 16-bit big-endian words from buf[0] (RFC 1071), for the body
 * checksum the kernel starts from. */
uint16_t xdpdns_csum16(const uint8_t *buf, size_t len);

#endif /* XDPDNS_CACHE_ENTRY_H */
