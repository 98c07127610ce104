/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmmio_shm internals: the handle's body and the one place where a
 * failed system call becomes a negative errno.
 */
#ifndef MMIO_SHM_INTERNAL_H
#define MMIO_SHM_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/mmio_shm.h>

#include "libmmio_shm.h"

/* one mapping made through a handle, kept to check unmap and sync */
struct mmio_shm_mapping {
	void *addr;			/* what mmap() returned */
	size_t length;			/* what it was given */
	struct mmio_shm_mapping *next;	/* the next newer mapping */
};

/*
 * The handle. Everything but the mapping list is set by open and never
 * changes, so it is read without a lock; the list is protected by @lock.
 * The body lives here rather than in handle.c because map.c, control.c
 * and doorbell.c, the handle's other methods, use it too.
 */
struct mmio_shm {
	int fd;				/* owned: closed by mmio_shm_close() */
	bool is_device;			/* an mmio_shm char device, not a file */
	bool writable;			/* opened O_RDWR */
	size_t page_size;		/* sysconf(_SC_PAGESIZE) at open */
	pthread_mutex_t lock;		/* protects @maps */
	struct mmio_shm_mapping *maps;	/* protected by @lock */
};

/*
 * Turns a system call's result into the library's convention: the value
 * itself when it succeeded, -errno when it returned a negative value.
 */
static inline int mmio_shm_sysret(long ret)
{
	if (ret >= 0)
		return (int)ret;
	return errno > 0 ? -errno : -EIO;
}

/*
 * ioctl() on the device; -ENOTTY without a system call when the handle is
 * a file, which has none of the device's commands.
 */
int mmio_shm_dev_ioctl(struct mmio_shm *shm, unsigned long cmd, void *arg);

/*
 * MMIO_SHM_IOC_PEER: 1 when endpoint @index still holds @cookie, 0 when
 * not, or a negative errno; *@seqp (if not NULL) receives the doorbell
 * sequence the kernel read before the endpoint.
 */
int mmio_shm_peer_check(struct mmio_shm *shm, uint32_t index,
			uint64_t cookie, uint64_t *seqp);

/* unmaps every mapping left in the list (at close) */
int mmio_shm_unmap_all(struct mmio_shm *shm);

/*
 * The ring's hooks for the fan-in (ring.c, used by fanin.c).
 * mmio_shm_ring_lay_out() and _attach_hdr() are mmio_shm_ring_init() and
 * _attach() for a ring whose header carries @hdr_flags (a fan-in slot:
 * MMIO_SHM_RING_FANIN_SLOT, which the public calls refuse).
 * _fan_producer() makes a slot's producer wake the consumer on @wake,
 * the fan-in's shared word, and (@shm not NULL) names its binding @ep in
 * its block; _fan_consumer() names the consumer's binding. The consumer's
 * sleep over every slot: _fan_sleep() raises the flag and sleep words in
 * one slot's block, _fan_moved() is the last look at its tail after the
 * fence (_fan_fenceless(): whether a membarrier() must come first), and
 * _fan_awake() lowers the flag. _fan_take() receives without publishing
 * head, _fan_flush() publishes it. mmio_shm_fan_wake() bumps a shared word
 * and wakes its sleeper.
 */
struct mmio_shm_ring;
int mmio_shm_ring_lay_out(void *mem, size_t len, uint32_t hdr_flags,
			  struct mmio_shm_ring **ringp);
int mmio_shm_ring_attach_hdr(void *mem, size_t len, uint32_t hdr_flags,
			     struct mmio_shm_ring **ringp);
void mmio_shm_ring_fan_producer(struct mmio_shm_ring *ring,
				_Atomic uint32_t *wake, struct mmio_shm *shm,
				const struct mmio_shm_endpoint *ep);
void mmio_shm_ring_fan_consumer(struct mmio_shm_ring *ring,
				struct mmio_shm *shm,
				const struct mmio_shm_endpoint *ep);
void mmio_shm_ring_fan_sleep(struct mmio_shm_ring *ring, bool doorbell);
bool mmio_shm_ring_fan_fenceless(struct mmio_shm_ring *ring);
bool mmio_shm_ring_fan_moved(struct mmio_shm_ring *ring);
void mmio_shm_ring_fan_awake(struct mmio_shm_ring *ring);
int mmio_shm_ring_fan_take(struct mmio_shm_ring *ring, void *buf, size_t size,
			   size_t *lenp);
void mmio_shm_ring_fan_flush(struct mmio_shm_ring *ring);
void mmio_shm_fan_wake(_Atomic uint32_t *word);

/*
 * The ring's clock: the absolute CLOCK_MONOTONIC deadline of a timeout
 * (0: do not wait, UINT64_MAX: never), now, and MMIO_SHM_IOC_WAIT until
 * the doorbell passes @seq or @deadline.
 */
uint64_t mmio_shm_ring_deadline(int64_t timeout_ns);
uint64_t mmio_shm_ring_now(void);
int mmio_shm_ring_doorbell_wait(struct mmio_shm *shm, uint64_t seq,
				uint64_t deadline);

#endif /* MMIO_SHM_INTERNAL_H */
