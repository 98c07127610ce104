/* SPDX-License-Identifier: MIT */
/*
 * The layout capture-frames leaves in the buffer and read-frame reads:
 * this header in the first page, then SLOTS slots of SLOT_SIZE bytes,
 * each a range exported as a dma-buf into which the video driver writes a
 * frame. The newest frame is in slot LATEST; FRAMES counts the frames
 * published so far and changes, with release order, after the other
 * fields. The slot of the newest frame stays out of the driver's queue
 * until a newer frame replaces it, so a reader that sees FRAMES unchanged
 * around its copy read a whole frame.
 *
 * Everything here is written by another process: a reader checks every
 * field against its own mapping before using it (frames_check()).
 */
#ifndef MMIO_SHM_EXAMPLE_FRAMES_H
#define MMIO_SHM_EXAMPLE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAMES_MAGIC 0x314d5246u	/* "FRM1" */

struct frames_header {
	uint32_t magic;		/* FRAMES_MAGIC */
	uint32_t width;		/* pixels */
	uint32_t height;	/* lines */
	uint32_t fourcc;	/* V4L2 pixel format */
	uint32_t sizeimage;	/* bytes of one frame */
	uint32_t slots;		/* how many slots */
	uint64_t slot0;		/* offset of slot 0 in the buffer */
	uint64_t slot_size;	/* bytes from one slot to the next */
	uint32_t latest;	/* the slot of the newest frame */
	uint32_t bytesused;	/* bytes the driver wrote into it */
	uint64_t frames;	/* frames published; 0: none yet */
};

/* 0 when @h describes slots that lie within a buffer of @size bytes */
static inline int frames_check(const struct frames_header *h, size_t size)
{
	uint64_t end;

	if (h->magic != FRAMES_MAGIC || !h->slots || h->latest >= h->slots ||
	    h->sizeimage > h->slot_size || h->bytesused > h->sizeimage ||
	    h->slot0 < sizeof(*h))
		return -1;
	if (__builtin_mul_overflow(h->slot_size, (uint64_t)h->slots, &end) ||
	    __builtin_add_overflow(end, h->slot0, &end) || end > size)
		return -1;
	return 0;
}

#endif /* MMIO_SHM_EXAMPLE_FRAMES_H */
