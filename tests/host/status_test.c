// SPDX-License-Identifier: GPL-2.0
/*
 * Description: mmio_shm_get_status() and mmio_shm_get_size() on a memfd:
 * the size comes from the file, kernel_version 0 marks a file, and NULL
 * arguments are refused with EINVAL without writing anything.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

#define POISON 0xa5

FIXTURE(memfd) {
	int fd;			/* the memfd, 3 pages */
	struct mmio_shm *shm;	/* a handle on it */
	long ps;		/* page size */
};

FIXTURE_SETUP(memfd)
{
	self->ps = sysconf(_SC_PAGESIZE);
	self->fd = memfd_of_size(3 * self->ps);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mmio_shm_open_fd(self->fd, &self->shm));
}

FIXTURE_TEARDOWN(memfd)
{
	mmio_shm_close(self->shm);
	close(self->fd);
}

TEST_F(memfd, status_of_a_file)
{
	struct mmio_shm_status st;

	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, mmio_shm_get_status(self->shm, &st));
	EXPECT_EQ(3 * self->ps, st.buf_size);
	EXPECT_EQ(0, st.kernel_version);
	EXPECT_EQ(0, st.seq);
	EXPECT_EQ(0, st.nr_open);
	EXPECT_EQ(0, st.nr_maps);

	/* the file grows: so does what the status reports */
	ASSERT_EQ(0, ftruncate(self->fd, 5 * self->ps));
	ASSERT_EQ(0, mmio_shm_get_status(self->shm, &st));
	EXPECT_EQ(5 * self->ps, st.buf_size);
}

TEST_F(memfd, status_refuses_null)
{
	struct mmio_shm_status st;

	memset(&st, POISON, sizeof(st));
	EXPECT_EQ(-EINVAL, mmio_shm_get_status(NULL, &st));
	EXPECT_EQ(-EINVAL, mmio_shm_get_status(self->shm, NULL));
	/* refused calls write nothing */
	EXPECT_EQ((uint32_t)0xa5a5a5a5, st.kernel_version);
}

TEST_F(memfd, get_size)
{
	uint64_t size = 0;

	ASSERT_EQ(0, mmio_shm_get_size(self->shm, &size));
	EXPECT_EQ(3 * self->ps, size);
	EXPECT_EQ(-EINVAL, mmio_shm_get_size(self->shm, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_get_size(NULL, &size));
}

TEST_HARNESS_MAIN
