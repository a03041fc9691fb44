// SPDX-License-Identifier: GPL-2.0
/* The monotonic clock. */
#include <time.h>
#include "clock.h"

uint64_t ev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t ev_now_ms(void)
{
	return ev_now_ns() / 1000000;
}
