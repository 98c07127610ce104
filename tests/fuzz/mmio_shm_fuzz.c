// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm_fuzz - a structure-aware fuzzer for /dev/mmio_shm
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * One process, alone on the device, calls what the device serves with
 * random arguments shaped after its interface: the five ioctls with every
 * kind of size field (0, short, exact, longer with a zero or non-zero
 * tail, more than a page), flags, reserved words, sizes, ranges and
 * deadlines, placed at good and bad addresses (NULL, kernel, unmapped,
 * read-only, straddling an unmapped page); open with every access mode;
 * read/write/pread/pwrite/lseek/poll; mmap with random ranges, protections
 * and flags, then munmap, mremap, mprotect and madvise on parts of those
 * mappings; fork with mappings alive.
 *
 * Every result is compared with a model of the driver and of the kernel
 * paths in front of it (fs/ioctl.c, fs/read_write.c, mm/mmap.c,
 * mm/mremap.c, mm/mprotect.c, mm/madvise.c of 6.1): the exact errno where
 * the model knows it, a small set where the kernel may legitimately
 * differ (huge lengths, THP collapse). The model holds:
 *
 *  - a shadow copy of the whole buffer, updated by every write, ZERO,
 *    RESIZE, MADV_REMOVE and store through a shared mapping, so that every
 *    read and every load from a shared mapping is checked byte for byte;
 *  - the size, the doorbell sequence and what each open file has seen of
 *    it (so poll() is exact), each file's position and access mode;
 *  - the process's mappings, read back from /proc/self/smaps after every
 *    call that changes them: every mapping of the buffer must lie inside
 *    it, and their number must be what INFO and sysfs report.
 *
 * At the end (and alone, with --smoke, after another tool ran) the device
 * must still work: resize back, map, write, read back, zero, unmap.
 *
 * The regression cases (--regress, run first) pin down behaviour that was
 * once wrong; see regressions() below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/mmio_shm.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif

#define PS		4096UL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* TASK_SIZE_MAX on x86-64 with 4-level page tables: the access_ok() limit */
#define USER_LIMIT	0x7ffffffff000UL
/* MAX_RW_COUNT: what one read or write moves at most */
#define MAX_RW		(0x7fffffffUL & ~(PS - 1))
#define KTIME_MAX_NS	((uint64_t)INT64_MAX)
/* the arena: a reserved range where MAP_FIXED and MREMAP_FIXED may land */
#define ARENA_LEN	(64UL << 20)
#define MAX_FDS		6
#define MAX_VMAS	512
#define MAX_MSGS	40

/* KTAP cases */
enum check {
	C_REGRESS,
	C_RESULTS,
	C_DATA,
	C_VMAS,
	C_COUNTERS,
	C_FINAL,
	NC
};

static const char *const check_names[NC] = {
	[C_REGRESS]	= "fuzz_regressions",
	[C_RESULTS]	= "fuzz_results_match_the_model",
	[C_DATA]	= "fuzz_data_matches_the_shadow",
	[C_VMAS]	= "fuzz_mappings_stay_inside_the_buffer",
	[C_COUNTERS]	= "fuzz_counters_match",
	[C_FINAL]	= "fuzz_device_works_afterwards",
};

/* executions, per kind */
enum exec {
	X_IOCTL, X_IOCTL_BAD_CMD, X_OPEN, X_CLOSE, X_READ, X_WRITE, X_LSEEK,
	X_POLL, X_MMAP, X_MUNMAP, X_MREMAP, X_MPROTECT, X_MADVISE, X_LOAD,
	X_STORE, X_FORK, X_SIGNAL, NX
};

static const char *const exec_names[NX] = {
	[X_IOCTL] = "ioctl", [X_IOCTL_BAD_CMD] = "ioctl_unknown_cmd",
	[X_OPEN] = "open", [X_CLOSE] = "close", [X_READ] = "read",
	[X_WRITE] = "write", [X_LSEEK] = "lseek", [X_POLL] = "poll",
	[X_MMAP] = "mmap", [X_MUNMAP] = "munmap", [X_MREMAP] = "mremap",
	[X_MPROTECT] = "mprotect", [X_MADVISE] = "madvise", [X_LOAD] = "load",
	[X_STORE] = "store", [X_FORK] = "fork", [X_SIGNAL] = "interrupted_wait",
};

static unsigned long fails[NC];
static unsigned long skips[NC];
static unsigned long execs[NX];
static unsigned int msgs;
static unsigned long iter;
static unsigned long results[2];	/* checked calls that succeeded, failed */

static const char *dev_path = "/dev/mmio_shm";
static const char *dev_name = "mmio_shm";
static uint64_t rng;
static size_t size0;		/* size at start, restored at the end */
static size_t cap;		/* largest size RESIZE may actually reach */
static uint64_t limit;		/* the driver's cap on all buffers */
static size_t model_size;
static uint64_t model_seq;
static uint8_t *shadow;		/* what the buffer holds: cap bytes */
static uint8_t *iobuf;		/* read/write buffer: cap + a page */
static int ctl_fd = -1;		/* O_RDWR, open all along: INFO, checks */
static int noexec;		/* the node's mount is noexec */

/* ---- helpers ---- */

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int one_in(unsigned int n);

/* a flag (or flags) set with a chance of one in @one_in */
struct maybe_flag {
	unsigned int one_in;
	int flags;
};

/* the flags of @t that one_in() picks, drawn in @t's order */
static int maybe_flags(const struct maybe_flag *t, size_t n)
{
	int flags = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (one_in(t[i].one_in))
			flags |= t[i].flags;
	return flags;
}

static int one_in(unsigned int n)
{
	return !below(n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t page_align(uint64_t v)
{
	return (v + PS - 1) & ~(PS - 1);
}

static void fill_random(uint8_t *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = rnd();
		p[i] = v >> ((i & 7) * 8);
	}
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void __attribute__((format(printf, 2, 3))) bad(enum check c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	fails[c]++;
	if (msgs++ >= MAX_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("# FAIL %s (iteration %lu): %s", check_names[c], iter, msg);
}

static const char *ename(int e)
{
	static char buf[8][32];
	static int n;

	if (!e)
		return "success";
	n = (n + 1) % 8;
	snprintf(buf[n], sizeof(buf[n]), "%s", strerrorname_np(e) ?
		 strerrorname_np(e) : "?");
	return buf[n];
}

/* a set of results a call may legitimately give; 0 is success */
struct exp {
	int n;
	int e[8];
};

static struct exp exp1(int e)
{
	struct exp x = { 1, { e } };

	return x;
}

static void exp_add(struct exp *x, int e)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->e[i] == e)
			return;
	if (x->n < 8)
		x->e[x->n++] = e;
}

static int exp_has(const struct exp *x, int e)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (x->e[i] == e)
			return 1;
	return 0;
}

static const char *exp_str(const struct exp *x)
{
	static char buf[128];
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < x->n; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "|" : "",
			      ename(x->e[i]));
	return buf;
}

/* compare a result with the set; returns the errno seen (0: success) */
static int check_result(const char *what, long ret, int err, const struct exp *x)
{
	int got = ret < 0 ? err : 0;

	results[!!got]++;
	if (!exp_has(x, got))
		bad(C_RESULTS, "%s: %s, expected %s", what, ename(got), exp_str(x));
	return got;
}

/* ---- memory we fuzz pointers with ---- */

/*
 * argmem: [RW][RW][NONE][RO][NONE]. Arguments are placed in the RW pages,
 * straddling into the NONE page, or in the RO page.
 */
static uint8_t *argmem;
#define ARG_RW		(argmem)
#define ARG_GUARD	(argmem + 2 * PS)
#define ARG_RO		(argmem + 3 * PS)

static int in_range(uintptr_t p, size_t n, const uint8_t *b, size_t blen)
{
	return p >= (uintptr_t)b && n <= blen && p - (uintptr_t)b <= blen - n;
}

static int readable(uintptr_t p, size_t n)
{
	return !n || in_range(p, n, ARG_RW, 2 * PS) || in_range(p, n, ARG_RO, PS);
}

static int writable(uintptr_t p, size_t n)
{
	return !n || in_range(p, n, ARG_RW, 2 * PS);
}

static void ro_write(size_t off, const void *src, size_t n)
{
	mprotect(ARG_RO, PS, PROT_READ | PROT_WRITE);
	memcpy(ARG_RO + off, src, n);
	mprotect(ARG_RO, PS, PROT_READ);
}

/* kinds of bad address, all outside argmem */
static uintptr_t bad_address(void)
{
	static const uintptr_t addrs[] = {
		0, 8, 4095, 0xffffffff81000000UL, 0xffff888000000000UL,
		0x800000000000UL, 0x8000000000000000UL, USER_LIMIT,
	};

	if (one_in(4))
		return (uintptr_t)ARG_GUARD + below(PS);
	return addrs[below(sizeof(addrs) / sizeof(addrs[0]))];
}

/*
 * Put @n bytes of @img somewhere: mostly in the RW pages, sometimes
 * straddling the guard page, in the RO page, or nowhere (a bad address).
 */
static uintptr_t place(const uint8_t *img, size_t n)
{
	uintptr_t p;
	size_t k;

	switch (below(16)) {
	case 0:
	case 1:		/* straddle: the first k bytes readable, the rest not */
		k = n > 1 ? 1 + below(n - 1) : 1;
		p = (uintptr_t)ARG_GUARD - k;
		memcpy((void *)p, img, k);
		return p;
	case 2:		/* read-only */
		k = below(PS - n + 1);
		ro_write(k, img, n);
		return (uintptr_t)ARG_RO + k;
	case 3:
		return bad_address();
	default:
		p = (uintptr_t)ARG_RW + below(2 * PS - n + 1);
		memcpy((void *)p, img, n);
		return p;
	}
}

/* ---- the open files ---- */

enum acc { A_RDONLY, A_WRONLY, A_RDWR, A_NONE, A_PATH };

struct fdent {
	int fd;
	unsigned int file;	/* which open file: mappings keep it alive */
	enum acc acc;
	int append;
	uint64_t seen;		/* doorbell sequence this file saw last */
	int64_t pos;		/* file position */
};

static struct fdent fds[MAX_FDS];
static int nfds;
static unsigned int next_file = 1;

static int can_read(const struct fdent *f)
{
	return f->acc == A_RDONLY || f->acc == A_RDWR;
}

static int can_write(const struct fdent *f)
{
	return f->acc == A_WRONLY || f->acc == A_RDWR;
}

/* a file to call something on: one of ours, or now and then a bad fd */
static struct fdent bad_fd = { .fd = -1, .acc = A_PATH };

static struct fdent *pick_fd(void)
{
	if (!nfds || one_in(40)) {
		bad_fd.fd = one_in(2) ? -1 : 1000 + below(1000);
		return &bad_fd;
	}
	return &fds[below(nfds)];
}

/* an fd that may mmap and read: RDWR preferred */
static struct fdent *pick_fd_rw(void)
{
	int i, start = below(nfds ? nfds : 1);

	for (i = 0; i < nfds; i++)
		if (fds[(start + i) % nfds].acc == A_RDWR)
			return &fds[(start + i) % nfds];
	return NULL;
}

/* ---- the process's mappings, from /proc/self/smaps ---- */

struct vma {
	uintptr_t start, end;
	uint64_t off;
	int r, w, x, s;		/* permissions as maps shows them */
	int dev;		/* a mapping of the buffer */
	int sh, mw, me, dc;	/* VmFlags: VM_SHARED, MAYWRITE, MAYEXEC, DONTCOPY */
	int arena;		/* the PROT_NONE reservation of the arena */
};

static struct vma vmas[MAX_VMAS];
static int nvmas;
static unsigned int ndev;	/* how many map the buffer */
static uint8_t *arena;
static char map_suffix[64];	/* how smaps names the buffer */
static int vmas_stale = 1;	/* a call may have changed the mappings */

/*
 * Which open file each mapping of the buffer was made through: a mapping
 * keeps its file open after the fd is closed, so the driver's count of
 * open files is the fds plus the files only mappings still hold.
 */
struct track {
	uintptr_t start, end;
	unsigned int file;
};

#define MAX_TRACKS	1024
static struct track tracks[MAX_TRACKS];
static int ntracks;

static void track_remove(uintptr_t s, uintptr_t e)
{
	struct track keep[MAX_TRACKS];
	int i, n = 0;

	for (i = 0; i < ntracks; i++) {
		struct track t = tracks[i];

		if (t.end <= s || t.start >= e) {
			keep[n++] = t;
			continue;
		}
		if (t.start < s && n < MAX_TRACKS)
			keep[n++] = (struct track){ t.start, s, t.file };
		if (t.end > e && n < MAX_TRACKS)
			keep[n++] = (struct track){ e, t.end, t.file };
	}
	memcpy(tracks, keep, n * sizeof(keep[0]));
	ntracks = n;
}

static void track_add(uintptr_t s, uintptr_t e, unsigned int file)
{
	track_remove(s, e);
	if (ntracks < MAX_TRACKS)
		tracks[ntracks++] = (struct track){ s, e, file };
}

/* mremap moved [from, from + len) to @to */
static void track_move(uintptr_t from, size_t len, uintptr_t to)
{
	struct track moved[MAX_TRACKS];
	int i, n = 0;

	for (i = 0; i < ntracks; i++) {
		struct track t = tracks[i];
		uintptr_t s = t.start > from ? t.start : from;
		uintptr_t e = t.end < from + len ? t.end : from + len;

		if (s < e)
			moved[n++] = (struct track){ s - from + to, e - from + to, t.file };
	}
	track_remove(from, from + len);
	track_remove(to, to + len);
	for (i = 0; i < n && ntracks < MAX_TRACKS; i++)
		tracks[ntracks++] = moved[i];
}

/* files the driver counts as open: fds but O_PATH ones, mapped files, ctl_fd */
static unsigned int model_open(void)
{
	unsigned int ids[MAX_FDS + MAX_TRACKS], n = 0, i, j, id;

	for (i = 0; i < (unsigned int)nfds + ntracks; i++) {
		if (i < (unsigned int)nfds) {
			if (fds[i].acc == A_PATH)
				continue;
			id = fds[i].file;
		} else {
			id = tracks[i - nfds].file;
		}
		for (j = 0; j < n && ids[j] != id; j++)
			;
		if (j == n)
			ids[n++] = id;
	}
	return n + (ctl_fd >= 0);
}

static void parse_vmas(void)
{
	char line[512], path[256];
	struct vma *v = NULL;
	FILE *f = fopen("/proc/self/smaps", "r");

	vmas_stale = 0;
	nvmas = 0;
	ndev = 0;
	if (!f) {
		bad(C_VMAS, "open /proc/self/smaps: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		unsigned long long off;
		char perms[8];
		int n = 0;

		if (sscanf(line, "%lx-%lx %7s %llx %*x:%*x %*u %n", &start, &end,
			   perms, &off, &n) >= 4 && n) {
			if (nvmas == MAX_VMAS) {
				v = NULL;
				continue;
			}
			v = &vmas[nvmas++];
			memset(v, 0, sizeof(*v));
			v->start = start;
			v->end = end;
			v->off = off;
			v->r = perms[0] == 'r';
			v->w = perms[1] == 'w';
			v->x = perms[2] == 'x';
			v->s = perms[3] == 's';
			path[0] = '\0';
			sscanf(line + n, "%255[^\n]", path);
			v->dev = strstr(path, map_suffix) != NULL &&
				 strlen(path) - strlen(strstr(path, map_suffix)) <= 1;
			v->arena = !path[0] && !v->r && !v->w && !v->x &&
				   start >= (uintptr_t)arena &&
				   end <= (uintptr_t)arena + ARENA_LEN;
			ndev += v->dev;
			continue;
		}
		if (v && !strncmp(line, "VmFlags:", 8)) {
			v->sh = strstr(line, " sh") != NULL;
			v->mw = strstr(line, " mw") != NULL;
			v->me = strstr(line, " me") != NULL;
			v->dc = strstr(line, " dc") != NULL;
		}
	}
	fclose(f);
}

/* the mappings as they are now */
static void read_vmas(void)
{
	if (vmas_stale)
		parse_vmas();
}

/* drop what no mapping of the buffer covers any more */
static void track_reconcile(void)
{
	struct track keep[MAX_TRACKS];
	int i, j, n = 0;

	for (i = 0; i < ntracks; i++) {
		for (j = 0; j < nvmas; j++) {
			uintptr_t s, e;

			if (!vmas[j].dev)
				continue;
			s = tracks[i].start > vmas[j].start ? tracks[i].start : vmas[j].start;
			e = tracks[i].end < vmas[j].end ? tracks[i].end : vmas[j].end;
			if (s < e && n < MAX_TRACKS)
				keep[n++] = (struct track){ s, e, tracks[i].file };
		}
	}
	memcpy(tracks, keep, n * sizeof(keep[0]));
	ntracks = n;
}

/* the VMA holding @a, or NULL */
static struct vma *vma_at(uintptr_t a)
{
	int i;

	for (i = 0; i < nvmas; i++)
		if (a >= vmas[i].start && a < vmas[i].end)
			return &vmas[i];
	return NULL;
}

static struct vma *pick_dev_vma(void)
{
	int i, start;

	if (!ndev)
		return NULL;
	start = below(nvmas);
	for (i = 0; i < nvmas; i++)
		if (vmas[(start + i) % nvmas].dev)
			return &vmas[(start + i) % nvmas];
	return NULL;
}

/* [a, a+len) touches only device mappings, the arena reservation or holes */
static int safe_target(uintptr_t a, size_t len)
{
	int i;

	for (i = 0; i < nvmas; i++) {
		if (vmas[i].end <= a || vmas[i].start >= a + len)
			continue;
		if (!vmas[i].dev && !vmas[i].arena)
			return 0;
	}
	return 1;
}

/* something is mapped in [a, a+len) */
static int intersects(uintptr_t a, size_t len)
{
	int i;

	for (i = 0; i < nvmas; i++)
		if (vmas[i].start < a + len && vmas[i].end > a)
			return 1;
	return 0;
}

/* a page-aligned range of @pages pages in the arena that is safe to replace */
static uintptr_t arena_target(size_t len)
{
	int tries;

	if (len > ARENA_LEN)
		return 0;
	for (tries = 0; tries < 8; tries++) {
		uintptr_t a = (uintptr_t)arena +
			      below((ARENA_LEN - len) / PS + 1) * PS;

		if (safe_target(a, len))
			return a;
	}
	return 0;
}

/*
 * After every call that may change the mappings: each mapping of the
 * buffer lies inside it, and the driver counts as many as there are.
 */
static void check_vmas(const char *after)
{
	struct mmio_shm_info_args info;
	int i;

	parse_vmas();
	track_reconcile();
	for (i = 0; i < nvmas; i++) {
		struct vma *v = &vmas[i];

		if (!v->dev)
			continue;
		if (v->off % PS || v->off + (v->end - v->start) > model_size)
			bad(C_VMAS, "after %s: mapping %#lx-%#lx at offset %#llx reaches past the %zu-byte buffer",
			    after, v->start, v->end, (unsigned long long)v->off,
			    model_size);
	}
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(ctl_fd, MMIO_SHM_IOC_INFO, &info))
		bad(C_RESULTS, "INFO: %s", strerror(errno));
	else if (info.nr_maps != ndev || info.nr_open != model_open())
		bad(C_COUNTERS, "after %s: INFO counts %u mappings and %u open files, model %u and %u",
		    after, info.nr_maps, info.nr_open, ndev, model_open());
}

/* an mmap-family call was made: counted, and the VMAs are read again */
static void vm_changed(int id)
{
	vmas_stale = 1;
	execs[id]++;
}

/* the same, then its result against @want and the mappings, for @call */
static void vm_checked(int id, const char *call, const char *what, long ret,
		       int err, int want)
{
	vm_changed(id);
	check_result(what, ret, err, &(struct exp){ 1, { want } });
	check_vmas(call);
}

/* ---- loads and stores that may fault ---- */

static sigjmp_buf probe_env;
static volatile sig_atomic_t probing;
static volatile sig_atomic_t alarms;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (probing) {
		probing = 0;
		siglongjmp(probe_env, sig);
	}
	signal(sig, SIG_DFL);
}

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* load a byte from @p into *@v, or store *@v there; returns 0 or the signal that hit */
static int probe_byte(volatile uint8_t *p, uint8_t *v, bool write)
{
	int sig;

	execs[write ? X_STORE : X_LOAD]++;
	sig = sigsetjmp(probe_env, 1);
	if (sig)
		return sig;
	probing = 1;
	if (write)
		*p = *v;
	else
		*v = *p;
	probing = 0;
	return 0;
}

static int load(volatile uint8_t *p, uint8_t *out)
{
	return probe_byte(p, out, false);
}

static int store(volatile uint8_t *p, uint8_t v)
{
	return probe_byte(p, &v, true);
}

/* ---- the model's view of INFO, checked now and then ---- */

static long long sysfs_num(const char *attr)
{
	char path[256], buf[64];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/%s", dev_name, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void check_counters(void)
{
	struct mmio_shm_info_args info;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(ctl_fd, MMIO_SHM_IOC_INFO, &info)) {
		bad(C_RESULTS, "INFO: %s", strerror(errno));
		return;
	}
	if (info.buf_size != model_size || info.seq != model_seq ||
	    info.nr_open != model_open() || info.nr_maps != ndev)
		bad(C_COUNTERS, "INFO size %llu seq %llu open %u maps %u, model %zu %llu %u %u",
		    (unsigned long long)info.buf_size,
		    (unsigned long long)info.seq, info.nr_open, info.nr_maps,
		    model_size, (unsigned long long)model_seq,
		    model_open(), ndev);
	if (sysfs_num("size") != (long long)model_size ||
	    sysfs_num("doorbell_seq") != (long long)model_seq ||
	    sysfs_num("mappings") != ndev ||
	    sysfs_num("open_files") != model_open())
		bad(C_COUNTERS, "sysfs size %lld doorbell_seq %lld mappings %lld open_files %lld, model %zu %llu %u %u",
		    sysfs_num("size"), sysfs_num("doorbell_seq"),
		    sysfs_num("mappings"), sysfs_num("open_files"), model_size,
		    (unsigned long long)model_seq, ndev, model_open());
}

/* the whole buffer, read with pread, against the shadow */
static void check_all_data(const char *when)
{
	ssize_t n;
	size_t i;

	n = pread(ctl_fd, iobuf, model_size, 0);
	if (n != (ssize_t)model_size) {
		bad(C_RESULTS, "pread of the whole buffer: %zd (%s)", n,
		    strerror(errno));
		return;
	}
	if (!memcmp(iobuf, shadow, model_size))
		return;
	for (i = 0; iobuf[i] == shadow[i]; i++)
		;
	bad(C_DATA, "%s: byte %zu is %#x, expected %#x", when, i, iobuf[i],
	    shadow[i]);
	/* one report per difference is enough: take the device's word */
	memcpy(shadow, iobuf, model_size);
}

/*
 * Bytes that must be what they are: nonzero marks on both sides of a
 * range about to be written or zeroed, and the check afterwards that the
 * range and its sides hold what the shadow says. An operation that
 * touches one byte too many or too few is caught at once.
 */
static void mark_edges(uint64_t start, uint64_t end)
{
	uint8_t m = 0x80 | rnd();

	if (start > 0 && start - 1 < model_size &&
	    pwrite(ctl_fd, &m, 1, start - 1) == 1)
		shadow[start - 1] = m;
	if (end < model_size && pwrite(ctl_fd, &m, 1, end) == 1)
		shadow[end] = m;
}

static void check_span(const char *what, uint64_t start, uint64_t end,
		       uint64_t s, uint64_t e)
{
	uint64_t i;

	if (s >= e)
		return;
	if (pread(ctl_fd, iobuf, e - s, s) != (ssize_t)(e - s)) {
		bad(C_RESULTS, "pread %llu+%llu: %s", (unsigned long long)s,
		    (unsigned long long)(e - s), strerror(errno));
		return;
	}
	if (!memcmp(iobuf, shadow + s, e - s))
		return;
	for (i = 0; iobuf[i] == shadow[s + i]; i++)
		;
	bad(C_DATA, "after %s of [%llu, %llu): byte %llu is %#x, expected %#x",
	    what, (unsigned long long)start, (unsigned long long)end,
	    (unsigned long long)(s + i), iobuf[i], shadow[s + i]);
	memcpy(shadow + s, iobuf, e - s);
}

/* the byte before, the first and last page of the range, the byte after */
static void check_edges(const char *what, uint64_t start, uint64_t end)
{
	uint64_t s = start ? start - 1 : 0;
	uint64_t e = end < model_size ? end + 1 : model_size;

	if (e - s <= 2 * PS + 2) {
		check_span(what, start, end, s, e);
		return;
	}
	check_span(what, start, end, s, s + PS + 1);
	check_span(what, start, end, e - PS - 1, e);
}

/* ---- ioctl ---- */

/*
 * copy_struct_from_user()'s check of the bytes past the kernel's struct,
 * as check_zeroed_user() does it: aligned words, first to last, stopping
 * at the first that faults (EFAULT) or holds a non-zero byte (E2BIG).
 */
static int tail_result(uintptr_t from, size_t size)
{
	uintptr_t a, b, end = from + size;

	for (a = from & ~7UL; a < end; a += 8) {
		if (!readable(a, 8))
			return EFAULT;
		for (b = a; b < a + 8; b++)
			if (b >= from && b < end && *(const uint8_t *)b)
				return E2BIG;
	}
	return 0;
}

enum { I_INFO, I_RESIZE, I_ZERO, I_NOTIFY, I_WAIT, NCMDS };

/*
 * The numbers the driver knows: these five, then BIND and PEER (1.1),
 * which are endpoint_test.c's: a bound file rings the doorbell when it is
 * closed, which the model does not follow. Random commands avoid them all.
 */
#define NR_KNOWN	(MMIO_SHM_IOC_PEER - MMIO_SHM_IOC_INFO + 1)

static const struct {
	unsigned int cmd;
	uint32_t ksize;
	const char *name;
} cmds[NCMDS] = {
	[I_INFO]   = { MMIO_SHM_IOC_INFO, sizeof(struct mmio_shm_info_args), "INFO" },
	[I_RESIZE] = { MMIO_SHM_IOC_RESIZE, sizeof(struct mmio_shm_resize_args), "RESIZE" },
	[I_ZERO]   = { MMIO_SHM_IOC_ZERO, sizeof(struct mmio_shm_zero_args), "ZERO" },
	[I_NOTIFY] = { MMIO_SHM_IOC_NOTIFY, sizeof(struct mmio_shm_notify_args), "NOTIFY" },
	[I_WAIT]   = { MMIO_SHM_IOC_WAIT, sizeof(struct mmio_shm_wait_args), "WAIT" },
};

/* commands fs/ioctl.c answers itself, before the driver sees them */
static int vfs_cmd(unsigned int cmd)
{
	static const unsigned int vfs[] = {
		FIOCLEX, FIONCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIFREEZE,
		FITHAW, FS_IOC_FIEMAP, FIGETBSZ, FICLONE, FICLONERANGE,
		FIDEDUPERANGE, FS_IOC_GETFLAGS, FS_IOC_SETFLAGS,
		FS_IOC_FSGETXATTR, FS_IOC_FSSETXATTR,
	};
	size_t i;

	for (i = 0; i < sizeof(vfs) / sizeof(vfs[0]); i++)
		if (cmd == vfs[i])
			return 1;
	return 0;
}

static unsigned int random_cmd(void)
{
	unsigned int cmd;

	do {
		switch (below(5)) {
		case 0:
			cmd = rnd();
			break;
		case 1:		/* our magic, another number */
			cmd = _IOC(below(4), MMIO_SHM_IOC_MAGIC, 5 + below(251),
				   below(1 << 14));
			break;
		case 2:		/* one of ours with a direction or a size */
			cmd = cmds[below(NCMDS)].cmd |
			      _IOC(1 + below(3), 0, 0, 1 + below((1 << 14) - 1));
			break;
		case 3:		/* ours with another magic */
			cmd = cmds[below(NCMDS)].cmd ^ (1 + below(255)) << 8;
			break;
		default:	/* tty and other small numbers */
			cmd = below(0x10000);
			break;
		}
	} while (vfs_cmd(cmd) || ((cmd & ~0xffu) == MMIO_SHM_IOC_INFO &&
				  (cmd & 0xff) < NR_KNOWN));
	return cmd;
}

/* a RESIZE size: mostly ones that can be served, some that cannot */
static uint64_t random_new_size(void)
{
	uint64_t v;

	switch (below(16)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return PS - 1;
	case 3: return model_size;
	case 4: return model_size + 1;
	case 5: return model_size - 1;
	case 6: return size0;
	case 7: return limit + 1;
	case 8: return UINT64_MAX;
	case 9: return UINT64_MAX - PS + 2;	/* PAGE_ALIGN() would wrap */
	case 10: return 1ULL << 63;
	case 11:
		v = rnd();
		return v <= limit ? v | (1ULL << 62) : v;
	default: return 1 + below(cap);
	}
}

/* a RESIZE size the model can serve: at most cap, or refused as too big */
static uint64_t random_new_size_capped(void)
{
	uint64_t v = random_new_size();

	return v <= limit && page_align(v) > cap ? cap : v;
}

static uint64_t random_offset(void)
{
	switch (below(10)) {
	case 0: return 0;
	case 1: return model_size - 1;
	case 2: return model_size;
	case 3: return model_size + below(PS);
	case 4: return UINT64_MAX - below(PS);
	case 5: return rnd();
	case 6: return below(model_size / PS) * PS;
	default: return below(model_size);
	}
}

static uint64_t random_length(uint64_t off)
{
	switch (below(10)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return model_size - off;
	case 3: return model_size - off + 1;
	case 4: return MMIO_SHM_ZERO_TO_END;
	case 5: return UINT64_MAX - 1;
	case 6: return rnd();
	case 7: return 1ULL << 63;
	default: return 1 + below(off < model_size ? model_size - off : PS);
	}
}

/*
 * A WAIT deadline and how the wait will end: at once or within a few ms
 * (no signal needed), or never by itself, then ended by a repeating
 * SIGALRM (EINTR without SA_RESTART; with SA_RESTART the wait restarts
 * until a deadline 20-60 ms away).
 */
enum wait_end { W_QUICK, W_EINTR, W_RESTART };

static uint64_t random_deadline(enum wait_end *end)
{
	uint64_t now = now_ns();

	*end = W_QUICK;
	switch (below(10)) {
	case 0: return 0;
	case 1: return now > 1000000000 ? now - below(1000000000) : 0;
	case 2: return now + below(2000000);
	case 3: *end = W_EINTR; return MMIO_SHM_WAIT_FOREVER;
	case 4: *end = W_EINTR; return KTIME_MAX_NS + below(1000);
	case 5: *end = W_EINTR; return UINT64_MAX - 1 - below(1 << 20);
	case 6: *end = W_RESTART; return now + 20000000 + below(40000000);
	case 7: *end = W_EINTR; return now + 3600000000000ULL;
	default: return now + below(500000);
	}
}

static void arm_alarm(int restart)
{
	struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_alarm(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* shadow and size after a successful RESIZE */
static void model_resize(uint64_t new_size)
{
	size_t s = page_align(new_size);

	if (s > model_size)
		memset(shadow + model_size, 0, s - model_size);
	model_size = s;
}

static void fuzz_ioctl(void)
{
	/* the largest struct, plus room for a tail up to a page */
	static uint8_t img[PS];
	struct fdent *f = pick_fd();
	int ci = one_in(12) ? -1 : (int)below(NCMDS);
	uint32_t usize, ksize = ci >= 0 ? cmds[ci].ksize : 0, flags = 0;
	unsigned int cmd = ci >= 0 ? cmds[ci].cmd : random_cmd();
	int tail_nonzero = 0, want, got, ret, err, waited;
	enum wait_end wend = W_QUICK;
	uint64_t t0, t1, a = 0, b = 0;
	size_t span;
	uintptr_t p;
	char what[96];

	memset(img, 0, sizeof(img));
	switch (below(10)) {
	case 0: usize = 0; break;
	case 1: usize = ksize ? below(ksize) : 4; break;
	case 2: usize = ksize + 1 + below(64); break;
	case 3: usize = ksize + 1 + below(64); tail_nonzero = 1; break;
	case 4: usize = one_in(2) ? PS + 1 + below(1 << 20) : (uint32_t)rnd(); break;
	case 5: usize = PS; break;
	default: usize = ksize; break;
	}
	if (!one_in(8))
		flags = 0;
	else
		flags = 1u << below(32);
	memcpy(img, &usize, 4);
	memcpy(img + 4, &flags, 4);

	switch (ci) {
	case I_INFO:
		if (one_in(8)) {
			uint32_t r = 1 + below(UINT32_MAX);

			memcpy(img + offsetof(struct mmio_shm_info_args, reserved), &r, 4);
		}
		break;
	case I_RESIZE:
		a = random_new_size_capped();
		memcpy(img + offsetof(struct mmio_shm_resize_args, new_size), &a, 8);
		break;
	case I_ZERO:
		a = random_offset();
		b = random_length(a);
		memcpy(img + offsetof(struct mmio_shm_zero_args, offset), &a, 8);
		memcpy(img + offsetof(struct mmio_shm_zero_args, length), &b, 8);
		break;
	case I_WAIT:
		/* a sequence already passed, the current one, or later ones */
		switch (below(4)) {
		case 0: a = model_seq ? model_seq - 1 - below(model_seq) : 0; break;
		case 1: a = UINT64_MAX; break;
		default: a = model_seq + below(3); break;
		}
		b = random_deadline(&wend);
		memcpy(img + offsetof(struct mmio_shm_wait_args, seq), &a, 8);
		memcpy(img + offsetof(struct mmio_shm_wait_args, deadline), &b, 8);
		memset(img + offsetof(struct mmio_shm_wait_args, cur_seq), 0xa5, 8);
		break;
	case I_NOTIFY:
		fill_random(img + 8, 8);	/* seq is output only */
		break;
	default:
		/* random bytes where some struct would be */
		fill_random(img + 8, 56);
		break;
	}
	if (tail_nonzero && usize > ksize)
		img[ksize + below(usize - ksize)] = 1 + below(255);
	span = usize >= 8 && usize <= PS ? usize : 8;
	if (span < ksize)
		span = ksize;
	p = place(img, span);

	/* what the model says */
	if (f->acc == A_PATH) {
		want = EBADF;
	} else if (ci < 0) {
		want = ENOTTY;
	} else if (!readable(p, 4)) {
		want = EFAULT;
	} else if (usize < ksize) {
		want = EINVAL;
	} else if (usize > PS) {
		want = E2BIG;
	} else if (usize > ksize && tail_result(p + ksize, usize - ksize)) {
		want = tail_result(p + ksize, usize - ksize);
	} else if (!readable(p, ksize)) {
		want = EFAULT;
	} else if (flags) {
		want = EINVAL;
	} else {
		switch (ci) {
		case I_INFO: {
			uint32_t r;

			memcpy(&r, img + offsetof(struct mmio_shm_info_args, reserved), 4);
			want = r ? EINVAL : !writable(p, ksize) ? EFAULT : 0;
			break;
		}
		case I_RESIZE:
			want = !a ? EINVAL : !can_write(f) ? EBADF :
			       a > limit ? ENOMEM :
			       page_align(a) == model_size ? 0 :
			       ndev ? EBUSY : 0;
			break;
		case I_ZERO:
			if (!can_write(f))
				want = EBADF;
			else if (a >= model_size)
				want = EINVAL;
			else if (b == MMIO_SHM_ZERO_TO_END)
				want = 0;
			else
				want = !b || b > model_size - a ? EINVAL : 0;
			break;
		case I_NOTIFY:
			want = !writable(p, ksize) ? EFAULT : 0;
			break;
		default:	/* WAIT */
			if (model_seq > a)
				want = 0;
			else if (wend == W_EINTR)
				want = EINTR;
			else
				want = ETIMEDOUT;
			if (!writable(p, ksize))
				want = EFAULT;
			break;
		}
	}
	/* did the call get past validation into the command itself? */
	waited = ci == I_WAIT && f->acc != A_PATH && readable(p, 4) &&
		 usize >= ksize && usize <= PS && !flags &&
		 (usize == ksize || !tail_result(p + ksize, usize - ksize)) &&
		 readable(p, ksize);
	/* a WAIT that sleeps for good ends only by the alarm */
	if (waited && model_seq <= a && wend != W_QUICK)
		arm_alarm(wend == W_RESTART);
	else
		wend = W_QUICK;

	if (ci == I_ZERO && !want)
		mark_edges(a, b == MMIO_SHM_ZERO_TO_END ? model_size : a + b);

	snprintf(what, sizeof(what), "ioctl %s %#x size %u flags %#x fd %d(%d) arg %#lx",
		 ci >= 0 ? cmds[ci].name : "?", cmd, usize, flags, f->fd, f->acc,
		 (unsigned long)p);
	t0 = now_ns();
	ret = ioctl(f->fd, cmd, p);
	err = errno;
	t1 = now_ns();
	if (wend != W_QUICK) {
		disarm_alarm();
		execs[X_SIGNAL]++;
	}
	execs[ci >= 0 ? X_IOCTL : X_IOCTL_BAD_CMD]++;
	got = check_result(what, ret, err, &(struct exp){ 1, { want } });

	/* the model follows what happened, so one mistake is reported once */
	if (ci < 0 || got == EBADF || got == ENOTTY)
		return;
	switch (ci) {
	case I_INFO:
		if (!got) {
			struct mmio_shm_info_args *o = (void *)p;

			if (o->buf_size != model_size || o->seq != model_seq ||
			    o->version != MMIO_SHM_VERSION || o->size != ksize ||
			    o->nr_maps != ndev || o->nr_open != model_open() ||
			    o->reserved || o->flags)
				bad(C_COUNTERS, "INFO: size %llu seq %llu version %#x nr_open %u nr_maps %u, model %zu %llu %u %u",
				    (unsigned long long)o->buf_size,
				    (unsigned long long)o->seq, o->version,
				    o->nr_open, o->nr_maps, model_size,
				    (unsigned long long)model_seq, model_open(), ndev);
			if (usize > ksize && memcmp(img + ksize, (void *)(p + ksize), usize - ksize))
				bad(C_RESULTS, "INFO wrote past its own struct");
		}
		break;
	case I_RESIZE:
		if (!got) {
			uint64_t old = model_size;

			model_resize(a);
			/* kept below the smaller size, zero above it */
			check_edges("RESIZE", old < model_size ? old : model_size,
				    model_size);
		}
		break;
	case I_ZERO:
		if (!got) {
			uint64_t len = b == MMIO_SHM_ZERO_TO_END ? model_size - a : b;

			memset(shadow + a, 0, len);
			check_edges("ZERO", a, a + len);
		}
		break;
	case I_NOTIFY:
		if (!got) {
			model_seq++;
			if (((struct mmio_shm_notify_args *)p)->seq != model_seq)
				bad(C_COUNTERS, "NOTIFY returned seq %llu, model %llu",
				    (unsigned long long)((struct mmio_shm_notify_args *)p)->seq,
				    (unsigned long long)model_seq);
		}
		break;
	default:	/* WAIT: past validation the file has seen the sequence */
		if (waited) {
			f->seen = model_seq;
			if (got != EFAULT &&
			    ((struct mmio_shm_wait_args *)p)->cur_seq != model_seq)
				bad(C_COUNTERS, "WAIT cur_seq %llu, model %llu",
				    (unsigned long long)((struct mmio_shm_wait_args *)p)->cur_seq,
				    (unsigned long long)model_seq);
		}
		if (got == ETIMEDOUT && b < KTIME_MAX_NS && t1 < b)
			bad(C_RESULTS, "WAIT timed out %llu ns before its deadline",
			    (unsigned long long)(b - t1));
		(void)t0;
		break;
	}
}

/* ---- open, close, lseek, poll ---- */

static const struct maybe_flag open_flags[] = {
	{ 2, O_NONBLOCK }, { 4, O_APPEND }, { 6, O_SYNC }, { 6, O_NOATIME },
	{ 6, O_TRUNC }, { 6, O_CREAT }, { 6, O_NOCTTY | O_NOFOLLOW },
};

static void fuzz_open(void)
{
	static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE, O_PATH };
	int ai = below(5), flags = accs[ai], fd, err, want = 0;
	struct fdent *f;
	char what[64];

	if (nfds == MAX_FDS)
		return;
	flags |= maybe_flags(open_flags, ARRAY_SIZE(open_flags));
	switch (below(24)) {
	case 0:
		flags |= O_DIRECT;
		if (ai != A_PATH)
			want = EINVAL;
		break;
	case 1:
		flags |= O_CREAT | O_EXCL;
		if (ai != A_PATH)
			want = EEXIST;
		break;
	case 2:
		flags |= O_DIRECTORY;
		want = ENOTDIR;
		/* fs/open.c: O_DIRECTORY | O_CREAT is refused first */
		if ((flags & O_CREAT) && ai != A_PATH)
			want = EINVAL;
		break;
	}
	/* the device refuses O_APPEND in its open (after the VFS's checks) */
	if ((flags & O_APPEND) && ai != A_PATH && !want)
		want = EINVAL;
	snprintf(what, sizeof(what), "open flags %#o", flags);
	fd = open(dev_path, flags | O_CLOEXEC, 0600);
	err = errno;
	execs[X_OPEN]++;
	if (check_result(what, fd, err, &(struct exp){ 1, { want } }) || fd < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	f = &fds[nfds++];
	f->fd = fd;
	f->file = next_file++;
	f->acc = ai;
	f->append = !!(flags & O_APPEND) && ai != A_PATH;
	f->seen = model_seq;
	f->pos = 0;
}

static void fuzz_close(void)
{
	int i, ret, err;

	if (!nfds || one_in(20)) {
		ret = close(1000 + below(1000));
		err = errno;
		execs[X_CLOSE]++;
		check_result("close of a closed fd", ret, err, &(struct exp){ 1, { EBADF } });
		return;
	}
	i = below(nfds);
	ret = close(fds[i].fd);
	err = errno;
	execs[X_CLOSE]++;
	check_result("close", ret, err, &(struct exp){ 1, { 0 } });
	fds[i] = fds[--nfds];
}

static void fuzz_lseek(void)
{
	struct fdent *f = pick_fd();
	int whence = below(8) < 7 ? (int)below(5) : 5 + (int)below(100);
	int64_t off, want_pos = 0;
	int want = 0, got;
	off_t ret;
	int err;
	char what[80];

	switch (below(8)) {
	case 0: off = 0; break;
	case 1: off = -(int64_t)below(2 * model_size); break;
	case 2: off = INT64_MAX - below(10); break;
	case 3: off = INT64_MIN + below(10); break;
	case 4: off = model_size; break;
	default: off = below(2 * model_size); break;
	}
	if (f->acc == A_PATH) {
		want = EBADF;
	} else {
		switch (whence) {
		case SEEK_SET: want_pos = off; break;
		case SEEK_CUR:
			want_pos = (int64_t)((uint64_t)f->pos + (uint64_t)off);
			if (!off)
				want_pos = f->pos;
			break;
		case SEEK_END: want_pos = (int64_t)((uint64_t)model_size + (uint64_t)off); break;
		case SEEK_DATA:
			if ((uint64_t)off >= model_size)
				want = ENXIO;
			want_pos = off;
			break;
		case SEEK_HOLE:
			if ((uint64_t)off >= model_size)
				want = ENXIO;
			want_pos = model_size;
			break;
		default:
			want = EINVAL;
			break;
		}
		if (!want && want_pos < 0)
			want = EINVAL;
	}
	snprintf(what, sizeof(what), "lseek(%lld, %d) at %lld", (long long)off,
		 whence, (long long)f->pos);
	ret = lseek(f->fd, off, whence);
	err = errno;
	execs[X_LSEEK]++;
	got = check_result(what, ret < 0 ? -1 : 0, err, &(struct exp){ 1, { want } });
	if (!got && ret >= 0) {
		if (ret != want_pos)
			bad(C_RESULTS, "%s returned %lld, expected %lld", what,
			    (long long)ret, (long long)want_pos);
		f->pos = ret;
	}
}

static void fuzz_poll(void)
{
	struct pollfd pfd[MAX_FDS + 1];
	int i, n = 0, ret;

	for (i = 0; i < nfds; i++) {
		if (fds[i].acc == A_PATH)
			continue;
		pfd[n].fd = fds[i].fd;
		pfd[n].events = POLLIN | POLLRDNORM | POLLOUT | POLLPRI;
		pfd[n].revents = 0;
		n++;
	}
	if (!n)
		return;
	ret = poll(pfd, n, 0);
	execs[X_POLL]++;
	if (ret < 0) {
		bad(C_RESULTS, "poll: %s", strerror(errno));
		return;
	}
	for (i = 0, n = 0; i < nfds; i++) {
		short want;

		if (fds[i].acc == A_PATH)
			continue;
		want = fds[i].seen != model_seq ? POLLIN | POLLRDNORM : 0;
		if (pfd[n].revents != want)
			bad(C_RESULTS, "poll fd %d: revents %#x, expected %#x (seen %llu, seq %llu)",
			    fds[i].fd, pfd[n].revents, want,
			    (unsigned long long)fds[i].seen,
			    (unsigned long long)model_seq);
		n++;
	}
}

/* ---- read and write ---- */

/*
 * A buffer for read/write: where it is, how many bytes from its start are
 * accessible the way the call needs, and whether access_ok() fails.
 */
struct iobuf_choice {
	uint8_t *p;
	size_t valid;
	int access_bad;
	struct vma *map;	/* a mapping of the buffer, or NULL */
	uint64_t map_off;	/* buffer offset of p when map */
};

static struct iobuf_choice pick_iobuf(int for_read, size_t count)
{
	struct iobuf_choice c = { 0 };
	struct vma *v;
	size_t k;

	switch (below(12)) {
	case 0:		/* straddles the guard page */
		k = 1 + below(2 * PS);
		c.p = ARG_GUARD - k;
		c.valid = k;
		break;
	case 1:		/* read-only: a source, never a destination */
		k = below(PS);
		c.p = ARG_RO + k;
		c.valid = for_read ? 0 : PS - k;
		break;
	case 2:
		c.p = (uint8_t *)bad_address();
		c.valid = 0;
		break;
	case 3:
	case 4:		/* a mapping of the buffer itself */
		v = pick_dev_vma();
		if (v && v->s && (for_read ? v->w && v->sh : v->r)) {
			k = below((v->end - v->start) / PS) * PS;
			c.p = (uint8_t *)v->start + k;
			c.valid = v->end - v->start - k;
			c.map = v;
			c.map_off = v->off + k;
			break;
		}
		/* fall through */
	default:
		c.p = iobuf;
		c.valid = cap + PS;
		break;
	}
	c.access_bad = count > USER_LIMIT || (uintptr_t)c.p > USER_LIMIT - count;
	return c;
}

static void fuzz_rw(void)
{
	struct fdent *f = pick_fd();
	int wr = one_in(2), positional = !one_in(4), err, got;
	struct iobuf_choice b;
	int64_t pos;
	size_t count, n;
	ssize_t ret;
	struct exp x = { 0 };
	char what[128];

	switch (below(10)) {
	case 0: count = 0; break;
	case 1: count = 1 + below(16); break;
	case 2: count = model_size; break;
	case 3: count = one_in(2) ? SIZE_MAX : (size_t)1 << (40 + below(20)); break;
	case 4: count = model_size + PS; break;
	default: count = 1 + below(3 * PS); break;
	}
	if (positional) {
		switch (below(10)) {
		case 0: pos = -1 - (int64_t)below(PS); break;
		case 1: pos = INT64_MAX - (int64_t)below(PS); break;
		case 2: pos = model_size - below(64); break;
		case 3: pos = model_size + below(PS); break;
		default: pos = below(model_size); break;
		}
	} else {
		pos = f->pos;
	}
	b = pick_iobuf(!wr, count);
	/* a buffer inside the device must not overlap the range it moves */
	if (b.map) {
		uint64_t len = count < b.valid ? count : b.valid;

		if (pos < 0 || (uint64_t)pos >= model_size ||
		    ((uint64_t)pos < b.map_off + len &&
		     b.map_off < (uint64_t)pos + len)) {
			b.map = NULL;
			b.p = iobuf;
			b.valid = cap + PS;
			b.access_bad = count > USER_LIMIT ||
				       (uintptr_t)b.p > USER_LIMIT - count;
		}
	}
	/* a mapping ends where the next one may start: stay inside it */
	if (b.map && count > b.valid) {
		count = b.valid;
		b.access_bad = 0;
	}
	if (wr && pos >= 0 && (uint64_t)pos < model_size && count && !b.access_bad)
		mark_edges(pos, (uint64_t)pos + (count < model_size - pos ? count : model_size - pos));
	if (wr && b.p == iobuf)
		fill_random(iobuf, count < model_size + PS ? count : model_size + PS);

	/* the model: fs/read_write.c, then the driver */
	n = 0;
	if (positional && pos < 0)
		x = exp1(EINVAL);
	else if (f->acc == A_PATH)
		x = exp1(EBADF);
	else if (wr ? !can_write(f) : !can_read(f))
		x = exp1(EBADF);
	else if (b.access_bad)
		x = exp1(EFAULT);
	else if ((ssize_t)count < 0 || (int64_t)((uint64_t)pos + count) < 0)
		x = exp1(EINVAL);
	else if (!count)
		x = exp1(0);
	else if ((uint64_t)pos >= model_size)
		x = exp1(wr ? ENOSPC : 0);
	else {
		n = count < MAX_RW ? count : MAX_RW;
		if (n > model_size - pos)
			n = model_size - pos;
		if (!b.valid)
			x = exp1(EFAULT);
		else
			x = exp1(0);
	}
	/*
	 * O_APPEND: open refuses it, so no file here has it; were one to
	 * (an older module ignored it and wrote at the position), a regular
	 * file's ENOSPC at the end is accepted too, and the shadow follows
	 * what happened.
	 */
	if (wr && f->append && exp_has(&x, 0) && count)
		exp_add(&x, ENOSPC);

	snprintf(what, sizeof(what), "%s%s fd %d(%d) count %zu pos %lld buf %p valid %zu",
		 positional ? "p" : "", wr ? "write" : "read", f->fd, f->acc,
		 count, (long long)pos, b.p, b.valid);
	if (wr)
		ret = positional ? pwrite(f->fd, b.p, count, pos) :
				   write(f->fd, b.p, count);
	else
		ret = positional ? pread(f->fd, b.p, count, pos) :
				   read(f->fd, b.p, count);
	err = errno;
	execs[wr ? X_WRITE : X_READ]++;
	got = check_result(what, ret < 0 ? -1 : 0, err, &x);
	if (got || ret < 0)
		return;

	/* how many bytes: all of n, or a prefix up to the first fault */
	if (n && b.valid < n) {
		if (ret <= 0 || (size_t)ret > b.valid)
			bad(C_RESULTS, "%s: %zd bytes, at most %zu accessible", what,
			    ret, b.valid);
	} else if ((size_t)ret != n) {
		bad(C_RESULTS, "%s: %zd bytes, expected %zu", what, ret, n);
	}
	if (ret <= 0)
		return;
	if ((size_t)ret > n)
		ret = n;
	if (wr) {
		memcpy(shadow + pos, b.map ? shadow + b.map_off : b.p, ret);
		check_edges("write", pos, pos + ret);
	} else if (b.map) {
		memmove(shadow + b.map_off, shadow + pos, ret);
	} else if (memcmp(b.p, shadow + pos, ret)) {
		size_t i;

		for (i = 0; b.p[i] == shadow[pos + i]; i++)
			;
		bad(C_DATA, "%s: byte %lld is %#x, expected %#x", what,
		    (long long)(pos + i), b.p[i], shadow[pos + i]);
		memcpy(shadow + pos, b.p, ret);
	}
	if (!positional)
		f->pos = pos + ret;
}

/* ---- mmap and friends ---- */

static void check_new_mapping(uintptr_t p, size_t len, uint64_t off, int prot,
			      int shared, const char *what)
{
	uintptr_t a;
	uint8_t c;
	int sig;

	read_vmas();
	for (a = p; a < p + len; ) {
		struct vma *v = vma_at(a);

		if (!v || !v->dev) {
			bad(C_VMAS, "%s: %#lx is not a mapping of the buffer", what, a);
			return;
		}
		if (v->off + (a - v->start) != off + (a - p)) {
			bad(C_VMAS, "%s: %#lx maps offset %#llx, expected %#llx", what,
			    a, (unsigned long long)(v->off + (a - v->start)),
			    (unsigned long long)(off + (a - p)));
			return;
		}
		if (v->r != !!(prot & PROT_READ) || v->w != !!(prot & PROT_WRITE) ||
		    v->s != shared)
			bad(C_VMAS, "%s: permissions r%d w%d s%d, asked for prot %#x shared %d",
			    what, v->r, v->w, v->s, prot, shared);
		a = v->end;
	}
	if (!(prot & PROT_READ))
		return;
	/* a new mapping, private or shared, shows the buffer */
	for (a = p; a < p + len; a += len - PS > PS ? len - PS : PS) {
		sig = load((uint8_t *)a, &c);
		if (sig) {
			bad(C_VMAS, "%s: load at %#lx: %s", what, a, strsignal(sig));
			return;
		}
		if (c != shadow[off + (a - p)])
			bad(C_DATA, "%s: byte %llu reads %#x through the new mapping, expected %#x",
			    what, (unsigned long long)(off + (a - p)), c,
			    shadow[off + (a - p)]);
		if (len <= PS)
			break;
	}
}

static const struct maybe_flag mmap_flags[] = {
	{ 8, MAP_POPULATE }, { 12, MAP_NORESERVE }, { 12, MAP_LOCKED },
	{ 30, MAP_HUGETLB }, { 20, MAP_SYNC }, { 30, MAP_GROWSDOWN },
	{ 20, MAP_STACK | MAP_NONBLOCK },
};

static void fuzz_mmap(void)
{
	struct fdent *f = one_in(3) ? pick_fd() : (pick_fd_rw() ?: pick_fd());
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
		PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	int prot = prots[below(sizeof(prots) / sizeof(prots[0]))];
	int flags, type, err, huge = 0;
	uint64_t off, alen, pgoff;
	uintptr_t addr = 0;
	size_t len, pages = model_size / PS;
	struct exp x = { 0 };
	void *p;
	char what[128];

	switch (below(10)) {
	case 0: off = 0; break;
	case 1: off = model_size; break;
	case 2: off = model_size + PS * below(4); break;
	case 3: off = below(pages) * PS + 1 + below(PS - 1); break;
	case 4:
		huge = 1;
		off = one_in(2) ? 1ULL << (44 + below(19)) : (uint64_t)-(int64_t)(PS * (1 + below(4)));
		break;
	default: off = below(pages) * PS; break;
	}
	switch (below(10)) {
	case 0: len = 0; break;
	case 1: len = PS * (1 + below(4)) - below(PS); break;
	case 2: len = model_size - (off < model_size ? off : 0) + PS; break;
	case 3:
		huge = 1;
		len = one_in(2) ? (size_t)1 << (40 + below(24)) : SIZE_MAX - below(PS);
		break;
	default:
		len = PS * (1 + below(off < model_size ? (model_size - off) / PS : 4));
		break;
	}
	switch (below(20)) {
	case 0: type = 0; break;
	case 1: type = 0x0f; break;
	case 2: case 3: case 4: type = MAP_SHARED_VALIDATE; break;
	case 5: case 6: case 7: case 8: case 9: case 10: type = MAP_PRIVATE; break;
	default: type = MAP_SHARED; break;
	}
	flags = type | maybe_flags(mmap_flags, ARRAY_SIZE(mmap_flags));
	read_vmas();
	if (!huge && one_in(5)) {
		addr = arena_target(page_align(len ? len : 1));
		if (addr)
			flags |= one_in(3) ? MAP_FIXED_NOREPLACE : MAP_FIXED;
	} else if (one_in(10)) {
		addr = below(1UL << 46) & ~(PS - 1);	/* a hint, nothing more */
	}

	/* the model: arch/x86 sys_mmap, ksys_mmap_pgoff, do_mmap, the driver */
	alen = page_align(len);
	pgoff = off / PS;
	if (off % PS)
		x = exp1(EINVAL);
	else if (f->acc == A_PATH)
		x = exp1(EBADF);
	else if (flags & MAP_HUGETLB)
		x = exp1(EINVAL);
	else if (!len)
		x = exp1(EINVAL);
	else if (!alen)
		x = exp1(ENOMEM);
	else if (pgoff + alen / PS < pgoff)
		x = exp1(EOVERFLOW);
	else if (alen > USER_LIMIT)
		x = exp1(ENOMEM);
	else if ((flags & MAP_FIXED_NOREPLACE) && intersects(addr, alen))
		x = exp1(EEXIST);
	else if (pgoff > (UINT64_MAX - alen) / PS)
		x = exp1(EOVERFLOW);
	else if (type == MAP_SHARED_VALIDATE && (flags & (MAP_SYNC | MAP_FIXED_NOREPLACE)))
		x = exp1(EOPNOTSUPP);
	else if ((type == MAP_SHARED || type == MAP_SHARED_VALIDATE) &&
		 (prot & PROT_WRITE) && !can_write(f))
		x = exp1(EACCES);
	else if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE && type != MAP_PRIVATE)
		x = exp1(EINVAL);
	else if (!can_read(f))
		x = exp1(EACCES);
	else if (noexec && (prot & PROT_EXEC))
		x = exp1(EPERM);
	else if (flags & MAP_GROWSDOWN)
		x = exp1(EINVAL);
	else if (pgoff >= pages || alen / PS > pages - pgoff)
		x = exp1(EINVAL);
	else
		x = exp1(0);
	/* huge lengths and offsets: the address space or the commit limit may say no first */
	if (huge && !exp_has(&x, 0)) {
		exp_add(&x, ENOMEM);
		if (alen <= USER_LIMIT && len)
			exp_add(&x, EINVAL);
		exp_add(&x, EOVERFLOW);
	}

	snprintf(what, sizeof(what), "mmap(%#lx, %zu, %#x, %#x, fd %d(%d), %#llx)",
		 (unsigned long)addr, len, prot, flags, f->fd, f->acc,
		 (unsigned long long)off);
	p = mmap((void *)addr, len, prot, flags, f->fd, off);
	err = errno;
	vm_changed(X_MMAP);
	if (p == MAP_FAILED) {
		check_result(what, -1, err, &x);
		if (flags & MAP_FIXED)
			check_vmas("a failed MAP_FIXED mmap");
		return;
	}
	vmas_stale = 1;
	if (!exp_has(&x, 0)) {
		bad(off + alen > model_size ? C_VMAS : C_RESULTS,
		    "%s succeeded, expected %s", what, exp_str(&x));
		munmap(p, len);
		check_vmas("an unexpected mmap");
		return;
	}
	if ((flags & MAP_FIXED) && (uintptr_t)p != addr)
		bad(C_RESULTS, "%s: MAP_FIXED mapped at %p", what, p);
	track_add((uintptr_t)p, (uintptr_t)p + alen, f->file);
	check_new_mapping((uintptr_t)p, alen, off, prot,
			  type == MAP_SHARED || type == MAP_SHARED_VALIDATE, what);
	check_vmas("mmap");
}

/* a page-aligned range inside one mapping of the buffer, as the mappings are now */
static int dev_range(struct vma **vp, uintptr_t *a, size_t *len)
{
	struct vma *v;
	size_t pages;
	uintptr_t first;

	read_vmas();
	v = pick_dev_vma();
	if (!v)
		return 0;
	pages = (v->end - v->start) / PS;
	first = below(pages);
	*a = v->start + first * PS;
	*len = (1 + below(pages - first)) * PS;
	*vp = v;
	return 1;
}

/* the pages right after v, free for a range to run into (ENOMEM) */
static size_t hole_after(const struct vma *v)
{
	return vma_at(v->end) || vma_at(v->end + PS) ? 0 : 2 * PS;
}

static void fuzz_munmap(void)
{
	struct vma *v;
	uintptr_t a;
	size_t len;
	int ret, want = 0;
	char what[80];

	if (!dev_range(&v, &a, &len))
		return;
	switch (below(10)) {
	case 0: a += 1 + below(PS - 1); want = EINVAL; break;
	case 1: len = 0; want = EINVAL; break;
	case 2: len -= below(PS); break;	/* rounded up by the kernel */
	}
	snprintf(what, sizeof(what), "munmap(%#lx, %zu)", (unsigned long)a, len);
	ret = munmap((void *)a, len);
	vm_checked(X_MUNMAP, "munmap", what, ret, errno, want);
}

static void fuzz_mremap(void)
{
	struct vma *v;
	uintptr_t a, na = 0;
	size_t old_len, new_len, oa, nl;
	int flags = 0, want, err;
	void *p;
	char what[128];

	if (!dev_range(&v, &a, &old_len))
		return;
	switch (below(6)) {
	case 0: new_len = old_len + PS * (1 + below(4)); break;
	case 1: new_len = old_len; break;
	case 2: new_len = 0; break;
	default: new_len = PS * (1 + below(old_len / PS)); break;
	}
	if (one_in(8))
		old_len = 0;
	else if (one_in(8) && a + old_len == v->end && !vma_at(v->end))
		old_len += PS;	/* past the end of the mapping, into a hole */
	switch (below(8)) {
	case 0: flags = 0; break;
	case 1: case 2: flags = MREMAP_MAYMOVE; break;
	case 3: case 4: flags = MREMAP_MAYMOVE | MREMAP_FIXED; break;
	case 5: flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP; break;
	case 6: flags = MREMAP_FIXED; break;
	default: flags = 1 << below(32); break;
	}
	if (flags & MREMAP_FIXED) {
		na = arena_target(page_align(new_len ? new_len : PS));
		if (!na) {
			flags &= ~MREMAP_FIXED;
		}
	}
	if (one_in(16))
		a += 1 + below(PS - 1);

	/* the model: mm/mremap.c; growing a mapping of the buffer is EFAULT */
	oa = page_align(old_len);
	nl = page_align(new_len);
	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		want = EINVAL;
	else if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		want = EINVAL;
	else if ((flags & MREMAP_DONTUNMAP) &&
		 (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		want = EINVAL;
	else if (a % PS)
		want = EINVAL;
	else if (!nl)
		want = EINVAL;
	else if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		if ((flags & MREMAP_FIXED) && a + oa > na && na + nl > a)
			want = EINVAL;
		else if (!oa && !v->s)
			want = EINVAL;
		else if (flags & MREMAP_DONTUNMAP)
			want = EINVAL;
		else if ((oa > nl ? nl : oa) > v->end - a)
			want = EFAULT;
		else if (nl > oa)
			want = EFAULT;
		else
			want = 0;
	} else if (oa >= nl) {
		want = 0;
	} else if (!oa && !v->s) {
		want = EINVAL;
	} else if (oa > v->end - a) {
		want = EFAULT;
	} else {
		want = EFAULT;	/* growing: VM_DONTEXPAND */
	}

	snprintf(what, sizeof(what), "mremap(%#lx, %zu, %zu, %#x, %#lx)",
		 (unsigned long)a, old_len, new_len, flags, (unsigned long)na);
	p = mremap((void *)a, old_len, new_len, flags, na);
	err = errno;
	vm_changed(X_MREMAP);
	if (p == MAP_FAILED) {
		check_result(what, -1, err, &(struct exp){ 1, { want } });
	} else if (want) {
		bad(nl > oa ? C_VMAS : C_RESULTS, "%s succeeded, expected %s",
		    what, ename(want));
	} else if ((flags & MREMAP_FIXED) && (uintptr_t)p != na) {
		bad(C_RESULTS, "%s moved to %p", what, p);
	}
	if (p != MAP_FAILED && (uintptr_t)p != a)
		track_move(a, oa < nl ? oa : nl, (uintptr_t)p);
	check_vmas("mremap");
}

static void fuzz_mprotect(void)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	int prot = prots[below(sizeof(prots) / sizeof(prots[0]))];
	struct vma *v;
	uintptr_t a;
	size_t len;
	int ret, want = 0;
	char what[80];

	if (!dev_range(&v, &a, &len))
		return;
	switch (below(12)) {
	case 0: a += 1 + below(PS - 1); break;
	case 1: len = 0; break;
	case 2: prot |= 1 << (4 + below(20)); break;
	case 3: prot |= PROT_GROWSDOWN; break;
	case 4:		/* run into a hole after the mapping */
		if (a + len == v->end && hole_after(v))
			len += hole_after(v);
		break;
	}
	if (a % PS)
		want = EINVAL;
	else if (!len)
		want = 0;
	else if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN))
		want = EINVAL;
	else if (prot & PROT_GROWSDOWN)
		want = EINVAL;
	else if (((prot & PROT_WRITE) && !v->mw) || ((prot & PROT_EXEC) && !v->me))
		want = EACCES;
	else if (a + len > v->end)
		want = ENOMEM;
	snprintf(what, sizeof(what), "mprotect(%#lx, %zu, %#x)", (unsigned long)a,
		 len, prot);
	ret = mprotect((void *)a, len, prot);
	vm_checked(X_MPROTECT, "mprotect", what, ret, errno, want);
}

/*
 * Advice that only some kernels know: KSM's (CONFIG_KSM) and transparent
 * huge pages' (CONFIG_TRANSPARENT_HUGEPAGE). madvise() refuses advice it
 * does not know with EINVAL before it looks at the range; an anonymous
 * page tells which these are, once, at startup.
 */
static const int optional_advs[] = {
	MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
};
static int unknown_advs[5];
static int nr_unknown_advs;

static void probe_advice(void)
{
	size_t i;
	void *p = mmap(NULL, PS, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	for (i = 0; i < sizeof(optional_advs) / sizeof(optional_advs[0]); i++) {
		if (madvise(p, PS, optional_advs[i]) && errno == EINVAL)
			unknown_advs[nr_unknown_advs++] = optional_advs[i];
	}
	/* MADV_COLLAPSE comes with MADV_HUGEPAGE, and its EINVAL has other causes */
	for (i = 0; i < (size_t)nr_unknown_advs; i++) {
		if (unknown_advs[i] == MADV_HUGEPAGE)
			unknown_advs[nr_unknown_advs++] = MADV_COLLAPSE;
	}
	munmap(p, PS);
}

static int advice_unknown(int adv)
{
	int i;

	if (adv == 26 || adv == 99 || adv == -1)
		return 1;
	for (i = 0; i < nr_unknown_advs; i++) {
		if (unknown_advs[i] == adv)
			return 1;
	}
	return 0;
}

static void fuzz_madvise(void)
{
	static const int advs[] = {
		MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
		MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
		MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK,
		MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE, MADV_DONTNEED_LOCKED, MADV_COLLAPSE,
		26, 99, -1,
	};
	int adv = advs[below(sizeof(advs) / sizeof(advs[0]))];
	struct exp x = { 0 };
	struct vma *v, vv;
	uintptr_t a;
	size_t len;
	int ret, err, got, into_hole = 0;
	char what[80];

	if (!dev_range(&v, &a, &len))
		return;
	vv = *v;
	switch (below(12)) {
	case 0: a += 1 + below(PS - 1); break;
	case 1: len = 0; break;
	case 2:
		if (a + len == v->end && hole_after(v)) {
			len += hole_after(v);
			into_hole = 1;
		}
		break;
	}
	if (advice_unknown(adv))
		x = exp1(EINVAL);
	else if (a % PS)
		x = exp1(EINVAL);
	else if (!len)
		x = exp1(0);
	else {
		switch (adv) {
		case MADV_FREE:
		case MADV_WIPEONFORK:
		case MADV_DODUMP:	/* VM_DONTEXPAND is VM_SPECIAL */
			x = exp1(EINVAL);
			break;
		case MADV_REMOVE:
			x = exp1(vv.sh && vv.mw ? 0 : EACCES);
			break;
		case MADV_POPULATE_READ:
			x = exp1(vv.r ? 0 : EINVAL);
			break;
		case MADV_POPULATE_WRITE:
			x = exp1(vv.w ? 0 : EINVAL);
			break;
		case MADV_COLLAPSE:
			x = exp1(0);
			exp_add(&x, EINVAL);
			exp_add(&x, EAGAIN);
			exp_add(&x, ENOMEM);
			break;
		default:
			x = exp1(0);
			break;
		}
		if (into_hole && exp_has(&x, 0) && adv != MADV_COLLAPSE)
			x = exp1(ENOMEM);
	}
	snprintf(what, sizeof(what), "madvise(%#lx, %zu, %d)", (unsigned long)a,
		 len, adv);
	ret = madvise((void *)a, len, adv);
	err = errno;
	vm_changed(X_MADVISE);
	got = check_result(what, ret, err, &x);
	/* a hole punched in the buffer reads back as zeroes */
	if (adv == MADV_REMOVE && (got == 0 || (into_hole && got == ENOMEM)) &&
	    vv.sh && vv.mw && !(a % PS) && len) {
		size_t n = a + len > vv.end ? vv.end - a : len;

		memset(shadow + vv.off + (a - vv.start), 0, n);
	}
	check_vmas("madvise");
}

/* loads and stores through a random mapping of the buffer */
static void fuzz_touch(void)
{
	struct vma *v;
	uintptr_t a;
	uint64_t off;
	uint8_t c;
	int sig, i;

	read_vmas();
	for (i = 0; i < 4; i++) {
		v = pick_dev_vma();
		if (!v)
			return;
		a = v->start + below(v->end - v->start);
		off = v->off + (a - v->start);
		if (v->r) {
			sig = load((uint8_t *)a, &c);
			if (sig)
				bad(C_VMAS, "load at %#lx (offset %llu): %s", a,
				    (unsigned long long)off, strsignal(sig));
			else if (v->s && c != shadow[off])
				bad(C_DATA, "byte %llu reads %#x through a mapping, expected %#x",
				    (unsigned long long)off, c, shadow[off]);
		}
		if (v->w) {
			c = rnd();
			sig = store((uint8_t *)a, c);
			if (sig)
				bad(C_VMAS, "store at %#lx (offset %llu): %s", a,
				    (unsigned long long)off, strsignal(sig));
			else if (v->s)
				shadow[off] = c;
		}
	}
}

/*
 * fork with mappings alive: the child has a copy of every mapping but the
 * MADV_DONTFORK ones, and the driver counts them; once it is gone, so are
 * they.
 */
static void fuzz_fork(void)
{
	unsigned int want = ndev;
	pid_t pid;
	int i, status;

	read_vmas();
	want = ndev;
	for (i = 0; i < nvmas; i++)
		want += vmas[i].dev && !vmas[i].dc;
	pid = fork();
	execs[X_FORK]++;
	if (pid < 0) {
		bad(C_RESULTS, "fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		long long seen = sysfs_num("mappings");

		/* touch every readable mapping the child has */
		for (i = 0; i < nvmas; i++) {
			uint8_t c;

			if (vmas[i].dev && !vmas[i].dc && vmas[i].r &&
			    load((uint8_t *)vmas[i].start, &c))
				_exit(3);
		}
		_exit(seen == want ? 0 : 2);
	}
	if (waitpid(pid, &status, 0) != pid) {
		bad(C_RESULTS, "waitpid: %s", strerror(errno));
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 3)
		bad(C_VMAS, "child touching its inherited mappings: status %#x", status);
	else if (WEXITSTATUS(status) == 2)
		bad(C_COUNTERS, "the child saw another number of mappings than %u", want);
	check_vmas("fork");
}

static void unmap_everything(void)
{
	int i;

	read_vmas();
	for (i = 0; i < nvmas; i++) {
		if (!vmas[i].dev)
			continue;
		execs[X_MUNMAP]++;
		if (munmap((void *)vmas[i].start, vmas[i].end - vmas[i].start))
			bad(C_RESULTS, "munmap: %s", strerror(errno));
	}
	vmas_stale = 1;
	check_vmas("unmapping everything");
}

/* ---- regressions ---- */

/*
 * Behaviour that was found wrong once, each with the reason. A case that
 * cannot run here (too little memory) is reported as skipped.
 */
static void regressions(void)
{
	struct sysinfo si;
	uint64_t ram, two_g = 1ULL << 31, big = two_g + 2 * PS;
	uint8_t in[4] = { 1, 2, 3, 4 }, out[4];
	ssize_t n;
	int fd;

	/*
	 * write()/pwrite() at 2 GiB and beyond: the driver's shmem file was
	 * created without O_LARGEFILE, so generic_write_check_limits() cut
	 * every write at MAX_NON_LFS (2^31 - 1) and refused the rest with
	 * EFBIG, while reads and mappings reached the whole buffer. Needs a
	 * buffer above 2 GiB: runs only where the driver's cap allows one.
	 */
	if (sysinfo(&si)) {
		bad(C_REGRESS, "sysinfo: %s", strerror(errno));
		return;
	}
	ram = (uint64_t)si.totalram * si.mem_unit;
	if (limit < big || ram < big + (512ULL << 20)) {
		say("# regression write_past_2g: SKIP needs a cap above 2 GiB (RAM %llu MiB, cap %llu MiB)",
		    (unsigned long long)(ram >> 20), (unsigned long long)(limit >> 20));
		skips[C_REGRESS]++;
		return;
	}
	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		bad(C_REGRESS, "open: %s", strerror(errno));
		return;
	}
	{
		struct mmio_shm_resize_args r = { .size = sizeof(r), .new_size = big };

		if (ioctl(fd, MMIO_SHM_IOC_RESIZE, &r)) {
			say("# regression write_past_2g: SKIP RESIZE to %llu: %s",
			    (unsigned long long)big, strerror(errno));
			skips[C_REGRESS]++;
			close(fd);
			return;
		}
	}
	n = pwrite(fd, in, 4, two_g - 2);
	if (n != 4)
		bad(C_REGRESS, "pwrite of 4 bytes at 2 GiB - 2: %zd (%s)", n,
		    n < 0 ? strerror(errno) : "short");
	n = pwrite(fd, in, 4, two_g + PS);
	if (n != 4)
		bad(C_REGRESS, "pwrite of 4 bytes at 2 GiB + 4 KiB: %zd (%s)", n,
		    n < 0 ? strerror(errno) : "short");
	n = pread(fd, out, 4, two_g + PS);
	if (n != 4 || memcmp(in, out, 4))
		bad(C_REGRESS, "pread at 2 GiB + 4 KiB does not read back what was written");
	{
		struct mmio_shm_resize_args r = { .size = sizeof(r), .new_size = size0 };

		if (ioctl(fd, MMIO_SHM_IOC_RESIZE, &r))
			bad(C_REGRESS, "RESIZE back to %zu: %s", size0, strerror(errno));
	}
	close(fd);
	say("# regression write_past_2g: ran with a %llu-byte buffer",
	    (unsigned long long)big);
}

/* ---- the end: does the device still work? ---- */

static void final_check(void)
{
	struct mmio_shm_info_args info;
	struct mmio_shm_resize_args r = { .size = sizeof(r), .new_size = size0 };
	struct mmio_shm_zero_args z = {
		.size = sizeof(z), .length = MMIO_SHM_ZERO_TO_END,
	};
	uint8_t *p;
	size_t i;
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		bad(C_FINAL, "open: %s", strerror(errno));
		return;
	}
	if (ioctl(fd, MMIO_SHM_IOC_RESIZE, &r))
		bad(C_FINAL, "RESIZE back to %zu: %s", size0, strerror(errno));
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info) || info.buf_size != size0 ||
	    info.nr_maps || info.nr_open != 1)
		bad(C_FINAL, "INFO: size %llu, %u mappings, %u open files (%s)",
		    (unsigned long long)info.buf_size, info.nr_maps, info.nr_open,
		    strerror(errno));
	p = mmap(NULL, size0, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		bad(C_FINAL, "mmap of the whole buffer: %s", strerror(errno));
		close(fd);
		return;
	}
	for (i = 0; i < size0; i++)
		p[i] = i * 7 + (i >> 12);
	if (pread(fd, iobuf, size0, 0) != (ssize_t)size0 || memcmp(iobuf, p, size0))
		bad(C_FINAL, "pread does not see what the mapping wrote");
	fill_random(iobuf, size0);
	if (pwrite(fd, iobuf, size0, 0) != (ssize_t)size0 || memcmp(iobuf, p, size0))
		bad(C_FINAL, "the mapping does not see what pwrite wrote");
	if (ioctl(fd, MMIO_SHM_IOC_ZERO, &z))
		bad(C_FINAL, "ZERO: %s", strerror(errno));
	for (i = 0; i < size0 && !p[i]; i++)
		;
	if (i != size0)
		bad(C_FINAL, "byte %zu is %#x after ZERO", i, p[i]);
	if (munmap(p, size0))
		bad(C_FINAL, "munmap: %s", strerror(errno));
	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info) || info.nr_maps)
		bad(C_FINAL, "%u mappings after munmap", info.nr_maps);
	close(fd);
}

/* ---- main ---- */

static void usage(const char *prog, FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"Fuzz /dev/mmio_shm with structure-aware arguments, alone on the device.\n"
		"\n"
		"Options:\n"
		"  -d, --device PATH     device node (default /dev/mmio_shm)\n"
		"  -t, --seconds N       run time in seconds (default 30)\n"
		"  -n, --iterations N    stop after N calls (default: no limit)\n"
		"  -s, --seed N          random seed (default: from the clock, printed)\n"
		"      --smoke           only check that the device still works\n"
		"      --no-regress      leave out the regression cases\n"
		"  -h, --help            this text\n",
		prog);
}

static uint64_t read_limit(void)
{
	struct sysinfo si;
	unsigned long long v = 0;
	FILE *f = fopen("/sys/module/mmio_shm/parameters/max_size", "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	if (v)
		return v;
	/* the default: half of RAM, in whole pages (mmio_shm_ram_limit()) */
	sysinfo(&si);
	return ((uint64_t)si.totalram * si.mem_unit / PS / 2) * PS;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "smoke", no_argument, NULL, 'S' },
		{ "no-regress", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mmio_shm_info_args info;
	unsigned long max_iter = 0;
	unsigned int seconds = 30, failed = 0, skipped = 0;
	int c, seeded = 0, smoke = 0, regress = 1, fd;
	uint64_t seed = 0, end;
	struct statvfs sv;
	struct sigaction sa;
	char line[512];
	size_t n;

	while ((c = getopt_long(argc, argv, "d:t:n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev_path = optarg; break;
		case 't': seconds = strtoul(optarg, NULL, 0); break;
		case 'n': max_iter = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); seeded = 1; break;
		case 'S': smoke = 1; break;
		case 'R': regress = 0; break;
		case 'h': usage(argv[0], stdout); return 0;
		default:
			fprintf(stderr, "try %s --help\n", argv[0]);
			return 2;
		}
	}
	if (!seeded)
		seed = now_ns() ^ ((uint64_t)getpid() << 32);
	rng = seed;
	dev_name = strrchr(dev_path, '/') ? strrchr(dev_path, '/') + 1 : dev_path;
	snprintf(map_suffix, sizeof(map_suffix), "/%s", dev_name);

	say("TAP version 13");
	say("1..%d", smoke ? 1 : NC);

	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		say("Bail out! open %s: %s", dev_path, strerror(errno));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info)) {
		say("Bail out! INFO: %s", strerror(errno));
		return 1;
	}
	if (info.nr_open != 1 || info.nr_maps) {
		say("Bail out! the fuzzer must be alone on %s: %u open files, %u mappings",
		    dev_path, info.nr_open, info.nr_maps);
		return 1;
	}
	size0 = info.buf_size;
	model_seq = info.seq;
	ctl_fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0) {
		say("Bail out! open %s: %s", dev_path, strerror(errno));
		return 1;
	}
	limit = read_limit();
	cap = 4 * size0;
	if (cap > limit / 2)
		cap = limit / 2 / PS * PS;
	if (cap < size0)
		cap = size0;
	shadow = malloc(cap + PS);
	iobuf = malloc(cap + 2 * PS);
	argmem = mmap(NULL, 5 * PS, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	arena = mmap(NULL, ARENA_LEN, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!shadow || !iobuf || argmem == MAP_FAILED || arena == MAP_FAILED) {
		say("Bail out! out of memory");
		return 1;
	}
	mprotect(ARG_GUARD, PS, PROT_NONE);
	mprotect(ARG_RO, PS, PROT_READ);
	mprotect(ARG_RO + PS, PS, PROT_NONE);
	noexec = !statvfs(dev_path, &sv) && (sv.f_flag & ST_NOEXEC);
	probe_advice();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	say("# seed %llu, device %s, %zu bytes, RESIZE up to %zu (driver cap %llu)%s",
	    (unsigned long long)seed, dev_path, size0, cap,
	    (unsigned long long)limit, noexec ? ", noexec mount" : "");

	for (c = 0; c < nr_unknown_advs; c++)
		say("# madvise advice %d unknown to this kernel: EINVAL expected",
		    unknown_advs[c]);

	if (regress && !smoke)
		regressions();

	if (!smoke) {
		/* the shadow starts as the device: a random pattern we wrote */
		model_size = size0;
		fill_random(shadow, size0);
		if (pwrite(fd, shadow, size0, 0) != (ssize_t)size0) {
			say("Bail out! pwrite: %s", strerror(errno));
			return 1;
		}
		fds[0] = (struct fdent){ .fd = fd, .file = next_file++, .acc = A_RDWR,
					 .seen = model_seq };
		nfds = 1;
		read_vmas();

		end = now_ns() + (uint64_t)seconds * 1000000000ULL;
		for (iter = 1; !max_iter || iter <= max_iter; iter++) {
			unsigned int r = below(100);

			if (!(iter & 15) && now_ns() >= end)
				break;
			if (r < 28)
				fuzz_ioctl();
			else if (r < 38)
				fuzz_mmap();
			else if (r < 43)
				fuzz_munmap();
			else if (r < 47)
				fuzz_mremap();
			else if (r < 52)
				fuzz_mprotect();
			else if (r < 58)
				fuzz_madvise();
			else if (r < 70)
				fuzz_rw();
			else if (r < 74)
				fuzz_lseek();
			else if (r < 77)
				fuzz_poll();
			else if (r < 81)
				fuzz_open();
			else if (r < 84)
				fuzz_close();
			else if (r < 94)
				fuzz_touch();
			else if (r < 95)
				fuzz_fork();
			else if (r < 97)
				unmap_everything();
			else
				check_counters();
			if (!(iter % 200))
				check_all_data("periodic check");
		}
		iter--;
		unmap_everything();
		check_counters();
		check_all_data("the end");
		while (nfds)
			close(fds[--nfds].fd);
	} else {
		close(fd);
	}
	close(ctl_fd);
	ctl_fd = -1;
	final_check();

	if (!smoke) {
		uint64_t total = 0;

		n = 0;
		line[0] = '\0';
		for (c = 0; c < NX; c++) {
			total += execs[c];
			n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
				      exec_names[c], execs[c]);
			if (n > 60 || c == NX - 1) {
				say("# executions:%s", line);
				n = 0;
				line[0] = '\0';
			}
		}
		say("# total %llu executions in %lu iterations; %lu checked calls succeeded, %lu failed (errno checked); %llu alarms",
		    (unsigned long long)total, iter, results[0], results[1],
		    (unsigned long long)alarms);
	}
	if (msgs > MAX_MSGS)
		say("# %u more failure messages not shown", msgs - MAX_MSGS);
	if (smoke) {
		say("%s 1 %s", fails[C_FINAL] ? "not ok" : "ok", check_names[C_FINAL]);
		return fails[C_FINAL] ? 1 : 0;
	}
	for (c = 0; c < NC; c++) {
		if (fails[c]) {
			say("not ok %d %s # %lu failures", c + 1, check_names[c], fails[c]);
			failed++;
		} else if (skips[c]) {
			say("ok %d %s # SKIP see above", c + 1, check_names[c]);
			skipped++;
		} else {
			say("ok %d %s", c + 1, check_names[c]);
		}
	}
	say("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0",
	    NC - failed - skipped, failed, skipped);
	return failed ? 1 : 0;
}
