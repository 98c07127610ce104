/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vivid, the kernel's virtual video test driver, as an importer of the
 * buffer's dma-bufs: its capture node found (loaded first when it is not
 * there), its frames made reproducible, a format set, buffers queued and
 * dequeued. Used by selftests/vivid_test.c and bench/vivid_bench.c.
 *
 * vivid's default allocator (vb2-vmalloc) imports a V4L2_MEMORY_DMABUF
 * buffer with dma_buf_vmap() and its kernel thread writes each frame
 * straight into the exporter's pages. It starts streaming only once two
 * buffers are queued.
 */
#ifndef MMIO_SHM_TEST_VIVID_H
#define MMIO_SHM_TEST_VIVID_H

#include <poll.h>
#include <linux/videodev2.h>

#include "helpers.h"

/* frames of the capture format: small, so TCG captures a few a second */
#define VIVID_WIDTH	320
#define VIVID_HEIGHT	240

/*
 * An O_RDWR capture node whose driver is vivid, or -1. Found by
 * VIDIOC_QUERYCAP among /dev/video*, never by number: a kernel with vivid
 * built in (the debug kernel) or other drivers loaded numbers them
 * otherwise, and vivid's other nodes (output, VBI, radio...) are not
 * video capture.
 */
static inline int vivid_find(void)
{
	char path[32];
	int i, fd;

	for (i = 0; i < 64; i++) {
		struct v4l2_capability cap;
		uint32_t caps;

		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((const char *)cap.driver, "vivid")) {
			caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ?
			       cap.device_caps : cap.capabilities;
			if ((caps & V4L2_CAP_VIDEO_CAPTURE) &&
			    (caps & V4L2_CAP_STREAMING))
				return fd;
		}
		close(fd);
	}
	return -1;
}

/*
 * vivid's capture node, loading vivid first (only its video capture
 * node: node_types=1) when no node is there; -1 with @why set otherwise.
 */
static inline int vivid_open(const char **why)
{
	int fd = vivid_find();

	if (fd >= 0)
		return fd;
	guest_modprobe("vivid node_types=1");
	fd = vivid_find();
	if (fd < 0)
		*why = "no vivid capture node among /dev/video*: modprobe vivid failed (not under /lib/modules nor MMIO_SHM_MODROOT, nor built in)";
	return fd;
}

/* the id of the control named @name, or 0 */
static inline uint32_t vivid_ctrl_id(int fd, const char *name)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	while (!ioctl(fd, VIDIOC_QUERYCTRL, &q)) {
		if (!strcmp((const char *)q.name, name))
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

/* sets menu control @ctrl to its item named @item: 0 or -errno */
static inline int vivid_set_menu(int fd, const char *ctrl, const char *item)
{
	struct v4l2_queryctrl q = { .id = vivid_ctrl_id(fd, ctrl) };
	struct v4l2_querymenu m;
	struct v4l2_control c;

	if (!q.id || ioctl(fd, VIDIOC_QUERYCTRL, &q) ||
	    q.type != V4L2_CTRL_TYPE_MENU)
		return -ENOENT;
	for (m.index = q.minimum; m.index <= (uint32_t)q.maximum; m.index++) {
		m.id = q.id;
		if (ioctl(fd, VIDIOC_QUERYMENU, &m) ||
		    strcmp((const char *)m.name, item))
			continue;
		c.id = q.id;
		c.value = m.index;
		return ioctl(fd, VIDIOC_S_CTRL, &c) ? -errno : 0;
	}
	return -ENOENT;
}

/*
 * Makes every frame the same, so a frame captured one way equals one
 * captured another: vivid's own controls (drivers/media/test-drivers/
 * vivid/vivid-ctrls.c, the same names on 5.10 to 7.2) are
 *   "OSD Text Mode" = "None": by default it prints a clock, the frame
 *     count and the controls' values over the picture;
 *   "Horizontal Movement" and "Vertical Movement" = "No Movement": the
 *     pattern can scroll a step each frame;
 *   "Test Pattern" = "75% Colorbar": a fixed picture, set in case an
 *     earlier user of the node chose a moving one (the noise pattern).
 * Input 0 is the webcam, progressive: no field alternates between frames.
 * Returns 0, or the -errno of the first control that could not be set,
 * with @what set to its name.
 */
static inline int vivid_still(int fd, const char **what)
{
	static const char * const ctrls[][2] = {
		{ "OSD Text Mode", "None" },
		{ "Horizontal Movement", "No Movement" },
		{ "Vertical Movement", "No Movement" },
		{ "Test Pattern", "75% Colorbar" },
	};
	int input = 0, ret;
	size_t i;

	if (ioctl(fd, VIDIOC_S_INPUT, &input)) {
		*what = "input 0 (webcam)";
		return -errno;
	}
	for (i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		ret = vivid_set_menu(fd, ctrls[i][0], ctrls[i][1]);
		if (ret) {
			*what = ctrls[i][0];
			return ret;
		}
	}
	return 0;
}

/* sets YUYV at the size vivid has nearest @w x @h; fills @f; 0 or -errno */
static inline int vivid_format_size(int fd, struct v4l2_format *f,
				    uint32_t w, uint32_t h)
{
	memset(f, 0, sizeof(*f));
	f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f->fmt.pix.width = w;
	f->fmt.pix.height = h;
	f->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f->fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(fd, VIDIOC_S_FMT, f))
		return -errno;
	if (f->fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV || !f->fmt.pix.sizeimage)
		return -EPROTO;
	return 0;
}

/* YUYV at VIVID_WIDTH x VIVID_HEIGHT (the webcam input has that size) */
static inline int vivid_format(int fd, struct v4l2_format *f)
{
	return vivid_format_size(fd, f, VIVID_WIDTH, VIVID_HEIGHT);
}

/* VIDIOC_REQBUFS: the count granted, or -errno */
static inline int vivid_reqbufs(int fd, uint32_t memory, uint32_t count)
{
	struct v4l2_requestbuffers r = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};

	return ioctl(fd, VIDIOC_REQBUFS, &r) ? -errno : (int)r.count;
}

/* queues buffer @index: into dma-buf @dmabuf of @length bytes, or mmap */
static inline int vivid_qbuf(int fd, uint32_t memory, uint32_t index,
			     int dmabuf, uint32_t length)
{
	struct v4l2_buffer b = {
		.index = index,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};

	if (memory == V4L2_MEMORY_DMABUF) {
		b.m.fd = dmabuf;
		b.length = length;
	}
	return ioctl(fd, VIDIOC_QBUF, &b) ? -errno : 0;
}

static inline int vivid_stream(int fd, bool on)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	return ioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type) ?
	       -errno : 0;
}

/*
 * The next filled buffer into @b, waiting up to @timeout_ms (TCG: vivid's
 * thread may be slow): 0, -ETIMEDOUT, or -errno; a buffer flagged
 * V4L2_BUF_FLAG_ERROR is -EIO.
 */
static inline int vivid_dqbuf(int fd, uint32_t memory, struct v4l2_buffer *b,
			      int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = memory;
	if (ioctl(fd, VIDIOC_DQBUF, b))
		return -errno;
	return (b->flags & V4L2_BUF_FLAG_ERROR) ? -EIO : 0;
}

#endif /* MMIO_SHM_TEST_VIVID_H */
