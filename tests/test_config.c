// SPDX-License-Identifier: GPL-2.0
/* xdpdnsd's options: defaults, the file format and its errors, flags, resolv.conf. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"

static char path[64];

/* Writes text to a temporary file; returns its path. */
static const char *file_with(const char *text)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/xdpdns-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int teardown_file(void **state)
{
	if (path[0])
		unlink(path);
	path[0] = 0;
	return 0;
}

static void test_defaults(void **state)
{
	struct xdpdns_options o;

	xdpdns_options_defaults(&o);
	assert_int_equal(o.port, 53);
	assert_int_equal(o.timeout_ms, 1000);
	assert_int_equal(o.attempts, 2);
	assert_int_equal(o.max_negative_ttl_sec, 30);
	assert_int_equal(o.prefetch_percent, 10);
	assert_int_equal(o.stale_answer_ms, 1800);
	assert_string_equal(o.health_query, ". NS");
	assert_false(o.keep);
	assert_int_equal(o.snapshot_interval_sec, 300);
}

/* Snapshots go to a file named after the interface unless told otherwise; "" turns them off,
 * in the file and on the command line. */
static void test_snapshot_path(void **state)
{
	struct xdpdns_options o;
	char err[256] = "", buf[300];
	char *off[] = { "xdpdnsd", "--snapshot-file", "" };
	char *other[] = { "xdpdnsd", "--snapshot-file", "/srv/cache.snap" };

	xdpdns_options_defaults(&o);
	assert_int_equal(xdpdns_options_load(&o, file_with("iface eth1\n"), err, sizeof(err)), 0);
	assert_string_equal(xdpdns_options_snapshot_path(&o, buf, sizeof(buf)),
			    "/var/lib/xdpdns/eth1.snapshot");
	teardown_file(NULL);
	assert_int_equal(xdpdns_options_load(&o, file_with("snapshot-file \"\"\n"), err,
					     sizeof(err)), 0);
	assert_null(xdpdns_options_snapshot_path(&o, buf, sizeof(buf)));
	teardown_file(NULL);
	assert_int_equal(xdpdns_options_parse_args(&o, 3, other, err, sizeof(err)), 0);
	assert_string_equal(xdpdns_options_snapshot_path(&o, buf, sizeof(buf)), "/srv/cache.snap");
	assert_int_equal(xdpdns_options_parse_args(&o, 3, off, err, sizeof(err)), 0);
	assert_null(xdpdns_options_snapshot_path(&o, buf, sizeof(buf)));
	assert_int_equal(xdpdns_options_load(&o, file_with("snapshot-interval 0\n"), err,
					     sizeof(err)), 0);
	assert_int_equal(o.snapshot_interval_sec, 0);
	teardown_file(NULL);
	assert_int_not_equal(xdpdns_options_load(&o, file_with("snapshot-interval 1d\n"), err,
						 sizeof(err)), 0);
}

static void test_file(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";

	xdpdns_options_defaults(&o);
	assert_int_equal(xdpdns_options_load(&o, file_with(
		"# comment\n"
		"iface eth1\n"
		"\n"
		"listen 169.254.20.10   # trailing comment\n"
		"listen fd00::53\n"
		"upstream 192.0.2.1\n"
		"upstream [2001:db8::1]:5353\n"
		"timeout 1.5\n"
		"stale-answer-timeout 250ms\n"
		"health-query example. SOA\n"
		"keep yes\n"
		"mode skb\n"), err, sizeof(err)), 0);
	assert_string_equal(o.iface, "eth1");
	assert_int_equal(o.n_listen, 2);
	assert_string_equal(o.listen[1], "fd00::53");
	assert_int_equal(o.n_upstreams, 2);
	assert_string_equal(o.upstreams[0].text, "192.0.2.1:53");
	assert_string_equal(o.upstreams[1].text, "[2001:db8::1]:5353");
	assert_int_equal(o.timeout_ms, 1500);
	assert_int_equal(o.stale_answer_ms, 250);
	assert_string_equal(o.health_query, "example. SOA");
	assert_true(o.keep);
	assert_int_equal(o.mode, XDPDNS_MODE_SKB);
	assert_int_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
}

/* Each bad line is refused with the file, the line and the problem. */
static void test_file_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
		{ "iface eth0\nfrobnicate 1\n", ":2: unknown option 'frobnicate'" },
		{ "port 0\n", ":1: port: 0 is out of range, 1 to 65535" },
		{ "\n\nmax-ttl lots\n", ":3: max-ttl: 'lots' is not a number" },
		{ "attempts 1.5\n", ":1: attempts: '1.5' is not a whole number" },
		{ "timeout 5min\n", ":1: timeout: '5min' is not a whole number of seconds" },
		{ "timeout 60\n", ":1: timeout: 60 is out of range, 0.1 to 30 seconds" },
		{ "listen 10.0.0.300\n", ":1: listen: '10.0.0.300' is not an IPv4 or IPv6 address" },
		{ "upstream 192.0.2.1:99999\n", ":1: upstream: '192.0.2.1:99999' is not ADDR" },
		{ "keep maybe\n", ":1: keep: 'maybe' is not yes or no" },
		{ "mode turbo\n", ":1: mode: 'turbo' is not auto, native or skb" },
		{ "iface\n", ":1: iface: no value" },
		{ "config /etc/other\n", ":1: config: only on the command line" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xdpdns_options o;
		char err[256] = "";
		const char *p = file_with(cases[i].text);

		xdpdns_options_defaults(&o);
		assert_int_not_equal(xdpdns_options_load(&o, p, err, sizeof(err)), 0);
		if (strncmp(err, p, strlen(p)) || !strstr(err, cases[i].message))
			fail_msg("case %zu: got '%s', want '%s%s...'", i, err, p, cases[i].message);
		teardown_file(NULL);
	}
}

static void test_missing_file(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";

	xdpdns_options_defaults(&o);
	assert_int_not_equal(xdpdns_options_load(&o, "/nonexistent/xdpdns.conf", err, sizeof(err)), 0);
	assert_string_equal(err, "/nonexistent/xdpdns.conf: No such file or directory");
}

/* The shipped example is valid, and says what the defaults are. */
static void test_example_file(void **state)
{
	struct xdpdns_options o, d;
	char err[256] = "";

	xdpdns_options_defaults(&o);
	xdpdns_options_defaults(&d);
	if (xdpdns_options_load(&o, "../user/xdpdns.conf.example", err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(o.n_attach, 0); /* the unit's --iface, or the operator's lines */
	assert_int_equal(o.timeout_ms, d.timeout_ms);
	assert_int_equal(o.max_negative_ttl_sec, d.max_negative_ttl_sec);
	assert_int_equal(o.stale_answer_ms, d.stale_answer_ms);
	assert_int_equal(o.health_interval_ms, d.health_interval_ms);
	assert_string_equal(o.health_query, d.health_query);
	assert_int_equal(o.snapshot_interval_sec, d.snapshot_interval_sec);
	assert_string_equal(o.snapshot_file, d.snapshot_file);
	assert_int_equal(o.n_listen, 0);
	assert_int_equal(o.n_upstreams, 0);
	assert_int_equal(o.log_format, d.log_format);
	assert_string_equal(o.metrics_listen.text, d.metrics_listen.text);
	assert_int_equal(o.tcp_connections, d.tcp_connections);
	assert_int_equal(o.tcp_connections_per_source, d.tcp_connections_per_source);
	assert_int_equal(o.tcp_idle_timeout_ms, d.tcp_idle_timeout_ms);
	assert_int_equal(o.tcp_io_timeout_ms, d.tcp_io_timeout_ms);
	assert_int_equal(o.tcp_pipeline, d.tcp_pipeline);
}

/* metrics-listen: ADDR:PORT, [ADDR]:PORT, ADDR (port 9153), or off; log-format text|json. */
static void test_metrics_and_log_format(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";

	xdpdns_options_defaults(&o);
	assert_string_equal(o.metrics_listen.text, "127.0.0.1:9153");
	assert_int_equal(o.log_format, XDPDNS_LOG_TEXT);
	assert_int_equal(xdpdns_options_set(&o, "metrics-listen", "[::1]:9100", err, sizeof(err)), 0);
	assert_string_equal(o.metrics_listen.text, "[::1]:9100");
	assert_int_equal(o.metrics_listen.sa.ss_family, AF_INET6);
	assert_int_equal(xdpdns_options_set(&o, "metrics-listen", "192.0.2.53", err, sizeof(err)), 0);
	assert_string_equal(o.metrics_listen.text, "192.0.2.53:9153");
	assert_int_equal(xdpdns_options_set(&o, "metrics-listen", "off", err, sizeof(err)), 0);
	assert_int_equal(o.metrics_listen.len, 0);
	assert_int_not_equal(xdpdns_options_set(&o, "metrics-listen", "localhost:9153", err,
						sizeof(err)), 0);
	assert_string_equal(err, "metrics-listen: 'localhost:9153' is not ADDR:PORT, [ADDR]:PORT or off");
	assert_int_equal(xdpdns_options_set(&o, "log-format", "json", err, sizeof(err)), 0);
	assert_int_equal(o.log_format, XDPDNS_LOG_JSON);
	assert_int_not_equal(xdpdns_options_set(&o, "log-format", "yaml", err, sizeof(err)), 0);
	assert_string_equal(err, "log-format: 'yaml' is not text or json");
}

static void test_flags_override_file(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";
	const char *p = file_with("iface eth0\nport 5353\nkeep no\n");
	char *argv[] = { "xdpdnsd", "--port", "53", "--config", (char *)p, "--keep",
			 "--upstream", "192.0.2.9", NULL };

	xdpdns_options_defaults(&o);
	assert_int_equal(xdpdns_options_parse_args(&o, 8, argv, err, sizeof(err)), 0);
	assert_string_equal(o.iface, "eth0");
	assert_int_equal(o.port, 53);
	assert_true(o.keep);
	assert_int_equal(o.n_upstreams, 1);
}

/* Attach points: iface (a NIC) and attach IF[:HOOK], in slot order. The systemd unit's
 * --iface %i replaces the file's iface lines (as the single iface option did); attach lines
 * and flags add up, as listen and upstream do. */
static void test_attach_points(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";
	const char *p = file_with("iface eth0\nattach lo\nattach cali*:tc\niface eth1\n"
				  "attach lo2:tc-egress\n");
	char *argv[] = { "xdpdnsd", "--config", (char *)p, "--iface", "eth2", "--attach",
			 "cni0:xdp-skb", "--iface", "eth3", NULL };
	static const struct {
		const char *name;
		enum xdpdns_hook hook;
		bool nic;
	} want[] = {
		{ "lo", XDPDNS_HOOK_NONE, false }, { "cali*", XDPDNS_HOOK_TC, false },
		{ "lo2", XDPDNS_HOOK_TC_EGRESS, false }, { "eth2", XDPDNS_HOOK_NONE, true },
		{ "cni0", XDPDNS_HOOK_XDP_SKB, false }, { "eth3", XDPDNS_HOOK_NONE, true },
	};
	size_t i;

	xdpdns_options_defaults(&o);
	assert_int_equal(xdpdns_options_parse_args(&o, 9, argv, err, sizeof(err)), 0);
	assert_int_equal(o.n_attach, 6);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(o.attach[i].name, want[i].name);
		assert_int_equal(o.attach[i].hook, want[i].hook);
		assert_int_equal(o.attach[i].nic, want[i].nic);
	}
	assert_string_equal(o.iface, "eth2"); /* the first iface: addresses, instance */
	assert_string_equal(xdpdns_options_instance(&o), "eth2");
	assert_int_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);

	/* no iface: the default instance; a named one */
	xdpdns_options_defaults(&o);
	assert_int_equal(xdpdns_options_set(&o, "attach", "lo", err, sizeof(err)), 0);
	assert_int_equal(xdpdns_options_set(&o, "attach", "lo", err, sizeof(err)), 0); /* twice */
	assert_int_equal(o.n_attach, 1);
	assert_string_equal(xdpdns_options_instance(&o), XDPDNS_DEFAULT_INSTANCE);
	assert_int_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	assert_int_equal(xdpdns_options_set(&o, "instance", "node-1", err, sizeof(err)), 0);
	assert_string_equal(xdpdns_options_instance(&o), "node-1");
	assert_int_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	assert_int_equal(xdpdns_options_set(&o, "instance", "a.b", err, sizeof(err)), 0);
	assert_int_not_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "instance: 'a.b' is not a name"));

	/* refused */
	assert_int_not_equal(xdpdns_options_set(&o, "attach", "lo:ebpf", err, sizeof(err)), 0);
	assert_string_equal(err, "attach: 'lo:ebpf': the hook is tc, tc-egress, xdp-skb, xdp or auto");
	assert_int_not_equal(xdpdns_options_set(&o, "iface", "veth*", err, sizeof(err)), 0);
	assert_string_equal(err, "iface: 'veth*' is a pattern: use attach");
	assert_int_not_equal(xdpdns_options_set(&o, "attach", "lo:tc", err, sizeof(err)), 0);
	assert_string_equal(err, "attach: lo is an attach point already");
	assert_int_not_equal(xdpdns_options_set(&o, "attach", "a-name-of-16-chr", err,
						sizeof(err)), 0);
	assert_int_not_equal(xdpdns_options_set(&o, "attach", ":tc", err, sizeof(err)), 0);
	xdpdns_options_defaults(&o);
	for (i = 0; i < XDPDNS_ATTACH_POINTS_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "veth%zu*", i);
		assert_int_equal(xdpdns_options_set(&o, "attach", name, err, sizeof(err)), 0);
	}
	assert_int_not_equal(xdpdns_options_set(&o, "attach", "lo", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "more than 15 attach points"));
}

static void test_flag_errors(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";
	char *bad_value[] = { "xdpdnsd", "--timeout", "0", NULL };
	char *unknown[] = { "xdpdnsd", "--frobnicate", NULL };
	char *stray[] = { "xdpdnsd", "--iface", "eth0", "extra", NULL };

	xdpdns_options_defaults(&o);
	assert_int_not_equal(xdpdns_options_parse_args(&o, 3, bad_value, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "--timeout: 0 is out of range"));
	assert_int_not_equal(xdpdns_options_parse_args(&o, 2, unknown, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "--frobnicate"));
	assert_int_not_equal(xdpdns_options_parse_args(&o, 4, stray, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "'extra'"));
}

static void test_check(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";

	xdpdns_options_defaults(&o);
	assert_int_not_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no interface"));
	snprintf(o.iface, sizeof(o.iface), "eth0");
	o.min_ttl_sec = 600;
	o.max_ttl_sec = 60;
	assert_int_not_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	o.min_ttl_sec = 0;
	snprintf(o.health_query, sizeof(o.health_query), "example. NOTATYPE");
	assert_int_not_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	snprintf(o.health_query, sizeof(o.health_query), ". NS extra");
	assert_int_not_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
	snprintf(o.health_query, sizeof(o.health_query), "example. SOA");
	assert_int_equal(xdpdns_options_check(&o, err, sizeof(err)), 0);
}

static void test_resolv_conf(void **state)
{
	struct xdpdns_options o;
	char err[256] = "";

	xdpdns_options_defaults(&o);
	snprintf(o.listen[o.n_listen++], sizeof(o.listen[0]), "169.254.20.10");
	assert_int_equal(xdpdns_options_resolv_conf(&o, file_with(
		"# generated\n"
		"search example.com\n"
		"nameserver 169.254.20.10\n" /* ourselves: skipped */
		"nameserver 192.0.2.53\n"
		"nameserver fe80::1%eth0\n"
		"nameserver 2001:db8::53 # comment\n"
		"options timeout:2 attempts:3\n"), err, sizeof(err)), 0);
	assert_int_equal(o.n_upstreams, 3);
	assert_int_equal(o.timeout_ms, 2000);
	assert_int_equal(o.attempts, 3);
	assert_string_equal(o.upstreams[0].text, "192.0.2.53:53");
	assert_string_equal(o.upstreams[1].text, "[fe80::1]:53");
	assert_string_equal(o.upstreams[2].text, "[2001:db8::53]:53");
	teardown_file(NULL);

	/* an explicit timeout wins over resolv.conf's */
	xdpdns_options_defaults(&o);
	assert_int_equal(xdpdns_options_set(&o, "timeout", "3", err, sizeof(err)), 0);
	assert_int_equal(xdpdns_options_resolv_conf(&o, file_with(
		"nameserver 192.0.2.53\noptions attempts:4 timeout:2\n"), err, sizeof(err)), 0);
	assert_int_equal(o.timeout_ms, 3000);
	assert_int_equal(o.attempts, 4);
	teardown_file(NULL);

	xdpdns_options_defaults(&o);
	snprintf(o.listen[o.n_listen++], sizeof(o.listen[0]), "127.0.0.53");
	assert_int_not_equal(xdpdns_options_resolv_conf(&o, file_with("nameserver 127.0.0.53\n"),
							err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no nameserver other than our own"));
}

static void test_sockaddr_parse(void **state)
{
	struct xdpdns_sockaddr a;

	assert_int_equal(xdpdns_sockaddr_parse("192.0.2.1", &a), 0);
	assert_string_equal(a.text, "192.0.2.1:53");
	assert_int_equal(xdpdns_sockaddr_parse("192.0.2.1:5353", &a), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&a.sa)->sin_port), 5353);
	assert_int_equal(xdpdns_sockaddr_parse("2001:db8::1", &a), 0);
	assert_string_equal(a.text, "[2001:db8::1]:53");
	assert_int_equal(xdpdns_sockaddr_parse("[2001:db8::1]:853", &a), 0);
	assert_string_equal(a.text, "[2001:db8::1]:853");
	assert_int_not_equal(xdpdns_sockaddr_parse("[2001:db8::1]853", &a), 0);
	assert_int_not_equal(xdpdns_sockaddr_parse("example.com", &a), 0);
	assert_int_not_equal(xdpdns_sockaddr_parse("192.0.2.1:", &a), 0);
	assert_int_not_equal(xdpdns_sockaddr_parse("", &a), 0);
}

/* SIGHUP: what the option table marks as taking effect at a restart keeps its running value (the
 * attach points, the instance, the mode, cache-entries, user), the rest takes the new one. */
static void test_keep_restart(void **state)
{
	struct xdpdns_options running, next;
	char *was[] = { "xdpdnsd", "--iface", "eth0", "--attach", "cali*", "--mode", "native",
			"--cache-entries", "4096", "--user", "nobody", "--keep", "--timeout", "2" };
	char *now[] = { "xdpdnsd", "--iface", "eth1", "--attach", "lo", "--instance", "other",
			"--mode", "skb", "--cache-entries", "8192", "--user", "root", "--keep",
			"--timeout", "3", "--prefetch", "20" };
	char err[256] = "";

	xdpdns_options_defaults(&running);
	assert_int_equal(xdpdns_options_parse_args(&running, sizeof(was) / sizeof(was[0]), was,
						   err, sizeof(err)), 0);
	xdpdns_options_defaults(&next);
	assert_int_equal(xdpdns_options_parse_args(&next, sizeof(now) / sizeof(now[0]), now, err,
						   sizeof(err)), 0);
	xdpdns_options_keep_restart(&next, &running);
	assert_string_equal(next.iface, "eth0");
	assert_int_equal(next.n_attach, 2);
	assert_string_equal(next.attach[0].name, "eth0");
	assert_true(next.attach[0].nic);
	assert_string_equal(next.attach[1].name, "cali*");
	assert_string_equal(next.instance, "");
	assert_string_equal(xdpdns_options_instance(&next), "eth0");
	assert_int_equal(next.mode, XDPDNS_MODE_NATIVE);
	assert_int_equal(next.cache_entries, 4096);
	assert_string_equal(next.user, "nobody");
	/* reloaded */
	assert_int_equal(next.timeout_ms, 3000);
	assert_int_equal(next.prefetch_percent, 20);

	/* nothing to keep: nothing changes */
	xdpdns_options_defaults(&next);
	assert_int_equal(xdpdns_options_parse_args(&next, sizeof(was) / sizeof(was[0]), was, err,
						   sizeof(err)), 0);
	next.timeout_ms = 5000;
	xdpdns_options_keep_restart(&next, &running);
	assert_int_equal(memcmp(next.attach, running.attach, sizeof(next.attach)), 0);
	assert_int_equal(next.timeout_ms, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_teardown(test_snapshot_path, teardown_file),
		cmocka_unit_test_teardown(test_file, teardown_file),
		cmocka_unit_test_teardown(test_file_errors, teardown_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_metrics_and_log_format),
		cmocka_unit_test_teardown(test_flags_override_file, teardown_file),
		cmocka_unit_test_teardown(test_attach_points, teardown_file),
		cmocka_unit_test(test_flag_errors),
		cmocka_unit_test(test_check),
		cmocka_unit_test_teardown(test_resolv_conf, teardown_file),
		cmocka_unit_test(test_sockaddr_parse),
		cmocka_unit_test(test_keep_restart),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
