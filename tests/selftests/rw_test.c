// SPDX-License-Identifier: GPL-2.0
/*
 * read()/write()/lseek() on the device behave like on a fixed-size file:
 * SEEK_END is the buffer size, reads stop at the end and return 0 there,
 * writes are clamped to the end and past it fail with ENOSPC, and the
 * buffer never grows. Programs nobody here wrote (cat, dd, cmp, od,
 * Python's mmap module) work on it.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#define DEV_FIELDS \
	char *buf;	/* scratch buffer of two pages */
#define DEV_HOOKS
#include "fixture.h"

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	self->buf = calloc(2, self->ps);
	ASSERT_NE(NULL, self->buf);
}

static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	free(self->buf);
}

TEST_F(dev, seek_end_returns_size)
{
	EXPECT_EQ((off_t)self->size, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ((off_t)self->size - 10, lseek(self->fd, -10, SEEK_END));
	EXPECT_EQ(5, lseek(self->fd, 5, SEEK_SET));
	EXPECT_EQ(8, lseek(self->fd, 3, SEEK_CUR));
}

TEST_F(dev, seek_before_start_is_invalid)
{
	EXPECT_EQ(-1, lseek(self->fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, -(off_t)self->size - 1, SEEK_END));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->fd, 0, 42));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, seek_past_end_is_allowed_and_reads_nothing)
{
	EXPECT_EQ((off_t)self->size + 100,
		  lseek(self->fd, self->size + 100, SEEK_SET));
	EXPECT_EQ(0, read(self->fd, self->buf, 10));
}

TEST_F(dev, read_at_end_returns_zero)
{
	EXPECT_EQ(0, pread(self->fd, self->buf, 10, self->size));
	ASSERT_EQ((off_t)self->size, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(0, read(self->fd, self->buf, 10));
}

TEST_F(dev, read_is_clamped_at_end)
{
	EXPECT_EQ(self->ps,
		  pread(self->fd, self->buf, 2 * self->ps, self->size - self->ps));
}

TEST_F(dev, write_is_clamped_at_end)
{
	memset(self->buf, 'x', 2 * self->ps);
	EXPECT_EQ(self->ps,
		  pwrite(self->fd, self->buf, 2 * self->ps, self->size - self->ps));
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ((off_t)self->size, lseek(self->fd, 0, SEEK_END));
}

TEST_F(dev, write_past_end_fails_with_enospc)
{
	EXPECT_EQ(-1, pwrite(self->fd, "a", 1, self->size));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, pwrite(self->fd, "a", 1, self->size + 12345));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ((off_t)self->size, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(-1, write(self->fd, "a", 1));
	EXPECT_EQ(ENOSPC, errno);
	/* nothing grew */
	EXPECT_EQ(self->size, shm_size(self->fd));
}

TEST_F(dev, empty_write_at_end_succeeds)
{
	EXPECT_EQ(0, pwrite(self->fd, "a", 0, self->size));
}

TEST_F(dev, negative_offset_is_invalid)
{
	EXPECT_EQ(-1, pwrite(self->fd, "a", 1, -1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pread(self->fd, self->buf, 1, -1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, sequential_read_advances_position)
{
	ASSERT_EQ(4, pwrite(self->fd, "abcd", 4, 0));
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(2, read(self->fd, self->buf, 2));
	ASSERT_EQ(2, read(self->fd, self->buf + 2, 2));
	EXPECT_EQ(0, memcmp(self->buf, "abcd", 4));
	EXPECT_EQ(4, lseek(self->fd, 0, SEEK_CUR));
}

TEST_F(dev, bad_user_pointer_is_efault_and_writes_nothing)
{
	char c = 1;
	/* a page the process may not touch */
	void *bad = mmap(NULL, self->ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, read(self->fd, bad, 16));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pwrite(self->fd, bad, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ(0, c);
	munmap(bad, self->ps);
}

TEST_F(dev, readv_and_writev_work)
{
	char a[3] = "abc", b[3] = "def", r[6];
	struct iovec wv[2] = { { a, 3 }, { b, 3 } };
	struct iovec rv[1] = { { r, 6 } };

	EXPECT_EQ(6, pwritev(self->fd, wv, 2, 100));
	EXPECT_EQ(6, preadv(self->fd, rv, 1, 100));
	EXPECT_EQ(0, memcmp(r, "abcdef", 6));
}

TEST_F(dev, read_only_fd_cannot_write)
{
	int ro = open(shm_dev_path(), O_RDONLY);

	ASSERT_LE(0, ro);
	EXPECT_EQ(-1, write(ro, "a", 1));
	EXPECT_EQ(EBADF, errno);
	close(ro);
}

TEST_F(dev, ftruncate_cannot_resize)
{
	EXPECT_EQ(-1, ftruncate(self->fd, 2 * self->size));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));
}

TEST_F(dev, sendfile_from_device_copies_data)
{
	char path[] = "/tmp/mmio_shm_sendfileXXXXXX";
	int out = mkstemp(path);
	off_t off = 0;
	ssize_t ret;

	ASSERT_LE(0, out);
	unlink(path);
	ASSERT_EQ(5, pwrite(self->fd, "hello", 5, 0));
	ret = sendfile(out, self->fd, &off, self->ps);
	/* before 5.19, splice_direct_to_actor() took only regular files */
	if (ret < 0 && errno == EINVAL && kernel_older_than(5, 19)) {
		close(out);
		SKIP(return, "this kernel's sendfile() refuses character devices");
	}
	EXPECT_EQ(self->ps, ret);
	ASSERT_EQ(5, pread(out, self->buf, 5, 0));
	EXPECT_EQ(0, memcmp(self->buf, "hello", 5));
	close(out);
}

/* coreutils: dd writes a file in, cmp compares, cat counts, od reads */
TEST_F(dev, coreutils_dd_cmp_cat_od_work)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "head -c %zu /dev/urandom > /tmp/mmio_shm_pattern && "
		 "dd if=/tmp/mmio_shm_pattern of=%s bs=64K status=none && "
		 "cmp /tmp/mmio_shm_pattern %s",
		 self->size, shm_dev_path(), shm_dev_path());
	EXPECT_EQ(0, run_cmd(cmd));
	snprintf(cmd, sizeof(cmd), "test \"$(cat %s | wc -c)\" -eq %zu",
		 shm_dev_path(), self->size);
	EXPECT_EQ(0, run_cmd(cmd));
	ASSERT_EQ(4, pwrite(self->fd, "\x01\x02\x03\x04", 4, 0));
	snprintf(cmd, sizeof(cmd),
		 "test \"$(od -An -tx1 -N4 %s | tr -d ' ')\" = 01020304",
		 shm_dev_path());
	EXPECT_EQ(0, run_cmd(cmd));
	/* dd past the end stops there with ENOSPC */
	snprintf(cmd, sizeof(cmd),
		 "dd if=/dev/zero of=%s bs=4096 seek=%zu count=1 status=none 2>/dev/null",
		 shm_dev_path(), self->size / 4096);
	EXPECT_NE(0, run_cmd(cmd));
	unlink("/tmp/mmio_shm_pattern");
}

/*
 * A language runtime's mmap wrapper: Python's mmap module. Like any
 * character device, the node's st_size is 0, so the length is passed.
 */
TEST_F(dev, python_mmap_module_shares_data)
{
	char cmd[512];
	char c = 0;

	if (run_cmd("command -v python3 >/dev/null"))
		SKIP(return, "no python3");
	snprintf(cmd, sizeof(cmd),
		 "python3 -c \"import mmap, os\n"
		 "fd = os.open('%s', os.O_RDWR)\n"
		 "m = mmap.mmap(fd, %zu)\n"
		 "assert len(m) == %zu, len(m)\n"
		 "m[7:9] = b'py'\n"
		 "m.flush()\"",
		 shm_dev_path(), self->size, self->size);
	EXPECT_EQ(0, run_cmd(cmd));
	ASSERT_EQ(1, pread(self->fd, &c, 1, 8));
	EXPECT_EQ('y', c);
}

struct in_flight {
	int fd;			/* the device */
	void *src;		/* the write's source: faults until resolved */
	size_t len;		/* bytes to write / page size */
	off_t off;		/* where the write goes: the last page */
	size_t size;		/* the buffer size */
	ssize_t written;	/* what pwrite() returned */
	int resized;		/* RESIZE results, shrink then grow */
	bool resize_done;	/* set when both resizes returned */
};

static void *slow_writer(void *arg)
{
	struct in_flight *f = arg;

	f->written = pwrite(f->fd, f->src, f->len, f->off);
	return NULL;
}

static void *shrink_and_grow(void *arg)
{
	struct in_flight *f = arg;

	f->resized = shm_resize(f->fd, f->off) | shm_resize(f->fd, f->size);
	__atomic_store_n(&f->resize_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A write in flight holds the size: its source buffer faults (through
 * userfaultfd) while the write is inside the driver, and a RESIZE that
 * shrinks the buffer below it and grows it back must wait for the write.
 * Then the write lands before the shrink, and the grow zero-fills the
 * space as it promises; a resize that did not wait would let the stale
 * write land in the space after the grow had zeroed it.
 */
TEST_F_TIMEOUT(dev, resize_waits_for_a_write_in_flight, 120)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy copy;
	struct in_flight f = { .fd = self->fd, .len = self->ps,
			       .off = self->size - self->ps,
			       .size = self->size };
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t writer, resizer;
	size_t i, nonzero = 0;
	char *fill;
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	f.src = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.src);
	reg.range.start = (uintptr_t)f.src;
	reg.range.len = self->ps;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	/* the write enters the driver and stops at its source's fault */
	ASSERT_EQ(0, pthread_create(&writer, NULL, slow_writer, &f));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* the resize comes while the write is in flight: it must wait */
	ASSERT_EQ(0, pthread_create(&resizer, NULL, shrink_and_grow, &f));
	usleep(200 * 1000);
	EXPECT_FALSE(__atomic_load_n(&f.resize_done, __ATOMIC_ACQUIRE));

	/* let the write go on with bytes that must not survive */
	fill = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fill);
	memset(fill, 0x77, self->ps);
	copy = (struct uffdio_copy){ .dst = (uintptr_t)f.src,
				     .src = (uintptr_t)fill,
				     .len = self->ps };
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	pthread_join(writer, NULL);
	pthread_join(resizer, NULL);

	EXPECT_EQ((ssize_t)self->ps, f.written);
	EXPECT_EQ(0, f.resized);
	ASSERT_EQ((ssize_t)self->ps, pread(self->fd, self->buf, self->ps, f.off));
	for (i = 0; i < (size_t)self->ps; i++)
		nonzero += self->buf[i] != 0;
	EXPECT_EQ(0, nonzero);
	munmap(fill, self->ps);
	munmap(f.src, self->ps);
	close(uffd);
}

TEST_HARNESS_MAIN
