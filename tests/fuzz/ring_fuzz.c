// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target for the message ring of libmmio_shm (user/lib/ring.c)
 * against a hostile peer: the input drives an honest producer and an
 * honest consumer, each with its own handle on one region, and between
 * their calls an adversary that writes any word of the region: both
 * position blocks (positions, tickets, flags, sleep words, endpoint and
 * cookie, wake words, the fenceless flags of layout version 3), the
 * header after attach, record headers in the
 * data area. The region ends at a PROT_NONE page and the bytes before it
 * are a canary, so an access past it faults and one before it shows; the
 * library is built with AddressSanitizer and UBSan, and so are the
 * buffers handed to it, sized exactly.
 *
 * What must hold, whatever the adversary does:
 *  - no call reads or writes outside the region or a caller's buffer;
 *  - every call returns 0 or one of its documented errors;
 *  - a payload handed out by peek, and a reservation, lie inside the data
 *    area;
 *  - no call waits past its timeout (the timed calls here wait 100 us at
 *    most; libFuzzer's -timeout catches a hang);
 *  - as long as the adversary has written nothing, every record comes out
 *    in order with the bytes it went in with (a model of the queue).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (tests/fuzz/build.mk);
 * run: tests/shell/ring_fuzz.sh (make check, bounded), make fuzz (longer).
 * The corpus in tests/fuzz/corpus/ring/ is seeded with the misaligned
 * positions that once made the consumer read past the region and the
 * producer write past it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "libmmio_shm.h"
#include "hostile_peer.h"

#define MODEL_MAX	4096	/* records the model follows */
#define TIMED_MAX	4	/* calls that may wait, per input */
#define TIMED_NS	100000	/* how long each may wait: 100 us */

/* the region, its guard page and the two honest sides */
struct world {
	unsigned char *base;		/* the mapping: canary, region, guard */
	size_t map_len;
	unsigned char *mem;		/* the ring's region */
	size_t len;			/* its length */
	uint64_t data_size;		/* the data area's */
	unsigned char *data;		/* the data area */
	struct mmio_shm_ring *prod;	/* NULL once an attach was refused */
	struct mmio_shm_ring *cons;
	void *resv;			/* the pending reservation, or NULL */
	size_t resv_len;
	bool peeked;			/* cons holds a peeked record */
	bool tampered;			/* the adversary wrote: no model */
	int timed;			/* calls that could wait, so far */
	uint64_t next_seq;		/* the next record's number */
	uint64_t model[MODEL_MAX];	/* lengths of records in the ring */
	uint32_t model_seq[MODEL_MAX];
	size_t model_head, model_count;
};

static unsigned char pattern(uint64_t seq, size_t i)
{
	return (unsigned char)(seq * 131 + i * 7 + 1);
}

static bool world_map(struct world *w, uint64_t data_size)
{
	w->data_size = data_size;
	w->len = MMIO_SHM_RING_OVERHEAD + data_size;
	w->mem = guarded_map(w->len, &w->base, &w->map_len);
	if (!w->mem)
		return false;
	w->data = w->mem + MMIO_SHM_RING_OVERHEAD;
	return true;
}

/* [p, p + len) inside the data area */
static void in_data(const struct world *w, const void *p, size_t len)
{
	const unsigned char *b = p;

	PROMISE(b >= w->data && b <= w->data + w->data_size);
	PROMISE(len <= (size_t)(w->data + w->data_size - b));
}

static int64_t timeout_of(struct world *w, struct input *in)
{
	if (take(in, 1) % 8 || w->timed >= TIMED_MAX)
		return 0;
	w->timed++;
	return TIMED_NS;
}

static void model_push(struct world *w, size_t len, uint64_t seq)
{
	size_t i;

	if (w->model_count == MODEL_MAX) {
		/* too many to follow: stop checking contents */
		w->tampered = true;
		return;
	}
	i = (w->model_head + w->model_count) % MODEL_MAX;
	w->model[i] = len;
	w->model_seq[i] = (uint32_t)seq;
	w->model_count++;
}

/* a record came out: is it the model's next one, bytes and all? */
static void model_check(struct world *w, const unsigned char *p, size_t len,
			bool pop)
{
	uint64_t seq;
	size_t i;

	if (w->tampered)
		return;
	PROMISE(w->model_count > 0);
	PROMISE(w->model[w->model_head] == len);
	seq = w->model_seq[w->model_head];
	for (i = 0; i < len; i++)
		PROMISE(p[i] == pattern(seq, i));
	if (pop) {
		w->model_head = (w->model_head + 1) % MODEL_MAX;
		w->model_count--;
	}
}

static void op_send(struct world *w, struct input *in)
{
	size_t len = (size_t)(take(in, 2) % (w->data_size + 16)), i;
	unsigned char *buf = malloc(len ? len : 1);
	int ret;

	if (!buf)
		return;
	for (i = 0; i < len; i++)
		buf[i] = pattern(w->next_seq, i);
	ret = mmio_shm_ring_send(w->prod, buf, len, timeout_of(w, in));
	RET_IS(ret, 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EMSGSIZE, -EPROTO, -EBUSY);
	PROMISE(ret != -EMSGSIZE || len > w->data_size - 8);
	if (!ret)
		model_push(w, len, w->next_seq++);
	free(buf);
}

static void op_reserve(struct world *w, struct input *in)
{
	size_t len = (size_t)(take(in, 2) % (w->data_size + 16)), i;
	void *p = NULL;
	int ret;

	ret = mmio_shm_ring_reserve(w->prod, len, timeout_of(w, in), &p);
	RET_IS(ret, 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EMSGSIZE, -EPROTO, -EBUSY);
	PROMISE(ret != -EBUSY || w->resv);
	if (ret)
		return;
	PROMISE(!w->resv);
	in_data(w, p, len);
	/* the whole reservation is the caller's to write */
	for (i = 0; i < len; i++)
		((unsigned char *)p)[i] = pattern(w->next_seq, i);
	w->resv = p;
	w->resv_len = len;
}

static void op_commit(struct world *w, struct input *in)
{
	size_t len = (size_t)(take(in, 2) % (w->data_size + 16));
	int ret;

	ret = mmio_shm_ring_commit(w->prod, len);
	RET_IS(ret, 0, -EINVAL);
	PROMISE(!ret == (w->resv && len <= w->resv_len));
	if (ret)
		return;
	w->resv = NULL;
	model_push(w, len, w->next_seq++);
}

static void op_recv(struct world *w, struct input *in)
{
	size_t size = (size_t)(take(in, 2) % (w->data_size + 16)), len = 0;
	unsigned char *buf = malloc(size ? size : 1);
	int ret;

	if (!buf)
		return;
	ret = mmio_shm_ring_recv(w->cons, size ? buf : NULL, size,
				 timeout_of(w, in), &len);
	RET_IS(ret, 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EMSGSIZE, -EPROTO);
	if (ret == -EMSGSIZE) {
		PROMISE(len > size);
		w->peeked = true;
	} else if (!ret) {
		PROMISE(len <= size);
		model_check(w, buf, len, true);
		w->peeked = false;
	}
	free(buf);
}

static void op_peek(struct world *w, struct input *in)
{
	const void *p = NULL;
	unsigned char *copy;
	size_t len = 0;
	int ret;

	ret = mmio_shm_ring_peek(w->cons, timeout_of(w, in), &p, &len);
	RET_IS(ret, 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EPROTO);
	if (ret)
		return;
	in_data(w, p, len);
	/* read every byte handed out, through a buffer of exactly that size */
	copy = malloc(len ? len : 1);
	if (!copy)
		return;
	memcpy(copy, p, len);
	model_check(w, copy, len, false);
	free(copy);
	w->peeked = true;
}

static void op_release(struct world *w)
{
	int ret = mmio_shm_ring_release(w->cons);

	RET_IS(ret, 0, -EINVAL);
	PROMISE(!ret == w->peeked);
	if (ret)
		return;
	if (!w->tampered) {
		w->model_head = (w->model_head + 1) % MODEL_MAX;
		w->model_count--;
	}
	w->peeked = false;
}

/* the words of the region worth aiming at: every field of the layout */
static const uint16_t targets[] = {
	0, 4, 8, 16, 24, 32, 40, 48, 52, 124,		/* the header */
	128, 132, 192, 200, 208, 212, 216, 224, 228,	/* the tail block */
	256, 260, 320, 328, 336, 340, 344, 352, 356,	/* the head block */
	232, 360,		/* the fenceless flags (layout version 3) */
};

/* values worth writing: near the ends, misaligned, near the positions */
static uint64_t value_of(const struct world *w, struct input *in)
{
	uint64_t tail, head, v = take(in, 8);

	memcpy(&tail, w->mem + 128, sizeof(tail));
	memcpy(&head, w->mem + 256, sizeof(head));
	switch (take(in, 1) % 8) {
	case 0:
		return v;
	case 1:
		return w->data_size - (v % 16);
	case 2:
		return w->data_size + (v % 16);
	case 3:
		return tail + (int64_t)(int8_t)v;
	case 4:
		return head + (int64_t)(int8_t)v;
	case 5:
		return tail + w->data_size - (v % 16);
	case 6:
		return UINT64_MAX - (v % 16);
	default:
		return v % 4;
	}
}

static void op_poke(struct world *w, struct input *in)
{
	size_t off;
	uint64_t v;

	if (take(in, 1) % 2)
		off = targets[take(in, 1) % (sizeof(targets) / sizeof(targets[0]))];
	else
		off = (size_t)(take(in, 2) % (MMIO_SHM_RING_OVERHEAD / 4)) * 4;
	v = value_of(w, in);
	if (off % 8 || take(in, 1) % 2) {
		uint32_t v32 = (uint32_t)v;

		__atomic_store_n((uint32_t *)(void *)(w->mem + off), v32,
				 __ATOMIC_RELAXED);
	} else {
		__atomic_store_n((uint64_t *)(void *)(w->mem + off), v,
				 __ATOMIC_RELAXED);
	}
	w->tampered = true;
}

/* a record header in the data area: any length, any flags */
static void op_poke_record(struct world *w, struct input *in)
{
	size_t off = (size_t)(take(in, 4) % w->data_size) & ~(size_t)3;
	uint32_t v = (uint32_t)value_of(w, in);

	memcpy(w->data + off, &v, sizeof(v));
	w->tampered = true;
}

/* a side attaches anew, as a restarted process would */
static void op_reattach(struct world *w, struct input *in)
{
	bool producer = take(in, 1) % 2;
	struct mmio_shm_ring **side = producer ? &w->prod : &w->cons;
	int ret;

	mmio_shm_ring_detach(*side);
	*side = NULL;
	ret = mmio_shm_ring_attach(w->mem, w->len, 0, side);
	RET_IS(ret, 0, -EPROTO);
	PROMISE(!ret || w->tampered);
	if (producer) {
		/* a reservation is dropped with its handle */
		w->resv = NULL;
	} else {
		w->peeked = false;
	}
}

static void op_misc(struct world *w, struct input *in)
{
	size_t max = 0;
	int ret;

	ret = mmio_shm_ring_get_max_msg(take(in, 1) % 2 ? w->prod : w->cons,
					&max);
	RET_IS(ret, 0);
	PROMISE(max == w->data_size - 8);
	/* not bound: there is nobody to ask */
	ret = mmio_shm_ring_peer_alive(w->cons, MMIO_SHM_RING_CONSUMER);
	RET_IS(ret, -ENOENT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .left = size };
	struct world *w = calloc(1, sizeof(*w));
	int steps;

	if (!w)
		return 0;
	/*
	 * A data area of 128 bytes to 8 KiB: the region (384 bytes more)
	 * then ends exactly at the guard page with its start 128-aligned.
	 */
	if (!world_map(w, (uint64_t)128 << (take(&in, 1) % 7)))
		goto out_free;
	PROMISE(!mmio_shm_ring_init(w->mem, w->len, 0, &w->prod));
	PROMISE(!mmio_shm_ring_attach(w->mem, w->len, 0, &w->cons));
	for (steps = 0; in.left && steps < 512; steps++) {
		uint8_t op = (uint8_t)take(&in, 1);

		/* a side whose attach was refused makes no more calls */
		if (!w->prod && op % 12 < 3)
			continue;
		if (!w->cons && op % 12 >= 3 && op % 12 < 6)
			continue;
		switch (op % 12) {
		case 0:
			op_send(w, &in);
			break;
		case 1:
			op_reserve(w, &in);
			break;
		case 2:
			op_commit(w, &in);
			break;
		case 3:
			op_recv(w, &in);
			break;
		case 4:
			op_peek(w, &in);
			break;
		case 5:
			op_release(w);
			break;
		case 6:
		case 7:
			op_poke(w, &in);
			break;
		case 8:
			op_poke_record(w, &in);
			break;
		case 9:
			op_reattach(w, &in);
			break;
		case 10:
			if (w->prod && w->cons)
				op_misc(w, &in);
			break;
		default:
			/* the honest sides, a record through and back */
			if (w->prod && w->cons) {
				op_send(w, &in);
				op_recv(w, &in);
			}
			break;
		}
		guarded_check(w->base, w->mem);
	}
	mmio_shm_ring_detach(w->prod);
	mmio_shm_ring_detach(w->cons);
	munmap(w->base, w->map_len);
out_free:
	free(w);
	return 0;
}
