/* SPDX-License-Identifier: GPL-2.0 */
/* The one monotonic clock of userspace (CLOCK_MONOTONIC): the event loop's timers, the
 * daemon's cache ages, rates in the log and in xdpdnsctl top. Alone in its file so that the
 * in-process tests link a settable clock in its place (tests/fake_clock.c). The kernel's
 * entries use CLOCK_BOOTTIME instead (xdpdns_boottime_ns(), cache_entry.h). */
#ifndef XDPDNS_CLOCK_H
#define XDPDNS_CLOCK_H

#include <stdint.h>

uint64_t ev_now_ns(void);
uint64_t ev_now_ms(void);

#endif /* XDPDNS_CLOCK_H */
