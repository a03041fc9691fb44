/* SPDX-License-Identifier: GPL-2.0 */
/* What the libFuzzer harnesses in tests/fuzz/ share: a failed invariant aborts (libFuzzer saves
 * the input as crash-*), and the checks of a kernel cache entry built from an answer. */
#ifndef XDPDNS_FUZZ_H
#define XDPDNS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ldns/ldns.h>
#include "cache_entry.h"

/* An invariant that does not hold: says which, and aborts for libFuzzer to keep the input. */
#define FUZZ_CHECK(cond, ...)                                                                 \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                         \
			fputc('\n', stderr);                                                  \
			abort();                                                              \
		}                                                                             \
	} while (0)

/* libFuzzer's entry points (no header of its own in C). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* b, built by xdpdns_entry_build(resp, meta, b) with success, holds resp as the kernel must
 * serve it: the class fits, every TTL offset points at its record's TTL, the body checksum is
 * the body's with TTLs zeroed, the key is the lowercased question's, and xdpdns_entry_answer()
 * gives back xdpdns_answer_copy(resp) record for record. Aborts otherwise. */
void fuzz_check_entry(const ldns_pkt *resp, const struct xdpdns_entry_meta *meta,
		      const struct xdpdns_entry_buf *b);

#endif /* XDPDNS_FUZZ_H */
