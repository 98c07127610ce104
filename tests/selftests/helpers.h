/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the mmio_shm kselftests: where the device is, its ioctls
 * with poisoned output, its sysfs attributes, and child processes that die
 * with the test.
 */
#ifndef MMIO_SHM_TEST_HELPERS_H
#define MMIO_SHM_TEST_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mmio_shm.h>

/*
 * SKIP() for FIXTURE_SETUP: the 6.1 harness would still run the test body
 * after a plain SKIP(return, ...) there, so end the test's own process;
 * exit status 255 is how it reports a skip.
 */
#define SETUP_SKIP(fmt, ...) SKIP(_exit(255), fmt, ##__VA_ARGS__)

/* byte pattern written over output structs before each ioctl */
#define POISON 0xa5

static inline const char *shm_dev_path(void)
{
	const char *p = getenv("MMIO_SHM_DEV");

	return p ? p : "/dev/mmio_shm";
}

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* MMIO_SHM_IOC_INFO with the output poisoned first; returns ioctl's result */
static inline int shm_info(int fd, struct mmio_shm_info_args *info)
{
	memset(info, POISON, sizeof(*info));
	info->size = sizeof(*info);
	info->flags = 0;
	info->reserved = 0;
	return ioctl(fd, MMIO_SHM_IOC_INFO, info);
}

static inline int shm_resize(int fd, uint64_t new_size)
{
	struct mmio_shm_resize_args r = { .size = sizeof(r), .new_size = new_size };

	return ioctl(fd, MMIO_SHM_IOC_RESIZE, &r);
}

/* rings the doorbell; returns the new sequence or (uint64_t)-1 */
static inline uint64_t shm_notify(int fd)
{
	struct mmio_shm_notify_args n;

	memset(&n, POISON, sizeof(n));
	n.size = sizeof(n);
	n.flags = 0;
	if (ioctl(fd, MMIO_SHM_IOC_NOTIFY, &n))
		return (uint64_t)-1;
	return n.seq;
}

/* zeroes the whole buffer; returns ioctl's result */
static inline int shm_zero(int fd)
{
	struct mmio_shm_zero_args z = {
		.size = sizeof(z),
		.length = MMIO_SHM_ZERO_TO_END,
	};

	return ioctl(fd, MMIO_SHM_IOC_ZERO, &z);
}

static inline uint64_t now_ns(void);

/*
 * MMIO_SHM_IOC_WAIT with a deadline @timeout_ns from now (0: only check;
 * MMIO_SHM_WAIT_FOREVER: no deadline)
 */
static inline int shm_wait(int fd, uint64_t seq, uint64_t timeout_ns,
			   uint64_t *cur_seq)
{
	struct mmio_shm_wait_args w;
	int ret;

	memset(&w, POISON, sizeof(w));
	w.size = sizeof(w);
	w.flags = 0;
	w.seq = seq;
	if (timeout_ns == MMIO_SHM_WAIT_FOREVER || !timeout_ns)
		w.deadline = timeout_ns;
	else
		w.deadline = now_ns() + timeout_ns;
	ret = ioctl(fd, MMIO_SHM_IOC_WAIT, &w);
	if (cur_seq)
		*cur_seq = w.cur_seq;
	return ret;
}

/* the buffer size as the device reports it, or 0 */
static inline size_t shm_size(int fd)
{
	struct mmio_shm_info_args info;

	if (shm_info(fd, &info))
		return 0;
	return info.buf_size;
}

/*
 * Reads /sys/class/misc/<dev>/<attr> as a number; returns -1 when it cannot.
 * dev is the node name without /dev/.
 */
static inline long long sysfs_read_num(const char *dev, const char *attr)
{
	char path[256], buf[64];
	long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/%s", dev, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld", &v) != 1)
		return -1;
	return v;
}

static inline const char *shm_dev_name(void)
{
	const char *p = shm_dev_path();
	const char *slash = strrchr(p, '/');

	return slash ? slash + 1 : p;
}

/* fork() a child that gets SIGKILL if the test process dies first */
static inline pid_t fork_child(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/* waits for a child; returns its exit status, or 128 + signal */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * True once @pid sleeps (state S) inside system call @nr, as
 * /proc/PID/syscall shows; false if it exits or has not slept there
 * within @timeout_ms. Where that file cannot be read, a sleeping task is
 * taken as sleeping in the call.
 */
static inline int wait_blocked_in(pid_t pid, long nr, unsigned int timeout_ms)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	char path[64], buf[256];

	for (; now_ns() < end; usleep(1000)) {
		char *p, state;
		long seen;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			return 0;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (!p || sscanf(p, ") %c", &state) != 1)
			continue;
		if (state == 'Z' || state == 'X')
			return 0;
		if (state != 'S')
			continue;

		snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
		f = fopen(path, "r");
		if (!f)
			return 1;
		seen = -2;
		if (fscanf(f, "%ld", &seen) != 1)
			seen = -2;
		fclose(f);
		if (seen == nr)
			return 1;
	}
	return 0;
}

/* the module's name, as /sys/module and delete_module() know it */
#define MODNAME "mmio_shm"

/* loads the module MMIO_SHM_KO names with @params: 0 or -errno */
static inline int module_load(const char *params)
{
	const char *ko = getenv("MMIO_SHM_KO");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret ? -errno : 0;
}

/* unloads the module without waiting for its users: 0 or -errno */
static inline int module_unload(void)
{
	return syscall(SYS_delete_module, MODNAME, O_NONBLOCK) ? -errno : 0;
}

static inline bool module_loaded(void)
{
	return access("/sys/module/" MODNAME, F_OK) == 0;
}

/* kB of a /proc/meminfo field, or -1 */
static inline long meminfo_kb(const char *field)
{
	char line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			v = atol(line + flen + 1);
			break;
		}
	fclose(f);
	return v;
}

/* true when the running kernel is older than major.minor */
static inline int kernel_older_than(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma < major || (ma == major && mi < minor);
}

/* runs a shell command; returns its exit status, or -1 */
static inline int run_cmd(const char *cmd)
{
	int status = system(cmd);

	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Loads a module of the guest's kernel (@args: its name, then parameters):
 * `modprobe`, or, in a guest whose kernel's modules are not under
 * /lib/modules, `modprobe -d $MMIO_SHM_MODROOT` (default:
 * $MMIO_SHM_BUILD/guest-modules, where tests/provision/kernels.sh copies
 * the importers' modules for 5.10, 6.12 and 7.2). ROOT's index files are
 * copied to /tmp first: a 5.10 guest reads files of the 9p root short (kmod
 * then finds no module in modules.dep.bin); the modules themselves load
 * from there. Returns modprobe's exit status, or -1.
 */
static inline int guest_modprobe(const char *args)
{
	const char *root = getenv("MMIO_SHM_MODROOT");
	const char *build = getenv("MMIO_SHM_BUILD");
	char cmd[1280], dflt[512];

	snprintf(cmd, sizeof(cmd), "modprobe %s >/dev/null 2>&1", args);
	if (!run_cmd(cmd))
		return 0;
	if (!root && build) {
		snprintf(dflt, sizeof(dflt), "%s/guest-modules", build);
		root = dflt;
	}
	if (!root)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "r=$(uname -r); t=$(mktemp -d) && mkdir -p $t/lib/modules/$r && "
		 "cp '%s'/lib/modules/$r/modules.* $t/lib/modules/$r/ && "
		 "ln -s '%s'/lib/modules/$r/kernel $t/lib/modules/$r/kernel && "
		 "modprobe -d $t %s >/dev/null 2>&1", root, root, args);
	return run_cmd(cmd);
}

#endif /* MMIO_SHM_TEST_HELPERS_H */
