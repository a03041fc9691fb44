// SPDX-License-Identifier: GPL-2.0
/* The settable clock: ev_now_ns() and ev_now_ms() of user/lib/clock.h. */
#include "fake_clock.h"

static uint64_t now_ms = FAKE_CLOCK_START_MS;

uint64_t ev_now_ns(void)
{
	return now_ms * 1000000;
}

uint64_t ev_now_ms(void)
{
	return now_ms;
}

void fake_clock_set_ms(uint64_t ms)
{
	now_ms = ms;
}

void fake_clock_advance(struct ev_loop *loop, uint64_t ms)
{
	uint64_t until = now_ms + ms, when;

	while (ev_next_timer(loop, &when) && when <= until) {
		if (when > now_ms)
			now_ms = when;
		ev_run_timers(loop);
	}
	now_ms = until;
}
