// SPDX-License-Identifier: GPL-2.0
/* The only object built with the version: a new one relinks, nothing else is compiled again.
 * user/Makefile passes XDPDNS_VERSION, checked by common.mk. */
#include "version.h"

const char xdpdns_version[] = XDPDNS_VERSION;
