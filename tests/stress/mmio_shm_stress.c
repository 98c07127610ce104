// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm_stress - a bounded stress run against /dev/mmio_shm
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * N worker processes, one resizer and the parent hammer one device for a
 * fixed time, each picking operations at random from its own seeded
 * generator, and check every result they can check exactly:
 *
 *  - Layout. The first C bytes of the buffer are cut into one slice per
 *    worker. A worker alone writes its slice (through its mappings, a
 *    forked child's inherited mapping, pwrite and ZERO) and keeps a shadow
 *    copy of it, so every read of the slice (mapping, pread, the child) is
 *    compared byte for byte. Bytes from C on are the shared area: every
 *    worker writes and zeroes there, and nothing is checked.
 *  - Sizes. The resizer keeps the size between min_size and max_size, both
 *    above C, so the slices never move or shrink. A range that reaches
 *    past min_size may have been cut off by a resize the caller has not
 *    seen yet: there, and only there, EINVAL from mmap/ZERO, ENOSPC and
 *    short counts from pwrite, and short reads are accepted.
 *  - Resizes. The resizer tries RESIZE at random (0 or EBUSY, depending on
 *    whether anything is mapped at that moment), and from time to time
 *    closes a gate: every worker unmaps everything and parks (doing only
 *    calls that do not map) until the resize is done. Such a gated RESIZE
 *    must succeed, and the size must then be the new one.
 *  - The parent holds the device open from start to end and tries
 *    delete_module("mmio_shm", O_NONBLOCK) now and then: it must fail with
 *    EWOULDBLOCK (or EBUSY) as long as anything uses the module.
 *
 * What each call may return (anything else is an unexpected errno):
 *
 *   open           0
 *   close          0
 *   mmap           0 inside min_size; 0 or EINVAL past it; EACCES for a
 *                  writable shared mapping of an O_RDONLY fd (expected)
 *   munmap         0
 *   mremap         0 for shrinking or moving; EFAULT for growing
 *   madvise        0 (MADV_DONTNEED keeps the data)
 *   pread/pwrite   the full count inside min_size; past it a short count,
 *                  0 (pread) or ENOSPC (pwrite)
 *   RESIZE         0 or EBUSY; 0 when gated; EBADF on an O_RDONLY fd
 *   ZERO           0 inside min_size; 0 or EINVAL past it; EBADF (O_RDONLY)
 *   NOTIFY         0, with a sequence greater than any seen before
 *   WAIT           0 (sequence passed) or ETIMEDOUT, never before the
 *                  deadline
 *   INFO           0
 *   poll           0 or 1 (POLLIN|POLLRDNORM); 1 right after our own ring
 *   fork/waitpid   a child that exits 0
 *   delete_module  -1 with EWOULDBLOCK or EBUSY (EPERM: not root, skipped)
 *
 * Output is KTAP with the counts of every operation; the exit status is 0
 * when every case passed or was skipped, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/mmio_shm.h>

#define MAX_PROCS	32
#define MAX_MAPS	8
#define MAX_MSGS	40
#define PS		4096UL

/* the KTAP cases, in the order they are printed */
enum check {
	CHK_BYTES,
	CHK_ERRNO,
	CHK_DOORBELL,
	CHK_RESIZE,
	CHK_RMMOD,
	CHK_EXIT,
	CHK_FINAL,
	NR_CHECKS
};

static const char *const check_names[NR_CHECKS] = {
	[CHK_BYTES]	= "stress_byte_checks_hold",
	[CHK_ERRNO]	= "stress_no_unexpected_errno",
	[CHK_DOORBELL]	= "stress_doorbell_order_and_deadlines_hold",
	[CHK_RESIZE]	= "stress_resize_succeeds_once_unmapped",
	[CHK_RMMOD]	= "stress_rmmod_refused_while_in_use",
	[CHK_EXIT]	= "stress_processes_exit_cleanly",
	[CHK_FINAL]	= "stress_device_idle_and_resizable_afterwards",
};

/* operations, counted per process */
enum op {
	OP_OPEN, OP_CLOSE, OP_MMAP, OP_MMAP_EINVAL, OP_MUNMAP, OP_MREMAP,
	OP_MREMAP_GROW, OP_MADVISE, OP_MAP_WRITE, OP_MAP_VERIFY, OP_PRIVATE,
	OP_HAMMER, OP_FORK, OP_PWRITE, OP_PREAD, OP_SHARED_RW, OP_ZERO_OWN,
	OP_ZERO_SHARED, OP_NOTIFY, OP_WAIT_OK, OP_WAIT_TIMEOUT, OP_POLL,
	OP_INFO, OP_RDONLY, OP_RESIZE_OK, OP_RESIZE_BUSY, OP_GATED_RESIZE,
	OP_RMMOD, NR_OPS
};

static const char *const op_names[NR_OPS] = {
	[OP_OPEN] = "open", [OP_CLOSE] = "close", [OP_MMAP] = "mmap",
	[OP_MMAP_EINVAL] = "mmap_past_end", [OP_MUNMAP] = "munmap",
	[OP_MREMAP] = "mremap", [OP_MREMAP_GROW] = "mremap_grow_efault",
	[OP_MADVISE] = "madv_dontneed", [OP_MAP_WRITE] = "map_write",
	[OP_MAP_VERIFY] = "map_verify", [OP_PRIVATE] = "private_cow",
	[OP_HAMMER] = "shared_hammer", [OP_FORK] = "fork_child",
	[OP_PWRITE] = "pwrite", [OP_PREAD] = "pread",
	[OP_SHARED_RW] = "shared_rw", [OP_ZERO_OWN] = "zero_own",
	[OP_ZERO_SHARED] = "zero_shared", [OP_NOTIFY] = "notify",
	[OP_WAIT_OK] = "wait_woken", [OP_WAIT_TIMEOUT] = "wait_timeout",
	[OP_POLL] = "poll", [OP_INFO] = "info", [OP_RDONLY] = "rdonly_refusals",
	[OP_RESIZE_OK] = "resize", [OP_RESIZE_BUSY] = "resize_ebusy",
	[OP_GATED_RESIZE] = "gated_resize", [OP_RMMOD] = "rmmod_refused",
};

/* worker's parked[] value once it has left for good */
#define PARKED_DONE	UINT64_MAX

/* everything the processes share, in one anonymous shared mapping */
struct shared {
	int stop;			/* set by the parent at the deadline */
	uint64_t gate;			/* generation of the closed gate, 0: open */
	uint64_t parked[MAX_PROCS];	/* gate generation each worker parked for */
	unsigned long fails[NR_CHECKS];
	int skip_rmmod;			/* not root: rmmod attempts are skipped */
	int skip_gate;			/* something else maps: gated resizes skipped */
	unsigned int msgs;
	uint64_t gate_timeouts;
	uint64_t ops[MAX_PROCS + 2][NR_OPS];
};

static struct shared *sh;

/* run parameters, the same in every process */
static const char *dev_path = "/dev/mmio_shm";
static unsigned int nprocs = 4;
static unsigned int seconds = 30;
static uint64_t seed;
static size_t size0;		/* size at start, restored at the end */
static size_t slice;		/* bytes per worker slice */
static size_t checked;		/* nprocs * slice: the checked area */
static size_t min_size, max_size;

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* splitmix64: one state word per process, seeded from --seed */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) for n > 0 */
static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static void fill_random(uint64_t *s, uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = rnd(s);
		p[i] = v >> ((i & 7) * 8);
	}
}

static size_t page_align(uint64_t v)
{
	return (v + PS - 1) & ~(PS - 1);
}

/* one line on stdout, written at once so processes do not interleave */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static int who = -1;	/* worker index, nprocs: resizer, -1: parent */

static void __attribute__((format(printf, 2, 3)))
fail(enum check c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	__atomic_add_fetch(&sh->fails[c], 1, __ATOMIC_SEQ_CST);
	if (__atomic_fetch_add(&sh->msgs, 1, __ATOMIC_SEQ_CST) >= MAX_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (who < 0)
		say("# FAIL %s [parent]: %s", check_names[c], msg);
	else if (who == (int)nprocs)
		say("# FAIL %s [resizer]: %s", check_names[c], msg);
	else
		say("# FAIL %s [worker %d]: %s", check_names[c], who, msg);
}

static void count(enum op op)
{
	int row = who < 0 ? MAX_PROCS + 1 : who;

	sh->ops[row][op]++;
}

static int stopping(void)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST);
}

static int shm_ioctl_info(int fd, struct mmio_shm_info_args *info)
{
	memset(info, 0xa5, sizeof(*info));
	info->size = sizeof(*info);
	info->flags = 0;
	info->reserved = 0;
	return ioctl(fd, MMIO_SHM_IOC_INFO, info);
}

static int shm_ioctl_resize(int fd, uint64_t new_size)
{
	struct mmio_shm_resize_args r = { .size = sizeof(r), .new_size = new_size };

	return ioctl(fd, MMIO_SHM_IOC_RESIZE, &r);
}

static int shm_ioctl_zero(int fd, uint64_t off, uint64_t len)
{
	struct mmio_shm_zero_args z = {
		.size = sizeof(z), .offset = off, .length = len,
	};

	return ioctl(fd, MMIO_SHM_IOC_ZERO, &z);
}

/* the current size, or 0 after reporting the failure */
static size_t cur_size(int fd)
{
	struct mmio_shm_info_args info;

	if (shm_ioctl_info(fd, &info)) {
		fail(CHK_ERRNO, "INFO: %s", strerror(errno));
		return 0;
	}
	count(OP_INFO);
	if (info.buf_size < min_size || info.buf_size > max_size ||
	    info.buf_size % PS)
		fail(CHK_RESIZE, "INFO: size %llu outside %zu..%zu or unaligned",
		     (unsigned long long)info.buf_size, min_size, max_size);
	return info.buf_size;
}

static long sys_delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

/* ---- workers ---- */

/* one mapping a worker holds */
struct wmap {
	uint8_t *addr;
	size_t len;
	uint64_t off;		/* buffer offset of addr */
	enum { M_OWN, M_OWN_RO, M_PRIVATE, M_ANY } kind;
};

struct worker {
	uint64_t rng;
	int fd;			/* O_RDWR, or -1 while closed */
	int rofd;		/* O_RDONLY, or -1 while closed */
	struct wmap maps[MAX_MAPS];
	int nmaps;
	uint8_t *shadow;	/* what the slice must hold */
	uint8_t *tmp;		/* slice-sized scratch */
	uint64_t base;		/* buffer offset of the slice */
	uint64_t last_seq;	/* highest doorbell sequence seen */
};

static int need_fd(struct worker *w)
{
	if (w->fd >= 0)
		return w->fd;
	w->fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (w->fd < 0)
		fail(CHK_ERRNO, "open O_RDWR: %s", strerror(errno));
	else
		count(OP_OPEN);
	return w->fd;
}

static int need_rofd(struct worker *w)
{
	if (w->rofd >= 0)
		return w->rofd;
	w->rofd = open(dev_path, O_RDONLY | O_CLOEXEC);
	if (w->rofd < 0)
		fail(CHK_ERRNO, "open O_RDONLY: %s", strerror(errno));
	else
		count(OP_OPEN);
	return w->rofd;
}

/* compare @len bytes read from buffer offset @off with the shadow */
static void check_bytes(struct worker *w, const char *how, const uint8_t *seen,
			uint64_t off, size_t len)
{
	const uint8_t *want = w->shadow + (off - w->base);
	size_t i;

	if (!memcmp(seen, want, len))
		return;
	for (i = 0; i < len && seen[i] == want[i]; i++)
		;
	fail(CHK_BYTES, "%s: byte at offset %llu is %#x, expected %#x (range %llu+%zu)",
	     how, (unsigned long long)(off + i), seen[i], want[i],
	     (unsigned long long)off, len);
}

/* a random page-aligned sub-range [*off, *off + *len) of the slice */
static void own_range(struct worker *w, uint64_t *off, size_t *len)
{
	size_t pages = slice / PS;
	size_t first = below(&w->rng, pages);

	*len = (1 + below(&w->rng, pages - first)) * PS;
	*off = w->base + first * PS;
}

/* a random byte range inside the slice */
static void own_bytes(struct worker *w, uint64_t *off, size_t *len)
{
	uint64_t a = below(&w->rng, slice);
	/* mostly small, sometimes up to the end of the slice */
	uint64_t max = below(&w->rng, 4) ? 512 : slice - a;

	*len = 1 + below(&w->rng, max < slice - a ? max : slice - a);
	*off = w->base + a;
}

static struct wmap *pick_map(struct worker *w, int kind)
{
	int i, start, n = w->nmaps;

	if (!n)
		return NULL;
	start = below(&w->rng, n);
	for (i = 0; i < n; i++) {
		struct wmap *m = &w->maps[(start + i) % n];

		if (kind < 0 || (int)m->kind == kind)
			return m;
	}
	return NULL;
}

static void drop_map(struct worker *w, struct wmap *m)
{
	*m = w->maps[--w->nmaps];
}

static void unmap_all(struct worker *w)
{
	while (w->nmaps) {
		struct wmap *m = &w->maps[w->nmaps - 1];

		if (munmap(m->addr, m->len))
			fail(CHK_ERRNO, "munmap(%p, %zu): %s", m->addr, m->len,
			     strerror(errno));
		else
			count(OP_MUNMAP);
		w->nmaps--;
	}
}

static void do_mmap(struct worker *w)
{
	struct wmap m = { 0 };
	int fd, prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	size_t size;
	void *p;

	if (w->nmaps == MAX_MAPS)
		return;
	m.kind = below(&w->rng, 4);
	switch (m.kind) {
	case M_OWN:
		fd = need_fd(w);
		own_range(w, &m.off, &m.len);
		break;
	case M_OWN_RO:
		fd = need_rofd(w);
		prot = PROT_READ;
		own_range(w, &m.off, &m.len);
		break;
	case M_PRIVATE:
		fd = below(&w->rng, 2) ? need_fd(w) : need_rofd(w);
		flags = MAP_PRIVATE;
		own_range(w, &m.off, &m.len);
		break;
	default:
		fd = need_fd(w);
		if (fd < 0)
			return;
		size = cur_size(fd);
		if (!size)
			return;
		/* now and then a range that ends past the size */
		m.off = below(&w->rng, size / PS) * PS;
		m.len = (1 + below(&w->rng, (size - m.off) / PS +
				   (below(&w->rng, 8) ? 0 : 4))) * PS;
		break;
	}
	if (fd < 0)
		return;
	p = mmap(NULL, m.len, prot, flags, fd, m.off);
	if (p == MAP_FAILED) {
		if (errno == EINVAL && m.off + m.len > min_size) {
			count(OP_MMAP_EINVAL);
			return;
		}
		fail(CHK_ERRNO, "mmap(len %zu, off %llu, kind %d): %s", m.len,
		     (unsigned long long)m.off, m.kind, strerror(errno));
		return;
	}
	count(OP_MMAP);
	m.addr = p;
	w->maps[w->nmaps++] = m;
}

static void do_munmap(struct worker *w)
{
	struct wmap *m = pick_map(w, -1);
	size_t cut;

	if (!m)
		return;
	cut = (1 + below(&w->rng, m->len / PS)) * PS;
	if (cut == m->len) {
		if (munmap(m->addr, m->len))
			fail(CHK_ERRNO, "munmap: %s", strerror(errno));
		else
			count(OP_MUNMAP);
		drop_map(w, m);
		return;
	}
	/* the head or the tail: the rest stays one mapping */
	if (below(&w->rng, 2)) {
		if (munmap(m->addr, cut)) {
			fail(CHK_ERRNO, "munmap head: %s", strerror(errno));
			return;
		}
		m->addr += cut;
		m->off += cut;
	} else if (munmap(m->addr + m->len - cut, cut)) {
		fail(CHK_ERRNO, "munmap tail: %s", strerror(errno));
		return;
	}
	m->len -= cut;
	count(OP_MUNMAP);
}

static void do_mremap(struct worker *w)
{
	struct wmap *m = pick_map(w, -1);
	void *p, *dst;
	size_t len;

	if (!m)
		return;
	switch (below(&w->rng, 3)) {
	case 0:		/* grow: never past what mmap checked */
		p = mremap(m->addr, m->len, m->len + PS, MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			fail(CHK_ERRNO, "mremap grew a mapping from %zu to %zu bytes",
			     m->len, m->len + PS);
			if (munmap(p, m->len + PS))
				fail(CHK_ERRNO, "munmap: %s", strerror(errno));
			drop_map(w, m);
		} else if (errno != EFAULT) {
			fail(CHK_ERRNO, "mremap grow: %s, expected EFAULT",
			     strerror(errno));
		} else {
			count(OP_MREMAP_GROW);
		}
		return;
	case 1:		/* shrink */
		if (m->len == PS)
			return;
		len = (1 + below(&w->rng, m->len / PS - 1)) * PS;
		p = mremap(m->addr, m->len, len, 0);
		if (p != m->addr) {
			fail(CHK_ERRNO, "mremap shrink: %s", strerror(errno));
			return;
		}
		m->len = len;
		break;
	default:	/* move onto a reserved hole */
		dst = mmap(NULL, m->len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (dst == MAP_FAILED) {
			fail(CHK_ERRNO, "mmap anonymous: %s", strerror(errno));
			return;
		}
		p = mremap(m->addr, m->len, m->len,
			   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (p != dst) {
			fail(CHK_ERRNO, "mremap move: %s", strerror(errno));
			munmap(dst, m->len);
			return;
		}
		m->addr = p;
		break;
	}
	count(OP_MREMAP);
}

/* write a random pattern through an own mapping, or verify one */
static void do_map_rw(struct worker *w, int write)
{
	struct wmap *m = pick_map(w, write ? M_OWN : (int)below(&w->rng, 2));
	uint64_t off;
	size_t len;

	if (!m)
		return;
	off = below(&w->rng, m->len);
	len = 1 + below(&w->rng, m->len - off);
	if (write) {
		fill_random(&w->rng, w->shadow + (m->off + off - w->base), len);
		memcpy(m->addr + off, w->shadow + (m->off + off - w->base), len);
		count(OP_MAP_WRITE);
	} else {
		check_bytes(w, m->kind == M_OWN ? "mapping" : "read-only mapping",
			    m->addr + off, m->off + off, len);
		count(OP_MAP_VERIFY);
	}
}

/* writes to a private mapping stay private: the slice does not change */
static void do_private(struct worker *w)
{
	struct wmap *m = pick_map(w, M_PRIVATE);
	uint64_t off;
	size_t len;
	ssize_t n;

	if (!m || need_fd(w) < 0)
		return;
	off = below(&w->rng, m->len);
	len = 1 + below(&w->rng, m->len - off);
	memset(m->addr + off, 0x5a ^ (uint8_t)len, len);
	n = pread(w->fd, w->tmp, len, m->off + off);
	if (n != (ssize_t)len) {
		fail(CHK_ERRNO, "pread %zu at %llu: %zd (%s)", len,
		     (unsigned long long)(m->off + off), n, strerror(errno));
		return;
	}
	check_bytes(w, "slice after a private write", w->tmp, m->off + off, len);
	count(OP_PRIVATE);
}

/* data survives MADV_DONTNEED: the pages fault back in from the buffer */
static void do_madvise(struct worker *w)
{
	struct wmap *m = pick_map(w, -1);

	if (!m)
		return;
	if (madvise(m->addr, m->len, MADV_DONTNEED)) {
		fail(CHK_ERRNO, "madvise DONTNEED: %s", strerror(errno));
		return;
	}
	count(OP_MADVISE);
	if (m->kind == M_OWN || m->kind == M_OWN_RO)
		check_bytes(w, "mapping after MADV_DONTNEED", m->addr, m->off,
			    m->len);
}

/* write and read the shared area through an M_ANY mapping, unchecked */
static void do_hammer(struct worker *w)
{
	struct wmap *m = pick_map(w, M_ANY);
	volatile uint8_t sink;
	uint64_t start, off;
	size_t len;

	if (!m)
		return;
	/* reads anywhere in it, other slices included */
	sink = m->addr[below(&w->rng, m->len)];
	(void)sink;
	start = m->off > checked ? 0 : checked - m->off;
	if (start < m->len) {
		off = start + below(&w->rng, m->len - start);
		len = 1 + below(&w->rng, m->len - off);
		if (len > 65536)
			len = 65536;
		memset(m->addr + off, (uint8_t)rnd(&w->rng), len);
	}
	count(OP_HAMMER);
}

/*
 * A child inherits an own mapping and the shadow: it checks the slice
 * through the mapping, writes a pattern the parent can compute too, and
 * exits. The parent then checks the pattern with pread.
 */
static void do_fork(struct worker *w)
{
	struct wmap *m = pick_map(w, M_OWN);
	uint64_t child_seed, off;
	pid_t pid;
	size_t len;
	int status;

	if (!m)
		return;
	off = below(&w->rng, m->len);
	len = 1 + below(&w->rng, m->len - off);
	child_seed = rnd(&w->rng);
	pid = fork();
	if (pid < 0) {
		fail(CHK_ERRNO, "fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		uint8_t *want = w->shadow + (m->off - w->base);

		if (memcmp(m->addr, want, m->len))
			_exit(3);
		fill_random(&child_seed, m->addr + off, len);
		/* the child's copy of the mapping goes away at exit */
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		fail(CHK_EXIT, "waitpid: %s", strerror(errno));
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
			fail(CHK_BYTES, "forked child saw other bytes in its inherited mapping");
		else
			fail(CHK_EXIT, "forked child: status %#x", status);
		return;
	}
	fill_random(&child_seed, w->shadow + (m->off + off - w->base), len);
	check_bytes(w, "mapping after the child wrote", m->addr + off,
		    m->off + off, len);
	count(OP_FORK);
}

static void do_pwrite_own(struct worker *w)
{
	uint64_t off;
	size_t len;
	ssize_t n;

	if (need_fd(w) < 0)
		return;
	own_bytes(w, &off, &len);
	fill_random(&w->rng, w->shadow + (off - w->base), len);
	n = pwrite(w->fd, w->shadow + (off - w->base), len, off);
	if (n != (ssize_t)len)
		fail(CHK_ERRNO, "pwrite %zu at %llu: %zd (%s)", len,
		     (unsigned long long)off, n, strerror(errno));
	count(OP_PWRITE);
}

static void do_pread_own(struct worker *w)
{
	uint64_t off;
	size_t len;
	ssize_t n;
	int fd = below(&w->rng, 2) ? need_fd(w) : need_rofd(w);

	if (fd < 0)
		return;
	own_bytes(w, &off, &len);
	n = pread(fd, w->tmp, len, off);
	if (n != (ssize_t)len) {
		fail(CHK_ERRNO, "pread %zu at %llu: %zd (%s)", len,
		     (unsigned long long)off, n, strerror(errno));
		return;
	}
	check_bytes(w, "pread", w->tmp, off, len);
	count(OP_PREAD);
}

/* pread/pwrite in the shared area; past min_size, short counts are fine */
static void do_shared_rw(struct worker *w)
{
	uint64_t off = checked + below(&w->rng, max_size - checked);
	size_t len = 1 + below(&w->rng, slice < 8192 ? slice : 8192);
	int write = below(&w->rng, 2);
	ssize_t n;

	if (need_fd(w) < 0)
		return;
	if (write) {
		fill_random(&w->rng, w->tmp, len);
		n = pwrite(w->fd, w->tmp, len, off);
	} else {
		n = pread(w->fd, w->tmp, len, off);
	}
	if (n == (ssize_t)len) {
		count(OP_SHARED_RW);
		return;
	}
	if (off + len > min_size) {
		/* the size may be anywhere from min_size up */
		if ((n >= 0 && n < (ssize_t)len) || (n < 0 && write && errno == ENOSPC)) {
			count(OP_SHARED_RW);
			return;
		}
	}
	fail(CHK_ERRNO, "%s %zu at %llu: %zd (%s)", write ? "pwrite" : "pread",
	     len, (unsigned long long)off, n, n < 0 ? strerror(errno) : "short");
}

static void do_zero_own(struct worker *w)
{
	uint64_t off;
	size_t len;

	if (need_fd(w) < 0)
		return;
	own_bytes(w, &off, &len);
	if (shm_ioctl_zero(w->fd, off, len)) {
		fail(CHK_ERRNO, "ZERO %llu+%zu: %s", (unsigned long long)off, len,
		     strerror(errno));
		return;
	}
	memset(w->shadow + (off - w->base), 0, len);
	count(OP_ZERO_OWN);
	/* check the edges at once: a zero that spills is seen here first */
	if (off + len < w->base + slice)
		len++;
	if (off > w->base) {
		off--;
		len++;
	}
	if (pread(w->fd, w->tmp, len, off) == (ssize_t)len)
		check_bytes(w, "after ZERO", w->tmp, off, len);
	else
		fail(CHK_ERRNO, "pread after ZERO: %s", strerror(errno));
}

static void do_zero_shared(struct worker *w)
{
	uint64_t off = checked + below(&w->rng, max_size - checked);
	uint64_t len = below(&w->rng, 4) ? 1 + below(&w->rng, 3 * PS) :
		       MMIO_SHM_ZERO_TO_END;
	uint64_t end = len == MMIO_SHM_ZERO_TO_END ? off + 1 : off + len;

	if (need_fd(w) < 0)
		return;
	if (!shm_ioctl_zero(w->fd, off, len)) {
		count(OP_ZERO_SHARED);
		return;
	}
	if (errno == EINVAL && end > min_size) {
		count(OP_ZERO_SHARED);
		return;
	}
	fail(CHK_ERRNO, "ZERO %llu+%llu: %s", (unsigned long long)off,
	     (unsigned long long)len, strerror(errno));
}

static void do_notify(struct worker *w)
{
	struct mmio_shm_notify_args n = { .size = sizeof(n) };
	struct pollfd pfd;
	int ret;

	if (need_fd(w) < 0)
		return;
	if (ioctl(w->fd, MMIO_SHM_IOC_NOTIFY, &n)) {
		fail(CHK_ERRNO, "NOTIFY: %s", strerror(errno));
		return;
	}
	count(OP_NOTIFY);
	if (n.seq <= w->last_seq)
		fail(CHK_DOORBELL, "NOTIFY returned seq %llu, already saw %llu",
		     (unsigned long long)n.seq, (unsigned long long)w->last_seq);
	w->last_seq = n.seq;
	/* this file has not collected that ring: it must poll readable */
	pfd.fd = w->fd;
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 0);
	if (ret != 1 || !(pfd.revents & POLLIN))
		fail(CHK_DOORBELL, "poll right after our own ring: %d, revents %#x",
		     ret, pfd.revents);
}

static void do_wait(struct worker *w)
{
	struct mmio_shm_wait_args a = { .size = sizeof(a) };
	uint64_t t0 = now_ns(), t1;
	int ret, fd = below(&w->rng, 4) ? need_fd(w) : need_rofd(w);

	if (fd < 0)
		return;
	/* a sequence already passed, or the newest one we know */
	a.seq = w->last_seq - (below(&w->rng, 4) ? 0 : below(&w->rng, w->last_seq + 1));
	a.deadline = below(&w->rng, 8) ? t0 + below(&w->rng, 3000000) : 0;
	ret = ioctl(fd, MMIO_SHM_IOC_WAIT, &a);
	t1 = now_ns();
	if (ret && errno != ETIMEDOUT) {
		fail(CHK_ERRNO, "WAIT: %s", strerror(errno));
		return;
	}
	if (!ret && a.cur_seq <= a.seq)
		fail(CHK_DOORBELL, "WAIT returned 0 with cur_seq %llu <= seq %llu",
		     (unsigned long long)a.cur_seq, (unsigned long long)a.seq);
	if (ret && a.cur_seq > a.seq)
		fail(CHK_DOORBELL, "WAIT timed out with cur_seq %llu > seq %llu",
		     (unsigned long long)a.cur_seq, (unsigned long long)a.seq);
	if (ret && t1 < a.deadline)
		fail(CHK_DOORBELL, "WAIT timed out %llu ns before its deadline",
		     (unsigned long long)(a.deadline - t1));
	if (a.cur_seq < w->last_seq)
		fail(CHK_DOORBELL, "WAIT: cur_seq %llu went back from %llu",
		     (unsigned long long)a.cur_seq, (unsigned long long)w->last_seq);
	else
		w->last_seq = a.cur_seq;
	count(ret ? OP_WAIT_TIMEOUT : OP_WAIT_OK);
}

static void do_poll(struct worker *w)
{
	struct pollfd pfd;
	int ret;

	pfd.fd = below(&w->rng, 2) ? need_fd(w) : need_rofd(w);
	if (pfd.fd < 0)
		return;
	pfd.events = POLLIN | POLLOUT;
	ret = poll(&pfd, 1, below(&w->rng, 2));
	if (ret < 0)
		fail(CHK_ERRNO, "poll: %s", strerror(errno));
	else if (ret && (pfd.revents & ~(POLLIN | POLLRDNORM)))
		fail(CHK_DOORBELL, "poll revents %#x", pfd.revents);
	else
		count(OP_POLL);
}

/* what an O_RDONLY file may not do: each refusal is exact */
static void do_rdonly(struct worker *w)
{
	int fd = need_rofd(w);
	void *p;

	if (fd < 0)
		return;
	switch (below(&w->rng, 3)) {
	case 0:
		if (!shm_ioctl_zero(fd, w->base, 1) || errno != EBADF)
			fail(CHK_ERRNO, "ZERO on O_RDONLY: %s, expected EBADF",
			     strerror(errno));
		break;
	case 1:
		if (!shm_ioctl_resize(fd, max_size) || errno != EBADF)
			fail(CHK_ERRNO, "RESIZE on O_RDONLY: %s, expected EBADF",
			     strerror(errno));
		break;
	default:
		p = mmap(NULL, PS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, w->base);
		if (p != MAP_FAILED) {
			fail(CHK_ERRNO, "writable shared mmap of O_RDONLY fd succeeded");
			munmap(p, PS);
		} else if (errno != EACCES) {
			fail(CHK_ERRNO, "writable shared mmap of O_RDONLY: %s, expected EACCES",
			     strerror(errno));
		}
		break;
	}
	count(OP_RDONLY);
}

static void do_open_close(struct worker *w)
{
	int *fd = below(&w->rng, 2) ? &w->fd : &w->rofd;

	if (*fd < 0) {
		if (fd == &w->fd)
			need_fd(w);
		else
			need_rofd(w);
		return;
	}
	/* mappings made through it stay */
	if (close(*fd))
		fail(CHK_ERRNO, "close: %s", strerror(errno));
	else
		count(OP_CLOSE);
	*fd = -1;
}

/* operations that never map: what a parked worker keeps doing */
static void unmapped_op(struct worker *w)
{
	switch (below(&w->rng, 11)) {
	case 0: do_pwrite_own(w); break;
	case 1: do_pread_own(w); break;
	case 2: do_shared_rw(w); break;
	case 3: do_zero_own(w); break;
	case 4: do_zero_shared(w); break;
	case 5: do_notify(w); break;
	case 6: do_wait(w); break;
	case 7: do_poll(w); break;
	case 8: do_open_close(w); break;
	case 9: do_rdonly(w); break;
	default:
		if (need_fd(w) >= 0)
			cur_size(w->fd);
		break;
	}
}

/* weights of every operation a worker picks from */
static const struct {
	void (*fn)(struct worker *w);
	unsigned int weight;
} worker_ops[] = {
	{ do_mmap, 8 }, { do_munmap, 5 }, { do_mremap, 2 }, { do_madvise, 2 },
	{ do_private, 2 }, { do_hammer, 4 }, { do_fork, 1 },
	{ unmapped_op, 22 },
};

static void map_write(struct worker *w) { do_map_rw(w, 1); }
static void map_verify(struct worker *w) { do_map_rw(w, 0); }

static int worker(int idx)
{
	struct worker w = { .fd = -1, .rofd = -1 };
	unsigned int total = 0, i, r;
	uint64_t g;

	who = idx;
	w.rng = seed ^ (0x1234567ULL * (idx + 1));
	w.base = (uint64_t)idx * slice;
	w.shadow = malloc(slice);
	w.tmp = malloc(slice + 2);
	if (!w.shadow || !w.tmp || need_fd(&w) < 0)
		return 2;

	/* start from a pattern of our own */
	fill_random(&w.rng, w.shadow, slice);
	if (pwrite(w.fd, w.shadow, slice, w.base) != (ssize_t)slice) {
		fail(CHK_ERRNO, "initial pwrite: %s", strerror(errno));
		return 1;
	}

	for (i = 0; i < sizeof(worker_ops) / sizeof(worker_ops[0]); i++)
		total += worker_ops[i].weight;
	total += 14;	/* map_write 8, map_verify 6 */

	while (!stopping()) {
		g = __atomic_load_n(&sh->gate, __ATOMIC_SEQ_CST);
		if (g) {
			/* the resizer needs the buffer unmapped */
			unmap_all(&w);
			__atomic_store_n(&sh->parked[idx], g, __ATOMIC_SEQ_CST);
			while (__atomic_load_n(&sh->gate, __ATOMIC_SEQ_CST) == g &&
			       !stopping())
				unmapped_op(&w);
			continue;
		}
		r = below(&w.rng, total);
		if (r < 8) {
			map_write(&w);
			continue;
		}
		if (r < 14) {
			map_verify(&w);
			continue;
		}
		r -= 14;
		for (i = 0; r >= worker_ops[i].weight; i++)
			r -= worker_ops[i].weight;
		worker_ops[i].fn(&w);
	}

	/* leave: last check of every byte, everything unmapped and closed */
	unmap_all(&w);
	__atomic_store_n(&sh->parked[idx], PARKED_DONE, __ATOMIC_SEQ_CST);
	if (need_fd(&w) >= 0) {
		if (pread(w.fd, w.tmp, slice, w.base) != (ssize_t)slice)
			fail(CHK_ERRNO, "final pread: %s", strerror(errno));
		else
			check_bytes(&w, "final pread", w.tmp, w.base, slice);
	}
	if (w.fd >= 0)
		close(w.fd);
	if (w.rofd >= 0)
		close(w.rofd);
	return 0;
}

/* ---- resizer ---- */

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t random_size(uint64_t *rng)
{
	uint64_t s = min_size + below(rng, max_size - min_size + 1);

	/* mostly whole pages, sometimes a size RESIZE must round up */
	if (below(rng, 4))
		s &= ~(PS - 1);
	if (s < min_size)
		s = min_size;
	if (page_align(s) > max_size)
		s = max_size;
	return s;
}

/* close the gate, wait for every worker to park, resize, open the gate */
static void gated_resize(int fd, uint64_t *rng, uint64_t gen)
{
	uint64_t deadline = now_ns() + 20000000000ULL, s;
	struct mmio_shm_info_args info;
	unsigned int i;

	__atomic_store_n(&sh->gate, gen, __ATOMIC_SEQ_CST);
	for (i = 0; i < nprocs; i++) {
		while (!stopping()) {
			uint64_t p = __atomic_load_n(&sh->parked[i], __ATOMIC_SEQ_CST);

			if (p == gen || p == PARKED_DONE)
				break;
			if (now_ns() > deadline) {
				sh->gate_timeouts++;
				goto out;
			}
			sleep_ms(1);
		}
	}
	if (stopping())
		goto out;
	s = random_size(rng);
	if (shm_ioctl_resize(fd, s)) {
		if (errno == EBUSY && sh->skip_gate)
			goto out;
		fail(CHK_RESIZE, "gated RESIZE to %llu: %s",
		     (unsigned long long)s, strerror(errno));
		goto out;
	}
	count(OP_GATED_RESIZE);
	if (shm_ioctl_info(fd, &info))
		fail(CHK_ERRNO, "INFO: %s", strerror(errno));
	else if (info.buf_size != page_align(s))
		fail(CHK_RESIZE, "RESIZE to %llu left size %llu",
		     (unsigned long long)s, (unsigned long long)info.buf_size);
out:
	__atomic_store_n(&sh->gate, 0, __ATOMIC_SEQ_CST);
}

static int resizer(void)
{
	uint64_t rng = seed ^ 0xfeedfaceULL, gen = 0;
	uint64_t start = now_ns(), next_gate;
	uint64_t s;
	int fd;

	who = nprocs;
	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(CHK_ERRNO, "open: %s", strerror(errno));
		return 1;
	}
	/* the first gate early, then about every two seconds */
	next_gate = start + 500000000ULL;
	while (!stopping()) {
		sleep_ms(5 + below(&rng, 50));
		if (now_ns() >= next_gate) {
			gated_resize(fd, &rng, ++gen);
			next_gate = now_ns() + 1000000000ULL +
				    below(&rng, 2000000000ULL);
			continue;
		}
		s = random_size(&rng);
		if (!shm_ioctl_resize(fd, s))
			count(OP_RESIZE_OK);
		else if (errno == EBUSY)
			count(OP_RESIZE_BUSY);
		else
			fail(CHK_ERRNO, "RESIZE to %llu: %s",
			     (unsigned long long)s, strerror(errno));
	}
	close(fd);
	return 0;
}

/* ---- parent ---- */

static void try_rmmod(void)
{
	if (sh->skip_rmmod)
		return;
	if (!sys_delete_module("mmio_shm", O_NONBLOCK)) {
		fail(CHK_RMMOD, "delete_module succeeded while the device is open");
		sh->skip_rmmod = 1;
		return;
	}
	if (errno == EWOULDBLOCK || errno == EBUSY) {
		count(OP_RMMOD);
		return;
	}
	if (errno == EPERM || errno == ENOENT) {
		say("# rmmod attempts skipped: delete_module: %s", strerror(errno));
		sh->skip_rmmod = 1;
		return;
	}
	fail(CHK_RMMOD, "delete_module: %s, expected EWOULDBLOCK", strerror(errno));
}

static long long sysfs_num(const char *attr)
{
	const char *name = strrchr(dev_path, '/');
	char path[256], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/%s",
		 name ? name + 1 : dev_path, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void usage(const char *prog, FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"Stress /dev/mmio_shm from several processes for a bounded time.\n"
		"\n"
		"Options:\n"
		"  -d, --device PATH   device node (default /dev/mmio_shm)\n"
		"  -p, --procs N       worker processes, 1-%d (default 4)\n"
		"  -t, --seconds N     run time in seconds (default 30)\n"
		"  -s, --seed N        random seed (default: from the clock, printed)\n"
		"  -h, --help          this text\n",
		prog, MAX_PROCS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmio_shm_info_args info;
	pid_t pids[MAX_PROCS + 1];
	int alive[MAX_PROCS + 1];
	uint64_t end, totals[NR_OPS] = { 0 }, total = 0, nopen0;
	unsigned int i, j, running, failed_cases = 0, skipped_cases = 0;
	int c, guard, status, seeded = 0;
	char line[512];
	size_t n;

	while ((c = getopt_long(argc, argv, "d:p:t:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev_path = optarg; break;
		case 'p': nprocs = strtoul(optarg, NULL, 0); break;
		case 't': seconds = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); seeded = 1; break;
		case 'h': usage(argv[0], stdout); return 0;
		default:
			fprintf(stderr, "try %s --help\n", argv[0]);
			return 2;
		}
	}
	if (!nprocs || nprocs > MAX_PROCS || !seconds) {
		fprintf(stderr, "%s: --procs 1-%d, --seconds > 0\n", argv[0], MAX_PROCS);
		return 2;
	}
	if (!seeded)
		seed = now_ns() ^ ((uint64_t)getpid() << 32);
	setvbuf(stdout, NULL, _IONBF, 0);

	say("TAP version 13");
	say("1..%d", NR_CHECKS);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		say("Bail out! mmap: %s", strerror(errno));
		return 1;
	}

	/* held open from start to end: rmmod must fail all along */
	guard = open(dev_path, O_RDWR | O_CLOEXEC);
	if (guard < 0) {
		say("Bail out! open %s: %s", dev_path, strerror(errno));
		return 1;
	}
	if (shm_ioctl_info(guard, &info)) {
		say("Bail out! INFO: %s", strerror(errno));
		return 1;
	}
	size0 = info.buf_size;
	nopen0 = info.nr_open;
	slice = size0 / 4 / nprocs / PS * PS;
	if (!slice) {
		say("Bail out! a %zu-byte buffer is too small for %u workers", size0,
		    nprocs);
		return 1;
	}
	checked = nprocs * slice;
	min_size = page_align(size0 / 2);
	if (min_size < checked + PS)
		min_size = checked + PS;
	max_size = 2 * size0;
	if (info.nr_maps) {
		say("# something else maps the device: gated resizes may be busy");
		sh->skip_gate = 1;
	}
	say("# seed %llu, %u worker processes + resizer, %u s, device %s",
	    (unsigned long long)seed, nprocs, seconds, dev_path);
	say("# buffer %zu bytes: %u checked slices of %zu bytes, size kept in %zu..%zu",
	    size0, nprocs, slice, min_size, max_size);

	for (i = 0; i <= nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			say("Bail out! fork: %s", strerror(errno));
			sh->stop = 1;
			return 1;
		}
		if (!pids[i]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(guard);
			_exit(i < nprocs ? worker(i) : resizer());
		}
		alive[i] = 1;
	}

	end = now_ns() + (uint64_t)seconds * 1000000000ULL;
	running = nprocs + 1;
	while (now_ns() < end && running) {
		sleep_ms(200);
		try_rmmod();
		for (i = 0; i <= nprocs; i++) {
			if (!alive[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			alive[i] = 0;
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				fail(CHK_EXIT, "%s %u ended early: status %#x",
				     i < nprocs ? "worker" : "resizer", i, status);
		}
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);

	/* a worker stuck in the kernel is a failure, not a hang */
	end = now_ns() + 60000000000ULL;
	while (running) {
		for (i = 0; i <= nprocs; i++) {
			if (!alive[i] || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			alive[i] = 0;
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				fail(CHK_EXIT, "%s %u: status %#x (%s)",
				     i < nprocs ? "worker" : "resizer", i, status,
				     WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
				     "exit");
		}
		if (!running)
			break;
		if (now_ns() > end) {
			for (i = 0; i <= nprocs; i++) {
				if (!alive[i])
					continue;
				fail(CHK_EXIT, "process %d still running 60 s after the end: killed",
				     pids[i]);
				kill(pids[i], SIGKILL);
				waitpid(pids[i], &status, 0);
				alive[i] = 0;
			}
			break;
		}
		sleep_ms(50);
	}
	try_rmmod();

	/* afterwards: nothing mapped, only the guard open, resizable back */
	if (shm_ioctl_info(guard, &info)) {
		fail(CHK_FINAL, "INFO: %s", strerror(errno));
	} else {
		if (info.nr_maps)
			fail(CHK_FINAL, "%u mappings left after every process ended",
			     info.nr_maps);
		if (info.nr_open != nopen0)
			fail(CHK_FINAL, "%u open files after the run, %llu before",
			     info.nr_open, (unsigned long long)nopen0);
		if (sysfs_num("mappings") > 0)
			fail(CHK_FINAL, "sysfs mappings is %lld", sysfs_num("mappings"));
	}
	if (shm_ioctl_resize(guard, size0))
		fail(CHK_FINAL, "RESIZE back to %zu: %s", size0, strerror(errno));
	else if (shm_ioctl_info(guard, &info) || info.buf_size != size0)
		fail(CHK_FINAL, "size after RESIZE back: %llu",
		     (unsigned long long)info.buf_size);
	close(guard);

	for (i = 0; i < MAX_PROCS + 2; i++)
		for (j = 0; j < NR_OPS; j++)
			totals[j] += sh->ops[i][j];
	n = 0;
	line[0] = '\0';
	for (j = 0; j < NR_OPS; j++) {
		total += totals[j];
		n += snprintf(line + n, sizeof(line) - n, " %s=%llu", op_names[j],
			      (unsigned long long)totals[j]);
		if (n > 60 || j == NR_OPS - 1) {
			say("# ops:%s", line);
			n = 0;
			line[0] = '\0';
		}
	}
	say("# total %llu operations in %u s by %u processes (%.0f/s)",
	    (unsigned long long)total, seconds, nprocs + 2, (double)total / seconds);
	if (sh->gate_timeouts)
		say("# %llu gates timed out waiting for the workers to unmap",
		    (unsigned long long)sh->gate_timeouts);
	if (sh->msgs > MAX_MSGS)
		say("# %u more failure messages not shown", sh->msgs - MAX_MSGS);

	/* a run without a single gated resize has not tested resizing */
	if (!totals[OP_GATED_RESIZE] && !sh->skip_gate && !sh->fails[CHK_RESIZE])
		fail(CHK_RESIZE, "no gated resize happened in %u s", seconds);
	/* nor has one without a byte read back, a wake-up or a refused rmmod */
	if (!totals[OP_MAP_VERIFY] && !totals[OP_PREAD] && !totals[OP_SHARED_RW])
		fail(CHK_BYTES, "no byte was read back in %u s", seconds);
	if (!totals[OP_WAIT_OK] || !totals[OP_NOTIFY])
		fail(CHK_DOORBELL, "%llu rings and %llu woken waits in %u s: the doorbell was not tried",
		     (unsigned long long)totals[OP_NOTIFY],
		     (unsigned long long)totals[OP_WAIT_OK], seconds);
	if (!totals[OP_RMMOD] && !sh->skip_rmmod && !sh->fails[CHK_RMMOD])
		fail(CHK_RMMOD, "no rmmod was tried while in use in %u s", seconds);

	for (c = 0; c < NR_CHECKS; c++) {
		if (c == CHK_RMMOD && sh->skip_rmmod && !sh->fails[c]) {
			say("ok %d %s # SKIP not allowed to call delete_module", c + 1,
			    check_names[c]);
			skipped_cases++;
			continue;
		}
		if (c == CHK_RESIZE && sh->skip_gate && !sh->fails[c]) {
			say("ok %d %s # SKIP another process maps the device", c + 1,
			    check_names[c]);
			skipped_cases++;
			continue;
		}
		if (sh->fails[c]) {
			failed_cases++;
			say("not ok %d %s # %lu failures", c + 1, check_names[c],
			    sh->fails[c]);
		} else {
			say("ok %d %s", c + 1, check_names[c]);
		}
	}
	say("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0",
	    NR_CHECKS - failed_cases - skipped_cases, failed_cases, skipped_cases);
	return failed_cases ? 1 : 0;
}
