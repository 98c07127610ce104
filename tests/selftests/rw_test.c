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
#include <sched.h>
#include <linux/userfaultfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#define DEV_FIELDS \
	char *buf;	/* scratch buffer of two pages */
#define DEV_HOOKS
#include "fixture.h"

/* how long anything may take to wake up or go to sleep in a slow guest */
#define WAKE_MS		10000

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

/*
 * O_APPEND cannot be kept by a buffer that never grows (every write would
 * be at its end: ENOSPC), and ignoring it wrote at the file position: open
 * refuses it, and so does fcntl(F_SETFL), whatever the access mode.
 */
TEST_F(dev, o_append_is_refused_at_open_and_by_fcntl)
{
	char cmd[256], buf[4];
	int fd;

	fd = open(shm_dev_path(), O_RDWR | O_APPEND);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EINVAL, errno);
	if (fd >= 0)
		close(fd);
	fd = open(shm_dev_path(), O_WRONLY | O_APPEND);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EINVAL, errno);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-1, fcntl(self->fd, F_SETFL, O_APPEND));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_FALSE(fcntl(self->fd, F_GETFL) & O_APPEND);
	/* the other flags F_SETFL may change still change */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_TRUE(fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	/* and a shell's ">>" fails instead of overwriting the start */
	ASSERT_EQ(4, pwrite(self->fd, "keep", 4, 0));
	snprintf(cmd, sizeof(cmd), "printf lost 2>/dev/null >>%s",
		 shm_dev_path());
	EXPECT_NE(0, run_cmd(cmd));
	ASSERT_EQ(4, pread(self->fd, buf, 4, 0));
	EXPECT_EQ(0, memcmp(buf, "keep", 4));
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

/* pins the calling process to CPU 0 */
static int pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A write clamped to one size never lands after a RESIZE changed it: not
 * past a shrink, and so not in the space a following grow zero-fills.
 *
 * The writer and the resizer share one CPU, the resizer at real-time
 * priority. Whenever the resizer wakes, the writer is preempted at its
 * next scheduling point: inside write(), that is after the driver clamped
 * the write to the size and before shmem takes its inode lock, exactly the
 * window a write without the driver's resize_sem would leave open. The
 * resizer shrinks, lets the writer run (a stale write would now land past
 * the end), grows back and, without letting the writer run, checks the
 * grown byte: it must be zero.
 */
TEST_F_TIMEOUT(dev, resize_never_lets_a_stale_write_into_grown_space, 300)
{
	struct sched_param fifo = { .sched_priority = 1 };
	struct sched_param other = { .sched_priority = 0 };
	size_t half = self->size / 2;
	int i, stale = 0;
	pid_t pid;
	char c;

	if (pin_to_cpu0())
		SKIP(return, "sched_setaffinity: %s", strerror(errno));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (;;)
			(void)!pwrite(self->fd, "W", 1, half);
	}
	if (sched_setscheduler(0, SCHED_FIFO, &fifo)) {
		kill(pid, SIGKILL);
		wait_child(pid);
		SKIP(return, "SCHED_FIFO: %s", strerror(errno));
	}
	srand(1);
	for (i = 0; i < 400 && !stale; i++) {
		/* the writer runs, a write may be half-way through */
		usleep(50 + rand() % 400);
		ASSERT_EQ(0, shm_resize(self->fd, half));
		/* the writer runs: a write clamped before the shrink lands now */
		usleep(50 + rand() % 200);
		ASSERT_EQ(0, shm_resize(self->fd, self->size));
		/* the writer cannot run until the next sleep */
		ASSERT_EQ(1, pread(self->fd, &c, 1, half));
		if (c) {
			stale = 1;
			TH_LOG("round %d: byte %zu after the grow is %#x", i,
			       half, c);
		}
	}
	sched_setscheduler(0, SCHED_OTHER, &other);
	kill(pid, SIGKILL);
	wait_child(pid);
	EXPECT_EQ(0, stale);
	EXPECT_EQ(self->size, shm_size(self->fd));
}

/*
 * True once @pid sleeps (state S or D: the rwsem's killable sleep is D)
 * inside system call @nr, as /proc/PID/stat and /proc/PID/syscall show;
 * false if it has not within @ms.
 */
static bool sleeps_in(pid_t pid, long nr, unsigned int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;
	char path[64], buf[256], state, *p;
	long seen;
	FILE *f;

	for (; now_ns() < end; usleep(1000)) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			return false;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (!p || sscanf(p, ") %c", &state) != 1 ||
		    (state != 'S' && state != 'D'))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
		f = fopen(path, "r");
		if (!f)
			return true;
		if (fscanf(f, "%ld", &seen) != 1)
			seen = -2;
		fclose(f);
		if (seen == nr)
			return true;
	}
	return false;
}

struct stalled_read {
	int fd;		/* the device */
	void *dst;	/* a page registered with userfaultfd, not yet there */
	size_t len;
	ssize_t ret;	/* what pread() returned */
};

static void *read_into(void *arg)
{
	struct stalled_read *r = arg;

	r->ret = pread(r->fd, r->dst, r->len, 0);
	return NULL;
}

/*
 * read() and write() hold resize_sem for reading while shmem copies, and
 * the copy may fault on the caller's buffer for as long as that buffer's
 * owner likes (userfaultfd, a FUSE mapping). That is the documented
 * behaviour, not fixed: a RESIZE waits for such a read, and once it
 * waits, every other read, write and ZERO of the device waits behind it
 * (an rw_semaphore lets no new reader past a waiting writer). All of them
 * go on when the fault is resolved. Users of one device trust each other
 * with its contents already; this is one more thing they trust each other
 * with (docs/design.md, "read/write").
 */
TEST_F_TIMEOUT(dev, a_read_stalled_on_its_buffer_holds_off_resize_and_everyone_behind_it, 120)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { .mode = 0 };
	struct stalled_read r = { .fd = self->fd, .len = self->ps };
	struct pollfd pfd;
	struct uffd_msg msg;
	pid_t resizer, reader;
	pthread_t thr;
	int uffd;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		SKIP(return, "UFFDIO_API: %s", strerror(errno));
	}
	r.dst = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r.dst);
	reg.range.start = (uintptr_t)r.dst;
	reg.range.len = self->ps;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg))
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));

	/* a reader whose buffer faults: it stops inside pread() */
	ASSERT_EQ(4, pwrite(self->fd, "data", 4, 0));
	ASSERT_EQ(0, pthread_create(&thr, NULL, read_into, &r));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, WAKE_MS));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* a RESIZE now waits for it ... */
	resizer = fork_child();
	ASSERT_LE(0, resizer);
	if (!resizer)
		_exit(shm_resize(self->fd, self->size + self->ps) ? 1 : 0);
	EXPECT_TRUE(sleeps_in(resizer, SYS_ioctl, WAKE_MS));
	/* and stays asleep: the rwsem, not a passing page fault */
	usleep(200 * 1000);
	EXPECT_TRUE(sleeps_in(resizer, SYS_ioctl, 100));
	/* ... and a read into plain memory waits behind the RESIZE */
	reader = fork_child();
	ASSERT_LE(0, reader);
	if (!reader) {
		char c[4];

		_exit(pread(self->fd, c, 4, 0) == 4 && !memcmp(c, "data", 4) ?
		      0 : 1);
	}
	EXPECT_TRUE(sleeps_in(reader, SYS_pread64, WAKE_MS));
	/* still there a second later: nothing but the fault holds them */
	usleep(1000 * 1000);
	EXPECT_TRUE(sleeps_in(resizer, SYS_ioctl, 100));
	EXPECT_TRUE(sleeps_in(reader, SYS_pread64, 100));

	/* the owner of the buffer resolves the fault: everyone goes on */
	zp.range.start = (uintptr_t)r.dst;
	zp.range.len = self->ps;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
		TH_LOG("UFFDIO_ZEROPAGE: %s", strerror(errno));
	ASSERT_EQ(0, pthread_join(thr, NULL));
	EXPECT_EQ((ssize_t)self->ps, r.ret);
	EXPECT_EQ(0, memcmp(r.dst, "data", 4));
	EXPECT_EQ(0, wait_child(resizer));
	EXPECT_EQ(0, wait_child(reader));
	EXPECT_EQ(self->size + self->ps, shm_size(self->fd));
	munmap(r.dst, self->ps);
	close(uffd);
}

TEST_HARNESS_MAIN
