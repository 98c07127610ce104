// SPDX-License-Identifier: GPL-2.0
/*
 * Description: MMIO_SHM_IOC_EXPORT, a range of the buffer handed to other
 * drivers as a dma-buf. Bad input gets EINVAL (misaligned or empty range,
 * one past the end, unknown flags, reserved set) or EACCES (a writable
 * export of a read-only fd, any export of a write-only one). The dma-buf
 * maps the same bytes as the device; DMA_BUF_IOCTL_SYNC works; a read-only
 * export maps only for reading and refuses devices that would write;
 * RESIZE is EBUSY while an export (or a mapping of one) lives; rmmod is
 * refused while one lives, also when only an importer holds it. vgem
 * imports it (DRM PRIME), its attachment shows in debugfs' bufinfo under
 * our exporter's name, and the dma-buf fd, the importer and the device
 * close in every order.
 *
 * The argument rules every command shares are ioctl_test.c's; mappings of
 * the device itself mmap_test.c's. The cases that unload the module need
 * MMIO_SHM_KO (run-suite.sh sets it) and load it back with the parameters
 * it had. vgem comes from `modprobe vgem`, or, in a guest whose kernel's
 * modules are not under /lib/modules, `modprobe -d $MMIO_SHM_MODROOT`
 * (default: $MMIO_SHM_BUILD/guest-modules, where tests/provision/kernels.sh
 * copies vgem and what it needs for 5.10, 6.12 and 7.2): without it the
 * vgem cases skip with the reason.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/mount.h>
#include <linux/dma-buf.h>

#include "libmmio_shm.h"

#define DEV_HOOKS
#include "fixture.h"

/* DRM's UAPI (include/uapi/drm/drm.h): the three calls used here */
struct drm_version_args {
	int version_major;
	int version_minor;
	int version_patchlevel;
	size_t name_len;
	char *name;
	size_t date_len;
	char *date;
	size_t desc_len;
	char *desc;
};

struct drm_prime_handle_args {
	uint32_t handle;
	uint32_t flags;
	int32_t fd;
};

struct drm_gem_close_args {
	uint32_t handle;
	uint32_t pad;
};

#define DRM_IOCTL_VERSION_NR		_IOWR('d', 0x00, struct drm_version_args)
#define DRM_IOCTL_GEM_CLOSE_NR		_IOW('d', 0x09, struct drm_gem_close_args)
#define DRM_IOCTL_PRIME_FD_TO_HANDLE_NR	_IOWR('d', 0x2e, struct drm_prime_handle_args)

#define BUFINFO "/sys/kernel/debug/dma_buf/bufinfo"

/*
 * seconds for a case that may load vgem: from MMIO_SHM_MODROOT, through
 * 9p, a 7.2 guest took more than the harness's default 30
 */
#define VGEM_TIMEOUT 120

/* MMIO_SHM_IOC_EXPORT: the dma-buf fd, or -errno */
static int shm_export(int fd, uint64_t offset, uint64_t length, uint32_t flags)
{
	struct mmio_shm_export_args e;

	memset(&e, POISON, sizeof(e));
	e.size = sizeof(e);
	e.flags = flags;
	e.offset = offset;
	e.length = length;
	e.reserved = 0;
	if (ioctl(fd, MMIO_SHM_IOC_EXPORT, &e))
		return -errno;
	if (e.size != sizeof(e))
		return -EPROTO;
	return e.fd;
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

/* why this kernel cannot export at all, or NULL */
static const char *export_unsupported(int fd)
{
	struct mmio_shm_export_args e = { .size = sizeof(e), .reserved = 1 };

	/* EINVAL for the reserved word where EXPORT exists */
	if (ioctl(fd, MMIO_SHM_IOC_EXPORT, &e) && errno == EOPNOTSUPP)
		return "EXPORT: EOPNOTSUPP, this kernel has no dma-buf (CONFIG_DMA_SHARED_BUFFER is off)";
	return NULL;
}

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	const char *why = export_unsupported(self->fd);

	if (why)
		SETUP_SKIP("%s", why);
}

static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
}

TEST_F(dev, export_refuses_a_misaligned_offset)
{
	EXPECT_EQ(-EINVAL, shm_export(self->fd, 1, self->ps, 0));
	EXPECT_EQ(-EINVAL, shm_export(self->fd, self->ps / 2, self->ps, 0));
}

TEST_F(dev, export_refuses_a_misaligned_length)
{
	EXPECT_EQ(-EINVAL, shm_export(self->fd, 0, self->ps + 1, 0));
	EXPECT_EQ(-EINVAL, shm_export(self->fd, 0, 1, 0));
}

TEST_F(dev, export_refuses_length_zero)
{
	EXPECT_EQ(-EINVAL, shm_export(self->fd, 0, 0, 0));
}

TEST_F(dev, export_refuses_a_range_past_the_end)
{
	/* starting at the end, reaching one page past it, wrapping around */
	EXPECT_EQ(-EINVAL, shm_export(self->fd, self->size, self->ps, 0));
	EXPECT_EQ(-EINVAL, shm_export(self->fd, 0, self->size + self->ps, 0));
	EXPECT_EQ(-EINVAL, shm_export(self->fd, self->ps, self->size, 0));
	EXPECT_EQ(-EINVAL, shm_export(self->fd, self->ps,
				      -(uint64_t)self->ps, 0));
}

TEST_F(dev, export_refuses_unknown_flags_and_reserved)
{
	struct mmio_shm_export_args e;
	uint32_t bit;

	for (bit = 4; bit; bit <<= 1)
		EXPECT_EQ(-EINVAL, shm_export(self->fd, 0, self->ps, bit)) {
			TH_LOG("flag %#x accepted", bit);
		}
	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.length = self->ps;
	e.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_EXPORT, &e));
	EXPECT_EQ(EINVAL, errno);
}

/* a read-only fd exports only read-only (EACCES), a write-only one nothing */
TEST_F(dev, export_of_a_read_only_fd_must_be_read_only)
{
	int ro = open(shm_dev_path(), O_RDONLY);
	int wo = open(shm_dev_path(), O_WRONLY);
	int buf;

	ASSERT_LE(0, ro);
	ASSERT_LE(0, wo);
	EXPECT_EQ(-EACCES, shm_export(ro, 0, self->ps, 0));
	EXPECT_EQ(-EACCES, shm_export(ro, 0, self->ps, MMIO_SHM_EXPORT_CLOEXEC));
	EXPECT_EQ(-EACCES, shm_export(wo, 0, self->ps, MMIO_SHM_EXPORT_READ_ONLY));
	EXPECT_EQ(-EACCES, shm_export(wo, 0, self->ps, 0));
	buf = shm_export(ro, 0, self->ps, MMIO_SHM_EXPORT_READ_ONLY);
	EXPECT_LE(0, buf);
	close(buf);
	close(wo);
	close(ro);
}

TEST_F(dev, export_sets_close_on_exec_when_asked)
{
	int a = shm_export(self->fd, 0, self->ps, 0);
	int b = shm_export(self->fd, 0, self->ps, MMIO_SHM_EXPORT_CLOEXEC);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(0, fcntl(a, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(FD_CLOEXEC, fcntl(b, F_GETFD) & FD_CLOEXEC);
	close(a);
	close(b);
}

/* the dma-buf's size is the range's; its offset 0 is the range's start */
TEST_F(dev, dmabuf_mapping_shares_bytes_with_the_device)
{
	size_t len = 2 * self->ps;
	char back[8] = "";
	uint8_t *p;
	int buf;

	ASSERT_LE(3, self->size / self->ps);
	buf = shm_export(self->fd, self->ps, len, MMIO_SHM_EXPORT_CLOEXEC);
	ASSERT_LE(0, buf);
	EXPECT_EQ((off_t)len, lseek(buf, 0, SEEK_END));

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* the device writes, the dma-buf's mapping sees it, and back */
	ASSERT_EQ(6, pwrite(self->fd, "hello", 6, self->ps + self->ps + 10));
	EXPECT_STREQ("hello", (char *)p + self->ps + 10);
	EXPECT_EQ(0, dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	memcpy(p, "world", 6);
	EXPECT_EQ(0, dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	ASSERT_EQ(6, pread(self->fd, back, 6, self->ps));
	EXPECT_STREQ("world", back);
	/* nothing before the range */
	ASSERT_EQ(6, pread(self->fd, back, 6, 0));
	EXPECT_EQ(0, back[0]);

	/* a mapping past the dma-buf's end is the dma-buf core's EINVAL */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, len, PROT_READ, MAP_SHARED, buf,
				   self->ps));
	EXPECT_EQ(EINVAL, errno);
	/* counted as a mapping of the buffer, and it outlives the fd */
	close(buf);
	EXPECT_EQ(-1, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_STREQ("world", (char *)p);
	EXPECT_EQ(0, munmap(p, len));
}

TEST_F(dev, dmabuf_sync_takes_start_and_end)
{
	static const uint64_t dirs[] = {
		DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_RW,
	};
	int buf = shm_export(self->fd, 0, self->ps, 0);
	size_t i;

	ASSERT_LE(0, buf);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		EXPECT_EQ(0, dmabuf_sync(buf, DMA_BUF_SYNC_START | dirs[i]));
		EXPECT_EQ(0, dmabuf_sync(buf, DMA_BUF_SYNC_END | dirs[i]));
	}
	/* the dma-buf core's own checks */
	EXPECT_EQ(-EINVAL, dmabuf_sync(buf, DMA_BUF_SYNC_START));
	EXPECT_EQ(-EINVAL, dmabuf_sync(buf, 0x100 | DMA_BUF_SYNC_RW));
	close(buf);
}

TEST_F(dev, read_only_dmabuf_maps_only_for_reading)
{
	int buf = shm_export(self->fd, 0, self->ps, MMIO_SHM_EXPORT_READ_ONLY);
	char *p;

	ASSERT_LE(0, buf);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
				   MAP_SHARED, buf, 0));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(3, pwrite(self->fd, "ro", 3, 0));
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_STREQ("ro", p);
	EXPECT_EQ(-1, mprotect(p, self->ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, munmap(p, self->ps));
	close(buf);
}

TEST_F(dev, resize_is_busy_while_an_export_lives)
{
	int buf = shm_export(self->fd, 0, self->ps, 0);
	int buf2;

	ASSERT_LE(0, buf);
	EXPECT_EQ(-1, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(EBUSY, errno);
	/* the fd's duplicate keeps the export */
	buf2 = dup(buf);
	close(buf);
	EXPECT_EQ(-1, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(EBUSY, errno);
	close(buf2);
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(0, shm_resize(self->fd, self->size));
}

/* ZERO writes into the pages the export holds */
TEST_F(dev, zero_works_while_exported)
{
	struct mmio_shm_zero_args z = {
		.size = sizeof(z), .offset = 0, .length = MMIO_SHM_ZERO_TO_END,
	};
	int buf = shm_export(self->fd, 0, self->ps, 0);
	char *p;

	ASSERT_LE(0, buf);
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(2, pwrite(self->fd, "z", 2, 0));
	EXPECT_EQ('z', p[0]);
	EXPECT_EQ(0, ioctl(self->fd, MMIO_SHM_IOC_ZERO, &z));
	EXPECT_EQ(0, p[0]);
	munmap(p, self->ps);
	close(buf);
}

/* the export holds the device: it works on after the device fd is closed */
TEST_F(dev, export_outlives_the_device_fd)
{
	int fd = open(shm_dev_path(), O_RDWR);
	char *p;
	int buf;

	ASSERT_LE(0, fd);
	buf = shm_export(fd, 0, self->ps, 0);
	ASSERT_LE(0, buf);
	close(fd);
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	strcpy(p, "still");
	close(buf);
	EXPECT_STREQ("still", p);
	munmap(p, self->ps);
}

/* an O_RDWR /dev/dri/cardN whose driver is vgem, or -1 */
static int vgem_find(void)
{
	char path[32], name[16];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version_args v = {
			.name_len = sizeof(name) - 1, .name = name,
		};

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION_NR, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

/* mmio_shm_export_dmabuf(): the same export, through the library */
TEST_F(dev, library_exports_a_range_that_outlives_the_handle)
{
	struct mmio_shm *ro;
	char *p;
	int buf;

	ASSERT_EQ(0, mmio_shm_open(shm_dev_path(), MMIO_SHM_OPEN_RDONLY, &ro));
	EXPECT_EQ(-EACCES, mmio_shm_export_dmabuf(ro, 0, self->ps, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_export_dmabuf(ro, 1, self->ps,
						  MMIO_SHM_EXPORT_DMABUF_READ_ONLY));
	buf = mmio_shm_export_dmabuf(ro, self->ps, self->ps,
				     MMIO_SHM_EXPORT_DMABUF_READ_ONLY |
				     MMIO_SHM_EXPORT_DMABUF_CLOEXEC);
	ASSERT_LE(0, buf);
	EXPECT_EQ(0, mmio_shm_close(ro));
	EXPECT_EQ(FD_CLOEXEC, fcntl(buf, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(4, pwrite(self->fd, "lib", 4, self->ps));
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_STREQ("lib", p);
	EXPECT_EQ(0, munmap(p, self->ps));
	close(buf);
}

/*
 * vgem, the DRM driver without hardware: the fd of its node, loading it
 * first if it is not there, or -1 with @why set.
 */
static int vgem_open(const char **why)
{
	int fd = vgem_find();

	if (fd >= 0)
		return fd;
	guest_modprobe("vgem");
	fd = vgem_find();
	if (fd < 0)
		*why = "no vgem node in /dev/dri: modprobe vgem failed (no modules for this kernel under /lib/modules nor MMIO_SHM_MODROOT)";
	return fd;
}

/* vgem imports @buf: the GEM handle, or -errno */
static int vgem_import(int drm, int buf)
{
	struct drm_prime_handle_args h = { .fd = buf };

	if (ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE_NR, &h))
		return -errno;
	return h.handle;
}

/*
 * How many devices debugfs' bufinfo shows attached to the dma-buf of
 * inode @ino exported by mmio_shm, -1 when it shows no such dma-buf, or
 * -2 when bufinfo cannot be read (@why set).
 */
static int bufinfo_attached(ino_t ino, const char **why)
{
	char line[512], exp[64];
	unsigned long long size, inode;
	int in_ours = 0, n = -1;
	FILE *f;

	if (access(BUFINFO, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	f = fopen(BUFINFO, "r");
	if (!f) {
		*why = "no " BUFINFO " (debugfs)";
		return -2;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned int flags, mode, count;

		/* size flags mode count exp_name ino [name] */
		if (sscanf(line, "%llu %x %x %x %63s %llu", &size, &flags, &mode,
			   &count, exp, &inode) == 6) {
			in_ours = !strcmp(exp, "mmio_shm") && inode == ino;
			if (in_ours)
				n = 0;
			continue;
		}
		/* "Attached Devices:", one device a line, "Total N devices attached" */
		if (in_ours && line[0] == '\t' && strstr(line, "vgem"))
			n++;
	}
	fclose(f);
	return n;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

TEST_F_TIMEOUT(dev, vgem_imports_the_dmabuf_and_bufinfo_shows_it, VGEM_TIMEOUT)
{
	const char *why = NULL;
	struct drm_gem_close_args gc = { 0 };
	int drm, buf, handle, n;
	ino_t ino;

	drm = vgem_open(&why);
	if (drm < 0)
		SKIP(return, "%s", why);
	buf = shm_export(self->fd, 0, 2 * self->ps, MMIO_SHM_EXPORT_CLOEXEC);
	ASSERT_LE(0, buf);
	ino = fd_ino(buf);
	handle = vgem_import(drm, buf);
	ASSERT_LT(0, handle) {
		TH_LOG("PRIME_FD_TO_HANDLE: %s", strerror(-handle));
	}
	n = bufinfo_attached(ino, &why);
	ASSERT_NE(-2, n) {
		TH_LOG("%s", why);
	}
	EXPECT_EQ(1, n);
	/* the GEM object keeps the import after our fd is gone */
	close(buf);
	EXPECT_EQ(-1, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(EBUSY, errno);
	gc.handle = handle;
	EXPECT_EQ(0, ioctl(drm, DRM_IOCTL_GEM_CLOSE_NR, &gc));
	EXPECT_EQ(-1, bufinfo_attached(ino, &why));
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
	close(drm);
}

/* a device may not write into a read-only export: vgem maps both ways */
TEST_F_TIMEOUT(dev, vgem_cannot_import_a_read_only_dmabuf, VGEM_TIMEOUT)
{
	struct drm_gem_close_args gc = { 0 };
	const char *why = NULL;
	int drm, buf, handle;

	drm = vgem_open(&why);
	if (drm < 0)
		SKIP(return, "%s", why);
	buf = shm_export(self->fd, 0, self->ps, MMIO_SHM_EXPORT_READ_ONLY);
	ASSERT_LE(0, buf);
	handle = vgem_import(drm, buf);
	close(buf);
	if (handle > 0 && !kernel_older_than(7, 0)) {
		/* 7.x's vgem attaches at import and maps only when it must */
		gc.handle = handle;
		EXPECT_EQ(0, ioctl(drm, DRM_IOCTL_GEM_CLOSE_NR, &gc));
		close(drm);
		SKIP(return, "this kernel's vgem imported without mapping the dma-buf: no DMA direction to refuse");
	}
	EXPECT_EQ(-EACCES, handle);
	close(drm);
}

/*
 * The dma-buf fd, the importer (vgem's fd, which holds the GEM object) and
 * a device fd of our own closed in each of the 6 orders; the export, the
 * last of them gone, no longer holds RESIZE off. Under KASAN and kmemleak
 * (make check-debug) a use after free or a leak on any order shows there.
 */
TEST_F_TIMEOUT(dev, dmabuf_importer_and_device_close_in_every_order, VGEM_TIMEOUT)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	const char *why = NULL;
	int o, i;

	for (o = 0; o < 6; o++) {
		int fds[3];

		fds[0] = open(shm_dev_path(), O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[0]);
		fds[1] = shm_export(fds[0], self->ps, self->ps, MMIO_SHM_EXPORT_CLOEXEC);
		ASSERT_LE(0, fds[1]);
		fds[2] = vgem_open(&why);
		if (fds[2] < 0) {
			close(fds[1]);
			close(fds[0]);
			SKIP(return, "%s", why);
		}
		ASSERT_LT(0, vgem_import(fds[2], fds[1]));
		for (i = 0; i < 3; i++) {
			/* the dma-buf fd or the importer holds the export */
			if (fds[1] >= 0 || fds[2] >= 0)
				EXPECT_EQ(-1, shm_resize(self->fd, self->size + self->ps)) {
					TH_LOG("order %d: resized with %d of 3 closed",
					       o, i);
				}
			close(fds[orders[o][i]]);
			fds[orders[o][i]] = -1;
		}
		EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps)) {
			TH_LOG("order %d: %s", o, strerror(errno));
		}
		EXPECT_EQ(0, shm_resize(self->fd, self->size));
	}
}

/* The module's parameters as insmod takes them, to load it back so. */
static void module_params(char *out, size_t len)
{
	static const char * const names[] = {
		"size", "max_size", "devices", "mode", "huge",
	};
	char path[96], val[32];
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/module/" MODNAME "/parameters/%s",
			 names[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%31s", val) == 1)
			used += snprintf(out + used, len - used, "%s%s=%s",
					 used ? " " : "", names[i], val);
		fclose(f);
	}
}

FIXTURE(mod) {
	char params[256];	/* the module's parameters at setup */
	long ps;		/* page size */
};

FIXTURE_SETUP(mod)
{
	const char *why;
	int fd;

	if (!getenv("MMIO_SHM_KO"))
		SETUP_SKIP("MMIO_SHM_KO not set: cannot load the module back");
	ASSERT_TRUE(module_loaded());
	fd = open("/dev/" MODNAME, O_RDONLY);
	ASSERT_LE(0, fd);
	why = export_unsupported(fd);
	close(fd);
	if (why)
		SETUP_SKIP("%s", why);
	module_params(self->params, sizeof(self->params));
	self->ps = page_size();
}

FIXTURE_TEARDOWN(mod)
{
	if (!module_loaded())
		EXPECT_EQ(0, module_load(self->params)) {
			TH_LOG("insmod %s", self->params);
		}
}

/* the dma-buf holds the module, after the device fd is closed */
TEST_F(mod, unload_refused_while_a_dmabuf_lives)
{
	int fd = open("/dev/" MODNAME, O_RDWR);
	int buf;

	ASSERT_LE(0, fd);
	buf = shm_export(fd, 0, self->ps, 0);
	ASSERT_LE(0, buf);
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	EXPECT_TRUE(module_loaded());
	close(buf);
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());
}

/* and so does a mapping of it, and an importer's attachment */
TEST_F_TIMEOUT(mod, unload_refused_while_a_mapping_or_an_importer_holds_the_dmabuf,
	       VGEM_TIMEOUT)
{
	const char *why = NULL;
	int fd = open("/dev/" MODNAME, O_RDWR);
	int buf, drm;
	void *p;

	ASSERT_LE(0, fd);
	buf = shm_export(fd, 0, self->ps, 0);
	ASSERT_LE(0, buf);
	close(fd);
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p);
	drm = vgem_open(&why);
	if (drm >= 0)
		ASSERT_LT(0, vgem_import(drm, buf));
	close(buf);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	munmap(p, self->ps);
	if (drm >= 0) {
		EXPECT_EQ(-EWOULDBLOCK, module_unload());
		close(drm);
	}
	/* vgem drops its import on close: once the last user is gone */
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());
	if (drm < 0)
		TH_LOG("importer not tried: %s", why);
}

TEST_HARNESS_MAIN
