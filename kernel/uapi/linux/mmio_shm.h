/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmio_shm - user-space API of the shared-memory character device
 *
 * How the interface grows:
 *
 *  - Every ioctl number is size-free, _IO(MMIO_SHM_IOC_MAGIC, nr): the
 *    number never changes when its argument struct grows, so a program
 *    built against a newer, longer struct still reaches the command here.
 *  - Every argument struct starts with @size, the caller's sizeof() of the
 *    struct, and has a first published size, MMIO_SHM_<CMD>_ARGS_SIZE_VER0.
 *    Structs only grow, by fields appended at the end. The kernel accepts
 *    any @size from the first published one up to a page (EINVAL below it,
 *    E2BIG above a page), as openat2(2) and clone3(2) do:
 *      - a struct shorter than the kernel's (an older program): the fields
 *        it lacks are taken as zero, which keeps their old behaviour;
 *      - a longer one (a newer program on an older kernel): the bytes the
 *        kernel does not know must be zero, E2BIG otherwise;
 *      - output is written only up to the smaller of the two sizes, never
 *        past the caller's struct.
 *  - Since interface 1.2, a command that writes output (every one but
 *    RESIZE and ZERO) sets @size to the number of bytes it filled, the
 *    smaller of the two sizes, also when it fails after writing output
 *    (WAIT's ETIMEDOUT). An output field that ends past the returned @size
 *    was not filled: the kernel does not know it, and the caller's value
 *    is left as it was. A 1.1 kernel returned the caller's own @size.
 *  - Every @flags bit without a meaning here and every @reserved field
 *    must be zero (EINVAL), so they can gain a meaning later.
 *  - The 32-bit rule: fields are naturally aligned __u32/__u64, padding is
 *    explicit (a @reserved word), and every struct's size is a multiple of
 *    8, so i386 and x86-64 callers share one layout and no compat
 *    translation is needed. A __u32 appended after a __u64 comes with a
 *    __u32 of padding. The module checks sizes at build time (BUILD_BUG_ON
 *    in kernel/args.h), the project's tests the layout under -m32 and -m64
 *    (tests/selftests/uapi_layout.c: _Static_assert, -Wpadded).
 *  - New behaviour gets a new flag, field or command; existing ones never
 *    change meaning.
 */
#ifndef _UAPI_LINUX_MMIO_SHM_H
#define _UAPI_LINUX_MMIO_SHM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Interface version reported by MMIO_SHM_IOC_INFO: major << 16 | minor.
 * The minor grows when commands, flags or fields are added. 1.1 added
 * BIND and PEER; 1.2 the @size written back (see above); 1.3 EXPORT.
 */
#define MMIO_SHM_VERSION_MAJOR	1
#define MMIO_SHM_VERSION_MINOR	3
#define MMIO_SHM_VERSION \
	((MMIO_SHM_VERSION_MAJOR << 16) | MMIO_SHM_VERSION_MINOR)

/*
 * For the project's tests only, never defined otherwise: a module built
 * with MMIO_SHM_TEST_GROW (make MMIO_SHM_TEST_GROW=1) plays a later
 * interface in which every argument struct has grown by one __u64 output
 * field at its end, which the kernel sets to MMIO_SHM_TEST_GROWN_VALUE;
 * tests/shell/grown_suite.sh runs today's programs against it.
 */
#ifdef MMIO_SHM_TEST_GROW
#define MMIO_SHM_TEST_GROWN_VALUE	0x6e776f7267ULL
#endif

/**
 * struct mmio_shm_info_args - argument of MMIO_SHM_IOC_INFO
 * @size:      in: sizeof(struct mmio_shm_info_args); out: the bytes the
 *             kernel filled (since 1.2, see above)
 * @flags:     in: must be 0
 * @buf_size:  out: buffer size in bytes (a whole number of pages)
 * @seq:       out: doorbell sequence number
 * @version:   out: MMIO_SHM_VERSION of the running module
 * @nr_open:   out: open file descriptions of this device
 * @nr_maps:   out: live mappings (VMAs) of this device's buffer
 * @reserved:  must be 0
 */
struct mmio_shm_info_args {
	__u32 size;
	__u32 flags;
	__u64 buf_size;
	__u64 seq;
	__u32 version;
	__u32 nr_open;
	__u32 nr_maps;
	__u32 reserved;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_INFO_ARGS_SIZE_VER0	40

/**
 * struct mmio_shm_resize_args - argument of MMIO_SHM_IOC_RESIZE
 * @size:      in: sizeof(struct mmio_shm_resize_args)
 * @flags:     in: must be 0
 * @new_size:  in: new buffer size in bytes, not 0, rounded up to whole pages
 */
struct mmio_shm_resize_args {
	__u32 size;
	__u32 flags;
	__u64 new_size;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_RESIZE_ARGS_SIZE_VER0	16

/* MMIO_SHM_IOC_ZERO length that reaches the end of the buffer */
#define MMIO_SHM_ZERO_TO_END	(~(__u64)0)

/**
 * struct mmio_shm_zero_args - argument of MMIO_SHM_IOC_ZERO
 * @size:      in: sizeof(struct mmio_shm_zero_args)
 * @flags:     in: must be 0
 * @offset:    in: first byte to zero
 * @length:    in: bytes to zero, not 0; MMIO_SHM_ZERO_TO_END for all bytes
 *             from @offset to the end. The range must lie inside the buffer.
 */
struct mmio_shm_zero_args {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 length;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_ZERO_ARGS_SIZE_VER0	24

/**
 * struct mmio_shm_notify_args - argument of MMIO_SHM_IOC_NOTIFY
 * @size:      in: sizeof(struct mmio_shm_notify_args); out: the bytes the
 *             kernel filled (since 1.2, see above)
 * @flags:     in: must be 0
 * @seq:       out: doorbell sequence number after this ring
 */
struct mmio_shm_notify_args {
	__u32 size;
	__u32 flags;
	__u64 seq;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_NOTIFY_ARGS_SIZE_VER0	16

/* MMIO_SHM_IOC_WAIT deadline that never comes */
#define MMIO_SHM_WAIT_FOREVER	(~(__u64)0)

/**
 * struct mmio_shm_wait_args - argument of MMIO_SHM_IOC_WAIT
 * @size:      in: sizeof(struct mmio_shm_wait_args); out: the bytes the
 *             kernel filled (since 1.2, see above)
 * @flags:     in: must be 0
 * @seq:       in: wait until the doorbell sequence is greater than this
 * @deadline:  in: absolute CLOCK_MONOTONIC time in nanoseconds at which
 *             the wait gives up; a time already past checks without
 *             sleeping; MMIO_SHM_WAIT_FOREVER never gives up. Being
 *             absolute, an interrupted wait is restarted as it was for a
 *             signal handler installed with SA_RESTART.
 * @cur_seq:   out: doorbell sequence number when the call returned
 */
struct mmio_shm_wait_args {
	__u32 size;
	__u32 flags;
	__u64 seq;
	__u64 deadline;
	__u64 cur_seq;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_WAIT_ARGS_SIZE_VER0	32

/* endpoints per device, numbered 0 to MMIO_SHM_MAX_ENDPOINTS - 1 */
#define MMIO_SHM_MAX_ENDPOINTS	64

/* MMIO_SHM_IOC_BIND flag: take the lowest free endpoint */
#define MMIO_SHM_BIND_ANY	0x1U

/**
 * struct mmio_shm_bind_args - argument of MMIO_SHM_IOC_BIND (since 1.1)
 * @size:      in: sizeof(struct mmio_shm_bind_args); out: the bytes the
 *             kernel filled (since 1.2, see above)
 * @flags:     in: 0 or MMIO_SHM_BIND_ANY
 * @endpoint:  in: the endpoint to take, below MMIO_SHM_MAX_ENDPOINTS
 *             (0 with MMIO_SHM_BIND_ANY); out: the endpoint taken
 * @reserved:  must be 0
 * @cookie:    out: this binding's cookie, never 0 and never given out
 *             again by this device
 *
 * Binds the open file description to an endpoint of its device until the
 * description is released: its last fd closed and its last mapping gone,
 * also when its process is killed. The release frees the endpoint and
 * rings the doorbell, so a peer sleeping in MMIO_SHM_IOC_WAIT wakes up
 * and learns from MMIO_SHM_IOC_PEER that the binding it knew is gone.
 * One endpoint per open file description: EALREADY for a second one;
 * EBUSY when the endpoint (or, with MMIO_SHM_BIND_ANY, every endpoint)
 * is bound already.
 */
struct mmio_shm_bind_args {
	__u32 size;
	__u32 flags;
	__u32 endpoint;
	__u32 reserved;
	__u64 cookie;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_BIND_ARGS_SIZE_VER0	24

/**
 * struct mmio_shm_peer_args - argument of MMIO_SHM_IOC_PEER (since 1.1)
 * @size:      in: sizeof(struct mmio_shm_peer_args); out: the bytes the
 *             kernel filled (since 1.2, see above)
 * @flags:     in: must be 0
 * @endpoint:  in: the endpoint to look at, below MMIO_SHM_MAX_ENDPOINTS
 * @reserved:  must be 0
 * @cookie:    out: the cookie of the endpoint's binding, 0 when unbound
 * @seq:       out: the doorbell sequence, read before @cookie: if @cookie
 *             is still bound, its release rings the doorbell past @seq,
 *             so MMIO_SHM_IOC_WAIT on @seq cannot sleep through it
 */
struct mmio_shm_peer_args {
	__u32 size;
	__u32 flags;
	__u32 endpoint;
	__u32 reserved;
	__u64 cookie;
	__u64 seq;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_PEER_ARGS_SIZE_VER0	32

/* MMIO_SHM_IOC_EXPORT flags: the new fd is close-on-exec */
#define MMIO_SHM_EXPORT_CLOEXEC		0x1U
/* MMIO_SHM_IOC_EXPORT flags: a dma-buf that neither CPU nor device writes */
#define MMIO_SHM_EXPORT_READ_ONLY	0x2U

/**
 * struct mmio_shm_export_args - argument of MMIO_SHM_IOC_EXPORT (since 1.3)
 * @size:      in: sizeof(struct mmio_shm_export_args); out: the bytes the
 *             kernel filled
 * @flags:     in: 0, MMIO_SHM_EXPORT_CLOEXEC, MMIO_SHM_EXPORT_READ_ONLY or
 *             both
 * @offset:    in: first byte of the range, a multiple of the page size
 * @length:    in: bytes in the range, not 0, a multiple of the page size;
 *             the range must lie inside the buffer
 * @fd:        out: the dma-buf file descriptor
 * @reserved:  must be 0
 *
 * Exports the range as a dma-buf (Documentation/driver-api/dma-buf.rst)
 * that other drivers can import and map for DMA, and that mmap(2) maps as
 * the device does. The dma-buf keeps the range's pages, and the module,
 * for as long as it lives (its last fd closed, its last mapping and its
 * last importer gone); meanwhile RESIZE fails with EBUSY.
 * The device fd must be open for reading, and for writing unless
 * MMIO_SHM_EXPORT_READ_ONLY is given (EACCES otherwise). EOPNOTSUPP: the
 * kernel was built without dma-buf (CONFIG_DMA_SHARED_BUFFER). A read-only
 * dma-buf maps only without PROT_WRITE, lets devices only read it
 * (DMA_TO_DEVICE) and is never mapped into the kernel (no vmap).
 */
struct mmio_shm_export_args {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__s32 fd;
	__u32 reserved;
#ifdef MMIO_SHM_TEST_GROW
	/* private: tests only, see MMIO_SHM_TEST_GROW */
	__u64 test_grown;
#endif
};

#define MMIO_SHM_EXPORT_ARGS_SIZE_VER0	32

/* unused in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define MMIO_SHM_IOC_MAGIC	0xe2

/* size-free numbers: the argument carries its own size (see above) */
#define MMIO_SHM_IOC_INFO	_IO(MMIO_SHM_IOC_MAGIC, 0)
#define MMIO_SHM_IOC_RESIZE	_IO(MMIO_SHM_IOC_MAGIC, 1)
#define MMIO_SHM_IOC_ZERO	_IO(MMIO_SHM_IOC_MAGIC, 2)
#define MMIO_SHM_IOC_NOTIFY	_IO(MMIO_SHM_IOC_MAGIC, 3)
#define MMIO_SHM_IOC_WAIT	_IO(MMIO_SHM_IOC_MAGIC, 4)
#define MMIO_SHM_IOC_BIND	_IO(MMIO_SHM_IOC_MAGIC, 5)
#define MMIO_SHM_IOC_PEER	_IO(MMIO_SHM_IOC_MAGIC, 6)
#define MMIO_SHM_IOC_EXPORT	_IO(MMIO_SHM_IOC_MAGIC, 7)

#endif /* _UAPI_LINUX_MMIO_SHM_H */
