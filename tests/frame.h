/* SPDX-License-Identifier: GPL-2.0 */
/* Test frames: wraps a DNS payload in Ethernet/VLAN/IP/UDP and parses replies, checking every
 * length and checksum with its own RFC 1071 code (independent of the XDP program's). */
#ifndef XDPDNS_TEST_FRAME_H
#define XDPDNS_TEST_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX_LEN 4096

struct frame_spec {
	int ipv6;
	int vlans;             /* VLAN tags before the IP header, 0..3 */
	const char *src, *dst; /* IP literals; default client and service addresses */
	uint16_t sport, dport; /* default 40000 -> 53 */
	int ip_options_len;    /* IPv4 option bytes (multiple of 4) */
	size_t min_frame_len;  /* Ethernet padding up to this length */
	int udp_csum_zero;     /* IPv4: send no UDP checksum */
	int udp_csum_partial;  /* only the pseudo-header sum, as a local sender with checksum
				* offload leaves it (CHECKSUM_PARTIAL over a veth) */
};

/* Returns the frame length. */
size_t frame_build(uint8_t *buf, const struct frame_spec *spec, const uint8_t *dns, size_t len);

struct frame_view {
	int ipv6, vlans;
	uint16_t vlan_tci[3];
	uint8_t dmac[6], smac[6];
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint8_t ttl;
	uint16_t udp_csum;
	const uint8_t *dns;
	size_t dns_len;
	size_t l3_off, dns_off;
};

/* Parses a frame built like frame_build's. Returns NULL on success or what is wrong with it:
 * a length that does not add up or a checksum that does not verify. */
const char *frame_parse(const uint8_t *buf, size_t len, struct frame_view *v);

/* frame_parse() with FRAME_* flags: a received frame, to find the query in, not a reply. */
#define FRAME_PADDED   0x1 /* Ethernet padding after the IP packet allowed */
#define FRAME_ANY_CSUM 0x2 /* the UDP checksum is not verified (offload leaves a partial one) */
/* a reply that stays CHECKSUM_PARTIAL (TC, generic XDP): its UDP checksum field must hold the
 * pseudo-header sum, not complemented, for whoever completes it */
#define FRAME_PARTIAL_CSUM 0x4
const char *frame_parse_flags(const uint8_t *buf, size_t len, struct frame_view *v,
			      unsigned int flags);

/* RFC 1071 over buf, folded, not complemented; initial is a partial sum. */
uint32_t inet_sum(const uint8_t *buf, size_t len, uint32_t initial);

extern const uint8_t frame_client_mac[6], frame_server_mac[6];
#define FRAME_CLIENT4 "198.51.100.7"
#define FRAME_SERVICE4 "192.0.2.53"
#define FRAME_CLIENT6 "2001:db8:1::7"
#define FRAME_SERVICE6 "2001:db8::53"

#endif /* XDPDNS_TEST_FRAME_H */
