// SPDX-License-Identifier: GPL-2.0
/*
 * Description: mmio_shm_open(), mmio_shm_open_fd(), mmio_shm_close(),
 * mmio_shm_get_fd() and mmio_shm_get_poll_fd() on files that stand in for
 * the device: what they accept, and the errno of everything they refuse
 * (NULL arguments, unknown flags, a FIFO or directory, a character device
 * that is not mmio_shm).
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

FIXTURE(file) {
	char path[64];	/* a 2-page regular file in the working directory */
	long ps;	/* page size */
};

FIXTURE_SETUP(file)
{
	int fd;

	self->ps = sysconf(_SC_PAGESIZE);
	snprintf(self->path, sizeof(self->path), "open_test.%d", getpid());
	fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * self->ps));
	close(fd);
}

FIXTURE_TEARDOWN(file)
{
	unlink(self->path);
}

TEST_F(file, open_rdwr_and_rdonly)
{
	struct mmio_shm *shm = (void *)0x1;
	int fd, fl;

	ASSERT_EQ(0, mmio_shm_open(self->path, MMIO_SHM_OPEN_RDWR, &shm));
	fd = mmio_shm_get_fd(shm);
	ASSERT_LE(0, fd);
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	/* opened non-blocking for the FIFO check only, then cleared */
	EXPECT_EQ(0, fl & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, mmio_shm_close(shm));

	ASSERT_EQ(0, mmio_shm_open(self->path, MMIO_SHM_OPEN_RDONLY, &shm));
	EXPECT_EQ(O_RDONLY, fcntl(mmio_shm_get_fd(shm), F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, mmio_shm_close(shm));
}

TEST_F(file, open_refuses_bad_arguments)
{
	struct mmio_shm *shm = (void *)0x1;

	EXPECT_EQ(-EINVAL, mmio_shm_open(self->path, MMIO_SHM_OPEN_RDWR, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_open(self->path, 0x2, &shm));
	EXPECT_EQ(-EINVAL, mmio_shm_open(self->path, ~0u, &shm));
	EXPECT_EQ(-ENOENT, mmio_shm_open("no/such/file", 0, &shm));
	/* a failed open leaves the out-parameter alone */
	EXPECT_EQ((void *)0x1, shm);
	EXPECT_EQ(-EINVAL, mmio_shm_open_fd(-1, &shm));
	EXPECT_EQ(-EINVAL, mmio_shm_open_fd(0, NULL));
	EXPECT_EQ(-EBADF, mmio_shm_open_fd(INT_MAX, &shm));
	EXPECT_EQ((void *)0x1, shm);
}

TEST_F(file, open_fd_works_on_its_own_duplicate)
{
	struct mmio_shm *shm;
	uint64_t size;
	int fd;

	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mmio_shm_open_fd(fd, &shm));
	EXPECT_NE(fd, mmio_shm_get_fd(shm));
	/* the caller's descriptor is the caller's: closing it changes nothing */
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, mmio_shm_get_size(shm, &size));
	EXPECT_EQ(2 * self->ps, size);
	EXPECT_EQ(O_RDONLY, fcntl(mmio_shm_get_fd(shm), F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, mmio_shm_close(shm));
}

TEST(open_memfd)
{
	struct mmio_shm *shm;
	int fd = memfd_of_size(4096);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mmio_shm_open_fd(fd, &shm));
	EXPECT_EQ(O_RDWR, fcntl(mmio_shm_get_fd(shm), F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, mmio_shm_close(shm));
	close(fd);
}

/*
 * mmio_shm_open_fd() works on a duplicate that shares the caller's open
 * file description: the file status flags the caller set stay as they
 * were, O_NONBLOCK included.
 */
TEST(open_fd_leaves_the_callers_flags_alone)
{
	int fd = memfd_of_size(4096), fl;
	struct mmio_shm *shm;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND));
	fl = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, mmio_shm_open_fd(fd, &shm));
	EXPECT_EQ(fl, fcntl(fd, F_GETFL));
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, mmio_shm_close(shm));
	EXPECT_EQ(fl, fcntl(fd, F_GETFL));
	close(fd);
}

TEST(open_refuses_non_files)
{
	char fifo[64];
	struct mmio_shm *shm = NULL;
	int fd;

	/* a directory opened read-only is neither a file nor the device */
	EXPECT_EQ(-ENOTTY, mmio_shm_open("/", MMIO_SHM_OPEN_RDONLY, &shm));
	fd = open("/", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, mmio_shm_open_fd(fd, &shm));
	close(fd);

	/* a FIFO with no writer must not hang the open */
	snprintf(fifo, sizeof(fifo), "open_test.fifo.%d", getpid());
	ASSERT_EQ(0, mkfifo(fifo, 0600));
	EXPECT_EQ(-ENOTTY, mmio_shm_open(fifo, MMIO_SHM_OPEN_RDONLY, &shm));
	unlink(fifo);
	EXPECT_EQ(NULL, shm);
}

TEST(open_refuses_other_char_devices)
{
	struct mmio_shm *shm = NULL;

	if (access("/sys/dev/char", F_OK))
		SKIP(return, "no /sys/dev/char");
	/* /dev/null is a character device, but not an mmio_shm one */
	EXPECT_EQ(-ENODEV, mmio_shm_open("/dev/null", MMIO_SHM_OPEN_RDONLY, &shm));
	EXPECT_EQ(-ENODEV, mmio_shm_open("/dev/zero", MMIO_SHM_OPEN_RDWR, &shm));
	EXPECT_EQ(NULL, shm);
}

TEST_F(file, fds_and_close)
{
	struct mmio_shm *shm;

	EXPECT_EQ(-EINVAL, mmio_shm_get_fd(NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_get_poll_fd(NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_close(NULL));

	ASSERT_EQ(0, mmio_shm_open(self->path, 0, &shm));
	/* a file has no doorbell to poll */
	EXPECT_EQ(-ENOTTY, mmio_shm_get_poll_fd(shm));
	EXPECT_EQ(0, mmio_shm_close(shm));
}

TEST_HARNESS_MAIN
