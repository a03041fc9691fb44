// SPDX-License-Identifier: GPL-2.0
/* cpu_stalls: how often this machine takes a CPU away from a running thread, and for how long.
 * One thread per online CPU, pinned, reads the monotonic clock in a loop for SECONDS; every gap
 * between two reads over 200 µs is time the thread did not run (an interrupt, the kernel's
 * work, or on a VM the hypervisor running something else on the vCPU). A latency percentile
 * of a few hundred microseconds can't be told apart from these: make bench prints them beside
 * its p99 figures. Prints one line: "gaps>200us N >500us N >1ms N longest N us".
 * Usage: cpu_stalls [SECONDS] (default 2, at most 10)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct probe {
	int cpu;
	double secs;
	unsigned long over200, over500, over1000;
	double longest_us;
};

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *run(void *arg)
{
	struct probe *p = arg;
	cpu_set_t set;
	double start, prev, end;

	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	start = prev = now_us();
	end = start + p->secs * 1e6;
	for (;;) {
		double t = now_us(), gap = t - prev;

		prev = t;
		p->over200 += gap > 200;
		p->over500 += gap > 500;
		p->over1000 += gap > 1000;
		if (gap > p->longest_us)
			p->longest_us = gap;
		if (t > end)
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	long n = sysconf(_SC_NPROCESSORS_ONLN), i;
	struct probe *p;
	pthread_t *t;
	unsigned long a = 0, b = 0, c = 0;
	double longest = 0;

	if (secs <= 0 || secs > 10 || n < 1) {
		fprintf(stderr, "usage: cpu_stalls [SECONDS], 0 < SECONDS <= 10\n");
		return 2;
	}
	p = calloc(n, sizeof(*p));
	t = calloc(n, sizeof(*t));
	if (!p || !t)
		return 1;
	for (i = 0; i < n; i++) {
		p[i].cpu = i;
		p[i].secs = secs;
		if (pthread_create(&t[i], NULL, run, &p[i]))
			return 1;
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		a += p[i].over200;
		b += p[i].over500;
		c += p[i].over1000;
		if (p[i].longest_us > longest)
			longest = p[i].longest_us;
	}
	printf("gaps>200us %lu >500us %lu >1ms %lu longest %.0f us\n", a, b, c, longest);
	return 0;
}
