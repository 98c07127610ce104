// SPDX-License-Identifier: MIT
/*
 * read-frame - read the newest frame capture-frames left in the buffer,
 * through this process's own mapping.
 *
 *   read-frame [-d PATH] [FILE]
 *
 * Prints "frame N: WxH FOURCC, BYTES bytes at offset OFFSET" and writes
 * the frame's bytes to FILE if one is named. The header is another
 * process's: it is copied, then checked against the mapping's size before
 * any of it is used; a frame replaced while it was being copied is read
 * again.
 */
#include <stdint.h>

#include "example.h"
#include "frames.h"

#define TRIES 100

int main(int argc, char **argv)
{
	struct example ex = { .name = "read-frame" };
	const struct frames_header *shared;
	struct frames_header h;
	uint64_t frames, off = 0;
	uint8_t *frame = NULL;
	int first, tries;
	FILE *out;

	first = example_open(&ex, argc, argv, EXAMPLE_RO);
	if (argc - first > 1)
		example_usage(&ex, "[FILE]");
	if (ex.size < sizeof(h))
		example_die(&ex, "buffer", -ENOSPC);
	shared = ex.buf;

	for (tries = 0; tries < TRIES; tries++) {
		frames = __atomic_load_n(&shared->frames, __ATOMIC_ACQUIRE);
		memcpy(&h, shared, sizeof(h));
		h.frames = frames;
		if (!frames || frames_check(&h, ex.size))
			example_die(&ex, "header", -EBADMSG);
		frame = realloc(frame, h.bytesused ? h.bytesused : 1);
		if (!frame)
			example_die(&ex, "frame", -ENOMEM);
		off = h.slot0 + (uint64_t)h.latest * h.slot_size;
		memcpy(frame, (const uint8_t *)ex.buf + off, h.bytesused);
		/* the copy is whole when no newer frame was published meanwhile */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&shared->frames, __ATOMIC_RELAXED) == frames)
			break;
	}
	if (tries == TRIES)
		example_die(&ex, "frame", -EAGAIN);

	printf("frame %llu: %ux%u %.4s, %u bytes at offset %llu\n",
	       (unsigned long long)frames, h.width, h.height,
	       (const char *)&h.fourcc, h.bytesused, (unsigned long long)off);
	if (argc - first == 1) {
		out = fopen(argv[first], "wb");
		if (!out || fwrite(frame, 1, h.bytesused, out) != h.bytesused ||
		    fclose(out))
			example_die(&ex, argv[first], -errno);
	}
	free(frame);
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
