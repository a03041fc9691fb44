/* SPDX-License-Identifier: GPL-2.0 */
/* Puts the XDP program on an interface (through libxdp's dispatcher, so it coexists with other
 * XDP programs) with its maps pinned under XDPDNS_PIN_ROOT/<ifname>/, or re-adopts the program
 * and maps a previous run left there: a restarted daemon finds its cache warm, and the kernel
 * answered hits all the while it was gone. */
#ifndef XDPDNS_LOADER_H
#define XDPDNS_LOADER_H

#include <net/if.h>
#include <stdbool.h>
#include <xdp/libxdp.h>
#include "bpf_maps.h"

#define XDPDNS_PIN_ROOT "/sys/fs/bpf/xdpdns"

enum xdpdns_xdp_mode {
	XDPDNS_MODE_AUTO,   /* native, else generic with a warning */
	XDPDNS_MODE_NATIVE,
	XDPDNS_MODE_SKB,
};

struct xdpdns_loader {
	char ifname[IF_NAMESIZE];
	int ifindex;
	char pin_dir[sizeof(XDPDNS_PIN_ROOT) + IF_NAMESIZE + 1];
	struct xdpdns *skel;       /* when this run loaded the program */
	struct xdp_program *prog;  /* the attached program, loaded now or adopted */
	enum xdp_attach_mode mode; /* XDP_MODE_NATIVE or XDP_MODE_SKB */
	bool maps_adopted;         /* the pinned maps, and the cache in them, were there */
	bool prog_adopted;         /* the program was attached already */
	struct xdpdns_maps maps;
};

/* Attaches (or adopts) the program on ifname. Mounts bpffs if needed. With fresh maps, writes
 * a default config with a new hash seed; adopted maps keep theirs. Returns 0 or -errno, having
 * logged what failed and why. */
int xdpdns_loader_start(struct xdpdns_loader *l, const char *ifname, enum xdpdns_xdp_mode mode);

/* Takes the program off the interface; the pinned maps stay for the next start. */
int xdpdns_loader_detach(struct xdpdns_loader *l);

/* Lets go of everything without detaching: the kernel keeps serving. */
void xdpdns_loader_close(struct xdpdns_loader *l);

/* Mounts bpffs on /sys/fs/bpf if it is not there, and creates root and dir (a directory in
 * root) for pins. Returns 0 or -errno, having logged what failed. */
int xdpdns_bpffs_dir(const char *root, const char *dir);

/* XDPDNS_PIN_ROOT/<ifname>. Returns 0 or -ENAMETOOLONG. */
int xdpdns_pin_dir(const char *ifname, char *buf, size_t len);

#endif /* XDPDNS_LOADER_H */
