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
#include "commands.h"
#include "pins.h"
#include "snapshot.h"
#include "top.h"
#include "version.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: xdpdnsctl [--instance NAME | --iface IF] COMMAND | --version\n");
	ctl_commands_usage(out);
	fprintf(out, "Without --instance, the only cache under %s; --iface IF: the cache attached "
		     "to IF.\n", XDPDNS_PIN_ROOT);
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
	const struct ctl_command *cmd;
	int c, err, ret;

	while ((c = getopt_long(argc, argv, "+I:i:hV", longopts, NULL)) != -1) {
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
	cmd = ctl_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "xdpdnsctl: unknown command %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (cmd->needs == CTL_NO_CACHE)
		return cmd->run(&(struct ctl){ NULL, "" }, argc - optind, argv + optind);
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

	ret = cmd->run(&(struct ctl){ &maps, instance }, argc - optind, argv + optind);
	xdpdns_maps_close(&maps);
	return ret;
}
