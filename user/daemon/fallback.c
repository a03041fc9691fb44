// SPDX-License-Identifier: GPL-2.0
/* Fallback records: the file parsed with ldns into RRsets, in a hash table keyed like the
 * daemon's cache (dcache_key: lowercased wire name and type), so a lookup is one hash. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dcache.h"
#include "fallback.h"
#include "log.h"

#define FALLBACK_BUCKETS_MIN 64 /* doubled whenever the RRsets outnumber the buckets */

struct rrset {
	struct rrset *next; /* in the bucket */
	struct dcache_key key;
	uint64_t hash;      /* dcache_key_hash() of key */
	ldns_rr_list *rrs;  /* as the file has them, owner's letter case included */
	unsigned int line;  /* of the first record, for messages */
};

struct xdpdns_fallback {
	struct xdpdns_siphash_key key; /* of the buckets' hash: names are looked up as clients
					* ask, so keyed like the daemon's other tables */
	struct rrset **buckets;
	size_t n_buckets, n_rrsets, n_records;
};

void xdpdns_fallback_free(struct xdpdns_fallback *f)
{
	size_t b;

	if (!f)
		return;
	for (b = 0; b < f->n_buckets; b++) {
		while (f->buckets[b]) {
			struct rrset *s = f->buckets[b];

			f->buckets[b] = s->next;
			ldns_rr_list_deep_free(s->rrs);
			free(s);
		}
	}
	free(f->buckets);
	free(f);
}

size_t xdpdns_fallback_records(const struct xdpdns_fallback *f)
{
	return f ? f->n_records : 0;
}

size_t xdpdns_fallback_rrsets(const struct xdpdns_fallback *f)
{
	return f ? f->n_rrsets : 0;
}

static struct rrset *find(const struct xdpdns_fallback *f, const struct dcache_key *k,
			  uint64_t hash)
{
	struct rrset *s = f->buckets[hash & (f->n_buckets - 1)];

	while (s && (s->hash != hash || s->key.len != k->len ||
		     memcmp(s->key.bytes, k->bytes, k->len)))
		s = s->next;
	return s;
}

/* Twice the buckets, each RRset moved by its hash. Returns 0 or -ENOMEM. */
static int grow(struct xdpdns_fallback *f)
{
	size_t n = f->n_buckets ? 2 * f->n_buckets : FALLBACK_BUCKETS_MIN, b;
	struct rrset **buckets = calloc(n, sizeof(*buckets));

	if (!buckets)
		return -ENOMEM;
	for (b = 0; b < f->n_buckets; b++) {
		while (f->buckets[b]) {
			struct rrset *s = f->buckets[b];

			f->buckets[b] = s->next;
			s->next = buckets[s->hash & (n - 1)];
			buckets[s->hash & (n - 1)] = s;
		}
	}
	free(f->buckets);
	f->buckets = buckets;
	f->n_buckets = n;
	return 0;
}

/* Types no answer to a question holds: pseudo-records and question-only types. */
static bool answerable(ldns_rr_type t)
{
	switch (t) {
	case LDNS_RR_TYPE_OPT:
	case LDNS_RR_TYPE_TSIG:
	case LDNS_RR_TYPE_TKEY:
	case LDNS_RR_TYPE_IXFR:
	case LDNS_RR_TYPE_AXFR:
	case LDNS_RR_TYPE_MAILB:
	case LDNS_RR_TYPE_MAILA:
	case LDNS_RR_TYPE_ANY:
		return false;
	default:
		return true;
	}
}

/* Adds rr (taken over on success) to its RRset. Returns 0, -ENOMEM, or -EINVAL with err. */
static int add(struct xdpdns_fallback *f, ldns_rr *rr, const char *where, unsigned int line,
	       char *err, size_t errlen)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	struct dcache_key k;
	struct rrset *s;
	uint64_t hash;
	size_t i;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return xdpdns_fail(err, errlen, "%s: class is not IN", where);
	if (!answerable(type)) {
		char *name = ldns_rr_type2str(type);

		xdpdns_fail(err, errlen, "%s: %s is not a type of record an answer holds", where,
		     name ? name : "the type");
		free(name);
		return -EINVAL;
	}
	dcache_key(&k, ldns_rr_owner(rr), type, 0);
	hash = dcache_key_hash(&f->key, &k);
	s = find(f, &k, hash);
	if (s) {
		ldns_rr *first = ldns_rr_list_rr(s->rrs, 0);

		/* RFC 2181 5.2: one TTL per RRset; say so rather than pick one */
		if (ldns_rr_ttl(rr) != ldns_rr_ttl(first))
			return xdpdns_fail(err, errlen, "%s: TTL %u, but %u for the same name and type on "
				    "line %u", where, ldns_rr_ttl(rr), ldns_rr_ttl(first), s->line);
		for (i = 0; i < ldns_rr_list_rr_count(s->rrs); i++) {
			if (!ldns_rr_compare(rr, ldns_rr_list_rr(s->rrs, i))) {
				ldns_rr_free(rr); /* a set: the same record twice is once */
				return 0;
			}
		}
		if (!ldns_rr_list_push_rr(s->rrs, rr))
			return -ENOMEM;
		f->n_records++;
		return 0;
	}
	if (f->n_rrsets >= f->n_buckets && grow(f))
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rrs = ldns_rr_list_new();
	if (!s->rrs || !ldns_rr_list_push_rr(s->rrs, rr)) {
		ldns_rr_list_free(s->rrs);
		free(s);
		return -ENOMEM;
	}
	s->key = k;
	s->hash = hash;
	s->line = line;
	s->next = f->buckets[hash & (f->n_buckets - 1)];
	f->buckets[hash & (f->n_buckets - 1)] = s;
	f->n_rrsets++;
	f->n_records++;
	return 0;
}

/* Cuts the line at its first '#' or ';' outside double quotes, and its trailing blanks;
 * leading blanks stay: they mean "the previous line's name". Returns true if anything is
 * left. */
static bool strip(char *line)
{
	bool quoted = false;
	char *p, *end;

	for (p = line; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++; /* an escaped character: \" or \; */
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && (*p == '#' || *p == ';')) {
			*p = 0;
			break;
		}
	}
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
			      end[-1] == '\r'))
		*--end = 0;
	return line[strspn(line, " \t")] != 0;
}

/* Every line of in into f. Returns 0, or -EINVAL/-ENOMEM with err. */
static int parse(struct xdpdns_fallback *f, FILE *in, const char *path, char *err, size_t errlen)
{
	ldns_rdf *origin = ldns_dname_new_frm_str("."); /* every name is absolute */
	ldns_rdf *prev = NULL; /* the last owner, for lines without one */
	unsigned int lineno = 0;
	size_t cap = 0;
	char *line = NULL, where[300];
	int ret = origin ? 0 : -ENOMEM;

	while (!ret && getline(&line, &cap, in) >= 0) {
		ldns_status status;
		ldns_rr *rr = NULL;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (!strip(line))
			continue;
		if (line[0] == '$') {
			ret = xdpdns_fail(err, errlen, "%s: directives ($ORIGIN, $TTL...) are not supported: "
				   "one record a line, names in full", where);
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!prev) {
				ret = xdpdns_fail(err, errlen, "%s: no name, and no line before with one",
					   where);
				break;
			}
		}
		status = ldns_rr_new_frm_str(&rr, line, XDPDNS_FALLBACK_DEFAULT_TTL_SEC, origin,
					     &prev);
		if (status != LDNS_STATUS_OK) {
			ret = xdpdns_fail(err, errlen, "%s: %s", where, ldns_get_errorstr_by_id(status));
			break;
		}
		ret = add(f, rr, where, lineno, err, errlen);
		if (ret)
			ldns_rr_free(rr);
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
	else if (!ret && ferror(in))
		ret = xdpdns_fail(err, errlen, "%s: read error", path);
	free(line);
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(origin);
	return ret;
}

int xdpdns_fallback_load(struct xdpdns_fallback **out, const char *path, char *err,
			 size_t errlen)
{
	struct xdpdns_fallback *f;
	FILE *in;
	int ret;

	in = fopen(path, "r");
	if (!in) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	f = calloc(1, sizeof(*f));
	ret = f ? xdpdns_siphash_key_new(&f->key) : -ENOMEM;
	if (!ret)
		ret = grow(f);
	if (!ret)
		ret = parse(f, in, path, err, errlen);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	fclose(in);
	if (ret) {
		xdpdns_fallback_free(f);
		return ret;
	}
	*out = f;
	return 0;
}

ldns_pkt *xdpdns_fallback_answer(const struct xdpdns_fallback *f, const ldns_rdf *qname,
				 ldns_rr_type qtype)
{
	const struct rrset *s;
	struct dcache_key k;
	ldns_rdf *name;
	ldns_pkt *p;
	size_t i;

	if (!f || ldns_rdf_get_type(qname) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	dcache_key(&k, qname, qtype, 0);
	s = find(f, &k, dcache_key_hash(&f->key, &k));
	if (!s)
		return NULL;
	name = ldns_rdf_clone(qname);
	p = name ? ldns_pkt_query_new(name, qtype, LDNS_RR_CLASS_IN, LDNS_QR | LDNS_RA) : NULL;
	if (!p) {
		ldns_rdf_deep_free(name);
		return NULL;
	}
	ldns_pkt_set_id(p, 0);
	ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
	for (i = 0; i < ldns_rr_list_rr_count(s->rrs); i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(s->rrs, i));

		if (!rr || !ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr)) {
			ldns_rr_free(rr);
			ldns_pkt_free(p);
			return NULL;
		}
	}
	return p;
}
