// SPDX-License-Identifier: MIT
/*
 * producer - send COUNT numbers (the squares 1, 4, 9, ...) to consumer
 * through the channel in the shared buffer (see channel.h).
 *
 *   producer [-d PATH] [COUNT]      (default 10)
 *
 * Sets up the process-shared mutex and condition variable, announces them
 * with the doorbell, fills the ring as the consumer empties it, then waits
 * on the doorbell for the consumer to say it is done.
 */
#include "channel.h"

static void channel_init(struct example *ex, struct channel *ch)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	memset(ch, 0, sizeof(*ch));
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&ch->lock, &ma) ||
	    pthread_cond_init(&ch->changed, &ca))
		example_die(ex, "channel", -EINVAL);
	pthread_condattr_destroy(&ca);
	pthread_mutexattr_destroy(&ma);
}

int main(int argc, char **argv)
{
	struct example ex = { .name = "producer" };
	unsigned long count, i;
	struct channel *ch;
	uint64_t seq;
	int first;

	first = example_open(&ex, argc, argv, EXAMPLE_RW);
	count = example_count(&ex, argc, argv, first, sizeof(*ch));
	ch = ex.buf;

	channel_init(&ex, ch);
	seq = channel_set_state(&ex, ch, CHANNEL_READY);

	for (i = 1; i <= count; i++) {
		pthread_mutex_lock(&ch->lock);
		while (ch->head - ch->tail == CHANNEL_SLOTS)
			channel_wait_change(&ex, ch);
		ch->item[ch->head % CHANNEL_SLOTS] = i * i;
		ch->head++;
		pthread_cond_broadcast(&ch->changed);
		pthread_mutex_unlock(&ch->lock);
	}

	channel_await_state(&ex, ch, seq, CHANNEL_DONE);
	printf("producer: sent %lu items\n", count);

	/* the consumer is done with the lock: leave the buffer for a new run */
	pthread_cond_destroy(&ch->changed);
	pthread_mutex_destroy(&ch->lock);
	__atomic_store_n(&ch->state, CHANNEL_NONE, __ATOMIC_RELEASE);
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
