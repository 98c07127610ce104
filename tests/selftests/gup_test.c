// SPDX-License-Identifier: GPL-2.0
/*
 * get_user_pages and friends: kernel paths that reach the mapped buffer
 * through another process's page tables, take references on its pages or
 * copy to and from it must all work on the mapping, as on a shared tmpfs
 * mapping: process_vm_readv/writev, /proc/PID/mem, vmsplice, O_DIRECT I/O,
 * read()/write() with the mapping as the user buffer, madvise and mlock.
 *
 * A driver that maps its pages with remap_pfn_range() fails most of these
 * (VM_PFNMAP pages cannot be looked up: EFAULT, EIO), and one that inserts
 * vmalloc pages with vm_insert_page() loses the pages on MADV_DONTNEED
 * (SIGBUS on the next touch). Where a test touches the mapping after the
 * kernel dropped the page tables, it shows the fault path brings the same
 * pages back.
 */
#define _GNU_SOURCE
#include <linux/loop.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/uio.h>

/* the first 32 pages are mapped at setup */
#define DEV_MIN_PAGES 32
#define DEV_FIELDS \
	uint8_t *map;		/* the first 32 pages of the buffer, shared */ \
	size_t map_len;		/* length of @map */ \
	int loop_fd;		/* loop device set up by a test, or -1 */ \
	int backing_fd;		/* its backing file in /tmp, or -1 */ \
	char backing[64];	/* path of the backing file, or "" */
#define DEV_HOOKS
#include "fixture.h"

/* pages of the buffer the target child maps, and where they start */
#define TARGET_PAGES	16
#define TARGET_PGOFF	3

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	self->loop_fd = -1;
	self->backing_fd = -1;
	self->map_len = 32 * self->ps;
	self->map = mmap(NULL, self->map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	if (self->loop_fd >= 0) {
		ioctl(self->loop_fd, LOOP_CLR_FD, 0);
		close(self->loop_fd);
	}
	if (self->backing_fd >= 0)
		close(self->backing_fd);
	if (self->backing[0])
		unlink(self->backing);
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
}

/* a pattern that differs from page to page and from seed to seed */
static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + (i >> 12) * 7 + seed);
}

/* true when @p holds what fill(@seed) wrote */
static int check(const uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 31 + (i >> 12) * 7 + seed))
			return 0;
	return 1;
}

/* reads @n bytes of the buffer at @off through read(), not a mapping */
static uint8_t *buffer_bytes(int fd, size_t off, size_t n)
{
	uint8_t *p = malloc(n);

	if (p && pread(fd, p, n, off) != (ssize_t)n) {
		free(p);
		return NULL;
	}
	return p;
}

/*
 * Forks a target: a child that opens the device itself (with @oflags),
 * maps TARGET_PAGES pages from page TARGET_PGOFF with @prot, reports the
 * address through a pipe and stays, touching nothing, until *@done_fd is
 * closed. Returns its pid, or -1; *@addr is 0 if the child could not map.
 */
static pid_t start_target(int oflags, int prot, uintptr_t *addr, int *done_fd)
{
	int to_parent[2], to_child[2];
	uintptr_t a = 0;
	pid_t pid;
	char c;

	if (pipe(to_parent) || pipe(to_child))
		return -1;
	pid = fork_child();
	if (pid == 0) {
		long ps = page_size();
		int fd = open(shm_dev_path(), oflags);
		void *map = MAP_FAILED;

		close(to_parent[0]);
		close(to_child[1]);
		if (fd >= 0)
			map = mmap(NULL, TARGET_PAGES * ps, prot, MAP_SHARED, fd,
				   TARGET_PGOFF * ps);
		if (map != MAP_FAILED)
			a = (uintptr_t)map;
		if (write(to_parent[1], &a, sizeof(a)) != sizeof(a))
			_exit(1);
		/* stay until the parent is done with our address space */
		while (read(to_child[0], &c, 1) > 0)
			;
		_exit(a ? 0 : 2);
	}
	close(to_parent[1]);
	close(to_child[0]);
	*done_fd = to_child[1];
	if (pid < 0 || read(to_parent[0], &a, sizeof(a)) != sizeof(a))
		a = 0;
	close(to_parent[0]);
	*addr = a;
	return pid;
}

/* process_vm_writev() into another process's mapping lands in the buffer. */
TEST_F(dev, process_vm_writev_into_child_mapping_reaches_buffer)
{
	const size_t len = 3 * self->ps - 100, at = 2 * self->ps + 50;
	struct iovec local, remote[2];
	uintptr_t addr;
	uint8_t *src, *seen;
	int done;
	pid_t pid;

	src = malloc(len);
	ASSERT_NE(NULL, src);
	fill(src, len, 1);
	pid = start_target(O_RDWR, PROT_READ | PROT_WRITE, &addr, &done);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, addr);

	/* two remote pieces, the first one ending inside a page */
	local = (struct iovec){ .iov_base = src, .iov_len = len };
	remote[0] = (struct iovec){ (void *)(addr + at), self->ps + 10 };
	remote[1] = (struct iovec){ (void *)(addr + at + self->ps + 10),
				    len - self->ps - 10 };
	ASSERT_EQ((ssize_t)len, process_vm_writev(pid, &local, 1, remote, 2, 0));
	close(done);
	ASSERT_EQ(0, wait_child(pid));

	seen = buffer_bytes(self->fd, TARGET_PGOFF * self->ps + at, len);
	ASSERT_NE(NULL, seen);
	ASSERT_TRUE(check(seen, len, 1));
	free(seen);
	free(src);
}

/* process_vm_readv() from another process's mapping sees the buffer. */
TEST_F(dev, process_vm_readv_from_child_mapping_sees_buffer)
{
	const size_t len = 5 * self->ps + 123, at = self->ps - 7;
	struct iovec local[2], remote;
	uint8_t *src, *dst;
	uintptr_t addr;
	int done;
	pid_t pid;

	src = malloc(len);
	dst = malloc(len);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	fill(src, len, 2);
	ASSERT_EQ((ssize_t)len, pwrite(self->fd, src, len,
				       TARGET_PGOFF * self->ps + at));

	pid = start_target(O_RDWR, PROT_READ | PROT_WRITE, &addr, &done);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, addr);
	memset(dst, POISON, len);
	local[0] = (struct iovec){ dst, 1000 };
	local[1] = (struct iovec){ dst + 1000, len - 1000 };
	remote = (struct iovec){ (void *)(addr + at), len };
	ASSERT_EQ((ssize_t)len, process_vm_readv(pid, local, 2, &remote, 1, 0));
	close(done);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_TRUE(check(dst, len, 2));
	free(dst);
	free(src);
}

/* /proc/PID/mem reads and writes another process's mapping of the buffer. */
TEST_F(dev, proc_pid_mem_reads_and_writes_child_mapping)
{
	const size_t len = 2 * self->ps + 300, at = 4 * self->ps + 11;
	uint8_t *src, *dst;
	char path[64];
	uintptr_t addr;
	int done, mem;
	pid_t pid;

	src = malloc(len);
	dst = malloc(len);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	pid = start_target(O_RDWR, PROT_READ | PROT_WRITE, &addr, &done);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, addr);
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDWR);
	ASSERT_LE(0, mem);

	fill(src, len, 3);
	ASSERT_EQ((ssize_t)len, pwrite(self->fd, src, len,
				       TARGET_PGOFF * self->ps + at));
	memset(dst, POISON, len);
	ASSERT_EQ((ssize_t)len, pread(mem, dst, len, addr + at));
	ASSERT_TRUE(check(dst, len, 3));

	fill(src, len, 4);
	ASSERT_EQ((ssize_t)len, pwrite(mem, src, len, addr + at));
	close(mem);
	close(done);
	ASSERT_EQ(0, wait_child(pid));
	free(dst);
	dst = buffer_bytes(self->fd, TARGET_PGOFF * self->ps + at, len);
	ASSERT_NE(NULL, dst);
	ASSERT_TRUE(check(dst, len, 4));
	free(dst);
	free(src);
}

/*
 * /proc/PID/mem writes with FOLL_FORCE, which may break COW in a private
 * mapping but must never write through a read-only shared one: EIO, and
 * the buffer is unchanged. Both an O_RDONLY file and PROT_READ on an
 * O_RDWR file give a read-only shared mapping.
 */
TEST_F(dev, proc_pid_mem_cannot_force_write_into_readonly_mapping)
{
	const int oflags[] = { O_RDONLY, O_RDWR };
	uint8_t byte = 0x77, seen;
	unsigned int i;
	char path[64];
	uintptr_t addr;
	int done, mem;
	pid_t pid;

	self->map[TARGET_PGOFF * self->ps] = 0x11;
	for (i = 0; i < sizeof(oflags) / sizeof(oflags[0]); i++) {
		pid = start_target(oflags[i], PROT_READ, &addr, &done);
		ASSERT_LT(0, pid);
		ASSERT_NE(0, addr);
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		mem = open(path, O_RDWR);
		ASSERT_LE(0, mem);
		ASSERT_EQ(1, pread(mem, &seen, 1, addr));
		ASSERT_EQ(0x11, seen);
		ASSERT_EQ(-1, pwrite(mem, &byte, 1, addr));
		ASSERT_EQ(EIO, errno);
		close(mem);
		close(done);
		ASSERT_EQ(0, wait_child(pid));
		ASSERT_EQ(0x11, self->map[TARGET_PGOFF * self->ps]);
	}
}

/* vmsplice() takes references on the mapped pages; reading the pipe gives
 * their data, also from a read-only mapping. */
TEST_F(dev, vmsplice_of_mapped_pages_delivers_intact_data)
{
	const size_t len = 2 * self->ps + 500, at = self->ps + 100;
	uint8_t *ro, *dst;
	struct iovec iov;
	int p[2], rofd;

	dst = malloc(len);
	ASSERT_NE(NULL, dst);
	fill(self->map + at, len, 5);
	/* drop the page tables: vmsplice must fault the pages back in */
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ(0, pipe(p));

	iov = (struct iovec){ self->map + at, len };
	ASSERT_EQ((ssize_t)len, vmsplice(p[1], &iov, 1, 0));
	memset(dst, POISON, len);
	ASSERT_EQ((ssize_t)len, read(p[0], dst, len));
	ASSERT_TRUE(check(dst, len, 5));

	rofd = open(shm_dev_path(), O_RDONLY);
	ASSERT_LE(0, rofd);
	ro = mmap(NULL, self->map_len, PROT_READ, MAP_SHARED, rofd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	iov = (struct iovec){ ro + at, len };
	ASSERT_EQ((ssize_t)len, vmsplice(p[1], &iov, 1, 0));
	memset(dst, POISON, len);
	ASSERT_EQ((ssize_t)len, read(p[0], dst, len));
	ASSERT_TRUE(check(dst, len, 5));
	munmap(ro, self->map_len);
	close(rofd);
	close(p[0]);
	close(p[1]);
	free(dst);
}

/* vmsplice() from the mapping, then splice() from the pipe into the
 * device at another offset: the buffer copies its own pages. */
TEST_F(dev, vmsplice_then_splice_into_device_copies_within_buffer)
{
	const size_t len = 3 * self->ps;
	struct iovec iov = { self->map, len };
	loff_t to = 10 * self->ps;
	int p[2];

	fill(self->map, len, 6);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ((ssize_t)len, vmsplice(p[1], &iov, 1, 0));
	ASSERT_EQ((ssize_t)len, splice(p[0], NULL, self->fd, &to, len, 0));
	ASSERT_EQ((loff_t)(13 * self->ps), to);
	ASSERT_TRUE(check(self->map + 10 * self->ps, len, 6));
	close(p[0]);
	close(p[1]);
}

/*
 * Sets up a loop device over a 1 MiB file in /tmp and opens it with
 * O_DIRECT. Returns the fd, or -1 with *@why saying what was missing.
 */
static int setup_loop(FIXTURE_DATA(dev) *self, const char **why)
{
	char path[64];
	int ctl, n, tries, fd = -1;

	strcpy(self->backing, "/tmp/mmio_shm_gup.XXXXXX");
	self->backing_fd = mkstemp(self->backing);
	if (self->backing_fd < 0 || ftruncate(self->backing_fd, 1 << 20)) {
		*why = "no backing file in /tmp";
		return -1;
	}
	run_cmd("modprobe loop >/dev/null 2>&1");
	ctl = open("/dev/loop-control", O_RDWR);
	if (ctl < 0) {
		*why = "no /dev/loop-control (modprobe loop failed?)";
		return -1;
	}
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0) {
		*why = "no free loop device";
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/loop%d", n);
	/* devtmpfs creates the node asynchronously */
	for (tries = 0; tries < 1000 && self->loop_fd < 0; tries++) {
		self->loop_fd = open(path, O_RDWR);
		if (self->loop_fd < 0)
			usleep(10000);
	}
	if (self->loop_fd < 0 ||
	    ioctl(self->loop_fd, LOOP_SET_FD, self->backing_fd)) {
		*why = "cannot attach the loop device";
		return -1;
	}
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0)
		*why = "cannot open the loop device with O_DIRECT";
	return fd;
}

/*
 * O_DIRECT: the block layer pins the mapped pages and does DMA-style I/O
 * straight from and into them. A write from the mapping reaches the disk,
 * a read lands in the buffer, also into a range that is not page aligned.
 */
TEST_F(dev, odirect_write_from_mapping_and_read_back_into_it)
{
	const size_t len = 16 * self->ps, back = 16 * self->ps + 512;
	const char *why = "";
	uint8_t *disk, *seen;
	int dfd;

	dfd = setup_loop(self, &why);
	if (dfd < 0)
		SKIP(return, "%s", why);
	disk = malloc(len);
	ASSERT_NE(NULL, disk);

	fill(self->map, len, 7);
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ((ssize_t)len, pwrite(dfd, self->map, len, 4096));
	ASSERT_EQ(0, fsync(dfd));
	/* what the loop device wrote to its backing file */
	ASSERT_EQ((ssize_t)len, pread(self->backing_fd, disk, len, 4096));
	ASSERT_TRUE(check(disk, len, 7));

	memset(self->map + back, 0, self->map_len - back);
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ((ssize_t)(8 * self->ps),
		  pread(dfd, self->map + back, 8 * self->ps, 4096));
	ASSERT_TRUE(check(self->map + back, 8 * self->ps, 7));
	seen = buffer_bytes(self->fd, back, 8 * self->ps);
	ASSERT_NE(NULL, seen);
	ASSERT_TRUE(check(seen, 8 * self->ps, 7));
	free(seen);
	free(disk);
	close(dfd);
}

/* write() to a file from the mapping, read() from it into the mapping
 * (copy_from_user/copy_to_user faulting on the buffer's pages). */
TEST_F(dev, file_write_from_mapping_and_read_into_mapping)
{
	const size_t len = 3 * self->ps, from = 100, to = 8 * self->ps + 7;
	char path[] = "/tmp/mmio_shm_gup.XXXXXX";
	uint8_t *seen;
	int tfd;

	tfd = mkstemp(path);
	ASSERT_LE(0, tfd);
	unlink(path);
	fill(self->map + from, len, 8);
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ((ssize_t)len, write(tfd, self->map + from, len));
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ((ssize_t)len, pread(tfd, self->map + to, len, 0));
	ASSERT_TRUE(check(self->map + to, len, 8));
	seen = buffer_bytes(self->fd, to, len);
	ASSERT_NE(NULL, seen);
	ASSERT_TRUE(check(seen, len, 8));
	free(seen);
	close(tfd);
}

/*
 * write() to the device from its own mapping, and read() from the device
 * into it: the copy faults on a page of the same shmem file the device is
 * writing or reading, also the very page being written, which must not
 * deadlock on the page lock.
 */
TEST_F(dev, device_read_and_write_through_its_own_mapping)
{
	const size_t len = 2 * self->ps;

	fill(self->map, len, 9);
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ((ssize_t)len, pwrite(self->fd, self->map, len, 4 * self->ps));
	ASSERT_TRUE(check(self->map + 4 * self->ps, len, 9));

	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ((ssize_t)len, pread(self->fd, self->map + 8 * self->ps + 3,
				      len, 0));
	ASSERT_TRUE(check(self->map + 8 * self->ps + 3, len, 9));

	/* source and destination in the same page, not overlapping */
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	ASSERT_EQ(1000, pwrite(self->fd, self->map, 1000, 2000));
	ASSERT_TRUE(check(self->map + 2000, 1000, 9));
	ASSERT_TRUE(check(self->map, 1000, 9));
}

/* MADV_DONTNEED only drops page tables: the pages stay in the buffer,
 * resident, and the next touch maps the same data back. */
TEST_F(dev, madvise_dontneed_keeps_the_data)
{
	size_t npages = self->map_len / self->ps, i;
	unsigned char *vec;

	vec = malloc(npages);
	ASSERT_NE(NULL, vec);
	fill(self->map, self->map_len, 10);
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_DONTNEED));
	memset(vec, 0, npages);
	ASSERT_EQ(0, mincore(self->map, self->map_len, vec));
	for (i = 0; i < npages; i++)
		ASSERT_EQ(1, vec[i] & 1) TH_LOG("page %zu not resident", i);
	ASSERT_TRUE(check(self->map, self->map_len, 10));

	/* and the advice the kernel may ignore does not lose anything either */
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_COLD));
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_PAGEOUT));
	ASSERT_TRUE(check(self->map, self->map_len, 10));
	free(vec);
}

/* true when the module was loaded with huge= other than never */
static bool huge_pages_on(void)
{
	char v[32] = "";
	FILE *f = fopen("/sys/module/" MODNAME "/parameters/huge", "r");

	if (f) {
		if (!fgets(v, sizeof(v), f))
			v[0] = '\0';
		fclose(f);
	}
	return v[0] && strncmp(v, "never", 5);
}

/*
 * MADV_REMOVE through a writable shared mapping punches a hole, as on
 * tmpfs: the range reads back as zeroes and its pages leave memory, which
 * sysfs "resident" shows, until a touch brings zeroed pages back, resident
 * again. The rest of the buffer keeps its data. (With huge pages, a hole
 * inside a huge page that cannot be split is only zeroed.)
 */
TEST_F(dev, madvise_remove_punches_a_hole_that_resident_shows_until_touched)
{
	const char *name = shm_dev_name();
	long long full = sysfs_read_num(name, "resident");
	uint8_t zero[2 * 4096] = { 0 };
	uint8_t *back;

	/* the fixture's ZERO brought every page in */
	ASSERT_EQ((long long)self->size, full);
	ASSERT_GE(sizeof(zero), 2 * self->ps);
	fill(self->map, self->map_len, 12);
	ASSERT_EQ(0, madvise(self->map + 4 * self->ps, 2 * self->ps,
			     MADV_REMOVE));
	if (!huge_pages_on())
		EXPECT_EQ(full - 2 * self->ps, sysfs_read_num(name, "resident"));
	back = buffer_bytes(self->fd, 4 * self->ps, 2 * self->ps);
	ASSERT_NE(NULL, back);
	EXPECT_EQ(0, memcmp(back, zero, 2 * self->ps));
	free(back);
	EXPECT_TRUE(check(self->map, 4 * self->ps, 12));
	/* the size is the size: the hole is still part of the buffer */
	EXPECT_EQ(self->size, shm_size(self->fd));

	/* a touch brings one page back, zeroed */
	EXPECT_EQ(0, self->map[4 * self->ps]);
	self->map[4 * self->ps] = 1;
	if (!huge_pages_on())
		EXPECT_EQ(full - self->ps, sysfs_read_num(name, "resident"));
	/* and ZERO brings in every page it covers */
	ASSERT_EQ(0, shm_zero(self->fd));
	EXPECT_EQ(full, sysfs_read_num(name, "resident"));
}

/*
 * mlock(), mlock2(MLOCK_ONFAULT), MAP_LOCKED and mlockall() succeed on the
 * mapping and the data stays resident. They are not charged to VmLck: the
 * kernel's mlock skips VMAs with VM_DONTEXPAND, which the device sets so
 * that mremap() can never grow a mapping past the buffer. What mlock is
 * for still holds: the buffer's pages are unevictable from load time on.
 */
static bool all_resident(void *p, size_t len)
{
	long ps = page_size();
	unsigned char vec[len / ps];
	size_t i;

	if (mincore(p, len, vec))
		return false;
	for (i = 0; i < len / ps; i++)
		if (!(vec[i] & 1))
			return false;
	return true;
}

TEST_F(dev, mlock_family_succeeds_and_pages_stay_resident)
{
	uint8_t *locked;

	fill(self->map, self->map_len, 11);
	ASSERT_EQ(0, mlock(self->map, self->map_len));
	EXPECT_TRUE(all_resident(self->map, self->map_len));
	ASSERT_TRUE(check(self->map, self->map_len, 11));
	ASSERT_EQ(0, munlock(self->map, self->map_len));

	ASSERT_EQ(0, mlock2(self->map, self->map_len, MLOCK_ONFAULT));
	ASSERT_EQ(0, munlock(self->map, self->map_len));

	locked = mmap(NULL, self->map_len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_LOCKED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, locked);
	EXPECT_TRUE(all_resident(locked, self->map_len));
	ASSERT_TRUE(check(locked, self->map_len, 11));
	munmap(locked, self->map_len);

	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
	locked = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, locked);
	ASSERT_EQ(0, munlockall());
	munmap(locked, self->ps);
	/* and reclaim leaves the buffer alone */
	ASSERT_EQ(0, madvise(self->map, self->map_len, MADV_PAGEOUT));
	EXPECT_TRUE(all_resident(self->map, self->map_len));
	ASSERT_TRUE(check(self->map, self->map_len, 11));
}

TEST_HARNESS_MAIN
