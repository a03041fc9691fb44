// SPDX-License-Identifier: GPL-2.0
/* Test harness for the XDP program. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "xdpdns.skel.h"

int harness_open(struct harness *h)
{
	struct xdpdns *skel = xdpdns__open_and_load();
	int err;

	if (!skel)
		return -errno;
	err = harness_attach(h, skel->obj, bpf_program__fd(skel->progs.xdpdns_xdp_serve));
	if (!err) /* kept, so that harness_close() frees the skeleton too (LeakSanitizer) */
		h->skel = skel;
	return err;
}

int harness_attach(struct harness *h, struct bpf_object *obj, int prog_fd)
{
	struct bpf_program *tc = bpf_object__find_program_by_name(obj, "xdpdns_tc_serve");
	int err;

	memset(h, 0, sizeof(*h));
	h->obj = obj;
	h->prog_fd = prog_fd;
	h->xdp_fd = prog_fd;
	h->tc_fd = tc ? bpf_program__fd(tc) : -1;
	err = xdpdns_maps_find(h->obj, &h->maps);
	if (!err)
		err = xdpdns_config_init(&h->cfg);
	if (!err)
		err = xdpdns_config_write(&h->maps, &h->cfg);
	if (!err)
		err = xdpdns_hot_clock_write(&h->maps);
	if (!err) {
		const char *const services[] = { FRAME_SERVICE4, FRAME_SERVICE6 };

		err = xdpdns_services_set(&h->maps, services, 2, 53);
	}
	if (err)
		harness_close(h);
	return err;
}

void harness_close(struct harness *h)
{
	if (h->skel)
		xdpdns__destroy(h->skel); /* the object, its maps and program with it */
	else
		bpf_object__close(h->obj);
	h->skel = NULL;
	h->obj = NULL;
}

int harness_hook(struct harness *h, bool tc)
{
	if (tc && h->tc_fd < 0)
		return -ENOENT;
	h->tc = tc;
	h->prog_fd = tc ? h->tc_fd : h->xdp_fd;
	return 0;
}

int harness_run(struct harness *h, const uint8_t *in, size_t in_len, uint8_t *out,
		size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = in_len,
		    .data_out = out, .data_size_out = FRAME_MAX_LEN, .repeat = 1);
	struct __sk_buff skb = {};
	int err;

	if (h->tc && h->skb) {
		/* only cb[] in: the rest of a context a run left (its wire_len...) would not fit
		 * the next frame */
		memcpy(skb.cb, h->skb->cb, sizeof(skb.cb));
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
		opts.ctx_out = h->skb;
		opts.ctx_size_out = sizeof(*h->skb);
	}
	err = bpf_prog_test_run_opts(h->prog_fd, &opts);

	if (err)
		return err;
	*out_len = opts.data_size_out;
	if (!h->tc)
		return opts.retval;
	/* a test run does not carry out the redirect: the verdict says where it would go */
	switch ((int)opts.retval) {
	case TC_ACT_REDIRECT:
		return XDP_TX;
	case TC_ACT_SHOT:
		return XDP_DROP;
	case TC_ACT_UNSPEC:
		return XDP_PASS;
	}
	return HARNESS_BAD_VERDICT;
}

uint64_t harness_count(struct harness *h, unsigned int reason)
{
	uint64_t counts[XDPDNS_REASON_COUNT];

	if (xdpdns_stats_read(&h->maps, counts))
		return UINT64_MAX;
	return counts[reason];
}

uint64_t harness_count_slot(struct harness *h, unsigned int slot, unsigned int reason)
{
	static uint64_t counts[XDPDNS_ATTACH_MAX][XDPDNS_REASON_COUNT];

	if (slot >= XDPDNS_ATTACH_MAX || xdpdns_stats_read_slots(&h->maps, counts))
		return UINT64_MAX;
	return counts[slot][reason];
}

int harness_iface(struct harness *h, unsigned int slot, unsigned int flags)
{
	struct xdpdns_iface v = { .slot = slot, .flags = flags };
	int err;

	if (!slot) {
		err = xdpdns_iface_delete(&h->maps, HARNESS_IFINDEX);
		return err == -ENOENT ? 0 : err;
	}
	return xdpdns_iface_set(&h->maps, HARNESS_IFINDEX, &v);
}

int harness_store(struct harness *h, const ldns_pkt *resp, uint8_t key_flags, uint32_t age_sec,
		  uint32_t ttl_sec)
{
	struct xdpdns_entry_meta meta = {
		.hash_seed = h->cfg.hash_seed,
		.stored_ns = xdpdns_boottime_ns() - (uint64_t)age_sec * 1000000000ULL -
			     HARNESS_AGE_MARGIN_NS,
		.ttl_sec = ttl_sec,
		.key_flags = key_flags,
	};
	struct xdpdns_entry_buf b;
	int err = xdpdns_entry_build(resp, &meta, &b);

	return err ? err : xdpdns_cache_put(&h->maps, &b);
}

size_t make_query(uint8_t *wire, const char *name, ldns_rr_type type, const struct query_opts *o)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	ldns_pkt *q = ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, LDNS_RD | (o->cd ? LDNS_CD : 0));
	uint8_t *buf = NULL;
	size_t size = 0;

	ldns_pkt_set_id(q, o->id);
	if (o->edns) {
		ldns_pkt_set_edns_udp_size(q, o->udp_size ? o->udp_size : 1232);
		ldns_pkt_set_edns_do(q, o->do_bit);
		if (o->cookie) {
			static const uint8_t opt[12] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };

			ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
									 sizeof(opt), opt));
		}
	}
	if (ldns_pkt2wire(&buf, q, &size) != LDNS_STATUS_OK || size > FRAME_MAX_LEN)
		size = 0;
	else
		memcpy(wire, buf, size);
	free(buf);
	ldns_pkt_free(q);
	return size;
}

static int push_rrs(ldns_pkt *p, ldns_pkt_section section, const char *const *rrs)
{
	for (; rrs && *rrs; rrs++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, *rrs, 0, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "bad test record: %s\n", *rrs);
			return -EINVAL;
		}
		ldns_pkt_push_rr(p, section, rr);
	}
	return 0;
}

ldns_pkt *make_response(const char *name, ldns_rr_type type, ldns_pkt_rcode rcode,
			const char *const *answer, const char *const *authority)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN,
					  LDNS_RD);

	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, rcode);
	if (push_rrs(p, LDNS_SECTION_ANSWER, answer) ||
	    push_rrs(p, LDNS_SECTION_AUTHORITY, authority)) {
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

/* The daemon's sockets: see harness_daemon_up(). FREEBIND: the addresses are on no interface. */
static int daemon_fds[2] = { -1, -1 };
static bool own_netns;

int harness_daemon_up(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(53) };
	int one = 1;

	if (!own_netns) {
		if (unshare(CLONE_NEWNET))
			return -errno;
		own_netns = true;
	}
	harness_daemon_down();
	inet_pton(AF_INET, FRAME_SERVICE4, &sin.sin_addr);
	inet_pton(AF_INET6, FRAME_SERVICE6, &sin6.sin6_addr);
	daemon_fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	daemon_fds[1] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (daemon_fds[0] < 0 || daemon_fds[1] < 0 ||
	    setsockopt(daemon_fds[0], IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    setsockopt(daemon_fds[1], IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) ||
	    bind(daemon_fds[0], (struct sockaddr *)&sin, sizeof(sin)) ||
	    bind(daemon_fds[1], (struct sockaddr *)&sin6, sizeof(sin6))) {
		int err = -errno;

		harness_daemon_down();
		return err;
	}
	return 0;
}

void harness_daemon_down(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (daemon_fds[i] >= 0)
			close(daemon_fds[i]);
		daemon_fds[i] = -1;
	}
}
