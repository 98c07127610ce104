// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the library's fan-in on the device: producers that join bound
 * (mmio_shm_fanin_join() with a device handle of their own) are found by
 * the consumer through their binding; a producer's death, even while the
 * consumer sleeps, is -EPIPE for its slot alone, after every record it
 * committed, and its slot is reused; a token that no binding holds (a
 * hostile or half-joined producer) is a gone one; producers killed at
 * random lose no committed record. Every wait is forever: a lost wake-up
 * fails through the harness's timeout. The fan-in's own rules (layout,
 * bad input, the staged sleep) are tests/host/fanin_test.c's.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "libmmio_shm.h"

#define DEV_MIN_PAGES 64
#include "fixture.h"

#define RW (MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)
/* 4 slots with a 16 KiB ring each: producers often wait for room */
#define REGION (4 * 20480 + 4096)
#define SLOTS 4

/* one record: who sent it and its number */
struct rec {
	uint32_t pid;
	uint32_t pad;
	uint64_t seq;
};

/* a handle on the device of one's own, its mapping of the region */
struct side {
	struct mmio_shm *shm;
	void *mem;
};

static int side_open(struct side *s)
{
	int ret = mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDWR, &s->shm);

	return ret ? ret : mmio_shm_map_range(s->shm, 0, REGION, RW, &s->mem);
}

/* the consumer: a bound fan-in of SLOTS slots */
static int consumer_open(struct side *s, struct mmio_shm_fanin **fanp)
{
	int ret = side_open(s);

	if (!ret)
		ret = mmio_shm_fanin_init(s->mem, REGION, SLOTS, 0, fanp);
	return ret ? ret : mmio_shm_fanin_bind(*fanp, s->shm);
}

/*
 * A producer process: joins bound, sends @n records (0: forever), then
 * waits for SIGKILL when @stay, or exits 0. Exits 100 + errno on failure.
 */
static void producer(uint64_t n, bool stay)
{
	struct rec r = { .pid = (uint32_t)getpid() };
	struct mmio_shm_ring *ring;
	struct side s;
	int ret;

	ret = side_open(&s);
	if (!ret)
		ret = mmio_shm_fanin_join(s.mem, REGION, s.shm, 0, &ring, NULL);
	if (ret)
		_exit(100 - ret);
	for (r.seq = 0; !n || r.seq < n; r.seq++) {
		ret = mmio_shm_ring_send(ring, &r, sizeof(r), -1);
		if (ret)
			_exit(100 - ret);
	}
	while (stay)
		pause();
	_exit(0);
}

TEST_F(dev, a_killed_producer_is_epipe_for_its_slot_alone_then_reused)
{
	struct mmio_shm_fanin *fan;
	uint64_t next[3] = { 0 };
	unsigned int slot, from[3], i, got_pipe = 0;
	struct side c;
	struct rec r;
	pid_t pid[3];
	size_t len;
	int ret;

	ASSERT_EQ(0, consumer_open(&c, &fan));
	for (i = 0; i < 3; i++) {
		pid[i] = fork_child();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			producer(3000, true);
	}
	/* every record of all three, in each one's order */
	while (next[0] + next[1] + next[2] < 9000) {
		ASSERT_EQ(0, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len,
						 &slot));
		for (i = 0; i < 3 && pid[i] != (pid_t)r.pid; i++)
			;
		ASSERT_LT(i, 3);
		ASSERT_EQ(next[i], r.seq);
		if (!next[i]++)
			from[i] = slot;
		ASSERT_EQ(from[i], slot);
	}
	/* the second one dies: -EPIPE for its slot, the others go on */
	ASSERT_EQ(0, kill(pid[1], SIGKILL));
	EXPECT_EQ(128 + SIGKILL, wait_child(pid[1]));
	ret = mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len, &slot);
	EXPECT_EQ(-EPIPE, ret);
	EXPECT_EQ(from[1], slot);
	/* its slot is the next producer's */
	pid[1] = fork_child();
	ASSERT_LE(0, pid[1]);
	if (!pid[1])
		producer(10, false);
	for (next[1] = 0; next[1] < 10; next[1]++) {
		ASSERT_EQ(0, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len,
						 &slot));
		EXPECT_EQ((uint32_t)pid[1], r.pid);
		EXPECT_EQ(next[1], r.seq);
		EXPECT_EQ(from[1], slot);
	}
	/* it exits: -EPIPE once more, then the two left are killed */
	EXPECT_EQ(0, wait_child(pid[1]));
	EXPECT_EQ(-EPIPE, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len,
					      &slot));
	EXPECT_EQ(from[1], slot);
	kill(pid[0], SIGKILL);
	kill(pid[2], SIGKILL);
	wait_child(pid[0]);
	wait_child(pid[2]);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-EPIPE, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1,
						      &len, &slot));
		if (slot == from[0] || slot == from[2])
			got_pipe++;
	}
	EXPECT_EQ(2, got_pipe);
	EXPECT_EQ(-EAGAIN, mmio_shm_fanin_recv(fan, &r, sizeof(r), 0, &len,
					       &slot));
	mmio_shm_fanin_detach(fan);
	mmio_shm_close(c.shm);
}

/* the consumer is asleep on the doorbell when its one producer dies */
TEST_F(dev, a_sleeping_consumer_wakes_with_epipe_when_a_producer_is_killed)
{
	struct mmio_shm_fanin *fan;
	unsigned int slot;
	pid_t prod, killer;
	struct side c;
	struct rec r;
	size_t len;

	ASSERT_EQ(0, consumer_open(&c, &fan));
	prod = fork_child();
	ASSERT_LE(0, prod);
	if (!prod)
		producer(1, true);
	ASSERT_EQ(0, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len, &slot));
	killer = fork_child();
	ASSERT_LE(0, killer);
	if (!killer) {
		/* once the consumer sleeps in the ioctl, kill the producer */
		while (!wait_blocked_in(getppid(), SYS_ioctl, 100))
			usleep(1000);
		_exit(kill(prod, SIGKILL) ? 1 : 0);
	}
	EXPECT_EQ(-EPIPE, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len,
					      &slot));
	EXPECT_EQ(0, wait_child(killer));
	EXPECT_EQ(128 + SIGKILL, wait_child(prod));
	mmio_shm_fanin_detach(fan);
	mmio_shm_close(c.shm);
}

/* hostile input: an owner word no binding holds is a gone producer */
TEST_F(dev, a_token_no_binding_holds_is_epipe_and_the_slot_freed)
{
	struct mmio_shm_fanin *fan;
	struct mmio_shm_fanin_hdr *h;
	_Atomic uint64_t *owner;
	unsigned int slot;
	struct side c;
	struct rec r;
	size_t len;

	ASSERT_EQ(0, consumer_open(&c, &fan));
	h = c.mem;
	owner = (void *)((char *)c.mem + h->slot_offset + 2 * h->slot_size);
	atomic_store(owner, 0x5eed5eed5eedull);
	EXPECT_EQ(-EPIPE, mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len,
					      &slot));
	EXPECT_EQ(2, slot);
	EXPECT_EQ(0, atomic_load(owner));
	mmio_shm_fanin_detach(fan);
	mmio_shm_close(c.shm);
}

TEST_F(dev, fanin_bind_refuses_a_second_bind_and_files)
{
	struct mmio_shm_fanin *fan;
	struct mmio_shm_ring *ring;
	struct side c;

	ASSERT_EQ(0, consumer_open(&c, &fan));
	EXPECT_EQ(-EALREADY, mmio_shm_fanin_bind(fan, c.shm));
	/* a producer's handle must be its own: the consumer's is bound */
	EXPECT_EQ(-EALREADY, mmio_shm_fanin_join(c.mem, REGION, c.shm, 0,
						 &ring, NULL));
	mmio_shm_fanin_detach(fan);
	mmio_shm_close(c.shm);
}

/*
 * Producers come and go on the device: up to 3 at a time, each killed by
 * this process after a random number of its records; the kernel tells the
 * consumer (no mmio_shm_fanin_drop()), which gets -EPIPE for each, after
 * its records, and no record out of order.
 */
TEST_F_TIMEOUT(dev, producers_killed_at_random_lose_no_committed_record, 120)
{
	struct {
		pid_t pid;		/* 0: none */
		uint64_t next;		/* the seq of its next record */
		uint64_t left;		/* records until it is killed */
		bool dead;		/* killed */
	} p[3] = { 0 };
	struct mmio_shm_fanin *fan;
	unsigned int slot, i, kills = 0, pipes = 0;
	uint64_t total = 0;
	struct side c;
	struct rec r;
	size_t len;
	int ret;

	srand((unsigned int)getpid());
	ASSERT_EQ(0, consumer_open(&c, &fan));
	while (kills < 12) {
		/*
		 * Every dead one reported: their entries are free again. Here,
		 * not after a record: when all three are dead, no record comes
		 * (a wait for one after their -EPIPEs was this test's own hang).
		 */
		if (pipes == kills)
			for (i = 0; i < 3; i++)
				if (p[i].dead)
					p[i].pid = 0;
		for (i = 0; i < 3; i++) {
			if (p[i].pid)
				continue;
			p[i].pid = fork_child();
			ASSERT_LE(0, p[i].pid);
			if (!p[i].pid)
				producer(0, false);
			p[i].next = 0;
			p[i].left = (uint64_t)(rand() % 3000);
			p[i].dead = false;
		}
		ret = mmio_shm_fanin_recv(fan, &r, sizeof(r), -1, &len, &slot);
		if (ret == -EPIPE) {
			/* one of the dead ones: reaped already */
			pipes++;
			continue;
		}
		ASSERT_EQ(0, ret);
		for (i = 0; i < 3 && p[i].pid != (pid_t)r.pid; i++)
			;
		ASSERT_LT(i, 3);
		ASSERT_EQ(p[i].next, r.seq);
		p[i].next++;
		total++;
		if (!p[i].dead && p[i].left-- == 0) {
			kill(p[i].pid, SIGKILL);
			wait_child(p[i].pid);
			p[i].dead = true;
			kills++;
		}
	}
	for (i = 0; i < 3; i++)
		if (p[i].pid && !p[i].dead) {
			kill(p[i].pid, SIGKILL);
			wait_child(p[i].pid);
		}
	TH_LOG("%llu records, %u killed, %u -EPIPE",
	       (unsigned long long)total, kills, pipes);
	EXPECT_LE(kills - 3, pipes);
	mmio_shm_fanin_detach(fan);
	mmio_shm_close(c.shm);
}

TEST_HARNESS_MAIN
