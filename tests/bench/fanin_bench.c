// SPDX-License-Identifier: GPL-2.0
/*
 * fanin_bench - many producers to one consumer: 64-byte messages from 1, 2
 * and 4 producer processes to one consumer process, msgs/s, as CSV rows
 * (where,benchmark,variant,size,unit,median,min,max,reps) on stdout,
 * benchmark "fanin":
 *
 *   fanin/Np     the library's fan-in (mmio_shm_fanin_*(): one ring per
 *                producer, a shared wake word), each producer sending
 *                with mmio_shm_ring_send(), the consumer receiving with
 *                mmio_shm_fanin_recv()
 *   mpsc-cas/Np  the design not taken, for the choice in docs/design.md:
 *                one ring of fixed 64-byte cells that every producer
 *                claims with a compare-and-swap on the shared tail (each
 *                cell's sequence word says when it is written), both
 *                sides yielding the CPU while full or empty; no sleep, no
 *                liveness, no checks: the most that design can reach
 *
 * The consumer runs on CPU 0 and the producers on CPU 1; each producer
 * sends for --run-ms, then an empty message; the figure runs from the
 * start until the consumer has every producer's empty message. A second
 * figure, cpu-ns/msg, is the CPU time all the processes spent (user and
 * system, getrusage()) per message: what a loaded machine, which lends
 * the processes a fraction of its CPUs, changes least. The peer,
 * Boost.Interprocess's message_queue with as many senders, is
 * boost_mq_bench.cpp's (variant boost-mq/fanin-Np). The region is a memfd
 * (--target memfd) or the device (--target device=PATH), 4 MiB either way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdalign.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmmio_shm.h>

#include "bench_clock.h"

#define BENCH_VERSION	"1.0"
#define MAX_REPS	32
#define MAX_PROD	4
#define MSG		64u
#define REGION		(4u << 20)
#define RW		(MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)

/* the start line, in a MAP_SHARED page all see */
struct ctl {
	_Atomic int ready;	/* producers set up */
	_Atomic int go;		/* the parent's start */
	int err;		/* a producer's error, negative errno */
};

/* the prototype: a cell and the ring's header */
struct cell {
	_Atomic uint64_t seq;	/* pos + 1 once written, pos + n once read */
	uint32_t len;
	unsigned char data[MSG];
	uint32_t pad;
};

struct mpsc {
	alignas(64) _Atomic uint64_t tail;	/* the producers' */
	alignas(64) _Atomic uint64_t head;	/* the consumer's */
	alignas(64) uint64_t ncells;
	struct cell cells[];
};

static void mpsc_init(struct mpsc *q, size_t len)
{
	uint64_t n = 1, i;

	while ((n * 2) * sizeof(struct cell) + sizeof(*q) <= len)
		n *= 2;
	q->ncells = n;
	for (i = 0; i < n; i++)
		atomic_store_explicit(&q->cells[i].seq, i, memory_order_relaxed);
	atomic_store(&q->tail, 0);
	atomic_store(&q->head, 0);
}

static void mpsc_send(struct mpsc *q, const void *buf, uint32_t len)
{
	uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct cell *c;
	int64_t dif;

	for (;;) {
		c = &q->cells[pos & (q->ncells - 1)];
		dif = (int64_t)(atomic_load_explicit(&c->seq,
						     memory_order_acquire) - pos);
		if (!dif) {
			if (atomic_compare_exchange_weak_explicit(&q->tail,
					&pos, pos + 1, memory_order_relaxed,
					memory_order_relaxed))
				break;
		} else if (dif < 0) {
			sched_yield();		/* full */
			pos = atomic_load_explicit(&q->tail,
						   memory_order_relaxed);
		} else {
			pos = atomic_load_explicit(&q->tail,
						   memory_order_relaxed);
		}
	}
	c->len = len;
	memcpy(c->data, buf, len);
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
}

static uint32_t mpsc_recv(struct mpsc *q, void *buf, uint64_t *headp)
{
	uint64_t head = *headp;
	struct cell *c = &q->cells[head & (q->ncells - 1)];
	uint32_t len;

	while (atomic_load_explicit(&c->seq, memory_order_acquire) != head + 1)
		sched_yield();			/* empty */
	len = c->len;
	memcpy(buf, c->data, len);
	atomic_store_explicit(&c->seq, head + q->ncells, memory_order_release);
	*headp = head + 1;
	return len;
}

/* a producer process: @library or the prototype, until the end time */
static void produce(bool library, void *mem, struct mmio_shm *shm,
		    struct ctl *ctl, uint64_t run_ns)
{
	unsigned char src[MSG];
	struct mmio_shm_ring *ring = NULL;
	uint64_t end, n = 0;
	int ret = 0;

	memset(src, 0x5a, sizeof(src));
	if (library)
		ret = mmio_shm_fanin_join(mem, REGION, NULL, 0, &ring, NULL);
	(void)shm;
	if (ret)
		ctl->err = ret;
	atomic_fetch_add(&ctl->ready, 1);
	if (ret)
		_exit(1);
	while (!atomic_load(&ctl->go))
		sched_yield();
	end = now_ns() + run_ns;
	do {
		if (library)
			ret = mmio_shm_ring_send(ring, src, MSG,
						 MMIO_SHM_TIMEOUT_FOREVER);
		else
			mpsc_send(mem, src, MSG);
		n++;
	} while (!ret && ((n & 63) || now_ns() < end));
	if (library)
		ret = ret ? ret : mmio_shm_ring_send(ring, NULL, 0,
						     MMIO_SHM_TIMEOUT_FOREVER);
	else
		mpsc_send(mem, NULL, 0);
	if (ret)
		ctl->err = ret;
	_exit(ret ? 1 : 0);
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
}

static uint64_t cpu_ns(const struct rusage *ru)
{
	return tv_ns(&ru->ru_utime) + tv_ns(&ru->ru_stime);
}

/* one run with @np producers: msgs/s in *@ratep, CPU ns per msg in *@cpup */
static int fanin_once(bool library, int np, void *mem, struct mmio_shm *shm,
		      struct ctl *ctl, uint64_t run_ns, double *ratep,
		      double *cpup)
{
	struct rusage ru0, ru1, ruc;
	uint64_t cpu = 0;
	struct mmio_shm_fanin *fan = NULL;
	unsigned char buf[MSG];
	uint64_t t0, head = 0, msgs = 0;
	pid_t pid[MAX_PROD];
	int i, ends = 0, st, ret = 0;
	unsigned int slot;
	size_t got;

	memset(ctl, 0, sizeof(*ctl));
	if (library)
		ret = mmio_shm_fanin_init(mem, REGION, MAX_PROD, 0, &fan);
	else
		mpsc_init(mem, REGION);
	if (ret)
		return ret;
	pin_cpu(0);
	for (i = 0; i < np; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pin_cpu(1);
			produce(library, mem, shm, ctl, run_ns);
		}
		if (pid[i] < 0) {
			ret = -errno;
			np = i;
			goto out;
		}
	}
	while (atomic_load(&ctl->ready) < np)
		sched_yield();
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_ns();
	atomic_store(&ctl->go, 1);
	while (ends < np && !ret) {
		if (library) {
			ret = mmio_shm_fanin_recv(fan, buf, sizeof(buf),
						  MMIO_SHM_TIMEOUT_FOREVER,
						  &got, &slot);
		} else {
			got = mpsc_recv(mem, buf, &head);
		}
		if (ret)
			break;
		if (got)
			msgs++;
		else
			ends++;
	}
	if (!ret)
		*ratep = (double)msgs * 1e9 / (double)(now_ns() - t0);
	getrusage(RUSAGE_SELF, &ru1);
	cpu = cpu_ns(&ru1) - cpu_ns(&ru0);
out:
	for (i = 0; i < np; i++) {
		if (ret)
			kill(pid[i], SIGKILL);
		if (wait4(pid[i], &st, 0, &ruc) == pid[i]) {
			cpu += cpu_ns(&ruc);
			if (!ret && (!WIFEXITED(st) || WEXITSTATUS(st)))
				ret = ctl->err ? ctl->err : -ECHILD;
		}
	}
	if (!ret)
		*cpup = msgs ? (double)cpu / (double)msgs : 0;
	pin_cpu(-1);
	mmio_shm_fanin_detach(fan);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void emit(const char *where, const char *variant, const char *unit,
		 double *v, int n)
{
	double med;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s,fanin,%s,%u,%s,%.6g,%.6g,%.6g,%d\n", where, variant,
	       MSG, unit, med, v[0], v[n - 1], n);
	fflush(stdout);
	fprintf(stderr, "bench[%s]: %-10s %-14s %8u  %12.6g %s\n", where,
		"fanin", variant, MSG, med, unit);
}

static void print_help(const char *prog)
{
	printf("Usage: %s [OPTIONS]\n"
	       "Many producers to one consumer, 64-byte messages, as CSV\n"
	       "(where,benchmark,variant,size,unit,median,min,max,reps).\n\n"
	       "Options:\n"
	       "  -t, --target=T       memfd (default) or device=PATH\n"
	       "  -w, --where=NAME     the first column (default host)\n"
	       "  -r, --reps=N         runs per figure, 1-%d (default 5)\n"
	       "  -T, --run-ms=MS      one run (default 100)\n"
	       "  -V, --variant=NAME   only this variant (fanin/4p, ...)\n"
	       "  -h, --help           this text\n"
	       "  -v, --version        the version\n", prog, MAX_REPS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "where", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ "run-ms", required_argument, NULL, 'T' },
		{ "variant", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static const int nprod[] = { 1, 2, 4 };
	const char *where = "host", *target = "memfd", *only = NULL;
	uint64_t run_ns = 100000000u;
	double v[MAX_REPS], c[MAX_REPS];
	struct mmio_shm *shm;
	char variant[32];
	int opt, reps = 5, lib, k, r, ret, fd;
	struct ctl *ctl;
	void *mem;
	long val;

	while ((opt = getopt_long(argc, argv, "t:w:r:T:V:hv", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 'w': where = optarg; break;
		case 'V': only = optarg; break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				goto usage;
			break;
		case 'T':
			val = atol(optarg);
			if (val < 1 || val > 60000)
				goto usage;
			run_ns = (uint64_t)val * 1000000u;
			break;
		case 'h':
			print_help(argv[0]);
			return EXIT_SUCCESS;
		case 'v':
			printf("fanin_bench %s\n", BENCH_VERSION);
			return EXIT_SUCCESS;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (!strncmp(target, "device=", 7)) {
		ret = mmio_shm_open(target + 7, MMIO_SHM_OPEN_RDWR, &shm);
	} else if (!strcmp(target, "memfd")) {
		fd = memfd_create("fanin_bench", MFD_CLOEXEC);
		ret = fd < 0 || ftruncate(fd, REGION) ? -errno : 0;
		if (!ret)
			ret = mmio_shm_open_fd(fd, &shm);
		if (fd >= 0)
			close(fd);
	} else {
		goto usage;
	}
	if (!ret)
		ret = mmio_shm_map_range(shm, 0, REGION, RW, &mem);
	ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ret || ctl == MAP_FAILED) {
		fprintf(stderr, "fanin_bench: %s: %s\n", target,
			strerror(ret ? -ret : errno));
		return EXIT_FAILURE;
	}
	for (lib = 1; lib >= 0; lib--) {
		for (k = 0; k < 3; k++) {
			snprintf(variant, sizeof(variant), "%s/%dp",
				 lib ? "fanin" : "mpsc-cas", nprod[k]);
			if (only && strcmp(only, variant))
				continue;
			for (r = 0, ret = 0; r < reps && !ret; r++)
				ret = fanin_once(lib, nprod[k], mem, shm, ctl,
						 run_ns, &v[r], &c[r]);
			if (ret) {
				fprintf(stderr, "bench[%s]: %s: %s\n", where,
					variant, strerror(-ret));
				continue;
			}
			emit(where, variant, "msgs/s", v, reps);
			emit(where, variant, "cpu-ns/msg", c, reps);
		}
	}
	mmio_shm_close(shm);
	return EXIT_SUCCESS;

usage:
	fprintf(stderr, "try %s --help\n", argv[0]);
	return EXIT_FAILURE;
}
