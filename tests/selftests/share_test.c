// SPDX-License-Identifier: GPL-2.0
/*
 * Sharing: processes that map /dev/mmio_shm see each other's writes,
 * whether they are fork()ed children or separately exec'd programs, and
 * every mapping of a page (whole, at an offset, or through read()/write())
 * aliases the same memory.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "fixture.h"

#define MAGIC_READY	0x52454459u	/* "REDY" */
#define MAGIC_DONE	0x444f4e45u	/* "DONE" */

/*
 * The exec'd helper: "--writer OFF" waits for nothing, writes a pattern at
 * OFF and a DONE word after it; "--reader OFF" waits (bounded) for the DONE
 * word and checks the pattern. Each opens and maps the device itself.
 */
static int helper_main(const char *role, const char *offarg)
{
	long ps = page_size();
	unsigned long off = strtoul(offarg, NULL, 0);
	volatile uint32_t *word;
	unsigned char *map;
	int fd, i, tries;

	fd = open(shm_dev_path(), O_RDWR);
	if (fd < 0)
		return 10;
	map = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   off & ~(ps - 1));
	if (map == MAP_FAILED)
		return 11;
	word = (volatile uint32_t *)(map + ps);

	if (!strcmp(role, "--writer")) {
		for (i = 0; i < ps; i++)
			map[i] = (unsigned char)(i * 7 + 3);
		__atomic_store_n(word, MAGIC_DONE, __ATOMIC_RELEASE);
		return 0;
	}
	/* reader: announce itself, then wait for the writer (10 s at most) */
	__atomic_store_n(word + 1, MAGIC_READY, __ATOMIC_RELEASE);
	for (tries = 0; tries < 10000; tries++) {
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) == MAGIC_DONE)
			break;
		usleep(1000);
	}
	if (*word != MAGIC_DONE)
		return 12;
	for (i = 0; i < ps; i++)
		if (map[i] != (unsigned char)(i * 7 + 3))
			return 13;
	return 0;
}

static pid_t spawn_helper(const char *role, unsigned long off)
{
	char offarg[32];
	pid_t pid;

	snprintf(offarg, sizeof(offarg), "%#lx", off);
	pid = fork_child();
	if (pid == 0) {
		execl("/proc/self/exe", "share_test", role, offarg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Two exec'd programs, alive at the same time, talk through the buffer. */
TEST_F(dev, exec_writer_and_reader_share_data)
{
	volatile uint32_t *word;
	uint8_t *map;
	pid_t reader, writer;
	int tries;

	map = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	word = (volatile uint32_t *)(map + self->ps);

	reader = spawn_helper("--reader", 0);
	ASSERT_LT(0, reader);
	/* the writer starts only once the reader is up and mapped */
	for (tries = 0; tries < 10000 && word[1] != MAGIC_READY; tries++)
		usleep(1000);
	ASSERT_EQ(MAGIC_READY, word[1]);
	writer = spawn_helper("--writer", 0);
	ASSERT_LT(0, writer);

	EXPECT_EQ(0, wait_child(writer));
	EXPECT_EQ(0, wait_child(reader));
	/* and this third process sees the writer's data too */
	EXPECT_EQ(3, map[0]);
	EXPECT_EQ((uint8_t)(100 * 7 + 3), map[100]);
	munmap(map, 2 * self->ps);
}

/* A writer that has exited leaves its data for a reader exec'd later. */
TEST_F(dev, data_outlives_the_writer_process)
{
	unsigned long off = self->size - 2 * self->ps;

	ASSERT_EQ(0, wait_child(spawn_helper("--writer", off)));
	ASSERT_EQ(0, wait_child(spawn_helper("--reader", off)));
}

/* fork(): the child's writes reach the parent and the parent's the child. */
TEST_F(dev, fork_child_and_parent_share_writes)
{
	volatile uint32_t *p;
	pid_t pid;

	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int tries;

		if (p[0] != 1)
			_exit(1);
		p[1] = 2;
		for (tries = 0; tries < 10000 && p[2] != 3; tries++)
			usleep(1000);
		_exit(p[2] == 3 ? 0 : 2);
	}
	while (__atomic_load_n(&p[1], __ATOMIC_ACQUIRE) != 2)
		usleep(1000);
	p[2] = 3;
	EXPECT_EQ(0, wait_child(pid));
	munmap((void *)p, self->ps);
}

/* A mapping at an offset aliases the same page as the whole mapping. */
TEST_F(dev, offset_mapping_aliases_the_right_page)
{
	size_t npages = self->size / self->ps;
	uint8_t *whole, *one;
	size_t pg = npages - 1;

	ASSERT_LE(2, npages);
	whole = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, 0);
	ASSERT_NE(MAP_FAILED, whole);
	one = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, pg * self->ps);
	ASSERT_NE(MAP_FAILED, one);

	one[5] = 0x5a;
	EXPECT_EQ(0x5a, whole[pg * self->ps + 5]);
	whole[pg * self->ps + 6] = 0x6b;
	EXPECT_EQ(0x6b, one[6]);
	/* and nothing else moved */
	EXPECT_EQ(0, whole[5]);
	EXPECT_EQ(0, whole[(pg - 1) * self->ps + 5]);

	munmap(one, self->ps);
	munmap(whole, self->size);
}

/* A partial mapping in the middle sees exactly its pages. */
TEST_F(dev, partial_mapping_covers_only_its_range)
{
	uint8_t *whole, *mid;
	size_t i;

	ASSERT_LE(4, self->size / self->ps);
	whole = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, 0);
	ASSERT_NE(MAP_FAILED, whole);
	for (i = 0; i < 4; i++)
		whole[i * self->ps] = (uint8_t)(0x10 + i);
	mid = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd, self->ps);
	ASSERT_NE(MAP_FAILED, mid);
	EXPECT_EQ(0x11, mid[0]);
	EXPECT_EQ(0x12, mid[self->ps]);
	munmap(mid, 2 * self->ps);
	munmap(whole, self->size);
}

/* read()/write() and the mappings see the same bytes. */
TEST_F(dev, read_write_and_mmap_are_coherent)
{
	char buf[16] = "";
	uint8_t *map;

	map = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(5, pwrite(self->fd, "hello", 5, 10));
	EXPECT_EQ(0, memcmp(map + 10, "hello", 5));
	memcpy(map + 20, "world", 5);
	ASSERT_EQ(5, pread(self->fd, buf, 5, 20));
	EXPECT_EQ(0, memcmp(buf, "world", 5));
	munmap(map, self->ps);
}

/* Many processes incrementing one counter lose no increment. */
TEST_F_TIMEOUT(dev, many_processes_atomic_increments, 300)
{
	enum { NPROC = 8, ITERS = 20000 };
	uint64_t *ctr;
	pid_t pids[NPROC];
	int i;

	ctr = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, ctr);
	*ctr = 0;
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = open(shm_dev_path(), O_RDWR);
			uint64_t *c;
			int j;

			/* each child maps it anew, not only the inherited map */
			c = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (c == MAP_FAILED)
				_exit(1);
			for (j = 0; j < ITERS; j++)
				__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	EXPECT_EQ((uint64_t)NPROC * ITERS, *ctr);
	munmap(ctr, self->ps);
}

int main(int argc, char **argv)
{
	if (argc == 3 && (!strcmp(argv[1], "--writer") ||
			  !strcmp(argv[1], "--reader")))
		return helper_main(argv[1], argv[2]);
	return test_harness_run(argc, argv);
}
