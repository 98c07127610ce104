/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock and the CPU placement every benchmark program of make bench
 * uses, the C one (mmio_shm_bench.c) and the C++ peer (boost_mq_bench.cpp),
 * so that their figures are taken the same way.
 */
#ifndef MMIO_SHM_BENCH_CLOCK_H
#define MMIO_SHM_BENCH_CLOCK_H

#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Puts the calling process on CPU @cpu (-1: on every CPU again), when there
 * is more than one. Transfers and ping-pongs pin their two sides, to one
 * CPU (1cpu) or to two (2cpu), because where the scheduler puts them
 * decides most of the figure. On one CPU a producer fills the ring (or a
 * pipe) before the consumer runs, and a wake-up is a context switch; on
 * two, every message moves between caches, and waking a side that sleeps
 * is an IPI to an idle CPU, which in a VM costs tens of microseconds
 * (62 us instead of 7-10 us natively here) and up to milliseconds for a
 * TCG guest on a busy host. Unpinned, each run measured whichever the
 * scheduler happened to pick (a ring's 64 B messages: 2.9 to 23 million
 * a second from one run to the next). The spinning ping-pongs run on two
 * CPUs only: on one, a spinning side spins through its peer's slice.
 */
static inline void pin_cpu(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	long i;

	if (n < 2)
		return;
	CPU_ZERO(&set);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

#endif /* MMIO_SHM_BENCH_CLOCK_H */
