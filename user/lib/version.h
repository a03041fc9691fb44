/* SPDX-License-Identifier: GPL-2.0 */
/* The release, from the top VERSION file (or make VERSION=...): what --version, /metrics, the
 * man pages, the image tag and the Debian package say. */
#ifndef XDPDNS_VERSION_H
#define XDPDNS_VERSION_H

extern const char xdpdns_version[];

#endif
