// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the buffer's guards while its pages are pinned for DMA
 * (pin_user_pages(): RDMA memory regions, io_uring's fixed buffers,
 * AF_XDP's packet memory, vfio). A pin outlives every mapping of the
 * pages, so once the owner unmapped, a shrinking RESIZE would drop pages a
 * device or the kernel still reads and writes. Each case runs with two
 * pinners: io_uring's registered buffers and an AF_XDP socket's UMEM. A
 * shrink that would drop a pinned page is refused with EBUSY until the pin
 * goes, then allowed; a shrink that keeps every pinned page, a grow and
 * ZERO (which leaves the pages where they are) are allowed while pinned.
 * Where a pinner is disabled, or refuses the mapping, its cases skip with
 * the reason (for io_uring, a memfd pinned the same way tells which). The
 * same guard under an RDMA memory region: tests/shell/rdma.sh; unload
 * while pinned: module_test.c.
 */
#define _GNU_SOURCE
#include <linux/if_xdp.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define DEV_MIN_PAGES 4
#define DEV_FIELDS \
	int pinner;	/* the ring or socket that holds the pin, or -1 */
#define DEV_HOOKS
#include "fixture.h"

/* a pinner: takes a pin on [@addr, @addr + @len) into *@pinner, or -errno */
typedef int (*pin_fn)(int *pinner, void *addr, size_t len);

FIXTURE_VARIANT(dev) {
	pin_fn pin;		/* pins; the pin goes when *pinner is closed */
	const char *why;	/* what a failure of pin() with EOPNOTSUPP means */
};

static int uring_setup(void)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return syscall(__NR_io_uring_setup, 2, &p);
}

/* io_uring's fixed buffers: unpinned when the ring is closed */
static int uring_pin(int *pinner, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	*pinner = uring_setup();
	if (*pinner < 0)
		return -errno;
	return syscall(__NR_io_uring_register, *pinner, IORING_REGISTER_BUFFERS,
		       &iov, 1) ? -errno : 0;
}

/* an AF_XDP socket's UMEM (packet memory): unpinned when it is closed */
static int xdp_pin(int *pinner, void *addr, size_t len)
{
	struct xdp_umem_reg reg = {
		.addr = (uintptr_t)addr, .len = len, .chunk_size = 4096,
	};

	*pinner = socket(AF_XDP, SOCK_RAW, 0);
	if (*pinner < 0)
		return -errno;
	return setsockopt(*pinner, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ?
	       -errno : 0;
}

FIXTURE_VARIANT_ADD(dev, io_uring) {
	.pin = uring_pin,
	.why = "this kernel's io_uring takes file-backed memory only from shmem's own mappings or hugetlbfs",
};

FIXTURE_VARIANT_ADD(dev, af_xdp) {
	.pin = xdp_pin,
	.why = "AF_XDP refuses it",
};

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	self->pinner = -1;
}

/*
 * The pin must be gone before the next test, or the next program, resizes.
 * Every case pins a page past the first: a shrink to one page succeeds
 * once nothing is pinned (the fixture's teardown grows the buffer back).
 */
static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	uint64_t end = now_ns() + 10000000000ull;

	if (self->pinner >= 0)
		close(self->pinner);
	while (shm_resize(self->fd, self->ps) && errno == EBUSY &&
	       now_ns() < end)
		usleep(10000);
	EXPECT_EQ(self->ps, shm_size(self->fd));
}

/* what @pin says for a memfd of @len bytes, the control: 0 or -errno */
static int pin_memfd(pin_fn pin, size_t len)
{
	int fd = memfd_create("pin_test", 0), pinner = -1, ret;
	void *p = MAP_FAILED;

	ret = fd < 0 || ftruncate(fd, len) ? -errno : 0;
	if (!ret)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!ret && p == MAP_FAILED)
		ret = -errno;
	if (!ret)
		ret = pin(&pinner, p, len);
	if (p != MAP_FAILED)
		munmap(p, len);
	if (pinner >= 0)
		close(pinner);
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Maps @pages pages of the buffer from page @first, pins them and unmaps
 * them again: from then on the pin alone holds them. Skips the test, with
 * the reason, when the pinner is not in this kernel or refuses the mapping.
 */
#define pin_then_unmap(first, pages) do {				\
	size_t len_ = (pages) * self->ps;				\
	void *p_ = mmap(NULL, len_, PROT_READ | PROT_WRITE,		\
			MAP_SHARED, self->fd, (first) * self->ps);	\
	int ret_;							\
									\
	ASSERT_NE(MAP_FAILED, p_);					\
	ret_ = variant->pin(&self->pinner, p_, len_);			\
	ASSERT_EQ(0, munmap(p_, len_));					\
	if (ret_ == -ENOSYS || ret_ == -EPERM || ret_ == -EAFNOSUPPORT) \
		SKIP(return, "%s: no such pinner in this kernel: %s",	\
		     _metadata->name, strerror(-ret_));			\
	if (ret_ == -EOPNOTSUPP)					\
		SKIP(return, "the pinner refuses this mapping "		\
		     "(EOPNOTSUPP; a memfd: %s): %s",			\
		     strerror(-pin_memfd(variant->pin, len_)),		\
		     variant->why);					\
	ASSERT_EQ(0, ret_);						\
} while (0)

/*
 * Lets go of the pin, then resizes to @size: the pinner may unpin after
 * its close() returned (AF_XDP does so from a work item), so a refusal
 * is tried again for up to 10 s. 0 or -errno, as the last try said.
 */
static int unpin_then_resize(FIXTURE_DATA(dev) *self, size_t size)
{
	uint64_t end = now_ns() + 10000000000ull;
	int ret;

	close(self->pinner);
	self->pinner = -1;
	while ((ret = shm_resize(self->fd, size) ? -errno : 0) == -EBUSY &&
	       now_ns() < end)
		usleep(10000);
	return ret;
}

/* a shrink dropping a pinned page: EBUSY, nothing changed, then allowed */
TEST_F(dev, shrink_dropping_a_pinned_page_is_busy_until_unpinned)
{
	uint8_t back = 0;

	ASSERT_EQ(1, pwrite(self->fd, "x", 1, self->size - 1));
	pin_then_unmap(0, self->size / self->ps);

	EXPECT_EQ(-1, shm_resize(self->fd, self->ps));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));
	ASSERT_EQ(1, pread(self->fd, &back, 1, self->size - 1));
	EXPECT_EQ('x', back);

	EXPECT_EQ(0, unpin_then_resize(self, self->ps));
	EXPECT_EQ(self->ps, shm_size(self->fd));
}

/* one pinned page at the end is enough to refuse */
TEST_F(dev, shrink_is_busy_when_only_the_last_page_is_pinned)
{
	size_t last = self->size / self->ps - 1;

	pin_then_unmap(last, 1);
	EXPECT_EQ(-1, shm_resize(self->fd, last * self->ps));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, unpin_then_resize(self, last * self->ps));
}

/* a shrink that keeps every pinned page, and a grow, go through */
TEST_F(dev, shrink_keeping_the_pinned_pages_and_grow_are_allowed)
{
	pin_then_unmap(0, 2);

	EXPECT_EQ(0, shm_resize(self->fd, 2 * self->ps));
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(self->size + self->ps, shm_size(self->fd));
	/* shrinking to one page would drop the second pinned one */
	EXPECT_EQ(-1, shm_resize(self->fd, self->ps));
	EXPECT_EQ(EBUSY, errno);
}

/* ZERO writes the pages where they are: pinned or not, it works */
TEST_F(dev, zero_is_allowed_while_pinned)
{
	uint8_t back = 1;

	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 0));
	pin_then_unmap(0, self->size / self->ps);
	EXPECT_EQ(0, shm_zero(self->fd));
	ASSERT_EQ(1, pread(self->fd, &back, 1, 0));
	EXPECT_EQ(0, back);
}

TEST_HARNESS_MAIN
