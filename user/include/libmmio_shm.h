/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmmio_shm - open, map and signal the mmio_shm shared-memory device
 *
 * Conventions, stated once for every function below:
 *  - Every function returns 0 (or a non-negative value where documented) on
 *    success and a negative errno value on failure. errno itself is left as
 *    the failing system call set it, but callers need not look at it.
 *  - Results are passed through out-parameters, never as returned pointers.
 *  - A NULL handle or a NULL required out-parameter gives -EINVAL.
 *  - The library keeps no global state. One handle may be used from several
 *    threads at once; mmio_shm_close() must of course be the last call.
 *  - A handle may refer to the device (/dev/mmio_shm, /dev/mmio_shmN) or to
 *    a regular file or memfd, so programs also run where the module is not
 *    loaded. On a file, the device-only calls (mmio_shm_resize(),
 *    mmio_shm_zero(), mmio_shm_notify(), mmio_shm_wait(),
 *    mmio_shm_get_poll_fd()) return -ENOTTY.
 *  - The library's types are its own: it does not pass the kernel's ioctl
 *    structs through, so the library's ABI and the device's interface can
 *    each grow without breaking the other. Programs that want the ioctls
 *    themselves include <libmmio_shm/mmio_shm.h>, a copy of the kernel's
 *    UAPI header.
 */
#ifndef LIBMMIO_SHM_H
#define LIBMMIO_SHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* marks the public API: the library is built with -fvisibility=hidden */
#define MMIO_SHM_API __attribute__((visibility("default")))

/* the device opened when mmio_shm_open() is given no path */
#define MMIO_SHM_DEFAULT_PATH	"/dev/mmio_shm"

/* mmio_shm_open() flags */
#define MMIO_SHM_OPEN_RDONLY	0x0u	/* map and read only */
#define MMIO_SHM_OPEN_RDWR	0x1u	/* also write, resize and zero */

/* mmio_shm_map() protections, combined with | */
#define MMIO_SHM_PROT_READ	0x1u
#define MMIO_SHM_PROT_WRITE	0x2u

/* mmio_shm_wait() timeout that never expires (any negative value does) */
#define MMIO_SHM_TIMEOUT_FOREVER	(-1LL)

/* an open device or file; its fields are private to the library */
struct mmio_shm;

/**
 * struct mmio_shm_status - what mmio_shm_get_status() reports
 * @buf_size:       buffer size in bytes (a file's size for a file)
 * @seq:            doorbell sequence number (0 for a file)
 * @kernel_version: interface version of the module, major << 16 | minor;
 *                  0 for a file, which tells a file from the device
 * @nr_open:        open file descriptions of the device (0 for a file)
 * @nr_maps:        live mappings of the device's buffer (0 for a file)
 *
 * A later version of the library that reports more gets a new function,
 * so this struct keeps its size.
 */
struct mmio_shm_status {
	uint64_t buf_size;
	uint64_t seq;
	uint32_t kernel_version;
	uint32_t nr_open;
	uint32_t nr_maps;
};

/**
 * mmio_shm_open() - open the device or a file standing in for it
 * @path:  a device node, a regular file, or NULL for MMIO_SHM_DEFAULT_PATH
 * @flags: MMIO_SHM_OPEN_RDONLY or MMIO_SHM_OPEN_RDWR
 * @shmp:  receives the new handle
 *
 * A character device must be an mmio_shm device, which is checked through
 * /sys/dev/char/MAJOR:MINOR (-ENODEV otherwise). Anything that is neither a
 * character device nor a regular file (a directory, FIFO, socket) gives
 * -ENOTTY. The descriptor is opened with O_CLOEXEC.
 *
 * Ownership: the handle must be released with mmio_shm_close().
 *
 * Return: 0, or a negative errno; *shmp is untouched on failure.
 */
MMIO_SHM_API int mmio_shm_open(const char *path, unsigned int flags,
			       struct mmio_shm **shmp);

/**
 * mmio_shm_open_fd() - wrap a descriptor the caller already has
 * @fd:   an open descriptor of the device, a regular file or a memfd
 * @shmp: receives the new handle
 *
 * The access mode (read-only or read-write) is taken from @fd. The checks
 * are those of mmio_shm_open().
 *
 * Ownership: the library works on its own duplicate of @fd (close-on-exec);
 * the caller keeps @fd as it was (its file status flags, O_NONBLOCK among
 * them, are not changed) and may close it at any time. The handle must be
 * released with mmio_shm_close().
 *
 * Return: 0, or a negative errno; *shmp is untouched on failure.
 */
MMIO_SHM_API int mmio_shm_open_fd(int fd, struct mmio_shm **shmp);

/**
 * mmio_shm_close() - unmap what the handle mapped, close it and free it
 * @shm: the handle; invalid once this returns
 *
 * Every mapping still made through @shm is unmapped, so pointers into them
 * must not be used any more.
 *
 * Return: 0, or a negative errno (the handle is freed all the same).
 */
MMIO_SHM_API int mmio_shm_close(struct mmio_shm *shm);

/**
 * mmio_shm_get_fd() - the descriptor the handle works on
 * @shm: the handle
 *
 * Never fails for a valid handle. The descriptor belongs to the handle:
 * do not close it; it stays valid until mmio_shm_close().
 *
 * Return: the descriptor (>= 0), or -EINVAL for a NULL handle.
 */
MMIO_SHM_API int mmio_shm_get_fd(struct mmio_shm *shm);

/**
 * mmio_shm_get_poll_fd() - the descriptor to watch for doorbell rings
 * @shm: the handle
 *
 * poll(), select() and epoll report it readable (POLLIN) once the doorbell
 * rang after the last mmio_shm_wait() on this handle. The descriptor
 * belongs to the handle: do not close it.
 *
 * Return: the descriptor (>= 0), -ENOTTY when @shm is a file, or -EINVAL.
 */
MMIO_SHM_API int mmio_shm_get_poll_fd(struct mmio_shm *shm);

/**
 * mmio_shm_get_status() - what the device reports about itself
 * @shm: the handle
 * @st:  receives the status
 *
 * On the device this is MMIO_SHM_IOC_INFO; on a file only @buf_size is
 * known, the rest is 0.
 *
 * Return: 0, or a negative errno.
 */
MMIO_SHM_API int mmio_shm_get_status(struct mmio_shm *shm,
				     struct mmio_shm_status *st);

/**
 * mmio_shm_get_size() - the buffer (or file) size in bytes
 * @shm:  the handle
 * @size: receives the size
 *
 * Return: 0, or a negative errno.
 */
MMIO_SHM_API int mmio_shm_get_size(struct mmio_shm *shm, uint64_t *size);

/**
 * mmio_shm_map() - map the whole buffer, shared
 * @shm:    the handle
 * @prot:   MMIO_SHM_PROT_READ, optionally | MMIO_SHM_PROT_WRITE
 * @addrp:  receives the address of the mapping
 * @lengthp: receives its length (the buffer size)
 *
 * Ownership: the mapping belongs to the handle. Release it with
 * mmio_shm_unmap(), or let mmio_shm_close() do it.
 *
 * Return: 0, or a negative errno: -EINVAL for unknown @prot bits or an
 * empty buffer, -EACCES for write access through a read-only handle.
 */
MMIO_SHM_API int mmio_shm_map(struct mmio_shm *shm, unsigned int prot,
			      void **addrp, size_t *lengthp);

/**
 * mmio_shm_map_range() - map part of the buffer, shared
 * @shm:    the handle
 * @offset: where the range starts; a multiple of the page size
 * @length: how long it is; not 0, and offset + length within the buffer
 * @prot:   MMIO_SHM_PROT_READ, optionally | MMIO_SHM_PROT_WRITE
 * @addrp:  receives the address of the mapping
 *
 * Misaligned, empty and out-of-range requests are refused with -EINVAL
 * before mmap() is called. Ownership as for mmio_shm_map().
 *
 * Return: 0, or a negative errno.
 */
MMIO_SHM_API int mmio_shm_map_range(struct mmio_shm *shm, uint64_t offset,
				    size_t length, unsigned int prot,
				    void **addrp);

/**
 * mmio_shm_unmap() - undo mmio_shm_map() or mmio_shm_map_range()
 * @shm:    the handle the mapping was made through
 * @addr:   the address the map call returned
 * @length: the length it was mapped with
 *
 * Return: 0; -EINVAL when @addr is not a mapping of @shm or @length is not
 * its length; or another negative errno.
 */
MMIO_SHM_API int mmio_shm_unmap(struct mmio_shm *shm, void *addr,
				size_t length);

/**
 * mmio_shm_sync() - msync(MS_SYNC) a range of a mapping
 * @shm:    the handle the mapping was made through
 * @addr:   start of the range, page aligned, inside a mapping of @shm
 * @length: length of the range, not 0, inside the same mapping
 *
 * Return: 0; -EINVAL when the range is misaligned, empty or not inside one
 * mapping of @shm; or another negative errno.
 */
MMIO_SHM_API int mmio_shm_sync(struct mmio_shm *shm, void *addr,
			       size_t length);

/**
 * mmio_shm_resize() - change the buffer size
 * @shm:      a read-write handle of the device
 * @new_size: the new size in bytes, not 0; rounded up to whole pages
 *
 * The buffer may not be mapped by anyone, in any process.
 *
 * Return: 0, or a negative errno: -EINVAL for 0, -EBADF for a read-only
 * handle, -EBUSY while mapped, -ENOMEM beyond the limit, -ENOTTY on a file.
 */
MMIO_SHM_API int mmio_shm_resize(struct mmio_shm *shm, uint64_t new_size);

/**
 * mmio_shm_zero() - fill the whole buffer with zero bytes
 * @shm: a read-write handle of the device
 *
 * Return: 0, or a negative errno: -EBADF for a read-only handle, -ENOTTY
 * on a file.
 */
MMIO_SHM_API int mmio_shm_zero(struct mmio_shm *shm);

/**
 * mmio_shm_zero_range() - fill part of the buffer with zero bytes
 * @shm:    a read-write handle of the device
 * @offset: first byte to zero
 * @length: how many bytes, not 0; offset + length within the buffer
 *
 * Byte granular; mappings see the zeroes at once.
 *
 * Return: 0, or a negative errno: -EINVAL for an empty range or one that
 * does not lie inside the buffer, -EBADF for a read-only handle, -ENOTTY
 * on a file.
 */
MMIO_SHM_API int mmio_shm_zero_range(struct mmio_shm *shm, uint64_t offset,
				     uint64_t length);

/**
 * mmio_shm_notify() - ring the doorbell, waking every waiter
 * @shm:  the handle
 * @seqp: receives the doorbell sequence after this ring; may be NULL
 *
 * Return: 0, or a negative errno: -ENOTTY on a file.
 */
MMIO_SHM_API int mmio_shm_notify(struct mmio_shm *shm, uint64_t *seqp);

/**
 * mmio_shm_wait() - wait until the doorbell sequence exceeds @seq
 * @shm:        the handle
 * @seq:        a sequence number the caller has seen (from mmio_shm_get_status(),
 *              mmio_shm_notify() or an earlier wait)
 * @timeout_ns: 0 checks without sleeping; a negative value waits forever;
 *              otherwise a relative timeout in nanoseconds
 * @cur_seqp:   receives the sequence when the call returned; may be NULL
 *
 * Also marks the sequence as seen for mmio_shm_get_poll_fd(). The timeout
 * becomes an absolute CLOCK_MONOTONIC deadline for the kernel, so a signal
 * whose handler was installed with SA_RESTART does not end the wait early.
 *
 * Return: 0 once the sequence is greater than @seq; -ETIMEDOUT when the
 * timeout expired (at once for 0); -EINTR when a signal handler without
 * SA_RESTART ran;
 * -ENOTTY on a file; or another negative errno. *cur_seqp is set in the
 * -ETIMEDOUT and -EINTR cases too.
 */
MMIO_SHM_API int mmio_shm_wait(struct mmio_shm *shm, uint64_t seq,
			       int64_t timeout_ns, uint64_t *cur_seqp);

#ifdef __cplusplus
}
#endif

#endif /* LIBMMIO_SHM_H */
