// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls: INFO reports the device, RESIZE changes the size only while
 * nothing is mapped and zero-fills what it adds, ZERO clears the buffer.
 * Every bad argument gets its own errno: an unknown command ENOTTY, a bad
 * pointer EFAULT, bad sizes, flags and reserved fields EINVAL or E2BIG.
 * Structs grow as the UAPI header says: a longer one from a newer program
 * is accepted with a zero tail and told in @size how much was filled; the
 * first published size is accepted by every kernel, which writes nothing
 * past it (tests/shell/grown_suite.sh runs this file against a module
 * whose structs have grown, tests/shell/abi32_suite.sh as an i386 program).
 * Concurrent resize and mmap never leave a mapping reaching past the end.
 *
 * This file owns the argument rules every command shares (size, flags,
 * reserved, E2BIG, EFAULT, ENOTTY); what NOTIFY and WAIT do is
 * doorbell_test.c's, what BIND and PEER do endpoint_test.c's, what EXPORT
 * does dmabuf_test.c's, the sysfs attributes are sysfs_test.c's.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stddef.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "fixture.h"

TEST_F(dev, info_reports_the_device)
{
	struct mmio_shm_info_args info;

	ASSERT_EQ(0, shm_info(self->fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(MMIO_SHM_VERSION, info.version);
	EXPECT_EQ(0, info.buf_size % self->ps);
	EXPECT_EQ(self->size, info.buf_size);
	EXPECT_LE(1, info.nr_open);
	EXPECT_EQ(0, info.nr_maps);
	EXPECT_EQ(0, info.reserved);
}

TEST_F(dev, info_counts_open_files)
{
	struct mmio_shm_info_args a, b;
	int fd2;

	ASSERT_EQ(0, shm_info(self->fd, &a));
	fd2 = open(shm_dev_path(), O_RDONLY);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, shm_info(self->fd, &b));
	EXPECT_EQ(a.nr_open + 1, b.nr_open);
	close(fd2);
	ASSERT_EQ(0, shm_info(self->fd, &b));
	EXPECT_EQ(a.nr_open, b.nr_open);
}

TEST_F(dev, info_works_on_read_only_fd)
{
	struct mmio_shm_info_args info;
	int ro = open(shm_dev_path(), O_RDONLY);

	ASSERT_LE(0, ro);
	EXPECT_EQ(0, shm_info(ro, &info));
	EXPECT_EQ(self->size, info.buf_size);
	close(ro);
}

TEST_F(dev, info_rejects_flags_and_reserved)
{
	struct mmio_shm_info_args info;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.flags = 0;
	info.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, info_rejects_short_size)
{
	struct mmio_shm_info_args info;

	memset(&info, 0, sizeof(info));
	info.size = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.size = sizeof(info) - 8;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * The argument structs of a future interface: this one's, then fields a
 * later kernel may add. A program built against such a header sends the
 * numbers below unchanged, since they carry no size.
 */
struct future_args {
	union {
		struct mmio_shm_info_args info;
		struct mmio_shm_resize_args resize;
		struct mmio_shm_zero_args zero;
		struct mmio_shm_notify_args notify;
		struct mmio_shm_wait_args wait;
		struct mmio_shm_bind_args bind;
		struct mmio_shm_peer_args peer;
		struct mmio_shm_export_args export;
		uint32_t size;
	};
	uint64_t tail[4];
};

/*
 * every command: the size of its struct in this program, its first
 * published size, the flags it knows, and whether it writes output (and
 * with it the size it filled)
 */
static const struct {
	const char *name;
	unsigned long cmd;
	size_t size;
	size_t ver0;
	uint32_t flags;
	bool out;
} commands[] = {
	{ "INFO", MMIO_SHM_IOC_INFO, sizeof(struct mmio_shm_info_args),
	  MMIO_SHM_INFO_ARGS_SIZE_VER0, 0, true },
	{ "RESIZE", MMIO_SHM_IOC_RESIZE, sizeof(struct mmio_shm_resize_args),
	  MMIO_SHM_RESIZE_ARGS_SIZE_VER0, 0, false },
	{ "ZERO", MMIO_SHM_IOC_ZERO, sizeof(struct mmio_shm_zero_args),
	  MMIO_SHM_ZERO_ARGS_SIZE_VER0, 0, false },
	{ "NOTIFY", MMIO_SHM_IOC_NOTIFY, sizeof(struct mmio_shm_notify_args),
	  MMIO_SHM_NOTIFY_ARGS_SIZE_VER0, 0, true },
	{ "WAIT", MMIO_SHM_IOC_WAIT, sizeof(struct mmio_shm_wait_args),
	  MMIO_SHM_WAIT_ARGS_SIZE_VER0, 0, true },
	{ "BIND", MMIO_SHM_IOC_BIND, sizeof(struct mmio_shm_bind_args),
	  MMIO_SHM_BIND_ARGS_SIZE_VER0, MMIO_SHM_BIND_ANY, true },
	{ "PEER", MMIO_SHM_IOC_PEER, sizeof(struct mmio_shm_peer_args),
	  MMIO_SHM_PEER_ARGS_SIZE_VER0, 0, true },
	{ "EXPORT", MMIO_SHM_IOC_EXPORT, sizeof(struct mmio_shm_export_args),
	  MMIO_SHM_EXPORT_ARGS_SIZE_VER0,
	  MMIO_SHM_EXPORT_CLOEXEC | MMIO_SHM_EXPORT_READ_ONLY, true },
};

/* the doorbell's sequence as INFO reports it, or -1 */
static uint64_t cur_seq(int fd)
{
	struct mmio_shm_info_args info;

	if (shm_info(fd, &info))
		return (uint64_t)-1;
	return info.seq;
}

/* a valid argument for commands[i], in a struct of @size bytes */
static void future_prepare(struct future_args *a, size_t i, size_t size,
			   size_t buf_size)
{
	memset(a, 0, sizeof(*a));
	a->size = size;
	if (commands[i].cmd == MMIO_SHM_IOC_RESIZE)
		a->resize.new_size = buf_size;
	if (commands[i].cmd == MMIO_SHM_IOC_ZERO)
		a->zero.length = MMIO_SHM_ZERO_TO_END;
	/* whichever endpoint is free; PEER looks at endpoint 0 */
	if (commands[i].cmd == MMIO_SHM_IOC_BIND)
		a->bind.flags = MMIO_SHM_BIND_ANY;
	/* the first page (dmabuf_test.c owns what an export does) */
	if (commands[i].cmd == MMIO_SHM_IOC_EXPORT)
		a->export.length = page_size();
	/* seq 0 after a ring: WAIT returns at once */
}

/*
 * Closes the dma-buf a successful EXPORT returned in @a, so that it holds
 * off no RESIZE after it
 */
static void future_release(const struct future_args *a, size_t i)
{
	if (commands[i].cmd == MMIO_SHM_IOC_EXPORT && a->export.fd >= 0)
		close(a->export.fd);
}

/* the number the next open file would get */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* the first byte of @a at or past @from that is not zero, or -1 */
static long nonzero_from(const void *a, size_t from, size_t size)
{
	const uint8_t *p = a;

	for (; from < size; from++)
		if (p[from])
			return (long)from;
	return -1;
}

/*
 * The size of commands[i]'s struct in the running kernel, as the command
 * reports it when sent a longer struct with a zero tail (the struct of
 * this program for RESIZE and ZERO, which write nothing back), or 0. BIND
 * is sent on a file of its own, closed again.
 */
static size_t kernel_size(size_t i, size_t buf_size)
{
	struct future_args a;
	size_t size = commands[i].size;
	int fd, ret;

	if (!commands[i].out)
		return size;
	fd = open(shm_dev_path(), O_RDWR);
	if (fd < 0)
		return 0;
	future_prepare(&a, i, sizeof(a), buf_size);
	ret = ioctl(fd, commands[i].cmd, &a);
	/* WAIT on a doorbell never rung times out, its output written */
	if (!ret || (commands[i].cmd == MMIO_SHM_IOC_WAIT && errno == ETIMEDOUT))
		size = a.size;
	else
		size = 0;
	if (!ret)
		future_release(&a, i);
	close(fd);
	return size;
}

TEST_F(dev, numbers_carry_no_size)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		EXPECT_EQ(0, _IOC_SIZE(commands[i].cmd)) {
			TH_LOG("%s encodes a size", commands[i].name);
		}
		EXPECT_EQ(_IOC_NONE, _IOC_DIR(commands[i].cmd));
		EXPECT_EQ(MMIO_SHM_IOC_MAGIC, _IOC_TYPE(commands[i].cmd));
		EXPECT_EQ(i, _IOC_NR(commands[i].cmd));
	}
}

/*
 * A program built against a newer header sends a longer struct, its new
 * fields zero: the kernel accepts it, fills what it knows, returns in
 * @size how much that is, and leaves the rest alone, so the program can
 * tell that its new output fields were not filled.
 */
TEST_F(dev, every_command_accepts_a_longer_struct_with_zero_tail)
{
	struct future_args a;
	uint64_t seq;
	size_t i;

	seq = shm_notify(self->fd);
	ASSERT_NE((uint64_t)-1, seq);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t filled = sizeof(a);

		future_prepare(&a, i, sizeof(a), self->size);
		EXPECT_EQ(0, ioctl(self->fd, commands[i].cmd, &a)) {
			TH_LOG("%s: %s", commands[i].name, strerror(errno));
		}
		future_release(&a, i);
		if (commands[i].out) {
			/* what the kernel filled: its struct, 8-byte steps */
			filled = a.size;
			EXPECT_LE(commands[i].size, filled);
			EXPECT_GT(sizeof(a), filled) {
				TH_LOG("%s: size %zu, the caller's own", commands[i].name,
				       filled);
			}
			EXPECT_EQ(0, filled % 8);
			if (filled > commands[i].size && filled < sizeof(a))
				TH_LOG("%s: the kernel's struct is %zu bytes, longer than this program's %zu",
				       commands[i].name, filled, commands[i].size);
		} else {
			/* RESIZE and ZERO write nothing back */
			EXPECT_EQ(sizeof(a), a.size);
		}
		/* what this kernel does not know, it leaves alone */
		EXPECT_EQ(-1, nonzero_from(&a, filled, sizeof(a))) {
			TH_LOG("%s wrote past the %zu bytes it filled", commands[i].name,
			       filled);
		}
		/* and what it knows it writes back */
		if (commands[i].cmd == MMIO_SHM_IOC_NOTIFY)
			EXPECT_EQ(++seq, a.notify.seq);
		if (commands[i].cmd == MMIO_SHM_IOC_WAIT)
			EXPECT_EQ(seq, a.wait.cur_seq);
	}
	ASSERT_EQ(0, shm_info(self->fd, &a.info));
	EXPECT_EQ(self->size, a.info.buf_size);
}

/*
 * A program built against the first published header meets a kernel whose
 * structs may have grown since: each command accepts the struct of
 * MMIO_SHM_*_ARGS_SIZE_VER0 bytes and writes nothing past it, whatever
 * the kernel's own struct holds. The bytes after it are a canary.
 */
TEST_F(dev, every_command_writes_nothing_past_the_callers_size)
{
	uint8_t buf[sizeof(struct future_args) + 64];
	struct future_args a;
	size_t i, at;

	ASSERT_NE((uint64_t)-1, shm_notify(self->fd));
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		size_t ver0 = commands[i].ver0;

		future_prepare(&a, i, ver0, self->size);
		memset(buf, 0xa5, sizeof(buf));
		memcpy(buf, &a, ver0);
		EXPECT_EQ(0, ioctl(self->fd, commands[i].cmd, buf)) {
			TH_LOG("%s: %s", commands[i].name, strerror(errno));
		}
		memcpy(&a, buf, ver0);
		future_release(&a, i);
		EXPECT_EQ(ver0, a.size) {
			TH_LOG("%s: size %u", commands[i].name, a.size);
		}
		for (at = ver0; at < sizeof(buf); at++)
			if (buf[at] != 0xa5)
				break;
		EXPECT_EQ(sizeof(buf), at) {
			TH_LOG("%s wrote byte %zu of a %zu-byte struct", commands[i].name,
			       at, ver0);
		}
	}
	EXPECT_EQ(self->size, shm_size(self->fd));
}

TEST_F(dev, every_command_refuses_a_nonzero_tail_with_e2big)
{
	size_t ksize[ARRAY_SIZE(commands)];
	struct future_args a;
	uint8_t *bytes = (uint8_t *)&a;
	size_t i, j;
	uint64_t seq;

	/* where the kernel's structs end; learning it may ring (NOTIFY) */
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		ksize[i] = kernel_size(i, self->size);
		ASSERT_NE(0, ksize[i]) {
			TH_LOG("%s: %s", commands[i].name, strerror(errno));
		}
		/* a size back that covers the whole longer struct says nothing */
		ASSERT_GT(sizeof(a), ksize[i]) {
			TH_LOG("%s: size %zu back", commands[i].name, ksize[i]);
		}
	}
	seq = cur_seq(self->fd);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		/* past the kernel's struct and this program's: its first two bytes, and the last */
		size_t first = ksize[i] > offsetof(struct future_args, tail) ?
			       ksize[i] : offsetof(struct future_args, tail);
		const size_t at[] = { first, first + 1, sizeof(a) - 1 };

		for (j = 0; j < ARRAY_SIZE(at); j++) {
			future_prepare(&a, i, sizeof(a), 2 * self->size);
			bytes[at[j]] = 1;
			EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, &a));
			EXPECT_EQ(E2BIG, errno) {
				TH_LOG("%s, byte %zu", commands[i].name, at[j]);
			}
		}
	}
	/* nothing was done: no resize, no ring */
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ(seq, cur_seq(self->fd));
}

TEST_F(dev, every_command_refuses_a_short_struct_with_einval)
{
	uint64_t seq = cur_seq(self->fd);
	struct future_args a;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		/* nothing, the size field alone, a word or a byte short of VER0 */
		const size_t sizes[] = {
			0, 4, commands[i].ver0 - 8, commands[i].ver0 - 4,
			commands[i].ver0 - 1,
		};

		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			future_prepare(&a, i, sizes[j], self->size);
			EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, &a));
			EXPECT_EQ(EINVAL, errno) {
				TH_LOG("%s, size %zu", commands[i].name, sizes[j]);
			}
		}
	}
	/* nothing was done: no resize, no ring */
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ(seq, cur_seq(self->fd));
}

TEST_F(dev, every_command_refuses_unknown_flags)
{
	uint64_t seq = cur_seq(self->fd);
	struct future_args a;
	uint32_t flags[2];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		/* the lowest bit without a meaning, and the highest */
		flags[0] = ~commands[i].flags & (commands[i].flags + 1);
		flags[1] = 1u << 31;
		for (j = 0; j < ARRAY_SIZE(flags); j++) {
			future_prepare(&a, i, commands[i].size, 2 * self->size);
			/* flags is the second word of every struct */
			((uint32_t *)&a)[1] = flags[j];
			EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, &a));
			EXPECT_EQ(EINVAL, errno) {
				TH_LOG("%s, flags %#x", commands[i].name, flags[j]);
			}
		}
	}
	/* nothing was done: no resize, no ring */
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ(seq, cur_seq(self->fd));
}

TEST_F(dev, info_rejects_absurd_size)
{
	struct mmio_shm_info_args info;

	memset(&info, 0, sizeof(info));
	info.size = 1 << 20;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_INFO, &info));
	EXPECT_EQ(E2BIG, errno);
}

/* A size beyond a page is E2BIG even when every byte past the struct is 0. */
TEST_F(dev, every_command_refuses_a_size_beyond_a_page_with_e2big)
{
	uint64_t seq = cur_seq(self->fd);
	struct future_args *a;
	size_t i;

	a = calloc(1, 2 * self->ps);
	ASSERT_NE(NULL, a);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		future_prepare(a, i, self->ps + 8, 2 * self->size);
		EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, a));
		EXPECT_EQ(E2BIG, errno) {
			TH_LOG("%s", commands[i].name);
		}
	}
	free(a);
	/* nothing was done: no resize, no ring */
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ(seq, cur_seq(self->fd));
}

TEST_F(dev, bad_pointers_are_efault)
{
	void *const bad[] = { NULL, (void *)8, (void *)-4096L };
	uint64_t seq = cur_seq(self->fd);
	struct future_args *a;
	uint8_t *pages;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, bad[j]));
			EXPECT_EQ(EFAULT, errno) {
				TH_LOG("%s, %p", commands[i].name, bad[j]);
			}
		}

	pages = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	/* the size field is readable, the rest of the struct is not */
	ASSERT_EQ(0, mprotect(pages + self->ps, self->ps, PROT_NONE));
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		a = (void *)(pages + self->ps - 8);
		a->size = commands[i].size;
		((uint32_t *)a)[1] = 0;
		EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, a));
		EXPECT_EQ(EFAULT, errno) {
			TH_LOG("%s across into an unmapped page", commands[i].name);
		}
	}

	/*
	 * Readable but not writable: the copy back to the caller fails, and
	 * a command whose result cannot be returned does nothing (no ring).
	 */
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		int fd = next_fd();

		if (commands[i].cmd == MMIO_SHM_IOC_RESIZE ||
		    commands[i].cmd == MMIO_SHM_IOC_ZERO)
			continue;	/* nothing to write back */
		ASSERT_EQ(0, mprotect(pages, self->ps, PROT_READ | PROT_WRITE));
		future_prepare((void *)pages, i, commands[i].size, self->size);
		ASSERT_EQ(0, mprotect(pages, self->ps, PROT_READ));
		EXPECT_EQ(-1, ioctl(self->fd, commands[i].cmd, pages));
		EXPECT_EQ(EFAULT, errno) {
			TH_LOG("%s into read-only memory", commands[i].name);
		}
		/* an EXPORT that cannot return its fd leaves none open */
		EXPECT_EQ(fd, next_fd()) {
			TH_LOG("%s left fd %d open", commands[i].name, fd);
		}
	}
	/* nor an export alive: RESIZE works */
	EXPECT_EQ(0, shm_resize(self->fd, self->size + self->ps));
	EXPECT_EQ(0, shm_resize(self->fd, self->size));
	munmap(pages, 2 * self->ps);
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ(seq, cur_seq(self->fd));
	/* a BIND that could not report its cookie left the file unbound */
	a = calloc(1, sizeof(*a));
	ASSERT_NE(NULL, a);
	a->bind.size = sizeof(a->bind);
	a->bind.flags = MMIO_SHM_BIND_ANY;
	EXPECT_EQ(0, ioctl(self->fd, MMIO_SHM_IOC_BIND, a));
	free(a);
}

TEST_F(dev, unknown_commands_are_enotty)
{
	uint64_t seq = cur_seq(self->fd);
	char arg[64] = { 0 };
	int tiocm;
	size_t i;

	EXPECT_EQ(-1, ioctl(self->fd, _IO(MMIO_SHM_IOC_MAGIC, 99)));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(MMIO_SHM_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	/* the number after the last command, with a size */
	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MMIO_SHM_IOC_MAGIC, ARRAY_SIZE(commands),
					    struct mmio_shm_wait_args), arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR('x', 0, int), arg));
	EXPECT_EQ(ENOTTY, errno);
	/* a known number with another size or direction is another command */
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		((uint32_t *)arg)[0] = commands[i].size;
		EXPECT_EQ(-1, ioctl(self->fd, _IOWR(MMIO_SHM_IOC_MAGIC, i, char[64]), arg));
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("%s with a size", commands[i].name);
		}
		EXPECT_EQ(-1, ioctl(self->fd, _IOR(MMIO_SHM_IOC_MAGIC, i,
						   struct mmio_shm_info_args), arg));
		EXPECT_EQ(ENOTTY, errno);
		EXPECT_EQ(-1, ioctl(self->fd, _IOW(MMIO_SHM_IOC_MAGIC, i,
						   struct mmio_shm_wait_args), arg));
		EXPECT_EQ(ENOTTY, errno);
	}
	/* terminal ioctls: the device is not a tty */
	EXPECT_EQ(-1, ioctl(self->fd, 0x5401 /* TCGETS */, arg));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TIOCMGET, &tiocm));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0, isatty(self->fd));
	/* none of them did anything */
	EXPECT_EQ(self->size, shm_size(self->fd));
	EXPECT_EQ(seq, cur_seq(self->fd));
}

TEST_F(dev, resize_grow_keeps_data_and_zero_fills)
{
	size_t grown = self->size + 2 * self->ps;
	uint8_t c = 1, *p;

	ASSERT_EQ(3, pwrite(self->fd, "abc", 3, 0));
	ASSERT_EQ(3, pwrite(self->fd, "xyz", 3, self->size - 3));
	ASSERT_EQ(0, shm_resize(self->fd, grown));
	EXPECT_EQ(grown, shm_size(self->fd));
	EXPECT_EQ((off_t)grown, lseek(self->fd, 0, SEEK_END));

	p = mmap(NULL, grown, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, "abc", 3));
	EXPECT_EQ(0, memcmp(p + self->size - 3, "xyz", 3));
	for (size_t i = self->size; i < grown; i++)
		if (p[i]) {
			c = p[i];
			break;
		}
	munmap(p, grown);
	EXPECT_EQ(1, c);
	ASSERT_EQ(1, pread(self->fd, &c, 1, grown - 1));
	EXPECT_EQ(0, c);
}

TEST_F(dev, resize_shrink_keeps_prefix_and_drops_the_rest)
{
	size_t small = self->size / 2;
	uint8_t c = 1;

	ASSERT_EQ(3, pwrite(self->fd, "abc", 3, 0));
	ASSERT_EQ(1, pwrite(self->fd, "Q", 1, self->size - 1));
	ASSERT_EQ(0, shm_resize(self->fd, small));
	EXPECT_EQ(small, shm_size(self->fd));
	EXPECT_EQ(-1, pwrite(self->fd, "a", 1, small));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, small + self->ps, PROT_READ,
				   MAP_SHARED, self->fd, 0));
	/* growing again gives zeroes where the old data was */
	ASSERT_EQ(0, shm_resize(self->fd, self->size));
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->size - 1));
	EXPECT_EQ(0, c);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 1));
	EXPECT_EQ('b', c);
}

TEST_F(dev, resize_rounds_up_to_whole_pages)
{
	ASSERT_EQ(0, shm_resize(self->fd, self->ps + 1));
	EXPECT_EQ(2 * self->ps, shm_size(self->fd));
	ASSERT_EQ(0, shm_resize(self->fd, 1));
	EXPECT_EQ(self->ps, shm_size(self->fd));
}

TEST_F(dev, resize_while_mapped_is_busy)
{
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	int fd2 = open(shm_dev_path(), O_RDWR);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-1, shm_resize(self->fd, 2 * self->size));
	EXPECT_EQ(EBUSY, errno);
	/* through another fd, and after the mapping's own fd is gone */
	EXPECT_EQ(-1, shm_resize(fd2, 2 * self->size));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));
	munmap(p, self->ps);
	EXPECT_EQ(0, shm_resize(fd2, 2 * self->size));
	close(fd2);
}

TEST_F(dev, resize_while_mapped_by_a_private_mapping_is_busy)
{
	void *p = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, shm_resize(self->fd, 2 * self->size));
	EXPECT_EQ(EBUSY, errno);
	munmap(p, self->ps);
}

TEST_F(dev, resize_bad_values)
{
	struct mmio_shm_resize_args r = { .size = sizeof(r) };
	int ro;

	r.new_size = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.new_size = UINT64_MAX;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(ENOMEM, errno);
	r.new_size = (uint64_t)1 << 44;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(ENOMEM, errno);
	r.new_size = self->size;
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.size = 8;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_RESIZE, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(self->size, shm_size(self->fd));

	ro = open(shm_dev_path(), O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-1, shm_resize(ro, 2 * self->size));
	EXPECT_EQ(EBADF, errno);
	close(ro);
}

TEST_F(dev, zero_clears_the_buffer_under_a_mapping)
{
	uint8_t *p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0);
	size_t i, nonzero = 0;

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xee, self->size);
	ASSERT_EQ(0, shm_zero(self->fd));
	for (i = 0; i < self->size; i++)
		nonzero += p[i] != 0;
	EXPECT_EQ(0, nonzero);
	munmap(p, self->size);
}

TEST_F(dev, zero_needs_a_writable_fd)
{
	int ro = open(shm_dev_path(), O_RDONLY);
	char c = 0;

	ASSERT_LE(0, ro);
	ASSERT_EQ(1, pwrite(self->fd, "k", 1, 0));
	EXPECT_EQ(-1, shm_zero(ro));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ('k', c);
	close(ro);
}

static int zero_range(int fd, uint64_t offset, uint64_t length)
{
	struct mmio_shm_zero_args z = {
		.size = sizeof(z), .offset = offset, .length = length,
	};

	return ioctl(fd, MMIO_SHM_IOC_ZERO, &z);
}

TEST_F(dev, zero_range_clears_exactly_the_range)
{
	uint8_t *p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  self->fd, 0);
	size_t i, off = self->ps - 3, len = self->ps + 10, wrong = 0;

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xee, self->size);
	/* byte granular, across a page boundary */
	ASSERT_EQ(0, zero_range(self->fd, off, len));
	for (i = 0; i < self->size; i++)
		wrong += p[i] != ((i >= off && i < off + len) ? 0 : 0xee);
	EXPECT_EQ(0, wrong);
	/* from an offset to the end */
	ASSERT_EQ(0, zero_range(self->fd, self->size - 1, MMIO_SHM_ZERO_TO_END));
	EXPECT_EQ(0, p[self->size - 1]);
	EXPECT_EQ(0xee, p[self->size - 2]);
	munmap(p, self->size);
}

TEST_F(dev, zero_range_outside_the_buffer_is_einval)
{
	char c = 0;

	ASSERT_EQ(1, pwrite(self->fd, "k", 1, 0));
	EXPECT_EQ(-1, zero_range(self->fd, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, zero_range(self->fd, 0, self->size + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, zero_range(self->fd, self->size, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, zero_range(self->fd, self->size, MMIO_SHM_ZERO_TO_END));
	EXPECT_EQ(EINVAL, errno);
	/* offset + length wraps past 2^64 */
	EXPECT_EQ(-1, zero_range(self->fd, 1, UINT64_MAX - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, zero_range(self->fd, UINT64_MAX, 2));
	EXPECT_EQ(EINVAL, errno);
	/* nothing was zeroed by the refused calls */
	ASSERT_EQ(1, pread(self->fd, &c, 1, 0));
	EXPECT_EQ('k', c);
}

/*
 * Several processes map, touch the last mapped page and unmap while
 * another resizes between two sizes. A resize that slipped under a live
 * mapping would shrink the file below it: the touch would raise SIGBUS.
 */
TEST_F_TIMEOUT(dev, resize_racing_mmap_never_strands_a_mapping, 300)
{
	enum { NPROC = 3, ROUNDS = 300 };
	pid_t pids[NPROC];
	int i, busy = 0, done = 0;

	for (i = 0; i < NPROC; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = open(shm_dev_path(), O_RDWR), r;

			for (r = 0; r < ROUNDS; r++) {
				size_t sz = shm_size(fd);
				volatile uint8_t *p;

				p = mmap(NULL, sz, PROT_READ | PROT_WRITE,
					 MAP_SHARED, fd, 0);
				if (p == MAP_FAILED)
					continue;	/* shrunk meanwhile */
				p[sz - 1] = 1;
				(void)p[0];
				munmap((void *)p, sz);
				/* leave the resizer a window with nothing mapped */
				usleep(200);
			}
			_exit(0);
		}
	}
	for (i = 0; i < 4 * ROUNDS; i++) {
		int ret = shm_resize(self->fd, (i & 1) ? self->size :
						self->size / 2);

		if (ret)
			busy += errno == EBUSY;
		else
			done++;
	}
	for (i = 0; i < NPROC; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	EXPECT_EQ(4 * ROUNDS, busy + done);
	TH_LOG("resizes: %d done, %d refused busy", done, busy);
}

/*
 * write() racing a shrinking resize never puts data past the new end: a
 * writer keeps large writes to the upper half in flight while the buffer
 * shrinks to the lower half. Once the writer is stopped and the buffer
 * grown back, the upper half must read as zeroes; a write that slipped
 * past the shrink would have left its bytes there.
 */
TEST_F_TIMEOUT(dev, resize_racing_write_leaves_nothing_past_the_end, 300)
{
	size_t half = self->size / 2;
	char *buf = malloc(half);
	int i, st, dirty = 0;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(shm_dev_path(), O_RDWR);

		memset(buf, 'W', half);
		for (;;)
			(void)!pwrite(fd, buf, half, half);
	}
	for (i = 0; i < 200 && !dirty; i++) {
		size_t off;

		usleep(500);
		ASSERT_EQ(0, shm_resize(self->fd, half));
		/* a stopped task has no write in flight */
		ASSERT_EQ(0, kill(pid, SIGSTOP));
		ASSERT_EQ(pid, waitpid(pid, &st, WUNTRACED));
		ASSERT_EQ(0, shm_resize(self->fd, self->size));
		ASSERT_EQ((ssize_t)half, pread(self->fd, buf, half, half));
		for (off = 0; off < half; off++)
			if (buf[off]) {
				dirty = 1;
				TH_LOG("round %d: byte %zu past the end is %#x",
				       i, half + off, buf[off]);
				break;
			}
		ASSERT_EQ(0, kill(pid, SIGCONT));
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(buf);
	EXPECT_EQ(0, dirty);
	EXPECT_EQ(self->size, shm_size(self->fd));
}


/* a size large enough that bringing its pages in takes a while under QEMU */
static uint64_t large_size(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);

	/* a third of RAM: within the default cap of half of RAM */
	return (uint64_t)(pages / 3) * page_size();
}

/*
 * Forks a child that resizes @fd to @size; returns its pid once the child
 * is about to enter the ioctl, and a little later, when it is bringing
 * pages in.
 */
static pid_t resize_in_child(int fd, uint64_t size)
{
	int pipefd[2];
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return -1;
	pid = fork_child();
	if (!pid) {
		close(pipefd[0]);
		close(pipefd[1]);
		_exit(shm_resize(fd, size) ? errno : 0);
	}
	close(pipefd[1]);
	/* EOF: the child closed its end right before the ioctl */
	if (pid > 0 && read(pipefd[0], &c, 1) != 0)
		pid = -1;
	close(pipefd[0]);
	usleep(20 * 1000);
	return pid;
}

/* true while @pid has not exited */
static bool still_running(pid_t pid)
{
	siginfo_t si = { 0 };

	return !waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
	       si.si_pid == 0;
}

/*
 * SIGKILL ends a resize while it brings pages in: the buffer keeps its
 * old size and contents, the memory is given back to the account, and the
 * device works on (a later resize to the same size succeeds).
 */
TEST_F_TIMEOUT(dev, killed_resize_leaves_the_buffer_as_it_was, 300)
{
	uint64_t big = large_size();
	char c = 0;
	pid_t pid;

	ASSERT_EQ(1, pwrite(self->fd, "k", 1, self->size - 1));
	pid = resize_in_child(self->fd, big);
	ASSERT_LT(0, pid);
	/* the resize was still bringing pages in when the signal came */
	ASSERT_TRUE(still_running(pid));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, wait_child(pid));

	EXPECT_EQ(self->size, shm_size(self->fd));
	ASSERT_EQ(1, pread(self->fd, &c, 1, self->size - 1));
	EXPECT_EQ('k', c);
	EXPECT_EQ(0, pread(self->fd, &c, 1, self->size));
	/* the killed resize gave its bytes back: the same size fits again */
	EXPECT_EQ(0, shm_resize(self->fd, big));
	EXPECT_EQ(big, shm_size(self->fd));
}

/*
 * mmap() is not held up by a resize that brings pages in: it returns (and
 * may be refused with nothing mapped only if the resize already finished)
 * while the resizer is still inside its ioctl.
 */
TEST_F_TIMEOUT(dev, mmap_does_not_wait_for_a_growing_resize, 300)
{
	uint64_t big = large_size();
	void *p;
	pid_t pid;

	pid = resize_in_child(self->fd, big);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(still_running(pid));

	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* the resizer had not finished when mmap() returned */
	EXPECT_TRUE(still_running(pid));
	/* and now that something maps the buffer, the resize is refused */
	EXPECT_EQ(EBUSY, wait_child(pid));
	EXPECT_EQ(self->size, shm_size(self->fd));
	munmap(p, self->ps);
}

TEST_HARNESS_MAIN
