/* SPDX-License-Identifier: GPL-2.0 */
/* Test harness for the XDP program: loads it, fills its maps, runs frames with
 * BPF_PROG_TEST_RUN, and builds DNS messages with ldns. */
#ifndef XDPDNS_TEST_HARNESS_H
#define XDPDNS_TEST_HARNESS_H

#include <stdint.h>
#include <ldns/ldns.h>
#include "bpf_maps.h"
#include "frame.h"

struct harness {
	struct xdpdns *skel; /* harness_open()'s, NULL when attached to another object */
	struct bpf_object *obj;
	int prog_fd;         /* what harness_run() runs: xdp_fd, or tc_fd after harness_hook() */
	int xdp_fd, tc_fd;   /* the XDP and the TC entry points; tc_fd -1 in an object without */
	bool tc;
	/* TC: when set, its cb[] goes into each run, and the context the run leaves comes back */
	struct __sk_buff *skb;
	struct xdpdns_maps maps;
	struct xdpdns_config cfg;
};

/* Opens and loads the xdpdns skeleton, then harness_attach(). Returns 0 or -errno. */
int harness_open(struct harness *h);

/* Adopts a loaded object with the xdpdns maps (the program's or the benchmark's): writes the
 * default config and the frame.h service addresses on port 53. Returns 0 or -errno. */
int harness_attach(struct harness *h, struct bpf_object *obj, int prog_fd);
void harness_close(struct harness *h);

/* The daemon as far as the program can tell: UDP sockets bound on the frame.h service
 * addresses, port 53, in a network namespace of the test's own (made at the first call, so
 * the program's socket lookups see only these). The program serves expired entries stale
 * while none is bound. Returns 0 or -errno. */
int harness_daemon_up(void);
void harness_daemon_down(void);

/* Which entry point harness_run() runs: the XDP program (tc false, the default) or the TC one.
 * Returns 0, or -ENOENT when the object has no TC program. */
int harness_hook(struct harness *h, bool tc);

/* Runs the program once on in; the frame it leaves goes to out. Returns the XDP action, the
 * TC program's verdict as the XDP action it stands for (a redirect to the interface it came
 * in on: XDP_TX; TC_ACT_SHOT: XDP_DROP; TC_ACT_UNSPEC: XDP_PASS), or HARNESS_BAD_VERDICT for
 * any other (TC_ACT_OK would end the interface's other filters). The packet enters on lo (in
 * the caller's network namespace), whose ifindex is HARNESS_IFINDEX. */
int harness_run(struct harness *h, const uint8_t *in, size_t in_len, uint8_t *out,
		size_t *out_len);
#define HARNESS_BAD_VERDICT 1000
#define HARNESS_IFINDEX 1 /* lo: BPF_PROG_TEST_RUN's device for both program types */

/* Current value of one counter, summed over CPUs and attach points. */
uint64_t harness_count(struct harness *h, unsigned int reason);
/* ...of one attach point's row. */
uint64_t harness_count_slot(struct harness *h, unsigned int slot, unsigned int reason);

/* The packets harness_run() runs enter on attach point slot with flags (XDPDNS_IFACE_*), or
 * (slot 0) on an interface the program does not list. Returns 0 or -errno. */
int harness_iface(struct harness *h, unsigned int slot, unsigned int flags);

/* Stores resp in the cache as if it had arrived age_sec seconds ago with lifetime ttl_sec:
 * and HARNESS_AGE_MARGIN_NS more, as the program reads a clock up to a tick behind the one
 * that stamps entries (struct xdpdns_hot), and ages in whole seconds. */
#define HARNESS_AGE_MARGIN_NS 500000000ULL
int harness_store(struct harness *h, const ldns_pkt *resp, uint8_t key_flags, uint32_t age_sec,
		  uint32_t ttl_sec);

/* DNS messages. */
struct query_opts {
	uint16_t id;
	int edns;          /* add an OPT RR */
	int do_bit;
	int cd;
	uint16_t udp_size; /* default 1232 */
	int cookie;        /* add a client COOKIE option */
};

/* A query for name (case kept) and type, in wire form; returns its length. */
size_t make_query(uint8_t *wire, const char *name, ldns_rr_type type, const struct query_opts *o);

/* A response to name/type with the given rcode and records ("owner TTL IN TYPE RDATA"), NULL
 * terminated lists. */
ldns_pkt *make_response(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
			const char *const *answer, const char *const *authority);

#endif /* XDPDNS_TEST_HARNESS_H */
