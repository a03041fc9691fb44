/* SPDX-License-Identifier: GPL-2.0 */
/* Loads this build's XDP program with its maps pinned under XDPDNS_PIN_ROOT/<ifname>/, reusing
 * the pins a previous run left there (the cache, warm: the kernel answered hits all the while
 * the daemon was gone), and puts it on the interface: through libxdp's dispatcher, so it
 * coexists with other XDP programs, or alone where the kernel refuses the dispatcher. An xdpdns
 * program already attached is replaced atomically: every packet meets the old program or the
 * new one. An upgrade is a restart. A program attached alone is pinned too (XDPDNS_PROG_PIN), so
 * that the next daemon can replace it with the pin's fd: taking it by id would need
 * CAP_SYS_ADMIN. */
#ifndef XDPDNS_LOADER_H
#define XDPDNS_LOADER_H

#include <net/if.h>
#include <stdbool.h>
#include <xdp/libxdp.h>
#include "bpf_maps.h"
#include "pins.h"

enum xdpdns_xdp_mode {
	XDPDNS_MODE_AUTO,   /* native, else generic with a warning */
	XDPDNS_MODE_NATIVE,
	XDPDNS_MODE_SKB,
};

struct xdpdns_loader {
	char ifname[IF_NAMESIZE];
	int ifindex;
	char pin_dir[sizeof(XDPDNS_PIN_ROOT) + IF_NAMESIZE + 1];
	struct xdpdns *skel;       /* the program, loaded by this run; it owns the map fds */
	struct xdp_program *prog;  /* its libxdp handle, for detaching through the dispatcher;
				    * NULL once it replaced a program attached alone */
	__u32 prog_id;             /* the program's id, once attached */
	bool alone;                /* attached alone, not through libxdp's dispatcher: pinned
				    * (XDPDNS_PROG_PIN), detached by its fd */
	enum xdp_attach_mode mode; /* XDP_MODE_NATIVE or XDP_MODE_SKB */
	bool maps_adopted;         /* the pinned maps, and the cache in them, were there */
	struct xdpdns_maps maps;
};

/* Loads the program, with cache_entries class S entries (M and L in proportion: see
 * xdpdns_class_entries()), and attaches it to ifname or replaces the xdpdns program there.
 * Mounts bpffs if needed. Pins the new program can't reuse (another layout version, another
 * size) are dropped with a warning. With fresh maps, writes a default config with a new hash
 * seed; adopted maps keep theirs. The program attached is replaced through its pin when the pin
 * is that program (same id), else through libxdp, by id (CAP_SYS_ADMIN). Returns 0 or -errno,
 * having logged what failed and why. */
int xdpdns_loader_start(struct xdpdns_loader *l, const char *ifname, enum xdpdns_xdp_mode mode,
			uint32_t cache_entries);

/* max_entries of class cls for cache_entries: the default capacities' proportions, 16:4:1. */
uint32_t xdpdns_class_entries(enum xdpdns_cache_class cls, uint32_t cache_entries);

/* Takes the program off the interface, and its pin; the pinned maps stay for the next start. */
int xdpdns_loader_detach(struct xdpdns_loader *l);

/* Lets go of everything without detaching: the kernel keeps serving. */
void xdpdns_loader_close(struct xdpdns_loader *l);

#endif /* XDPDNS_LOADER_H */
