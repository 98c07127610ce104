// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm_bench - what the device and the library's message ring cost
 * next to what a program would otherwise use, as CSV rows
 * (where,benchmark,variant,size,unit,median,min,max,reps) on stdout and
 * progress on stderr. tests/bench/run.sh runs it on the host against a
 * memfd and in the guest against the device, and reports the two side by
 * side (tests/bench/report.py).
 *
 * The target is the shared memory the ring and the ping-pong words live
 * in: the device (--target device=PATH) or a memfd (--target memfd), both
 * through the same library calls (mmio_shm_open()/_open_fd(), _map_range(),
 * mmio_shm_ring_*()). The alternatives (pipe, unix socket, eventfd, memfd,
 * anonymous memory, tmpfs) run wherever the program runs, so every ratio is
 * taken between two figures of one place and one run.
 *
 *   map        mmap() plus first touch of every 4 KiB page, read or write,
 *              with and without MAP_POPULATE: device, memfd (pages already
 *              in, like the device's), memfd-new (a fresh memfd: each touch
 *              allocates), anonymous (private; a read touch maps the zero
 *              page). ns per 4 KiB page; munmap is not counted.
 *   stream     pread()/pwrite() of the whole buffer in 4 KiB and 1 MiB
 *              chunks: device vs a tmpfs file (pages already in). MB/s.
 *   throughput one producer and one consumer process, on one CPU (1cpu)
 *              and on two (2cpu), 64 B to 1 MiB: the ring
 *              (send/recv: one copy in, one copy out, as a pipe makes;
 *              ring-zc: reserve/commit and peek/release, the record
 *              filled in place from a source, its first word read in
 *              place) vs a pipe and a unix stream socket (default buffer
 *              sizes), and memcpy of the same sizes by one thread through
 *              an area as large as the ring's data area, the ceiling
 *              (private anonymous memory), and the same through the
 *              ring's own data area in the target (memcpy-ring): what
 *              the producer's copy alone reaches in that memory.
 *              MB/s and msgs/s. Boost.Interprocess's message_queue, the
 *              peer, is boost_mq_bench.cpp's: the same runs, in C++.
 *   pingpong   one-way latency (the median round trip / 2) between two
 *              processes, on one CPU (1cpu) and on two (2cpu):
 *              spinning on a shared word, spinning on the ring (recv with
 *              timeout 0), FUTEX_WAIT/WAKE on a word of the buffer, the
 *              ring's blocking recv (spin, then futex), the doorbell
 *              (device only), a pipe, an eventfd. ns.
 *
 * Each figure is the median of --reps runs, with min and max. A
 * throughput or ping-pong run lasts --run-ms; a map or stream run covers
 * the whole buffer once. Nothing here asserts anything: it prints numbers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmmio_shm.h>

#include "bench_clock.h"

#define BENCH_VERSION	"2.1"
#define MAX_REPS	32
#define PAGE		4096u
#define KiB		((size_t)1 << 10)
#define MiB		((size_t)1 << 20)

/* the parts, for --parts */
enum {
	PART_MAP	= 1 << 0,
	PART_STREAM	= 1 << 1,
	PART_THROUGHPUT	= 1 << 2,
	PART_PINGPONG	= 1 << 3,
	PART_ALL	= (1 << 4) - 1,
};

/* one run's settings, and the handle of the device when that is the target */
struct bench {
	const char *where;	/* the CSV's first column: host, guest */
	const char *device;	/* the device's path; NULL: a memfd each time */
	const char *label;	/* the target's variant name */
	unsigned int parts;	/* PART_* */
	bool target_only;	/* only the target's own rows, no alternatives */
	int reps;		/* runs per figure */
	size_t map_size;	/* bytes mapped and touched by map */
	size_t stream_size;	/* bytes read or written by stream */
	size_t ring_data;	/* the throughput ring's data area */
	uint64_t run_ns;	/* one throughput or ping-pong run */
	const char *tmpfs_dir;	/* where stream's tmpfs file goes */
	struct mmio_shm *dev;	/* the device, opened once; NULL for memfd */
};

/* a fork()ed side's report, in a MAP_SHARED page both see */
struct ctl {
	_Atomic int ready;	/* the child is set up */
	_Atomic int stop;	/* eventfd ping-pong: the next ping is the last */
	uint64_t bytes;		/* throughput: bytes the consumer received */
	uint64_t t_end;		/* throughput: when it saw the end */
	int err;		/* the child's first error, negative errno */
};

/* a system call's result as 0 (or the value) or -errno, like the library */
static long sysret(long ret)
{
	return ret < 0 ? -errno : ret;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* one CSV row: median, min and max of @n samples */
static void emit(const struct bench *b, const char *bench, const char *variant,
		 size_t size, const char *unit, double *v, int n)
{
	double med;

	qsort(v, n, sizeof(*v), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s,%s,%s,%zu,%s,%.6g,%.6g,%.6g,%d\n", b->where, bench, variant,
	       size, unit, med, v[0], v[n - 1], n);
	fflush(stdout);
	fprintf(stderr, "bench[%s]: %-10s %-14s %8zu  %12.6g %s\n", b->where,
		bench, variant, size, med, unit);
}

static void warn_err(const struct bench *b, const char *what, long err)
{
	fprintf(stderr, "bench[%s]: %s: %s\n", b->where, what, strerror((int)-err));
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The target's shared memory: the device's handle (opened once, at least
 * @size bytes) or a new memfd of @size bytes wrapped by the library.
 * Ownership: a memfd's handle is the caller's (mmio_shm_close()); the
 * device's stays b->dev's, so *@ownp says whether to close it.
 */
static int target_get(const struct bench *b, size_t size,
		      struct mmio_shm **shmp, bool *ownp)
{
	uint64_t have;
	int fd, ret;

	if (b->dev) {
		ret = mmio_shm_get_size(b->dev, &have);
		if (ret)
			return ret;
		if (have < size)
			return -ENOSPC;
		*shmp = b->dev;
		*ownp = false;
		return 0;
	}
	fd = memfd_create("mmio_shm_bench", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = (int)sysret(ftruncate(fd, (off_t)size));
	if (!ret)
		ret = mmio_shm_open_fd(fd, shmp);
	close(fd);
	*ownp = true;
	return ret;
}

static void target_put(struct mmio_shm *shm, bool own)
{
	if (own)
		mmio_shm_close(shm);
}

/* a MAP_SHARED anonymous page for a child's report */
static struct ctl *ctl_new(void)
{
	struct ctl *c = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return c == MAP_FAILED ? NULL : c;
}

/* forks; the child dies with the parent, on CPU @cpu (-1: any) */
static pid_t fork_child(int cpu)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin_cpu(cpu);
	}
	return pid;
}

static void wait_ready(struct ctl *c)
{
	while (!atomic_load(&c->ready))
		sched_yield();
}

static int reap(pid_t pid, struct ctl *c)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (c->err)
		return c->err;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

/* ------------------------------------------------------------------ map */

/* ns per 4 KiB page to mmap @size bytes of @fd (-1: anonymous) and touch each */
static int map_touch(int fd, size_t size, bool write, bool populate,
		     double *nsp)
{
	int flags = fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED;
	volatile unsigned char *p;
	uint64_t t0;
	size_t off;

	if (populate)
		flags |= MAP_POPULATE;
	t0 = now_ns();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (write)
		for (off = 0; off < size; off += PAGE)
			p[off] = 1;
	else
		for (off = 0; off < size; off += PAGE)
			(void)p[off];	/* volatile: the load happens */
	*nsp = (double)(now_ns() - t0) / (double)(size / PAGE);
	munmap((void *)p, size);
	return 0;
}

enum map_kind { MK_TARGET, MK_MEMFD, MK_MEMFD_NEW, MK_ANON };

static int map_kind_fd(const struct bench *b, enum map_kind kind, int *fdp)
{
	int fd;

	switch (kind) {
	case MK_TARGET:
		*fdp = dup(mmio_shm_get_fd(b->dev));
		return *fdp < 0 ? -errno : 0;
	case MK_ANON:
		*fdp = -1;
		return 0;
	default:
		break;
	}
	fd = memfd_create("mmio_shm_bench_map", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)b->map_size)) {
		close(fd);
		return -errno;
	}
	*fdp = fd;
	return 0;
}

/*
 * Every variant is run once unmeasured (under TCG the first run of a path
 * also pays for translating it), then the runs go round the variants, one
 * run of each per round: whatever else happens on the machine meanwhile
 * spreads over all of them rather than over the one that ran at the time.
 */
static void bench_map(const struct bench *b)
{
	static const char *const names[] = {
		[MK_TARGET] = NULL, [MK_MEMFD] = "memfd",
		[MK_MEMFD_NEW] = "memfd-new", [MK_ANON] = "anon",
	};
	double v[MK_ANON + 1][4][MAX_REPS], ns;
	int fds[MK_ANON + 1], err[MK_ANON + 1][4] = { { 0 } };
	int kind, combo, r, fd;
	bool run[MK_ANON + 1];
	char variant[64];

	for (kind = MK_TARGET; kind <= MK_ANON; kind++) {
		/* on a memfd, "memfd" is the target */
		run[kind] = kind == MK_TARGET ? b->dev != NULL : !b->target_only;
		fds[kind] = -1;
		if (!run[kind] || kind == MK_MEMFD_NEW)
			continue;
		err[kind][0] = map_kind_fd(b, kind, &fds[kind]);
		/* the memfd's pages are in before it is measured, as the device's */
		if (!err[kind][0] && kind == MK_MEMFD)
			err[kind][0] = map_touch(fds[kind], b->map_size, true,
						 false, &ns);
		for (combo = 1; combo < 4; combo++)
			err[kind][combo] = err[kind][0];
	}
	for (r = -1; r < b->reps; r++) {
		for (kind = MK_TARGET; kind <= MK_ANON; kind++) {
			if (!run[kind])
				continue;
			for (combo = 0; combo < 4; combo++) {
				bool write = combo & 1, populate = combo & 2;

				if (err[kind][combo])
					continue;
				fd = fds[kind];
				/* a fresh memfd each run */
				if (kind == MK_MEMFD_NEW)
					err[kind][combo] = map_kind_fd(b, kind, &fd);
				if (!err[kind][combo])
					err[kind][combo] = map_touch(fd, b->map_size,
						write, populate, r < 0 ? &ns : &v[kind][combo][r]);
				if (kind == MK_MEMFD_NEW && fd >= 0)
					close(fd);
			}
		}
		if (r >= 0)
			fprintf(stderr, "bench[%s]: map        round %d of %d\n",
				b->where, r + 1, b->reps);
	}
	for (kind = MK_TARGET; kind <= MK_ANON; kind++) {
		if (fds[kind] >= 0)
			close(fds[kind]);
		if (!run[kind])
			continue;
		for (combo = 0; combo < 4; combo++) {
			snprintf(variant, sizeof(variant), "%s/%s%s",
				 kind == MK_TARGET ? b->label : names[kind],
				 combo & 1 ? "write" : "read",
				 combo & 2 ? "+populate" : "");
			if (err[kind][combo])
				warn_err(b, variant, err[kind][combo]);
			else
				emit(b, "map", variant, b->map_size, "ns/page",
				     v[kind][combo], b->reps);
		}
	}
}

/* --------------------------------------------------------------- stream */

/* a tmpfs file of @size bytes with its pages in: in --tmpfs, else a memfd */
static int tmpfs_file(const struct bench *b, size_t size, int *fdp)
{
	char path[PATH_MAX];
	struct statfs sfs;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/mmio_shm_bench.XXXXXX", b->tmpfs_dir);
	fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		if (fstatfs(fd, &sfs) || sfs.f_type != TMPFS_MAGIC) {
			close(fd);
			fd = -1;
		}
	}
	/* a memfd is a file of the kernel's internal tmpfs mount */
	if (fd < 0)
		fd = memfd_create("mmio_shm_bench_stream", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = (int)sysret(ftruncate(fd, (off_t)size));
	if (ret) {
		close(fd);
		return ret;
	}
	*fdp = fd;
	return 0;
}

/* MB/s of pread (or pwrite) of @size bytes of @fd in @chunk pieces */
static int stream_once(int fd, size_t size, size_t chunk, bool write,
		       char *buf, double *mbsp)
{
	uint64_t t0 = now_ns();
	ssize_t n;
	size_t off;

	for (off = 0; off < size; off += chunk) {
		n = write ? pwrite(fd, buf, chunk, (off_t)off) :
			    pread(fd, buf, chunk, (off_t)off);
		if (n != (ssize_t)chunk)
			return n < 0 ? -errno : -EIO;
	}
	*mbsp = (double)size * 1e3 / (double)(now_ns() - t0);
	return 0;
}

static void bench_stream(const struct bench *b)
{
	static const size_t chunks[] = { 4 * KiB, MiB };
	double v[MAX_REPS], mbs;
	int t, c, dir, r, fd, ret;
	char variant[64], *buf;

	buf = malloc(MiB);
	if (!buf) {
		warn_err(b, "stream", -ENOMEM);
		return;
	}
	memset(buf, 0x5a, MiB);
	for (t = 0; t < 2; t++) {
		const char *name = t ? "tmpfs" : b->label;

		if ((t == 0 && !b->dev) || (t == 1 && b->target_only))
			continue;
		if (t == 0) {
			fd = dup(mmio_shm_get_fd(b->dev));
			ret = fd < 0 ? -errno : 0;
		} else
			ret = tmpfs_file(b, b->stream_size, &fd);
		/* every page in before the first run, as the device's are */
		if (!ret)
			ret = stream_once(fd, b->stream_size, MiB, true, buf, &mbs);
		if (ret) {
			warn_err(b, name, ret);
			continue;
		}
		for (dir = 0; dir < 2; dir++) {
			for (c = 0; c < 2; c++) {
				snprintf(variant, sizeof(variant), "%s/%s", name,
					 dir ? "write" : "read");
				for (r = 0, ret = 0; r < b->reps && !ret; r++)
					ret = stream_once(fd, b->stream_size,
							  chunks[c], dir, buf, &v[r]);
				if (ret)
					warn_err(b, variant, ret);
				else
					emit(b, "stream", variant, chunks[c],
					     "MB/s", v, b->reps);
			}
		}
		close(fd);
	}
	free(buf);
}

/* ----------------------------------------------------------- throughput */

enum xfer {
	XFER_RING, XFER_RING_ZC, XFER_PIPE, XFER_UNIX, XFER_MEMCPY,
	XFER_MEMCPY_RING,
};

/* the ring's two ways: copies through send/recv, or in place */
static bool xfer_ring(enum xfer kind)
{
	return kind == XFER_RING || kind == XFER_RING_ZC;
}

/* the consumer: receives @size-byte messages until the end, then reports */
static void xfer_consume(enum xfer kind, void *mem, size_t len, int fd,
			 size_t size, struct ctl *c)
{
	struct mmio_shm_ring *ring = NULL;
	char *buf = malloc(size);
	volatile uint64_t sink = 0;
	uint64_t bytes = 0;
	const void *rec;
	size_t got;
	ssize_t n;
	int ret = buf ? 0 : -ENOMEM;

	if (!ret && xfer_ring(kind))
		ret = mmio_shm_ring_attach(mem, len, 0, &ring);
	atomic_store(&c->ready, 1);
	while (!ret) {
		if (kind == XFER_RING_ZC) {
			/* in place: the first word read, as a user would */
			ret = mmio_shm_ring_peek(ring, MMIO_SHM_TIMEOUT_FOREVER,
						 &rec, &got);
			if (ret || !got)
				break;		/* an empty record ends the run */
			sink = *(const uint64_t *)rec;
			bytes += got;
			ret = mmio_shm_ring_release(ring);
		} else if (kind == XFER_RING) {
			ret = mmio_shm_ring_recv(ring, buf, size,
						 MMIO_SHM_TIMEOUT_FOREVER, &got);
			if (ret || !got)
				break;		/* an empty record ends the run */
			bytes += got;
		} else {
			n = read(fd, buf, size);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				ret = n < 0 ? -errno : 0;
				break;
			}
			bytes += (uint64_t)n;
		}
	}
	(void)sink;
	c->t_end = now_ns();
	c->bytes = bytes;
	c->err = ret;
	mmio_shm_ring_detach(ring);
	free(buf);
	_exit(ret ? 1 : 0);
}

/*
 * One run: a child consumes, this process produces @size-byte messages
 * for b->run_ns, then ends the stream; MB/s from the first send to the
 * consumer's last receive. Both on CPU 0 (@cpus 1), or on CPUs 0 and 1.
 */
static int xfer_once(const struct bench *b, enum xfer kind, int cpus,
		     void *mem, size_t len, size_t size, char *src,
		     struct ctl *c, double *mbsp)
{
	struct mmio_shm_ring *ring = NULL;
	uint64_t t0, end, n = 0;
	void *dst;
	int fds[2], ret;
	unsigned int mask = size < 4 * KiB ? 63 : 0;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	if (xfer_ring(kind))
		ret = mmio_shm_ring_init(mem, len, 0, &ring);
	else if (kind == XFER_PIPE)
		ret = (int)sysret(pipe2(fds, O_CLOEXEC));
	else
		ret = (int)sysret(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					     0, fds));
	if (ret)
		return ret;
	pin_cpu(0);
	pid = fork_child(cpus == 2 ? 1 : 0);
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		if (!xfer_ring(kind))
			close(fds[1]);
		xfer_consume(kind, mem, len, xfer_ring(kind) ? -1 : fds[0],
			     size, c);
	}
	if (!xfer_ring(kind))
		close(fds[0]);
	wait_ready(c);
	t0 = now_ns();
	end = t0 + b->run_ns;
	do {
		if (kind == XFER_RING_ZC) {
			/* the record filled in place: one copy from the source */
			ret = mmio_shm_ring_reserve(ring, size,
						    MMIO_SHM_TIMEOUT_FOREVER, &dst);
			if (!ret) {
				memcpy(dst, src, size);
				ret = mmio_shm_ring_commit(ring, size);
			}
		} else if (kind == XFER_RING)
			ret = mmio_shm_ring_send(ring, src, size,
						 MMIO_SHM_TIMEOUT_FOREVER);
		else
			ret = write_all(fds[1], src, size);
		n++;
	} while (!ret && ((n & mask) || now_ns() < end));
	/* the end: an empty record, or EOF */
	if (xfer_ring(kind))
		mmio_shm_ring_send(ring, NULL, 0, MMIO_SHM_TIMEOUT_FOREVER);
	else
		close(fds[1]);
	if (ret) {
		kill(pid, SIGKILL);
		reap(pid, c);
	} else {
		ret = reap(pid, c);
	}
	if (!ret)
		*mbsp = (double)c->bytes * 1e3 / (double)(c->t_end - t0);
	pin_cpu(-1);
	mmio_shm_ring_detach(ring);
	return ret;
out:
	pin_cpu(-1);
	if (!xfer_ring(kind)) {
		close(fds[0]);
		close(fds[1]);
	}
	mmio_shm_ring_detach(ring);
	return ret;
}

/*
 * The ceiling: one thread copies @size-byte messages from a hot source
 * into a destination that walks through an area as large as the ring's
 * data area, as the producer's copies do; MB/s.
 */
static int memcpy_once(const struct bench *b, char *area, size_t area_len,
		       size_t size, const char *src, double *mbsp)
{
	uint64_t t0 = now_ns(), end = t0 + b->run_ns, n = 0;
	unsigned int mask = size < 4 * KiB ? 63 : 0;
	size_t off = 0;

	do {
		memcpy(area + off, src, size);
		/* the copy must happen: the compiler sees no reader */
		__asm__ __volatile__("" : : "r"(area) : "memory");
		off += size;
		if (off + size > area_len)
			off = 0;
		n++;
	} while ((n & mask) || now_ns() < end);
	*mbsp = (double)(n * size) * 1e3 / (double)(now_ns() - t0);
	return 0;
}

static void bench_throughput(const struct bench *b)
{
	static const size_t sizes[] = { 64, KiB, 4 * KiB, 64 * KiB, MiB };
	static const char *const names[] = {
		[XFER_RING] = "ring", [XFER_RING_ZC] = "ring-zc",
		[XFER_PIPE] = "pipe",
		[XFER_UNIX] = "unix", [XFER_MEMCPY] = "memcpy",
		[XFER_MEMCPY_RING] = "memcpy-ring",
	};
	size_t len = MMIO_SHM_RING_OVERHEAD + b->ring_data;
	double v[MAX_REPS], m[MAX_REPS];
	struct mmio_shm *shm;
	struct ctl *c;
	char *src, *area = NULL, variant[64];
	void *mem;
	bool own;
	int kind, cpus, s, r, ret;

	src = malloc(MiB);
	c = ctl_new();
	ret = src && c ? 0 : -ENOMEM;
	if (!ret)
		ret = target_get(b, len, &shm, &own);
	if (ret) {
		warn_err(b, "throughput", ret);
		goto out;
	}
	memset(src, 0x5a, MiB);
	ret = mmio_shm_map_range(shm, 0, len, MMIO_SHM_PROT_READ |
				 MMIO_SHM_PROT_WRITE, &mem);
	area = mmap(NULL, b->ring_data, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		area = NULL;
		ret = ret ? ret : -ENOMEM;
	}
	if (ret) {
		warn_err(b, "throughput: map", ret);
		goto out_put;
	}
	memset(area, 0, b->ring_data);
	for (s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); s++) {
		for (kind = XFER_RING; kind <= XFER_MEMCPY_RING; kind++) {
		for (cpus = 1; cpus <= 2; cpus++) {
			if (!xfer_ring(kind) && b->target_only)
				continue;
			/* one thread: no placement */
			if (kind >= XFER_MEMCPY && cpus == 2)
				continue;
			if (kind >= XFER_MEMCPY)
				snprintf(variant, sizeof(variant), "%s", names[kind]);
			else
				snprintf(variant, sizeof(variant), "%s/%dcpu",
					 names[kind], cpus);
			for (r = 0, ret = 0; r < b->reps && !ret; r++) {
				if (kind == XFER_MEMCPY)
					ret = memcpy_once(b, area, b->ring_data,
							  sizes[s], src, &v[r]);
				else if (kind == XFER_MEMCPY_RING)
					ret = memcpy_once(b, (char *)mem +
							  MMIO_SHM_RING_OVERHEAD,
							  b->ring_data, sizes[s],
							  src, &v[r]);
				else
					ret = xfer_once(b, kind, cpus, mem, len,
							sizes[s], src, c, &v[r]);
				m[r] = v[r] * 1e6 / (double)sizes[s];
			}
			if (ret) {
				warn_err(b, variant, ret);
				continue;
			}
			emit(b, "throughput", variant, sizes[s], "MB/s", v, b->reps);
			emit(b, "throughput", variant, sizes[s], "msgs/s", m, b->reps);
		}
		}
	}
	mmio_shm_unmap(shm, mem, len);
out_put:
	target_put(shm, own);
out:
	if (area)
		munmap(area, b->ring_data);
	if (c)
		munmap(c, PAGE);
	free(src);
}

/* ------------------------------------------------------------- pingpong */

enum pp_kind {
	PP_SPIN_WORD, PP_SPIN_RING, PP_FUTEX_WORD, PP_RING_BLOCK,
	PP_DOORBELL, PP_PIPE, PP_EVENTFD,
};

/* the values a turn word (or a message) carries */
enum { PP_PONG = 0, PP_PING = 1, PP_STOP = 2 };

/* the ping-pong ring pair: each ring's region */
#define PP_RING_LEN	(64 * KiB)

/* one side's ends; the parent's tx is the child's rx and the other way */
struct pp_side {
	enum pp_kind kind;
	_Atomic uint32_t *word;		/* the turn word, in the target */
	struct mmio_shm *shm;		/* the doorbell's handle */
	uint64_t seq;			/* the doorbell sequence last seen */
	struct mmio_shm_ring *tx, *rx;	/* the rings */
	int txfd, rxfd;			/* pipe or eventfd ends */
	struct ctl *c;			/* eventfd's stop flag */
};

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)w, op, val, NULL, NULL, 0);
}

static int pp_send(struct pp_side *s, uint32_t val)
{
	uint64_t one = 1;
	unsigned char byte = (unsigned char)val;

	switch (s->kind) {
	case PP_SPIN_WORD:
		atomic_store_explicit(s->word, val, memory_order_release);
		return 0;
	case PP_FUTEX_WORD:
		atomic_store_explicit(s->word, val, memory_order_release);
		return futex(s->word, FUTEX_WAKE, 1) < 0 ? -errno : 0;
	case PP_DOORBELL:
		atomic_store_explicit(s->word, val, memory_order_release);
		return mmio_shm_notify(s->shm, &s->seq);
	case PP_SPIN_RING:
	case PP_RING_BLOCK:
		return mmio_shm_ring_send(s->tx, &val, sizeof(val),
					  MMIO_SHM_TIMEOUT_FOREVER);
	case PP_PIPE:
		return write_all(s->txfd, &byte, 1);
	case PP_EVENTFD:
		if (val == PP_STOP)
			atomic_store(&s->c->stop, 1);
		return write_all(s->txfd, &one, sizeof(one));
	}
	return -EINVAL;
}

/* waits for @want (or PP_STOP) and returns what came, or a negative errno */
static int pp_recv(struct pp_side *s, uint32_t want)
{
	uint32_t v = 0;
	uint64_t cnt;
	unsigned char byte;
	size_t len;
	int ret;

	switch (s->kind) {
	case PP_SPIN_WORD:
		while ((v = atomic_load_explicit(s->word, memory_order_acquire)) != want &&
		       v != PP_STOP)
			cpu_relax();
		return (int)v;
	case PP_FUTEX_WORD:
		while ((v = atomic_load_explicit(s->word, memory_order_acquire)) != want &&
		       v != PP_STOP) {
			if (futex(s->word, FUTEX_WAIT, v) && errno != EAGAIN &&
			    errno != EINTR)
				return -errno;
		}
		return (int)v;
	case PP_DOORBELL:
		/* the sequence comes before the look at the word: no lost ring */
		while ((v = atomic_load_explicit(s->word, memory_order_acquire)) != want &&
		       v != PP_STOP) {
			ret = mmio_shm_wait(s->shm, s->seq,
					    MMIO_SHM_TIMEOUT_FOREVER, &s->seq);
			if (ret && ret != -EINTR)
				return ret;
		}
		return (int)v;
	case PP_SPIN_RING:
		while ((ret = mmio_shm_ring_recv(s->rx, &v, sizeof(v), 0,
						 &len)) == -EAGAIN)
			cpu_relax();
		return ret ? ret : (int)v;
	case PP_RING_BLOCK:
		ret = mmio_shm_ring_recv(s->rx, &v, sizeof(v),
					 MMIO_SHM_TIMEOUT_FOREVER, &len);
		return ret ? ret : (int)v;
	case PP_PIPE:
		ret = read_full(s->rxfd, &byte, 1);
		return ret ? ret : byte;
	case PP_EVENTFD:
		ret = read_full(s->rxfd, &cnt, sizeof(cnt));
		if (ret)
			return ret;
		return atomic_load(&s->c->stop) ? PP_STOP : (int)want;
	}
	return -EINVAL;
}

static void pp_child(struct pp_side *s, void *mem)
{
	struct ctl *c = s->c;
	int ret = 0, v;

	if (s->kind == PP_SPIN_RING || s->kind == PP_RING_BLOCK) {
		/* the parent's tx ring is this side's rx, and the other way */
		ret = mmio_shm_ring_attach(mem, PP_RING_LEN, 0, &s->rx);
		if (!ret)
			ret = mmio_shm_ring_attach((char *)mem + PP_RING_LEN,
						   PP_RING_LEN, 0, &s->tx);
	}
	if (!ret && s->kind == PP_DOORBELL) {
		struct mmio_shm_status st;

		ret = mmio_shm_get_status(s->shm, &st);
		s->seq = st.seq;
	}
	atomic_store(&c->ready, 1);
	while (!ret) {
		v = pp_recv(s, PP_PING);
		if (v < 0)
			ret = v;
		else if (v == PP_STOP)
			break;
		else
			ret = pp_send(s, PP_PONG);
	}
	c->err = ret;
	_exit(ret ? 1 : 0);
}

/* the most round trips one ping-pong run times */
#define PP_MAX_ROUNDS	(1u << 20)

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * ns one way: the median round trip of a run of b->run_ns, halved. Each
 * round trip is timed on its own and the median taken, so the few that a
 * preemption (another program on a CPU of this 2-CPU machine, or a
 * descheduled vCPU thread of the guest) stretches by milliseconds do not
 * make the figure; a mean would be theirs.
 */
static int pp_once(const struct bench *b, enum pp_kind kind, int cpus,
		   struct mmio_shm *shm, void *mem, struct ctl *c, uint32_t *rt,
		   double *nsp)
{
	struct pp_side s = { .kind = kind, .shm = shm, .txfd = -1, .rxfd = -1,
			     .c = c, .word = mem };
	int p2c[2] = { -1, -1 }, c2p[2] = { -1, -1 }, ret = 0, v;
	uint64_t t0, t, end, rounds = 0;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	atomic_store(s.word, PP_PONG);
	switch (kind) {
	case PP_SPIN_RING:
	case PP_RING_BLOCK:
		ret = mmio_shm_ring_init(mem, PP_RING_LEN, 0, &s.tx);
		if (!ret)
			ret = mmio_shm_ring_init((char *)mem + PP_RING_LEN,
						 PP_RING_LEN, 0, &s.rx);
		break;
	case PP_PIPE:
		if (pipe2(p2c, O_CLOEXEC) || pipe2(c2p, O_CLOEXEC))
			ret = -errno;
		break;
	case PP_EVENTFD:
		p2c[0] = p2c[1] = eventfd(0, EFD_CLOEXEC);
		c2p[0] = c2p[1] = eventfd(0, EFD_CLOEXEC);
		if (p2c[0] < 0 || c2p[0] < 0)
			ret = -errno;
		break;
	case PP_DOORBELL: {
		struct mmio_shm_status st;

		ret = mmio_shm_get_status(shm, &st);
		s.seq = st.seq;
		break;
	}
	default:
		break;
	}
	if (ret)
		goto out;
	pin_cpu(0);
	pid = fork_child(cpus == 2 ? 1 : 0);
	if (pid < 0) {
		ret = -errno;
		goto out;
	}
	if (pid == 0) {
		struct pp_side cs = s;

		cs.tx = cs.rx = NULL;
		cs.txfd = c2p[1];
		cs.rxfd = p2c[0];
		pp_child(&cs, mem);
	}
	s.txfd = p2c[1];
	s.rxfd = c2p[0];
	wait_ready(c);
	t0 = now_ns();
	end = t0 + b->run_ns;
	do {
		ret = pp_send(&s, PP_PING);
		if (!ret) {
			v = pp_recv(&s, PP_PONG);
			ret = v < 0 ? v : 0;
		}
		t = now_ns();
		rt[rounds++] = (uint32_t)(t - t0 < UINT32_MAX ? t - t0 : UINT32_MAX);
		t0 = t;
	} while (!ret && t < end && rounds < PP_MAX_ROUNDS);
	if (!ret) {
		qsort(rt, rounds, sizeof(*rt), cmp_u32);
		*nsp = (double)rt[rounds / 2] / 2;
	}
	if (!ret)
		ret = pp_send(&s, PP_STOP);
	if (ret)
		kill(pid, SIGKILL);
	v = reap(pid, c);
	ret = ret ? ret : v;
out:
	pin_cpu(-1);
	mmio_shm_ring_detach(s.tx);
	mmio_shm_ring_detach(s.rx);
	if (kind == PP_PIPE) {
		close(p2c[0]);
		close(p2c[1]);
		close(c2p[0]);
		close(c2p[1]);
	} else if (kind == PP_EVENTFD) {
		/* one eventfd each way: both ends are the same descriptor */
		close(p2c[0]);
		close(c2p[0]);
	}
	return ret;
}

static void bench_pingpong(const struct bench *b)
{
	static const char *const names[] = {
		[PP_SPIN_WORD] = "spin-word", [PP_SPIN_RING] = "spin-ring",
		[PP_FUTEX_WORD] = "futex-word", [PP_RING_BLOCK] = "ring-blocking",
		[PP_DOORBELL] = "doorbell", [PP_PIPE] = "pipe",
		[PP_EVENTFD] = "eventfd",
	};
	size_t len = 2 * PP_RING_LEN;
	struct mmio_shm *shm;
	double v[MAX_REPS];
	uint32_t *rt = malloc(PP_MAX_ROUNDS * sizeof(*rt));
	struct ctl *c;
	char variant[64];
	void *mem;
	bool own;
	int kind, cpus, r, ret;

	c = ctl_new();
	ret = c && rt ? target_get(b, len, &shm, &own) : -ENOMEM;
	if (ret) {
		warn_err(b, "pingpong", ret);
		goto out;
	}
	ret = mmio_shm_map_range(shm, 0, len, MMIO_SHM_PROT_READ |
				 MMIO_SHM_PROT_WRITE, &mem);
	if (ret) {
		warn_err(b, "pingpong: map", ret);
		goto out_put;
	}
	for (kind = PP_SPIN_WORD; kind <= PP_EVENTFD; kind++) {
		bool target = kind != PP_PIPE && kind != PP_EVENTFD;
		bool spin = kind == PP_SPIN_WORD || kind == PP_SPIN_RING;

		if (kind == PP_DOORBELL && !b->dev)
			continue;
		if (!target && b->target_only)
			continue;
		/* a spinning pair on one CPU would only measure time slices */
		for (cpus = spin ? 2 : 1; cpus <= 2; cpus++) {
			snprintf(variant, sizeof(variant), "%s/%dcpu",
				 names[kind], cpus);
			for (r = 0, ret = 0; r < b->reps && !ret; r++)
				ret = pp_once(b, kind, cpus, shm, mem, c, rt, &v[r]);
			if (ret)
				warn_err(b, variant, ret);
			else
				emit(b, "pingpong", variant, 4, "ns", v, b->reps);
		}
	}
	mmio_shm_unmap(shm, mem, len);
out_put:
	target_put(shm, own);
out:
	if (c)
		munmap(c, PAGE);
	free(rt);
}

/* ----------------------------------------------------------------- main */

static void print_help(const char *prog)
{
	printf("Usage: %s [OPTIONS]\n"
	       "Benchmarks of mmio_shm and the alternatives, as CSV on stdout\n"
	       "(where,benchmark,variant,size,unit,median,min,max,reps).\n\n"
	       "Options:\n"
	       "  -t, --target=T       device=PATH or memfd (default memfd)\n"
	       "  -w, --where=NAME     the first column (default host)\n"
	       "  -l, --label=NAME     the target's variant name (default: device or memfd)\n"
	       "  -p, --parts=LIST     map,stream,throughput,pingpong (default all)\n"
	       "  -o, --target-only    only the target's rows, no alternatives\n"
	       "  -r, --reps=N         runs per figure, 1-%d (default 5)\n"
	       "  -m, --map-size=MiB   bytes mapped and touched (default 64)\n"
	       "  -s, --stream-size=MiB  bytes read and written (default 64)\n"
	       "  -d, --ring-data=MiB  the throughput ring's data area (default 4)\n"
	       "  -T, --run-ms=MS      one throughput or ping-pong run (default 100)\n"
	       "  -f, --tmpfs=DIR      where stream's tmpfs file goes (default /dev/shm)\n"
	       "  -h, --help           this text\n"
	       "  -v, --version        the version\n", prog, MAX_REPS);
}

static int parse_parts(const char *arg, unsigned int *parts)
{
	static const char *const names[] = { "map", "stream", "throughput", "pingpong" };
	char *copy = strdup(arg), *tok, *save = NULL;
	unsigned int i, p = 0;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < 4 && strcmp(tok, names[i]); i++)
			;
		if (i == 4)
			ret = -EINVAL;
		p |= 1u << i;
	}
	free(copy);
	*parts = p;
	return ret;
}

static bool parse_mib(const char *arg, size_t *bytes)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || !v || v > 1u << 20)
		return false;
	*bytes = v * MiB;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "where", required_argument, NULL, 'w' },
		{ "label", required_argument, NULL, 'l' },
		{ "parts", required_argument, NULL, 'p' },
		{ "target-only", no_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ "map-size", required_argument, NULL, 'm' },
		{ "stream-size", required_argument, NULL, 's' },
		{ "ring-data", required_argument, NULL, 'd' },
		{ "run-ms", required_argument, NULL, 'T' },
		{ "tmpfs", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = {
		.where = "host", .parts = PART_ALL, .reps = 5,
		.map_size = 64 * MiB, .stream_size = 64 * MiB,
		.ring_data = 4 * MiB, .run_ns = 100000000u,
		.tmpfs_dir = "/dev/shm",
	};
	const char *target = "memfd";
	long ms;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "t:w:l:p:or:m:s:d:T:f:hv",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'w': b.where = optarg; break;
		case 'l': b.label = optarg; break;
		case 'o': b.target_only = true; break;
		case 'f': b.tmpfs_dir = optarg; break;
		case 'p':
			if (parse_parts(optarg, &b.parts))
				goto usage;
			break;
		case 'r':
			b.reps = atoi(optarg);
			if (b.reps < 1 || b.reps > MAX_REPS)
				goto usage;
			break;
		case 'm':
			if (!parse_mib(optarg, &b.map_size))
				goto usage;
			break;
		case 's':
			if (!parse_mib(optarg, &b.stream_size))
				goto usage;
			break;
		case 'd':
			/* a power of two: the ring's data area is one */
			if (!parse_mib(optarg, &b.ring_data) ||
			    (b.ring_data & (b.ring_data - 1)) ||
			    b.ring_data <= MiB + 8)
				goto usage;
			break;
		case 'T':
			ms = atol(optarg);
			if (ms < 1 || ms > 60000)
				goto usage;
			b.run_ns = (uint64_t)ms * 1000000u;
			break;
		case 'h':
			print_help(argv[0]);
			return EXIT_SUCCESS;
		case 'v':
			printf("mmio_shm_bench %s\n", BENCH_VERSION);
			return EXIT_SUCCESS;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	if (!strncmp(target, "device=", 7)) {
		b.device = target + 7;
		ret = mmio_shm_open(b.device, MMIO_SHM_OPEN_RDWR, &b.dev);
		if (ret) {
			fprintf(stderr, "mmio_shm_bench: %s: %s\n", b.device,
				strerror(-ret));
			return EXIT_FAILURE;
		}
	} else if (strcmp(target, "memfd")) {
		goto usage;
	}
	if (!b.label)
		b.label = b.dev ? "device" : "memfd";

	if (b.parts & PART_MAP)
		bench_map(&b);
	if (b.parts & PART_STREAM)
		bench_stream(&b);
	if (b.parts & PART_THROUGHPUT)
		bench_throughput(&b);
	if (b.parts & PART_PINGPONG)
		bench_pingpong(&b);
	if (b.dev)
		mmio_shm_close(b.dev);
	return EXIT_SUCCESS;

usage:
	fprintf(stderr, "try %s --help\n", argv[0]);
	return EXIT_FAILURE;
}
