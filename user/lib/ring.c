// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - the message ring: a single-producer, single-consumer queue
 * of variable-length records in a region of shared memory
 *
 * The layout is in libmmio_shm.h; docs/design.md has the whole protocol.
 * In short:
 *
 *  - Ordering. The producer writes a record, then stores tail with release;
 *    the consumer loads tail with acquire before it reads the record. The
 *    consumer stores head with release once it is done with a record; the
 *    producer loads head with acquire before it writes over that space.
 *    Each position is written by its own side only.
 *  - Sleeping (the rule io_uring's NEED_WAKEUP flag follows). A side that
 *    must wait spins briefly, then sets its waiting flag, issues a full
 *    fence and reads the other side's position once more; only if that has
 *    not moved does it FUTEX_WAIT on the position's low 32 bits, for the
 *    value it read. A side that moves its position stores it, issues a full
 *    fence, then reads the other side's waiting flag, and makes the
 *    FUTEX_WAKE system call only when the flag is set. The two fences are
 *    ordered one way or the other in the single total order of seq_cst
 *    fences, so either the sleeper sees the new position or the waker sees
 *    the flag; a wake that comes before the sleeper is in the kernel is not
 *    lost either, since FUTEX_WAIT refuses to sleep once the word differs
 *    from the value the sleeper read.
 *  - One wake-up per sleep. Before raising its flag the sleeper stores
 *    the low 32 bits of the position it will sleep on, then takes a new
 *    ticket (its block's sleeps counter, stored with release). A waker
 *    loads the ticket with acquire, then that word: if the word is its own
 *    position, the sleeper has seen this publication already and needs a
 *    later one, so the waker neither wakes nor spends the ticket.
 *    Otherwise it wakes and remembers the ticket; the same ticket seen
 *    again costs no system call, so the records published while the woken
 *    side is on its way back cost none. Without the word check, a waker
 *    delayed between its fence and its loads could spend the ticket of a
 *    sleep that began after its publication on a wake-up that sleep does
 *    not need, and every later publication would skip that sleep. The
 *    flag is never lowered by the waker: that would let a late wake-up,
 *    meant for the sleep before, take down the flag of the next one and
 *    lose its wake-up.
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
 *  - The futex word is the low half of a 64-bit position. While one side
 *    sleeps on the other's position, that position moves by at most
 *    data_size <= 2^31 bytes (the sleeper does not move its own), so its
 *    low 32 bits cannot come back to the value the sleeper read.
 *
 * The handle copies the header's sizes when it is made, and checks every
 * record header before use, so nothing a peer writes into the region
 * later can make the library read or write outside it.
 */
#include <limits.h>
#include <linux/futex.h>
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

/*
 * A position block (128 bytes, the libmmio_shm.h layout): the producer's
 * holds tail, the consumer's holds head. Only the block's owner writes it.
 */
struct ring_block {
	_Atomic uint64_t pos;		/* bytes ever produced or consumed */
	_Atomic uint32_t waiting;	/* 1: the owner sleeps, or is about to */
	_Atomic uint32_t sleeps;	/* the owner's sleeps, mod 2^32, not 0 */
	_Atomic uint32_t sleep_on;	/* low 32 bits of the position awaited */
	_Atomic uint32_t sleep_how;	/* RING_SLEEP_FUTEX or _DOORBELL */
	_Atomic uint32_t endpoint;	/* the owner's device endpoint */
	uint32_t pad0;
	_Atomic uint64_t cookie;	/* its binding's cookie; 0: not bound */
	unsigned char pad[MMIO_SHM_RING_ALIGN - 40];
};

/* how a side sleeps: what its waker must do */
#define RING_SLEEP_FUTEX	0	/* FUTEX_WAKE on the position */
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
	       offsetof(struct ring_block, waiting) == 8 &&
	       offsetof(struct ring_block, sleeps) == 12 &&
	       offsetof(struct ring_block, sleep_on) == 16 &&
	       offsetof(struct ring_block, sleep_how) == 20 &&
	       offsetof(struct ring_block, endpoint) == 24 &&
	       offsetof(struct ring_block, cookie) == 32,
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
	       "a position moves less than 2^32 while the other side sleeps");

/*
 * The handle. The first group is set when it is made and never changes.
 * The producer's and the consumer's groups are used only by the thread
 * doing that side's work; they sit on their own cache lines so that a
 * producer and a consumer thread can share one handle.
 */
struct mmio_shm_ring {
	struct ring_block *tail_blk;	/* the producer's block */
	struct ring_block *head_blk;	/* the consumer's block */
	unsigned char *data;		/* the data area */
	uint64_t size;			/* its size, a power of two */
	uint64_t mask;			/* size - 1 */
	struct mmio_shm *shm;		/* the device, once bound; not owned */

	/* the producer's side */
	alignas(64) uint64_t head_seen;	/* a head loaded earlier: <= head */
	uint64_t resv_pos;		/* where the reserved record starts */
	size_t resv_len;		/* its payload length */
	bool resv;			/* a reservation is pending */
	uint32_t cons_woken;		/* the consumer's sleep last woken */

	/* the consumer's side */
	alignas(64) uint64_t tail_seen;	/* a tail loaded earlier: <= tail */
	uint64_t peek_size;		/* bytes of the peeked record; 0: none */
	uint32_t prod_woken;		/* the producer's sleep last woken */
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

/* the 32-bit word a side sleeps on: the low half of the other's position */
static uint32_t *ring_futex_word(struct ring_block *blk)
{
	return (uint32_t *)(void *)&blk->pos +
	       (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

/*
 * Shared (not FUTEX_PRIVATE_FLAG) futex calls: the key is then the page
 * cache page, so a waker in another process that maps the same file finds
 * the sleeper.
 */
static int ring_futex_wait(struct ring_block *blk, uint32_t val,
			   const struct timespec *rel)
{
	int ret = mmio_shm_sysret(syscall(SYS_futex, ring_futex_word(blk),
					  FUTEX_WAIT, val, rel, NULL, 0));

	return ret < 0 ? ret : 0;
}

static void ring_futex_wake(struct ring_block *blk)
{
	syscall(SYS_futex, ring_futex_word(blk), FUTEX_WAKE, INT_MAX,
		NULL, NULL, 0);
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

/*
 * Moves @mine's position to @pos, publishing everything written before,
 * and wakes the other side if, and only if, it is flagged as waiting and
 * this handle has not woken that sleep (its ticket, *@woken) yet.
 */
static void ring_publish(struct mmio_shm_ring *ring, struct ring_block *mine,
			 struct ring_block *other, uint64_t pos,
			 uint32_t *woken)
{
	uint32_t ticket;

	atomic_store_explicit(&mine->pos, pos, memory_order_release);
	/* pairs with the fence in ring_wait_move(): see the top of the file */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&other->waiting, memory_order_relaxed))
		return;
	/* pairs with the release store of the ticket in ring_wait_move() */
	ticket = atomic_load_explicit(&other->sleeps, memory_order_acquire);
	if (ticket == *woken)
		return;
	/* that sleep has seen this position: it waits for a later one */
	if (atomic_load_explicit(&other->sleep_on, memory_order_relaxed) ==
	    (uint32_t)pos)
		return;
	*woken = ticket;
	if (atomic_load_explicit(&other->sleep_how, memory_order_relaxed) ==
	    RING_SLEEP_DOORBELL && ring->shm)
		mmio_shm_notify(ring->shm, NULL);
	else
		ring_futex_wake(mine);
}

/*
 * Is the binding named in @other's block still in place? 1 yes (and
 * *@seqp is the doorbell sequence to sleep on), 0 gone, -ENOENT when
 * @other names no binding or this handle is not bound, another negative
 * errno when the kernel cannot be asked.
 */
static int ring_peer(struct mmio_shm_ring *ring, struct ring_block *other,
		     uint64_t *seqp)
{
	uint64_t cookie;
	uint32_t ep;

	if (!ring->shm)
		return -ENOENT;
	/* pairs with the release store in mmio_shm_ring_bind() */
	cookie = atomic_load_explicit(&other->cookie, memory_order_acquire);
	if (!cookie)
		return -ENOENT;
	ep = atomic_load_explicit(&other->endpoint, memory_order_relaxed);
	return mmio_shm_peer_check(ring->shm, ep, cookie, seqp);
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
 * Return: 0 with the new position in *@posp; -EAGAIN at once for
 * RING_NOWAIT; -ETIMEDOUT at @deadline; -EINTR; -EPIPE when the peer's
 * binding was released and its position did not move; another negative
 * errno from futex() or the device.
 */
static int ring_wait_move(struct mmio_shm_ring *ring, struct ring_block *mine,
			  struct ring_block *other, uint64_t seen,
			  uint64_t deadline, uint64_t *posp)
{
	struct timespec rel, *relp = NULL;
	uint64_t pos, now, dseq = 0;
	uint32_t ticket, how;
	int i, alive, ret = 0;

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
		/* before the flag: a release after this rings past dseq */
		alive = ring_peer(ring, other, &dseq);
		if (alive < 0 && alive != -ENOENT) {
			ret = alive;
			break;
		}
		how = alive >= 0 ? RING_SLEEP_DOORBELL : RING_SLEEP_FUTEX;
		atomic_store_explicit(&mine->sleep_on, (uint32_t)seen,
				      memory_order_relaxed);
		atomic_store_explicit(&mine->sleep_how, how,
				      memory_order_relaxed);
		ticket = atomic_load_explicit(&mine->sleeps,
					      memory_order_relaxed) + 1;
		/* a waker that loads this ticket loads sleep_on/how after it */
		atomic_store_explicit(&mine->sleeps, ticket ? ticket : 1,
				      memory_order_release);
		atomic_store_explicit(&mine->waiting, 1, memory_order_relaxed);
		/* pairs with the fence in ring_publish() */
		atomic_thread_fence(memory_order_seq_cst);
		pos = atomic_load_explicit(&other->pos, memory_order_acquire);
		if (pos != seen)
			break;
		/*
		 * The peer bound after ring_peer() looked: go round again to
		 * sleep on the doorbell. Pairs with the fence in
		 * mmio_shm_ring_bind(): either this load sees the cookie or
		 * the binder sees the flag and wakes the futex.
		 */
		if (how == RING_SLEEP_FUTEX && ring->shm &&
		    atomic_load_explicit(&other->cookie, memory_order_relaxed))
			continue;
		/* what the peer published before it went is delivered first */
		if (alive == 0) {
			ret = -EPIPE;
			break;
		}
		if (deadline != RING_FOREVER) {
			now = ring_now();
			if (now >= deadline) {
				ret = -ETIMEDOUT;
				break;
			}
			rel.tv_sec = (time_t)((deadline - now) / 1000000000u);
			rel.tv_nsec = (long)((deadline - now) % 1000000000u);
			relp = &rel;
		}
		if (how == RING_SLEEP_DOORBELL)
			ret = ring_doorbell_wait(ring->shm, dseq, deadline);
		else
			ret = ring_futex_wait(other, (uint32_t)seen, relp);
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
 * The producer: waits until @need bytes are free from @tail on.
 * Return: 0, or a negative errno (-EPROTO when head is beyond tail or
 * more than the data area behind it).
 */
static int ring_wait_space(struct mmio_shm_ring *ring, uint64_t tail,
			   uint64_t need, uint64_t deadline)
{
	uint64_t head = ring->head_seen, fresh, used;
	int ret;

	for (;;) {
		used = tail - head;
		if (used <= ring->size && ring->size - used >= need)
			break;
		/* head only grows: an older value never shows too much room */
		fresh = atomic_load_explicit(&ring->head_blk->pos,
					     memory_order_acquire);
		if (fresh != head) {
			head = fresh;
			continue;
		}
		if (used > ring->size)
			return -EPROTO;
		ret = ring_wait_move(ring, ring->tail_blk, ring->head_blk, head,
				     deadline, &head);
		if (ret)
			return ret;
	}
	ring->head_seen = head;
	return 0;
}

/*
 * The consumer: waits until there is data from @head on.
 * Return: 0 with the tail in *@tailp, or a negative errno (-EPROTO when
 * tail is behind head or more than the data area ahead of it).
 */
static int ring_wait_data(struct mmio_shm_ring *ring, uint64_t head,
			  uint64_t deadline, uint64_t *tailp)
{
	uint64_t tail = ring->tail_seen, fresh;
	int ret;

	for (;;) {
		/* 0 < tail - head <= size */
		if (tail - head - 1 < ring->size)
			break;
		/* tail only grows: an older value never shows too much data */
		fresh = atomic_load_explicit(&ring->tail_blk->pos,
					     memory_order_acquire);
		if (fresh != tail) {
			tail = fresh;
			continue;
		}
		if (tail != head)
			return -EPROTO;
		ret = ring_wait_move(ring, ring->head_blk, ring->tail_blk, tail,
				     deadline, &tail);
		if (ret)
			return ret;
	}
	ring->tail_seen = tail;
	*tailp = tail;
	return 0;
}

static int ring_new(void *mem, uint64_t data_size, struct mmio_shm_ring **ringp)
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
	};
	ring->head_seen = atomic_load_explicit(&ring->head_blk->pos,
					       memory_order_acquire);
	ring->tail_seen = atomic_load_explicit(&ring->tail_blk->pos,
					       memory_order_acquire);
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
	struct mmio_shm_ring_hdr *hdr = mem;
	uint64_t room, data_size;
	int ret;

	if (!ring_mem_ok(mem, flags, ringp) ||
	    len < MMIO_SHM_RING_OVERHEAD + MMIO_SHM_RING_MIN_DATA)
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
	ret = ring_new(mem, data_size, ringp);
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

/* does the header describe a version 1 ring inside @len bytes? */
static bool ring_hdr_ok(const struct mmio_shm_ring_hdr *h, size_t len)
{
	size_t i;

	if (h->magic != MMIO_SHM_RING_MAGIC ||
	    h->version != MMIO_SHM_RING_VERSION || h->flags)
		return false;
	for (i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++)
		if (h->reserved[i])
			return false;
	/* version 1 places everything at fixed offsets */
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
	struct mmio_shm_ring_hdr *hdr = mem, h;
	struct mmio_shm_ring *ring;
	uint64_t head, tail;
	int ret;

	if (!ring_mem_ok(mem, flags, ringp) || len < sizeof(h))
		return -EINVAL;
	/* the magic first, with acquire: the rest was written before it */
	h.magic = __atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE);
	if (h.magic != MMIO_SHM_RING_MAGIC)
		return -EPROTO;
	/* one copy, checked and then used: the header may change meanwhile */
	memcpy(&h, hdr, sizeof(h));
	if (!ring_hdr_ok(&h, len))
		return -EPROTO;
	ret = ring_new(mem, h.data_size, &ring);
	if (ret)
		return ret;
	head = ring->head_seen;
	tail = ring->tail_seen;
	/* records start 8-byte aligned, and tail is 0 to size bytes ahead */
	if ((head | tail) % sizeof(struct ring_rec) ||
	    tail - head > ring->size) {
		free(ring);
		return -EPROTO;
	}
	*ringp = ring;
	return 0;
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
	uint64_t tail, off, pad, need, deadline;
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
	/* only this side writes tail: no ordering needed to read it back */
	tail = atomic_load_explicit(&ring->tail_blk->pos, memory_order_relaxed);
	off = tail & ring->mask;
	if (ring->size - off < need) {
		/*
		 * The wrap rule: a record never straddles the end. The rest of
		 * the data area becomes a padding record, published on its own
		 * as soon as it fits, and the record starts at offset 0. So a
		 * record of up to the whole data area always fits eventually.
		 */
		pad = ring->size - off;
		ret = ring_wait_space(ring, tail, pad, deadline);
		if (ret)
			return ret;
		rec = (struct ring_rec *)(void *)(ring->data + off);
		rec->len = (uint32_t)(pad - sizeof(*rec));
		rec->flags = MMIO_SHM_RING_REC_PAD;
		tail += pad;
		ring_publish(ring, ring->tail_blk, ring->head_blk, tail,
			     &ring->cons_woken);
		off = 0;
	}
	ret = ring_wait_space(ring, tail, need, deadline);
	if (ret)
		return ret;
	ring->resv = true;
	ring->resv_pos = tail;
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
	ring_publish(ring, ring->tail_blk, ring->head_blk,
		     ring->resv_pos + ring_rec_size(len), &ring->cons_woken);
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
	uint64_t head, tail, off, size, deadline;
	struct ring_rec *rec, r;
	int ret;

	if (!ring || !bufp || !lenp)
		return -EINVAL;
	deadline = ring_deadline(timeout_ns);
	/* only this side writes head: no ordering needed to read it back */
	head = atomic_load_explicit(&ring->head_blk->pos, memory_order_relaxed);
	for (;;) {
		ret = ring_wait_data(ring, head, deadline, &tail);
		if (ret)
			return ret;
		off = head & ring->mask;
		rec = (struct ring_rec *)(void *)(ring->data + off);
		/* one copy of the header, checked and then used */
		r = *rec;
		size = ring_rec_size(r.len);
		/* in one piece, written already, no flag we do not know */
		if (r.flags & ~MMIO_SHM_RING_REC_PAD ||
		    r.len > ring->size - off - sizeof(r) || size > tail - head)
			return -EPROTO;
		if (!(r.flags & MMIO_SHM_RING_REC_PAD))
			break;
		/* padding runs to the end of the data area, no shorter */
		if (off + size != ring->size)
			return -EPROTO;
		head += size;
		ring_publish(ring, ring->head_blk, ring->tail_blk, head,
			     &ring->prod_woken);
	}
	/* peeking again finds the same record: head has not moved */
	ring->peek_size = size;
	*bufp = rec + 1;
	*lenp = r.len;
	return 0;
}

MMIO_SHM_API int mmio_shm_ring_release(struct mmio_shm_ring *ring)
{
	uint64_t head;

	if (!ring || !ring->peek_size)
		return -EINVAL;
	head = atomic_load_explicit(&ring->head_blk->pos, memory_order_relaxed);
	head += ring->peek_size;
	ring->peek_size = 0;
	ring_publish(ring, ring->head_blk, ring->tail_blk, head,
		     &ring->prod_woken);
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

MMIO_SHM_API int mmio_shm_ring_bind(struct mmio_shm_ring *ring,
				    struct mmio_shm *shm, unsigned int side)
{
	struct mmio_shm_endpoint ep;
	struct ring_block *blk;
	int ret;

	if (!ring || !shm)
		return -EINVAL;
	if (side == MMIO_SHM_RING_PRODUCER)
		blk = ring->tail_blk;
	else if (side == MMIO_SHM_RING_CONSUMER)
		blk = ring->head_blk;
	else
		return -EINVAL;
	if (ring->shm)
		return -EALREADY;
	ret = mmio_shm_bind(shm, MMIO_SHM_ENDPOINT_ANY, &ep);
	if (ret)
		return ret;
	atomic_store_explicit(&blk->endpoint, ep.index, memory_order_relaxed);
	/* pairs with the acquire load in ring_peer() */
	atomic_store_explicit(&blk->cookie, ep.cookie, memory_order_release);
	ring->shm = shm;
	/*
	 * The other side may sleep on the futex, chosen before it saw the
	 * cookie: wake it, so that it sleeps on the doorbell from now on.
	 * The fence pairs with the one in ring_wait_move().
	 */
	atomic_thread_fence(memory_order_seq_cst);
	ring_futex_wake(blk);
	return 0;
}
