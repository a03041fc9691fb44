/* SPDX-License-Identifier: GPL-2.0 */
/* Loads this build's programs (one object: an XDP and a TC entry point over the same maps) for
 * an instance, with its maps pinned under XDPDNS_PIN_ROOT/<instance>/, reusing the pins a
 * previous run left there (the cache, warm: the kernel answered hits all the while the daemon
 * was gone), and puts them on the instance's attach points: the NICs (XDP, native or generic),
 * and lo, bridges, pod veths (TC by default; see xdpdns_attach_spec). Every interface matching
 * an attach point gets the program as it appears (xdpdns_loader_link(), fed by the daemon's
 * netlink watcher) and is forgotten as it goes. An xdpdns program already on an attach point
 * is replaced atomically: every packet meets the old program or the new one (XDP through the
 * old program's pin and XDP_FLAGS_REPLACE; TC by replacing the filter at the instance's handle).
 * An upgrade is a restart. */
#ifndef XDPDNS_LOADER_H
#define XDPDNS_LOADER_H

#include <net/if.h>
#include <stdbool.h>
#include <linux/if_link.h>
#include "bpf_maps.h"
#include "pins.h"

#define XDPDNS_DEFAULT_INSTANCE "default" /* when no `iface` names one */

enum xdpdns_xdp_mode {
	XDPDNS_MODE_AUTO,   /* native, else generic with a warning */
	XDPDNS_MODE_NATIVE,
	XDPDNS_MODE_SKB,
};

/* An attach point as configured: `iface IF` (a NIC: XDP, native or generic by `mode`) or
 * `attach IF[:HOOK]`, IF a name or a fnmatch(3) pattern (every interface matching it, as they
 * come and go), HOOK one of enum xdpdns_hook (XDPDNS_HOOK_NONE: chosen by the loader, TC). */
struct xdpdns_attach_spec {
	char name[XDPDNS_ATTACH_NAME_LEN];
	enum xdpdns_hook hook;
	bool nic;
};

/* Is name a pattern (fnmatch(3) wildcards), not one interface? */
bool xdpdns_attach_is_pattern(const char *name);

/* An interface the program is on. */
struct xdpdns_link {
	int ifindex;
	char ifname[IF_NAMESIZE];
	unsigned int slot;     /* its attach point */
	enum xdpdns_hook hook; /* as attached */
};

struct xdpdns_loader {
	char instance[XDPDNS_INSTANCE_MAX_LEN + 1];
	char pin_dir[sizeof(XDPDNS_PIN_ROOT) + XDPDNS_INSTANCE_MAX_LEN + 1];
	struct xdpdns *skel;       /* the programs, loaded by this run; it owns the map fds */
	bool maps_adopted;         /* the pinned maps, and the cache in them, were there */
	struct xdpdns_maps maps;
	enum xdpdns_xdp_mode mode; /* of the NICs */
	/* attach points by slot, 1..n_points (slot 0: interfaces not listed) */
	struct xdpdns_attach_spec points[XDPDNS_ATTACH_MAX];
	int n_points;
	struct xdpdns_link *links; /* the interfaces the program is on */
	int n_links, cap_links;
	__u32 tc_handle;
	/* the XDP programs the last run pinned (its fds, opened before the first attach pins
	 * ours there), -1: none; and the id of the one this run replaced, 0: none */
	struct {
		int fd;
		__u32 id;
	} old_pins[2];
	__u32 old_xdp_id;
	int replaced;              /* programs of the last run replaced at start */
	bool xdp_pinned;           /* our XDP program is pinned at XDPDNS_PROG_PIN */
	uint64_t attaches, detaches; /* interfaces taken and let go since the start (patterns) */
};

/* Loads the programs, with cache_entries class S entries (M and L in proportion: see
 * xdpdns_class_entries()), and puts them on every interface matching points[0..n) (slot i+1
 * each), replacing the xdpdns program there. Mounts bpffs if needed. Pins the programs can't
 * reuse (another layout version, another size) are dropped with a warning. With fresh maps,
 * writes a default config with a new hash seed; adopted maps keep theirs. A NIC (`iface`) that
 * is missing or can't be attached fails the start; another attach point that matches nothing
 * yet waits for its interfaces. Returns 0 or -errno, having logged what failed and why. */
int xdpdns_loader_start(struct xdpdns_loader *l, const char *instance,
			const struct xdpdns_attach_spec *points, int n_points,
			enum xdpdns_xdp_mode mode, uint32_t cache_entries);

/* An interface appeared, changed (a rename) or went (removed): the program goes on it if it
 * matches an attach point, and off if it no longer does. ifindex 0: events were lost, every
 * interface is looked at again. */
void xdpdns_loader_link(struct xdpdns_loader *l, int ifindex, const char *ifname, bool removed);

/* Interfaces the program is on, of attach point slot. */
int xdpdns_loader_links_of(const struct xdpdns_loader *l, unsigned int slot);

/* max_entries of class cls for cache_entries: the default capacities' proportions, 16:4:1. */
uint32_t xdpdns_class_entries(enum xdpdns_cache_class cls, uint32_t cache_entries);

/* Takes the programs off every interface, and the XDP program's pin; the pinned maps stay for
 * the next start. Returns 0 or the first -errno. */
int xdpdns_loader_detach(struct xdpdns_loader *l);

/* Lets go of everything without detaching: the kernel keeps serving. */
void xdpdns_loader_close(struct xdpdns_loader *l);

/* Is there a program on an attach point (something to detach or leave)? */
bool xdpdns_loader_attached(const struct xdpdns_loader *l);

#endif /* XDPDNS_LOADER_H */
