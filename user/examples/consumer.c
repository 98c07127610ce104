// SPDX-License-Identifier: MIT
/*
 * consumer - receive COUNT numbers from producer through the channel in
 * the shared buffer (see channel.h) and print them.
 *
 *   consumer [-d PATH] [COUNT]      (default 10)
 *
 * May start before or after the producer: it sleeps on the doorbell until
 * the channel is set up, takes items under the shared mutex, and rings the
 * doorbell once it has them all.
 */
#include <inttypes.h>

#include "channel.h"

int main(int argc, char **argv)
{
	struct example ex = { .name = "consumer" };
	struct mmio_shm_status info;
	unsigned long count, i;
	struct channel *ch;
	uint64_t v, sum = 0;
	int first, ret;

	first = example_open(&ex, argc, argv, EXAMPLE_RW);
	count = example_count(&ex, argc, argv, first, sizeof(*ch));
	ch = ex.buf;

	/* the sequence before looking at the state: no ring can slip by */
	ret = mmio_shm_get_status(ex.shm, &info);
	if (ret)
		example_die(&ex, "info", ret);
	channel_await_state(&ex, ch, info.seq, CHANNEL_READY);

	for (i = 1; i <= count; i++) {
		pthread_mutex_lock(&ch->lock);
		while (ch->head == ch->tail)
			channel_wait_change(&ex, ch);
		v = ch->item[ch->tail % CHANNEL_SLOTS];
		ch->tail++;
		pthread_cond_broadcast(&ch->changed);
		pthread_mutex_unlock(&ch->lock);
		printf("item %lu: %" PRIu64 "\n", i, v);
		sum += v;
	}
	printf("consumer: received %lu items, sum %" PRIu64 "\n", count, sum);
	fflush(stdout);

	channel_set_state(&ex, ch, CHANNEL_DONE);
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
