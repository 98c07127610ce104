// SPDX-License-Identifier: GPL-2.0
/*
 * fi_call - make calls into the mmio_shm module with the Nth fault injection
 * point of a call forced to fail (/proc/thread-self/fail-nth), and check
 * what each left behind.
 *
 * One call (-n N): everything the call needs is set up first (open, a
 * pattern written, the size read), then fail-nth is armed, the one system
 * call under test is made, and fail-nth is read back: 0 means the fault was
 * injected, a positive number means the call reached fewer than N
 * injection points. The program is static and mlockall()ed so that no page
 * fault or lazy binding between arming and the call consumes an injection
 * point.
 *
 * A sweep (-s MAX), what tests/faultinject/sweep.sh runs for each path:
 * the same call with N = 1, 2, 3 ... in this one process, until a call runs
 * with nothing injected. After each call:
 *   - a failed load left nothing registered (no /sys/module/mmio_shm, no
 *     /dev/mmio_shm*, no misc class device); that the module loads again
 *     is the next call's to show: it is a load with one more injection
 *     point to pass, and one stopped early by what the failed one left
 *     is a call that failed with nothing injected (a bad call); the last
 *     call, which loads with nothing injected, gets the checks below;
 *   - after any other call, no open file or mapping is left counted
 *     (sysfs open_files and mappings of the first device);
 *   - every device opens, maps, writes and reads back;
 *   - the module unloads (nothing holds it), leaves nothing behind, and
 *     loads again for the next call;
 *   - the kernel log the call wrote (read through /dev/kmsg, appended to
 *     the -L file under a "=== PATH nth=N" line) has no report matching
 *     the extended regular expression $SPLAT_REPORT (tests/runner/splat.sh)
 *     beyond the injection's own stack dump, and that dump, when there is
 *     one, tells whether the failed allocation came from mmio_shm's code.
 * A sweep prints "# PATH nth=N: what went wrong" for each bad call, then
 * "fi_call: sweep PATH calls=C injected=I logged=L reached=R bad=B
 * done=yes|no"; "done=no" means MAX calls all had a fault injected, or the
 * module could not be brought back, and the sweep stopped.
 *
 * Usage: fi_call [-n N] DEVICE OP [ARG...]
 *        fi_call -s MAX -k KO -p PARAMS -D DEVICES -L KLOG DEVICE OP [ARG...]
 *   OP: insmod KO [PARAMS]  finit_module() (DEVICE unused; in a sweep,
 *              -k KO with "PARAMS devices=DEVICES")
 *       open | mmap | read | write | info | resize BYTES | zero | notify | wait
 *       | bind (BIND, then PEER and the doorbell after the file's release)
 *       | export (EXPORT of the whole buffer; the dma-buf is mapped, RESIZE
 *         must be refused while it lives and allowed once it is closed)
 *   A sweep loads the module between calls with "PARAMS devices=1", except
 *   for OP insmod.
 * One call prints one line: "fi_call: OP nth=N injected=yes|no result=0|-ERRNO
 * ...". Exit status: 0 the call succeeded, 1 it failed cleanly (an errno),
 * and the state checks after it passed; 2 setup failed before the call; 3 a
 * check after the call failed (or the call failed with nothing injected).
 * A sweep exits 0 when it is done with no bad call, 1 otherwise.
 *
 * The ioctl numbers and structs come from the UAPI header only, all in the
 * "ioctls" section below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mmio_shm.h>

#define PATTERN 0x5a
#define BUF_MAX (1u << 20)	/* the largest buffer a call is made on */
#define MSG_MAX 512
#define MODULE_NAME "mmio_shm"
#define DEV_BASE "/dev/mmio_shm"
#define SYSFS_DEV "/sys/class/misc/mmio_shm"
#define MAX_DEVICES 32	/* the module's limit: the names leftovers() checks */
#define BAD_IN_A_ROW_MAX 20	/* a sweep stops after as many */

/* what one program run needs: set up once, before mlockall() */
struct fi {
	const char *dev;	/* the first device node */
	const char *op;
	char **args;		/* the words after OP */
	int nargs;
	unsigned int nth;	/* 0: nothing armed */
	int fail_fd;		/* /proc/thread-self/fail-nth */
	unsigned char *buf;	/* BUF_MAX bytes, locked: the calls' data */
	unsigned char *scratch;	/* BUF_MAX bytes: what the checks read */
	/* a sweep's */
	const char *ko;
	const char *params;
	unsigned int devices;
	int kmsg;		/* /dev/kmsg, read from where the sweep began */
	FILE *klog;		/* every call's kernel log, appended */
	regex_t splat;		/* $SPLAT_REPORT */
	char *log;		/* the last call's kernel log */
	size_t log_len, log_cap;
};

/* one call: its result and what the checks around it found */
struct outcome {
	long ret;		/* < 0: failed with err */
	int err;
	int injected;		/* -1: not armed */
	int status;		/* the exit status of a one-call run */
	char check[MSG_MAX];	/* the first thing that went wrong, or "" */
};

static void set_check(struct outcome *o, const char *fmt, ...)
{
	va_list ap;

	if (o->check[0])
		return;
	va_start(ap, fmt);
	vsnprintf(o->check, sizeof(o->check), fmt, ap);
	va_end(ap);
}

/* setup failed before the call: no result, status 2 */
static int setup_failed(struct outcome *o, const char *what)
{
	set_check(o, "setup: %s: %s", what, strerror(errno));
	o->status = 2;
	return -1;
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

static int dev_resize(int fd, struct mmio_shm_resize_args *arg, uint64_t bytes)
{
	*arg = (struct mmio_shm_resize_args){
		.size = sizeof(*arg),
		.new_size = bytes,
	};
	return ioctl(fd, MMIO_SHM_IOC_RESIZE, arg);
}

static int dev_zero(int fd, struct mmio_shm_zero_args *arg)
{
	*arg = (struct mmio_shm_zero_args){
		.size = sizeof(*arg),
		.length = MMIO_SHM_ZERO_TO_END,
	};
	return ioctl(fd, MMIO_SHM_IOC_ZERO, arg);
}

static int dev_info_args(int fd, struct mmio_shm_info_args *arg)
{
	*arg = (struct mmio_shm_info_args){ .size = sizeof(*arg) };
	return ioctl(fd, MMIO_SHM_IOC_INFO, arg);
}

static int dev_notify(int fd, struct mmio_shm_notify_args *arg)
{
	*arg = (struct mmio_shm_notify_args){ .size = sizeof(*arg) };
	return ioctl(fd, MMIO_SHM_IOC_NOTIFY, arg);
}

/*
 * a wait that returns at once: the sequence is already past @seq, and the
 * deadline (0) too
 */
static int dev_wait(int fd, struct mmio_shm_wait_args *arg, uint64_t seq)
{
	*arg = (struct mmio_shm_wait_args){
		.size = sizeof(*arg),
		.seq = seq,
		.deadline = 0,
	};
	return ioctl(fd, MMIO_SHM_IOC_WAIT, arg);
}

static int dev_bind(int fd, struct mmio_shm_bind_args *arg)
{
	*arg = (struct mmio_shm_bind_args){
		.size = sizeof(*arg),
		.flags = MMIO_SHM_BIND_ANY,
	};
	return ioctl(fd, MMIO_SHM_IOC_BIND, arg);
}

/* the whole buffer of @size as a read-only dma-buf */
static int dev_export(int fd, struct mmio_shm_export_args *arg, uint64_t size)
{
	*arg = (struct mmio_shm_export_args){
		.size = sizeof(*arg),
		.flags = MMIO_SHM_EXPORT_CLOEXEC | MMIO_SHM_EXPORT_READ_ONLY,
		.length = size,
	};
	return ioctl(fd, MMIO_SHM_IOC_EXPORT, arg);
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

static int arm(struct fi *fi, struct outcome *o)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", fi->nth);

	o->injected = -1;
	if (!fi->nth)
		return 0;
	if (pwrite(fi->fail_fd, num, len, 0) != len)
		return setup_failed(o, "arming /proc/thread-self/fail-nth");
	return 0;
}

/* read back whether the fault was injected, and disarm */
static void disarm(struct fi *fi, struct outcome *o)
{
	char num[16] = "";
	ssize_t len;

	if (!fi->nth)
		return;
	len = pread(fi->fail_fd, num, sizeof(num) - 1, 0);
	o->injected = len > 0 && strtoul(num, NULL, 10) == 0;
	if (pwrite(fi->fail_fd, "0", 1, 0) != 1)
		setup_failed(o, "disarming fail-nth");
}

/* the system call's result, taken right after it, before disarm() */
static void result(struct outcome *o, long ret)
{
	o->ret = ret;
	o->err = ret < 0 ? errno : 0;
}

/* stack the calls may use, touched before mlockall() */
static void touch_stack(void)
{
	volatile char pad[256 * 1024];

	memset((char *)pad, 0, sizeof(pad));
}

/* the exit status of a one-call run, from the outcome */
static void conclude(struct outcome *o)
{
	if (o->status == 2)
		return;
	if (!o->check[0] && o->ret < 0 && o->injected != 1)
		set_check(o, "failed with nothing injected");
	o->status = o->check[0] ? 3 : o->ret < 0 ? 1 : 0;
}

static int describe(const struct fi *fi, const struct outcome *o, char *s,
		    size_t len)
{
	return snprintf(s, len, "fi_call: %s nth=%u injected=%s result=%ld%s%s%s%s%s",
			fi->op, fi->nth,
			o->injected < 0 ? "-" : o->injected ? "yes" : "no",
			o->ret < 0 ? -(long)o->err : o->ret,
			o->ret < 0 ? " (" : "",
			o->ret < 0 ? strerror(o->err) : "",
			o->ret < 0 ? ")" : "",
			o->check[0] ? "; " : "", o->check);
}

static int all_bytes(const unsigned char *p, size_t len, unsigned char b)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/* ---- the module ---- */

static int module_load(struct fi *fi, struct outcome *o, const char *ko,
		       const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return setup_failed(o, ko);
	if (arm(fi, o)) {
		close(fd);
		return -1;
	}
	ret = syscall(SYS_finit_module, fd, params, 0);
	result(o, ret);
	disarm(fi, o);
	close(fd);
	return 0;
}

static long module_unload(void)
{
	return syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK);
}

static int exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/* what a load left registered, as " PATH PATH...", into @s ("" if nothing) */
static void leftovers(char *s, size_t len)
{
	char path[64];
	unsigned int i;
	size_t used = 0;

	s[0] = '\0';
	if (exists("/sys/module/" MODULE_NAME))
		used += snprintf(s + used, len - used, " /sys/module/%s",
				 MODULE_NAME);
	for (i = 0; i < MAX_DEVICES && used < len; i++) {
		/* "%.0u" prints nothing for 0: mmio_shm, mmio_shm1, ... */
		snprintf(path, sizeof(path), DEV_BASE "%.0u", i);
		if (exists(path))
			used += snprintf(s + used, len - used, " %s", path);
		snprintf(path, sizeof(path), SYSFS_DEV "%.0u", i);
		if (exists(path) && used < len)
			used += snprintf(s + used, len - used, " %s", path);
	}
}

/* ---- the calls ---- */

/* @dev opened, with its size and doorbell sequence; -1 when setup failed */
static int open_device(struct outcome *o, const char *dev, uint64_t *size,
		       uint64_t *seq)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return setup_failed(o, dev);
	if (dev_info(fd, size, seq)) {
		setup_failed(o, "INFO");
	} else if (*size > BUF_MAX) {
		errno = EFBIG;
		setup_failed(o, "the sweep wants a buffer of at most 1 MiB");
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* open, map, write, read back through the mapping and read(), unmap */
static int use(struct fi *fi, struct outcome *o, const char *dev)
{
	uint64_t size, seq;
	unsigned char *map;
	int fd = open_device(o, dev, &size, &seq), ret = -1;

	if (fd < 0)
		return -1;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		setup_failed(o, "mmap");
		goto out;
	}
	memset(fi->scratch, PATTERN ^ 0xff, size);
	if (pwrite(fd, fi->scratch, size, 0) != (ssize_t)size)
		setup_failed(o, "write");
	else if (!all_bytes(map, size, PATTERN ^ 0xff))
		set_check(o, "%s: the mapping does not see what write() wrote",
			  dev);
	if (!o->check[0]) {
		memset(map, PATTERN, size);
		if (pread(fd, fi->scratch, size, 0) != (ssize_t)size)
			setup_failed(o, "read");
		else if (!all_bytes(fi->scratch, size, PATTERN))
			set_check(o, "%s: read() does not see what the mapping wrote",
				  dev);
	}
	munmap(map, size);
	ret = o->check[0] ? -1 : 0;
out:
	close(fd);
	return ret;
}

/* every device of the first @devices, with the names the module gives */
static int use_all(struct fi *fi, struct outcome *o, unsigned int devices)
{
	char dev[64];
	unsigned int i;

	for (i = 0; i < devices; i++) {
		snprintf(dev, sizeof(dev), "%s%.0u", fi->dev, i);
		if (use(fi, o, dev))
			return -1;
	}
	return 0;
}

static int call_open(struct fi *fi, struct outcome *o)
{
	int fd;

	if (arm(fi, o))
		return -1;
	fd = open(fi->dev, O_RDWR | O_CLOEXEC);
	result(o, fd < 0 ? -1 : 0);
	disarm(fi, o);
	if (fd >= 0) {
		if (dev_info(fd, NULL, NULL))
			set_check(o, "INFO fails on the file open returned");
		close(fd);
	}
	return 0;
}

/* the call of @op on @fd, whose buffer of @size holds PATTERN */
static int call_on_file(struct fi *fi, struct outcome *o, int fd,
			uint64_t size, uint64_t seq)
{
	const char *op = fi->op;
	unsigned char *buf = fi->buf, *map;
	union {
		struct mmio_shm_resize_args resize;
		struct mmio_shm_zero_args zero;
		struct mmio_shm_info_args info;
		struct mmio_shm_notify_args notify;
		struct mmio_shm_wait_args wait;
		struct mmio_shm_bind_args bind;
		struct mmio_shm_export_args export;
	} arg;
	struct mmio_shm_resize_args resize;
	uint64_t size2, seq2, cookie, bytes;
	int fd2;

	if (!strcmp(op, "mmap")) {
		if (arm(fi, o))
			return -1;
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		result(o, map == MAP_FAILED ? -1 : 0);
		disarm(fi, o);
		if (map != MAP_FAILED) {
			if (!all_bytes(map, size, PATTERN))
				set_check(o, "the mapping does not show the buffer");
			munmap(map, size);
		}
	} else if (!strcmp(op, "read")) {
		memset(buf, 0, size);
		if (arm(fi, o))
			return -1;
		result(o, pread(fd, buf, size, 0));
		disarm(fi, o);
		if (o->ret >= 0 &&
		    (o->ret != (long)size || !all_bytes(buf, size, PATTERN)))
			set_check(o, "read() returned other bytes than the buffer holds");
	} else if (!strcmp(op, "write")) {
		memset(buf, PATTERN ^ 0xff, size);
		if (arm(fi, o))
			return -1;
		result(o, pwrite(fd, buf, size, 0));
		disarm(fi, o);
		memset(buf, 0, size);
		if (o->ret == (long)size &&
		    (pread(fd, buf, size, 0) != (ssize_t)size ||
		     !all_bytes(buf, size, PATTERN ^ 0xff)))
			set_check(o, "read() does not return what write() wrote");
		else if (o->ret >= 0 && o->ret != (long)size)
			set_check(o, "short write");
	} else if (!strcmp(op, "info")) {
		if (arm(fi, o))
			return -1;
		result(o, dev_info_args(fd, &arg.info));
		disarm(fi, o);
		if (!o->ret && arg.info.buf_size != size)
			set_check(o, "INFO reports another size");
	} else if (!strcmp(op, "resize")) {
		if (fi->nargs < 1) {
			errno = EINVAL;
			return setup_failed(o, "resize wants BYTES");
		}
		bytes = strtoull(fi->args[0], NULL, 0);
		if (arm(fi, o))
			return -1;
		result(o, dev_resize(fd, &arg.resize, bytes));
		disarm(fi, o);
		if (dev_info(fd, &size2, NULL))
			set_check(o, "INFO fails after RESIZE");
		else if (o->ret && size2 != size)
			set_check(o, "a failed RESIZE changed the size");
		else if (!o->ret && size2 != bytes)
			set_check(o, "RESIZE succeeded but the size is not the new one");
		else if (o->ret && (pread(fd, buf, size, 0) != (ssize_t)size ||
				    !all_bytes(buf, size, PATTERN)))
			set_check(o, "a failed RESIZE changed the contents");
		/* back to the size the sweep started with */
		if (!o->ret && dev_resize(fd, &arg.resize, size))
			set_check(o, "cannot resize back");
	} else if (!strcmp(op, "zero")) {
		if (arm(fi, o))
			return -1;
		result(o, dev_zero(fd, &arg.zero));
		disarm(fi, o);
		if (!o->ret && (pread(fd, buf, size, 0) != (ssize_t)size ||
				!all_bytes(buf, size, 0)))
			set_check(o, "ZERO succeeded but the buffer is not zero");
	} else if (!strcmp(op, "notify")) {
		if (arm(fi, o))
			return -1;
		result(o, dev_notify(fd, &arg.notify));
		disarm(fi, o);
		if (dev_info(fd, NULL, &seq2))
			set_check(o, "INFO fails after NOTIFY");
		else if (!o->ret && (seq2 != seq + 1 || arg.notify.seq != seq2))
			set_check(o, "NOTIFY did not move the sequence by one");
	} else if (!strcmp(op, "wait")) {
		if (dev_notify(fd, &arg.notify))
			return setup_failed(o, "NOTIFY");
		if (arm(fi, o))
			return -1;
		result(o, dev_wait(fd, &arg.wait, seq));
		disarm(fi, o);
		if (!o->ret && arg.wait.cur_seq <= seq)
			set_check(o, "WAIT returned before the sequence moved");
	} else if (!strcmp(op, "bind")) {
		fd2 = open(fi->dev, O_RDWR | O_CLOEXEC);
		if (fd2 < 0)
			return setup_failed(o, "open");
		if (arm(fi, o)) {
			close(fd2);
			return -1;
		}
		result(o, dev_bind(fd2, &arg.bind));
		disarm(fi, o);
		if (o->ret) {
			close(fd2);
			return 0;
		}
		/* bound, and its release frees it and rings once */
		if (dev_peer(fd, arg.bind.endpoint, &cookie, &seq) ||
		    cookie != arg.bind.cookie)
			set_check(o, "PEER does not see the binding");
		close(fd2);
		if (!o->check[0] &&
		    (dev_peer(fd, arg.bind.endpoint, &cookie, &seq2) ||
		     cookie || seq2 != seq + 1))
			set_check(o, "release left the endpoint bound or did not ring once");
	} else if (!strcmp(op, "export")) {
		if (arm(fi, o))
			return -1;
		result(o, dev_export(fd, &arg.export, size));
		disarm(fi, o);
		if (!o->ret) {
			map = mmap(NULL, size, PROT_READ, MAP_SHARED,
				   arg.export.fd, 0);
			if (map == MAP_FAILED || !all_bytes(map, size, PATTERN))
				set_check(o, "the dma-buf's mapping does not show the buffer");
			if (map != MAP_FAILED)
				munmap(map, size);
			if (!dev_resize(fd, &resize, 2 * size) || errno != EBUSY)
				set_check(o, "RESIZE is not refused while the dma-buf lives");
			close(arg.export.fd);
		}
		/* the dma-buf is gone, or was never made: nothing holds the pages */
		if (dev_resize(fd, &resize, 2 * size) ||
		    dev_resize(fd, &resize, size))
			set_check(o, "RESIZE fails with no dma-buf alive: %s",
				  strerror(errno));
	} else {
		errno = EINVAL;
		return setup_failed(o, "no such OP");
	}
	return 0;
}

/* a call on an open file of the device, whose buffer holds PATTERN first */
static int call_device(struct fi *fi, struct outcome *o)
{
	uint64_t size, seq;
	int fd = open_device(o, fi->dev, &size, &seq), ret = -1;

	if (fd < 0)
		return -1;
	memset(fi->buf, PATTERN, size);
	if (pwrite(fd, fi->buf, size, 0) != (ssize_t)size) {
		setup_failed(o, "write of the pattern");
		goto out;
	}
	ret = call_on_file(fi, o, fd, size, seq);
	if (!ret && dev_info(fd, NULL, NULL))
		set_check(o, "INFO fails on the file afterwards");
out:
	close(fd);
	return ret;
}

/* the one call of fi->op, armed with fi->nth */
static void call(struct fi *fi, struct outcome *o)
{
	char params[256];

	memset(o, 0, sizeof(*o));
	o->injected = -1;
	if (!strcmp(fi->op, "insmod")) {
		if (fi->ko) {
			snprintf(params, sizeof(params), "%s devices=%u",
				 fi->params, fi->devices);
			module_load(fi, o, fi->ko, params);
		} else if (fi->nargs < 1) {
			errno = EINVAL;
			setup_failed(o, "insmod wants KO");
		} else {
			module_load(fi, o, fi->args[0],
				    fi->nargs > 1 ? fi->args[1] : "");
		}
	} else if (!strcmp(fi->op, "open")) {
		call_open(fi, o);
	} else {
		call_device(fi, o);
	}
	/* in a sweep, the load before this one was the last to fail */
	if (fi->ko && !strcmp(fi->op, "insmod") && o->status != 2 && o->ret < 0 && o->injected != 1)
		set_check(o, "failed with nothing injected: did the failed load before it leave something behind?");
	conclude(o);
}

/* ---- the sweep ---- */

/* the kernel log since the last call, into fi->log */
static void read_kmsg(struct fi *fi)
{
	char rec[8192], *text, *end;
	unsigned long long usec;
	ssize_t len;
	size_t need;

	fi->log_len = 0;
	for (;;) {
		len = read(fi->kmsg, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten before it was read */
		if (len <= 0)
			break;
		rec[len] = '\0';
		/* "PRIO,SEQ,USEC,FLAGS;TEXT\n" then " KEY=VALUE\n" lines */
		text = strchr(rec, ';');
		if (!text || sscanf(rec, "%*u,%*u,%llu", &usec) != 1)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		need = fi->log_len + strlen(text) + 32;
		if (need > fi->log_cap) {
			char *grown = realloc(fi->log, need * 2);

			if (!grown)
				break;
			fi->log = grown;
			fi->log_cap = need * 2;
		}
		fi->log_len += sprintf(fi->log + fi->log_len, "[%5llu.%06llu] %s\n",
				       usec / 1000000, usec % 1000000, text);
	}
	fi->log[fi->log_len] = '\0';
}

/*
 * a line of our own in the kernel log, through a file of its own: writes to
 * /dev/kmsg are rate-limited per open file (10 in 5 s), and the sweep's
 * file would lose most of them
 */
static void log_line(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		perror("fi_call: /dev/kmsg");
	if (fd >= 0)
		close(fd);
}

/* unload; then, unless @load is 0, load with @devices devices */
static void reload(struct fi *fi, struct outcome *o, unsigned int devices,
		   int load)
{
	struct outcome r = { 0 };
	unsigned int nth = fi->nth;
	char params[256], left[MSG_MAX];

	if (exists("/sys/module/" MODULE_NAME) && module_unload()) {
		set_check(o, "rmmod fails (%s): something still holds the module",
			  strerror(errno));
		return;
	}
	leftovers(left, sizeof(left));
	if (left[0]) {
		set_check(o, "unload left%s", left);
		return;
	}
	if (!load)
		return;
	snprintf(params, sizeof(params), "%s devices=%u", fi->params, devices);
	fi->nth = 0;
	module_load(fi, &r, fi->ko, params);
	fi->nth = nth;
	if (r.status == 2 || r.ret < 0)
		set_check(o, "cannot load the module (%s)",
			  r.check[0] ? r.check : strerror(r.err));
}

/*
 * after the call: a failed load left nothing behind (the next call loads);
 * after any other, nothing is left counted
 */
static void check_state(struct fi *fi, struct outcome *o, int insmod)
{
	static const char *const counters[] = { "open_files", "mappings" };
	char path[128], val[32], left[MSG_MAX];
	unsigned int i;
	FILE *f;

	if (insmod) {
		if (o->ret < 0) {
			leftovers(left, sizeof(left));
			if (left[0])
				set_check(o, "failed load left%s", left);
		}
		return;
	}
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		snprintf(path, sizeof(path), SYSFS_DEV "/%s", counters[i]);
		f = fopen(path, "re");
		val[0] = '\0';
		if (f) {
			if (!fgets(val, sizeof(val), f))
				val[0] = '\0';
			fclose(f);
		}
		val[strcspn(val, "\n")] = '\0';
		if (strcmp(val, "0"))
			set_check(o, "%s is '%s' after the call", counters[i], val);
	}
}

/* the call's kernel log: its injection's stack, and any other report */
static void scan_log(struct fi *fi, struct outcome *o, unsigned int *logged,
		     unsigned int *reached)
{
	static const char forced[] = "FAULT_INJECTION: forcing a failure";
	const char *log = fi->log ? fi->log : "", *stack, *end;
	regmatch_t m;

	stack = strstr(log, forced);
	if (o->injected == 1 && stack) {
		(*logged)++;
		end = strstr(stack, "</TASK>");
		if (!end)
			end = stack + strlen(stack);
		/* a frame of the module's code is "func+0x../0x.. [mmio_shm]" */
		if (memmem(stack, end - stack, "[" MODULE_NAME "]",
			   sizeof(MODULE_NAME) + 1))
			(*reached)++;
	}
	if (!regexec(&fi->splat, log, 1, &m, 0)) {
		const char *line = log + m.rm_so;

		while (line > log && line[-1] != '\n')
			line--;
		set_check(o, "kernel log: %.*s", (int)strcspn(line, "\n"), line);
	}
}

static int sweep(struct fi *fi, unsigned int max)
{
	unsigned int injected = 0, logged = 0, reached = 0, bad = 0, calls = 0;
	unsigned int bad_in_a_row = 0;
	int insmod = !strcmp(fi->op, "insmod"), done = 0, broken = 0;
	char line[2 * MSG_MAX], mark[128];
	struct outcome o;

	memset(&o, 0, sizeof(o));
	fi->nth = 0;
	reload(fi, &o, 1, !insmod);
	if (o.check[0]) {
		printf("# %s: before the sweep: %s\n", fi->op, o.check);
		broken = 1;
	}
	for (fi->nth = 1; !broken && fi->nth <= max; fi->nth++) {
		calls++;
		snprintf(mark, sizeof(mark), "mmio_shm-faultinject: %s nth=%u\n",
			 fi->op, fi->nth);
		log_line(mark);
		call(fi, &o);
		if (o.injected == 1) {
			injected++;
		} else if (o.injected == 0) {
			/* fewer than nth injection points: this path is done */
			done = 1;
		}
		if (o.status == 0 || o.status == 1) {
			check_state(fi, &o, insmod);
			/* a failed load: nothing to use, the next call loads */
			if (!o.check[0] && !(insmod && o.ret < 0))
				use_all(fi, &o, insmod ? fi->devices : 1);
			if (!o.check[0] && !(insmod && o.ret < 0))
				reload(fi, &o, 1, !insmod);
		}
		read_kmsg(fi);
		scan_log(fi, &o, &logged, &reached);
		describe(fi, &o, line, sizeof(line));
		fprintf(fi->klog, "=== %s nth=%u status=%d: %s\n%s", fi->op,
			fi->nth, o.status, line, fi->log);
		bad_in_a_row = o.check[0] ? bad_in_a_row + 1 : 0;
		if (o.check[0]) {
			bad++;
			printf("# %s nth=%u: %s\n", fi->op, fi->nth, line);
			/* a module in an unknown state: start it afresh */
			memset(&o, 0, sizeof(o));
			reload(fi, &o, 1, !insmod);
			if (o.check[0]) {
				printf("# %s nth=%u: cannot recover: %s\n",
				       fi->op, fi->nth, o.check);
				broken = 1;
			} else if (bad_in_a_row == BAD_IN_A_ROW_MAX) {
				printf("# %s: %u bad calls in a row: stopping\n",
				       fi->op, bad_in_a_row);
				broken = 1;
			}
		}
		if (done)
			break;
	}
	fflush(fi->klog);
	printf("fi_call: sweep %s calls=%u injected=%u logged=%u reached=%u bad=%u done=%s\n",
	       fi->op, calls, injected, logged, reached, bad,
	       done ? "yes" : "no");
	return done && !bad ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: fi_call [-n N] DEVICE OP [ARG...]\n"
		"       fi_call -s MAX -k KO -p PARAMS -D DEVICES -L KLOG DEVICE OP [ARG...]\n"
		"(see the source)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct fi fi = { .fail_fd = -1, .kmsg = -1, .devices = 1,
			 .params = "" };
	const char *klog = NULL, *splat = getenv("SPLAT_REPORT");
	unsigned int max = 0;
	struct outcome o = { .injected = -1 };
	char line[2 * MSG_MAX];
	int opt, err;

	while ((opt = getopt(argc, argv, "n:s:k:p:D:L:")) != -1) {
		switch (opt) {
		case 'n':
			fi.nth = strtoul(optarg, NULL, 10);
			break;
		case 's':
			max = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			fi.ko = optarg;
			break;
		case 'p':
			fi.params = optarg;
			break;
		case 'D':
			fi.devices = strtoul(optarg, NULL, 10);
			break;
		case 'L':
			klog = optarg;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind < 2)
		return usage();
	if (max && (!fi.ko || !klog || !fi.devices || fi.devices > MAX_DEVICES))
		return usage();
	fi.dev = argv[optind];
	fi.op = argv[optind + 1];
	fi.args = argv + optind + 2;
	fi.nargs = argc - optind - 2;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (max) {
		if (!splat || !*splat) {
			fprintf(stderr, "fi_call: a sweep needs SPLAT_REPORT (tests/runner/splat.sh)\n");
			return 2;
		}
		err = regcomp(&fi.splat, splat, REG_EXTENDED | REG_NEWLINE);
		if (err) {
			fprintf(stderr, "fi_call: SPLAT_REPORT does not compile (%d)\n",
				err);
			return 2;
		}
		fi.klog = fopen(klog, "ae");
		fi.kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (!fi.klog || fi.kmsg < 0 ||
		    lseek(fi.kmsg, 0, SEEK_END) < 0) {
			perror("fi_call: the kernel log (-L file, /dev/kmsg)");
			return 2;
		}
	}
	fi.fail_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fi.fail_fd < 0 && (fi.nth || max)) {
		perror("fi_call: /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION?)");
		return 2;
	}
	touch_stack();
	fi.buf = malloc(BUF_MAX);
	fi.scratch = malloc(BUF_MAX);
	fi.log_cap = 1 << 20;
	fi.log = malloc(fi.log_cap);
	if (!fi.buf || !fi.scratch || !fi.log) {
		perror("fi_call: malloc");
		return 2;
	}
	memset(fi.buf, PATTERN, BUF_MAX);
	memset(fi.scratch, PATTERN, BUF_MAX);
	memset(fi.log, 0, fi.log_cap);
	/* no page fault between arming and the call may allocate */
	if (mlockall(MCL_CURRENT)) {
		perror("fi_call: mlockall");
		return 2;
	}

	if (max)
		return sweep(&fi, max);

	call(&fi, &o);
	describe(&fi, &o, line, sizeof(line));
	puts(line);
	return o.status;
}
