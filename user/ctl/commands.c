// SPDX-License-Identifier: GPL-2.0
/* xdpdnsctl's commands: what each does, and the table of them (commands.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ldns/ldns.h>
#include "address.h"
#include "bpf_maps.h"
#include "commands.h"
#include "control.h"
#include "pins.h"
#include "snapshot.h"
#include "top.h"

/* The daemon's side of a command, if a daemon runs; the kernel side works without it. */
/* Prints the daemon's answer to cmd under title. Returns 0, or -errno when it did not answer. */
static int ask_daemon(const char *instance, const char *cmd, const char *title)
{
	int err;

	printf("%s\n", title);
	fflush(stdout);
	err = control_request(instance, cmd, stdout);
	if (err == -ENOENT)
		printf("  (no daemon running on %s)\n", instance);
	else if (err)
		printf("  (can't ask the daemon: %s)\n", strerror(-err));
	return err;
}

/* One line per attach point: its interfaces now (xdpdns_ifaces) and its packets by action;
 * "attach -" for interfaces no attach point lists, if any packet came that way. */
static void print_attach_points(const struct xdpdns_maps *m)
{
	static uint64_t rows[XDPDNS_ATTACH_MAX][XDPDNS_REASON_COUNT];
	struct xdpdns_attach slots[XDPDNS_ATTACH_MAX];
	int links[XDPDNS_ATTACH_MAX] = { 0 };
	__u32 key, next, *prev = NULL;
	struct xdpdns_iface v;
	int slot;

	if (xdpdns_stats_read_slots(m, rows) || xdpdns_attach_read(m, slots))
		return;
	while (!bpf_map_get_next_key(m->ifaces, prev, &next)) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(m->ifaces, &key, &v) && v.slot < XDPDNS_ATTACH_MAX)
			links[v.slot]++;
	}
	printf("attach points:\n");
	for (slot = 0; slot < XDPDNS_ATTACH_MAX; slot++) {
		const uint64_t *row = rows[slot];
		uint64_t any = 0;
		int r;

		for (r = 0; r < XDPDNS_REASON_COUNT; r++)
			any += row[r];
		if (slot ? !slots[slot].name[0] : !any)
			continue;
		printf("attach %s hook=%s interfaces=%d answered=%llu passed=%llu dropped=%llu "
		       "misses=%llu\n", slot ? slots[slot].name : "-",
		       slot ? xdpdns_hook_name(slots[slot].hook) : "-", links[slot],
		       (unsigned long long)xdpdns_stats_action_sum(row, XDP_TX),
		       (unsigned long long)xdpdns_stats_action_sum(row, XDP_PASS),
		       (unsigned long long)xdpdns_stats_action_sum(row, XDP_DROP),
		       (unsigned long long)row[XDPDNS_PASS_MISS]);
	}
}

static int cmd_stats(const struct ctl *c, int argc, char **argv)
{
	uint64_t counts[XDPDNS_REASON_COUNT];
	unsigned int r;
	int err = xdpdns_stats_read(c->maps, counts);

	(void)argc; /* no arguments */
	(void)argv;
	if (err) {
		fprintf(stderr, "xdpdnsctl: can't read the counters: %s\n", strerror(-err));
		return 1;
	}
	printf("kernel:\n");
	for (r = 0; r < XDPDNS_REASON_COUNT; r++)
		printf("%-28s %llu\n", xdpdns_reason_name(r), (unsigned long long)counts[r]);
	print_attach_points(c->maps);
	ask_daemon(c->instance, "stats", "daemon:");
	return 0;
}

/* The lowercased wire name stored after the body (see xdpdns_kern_user.h). */
static const uint8_t *entry_name(const struct xdpdns_cache_entry *e)
{
	return e->data + e->body_len;
}

static int print_entry(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
		       enum xdpdns_cache_class cls, void *arg)
{
	ldns_rdf *name = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, key->name_len,
					       entry_name(e));
	ldns_rr_type type = key->qtype;
	ldns_lookup_table *rcode = ldns_lookup_by_id(ldns_rcodes, e->dns_flags & 0xf);
	char *name_str = name ? ldns_rdf2str(name) : NULL;
	char *type_str = ldns_rr_type2str(type);
	uint64_t now = *(uint64_t *)arg;
	int64_t left = (int64_t)e->ttl_sec - (int64_t)((now - e->stored_ns) / 1000000000ULL);
	char ttl[32];

	if (left > 0)
		snprintf(ttl, sizeof(ttl), "%lld", (long long)left);
	else
		snprintf(ttl, sizeof(ttl), "stale %llds", (long long)-left);
	printf("%-40s %-6s %-8s %-12s %8u %s%s%s\n", name_str ? name_str : "?",
	       type_str ? type_str : "?", rcode ? rcode->name : "?", ttl, e->hits,
	       xdpdns_class_name(cls), key->flags & XDPDNS_KEY_DO ? " DO" : "",
	       key->flags & XDPDNS_KEY_CD ? " CD" : "");
	free(name_str);
	free(type_str);
	ldns_rdf_deep_free(name);
	return 0;
}

static int cmd_dump(const struct ctl *c, int argc, char **argv)
{
	uint64_t now = xdpdns_boottime_ns();
	int deleted, err;

	(void)argc; /* no arguments */
	(void)argv;
	printf("%-40s %-6s %-8s %-12s %8s %s\n", "name", "type", "rcode", "ttl", "hits", "class");
	err = xdpdns_cache_for_each(c->maps, print_entry, &now, &deleted);
	if (err) {
		fprintf(stderr, "xdpdnsctl: can't walk the cache: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

struct flush_arg {
	const ldns_rdf *name; /* NULL: everything */
};

static int match_name(const struct xdpdns_cache_key *key, const struct xdpdns_cache_entry *e,
		      enum xdpdns_cache_class cls, void *arg)
{
	const struct flush_arg *f = arg;

	(void)cls;
	return !f->name || (ldns_rdf_size(f->name) == key->name_len &&
			    !memcmp(ldns_rdf_data(f->name), entry_name(e), key->name_len));
}

static int cmd_flush(const struct ctl *c, int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	struct flush_arg f = { NULL };
	ldns_rdf *rdf = NULL;
	int deleted, err;

	if (name) {
		if (ldns_str2rdf_dname(&rdf, name) != LDNS_STATUS_OK) {
			fprintf(stderr, "xdpdnsctl: flush %s: not a domain name\n", name);
			return 2;
		}
		ldns_dname2canonical(rdf);
		f.name = rdf;
	}
	err = xdpdns_cache_for_each(c->maps, match_name, &f, &deleted);
	ldns_rdf_deep_free(rdf);
	if (err) {
		fprintf(stderr, "xdpdnsctl: can't walk the cache: %s\n", strerror(-err));
		return 1;
	}
	printf("flushed %d %s\n", deleted, deleted == 1 ? "entry" : "entries");
	return 0;
}

/* The daemon's answer to cmd on stdout; an "error: " it refuses with on stderr, exit 2. */
static int daemon_command(const char *instance, const char *cmd)
{
	char *reply = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&reply, &len);
	int err;

	if (!mem)
		return 1;
	err = control_request(instance, cmd, mem);
	fclose(mem);
	if (err) {
		fprintf(stderr, "xdpdnsctl: no daemon to ask on %s: %s\n", instance,
			err == -ENOENT ? "not running" : strerror(-err));
		free(reply);
		return 1;
	}
	if (!strncmp(reply, "error: ", 7)) {
		fprintf(stderr, "xdpdnsctl: %s", reply + 7);
		free(reply);
		return 2;
	}
	fputs(reply, stdout);
	free(reply);
	return 0;
}

static int cmd_health(const struct ctl *c, int argc, char **argv)
{
	const char *set = argc > 1 ? argv[1] : NULL, *state = argc > 2 ? argv[2] : NULL;
	struct xdpdns_health h;
	uint32_t zero = 0;

	if (set && state) { /* one upstream: the daemon's business */
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "force %s %s", set, state);
		return daemon_command(c->instance, cmd);
	}
	if (set) {
		if (strcmp(set, "up") && strcmp(set, "down")) {
			fprintf(stderr, "xdpdnsctl: health %s: up or down\n", set);
			return 2;
		}
		int err = xdpdns_health_write(c->maps,
					      !strcmp(set, "down") ? XDPDNS_HEALTH_ALL_DOWN : 0);

		if (err) {
			fprintf(stderr, "xdpdnsctl: can't write the health map: %s\n", strerror(-err));
			return 1;
		}
	}
	if (bpf_map_lookup_elem(c->maps->health, &zero, &h)) {
		fprintf(stderr, "xdpdnsctl: can't read the health map: %s\n", strerror(errno));
		return 1;
	}
	printf("upstreams: %s\n", h.flags & XDPDNS_HEALTH_ALL_DOWN ?
				  "all down (expired answers served stale)" :
				  h.flags & XDPDNS_HEALTH_RECOVERING ?
				  "up, recovering (expired answers served stale until refreshed)" : "up");
	/* 3: a probe's failure (kubernetes, systemd): the kernel's cache is there, no daemon */
	if (!set && ask_daemon(c->instance, "health", "each upstream, as the daemon sees it:"))
		return 3;
	return 0;
}

/* Drills live in the daemon: the words go to it as they are, and its errors exit 2. */
static int cmd_drill(const struct ctl *c, int argc, char **argv)
{
	char cmd[512] = "drill";
	size_t used = strlen(cmd);
	int i;

	for (i = 1; i < argc; i++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, " %s", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(cmd) - used) {
			fprintf(stderr, "xdpdnsctl: drill: too long\n");
			return 2;
		}
		used += n;
	}
	return daemon_command(c->instance, cmd);
}

static int cmd_snapshot(const struct ctl *c, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL, *path = argc > 2 ? argv[2] : NULL;
	struct xdpdns_snapshot_counts n;
	char err[512];

	if (!verb || !path || (strcmp(verb, "save") && strcmp(verb, "load"))) {
		fprintf(stderr, "xdpdnsctl: snapshot save|load FILE\n");
		return 2;
	}
	if (!strcmp(verb, "save")) {
		if (xdpdns_snapshot_save(c->maps, path, &n, err, sizeof(err))) {
			fprintf(stderr, "xdpdnsctl: %s\n", err);
			return 1;
		}
		printf("saved %llu entries to %s\n", (unsigned long long)n.saved, path);
		return 0;
	}
	if (xdpdns_snapshot_load(c->maps, path, &n, err, sizeof(err))) {
		fprintf(stderr, "xdpdnsctl: %s\n", err);
		return 1;
	}
	printf("loaded %llu entries from %s; dropped %llu past max-stale; skipped %llu with a newer "
	       "answer cached, %llu that found their map full; evicted %llu to make room\n",
	       (unsigned long long)n.loaded, path, (unsigned long long)n.too_old,
	       (unsigned long long)n.kept_newer, (unsigned long long)n.full,
	       (unsigned long long)n.evicted);
	return 0;
}

static int cmd_address(const struct ctl *c, int argc, char **argv)
{
	char err[256];
	bool on_lo;
	int ret;

	(void)c; /* no cache: it makes the node's address, before any cache exists */
	argc--; /* the words after "address" */
	argv++;
	if (argc < 2) {
		fprintf(stderr, "xdpdnsctl: address IF ADDR...\n");
		return 2;
	}
	ret = xdpdns_address_ensure(argv[0], (const char *const *)argv + 1, argc - 1, &on_lo,
				    err, sizeof(err));
	if (ret)
		fprintf(stderr, "xdpdnsctl: %s\n", err);
	else if (on_lo)
		fprintf(stderr, "xdpdnsctl: this kernel has no dummy interfaces (CONFIG_DUMMY): "
				"the addresses are on lo, not %s\n", argv[0]);
	return ret == -EINVAL || ret == -ENAMETOOLONG ? 2 : ret ? 1 : 0;
}

/* ---- detach: a kept program off its interfaces, with no daemon ---- */

/* Does program id use map map_id (one of the cache's)? Then its fd, else -1. */
static int prog_of_cache(__u32 id, __u32 map_id)
{
	__u32 maps[64], i;
	struct bpf_prog_info info = { .nr_map_ids = 64, .map_ids = (__u64)(unsigned long)maps };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -1;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (i = 0; i < info.nr_map_ids && i < 64; i++)
			if (maps[i] == map_id)
				return fd;
	close(fd);
	return -1;
}

/* Takes the cache's programs off ifindex: its XDP program, its TC filters on either side.
 * Returns how many it took off, or -errno. */
static int detach_iface(const char *instance, int ifindex, __u32 map_id)
{
	static const enum bpf_tc_attach_point sides[] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	unsigned int handle = xdpdns_tc_handle(instance);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int n = 0, err = 0, fd;
	size_t i;

	if (!bpf_xdp_query(ifindex, 0, &q) && q.prog_id &&
	    (q.attach_mode == XDP_ATTACHED_SKB || q.attach_mode == XDP_ATTACHED_DRV) &&
	    (fd = prog_of_cache(q.prog_id, map_id)) >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd);

		err = bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | (q.attach_mode == XDP_ATTACHED_SKB ?
							XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE), &o);
		close(fd);
		n += !err;
	}
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]) && !err; i++) {
		unsigned int id = xdpdns_tc_filter_id(ifindex, sides[i], handle);

		if (!id || (fd = prog_of_cache(id, map_id)) < 0)
			continue;
		close(fd);
		err = xdpdns_tc_filter_detach(ifindex, sides[i], handle);
		n += !err;
	}
	return err ? err : n;
}

/* Takes the cache's programs off every interface it lists, when no daemon serves it: what a
 * stop with keep left behind (the package's removal, an operator undoing a node cache). The
 * cache's pins stay: its snapshot and counters can still be read; `rm -r` of its pin
 * directory frees it. */
static int cmd_detach(const struct ctl *c, int argc, char **argv)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), key, next, *prev = NULL;
	int total = 0, failed = 0, err;
	libbpf_print_fn_t print;
	FILE *null;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "xdpdnsctl: detach takes no arguments\n");
		return 2;
	}
	null = fopen("/dev/null", "w");
	err = null ? control_request(c->instance, "health", null) : -errno;
	if (null)
		fclose(null);
	if (err != -ENOENT) {
		fprintf(stderr, "xdpdnsctl: a daemon serves %s: stop it without keep instead (it "
				"detaches everywhere)\n", c->instance);
		return 1;
	}
	if (bpf_obj_get_info_by_fd(c->maps->config, &info, &len)) {
		fprintf(stderr, "xdpdnsctl: can't read the cache's config map: %s\n", strerror(errno));
		return 1;
	}
	/* an interface without clsact, or without our filter, is not news (libbpf would print
	 * the kernel's complaint); failures are said below, by their errno */
	print = libbpf_set_print(NULL);
	for (err = bpf_map_get_next_key(c->maps->ifaces, NULL, &next); !err;
	     err = bpf_map_get_next_key(c->maps->ifaces, prev, &next)) {
		char name[IF_NAMESIZE] = "?";
		int n;

		key = next;
		prev = &key;
		if (!if_indextoname(key, name))
			continue; /* gone, or in another network namespace */
		n = detach_iface(c->instance, key, info.id);
		if (n < 0) {
			fprintf(stderr, "xdpdnsctl: can't detach from %s: %s\n", name, strerror(-n));
			failed++;
		} else if (n > 0) {
			printf("detached from %s\n", name);
			total += n;
		}
	}
	libbpf_set_print(print);
	printf("%d program%s taken off\n", total, total == 1 ? "" : "s");
	return failed ? 1 : 0;
}

static int cmd_top(const struct ctl *c, int argc, char **argv)
{
	return top_run(c->maps, c->instance, argc, argv);
}

const struct ctl_command ctl_commands[] = {
	{ "stats", "", CTL_CACHE, cmd_stats,
	  "kernel counters summed over CPUs and attach points, each\n"
	  "attach point's (answered, passed, dropped), the daemon's",
	  ".B stats\n"
	  "The kernel's counters, summed over CPUs and attach points, one per verdict; a line per\n"
	  "attach point (its hook, interfaces now, and packets answered, passed, dropped and missed);\n"
	  "then the daemon's." },
	{ "dump", "", CTL_CACHE, cmd_dump,
	  "kernel cache entries: name, type, rcode, TTL left, hits",
	  ".B dump\n"
	  "The kernel's cache entries: name, type, rcode, TTL left, hits, size class." },
	{ "flush", "[NAME]", CTL_CACHE, cmd_flush,
	  "remove every kernel cache entry, or those for NAME",
	  ".BR flush \" [\\fINAME\\fR]\"\n"
	  "Remove every kernel cache entry, or those for\n"
	  ".IR NAME ." },
	{ "health", "", CTL_CACHE, cmd_health,
	  "what the kernel acts on, and each upstream's state;\n"
	  "exit status 3 when no daemon answers",
	  ".B health\n"
	  "What the kernel acts on (upstreams up, all down: serving stale, or recovering), and each\n"
	  "upstream's state as the daemon sees it.\n"
	  "Exits 3 when no daemon answers on the control socket: a liveness probe." },
	{ "health", "up|down", CTL_CACHE, cmd_health,
	  "force what the kernel acts on (down: serve stale)",
	  ".BR health \" \" up | down\n"
	  "Force what the kernel acts on (down: serve expired entries stale), for drills." },
	{ "health", "ADDR down|up|auto", CTL_CACHE, cmd_health,
	  "a drill: force one upstream (the daemon must run)",
	  ".BR health \" \\fIADDR\\fR \" down | up | auto\n"
	  "A drill: force one upstream down or up, or let the health checks decide again.\n"
	  "The daemon must run." },
	{ "drill", "", CTL_CACHE, cmd_drill,
	  "the fault drills in force, on each upstream",
	  ".B drill\n"
	  "The fault drills in force, on each upstream, with the time they have left." },
	{ "drill", "ADDR|all FAULT [ARG] [for SECONDS]", CTL_CACHE, cmd_drill,
	  "a fault where the daemon meets its upstreams, for\n"
	  "SECONDS (60): stop, slow MS, servfail, loss PERCENT,\n"
	  "flap SECONDS, nxdomain NAME, empty NAME",
	  ".BR drill \" \\fIADDR\\fR|\" all \" \\fIFAULT\\fR [\\fIARG\\fR] [\" for \" \\fISECONDS\\fR]\"\n"
	  "A fault injected where the daemon meets its upstreams, on one upstream or all, for\n"
	  ".I SECONDS\n"
	  "(60 unless given, at most 3600); it ends by itself.\n"
	  ".I FAULT\n"
	  "is\n"
	  ".B stop\n"
	  "(no query leaves: timeouts),\n"
	  ".BI slow \" MS\"\n"
	  "(answers held back),\n"
	  ".B servfail\n"
	  "(every answer turned into SERVFAIL),\n"
	  ".BI loss \" PERCENT\"\n"
	  "(queries and answers lost, each way),\n"
	  ".BI flap \" SECONDS\"\n"
	  "(stopped and answering in turn),\n"
	  ".BI empty \" NAME\"\n"
	  "or\n"
	  ".BI nxdomain \" NAME\"\n"
	  "(answers for\n"
	  ".I NAME\n"
	  "turned into NOERROR with no records, or NXDOMAIN, with an SOA).\n"
	  "The daemon must run." },
	{ "drill", "off [ADDR]", CTL_CACHE, cmd_drill,
	  "end the drills (on every upstream, or on one)",
	  ".BR drill \" \" off \" [\\fIADDR\\fR]\"\n"
	  "End the drills now, on every upstream or on one." },
	{ "snapshot", "save FILE", CTL_CACHE, cmd_snapshot,
	  "save every kernel cache entry to FILE",
	  ".BR snapshot \" \" save \" \\fIFILE\\fR\"\n"
	  "Save every kernel cache entry to\n"
	  ".IR FILE ." },
	{ "snapshot", "load FILE", CTL_CACHE, cmd_snapshot,
	  "load FILE (from any host) into the kernel cache",
	  ".BR snapshot \" \" load \" \\fIFILE\\fR\"\n"
	  "Load\n"
	  ".I FILE\n"
	  "(written on any host) into the kernel cache; newer answers already cached are kept." },
	{ "top", "[--interval S] [-n N]", CTL_CACHE, cmd_top,
	  "rates, redrawn every S seconds (1), N times (0: until ^C)",
	  ".BR top \" [\" \\-\\-interval \" \\fIS\\fR] [\" \\-n \" \\fIN\\fR]\"\n"
	  "A live view for an incident: kernel hits a second against daemon answers, misses, stale and\n"
	  "guard answers, SERVFAIL, prefetches, every other daemon counter while it moves, and each\n"
	  "upstream's health and rates, redrawn every\n"
	  ".I S\n"
	  "seconds (1),\n"
	  ".I N\n"
	  "times (0: until interrupted); to a pipe, one frame after another." },
	{ "detach", "", CTL_CACHE, cmd_detach,
	  "with no daemon running: the cache's programs off every\n"
	  "interface it lists (what a stop with keep left)",
	  ".B detach\n"
	  "With no daemon serving the cache: take its programs (XDP, and TC on either side) off\n"
	  "every interface its attach points list, as a stop without keep would have; what a stop\n"
	  "with keep left answering from a cache nobody refreshes any more. Only programs that use\n"
	  "this cache's maps are touched. The pins stay (counters and dump still work):\n"
	  ".B rm -r\n"
	  "of the cache's directory under /sys/fs/bpf/xdpdns frees it. Refused while a daemon runs.\n"
	  "Exit status 1 if an interface could not be detached." },
	{ "address", "IF ADDR...", CTL_NO_CACHE, cmd_address,
	  "ADDR (/32, /128) on IF, up, made a dummy interface if\n"
	  "missing: the service address of a node",
	  ".BR address \" \\fIIF ADDR\\fR...\"\n"
	  "Put each\n"
	  ".I ADDR\n"
	  "on the interface\n"
	  ".I IF\n"
	  "as a host address (/32, /128), set\n"
	  ".I IF\n"
	  "up, and make it a dummy interface first if there is none of that name: the service address\n"
	  "of a node, as the DaemonSet's init container does it\n"
	  ".RB ( \"address nodelocaldns 169.254.20.10\" ).\n"
	  "Running it again changes nothing.\n"
	  "On a kernel without dummy interfaces (CONFIG_DUMMY) the addresses go on\n"
	  ".BR lo ,\n"
	  "with a warning.\n"
	  "Needs CAP_NET_ADMIN; no cache needs to exist." },
};

const size_t ctl_n_commands = sizeof(ctl_commands) / sizeof(ctl_commands[0]);

const struct ctl_command *ctl_command(const char *name)
{
	size_t i;

	for (i = 0; i < ctl_n_commands; i++)
		if (!strcmp(ctl_commands[i].name, name))
			return &ctl_commands[i];
	return NULL;
}

void ctl_commands_usage(FILE *out)
{
	size_t i;

	for (i = 0; i < ctl_n_commands; i++) {
		const struct ctl_command *k = &ctl_commands[i];
		char head[64];
		const char *line = k->usage;

		snprintf(head, sizeof(head), "%s%s%s", k->name, k->synopsis[0] ? " " : "", k->synopsis);
		/* the synopsis in 26 columns, else on a line of its own */
		if (strlen(head) > 26)
			fprintf(out, "  %s\n  %-26s ", head, "");
		else
			fprintf(out, "  %-26s ", head);
		for (;;) {
			const char *nl = strchr(line, '\n');

			fprintf(out, "%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
			if (!nl)
				break;
			line = nl + 1;
			fprintf(out, "  %-26s ", "");
		}
	}
}

void ctl_commands_roff(FILE *out)
{
	size_t i;

	for (i = 0; i < ctl_n_commands; i++)
		fprintf(out, ".TP\n%s\n", ctl_commands[i].man);
}
