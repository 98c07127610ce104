// SPDX-License-Identifier: GPL-2.0
/*
 * boost_mq_bench - the peer of the ring's throughput figures: what a C or
 * C++ programmer would pick instead, Boost.Interprocess's message_queue
 * (Debian's libboost-dev, header only), measured exactly as
 * mmio_shm_bench measures the ring (its xfer_once()): a producer and a
 * consumer process, pinned to one CPU (1cpu) or to two (2cpu), @size-byte
 * messages for --run-ms, then an empty message ends the run; MB/s and
 * msgs/s from the first send to the consumer's last receive, the median
 * of --reps runs. The queue holds as many messages of the size as fit in
 * --ring-data bytes (4 MiB: the ring's data area), at least 2.
 *
 * CSV rows as mmio_shm_bench prints them
 * (where,benchmark,variant,size,unit,median,min,max,reps) on stdout,
 * benchmark "throughput", variant "boost-mq/1cpu" and "boost-mq/2cpu";
 * tests/bench/run.sh appends them to the ring's, so that report.py takes
 * the ratios within one run.
 *
 * Many to one: 1, 2 and 4 sender processes on CPU 1, the receiver on CPU
 * 0, 64-byte messages, one queue, as fanin_bench measures the library's
 * fan-in: benchmark "fanin", variant "boost-mq/fanin-Np", msgs/s, and the
 * CPU time of all the processes per message (cpu-ns/msg), as fanin_bench.
 */
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <boost/interprocess/ipc/message_queue.hpp>

#include "bench_clock.h"

namespace bip = boost::interprocess;

#define BENCH_VERSION	"1.0"
#define MAX_REPS	32
#define KiB		((size_t)1 << 10)
#define MiB		((size_t)1 << 20)

/* one run's settings */
struct bench {
	const char *where;	/* the CSV's first column: host, guest */
	int reps;		/* runs per figure */
	size_t ring_data;	/* the queue's buffer: as the ring's data area */
	uint64_t run_ns;	/* one run */
};

/* the consumer's report, in a MAP_SHARED page both see */
struct ctl {
	std::atomic<int> ready;	/* the child is set up */
	uint64_t bytes;		/* bytes the consumer received */
	uint64_t t_end;		/* when it saw the end */
	int err;		/* the child's error, negative errno */
};

/* the median, min and max of @v as one CSV row, progress on stderr */
static void emit_as(const struct bench *b, const char *bench,
		    const char *variant, size_t size, const char *unit,
		    std::vector<double> v)
{
	size_t n = v.size();
	double med;

	std::sort(v.begin(), v.end());
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s,%s,%s,%zu,%s,%.6g,%.6g,%.6g,%zu\n", b->where, bench,
	       variant, size, unit, med, v[0], v[n - 1], n);
	fflush(stdout);
	fprintf(stderr, "bench[%s]: %-10s %-14s %8zu  %12.6g %s\n", b->where,
		bench, variant, size, med, unit);
}

static void emit(const struct bench *b, const char *variant, size_t size,
		 const char *unit, std::vector<double> v)
{
	emit_as(b, "throughput", variant, size, unit, v);
}

/* the consumer: receives until the empty message, then reports */
static void consume(const char *name, size_t size, struct ctl *c)
{
	std::vector<char> buf(size ? size : 1);
	uint64_t bytes = 0;
	int ret = 0;

	try {
		bip::message_queue mq(bip::open_only, name);
		bip::message_queue::size_type got;
		unsigned int prio;

		c->ready.store(1);
		for (;;) {
			mq.receive(buf.data(), buf.size(), got, prio);
			if (!got)
				break;		/* an empty message ends the run */
			bytes += got;
		}
	} catch (const std::exception &e) {
		fprintf(stderr, "boost_mq_bench: consumer: %s\n", e.what());
		ret = -EIO;
		c->ready.store(1);
	}
	c->t_end = now_ns();
	c->bytes = bytes;
	c->err = ret;
	_exit(ret ? 1 : 0);
}

/* one run, as mmio_shm_bench's xfer_once(): MB/s in *@mbsp */
static int xfer_once(const struct bench *b, int cpus, size_t size,
		     const char *src, struct ctl *c, double *mbsp)
{
	size_t slots = std::max<size_t>(2, b->ring_data / size);
	unsigned int mask = size < 4 * KiB ? 63 : 0;
	uint64_t t0, end, n = 0;
	char name[64];
	int status, ret = 0;
	pid_t pid;

	snprintf(name, sizeof(name), "mmio_shm_bench_boost.%d", (int)getpid());
	bip::message_queue::remove(name);
	c->ready.store(0);
	c->bytes = c->t_end = 0;
	c->err = 0;
	try {
		bip::message_queue mq(bip::create_only, name, slots, size);

		pin_cpu(0);
		pid = fork();
		if (pid < 0) {
			ret = -errno;
			pin_cpu(-1);
			bip::message_queue::remove(name);
			return ret;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			pin_cpu(cpus == 2 ? 1 : 0);
			consume(name, size, c);
		}
		while (!c->ready.load())
			sched_yield();
		t0 = now_ns();
		end = t0 + b->run_ns;
		do {
			mq.send(src, size, 0);
			n++;
		} while ((n & mask) || now_ns() < end);
		mq.send(src, 0, 0);
		if (waitpid(pid, &status, 0) < 0)
			ret = -errno;
		else if (c->err)
			ret = c->err;
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = -ECHILD;
	} catch (const std::exception &e) {
		fprintf(stderr, "boost_mq_bench: %s\n", e.what());
		ret = -EIO;
	}
	pin_cpu(-1);
	bip::message_queue::remove(name);
	if (!ret)
		*mbsp = (double)c->bytes * 1e3 / (double)(c->t_end - t0);
	return ret;
}

/*
 * Many to one: @np senders (on CPU 1) for --run-ms, each ending with an
 * empty message, one receiver (this process, on CPU 0); msgs/s from the
 * start until the receiver has every sender's empty message.
 */
static uint64_t cpu_ns(const struct rusage *ru)
{
	return ((uint64_t)ru->ru_utime.tv_sec + (uint64_t)ru->ru_stime.tv_sec) *
	       1000000000u + ((uint64_t)ru->ru_utime.tv_usec +
			      (uint64_t)ru->ru_stime.tv_usec) * 1000u;
}

static int fanin_once(const struct bench *b, int np, struct ctl *c,
		      double *ratep, double *cpup)
{
	struct rusage ru0, ru1, ruc;
	uint64_t cpu;
	const size_t size = 64;
	size_t slots = std::max<size_t>(2, b->ring_data / size);
	std::vector<pid_t> pid(np);
	std::vector<char> buf(size, 0x5a);
	uint64_t t0, msgs = 0;
	int i, ends = 0, status, ret = 0;
	char name[64];

	snprintf(name, sizeof(name), "mmio_shm_bench_boost_fanin.%d",
		 (int)getpid());
	bip::message_queue::remove(name);
	c->ready.store(0);
	c->bytes = 0;
	c->err = 0;
	try {
		bip::message_queue mq(bip::create_only, name, slots, size);
		bip::message_queue::size_type got;
		unsigned int prio;

		pin_cpu(0);
		for (i = 0; i < np; i++) {
			pid[i] = fork();
			if (pid[i] == 0) {
				uint64_t end, n = 0;

				prctl(PR_SET_PDEATHSIG, SIGKILL);
				pin_cpu(1);
				c->ready.fetch_add(1);
				/* bytes: the start line, set by the receiver */
				while (!__atomic_load_n(&c->bytes,
							__ATOMIC_ACQUIRE))
					sched_yield();
				end = now_ns() + b->run_ns;
				do {
					mq.send(buf.data(), size, 0);
					n++;
				} while ((n & 63) || now_ns() < end);
				mq.send(buf.data(), 0, 0);
				_exit(0);
			}
			if (pid[i] < 0) {
				ret = -errno;
				np = i;
				break;
			}
		}
		while (!ret && c->ready.load() < np)
			sched_yield();
		getrusage(RUSAGE_SELF, &ru0);
		t0 = now_ns();
		__atomic_store_n(&c->bytes, 1, __ATOMIC_RELEASE);
		while (!ret && ends < np) {
			mq.receive(buf.data(), size, got, prio);
			if (got)
				msgs++;
			else
				ends++;
		}
		if (!ret)
			*ratep = (double)msgs * 1e9 / (double)(now_ns() - t0);
		getrusage(RUSAGE_SELF, &ru1);
		cpu = cpu_ns(&ru1) - cpu_ns(&ru0);
		for (i = 0; i < np; i++) {
			if (wait4(pid[i], &status, 0, &ruc) < 0 ||
			    !WIFEXITED(status) || WEXITSTATUS(status))
				ret = ret ? ret : -ECHILD;
			else
				cpu += cpu_ns(&ruc);
		}
		if (!ret)
			*cpup = msgs ? (double)cpu / (double)msgs : 0;
	} catch (const std::exception &e) {
		fprintf(stderr, "boost_mq_bench: fanin: %s\n", e.what());
		ret = -EIO;
	}
	pin_cpu(-1);
	bip::message_queue::remove(name);
	return ret;
}

static void print_help(const char *prog)
{
	printf("Usage: %s [OPTIONS]\n"
	       "Boost.Interprocess message_queue throughput, as mmio_shm_bench's CSV\n"
	       "(where,benchmark,variant,size,unit,median,min,max,reps).\n\n"
	       "Options:\n"
	       "  -w, --where=NAME     the first column (default host)\n"
	       "  -r, --reps=N         runs per figure, 1-%d (default 5)\n"
	       "  -d, --ring-data=MiB  the queue's buffer (default 4, as the ring's)\n"
	       "  -T, --run-ms=MS      one run (default 100)\n"
	       "  -F, --fanin-only     only the many-to-one figures\n"
	       "  -h, --help           this text\n"
	       "  -v, --version        the version\n", prog, MAX_REPS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "where", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ "ring-data", required_argument, NULL, 'd' },
		{ "run-ms", required_argument, NULL, 'T' },
		{ "fanin-only", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static const size_t sizes[] = { 64, KiB, 4 * KiB, 64 * KiB, MiB };
	struct bench b = { "host", 5, 4 * MiB, 100000000u };
	struct ctl *c;
	char variant[64];
	long v;
	int opt, cpus, r, ret;
	bool fanin_only = false;

	while ((opt = getopt_long(argc, argv, "w:r:d:T:Fhv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			b.where = optarg;
			break;
		case 'r':
			b.reps = atoi(optarg);
			if (b.reps < 1 || b.reps > MAX_REPS)
				goto usage;
			break;
		case 'd':
			v = atol(optarg);
			if (v < 2 || v > 1024)
				goto usage;
			b.ring_data = (size_t)v * MiB;
			break;
		case 'T':
			v = atol(optarg);
			if (v < 1 || v > 60000)
				goto usage;
			b.run_ns = (uint64_t)v * 1000000u;
			break;
		case 'F':
			fanin_only = true;
			break;
		case 'h':
			print_help(argv[0]);
			return EXIT_SUCCESS;
		case 'v':
			printf("boost_mq_bench %s (Boost %d.%d)\n", BENCH_VERSION,
			       BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
			return EXIT_SUCCESS;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	c = (struct ctl *)mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED) {
		perror("boost_mq_bench: mmap");
		return EXIT_FAILURE;
	}
	{
		std::vector<char> src(MiB, 0x5a);

		for (size_t size : sizes) {
			if (fanin_only)
				break;
			for (cpus = 1; cpus <= 2; cpus++) {
				std::vector<double> mbs(b.reps), msgs(b.reps);

				snprintf(variant, sizeof(variant), "boost-mq/%dcpu", cpus);
				for (r = 0, ret = 0; r < b.reps && !ret; r++) {
					ret = xfer_once(&b, cpus, size, src.data(), c, &mbs[r]);
					msgs[r] = mbs[r] * 1e6 / (double)size;
				}
				if (ret) {
					fprintf(stderr, "bench[%s]: %s: %s\n", b.where,
						variant, strerror(-ret));
					continue;
				}
				emit(&b, variant, size, "MB/s", mbs);
				emit(&b, variant, size, "msgs/s", msgs);
			}
		}
		for (int np : { 1, 2, 4 }) {
			std::vector<double> msgs(b.reps), cpu(b.reps);

			snprintf(variant, sizeof(variant), "boost-mq/fanin-%dp", np);
			for (r = 0, ret = 0; r < b.reps && !ret; r++)
				ret = fanin_once(&b, np, c, &msgs[r], &cpu[r]);
			if (ret) {
				fprintf(stderr, "bench[%s]: %s: %s\n", b.where,
					variant, strerror(-ret));
				continue;
			}
			emit_as(&b, "fanin", variant, 64, "msgs/s", msgs);
			emit_as(&b, "fanin", variant, 64, "cpu-ns/msg", cpu);
		}
	}
	munmap(c, 4096);
	return EXIT_SUCCESS;

usage:
	fprintf(stderr, "try %s --help\n", argv[0]);
	return EXIT_FAILURE;
}
