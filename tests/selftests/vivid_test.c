// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a real importer writing into the buffer through
 * MMIO_SHM_IOC_EXPORT: vivid, the kernel's virtual video driver, captures
 * frames with V4L2_MEMORY_DMABUF into ranges of the buffer exported by
 * mmio_shm_export_dmabuf(); each frame equals one captured in MMAP mode
 * with the same controls, and another process sees it in its own mapping
 * of the device. An export smaller than the format is refused at
 * VIDIOC_QBUF.
 *
 * The export's own rules (bad ranges, flags, lifetime, vgem) are
 * dmabuf_test.c's. vivid comes from `modprobe vivid`, or from
 * MMIO_SHM_MODROOT (tests/provision/kernels.sh copies it and its modules
 * for 5.10, 6.12 and 7.2), or is built in (the debug kernel): without it
 * the cases skip with the reason.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "libmmio_shm.h"
#include "vivid.h"

#define DEV_MIN_PAGES 64
#define DEV_FIELDS \
	int cam;		/* vivid's capture node */ \
	struct v4l2_format fmt;	/* the format set on it */ \
	size_t frame;		/* bytes of one frame (sizeimage) */ \
	size_t slot;		/* frame rounded up to whole pages */ \
	struct mmio_shm *shm;	/* the library's handle of the device */
#define DEV_HOOKS
#include "fixture.h"

/*
 * seconds for a case that may load vivid: from MMIO_SHM_MODROOT, through
 * 9p, with its nine modules
 */
#define VIVID_TIMEOUT 180
/* frames captured into the exports; buffers queued at once */
#define FRAMES 8
#define BUFS 3
/* how long one frame may take under TCG */
#define FRAME_MS 10000

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	const char *why = NULL;
	int ret;

	self->cam = vivid_open(&why);
	if (self->cam < 0)
		SETUP_SKIP("%s", why);
	ret = vivid_still(self->cam, &why);
	ASSERT_EQ(0, ret) {
		TH_LOG("vivid: cannot set %s: %s", why, strerror(-ret));
	}
	ASSERT_EQ(0, vivid_format(self->cam, &self->fmt));
	self->frame = self->fmt.fmt.pix.sizeimage;
	self->slot = (self->frame + self->ps - 1) / self->ps * self->ps;
	ASSERT_LE(BUFS * self->slot, self->size);
	ASSERT_EQ(0, mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDWR, &self->shm));
}

static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	mmio_shm_close(self->shm);
	close(self->cam);
}

/* one frame captured in MMAP mode (vivid's own buffers), in @out */
static int capture_mmap(int cam, size_t frame, uint8_t *out)
{
	struct v4l2_buffer b;
	void *map[2] = { MAP_FAILED, MAP_FAILED };
	size_t len[2] = { 0, 0 };
	int i, ret = vivid_reqbufs(cam, V4L2_MEMORY_MMAP, 2);

	if (ret < 2)
		return ret < 0 ? ret : -ENOBUFS;
	for (i = 0; i < 2; i++) {
		memset(&b, 0, sizeof(b));
		b.index = i;
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		ret = -EPROTO;
		if (ioctl(cam, VIDIOC_QUERYBUF, &b) || b.length < frame)
			goto out;
		len[i] = b.length;
		map[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, cam,
			      b.m.offset);
		if (map[i] == MAP_FAILED)
			goto out;
		ret = vivid_qbuf(cam, V4L2_MEMORY_MMAP, i, -1, 0);
		if (ret)
			goto out;
	}
	ret = vivid_stream(cam, true);
	if (ret)
		goto out;
	ret = vivid_dqbuf(cam, V4L2_MEMORY_MMAP, &b, FRAME_MS);
	if (!ret && b.bytesused != frame)
		ret = -EPROTO;
	if (!ret)
		memcpy(out, map[b.index], frame);
	vivid_stream(cam, false);
out:
	for (i = 0; i < 2; i++)
		if (map[i] != MAP_FAILED)
			munmap(map[i], len[i]);
	vivid_reqbufs(cam, V4L2_MEMORY_MMAP, 0);
	return ret;
}

/*
 * The other process: its own open and mapping of the device. For each
 * offset read from @in it answers on @out 'y' when the frame there equals
 * @ref, 'n' otherwise; it ends at end of file.
 */
static void viewer(int in, int out, const uint8_t *ref, size_t frame)
{
	int fd = open(shm_dev_path(), O_RDONLY);
	size_t size = fd < 0 ? 0 : shm_size(fd);
	uint8_t *p = size ? mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) :
		     MAP_FAILED;
	uint64_t off;

	if (p == MAP_FAILED)
		_exit(1);
	while (read(in, &off, sizeof(off)) == sizeof(off)) {
		char ok = off <= size - frame && !memcmp(p + off, ref, frame) ?
			  'y' : 'n';

		if (write(out, &ok, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/*
 * vivid writes FRAMES frames into BUFS exported ranges, each refilled
 * with POISON before it is queued again; each frame equals the MMAP
 * capture, in this process's dma-buf view and in another's mapping of
 * the device.
 */
TEST_F_TIMEOUT(dev, capture_into_exports_equals_mmap_capture, VIVID_TIMEOUT)
{
	uint8_t *ref = malloc(self->frame), *view;
	int to[2], from[2], buf[BUFS], i, ret;
	struct v4l2_buffer b;
	pid_t pid;

	ASSERT_NE(NULL, ref);
	ret = capture_mmap(self->cam, self->frame, ref);
	ASSERT_EQ(0, ret) {
		TH_LOG("MMAP capture: %s", strerror(-ret));
	}
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(to[1]);
		close(from[0]);
		viewer(to[0], from[1], ref, self->frame);
	}
	close(to[0]);
	close(from[1]);

	/* the buffer: poison where the frames go */
	view = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, view);
	memset(view, POISON, BUFS * self->slot);
	ASSERT_EQ(BUFS, vivid_reqbufs(self->cam, V4L2_MEMORY_DMABUF, BUFS));
	for (i = 0; i < BUFS; i++) {
		buf[i] = mmio_shm_export_dmabuf(self->shm, i * self->slot,
						self->slot,
						MMIO_SHM_EXPORT_DMABUF_CLOEXEC);
		ASSERT_LE(0, buf[i]) {
			TH_LOG("export %d: %s", i, strerror(-buf[i]));
		}
		ASSERT_EQ(0, vivid_qbuf(self->cam, V4L2_MEMORY_DMABUF, i,
					buf[i], self->slot));
	}
	ASSERT_EQ(0, vivid_stream(self->cam, true));

	for (i = 0; i < FRAMES; i++) {
		uint64_t off;
		char ok = 0;

		ret = vivid_dqbuf(self->cam, V4L2_MEMORY_DMABUF, &b, FRAME_MS);
		ASSERT_EQ(0, ret) {
			TH_LOG("frame %d: DQBUF: %s", i, strerror(-ret));
		}
		ASSERT_GT(BUFS, b.index);
		EXPECT_EQ(self->frame, b.bytesused);
		off = b.index * self->slot;
		EXPECT_EQ(0, memcmp(view + off, ref, self->frame)) {
			TH_LOG("frame %d (buffer %u) differs from the MMAP capture",
			       i, b.index);
		}
		ASSERT_EQ(sizeof(off), write(to[1], &off, sizeof(off)));
		ASSERT_EQ(1, read(from[0], &ok, 1));
		EXPECT_EQ('y', ok) {
			TH_LOG("frame %d (buffer %u): the other process's mapping differs",
			       i, b.index);
		}
		/* vivid must write the next frame of this range anew */
		memset(view + off, POISON, self->slot);
		ASSERT_EQ(0, vivid_qbuf(self->cam, V4L2_MEMORY_DMABUF, b.index,
					buf[b.index], self->slot));
	}
	EXPECT_EQ(0, vivid_stream(self->cam, false));
	EXPECT_EQ(0, vivid_reqbufs(self->cam, V4L2_MEMORY_DMABUF, 0));
	close(to[1]);
	EXPECT_EQ(0, wait_child(pid));
	close(from[0]);
	for (i = 0; i < BUFS; i++)
		close(buf[i]);
	munmap(view, self->size);
	/* vivid let go of every export: the buffer resizes again */
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
	free(ref);
}

/*
 * An export one page short of the frame: refused at VIDIOC_QBUF (EINVAL:
 * below the format's size), whether the length is left to the dma-buf
 * (0: vb2 takes its size) or given as the export's; and once vb2 and the
 * fd let go, the export is gone (the buffer resizes).
 *
 * Not tried: a length past the dma-buf's end (the frame's). vb2-vmalloc
 * refuses that one too (EFAULT), but on 6.12 and 7.2 vb2 then keeps a
 * reference to the dma-buf after REQBUFS 0 and after the video node is
 * closed (measured: RESIZE stays EBUSY), which would hold the module for
 * the rest of the guest's life; 5.10 and 6.1 let it go.
 */
TEST_F_TIMEOUT(dev, capture_refuses_an_export_smaller_than_the_format,
	       VIVID_TIMEOUT)
{
	size_t small = self->slot - self->ps;
	int buf;

	ASSERT_LT(0, small);
	buf = mmio_shm_export_dmabuf(self->shm, 0, small,
				     MMIO_SHM_EXPORT_DMABUF_CLOEXEC);
	ASSERT_LE(0, buf);
	ASSERT_EQ(2, vivid_reqbufs(self->cam, V4L2_MEMORY_DMABUF, 2));
	EXPECT_EQ(-EINVAL, vivid_qbuf(self->cam, V4L2_MEMORY_DMABUF, 0, buf, 0));
	EXPECT_EQ(-EINVAL, vivid_qbuf(self->cam, V4L2_MEMORY_DMABUF, 0, buf,
				      small));
	EXPECT_EQ(0, vivid_reqbufs(self->cam, V4L2_MEMORY_DMABUF, 0));
	close(buf);
	/* vivid holds nothing of it */
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
}

/*
 * A read-only export is never mapped into the kernel: vivid's queue (vb2
 * over vmalloc, which writes frames through a kernel mapping of the
 * dma-buf) cannot take it. QBUF fails, the export is let go, and the
 * kernel log stays clean (run-suite.sh scans it): the refusal must not be
 * a WARNING, which any reader of the device could raise.
 */
TEST_F_TIMEOUT(dev, capture_refuses_a_read_only_export, VIVID_TIMEOUT)
{
	int buf, ret;

	buf = mmio_shm_export_dmabuf(self->shm, 0, self->slot,
				     MMIO_SHM_EXPORT_DMABUF_CLOEXEC |
				     MMIO_SHM_EXPORT_DMABUF_READ_ONLY);
	ASSERT_LE(0, buf);
	ASSERT_EQ(2, vivid_reqbufs(self->cam, V4L2_MEMORY_DMABUF, 2));
	ret = vivid_qbuf(self->cam, V4L2_MEMORY_DMABUF, 0, buf, 0);
	EXPECT_GT(0, ret) {
		TH_LOG("QBUF of a read-only export succeeded");
	}
	EXPECT_EQ(0, vivid_reqbufs(self->cam, V4L2_MEMORY_DMABUF, 0));
	close(buf);
	/* vivid holds nothing of it */
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
}

TEST_HARNESS_MAIN
