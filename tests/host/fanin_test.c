// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the fan-in of libmmio_shm (mmio_shm_fanin_*()) on memfds:
 * the documented layout; bad arguments and foreign headers refused; a
 * slot's ring refused by mmio_shm_ring_attach(); every slot taken is
 * -EBUSY; records from several producer processes keep each producer's
 * order; a producer that writes garbage is -EPROTO for its slot alone and
 * its slot is reused; a dropped producer's records come first, then
 * -EPIPE for its slot, which the next producer gets; the consumer sleeps
 * once, on the shared word, which a producer bumps only when the consumer
 * is flagged, and a claim bumps too (counted with a seccomp filter that
 * traps futex); a fenceless producer's record becomes visible at the
 * consumer's membarrier(); and producers killed at random over a long run
 * lose no record they committed and never mix their streams.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "host.h"
#include "kselftest_harness.h"
#include "../selftests/futex_trap.h"

#define MS		1000000LL	/* nanoseconds */
#define RW		(MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)
#define REGION		(256 * 1024)

/* the documented layout: slot @i's owner word, its ring, a block's word */
static uint64_t *owner_of(unsigned char *mem, unsigned int i)
{
	struct mmio_shm_fanin_hdr *h = (void *)mem;

	return (void *)(mem + h->slot_offset + i * h->slot_size);
}

static unsigned char *ring_of(unsigned char *mem, unsigned int i)
{
	return (unsigned char *)owner_of(mem, i) + MMIO_SHM_FANIN_SLOT_OVERHEAD;
}

/* +0 of the producer's (tail) or the consumer's (head) block, and beyond */
static void *blk_of(unsigned char *mem, unsigned int i, bool consumer,
		    size_t off)
{
	return ring_of(mem, i) + (consumer ? 256 : 128) + off;
}

static uint32_t *shared_wake(unsigned char *mem)
{
	return (void *)(mem + 128);
}

/* one record a producer of the long runs sends: who and which */
struct rec {
	uint32_t pid;
	uint32_t pad;
	uint64_t seq;
};

FIXTURE(fanin) {
	int fd;				/* the memfd */
	struct mmio_shm *shm;		/* the library's handle on it */
	unsigned char *mem;		/* its mapping */
	struct mmio_shm_fanin *fan;	/* the consumer */
};

FIXTURE_SETUP(fanin)
{
	void *mem;

	self->fd = memfd_of_size(REGION);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mmio_shm_open_fd(self->fd, &self->shm));
	ASSERT_EQ(0, mmio_shm_map_range(self->shm, 0, REGION, RW, &mem));
	self->mem = mem;
	ASSERT_EQ(0, mmio_shm_fanin_init(mem, REGION, 4, 0, &self->fan));
}

FIXTURE_TEARDOWN(fanin)
{
	mmio_shm_fanin_detach(self->fan);
	mmio_shm_close(self->shm);
}

TEST_F(fanin, init_lays_out_the_documented_header)
{
	struct mmio_shm_fanin_hdr *h = (void *)self->mem;
	unsigned int i;

	EXPECT_EQ(MMIO_SHM_FANIN_MAGIC, h->magic);
	EXPECT_EQ(MMIO_SHM_FANIN_VERSION, h->version);
	EXPECT_EQ(4, h->slots);
	EXPECT_EQ(MMIO_SHM_FANIN_OVERHEAD, h->slot_offset);
	EXPECT_EQ(0, h->slot_size % MMIO_SHM_RING_ALIGN);
	EXPECT_GE(REGION, h->region_size);
	EXPECT_EQ(h->slot_offset + 4 * h->slot_size, h->region_size);
	for (i = 0; i < 4; i++) {
		struct mmio_shm_ring_hdr *r = (void *)ring_of(self->mem, i);

		EXPECT_EQ(0, *owner_of(self->mem, i));
		EXPECT_EQ(MMIO_SHM_RING_MAGIC, r->magic);
		EXPECT_EQ(MMIO_SHM_RING_FANIN_SLOT, r->flags);
		EXPECT_EQ(h->slot_size - MMIO_SHM_FANIN_SLOT_OVERHEAD,
			  r->region_size);
	}
}

TEST_F(fanin, bad_arguments_are_einval)
{
	struct mmio_shm_fanin *f;
	struct mmio_shm_ring *r;
	unsigned int slot;
	size_t got;
	char buf[8];

	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(NULL, REGION, 1, 0, &f));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(self->mem + 8, REGION - 128,
					       1, 0, &f));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(self->mem, REGION, 0, 0, &f));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(self->mem, REGION,
					       MMIO_SHM_FANIN_MAX_SLOTS + 1,
					       0, &f));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(self->mem, REGION, 1, 1, &f));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(self->mem, REGION, 1, 0, NULL));
	/* too small for the slots asked for */
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_init(self->mem, 1024, 2, 0, &f));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_join(NULL, REGION, NULL, 0, &r,
					       &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_join(self->mem + 8, REGION, NULL,
					       0, &r, &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_join(self->mem, REGION, NULL, 1,
					       &r, &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_join(self->mem, REGION, NULL, 0,
					       NULL, &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_join(self->mem, 64, NULL, 0, &r,
					       &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_recv(NULL, buf, 8, 0, &got, &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_recv(self->fan, NULL, 8, 0, &got,
					       &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_recv(self->fan, buf, 8, 0, NULL,
					       &slot));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_drop(NULL, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_drop(self->fan, 4));
	EXPECT_EQ(-ENOENT, mmio_shm_fanin_drop(self->fan, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_bind(NULL, self->shm));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_bind(self->fan, NULL));
	/* a memfd has no endpoints */
	EXPECT_EQ(-ENOTTY, mmio_shm_fanin_bind(self->fan, self->shm));
	EXPECT_EQ(-EINVAL, mmio_shm_fanin_detach(NULL));
}

TEST_F(fanin, a_foreign_or_corrupt_header_is_eproto)
{
	struct mmio_shm_fanin_hdr *h = (void *)self->mem, saved = *h;
	struct mmio_shm_ring *r;
	unsigned int slot;

	h->magic++;
	EXPECT_EQ(-EPROTO, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &r,
					       &slot));
	*h = saved;
	h->version++;
	EXPECT_EQ(-EPROTO, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &r,
					       &slot));
	*h = saved;
	h->slots = 64;
	EXPECT_EQ(-EPROTO, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &r,
					       &slot));
	*h = saved;
	h->slot_size = REGION;		/* slots past the mapping */
	EXPECT_EQ(-EPROTO, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &r,
					       &slot));
	*h = saved;
	h->slot_size += 8;		/* misaligned slots */
	EXPECT_EQ(-EPROTO, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &r,
					       &slot));
	*h = saved;
	h->reserved[21] = 1;
	EXPECT_EQ(-EPROTO, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &r,
					       &slot));
	*h = saved;
	/* a slot's ring is not a ring of its own */
	EXPECT_EQ(-EPROTO, mmio_shm_ring_attach(ring_of(self->mem, 0),
						saved.slot_size - 128, 0, &r));
	/* nothing was claimed by the refused joins */
	EXPECT_EQ(0, *owner_of(self->mem, 0));
}

TEST_F(fanin, every_slot_taken_is_ebusy)
{
	struct mmio_shm_ring *r[5];
	unsigned int i, slot;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0,
						 &r[i], &slot));
		EXPECT_EQ(i, slot);
		EXPECT_NE(0, *owner_of(self->mem, i));
	}
	EXPECT_EQ(-EBUSY, mmio_shm_fanin_join(self->mem, REGION, NULL, 0,
					      &r[4], &slot));
	for (i = 0; i < 4; i++)
		mmio_shm_ring_detach(r[i]);
}

TEST_F(fanin, an_empty_fanin_is_eagain_then_etimedout)
{
	unsigned int slot;
	size_t got;
	char buf[8];

	EXPECT_EQ(-EAGAIN, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       &slot));
	EXPECT_EQ(-ETIMEDOUT, mmio_shm_fanin_recv(self->fan, buf, 8, 10 * MS,
						  &got, &slot));
}

/* the documented burst: records in a row from one slot, at most */
#define BURST 64

TEST_F(fanin, records_are_taken_from_the_slots_in_turn_in_bursts)
{
	struct mmio_shm_ring *a, *b;
	unsigned int sa, sb, slot, i, na = 0, nb = 0;
	uint32_t v;
	char buf[8];
	size_t got;

	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &a, &sa));
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &b, &sb));
	for (v = 0; v < 3 * BURST; v++)
		ASSERT_EQ(0, mmio_shm_ring_send(a, &v, 4, 0));
	for (v = 0; v < 3; v++)
		ASSERT_EQ(0, mmio_shm_ring_send(b, &v, 4, 0));
	for (i = 0; i < 3 * BURST + 3; i++) {
		ASSERT_EQ(0, mmio_shm_fanin_recv(self->fan, &v, 4, 0, &got,
						 &slot));
		/* each one's order; a busy slot does not starve the other */
		if (slot == sa) {
			EXPECT_EQ(na, v);
			na++;
		} else {
			ASSERT_EQ(sb, slot);
			EXPECT_EQ(nb, v);
			nb++;
			EXPECT_GE((nb - 1) * BURST + BURST, na);
		}
		EXPECT_LE(na, (nb + 1) * BURST);
	}
	EXPECT_EQ(3 * BURST, na);
	EXPECT_EQ(3, nb);
	/* a record too long for the buffer stays first in its slot */
	ASSERT_EQ(0, mmio_shm_ring_send(b, "long", 4, 0));
	EXPECT_EQ(-EMSGSIZE, mmio_shm_fanin_recv(self->fan, &v, 1, 0, &got,
						 &slot));
	EXPECT_EQ(sb, slot);
	EXPECT_EQ(4, got);
	ASSERT_EQ(0, mmio_shm_ring_send(a, "x", 1, 0));
	ASSERT_EQ(0, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got, &slot));
	EXPECT_EQ(sb, slot);
	EXPECT_EQ(4, got);
	mmio_shm_ring_detach(a);
	mmio_shm_ring_detach(b);
}

/*
 * The consumer publishes its head once per burst, not per record: an
 * emptied slot gives its room back before the consumer turns away, also
 * when the ring holds fewer records than a burst.
 */
TEST(an_emptied_slot_gives_its_room_back)
{
	size_t len = MMIO_SHM_FANIN_OVERHEAD + MMIO_SHM_FANIN_SLOT_OVERHEAD +
		     MMIO_SHM_RING_OVERHEAD + 256;
	struct mmio_shm_fanin *fan;
	struct mmio_shm_ring *a;
	unsigned int slot, n = 0, i;
	uint64_t v = 0;
	size_t got;
	void *mem;

	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, mmio_shm_fanin_init(mem, len, 1, 0, &fan));
	ASSERT_EQ(0, mmio_shm_fanin_join(mem, len, NULL, 0, &a, &slot));
	/* 256 bytes: 16 records of 8 */
	while (!mmio_shm_ring_send(a, &v, 8, 0))
		n++;
	EXPECT_EQ(16, n);
	for (i = 0; i < 3; i++) {
		while (!mmio_shm_fanin_recv(fan, &v, 8, 0, &got, &slot))
			n--;
		EXPECT_EQ(0, n);
		/* the room is back: the producer fills the ring again */
		while (!mmio_shm_ring_send(a, &v, 8, 0))
			n++;
		EXPECT_EQ(16, n);
	}
	mmio_shm_ring_detach(a);
	mmio_shm_fanin_detach(fan);
	munmap(mem, 4096);
}

TEST_F(fanin, a_dropped_producer_is_drained_then_epipe_and_its_slot_reused)
{
	struct mmio_shm_ring *a, *b, *c;
	unsigned int sa, sb, sc, slot, i, from_a = 0, from_b = 0;
	size_t got;
	char buf[8];
	int ret;

	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &a, &sa));
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &b, &sb));
	ASSERT_EQ(0, mmio_shm_ring_send(a, "a0", 2, 0));
	ASSERT_EQ(0, mmio_shm_ring_send(a, "a1", 2, 0));
	/* the consumer hears that a is gone, then b sends */
	ASSERT_EQ(0, mmio_shm_fanin_drop(self->fan, sa));
	ASSERT_EQ(0, mmio_shm_ring_send(b, "b0", 2, 0));
	/* a's two records, in order, then -EPIPE for a; b's in any place */
	for (i = 0; i < 4; i++) {
		ret = mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got, &slot);
		if (slot == sb) {
			ASSERT_EQ(0, ret);
			EXPECT_EQ(0, memcmp(buf, "b0", 2));
			from_b++;
			continue;
		}
		ASSERT_EQ(sa, slot);
		if (from_a < 2) {
			ASSERT_EQ(0, ret);
			EXPECT_EQ('0' + from_a, buf[1]);
			from_a++;
		} else {
			EXPECT_EQ(-EPIPE, ret);
			from_a++;
		}
	}
	EXPECT_EQ(3, from_a);
	EXPECT_EQ(1, from_b);
	/* once: then b goes on, and the slot is free for the next one */
	EXPECT_EQ(0, *owner_of(self->mem, sa));
	EXPECT_EQ(-EAGAIN, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       &slot));
	mmio_shm_ring_detach(a);
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &c, &sc));
	EXPECT_EQ(sa, sc);
	ASSERT_EQ(0, mmio_shm_ring_send(c, "c1", 2, 0));
	ASSERT_EQ(0, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got, &slot));
	EXPECT_EQ(sc, slot);
	EXPECT_EQ(0, memcmp(buf, "c1", 2));
	mmio_shm_ring_detach(b);
	mmio_shm_ring_detach(c);
}

TEST_F(fanin, a_producer_writing_garbage_is_eproto_for_its_slot_alone)
{
	struct mmio_shm_ring *a, *b, *c;
	unsigned int sa, sb, sc, slot;
	uint64_t *tail;
	size_t got;
	char buf[8];

	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &a, &sa));
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &b, &sb));
	ASSERT_EQ(0, mmio_shm_ring_send(b, "b1", 2, 0));
	/* a's tail: misaligned, then far ahead of head */
	tail = blk_of(self->mem, sa, false, 0);
	*tail = 3;
	ASSERT_EQ(-EPROTO, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       &slot));
	EXPECT_EQ(sa, slot);
	/* laid out anew and free */
	EXPECT_EQ(0, *owner_of(self->mem, sa));
	EXPECT_EQ(0, *tail);
	ASSERT_EQ(0, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got, &slot));
	EXPECT_EQ(sb, slot);
	EXPECT_EQ(0, memcmp(buf, "b1", 2));
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &c, &sc));
	EXPECT_EQ(sa, sc);
	*(uint64_t *)blk_of(self->mem, sc, false, 0) = UINT64_C(1) << 40;
	ASSERT_EQ(-EPROTO, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       &slot));
	EXPECT_EQ(sc, slot);
	mmio_shm_ring_detach(a);
	mmio_shm_ring_detach(b);
	mmio_shm_ring_detach(c);
}

/* ----------------------------------------- staged with a futex trap */

static volatile int futex_waits, futex_wakes, membarriers;
static volatile uint32_t futex_val;
static void *volatile futex_addr;
static void (*volatile membarrier_hook)(void);

/* SIGSYS: a futex call counted, not made (-ENOSYS); a membarrier() runs
 * membarrier_hook and succeeds */
static void count_futex(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	long op = -1, ret = -ENOSYS;

	if (si->si_syscall == __NR_membarrier) {
		membarriers++;
		if (membarrier_hook)
			membarrier_hook();
		ret = 0;
	}
#if defined(__x86_64__)
	if (si->si_syscall != __NR_membarrier) {
		op = uc->uc_mcontext.gregs[REG_RSI];
		futex_addr = (void *)uc->uc_mcontext.gregs[REG_RDI];
		futex_val = (uint32_t)uc->uc_mcontext.gregs[REG_RDX];
	}
	uc->uc_mcontext.gregs[REG_RAX] = ret;
#elif defined(__aarch64__)
	if (si->si_syscall != __NR_membarrier) {
		op = (long)uc->uc_mcontext.regs[1];
		futex_addr = (void *)uc->uc_mcontext.regs[0];
		futex_val = (uint32_t)uc->uc_mcontext.regs[2];
	}
	uc->uc_mcontext.regs[0] = (unsigned long)ret;
#endif
	if (si->si_syscall == __NR_membarrier)
		return;
	if ((op & FUTEX_CMD_MASK) == FUTEX_WAKE)
		futex_wakes++;
	else
		futex_waits++;
}

TEST_F(fanin, the_consumer_sleeps_once_on_the_shared_word_for_every_slot)
{
	struct mmio_shm_ring *a, *b;
	unsigned int sa, sb, slot;
	uint32_t w;
	size_t got;
	char buf[8];

	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &a, &sa));
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &b, &sb));
	/* the consumer takes them on */
	EXPECT_EQ(-EAGAIN, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       &slot));
	if (futex_trap(count_futex))
		SKIP(return, "no seccomp filter for futex on this machine");
	w = *shared_wake(self->mem);
	EXPECT_EQ(-ENOSYS, mmio_shm_fanin_recv(self->fan, buf, 8, 1000 * MS,
					       &got, &slot));
	EXPECT_EQ(1, futex_waits);
	EXPECT_EQ((void *)shared_wake(self->mem), futex_addr);
	EXPECT_EQ(w, futex_val);
	/* the flag went up in both slots (a new ticket each), and down */
	EXPECT_EQ(1, *(uint64_t *)blk_of(self->mem, sa, true, 64));
	EXPECT_EQ(1, *(uint64_t *)blk_of(self->mem, sb, true, 64));
	EXPECT_EQ(0, *(uint32_t *)blk_of(self->mem, sa, true, 80));
	/* nobody flagged: a send bumps nothing and makes no call */
	ASSERT_EQ(0, mmio_shm_ring_send(b, "b", 1, 0));
	EXPECT_EQ(0, futex_wakes);
	EXPECT_EQ(w, *shared_wake(self->mem));
	/* flagged in b's slot: b's send bumps the shared word and wakes it */
	*(uint64_t *)blk_of(self->mem, sb, true, 64) += 1;
	*(uint32_t *)blk_of(self->mem, sb, true, 80) = 1;
	ASSERT_EQ(0, mmio_shm_ring_send(b, "b", 1, 0));
	EXPECT_EQ(1, futex_wakes);
	EXPECT_EQ((void *)shared_wake(self->mem), futex_addr);
	EXPECT_EQ(w + 1, *shared_wake(self->mem));
	/* its own block's wake word, the pair ring's, stays */
	EXPECT_EQ(0, *(uint32_t *)blk_of(self->mem, sb, false, 100));
	*(uint32_t *)blk_of(self->mem, sb, true, 80) = 0;
	mmio_shm_ring_detach(a);
	mmio_shm_ring_detach(b);
}

TEST_F(fanin, a_claim_bumps_the_shared_word_and_wakes_it)
{
	struct mmio_shm_ring *a;
	uint32_t w = *shared_wake(self->mem);
	unsigned int sa;

	if (futex_trap(count_futex))
		SKIP(return, "no seccomp filter for futex on this machine");
	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &a, &sa));
	EXPECT_EQ(1, futex_wakes);
	EXPECT_EQ((void *)shared_wake(self->mem), futex_addr);
	EXPECT_EQ(w + 1, *shared_wake(self->mem));
	mmio_shm_ring_detach(a);
}

static unsigned char *hook_mem;
static unsigned int hook_slot;

/* a fenceless producer's record, in place, its tail visible at last */
static void publish_in_membarrier(void)
{
	unsigned char *data = ring_of(hook_mem, hook_slot) +
			      MMIO_SHM_RING_OVERHEAD;

	*(uint32_t *)(void *)data = 1;
	*(uint32_t *)(void *)(data + 4) = 0;
	data[8] = 'm';
	__atomic_store_n((uint64_t *)blk_of(hook_mem, hook_slot, false, 0), 16,
			 __ATOMIC_RELEASE);
}

TEST_F(fanin, a_sleeper_looks_last_after_the_membarrier_of_a_fenceless_one)
{
	struct mmio_shm_ring *a;
	unsigned int sa, slot;
	size_t got;
	char buf[8];

	ASSERT_EQ(0, mmio_shm_fanin_join(self->mem, REGION, NULL, 0, &a, &sa));
	EXPECT_EQ(-EAGAIN, mmio_shm_fanin_recv(self->fan, buf, 8, 0, &got,
					       &slot));
	if (futex_trap(count_futex) || membarrier_trap())
		SKIP(return, "no seccomp filter for futex on this machine");
	*(uint32_t *)blk_of(self->mem, sa, false, 104) = 1;
	hook_mem = self->mem;
	hook_slot = sa;
	membarrier_hook = publish_in_membarrier;
	ASSERT_EQ(0, mmio_shm_fanin_recv(self->fan, buf, 8, 1000 * MS, &got,
					 &slot));
	EXPECT_EQ(sa, slot);
	EXPECT_EQ('m', buf[0]);
	EXPECT_EQ(1, membarriers);
	EXPECT_EQ(0, futex_waits);
	membarrier_hook = NULL;
	mmio_shm_ring_detach(a);
}

/* -------------------------------------------------- across processes */

/* a producer process: joins, then sends (pid, 0), (pid, 1), ... @n or
 * forever (@n 0); exits 0 when done */
static void producer(unsigned char *mem, uint64_t n)
{
	struct mmio_shm_ring *r;
	struct rec rec = { .pid = (uint32_t)getpid() };
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	do
		ret = mmio_shm_fanin_join(mem, REGION, NULL, 0, &r, NULL);
	while (ret == -EBUSY && !usleep(1000));
	if (ret)
		_exit(2);
	for (rec.seq = 0; !n || rec.seq < n; rec.seq++)
		if (mmio_shm_ring_send(r, &rec, sizeof(rec),
				       MMIO_SHM_TIMEOUT_FOREVER))
			_exit(3);
	_exit(0);
}

TEST_F(fanin, records_of_several_producers_keep_each_ones_order)
{
	uint64_t total = 0, next[3] = { 0 };
	unsigned int slot, i;
	struct rec rec;
	pid_t pid[3];
	size_t got;
	int st;

	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			producer(self->mem, 100000);
	}
	while (total < 300000) {
		ASSERT_EQ(0, mmio_shm_fanin_recv(self->fan, &rec, sizeof(rec),
						 5000 * MS, &got, &slot));
		ASSERT_EQ(sizeof(rec), got);
		for (i = 0; i < 3; i++)
			if (pid[i] == (pid_t)rec.pid)
				break;
		ASSERT_LT(i, 3);
		ASSERT_EQ(next[i], rec.seq);
		next[i]++;
		total++;
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
		EXPECT_EQ(0, st);
		EXPECT_EQ(100000, next[i]);
	}
}

/*
 * Producers come and go: up to 4 at a time, each killed after a random
 * number of records the consumer took from it; the consumer drops its
 * slot once waitpid() says it is gone, gets the rest of its records and
 * -EPIPE, and a new producer takes the slot. No record is lost or mixed.
 */
TEST_F(fanin, producers_killed_at_random_lose_no_committed_record)
{
	struct {
		pid_t pid;		/* the producer; 0: none */
		int slot;		/* its slot, once a record said */
		uint64_t next;		/* the seq its next record has */
		uint64_t left;		/* records until it is killed */
		bool dead;		/* killed and dropped */
	} p[4];
	unsigned int slot, i, kills = 0, epipes = 0;
	uint64_t total = 0;
	struct rec rec;
	size_t got;
	int ret, st;

	srand((unsigned int)getpid());
	for (i = 0; i < 4; i++)
		p[i].pid = 0;
	while (kills < 60) {
		for (i = 0; i < 4; i++) {
			if (p[i].pid)
				continue;
			p[i].pid = fork();
			ASSERT_LE(0, p[i].pid);
			if (!p[i].pid)
				producer(self->mem, 0);
			p[i].next = 0;
			p[i].slot = -1;
			p[i].left = (uint64_t)(rand() % 20000);
			p[i].dead = false;
		}
		ret = mmio_shm_fanin_recv(self->fan, &rec, sizeof(rec),
					  5000 * MS, &got, &slot);
		if (ret == -EPIPE) {
			for (i = 0; i < 4; i++)
				if (p[i].pid && p[i].dead &&
				    p[i].slot == (int)slot)
					break;
			ASSERT_LT(i, 4);
			p[i].pid = 0;
			epipes++;
			continue;
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(sizeof(rec), got);
		for (i = 0; i < 4; i++)
			if (p[i].pid == (pid_t)rec.pid)
				break;
		ASSERT_LT(i, 4);
		ASSERT_EQ(p[i].next, rec.seq);
		p[i].next++;
		total++;
		if (p[i].slot < 0)
			p[i].slot = (int)slot;
		ASSERT_EQ(p[i].slot, (int)slot);
		if (!p[i].dead && p[i].left-- == 0) {
			kill(p[i].pid, SIGKILL);
			ASSERT_EQ(p[i].pid, waitpid(p[i].pid, &st, 0));
			ASSERT_EQ(0, mmio_shm_fanin_drop(self->fan, slot));
			p[i].dead = true;
			kills++;
		}
	}
	for (i = 0; i < 4; i++)
		if (p[i].pid && !p[i].dead) {
			kill(p[i].pid, SIGKILL);
			waitpid(p[i].pid, &st, 0);
		}
	TH_LOG("%llu records, %u producers killed, %u -EPIPE",
	       (unsigned long long)total, kills, epipes);
	EXPECT_LE(kills - 4, epipes);
}

TEST_HARNESS_MAIN
