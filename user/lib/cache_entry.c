// SPDX-License-Identifier: GPL-2.0
/* Builds kernel cache entries from DNS responses. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "cache_entry.h"

#define DNS_HDR_LEN 12

static const uint32_t class_value_len[XDPDNS_CLASS_COUNT] = {
	[XDPDNS_CLASS_S] = XDPDNS_CLASS_S_VALUE_LEN,
	[XDPDNS_CLASS_M] = XDPDNS_CLASS_M_VALUE_LEN,
	[XDPDNS_CLASS_L] = XDPDNS_CLASS_L_VALUE_LEN,
};

_Static_assert(sizeof(struct xdpdns_cache_entry) == XDPDNS_ENTRY_HDR_LEN, "entry header size");
_Static_assert(sizeof(struct xdpdns_cache_key) + 56 == XDPDNS_MAP_ELEM_OVERHEAD, "key size");

uint64_t xdpdns_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint32_t xdpdns_class_value_len(enum xdpdns_cache_class cls)
{
	return cls < XDPDNS_CLASS_COUNT ? class_value_len[cls] : 0;
}

const char *xdpdns_class_name(enum xdpdns_cache_class cls)
{
	static const char *const names[XDPDNS_CLASS_COUNT] = { "S", "M", "L" };

	return cls < XDPDNS_CLASS_COUNT ? names[cls] : "?";
}

int xdpdns_entry_class(size_t body_len, size_t name_len)
{
	/* the kernel reads the stored name in whole 64-bit words */
	size_t need = body_len + ((name_len + 7) & ~(size_t)7);
	int cls;

	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++)
		if (need <= XDPDNS_CLASS_DATA_LEN(class_value_len[cls]))
			return cls;
	return -E2BIG;
}

uint16_t xdpdns_csum16(const uint8_t *buf, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)p[0] << 8 | p[1];
}

ldns_pkt *xdpdns_answer_copy(const ldns_pkt *resp)
{
	static const ldns_pkt_section sections[] = { LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
						     LDNS_SECTION_ADDITIONAL };
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr *q;
	size_t s, i;

	if (!p)
		return NULL;
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, ldns_pkt_get_opcode(resp));
	/* a cache answers with recursion available and without authority, whatever the
	 * (possibly authoritative) upstream said */
	ldns_pkt_set_aa(p, false);
	ldns_pkt_set_rd(p, ldns_pkt_rd(resp));
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_ad(p, ldns_pkt_ad(resp));
	ldns_pkt_set_cd(p, ldns_pkt_cd(resp));
	ldns_pkt_set_rcode(p, ldns_pkt_get_rcode(resp));

	q = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(resp), 0));
	if (!q)
		goto err;
	ldns_dname2canonical(ldns_rr_owner(q));
	if (!ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q)) {
		ldns_rr_free(q);
		goto err;
	}
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		ldns_rr_list *list = ldns_pkt_get_section_clone(resp, sections[s]);

		if (!list)
			goto err;
		for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
			if (!ldns_pkt_push_rr(p, sections[s], ldns_rr_list_rr(list, i))) {
				ldns_rr_list_deep_free(list);
				goto err;
			}
			ldns_rr_list_set_rr(list, NULL, i); /* now p's */
		}
		ldns_rr_list_deep_free(list);
	}
	return p;
err:
	ldns_pkt_free(p);
	return NULL;
}

/* Records the body offset of every record's TTL, walking the wire form ldns produced. */
static int find_ttls(const uint8_t *wire, size_t size, size_t body_start, unsigned int count,
		     struct xdpdns_cache_entry *e)
{
	size_t pos = body_start;
	unsigned int i;

	if (count > XDPDNS_ENTRY_TTLS_MAX)
		return -E2BIG;
	for (i = 0; i < count; i++) {
		ldns_rdf *owner = NULL;

		if (ldns_wire2dname(&owner, wire, size, &pos) != LDNS_STATUS_OK)
			return -EINVAL;
		ldns_rdf_deep_free(owner);
		if (pos + 10 > size) /* type, class, TTL, rdlength */
			return -EINVAL;
		e->ttl_off[i] = pos + 4 - body_start;
		pos += 10 + get16(wire + pos + 8);
	}
	e->ttl_count = count;
	return pos == size ? 0 : -EINVAL;
}

void xdpdns_entry_key(struct xdpdns_cache_key *key, uint64_t hash_seed, const uint8_t *name,
		      size_t name_len, uint16_t qtype, uint8_t key_flags)
{
	memset(key, 0, sizeof(*key));
	key->name_hash = xdpdns_name_hash(hash_seed, name, name_len);
	key->qtype = qtype;
	key->name_len = name_len;
	key->flags = key_flags;
}

int xdpdns_entry_build(const ldns_pkt *resp, const struct xdpdns_entry_meta *meta,
		       struct xdpdns_entry_buf *out)
{
	ldns_rr *question;
	ldns_rdf *qname;
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL, *body, zeroed[4] = { 0 };
	struct xdpdns_cache_entry *e = &out->value.entry;
	size_t size, body_start, body_len, name_len, i;
	int cls, err;

	if (ldns_pkt_qdcount(resp) != 1 || ldns_pkt_tc(resp) ||
	    ldns_pkt_get_opcode(resp) != LDNS_PACKET_QUERY)
		return -EINVAL;
	if (ldns_pkt_get_rcode(resp) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(resp) != LDNS_RCODE_NXDOMAIN)
		return -EINVAL; /* SERVFAIL and the rest are the daemon's to answer */
	/* the key has no class: the kernel answers class IN only, and xdpdns_entry_answer()
	 * gives the question back as IN (found by tests/fuzz/fuzz_cache_entry.c) */
	question = ldns_rr_list_rr(ldns_pkt_question(resp), 0);
	if (!question || ldns_rr_get_class(question) != LDNS_RR_CLASS_IN)
		return -EINVAL;

	p = xdpdns_answer_copy(resp);
	if (!p)
		return -ENOMEM;
	if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK) {
		err = -ENOMEM;
		goto out;
	}

	question = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	qname = ldns_rr_owner(question);
	name_len = ldns_rdf_size(qname);
	body_start = DNS_HDR_LEN + name_len + 4;
	if (name_len > XDPDNS_NAME_MAX_LEN || body_start > size) {
		err = -EINVAL;
		goto out;
	}
	body = wire + body_start;
	body_len = size - body_start;
	cls = xdpdns_entry_class(body_len, name_len);
	if (cls < 0) {
		err = cls;
		goto out;
	}

	memset(out, 0, sizeof(*out));
	out->cls = cls;
	out->value_len = class_value_len[cls];
	err = find_ttls(wire, size, body_start,
			get16(wire + 6) + get16(wire + 8) + get16(wire + 10), e);
	if (err)
		goto out;

	xdpdns_entry_key(&out->key, meta->hash_seed, ldns_rdf_data(qname), name_len,
			 ldns_rr_get_type(question), meta->key_flags);

	e->stored_ns = meta->stored_ns;
	e->ttl_sec = meta->ttl_sec;
	e->dns_flags = get16(wire + 2);
	e->ancount = get16(wire + 6);
	e->nscount = get16(wire + 8);
	e->arcount = get16(wire + 10);
	e->body_len = body_len;
	memcpy(e->data, body, body_len);
	memcpy(e->data + body_len, ldns_rdf_data(qname), name_len);

	/* the kernel adds each aged TTL to a sum taken with the TTLs zeroed */
	for (i = 0; i < e->ttl_count; i++)
		memcpy(body + e->ttl_off[i], zeroed, 4);
	e->body_csum = xdpdns_csum16(body, body_len);
out:
	free(wire);
	ldns_pkt_free(p);
	return err;
}

int xdpdns_entry_answer(const struct xdpdns_cache_entry *e, const struct xdpdns_cache_key *key,
			uint8_t *wire, size_t size)
{
	size_t name_len = key->name_len, len = DNS_HDR_LEN + name_len + 4 + e->body_len;
	uint8_t *p = wire;

	if (len > size)
		return -ENOSPC;
	/* header: ID 0, the stored flags, one question, the body's counts (all big-endian) */
	*p++ = 0;
	*p++ = 0;
	*p++ = e->dns_flags >> 8;
	*p++ = e->dns_flags & 0xff;
	*p++ = 0;
	*p++ = 1;
	*p++ = e->ancount >> 8;
	*p++ = e->ancount & 0xff;
	*p++ = e->nscount >> 8;
	*p++ = e->nscount & 0xff;
	*p++ = e->arcount >> 8;
	*p++ = e->arcount & 0xff;
	/* the question the body's compression pointers refer to: the stored (lowercased) name,
	 * the key's type, class IN (the kernel serves no other) */
	memcpy(p, e->data + e->body_len, name_len);
	p += name_len;
	*p++ = key->qtype >> 8;
	*p++ = key->qtype & 0xff;
	*p++ = 0;
	*p++ = LDNS_RR_CLASS_IN;
	/* the body keeps the TTLs as they were at fill time: only the kernel's copy is aged */
	memcpy(p, e->data, e->body_len);
	return len;
}
