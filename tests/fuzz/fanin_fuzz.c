// SPDX-License-Identifier: GPL-2.0
/*
 * A libFuzzer target for the fan-in of libmmio_shm (user/lib/fanin.c, on
 * the rings of user/lib/ring.c) against hostile producers: the input
 * drives an honest consumer and up to three honest producers on one
 * region, and between their calls an adversary that writes any word of
 * it: the fan-in header, the shared wake word, the slots' owner words,
 * every slot ring's header and blocks, record headers in the data areas.
 * Producers join, send, leave (the consumer is told with
 * mmio_shm_fanin_drop(), as on a file) and join again. The region ends at
 * a PROT_NONE page with a canary before it, as in ring_fuzz.c; the
 * library is built in with AddressSanitizer and UBSan.
 *
 * What must hold, whatever the adversary does:
 *  - no call reads or writes outside the region or a caller's buffer;
 *  - every call returns 0 or one of its documented errors, and a slot it
 *    reports is one of the region's;
 *  - no call waits past its timeout (100 us at most here);
 *  - as long as the adversary has written nothing and no slot was reset,
 *    each producer's records come out in its order, bytes unchanged.
 *
 * Build: tests/fuzz/build.mk; run: tests/shell/fanin_fuzz.sh (make check,
 * bounded). Seeds in tests/fuzz/corpus/fanin/.
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

#define PRODS		3	/* honest producers at most */
#define SLOTS		2	/* the region's slots: a third producer waits */
#define MODEL_MAX	256	/* records the model follows per producer */
#define TIMED_MAX	2	/* calls that may wait, per input */
#define TIMED_NS	100000	/* how long each may wait: 100 us */

/* an honest producer and the records it sent that are still in flight */
struct prod {
	struct mmio_shm_ring *ring;	/* NULL: not joined, or left */
	bool present;			/* its slot is its own, until the */
					/* consumer reports the slot's end */
	unsigned int slot;
	uint32_t id;			/* its records' first byte */
	uint64_t next_seq;
	uint64_t model[MODEL_MAX];	/* lengths, oldest first */
	uint32_t model_seq[MODEL_MAX];
	size_t model_head, model_count;
};

struct world {
	unsigned char *base;		/* the mapping: canary, region, guard */
	size_t map_len;
	unsigned char *mem;		/* the fan-in's region */
	size_t len;
	struct mmio_shm_fanin *fan;
	struct prod prod[PRODS];
	uint32_t ids;			/* producers so far */
	bool tampered;			/* the adversary wrote, or a slot was */
					/* reset under a producer: no model */
	int timed;
};

/* a record's bytes: the producer's id, then a pattern of its number */
static unsigned char pattern(uint32_t id, uint64_t seq, size_t i)
{
	return i == 0 ? (unsigned char)id : (unsigned char)(seq * 131 + i * 7 + 1);
}

static bool world_map(struct world *w, size_t data)
{
	w->len = MMIO_SHM_FANIN_OVERHEAD + SLOTS *
		 (MMIO_SHM_FANIN_SLOT_OVERHEAD + MMIO_SHM_RING_OVERHEAD + data);
	/* the region ends at the guard page; its start stays 128-aligned */
	w->mem = guarded_map(w->len, &w->base, &w->map_len);
	return w->mem != NULL;
}

static int64_t timeout_of(struct world *w, struct input *in)
{
	if (take(in, 1) % 8 || w->timed >= TIMED_MAX)
		return 0;
	w->timed++;
	return TIMED_NS;
}

static void op_join(struct world *w, struct input *in)
{
	struct prod *p = &w->prod[take(in, 1) % PRODS];
	unsigned int slot = ~0u;
	int ret;

	if (p->present)
		return;
	/* a producer whose slot was reset under it joins anew */
	mmio_shm_ring_detach(p->ring);
	p->ring = NULL;
	ret = mmio_shm_fanin_join(w->mem, w->len, NULL, 0, &p->ring, &slot);
	RET_IS(ret, 0, -EBUSY, -EPROTO);
	PROMISE(ret != -EPROTO || w->tampered);
	if (ret) {
		p->ring = NULL;
		return;
	}
	PROMISE(slot < SLOTS);
	p->present = true;
	p->slot = slot;
	p->id = ++w->ids;
	p->next_seq = 0;
	p->model_head = p->model_count = 0;
}

static void op_send(struct world *w, struct input *in)
{
	struct prod *p = &w->prod[take(in, 1) % PRODS];
	size_t len = (size_t)(take(in, 2) % 600), i;
	unsigned char *buf;
	int ret;

	if (!p->ring)
		return;
	buf = malloc(len ? len : 1);
	if (!buf)
		return;
	for (i = 0; i < len; i++)
		buf[i] = pattern(p->id, p->next_seq, i);
	ret = mmio_shm_ring_send(p->ring, buf, len, timeout_of(w, in));
	RET_IS(ret, 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EMSGSIZE, -EPROTO);
	if (!ret) {
		if (p->model_count == MODEL_MAX) {
			w->tampered = true;
		} else {
			i = (p->model_head + p->model_count++) % MODEL_MAX;
			p->model[i] = len;
			p->model_seq[i] = (uint32_t)p->next_seq;
		}
		p->next_seq++;
	}
	free(buf);
}

/* the honest producer holding @slot (gone or not), or NULL */
static struct prod *prod_of(struct world *w, unsigned int slot)
{
	int i;

	for (i = 0; i < PRODS; i++)
		if (w->prod[i].present && w->prod[i].slot == slot)
			return &w->prod[i];
	return NULL;
}

static void op_recv(struct world *w, struct input *in)
{
	size_t size = (size_t)(take(in, 2) % 600), len = 0, i;
	unsigned char *buf = malloc(size ? size : 1);
	unsigned int slot = ~0u;
	struct prod *p;
	int ret;

	if (!buf)
		return;
	ret = mmio_shm_fanin_recv(w->fan, size ? buf : NULL, size,
				  timeout_of(w, in), &len, &slot);
	RET_IS(ret, 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EMSGSIZE, -EPIPE, -EPROTO);
	/* -EINTR: libFuzzer's SIGALRM (-timeout) ended a sleep */
	if (ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EINTR)
		goto out;
	PROMISE(slot < SLOTS);
	p = prod_of(w, slot);
	if (ret == -EPIPE || ret == -EPROTO) {
		/* the slot was laid out anew: a live handle on it is stale */
		PROMISE(ret != -EPROTO || w->tampered);
		if (p && p->ring)
			w->tampered = true;
		/* after every record it sent, if nobody tampered */
		PROMISE(!p || w->tampered || !p->model_count);
		if (p)
			p->present = false;
		goto out;
	}
	if (ret == -EMSGSIZE) {
		PROMISE(len > size);
		goto out;
	}
	PROMISE(len <= size);
	if (w->tampered)
		goto out;
	PROMISE(p && p->model_count);
	PROMISE(p->model[p->model_head] == len);
	for (i = 0; i < len; i++)
		PROMISE(buf[i] == pattern(p->id, p->model_seq[p->model_head], i));
	p->model_head = (p->model_head + 1) % MODEL_MAX;
	p->model_count--;
out:
	free(buf);
}

/* a producer goes (its handle freed); the consumer is told, or not */
static void op_leave(struct world *w, struct input *in)
{
	struct prod *p = &w->prod[take(in, 1) % PRODS];
	int ret;

	if (!p->ring)
		return;
	mmio_shm_ring_detach(p->ring);
	p->ring = NULL;
	if (take(in, 1) % 4) {
		ret = mmio_shm_fanin_drop(w->fan, p->slot);
		RET_IS(ret, 0, -ENOENT);
	}
}

static void op_drop(struct world *w, struct input *in)
{
	unsigned int slot = (unsigned int)(take(in, 1) % (SLOTS + 1));
	int ret = mmio_shm_fanin_drop(w->fan, slot);

	RET_IS(ret, 0, -ENOENT, -EINVAL);
	PROMISE(ret != -EINVAL || slot >= SLOTS);
	/* a live producer's slot dropped under it: it will be reset */
	if (!ret && prod_of(w, slot) && prod_of(w, slot)->ring)
		w->tampered = true;
}

static uint64_t value_of(struct input *in)
{
	uint64_t v = take(in, 8);

	switch (take(in, 1) % 6) {
	case 0:
		return v;
	case 1:
		return v % 16;
	case 2:
		return UINT64_MAX - (v % 16);
	case 3:
		return (v % 4096) & ~(uint64_t)7;
	case 4:
		return 1ull << (v % 64);
	default:
		return v % 4;
	}
}

/* the fields of the layout worth aiming at, from a slot's start */
static const uint16_t slot_targets[] = {
	0, 4,						/* owner */
	128, 132, 136, 144, 152, 160, 168, 176, 180,	/* the ring's header */
	256, 320, 328, 336, 340, 344, 352, 356, 360,	/* the tail block */
	384, 448, 456, 464, 468, 472, 480, 484, 488,	/* the head block */
	512, 516,					/* the first record */
};

static void op_poke(struct world *w, struct input *in)
{
	struct mmio_shm_fanin_hdr h;
	size_t off;
	uint64_t v;

	memcpy(&h, w->mem, sizeof(h));
	switch (take(in, 1) % 3) {
	case 0:		/* the header and the wake word */
		off = (size_t)(take(in, 1) % 64) * 4;
		break;
	case 1:		/* a field of a slot, as the header says now */
		off = MMIO_SHM_FANIN_OVERHEAD +
		      (size_t)(take(in, 1) % SLOTS) *
		      (w->len - MMIO_SHM_FANIN_OVERHEAD) / SLOTS +
		      slot_targets[take(in, 1) % (sizeof(slot_targets) /
						  sizeof(slot_targets[0]))];
		break;
	default:	/* anywhere */
		off = (size_t)(take(in, 4) % (w->len / 4)) * 4;
		break;
	}
	if (off + 8 > w->len)
		off = w->len - 8;
	v = value_of(in);
	if (off % 8 || take(in, 1) % 2)
		__atomic_store_n((uint32_t *)(void *)(w->mem + off),
				 (uint32_t)v, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint64_t *)(void *)(w->mem + off), v,
				 __ATOMIC_RELAXED);
	w->tampered = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .left = size };
	struct world *w = calloc(1, sizeof(*w));
	int steps, i;

	if (!w)
		return 0;
	/* each slot's data area: 128 bytes to 2 KiB */
	if (!world_map(w, (size_t)128 << (take(&in, 1) % 5)))
		goto out_free;
	/* 128-aligned, as mmio_shm_fanin_init() needs */
	PROMISE((uintptr_t)w->mem % MMIO_SHM_RING_ALIGN == 0);
	PROMISE(!mmio_shm_fanin_init(w->mem, w->len, SLOTS, 0, &w->fan));
	for (steps = 0; in.left && steps < 512; steps++) {
		switch (take(&in, 1) % 10) {
		case 0:
			op_join(w, &in);
			break;
		case 1:
		case 2:
			op_send(w, &in);
			break;
		case 3:
		case 4:
			op_recv(w, &in);
			break;
		case 5:
			op_leave(w, &in);
			break;
		case 6:
			op_drop(w, &in);
			break;
		case 7:
		case 8:
			op_poke(w, &in);
			break;
		default:
			/* an honest round: everyone sends, the consumer takes */
			for (i = 0; i < PRODS; i++)
				if (w->prod[i].ring)
					op_send(w, &in);
			op_recv(w, &in);
			break;
		}
		guarded_check(w->base, w->mem);
	}
	for (i = 0; i < PRODS; i++)
		mmio_shm_ring_detach(w->prod[i].ring);
	mmio_shm_fanin_detach(w->fan);
	munmap(w->base, w->map_len);
out_free:
	free(w);
	return 0;
}
