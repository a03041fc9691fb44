// SPDX-License-Identifier: GPL-2.0
/* xdpdnsctl: inspects and steers a running cache through the maps pinned under
 * XDPDNS_PIN_ROOT/<instance>/ (see pins.h). Works while the daemon is down too. Finds the
 * cache by itself when one runs; --instance names one of several, and --iface IF (scripts from
 * before instances) the one attached to IF.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <ldns/ldns.h>
#include "bpf_maps.h"
#include "address.h"
#include "control.h"
#include "pins.h"
#include "snapshot.h"
#include "top.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xdpdnsctl [--instance NAME | --iface IF] COMMAND | --version\n"
		"  stats                      kernel counters summed over CPUs and attach points, each\n"
		"                             attach point's (answered, passed, dropped), the daemon's\n"
		"  dump                       kernel cache entries: name, type, rcode, TTL left, hits\n"
		"  flush [NAME]               remove every kernel cache entry, or those for NAME\n"
		"  health                     what the kernel acts on, and each upstream's state;\n"
		"                             exit status 3 when no daemon answers\n"
		"  health up|down             force what the kernel acts on (down: serve stale)\n"
		"  health ADDR down|up|auto   a drill: force one upstream (the daemon must run)\n"
		"  drill                      the fault drills in force, on each upstream\n"
		"  drill ADDR|all FAULT [ARG] [for SECONDS]\n"
		"                             a fault where the daemon meets its upstreams, for\n"
		"                             SECONDS (60): stop, slow MS, servfail, loss PERCENT,\n"
		"                             flap SECONDS, nxdomain NAME, empty NAME\n"
		"  drill off [ADDR]           end the drills (on every upstream, or on one)\n"
		"  snapshot save FILE         save every kernel cache entry to FILE\n"
		"  snapshot load FILE         load FILE (from any host) into the kernel cache\n"
		"  top [--interval S] [-n N]  rates, redrawn every S seconds (1), N times (0: until ^C)\n"
		"  address IF ADDR...         ADDR (/32, /128) on IF, up, made a dummy interface if\n"
		"                             missing: the service address of a node\n"
		"Without --instance, the only cache under %s; --iface IF: the cache attached to IF.\n",
		XDPDNS_PIN_ROOT);
}

/* Is dir (under XDPDNS_PIN_ROOT) a cache: does it hold a config? */
static bool is_cache(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/xdpdns_config", XDPDNS_PIN_ROOT, name);
	return name[0] != '.' && !access(path, F_OK);
}

/* Does the cache of instance list ifindex among its interfaces (xdpdns_ifaces)? */
static bool attached_to(const char *instance, unsigned int ifindex)
{
	struct xdpdns_iface v;
	char path[PATH_MAX];
	bool found;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/xdpdns_ifaces", XDPDNS_PIN_ROOT, instance);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	found = !bpf_map_lookup_elem(fd, &ifindex, &v);
	close(fd);
	return found;
}

/* The cache to work on, into instance: the one named; with ifname, the one pinned under that
 * name (a daemon from before instances, or the default instance of `iface IF`), else the one
 * attached to it; with neither, the only one. Returns 0, or -ENOENT having said why. */
static int find_instance(const char *named, const char *ifname, char *instance, size_t len)
{
	unsigned int ifindex = ifname[0] ? if_nametoindex(ifname) : 0;
	char names[1024] = "";
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (named[0] || (ifname[0] && is_cache(ifname))) {
		snprintf(instance, len, "%s", named[0] ? named : ifname);
		return 0;
	}
	d = opendir(XDPDNS_PIN_ROOT);
	if (!d) {
		fprintf(stderr, "xdpdnsctl: no cache is running (%s: %s)\n", XDPDNS_PIN_ROOT,
			strerror(errno));
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		if (!is_cache(de->d_name) || strlen(de->d_name) >= len)
			continue;
		if (ifname[0] && (!ifindex || !attached_to(de->d_name, ifindex)))
			continue;
		if (n++ == 0)
			snprintf(instance, len, "%s", de->d_name);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", n > 1 ? ", " : "",
			 de->d_name);
	}
	closedir(d);
	if (n == 1)
		return 0;
	if (!n && ifname[0])
		fprintf(stderr, "xdpdnsctl: no cache is attached to %s\n", ifname);
	else if (!n)
		fprintf(stderr, "xdpdnsctl: no cache is running (nothing under %s)\n", XDPDNS_PIN_ROOT);
	else
		fprintf(stderr, "xdpdnsctl: %d caches run here (%s): say which with --instance\n", n,
			names);
	return -ENOENT;
}

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

static int cmd_stats(const struct xdpdns_maps *m, const char *instance)
{
	uint64_t counts[XDPDNS_REASON_COUNT];
	unsigned int r;
	int err = xdpdns_stats_read(m, counts);

	if (err) {
		fprintf(stderr, "xdpdnsctl: can't read the counters: %s\n", strerror(-err));
		return 1;
	}
	printf("kernel:\n");
	for (r = 0; r < XDPDNS_REASON_COUNT; r++)
		printf("%-28s %llu\n", xdpdns_reason_name(r), (unsigned long long)counts[r]);
	print_attach_points(m);
	ask_daemon(instance, "stats", "daemon:");
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

static int cmd_dump(const struct xdpdns_maps *m)
{
	uint64_t now = xdpdns_boottime_ns();
	int deleted, err;

	printf("%-40s %-6s %-8s %-12s %8s %s\n", "name", "type", "rcode", "ttl", "hits", "class");
	err = xdpdns_cache_for_each(m, print_entry, &now, &deleted);
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

static int cmd_flush(const struct xdpdns_maps *m, const char *name)
{
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
	err = xdpdns_cache_for_each(m, match_name, &f, &deleted);
	ldns_rdf_deep_free(rdf);
	if (err) {
		fprintf(stderr, "xdpdnsctl: can't walk the cache: %s\n", strerror(-err));
		return 1;
	}
	printf("flushed %d %s\n", deleted, deleted == 1 ? "entry" : "entries");
	return 0;
}

static int cmd_health(const struct xdpdns_maps *m, const char *instance, const char *set,
		      const char *state)
{
	struct xdpdns_health h;
	uint32_t zero = 0;

	if (set && state) { /* one upstream: the daemon's business */
		char cmd[128];
		int err;

		snprintf(cmd, sizeof(cmd), "force %s %s", set, state);
		err = control_request(instance, cmd, stdout);
		if (err)
			fprintf(stderr, "xdpdnsctl: no daemon to ask on %s: %s\n", instance,
				err == -ENOENT ? "not running" : strerror(-err));
		return err ? 1 : 0;
	}
	if (set) {
		if (strcmp(set, "up") && strcmp(set, "down")) {
			fprintf(stderr, "xdpdnsctl: health %s: up or down\n", set);
			return 2;
		}
		int err = xdpdns_health_write(m, !strcmp(set, "down") ? XDPDNS_HEALTH_ALL_DOWN : 0);

		if (err) {
			fprintf(stderr, "xdpdnsctl: can't write the health map: %s\n", strerror(-err));
			return 1;
		}
	}
	if (bpf_map_lookup_elem(m->health, &zero, &h)) {
		fprintf(stderr, "xdpdnsctl: can't read the health map: %s\n", strerror(errno));
		return 1;
	}
	printf("upstreams: %s\n", h.flags & XDPDNS_HEALTH_ALL_DOWN ?
				  "all down (expired answers served stale)" :
				  h.flags & XDPDNS_HEALTH_RECOVERING ?
				  "up, recovering (expired answers served stale until refreshed)" : "up");
	/* 3: a probe's failure (kubernetes, systemd): the kernel's cache is there, no daemon */
	if (!set && ask_daemon(instance, "health", "each upstream, as the daemon sees it:"))
		return 3;
	return 0;
}

/* Drills live in the daemon: the words go to it as they are, and its errors exit 2. */
static int cmd_drill(const char *instance, int argc, char **argv)
{
	char cmd[512] = "drill", *reply = NULL;
	size_t len = 0, used = strlen(cmd);
	FILE *mem;
	int i, err;

	for (i = 0; i < argc; i++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, " %s", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(cmd) - used) {
			fprintf(stderr, "xdpdnsctl: drill: too long\n");
			return 2;
		}
		used += n;
	}
	mem = open_memstream(&reply, &len);
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
		fprintf(stderr, "xdpdnsctl: drill: %s", reply + 7);
		free(reply);
		return 2;
	}
	fputs(reply, stdout);
	free(reply);
	return 0;
}

static int cmd_snapshot(struct xdpdns_maps *m, const char *verb, const char *path)
{
	struct xdpdns_snapshot_counts n;
	char err[512];

	if (!verb || !path || (strcmp(verb, "save") && strcmp(verb, "load"))) {
		fprintf(stderr, "xdpdnsctl: snapshot save|load FILE\n");
		return 2;
	}
	if (!strcmp(verb, "save")) {
		if (xdpdns_snapshot_save(m, path, &n, err, sizeof(err))) {
			fprintf(stderr, "xdpdnsctl: %s\n", err);
			return 1;
		}
		printf("saved %llu entries to %s\n", (unsigned long long)n.saved, path);
		return 0;
	}
	if (xdpdns_snapshot_load(m, path, &n, err, sizeof(err))) {
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

static int cmd_address(int argc, char **argv)
{
	char err[256];
	bool on_lo;
	int ret;

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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "instance", required_argument, NULL, 'I' },
		{ "iface", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char named[XDPDNS_INSTANCE_MAX_LEN + 1] = "", ifname[IF_NAMESIZE] = "";
	char instance[XDPDNS_INSTANCE_MAX_LEN + 1] = "", dir[PATH_MAX];
	struct xdpdns_maps maps;
	const char *cmd;
	int c, err, ret;

	while ((c = getopt_long(argc, argv, "+i:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'I':
			snprintf(named, sizeof(named), "%s", optarg);
			break;
		case 'i':
			snprintf(ifname, sizeof(ifname), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xdpdnsctl %s\n", xdpdns_version);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (!strcmp(cmd, "address")) /* before any cache exists: the DaemonSet's init container */
		return cmd_address(argc - optind - 1, argv + optind + 1);
	if (strcmp(cmd, "stats") && strcmp(cmd, "dump") && strcmp(cmd, "flush") &&
	    strcmp(cmd, "health") && strcmp(cmd, "snapshot") && strcmp(cmd, "drill") &&
	    strcmp(cmd, "top")) {
		fprintf(stderr, "xdpdnsctl: unknown command %s\n", cmd);
		usage(stderr);
		return 2;
	}
	if (find_instance(named, ifname, instance, sizeof(instance)))
		return 1;
	if (xdpdns_pin_dir(instance, dir, sizeof(dir))) {
		fprintf(stderr, "xdpdnsctl: %s: name too long\n", instance);
		return 2;
	}
	err = xdpdns_maps_open_pinned(dir, &maps);
	if (err) {
		fprintf(stderr, "xdpdnsctl: no cache for %s (%s: %s)\n", instance, dir, strerror(-err));
		return 1;
	}

	if (!strcmp(cmd, "stats"))
		ret = cmd_stats(&maps, instance);
	else if (!strcmp(cmd, "dump"))
		ret = cmd_dump(&maps);
	else if (!strcmp(cmd, "flush"))
		ret = cmd_flush(&maps, optind + 1 < argc ? argv[optind + 1] : NULL);
	else if (!strcmp(cmd, "drill"))
		ret = cmd_drill(instance, argc - optind - 1, argv + optind + 1);
	else if (!strcmp(cmd, "top"))
		ret = top_run(&maps, instance, argc - optind, argv + optind);
	else if (!strcmp(cmd, "snapshot"))
		ret = cmd_snapshot(&maps, optind + 1 < argc ? argv[optind + 1] : NULL,
				   optind + 2 < argc ? argv[optind + 2] : NULL);
	else
		ret = cmd_health(&maps, instance, optind + 1 < argc ? argv[optind + 1] : NULL,
				 optind + 2 < argc ? argv[optind + 2] : NULL);
	xdpdns_maps_close(&maps);
	return ret;
}
