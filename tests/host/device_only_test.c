// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the device-only calls (mmio_shm_resize(), mmio_shm_zero(),
 * mmio_shm_notify(), mmio_shm_wait(), mmio_shm_bind(),
 * mmio_shm_peer_alive(), mmio_shm_export_dmabuf()) return -ENOTTY on a memfd or a
 * regular file, change nothing there, and refuse NULL handles and a zero
 * size with -EINVAL.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

FIXTURE(file) {
	int fd;			/* the memfd or regular file, 1 page */
	struct mmio_shm *shm;	/* a read-write handle on it */
	long ps;		/* page size */
};

FIXTURE_VARIANT(file) {
	bool memfd;		/* a memfd, else a regular file in the cwd */
};

FIXTURE_VARIANT_ADD(file, memfd) {
	.memfd = true,
};

FIXTURE_VARIANT_ADD(file, regular) {
	.memfd = false,
};

FIXTURE_SETUP(file)
{
	char path[64];

	self->ps = sysconf(_SC_PAGESIZE);
	if (variant->memfd) {
		self->fd = memfd_of_size(self->ps);
	} else {
		snprintf(path, sizeof(path), "device_only_test.%d", getpid());
		self->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
		ASSERT_EQ(0, ftruncate(self->fd, self->ps));
	}
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 0));
	ASSERT_EQ(0, mmio_shm_open_fd(self->fd, &self->shm));
}

FIXTURE_TEARDOWN(file)
{
	mmio_shm_close(self->shm);
	close(self->fd);
}

TEST_F(file, resize_and_zero_are_enotty)
{
	struct stat st;
	char c = 0;

	EXPECT_EQ(-ENOTTY, mmio_shm_resize(self->shm, 2 * self->ps));
	EXPECT_EQ(-ENOTTY, mmio_shm_zero(self->shm));
	/* and they left the file alone */
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(self->ps, st.st_size);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ('x', c);
}

TEST_F(file, doorbell_is_enotty)
{
	uint64_t seq = 42;

	EXPECT_EQ(-ENOTTY, mmio_shm_notify(self->shm, &seq));
	EXPECT_EQ(-ENOTTY, mmio_shm_notify(self->shm, NULL));
	EXPECT_EQ(-ENOTTY, mmio_shm_wait(self->shm, 0, 0, &seq));
	EXPECT_EQ(-ENOTTY, mmio_shm_wait(self->shm, 0, 1000, NULL));
	EXPECT_EQ(-ENOTTY, mmio_shm_wait(self->shm, 0, MMIO_SHM_TIMEOUT_FOREVER,
					 &seq));
	EXPECT_EQ(-ENOTTY, mmio_shm_get_poll_fd(self->shm));
	/* out-parameters of failed calls are untouched */
	EXPECT_EQ(42, seq);
}

TEST_F(file, bad_arguments_are_einval)
{
	/* a zero size is wrong whatever the handle is */
	EXPECT_EQ(-EINVAL, mmio_shm_resize(self->shm, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_resize(NULL, self->ps));
	EXPECT_EQ(-EINVAL, mmio_shm_zero(NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_notify(NULL, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_wait(NULL, 0, 0, NULL));
}

/* only the device can hand its pages to other drivers; flags are checked first */
TEST_F(file, export_dmabuf_is_enotty)
{
	EXPECT_EQ(-ENOTTY, mmio_shm_export_dmabuf(self->shm, 0, self->ps, 0));
	EXPECT_EQ(-ENOTTY, mmio_shm_export_dmabuf(self->shm, 0, self->ps,
						  MMIO_SHM_EXPORT_DMABUF_READ_ONLY));
	EXPECT_EQ(-EINVAL, mmio_shm_export_dmabuf(self->shm, 0, self->ps, 4));
	EXPECT_EQ(-EINVAL, mmio_shm_export_dmabuf(NULL, 0, self->ps, 0));
}

TEST_F(file, bind_and_peer_alive_are_enotty_no_kernel_can_tell)
{
	struct mmio_shm_endpoint ep = { .index = 0, .cookie = 1 };

	EXPECT_EQ(-ENOTTY, mmio_shm_bind(self->shm, MMIO_SHM_ENDPOINT_ANY, &ep));
	EXPECT_EQ(-ENOTTY, mmio_shm_bind(self->shm, 0, &ep));
	EXPECT_EQ(-ENOTTY, mmio_shm_peer_alive(self->shm, &ep));
	/* arguments are checked first */
	EXPECT_EQ(-EINVAL, mmio_shm_bind(self->shm, 0, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_bind(self->shm, -2, &ep));
	EXPECT_EQ(-EINVAL, mmio_shm_bind(NULL, 0, &ep));
	EXPECT_EQ(-EINVAL, mmio_shm_peer_alive(self->shm, NULL));
	ep.cookie = 0;
	EXPECT_EQ(-EINVAL, mmio_shm_peer_alive(self->shm, &ep));
}

TEST_HARNESS_MAIN
