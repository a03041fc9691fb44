// SPDX-License-Identifier: GPL-2.0
/* Loads, attaches and re-adopts the XDP program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "kernel_check.h"
#include "loader.h"
#include "log.h"
#include "xdpdns.skel.h"

#define XDPDNS_PROG_NAME "xdpdns_xdp_serve"

int xdpdns_pin_dir(const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", XDPDNS_PIN_ROOT, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int xdpdns_bpffs_dir(const char *root, const char *dir)
{
	struct statfs st;
	int err;

	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			err = -errno; /* before logging, which may change errno */
			log_error("can't mount bpffs on /sys/fs/bpf: %s", strerror(-err));
			return err;
		}
		log_info("mounted bpffs on /sys/fs/bpf");
	}
	if ((mkdir(root, 0700) && errno != EEXIST) || (mkdir(dir, 0700) && errno != EEXIST)) {
		err = -errno;
		log_error("can't create %s: %s", dir, strerror(-err));
		return err;
	}
	return 0;
}

/* Our program among those attached to ifindex, as a handle of its own, or NULL. */
static struct xdp_program *find_attached(int ifindex, enum xdp_attach_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p, *found = NULL;

	if (libxdp_get_error(mp))
		return NULL;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XDPDNS_PROG_NAME))
			found = xdp_program__from_id(xdp_program__id(p));
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !found;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), XDPDNS_PROG_NAME))
				found = xdp_program__from_id(xdp_program__id(p));
	}
	*mode = xdp_multiprog__attach_mode(mp);
	xdp_multiprog__close(mp);
	return libxdp_get_error(found) ? NULL : found;
}

/* libxdp falls back to attaching a program alone when the kernel refuses its dispatcher
 * (seen on 6.18 with libxdp 1.3); then no other XDP program can share the interface. */
static void warn_if_alone(int ifindex, const char *ifname)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);

	if (!libxdp_get_error(mp) && xdp_multiprog__is_legacy(mp))
		log_warn("libxdp's dispatcher is not usable here: attached to %s as its only XDP "
			 "program (other XDP programs can't share it)", ifname);
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
}

/* The program's maps from their pins, for a program already attached. */
static int adopt(struct xdpdns_loader *l)
{
	int err = xdpdns_maps_open_pinned(l->pin_dir, &l->maps);

	if (err) {
		log_warn("%s runs an xdpdns program whose maps are not pinned in %s: replacing it",
			 l->ifname, l->pin_dir);
		xdp_program__detach(l->prog, l->ifindex, l->mode, 0);
		xdp_program__close(l->prog);
		l->prog = NULL;
		return err;
	}
	l->maps_adopted = l->prog_adopted = true;
	log_info("adopted the program on %s (%s mode) and its cache in %s", l->ifname,
		 l->mode == XDP_MODE_SKB ? "generic" : "native", l->pin_dir);
	return 0;
}

/* Opens the skeleton with every map pinned in pin_dir (reusing pins that exist) and has libxdp
 * load and attach it in mode. */
static int load_and_attach(struct xdpdns_loader *l, enum xdp_attach_mode mode)
{
	char path[sizeof(l->pin_dir) + 64], msg[256];
	struct bpf_map *map;
	int err;

	l->skel = xdpdns__open();
	if (!l->skel)
		return -errno;
	bpf_object__for_each_map(map, l->skel->obj) {
		snprintf(path, sizeof(path), "%s/%s", l->pin_dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	l->prog = xdp_program__from_bpf_obj(l->skel->obj, "xdp");
	err = libxdp_get_error(l->prog);
	if (err) {
		l->prog = NULL;
		return err;
	}
	xdpdns_log_libbpf_quiet(1);
	err = xdp_program__attach(l->prog, l->ifindex, mode, 0);
	xdpdns_log_libbpf_quiet(0);
	if (err) {
		libxdp_strerror(err, msg, sizeof(msg));
		log_warn("can't attach XDP on %s in %s mode: %s", l->ifname,
			 mode == XDP_MODE_SKB ? "generic" : "native", msg);
		return err;
	}
	l->mode = mode;
	warn_if_alone(l->ifindex, l->ifname);
	return xdpdns_maps_find(l->skel->obj, &l->maps);
}

/* unpin: the maps were made by this run, for an attach that failed; leave no pins behind
 * that a later start would take for a cache worth keeping */
static void unload(struct xdpdns_loader *l, bool unpin)
{
	if (unpin && l->skel)
		bpf_object__unpin_maps(l->skel->obj, NULL);
	xdp_program__close(l->prog);
	l->prog = NULL;
	xdpdns__destroy(l->skel);
	l->skel = NULL;
}

int xdpdns_loader_start(struct xdpdns_loader *l, const char *ifname, enum xdpdns_xdp_mode mode)
{
	char why[160], pin[sizeof(l->pin_dir) + 16];
	struct xdpdns_config cfg;
	bool had_pins;
	int err;

	memset(l, 0, sizeof(*l));
	xdpdns_maps_reset(&l->maps);
	snprintf(l->ifname, sizeof(l->ifname), "%s", ifname);
	l->ifindex = if_nametoindex(ifname);
	if (!l->ifindex) {
		log_error("no interface %s: %s", ifname, strerror(errno));
		return -ENODEV;
	}
	err = xdpdns_kernel_check(why, sizeof(why));
	if (err) {
		log_error("%s", err == -ENOTSUP ? why : "can't probe the kernel's BPF support");
		return err;
	}
	err = xdpdns_pin_dir(ifname, l->pin_dir, sizeof(l->pin_dir));
	if (!err)
		err = xdpdns_bpffs_dir(XDPDNS_PIN_ROOT, l->pin_dir);
	if (err)
		return err;

	l->prog = find_attached(l->ifindex, &l->mode);
	if (l->prog && !adopt(l))
		return 0;

	/* decided before any attempt: a failed one leaves maps of its own */
	snprintf(pin, sizeof(pin), "%s/xdpdns_config", l->pin_dir);
	had_pins = !access(pin, F_OK);
	err = load_and_attach(l, mode == XDPDNS_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE);
	if (err && mode == XDPDNS_MODE_AUTO) {
		unload(l, !had_pins);
		log_warn("falling back to generic (skb) XDP on %s: it works everywhere and is far "
			 "slower; --mode native to refuse", ifname);
		err = load_and_attach(l, XDP_MODE_SKB);
	}
	if (err) {
		log_error("can't put the XDP program on %s%s", ifname,
			  mode == XDPDNS_MODE_NATIVE ? " (try --mode skb)" : "");
		unload(l, !had_pins);
		return err;
	}
	l->maps_adopted = had_pins;

	if (!l->maps_adopted) {
		err = xdpdns_config_init(&cfg);
		if (!err)
			err = xdpdns_config_write(&l->maps, &cfg);
		if (err) {
			xdpdns_loader_detach(l);
			return err;
		}
	}
	log_info("attached to %s (%s mode); cache in %s%s", ifname,
		 l->mode == XDP_MODE_SKB ? "generic" : "native", l->pin_dir,
		 l->maps_adopted ? ", kept from the last run" : "");
	return 0;
}

int xdpdns_loader_detach(struct xdpdns_loader *l)
{
	int err = 0;

	if (l->prog) {
		err = xdp_program__detach(l->prog, l->ifindex, l->mode, 0);
		if (err)
			log_warn("can't detach XDP from %s: %s", l->ifname, strerror(-err));
	}
	xdpdns_loader_close(l);
	return err;
}

void xdpdns_loader_close(struct xdpdns_loader *l)
{
	if (l->prog_adopted) {
		xdpdns_maps_close(&l->maps);
		xdp_program__close(l->prog);
		l->prog = NULL;
	} else {
		unload(l, false); /* the skeleton owns the map fds */
	}
	xdpdns_maps_reset(&l->maps);
}
