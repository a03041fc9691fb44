// SPDX-License-Identifier: GPL-2.0
/* Prints xdpdnsd's option table as man(7) paragraphs: `gen_options conf` for xdpdns.conf(5),
 * `gen_options flags` for xdpdnsd(8). The man pages take their options from here, so they list
 * exactly what the daemon accepts. */
#include <stdio.h>
#include <string.h>
#include "config.h"

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "conf") && strcmp(argv[1], "flags"))) {
		fprintf(stderr, "usage: gen_options conf|flags\n");
		return 2;
	}
	xdpdns_options_roff(stdout, !strcmp(argv[1], "flags"));
	return 0;
}
