/* SPDX-License-Identifier: GPL-2.0 */
/*
 * FIXTURE(dev), the one fixture of the kselftests of the device: every
 * test starts with /dev/mmio_shm (MMIO_SHM_DEV) open O_RDWR and its whole
 * buffer zeroed, and ends with the buffer at the size it had. Setup skips
 * the test when the device cannot be opened.
 *
 * A file whose tests need more says so before including this header:
 *
 *   #define DEV_MIN_PAGES 8      setup asserts the buffer has that many pages
 *   #define DEV_FIELDS \         more members of the fixture
 *           void *map;
 *   #define DEV_HOOKS            the file defines dev_setup_hook(), run at
 *                                the end of setup, and dev_teardown_hook(),
 *                                run at the start of teardown
 *
 * FIXTURE_VARIANT(dev) may be added by a file whose tests run in several
 * settings (futex_test.c: where in the buffer the objects are); its hooks
 * see the variant.
 */
#ifndef MMIO_SHM_TEST_FIXTURE_H
#define MMIO_SHM_TEST_FIXTURE_H

#include "helpers.h"
#include "kselftest_harness.h"

#ifndef DEV_MIN_PAGES
#define DEV_MIN_PAGES 1
#endif
#ifndef DEV_FIELDS
#define DEV_FIELDS
#endif

FIXTURE(dev) {
	int fd;		/* the device, opened O_RDWR */
	size_t size;	/* buffer size at setup (MMIO_SHM_IOC_INFO), put back at teardown */
	long ps;	/* page size */
	DEV_FIELDS
};

#ifdef DEV_HOOKS
static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant);
static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant);
#endif

FIXTURE_SETUP(dev)
{
	self->fd = open(shm_dev_path(), O_RDWR);
	if (self->fd < 0)
		SETUP_SKIP("cannot open %s: %s", shm_dev_path(), strerror(errno));
	self->size = shm_size(self->fd);
	ASSERT_LT(0, self->size);
	self->ps = page_size();
	ASSERT_LE(DEV_MIN_PAGES, self->size / self->ps);
	ASSERT_EQ(0, shm_zero(self->fd));
#ifdef DEV_HOOKS
	dev_setup_hook(_metadata, self, variant);
#endif
}

FIXTURE_TEARDOWN(dev)
{
#ifdef DEV_HOOKS
	dev_teardown_hook(_metadata, self, variant);
#endif
	/* the next test expects the size the module was loaded with */
	if (shm_size(self->fd) != self->size)
		EXPECT_EQ(0, shm_resize(self->fd, self->size));
	close(self->fd);
}

#endif /* MMIO_SHM_TEST_FIXTURE_H */
