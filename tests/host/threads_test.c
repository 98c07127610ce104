// SPDX-License-Identifier: GPL-2.0
/*
 * Description: one libmmio_shm handle used by several threads at once:
 * concurrent map, sync and unmap calls keep the handle's list of mappings
 * consistent, and every mapping aliases the same memfd.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "host.h"
#include "kselftest_harness.h"

#define THREADS		4
#define ROUNDS		500
#define PAGES		8

struct worker {
	struct mmio_shm *shm;	/* shared by every worker */
	int id;			/* which byte of page 0 it counts in */
	int err;		/* the first failure, or 0 */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *p;
	int i, ret;

	for (i = 0; i < ROUNDS && !w->err; i++) {
		ret = mmio_shm_map_range(w->shm, (i % PAGES) * ps, ps,
					 MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE,
					 (void **)&p);
		if (ret) {
			w->err = ret;
			break;
		}
		/* page i % PAGES, byte id: each worker counts its own rounds */
		p[w->id]++;
		ret = mmio_shm_sync(w->shm, p, ps);
		if (!ret)
			ret = mmio_shm_unmap(w->shm, p, ps);
		w->err = ret;
	}
	return NULL;
}

TEST(concurrent_map_unmap)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	struct mmio_shm *shm;
	unsigned char *all;
	size_t len;
	int fd, i, pg, total;

	fd = memfd_of_size(PAGES * ps);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mmio_shm_open_fd(fd, &shm));
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .shm = shm, .id = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_main, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].err);
	}
	ASSERT_EQ(0, mmio_shm_map(shm, MMIO_SHM_PROT_READ, (void **)&all, &len));
	for (i = 0; i < THREADS; i++) {
		total = 0;
		for (pg = 0; pg < PAGES; pg++)
			total += all[pg * ps + i];
		/* bytes wrap at 256: compare modulo */
		EXPECT_EQ(ROUNDS % 256, total % 256);
	}
	EXPECT_EQ(0, mmio_shm_close(shm));
	close(fd);
}

TEST_HARNESS_MAIN
