// SPDX-License-Identifier: GPL-2.0
/*
 * libmmio_shm against the real device: its status is what the device
 * reports (MMIO_SHM_IOC_INFO), mappings alias and are counted, resize is
 * refused while mapped (EBUSY) and through a read-only handle (EBADF),
 * zero clears what mappings see, the doorbell (notify, wait with its
 * timeouts and signals, the poll fd) works across handles and processes,
 * and open refuses other character devices.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/mman.h>
#include <sys/time.h>

#include "libmmio_shm.h"

#define DEV_FIELDS \
	struct mmio_shm *shm;	/* the device through the library, read-write */
#define DEV_HOOKS
#include "fixture.h"

#define RW (MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)
#define MS 1000000LL

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	ASSERT_EQ(0, mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDWR,
				   &self->shm));
}

/* closing the handle unmaps what it mapped: the size can be put back */
static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	mmio_shm_close(self->shm);
}

/* the status with the output poisoned first */
static int info_of(struct mmio_shm *shm, struct mmio_shm_status *info)
{
	memset(info, POISON, sizeof(*info));
	return mmio_shm_get_status(shm, info);
}

TEST_F(dev, info_matches_the_device)
{
	struct mmio_shm_info_args dev;
	struct mmio_shm_status info;

	ASSERT_EQ(0, info_of(self->shm, &info));
	EXPECT_EQ(MMIO_SHM_VERSION, info.kernel_version);
	ASSERT_EQ(0, shm_info(self->fd, &dev));
	EXPECT_EQ(dev.buf_size, info.buf_size);
	EXPECT_EQ(0, info.buf_size % self->ps);
	EXPECT_LE(1, info.nr_open);
	EXPECT_EQ(dev.nr_open, info.nr_open);
	EXPECT_EQ(dev.seq, info.seq);
}

TEST_F(dev, default_path_and_open_fd)
{
	struct mmio_shm *shm;
	uint64_t size;
	int fd;

	if (strcmp(shm_dev_path(), MMIO_SHM_DEFAULT_PATH))
		SKIP(return, "MMIO_SHM_DEV is not the default");
	ASSERT_EQ(0, mmio_shm_open(NULL, MMIO_SHM_OPEN_RDONLY, &shm));
	ASSERT_EQ(0, mmio_shm_get_size(shm, &size));
	EXPECT_EQ(self->size, size);
	EXPECT_EQ(mmio_shm_get_fd(shm), mmio_shm_get_poll_fd(shm));
	EXPECT_EQ(0, mmio_shm_close(shm));

	fd = open(shm_dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mmio_shm_open_fd(fd, &shm));
	close(fd);
	EXPECT_EQ(0, mmio_shm_notify(shm, NULL));
	EXPECT_EQ(0, mmio_shm_close(shm));
}

TEST(other_char_devices_are_enodev)
{
	struct mmio_shm *shm = NULL;
	int fd;

	EXPECT_EQ(-ENODEV, mmio_shm_open("/dev/null", MMIO_SHM_OPEN_RDWR, &shm));
	EXPECT_EQ(-ENODEV, mmio_shm_open("/dev/zero", MMIO_SHM_OPEN_RDONLY, &shm));
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENODEV, mmio_shm_open_fd(fd, &shm));
	close(fd);
	EXPECT_EQ(NULL, shm);
}

TEST_F(dev, maps_alias_and_are_counted)
{
	struct mmio_shm_status before, info;
	size_t off = 3 * self->ps, len;
	char *whole, *page, c = 0;
	int fd = mmio_shm_get_fd(self->shm);

	ASSERT_EQ(0, info_of(self->shm, &before));
	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, (void **)&whole, &len));
	EXPECT_EQ(self->size, len);
	ASSERT_EQ(0, mmio_shm_map_range(self->shm, off, self->ps, RW,
					(void **)&page));
	ASSERT_EQ(0, info_of(self->shm, &info));
	EXPECT_EQ(before.nr_maps + 2, info.nr_maps);

	strcpy(whole + off, "whole");
	EXPECT_STREQ("whole", page);
	strcpy(page + 10, "page");
	EXPECT_STREQ("page", whole + off + 10);
	ASSERT_EQ(1, pread(fd, &c, 1, off));
	EXPECT_EQ('w', c);
	EXPECT_EQ(0, mmio_shm_sync(self->shm, page, self->ps));

	/* checked by the library before mmap: misaligned or past the end */
	EXPECT_EQ(-EINVAL, mmio_shm_map_range(self->shm, 1, self->ps, RW,
					      (void **)&page));
	EXPECT_EQ(-EINVAL, mmio_shm_map_range(self->shm, self->size, self->ps,
					      RW, (void **)&page));
	EXPECT_EQ(-EINVAL, mmio_shm_map_range(self->shm, 0, self->size + 1, RW,
					      (void **)&page));
	EXPECT_EQ(-EINVAL, mmio_shm_unmap(self->shm, whole, len - self->ps));

	EXPECT_EQ(0, mmio_shm_unmap(self->shm, whole, len));
	ASSERT_EQ(0, info_of(self->shm, &info));
	EXPECT_EQ(before.nr_maps + 1, info.nr_maps);
}

TEST_F(dev, read_only_handle)
{
	struct mmio_shm *ro;
	void *p;
	size_t len;

	ASSERT_EQ(0, mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDONLY, &ro));
	EXPECT_EQ(-EACCES, mmio_shm_map(ro, RW, &p, &len));
	EXPECT_EQ(-EBADF, mmio_shm_resize(ro, self->size));
	EXPECT_EQ(-EBADF, mmio_shm_zero(ro));
	/* a read-only shared map of the device works */
	ASSERT_EQ(0, mmio_shm_map(ro, MMIO_SHM_PROT_READ, &p, &len));
	EXPECT_EQ(0, mmio_shm_close(ro));
}

TEST_F(dev, resize_busy_while_mapped)
{
	uint64_t size;
	void *p;
	size_t len;

	EXPECT_EQ(-EINVAL, mmio_shm_resize(self->shm, 0));
	ASSERT_EQ(0, mmio_shm_map_range(self->shm, 0, self->ps,
					MMIO_SHM_PROT_READ, &p));
	EXPECT_EQ(-EBUSY, mmio_shm_resize(self->shm, 2 * self->ps));
	ASSERT_EQ(0, mmio_shm_unmap(self->shm, p, self->ps));

	/* rounded up to whole pages */
	ASSERT_EQ(0, mmio_shm_resize(self->shm, 2 * self->ps + 1));
	ASSERT_EQ(0, mmio_shm_get_size(self->shm, &size));
	EXPECT_EQ(3 * self->ps, size);
	/* the device's size, not only the library's idea of it */
	EXPECT_EQ(3 * self->ps, shm_size(self->fd));
	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, &p, &len));
	EXPECT_EQ(3 * self->ps, len);
	/* the library knows the new size: the old end is out of range now */
	EXPECT_EQ(-EINVAL, mmio_shm_map_range(self->shm, 3 * self->ps, self->ps,
					      RW, &p));
	ASSERT_EQ(0, mmio_shm_unmap(self->shm, p, len));
	ASSERT_EQ(0, mmio_shm_resize(self->shm, self->size));
}

TEST_F(dev, zero_clears_what_maps_see)
{
	unsigned char *p;
	size_t len, i, nonzero = 0;

	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, (void **)&p, &len));
	memset(p, 0x5a, len);
	ASSERT_EQ(0, mmio_shm_zero(self->shm));
	for (i = 0; i < len; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
}

TEST_F(dev, notify_and_wait)
{
	struct mmio_shm_info_args dev;
	uint64_t seq = 0, cur = 0;

	ASSERT_EQ(0, mmio_shm_notify(self->shm, &seq));
	EXPECT_LE(1, seq);
	/* already past seq - 1: returns at once */
	EXPECT_EQ(0, mmio_shm_wait(self->shm, seq - 1, 0, &cur));
	EXPECT_EQ(seq, cur);
	/* not past seq: 0 only checks, a timeout expires */
	cur = 0;
	EXPECT_EQ(-ETIMEDOUT, mmio_shm_wait(self->shm, seq, 0, &cur));
	EXPECT_EQ(seq, cur);
	EXPECT_EQ(-ETIMEDOUT, mmio_shm_wait(self->shm, seq, 20 * MS, NULL));
	EXPECT_EQ(0, mmio_shm_notify(self->shm, NULL));
	EXPECT_EQ(0, mmio_shm_wait(self->shm, seq, 20 * MS, &cur));
	EXPECT_EQ(seq + 1, cur);
	ASSERT_EQ(0, shm_info(self->fd, &dev));
	EXPECT_EQ(cur, dev.seq);
}

TEST_F(dev, wait_forever_woken_by_another_process)
{
	uint64_t seq, cur = 0;
	pid_t pid;

	ASSERT_EQ(0, mmio_shm_notify(self->shm, &seq));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mmio_shm *shm;

		usleep(100000);
		if (mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDONLY, &shm) ||
		    mmio_shm_notify(shm, NULL))
			_exit(1);
		_exit(0);
	}
	EXPECT_EQ(0, mmio_shm_wait(self->shm, seq, MMIO_SHM_TIMEOUT_FOREVER,
				   &cur));
	EXPECT_LT(seq, cur);
	EXPECT_EQ(0, wait_child(pid));
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(dev, wait_interrupted_by_a_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = { .it_value.tv_usec = 100000 };
	uint64_t seq, cur = 0;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, mmio_shm_notify(self->shm, &seq));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, mmio_shm_wait(self->shm, seq, -1, &cur));
	EXPECT_EQ(seq, cur);
}

TEST_F(dev, poll_fd_reports_rings)
{
	struct pollfd pfd = { .events = POLLIN };
	struct mmio_shm *other;
	uint64_t seq, cur;

	pfd.fd = mmio_shm_get_poll_fd(self->shm);
	ASSERT_EQ(mmio_shm_get_fd(self->shm), pfd.fd);
	ASSERT_EQ(0, mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDONLY, &other));
	ASSERT_EQ(0, mmio_shm_notify(other, &seq));
	/* collect everything so far: nothing left to report */
	EXPECT_EQ(0, mmio_shm_wait(self->shm, seq - 1, 0, &cur));
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	ASSERT_EQ(0, mmio_shm_notify(other, NULL));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_EQ(POLLIN, pfd.revents & POLLIN);
	/* a wait collects the ring and re-arms poll */
	EXPECT_EQ(0, mmio_shm_wait(self->shm, cur, 0, &cur));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, mmio_shm_close(other));
}

TEST_HARNESS_MAIN
