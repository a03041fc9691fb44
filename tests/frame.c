// SPDX-License-Identifier: GPL-2.0
/* Test frames, built and parsed with plain byte arithmetic and packed header structs. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include "frame.h"

const uint8_t frame_client_mac[6] = { 0x02, 0, 0, 0, 0, 0x07 };
const uint8_t frame_server_mac[6] = { 0x02, 0, 0, 0, 0, 0x53 };

uint32_t inet_sum(const uint8_t *buf, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint32_t pseudo_sum(int ipv6, const uint8_t *src, const uint8_t *dst, size_t udp_len)
{
	size_t alen = ipv6 ? 16 : 4;
	uint32_t sum = inet_sum(src, alen, 0);

	sum = inet_sum(dst, alen, sum);
	return sum + IPPROTO_UDP + (uint32_t)udp_len;
}

size_t frame_build(uint8_t *buf, const struct frame_spec *spec, const uint8_t *dns, size_t len)
{
	const char *src = spec->src ? spec->src : spec->ipv6 ? FRAME_CLIENT6 : FRAME_CLIENT4;
	const char *dst = spec->dst ? spec->dst : spec->ipv6 ? FRAME_SERVICE6 : FRAME_SERVICE4;
	uint8_t saddr[16] = { 0 }, daddr[16] = { 0 };
	struct udphdr udp = { 0 };
	size_t off = 12, udp_len = sizeof(udp) + len;
	int i;

	memset(buf, 0, FRAME_MAX_LEN);
	memcpy(buf, frame_server_mac, 6);
	memcpy(buf + 6, frame_client_mac, 6);
	for (i = 0; i < spec->vlans; i++) {
		uint16_t tpid = htons(i == 0 && spec->vlans > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		uint16_t tci = htons(100 + i);

		memcpy(buf + off, &tpid, 2);
		memcpy(buf + off + 2, &tci, 2);
		off += 4;
	}
	uint16_t proto = htons(spec->ipv6 ? ETH_P_IPV6 : ETH_P_IP);
	memcpy(buf + off, &proto, 2);
	off += 2;

	if (spec->ipv6) {
		struct ipv6hdr ip6 = { 0 }; /* built aligned: buf + off is not */

		inet_pton(AF_INET6, src, saddr);
		inet_pton(AF_INET6, dst, daddr);
		ip6.version = 6;
		ip6.payload_len = htons(udp_len);
		ip6.nexthdr = IPPROTO_UDP;
		ip6.hop_limit = 64;
		memcpy(&ip6.saddr, saddr, 16);
		memcpy(&ip6.daddr, daddr, 16);
		memcpy(buf + off, &ip6, sizeof(ip6));
		off += sizeof(ip6);
	} else {
		struct iphdr ip = { 0 }; /* built aligned: buf + off is not */
		size_t hlen = sizeof(ip) + spec->ip_options_len;

		inet_pton(AF_INET, src, saddr);
		inet_pton(AF_INET, dst, daddr);
		ip.version = 4;
		ip.ihl = hlen / 4;
		ip.tot_len = htons(hlen + udp_len);
		ip.id = htons(0x1234);
		ip.ttl = 64;
		ip.protocol = IPPROTO_UDP;
		memcpy(&ip.saddr, saddr, 4);
		memcpy(&ip.daddr, daddr, 4);
		memcpy(buf + off, &ip, sizeof(ip));
		memset(buf + off + sizeof(ip), 1, spec->ip_options_len); /* NOP options */
		ip.check = htons(~inet_sum(buf + off, hlen, 0) & 0xffff);
		memcpy(buf + off, &ip, sizeof(ip));
		off += hlen;
	}

	udp.source = htons(spec->sport ? spec->sport : 40000);
	udp.dest = htons(spec->dport ? spec->dport : 53);
	udp.len = htons(udp_len);
	memcpy(buf + off, &udp, sizeof(udp));
	memcpy(buf + off + sizeof(udp), dns, len);
	if (spec->udp_csum_partial) {
		udp.check = htons(inet_sum(NULL, 0, pseudo_sum(spec->ipv6, saddr, daddr, udp_len)));
	} else if (!spec->udp_csum_zero || spec->ipv6) {
		uint32_t sum = inet_sum(buf + off, udp_len, pseudo_sum(spec->ipv6, saddr, daddr, udp_len));
		uint16_t csum = ~sum & 0xffff;

		udp.check = htons(csum ? csum : 0xffff);
	}
	memcpy(buf + off, &udp, sizeof(udp));
	off += udp_len;
	return off < spec->min_frame_len ? spec->min_frame_len : off;
}

const char *frame_parse(const uint8_t *buf, size_t len, struct frame_view *v)
{
	return frame_parse_flags(buf, len, v, 0);
}

const char *frame_parse_flags(const uint8_t *buf, size_t len, struct frame_view *v,
			      unsigned int flags)
{
	size_t off = 12, udp_len, hlen;
	uint16_t proto;
	const uint8_t *udp;

	memset(v, 0, sizeof(*v));
	if (len < 14)
		return "frame shorter than Ethernet";
	memcpy(v->dmac, buf, 6);
	memcpy(v->smac, buf + 6, 6);
	proto = (uint16_t)buf[off] << 8 | buf[off + 1];
	while (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		if (v->vlans == 3 || off + 6 > len)
			return "too many VLAN tags";
		v->vlan_tci[v->vlans++] = (uint16_t)buf[off + 2] << 8 | buf[off + 3];
		off += 4;
		proto = (uint16_t)buf[off] << 8 | buf[off + 1];
	}
	off += 2;
	v->l3_off = off;

	if (proto == ETH_P_IPV6) {
		v->ipv6 = 1;
		if (off + 40 > len)
			return "truncated IPv6 header";
		if (buf[off + 6] != IPPROTO_UDP)
			return "IPv6 next header is not UDP";
		udp_len = (size_t)buf[off + 4] << 8 | buf[off + 5];
		v->ttl = buf[off + 7];
		memcpy(v->src, buf + off + 8, 16);
		memcpy(v->dst, buf + off + 24, 16);
		hlen = 40;
	} else if (proto == ETH_P_IP) {
		size_t tot;

		if (off + 20 > len)
			return "truncated IPv4 header";
		hlen = (buf[off] & 0xf) * 4;
		if (hlen < 20 || off + hlen > len)
			return "bad IPv4 header length";
		if (inet_sum(buf + off, hlen, 0) != 0xffff)
			return "bad IPv4 header checksum";
		tot = (size_t)buf[off + 2] << 8 | buf[off + 3];
		if (tot < hlen)
			return "IPv4 total length below header length";
		udp_len = tot - hlen;
		v->ttl = buf[off + 8];
		memcpy(v->src, buf + off + 12, 4);
		memcpy(v->dst, buf + off + 16, 4);
	} else {
		return "not IP";
	}
	if (flags & FRAME_PADDED ? off + hlen + udp_len > len : off + hlen + udp_len != len)
		return "IP length does not match the frame";
	udp = buf + off + hlen;
	if (udp_len < 8 || ((size_t)udp[4] << 8 | udp[5]) != udp_len)
		return "UDP length does not match IP";
	v->sport = (uint16_t)udp[0] << 8 | udp[1];
	v->dport = (uint16_t)udp[2] << 8 | udp[3];
	v->udp_csum = (uint16_t)udp[6] << 8 | udp[7];
	if (v->udp_csum == 0 && v->ipv6)
		return "IPv6 UDP checksum is zero";
	if (flags & FRAME_PARTIAL_CSUM) {
		if (v->udp_csum != inet_sum(NULL, 0, pseudo_sum(v->ipv6, v->src, v->dst, udp_len)))
			return "UDP checksum field is not the pseudo-header sum of a partial checksum";
	} else if (v->udp_csum && !(flags & FRAME_ANY_CSUM) &&
		   inet_sum(udp, udp_len, pseudo_sum(v->ipv6, v->src, v->dst, udp_len)) != 0xffff) {
		return "bad UDP checksum";
	}
	v->dns_off = off + hlen + 8;
	v->dns = buf + v->dns_off;
	v->dns_len = udp_len - 8;
	return NULL;
}
