// SPDX-License-Identifier: GPL-2.0
/* The log module's JSON escaping and event rate limiting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "log.h"

static void expect_escaped(const char *in, const char *out)
{
	char buf[256];

	assert_int_equal(xdpdns_json_escape(buf, sizeof(buf), in), strlen(out));
	assert_string_equal(buf, out);
}

static void test_json_escape(void **state)
{
	expect_escaped("plain text: 192.0.2.1:53", "plain text: 192.0.2.1:53");
	expect_escaped("say \"hi\" \\o/", "say \\\"hi\\\" \\\\o/");
	expect_escaped("a\nb\tc\rd", "a\\nb\\tc\\rd");
	expect_escaped("\x01\x1f\x7f", "\\u0001\\u001f\\u007f");
	/* UTF-8 passes as it is; bytes that are not UTF-8 become U+FFFD */
	expect_escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_escaped("\xff", "\\ufffd");
	expect_escaped("\xc3", "\\ufffd");           /* cut sequence at the end */
	expect_escaped("\xc3(", "\\ufffd(");         /* bad continuation */
	expect_escaped("\xc0\xaf", "\\ufffd\\ufffd"); /* overlong '/' */
	expect_escaped("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"); /* a surrogate */
	expect_escaped("", "");
}

/* A small buffer: output is cut before an escape, never inside one, and always terminated. */
static void test_json_escape_bounded(void **state)
{
	char buf[6];

	assert_int_equal(xdpdns_json_escape(buf, sizeof(buf), "abcdefgh"), 5);
	assert_string_equal(buf, "abcde");
	assert_int_equal(xdpdns_json_escape(buf, sizeof(buf), "abc\"d"), 5);
	assert_string_equal(buf, "abc\\\"");
	assert_int_equal(xdpdns_json_escape(buf, sizeof(buf), "abcd\"e"), 4);
	assert_string_equal(buf, "abcd");
	assert_int_equal(xdpdns_json_escape(buf, sizeof(buf), "ab\x01"), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(xdpdns_json_escape(buf, 1, "abc"), 0);
	assert_string_equal(buf, "");
}

/* Once per interval per key; the next allowed says how many were refused meanwhile. */
static void test_ratelimit_interval(void **state)
{
	static struct xdpdns_ratelimit rl;
	uint64_t suppressed = 99;

	memset(&rl, 0, sizeof(rl));
	assert_true(xdpdns_ratelimit_allow(&rl, "up_down", 1000, 10000, 1, &suppressed));
	assert_int_equal(suppressed, 0);
	assert_false(xdpdns_ratelimit_allow(&rl, "up_down", 2000, 10000, 1, &suppressed));
	assert_false(xdpdns_ratelimit_allow(&rl, "up_down", 10999, 10000, 1, &suppressed));
	/* another key is its own */
	assert_true(xdpdns_ratelimit_allow(&rl, "other", 3000, 10000, 1, &suppressed));
	assert_int_equal(suppressed, 0);
	/* the window is over: allowed, with the count of those refused */
	assert_true(xdpdns_ratelimit_allow(&rl, "up_down", 11000, 10000, 1, &suppressed));
	assert_int_equal(suppressed, 2);
	assert_false(xdpdns_ratelimit_allow(&rl, "up_down", 12000, 10000, 1, &suppressed));
	assert_true(xdpdns_ratelimit_allow(&rl, "up_down", 30000, 10000, 1, &suppressed));
	assert_int_equal(suppressed, 1);
}

static void test_ratelimit_burst(void **state)
{
	static struct xdpdns_ratelimit rl;
	uint64_t suppressed;
	int i, allowed = 0;

	memset(&rl, 0, sizeof(rl));
	for (i = 0; i < 25; i++)
		allowed += xdpdns_ratelimit_allow(&rl, "guard", 1000 + i, 10000, 10, &suppressed);
	assert_int_equal(allowed, 10);
	assert_true(xdpdns_ratelimit_allow(&rl, "guard", 11000, 10000, 10, &suppressed));
	assert_int_equal(suppressed, 15);
}

/* More keys than slots: the least recently used is replaced, and the table keeps working. */
static void test_ratelimit_many_keys(void **state)
{
	static struct xdpdns_ratelimit rl;
	uint64_t suppressed;
	char key[32];
	int i;

	memset(&rl, 0, sizeof(rl));
	assert_true(xdpdns_ratelimit_allow(&rl, "hot", 1, 10000, 1, &suppressed));
	for (i = 0; i < 3 * XDPDNS_RATELIMIT_KEYS; i++) {
		snprintf(key, sizeof(key), "name%d", i);
		assert_true(xdpdns_ratelimit_allow(&rl, key, 2 + i, 10000, 1, &suppressed));
		/* asked all along, "hot" is never the least recently used: still limited */
		assert_false(xdpdns_ratelimit_allow(&rl, "hot", 2 + i, 10000, 1, &suppressed));
	}
	/* an old key was replaced: it starts afresh */
	assert_true(xdpdns_ratelimit_allow(&rl, "name0", 1000, 10000, 1, &suppressed));
	assert_int_equal(suppressed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_bounded),
		cmocka_unit_test(test_ratelimit_interval),
		cmocka_unit_test(test_ratelimit_burst),
		cmocka_unit_test(test_ratelimit_many_keys),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
