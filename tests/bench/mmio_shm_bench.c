// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm_bench - what the device costs next to the alternatives a program
 * would otherwise use, measured in one run on one machine and reported as
 * ratios (absolute times under QEMU's TCG mean little; their ratios do).
 *
 *   fault:    touch every page of a fresh mapping (device vs memfd, whose
 *             pages are allocated at first touch)
 *   copy:     memcpy through a mapping (device vs memfd vs anonymous)
 *   read:     read() of the whole buffer (device vs memfd)
 *   wakeup:   a ping-pong between two processes (doorbell vs futex vs pipe)
 *
 * Nothing here asserts anything: it prints numbers.
 * Usage: mmio_shm_bench [DEVICE]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mmio_shm.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "mmio_shm_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ns per page to map fd, touch every page for writing, unmap */
static double bench_fault(int fd, size_t size, int rounds)
{
	long ps = sysconf(_SC_PAGESIZE);
	double t0 = now_ns();
	int r;

	for (r = 0; r < rounds; r++) {
		volatile char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0);
		size_t off;

		if (p == MAP_FAILED)
			die("mmap");
		for (off = 0; off < size; off += ps)
			p[off] = 1;
		munmap((void *)p, size);
	}
	return (now_ns() - t0) / rounds / (size / ps);
}

/* MB/s of memcpy into a mapping */
static double bench_copy(char *dst, size_t size, int rounds)
{
	char *src = malloc(size);
	double t0;
	int r;

	if (!src)
		die("malloc");
	memset(src, 0x5a, size);
	memcpy(dst, src, size);		/* warm */
	t0 = now_ns();
	for (r = 0; r < rounds; r++)
		memcpy(dst, src, size);
	free(src);
	return (double)size * rounds / ((now_ns() - t0) / 1e9) / 1e6;
}

/* MB/s of pread of the whole file */
static double bench_read(int fd, size_t size, int rounds)
{
	char *buf = malloc(size);
	double t0 = now_ns();
	int r;

	if (!buf)
		die("malloc");
	for (r = 0; r < rounds; r++)
		if (pread(fd, buf, size, 0) != (ssize_t)size)
			die("pread");
	free(buf);
	return (double)size * rounds / ((now_ns() - t0) / 1e9) / 1e6;
}

enum wake_kind { WAKE_DOORBELL, WAKE_FUTEX, WAKE_PIPE };

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/*
 * us per round trip: the parent rings, the child wakes and rings back.
 * The doorbell and futex variants share a turn word in the buffer.
 */
static double bench_wakeup(enum wake_kind kind, const char *dev, int rounds)
{
	int fd = open(dev, O_RDWR), p2c[2], c2p[2], r;
	struct mmio_shm_notify_args n = { .size = sizeof(n) };
	struct mmio_shm_wait_args w = { .size = sizeof(w) };
	uint32_t *turn;
	double t0;
	pid_t pid;
	char c = 0;

	if (fd < 0)
		die(dev);
	turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (turn == MAP_FAILED || pipe(p2c) || pipe(c2p))
		die("setup");
	*turn = 0;
	w.deadline = MMIO_SHM_WAIT_FOREVER;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (r = 0; r < rounds; r++) {
			switch (kind) {
			case WAKE_DOORBELL:
				while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 1) {
					ioctl(fd, MMIO_SHM_IOC_WAIT, &w);
					w.seq = w.cur_seq;
				}
				__atomic_store_n(turn, 0, __ATOMIC_RELEASE);
				ioctl(fd, MMIO_SHM_IOC_NOTIFY, &n);
				break;
			case WAKE_FUTEX:
				while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 1)
					futex(turn, FUTEX_WAIT, 0);
				__atomic_store_n(turn, 0, __ATOMIC_RELEASE);
				futex(turn, FUTEX_WAKE, 1);
				break;
			case WAKE_PIPE:
				if (read(p2c[0], &c, 1) != 1 || write(c2p[1], &c, 1) != 1)
					_exit(1);
				break;
			}
		}
		_exit(0);
	}

	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		switch (kind) {
		case WAKE_DOORBELL:
			__atomic_store_n(turn, 1, __ATOMIC_RELEASE);
			ioctl(fd, MMIO_SHM_IOC_NOTIFY, &n);
			while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 0) {
				ioctl(fd, MMIO_SHM_IOC_WAIT, &w);
				w.seq = w.cur_seq;
			}
			break;
		case WAKE_FUTEX:
			__atomic_store_n(turn, 1, __ATOMIC_RELEASE);
			futex(turn, FUTEX_WAKE, 1);
			while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 0)
				futex(turn, FUTEX_WAIT, 1);
			break;
		case WAKE_PIPE:
			if (write(p2c[1], &c, 1) != 1 || read(c2p[0], &c, 1) != 1)
				die("pipe");
			break;
		}
	}
	t0 = (now_ns() - t0) / rounds / 1e3;
	waitpid(pid, NULL, 0);
	munmap(turn, 4096);
	close(fd);
	return t0;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/mmio_shm";
	struct mmio_shm_info_args info = { .size = sizeof(info) };
	double dev_v, memfd_v, anon_v, fut_v, pipe_v;
	int fd, mfd;
	size_t size;
	char *a, *b, *c;

	fd = open(dev, O_RDWR);
	if (fd < 0)
		die(dev);
	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info))
		die("MMIO_SHM_IOC_INFO");
	size = info.buf_size;
	mfd = memfd_create("bench", 0);
	if (mfd < 0 || ftruncate(mfd, size))
		die("memfd");

	printf("# buffer %zu KiB; ratios are device / alternative\n", size >> 10);

	/* memfd is truncated before each round so every touch allocates */
	dev_v = bench_fault(fd, size, 20);
	memfd_v = 0;
	for (int r = 0; r < 20; r++) {
		if (ftruncate(mfd, 0) || ftruncate(mfd, size))
			die("ftruncate");
		memfd_v += bench_fault(mfd, size, 1) / 20;
	}
	printf("fault: device %.0f ns/page, fresh memfd %.0f ns/page, ratio %.2f\n",
	       dev_v, memfd_v, dev_v / memfd_v);

	a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	c = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED || c == MAP_FAILED)
		die("mmap");
	dev_v = bench_copy(a, size, 50);
	memfd_v = bench_copy(b, size, 50);
	anon_v = bench_copy(c, size, 50);
	printf("copy: device %.0f MB/s, memfd %.0f MB/s, anonymous %.0f MB/s, ratio %.2f (memfd) %.2f (anonymous)\n",
	       dev_v, memfd_v, anon_v, dev_v / memfd_v, dev_v / anon_v);
	munmap(a, size);
	munmap(b, size);
	munmap(c, size);

	dev_v = bench_read(fd, size, 50);
	memfd_v = bench_read(mfd, size, 50);
	printf("read: device %.0f MB/s, memfd %.0f MB/s, ratio %.2f\n",
	       dev_v, memfd_v, dev_v / memfd_v);

	dev_v = bench_wakeup(WAKE_DOORBELL, dev, 2000);
	fut_v = bench_wakeup(WAKE_FUTEX, dev, 2000);
	pipe_v = bench_wakeup(WAKE_PIPE, dev, 2000);
	printf("wakeup: doorbell %.1f us, futex %.1f us, pipe %.1f us per round trip, ratio %.2f (futex) %.2f (pipe)\n",
	       dev_v, fut_v, pipe_v, dev_v / fut_v, dev_v / pipe_v);

	close(mfd);
	close(fd);
	return 0;
}
