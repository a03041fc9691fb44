// SPDX-License-Identifier: GPL-2.0
/* Loads the programs and puts them on the attach points, or swaps them for the ones there. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_arp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel_check.h"
#include "loader.h"
#include "log.h"
#include "xdpdns.skel.h"

#define XDPDNS_PROG_NAME "xdpdns_xdp_serve"

bool xdpdns_attach_is_pattern(const char *name)
{
	return strpbrk(name, "*?[") != NULL;
}

uint32_t xdpdns_class_entries(enum xdpdns_cache_class cls, uint32_t cache_entries)
{
	static const uint32_t defaults[XDPDNS_CLASS_COUNT] = {
		XDPDNS_CLASS_S_ENTRIES, XDPDNS_CLASS_M_ENTRIES, XDPDNS_CLASS_L_ENTRIES,
	};
	uint64_t n = (uint64_t)cache_entries * defaults[cls] / XDPDNS_CLASS_S_ENTRIES;

	return n ? n : 1;
}

/* ---- the XDP program on an interface ---- */

/* How an XDP program is attached (the kernel's driver, generic or offload flags). */
enum xdp_mode {
	XDP_NATIVE = 1,
	XDP_SKB,
	XDP_HW,
};

/* The XDP program attached to ifindex, from the link (netlink: no capability needed): its id,
 * 0 when there is none, and its mode. */
static int query_attached(int ifindex, __u32 *id, enum xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err)
		return err;
	*id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	*mode = q.drv_prog_id ? XDP_NATIVE : q.skb_prog_id ? XDP_SKB : XDP_HW;
	return 0;
}

static __u32 mode_flags(enum xdp_mode mode)
{
	return mode == XDP_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static const char *mode_name(enum xdp_mode mode)
{
	return mode == XDP_SKB ? "generic" : "native";
}

static int xdp_fd(const struct xdpdns_loader *l)
{
	return bpf_program__fd(l->skel->progs.xdpdns_xdp_serve);
}

static int tc_fd(const struct xdpdns_loader *l)
{
	return bpf_program__fd(l->skel->progs.xdpdns_tc_serve);
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static void prog_pin_path(const char *dir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
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

/* The program attached (id) by its pin in dir: XDPDNS_PROG_PIN, or XDPDNS_PROG_PIN_NEXT when
 * the last daemon stopped between a swap and the rename of the pin, which is done now. Returns
 * its fd or -1. */
static int open_attached_pin(const char *dir, __u32 id, const char *ifname, bool quiet)
{
	char pin[PATH_MAX], next[PATH_MAX];
	int fd;

	prog_pin_path(dir, XDPDNS_PROG_PIN, pin, sizeof(pin));
	prog_pin_path(dir, XDPDNS_PROG_PIN_NEXT, next, sizeof(next));
	fd = pinned_prog(next, id, ifname, true);
	if (fd < 0)
		return pinned_prog(pin, id, ifname, quiet);
	log_info("%s is the program attached to %s: the last daemon stopped before renaming it",
		 next, ifname);
	if (rename(next, pin))
		log_warn("can't rename %s to %s: %s", next, pin, strerror(errno));
	return fd;
}

/* Pins our XDP program at XDPDNS_PROG_PIN_NEXT, before a swap. Returns 0 or -errno, having
 * warned: the daemon serves without the pin, and the next upgrade takes CAP_SYS_ADMIN. */
static int pin_next(struct xdpdns_loader *l)
{
	char next[PATH_MAX];
	int err;

	prog_pin_path(l->pin_dir, XDPDNS_PROG_PIN_NEXT, next, sizeof(next));
	if ((unlink(next) && errno != ENOENT) || bpf_obj_pin(xdp_fd(l), next)) {
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
	char pin[PATH_MAX], next[PATH_MAX];

	prog_pin_path(l->pin_dir, XDPDNS_PROG_PIN, pin, sizeof(pin));
	prog_pin_path(l->pin_dir, XDPDNS_PROG_PIN_NEXT, next, sizeof(next));
	if (!attached)
		unlink(next);
	else if (rename(next, pin))
		log_warn("can't rename %s to %s: %s (replacing the program at the next upgrade "
			 "will take CAP_SYS_ADMIN)", next, pin, strerror(errno));
	else
		l->xdp_pinned = true;
}

/* Pins our XDP program, once it is on a first interface: the next daemon replaces it through
 * the pin's fd (taking it by id would need CAP_SYS_ADMIN). */
static void pin_xdp(struct xdpdns_loader *l)
{
	if (!l->xdp_pinned && !pin_next(l))
		pin_settle(l, true);
}

static void unpin_xdp(struct xdpdns_loader *l)
{
	char pin[PATH_MAX];

	prog_pin_path(l->pin_dir, XDPDNS_PROG_PIN, pin, sizeof(pin));
	if (unlink(pin) && errno != ENOENT)
		log_warn("can't remove %s: %s", pin, strerror(errno));
	pin_settle(l, false);
	l->xdp_pinned = false;
}

/* The xdpdns XDP program attached to an interface (id), by id: the way to replace the program
 * of a daemon that did not pin it, or whose pin is gone. BPF_PROG_GET_FD_BY_ID takes
 * CAP_SYS_ADMIN. Returns its fd, -ENOENT when the program there is not xdpdns, or -errno. */
static int attached_by_id(__u32 id, const char *ifname)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err;

	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (!err && strncmp(info.name, XDPDNS_PROG_NAME, sizeof(info.name) - 1)) {
		/* libxdp's dispatcher (a daemon before the attach points used it where the kernel
		 * allowed) or someone else's program: not replaced under its owner's feet */
		log_error("%s runs XDP program '%s' (id %u), not xdpdns's%s", ifname, info.name, id,
			  !strcmp(info.name, "xdp_dispatcher") ?
				  ": libxdp's dispatcher (an older daemon's, maybe): stop that "
				  "daemon without keep, or `xdp-loader unload --all`, then start" :
				  ": remove it, or use `attach IF:tc`");
		err = -EEXIST;
	}
	if (err)
		close(fd);
	return err ? err : fd;
}

/* Puts our XDP program on ifindex in mode; with an xdpdns program there (old_id), swaps ours in
 * atomically in that program's mode. */
static int xdp_attach(struct xdpdns_loader *l, int ifindex, const char *ifname,
		      enum xdp_mode mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = -1);
	char legacy_dir[PATH_MAX];
	enum xdp_mode old_mode;
	__u32 old_id = 0, flags;
	int err, fd = -1;

	err = query_attached(ifindex, &old_id, &old_mode);
	if (err) {
		log_error("can't query the XDP program on %s: %s", ifname, strerror(-err));
		return err;
	}
	if (old_id && old_id == prog_id(xdp_fd(l)))
		return 0; /* ours, this run's: a rename or a resync */
	/* the program of the last run, by the pins as they were at start (ours may be there by
	 * now: the first interface attached pins it) */
	for (int i = 0; i < 2 && old_id && fd < 0; i++)
		if (l->old_pins[i].fd >= 0 && l->old_pins[i].id == old_id)
			fd = dup(l->old_pins[i].fd);
	if (old_id && fd < 0) {
		fd = open_attached_pin(l->pin_dir, old_id, ifname, true);
		/* a daemon before instances pinned it by interface */
		if (fd < 0 && !xdpdns_pin_dir(ifname, legacy_dir, sizeof(legacy_dir)) &&
		    strcmp(legacy_dir, l->pin_dir))
			fd = open_attached_pin(legacy_dir, old_id, ifname, true);
		if (fd < 0) /* once more, to say why the pin there is not used */
			fd = open_attached_pin(l->pin_dir, old_id, ifname, false);
		if (fd < 0) {
			fd = attached_by_id(old_id, ifname);
			if (fd == -EPERM)
				log_error("can't replace the XDP program on %s (id %u): it is not the "
					  "one pinned at %s/%s, and finding out whether it is xdpdns "
					  "takes it by id, which needs CAP_SYS_ADMIN (once, to upgrade "
					  "from a daemon that did not pin its program)", ifname, old_id,
					  l->pin_dir, XDPDNS_PROG_PIN);
			if (fd < 0) {
				log_error("the XDP program on %s (id %u) stays as it was", ifname,
					  old_id);
				return fd;
			}
		}
	}
	if (old_id) {
		l->old_xdp_id = old_id;
		if (old_mode != XDP_NATIVE && old_mode != XDP_SKB) {
			log_error("%s runs xdpdns in a mode this daemon does not use: detach it first",
				  ifname);
			close(fd);
			return -EOPNOTSUPP;
		}
		if (mode != old_mode)
			log_warn("%s runs xdpdns in %s mode: replaced in that mode (to change it, stop "
				 "the daemon without --keep first)", ifname, mode_name(old_mode));
		mode = old_mode;
		opts.old_prog_fd = fd;
		flags = XDP_FLAGS_REPLACE;
	} else {
		flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	}
	/* pinned before the swap, renamed over the old pin after it: a daemon that stops in
	 * between leaves the program attached pinned under one name or the other, and the next
	 * start finds it (open_attached_pin) */
	if (!l->xdp_pinned)
		pin_next(l);
	err = bpf_xdp_attach(ifindex, xdp_fd(l), flags | mode_flags(mode), &opts);
	if (fd >= 0)
		close(fd);
	if (err) {
		if (old_id)
			log_error("can't replace the XDP program on %s: %s", ifname, strerror(-err));
		else
			log_warn("can't attach XDP on %s in %s mode: %s", ifname, mode_name(mode),
				 strerror(-err));
		if (!l->xdp_pinned)
			pin_settle(l, false);
		return err;
	}
	if (!l->xdp_pinned)
		pin_settle(l, true);
	if (old_id) {
		uint64_t entries = 0;

		l->replaced++;
		xdpdns_cache_count(&l->maps, &entries);
		if (l->maps_adopted)
			log_info("replaced the XDP program on %s (id %u -> id %u), cache kept (%llu "
				 "entries)", ifname, old_id, prog_id(xdp_fd(l)),
				 (unsigned long long)entries);
		else
			log_info("replaced the XDP program on %s (id %u -> id %u), with an empty cache "
				 "in %s", ifname, old_id, prog_id(xdp_fd(l)), l->pin_dir);
	}
	return 0;
}

/* Takes our XDP program off ifindex by its fd, and only while it is the one attached
 * (XDP_FLAGS_REPLACE with no new program: CAP_NET_ADMIN only). */
static int xdp_detach(struct xdpdns_loader *l, int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_fd(l));
	enum xdp_mode mode;
	__u32 id = 0;
	int err = query_attached(ifindex, &id, &mode);

	if (err || id != prog_id(xdp_fd(l)))
		return err;
	return bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | mode_flags(mode), &opts);
}

/* Takes the last run's XDP program (id, attached in mode) off ifindex, if it is the one the
 * last run pinned; true if it did. For an interface whose hook moved to TC: the TC program is
 * in place first, so no query goes unanswered in between. */
static bool xdp_detach_old(struct xdpdns_loader *l, int ifindex, __u32 id, enum xdp_mode mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int i;

	for (i = 0; i < 2; i++)
		if (l->old_pins[i].fd >= 0 && l->old_pins[i].id == id)
			break;
	if (i == 2)
		return false;
	opts.old_prog_fd = l->old_pins[i].fd;
	return !bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | mode_flags(mode), &opts);
}

/* ---- the TC program on an interface ---- */

static bool hook_is_tc(enum xdpdns_hook hook)
{
	return hook == XDPDNS_HOOK_TC || hook == XDPDNS_HOOK_TC_EGRESS;
}

/* clsact's side for a TC hook */
static enum bpf_tc_attach_point tc_side(enum xdpdns_hook hook)
{
	return hook == XDPDNS_HOOK_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

/* The id of the program of this instance's filter on ifindex's side, 0 if none. */
static __u32 tc_query(const struct xdpdns_loader *l, int ifindex, enum bpf_tc_attach_point side)
{
	return xdpdns_tc_filter_id(ifindex, side, l->tc_handle);
}

/* Puts our TC program on ifindex's clsact side (the qdisc made if missing), in place of the
 * filter this instance had there, in one replace (cls_bpf swaps the program atomically). */
static int tc_attach(struct xdpdns_loader *l, int ifindex, const char *ifname,
		     enum bpf_tc_attach_point side)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = side);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = l->tc_handle, .priority = XDPDNS_TC_PRIORITY,
		    .prog_fd = tc_fd(l), .flags = BPF_TC_F_REPLACE);
	__u32 old_id = tc_query(l, ifindex, side), new_id = prog_id(tc_fd(l));
	int err;

	if (old_id && old_id == new_id)
		return 0;
	xdpdns_log_libbpf_quiet(1); /* the clsact qdisc may be there: EEXIST, and a complaint */
	err = bpf_tc_hook_create(&hook);
	xdpdns_log_libbpf_quiet(0);
	if (!err || err == -EEXIST)
		err = bpf_tc_attach(&hook, &opts);
	if (err) {
		/* a pod's veth may be gone, or moved into the pod, by the time it is our turn */
		xdpdns_log(err == -ENODEV || err == -EINVAL ? XDPDNS_LOG_DEBUG : XDPDNS_LOG_WARN,
			   "can't attach TC on %s: %s", ifname, strerror(-err));
		return err;
	}
	if (old_id) {
		l->replaced++;
		log_debug("replaced the TC program on %s (id %u -> id %u)", ifname, old_id, new_id);
	}
	return 0;
}

/* Takes this instance's filter off ifindex's side while it holds our program (only_ours: this
 * run's). */
static int tc_detach(struct xdpdns_loader *l, int ifindex, enum bpf_tc_attach_point side,
		     bool only_ours)
{
	__u32 id = tc_query(l, ifindex, side);

	if (!id || (only_ours && id != prog_id(tc_fd(l))))
		return 0;
	return xdpdns_tc_filter_detach(ifindex, side, l->tc_handle);
}

/* Takes this instance's filters of an earlier start off ifindex, on both sides but keep (0:
 * both): where the hook moved (lo from ingress to egress), or XDP took over. */
static void tc_detach_earlier(struct xdpdns_loader *l, int ifindex, enum bpf_tc_attach_point keep)
{
	if (keep != BPF_TC_INGRESS)
		tc_detach(l, ifindex, BPF_TC_INGRESS, false);
	if (keep != BPF_TC_EGRESS)
		tc_detach(l, ifindex, BPF_TC_EGRESS, false);
}

/* ---- attach points ---- */

/* The interface's ARPHRD type and MTU, or -errno (gone). */
static int iface_facts(const char *ifname, unsigned short *type, int *mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	*type = ifr.ifr_hwaddr.sa_family;
	if (!err && ioctl(fd, SIOCGIFMTU, &ifr))
		err = -errno;
	*mtu = ifr.ifr_mtu;
	close(fd);
	return err;
}

/* The attach point an interface belongs to: the first that names it, else the first pattern
 * it matches; 0 for none. */
static unsigned int match_slot(const struct xdpdns_loader *l, const char *ifname)
{
	int i;

	for (i = 1; i <= l->n_points; i++)
		if (!xdpdns_attach_is_pattern(l->points[i].name) && !strcmp(l->points[i].name, ifname))
			return i;
	for (i = 1; i <= l->n_points; i++)
		if (xdpdns_attach_is_pattern(l->points[i].name) &&
		    !fnmatch(l->points[i].name, ifname, 0))
			return i;
	return 0;
}

static int iface_facts(const char *ifname, unsigned short *type, int *mtu);

/* The hook of attach point slot: as configured, else a NIC's XDP (native, or generic by
 * `mode`), TC egress on lo and TC ingress elsewhere. Measured (docs/design.md "Attach points:
 * the hooks, measured"; on a shared VM): native XDP's XDP_TX back into a veth is lost unless
 * the pod's end runs XDP, which we may not install; on lo TC egress answers what the host
 * sends before loopback, as fast as generic XDP at its ingress, with 50-100x fewer answers
 * lost at the generator's socket at saturation and without generic XDP's copy of every skb
 * on lo that lacks its headroom; on a routed pod veth TC and generic XDP were within the
 * noise, and TC leaves the pod veth's XDP to the CNI (one XDP program per interface) and
 * other traffic untouched. */
static enum xdpdns_hook slot_hook(const struct xdpdns_loader *l, unsigned int slot)
{
	const struct xdpdns_attach_spec *p = &l->points[slot];
	unsigned short type = 0;
	int mtu;

	if (p->hook != XDPDNS_HOOK_NONE)
		return p->hook;
	if (p->nic)
		return l->mode == XDPDNS_MODE_SKB ? XDPDNS_HOOK_XDP_SKB : XDPDNS_HOOK_XDP;
	if (!xdpdns_attach_is_pattern(p->name) && !iface_facts(p->name, &type, &mtu) &&
	    type == ARPHRD_LOOPBACK)
		return XDPDNS_HOOK_TC_EGRESS;
	return XDPDNS_HOOK_TC;
}

static struct xdpdns_link *find_link(struct xdpdns_loader *l, int ifindex)
{
	int i;

	for (i = 0; i < l->n_links; i++)
		if (l->links[i].ifindex == ifindex)
			return &l->links[i];
	return NULL;
}

/* The interface's entry in xdpdns_ifaces: its slot, LOCAL for loopback, SKB for generic XDP,
 * its MTU. */
static int iface_entry(struct xdpdns_loader *l, const struct xdpdns_link *k, unsigned short type,
		       int mtu)
{
	struct xdpdns_iface v = {
		.slot = k->slot,
		.flags = (type == ARPHRD_LOOPBACK ? XDPDNS_IFACE_LOCAL : 0) |
			 (k->hook == XDPDNS_HOOK_XDP_SKB ? XDPDNS_IFACE_SKB : 0),
		.mtu = mtu > 0xffff ? 0xffff : mtu,
	};
	int err = xdpdns_iface_set(&l->maps, k->ifindex, &v);

	if (err)
		log_warn("can't list %s in xdpdns_ifaces: %s (its packets count as a NIC's, in "
			 "slot 0)", k->ifname, strerror(-err));
	return err;
}

/* Puts the program on one interface of attach point slot. The entry in xdpdns_ifaces goes in
 * first: the program's first packet there already finds its attach point. */
static int attach_link(struct xdpdns_loader *l, int ifindex, const char *ifname, unsigned int slot)
{
	const struct xdpdns_attach_spec *p = &l->points[slot];
	struct xdpdns_link k = { .ifindex = ifindex, .slot = slot, .hook = slot_hook(l, slot) };
	enum xdp_mode old_mode;
	unsigned short type = 0;
	__u32 old_id = 0;
	int mtu = 0, err;

	snprintf(k.ifname, sizeof(k.ifname), "%s", ifname);
	err = iface_facts(ifname, &type, &mtu);
	if (err)
		return err; /* gone already */
	if (type != ARPHRD_ETHER && type != ARPHRD_LOOPBACK) {
		log_warn("%s is not an Ethernet interface (type %u): not attached (%s)", ifname, type,
			 p->name);
		return -EOPNOTSUPP;
	}
	if (l->n_links == l->cap_links) {
		int cap = l->cap_links ? 2 * l->cap_links : 16;
		struct xdpdns_link *links = realloc(l->links, cap * sizeof(*links));

		if (!links)
			return -ENOMEM;
		l->links = links;
		l->cap_links = cap;
	}
	if (hook_is_tc(k.hook)) {
		iface_entry(l, &k, type, mtu);
		err = tc_attach(l, ifindex, ifname, tc_side(k.hook));
	} else {
		/* an xdpdns program there is replaced in its mode: the entry must say which */
		if (!query_attached(ifindex, &old_id, &old_mode) && old_id &&
		    old_id != prog_id(xdp_fd(l)) && (old_mode == XDP_SKB || old_mode == XDP_NATIVE))
			k.hook = old_mode == XDP_SKB ? XDPDNS_HOOK_XDP_SKB : XDPDNS_HOOK_XDP;
		iface_entry(l, &k, type, mtu);
		err = xdp_attach(l, ifindex, ifname,
				 k.hook == XDPDNS_HOOK_XDP_SKB ? XDP_SKB : XDP_NATIVE);
		if (err && !old_id && k.hook == XDPDNS_HOOK_XDP && p->nic &&
		    l->mode == XDPDNS_MODE_AUTO) {
			log_warn("falling back to generic (skb) XDP on %s: it works everywhere and is "
				 "far slower; --mode native to refuse", ifname);
			k.hook = XDPDNS_HOOK_XDP_SKB;
			iface_entry(l, &k, type, mtu);
			err = xdp_attach(l, ifindex, ifname, XDP_SKB);
		}
	}
	if (err) {
		if (p->nic)
			log_error("can't put the XDP program on %s%s", ifname,
				  l->mode == XDPDNS_MODE_NATIVE ? " (try --mode skb)" : "");
		xdpdns_iface_delete(&l->maps, ifindex);
		return err;
	}
	if (hook_is_tc(k.hook)) {
		enum xdp_mode mode;
		__u32 id = 0;

		tc_detach_earlier(l, ifindex, tc_side(k.hook));
		/* this instance's XDP program of an earlier start, with another config (lo had
		 * generic XDP by default up to 0.2.0): off, now that TC answers first */
		if (!query_attached(ifindex, &id, &mode) && id && xdp_detach_old(l, ifindex, id, mode))
			log_info("took the XDP program of the last run off %s: %s answers there now",
				 ifname, xdpdns_hook_name(k.hook));
		else if (l->old_xdp_id && id == l->old_xdp_id)
			log_warn("%s still runs the XDP program of an earlier start (id %u), before "
				 "the TC one: `ip link set dev %s xdp off` takes it off", ifname, id,
				 ifname);
	} else {
		tc_detach_earlier(l, ifindex, 0);
		pin_xdp(l);
	}
	l->links[l->n_links++] = k;
	l->attaches++;
	if (xdpdns_attach_is_pattern(p->name))
		log_debug("attached to %s (%s, %s)", ifname, p->name, xdpdns_hook_name(k.hook));
	else
		log_info("attached to %s (%s)%s", ifname,
			 k.hook == XDPDNS_HOOK_TC ? "TC" :
			 k.hook == XDPDNS_HOOK_TC_EGRESS ? "TC egress" :
			 k.hook == XDPDNS_HOOK_XDP_SKB ? "generic mode" : "native mode",
			 type == ARPHRD_LOOPBACK ? ": the host's own clients" : "");
	return 0;
}

/* Forgets an interface: its entry in xdpdns_ifaces goes; detach: its program too (it may
 * still be there: a rename out of a pattern). */
static void forget_link(struct xdpdns_loader *l, struct xdpdns_link *k, bool detach)
{
	if (detach) {
		if (hook_is_tc(k->hook))
			tc_detach(l, k->ifindex, tc_side(k->hook), true);
		else
			xdp_detach(l, k->ifindex);
	}
	xdpdns_iface_delete(&l->maps, k->ifindex);
	l->detaches++;
	*k = l->links[--l->n_links];
}

void xdpdns_loader_link(struct xdpdns_loader *l, int ifindex, const char *ifname, bool removed)
{
	struct xdpdns_link *k;
	unsigned int slot;

	if (!l->skel)
		return;
	if (!ifindex) { /* events lost: every interface again */
		struct if_nameindex *ifs = if_nameindex(), *i;
		int n;

		for (n = l->n_links; n-- > 0;)
			if (!if_indextoname(l->links[n].ifindex, (char[IF_NAMESIZE]){ 0 }))
				forget_link(l, &l->links[n], false);
		for (i = ifs; i && i->if_index; i++)
			xdpdns_loader_link(l, i->if_index, i->if_name, false);
		if_freenameindex(ifs);
		return;
	}
	k = find_link(l, ifindex);
	if (removed) {
		if (k)
			forget_link(l, k, false); /* its filter or program went with it */
		return;
	}
	slot = match_slot(l, ifname);
	if (k && k->slot == slot) {
		snprintf(k->ifname, sizeof(k->ifname), "%s", ifname);
		return; /* a state change, or a rename within the attach point */
	}
	if (k)
		forget_link(l, k, true); /* renamed out of its attach point */
	if (slot)
		attach_link(l, ifindex, ifname, slot);
}

int xdpdns_loader_links_of(const struct xdpdns_loader *l, unsigned int slot)
{
	int i, n = 0;

	for (i = 0; i < l->n_links; i++)
		n += l->links[i].slot == slot;
	return n;
}

bool xdpdns_loader_attached(const struct xdpdns_loader *l)
{
	return l->n_links > 0;
}

/* ---- maps ---- */

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

/* Maps whose loss is no news: counters, and the tables the daemon writes anew at every start. */
static bool map_is_quiet(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	return !strcmp(name, "xdpdns_stats") || !strcmp(name, "xdpdns_ifaces") ||
	       !strcmp(name, "xdpdns_attach") || !strcmp(name, "xdpdns_scratch") ||
	       !strcmp(name, "xdpdns_hot");
}

/* Drops the pins the programs can't reuse, so that they make new maps there: every pin when
 * the config's can't be (it holds the hash seed that keys the cache, and the layout version),
 * else each map of another size or kind (a changed cache-entries: that class starts empty). A
 * program still attached keeps using its maps, pinned or not, until it is replaced. */
static void drop_unusable_pins(struct xdpdns_loader *l)
{
	char path[PATH_MAX];
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
		if (!config_why && !map_is_quiet(map))
			log_warn("the map pinned at %s %s: it starts empty", path, why);
		else if (!config_why)
			log_info("the map pinned at %s %s: made anew", path, why);
	}
	if (config_why)
		log_warn("the config pinned in %s %s: every map starts anew, the cache empty",
			 l->pin_dir, config_why);
}

/* Opens the skeleton with every map pinned in pin_dir (reusing pins that exist), the cache
 * classes sized from cache_entries, and only the programs the attach points use (each costs a
 * verifier run at start). */
static int open_program(struct xdpdns_loader *l, uint32_t cache_entries)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	bool xdp = false, tc = false;
	int err, cls, i;

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
	for (i = 1; i <= l->n_points; i++) {
		/* a NIC in auto mode may fall back to generic XDP: still the XDP program */
		tc |= hook_is_tc(slot_hook(l, i));
		xdp |= !hook_is_tc(slot_hook(l, i));
	}
	bpf_program__set_autoload(l->skel->progs.xdpdns_xdp_serve, xdp);
	bpf_program__set_autoload(l->skel->progs.xdpdns_tc_serve, tc);
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

static bool config_pinned(const struct xdpdns_loader *l)
{
	char pin[PATH_MAX];

	snprintf(pin, sizeof(pin), "%s/xdpdns_config", l->pin_dir);
	return !access(pin, F_OK);
}

/* The slots' names in xdpdns_attach, for xdpdnsctl and the metrics. A slot that named another
 * attach point in the pinned maps (a new config) starts its counters at 0. */
static void write_slots(struct xdpdns_loader *l)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *zeros = ncpus > 0 ? calloc(ncpus, sizeof(*zeros)) : NULL;
	__u32 slot;

	for (slot = 1; slot < XDPDNS_ATTACH_MAX; slot++) {
		struct xdpdns_attach want = { 0 }, had = { 0 };
		__u32 r;

		if ((int)slot <= l->n_points) {
			memcpy(want.name, l->points[slot].name, sizeof(want.name));
			want.hook = slot_hook(l, slot);
		}
		bpf_map_lookup_elem(l->maps.attach, &slot, &had);
		if (memcmp(had.name, want.name, sizeof(want.name)) && zeros)
			for (r = 0; r < XDPDNS_REASON_COUNT; r++) {
				__u32 key = XDPDNS_STATS_KEY(slot, r);

				bpf_map_update_elem(l->maps.stats, &key, zeros, BPF_ANY);
			}
		xdpdns_attach_write(&l->maps, slot, &want);
	}
	free(zeros);
}

/* Interfaces the last run listed that are not ours now (gone, or no longer matching): out of
 * xdpdns_ifaces, and this instance's program off them. */
static void drop_stale_ifaces(struct xdpdns_loader *l)
{
	__u32 key, next, *prev = NULL;
	int err;

	for (err = bpf_map_get_next_key(l->maps.ifaces, NULL, &next); !err;
	     err = bpf_map_get_next_key(l->maps.ifaces, prev, &next)) {
		key = next;
		prev = &key;
		if (find_link(l, key))
			continue;
		if (l->old_xdp_id) {
			enum xdp_mode mode;
			__u32 id = 0;

			if (!query_attached(key, &id, &mode) && id == l->old_xdp_id)
				log_warn("interface %u still runs the XDP program of an earlier start (id "
					 "%u), which no attach point names now", key, id);
		}
		tc_detach_earlier(l, key, 0);
		bpf_map_delete_elem(l->maps.ifaces, &key);
		prev = NULL; /* from a deleted key the walk would start over anyway */
	}
}

/* The XDP programs pinned by the last run (XDPDNS_PROG_PIN, and XDPDNS_PROG_PIN_NEXT if it
 * stopped between a swap and the rename), opened before anything is attached: the first
 * interface this run attaches pins its own program there, and the next NIC must still find
 * the old one to replace it. Which one is attached where, xdp_attach() checks by id. */
static void open_old_pins(struct xdpdns_loader *l)
{
	static const char *const names[2] = { XDPDNS_PROG_PIN_NEXT, XDPDNS_PROG_PIN };
	char path[PATH_MAX];
	int i;

	for (i = 0; i < 2; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		prog_pin_path(l->pin_dir, names[i], path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_PROG_TYPE_XDP &&
		    !strncmp(info.name, XDPDNS_PROG_NAME, sizeof(info.name) - 1)) {
			l->old_pins[i].fd = fd;
			l->old_pins[i].id = info.id;
		} else if (fd >= 0) {
			close(fd);
		}
	}
}

static void unload(struct xdpdns_loader *l, bool unpin)
{
	int i;

	if (unpin && l->skel)
		bpf_object__unpin_maps(l->skel->obj, NULL);
	for (i = 0; i < 2; i++) {
		if (l->old_pins[i].fd >= 0)
			close(l->old_pins[i].fd);
		l->old_pins[i].fd = -1;
	}
	xdpdns__destroy(l->skel);
	l->skel = NULL;
	xdpdns_maps_reset(&l->maps);
	free(l->links);
	l->links = NULL;
	l->n_links = l->cap_links = 0;
}

int xdpdns_loader_start(struct xdpdns_loader *l, const char *instance,
			const struct xdpdns_attach_spec *points, int n_points,
			enum xdpdns_xdp_mode mode, uint32_t cache_entries)
{
	struct if_nameindex *ifs = NULL, *i;
	char why[160];
	int err, slot;

	memset(l, 0, sizeof(*l));
	l->old_pins[0].fd = l->old_pins[1].fd = -1;
	xdpdns_maps_reset(&l->maps);
	snprintf(l->instance, sizeof(l->instance), "%s", instance);
	l->mode = mode;
	l->tc_handle = xdpdns_tc_handle(instance);
	if (n_points < 1 || n_points >= XDPDNS_ATTACH_MAX)
		return -EINVAL;
	memcpy(&l->points[1], points, n_points * sizeof(*points));
	l->n_points = n_points;
	err = xdpdns_kernel_check(why, sizeof(why));
	if (err) {
		log_error("%s", err == -ENOTSUP ? why : "can't probe the kernel's BPF support");
		return err;
	}
	/* a NIC must be there: it is the point of the start */
	for (slot = 1; slot <= n_points; slot++)
		if (points[slot - 1].nic && !if_nametoindex(points[slot - 1].name)) {
			log_error("no interface %s: %s", points[slot - 1].name, strerror(errno));
			return -ENODEV;
		}
	err = xdpdns_pin_dir(instance, l->pin_dir, sizeof(l->pin_dir));
	if (!err)
		err = xdpdns_bpffs_dir(XDPDNS_PIN_ROOT, l->pin_dir);
	if (!err)
		err = open_program(l, cache_entries);
	if (err) {
		unload(l, false);
		return err;
	}
	/* decided before the load: a failed start leaves maps of its own, unpinned again */
	l->maps_adopted = config_pinned(l);
	err = xdpdns__load(l->skel);
	if (err) {
		log_error("can't load the xdpdns programs: %s", strerror(-err));
		unload(l, !l->maps_adopted);
		return err;
	}
	err = xdpdns_maps_find(l->skel->obj, &l->maps);
	if (!err)
		err = init_config(l); /* before any attach: the program reads it at once */
	if (!err)
		err = xdpdns_hot_clock_write(&l->maps); /* likewise */
	if (err) {
		unload(l, !l->maps_adopted);
		return err;
	}
	write_slots(l);
	open_old_pins(l);

	ifs = if_nameindex();
	for (i = ifs; i && i->if_index && !err; i++) {
		slot = match_slot(l, i->if_name);
		if (!slot)
			continue;
		err = attach_link(l, i->if_index, i->if_name, slot);
		if (err && !l->points[slot].nic)
			err = 0; /* one pod's veth (gone meanwhile...) does not stop the node's cache */
	}
	if_freenameindex(ifs);
	if (err) {
		xdpdns_loader_detach(l);
		unload(l, !l->maps_adopted);
		return err;
	}
	drop_stale_ifaces(l);
	for (slot = 1; slot <= n_points; slot++)
		if (!xdpdns_loader_links_of(l, slot))
			log_info("%s: no interface matches it yet; attaching as they appear",
				 points[slot - 1].name);
		else if (xdpdns_attach_is_pattern(points[slot - 1].name))
			log_info("attached to %d interfaces matching %s (%s)",
				 xdpdns_loader_links_of(l, slot), points[slot - 1].name,
				 xdpdns_hook_name(slot_hook(l, slot)));
	if (l->replaced)
		log_info("replaced the programs of the last run on %d interfaces", l->replaced);
	if (l->maps_adopted) {
		uint64_t entries = 0;

		xdpdns_cache_count(&l->maps, &entries);
		log_info("cache in %s, kept from the last run (%llu entries)", l->pin_dir,
			 (unsigned long long)entries);
	} else {
		log_info("cache in %s", l->pin_dir);
	}
	return 0;
}

int xdpdns_loader_detach(struct xdpdns_loader *l)
{
	int first = 0;

	while (l->n_links > 0) {
		struct xdpdns_link *k = &l->links[l->n_links - 1];
		int err = hook_is_tc(k->hook) ? tc_detach(l, k->ifindex, tc_side(k->hook), true) :
						xdp_detach(l, k->ifindex);

		if (err && err != -ENODEV) {
			log_warn("can't detach from %s: %s", k->ifname, strerror(-err));
			if (!first)
				first = err;
		}
		forget_link(l, k, false);
	}
	if (l->skel && l->xdp_pinned)
		unpin_xdp(l);
	xdpdns_loader_close(l);
	return first;
}

void xdpdns_loader_close(struct xdpdns_loader *l)
{
	unload(l, false); /* the skeleton owns the map fds */
}
