// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls: INFO reports the device, RESIZE changes the size only while
 * nothing is mapped and zero-fills what it adds, ZERO clears the buffer.
 * Every bad argument gets its own errno: an unknown command ENOTTY, a bad
 * pointer EFAULT, bad sizes, flags and reserved fields EINVAL or E2BIG.
 * Concurrent resize and mmap never leave a mapping reaching past the end.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <sys/mman.h>

#include "helpers.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;		/* the device, opened O_RDWR */
	size_t size;	/* buffer size at setup, restored at teardown */
	long ps;	/* page size */
};

FIXTURE_SETUP(dev)
{
	self->fd = open(shm_dev_path(), O_RDWR);
	if (self->fd < 0)
		SETUP_SKIP("cannot open %s: %s", shm_dev_path(), strerror(errno));
	self->size = shm_size(self->fd);
	ASSERT_LT(0, self->size);
	self->ps = page_size();
	ASSERT_EQ(0, ioctl(self->fd, MMIO_SHM_IOC_ZERO));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, shm_resize(self->fd, self->size));
	close(self->fd);
}

TEST_F(dev, info_reports_the_device)
{
	struct mmio_shm_info info;

	ASSERT_EQ(0, shm_info(self->fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(MMIO_SHM_VERSION, info.version);
	EXPECT_EQ(0, info.buf_size % self->ps);
	EXPECT_EQ(sysfs_read_num(shm_dev_name(), "size"), (long long)info.buf_size);
	EXPECT_LE(1, info.nr_open);
	EXPECT_EQ(0, info.nr_maps);
	EXPECT_EQ(0, info.reserved);
	EXPECT_EQ(sysfs_read_num(shm_dev_name(), "doorbell_seq"),
		  (long long)info.seq);
}

TEST_F(dev, info_counts_open_files)
{
	struct mmio_shm_info a, b;
	int fd2;

	ASSERT_EQ(0, shm_info(self->fd, &a));
	fd2 = open(shm_dev_path(), O_RDONLY);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, shm_info(self->fd, &b));
	EXPECT_EQ(a.nr_open + 1, b.nr_open);
	close(fd2);
	ASSERT_EQ(0, shm_info(self->fd, &b));
	EXPECT_EQ(a.nr_open, b.nr_open);
}

TEST_F(dev, info_works_on_read_only_fd)
{
	struct mmio_shm_info info;
	int ro = open(shm_dev_path(), O_RDONLY);

	ASSERT_LE(0, ro);
	EXPECT_EQ(0, shm_info(ro, &info));
	EXPECT_EQ(self->size, info.buf_size);
	close(ro);
}

TEST_F(dev, info_rejects_flags_and_reserved)
{
	struct mmio_shm_info info;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.flags = 0;
	info.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, info_rejects_short_size)
{
	struct mmio_shm_info info;

	memset(&info, 0, sizeof(info));
	info.size = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.size = sizeof(info) - 8;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, info_accepts_longer_struct_with_zero_tail)
{
	struct {
		struct mmio_shm_info info;
		uint64_t future[2];
	} big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, MMIO_SHM_IOC_INFO, &big));
	EXPECT_EQ(self->size, big.info.buf_size);
	/* fields this kernel does not know are left alone */
	EXPECT_EQ(0, big.future[0]);
	EXPECT_EQ(0, big.future[1]);
}

TEST_F(dev, info_rejects_longer_struct_with_nonzero_tail)
{
	struct {
		struct mmio_shm_info info;
		uint64_t future;
	} big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	big.future = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &big));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(dev, info_rejects_absurd_size)
{
	struct mmio_shm_info info;

	memset(&info, 0, sizeof(info));
	info.size = 1 << 20;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(dev, bad_pointers_are_efault)
{
	struct mmio_shm_info *ro_info;

	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_NOTIFY, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_WAIT, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* readable but not writable: the copy back to the caller fails */
	ro_info = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro_info);
	ro_info->size = sizeof(*ro_info);
	ASSERT_EQ(0, mprotect(ro_info, self->ps, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, ro_info));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro_info, self->ps);
}

TEST_F(dev, unknown_commands_are_enotty)
{
	char arg[64] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IO(MMIO_SHM_IOC_MAGIC, 99)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR('x', 0, int), arg));
	EXPECT_EQ(ENOTTY, errno);
	/* a known number with another size or direction is another command */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MMIO_SHM_IOC_MAGIC, 0, char[64]), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(MMIO_SHM_IOC_MAGIC, 0,
					   struct mmio_shm_info), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, 0x5401 /* TCGETS */, arg));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, resize_grow_keeps_data_and_zero_fills)
{
	size_t grown = self->size + 2 * self->ps;
	uint8_t c = 1, *p;

	ASSERT_EQ(3, pwrite(self->fd, "abc", 3, 0));
	ASSERT_EQ(3, pwrite(self->fd, "xyz", 3, self->size - 3));
	ASSERT_EQ(0, shm_resize(self->fd, grown));
	EXPECT_EQ(grown, shm_size(self->fd));
	EXPECT_EQ(sysfs_read_num(shm_dev_name(), "size"), (long long)grown);
	EXPECT_EQ((off_t)grown, lseek(self->fd, 0, SEEK_END));

	p = mmap(NULL, grown, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, "abc", 3));
	EXPECT_EQ(0, memcmp(p + self->size - 3, "xyz", 3));
	for (size_t i = self->size; i < grown; i++)
		if (p[i]) {
			c = p[i];
			break;
		}
	munmap(p, grown);
	EXPECT_EQ(1, c);
	ASSERT_EQ(1, pread(self->fd, &c, 1, grown - 1));
	EXPECT_EQ(0, c);
}

TEST_F(dev, resize_shrink_keeps_prefix_and_drops_the_rest)
{
	size_t small = self->size / 2;
	uint8_t c = 1;

	ASSERT_EQ(3, pwrite(self->fd, "abc", 3, 0));
	ASSERT_EQ(1, pwrite(self->fd, "Q", 1, self->size - 1));
	ASSERT_EQ(0, shm_resize(self->fd, small));
	EXPECT_EQ(small, shm_size(self->fd));
	EXPECT_EQ(-1, pwrite(self->fd, "a", 1, small));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, small + self->ps, PROT_READ,
				   MAP_SHARED, self->fd, 0));
	/* growing again gives zeroes where the old data was */
	ASSERT_EQ(0, shm_resize(self->fd, self->size));
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->size - 1));
	EXPECT_EQ(0, c);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 1));
	EXPECT_EQ('b', c);
}

TEST_F(dev, resize_rounds_up_to_whole_pages)
{
	ASSERT_EQ(0, shm_resize(self->fd, self->ps + 1));
	EXPECT_EQ(2 * self->ps, shm_size(self->fd));
	ASSERT_EQ(0, shm_resize(self->fd, 1));
	EXPECT_EQ(self->ps, shm_size(self->fd));
}

TEST_F(dev, resize_while_mapped_is_busy)
{
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	int fd2 = open(shm_dev_path(), O_RDWR);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-1, shm_resize(self->fd, 2 * self->size));
	EXPECT_EQ(EBUSY, errno);
	/* through another fd, and after the mapping's own fd is gone */
	EXPECT_EQ(-1, shm_resize(fd2, 2 * self->size));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));
	munmap(p, self->ps);
	EXPECT_EQ(0, shm_resize(fd2, 2 * self->size));
	close(fd2);
}

TEST_F(dev, resize_while_mapped_by_a_private_mapping_is_busy)
{
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, shm_resize(self->fd, 2 * self->size));
	EXPECT_EQ(EBUSY, errno);
	munmap(p, self->ps);
}

TEST_F(dev, resize_bad_values)
{
	struct mmio_shm_resize r = { .size = sizeof(r) };
	int ro;

	r.new_size = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.new_size = UINT64_MAX;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(ENOMEM, errno);
	r.new_size = (uint64_t)1 << 44;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(ENOMEM, errno);
	r.new_size = self->size;
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));

	ro = open(shm_dev_path(), O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-1, shm_resize(ro, 2 * self->size));
	EXPECT_EQ(EBADF, errno);
	close(ro);
}

TEST_F(dev, zero_clears_the_buffer_under_a_mapping)
{
	uint8_t *p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0);
	size_t i, nonzero = 0;

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xee, self->size);
	ASSERT_EQ(0, ioctl(self->fd, MMIO_SHM_IOC_ZERO));
	for (i = 0; i < self->size; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
	munmap(p, self->size);
}

TEST_F(dev, zero_needs_a_writable_fd)
{
	int ro = open(shm_dev_path(), O_RDONLY);

	ASSERT_LE(0, ro);
	ASSERT_EQ(1, pwrite(self->fd, "k", 1, 0));
	EXPECT_EQ(-1, ioctl(ro, MMIO_SHM_IOC_ZERO));
	EXPECT_EQ(EBADF, errno);
	close(ro);
}

/*
 * Several processes map, touch the last mapped page and unmap while
 * another resizes between two sizes. A resize that slipped under a live
 * mapping would shrink the file below it: the touch would raise SIGBUS.
 */
TEST_F_TIMEOUT(dev, resize_racing_mmap_never_strands_a_mapping, 300)
{
	enum { NPROC = 3, ROUNDS = 300 };
	pid_t pids[NPROC];
	int i, busy = 0, done = 0;

	for (i = 0; i < NPROC; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = open(shm_dev_path(), O_RDWR), r;

			for (r = 0; r < ROUNDS; r++) {
				size_t sz = shm_size(fd);
				volatile uint8_t *p;

				p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, 0);
				if (p == MAP_FAILED)
					continue;	/* shrunk meanwhile */
				p[sz - 1] = 1;
				(void)p[0];
				munmap((void *)p, sz);
				/* leave the resizer a window with nothing mapped */
				usleep(200);
			}
			_exit(0);
		}
	}
	for (i = 0; i < 4 * ROUNDS; i++) {
		int ret = shm_resize(self->fd, (i & 1) ? self->size :
						self->size / 2);

		if (ret)
			busy += errno == EBUSY;
		else
			done++;
	}
	for (i = 0; i < NPROC; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	EXPECT_EQ(4 * ROUNDS, busy + done);
	TH_LOG("resizes: %d done, %d refused busy", done, busy);
}

/*
 * write() racing a shrinking resize never puts data past the new end: a
 * writer keeps large writes to the upper half in flight while the buffer
 * shrinks to the lower half. Once the writer is stopped and the buffer
 * grown back, the upper half must read as zeroes; a write that slipped
 * past the shrink would have left its bytes there.
 */
TEST_F_TIMEOUT(dev, resize_racing_write_leaves_nothing_past_the_end, 300)
{
	size_t half = self->size / 2;
	char *buf = malloc(half);
	int i, st, dirty = 0;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(shm_dev_path(), O_RDWR);

		memset(buf, 'W', half);
		for (;;)
			(void)!pwrite(fd, buf, half, half);
	}
	for (i = 0; i < 200 && !dirty; i++) {
		size_t off;

		usleep(500);
		ASSERT_EQ(0, shm_resize(self->fd, half));
		/* a stopped task has no write in flight */
		ASSERT_EQ(0, kill(pid, SIGSTOP));
		ASSERT_EQ(pid, waitpid(pid, &st, WUNTRACED));
		ASSERT_EQ(0, shm_resize(self->fd, self->size));
		ASSERT_EQ((ssize_t)half, pread(self->fd, buf, half, half));
		for (off = 0; off < half; off++)
			if (buf[off]) {
				dirty = 1;
				TH_LOG("round %d: byte %zu past the end is %#x",
				       i, half + off, buf[off]);
				break;
			}
		ASSERT_EQ(0, kill(pid, SIGCONT));
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(buf);
	EXPECT_EQ(0, dirty);
	EXPECT_EQ(self->size, shm_size(self->fd));
}

TEST_HARNESS_MAIN
