// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - the message ring: a single-producer, single-consumer queue
 * of variable-length records in a region of shared memory
 *
 * The layout is in libmmio_shm.h; docs/design.md has the whole protocol.
 * In short:
 *
 *  - Trust. The other side is another process, and whatever it writes
 *    into the region is input, not state: a bug or malice there must never
 *    make this library read or write outside the region. So each side
 *    keeps its own position in its handle and only publishes it to its
 *    block; it never reads it back. The other side's position is checked
 *    on every load (8-byte aligned, between this side's position and one
 *    data area ahead of it, without a subtraction that can wrap), and so is
 *    every record header; the header's sizes are copied once, at attach.
 *    Anything inconsistent is -EPROTO. The sleep words, sleep_how,
 *    endpoint and cookie only decide whom to wake and how: garbage there
 *    costs a spurious wake-up or a wait until the timeout, never memory.
 *  - Ordering. The producer writes a record, then stores tail with release;
 *    the consumer loads tail with acquire before it reads the record. The
 *    consumer stores head with release once it is done with a record; the
 *    producer loads head with acquire before it writes over that space.
 *    Each block is written by its own side only.
 *  - Sleeping (the rule io_uring's NEED_WAKEUP flag follows). A side that
 *    must wait spins briefly, then loads the other side's wake word, sets
 *    its waiting flag, issues a full fence and reads the other side's
 *    position once more; only if that has not moved does it FUTEX_WAIT on
 *    the wake word, for the value it loaded. A side that moves its
 *    position stores it, issues a full fence, then reads the other side's
 *    waiting flag; only when the flag is set does it bump its own wake
 *    word (release) and make the FUTEX_WAKE system call. The two fences
 *    are ordered one way or the other in the single total order of
 *    seq_cst fences, so either the sleeper sees the new position or the
 *    waker sees the flag and bumps the word after the sleeper loaded it;
 *    FUTEX_WAIT then refuses to sleep, or is woken.
 *  - No fence on the hot path (layout version 3). The waker's fence costs
 *    most of a small message across two CPUs: it waits for the line of
 *    its position, which the other side has just read, to come back. A
 *    process registered for membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED)
 *    says so in its block (fenceless, set before the fence of its first
 *    publication through a handle) and publishes without the fence after
 *    that; a sleeper that finds fenceless set, after its own fence, calls
 *    membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) before its last look at
 *    the position. Every thread of the waker's process that runs then
 *    passes a full barrier somewhere in its program: before its store of
 *    the position (its load of waiting, after that barrier, sees the
 *    flag), between the store and the load, or after both (the store is
 *    visible to the last look, which follows the call). A sleeper that
 *    found fenceless still 0 after its fence had that fence ordered
 *    before the waker's first one, so every later load of waiting by the
 *    waker sees the flag. A sleeper whose membarrier() fails sleeps at
 *    most RING_BLIND_SLEEP_NS at a time. docs/design.md has the proof.
 *  - The sleep words are a cache line away from the position: the other
 *    side reads waiting on every publication, a hit while nobody sleeps.
 *  - Every event a sleeper must wake for changes the word it sleeps on: a
 *    publication (above) and a bind (mmio_shm_ring_bind() bumps the wake
 *    word too). A FUTEX_WAKE for an event that left the word as it was
 *    could come before the sleeper's FUTEX_WAIT and be lost, and the
 *    FUTEX_WAIT would then sleep on a word that no longer changes.
 *  - One wake-up per sleep. Before raising its flag the sleeper stores
 *    the position it will sleep on (sleep_on), then takes a new ticket
 *    (its block's 64-bit sleeps counter, stored with release, so it never
 *    wraps in practice). A waker loads the ticket with acquire, then
 *    sleep_on: if that is its own position, the sleeper has seen this
 *    publication already and needs a later one, so the waker neither
 *    wakes nor spends the ticket. Otherwise it wakes and remembers the
 *    ticket; the same ticket seen again costs no system call, so the
 *    records published while the woken side is on its way back cost none.
 *    Without the sleep_on check, a waker delayed between its fence and its
 *    loads could spend the ticket of a sleep that began after its
 *    publication on a wake-up that sleep does not need, and every later
 *    publication would skip that sleep. The flag is never lowered by the
 *    waker: that would let a late wake-up, meant for the sleep before,
 *    take down the flag of the next one and lose its wake-up.
 *  - Peers bound on the device (mmio_shm_ring_bind()). Once the other
 *    side's block names a binding (its endpoint, then its cookie, stored
 *    with release), a side that must wait sleeps on the device's doorbell
 *    instead of the futex, and says so in its block (sleep_how), so that
 *    the waker rings the doorbell instead of calling FUTEX_WAKE. Before
 *    each sleep it asks the kernel (MMIO_SHM_IOC_PEER) whether that
 *    binding still stands, getting the doorbell sequence read before the
 *    answer: if the peer's file is released after that, its release rings
 *    the doorbell past the sequence and the sleep ends at once. A peer
 *    found gone is -EPIPE, but only after the position was checked once
 *    more: what the peer published before it died is still delivered.
 */
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* how often a waiting side checks the other's position before it sleeps */
#define RING_SPINS		256

/* the deadline of a call that must not wait, and of one that never ends */
#define RING_NOWAIT		0
#define RING_FOREVER		UINT64_MAX

/* the device's endpoints (MMIO_SHM_IOC_BIND): 0 to 63 */
#define RING_ENDPOINTS		64

/* a cache line: a block's position and its sleep words are a line apart */
#define RING_LINE		64

/*
 * How long one sleep lasts at most when the other side publishes without
 * a fence and this process cannot membarrier() (a seccomp filter): the
 * wake-up may then be lost, and the sleeper looks again after this long.
 */
#define RING_BLIND_SLEEP_NS	1000000u

/*
 * A position block (128 bytes, the libmmio_shm.h layout): the producer's
 * holds tail, the consumer's holds head. Only the block's owner writes it,
 * and the owner never reads back what the other side could have changed.
 */
struct ring_block {
	/* the line the owner writes on every message, and nothing else */
	_Atomic uint64_t pos;		/* bytes ever produced or consumed */
	unsigned char pad0[RING_LINE - 8];
	/*
	 * The sleep words, a line of their own (version 3): the other side
	 * reads waiting on every publication, and this line changes only
	 * when the owner sleeps or wakes, so that read is a hit in its
	 * cache. In version 2 they shared pos's line, and each publication
	 * fetched the line the other side had just written its position to.
	 */
	_Atomic uint64_t sleeps;	/* the owner's sleeps: its ticket */
	_Atomic uint64_t sleep_on;	/* the other's position it sleeps on */
	_Atomic uint32_t waiting;	/* 1: the owner sleeps, or is about to */
	_Atomic uint32_t sleep_how;	/* RING_SLEEP_FUTEX or _DOORBELL */
	_Atomic uint64_t cookie;	/* its binding's cookie; 0: not bound */
	_Atomic uint32_t endpoint;	/* the owner's device endpoint */
	_Atomic uint32_t wake;		/* bumped before each wake-up: the */
					/* futex word the other side sleeps on */
	_Atomic uint32_t fenceless;	/* 1: the owner publishes without a */
					/* full fence: membarrier() first */
	unsigned char pad1[MMIO_SHM_RING_ALIGN - RING_LINE - 44];
};

/* how a side sleeps: what its waker must do */
#define RING_SLEEP_FUTEX	0	/* FUTEX_WAKE on the waker's wake word */
#define RING_SLEEP_DOORBELL	1	/* MMIO_SHM_IOC_NOTIFY on the device */

/* a record header; the payload follows, the whole rounded up to 8 bytes */
struct ring_rec {
	uint32_t len;			/* payload bytes */
	uint32_t flags;			/* 0 or MMIO_SHM_RING_REC_PAD */
};

#define RING_TAIL_OFFSET	MMIO_SHM_RING_ALIGN
#define RING_HEAD_OFFSET	(2 * MMIO_SHM_RING_ALIGN)

/* the layout other processes (and other implementations) rely on */
_Static_assert(sizeof(struct mmio_shm_ring_hdr) == MMIO_SHM_RING_ALIGN,
	       "the header is one 128-byte block");
_Static_assert(offsetof(struct mmio_shm_ring_hdr, region_size) == 8 &&
	       offsetof(struct mmio_shm_ring_hdr, tail_offset) == 16 &&
	       offsetof(struct mmio_shm_ring_hdr, head_offset) == 24 &&
	       offsetof(struct mmio_shm_ring_hdr, data_offset) == 32 &&
	       offsetof(struct mmio_shm_ring_hdr, data_size) == 40 &&
	       offsetof(struct mmio_shm_ring_hdr, flags) == 48,
	       "header field offsets as documented");
_Static_assert(sizeof(struct ring_block) == MMIO_SHM_RING_ALIGN &&
	       offsetof(struct ring_block, pos) == 0 &&
	       offsetof(struct ring_block, sleeps) == 64 &&
	       offsetof(struct ring_block, sleep_on) == 72 &&
	       offsetof(struct ring_block, waiting) == 80 &&
	       offsetof(struct ring_block, sleep_how) == 84 &&
	       offsetof(struct ring_block, cookie) == 88 &&
	       offsetof(struct ring_block, endpoint) == 96 &&
	       offsetof(struct ring_block, wake) == 100 &&
	       offsetof(struct ring_block, fenceless) == 104,
	       "a position block is 128 bytes as libmmio_shm.h documents");
_Static_assert(sizeof(_Atomic uint64_t) == 8 &&
	       sizeof(_Atomic uint32_t) == 4,
	       "atomics have the size of the plain types");
/* a lock would be private to one process: the atomics must not need one */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0) &&
	       __atomic_always_lock_free(sizeof(uint32_t), 0),
	       "64- and 32-bit atomics are lock-free");
_Static_assert(sizeof(struct ring_rec) == 8, "a record header is 8 bytes");
_Static_assert(MMIO_SHM_RING_OVERHEAD == 3 * MMIO_SHM_RING_ALIGN,
	       "header, tail block, head block, then the data area");
_Static_assert(MMIO_SHM_RING_MAX_DATA <= (1u << 31),
	       "a record length fits in the header's 32 bits");

/*
 * The handle. The first group is set when it is made and never changes.
 * The producer's and the consumer's groups are used only by the thread
 * doing that side's work; they sit on their own cache lines so that a
 * producer and a consumer thread can share one handle. Each side's own
 * position lives here, never read back from the region.
 */
struct mmio_shm_ring {
	struct ring_block *tail_blk;	/* the producer's block */
	struct ring_block *head_blk;	/* the consumer's block */
	unsigned char *data;		/* the data area */
	uint64_t size;			/* its size, a power of two */
	uint64_t mask;			/* size - 1 */
	struct mmio_shm *shm;		/* the device, once bound; not owned */
	bool fenceless;			/* this process may publish without */
					/* a fence: see ring_publish() */
	_Atomic uint32_t *fan_wake;	/* a fan-in slot's producer: the */
					/* shared word it bumps; else NULL */

	/* the producer's side */
	alignas(64) uint64_t tail;	/* its own position, as published */
	uint64_t head_seen;		/* a checked head loaded earlier */
	uint64_t resv_pos;		/* where the reserved record starts */
	size_t resv_len;		/* its payload length */
	bool resv;			/* a reservation is pending */
	uint32_t prod_wake;		/* its wake word's value, as published */
	uint64_t cons_woken;		/* the consumer's sleep last woken */
	bool prod_told;			/* the block says fenceless already */

	/* the consumer's side */
	alignas(64) uint64_t head;	/* its own position; published but */
					/* for a fan-in's lazy takes */
	uint64_t tail_seen;		/* a checked tail loaded earlier */
	bool head_lazy;			/* a fan-in slot's takes moved head */
					/* past what is published */
	uint64_t peek_size;		/* bytes of the peeked record; 0: none */
	uint32_t cons_wake;		/* its wake word's value, as published */
	uint64_t prod_woken;		/* the producer's sleep last woken */
	bool cons_told;			/* the block says fenceless already */
};

/* bytes a record with a @len-byte payload takes in the data area */
static uint64_t ring_rec_size(uint64_t len)
{
	return (sizeof(struct ring_rec) + len + 7) & ~(uint64_t)7;
}

static void ring_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * Shared (not FUTEX_PRIVATE_FLAG) futex calls: the key is then the page
 * cache page, so a waker in another process that maps the same file finds
 * the sleeper.
 */
static int ring_futex_wait(struct ring_block *blk, uint32_t val,
			   const struct timespec *rel)
{
	int ret = mmio_shm_sysret(syscall(SYS_futex, &blk->wake, FUTEX_WAIT,
					  val, rel, NULL, 0));

	return ret < 0 ? ret : 0;
}

/*
 * Bumps @mine's wake word (@val: its value as this side last stored it)
 * and wakes whoever sleeps on it. The release store pairs with the
 * acquire load in ring_wait_move(): a sleeper that sees the new value
 * sees what this side stored before (a position, a cookie).
 */
static void ring_wake(struct ring_block *mine, uint32_t *val)
{
	atomic_store_explicit(&mine->wake, ++*val, memory_order_release);
	syscall(SYS_futex, &mine->wake, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * The producer of a fan-in slot wakes the consumer on the fan-in's shared
 * word (mmio_shm_fanin_*, fanin.c), which several producers bump: an
 * atomic add, not a store of a value this side keeps. Release as above.
 */
static void ring_wake_side(struct mmio_shm_ring *ring, struct ring_block *mine,
			   uint32_t *val)
{
	if (mine == ring->tail_blk && ring->fan_wake)
		mmio_shm_fan_wake(ring->fan_wake);
	else
		ring_wake(mine, val);
}

void mmio_shm_fan_wake(_Atomic uint32_t *word)
{
	atomic_fetch_add_explicit(word, 1, memory_order_release);
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static uint64_t ring_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* the absolute CLOCK_MONOTONIC deadline of a relative @timeout_ns */
static uint64_t ring_deadline(int64_t timeout_ns)
{
	uint64_t now;

	if (timeout_ns == 0)
		return RING_NOWAIT;
	if (timeout_ns < 0)
		return RING_FOREVER;
	now = ring_now();
	if ((uint64_t)timeout_ns >= RING_FOREVER - now)
		return RING_FOREVER;
	return now + (uint64_t)timeout_ns;
}

static long ring_membarrier(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

/*
 * May this process publish without a fence? Only once it is registered
 * for MEMBARRIER_CMD_GLOBAL_EXPEDITED (Linux 4.16), so that a sleeper's
 * membarrier() makes every thread of it that runs pass a full barrier.
 * The registration belongs to the address space: a fork()ed child has it
 * too, an exec() drops it (and every handle with it). Registering again
 * is one system call that finds the flag set.
 */
static bool ring_may_skip_fence(void)
{
	return !ring_membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED);
}

/*
 * Moves @mine's position to @pos, publishing everything written before,
 * and wakes the other side if, and only if, it is flagged as waiting and
 * this handle has not woken that sleep (its ticket, *@woken) yet. @wake
 * is this side's wake word as it last stored it; *@told says whether
 * @mine says fenceless already (then no fence is needed).
 */
static void ring_publish(struct mmio_shm_ring *ring, struct ring_block *mine,
			 struct ring_block *other, uint64_t pos,
			 uint32_t *wake, uint64_t *woken, bool *told)
{
	uint64_t ticket;

	atomic_store_explicit(&mine->pos, pos, memory_order_release);
	if (*told) {
		/*
		 * No fence: a sleeper's membarrier() stands in for it (see the
		 * top of the file). The compiler must still keep the store
		 * before the load: the barrier the kernel's IPI makes falls
		 * between two instructions of this program as written.
		 */
		atomic_signal_fence(memory_order_seq_cst);
	} else {
		/*
		 * The first publication of this side through this handle says
		 * in the block that the next ones have no fence: the flag
		 * before this fence, every fenceless store after it.
		 */
		if (ring->fenceless) {
			atomic_store_explicit(&mine->fenceless, 1,
					      memory_order_relaxed);
			*told = true;
		}
		/* pairs with the fence in ring_wait_move() */
		atomic_thread_fence(memory_order_seq_cst);
	}
	if (!atomic_load_explicit(&other->waiting, memory_order_relaxed))
		return;
	/* pairs with the release store of the ticket in ring_wait_move() */
	ticket = atomic_load_explicit(&other->sleeps, memory_order_acquire);
	if (ticket == *woken)
		return;
	/* that sleep has seen this position: it waits for a later one */
	if (atomic_load_explicit(&other->sleep_on, memory_order_relaxed) == pos)
		return;
	*woken = ticket;
	if (atomic_load_explicit(&other->sleep_how, memory_order_relaxed) ==
	    RING_SLEEP_DOORBELL && ring->shm)
		mmio_shm_notify(ring->shm, NULL);
	else
		ring_wake_side(ring, mine, wake);
}

/*
 * Is the binding named in @other's block still in place? 1 yes (and
 * *@seqp is the doorbell sequence to sleep on), 0 gone, -ENOENT when
 * @other names no binding or this handle is not bound, -EPROTO when the
 * block names no endpoint the device has, another negative errno when the
 * kernel cannot be asked.
 */
static int ring_peer(struct mmio_shm_ring *ring, struct ring_block *other,
		     uint64_t *seqp)
{
	uint64_t cookie;
	uint32_t ep;
	int ret;

	if (!ring->shm)
		return -ENOENT;
	/* pairs with the release store in mmio_shm_ring_bind() */
	cookie = atomic_load_explicit(&other->cookie, memory_order_acquire);
	if (!cookie)
		return -ENOENT;
	ep = atomic_load_explicit(&other->endpoint, memory_order_relaxed);
	/* written by the other side: input, checked like any */
	if (ep >= RING_ENDPOINTS)
		return -EPROTO;
	ret = mmio_shm_peer_check(ring->shm, ep, cookie, seqp);
	return ret == -EINVAL ? -EPROTO : ret;
}

/* MMIO_SHM_IOC_WAIT until the doorbell passes @seq or the deadline */
static int ring_doorbell_wait(struct mmio_shm *shm, uint64_t seq,
			      uint64_t deadline)
{
	struct mmio_shm_wait_args args = {
		.size = sizeof(args),
		.seq = seq,
		.deadline = deadline == RING_FOREVER ?
			    MMIO_SHM_WAIT_FOREVER : deadline,
	};

	return mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_WAIT, &args);
}

/*
 * Waits until @other's position is no longer @seen: spins, then sleeps
 * with @mine flagged as waiting: on the doorbell when the peer is bound
 * on the device (and this handle too), on the futex otherwise.
 *
 * Return: 0 with the new position in *@posp (not checked yet: the caller
 * checks it); -EAGAIN at once for RING_NOWAIT; -ETIMEDOUT at @deadline;
 * -EINTR; -EPIPE when the peer's binding was released and its position
 * did not move; -EPROTO when the other block names a bad endpoint;
 * another negative errno from futex() or the device.
 */
static int ring_wait_move(struct mmio_shm_ring *ring, struct ring_block *mine,
			  struct ring_block *other, uint64_t seen,
			  uint64_t deadline, uint64_t *posp)
{
	struct timespec rel, *relp = NULL;
	uint64_t pos, now, ticket, until, dseq = 0;
	uint32_t how, wake;
	int i, alive, ret = 0;
	bool blind;

	if (deadline == RING_NOWAIT)
		return -EAGAIN;
	for (i = 0; i < RING_SPINS; i++) {
		pos = atomic_load_explicit(&other->pos, memory_order_acquire);
		if (pos != seen) {
			*posp = pos;
			return 0;
		}
		ring_cpu_relax();
	}
	for (;;) {
		/*
		 * The word to sleep on, before the flag: a wake-up decided
		 * after the fence below bumps it past this value. Pairs with
		 * the release store in ring_wake().
		 */
		wake = atomic_load_explicit(&other->wake, memory_order_acquire);
		/* before the flag: a release after this rings past dseq */
		alive = ring_peer(ring, other, &dseq);
		if (alive < 0 && alive != -ENOENT) {
			ret = alive;
			pos = seen;
			break;
		}
		how = alive >= 0 ? RING_SLEEP_DOORBELL : RING_SLEEP_FUTEX;
		atomic_store_explicit(&mine->sleep_on, seen,
				      memory_order_relaxed);
		atomic_store_explicit(&mine->sleep_how, how,
				      memory_order_relaxed);
		ticket = atomic_load_explicit(&mine->sleeps,
					      memory_order_relaxed) + 1;
		/* a waker that loads this ticket loads sleep_on/how after it */
		atomic_store_explicit(&mine->sleeps, ticket,
				      memory_order_release);
		atomic_store_explicit(&mine->waiting, 1, memory_order_relaxed);
		/* pairs with the fence in ring_publish() */
		atomic_thread_fence(memory_order_seq_cst);
		/*
		 * A peer that publishes without a fence: every thread of its
		 * process that runs passes a full barrier before this returns,
		 * standing in for the fence it skipped. Seen 0 after the
		 * fence above, the flag was set after it, and the peer's
		 * next fence (the one that follows setting it) comes after
		 * ours: it sees waiting. Without membarrier() here, the
		 * sleep is bounded: its wake-up may be lost.
		 */
		blind = atomic_load_explicit(&other->fenceless,
					     memory_order_relaxed) &&
			ring_membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
		pos = atomic_load_explicit(&other->pos, memory_order_acquire);
		if (pos != seen)
			break;
		/*
		 * The peer bound after ring_peer() looked: go round again to
		 * sleep on the doorbell. A bind after this load bumps the
		 * wake word past the value loaded above, so the futex sleep
		 * ends at once (see mmio_shm_ring_bind()).
		 */
		if (how == RING_SLEEP_FUTEX && ring->shm &&
		    atomic_load_explicit(&other->cookie, memory_order_relaxed))
			continue;
		/* what the peer published before it went is delivered first */
		if (alive == 0) {
			ret = -EPIPE;
			break;
		}
		until = deadline;
		relp = NULL;
		if (deadline != RING_FOREVER || blind) {
			now = ring_now();
			if (now >= deadline) {
				ret = -ETIMEDOUT;
				break;
			}
			if (blind && deadline - now > RING_BLIND_SLEEP_NS)
				until = now + RING_BLIND_SLEEP_NS;
			rel.tv_sec = (time_t)((until - now) / 1000000000u);
			rel.tv_nsec = (long)((until - now) % 1000000000u);
			relp = &rel;
		}
		if (how == RING_SLEEP_DOORBELL)
			ret = ring_doorbell_wait(ring->shm, dseq, until);
		else
			ret = ring_futex_wait(other, wake, relp);
		/* woken, the word moved already, or timed out: check again */
		if (ret && ret != -EAGAIN && ret != -ETIMEDOUT)
			break;
		ret = 0;
	}
	atomic_store_explicit(&mine->waiting, 0, memory_order_relaxed);
	*posp = pos;
	return ret;
}

/*
 * Is @pos, the other side's position as loaded, one it can have: 8-byte
 * aligned, at most @size (the data area) ahead of @base and not behind it? For
 * the consumer @base is head and @pos tail; for the producer @base is
 * tail minus the data area and @pos head. No subtraction here can wrap to
 * a small number: @pos - @base is compared as it is, unsigned.
 */
static bool ring_pos_ok(uint64_t size, uint64_t base, uint64_t pos)
{
	return !(pos % sizeof(struct ring_rec)) && pos - base <= size;
}

/*
 * The other side's position, moved on from @seen: loaded again, and waited
 * for with ring_wait_move() while it has not moved, then checked against
 * @base with ring_pos_ok(). "Moved" is all the caller may assume: a
 * position only grows, so an older value never shows too much room or data.
 *
 * Return: 0 with the position in *@posp (untouched otherwise); -EPROTO
 * when it is one the other side cannot have; ring_wait_move()'s errors.
 */
static int ring_other_pos(struct mmio_shm_ring *ring, struct ring_block *mine,
			  struct ring_block *other, uint64_t seen, uint64_t base,
			  uint64_t deadline, uint64_t *posp)
{
	uint64_t pos = atomic_load_explicit(&other->pos, memory_order_acquire);
	int ret;

	if (pos == seen) {
		ret = ring_wait_move(ring, mine, other, seen, deadline, &pos);
		if (ret)
			return ret;
	}
	if (!ring_pos_ok(ring->size, base, pos))
		return -EPROTO;
	*posp = pos;
	return 0;
}

/*
 * The producer: waits until @need bytes are free from its tail on.
 * Return: 0, or a negative errno (-EPROTO when the consumer's head is
 * misaligned, beyond tail or more than the data area behind it).
 */
static int ring_wait_space(struct mmio_shm_ring *ring, uint64_t need,
			   uint64_t deadline)
{
	uint64_t tail = ring->tail, head = ring->head_seen;
	int ret;

	/* head is checked: 0 <= tail - head <= size */
	while (ring->size - (tail - head) < need) {
		ret = ring_other_pos(ring, ring->tail_blk, ring->head_blk, head,
				     tail - ring->size, deadline, &head);
		if (ret)
			return ret;
	}
	ring->head_seen = head;
	return 0;
}

/*
 * The consumer: waits until there is data from its head on.
 * Return: 0 with the tail in *@tailp, or a negative errno (-EPROTO when
 * the producer's tail is misaligned, behind head or more than the data
 * area ahead of it).
 */
static int ring_wait_data(struct mmio_shm_ring *ring, uint64_t deadline,
			  uint64_t *tailp)
{
	uint64_t head = ring->head, tail = ring->tail_seen;
	int ret;

	/* tail is checked: 0 <= tail - head <= size */
	while (tail == head) {
		ret = ring_other_pos(ring, ring->head_blk, ring->tail_blk, tail,
				     head, deadline, &tail);
		if (ret)
			return ret;
	}
	ring->tail_seen = tail;
	*tailp = tail;
	return 0;
}

/*
 * A handle on the ring at @mem with a data area of @data_size bytes,
 * whose positions are @head and @tail (checked by the caller). The wake
 * words are read once: from then on each side knows its own.
 */
static int ring_new(void *mem, uint64_t data_size, uint64_t head,
		    uint64_t tail, struct mmio_shm_ring **ringp)
{
	struct mmio_shm_ring *ring;
	unsigned char *base = mem;

	ring = aligned_alloc(alignof(struct mmio_shm_ring), sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	*ring = (struct mmio_shm_ring){
		.tail_blk = (struct ring_block *)(void *)(base + RING_TAIL_OFFSET),
		.head_blk = (struct ring_block *)(void *)(base + RING_HEAD_OFFSET),
		.data = base + MMIO_SHM_RING_OVERHEAD,
		.size = data_size,
		.mask = data_size - 1,
		.tail = tail,
		.head_seen = head,
		.head = head,
		.tail_seen = tail,
	};
	ring->fenceless = ring_may_skip_fence();
	ring->prod_wake = atomic_load_explicit(&ring->tail_blk->wake,
					       memory_order_relaxed);
	ring->cons_wake = atomic_load_explicit(&ring->head_blk->wake,
					       memory_order_relaxed);
	*ringp = ring;
	return 0;
}

static bool ring_mem_ok(const void *mem, unsigned int flags,
			struct mmio_shm_ring **ringp)
{
	return mem && ringp && !flags &&
	       (uintptr_t)mem % MMIO_SHM_RING_ALIGN == 0;
}

MMIO_SHM_API int mmio_shm_ring_init(void *mem, size_t len, unsigned int flags,
				    struct mmio_shm_ring **ringp)
{
	if (!ring_mem_ok(mem, flags, ringp))
		return -EINVAL;
	return mmio_shm_ring_lay_out(mem, len, 0, ringp);
}

int mmio_shm_ring_lay_out(void *mem, size_t len, uint32_t hdr_flags,
			  struct mmio_shm_ring **ringp)
{
	struct mmio_shm_ring_hdr *hdr = mem;
	uint64_t room, data_size;
	int ret;

	if (len < MMIO_SHM_RING_OVERHEAD + MMIO_SHM_RING_MIN_DATA)
		return -EINVAL;
	room = len - MMIO_SHM_RING_OVERHEAD;
	if (room > MMIO_SHM_RING_MAX_DATA)
		room = MMIO_SHM_RING_MAX_DATA;
	/* the largest power of two <= room */
	for (data_size = MMIO_SHM_RING_MIN_DATA; data_size <= room / 2; )
		data_size *= 2;

	/* magic 0 until the end: a half-made ring is never attached to */
	memset(mem, 0, MMIO_SHM_RING_OVERHEAD);
	hdr->version = MMIO_SHM_RING_VERSION;
	hdr->region_size = MMIO_SHM_RING_OVERHEAD + data_size;
	hdr->tail_offset = RING_TAIL_OFFSET;
	hdr->head_offset = RING_HEAD_OFFSET;
	hdr->data_offset = MMIO_SHM_RING_OVERHEAD;
	hdr->data_size = data_size;
	hdr->flags = hdr_flags;
	ret = ring_new(mem, data_size, 0, 0, ringp);
	if (ret)
		return ret;
	/*
	 * The public struct has plain fields (C++ includes the header), so
	 * the compiler's builtin, not a C11 _Atomic, gives the store its
	 * release ordering; attach loads it with acquire.
	 */
	__atomic_store_n(&hdr->magic, MMIO_SHM_RING_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Does the header describe a ring of this version inside @len bytes, with
 * the header flags @hdr_flags (0 for a ring of its own)?
 */
static bool ring_hdr_ok(const struct mmio_shm_ring_hdr *h, size_t len,
			uint32_t hdr_flags)
{
	size_t i;

	if (h->magic != MMIO_SHM_RING_MAGIC ||
	    h->version != MMIO_SHM_RING_VERSION || h->flags != hdr_flags)
		return false;
	for (i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++)
		if (h->reserved[i])
			return false;
	/* this version places everything at fixed offsets */
	if (h->tail_offset != RING_TAIL_OFFSET ||
	    h->head_offset != RING_HEAD_OFFSET ||
	    h->data_offset != MMIO_SHM_RING_OVERHEAD)
		return false;
	if (h->data_size < MMIO_SHM_RING_MIN_DATA ||
	    h->data_size > MMIO_SHM_RING_MAX_DATA ||
	    (h->data_size & (h->data_size - 1)))
		return false;
	return h->region_size == h->data_offset + h->data_size &&
	       h->region_size <= len;
}

MMIO_SHM_API int mmio_shm_ring_attach(void *mem, size_t len,
				      unsigned int flags,
				      struct mmio_shm_ring **ringp)
{
	if (!ring_mem_ok(mem, flags, ringp) ||
	    len < sizeof(struct mmio_shm_ring_hdr))
		return -EINVAL;
	return mmio_shm_ring_attach_hdr(mem, len, 0, ringp);
}

int mmio_shm_ring_attach_hdr(void *mem, size_t len, uint32_t hdr_flags,
			     struct mmio_shm_ring **ringp)
{
	struct mmio_shm_ring_hdr *hdr = mem, h;
	struct ring_block *blk;
	uint64_t head, tail;

	/* the magic first, with acquire: the rest was written before it */
	h.magic = __atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE);
	if (h.magic != MMIO_SHM_RING_MAGIC)
		return -EPROTO;
	/* one copy, checked and then used: the header may change meanwhile */
	memcpy(&h, hdr, sizeof(h));
	if (!ring_hdr_ok(&h, len, hdr_flags))
		return -EPROTO;
	/* the only time either position is read from the region */
	blk = (struct ring_block *)(void *)((unsigned char *)mem +
					    RING_HEAD_OFFSET);
	head = atomic_load_explicit(&blk->pos, memory_order_acquire);
	blk = (struct ring_block *)(void *)((unsigned char *)mem +
					    RING_TAIL_OFFSET);
	tail = atomic_load_explicit(&blk->pos, memory_order_acquire);
	/* records start 8-byte aligned, and tail is 0 to size bytes ahead */
	if (head % sizeof(struct ring_rec) ||
	    !ring_pos_ok(h.data_size, head, tail))
		return -EPROTO;
	return ring_new(mem, h.data_size, head, tail, ringp);
}

MMIO_SHM_API int mmio_shm_ring_detach(struct mmio_shm_ring *ring)
{
	if (!ring)
		return -EINVAL;
	free(ring);
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_get_max_msg(struct mmio_shm_ring *ring,
					   size_t *maxp)
{
	if (!ring || !maxp)
		return -EINVAL;
	*maxp = (size_t)(ring->size - sizeof(struct ring_rec));
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_reserve(struct mmio_shm_ring *ring, size_t len,
				       int64_t timeout_ns, void **bufp)
{
	uint64_t off, pad, need, deadline;
	struct ring_rec *rec;
	int ret;

	if (!ring || !bufp)
		return -EINVAL;
	if (ring->resv)
		return -EBUSY;
	if (len > ring->size - sizeof(struct ring_rec))
		return -EMSGSIZE;
	need = ring_rec_size(len);
	deadline = ring_deadline(timeout_ns);
	/* the handle's own tail: 8-byte aligned, so off <= size - 8 */
	off = ring->tail & ring->mask;
	if (ring->size - off < need) {
		/*
		 * The wrap rule: a record never straddles the end. The rest of
		 * the data area becomes a padding record, published on its own
		 * as soon as it fits, and the record starts at offset 0. So a
		 * record of up to the whole data area always fits eventually.
		 * A call that then finds no room for the record itself
		 * returns with the padding published: the documented -EAGAIN.
		 */
		pad = ring->size - off;
		ret = ring_wait_space(ring, pad, deadline);
		if (ret)
			return ret;
		rec = (struct ring_rec *)(void *)(ring->data + off);
		rec->len = (uint32_t)(pad - sizeof(*rec));
		rec->flags = MMIO_SHM_RING_REC_PAD;
		ring->tail += pad;
		ring_publish(ring, ring->tail_blk, ring->head_blk, ring->tail,
			     &ring->prod_wake, &ring->cons_woken,
			     &ring->prod_told);
		off = 0;
	}
	ret = ring_wait_space(ring, need, deadline);
	if (ret)
		return ret;
	ring->resv = true;
	ring->resv_pos = ring->tail;
	ring->resv_len = len;
	*bufp = ring->data + off + sizeof(*rec);
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_commit(struct mmio_shm_ring *ring, size_t len)
{
	struct ring_rec *rec;

	if (!ring || !ring->resv || len > ring->resv_len)
		return -EINVAL;
	rec = (struct ring_rec *)(void *)(ring->data +
					  (ring->resv_pos & ring->mask));
	rec->len = (uint32_t)len;
	rec->flags = 0;
	ring->resv = false;
	ring->tail = ring->resv_pos + ring_rec_size(len);
	ring_publish(ring, ring->tail_blk, ring->head_blk, ring->tail,
		     &ring->prod_wake, &ring->cons_woken, &ring->prod_told);
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_send(struct mmio_shm_ring *ring,
				    const void *buf, size_t len,
				    int64_t timeout_ns)
{
	void *dst;
	int ret;

	if (!buf && len)
		return -EINVAL;
	ret = mmio_shm_ring_reserve(ring, len, timeout_ns, &dst);
	if (ret)
		return ret;
	if (len)
		memcpy(dst, buf, len);
	return mmio_shm_ring_commit(ring, len);
}

MMIO_SHM_API int mmio_shm_ring_peek(struct mmio_shm_ring *ring,
				    int64_t timeout_ns, const void **bufp,
				    size_t *lenp)
{
	uint64_t tail, off, size, deadline;
	struct ring_rec *rec, r;
	int ret;

	if (!ring || !bufp || !lenp)
		return -EINVAL;
	deadline = ring_deadline(timeout_ns);
	for (;;) {
		ret = ring_wait_data(ring, deadline, &tail);
		if (ret)
			return ret;
		/* the handle's own head: 8-byte aligned, so off <= size - 8 */
		off = ring->head & ring->mask;
		rec = (struct ring_rec *)(void *)(ring->data + off);
		/* one copy of the header, checked and then used */
		r = *rec;
		size = ring_rec_size(r.len);
		/*
		 * In one piece, written already, no flag we do not know. The
		 * producer wrote r; off + size and tail - head cannot wrap.
		 */
		if (r.flags & ~MMIO_SHM_RING_REC_PAD ||
		    off + size > ring->size || size > tail - ring->head)
			return -EPROTO;
		if (!(r.flags & MMIO_SHM_RING_REC_PAD))
			break;
		/* padding runs to the end of the data area, no shorter */
		if (off + size != ring->size)
			return -EPROTO;
		ring->head += size;
		ring_publish(ring, ring->head_blk, ring->tail_blk, ring->head,
			     &ring->cons_wake, &ring->prod_woken,
			     &ring->cons_told);
	}
	/* peeking again finds the same record: head has not moved */
	ring->peek_size = size;
	*bufp = rec + 1;
	*lenp = r.len;
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_release(struct mmio_shm_ring *ring)
{
	if (!ring || !ring->peek_size)
		return -EINVAL;
	ring->head += ring->peek_size;
	ring->peek_size = 0;
	ring_publish(ring, ring->head_blk, ring->tail_blk, ring->head,
		     &ring->cons_wake, &ring->prod_woken, &ring->cons_told);
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_recv(struct mmio_shm_ring *ring, void *buf,
				    size_t size, int64_t timeout_ns,
				    size_t *lenp)
{
	const void *src;
	size_t len;
	int ret;

	if (!lenp || (!buf && size))
		return -EINVAL;
	ret = mmio_shm_ring_peek(ring, timeout_ns, &src, &len);
	if (ret)
		return ret;
	*lenp = len;
	/* the record stays peeked: a recv with more room gets it */
	if (len > size)
		return -EMSGSIZE;
	if (len)
		memcpy(buf, src, len);
	return mmio_shm_ring_release(ring);
}

/*
 * Writes the binding @ep (of @shm) into @blk, this side's block, and wakes
 * the other side's sleep on the futex: see below.
 */
static void ring_name_binding(struct mmio_shm_ring *ring, struct mmio_shm *shm,
			      struct ring_block *blk, uint32_t *wake,
			      const struct mmio_shm_endpoint *ep)
{
	atomic_store_explicit(&blk->endpoint, ep->index, memory_order_relaxed);
	/* pairs with the acquire load in ring_peer() */
	atomic_store_explicit(&blk->cookie, ep->cookie, memory_order_release);
	ring->shm = shm;
	/*
	 * The other side may sleep on the futex, chosen before it saw the
	 * cookie: a bind is an event it must wake for, so it changes the
	 * word that side sleeps on, which then sleeps on the doorbell.
	 */
	ring_wake_side(ring, blk, wake);
}

MMIO_SHM_API int mmio_shm_ring_bind(struct mmio_shm_ring *ring,
				    struct mmio_shm *shm, unsigned int side)
{
	struct mmio_shm_endpoint ep;
	struct ring_block *blk;
	uint32_t *wake;
	int ret;

	if (!ring || !shm)
		return -EINVAL;
	if (side == MMIO_SHM_RING_PRODUCER) {
		blk = ring->tail_blk;
		wake = &ring->prod_wake;
	} else if (side == MMIO_SHM_RING_CONSUMER) {
		blk = ring->head_blk;
		wake = &ring->cons_wake;
	} else {
		return -EINVAL;
	}
	if (ring->shm)
		return -EALREADY;
	ret = mmio_shm_bind(shm, MMIO_SHM_ENDPOINT_ANY, &ep);
	if (ret)
		return ret;
	ring_name_binding(ring, shm, blk, wake, &ep);
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_peer_alive(struct mmio_shm_ring *ring,
					  unsigned int side)
{
	struct ring_block *other;
	uint64_t seq;

	if (!ring)
		return -EINVAL;
	if (side == MMIO_SHM_RING_PRODUCER)
		other = ring->head_blk;
	else if (side == MMIO_SHM_RING_CONSUMER)
		other = ring->tail_blk;
	else
		return -EINVAL;
	return ring_peer(ring, other, &seq);
}

/*
 * The fan-in's hooks (fanin.c): a fan-in slot is a ring whose producer
 * wakes the consumer on the fan-in's shared word, and whose consumer
 * sleeps once for every slot, with its sleep words set in each slot's
 * block as ring_wait_move() sets them in its one block.
 */
void mmio_shm_ring_fan_producer(struct mmio_shm_ring *ring,
				_Atomic uint32_t *wake, struct mmio_shm *shm,
				const struct mmio_shm_endpoint *ep)
{
	ring->fan_wake = wake;
	if (shm)
		ring_name_binding(ring, shm, ring->tail_blk, &ring->prod_wake,
				  ep);
}

void mmio_shm_ring_fan_consumer(struct mmio_shm_ring *ring,
				struct mmio_shm *shm,
				const struct mmio_shm_endpoint *ep)
{
	ring_name_binding(ring, shm, ring->head_blk, &ring->cons_wake, ep);
}

void mmio_shm_ring_fan_sleep(struct mmio_shm_ring *ring, bool doorbell)
{
	struct ring_block *mine = ring->head_blk;
	uint64_t ticket;

	atomic_store_explicit(&mine->sleep_on, ring->tail_seen,
			      memory_order_relaxed);
	atomic_store_explicit(&mine->sleep_how, doorbell ? RING_SLEEP_DOORBELL :
			      RING_SLEEP_FUTEX, memory_order_relaxed);
	ticket = atomic_load_explicit(&mine->sleeps, memory_order_relaxed) + 1;
	/* a waker that loads this ticket loads sleep_on/how after it */
	atomic_store_explicit(&mine->sleeps, ticket, memory_order_release);
	atomic_store_explicit(&mine->waiting, 1, memory_order_relaxed);
}

bool mmio_shm_ring_fan_fenceless(struct mmio_shm_ring *ring)
{
	return atomic_load_explicit(&ring->tail_blk->fenceless,
				    memory_order_relaxed);
}

bool mmio_shm_ring_fan_moved(struct mmio_shm_ring *ring)
{
	return atomic_load_explicit(&ring->tail_blk->pos,
				    memory_order_acquire) != ring->tail_seen;
}

void mmio_shm_ring_fan_awake(struct mmio_shm_ring *ring)
{
	atomic_store_explicit(&ring->head_blk->waiting, 0,
			      memory_order_relaxed);
}

uint64_t mmio_shm_ring_deadline(int64_t timeout_ns)
{
	return ring_deadline(timeout_ns);
}

uint64_t mmio_shm_ring_now(void)
{
	return ring_now();
}

int mmio_shm_ring_doorbell_wait(struct mmio_shm *shm, uint64_t seq,
				uint64_t deadline)
{
	return ring_doorbell_wait(shm, seq, deadline);
}

/*
 * A fan-in slot's consumer takes a record without publishing its head:
 * one publication per burst (mmio_shm_ring_fan_flush()), not one per
 * record, so that a producer waiting for room does not pull the line of
 * head back and forth with every record. Return: as mmio_shm_ring_recv()
 * with a zero timeout.
 */
int mmio_shm_ring_fan_take(struct mmio_shm_ring *ring, void *buf, size_t size,
			   size_t *lenp)
{
	const void *src;
	size_t len;
	int ret;

	ret = mmio_shm_ring_peek(ring, RING_NOWAIT, &src, &len);
	if (ret)
		return ret;
	*lenp = len;
	if (len > size)
		return -EMSGSIZE;
	if (len)
		memcpy(buf, src, len);
	ring->head += ring->peek_size;
	ring->peek_size = 0;
	ring->head_lazy = true;
	return 0;
}

/* publishes the head the lazy takes moved, if they moved it */
void mmio_shm_ring_fan_flush(struct mmio_shm_ring *ring)
{
	if (!ring->head_lazy)
		return;
	ring->head_lazy = false;
	ring_publish(ring, ring->head_blk, ring->tail_blk, ring->head,
		     &ring->cons_wake, &ring->prod_woken, &ring->cons_told);
}
