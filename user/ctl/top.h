/* SPDX-License-Identifier: GPL-2.0 */
/* xdpdnsctl top: the kernel's counters and the daemon's (through its control socket), as
 * rates redrawn in place. Its rows come from the counter registry (counters.h). */
#ifndef XDPDNS_TOP_H
#define XDPDNS_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bpf_maps.h"
#include "control.h"
#include "counters.h"

/* What top compares from one redraw to the next. */
struct top_upstream {
	char addr[64], state[16]; /* state: up, down, "*" when forced (a drill) */
	uint64_t v[XDPDNS_UPC_COUNT];
};

struct top_sample {
	uint64_t t_ns;
	uint64_t kernel[XDPDNS_REASON_COUNT];
	bool daemon; /* a daemon answered: what follows is set */
	uint64_t v[XDPDNS_CTR_COUNT];
	int n_up;
	struct top_upstream up[XDPDNS_UPSTREAMS_MAX];
};

/* The daemon's side of s from its answers to stats and health (control.h). Returns 0, or
 * -ENOENT with err naming a counter the daemon did not give (a daemon of another version). */
int top_parse_daemon(struct top_sample *s, const char *stats, const char *health, char *err,
		     size_t errlen);

/* One frame to out: the rates from a to b. tty: clear the screen first. */
void top_draw(FILE *out, const char *instance, const struct top_sample *a,
	      const struct top_sample *b, bool tty);

/* xdpdnsctl top [--interval S] [-n N] (argv[0] is "top"). Returns the exit status. */
int top_run(const struct xdpdns_maps *m, const char *instance, int argc, char **argv);

#endif /* XDPDNS_TOP_H */
