// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs: /sys/class/misc/mmio_shm/{size,open_files,mappings,doorbell_seq,
 * resident} exist, are readable by anyone and writable by no one, and track the
 * device as it is resized, opened, mapped and rung, as MMIO_SHM_IOC_INFO
 * reports it. The module parameters are readable under
 * /sys/module/mmio_shm/parameters. This file owns those attributes: other
 * tests use them only to observe something else.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "fixture.h"

static const char *const attrs[] = {
	"size", "open_files", "mappings", "doorbell_seq", "resident",
};

TEST_F(dev, attributes_are_world_readable_and_read_only)
{
	char path[256];
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(path, sizeof(path), "/sys/class/misc/%s/%s",
			 shm_dev_name(), attrs[i]);
		ASSERT_EQ(0, stat(path, &st)) {
			TH_LOG("%s: %s", path, strerror(errno));
		}
		EXPECT_EQ(0444, st.st_mode & 0777) {
			TH_LOG("%s has mode %o", path, st.st_mode & 0777);
		}
		/* even root cannot write an attribute without a store method */
		fd = open(path, O_WRONLY);
		EXPECT_EQ(-1, fd);
		EXPECT_EQ(EACCES, errno);
		if (fd >= 0)
			close(fd);
	}
}

TEST_F(dev, size_matches_info_and_cat_works)
{
	char cmd[256];

	EXPECT_EQ((long long)shm_size(self->fd),
		  sysfs_read_num(shm_dev_name(), "size"));
	snprintf(cmd, sizeof(cmd), "test \"$(cat /sys/class/misc/%s/size)\" -eq %zu",
		 shm_dev_name(), shm_size(self->fd));
	EXPECT_EQ(0, run_cmd(cmd));
}

TEST_F(dev, size_follows_resize)
{
	size_t grown = self->size + 2 * self->ps;

	ASSERT_EQ(0, shm_resize(self->fd, grown));
	EXPECT_EQ((long long)grown, sysfs_read_num(shm_dev_name(), "size"));
	ASSERT_EQ(0, shm_resize(self->fd, self->size));
	EXPECT_EQ((long long)self->size, sysfs_read_num(shm_dev_name(), "size"));
}

TEST_F(dev, open_files_counts_opens_and_closes)
{
	long long before = sysfs_read_num(shm_dev_name(), "open_files");
	struct mmio_shm_info_args info;
	int fd2;

	ASSERT_LE(1, before);
	ASSERT_EQ(0, shm_info(self->fd, &info));
	EXPECT_EQ((long long)info.nr_open, before);
	fd2 = open(shm_dev_path(), O_RDONLY);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(before + 1, sysfs_read_num(shm_dev_name(), "open_files"));
	close(fd2);
	EXPECT_EQ(before, sysfs_read_num(shm_dev_name(), "open_files"));
}

TEST_F(dev, mappings_counts_vmas)
{
	long long before = sysfs_read_num(shm_dev_name(), "mappings");
	struct mmio_shm_info_args info;
	void *a, *b;

	a = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, self->ps);
	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(before + 2, sysfs_read_num(shm_dev_name(), "mappings"));
	ASSERT_EQ(0, shm_info(self->fd, &info));
	EXPECT_EQ((long long)info.nr_maps, before + 2);
	munmap(a, self->ps);
	munmap(b, self->ps);
	EXPECT_EQ(before, sysfs_read_num(shm_dev_name(), "mappings"));
}

TEST_F(dev, doorbell_seq_follows_notify)
{
	struct mmio_shm_info_args info;
	uint64_t seq;

	ASSERT_EQ(0, shm_info(self->fd, &info));
	EXPECT_EQ((long long)info.seq, sysfs_read_num(shm_dev_name(), "doorbell_seq"));
	seq = shm_notify(self->fd);
	ASSERT_NE((uint64_t)-1, seq);
	EXPECT_EQ((long long)seq, sysfs_read_num(shm_dev_name(), "doorbell_seq"));
}

TEST_F(dev, attributes_are_readable_by_an_unprivileged_user)
{
	char cmd[256];

	if (run_cmd("command -v setpriv >/dev/null"))
		SKIP(return, "no setpriv");
	snprintf(cmd, sizeof(cmd),
		 "setpriv --reuid=65534 --regid=65534 --clear-groups "
		 "cat /sys/class/misc/%s/size /sys/class/misc/%s/open_files "
		 "/sys/class/misc/%s/mappings /sys/class/misc/%s/doorbell_seq "
		 ">/dev/null",
		 shm_dev_name(), shm_dev_name(), shm_dev_name(), shm_dev_name());
	EXPECT_EQ(0, run_cmd(cmd));
}

TEST_F(dev, module_parameters_are_readable)
{
	EXPECT_EQ(0, run_cmd("test -r /sys/module/mmio_shm/parameters/size && "
			     "test -r /sys/module/mmio_shm/parameters/devices && "
			     "test -r /sys/module/mmio_shm/parameters/mode"));
	EXPECT_EQ((long long)shm_size(self->fd),
		  sysfs_read_num("../../module/mmio_shm/parameters", "size"));
}

TEST_HARNESS_MAIN
