// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle and parameters: insmod with good parameters creates the
 * nodes it promises; a bad value fails the load with the right errno and
 * one line in the kernel log, and leaves nothing behind; the module cannot
 * be unloaded while a file is open or a mapping lives (even after its fd
 * was closed); with pages pinned for DMA but no file or mapping left, it
 * unloads and says so in the kernel log, and the pinner lets go of the
 * pages later unharmed; reloading gives a fresh zeroed buffer; 100
 * load/unload cycles leak no memory.
 *
 * Needs MMIO_SHM_KO, the path of the module (set by the suite runner).
 * Every test starts and ends with the module loaded with defaults.
 */
#define _GNU_SOURCE
#include <linux/if_xdp.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>

#include "helpers.h"
#include "kselftest_harness.h"


/* the last kernel log line that mentions the module, or "" */
static void last_log_line(char *out, size_t len)
{
	static char log[1 << 16];
	char *line, *save = NULL;
	int n;

	out[0] = '\0';
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1);
	if (n <= 0)
		return;
	log[n] = '\0';
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, MODNAME))
			snprintf(out, len, "%s", line);
}

FIXTURE(mod) {
	long ps;	/* page size */
};

FIXTURE_SETUP(mod)
{
	if (!getenv("MMIO_SHM_KO"))
		SETUP_SKIP("MMIO_SHM_KO not set");
	self->ps = page_size();
	if (!module_loaded())
		ASSERT_EQ(0, module_load(""));
}

FIXTURE_TEARDOWN(mod)
{
	/* back to the state every other test expects: loaded, defaults */
	if (module_loaded())
		EXPECT_EQ(0, module_unload());
	EXPECT_EQ(0, module_load(""));
}

TEST_F(mod, unload_refused_while_a_file_is_open)
{
	int fd = open("/dev/" MODNAME, O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	EXPECT_TRUE(module_loaded());
	EXPECT_NE(0, run_cmd("rmmod " MODNAME " 2>/dev/null"));
	close(fd);
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access("/dev/" MODNAME, F_OK));
}

TEST_F(mod, unload_refused_while_only_a_mapping_lives)
{
	struct mmio_shm_info_args info;
	int fd = open("/dev/" MODNAME, O_RDWR);
	uint8_t *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	/* the mapping still works while the module stays */
	p[0] = 0x12;
	EXPECT_EQ(0x12, p[0]);
	/* and the device still counts it (a new file to ask, closed again) */
	fd = open("/dev/" MODNAME, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shm_info(fd, &info));
	EXPECT_EQ(1, info.nr_maps);
	close(fd);
	munmap(p, self->ps);
	EXPECT_EQ(0, module_unload());
}

/*
 * A pin holds pages, not the module: nothing is left to refuse the unload
 * once the owner closed and unmapped, so it goes, with a warning, and the
 * pinner keeps pages that no buffer holds any longer (mmio_shm(4), "Pages
 * pinned for DMA"). The pinner is an AF_XDP socket's UMEM, which every
 * kernel of the matrix takes from the device's mapping (pin_test.c).
 */
TEST_F(mod, unload_while_pages_are_pinned_goes_with_a_warning)
{
	int xsk = socket(AF_XDP, SOCK_RAW, 0);
	int fd = open("/dev/" MODNAME, O_RDWR);
	struct xdp_umem_reg reg = { .chunk_size = 4096 };
	char line[512];
	void *p;

	if (xsk < 0)
		SKIP(return, "no AF_XDP socket: %s", strerror(errno));
	ASSERT_LE(0, fd);
	reg.len = 4 * self->ps;
	p = mmap(NULL, reg.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	reg.addr = (uintptr_t)p;
	ASSERT_EQ(0, setsockopt(xsk, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)));
	munmap(p, reg.len);
	close(fd);

	EXPECT_EQ(0, module_unload());
	last_log_line(line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, "pinned for DMA")) {
		TH_LOG("the module's last line: %s", line);
	}
	/* the pages are the pinner's alone now; it lets go of them */
	EXPECT_EQ(0, close(xsk));
}

TEST_F(mod, unload_refused_while_a_forked_child_holds_the_mapping)
{
	int fd = open("/dev/" MODNAME, O_RDWR), pipefd[2];
	uint8_t *p;
	pid_t pid;
	char c;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pipefd));
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pipefd[1]);
		_exit(read(pipefd[0], &c, 1) == 0 ? 0 : 1);
	}
	close(pipefd[0]);
	munmap(p, self->ps);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	close(pipefd[1]);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, module_unload());
}

TEST_F(mod, reload_gives_a_fresh_zeroed_buffer)
{
	int fd = open("/dev/" MODNAME, O_RDWR);
	char buf[4096];
	ssize_t n, i, nonzero = 0;

	ASSERT_LE(0, fd);
	memset(buf, 0x5c, sizeof(buf));
	ASSERT_EQ(sizeof(buf), pwrite(fd, buf, sizeof(buf), 0));
	close(fd);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load(""));
	fd = open("/dev/" MODNAME, O_RDONLY);
	ASSERT_LE(0, fd);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			nonzero += buf[i] != 0;
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, nonzero);
	close(fd);
}

TEST_F(mod, good_parameters_make_the_promised_nodes)
{
	struct stat st;
	char path[64];
	int i, fd0, fd1;

	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load("size=5000 devices=3 mode=0640"));
	for (i = 0; i < 3; i++) {
		char name[32];

		if (i)
			snprintf(name, sizeof(name), MODNAME "%d", i);
		else
			snprintf(name, sizeof(name), MODNAME);
		snprintf(path, sizeof(path), "/dev/%s", name);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0640, st.st_mode & 07777);
		/* 5000 bytes round up to two pages */
		EXPECT_EQ(2 * self->ps, sysfs_read_num(name, "size"));
	}
	EXPECT_NE(0, access("/dev/" MODNAME "3", F_OK));

	/* each device has its own buffer */
	fd0 = open("/dev/" MODNAME, O_RDWR);
	fd1 = open("/dev/" MODNAME "1", O_RDWR);
	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(1, pwrite(fd0, "0", 1, 0));
	ASSERT_EQ(1, pwrite(fd1, "1", 1, 0));
	ASSERT_EQ(1, pread(fd0, path, 1, 0));
	EXPECT_EQ('0', path[0]);
	close(fd0);
	close(fd1);
	EXPECT_EQ(0, run_cmd("test \"$(cat /sys/module/" MODNAME
			     "/parameters/devices)\" = 3"));
}

TEST_F(mod, size_accepts_k_m_g_suffixes)
{
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load("size=64K"));
	EXPECT_EQ(64 * 1024, sysfs_read_num(MODNAME, "size"));
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load("size=1m"));
	EXPECT_EQ(1024 * 1024, sysfs_read_num(MODNAME, "size"));
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load("size=0x3000"));
	EXPECT_EQ(0x3000, sysfs_read_num(MODNAME, "size"));
}

/* one bad value: the load fails with err, logs a line, leaves nothing */
struct bad_param {
	const char *params;
	int err;
	const char *log;	/* text the last log line must contain */
};

static const struct bad_param bad_params[] = {
	{ "size=0", EINVAL, "size=0" },
	{ "size=abc", EINVAL, "size" },
	{ "size=12Q", EINVAL, "size" },
	{ "size=", EINVAL, "size" },
	{ "size=-4096", EINVAL, "size" },
	{ "size=99999999999999999999999", EINVAL, "size" },
	{ "size=17179869184G", EINVAL, "size" },
	{ "size=1T", EINVAL, "size" },
	{ "size=64G", ENOMEM, "max_size" },
	{ "devices=0", EINVAL, "devices=0" },
	{ "devices=33", EINVAL, "devices=33" },
	{ "devices=-1", EINVAL, "devices" },
	{ "devices=two", EINVAL, "devices" },
	/* the kernel's own integer parser: out of range is ERANGE */
	{ "devices=4294967296", ERANGE, "devices" },
	{ "size=512M devices=32", ENOMEM, "max_size" },
	{ "mode=01000", EINVAL, "mode" },
	{ "mode=0x10000", ERANGE, "mode" },
	{ "mode=rw", EINVAL, "mode" },
	{ "max_size=abc", EINVAL, "max_size" },
	{ "max_size=17179869184G", EINVAL, "max_size" },
	{ "max_size=64G", EINVAL, "max_size=" },
	{ "size=8M max_size=4M", ENOMEM, "max_size" },
	{ "size=4M devices=3 max_size=11M", ENOMEM, "max_size" },
};

TEST_F_TIMEOUT(mod, bad_parameters_fail_cleanly, 300)
{
	char line[512];
	size_t i;

	ASSERT_EQ(0, module_unload());
	for (i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
		const struct bad_param *b = &bad_params[i];

		EXPECT_EQ(-b->err, module_load(b->params)) {
			TH_LOG("insmod %s", b->params);
		}
		EXPECT_FALSE(module_loaded()) {
			TH_LOG("%s left the module loaded", b->params);
			module_unload();
		}
		EXPECT_NE(0, access("/dev/" MODNAME, F_OK));
		last_log_line(line, sizeof(line));
		EXPECT_NE(NULL, strstr(line, b->log)) {
			TH_LOG("%s: last log line: %s", b->params, line);
		}
	}
}

/* Load, use and unload 100 times: memory returns to where it was. */
/* a slow guest needs minutes for 100 cycles, past the default 30 s */
TEST_F_TIMEOUT(mod, load_unload_100_times_leaks_nothing, 600)
{
	long shmem0, unevict0, avail0, shmem1, unevict1, avail1;
	long shmem_in = -1, unevict_in = -1;
	int i;

	ASSERT_EQ(0, module_unload());
	run_cmd("sync; echo 3 > /proc/sys/vm/drop_caches");
	shmem0 = meminfo_kb("Shmem");
	unevict0 = meminfo_kb("Unevictable");
	avail0 = meminfo_kb("MemAvailable");
	/* a counter this kernel does not have would compare -1 with -1 */
	ASSERT_LE(0, shmem0);
	ASSERT_LE(0, unevict0);
	ASSERT_LE(0, avail0);
	for (i = 0; i < 100; i++) {
		int fd;
		uint8_t *p;

		ASSERT_EQ(0, module_load(""));
		fd = open("/dev/" MODNAME, O_RDWR);
		ASSERT_LE(0, fd);
		p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		p[0] = (uint8_t)i;
		munmap(p, self->ps);
		close(fd);
		if (i == 99) {
			shmem_in = meminfo_kb("Shmem");
			unevict_in = meminfo_kb("Unevictable");
		}
		ASSERT_EQ(0, module_unload());
	}
	/* the counters see a loaded buffer (4096 kB), so they would see a leak */
	EXPECT_LE(3072, shmem_in - shmem0);
	EXPECT_LE(3072, unevict_in - unevict0);
	run_cmd("sync; echo 3 > /proc/sys/vm/drop_caches");
	shmem1 = meminfo_kb("Shmem");
	unevict1 = meminfo_kb("Unevictable");
	avail1 = meminfo_kb("MemAvailable");
	TH_LOG("Shmem %ld -> %ld kB, Unevictable %ld -> %ld kB, MemAvailable %ld -> %ld kB",
	       shmem0, shmem1, unevict0, unevict1, avail0, avail1);
	/* one buffer is 4096 kB: a leak of even one would show */
	EXPECT_GT(1024, labs(shmem1 - shmem0));
	EXPECT_GT(1024, labs(unevict1 - unevict0));
	/* noisier (module text, slab caches): only a gross leak shows here */
	EXPECT_GT(32768, avail0 - avail1);
}

/* A successful load means the memory is there: resident and unevictable. */
TEST_F(mod, buffer_is_allocated_and_unevictable_at_load)
{
	long shmem0, unevict0, kb;

	ASSERT_EQ(0, module_unload());
	shmem0 = meminfo_kb("Shmem");
	unevict0 = meminfo_kb("Unevictable");
	ASSERT_EQ(0, module_load("size=8M"));
	kb = 8 * 1024;
	TH_LOG("Shmem +%ld kB, Unevictable +%ld kB for an %ld kB buffer",
	       meminfo_kb("Shmem") - shmem0,
	       meminfo_kb("Unevictable") - unevict0, kb);
	/*
	 * Before anyone opened, mapped or touched the device. Unevictable
	 * lags by the pages still in per-CPU LRU batches, and both counters
	 * are system-wide, so others' tmpfs files move them a little.
	 */
	EXPECT_LE(kb - 256, meminfo_kb("Shmem") - shmem0);
	EXPECT_LE(kb - 512, meminfo_kb("Unevictable") - unevict0);
	/* and neither dropping caches nor reclaim takes it away */
	run_cmd("echo 3 > /proc/sys/vm/drop_caches");
	EXPECT_LE(kb - 256, meminfo_kb("Shmem") - shmem0);
	EXPECT_LE(kb - 512, meminfo_kb("Unevictable") - unevict0);
}

static int resize_dev(const char *dev, uint64_t size)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	ret = shm_resize(fd, size) ? -errno : 0;
	close(fd);
	return ret;
}

/* max_size caps the bytes of all devices together, at every resize */
TEST_F(mod, max_size_caps_all_devices_together)
{
	const uint64_t M = 1 << 20;

	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load("size=1M devices=2 max_size=6M"));
	EXPECT_EQ(0, resize_dev(MODNAME, 4 * M));		/* 4 + 1 */
	EXPECT_EQ(-ENOMEM, resize_dev(MODNAME "1", 3 * M));	/* 4 + 3 */
	EXPECT_EQ(M, sysfs_read_num(MODNAME "1", "size"));
	EXPECT_EQ(0, resize_dev(MODNAME "1", 2 * M));		/* 4 + 2 */
	/* one device alone can never pass the cap either */
	EXPECT_EQ(-ENOMEM, resize_dev(MODNAME, 7 * M));
	/* shrinking gives bytes back to the other device */
	EXPECT_EQ(0, resize_dev(MODNAME, M));			/* 1 + 2 */
	EXPECT_EQ(0, resize_dev(MODNAME "1", 5 * M));		/* 1 + 5 */
	EXPECT_EQ(5 * M, sysfs_read_num(MODNAME "1", "size"));
	EXPECT_EQ(-ENOMEM, resize_dev(MODNAME, 2 * M));		/* 2 + 5 */
}

static int write_proc(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void read_proc(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/*
 * A load whose second device cannot get its memory (strict overcommit
 * leaves room for one and a half buffers) fails as a whole, and while it
 * ran no open() of the first device's node succeeded: no file can point
 * into a module whose load failed. A child opens the node in a tight loop
 * the whole time, so a node that was visible and openable during the
 * failed load would be caught.
 */
TEST_F_TIMEOUT(mod, load_failing_part_way_leaves_no_open_file, 300)
{
	const long size_kb = 16384;
	char mode[16], kbytes[32], val[32], params[64], c;
	int pipefd[2], opened = 0, ret;
	long committed;
	pid_t pid;

	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pipefd[0]);
		for (;;) {
			int fd = open("/dev/" MODNAME, O_RDWR);

			if (fd >= 0) {
				write(pipefd[1], "o", 1);
				close(fd);
			}
		}
	}
	close(pipefd[1]);
	ASSERT_EQ(0, fcntl(pipefd[0], F_SETFL, O_NONBLOCK));

	read_proc("/proc/sys/vm/overcommit_memory", mode, sizeof(mode));
	read_proc("/proc/sys/vm/overcommit_kbytes", kbytes, sizeof(kbytes));
	committed = meminfo_kb("Committed_AS") - meminfo_kb("SwapTotal");
	snprintf(val, sizeof(val), "%ld", committed + size_kb * 3 / 2);
	ASSERT_EQ(0, write_proc("/proc/sys/vm/overcommit_kbytes", val));
	ASSERT_EQ(0, write_proc("/proc/sys/vm/overcommit_memory", "2"));

	snprintf(params, sizeof(params), "size=%ldK devices=3", size_kb);
	ret = module_load(params);

	write_proc("/proc/sys/vm/overcommit_memory", mode);
	write_proc("/proc/sys/vm/overcommit_kbytes", kbytes);
	kill(pid, SIGKILL);
	wait_child(pid);
	while (read(pipefd[0], &c, 1) == 1)
		opened++;
	close(pipefd[0]);

	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_FALSE(module_loaded()) {
		module_unload();
	}
	EXPECT_EQ(0, opened) {
		TH_LOG("%d opens succeeded during a load that failed", opened);
	}
	EXPECT_NE(0, access("/dev/" MODNAME, F_OK));
	EXPECT_NE(0, access("/dev/" MODNAME "1", F_OK));
	/* and the module loads and works afterwards (teardown loads it) */
}

TEST_HARNESS_MAIN
