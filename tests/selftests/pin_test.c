// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the buffer's guards while its pages are pinned for DMA
 * (pin_user_pages(): RDMA memory regions, io_uring's fixed buffers, vfio).
 * A pin outlives every mapping of the pages, so once the owner unmapped,
 * a shrinking RESIZE would drop pages a device or the kernel still reads
 * and writes. Here io_uring's registered buffers pin the buffer: a shrink
 * that would drop a pinned page is refused with EBUSY until the pin goes,
 * then allowed; a shrink that keeps every pinned page, a grow and ZERO
 * (which leaves the pages where they are) are allowed while pinned.
 * Where io_uring is disabled, or refuses the mapping, the cases skip with
 * the reason (a memfd pinned the same way tells which of the two). The
 * same guard under an RDMA memory region: tests/shell/rdma.sh. Unload
 * while pinned: module_test.c.
 */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define DEV_MIN_PAGES 4
#define DEV_FIELDS \
	int ring;	/* an io_uring instance, or -1 */
#define DEV_HOOKS
#include "fixture.h"

static int uring_setup(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return syscall(__NR_io_uring_setup, 2, &p);
}

static int uring_register(int ring, unsigned int op, void *arg,
			  unsigned int nr)
{
	return syscall(__NR_io_uring_register, ring, op, arg, nr) ? -errno : 0;
}

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	self->ring = uring_setup();
	if (self->ring < 0)
		SETUP_SKIP("io_uring_setup: %s (io_uring disabled in this kernel%s)",
			   strerror(errno),
			   errno == EPERM ? ": sysctl kernel.io_uring_disabled" : "");
}

static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	if (self->ring >= 0)
		close(self->ring);
}

/* registers @len bytes at @addr as the ring's fixed buffer: 0 or -errno */
static int pin(int ring, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	return uring_register(ring, IORING_REGISTER_BUFFERS, &iov, 1);
}

/* what pin() says for a memfd of @len bytes, the control: 0 or -errno */
static int pin_memfd(size_t len)
{
	int fd = memfd_create("pin_test", 0), ring = uring_setup(), ret;
	void *p = MAP_FAILED;

	ret = fd < 0 || ring < 0 || ftruncate(fd, len) ? -errno : 0;
	if (!ret)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!ret && p == MAP_FAILED)
		ret = -errno;
	if (!ret)
		ret = pin(ring, p, len);
	if (p != MAP_FAILED)
		munmap(p, len);
	if (ring >= 0)
		close(ring);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Maps @pages pages of the buffer from its start, pins them all as the
 * ring's fixed buffer and unmaps them again: from then on the pin alone
 * holds them. Skips the test when io_uring refuses the mapping.
 */
#define pin_then_unmap(pages) do {					\
	size_t len_ = (pages) * self->ps;				\
	void *p_ = mmap(NULL, len_, PROT_READ | PROT_WRITE,		\
			MAP_SHARED, self->fd, 0);			\
	int ret_;							\
									\
	ASSERT_NE(MAP_FAILED, p_);					\
	ret_ = pin(self->ring, p_, len_);				\
	ASSERT_EQ(0, munmap(p_, len_));					\
	if (ret_ == -EOPNOTSUPP)					\
		SKIP(return, "io_uring pins no page of this mapping "	\
		     "(EOPNOTSUPP; of a memfd: %s): this kernel's "	\
		     "io_uring takes file-backed memory only from "	\
		     "shmem's own mappings or hugetlbfs",		\
		     strerror(-pin_memfd(len_)));			\
	ASSERT_EQ(0, ret_);						\
} while (0)

/* the pins go with the registration, at once */
static void unpin(struct __test_metadata *_metadata, int ring)
{
	ASSERT_EQ(0, uring_register(ring, IORING_UNREGISTER_BUFFERS, NULL, 0));
}

/* a shrink dropping a pinned page: EBUSY, nothing changed, then allowed */
TEST_F(dev, shrink_dropping_a_pinned_page_is_busy_until_unpinned)
{
	uint8_t back = 0;

	ASSERT_EQ(1, pwrite(self->fd, "x", 1, self->size - 1));
	pin_then_unmap(self->size / self->ps);

	EXPECT_EQ(-1, shm_resize(self->fd, self->ps));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));
	ASSERT_EQ(1, pread(self->fd, &back, 1, self->size - 1));
	EXPECT_EQ('x', back);

	unpin(_metadata, self->ring);
	EXPECT_EQ(0, shm_resize(self->fd, self->ps));
	EXPECT_EQ(self->ps, shm_size(self->fd));
}

/* one pinned page at the end is enough to refuse */
TEST_F(dev, shrink_is_busy_when_only_the_last_page_is_pinned)
{
	size_t last = self->size - self->ps;
	void *p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, last);
	int ret;

	ASSERT_NE(MAP_FAILED, p);
	ret = pin(self->ring, p, self->ps);
	ASSERT_EQ(0, munmap(p, self->ps));
	if (ret == -EOPNOTSUPP)
		SKIP(return, "io_uring pins no page of this mapping (EOPNOTSUPP)");
	ASSERT_EQ(0, ret);

	EXPECT_EQ(-1, shm_resize(self->fd, last));
	EXPECT_EQ(EBUSY, errno);
	unpin(_metadata, self->ring);
	EXPECT_EQ(0, shm_resize(self->fd, last));
}

/* a shrink that keeps every pinned page, and a grow, go through */
TEST_F(dev, shrink_keeping_the_pinned_pages_and_grow_are_allowed)
{
	pin_then_unmap(2);

	EXPECT_EQ(0, shm_resize(self->fd, 2 * self->ps));
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(self->size + self->ps, shm_size(self->fd));
	/* shrinking to one page would drop the second pinned one */
	EXPECT_EQ(-1, shm_resize(self->fd, self->ps));
	EXPECT_EQ(EBUSY, errno);
	unpin(_metadata, self->ring);
}

/* ZERO writes the pages where they are: pinned or not, it works */
TEST_F(dev, zero_is_allowed_while_pinned)
{
	uint8_t back = 1;

	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 0));
	pin_then_unmap(self->size / self->ps);
	EXPECT_EQ(0, shm_zero(self->fd));
	ASSERT_EQ(1, pread(self->fd, &back, 1, 0));
	EXPECT_EQ(0, back);
	unpin(_metadata, self->ring);
}

TEST_HARNESS_MAIN
