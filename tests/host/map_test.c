// SPDX-License-Identifier: GPL-2.0
/*
 * Description: mmio_shm_map(), mmio_shm_map_range(), mmio_shm_unmap() and
 * mmio_shm_sync() on a memfd: mappings alias the file at every page offset,
 * and misaligned, empty, out-of-range and mismatched requests are refused
 * with -EINVAL (or -EACCES for write access through a read-only handle)
 * without touching any memory; close unmaps what is left.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

#define RW (MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)

FIXTURE(memfd) {
	int fd;			/* the memfd, variant->pages pages */
	struct mmio_shm *shm;	/* a handle on it (read-write) */
	size_t ps;		/* page size */
	size_t size;		/* the memfd's size */
};

FIXTURE_VARIANT(memfd) {
	size_t pages;		/* size of the memfd */
	size_t page;		/* the page the range tests map */
};

FIXTURE_VARIANT_ADD(memfd, one_page) {
	.pages = 1,
	.page = 0,
};

FIXTURE_VARIANT_ADD(memfd, middle_page) {
	.pages = 16,
	.page = 7,
};

FIXTURE_VARIANT_ADD(memfd, last_page) {
	.pages = 16,
	.page = 15,
};

FIXTURE_SETUP(memfd)
{
	self->ps = (size_t)sysconf(_SC_PAGESIZE);
	self->size = variant->pages * self->ps;
	self->fd = memfd_of_size(self->size);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mmio_shm_open_fd(self->fd, &self->shm));
}

FIXTURE_TEARDOWN(memfd)
{
	mmio_shm_close(self->shm);
	close(self->fd);
}

/*
 * @call must fail with -EINVAL decided by the library alone: no system call
 * failed on the way, so errno is still what it was set to before.
 */
#define EXPECT_REFUSED(call) do {					\
	errno = 0;							\
	EXPECT_EQ(-EINVAL, call);					\
	EXPECT_EQ(0, errno);						\
} while (0)

/* is [addr, addr + len) mapped in this process? (msync says ENOMEM if not) */
static bool is_mapped(void *addr, size_t len)
{
	return msync(addr, len, MS_ASYNC) == 0;
}

TEST_F(memfd, map_whole_aliases_the_file)
{
	size_t len = 0;
	char *p = NULL, c;

	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, (void **)&p, &len));
	ASSERT_NE(NULL, p);
	EXPECT_EQ(self->size, len);
	strcpy(p + self->size - 6, "tail!");
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->size - 2));
	EXPECT_EQ('!', c);
	ASSERT_EQ(1, pwrite(self->fd, "A", 1, 0));
	EXPECT_EQ('A', p[0]);
	EXPECT_EQ(0, mmio_shm_sync(self->shm, p, len));
	EXPECT_EQ(0, mmio_shm_unmap(self->shm, p, len));
	EXPECT_FALSE(is_mapped(p, len));
}

TEST_F(memfd, map_range_aliases_the_whole_map)
{
	size_t off = variant->page * self->ps, len;
	char *whole, *page;

	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, (void **)&whole, &len));
	ASSERT_EQ(0, mmio_shm_map_range(self->shm, off, self->ps, RW,
					(void **)&page));
	EXPECT_NE(whole + off, page);
	strcpy(whole + off, "through the whole map");
	EXPECT_STREQ("through the whole map", page);
	strcpy(page + 100, "through the page");
	EXPECT_STREQ("through the page", whole + off + 100);
	EXPECT_EQ(0, mmio_shm_sync(self->shm, page, self->ps));
	EXPECT_EQ(0, mmio_shm_unmap(self->shm, page, self->ps));
	EXPECT_EQ(0, mmio_shm_unmap(self->shm, whole, len));
}

TEST_F(memfd, map_range_refuses_bad_ranges)
{
	size_t off = variant->page * self->ps;
	void *p = (void *)0x1;

	/* misaligned offsets */
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off + 1, 1, RW, &p));
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off + self->ps / 2,
					      self->ps / 2, RW, &p));
	/* empty */
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off, 0, RW, &p));
	/* out of range: one byte or one page too long, or past the end */
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off,
					      self->size - off + 1, RW, &p));
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, 0, self->size + self->ps,
					      RW, &p));
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, self->size, self->ps,
					      RW, &p));
	/* offset + length wraps around */
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off, SIZE_MAX - self->ps
					      + 1, RW, &p));
	EXPECT_REFUSED(mmio_shm_map_range(self->shm,
					      UINT64_MAX - self->ps + 1,
					      2 * self->ps, RW, &p));
	/* protections */
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off, self->ps, 0, &p));
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off, self->ps,
					      MMIO_SHM_PROT_WRITE, &p));
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off, self->ps, 0x4, &p));
	/* NULL arguments */
	EXPECT_REFUSED(mmio_shm_map_range(self->shm, off, self->ps, RW, NULL));
	EXPECT_REFUSED(mmio_shm_map_range(NULL, off, self->ps, RW, &p));
	/* nothing was mapped or stored */
	EXPECT_EQ((void *)0x1, p);

	/* exactly up to the end is fine */
	ASSERT_EQ(0, mmio_shm_map_range(self->shm, off, self->size - off,
					MMIO_SHM_PROT_READ, &p));
	EXPECT_EQ(0, mmio_shm_unmap(self->shm, p, self->size - off));
}

TEST_F(memfd, map_refuses_bad_arguments)
{
	void *p = (void *)0x1;
	size_t len = 7;

	EXPECT_EQ(-EINVAL, mmio_shm_map(NULL, RW, &p, &len));
	EXPECT_EQ(-EINVAL, mmio_shm_map(self->shm, RW, NULL, &len));
	EXPECT_EQ(-EINVAL, mmio_shm_map(self->shm, RW, &p, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_map(self->shm, 0x8 | RW, &p, &len));
	/* an empty file has nothing to map */
	ASSERT_EQ(0, ftruncate(self->fd, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_map(self->shm, RW, &p, &len));
	EXPECT_EQ((void *)0x1, p);
	EXPECT_EQ(7, len);
}

TEST_F(memfd, read_only_handle_maps_read_only)
{
	struct mmio_shm *ro;
	char path[64];
	void *p = (void *)0x1;
	size_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	ASSERT_EQ(0, mmio_shm_open(path, MMIO_SHM_OPEN_RDONLY, &ro));
	EXPECT_EQ(-EACCES, mmio_shm_map(ro, RW, &p, &len));
	EXPECT_EQ(-EACCES, mmio_shm_map_range(ro, 0, self->ps, RW, &p));
	EXPECT_EQ((void *)0x1, p);
	ASSERT_EQ(0, mmio_shm_map(ro, MMIO_SHM_PROT_READ, &p, &len));
	EXPECT_EQ(self->size, len);
	EXPECT_EQ(0, mmio_shm_close(ro));
	/* close unmapped it */
	EXPECT_FALSE(is_mapped(p, len));
}

TEST_F(memfd, unmap_and_sync_refuse_foreign_or_mismatched)
{
	void *p, *q;
	size_t len;
	char local[16];

	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, &p, &len));
	/* size mismatch: a mapping is unmapped whole or not at all */
	EXPECT_REFUSED(mmio_shm_unmap(self->shm, p, len - 1));
	EXPECT_REFUSED(mmio_shm_unmap(self->shm, p, len + self->ps));
	EXPECT_REFUSED(mmio_shm_unmap(self->shm, p, 0));
	/* not the start of a mapping of this handle */
	EXPECT_REFUSED(mmio_shm_unmap(self->shm, (char *)p + 1, len - 1));
	EXPECT_REFUSED(mmio_shm_unmap(self->shm, local, sizeof(local)));
	EXPECT_REFUSED(mmio_shm_unmap(self->shm, NULL, len));
	EXPECT_REFUSED(mmio_shm_unmap(NULL, p, len));
	EXPECT_TRUE(is_mapped(p, len));

	/* sync: page aligned, not empty, inside one mapping of this handle */
	EXPECT_REFUSED(mmio_shm_sync(self->shm, (char *)p + 1, 1));
	EXPECT_REFUSED(mmio_shm_sync(self->shm, p, 0));
	EXPECT_REFUSED(mmio_shm_sync(self->shm, p, len + 1));
	EXPECT_REFUSED(mmio_shm_sync(self->shm, NULL, len));
	EXPECT_REFUSED(mmio_shm_sync(NULL, p, len));
	q = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(-EINVAL, mmio_shm_sync(self->shm, q, self->ps));
	EXPECT_EQ(-EINVAL, mmio_shm_unmap(self->shm, q, self->ps));
	munmap(q, self->ps);
	EXPECT_EQ(0, mmio_shm_sync(self->shm, (char *)p + len - self->ps,
				   self->ps));

	EXPECT_EQ(0, mmio_shm_unmap(self->shm, p, len));
	/* a second unmap finds nothing */
	EXPECT_EQ(-EINVAL, mmio_shm_unmap(self->shm, p, len));
	EXPECT_EQ(-EINVAL, mmio_shm_sync(self->shm, p, len));
}

TEST_F(memfd, close_unmaps_everything)
{
	void *p[4];
	size_t len;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, mmio_shm_map(self->shm, RW, &p[i], &len));
	ASSERT_EQ(0, mmio_shm_unmap(self->shm, p[1], len));
	EXPECT_EQ(0, mmio_shm_close(self->shm));
	for (i = 0; i < 4; i++)
		EXPECT_FALSE(is_mapped(p[i], len));
	/* the fixture closes it again: give it a fresh handle */
	ASSERT_EQ(0, mmio_shm_open_fd(self->fd, &self->shm));
}

TEST_HARNESS_MAIN
