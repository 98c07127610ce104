// SPDX-License-Identifier: GPL-2.0
/*
 * The mmap path: which mappings the device accepts, and that an accepted
 * mapping behaves like a MAP_SHARED mapping of a tmpfs file under munmap,
 * mprotect, mremap, madvise and fork. Mappings past the end of the buffer
 * are refused; MAP_PRIVATE is copy-on-write and never reaches the buffer;
 * a read-only fd only ever gives read-only mappings.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <sys/mman.h>

#define DEV_MIN_PAGES 4
#include "fixture.h"

static int nr_maps(int fd)
{
	struct mmio_shm_info_args info;

	if (shm_info(fd, &info))
		return -1;
	return info.nr_maps;
}

/* Runs fn(arg) in a child; returns the signal that killed it, or 0. */
static int child_signal(void (*fn)(void *), void *arg)
{
	pid_t pid = fork_child();
	int st = 0;

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void touch_write(void *p)
{
	*(volatile char *)p = 1;
}

static void touch_read(void *p)
{
	(void)*(volatile char *)p;
}

TEST_F(dev, whole_buffer_maps)
{
	void *p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, self->size));
}

TEST_F(dev, mapping_longer_than_buffer_is_refused)
{
	void *p = mmap(NULL, self->size + self->ps, PROT_READ, MAP_SHARED,
		       self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, mapping_at_offset_reaching_past_end_is_refused)
{
	void *p = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd,
		       self->size - self->ps);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, mapping_starting_at_end_is_refused)
{
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd,
		       self->size);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, mapping_at_huge_offset_is_refused)
{
	off_t off = (off_t)1 << 52;
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, off);

	EXPECT_EQ(MAP_FAILED, p);
	/* EINVAL from the device, or EOVERFLOW if the kernel catches it first */
	EXPECT_TRUE(errno == EINVAL || errno == EOVERFLOW);
}

TEST_F(dev, unaligned_offset_is_refused)
{
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 100);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, zero_length_is_refused)
{
	void *p = mmap(NULL, 0, PROT_READ, MAP_SHARED, self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, last_page_maps_at_its_offset)
{
	uint8_t *p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, self->size - self->ps);
	uint8_t c = 0;

	ASSERT_NE(MAP_FAILED, p);
	p[self->ps - 1] = 0x77;
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->size - 1));
	EXPECT_EQ(0x77, c);
	munmap(p, self->ps);
}

TEST_F(dev, madvise_dontneed_drops_nothing)
{
	uint8_t *p = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, 0);
	int i;

	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 4; i++)
		p[i * self->ps + 1] = (uint8_t)(0xa0 + i);
	ASSERT_EQ(0, madvise(p, 4 * self->ps, MADV_DONTNEED));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0xa0 + i, p[i * self->ps + 1]);
	/* the page comes back writable, and still shared */
	p[1] = 0x55;
	ASSERT_EQ(0, madvise(p, self->ps, MADV_DONTNEED));
	EXPECT_EQ(0x55, p[1]);
	munmap(p, 4 * self->ps);
}

TEST_F(dev, partial_munmap_keeps_the_rest)
{
	uint8_t *p = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, 0);
	int before;

	ASSERT_NE(MAP_FAILED, p);
	before = nr_maps(self->fd);
	/* a hole in the middle splits the VMA in two */
	ASSERT_EQ(0, munmap(p + self->ps, self->ps));
	EXPECT_EQ(before + 1, nr_maps(self->fd));
	p[0] = 1;
	p[2 * self->ps] = 2;
	p[3 * self->ps] = 3;
	EXPECT_EQ(SIGSEGV, child_signal(touch_read, p + self->ps));
	EXPECT_EQ(2, p[2 * self->ps]);
	ASSERT_EQ(0, munmap(p, 4 * self->ps));
	EXPECT_EQ(before - 1, nr_maps(self->fd));
}

TEST_F(dev, mprotect_read_only_then_back)
{
	uint8_t *p = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 9;
	ASSERT_EQ(0, mprotect(p, self->ps, PROT_READ));
	EXPECT_EQ(SIGSEGV, child_signal(touch_write, p));
	EXPECT_EQ(9, p[0]);
	/* the other page of the split mapping is still writable */
	EXPECT_EQ(0, child_signal(touch_write, p + self->ps));
	ASSERT_EQ(0, mprotect(p, self->ps, PROT_READ | PROT_WRITE));
	p[0] = 10;
	EXPECT_EQ(10, p[0]);
	munmap(p, 2 * self->ps);
}

TEST_F(dev, mremap_shrinks)
{
	uint8_t *p = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, 0);
	uint8_t *q;

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0x31;
	q = mremap(p, 4 * self->ps, self->ps, 0);
	ASSERT_EQ(p, q);
	EXPECT_EQ(0x31, q[0]);
	munmap(q, self->ps);
}

TEST_F(dev, mremap_cannot_grow)
{
	uint8_t *p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, self->size - self->ps);
	uint8_t *q;

	ASSERT_NE(MAP_FAILED, p);
	/* growing in place or by moving is refused: it would pass the end */
	q = mremap(p, self->ps, 2 * self->ps, 0);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, self->ps, 2 * self->ps, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	munmap(p, self->ps);
}

TEST_F(dev, mremap_move_keeps_sharing)
{
	uint8_t *p = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->fd, 0);
	uint8_t *target, *q, c = 0;
	int before;

	ASSERT_NE(MAP_FAILED, p);
	before = nr_maps(self->fd);
	target = mmap(NULL, 2 * self->ps, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	q = mremap(p, 2 * self->ps, 2 * self->ps,
		   MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, q);
	EXPECT_EQ(before, nr_maps(self->fd));
	q[self->ps] = 0x42;
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->ps));
	EXPECT_EQ(0x42, c);
	munmap(q, 2 * self->ps);
	EXPECT_EQ(before - 1, nr_maps(self->fd));
}

TEST_F(dev, fork_shares_mapping_and_counts_it)
{
	uint8_t *p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0);
	int before, pipefd[2];
	pid_t pid;
	char c;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(pipefd));
	before = nr_maps(self->fd);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 0x66;
		/* hold the mapping until the parent has counted */
		if (read(pipefd[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	while (__atomic_load_n(&p[0], __ATOMIC_ACQUIRE) != 0x66)
		usleep(1000);
	EXPECT_EQ(before + 1, nr_maps(self->fd));
	ASSERT_EQ(1, write(pipefd[1], "x", 1));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(before, nr_maps(self->fd));
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(p, self->ps);
}

TEST_F(dev, map_private_is_copy_on_write)
{
	uint8_t *priv, c = 0;

	ASSERT_EQ(1, pwrite(self->fd, "A", 1, 0));
	priv = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	/* before any write it sees the buffer */
	EXPECT_EQ('A', priv[0]);
	priv[0] = 'B';
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ('A', c);
	EXPECT_EQ('B', priv[0]);
	munmap(priv, self->ps);
}

TEST_F(dev, map_private_past_end_is_refused)
{
	void *p = mmap(NULL, self->size + self->ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE, self->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, read_only_fd_maps_shared_read_only)
{
	int ro = open(shm_dev_path(), O_RDONLY);
	uint8_t *p;

	ASSERT_LE(0, ro);
	ASSERT_EQ(1, pwrite(self->fd, "R", 1, 0));
	/* MAP_SHARED|PROT_READ works: VM_MAYSHARE is set, VM_SHARED is not */
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ('R', p[0]);
	/* and it stays shared: later writes by others show through */
	ASSERT_EQ(1, pwrite(self->fd, "S", 1, 0));
	EXPECT_EQ('S', p[0]);
	EXPECT_EQ(-1, mprotect(p, self->ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(SIGSEGV, child_signal(touch_write, p));
	munmap(p, self->ps);

	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	close(ro);
}

TEST_F(dev, write_only_fd_cannot_map)
{
	int wo = open(shm_dev_path(), O_WRONLY);
	void *p;

	ASSERT_LE(0, wo);
	p = mmap(NULL, self->ps, PROT_WRITE, MAP_SHARED, wo, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	close(wo);
}

TEST_F(dev, mapping_outlives_its_fd_and_is_counted)
{
	int fd2 = open(shm_dev_path(), O_RDWR);
	int before = nr_maps(self->fd);
	uint8_t *p, c = 0;

	ASSERT_LE(0, fd2);
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd2);
	EXPECT_EQ(before + 1, nr_maps(self->fd));
	p[3] = 0x33;
	ASSERT_EQ(1, pread(self->fd, &c, 1, 3));
	EXPECT_EQ(0x33, c);
	munmap(p, self->ps);
	EXPECT_EQ(before, nr_maps(self->fd));
}

TEST_F(dev, mlock_and_populate_work)
{
	uint8_t *p = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, mlock(p, 4 * self->ps));
	p[0] = 1;
	EXPECT_EQ(0, munlock(p, 4 * self->ps));
	munmap(p, 4 * self->ps);
}

TEST_HARNESS_MAIN
