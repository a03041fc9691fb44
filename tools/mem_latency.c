// SPDX-License-Identifier: GPL-2.0
/* mem_latency: what one memory load costs on this machine when the one before it had to finish
 * first (a pointer chase), over a working set that fits in the CPU's caches and over one that
 * does not. A cache hit in the kernel program is at least one such load when its entry is cold
 * (the hash map takes two: the bucket, then the element): make bench prints this beside the
 * program's run time per packet, as the floor that no layout of the cache gets under.
 * Elements are 256 bytes apart (a class-S entry's size) on 4-KiB pages (as the kernel's maps
 * are), visited in one random cycle. Prints one line: "dependent load: N ns over M MiB, N ns
 * over K KiB". Bounded: 2,000,000 loads per size.
 * Usage: mem_latency [MIB] (default 64, from 1 to 1024)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define STRIDE 256
#define LOADS 2000000L

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* ns per load of a chase through a random cycle of size / STRIDE elements */
static double chase(size_t size)
{
	size_t n = size / STRIDE, i;
	uint64_t seed = 7;
	double start, ns;
	size_t *order;
	void **p;
	char *buf;
	long k;

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	order = malloc(n * sizeof(*order));
	if (buf == MAP_FAILED || !order) {
		fprintf(stderr, "mem_latency: out of memory for %zu bytes\n", size);
		exit(1);
	}
	madvise(buf, size, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) { /* Fisher-Yates with a fixed xorshift: the same cycle each run */
		size_t j, t;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		j = seed % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		*(void **)(buf + order[i] * STRIDE) = buf + order[(i + 1) % n] * STRIDE;
	p = (void **)(buf + order[0] * STRIDE);
	for (k = 0; k < (long)n; k++) /* once round: pages faulted in, caches as warm as they get */
		p = *p;
	start = now_ns();
	for (k = 0; k < LOADS; k++)
		p = *p;
	ns = (now_ns() - start) / LOADS;
	if (!p) /* uses the result: the loop can't be dropped */
		ns = -1;
	munmap(buf, size);
	free(order);
	return ns;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 64;
	size_t small = 256 << 10;

	if (mib < 1 || mib > 1024) {
		fprintf(stderr, "usage: mem_latency [MIB], 1 <= MIB <= 1024\n");
		return 2;
	}
	printf("dependent load: %.0f ns over %ld MiB, %.0f ns over %zu KiB\n",
	       chase((size_t)mib << 20), mib, chase(small), small >> 10);
	return 0;
}
