// SPDX-License-Identifier: GPL-2.0
/*
 * Description: mmio_shm_info() and mmio_shm_get_size() on a memfd: the
 * size comes from the file, version 0 marks a file, and a struct whose
 * size, flags or reserved words are wrong is refused with EINVAL.
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

/* poisons @info and sets the fields the caller must set */
static void info_prepare(struct mmio_shm_info *info)
{
	memset(info, POISON, sizeof(*info));
	info->size = sizeof(*info);
	info->flags = 0;
	info->reserved = 0;
}

TEST_F(memfd, info_of_a_file)
{
	struct mmio_shm_info info;

	info_prepare(&info);
	ASSERT_EQ(0, mmio_shm_info(self->shm, &info));
	EXPECT_EQ(3 * self->ps, info.buf_size);
	EXPECT_EQ(0, info.version);
	EXPECT_EQ(0, info.seq);
	EXPECT_EQ(0, info.nr_open);
	EXPECT_EQ(0, info.nr_maps);
	EXPECT_EQ(sizeof(info), info.size);

	/* the file grows: so does what info reports */
	ASSERT_EQ(0, ftruncate(self->fd, 5 * self->ps));
	info_prepare(&info);
	ASSERT_EQ(0, mmio_shm_info(self->shm, &info));
	EXPECT_EQ(5 * self->ps, info.buf_size);
}

TEST_F(memfd, info_refuses_bad_structs)
{
	struct mmio_shm_info info;

	EXPECT_EQ(-EINVAL, mmio_shm_info(NULL, &info));
	EXPECT_EQ(-EINVAL, mmio_shm_info(self->shm, NULL));

	info_prepare(&info);
	info.size = sizeof(info) - 8;
	EXPECT_EQ(-EINVAL, mmio_shm_info(self->shm, &info));
	info.size = sizeof(info) + 8;
	EXPECT_EQ(-EINVAL, mmio_shm_info(self->shm, &info));
	info.size = 0;
	EXPECT_EQ(-EINVAL, mmio_shm_info(self->shm, &info));

	info_prepare(&info);
	info.flags = 1;
	EXPECT_EQ(-EINVAL, mmio_shm_info(self->shm, &info));
	info_prepare(&info);
	info.reserved = 1;
	EXPECT_EQ(-EINVAL, mmio_shm_info(self->shm, &info));
	/* refused structs are not written to */
	EXPECT_EQ((uint32_t)0xa5a5a5a5, info.version);
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
