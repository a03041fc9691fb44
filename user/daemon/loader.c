// SPDX-License-Identifier: GPL-2.0
/* Loads the XDP program and attaches it, or swaps it for the one attached. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "kernel_check.h"
#include "loader.h"
#include "log.h"
#include "xdpdns.skel.h"

#define XDPDNS_PROG_NAME "xdpdns_xdp_serve"

uint32_t xdpdns_class_entries(enum xdpdns_cache_class cls, uint32_t cache_entries)
{
	static const uint32_t defaults[XDPDNS_CLASS_COUNT] = {
		XDPDNS_CLASS_S_ENTRIES, XDPDNS_CLASS_M_ENTRIES, XDPDNS_CLASS_L_ENTRIES,
	};
	uint64_t n = (uint64_t)cache_entries * defaults[cls] / XDPDNS_CLASS_S_ENTRIES;

	return n ? n : 1;
}

/* The program attached to ifindex, from the link (netlink: no capability needed): its id, 0
 * when there is none, and its mode. Through libxdp's dispatcher, the dispatcher's id. */
static int query_attached(int ifindex, __u32 *id, enum xdp_attach_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err)
		return err;
	*id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	*mode = q.drv_prog_id ? XDP_MODE_NATIVE : q.skb_prog_id ? XDP_MODE_SKB : XDP_MODE_HW;
	return 0;
}

/* Our program among those attached to ifindex, as libxdp's handle of its own, in *found (NULL
 * when it is not there); *legacy when it is attached alone, not through libxdp's dispatcher.
 * libxdp takes every program there by id (BPF_PROG_GET_FD_BY_ID): without CAP_SYS_ADMIN it
 * fails, -EPERM. Returns 0 or -errno. */
static int find_attached(int ifindex, struct xdp_program **found, enum xdp_attach_mode *mode,
			 bool *legacy)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int err = libxdp_get_error(mp);

	*found = NULL;
	if (err)
		return err;
	*legacy = xdp_multiprog__is_legacy(mp);
	if (*legacy) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XDPDNS_PROG_NAME))
			*found = xdp_program__from_id(xdp_program__id(p));
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p && !*found;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), XDPDNS_PROG_NAME))
				*found = xdp_program__from_id(xdp_program__id(p));
	}
	*mode = xdp_multiprog__attach_mode(mp);
	xdp_multiprog__close(mp);
	err = libxdp_get_error(*found);
	if (err)
		*found = NULL;
	return err;
}

static void prog_pin_path(const struct xdpdns_loader *l, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", l->pin_dir, name);
}

/* The fd of the program pinned at path (bpffs' file permissions: no capability) if it is id, the
 * program attached, and an xdpdns one; else -1. A pin left by a crash, by a detach from outside
 * the daemon, or by anyone else is never used: only the program attached may be replaced. (The
 * kernel checks it too: XDP_FLAGS_REPLACE fails, -EEXIST, when the old fd is not the program
 * attached.) quiet: no warning for a pin that is not id. */
static int pinned_prog(const char *path, __u32 id, const char *ifname, bool quiet)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("can't open the program pinned at %s: %s", path, strerror(errno));
		return -1;
	}
	/* BPF_OBJ_NAME_LEN holds 15 characters of the name */
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_PROG_TYPE_XDP &&
	    info.id == id && !strncmp(info.name, XDPDNS_PROG_NAME, sizeof(info.name) - 1))
		return fd;
	if (!quiet)
		log_warn("the program pinned at %s (id %u) is not the one attached to %s (id %u): "
			 "not used", path, info.id, ifname, id);
	close(fd);
	return -1;
}

/* The program attached (id) by its pin: XDPDNS_PROG_PIN, or XDPDNS_PROG_PIN_NEXT when the last
 * daemon stopped between a swap and the rename of the pin, which is done now. Returns its fd or
 * -1. */
static int open_attached_pin(struct xdpdns_loader *l, __u32 id)
{
	char pin[sizeof(l->pin_dir) + 32], next[sizeof(l->pin_dir) + 32];
	int fd;

	prog_pin_path(l, XDPDNS_PROG_PIN, pin, sizeof(pin));
	prog_pin_path(l, XDPDNS_PROG_PIN_NEXT, next, sizeof(next));
	fd = pinned_prog(next, id, l->ifname, true);
	if (fd < 0)
		return pinned_prog(pin, id, l->ifname, false);
	log_info("%s is the program attached to %s: the last daemon stopped before renaming it",
		 next, l->ifname);
	if (rename(next, pin))
		log_warn("can't rename %s to %s: %s", next, pin, strerror(errno));
	return fd;
}

/* Pins fd at XDPDNS_PROG_PIN_NEXT, before it is attached. Returns 0 or -errno, having warned:
 * the daemon serves without the pin, and the next upgrade takes CAP_SYS_ADMIN. */
static int pin_next(struct xdpdns_loader *l, int fd)
{
	char next[sizeof(l->pin_dir) + 32];
	int err;

	prog_pin_path(l, XDPDNS_PROG_PIN_NEXT, next, sizeof(next));
	if ((unlink(next) && errno != ENOENT) || bpf_obj_pin(fd, next)) {
		err = -errno;
		log_warn("can't pin the XDP program at %s: %s (replacing it at the next upgrade "
			 "will take CAP_SYS_ADMIN)", next, strerror(-err));
		return err;
	}
	return 0;
}

/* The program pinned at XDPDNS_PROG_PIN_NEXT, now attached, becomes XDPDNS_PROG_PIN in one
 * rename(2), the old pin going with it; or (attached false) its pin goes. */
static void pin_settle(struct xdpdns_loader *l, bool attached)
{
	char pin[sizeof(l->pin_dir) + 32], next[sizeof(l->pin_dir) + 32];

	prog_pin_path(l, XDPDNS_PROG_PIN, pin, sizeof(pin));
	prog_pin_path(l, XDPDNS_PROG_PIN_NEXT, next, sizeof(next));
	if (!attached)
		unlink(next);
	else if (rename(next, pin))
		log_warn("can't rename %s to %s: %s (replacing the program at the next upgrade "
			 "will take CAP_SYS_ADMIN)", next, pin, strerror(errno));
}

/* Removes the program's pins: it is detached, or attached through the dispatcher (the pin is
 * for a program attached alone). */
static void unpin_prog(struct xdpdns_loader *l)
{
	char pin[sizeof(l->pin_dir) + 32];

	prog_pin_path(l, XDPDNS_PROG_PIN, pin, sizeof(pin));
	if (unlink(pin) && errno != ENOENT)
		log_warn("can't remove %s: %s", pin, strerror(errno));
	pin_settle(l, false);
}

/* After libxdp attached the program: alone, it is pinned (XDPDNS_PROG_PIN) for the next
 * upgrade. libxdp falls back to attaching it alone when the kernel refuses its dispatcher (seen
 * on 6.18 with libxdp 1.3); then no other XDP program can share the interface. */
static void after_attach(struct xdpdns_loader *l)
{
	enum xdp_attach_mode mode;
	__u32 id = 0;

	l->prog_id = xdp_program__id(l->prog);
	l->alone = !query_attached(l->ifindex, &id, &mode) && id == l->prog_id;
	if (!l->alone) {
		unpin_prog(l);
		return;
	}
	log_warn("libxdp's dispatcher is not usable here: attached to %s as its only XDP "
		 "program (other XDP programs can't share it)", l->ifname);
	if (!pin_next(l, xdp_program__fd(l->prog)))
		pin_settle(l, true);
}

/* Can the program's map reuse the one pinned at path? libbpf refuses a pin whose type, sizes
 * or flags differ, and the config's layout version tells fields that moved (see
 * xdpdns_kern_user.h). Returns 0 (also when there is no pin), or why not. */
static const char *pin_unusable(const struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *why = NULL;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return NULL;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		why = "can't be read";
	else if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		 info.value_size != bpf_map__value_size(map) || info.map_flags != bpf_map__map_flags(map))
		why = "is of another kind";
	else if (info.max_entries != bpf_map__max_entries(map))
		why = "is of another size";
	if (!why && !strcmp(bpf_map__name(map), "xdpdns_config")) {
		struct xdpdns_config cfg;
		__u32 zero = 0;

		if (bpf_map_lookup_elem(fd, &zero, &cfg) || cfg.layout_version != XDPDNS_LAYOUT_VERSION)
			why = "is of another layout version";
	}
	close(fd);
	return why;
}

/* Drops the pins the program can't reuse, so that it makes new maps there: every pin when the
 * config's can't be (it holds the hash seed that keys the cache, and the layout version), else
 * each map of another size or kind (a changed cache-entries: that class starts empty). A
 * program still attached keeps using its maps, pinned or not, until it is replaced. */
static void drop_unusable_pins(struct xdpdns_loader *l)
{
	char path[sizeof(l->pin_dir) + 64];
	const char *why, *config_why = NULL;
	struct bpf_map *map;

	map = bpf_object__find_map_by_name(l->skel->obj, "xdpdns_config");
	snprintf(path, sizeof(path), "%s/xdpdns_config", l->pin_dir);
	if (map)
		config_why = pin_unusable(map, path);
	bpf_object__for_each_map(map, l->skel->obj) {
		snprintf(path, sizeof(path), "%s/%s", l->pin_dir, bpf_map__name(map));
		why = config_why ? config_why : pin_unusable(map, path);
		if (!why || (unlink(path) && errno == ENOENT))
			continue;
		if (!config_why)
			log_warn("the map pinned at %s %s: it starts empty", path, why);
	}
	if (config_why)
		log_warn("the config pinned in %s %s: every map starts anew, the cache empty",
			 l->pin_dir, config_why);
}

/* Opens the skeleton with every map pinned in pin_dir (reusing pins that exist) and the cache
 * classes sized from cache_entries. */
static int open_program(struct xdpdns_loader *l, uint32_t cache_entries)
{
	char path[sizeof(l->pin_dir) + 64];
	struct bpf_map *map;
	int err, cls;

	l->skel = xdpdns__open();
	if (!l->skel)
		return -errno;
	for (cls = 0; cls < XDPDNS_CLASS_COUNT; cls++) {
		struct bpf_map *cache = cls == XDPDNS_CLASS_S ? l->skel->maps.xdpdns_cache_s :
					cls == XDPDNS_CLASS_M ? l->skel->maps.xdpdns_cache_m :
								l->skel->maps.xdpdns_cache_l;

		err = bpf_map__set_max_entries(cache, xdpdns_class_entries(cls, cache_entries));
		if (err)
			return err;
	}
	bpf_object__for_each_map(map, l->skel->obj) {
		snprintf(path, sizeof(path), "%s/%s", l->pin_dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	drop_unusable_pins(l);
	return 0;
}

/* Fresh maps get a default config with a new hash seed; adopted ones keep theirs. */
static int init_config(struct xdpdns_loader *l)
{
	struct xdpdns_config cfg;
	int err;

	if (l->maps_adopted)
		return 0;
	err = xdpdns_config_init(&cfg);
	return err ? err : xdpdns_config_write(&l->maps, &cfg);
}

static __u32 mode_flags(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* Takes the program off and removes its pin: alone, by its fd, and only while it is the one
 * attached (XDP_FLAGS_REPLACE with no new program: CAP_NET_ADMIN only); else through libxdp.
 * Returns 0 or -errno. */
static int detach_prog(struct xdpdns_loader *l)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int err;

	if (l->alone) {
		opts.old_prog_fd = l->prog ? xdp_program__fd(l->prog) :
					     bpf_program__fd(l->skel->progs.xdpdns_xdp_serve);
		err = bpf_xdp_detach(l->ifindex, XDP_FLAGS_REPLACE | mode_flags(l->mode), &opts);
	} else {
		err = xdp_program__detach(l->prog, l->ifindex, l->mode, 0);
	}
	if (!err)
		unpin_prog(l);
	return err;
}

/* Has libxdp load the program and attach it in mode, with no xdpdns program there. */
static int attach(struct xdpdns_loader *l, enum xdp_attach_mode mode)
{
	char msg[256];
	int err;

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
	after_attach(l);
	err = xdpdns_maps_find(l->skel->obj, &l->maps);
	if (!err)
		err = init_config(l);
	if (err) {
		detach_prog(l);
		l->prog_id = 0;
	}
	return err;
}

/* The xdpdns program attached, to be replaced. */
struct old_prog {
	int fd;                    /* from its pin, or libxdp's handle's */
	__u32 id;
	struct xdp_program *xp;    /* libxdp's handle when it was found by id, else NULL */
	enum xdp_attach_mode mode;
	bool legacy;               /* alone on the interface, not through libxdp's dispatcher */
};

/* Loads the program and puts it in the place of old without a moment with neither: alone on
 * the interface, the kernel swaps the two on XDP_FLAGS_REPLACE; through libxdp's dispatcher,
 * the new one joins the old and the old one leaves, each step a new dispatcher libxdp swaps in
 * whole. */
static int replace(struct xdpdns_loader *l, const struct old_prog *old)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old->fd);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char msg[256];
	bool pinned;
	int err, fd;

	l->mode = old->mode;
	if (!old->legacy) {
		err = attach(l, old->mode);
		if (err)
			return err;
		err = xdp_program__detach(old->xp, l->ifindex, old->mode, 0);
		if (err) { /* ours runs first; the old one sees only what ours passes */
			libxdp_strerror(err, msg, sizeof(msg));
			log_warn("can't take the old XDP program (id %u) off %s: %s", old->id,
				 l->ifname, msg);
		}
		return 0;
	}

	err = xdpdns__load(l->skel);
	if (err) {
		log_error("can't load the XDP program: %s", strerror(-err));
		return err;
	}
	err = xdpdns_maps_find(l->skel->obj, &l->maps);
	if (!err)
		err = init_config(l); /* before the swap: the new program reads it at once */
	if (err)
		return err;
	fd = bpf_program__fd(l->skel->progs.xdpdns_xdp_serve);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	/* pinned before the swap, renamed over the old pin after it: a daemon that stops in
	 * between leaves the program attached pinned under one name or the other, and the next
	 * start finds it (open_attached_pin) */
	pinned = !pin_next(l, fd);
	err = bpf_xdp_attach(l->ifindex, fd, XDP_FLAGS_REPLACE | mode_flags(old->mode), &opts);
	if (pinned)
		pin_settle(l, !err);
	if (err) {
		log_error("can't replace the XDP program on %s: %s", l->ifname, strerror(-err));
		return err;
	}
	l->prog_id = info.id;
	l->alone = true; /* detached by its fd: libxdp would take it by id */
	return 0;
}

/* unpin: the maps were made by this run, for an attach that failed; leave no pins behind
 * that a later start would take for a cache worth keeping */
static void unload(struct xdpdns_loader *l, bool unpin)
{
	if (unpin && l->skel)
		bpf_object__unpin_maps(l->skel->obj, NULL);
	xdp_program__close(l->prog);
	l->prog = NULL;
	l->prog_id = 0;
	l->alone = false;
	xdpdns__destroy(l->skel);
	l->skel = NULL;
	xdpdns_maps_reset(&l->maps);
}

static bool config_pinned(const struct xdpdns_loader *l)
{
	char pin[sizeof(l->pin_dir) + 16];

	snprintf(pin, sizeof(pin), "%s/xdpdns_config", l->pin_dir);
	return !access(pin, F_OK);
}

static const char *mode_name(enum xdp_attach_mode mode)
{
	return mode == XDP_MODE_SKB ? "generic" : "native";
}

/* Replaces the xdpdns program attached, in its mode. */
static int start_replacing(struct xdpdns_loader *l, const struct old_prog *old,
			   enum xdpdns_xdp_mode mode)
{
	uint64_t entries = 0;
	int err;

	if (old->mode != XDP_MODE_NATIVE && old->mode != XDP_MODE_SKB) {
		log_error("%s runs xdpdns in a mode this daemon does not use: detach it first",
			  l->ifname);
		unload(l, false);
		return -EOPNOTSUPP;
	}
	if ((mode == XDPDNS_MODE_NATIVE && old->mode == XDP_MODE_SKB) ||
	    (mode == XDPDNS_MODE_SKB && old->mode == XDP_MODE_NATIVE))
		log_warn("%s runs xdpdns in %s mode: replaced in that mode (to change it, stop the "
			 "daemon without --keep first)", l->ifname, mode_name(old->mode));
	l->maps_adopted = config_pinned(l);
	err = replace(l, old);
	if (err) {
		log_error("the XDP program on %s (id %u) stays as it was", l->ifname, old->id);
		unload(l, !l->maps_adopted);
		return err;
	}
	if (!l->maps_adopted) {
		log_info("replaced the XDP program on %s (id %u -> id %u), with an empty cache in %s",
			 l->ifname, old->id, l->prog_id, l->pin_dir);
		return 0;
	}
	xdpdns_cache_count(&l->maps, &entries);
	log_info("replaced the XDP program on %s (id %u -> id %u), cache kept (%llu entries)",
		 l->ifname, old->id, l->prog_id, (unsigned long long)entries);
	return 0;
}

/* Attaches with no xdpdns program there: native, or generic if that fails and mode allows. */
static int start_attaching(struct xdpdns_loader *l, enum xdpdns_xdp_mode mode,
			   uint32_t cache_entries)
{
	int err;

	/* decided before any attempt: a failed one leaves maps of its own */
	l->maps_adopted = config_pinned(l);
	err = attach(l, mode == XDPDNS_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE);
	if (err && mode == XDPDNS_MODE_AUTO) {
		unload(l, !l->maps_adopted);
		log_warn("falling back to generic (skb) XDP on %s: it works everywhere and is far "
			 "slower; --mode native to refuse", l->ifname);
		err = open_program(l, cache_entries);
		if (!err)
			err = attach(l, XDP_MODE_SKB);
	}
	if (err) {
		log_error("can't put the XDP program on %s%s", l->ifname,
			  mode == XDPDNS_MODE_NATIVE ? " (try --mode skb)" : "");
		unload(l, !l->maps_adopted);
		return err;
	}
	log_info("attached to %s (%s mode); cache in %s%s", l->ifname, mode_name(l->mode),
		 l->pin_dir, l->maps_adopted ? ", kept from the last run" : "");
	return 0;
}

/* Starts with a program attached (id, in old->mode): replaces it through its pin if the pin is
 * that program; else libxdp finds out whether it is an xdpdns one, taking the programs there by
 * id, and a daemon without CAP_SYS_ADMIN stops with the reason. */
static int start_over(struct xdpdns_loader *l, struct old_prog *old, enum xdpdns_xdp_mode mode,
		      uint32_t cache_entries)
{
	int err;

	old->fd = open_attached_pin(l, old->id);
	if (old->fd >= 0) {
		old->legacy = true;
		err = start_replacing(l, old, mode);
		close(old->fd);
		return err;
	}
	err = find_attached(l->ifindex, &old->xp, &old->mode, &old->legacy);
	if (err == -EPERM) {
		log_error("can't replace the XDP program on %s (id %u): it is not the one pinned at "
			  "%s/%s, and finding out whether it is xdpdns takes it by id, which needs "
			  "CAP_SYS_ADMIN (once, to upgrade from a daemon that did not pin its program)",
			  l->ifname, old->id, l->pin_dir, XDPDNS_PROG_PIN);
		log_error("the XDP program on %s (id %u) stays as it was", l->ifname, old->id);
		unload(l, false);
		return err;
	}
	if (!old->xp) /* not ours: libxdp adds ours beside it, or says why it can't */
		return start_attaching(l, mode, cache_entries);
	old->fd = xdp_program__fd(old->xp);
	old->id = xdp_program__id(old->xp);
	err = start_replacing(l, old, mode);
	xdp_program__close(old->xp);
	return err;
}

int xdpdns_loader_start(struct xdpdns_loader *l, const char *ifname, enum xdpdns_xdp_mode mode,
			uint32_t cache_entries)
{
	struct old_prog old = { .fd = -1 };
	char why[160];
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
	if (!err)
		err = open_program(l, cache_entries);
	if (!err) {
		err = query_attached(l->ifindex, &old.id, &old.mode);
		if (err)
			log_error("can't query the XDP program on %s: %s", ifname, strerror(-err));
	}
	if (err) {
		unload(l, false);
		return err;
	}
	if (!old.id)
		return start_attaching(l, mode, cache_entries);
	return start_over(l, &old, mode, cache_entries);
}

int xdpdns_loader_detach(struct xdpdns_loader *l)
{
	int err = 0;

	if (l->prog_id) {
		err = detach_prog(l);
		if (err)
			log_warn("can't detach XDP from %s: %s", l->ifname, strerror(-err));
	}
	xdpdns_loader_close(l);
	return err;
}

void xdpdns_loader_close(struct xdpdns_loader *l)
{
	unload(l, false); /* the skeleton owns the map fds */
}
