// SPDX-License-Identifier: GPL-2.0
/* Fault drills on a running daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "drill.h"
#include "log.h"

static const struct {
	const char *name;
	enum drill_fault fault;
	const char *arg; /* what its argument is, NULL: none */
	uint32_t min, max;
} faults[] = {
	{ "stop", DRILL_STOP, NULL, 0, 0 },
	{ "slow", DRILL_SLOW, "MS", 1, 60000 },
	{ "servfail", DRILL_SERVFAIL, NULL, 0, 0 },
	{ "loss", DRILL_LOSS, "PERCENT", 1, 100 },
	{ "flap", DRILL_FLAP, "SECONDS", 1, 600 },
	{ "nxdomain", DRILL_NXDOMAIN, "NAME", 0, 0 },
	{ "empty", DRILL_EMPTY, "NAME", 0, 0 },
};

static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long n;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*v = n;
	return true;
}

int drill_parse(const char *args, uint64_t now_ms, struct drill *d, char *err, size_t errlen)
{
	char copy[512], *tok[5], *save = NULL, *t;
	uint32_t sec = DRILL_DEFAULT_SEC;
	size_t i, n = 0, k = 1;

	memset(d, 0, sizeof(*d));
	snprintf(copy, sizeof(copy), "%s", args);
	for (t = strtok_r(copy, " \t", &save); t && n < 5; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	for (i = 0; n && i < sizeof(faults) / sizeof(faults[0]); i++)
		if (!strcmp(tok[0], faults[i].name))
			break;
	if (!n || i == sizeof(faults) / sizeof(faults[0]))
		return xdpdns_fail(err, errlen, "unknown fault '%s': stop, slow MS, servfail, "
				   "loss PERCENT, flap SECONDS, nxdomain NAME or empty NAME",
				   n ? tok[0] : "");
	if (faults[i].arg && n < 2)
		return xdpdns_fail(err, errlen, "%s needs %s", tok[0], faults[i].arg);
	k += faults[i].arg != NULL;
	if (n > k && (n != k + 2 || strcmp(tok[k], "for") ||
		      !parse_u32(tok[k + 1], 1, DRILL_MAX_SEC, &sec)))
		return xdpdns_fail(err, errlen,
				   "after the fault: 'for SECONDS' (1 to %d), nothing else",
				   DRILL_MAX_SEC);
	if (faults[i].fault == DRILL_NXDOMAIN || faults[i].fault == DRILL_EMPTY) {
		/* ldns reads "www.example" as relative: the drill means the absolute name */
		char name[260];

		snprintf(name, sizeof(name), "%s%s", tok[1],
			 tok[1][strlen(tok[1]) - 1] == '.' ? "" : ".");
		if (ldns_str2rdf_dname(&d->name, name) != LDNS_STATUS_OK)
			return xdpdns_fail(err, errlen, "%s: not a domain name", tok[1]);
		ldns_dname2canonical(d->name);
	} else if (faults[i].arg && !parse_u32(tok[1], faults[i].min, faults[i].max, &d->arg)) {
		return xdpdns_fail(err, errlen, "%s %s: %s from %u to %u", tok[0], tok[1],
				   faults[i].arg, faults[i].min, faults[i].max);
	}
	d->fault = faults[i].fault;
	d->start_ms = now_ms;
	d->until_ms = now_ms + sec * 1000ULL;
	return 0;
}

void drill_clear(struct drill *d)
{
	ldns_rdf_deep_free(d->name);
	memset(d, 0, sizeof(*d));
}

bool drill_active(struct drill *d, uint64_t now_ms)
{
	if (d->fault == DRILL_NONE)
		return false;
	if (now_ms < d->until_ms)
		return true;
	log_info("drill on %s over: its time is up", d->label[0] ? d->label : "?");
	drill_clear(d);
	return false;
}

/* Not for secrets: which packets a loss drill drops. */
static uint32_t percent_roll(void)
{
	static uint64_t x;

	if (!x && (getrandom(&x, sizeof(x), 0) != sizeof(x) || !x))
		x = 0x9e3779b97f4a7c15ULL;
	x ^= x << 13; /* xorshift64 */
	x ^= x >> 7;
	x ^= x << 17;
	return x % 100;
}

/* Flapping: stopped in the even periods since the start, answering in the odd. */
static bool flap_stopped(const struct drill *d, uint64_t now_ms)
{
	return (now_ms - d->start_ms) / (d->arg * 1000ULL) % 2 == 0;
}

bool drill_drops_query(struct drill *d, uint64_t now_ms)
{
	if (!drill_active(d, now_ms))
		return false;
	switch (d->fault) {
	case DRILL_STOP:
		return true;
	case DRILL_FLAP:
		return flap_stopped(d, now_ms);
	case DRILL_LOSS:
		return percent_roll() < d->arg;
	default:
		return false;
	}
}

enum drill_verdict drill_on_answer(struct drill *d, uint64_t now_ms, uint64_t sent_ms,
				   uint64_t *hold_ms)
{
	if (!drill_active(d, now_ms))
		return DRILL_DELIVER;
	switch (d->fault) {
	case DRILL_STOP: /* sent before the drill began */
		return DRILL_DROP;
	case DRILL_FLAP:
		return flap_stopped(d, now_ms) ? DRILL_DROP : DRILL_DELIVER;
	case DRILL_LOSS:
		return percent_roll() < d->arg ? DRILL_DROP : DRILL_DELIVER;
	case DRILL_SLOW:
		if (now_ms - sent_ms >= d->arg)
			return DRILL_DELIVER;
		*hold_ms = d->arg - (now_ms - sent_ms);
		return DRILL_HOLD;
	default:
		return DRILL_DELIVER;
	}
}

/* Empties a section of p. */
static void clear_section(ldns_pkt *p, ldns_pkt_section section)
{
	ldns_rr_list *l = ldns_rr_list_new();

	if (!l)
		return;
	if (section == LDNS_SECTION_ANSWER) {
		ldns_rr_list_deep_free(ldns_pkt_answer(p));
		ldns_pkt_set_answer(p, l);
		ldns_pkt_set_ancount(p, 0);
	} else {
		ldns_rr_list_deep_free(ldns_pkt_authority(p));
		ldns_pkt_set_authority(p, l);
		ldns_pkt_set_nscount(p, 0);
	}
}

/* A negative answer as a zone would give it: an SOA for the name's parent, so it is cached
 * (TTL 30) like a real one. */
static void add_soa(ldns_pkt *p, const ldns_rdf *qname)
{
	ldns_rdf *parent = ldns_dname_left_chop(qname);
	char *owner = parent ? ldns_rdf2str(parent) : NULL;
	char text[600];
	ldns_rr *soa = NULL;

	if (owner) {
		snprintf(text, sizeof(text), "%s 30 IN SOA drill.invalid. hostmaster.drill.invalid. "
			 "1 3600 600 86400 30", owner);
		if (ldns_rr_new_frm_str(&soa, text, 0, NULL, NULL) == LDNS_STATUS_OK)
			ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
	}
	free(owner);
	ldns_rdf_deep_free(parent);
}

bool drill_rewrite(struct drill *d, uint64_t now_ms, const ldns_rdf *qname, ldns_pkt *p)
{
	if (!drill_active(d, now_ms))
		return false;
	switch (d->fault) {
	case DRILL_SERVFAIL:
		ldns_pkt_set_rcode(p, LDNS_RCODE_SERVFAIL);
		clear_section(p, LDNS_SECTION_ANSWER);
		clear_section(p, LDNS_SECTION_AUTHORITY);
		return true;
	case DRILL_NXDOMAIN:
	case DRILL_EMPTY:
		if (ldns_dname_compare(qname, d->name))
			return false;
		ldns_pkt_set_rcode(p, d->fault == DRILL_NXDOMAIN ? LDNS_RCODE_NXDOMAIN :
								  LDNS_RCODE_NOERROR);
		clear_section(p, LDNS_SECTION_ANSWER);
		clear_section(p, LDNS_SECTION_AUTHORITY);
		add_soa(p, qname);
		return true;
	default:
		return false;
	}
}

void drill_describe(const struct drill *d, uint64_t now_ms, char *buf, size_t len)
{
	char *name = d->name ? ldns_rdf2str(d->name) : NULL;
	uint64_t left = d->until_ms > now_ms ? (d->until_ms - now_ms + 999) / 1000 : 0;
	size_t i;

	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (faults[i].fault == d->fault)
			break;
	if (i == sizeof(faults) / sizeof(faults[0]))
		snprintf(buf, len, "none");
	else if (name)
		snprintf(buf, len, "%s %s, %llu s left", faults[i].name, name,
			 (unsigned long long)left);
	else if (faults[i].arg)
		snprintf(buf, len, "%s %u, %llu s left", faults[i].name, d->arg,
			 (unsigned long long)left);
	else
		snprintf(buf, len, "%s, %llu s left", faults[i].name, (unsigned long long)left);
	free(name);
}
