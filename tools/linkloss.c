// SPDX-License-Identifier: GPL-2.0
/* xdpdns-linkloss: packet loss on an interface's ingress, for fault drills on kernels without
 * netem. Attaches tools/linkloss.bpf.c and leaves it there when it exits.
 *
 *   xdpdns-linkloss IFACE PERCENT [--port N] [--mode native|skb]   attach (or replace ours)
 *   xdpdns-linkloss IFACE off                                      detach, print the counts
 *   xdpdns-linkloss IFACE                                          the loss and the counts
 *
 * Each run finds the program through the interface (its name, then its maps by name among the
 * program's), so it works from any mount namespace; the maps are also pinned under
 * XDPDNS_LINKLOSS_PIN_ROOT/IFACE/ for bpftool. It never touches an XDP program not its own.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_maps.h"
#include "linkloss_kern_user.h"
#include "linkloss.skel.h"
#include "log.h"
#include "pins.h"

#define PROG_MAP_IDS_MAX 8 /* ours has two; a program with more is not ours */

struct iface {
	const char *ifname;
	int ifindex;
	char pin_dir[sizeof(XDPDNS_LINKLOSS_PIN_ROOT) + IF_NAMESIZE + 1];
	/* ours, when attached (else prog_fd is -1) */
	int prog_fd, config_fd, stats_fd;
	__u32 mode;       /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	/* another program on the interface, for the messages that refuse to touch it */
	__u32 foreign_id;
	char foreign_name[BPF_OBJ_NAME_LEN];
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xdpdns-linkloss IFACE PERCENT [--port N] [--mode native|skb]\n"
		"       xdpdns-linkloss IFACE off\n"
		"       xdpdns-linkloss IFACE\n"
		"Drops PERCENT (0-100, fractions allowed) of the packets arriving on IFACE, or with\n"
		"--port only UDP and TCP with port N as source or destination; replaces an earlier\n"
		"xdpdns-linkloss program there, refuses any other XDP program, and exits leaving it\n"
		"attached (--mode native, the default, or skb). 'off' detaches it and prints its\n"
		"counts; without PERCENT it prints the loss and the counts.\n"
		"Maps are pinned under %s/IFACE/. In a network namespace, run it\n"
		"with nsenter --net, not ip netns exec: that mounts a /sys of its own, and pins\n"
		"made there vanish with it (the program is found through the interface anyway).\n",
		XDPDNS_LINKLOSS_PIN_ROOT);
}

static const char *mode_name(__u32 mode)
{
	return mode == XDP_FLAGS_SKB_MODE ? "skb" : mode == XDP_FLAGS_HW_MODE ? "hw" : "native";
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void drop_ours(struct iface *ll)
{
	close_fd(&ll->prog_fd);
	close_fd(&ll->config_fd);
	close_fd(&ll->stats_fd);
}

/* Takes the maps of program fd when it is ours: its name, and both maps among its own.
 * Returns 1 (ours, fds kept in ll), 0 (another program: name in ll), or -errno. */
static int adopt_if_ours(struct iface *ll, int fd, __u32 mode)
{
	__u32 ids[PROG_MAP_IDS_MAX], i, len;
	struct bpf_prog_info info;
	int config_fd = -1, stats_fd = -1;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = PROG_MAP_IDS_MAX;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (strncmp(info.name, XDPDNS_LINKLOSS_PROG_NAME, sizeof(info.name)) ||
	    info.nr_map_ids > PROG_MAP_IDS_MAX)
		goto foreign;
	for (i = 0; i < info.nr_map_ids; i++) {
		struct bpf_map_info mi;
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (bpf_obj_get_info_by_fd(mfd, &mi, &len))
			mi.name[0] = 0;
		if (!strcmp(mi.name, XDPDNS_LINKLOSS_CONFIG_MAP) && config_fd < 0)
			config_fd = mfd;
		else if (!strcmp(mi.name, XDPDNS_LINKLOSS_STATS_MAP) && stats_fd < 0)
			stats_fd = mfd;
		else
			close(mfd);
	}
	if (config_fd < 0 || stats_fd < 0) {
		close_fd(&config_fd);
		close_fd(&stats_fd);
		goto foreign;
	}
	if (ll->prog_fd >= 0) { /* ours twice (driver and offload): the first will do */
		close(config_fd);
		close(stats_fd);
		return 0;
	}
	ll->prog_fd = fd;
	ll->config_fd = config_fd;
	ll->stats_fd = stats_fd;
	ll->mode = mode;
	return 1;
foreign:
	ll->foreign_id = info.id;
	snprintf(ll->foreign_name, sizeof(ll->foreign_name), "%s", info.name);
	return 0;
}

/* What runs on the interface: ours (fds in ll) and any other program (its id in ll).
 * Returns 0 or -errno, logged. */
static int find_attached(struct iface *ll)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 modes[] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_HW_MODE };
	__u32 ids[3];
	int i, fd, ret;

	ll->prog_fd = ll->config_fd = ll->stats_fd = -1;
	ll->foreign_id = 0;
	if (bpf_xdp_query(ll->ifindex, 0, &q)) {
		ret = -errno;
		log_error("can't query XDP on %s: %s", ll->ifname, strerror(-ret));
		return ret;
	}
	ids[0] = q.drv_prog_id;
	ids[1] = q.skb_prog_id;
	ids[2] = q.hw_prog_id;
	for (i = 0; i < 3; i++) {
		if (!ids[i])
			continue;
		fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd < 0 && errno == ENOENT) /* detached since the query */
			continue;
		ret = fd < 0 ? -errno : adopt_if_ours(ll, fd, modes[i]);
		if (ret <= 0 && fd >= 0)
			close(fd);
		if (ret < 0) {
			log_error("can't read XDP program %u on %s: %s", ids[i], ll->ifname,
				  strerror(-ret));
			drop_ours(ll);
			return ret;
		}
	}
	return 0;
}

static int read_config(const struct iface *ll, struct xdpdns_linkloss_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(ll->config_fd, &zero, cfg) ? -errno : 0;
}

/* The counters, summed over CPUs. */
static int read_counts(const struct iface *ll, __u64 counts[XDPDNS_LINKLOSS_COUNTERS])
{
	return xdpdns_percpu_sum(ll->stats_fd, XDPDNS_LINKLOSS_COUNTERS, (uint64_t *)counts);
}

static void print_loss(const struct iface *ll, const struct xdpdns_linkloss_config *cfg)
{
	char what[64] = "of every packet";

	if (cfg->port)
		snprintf(what, sizeof(what), "of UDP/TCP port %u", ntohs(cfg->port));
	printf("%s: %g%% loss %s (%s)\n", ll->ifname,
	       cfg->loss_ppm * 100.0 / XDPDNS_LINKLOSS_PPM_MAX, what, mode_name(ll->mode));
}

/* "NAME VALUE" lines, as xdpdnsctl stats prints them. */
static int print_counts(const struct iface *ll)
{
	__u64 counts[XDPDNS_LINKLOSS_COUNTERS];
	int ret = read_counts(ll, counts);

	if (ret) {
		log_error("can't read the counters of %s: %s", ll->ifname, strerror(-ret));
		return ret;
	}
	printf("passed %llu\ndropped %llu\nother %llu\n",
	       (unsigned long long)counts[XDPDNS_LINKLOSS_PASSED],
	       (unsigned long long)counts[XDPDNS_LINKLOSS_DROPPED],
	       (unsigned long long)counts[XDPDNS_LINKLOSS_OTHER]);
	return 0;
}

static int refuse_foreign(const struct iface *ll, const char *what)
{
	log_error("%s runs XDP program '%s' (id %u), not xdpdns-linkloss: %s", ll->ifname,
		  ll->foreign_name, ll->foreign_id, what);
	return -EBUSY;
}

static void pin_path(const struct iface *ll, const char *map, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ll->pin_dir, map);
}

/* Removes the pins of this interface (of a program now replaced, detached, or gone). */
static void unpin(const struct iface *ll)
{
	char path[sizeof(ll->pin_dir) + BPF_OBJ_NAME_LEN + 1];

	pin_path(ll, XDPDNS_LINKLOSS_CONFIG_MAP, path, sizeof(path));
	unlink(path);
	pin_path(ll, XDPDNS_LINKLOSS_STATS_MAP, path, sizeof(path));
	unlink(path);
	rmdir(ll->pin_dir); /* the root stays, as XDPDNS_PIN_ROOT does: another run may be
			     * creating its directory in it */
}

/* The new program's maps in place of the old pins. A failure leaves the program attached,
 * since every later run finds it through the interface: it is reported, not undone. */
static void pin(const struct iface *ll, struct linkloss *skel)
{
	char path[sizeof(ll->pin_dir) + BPF_OBJ_NAME_LEN + 1];
	int ret;

	unpin(ll);
	ret = xdpdns_bpffs_dir(XDPDNS_LINKLOSS_PIN_ROOT, ll->pin_dir);
	if (ret)
		return;
	pin_path(ll, XDPDNS_LINKLOSS_CONFIG_MAP, path, sizeof(path));
	ret = bpf_map__pin(skel->maps.linkloss_config, path);
	if (!ret) {
		pin_path(ll, XDPDNS_LINKLOSS_STATS_MAP, path, sizeof(path));
		ret = bpf_map__pin(skel->maps.linkloss_stats, path);
	}
	if (ret)
		log_warn("attached, but can't pin %s: %s", path, strerror(-ret));
}

static int cmd_attach(struct iface *ll, __u32 loss_ppm, __u16 port, __u32 mode)
{
	struct xdpdns_linkloss_config cfg = { .loss_ppm = loss_ppm, .port = htons(port) };
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct linkloss *skel;
	__u32 zero = 0, flags = mode;
	int ret;

	if (ll->foreign_id)
		return refuse_foreign(ll, "not replacing it");
	skel = linkloss__open_and_load();
	if (!skel) {
		ret = -errno;
		log_error("can't load the linkloss program: %s", strerror(-ret));
		return ret;
	}
	ret = bpf_map_update_elem(bpf_map__fd(skel->maps.linkloss_config), &zero, &cfg, BPF_ANY);
	if (ret) {
		ret = -errno;
		log_error("can't write the linkloss config: %s", strerror(-ret));
		goto out;
	}
	if (ll->prog_fd >= 0 && ll->mode == mode) {
		/* atomic: no packet escapes between the two, and only ours is replaced */
		flags |= XDP_FLAGS_REPLACE;
		opts.old_prog_fd = ll->prog_fd;
	} else {
		if (ll->prog_fd >= 0) { /* the other mode: off there first */
			LIBBPF_OPTS(bpf_xdp_attach_opts, old, .old_prog_fd = ll->prog_fd);

			ret = bpf_xdp_detach(ll->ifindex, ll->mode | XDP_FLAGS_REPLACE, &old);
			if (ret) {
				log_error("can't detach the %s-mode program from %s: %s",
					  mode_name(ll->mode), ll->ifname, strerror(-ret));
				goto out;
			}
		}
		flags |= XDP_FLAGS_UPDATE_IF_NOEXIST; /* never clobber one attached meanwhile */
	}
	ret = bpf_xdp_attach(ll->ifindex, bpf_program__fd(skel->progs.xdpdns_xdp_loss), flags,
			     &opts);
	if (ret) {
		log_error("can't attach XDP on %s in %s mode: %s%s", ll->ifname, mode_name(mode),
			  strerror(-ret), mode == XDP_FLAGS_DRV_MODE ? " (try --mode skb)" : "");
		goto out;
	}
	ll->mode = mode;
	pin(ll, skel);
	print_loss(ll, &cfg);
out:
	linkloss__destroy(skel); /* the interface holds the program, the program its maps */
	return ret;
}

static int cmd_off(struct iface *ll)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = ll->prog_fd);
	int ret;

	if (ll->prog_fd < 0) {
		unpin(ll); /* left by an interface that went away with its program */
		if (ll->foreign_id)
			return refuse_foreign(ll, "left alone");
		printf("%s: no xdpdns-linkloss program\n", ll->ifname);
		return 0;
	}
	ret = bpf_xdp_detach(ll->ifindex, ll->mode | XDP_FLAGS_REPLACE, &opts);
	if (ret) {
		log_error("can't detach XDP from %s: %s", ll->ifname, strerror(-ret));
		return ret;
	}
	unpin(ll);
	printf("%s: off\n", ll->ifname);
	return print_counts(ll); /* after the detach: exact, the maps live while we hold them */
}

static int cmd_show(struct iface *ll)
{
	struct xdpdns_linkloss_config cfg;
	int ret;

	if (ll->prog_fd < 0) {
		printf("%s: off\n", ll->ifname);
		if (ll->foreign_id)
			printf("(runs XDP program '%s', id %u)\n", ll->foreign_name, ll->foreign_id);
		return 0;
	}
	ret = read_config(ll, &cfg);
	if (ret) {
		log_error("can't read the config of %s: %s", ll->ifname, strerror(-ret));
		return ret;
	}
	print_loss(ll, &cfg);
	return print_counts(ll);
}

/* "20", "12.5", "0.01%": 0 to 100, in ppm. Returns 0 or -EINVAL. */
static int parse_percent(const char *s, __u32 *ppm)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (end == s || errno || !isfinite(x) || (*end && strcmp(end, "%")) || x < 0 || x > 100)
		return -EINVAL;
	*ppm = (__u32)lround(x * (XDPDNS_LINKLOSS_PPM_MAX / 100));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct iface ll = { .prog_fd = -1, .config_fd = -1, .stats_fd = -1 };
	__u32 mode = XDP_FLAGS_DRV_MODE, loss_ppm = 0;
	const char *what = NULL;
	bool opts_given = false;
	unsigned long port = 0;
	char *end;
	int c, ret;

	xdpdns_log_init("xdpdns-linkloss", XDPDNS_LOG_INFO);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			port = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || port < 1 || port > 65535) {
				log_error("--port: '%s' is not a port, 1 to 65535", optarg);
				return 2;
			}
			opts_given = true;
			break;
		case 'm':
			if (!strcmp(optarg, "native")) {
				mode = XDP_FLAGS_DRV_MODE;
			} else if (!strcmp(optarg, "skb")) {
				mode = XDP_FLAGS_SKB_MODE;
			} else {
				log_error("--mode: '%s' is not native or skb", optarg);
				return 2;
			}
			opts_given = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		usage(stderr);
		return 2;
	}
	ll.ifname = argv[optind];
	what = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (what && strcmp(what, "off") && parse_percent(what, &loss_ppm)) {
		log_error("'%s' is not a percentage from 0 to 100, nor 'off'", what);
		return 2;
	}
	if (opts_given && (!what || !strcmp(what, "off"))) {
		log_error("--port and --mode go with a PERCENT");
		return 2;
	}
	ll.ifindex = if_nametoindex(ll.ifname);
	if (!ll.ifindex) {
		log_error("unknown interface '%s': %s (in a network namespace? run this there)",
			  ll.ifname, strerror(errno));
		return 1;
	}
	if (strlen(ll.ifname) >= IF_NAMESIZE) /* if_nametoindex would have failed: for gcc */
		return 1;
	snprintf(ll.pin_dir, sizeof(ll.pin_dir), "%s/%s", XDPDNS_LINKLOSS_PIN_ROOT, ll.ifname);

	ret = find_attached(&ll);
	if (ret)
		return 1;
	if (!what)
		ret = cmd_show(&ll);
	else if (!strcmp(what, "off"))
		ret = cmd_off(&ll);
	else
		ret = cmd_attach(&ll, loss_ppm, port, mode);
	drop_ours(&ll);
	return ret ? 1 : 0;
}
