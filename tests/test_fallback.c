// SPDX-License-Identifier: GPL-2.0
/* Fallback records (user/daemon/fallback.c): files written to a temporary directory, loaded, and
 * asked; answers compared record by record with ldns. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <ldns/ldns.h>
#include "fallback.h"

static char dir[] = "/tmp/xdpdns-fallback-XXXXXX";
static char path[sizeof(dir) + 16];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Loads text; fails the test with the message if it is refused. */
static struct xdpdns_fallback *load(const char *text)
{
	struct xdpdns_fallback *f = NULL;
	char err[512] = "";

	write_file(text);
	if (xdpdns_fallback_load(&f, path, err, sizeof(err)))
		fail_msg("refused: %s", err);
	assert_non_null(f);
	return f;
}

static ldns_pkt *ask(const struct xdpdns_fallback *f, const char *name, ldns_rr_type type)
{
	ldns_rdf *qname = ldns_dname_new_frm_str(name);
	ldns_pkt *p;

	assert_non_null(qname);
	p = xdpdns_fallback_answer(f, qname, type);
	ldns_rdf_deep_free(qname);
	return p;
}

/* The answer to name/type holds exactly the records want ("owner TTL IN TYPE RDATA"), any
 * order; a well-formed NOERROR response to that question. */
static void expect(const struct xdpdns_fallback *f, const char *name, ldns_rr_type type,
		   const char *const *want)
{
	ldns_pkt *p = ask(f, name, type);
	ldns_rr_list *got, *exp = ldns_rr_list_new();
	ldns_rr *q;
	size_t i;

	if (!p)
		fail_msg("%s %s: no answer", name, ldns_rr_type2str(type));
	assert_true(ldns_pkt_qr(p));
	assert_true(ldns_pkt_ra(p));
	assert_false(ldns_pkt_aa(p));
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_qdcount(p), 1);
	q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	assert_int_equal(ldns_rr_get_type(q), type);
	assert_int_equal(ldns_rr_get_class(q), LDNS_RR_CLASS_IN);
	{
		char *qs = ldns_rdf2str(ldns_rr_owner(q));

		assert_string_equal(qs, name); /* the question as asked, case kept */
		free(qs);
	}
	for (i = 0; want[i]; i++) {
		ldns_rr *rr;

		assert_int_equal(ldns_rr_new_frm_str(&rr, want[i], 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_rr_list_push_rr(exp, rr);
	}
	got = ldns_rr_list_clone(ldns_pkt_answer(p));
	ldns_rr_list_sort(got);
	ldns_rr_list_sort(exp);
	if (ldns_rr_list_compare(got, exp)) {
		char *g = ldns_rr_list2str(got), *e = ldns_rr_list2str(exp);

		fail_msg("%s %s: got\n%swant\n%s", name, ldns_rr_type2str(type), g, e);
	}
	for (i = 0; i < ldns_rr_list_rr_count(exp); i++) /* compare ignores TTLs */
		assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(got, i)),
				 ldns_rr_ttl(ldns_rr_list_rr(exp, i)));
	assert_int_equal(ldns_pkt_ancount(p), ldns_rr_list_rr_count(exp));
	assert_int_equal(ldns_pkt_nscount(p) + ldns_pkt_arcount(p), 0);
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(exp);
	ldns_pkt_free(p);
}

static void test_a_and_aaaa(void **state)
{
	struct xdpdns_fallback *f = load("www.example.com. 300 IN A 192.0.2.1\n"
					 "www.example.com. 300 IN AAAA 2001:db8::1\n"
					 "api.example.com 60 A 192.0.2.2\n"); /* no dot, no class */

	expect(f, "www.example.com.", LDNS_RR_TYPE_A,
	       (const char *[]){ "www.example.com. 300 IN A 192.0.2.1", NULL });
	expect(f, "www.example.com.", LDNS_RR_TYPE_AAAA,
	       (const char *[]){ "www.example.com. 300 IN AAAA 2001:db8::1", NULL });
	expect(f, "api.example.com.", LDNS_RR_TYPE_A,
	       (const char *[]){ "api.example.com. 60 IN A 192.0.2.2", NULL });
	assert_int_equal(xdpdns_fallback_records(f), 3);
	assert_int_equal(xdpdns_fallback_rrsets(f), 3);
	xdpdns_fallback_free(f);
}

static void test_rrset_of_several_lines(void **state)
{
	struct xdpdns_fallback *f = load("many.example. 300 IN A 192.0.2.1\n"
					 "other.example. 300 IN A 192.0.2.9\n"
					 "many.example. 300 IN A 192.0.2.2\n"
					 "              300 IN A 192.0.2.3\n" /* the name before */
					 "many.example. 300 IN A 192.0.2.2\n"  /* twice is once */
					 "many.example. 300 IN MX 10 mail.example.\n");

	expect(f, "many.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "many.example. 300 IN A 192.0.2.1",
				 "many.example. 300 IN A 192.0.2.2",
				 "many.example. 300 IN A 192.0.2.3", NULL });
	expect(f, "many.example.", LDNS_RR_TYPE_MX,
	       (const char *[]){ "many.example. 300 IN MX 10 mail.example.", NULL });
	expect(f, "other.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "other.example. 300 IN A 192.0.2.9", NULL });
	assert_int_equal(xdpdns_fallback_records(f), 5);
	assert_int_equal(xdpdns_fallback_rrsets(f), 3);
	xdpdns_fallback_free(f);
}

static void test_names_any_case(void **state)
{
	struct xdpdns_fallback *f = load("WWW.Example.COM. 300 IN A 192.0.2.1\n"
					 "www.example.com. 300 IN A 192.0.2.2\n"); /* same RRset */

	expect(f, "www.example.com.", LDNS_RR_TYPE_A,
	       (const char *[]){ "WWW.Example.COM. 300 IN A 192.0.2.1",
				 "www.example.com. 300 IN A 192.0.2.2", NULL });
	expect(f, "wWw.eXaMpLe.CoM.", LDNS_RR_TYPE_A,
	       (const char *[]){ "www.example.com. 300 IN A 192.0.2.1",
				 "www.example.com. 300 IN A 192.0.2.2", NULL });
	assert_int_equal(xdpdns_fallback_rrsets(f), 1);
	xdpdns_fallback_free(f);
}

static void test_ttls(void **state)
{
	struct xdpdns_fallback *f = load("short.example. IN A 192.0.2.1\n"
					 "bare.example. A 192.0.2.2\n"
					 "long.example. 1h IN A 192.0.2.3\n"
					 "zero.example. 0 IN A 192.0.2.4\n");

	expect(f, "short.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "short.example. 30 IN A 192.0.2.1", NULL });
	expect(f, "bare.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "bare.example. 30 IN A 192.0.2.2", NULL });
	expect(f, "long.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "long.example. 3600 IN A 192.0.2.3", NULL });
	expect(f, "zero.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "zero.example. 0 IN A 192.0.2.4", NULL });
	xdpdns_fallback_free(f);
}

static void test_comments_and_blank_lines(void **state)
{
	struct xdpdns_fallback *f = load("# pinned during the outage of 2026-11-22\n"
					 "\n"
					 "; zone-file comment\n"
					 "   \t\n"
					 "a.example. 300 IN A 192.0.2.1 # trailing\n"
					 "b.example. 300 IN A 192.0.2.2 ; trailing\n"
					 "t.example. 300 IN TXT \"v=1; #kept\" # not kept\r\n");

	expect(f, "a.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "a.example. 300 IN A 192.0.2.1", NULL });
	expect(f, "b.example.", LDNS_RR_TYPE_A,
	       (const char *[]){ "b.example. 300 IN A 192.0.2.2", NULL });
	expect(f, "t.example.", LDNS_RR_TYPE_TXT,
	       (const char *[]){ "t.example. 300 IN TXT \"v=1; #kept\"", NULL });
	assert_int_equal(xdpdns_fallback_records(f), 3);
	xdpdns_fallback_free(f);
}

/* A bad line anywhere refuses the file, naming the line; the set given stays as it was. */
static void test_bad_line_refused(void **state)
{
	static const struct {
		const char *file;
		unsigned int line;
		const char *says;
	} cases[] = {
		{ "a.example. 300 IN A 192.0.2.1\n\n# c\nb.example. 300 IN A 192.0.2\n", 4,
		  "rdata" },
		{ "a.example. 300 IN A 192.0.2.1 extra\n", 1, "superfluous" },
		{ "a.example. 300 IN NOTATYPE x\n", 1, "" },
		{ "a.example. IN A\n", 1, "" },
		{ "a.example. 300 CH A 192.0.2.1\n", 1, "class is not IN" },
		{ "a.example. 300 IN TYPE41 \\# 0\n", 1, "OPT is not a type" },
		{ "$TTL 300\n", 1, "directives" },
		{ "  300 IN A 192.0.2.1\n", 1, "no name" },
		{ "a.example. 300 IN A 192.0.2.1\na.example. 60 IN A 192.0.2.2\n", 2,
		  "TTL 60, but 300 for the same name and type on line 1" },
		{ "a.example. IN A 192.0.2.1\na.example. 300 IN A 192.0.2.2\n", 2, "TTL 300" },
	};
	struct xdpdns_fallback *old = (struct xdpdns_fallback *)&old; /* any pointer: kept */
	struct xdpdns_fallback *f = old;
	char err[512], prefix[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(cases[i].file);
		err[0] = 0;
		assert_int_equal(xdpdns_fallback_load(&f, path, err, sizeof(err)), -EINVAL);
		assert_ptr_equal(f, old);
		snprintf(prefix, sizeof(prefix), "%s:%u: ", path, cases[i].line);
		if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, cases[i].says))
			fail_msg("case %zu: '%s', want '%s...%s'", i, err, prefix, cases[i].says);
	}
}

static void test_empty_file(void **state)
{
	struct xdpdns_fallback *f = load("");

	assert_int_equal(xdpdns_fallback_records(f), 0);
	assert_null(ask(f, "www.example.com.", LDNS_RR_TYPE_A));
	xdpdns_fallback_free(f);
	f = load("# nothing pinned yet\n\n");
	assert_int_equal(xdpdns_fallback_records(f), 0);
	xdpdns_fallback_free(f);
}

static void test_missing_file(void **state)
{
	struct xdpdns_fallback *f = NULL;
	char err[512];

	assert_int_equal(xdpdns_fallback_load(&f, "/nonexistent/fallback", err, sizeof(err)),
			 -ENOENT);
	assert_null(f);
	assert_string_equal(err, "/nonexistent/fallback: No such file or directory");
}

static void test_no_answer(void **state)
{
	struct xdpdns_fallback *f = load("www.example.com. 300 IN A 192.0.2.1\n");

	assert_null(ask(f, "nowhere.example.com.", LDNS_RR_TYPE_A));
	assert_null(ask(f, "example.com.", LDNS_RR_TYPE_A));      /* a parent is not a match */
	assert_null(ask(f, "a.www.example.com.", LDNS_RR_TYPE_A)); /* nor a child */
	assert_null(ask(f, "www.example.com.", LDNS_RR_TYPE_AAAA)); /* no NODATA made up */
	assert_null(ask(NULL, "www.example.com.", LDNS_RR_TYPE_A)); /* no file configured */
	xdpdns_fallback_free(f);
}

/* Thousands of lines: the table grows, and every name is found. */
static void test_many_names(void **state)
{
	enum { N = 5000 };
	struct xdpdns_fallback *f;
	char *text = malloc(N * 64), *p = text, name[64], rr[128];
	int i;

	assert_non_null(text);
	for (i = 0; i < N; i++)
		p += sprintf(p, "host%d.example. 300 IN A 10.%d.%d.%d\n", i, i >> 16, (i >> 8) & 255,
			     i & 255);
	f = load(text);
	free(text);
	assert_int_equal(xdpdns_fallback_rrsets(f), N);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "host%d.example.", i);
		snprintf(rr, sizeof(rr), "%s 300 IN A 10.%d.%d.%d", name, i >> 16, (i >> 8) & 255,
			 i & 255);
		expect(f, name, LDNS_RR_TYPE_A, (const char *[]){ rr, NULL });
	}
	xdpdns_fallback_free(f);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/fallback", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_and_aaaa),
		cmocka_unit_test(test_rrset_of_several_lines),
		cmocka_unit_test(test_names_any_case),
		cmocka_unit_test(test_ttls),
		cmocka_unit_test(test_comments_and_blank_lines),
		cmocka_unit_test(test_bad_line_refused),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_many_names),
	};

	return cmocka_run_group_tests_name("fallback", tests, setup, teardown);
}
