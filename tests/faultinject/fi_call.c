// SPDX-License-Identifier: GPL-2.0
/*
 * fi_call - make one call into the mmio_shm module with the Nth fault
 * injection point of that call forced to fail (/proc/self/fail-nth), and
 * check what it left behind. Driven by tests/faultinject/sweep.sh, which
 * raises N until a call runs with nothing injected.
 *
 * Everything the call needs is set up first (open, a pattern written, the
 * size read), then fail-nth is armed, the one system call under test is
 * made, and fail-nth is read back: 0 means the fault was injected, a
 * positive number means the call reached fewer than N injection points.
 * The program is static and mlockall()ed so that no page fault or lazy
 * binding between arming and the call consumes an injection point.
 *
 * Usage: fi_call [-n N] DEVICE OP [ARG]
 *   OP: insmod KO [PARAMS]  finit_module() (DEVICE unused)
 *       rmmod NAME  delete_module(), never injected (DEVICE unused): the
 *              sweep loads and unloads through this static program, not
 *              through kmod's insmod and rmmod, whose libraries take long
 *              to load in the debug guest
 *       open | mmap | read | write | info | resize BYTES | zero | notify | wait
 *       | bind (BIND, then PEER and the doorbell after the file's release)
 *       use [DEVICE...]  no injection: open, map, write, read back
 *              through both, on DEVICE and on each one after "use"
 * Prints one line: "fi_call: OP nth=N injected=yes|no result=0|-ERRNO ...".
 * Exit status: 0 the call succeeded, 1 it failed cleanly (an errno), and
 * the state checks after it passed; 2 setup failed before the call; 3 a
 * check after the call failed (or the call failed with nothing injected).
 *
 * The ioctl numbers and structs come from the UAPI header only, all in the
 * "ioctls" section below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mmio_shm.h>

#define PATTERN 0x5a

static const char *op;
static unsigned int nth;
static int fail_fd = -1;
static int injected = -1;	/* -1: not armed */

static void die_setup(const char *what)
{
	printf("fi_call: %s nth=%u setup: %s: %s\n", op, nth, what,
	       strerror(errno));
	exit(2);
}

/* ---- ioctls: the only part that knows the UAPI names ---- */

static int dev_info(int fd, uint64_t *buf_size, uint64_t *seq)
{
	struct mmio_shm_info_args info = { .size = sizeof(info) };

	if (ioctl(fd, MMIO_SHM_IOC_INFO, &info))
		return -1;
	if (buf_size)
		*buf_size = info.buf_size;
	if (seq)
		*seq = info.seq;
	return 0;
}

static struct mmio_shm_resize_args resize_arg;
static struct mmio_shm_zero_args zero_arg;
static struct mmio_shm_notify_args notify_arg;
static struct mmio_shm_wait_args wait_arg;
static struct mmio_shm_info_args info_arg;
static struct mmio_shm_bind_args bind_arg;

static void prepare_resize(uint64_t bytes)
{
	resize_arg = (struct mmio_shm_resize_args){
		.size = sizeof(resize_arg),
		.new_size = bytes,
	};
}

static int do_resize(int fd)
{
	return ioctl(fd, MMIO_SHM_IOC_RESIZE, &resize_arg);
}

static int do_zero(int fd)
{
	zero_arg = (struct mmio_shm_zero_args){
		.size = sizeof(zero_arg),
		.length = MMIO_SHM_ZERO_TO_END,
	};
	return ioctl(fd, MMIO_SHM_IOC_ZERO, &zero_arg);
}

static int do_info(int fd)
{
	info_arg = (struct mmio_shm_info_args){ .size = sizeof(info_arg) };
	return ioctl(fd, MMIO_SHM_IOC_INFO, &info_arg);
}

static int do_notify(int fd)
{
	notify_arg = (struct mmio_shm_notify_args){ .size = sizeof(notify_arg) };
	return ioctl(fd, MMIO_SHM_IOC_NOTIFY, &notify_arg);
}

/*
 * a wait that returns at once: the sequence is already past @seq, and the
 * deadline (0) too
 */
static void prepare_wait(uint64_t seq)
{
	wait_arg = (struct mmio_shm_wait_args){
		.size = sizeof(wait_arg),
		.seq = seq,
		.deadline = 0,
	};
}

static int do_wait(int fd)
{
	return ioctl(fd, MMIO_SHM_IOC_WAIT, &wait_arg);
}

static int do_bind(int fd)
{
	bind_arg = (struct mmio_shm_bind_args){
		.size = sizeof(bind_arg),
		.flags = MMIO_SHM_BIND_ANY,
	};
	return ioctl(fd, MMIO_SHM_IOC_BIND, &bind_arg);
}

/* the cookie of @endpoint (0: free), and the doorbell sequence */
static int dev_peer(int fd, uint32_t endpoint, uint64_t *cookie,
		    uint64_t *seq)
{
	struct mmio_shm_peer_args peer = {
		.size = sizeof(peer),
		.endpoint = endpoint,
	};

	if (ioctl(fd, MMIO_SHM_IOC_PEER, &peer))
		return -1;
	*cookie = peer.cookie;
	*seq = peer.seq;
	return 0;
}

/* ---- fail-nth ---- */

static void arm(void)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", nth);

	if (!nth)
		return;
	if (pwrite(fail_fd, num, len, 0) != len)
		die_setup("arming /proc/thread-self/fail-nth");
}

/* read back whether the fault was injected, and disarm */
static void disarm(void)
{
	char num[16] = "";
	ssize_t len;

	if (!nth)
		return;
	len = pread(fail_fd, num, sizeof(num) - 1, 0);
	injected = len > 0 && strtoul(num, NULL, 10) == 0;
	if (pwrite(fail_fd, "0", 1, 0) != 1)
		die_setup("disarming fail-nth");
}

/* stack the calls may use, touched before mlockall() */
static void touch_stack(void)
{
	volatile char pad[256 * 1024];

	memset((char *)pad, 0, sizeof(pad));
}

static int report(long ret, int err, const char *check)
{
	printf("fi_call: %s nth=%u injected=%s result=%ld%s%s%s\n", op, nth,
	       injected < 0 ? "-" : injected ? "yes" : "no",
	       ret < 0 ? -(long)err : ret, ret < 0 ? " (" : "",
	       ret < 0 ? strerror(err) : "", ret < 0 ? ")" : "");
	if (check) {
		printf("fi_call: %s nth=%u check failed: %s\n", op, nth, check);
		return 3;
	}
	if (ret < 0 && injected != 1) {
		printf("fi_call: %s nth=%u failed with nothing injected\n", op,
		       nth);
		return 3;
	}
	return ret < 0 ? 1 : 0;
}

static int all_bytes(const unsigned char *p, size_t len, unsigned char b)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/* open, map, write, read back through the mapping and read(), unmap */
static int use(const char *dev)
{
	uint64_t size;
	unsigned char *map, *buf;
	int fd = open(dev, O_RDWR);

	if (fd < 0)
		die_setup(dev);
	if (dev_info(fd, &size, NULL))
		die_setup("INFO");
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die_setup("mmap");
	buf = malloc(size);
	if (!buf)
		die_setup("malloc");
	memset(buf, PATTERN ^ 0xff, size);
	if (pwrite(fd, buf, size, 0) != (ssize_t)size)
		die_setup("write");
	if (!all_bytes(map, size, PATTERN ^ 0xff))
		return report(0, 0, "the mapping does not see what write() wrote");
	memset(map, PATTERN, size);
	if (pread(fd, buf, size, 0) != (ssize_t)size)
		die_setup("read");
	if (!all_bytes(buf, size, PATTERN))
		return report(0, 0, "read() does not see what the mapping wrote");
	munmap(map, size);
	free(buf);
	close(fd);
	return report(0, 0, NULL);
}

static int insmod(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	long ret;
	int err;

	if (fd < 0)
		die_setup(ko);
	arm();
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	disarm();
	close(fd);
	return report(ret, err, NULL);
}

static int rmmod(const char *name)
{
	long ret = syscall(SYS_delete_module, name, O_NONBLOCK);

	return report(ret, errno, NULL);
}

int main(int argc, char **argv)
{
	const char *dev, *check = NULL;
	unsigned char *buf, *map = MAP_FAILED;
	uint64_t size, seq, seq2, size2;
	long ret = 0;
	int fd = -1, err = 0, opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		nth = strtoul(optarg, NULL, 10);
	}
	if (argc - optind < 2)
		goto usage;
	dev = argv[optind];
	op = argv[optind + 1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	fail_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_fd < 0 && nth)
		die_setup("/proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION?)");
	touch_stack();
	buf = malloc(1 << 20);
	if (!buf)
		die_setup("malloc");
	memset(buf, PATTERN, 1 << 20);
	/* no page fault between arming and the call may allocate */
	if (mlockall(MCL_CURRENT))
		die_setup("mlockall");

	if (!strcmp(op, "insmod")) {
		if (argc - optind < 3)
			goto usage;
		return insmod(argv[optind + 2],
			      argc - optind > 3 ? argv[optind + 3] : "");
	}
	if (!strcmp(op, "rmmod")) {
		if (argc - optind < 3 || nth)
			goto usage;
		return rmmod(argv[optind + 2]);
	}
	if (!strcmp(op, "use")) {
		int i;

		ret = use(dev);
		for (i = optind + 2; i < argc && !ret; i++)
			ret = use(argv[i]);
		return ret;
	}

	if (!strcmp(op, "open")) {
		arm();
		fd = open(dev, O_RDWR);
		err = errno;
		disarm();
		ret = fd < 0 ? -1 : 0;
		if (fd >= 0 && dev_info(fd, NULL, NULL))
			check = "INFO fails on the file open returned";
		if (fd >= 0)
			close(fd);
		return report(ret, err, check);
	}

	fd = open(dev, O_RDWR);
	if (fd < 0)
		die_setup("open");
	if (dev_info(fd, &size, &seq))
		die_setup("INFO");
	if (size > (1 << 20)) {
		errno = EFBIG;
		die_setup("the sweep wants a buffer of at most 1 MiB");
	}
	/* every byte of the buffer holds PATTERN before the call */
	if (pwrite(fd, buf, size, 0) != (ssize_t)size)
		die_setup("write of the pattern");

	if (!strcmp(op, "mmap")) {
		arm();
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		err = errno;
		disarm();
		ret = map == MAP_FAILED ? -1 : 0;
		if (map != MAP_FAILED) {
			if (!all_bytes(map, size, PATTERN))
				check = "the mapping does not show the buffer";
			munmap(map, size);
		}
	} else if (!strcmp(op, "read")) {
		memset(buf, 0, size);
		arm();
		ret = pread(fd, buf, size, 0);
		err = errno;
		disarm();
		if (ret >= 0 && (ret != (long)size || !all_bytes(buf, size, PATTERN)))
			check = "read() returned other bytes than the buffer holds";
	} else if (!strcmp(op, "write")) {
		memset(buf, PATTERN ^ 0xff, size);
		arm();
		ret = pwrite(fd, buf, size, 0);
		err = errno;
		disarm();
		memset(buf, 0, size);
		if (ret == (long)size &&
		    (pread(fd, buf, size, 0) != (ssize_t)size ||
		     !all_bytes(buf, size, PATTERN ^ 0xff)))
			check = "read() does not return what write() wrote";
		else if (ret >= 0 && ret != (long)size)
			check = "short write";
	} else if (!strcmp(op, "info")) {
		arm();
		ret = do_info(fd);
		err = errno;
		disarm();
		if (!ret && info_arg.buf_size != size)
			check = "INFO reports another size";
	} else if (!strcmp(op, "resize")) {
		if (argc - optind < 3)
			goto usage;
		prepare_resize(strtoull(argv[optind + 2], NULL, 0));
		arm();
		ret = do_resize(fd);
		err = errno;
		disarm();
		if (dev_info(fd, &size2, NULL))
			check = "INFO fails after RESIZE";
		else if (ret && size2 != size)
			check = "a failed RESIZE changed the size";
		else if (!ret && size2 != resize_arg.new_size)
			check = "RESIZE succeeded but the size is not the new one";
		else if (ret && (pread(fd, buf, size, 0) != (ssize_t)size ||
				 !all_bytes(buf, size, PATTERN)))
			check = "a failed RESIZE changed the contents";
		/* back to the size the sweep started with */
		prepare_resize(size);
		if (!ret && do_resize(fd) && !check)
			check = "cannot resize back";
	} else if (!strcmp(op, "zero")) {
		arm();
		ret = do_zero(fd);
		err = errno;
		disarm();
		if (!ret && (pread(fd, buf, size, 0) != (ssize_t)size ||
			     !all_bytes(buf, size, 0)))
			check = "ZERO succeeded but the buffer is not zero";
	} else if (!strcmp(op, "notify")) {
		arm();
		ret = do_notify(fd);
		err = errno;
		disarm();
		if (dev_info(fd, NULL, &seq2))
			check = "INFO fails after NOTIFY";
		else if (!ret && (seq2 != seq + 1 || notify_arg.seq != seq2))
			check = "NOTIFY did not move the sequence by one";
	} else if (!strcmp(op, "wait")) {
		if (do_notify(fd))
			die_setup("NOTIFY");
		prepare_wait(seq);
		arm();
		ret = do_wait(fd);
		err = errno;
		disarm();
		if (!ret && wait_arg.cur_seq <= seq)
			check = "WAIT returned before the sequence moved";
	} else if (!strcmp(op, "bind")) {
		int fd2 = open(dev, O_RDWR | O_CLOEXEC);
		uint64_t cookie;

		if (fd2 < 0)
			die_setup("open");
		arm();
		ret = do_bind(fd2);
		err = errno;
		disarm();
		if (!ret) {
			/* bound, and its release frees it and rings once */
			if (dev_peer(fd, bind_arg.endpoint, &cookie, &seq) ||
			    cookie != bind_arg.cookie)
				check = "PEER does not see the binding";
			close(fd2);
			if (!check && (dev_peer(fd, bind_arg.endpoint,
						&cookie, &seq2) ||
				       cookie || seq2 != seq + 1))
				check = "release left the endpoint bound or did not ring once";
		} else {
			close(fd2);
		}
	} else {
		goto usage;
	}
	if (!check && dev_info(fd, NULL, NULL))
		check = "INFO fails on the file afterwards";
	close(fd);
	return report(ret, err, check);

usage:
	fprintf(stderr, "usage: fi_call [-n N] DEVICE OP [ARG...] (see the source)\n");
	return 2;
}
