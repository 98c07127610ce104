// SPDX-License-Identifier: GPL-2.0
/*
 * The library's message ring on the device, and what the device adds to
 * it: with both sides bound (mmio_shm_ring_bind()), a side that waits
 * sleeps on the doorbell and learns from the kernel, at the next wake-up,
 * that the other side's process is gone: -EPIPE, not a hang, also when
 * the producer is killed in the middle of a record. Unbound sides keep the
 * futex. Every call here waits forever: a lost wake-up fails the test
 * through the harness's timeout. The ring's own rules (layout, wrap,
 * corrupt headers) are tests/host/ring_test.c's.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "libmmio_shm.h"

#define DEV_MIN_PAGES 32
#include "fixture.h"
#include "futex_trap.h"

#define RW (MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)
/* a small ring, so that both sides often wait */
#define RING_LEN (MMIO_SHM_RING_OVERHEAD + 4096)
/* about 6 s each in a TCG guest; the debug kernel is several times slower */
#define RECORDS 100000

/* the blocks, as libmmio_shm.h lays them out */
#define TAIL_BLOCK 128
#define HEAD_BLOCK 256
#define BLK_ENDPOINT 96
#define BLK_SLEEPS 64		/* its low half, on little-endian */
#define BLK_WAITING 80
#define BLK_SLEEP_HOW 84

static uint32_t blk_word(void *mem, size_t blk, size_t field)
{
	return atomic_load((_Atomic uint32_t *)((char *)mem + blk + field));
}

/* a side's own handle on the device, its mapping, and the ring in it */
struct side {
	struct mmio_shm *shm;
	void *mem;
	struct mmio_shm_ring *ring;
};

static int side_open(struct side *s, bool init, unsigned int bind_as)
{
	size_t len;
	int ret;

	ret = mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDWR, &s->shm);
	if (ret)
		return ret;
	ret = mmio_shm_map_range(s->shm, 0, RING_LEN, RW, &s->mem);
	if (ret)
		return ret;
	len = RING_LEN;
	ret = init ? mmio_shm_ring_init(s->mem, len, 0, &s->ring) :
		     mmio_shm_ring_attach(s->mem, len, 0, &s->ring);
	if (ret || !bind_as)
		return ret;
	return mmio_shm_ring_bind(s->ring, s->shm, bind_as);
}

static void side_close(struct side *s)
{
	mmio_shm_ring_detach(s->ring);
	mmio_shm_close(s->shm);
}

/* record @seq: 8 to 263 bytes, its number first, then a pattern */
static size_t rec_len(uint64_t seq)
{
	return 8 + (seq * 131) % 256;
}

static void rec_fill(unsigned char *p, uint64_t seq)
{
	size_t i;

	memcpy(p, &seq, sizeof(seq));
	for (i = sizeof(seq); i < rec_len(seq); i++)
		p[i] = (unsigned char)(seq + i);
}

static bool rec_ok(const unsigned char *p, size_t len, uint64_t seq)
{
	uint64_t got;
	size_t i;

	if (len != rec_len(seq))
		return false;
	memcpy(&got, p, sizeof(got));
	if (got != seq)
		return false;
	for (i = sizeof(seq); i < len; i++)
		if (p[i] != (unsigned char)(seq + i))
			return false;
	return true;
}

/* a producer process: @n records, then exit 0; 100 + errno on failure */
static int produce(bool bind, uint64_t n)
{
	unsigned char buf[512];
	struct side s;
	uint64_t seq;
	int ret;

	ret = side_open(&s, false, bind ? MMIO_SHM_RING_PRODUCER : 0);
	if (ret)
		return 100 - ret;
	for (seq = 0; seq < n; seq++) {
		rec_fill(buf, seq);
		ret = mmio_shm_ring_send(s.ring, buf, rec_len(seq), -1);
		if (ret)
			return 100 - ret;
	}
	side_close(&s);
	return 0;
}

/* the consumer side of a run of @n records; the ring is made here */
static void consume(struct __test_metadata *_metadata, bool bind, uint64_t n)
{
	unsigned char buf[512];
	struct side c;
	uint64_t seq;
	size_t len;
	pid_t pid;

	ASSERT_EQ(0, side_open(&c, true, bind ? MMIO_SHM_RING_CONSUMER : 0));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(produce(bind, n));
	for (seq = 0; seq < n; seq++) {
		ASSERT_EQ(0, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), -1,
						&len));
		ASSERT_TRUE(rec_ok(buf, len, seq)) TH_LOG("record %llu",
							 (unsigned long long)seq);
	}
	EXPECT_EQ(0, wait_child(pid));
	/* the producer exited: an empty ring is now the end of the stream */
	if (bind) {
		EXPECT_EQ(-EPIPE, mmio_shm_ring_recv(c.ring, buf, sizeof(buf),
						     -1, &len));
	} else {
		EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(c.ring, buf, sizeof(buf),
						      0, &len));
	}
	/* the consumer slept, on the doorbell only when both were bound */
	EXPECT_LT(0, blk_word(c.mem, HEAD_BLOCK, BLK_SLEEPS));
	EXPECT_EQ(bind, blk_word(c.mem, HEAD_BLOCK, BLK_SLEEP_HOW));
	side_close(&c);
}

TEST_F_TIMEOUT(dev, records_keep_order_and_bytes_on_the_device_with_futex_sleeps,
	       300)
{
	consume(_metadata, false, RECORDS);
}

TEST_F_TIMEOUT(dev, records_keep_order_and_bytes_with_bound_sides_on_the_doorbell,
	       300)
{
	consume(_metadata, true, RECORDS);
}

/*
 * The producer sends 100 records, reserves one more, writes half of it
 * and is killed: the consumer gets the 100, then -EPIPE; the half record
 * never shows.
 */
TEST_F(dev, a_producer_killed_mid_record_is_epipe_after_its_records)
{
	unsigned char buf[512];
	const void *q;
	struct side c;
	uint64_t seq;
	size_t len;
	pid_t pid;

	ASSERT_EQ(0, side_open(&c, true, MMIO_SHM_RING_CONSUMER));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct side p;
		void *rec;

		if (side_open(&p, false, MMIO_SHM_RING_PRODUCER))
			_exit(1);
		for (seq = 0; seq < 100; seq++) {
			rec_fill(buf, seq);
			if (mmio_shm_ring_send(p.ring, buf, rec_len(seq), -1))
				_exit(2);
		}
		if (mmio_shm_ring_reserve(p.ring, 200, -1, &rec))
			_exit(3);
		memset(rec, 0xee, 100);
		raise(SIGKILL);
		_exit(4);
	}
	/* the ring holds less than 100 records: receive while it sends */
	for (seq = 0; seq < 100; seq++) {
		ASSERT_EQ(0, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), -1,
						&len));
		ASSERT_TRUE(rec_ok(buf, len, seq));
	}
	EXPECT_EQ(-EPIPE, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), -1,
					     &len));
	/* and it stays so: every later wait says the same at once */
	EXPECT_EQ(-EPIPE, mmio_shm_ring_peek(c.ring, -1, &q, &len));
	EXPECT_EQ(128 + SIGKILL, wait_child(pid));
	side_close(&c);
}

/*
 * The consumer is asleep on the doorbell when the producer is killed by
 * a third process: it wakes with -EPIPE.
 */
TEST_F(dev, a_sleeping_consumer_wakes_with_epipe_when_the_producer_is_killed)
{
	unsigned char buf[64];
	struct side c;
	pid_t prod, killer;
	size_t len;

	ASSERT_EQ(0, side_open(&c, true, MMIO_SHM_RING_CONSUMER));
	prod = fork_child();
	ASSERT_LE(0, prod);
	if (prod == 0) {
		struct side p;

		if (side_open(&p, false, MMIO_SHM_RING_PRODUCER))
			_exit(1);
		pause();
		_exit(0);
	}
	killer = fork_child();
	ASSERT_LE(0, killer);
	if (killer == 0) {
		/* once the consumer sleeps on the doorbell, kill the producer */
		while (!blk_word(c.mem, HEAD_BLOCK, BLK_WAITING) ||
		       blk_word(c.mem, HEAD_BLOCK, BLK_SLEEP_HOW) != 1 ||
		       !wait_blocked_in(getppid(), SYS_ioctl, 100))
			usleep(1000);
		_exit(kill(prod, SIGKILL) ? 1 : 0);
	}
	EXPECT_EQ(-EPIPE, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), -1,
					     &len));
	EXPECT_EQ(0, wait_child(killer));
	EXPECT_EQ(128 + SIGKILL, wait_child(prod));
	side_close(&c);
}

/* A producer waiting for space learns that its consumer was killed. */
TEST_F(dev, a_producer_waiting_for_space_gets_epipe_when_the_consumer_dies)
{
	unsigned char buf[256] = { 0 };
	struct side p;
	pid_t cons;
	int ready[2], ret;
	char c;

	ASSERT_EQ(0, pipe(ready));
	/* the producer makes the ring here; the consumer attaches */
	ASSERT_EQ(0, side_open(&p, true, MMIO_SHM_RING_PRODUCER));
	cons = fork_child();
	ASSERT_LE(0, cons);
	if (cons == 0) {
		struct side s;

		if (side_open(&s, false, MMIO_SHM_RING_CONSUMER))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* fill the ring: nobody consumes */
	while (!(ret = mmio_shm_ring_send(p.ring, buf, sizeof(buf), 0)))
		;
	ASSERT_EQ(-EAGAIN, ret);
	ASSERT_EQ(0, kill(cons, SIGKILL));
	EXPECT_EQ(-EPIPE, mmio_shm_ring_send(p.ring, buf, sizeof(buf), -1));
	EXPECT_EQ(128 + SIGKILL, wait_child(cons));
	close(ready[0]);
	close(ready[1]);
	side_close(&p);
}

/*
 * Staging the bind race: the consumer's first FUTEX_WAIT is trapped (a
 * seccomp filter raises SIGSYS), and the handler lets the producer bind
 * before it makes the real call. That is the consumer past every check,
 * having seen no cookie, and not yet asleep: the producer's wake-up comes
 * before the wait. The bind must change the word the consumer sleeps on,
 * so that the wait returns at once and the consumer moves to the
 * doorbell; otherwise it sleeps on the futex until its timeout, and a
 * producer killed meanwhile goes unnoticed.
 */
static int stage_go = -1, stage_done = -1;
static volatile sig_atomic_t staged;

static void stage_futex(int sig, siginfo_t *si, void *ctx)
{
	greg_t *r = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	int saved = errno;
	char c = 'g';
	long ret;

	if (!staged && (r[REG_RSI] & FUTEX_CMD_MASK) == FUTEX_WAIT) {
		staged = 1;
		if (write(stage_go, &c, 1) != 1 || read(stage_done, &c, 1) != 1)
			_exit(90);
	}
	ret = syscall(SYS_futex, r[REG_RDI], r[REG_RSI], r[REG_RDX],
		      r[REG_R10], r[REG_R8], FUTEX_TRAP_PASS);
	r[REG_RAX] = ret == -1 ? -errno : ret;
	errno = saved;
}

TEST_F(dev, a_bind_just_before_the_consumer_sleeps_moves_it_to_the_doorbell)
{
	int go[2], done[2], i;
	unsigned char buf[64];
	pid_t prod, killer;
	struct side c;
	size_t len;

#ifndef __x86_64__
	SKIP(return, "the staging reads x86-64 registers");
#endif
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, side_open(&c, true, MMIO_SHM_RING_CONSUMER));
	prod = fork_child();
	ASSERT_LE(0, prod);
	if (prod == 0) {
		struct side p;
		char b;

		if (side_open(&p, false, 0) || read(go[0], &b, 1) != 1)
			_exit(1);
		if (mmio_shm_ring_bind(p.ring, p.shm, MMIO_SHM_RING_PRODUCER))
			_exit(2);
		if (write(done[1], "d", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	killer = fork_child();
	ASSERT_LE(0, killer);
	if (killer == 0) {
		/* once the consumer sleeps on the doorbell, kill the producer */
		for (i = 0; i < 20000; i++) {
			if (blk_word(c.mem, HEAD_BLOCK, BLK_WAITING) &&
			    blk_word(c.mem, HEAD_BLOCK, BLK_SLEEP_HOW) == 1 &&
			    wait_blocked_in(getppid(), SYS_ioctl, 100))
				_exit(kill(prod, SIGKILL) ? 1 : 0);
			usleep(1000);
		}
		_exit(2);
	}
	stage_go = go[1];
	stage_done = done[0];
	if (futex_trap(stage_futex)) {
		kill(prod, SIGKILL);
		kill(killer, SIGKILL);
		wait_child(prod);
		wait_child(killer);
		side_close(&c);
		SKIP(return, "no seccomp filter here (CONFIG_SECCOMP_FILTER): the staging traps futex");
	}
	/* 20 s: only a consumer left on the futex gets that far */
	EXPECT_EQ(-EPIPE, mmio_shm_ring_recv(c.ring, buf, sizeof(buf),
					     20000000000LL, &len));
	EXPECT_EQ(1, staged);
	EXPECT_EQ(0, wait_child(killer));
	kill(prod, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, wait_child(prod));
	side_close(&c);
}

/*
 * A consumer that polls with a zero timeout never waits, so it never
 * meets -EPIPE: it asks mmio_shm_ring_peer_alive(). A block naming an
 * endpoint the device does not have is the peer's garbage: -EPROTO, also
 * from a wait, never the kernel's -EINVAL.
 */
TEST_F(dev, a_polling_consumer_asks_peer_alive_and_sees_the_producer_go)
{
	unsigned char buf[64];
	int ready[2];
	struct side c;
	size_t len;
	pid_t prod;
	char b;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, side_open(&c, true, MMIO_SHM_RING_CONSUMER));
	/* nobody bound on the other side yet */
	EXPECT_EQ(-ENOENT, mmio_shm_ring_peer_alive(c.ring,
						    MMIO_SHM_RING_CONSUMER));
	prod = fork_child();
	ASSERT_LE(0, prod);
	if (prod == 0) {
		struct side p;

		if (side_open(&p, false, MMIO_SHM_RING_PRODUCER) ||
		    write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &b, 1));
	EXPECT_EQ(1, mmio_shm_ring_peer_alive(c.ring, MMIO_SHM_RING_CONSUMER));
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), 0,
					      &len));
	ASSERT_EQ(0, kill(prod, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, wait_child(prod));
	EXPECT_EQ(0, mmio_shm_ring_peer_alive(c.ring, MMIO_SHM_RING_CONSUMER));
	/* a zero timeout still does not wait: -EAGAIN, as documented */
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), 0,
					      &len));
	EXPECT_EQ(-EPIPE, mmio_shm_ring_recv(c.ring, buf, sizeof(buf), -1,
					     &len));
	/* the producer's block names endpoint 64: garbage */
	atomic_store((_Atomic uint32_t *)((char *)c.mem + TAIL_BLOCK +
					  BLK_ENDPOINT), 64);
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peer_alive(c.ring,
						    MMIO_SHM_RING_CONSUMER));
	EXPECT_EQ(-EPROTO, mmio_shm_ring_recv(c.ring, buf, sizeof(buf),
					      1000000, &len));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_peer_alive(NULL,
						    MMIO_SHM_RING_CONSUMER));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_peer_alive(c.ring, 3));
	close(ready[0]);
	close(ready[1]);
	side_close(&c);
}

TEST_F(dev, ring_bind_refuses_files_second_binds_and_bad_sides)
{
	struct mmio_shm *mfd_shm, *other;
	struct mmio_shm_ring *ring;
	struct side s;
	void *mem;
	size_t len;
	int mfd;

	ASSERT_EQ(0, side_open(&s, true, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_bind(s.ring, s.shm, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_bind(s.ring, s.shm, 3));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_bind(NULL, s.shm,
					      MMIO_SHM_RING_PRODUCER));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_bind(s.ring, NULL,
					      MMIO_SHM_RING_PRODUCER));
	EXPECT_EQ(0, mmio_shm_ring_bind(s.ring, s.shm, MMIO_SHM_RING_PRODUCER));
	EXPECT_EQ(-EALREADY, mmio_shm_ring_bind(s.ring, s.shm,
						MMIO_SHM_RING_CONSUMER));
	/* one endpoint per open file, even through another ring handle */
	ASSERT_EQ(0, mmio_shm_ring_attach(s.mem, RING_LEN, 0, &ring));
	EXPECT_EQ(-EALREADY, mmio_shm_ring_bind(ring, s.shm,
						MMIO_SHM_RING_CONSUMER));
	ASSERT_EQ(0, mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDONLY,
				   &other));
	EXPECT_EQ(0, mmio_shm_ring_bind(ring, other, MMIO_SHM_RING_CONSUMER));
	mmio_shm_ring_detach(ring);
	mmio_shm_close(other);

	/* a memfd has no kernel to vouch for anyone */
	mfd = memfd_create("peer_test", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, RING_LEN));
	ASSERT_EQ(0, mmio_shm_open_fd(mfd, &mfd_shm));
	ASSERT_EQ(0, mmio_shm_map(mfd_shm, RW, &mem, &len));
	ASSERT_EQ(0, mmio_shm_ring_init(mem, len, 0, &ring));
	EXPECT_EQ(-ENOTTY, mmio_shm_ring_bind(ring, mfd_shm,
					      MMIO_SHM_RING_CONSUMER));
	mmio_shm_ring_detach(ring);
	mmio_shm_close(mfd_shm);
	side_close(&s);
}

TEST_HARNESS_MAIN
