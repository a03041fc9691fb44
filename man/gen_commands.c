// SPDX-License-Identifier: GPL-2.0
/* Prints xdpdnsctl's command table (user/ctl/commands.c) as the man page's COMMANDS: the page
 * lists exactly what the tool accepts, as its --help does. */
#include <stdio.h>
#include "commands.h"

int main(void)
{
	ctl_commands_roff(stdout);
	return 0;
}
