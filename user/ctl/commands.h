/* SPDX-License-Identifier: GPL-2.0 */
/* xdpdnsctl's commands: one table (commands.c) for the dispatcher in xdpdnsctl.c, the usage
 * text (--help) and the man page's COMMANDS (man/gen_commands.c), so the three never differ.
 * A command with several forms (health, drill, snapshot) has a row per form, all with the same
 * run function. */
#ifndef XDPDNS_CTL_COMMANDS_H
#define XDPDNS_CTL_COMMANDS_H

#include <stdio.h>
#include "bpf_maps.h"

/* What a command works on: the cache found by xdpdnsctl's options. */
struct ctl {
	struct xdpdns_maps *maps; /* its pinned maps; NULL for a CTL_NO_CACHE command */
	const char *instance;     /* its instance (control socket, pins); "" for CTL_NO_CACHE */
};

enum ctl_needs {
	CTL_CACHE,    /* the cache is found and its maps opened first */
	CTL_NO_CACHE, /* runs before any cache exists (address: the DaemonSet's init container) */
};

struct ctl_command {
	const char *name;     /* the first word */
	const char *synopsis; /* the words after it, for the usage and the man page ("" none) */
	enum ctl_needs needs;
	/* argv[0] is the command's name, as a main's; returns the exit status */
	int (*run)(const struct ctl *c, int argc, char **argv);
	const char *usage;    /* --help: what it does, lines of at most 52 columns */
	const char *man;      /* the man page: the .TP paragraph's tag line and text, in roff */
};

extern const struct ctl_command ctl_commands[];
extern const size_t ctl_n_commands;

/* The first row of the command called name, or NULL. */
const struct ctl_command *ctl_command(const char *name);

/* The commands as --help lists them, and as the man page's .TP paragraphs. */
void ctl_commands_usage(FILE *out);
void ctl_commands_roff(FILE *out);

#endif /* XDPDNS_CTL_COMMANDS_H */
