/* SPDX-License-Identifier: GPL-2.0 */
/* DNS messages in wire form: the daemon's hot path, which answers a cached name without ldns
 * (a query parsed just enough to key and answer it; the answer written from the cached message
 * with the query's ID, question and flags, TTLs aged at offsets found when it was stored), and
 * the guard in front of ldns for bytes from the network. Shared by the daemon and the tests. */
#ifndef XDPDNS_WIRE_H
#define XDPDNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#define XDPDNS_DNS_HDR_LEN 12
#define XDPDNS_UDP_PLAIN_LEN 512 /* a UDP answer without EDNS, RFC 1035 4.2.1 */
#define XDPDNS_OPT_LEN 11        /* our OPT record: root, type, size, TTL, no options */
#define XDPDNS_FLAG_CD 0x0010    /* checking disabled, in the header's flags word */

/* ldns_wire2pkt() for bytes from the network. ldns 1.8.3 keeps only the last TSIG record of a
 * message and leaks the others (found by tests/fuzz): a message with more than one TSIG, or a
 * TSIG that is not the last record (RFC 8945 5.1: both are FORMERR), is refused here, as is
 * anything whose records do not walk to the end of the counts. Returns ldns's status, or
 * LDNS_STATUS_WIRE_RDATA_ERR for what this refuses. */
ldns_status xdpdns_wire2pkt(ldns_pkt **pkt, const uint8_t *wire, size_t len);

/* ---- queries ---- */

enum xdpdns_query_verdict {
	XDPDNS_QUERY_OK,   /* a plain query the cache can answer: *q is filled */
	XDPDNS_QUERY_DROP, /* no answer at all: shorter than a header, or a response (QR=1) */
	XDPDNS_QUERY_SLOW, /* anything else (another opcode, class, EDNS version, counts, trailing
			    * bytes, options we do not read...): ldns decides, FORMERR and all */
};

/* A query the cache can answer, pointing into the caller's buffer. */
struct xdpdns_query {
	const uint8_t *wire;  /* the whole query */
	uint16_t id;
	uint16_t flags;       /* the header's flags word as sent */
	uint16_t qtype;
	uint16_t name_len;    /* wire length of the question name, 1..255 */
	uint16_t udp_size;    /* the client's EDNS payload size as sent; 0 without EDNS */
	bool edns;            /* it had an OPT record (version 0) */
	bool do_bit;          /* DNSSEC OK in it */
};

/* The question: name as sent (0x20 case kept), type and class, at wire + 12. */
#define XDPDNS_QUERY_QUESTION_LEN(q) ((size_t)(q)->name_len + 4)

/* Parses wire just enough to key and answer it: one question of class IN with an uncompressed
 * name, no answer or authority records, at most one additional record which is an OPT of version
 * 0 owned by the root, nothing after. */
enum xdpdns_query_verdict xdpdns_query_parse(const uint8_t *wire, size_t len,
					     struct xdpdns_query *q);

/* The largest UDP answer for a client that asked with EDNS size client_size (edns false: none):
 * its size (512 without, never less: RFC 6891 6.2.5), and never more than ours (the DNS flag day
 * 2020 size, edns-udp-size), so answers do not fragment. The one rule of every UDP answer the
 * daemon writes, from its cache or through ldns. */
size_t xdpdns_udp_limit(bool edns, uint16_t client_size, uint16_t our_udp_size);

/* xdpdns_udp_limit() for q. */
size_t xdpdns_query_udp_limit(const struct xdpdns_query *q, uint16_t our_udp_size);

/* ---- cached answers ---- */

/* Where the TTLs of a cached message are (every record of every section), found once when it is
 * stored. A message with more records than this is answered through ldns. */
#define XDPDNS_ANSWER_TTLS_MAX 64

struct xdpdns_answer_index {
	uint16_t body_off;  /* end of the question: where the records start */
	uint16_t ttl_count;
	uint16_t ttl_off[XDPDNS_ANSWER_TTLS_MAX]; /* from the start of the message */
};

/* Indexes a cached message (a response with one question and no OPT, as the caches keep it).
 * Returns 0, -E2BIG with more than XDPDNS_ANSWER_TTLS_MAX records, -EINVAL if it is not such a
 * message. */
int xdpdns_answer_index(const uint8_t *msg, size_t len, struct xdpdns_answer_index *ix);

/* How to answer. */
struct xdpdns_answer_how {
	uint32_t age_sec;      /* subtracted from every TTL (down to 0) */
	uint32_t stale_ttl;    /* non-zero: every TTL is this instead (RFC 8767) */
	uint16_t our_udp_size; /* in our OPT, and the cap of UDP answers */
	bool tcp;              /* no UDP size limit */
};

/* Writes into out the answer to q from msg, a cached message indexed as ix: q's ID, question
 * (as sent) and RD and CD; the message's rcode and records; RA=1, AA=0; AD only when q asked
 * with AD or DO (RFC 6840 5.7-5.8); our OPT when q had one, DO echoed. Over UDP, an answer
 * bigger than the client takes goes out with no records and TC=1, as does one over TCP longer
 * than TCP's length prefix can say (65535). Returns the length, or
 * -ENOSPC when size is too small (XDPDNS_DNS_HDR_LEN + question + msg_len + XDPDNS_OPT_LEN
 * always suffices). Sets *truncated when it cut the answer. */
int xdpdns_answer_write(uint8_t *out, size_t size, const struct xdpdns_query *q,
			const uint8_t *msg, size_t msg_len, const struct xdpdns_answer_index *ix,
			const struct xdpdns_answer_how *how, bool *truncated);

/* Writes an answer to q with no records and rcode (SERVFAIL, REFUSED...): header, question,
 * our OPT if q had one. Returns the length or -ENOSPC. */
int xdpdns_answer_write_rcode(uint8_t *out, size_t size, const struct xdpdns_query *q,
			      uint8_t rcode, uint16_t our_udp_size);

#endif /* XDPDNS_WIRE_H */
