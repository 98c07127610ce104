/* SPDX-License-Identifier: MIT */
/*
 * The channel producer and consumer share at the start of the buffer: a
 * small ring of numbers guarded by a process-shared mutex and condition
 * variable that live in the buffer themselves, plus a state word. The
 * doorbell tells the other side when the state changes (the channel was
 * set up, or the consumer is done), so neither side has to poll for it.
 *
 * Start from a zeroed buffer (mmio-shm zero) if an earlier run was killed.
 */
#ifndef MMIO_SHM_CHANNEL_H
#define MMIO_SHM_CHANNEL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "example.h"

#define CHANNEL_SLOTS	4
#define CHANNEL_NONE	0u	/* not set up */
#define CHANNEL_READY	1u	/* producer set up the lock and ring */
#define CHANNEL_DONE	2u	/* consumer took every item */
/* how long either side waits for the other before giving up */
#define CHANNEL_TIMEOUT_S	10

struct channel {
	uint32_t state;			/* CHANNEL_*, atomic */
	uint32_t pad;
	pthread_mutex_t lock;		/* PTHREAD_PROCESS_SHARED */
	pthread_cond_t changed;		/* PTHREAD_PROCESS_SHARED, on a put or take */
	uint32_t head, tail;		/* protected by @lock; head - tail items */
	uint64_t item[CHANNEL_SLOTS];	/* protected by @lock */
};

static inline uint32_t channel_state(const struct channel *ch)
{
	return __atomic_load_n(&ch->state, __ATOMIC_ACQUIRE);
}

/* sets the state and rings the doorbell; returns the sequence it rang */
static inline uint64_t channel_set_state(struct example *ex,
					 struct channel *ch, uint32_t state)
{
	uint64_t seq;
	int ret;

	__atomic_store_n(&ch->state, state, __ATOMIC_RELEASE);
	ret = mmio_shm_notify(ex->shm, &seq);
	if (ret)
		example_die(ex, "notify", ret);
	return seq;
}

/* sleeps on the doorbell, from sequence @seq on, until the state is @state */
static inline void channel_await_state(struct example *ex,
				       const struct channel *ch, uint64_t seq,
				       uint32_t state)
{
	int ret;

	while (channel_state(ch) != state) {
		ret = mmio_shm_wait(ex->shm, seq,
				    CHANNEL_TIMEOUT_S * 1000000000LL, &seq);
		if (ret && ret != -EINTR)
			example_die(ex, "wait", ret);
	}
}

/* pthread_cond_timedwait() with CHANNEL_TIMEOUT_S; dies on a timeout */
static inline void channel_wait_change(struct example *ex, struct channel *ch)
{
	struct timespec deadline;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CHANNEL_TIMEOUT_S;
	ret = pthread_cond_timedwait(&ch->changed, &ch->lock, &deadline);
	if (ret)
		example_die(ex, "peer", -ret);
}

#endif /* MMIO_SHM_CHANNEL_H */
