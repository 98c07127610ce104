// SPDX-License-Identifier: MIT
/*
 * capture-frames - a V4L2 camera writes its frames straight into the
 * buffer, with no copy: each slot of the buffer is exported as a dma-buf
 * (mmio_shm_export_dmabuf()) and queued with V4L2_MEMORY_DMABUF.
 *
 *   capture-frames [-d PATH] VIDEO [COUNT]
 *
 * VIDEO is a capture node (/dev/videoN); it gets YUYV at 320x240, or the
 * size nearest to it the driver offers. COUNT frames (default 10) are
 * captured into 3 slots after a header in the buffer's first page
 * (frames.h); the newest stays in the buffer when the program ends.
 * read-frame, in another process, reads it through its own mapping.
 * The kernel's virtual video driver, vivid, is a camera to try it with.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "example.h"
#include "frames.h"

#define SLOTS 3

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int queue(int cam, uint32_t index, int dmabuf, uint32_t length)
{
	struct v4l2_buffer b = {
		.index = index,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
		.m.fd = dmabuf,
		.length = length,
	};

	return xioctl(cam, VIDIOC_QBUF, &b);
}

int main(int argc, char **argv)
{
	struct example ex = { .name = "capture-frames" };
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers r = {
		.count = SLOTS,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct frames_header *h;
	int first, cam, ret, buf[SLOTS];
	unsigned long count, n;
	/*
	 * the slot of the newest frame: kept here, never read back from the
	 * shared header, which other processes can write
	 */
	uint32_t latest = 0;
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t slot;
	uint32_t i;

	first = example_open(&ex, argc, argv, EXAMPLE_RW);
	if (argc - first < 1 || argc - first > 2)
		example_usage(&ex, "VIDEO [COUNT]");
	count = argc - first == 2 ? strtoul(argv[first + 1], NULL, 0) : 10;
	if (!count)
		example_usage(&ex, "VIDEO [COUNT]");
	cam = open(argv[first], O_RDWR | O_CLOEXEC);
	if (cam < 0)
		example_die(&ex, argv[first], -errno);

	f.fmt.pix.width = 320;
	f.fmt.pix.height = 240;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	ret = xioctl(cam, VIDIOC_S_FMT, &f);
	if (ret)
		example_die(&ex, "set format", ret);

	/* the header in the first page, then page-aligned slots */
	slot = (f.fmt.pix.sizeimage + ps - 1) / ps * ps;
	if (!slot || ps + SLOTS * slot > ex.size)
		example_die(&ex, "buffer", -ENOSPC);
	h = ex.buf;
	memset(h, 0, sizeof(*h));
	h->magic = FRAMES_MAGIC;
	h->width = f.fmt.pix.width;
	h->height = f.fmt.pix.height;
	h->fourcc = f.fmt.pix.pixelformat;
	h->sizeimage = f.fmt.pix.sizeimage;
	h->slots = SLOTS;
	h->slot0 = ps;
	h->slot_size = slot;

	ret = xioctl(cam, VIDIOC_REQBUFS, &r);
	if (!ret && r.count != SLOTS)
		ret = -ENOBUFS;
	if (ret)
		example_die(&ex, "request buffers", ret);
	for (i = 0; i < SLOTS; i++) {
		/* the driver writes into the buffer's pages through this fd */
		buf[i] = mmio_shm_export_dmabuf(ex.shm, ps + i * slot, slot,
						MMIO_SHM_EXPORT_DMABUF_CLOEXEC);
		if (buf[i] < 0)
			example_die(&ex, "export", buf[i]);
		ret = queue(cam, i, buf[i], slot);
		if (ret)
			example_die(&ex, "queue", ret);
	}
	ret = xioctl(cam, VIDIOC_STREAMON, &type);
	if (ret)
		example_die(&ex, "stream on", ret);

	for (n = 1; n <= count; n++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_DMABUF,
		};
		uint32_t prev = latest;

		ret = xioctl(cam, VIDIOC_DQBUF, &b);
		if (!ret && (b.flags & V4L2_BUF_FLAG_ERROR))
			ret = -EIO;
		if (ret)
			example_die(&ex, "dequeue", ret);
		if (b.index >= SLOTS)
			example_die(&ex, "dequeue", -EPROTO);
		latest = b.index;
		h->latest = b.index;
		h->bytesused = b.bytesused;
		/* readers see the slot and its length before the new count */
		__atomic_store_n(&h->frames, n, __ATOMIC_RELEASE);
		/* the slot the newest frame replaced goes back to the driver */
		if (n > 1) {
			ret = queue(cam, prev, buf[prev], slot);
			if (ret)
				example_die(&ex, "queue", ret);
		}
	}
	xioctl(cam, VIDIOC_STREAMOFF, &type);
	for (i = 0; i < SLOTS; i++)
		close(buf[i]);
	close(cam);
	printf("capture-frames: %lu frames of %ux%u %.4s, %u bytes each, in %u slots from offset %llu\n",
	       count, f.fmt.pix.width, f.fmt.pix.height,
	       (const char *)&f.fmt.pix.pixelformat, f.fmt.pix.sizeimage,
	       SLOTS, (unsigned long long)ps);
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
