// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - fan-in: many producers, one consumer, one ring per producer
 *
 * The layout is in libmmio_shm.h; docs/design.md has the choice (one ring
 * per producer, not one ring with a compare-and-swap on its tail) and its
 * measurements. In short:
 *
 *  - Slots. Each producer owns one slot's ring, and is its only writer:
 *    the ring's single-producer protocol, checks and wake-ups hold as
 *    they are (ring.c). A producer claims a slot by a compare-and-swap of
 *    its owner word from 0 to its token; only the consumer stores 0 back,
 *    after it laid the slot's ring out anew, with release: the next
 *    producer's acquire sees a fresh ring.
 *  - One sleep for all. The consumer sleeps only when every slot is empty.
 *    It loads the shared wake word, raises its waiting flag and sleep
 *    words in every claimed slot's block, issues one full fence (and one
 *    membarrier() if any producer publishes without a fence), then looks
 *    at every tail and every free slot's owner once more. A producer that
 *    finds the flag in its slot bumps the shared word (an atomic add: all
 *    producers bump it) and wakes it; a producer that joins bumps it
 *    after its compare-and-swap. Each pair of fences is the ring's
 *    argument: either the consumer's last look sees the record (or the
 *    claim), or the producer's load sees the flag and its bump comes
 *    after the consumer loaded the word, so FUTEX_WAIT does not sleep.
 *  - Liveness (the device). The consumer searches the device's endpoints
 *    for a new owner's token: a producer binds before it claims, so a
 *    token no endpoint holds is a gone producer's (or garbage). Before
 *    each sleep it checks every claimed slot's binding, which gives the
 *    doorbell sequence to sleep on: a release after that rings past it.
 *    A gone producer's slot is drained, reported (-EPIPE) and laid out
 *    anew. A consumer kept busy checks every FANIN_CHECK_EVERY records.
 *  - Trust. The owner word and everything in a slot are a producer's:
 *    a token is only compared and searched for, the ring checks the rest;
 *    a slot whose ring is inconsistent (-EPROTO) is laid out anew.
 */
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* how often the consumer checks for new or gone producers while busy */
#define FANIN_CHECK_EVERY	1024u

/*
 * How many records in a row the consumer takes from one slot before it
 * turns to the next, publishing its head once for them all (when it turns,
 * or finds the slot empty): freeing one record at a time in each of
 * several full slots woke each sleeping producer for one record's room,
 * and a producer spinning for room pulled head's line back with each
 */
#define FANIN_BURST		64u

/* how long the consumer looks at the slots before it sleeps */
#define FANIN_SPINS		64

/* how long a sleep lasts at most when a membarrier() failed (ring.c) */
#define FANIN_BLIND_SLEEP_NS	1000000u

/* the device's endpoints */
#define FANIN_ENDPOINTS		64u

#define FANIN_WAKE_OFFSET	128u

_Static_assert(sizeof(struct mmio_shm_fanin_hdr) == 128,
	       "the fan-in header is 128 bytes");
_Static_assert(offsetof(struct mmio_shm_fanin_hdr, region_size) == 8 &&
	       offsetof(struct mmio_shm_fanin_hdr, slot_offset) == 16 &&
	       offsetof(struct mmio_shm_fanin_hdr, slot_size) == 24 &&
	       offsetof(struct mmio_shm_fanin_hdr, slots) == 32 &&
	       offsetof(struct mmio_shm_fanin_hdr, flags) == 36,
	       "fan-in header offsets as documented");

/* the consumer's view of one slot */
struct fanin_slot {
	struct mmio_shm_ring *ring;	/* the consumer's handle on its ring */
	uint64_t owner;			/* the producer's token; 0: free */
	uint32_t ep;			/* its endpoint, on the device */
	bool gone;			/* deliver what is left, then -EPIPE */
};

/* the consumer's handle; one thread uses it */
struct mmio_shm_fanin {
	unsigned char *base;		/* the region */
	uint64_t slot_size;		/* bytes per slot */
	uint32_t slots;			/* how many */
	_Atomic uint32_t *wake;		/* the shared wake word */
	struct mmio_shm *shm;		/* the device, once bound; not owned */
	struct mmio_shm_endpoint ep;	/* the consumer's binding */
	uint32_t next;			/* the slot to look at first */
	uint32_t burst;			/* records taken from it in a row */
	uint32_t since_check;		/* records since the last check */
	struct fanin_slot slot[];	/* @slots of them */
};

static unsigned char *fanin_slot_mem(unsigned char *base, uint64_t slot_size,
				     uint32_t i)
{
	return base + MMIO_SHM_FANIN_OVERHEAD + (uint64_t)i * slot_size;
}

static _Atomic uint64_t *fanin_owner(unsigned char *base, uint64_t slot_size,
				     uint32_t i)
{
	return (_Atomic uint64_t *)(void *)fanin_slot_mem(base, slot_size, i);
}

/*
 * Lays slot @i's ring out anew (a fresh, empty ring, the consumer bound in
 * it as before) and frees the slot: the owner word goes back to 0 last,
 * with release, so a producer that claims it next finds the ring laid out.
 */
static int fanin_reset(struct mmio_shm_fanin *fan, uint32_t i)
{
	struct fanin_slot *s = &fan->slot[i];
	unsigned char *mem = fanin_slot_mem(fan->base, fan->slot_size, i);
	int ret;

	mmio_shm_ring_detach(s->ring);
	s->ring = NULL;
	ret = mmio_shm_ring_lay_out(mem + MMIO_SHM_FANIN_SLOT_OVERHEAD,
				    fan->slot_size -
				    MMIO_SHM_FANIN_SLOT_OVERHEAD,
				    MMIO_SHM_RING_FANIN_SLOT, &s->ring);
	if (ret)
		return ret;
	if (fan->shm)
		mmio_shm_ring_fan_consumer(s->ring, fan->shm, &fan->ep);
	s->owner = 0;
	s->gone = false;
	atomic_store_explicit(fanin_owner(fan->base, fan->slot_size, i), 0,
			      memory_order_release);
	return 0;
}

MMIO_SHM_API int mmio_shm_fanin_init(void *mem, size_t len, unsigned int slots,
				     unsigned int flags,
				     struct mmio_shm_fanin **fanp)
{
	struct mmio_shm_fanin_hdr *hdr = mem;
	struct mmio_shm_fanin *fan;
	uint64_t share, data, slot_size;
	uint32_t i;
	int ret;

	if (!mem || (uintptr_t)mem % MMIO_SHM_RING_ALIGN || flags || !fanp ||
	    !slots || slots > MMIO_SHM_FANIN_MAX_SLOTS ||
	    len < MMIO_SHM_FANIN_OVERHEAD)
		return -EINVAL;
	share = (len - MMIO_SHM_FANIN_OVERHEAD) / slots;
	if (share < MMIO_SHM_FANIN_SLOT_OVERHEAD + MMIO_SHM_RING_OVERHEAD +
		    MMIO_SHM_RING_MIN_DATA)
		return -EINVAL;
	/* the largest power of two that fits in each slot's ring */
	share -= MMIO_SHM_FANIN_SLOT_OVERHEAD + MMIO_SHM_RING_OVERHEAD;
	for (data = MMIO_SHM_RING_MIN_DATA;
	     data <= share / 2 && data < MMIO_SHM_RING_MAX_DATA; )
		data *= 2;
	slot_size = MMIO_SHM_FANIN_SLOT_OVERHEAD + MMIO_SHM_RING_OVERHEAD +
		    data;

	fan = calloc(1, sizeof(*fan) + slots * sizeof(fan->slot[0]));
	if (!fan)
		return -ENOMEM;
	fan->base = mem;
	fan->slot_size = slot_size;
	fan->slots = slots;
	fan->wake = (_Atomic uint32_t *)(void *)(fan->base + FANIN_WAKE_OFFSET);

	/* magic 0 until the end: a half-made fan-in is never joined */
	memset(mem, 0, MMIO_SHM_FANIN_OVERHEAD);
	for (i = 0; i < slots; i++) {
		memset(fanin_slot_mem(fan->base, slot_size, i), 0,
		       MMIO_SHM_FANIN_SLOT_OVERHEAD);
		ret = fanin_reset(fan, i);
		if (ret)
			goto err_free;
	}
	hdr->version = MMIO_SHM_FANIN_VERSION;
	hdr->slot_offset = MMIO_SHM_FANIN_OVERHEAD;
	hdr->slot_size = slot_size;
	hdr->slots = slots;
	hdr->region_size = MMIO_SHM_FANIN_OVERHEAD + slots * slot_size;
	/* plain fields in the public struct: the builtin gives release */
	__atomic_store_n(&hdr->magic, MMIO_SHM_FANIN_MAGIC, __ATOMIC_RELEASE);
	*fanp = fan;
	return 0;

err_free:
	mmio_shm_fanin_detach(fan);
	return ret;
}

MMIO_SHM_API int mmio_shm_fanin_detach(struct mmio_shm_fanin *fan)
{
	uint32_t i;

	if (!fan)
		return -EINVAL;
	for (i = 0; i < fan->slots; i++)
		mmio_shm_ring_detach(fan->slot[i].ring);
	free(fan);
	return 0;
}

MMIO_SHM_API int mmio_shm_fanin_bind(struct mmio_shm_fanin *fan,
				     struct mmio_shm *shm)
{
	uint32_t i;
	int ret;

	if (!fan || !shm)
		return -EINVAL;
	if (fan->shm)
		return -EALREADY;
	ret = mmio_shm_bind(shm, MMIO_SHM_ENDPOINT_ANY, &fan->ep);
	if (ret)
		return ret;
	fan->shm = shm;
	for (i = 0; i < fan->slots; i++)
		mmio_shm_ring_fan_consumer(fan->slot[i].ring, shm, &fan->ep);
	return 0;
}


/*
 * Slot @i's owner word is @owner, not 0: take the producer on. On the
 * device its token must be a binding's cookie: the endpoint holding it is
 * searched for (the producer bound before it claimed); none holds it, or
 * the device cannot be asked: the producer is gone (what it committed is
 * still delivered, then -EPIPE).
 */
static void fanin_accept(struct mmio_shm_fanin *fan, uint32_t i,
			 uint64_t owner)
{
	struct fanin_slot *s = &fan->slot[i];
	uint32_t ep;

	s->owner = owner;
	s->gone = false;
	if (!fan->shm)
		return;
	for (ep = 0; ep < FANIN_ENDPOINTS; ep++) {
		if (mmio_shm_peer_check(fan->shm, ep, owner, NULL) == 1) {
			s->ep = ep;
			return;
		}
	}
	s->gone = true;
}

/* takes on the producers of newly claimed slots; true if there were any */
static bool fanin_claims(struct mmio_shm_fanin *fan)
{
	uint64_t owner;
	bool any = false;
	uint32_t i;

	for (i = 0; i < fan->slots; i++) {
		if (fan->slot[i].owner)
			continue;
		/* pairs with the producer's compare-and-swap */
		owner = atomic_load_explicit(fanin_owner(fan->base,
							 fan->slot_size, i),
					     memory_order_acquire);
		if (owner) {
			fanin_accept(fan, i, owner);
			any = true;
		}
	}
	return any;
}

MMIO_SHM_API int mmio_shm_fanin_drop(struct mmio_shm_fanin *fan,
				     unsigned int slot)
{
	if (!fan || slot >= fan->slots)
		return -EINVAL;
	/* a producer that joined since the last look counts */
	fanin_claims(fan);
	if (!fan->slot[slot].owner)
		return -ENOENT;
	fan->slot[slot].gone = true;
	return 0;
}

/*
 * Asks the kernel whether each producer still holds its binding, marking
 * the gone ones. Return: how many are gone (not counting those marked
 * before), or a negative errno; *@seqp (if not NULL) receives the
 * doorbell sequence read before the first answer.
 */
static int fanin_check(struct mmio_shm_fanin *fan, uint64_t *seqp)
{
	uint64_t seq;
	int n = 0, ret;
	uint32_t i;

	if (!fan->shm)
		return 0;
	if (seqp) {
		/* the sequence to sleep on, before any answer */
		ret = mmio_shm_peer_check(fan->shm, fan->ep.index,
					  fan->ep.cookie, seqp);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < fan->slots; i++) {
		struct fanin_slot *s = &fan->slot[i];

		if (!s->owner || s->gone)
			continue;
		ret = mmio_shm_peer_check(fan->shm, s->ep, s->owner, &seq);
		if (ret < 0)
			return ret;
		if (!ret) {
			s->gone = true;
			n++;
		}
	}
	return n;
}

/*
 * One pass over the slots, from fan->next on (the slot it took records
 * from last, until it gave FANIN_BURST in a row), without waiting: a record,
 * or a slot's end (-EPIPE once a gone producer's records are all in,
 * -EPROTO for garbage: the slot is laid out anew either way), or -EAGAIN
 * when every slot is empty.
 */
static int fanin_pass(struct mmio_shm_fanin *fan, void *buf, size_t size,
		      size_t *lenp, unsigned int *slotp)
{
	struct mmio_shm_ring *ring;
	uint32_t k, i;
	int ret;

	for (k = 0; k < fan->slots; k++) {
		i = (fan->next + k) % fan->slots;
		if (!fan->slot[i].owner)
			continue;
		ring = fan->slot[i].ring;
		ret = mmio_shm_ring_fan_take(ring, buf, size, lenp);
		if (ret == -EAGAIN) {
			/* the room taken so far goes back before we turn */
			mmio_shm_ring_fan_flush(ring);
			if (!fan->slot[i].gone)
				continue;
			ret = -EPIPE;
		}
		*slotp = i;
		if (ret == -EMSGSIZE) {
			mmio_shm_ring_fan_flush(ring);
			fan->next = i;
			return ret;
		}
		/* a burst: this slot first again, up to FANIN_BURST records */
		if (!ret && i != fan->next) {
			fan->next = i;
			fan->burst = 0;
		}
		if (!ret && ++fan->burst < FANIN_BURST)
			return 0;
		mmio_shm_ring_fan_flush(ring);
		fan->burst = 0;
		fan->next = (i + 1) % fan->slots;
		if (ret == -EPIPE || ret == -EPROTO) {
			int err = fanin_reset(fan, i);

			return err ? err : ret;
		}
		return ret;
	}
	return -EAGAIN;
}

/*
 * Sleeps until a producer publishes, joins or goes, or @deadline: the
 * protocol at the top of the file. Return: 0 (look again), -ETIMEDOUT,
 * -EINTR, or another negative errno from the device or futex().
 */
static int fanin_sleep(struct mmio_shm_fanin *fan, uint64_t deadline)
{
	struct timespec rel, *relp = NULL;
	uint64_t now, until, seq = 0;
	bool moved = false, blind = false, fenceless = false;
	uint32_t wake, i;
	int ret;

	/* the word to sleep on, before the flags: pairs with the add */
	wake = atomic_load_explicit(fan->wake, memory_order_acquire);
	/* before the flags: a release after this rings past seq */
	ret = fanin_check(fan, &seq);
	if (ret)
		return ret < 0 ? ret : 0;
	for (i = 0; i < fan->slots; i++)
		if (fan->slot[i].owner)
			mmio_shm_ring_fan_sleep(fan->slot[i].ring, !!fan->shm);
	/* pairs with the fence (or membarrier()) of each producer's publish */
	atomic_thread_fence(memory_order_seq_cst);
	for (i = 0; i < fan->slots; i++)
		if (fan->slot[i].owner &&
		    mmio_shm_ring_fan_fenceless(fan->slot[i].ring))
			fenceless = true;
	if (fenceless)
		blind = syscall(SYS_membarrier,
				MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) != 0;
	for (i = 0; i < fan->slots && !moved; i++) {
		if (fan->slot[i].owner)
			moved = mmio_shm_ring_fan_moved(fan->slot[i].ring);
		else
			moved = atomic_load_explicit(fanin_owner(fan->base,
								 fan->slot_size,
								 i),
						     memory_order_acquire);
	}
	ret = 0;
	if (!moved) {
		until = deadline;
		if (deadline != UINT64_MAX || blind) {
			now = mmio_shm_ring_now();
			if (now >= deadline) {
				ret = -ETIMEDOUT;
				goto out;
			}
			if (blind && deadline - now > FANIN_BLIND_SLEEP_NS)
				until = now + FANIN_BLIND_SLEEP_NS;
			rel.tv_sec = (time_t)((until - now) / 1000000000u);
			rel.tv_nsec = (long)((until - now) % 1000000000u);
			relp = &rel;
		}
		if (fan->shm)
			ret = mmio_shm_ring_doorbell_wait(fan->shm, seq, until);
		else
			ret = mmio_shm_sysret(syscall(SYS_futex, fan->wake,
						      FUTEX_WAIT, wake, relp,
						      NULL, 0));
		/* woken, the word moved already, or timed out: look again */
		if (ret == -EAGAIN || ret == -ETIMEDOUT || ret > 0)
			ret = 0;
	}
out:
	for (i = 0; i < fan->slots; i++)
		if (fan->slot[i].owner)
			mmio_shm_ring_fan_awake(fan->slot[i].ring);
	return ret;
}

MMIO_SHM_API int mmio_shm_fanin_recv(struct mmio_shm_fanin *fan, void *buf,
				     size_t size, int64_t timeout_ns,
				     size_t *lenp, unsigned int *slotp)
{
	uint64_t deadline;
	int i, ret;

	if (!fan || !lenp || !slotp || (!buf && size))
		return -EINVAL;
	if (++fan->since_check >= FANIN_CHECK_EVERY) {
		fan->since_check = 0;
		fanin_claims(fan);
		ret = fanin_check(fan, NULL);
		if (ret < 0)
			return ret;
	}
	deadline = mmio_shm_ring_deadline(timeout_ns);
	for (;;) {
		/* a call that must not wait looks twice, not FANIN_SPINS times */
		for (i = 0; i < (deadline ? FANIN_SPINS : 2); i++) {
			ret = fanin_pass(fan, buf, size, lenp, slotp);
			if (ret != -EAGAIN)
				return ret;
			if (fanin_claims(fan))
				i = 0;
		}
		if (!deadline)
			return -EAGAIN;
		ret = fanin_sleep(fan, deadline);
		if (ret)
			return ret;
	}
}

MMIO_SHM_API int mmio_shm_fanin_join(void *mem, size_t len,
				     struct mmio_shm *shm, unsigned int flags,
				     struct mmio_shm_ring **ringp,
				     unsigned int *slotp)
{
	struct mmio_shm_fanin_hdr *hdr = mem, h;
	struct mmio_shm_endpoint ep = { 0 };
	unsigned char *base = mem;
	_Atomic uint64_t *owner;
	uint64_t token, zero;
	uint32_t i;
	int ret;

	if (!mem || (uintptr_t)mem % MMIO_SHM_RING_ALIGN || flags || !ringp ||
	    len < sizeof(h))
		return -EINVAL;
	/* the magic first, with acquire: the rest was written before it */
	if (__atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE) !=
	    MMIO_SHM_FANIN_MAGIC)
		return -EPROTO;
	/* one copy, checked and then used: the consumer's word is input */
	memcpy(&h, hdr, sizeof(h));
	if (h.version != MMIO_SHM_FANIN_VERSION || h.flags ||
	    h.slot_offset != MMIO_SHM_FANIN_OVERHEAD || !h.slots ||
	    h.slots > MMIO_SHM_FANIN_MAX_SLOTS ||
	    h.slot_size % MMIO_SHM_RING_ALIGN ||
	    h.slot_size < MMIO_SHM_FANIN_SLOT_OVERHEAD +
			  MMIO_SHM_RING_OVERHEAD + MMIO_SHM_RING_MIN_DATA ||
	    h.slot_size > ((uint64_t)len - MMIO_SHM_FANIN_OVERHEAD) / h.slots ||
	    h.region_size != MMIO_SHM_FANIN_OVERHEAD + h.slots * h.slot_size)
		return -EPROTO;
	for (i = 0; i < sizeof(h.reserved) / sizeof(h.reserved[0]); i++)
		if (h.reserved[i])
			return -EPROTO;

	/* bound before the claim: the consumer finds the token at once */
	if (shm) {
		ret = mmio_shm_bind(shm, MMIO_SHM_ENDPOINT_ANY, &ep);
		if (ret)
			return ret;
		token = ep.cookie;
	} else {
		do {
			if (getrandom(&token, sizeof(token), 0) !=
			    sizeof(token))
				return -EIO;
		} while (!token);
	}
	for (i = 0; i < h.slots; i++) {
		owner = fanin_owner(base, h.slot_size, i);
		zero = 0;
		/* acquire: the ring the consumer laid out before freeing it */
		if (atomic_compare_exchange_strong_explicit(owner, &zero, token,
							    memory_order_seq_cst,
							    memory_order_relaxed))
			break;
	}
	if (i == h.slots)
		return -EBUSY;
	ret = mmio_shm_ring_attach_hdr(fanin_slot_mem(base, h.slot_size, i) +
				       MMIO_SHM_FANIN_SLOT_OVERHEAD,
				       h.slot_size -
				       MMIO_SHM_FANIN_SLOT_OVERHEAD,
				       MMIO_SHM_RING_FANIN_SLOT, ringp);
	if (ret) {
		/* a slot laid out wrong is no slot: leave it claimed */
		return ret;
	}
	mmio_shm_ring_fan_producer(*ringp,
				   (_Atomic uint32_t *)(void *)(base +
							FANIN_WAKE_OFFSET),
				   shm, &ep);
	/*
	 * A claim is an event the consumer wakes for: after the
	 * compare-and-swap (a full barrier), the shared word moves and the
	 * doorbell rings (see the top of the file).
	 */
	mmio_shm_fan_wake((_Atomic uint32_t *)(void *)(base +
						       FANIN_WAKE_OFFSET));
	if (shm)
		mmio_shm_notify(shm, NULL);
	if (slotp)
		*slotp = i;
	return 0;
}
