/* SPDX-License-Identifier: GPL-2.0 */
/* A settable clock, linked in place of user/lib/clock.c by the in-process tests of resolution
 * (tests/resolve.h): time moves only when the test says, and the event loop's timers that fall
 * due meanwhile run in order, each at its own time, without a wait. */
#ifndef XDPDNS_FAKE_CLOCK_H
#define XDPDNS_FAKE_CLOCK_H

#include <stdint.h>
#include "event.h"

/* Where the clock starts: far from 0, as the monotonic clock is, so that ages never wrap. */
#define FAKE_CLOCK_START_MS 1000000000ULL

/* Sets the clock (no timer runs). */
void fake_clock_set_ms(uint64_t ms);

/* Moves the clock on by ms, running every timer of loop due by then at its own time. */
void fake_clock_advance(struct ev_loop *loop, uint64_t ms);

#endif /* XDPDNS_FAKE_CLOCK_H */
