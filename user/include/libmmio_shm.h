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

/* mmio_shm_export_dmabuf() flags */
#define MMIO_SHM_EXPORT_DMABUF_CLOEXEC		0x1u	/* fd close-on-exec */
#define MMIO_SHM_EXPORT_DMABUF_READ_ONLY	0x2u	/* nobody writes through it */

/**
 * mmio_shm_export_dmabuf() - hand a range of the buffer to other drivers
 * @shm:    a handle of the device, read-write unless the export is read-only
 * @offset: first byte of the range, a multiple of the page size
 * @length: bytes in the range, not 0, a multiple of the page size; the
 *          range within the buffer
 * @flags:  0, MMIO_SHM_EXPORT_DMABUF_CLOEXEC, MMIO_SHM_EXPORT_DMABUF_READ_ONLY
 *
 * Exports the range as a dma-buf (MMIO_SHM_IOC_EXPORT, mmio_shm(4),
 * "Handing the buffer to other drivers"): a V4L2 or DRM driver imports the
 * returned fd and reads or writes the buffer's pages itself, and mmap(2)
 * of it maps the range. The fd is the caller's, to close with close(2);
 * closing the handle leaves it working. While it (or a mapping or an
 * import of it) lives, mmio_shm_resize() fails with -EBUSY.
 *
 * Return: the dma-buf fd, or a negative errno: -EINVAL for a bad range or
 * unknown flags, -EACCES for a read-only handle without
 * MMIO_SHM_EXPORT_DMABUF_READ_ONLY, -ENOTTY on a file, -EOPNOTSUPP on a
 * kernel without dma-buf.
 */
MMIO_SHM_API int mmio_shm_export_dmabuf(struct mmio_shm *shm, uint64_t offset,
					uint64_t length, unsigned int flags);

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

/* mmio_shm_bind()'s index for the lowest free endpoint */
#define MMIO_SHM_ENDPOINT_ANY	(-1)

/**
 * struct mmio_shm_endpoint - a handle's binding to one of the device's
 * endpoints (libmmio_shm 1.1, kernel interface 1.1)
 * @index:  the endpoint, 0 to 63
 * @cookie: the binding's cookie: never 0, never handed out again by the
 *          device, so a new binding of the same endpoint is told apart
 */
struct mmio_shm_endpoint {
	uint32_t index;
	uint64_t cookie;
};

/**
 * mmio_shm_bind() - bind the handle to an endpoint of its device
 * @shm:   the handle, on the device
 * @index: the endpoint, 0 to 63, or MMIO_SHM_ENDPOINT_ANY for the lowest
 *         free one
 * @ep:    receives the endpoint and the binding's cookie
 *
 * The binding lasts as long as the handle's open file: when the last
 * descriptor of it is closed and its last mapping is gone (the process
 * exits, or is killed), the kernel frees the endpoint and rings the
 * doorbell, so a peer that checks with mmio_shm_peer_alive() after any
 * wake-up learns at once that the process is gone. Descriptors inherited
 * over fork() or passed to another process share the binding, as they
 * share flock() locks.
 *
 * Return: 0; -EALREADY when the handle is bound already; -EBUSY when the
 * endpoint is taken (or all are); -EINVAL for an index out of range;
 * -ENOTTY on a file, where no kernel can tell (use timeouts, or a pidfd
 * when the peer's pid is known).
 */
MMIO_SHM_API int mmio_shm_bind(struct mmio_shm *shm, int index,
			       struct mmio_shm_endpoint *ep);

/**
 * mmio_shm_peer_alive() - is a binding still in place?
 * @shm:  any handle on the same device
 * @peer: the binding, as the peer's mmio_shm_bind() reported it
 *
 * Return: 1 while the binding lasts, 0 once it was released; -EINVAL for
 * a NULL argument or a zero cookie; -ENOTTY on a file.
 */
MMIO_SHM_API int mmio_shm_peer_alive(struct mmio_shm *shm,
				     const struct mmio_shm_endpoint *peer);

/*
 * The message ring (libmmio_shm 1.1): a single-producer, single-consumer
 * queue of variable-length records laid out in a region of any shared
 * mapping (the device's buffer, a memfd, a regular file), so two processes
 * that map the same memory pass records without a system call while
 * neither has to sleep. Several producers or several consumers on one ring
 * are not supported: one thread (in any process) produces, one consumes
 * (several producers get a ring each in a fan-in: mmio_shm_fanin_init()). They may share one handle or have one each.
 *
 * Layout of a region (offsets from its start; every field native-endian):
 *
 *   0    struct mmio_shm_ring_hdr: magic, version, sizes and offsets,
 *        written by mmio_shm_ring_init() and never again
 *   128  the producer's block: uint64_t tail at +0, alone on its 64-byte
 *        line; then, on the next line, uint64_t sleeps at +64 (a ticket
 *        per sleep), uint64_t sleep_on at +72 (the head it sleeps on),
 *        uint32_t waiting at +80 (the producer sleeps for space),
 *        uint32_t sleep_how at +84 (0: on the futex, 1: on the device's
 *        doorbell), uint64_t cookie at +88 and uint32_t endpoint at +96
 *        (its binding on the device, cookie 0 when not bound), uint32_t
 *        wake at +100 (bumped before each wake-up the producer makes: the
 *        word the consumer sleeps on), uint32_t fenceless at +104 (1: the
 *        producer publishes without a full fence, so a consumer about to
 *        sleep calls membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) before
 *        its last look at tail), the rest unused; only the producer
 *        writes it
 *   256  the consumer's block: the same with head (the consumer sleeps for
 *        records); only the consumer writes it
 *   384  the data area: data_size bytes, a power of two
 *
 * head and tail count bytes ever consumed and produced; they only grow, and
 * a position's place in the data area is pos & (data_size - 1). A record is
 * an 8-byte header (uint32_t length of the payload, uint32_t flags) and the
 * payload, rounded up to 8 bytes, and always lies in one piece. When a
 * record does not fit between the tail and the end of the data area, the
 * producer first fills that rest with a padding record (flags
 * MMIO_SHM_RING_REC_PAD), which the consumer skips; the record then starts
 * at offset 0. A sleeping side waits on the other side's wake word with a
 * shared futex (so the mapping must be MAP_SHARED between processes); see
 * mmio_shm_ring(7) for the rules (docs/design.md in the source tree has the
 * whole protocol).
 *
 * Trust: the other side is untrusted. Nothing it writes into the region
 * (its position, record headers, its block's other words, the header
 * after attach) can make the library read or write outside the region:
 * each side keeps its own position in its handle and checks every word
 * it reads from the other side; what does not add up is -EPROTO, and the
 * ring is then of no further use (make a new one). A hostile peer can
 * still feed wrong payloads or stall: that is what the timeouts are for.
 *
 * Peer liveness: on the device, each side may mmio_shm_ring_bind() its
 * handle. Once both have, a side that must wait sleeps on the doorbell and
 * asks the kernel before each sleep whether the other side's binding still
 * stands; when that side's process is gone (exited, crashed or killed,
 * even in the middle of a record), the waiting call returns -EPIPE at the
 * next wake-up, which the kernel causes at once. The consumer first gets
 * every record committed before; a record reserved and never committed is
 * lost. A producer learns of a gone consumer only when it has to wait (the
 * ring is full). On a memfd or a regular file no kernel can tell: a dead
 * peer is an idle one, and only timeouts (or a pidfd on the peer's pid)
 * end the wait.
 *
 * A consumer that polls with a zero timeout never waits, so it never
 * meets -EPIPE: it asks mmio_shm_ring_peer_alive() instead. After -EPIPE
 * the ring stays as it is: a restarted peer can attach and bind again
 * (the binding names a new cookie), and the surviving handle picks it up
 * at its next wait; records the gone peer committed are still there.
 * A child forked after a bind that keeps the device open or mapped keeps
 * the binding alive (the binding belongs to the open file description,
 * which it shares): it must close and unmap the device, or the peer never
 * gets -EPIPE. mmio_shm_ring_detach() does not unbind; closing the
 * mmio_shm handle that was bound does.
 *
 * Timeouts of the ring's blocking calls: 0 does not wait (-EAGAIN when the
 * ring is full or empty), a negative value (MMIO_SHM_TIMEOUT_FOREVER) waits
 * forever, any other value is a relative timeout in nanoseconds on
 * CLOCK_MONOTONIC (-ETIMEDOUT once it expired).
 */

/* struct mmio_shm_ring_hdr's magic and version */
#define MMIO_SHM_RING_MAGIC		0x676e6972u	/* "ring" on little-endian */
#define MMIO_SHM_RING_VERSION		3u	/* sleep words off the position's */
						/* line; fenceless publication */

/* bytes before the data area: a region of OVERHEAD + 2^n bytes wastes none */
#define MMIO_SHM_RING_OVERHEAD		384u
/* the smallest and the largest data area */
#define MMIO_SHM_RING_MIN_DATA		64u
#define MMIO_SHM_RING_MAX_DATA		(1u << 31)
/* the alignment mmio_shm_ring_init() and _attach() need for @mem */
#define MMIO_SHM_RING_ALIGN		128u
/* a record header's flags: a padding record, skipped by the consumer */
#define MMIO_SHM_RING_REC_PAD		0x1u

/**
 * struct mmio_shm_ring_hdr - the first 128 bytes of a ring's region
 * @magic:       MMIO_SHM_RING_MAGIC, stored last (with release ordering)
 * @version:     MMIO_SHM_RING_VERSION
 * @region_size: bytes the ring uses from its start: data_offset + data_size
 * @tail_offset: where the producer's block is (128)
 * @head_offset: where the consumer's block is (256)
 * @data_offset: where the data area is (384)
 * @data_size:   the data area's size, a power of two from
 *               MMIO_SHM_RING_MIN_DATA to MMIO_SHM_RING_MAX_DATA
 * @flags:       0 for a ring of its own; MMIO_SHM_RING_FANIN_SLOT for a
 *               fan-in's slot (libmmio_shm 1.3), which
 *               mmio_shm_ring_attach() refuses
 * @reserved:    0
 *
 * Published so that other implementations and tools can read a ring; a
 * program using the library never needs it.
 */
struct mmio_shm_ring_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t region_size;
	uint64_t tail_offset;
	uint64_t head_offset;
	uint64_t data_offset;
	uint64_t data_size;
	uint32_t flags;
	uint32_t reserved[19];
};

/* mmio_shm_ring_bind()'s sides */
#define MMIO_SHM_RING_PRODUCER		1u
#define MMIO_SHM_RING_CONSUMER		2u

/* a process's view of a ring; its fields are private to the library */
struct mmio_shm_ring;

/**
 * mmio_shm_ring_init() - lay out a new, empty ring in a region of memory
 * @mem:   the region's start, aligned to MMIO_SHM_RING_ALIGN (a mapping's
 *         start is); usually a MAP_SHARED mapping of the device or a file
 * @len:   the region's length; the data area is the largest power of two
 *         that fits after MMIO_SHM_RING_OVERHEAD, at most
 *         MMIO_SHM_RING_MAX_DATA
 * @flags: 0
 * @ringp: receives the new handle
 *
 * Overwrites the header and both position blocks, whatever they held; no
 * other process may use the region meanwhile. The data area is not
 * touched. Other processes then mmio_shm_ring_attach() to the same memory.
 *
 * Ownership: the handle must be released with mmio_shm_ring_detach(); the
 * memory stays the caller's and must stay mapped until then.
 *
 * Return: 0, or a negative errno: -EINVAL for a NULL argument, a
 * misaligned @mem, unknown @flags or a region too small for
 * MMIO_SHM_RING_MIN_DATA; -ENOMEM.
 */
MMIO_SHM_API int mmio_shm_ring_init(void *mem, size_t len, unsigned int flags,
				    struct mmio_shm_ring **ringp);

/**
 * mmio_shm_ring_attach() - use a ring another process (or handle) laid out
 * @mem:   the region's start, aligned to MMIO_SHM_RING_ALIGN
 * @len:   the region's length, at least the header's region_size
 * @flags: 0
 * @ringp: receives the new handle
 *
 * The header is checked before anything else is read: magic, version,
 * offsets and sizes must describe the layout above and fit in @len, and
 * head and tail must be consistent. The handle keeps its own copy of what
 * it checked, so a header changed later cannot make it reach outside the
 * region.
 *
 * Ownership: as for mmio_shm_ring_init().
 *
 * Return: 0, or a negative errno: -EINVAL for a NULL argument, a
 * misaligned @mem, unknown @flags or @len shorter than a header; -EPROTO
 * when the memory does not hold a ring this library can use (bad magic,
 * unknown version, sizes or offsets wrong or outside @len, non-zero
 * flags or reserved words, head and tail inconsistent); -ENOMEM.
 */
MMIO_SHM_API int mmio_shm_ring_attach(void *mem, size_t len,
				      unsigned int flags,
				      struct mmio_shm_ring **ringp);

/**
 * mmio_shm_ring_detach() - free a ring handle
 * @ring: the handle; invalid once this returns
 *
 * The ring itself stays in memory as it is, for other handles. A pending
 * reservation is dropped (never published); a peeked record stays in the
 * ring.
 *
 * Return: 0, or -EINVAL for a NULL handle.
 */
MMIO_SHM_API int mmio_shm_ring_detach(struct mmio_shm_ring *ring);

/**
 * mmio_shm_ring_get_max_msg() - the longest record the ring can ever hold
 * @ring: the handle
 * @maxp: receives the largest payload in bytes (data_size - 8)
 *
 * Return: 0, or -EINVAL for a NULL argument.
 */
MMIO_SHM_API int mmio_shm_ring_get_max_msg(struct mmio_shm_ring *ring,
					   size_t *maxp);

/**
 * mmio_shm_ring_send() - copy one record into the ring (producer)
 * @ring:       the handle
 * @buf:        the payload; may be NULL when @len is 0
 * @len:        its length, 0 to mmio_shm_ring_get_max_msg()
 * @timeout_ns: how long to wait for space (see the timeout rule above)
 *
 * Return: 0 once the record is visible to the consumer; -EMSGSIZE when
 * @len exceeds what the ring can ever hold; -EAGAIN when @timeout_ns is 0
 * and the record does not fit now: the ring is full, or the record must
 * start over at the beginning of the data area and does not fit there
 * yet (then the call has already published the padding record up to the
 * end, which the consumer skips: calling again is always right); -ETIMEDOUT; -EINTR (see mmio_shm_ring_reserve());
 * -EBUSY while a reservation is pending; -EPROTO when the positions are
 * corrupt; -EPIPE when it had to wait and the bound consumer is gone (see
 * mmio_shm_ring_bind()); -EINVAL.
 */
MMIO_SHM_API int mmio_shm_ring_send(struct mmio_shm_ring *ring,
				    const void *buf, size_t len,
				    int64_t timeout_ns);

/**
 * mmio_shm_ring_recv() - copy the next record out of the ring (consumer)
 * @ring:       the handle
 * @buf:        where the payload goes; may be NULL when @size is 0
 * @size:       room at @buf
 * @timeout_ns: how long to wait for a record (see the timeout rule above)
 * @lenp:       receives the payload's length
 *
 * Return: 0; -EMSGSIZE when the record is longer than @size (it stays in
 * the ring and *lenp receives its length); -EAGAIN when the ring is empty
 * and @timeout_ns is 0; -ETIMEDOUT; -EINTR (see mmio_shm_ring_peek());
 * -EPROTO when the ring's contents are corrupt; -EPIPE when the ring is
 * empty and the bound producer is gone (see mmio_shm_ring_bind());
 * -EINVAL.
 */
MMIO_SHM_API int mmio_shm_ring_recv(struct mmio_shm_ring *ring, void *buf,
				    size_t size, int64_t timeout_ns,
				    size_t *lenp);

/**
 * mmio_shm_ring_reserve() - room for one record, to fill in place (producer)
 * @ring:       the handle
 * @len:        the payload length to reserve
 * @timeout_ns: how long to wait for space (see the timeout rule above)
 * @bufp:       receives where the payload goes: @len contiguous bytes in
 *              the data area, 8-byte aligned
 *
 * Nothing is visible to the consumer until mmio_shm_ring_commit(). The
 * spin-then-sleep rule: the call checks for space, spins briefly, then
 * flags itself as waiting and sleeps on a futex until the consumer frees
 * space or the timeout expires.
 *
 * Return: 0; -EMSGSIZE, -EAGAIN, -ETIMEDOUT as for mmio_shm_ring_send();
 * -EINTR when a signal handler ran while the call slept: always with a
 * finite timeout (the kernel does not restart a futex wait that has one),
 * and only for handlers without SA_RESTART when waiting forever; -EBUSY
 * when a reservation is already pending; -EPROTO; -EPIPE as for
 * mmio_shm_ring_send(); -EINVAL.
 */
MMIO_SHM_API int mmio_shm_ring_reserve(struct mmio_shm_ring *ring, size_t len,
				       int64_t timeout_ns, void **bufp);

/**
 * mmio_shm_ring_commit() - publish the reserved record (producer)
 * @ring: the handle
 * @len:  the payload length, at most what was reserved (a record may
 *        shrink, not grow)
 *
 * Wakes the consumer with a system call only if it is flagged as waiting.
 *
 * Return: 0; -EINVAL when nothing is reserved, @len exceeds the
 * reservation or @ring is NULL.
 */
MMIO_SHM_API int mmio_shm_ring_commit(struct mmio_shm_ring *ring, size_t len);

/**
 * mmio_shm_ring_peek() - the next record, read in place (consumer)
 * @ring:       the handle
 * @timeout_ns: how long to wait for a record (see the timeout rule above)
 * @bufp:       receives the payload's address in the data area; valid
 *              until mmio_shm_ring_release()
 * @lenp:       receives the payload's length
 *
 * Peeking again before mmio_shm_ring_release() returns the same record.
 * Padding records are skipped here.
 *
 * Return: 0; -EAGAIN when the ring is empty and @timeout_ns is 0;
 * -ETIMEDOUT; -EINTR as for mmio_shm_ring_reserve(); -EPROTO when a record
 * header is corrupt (a length beyond the data written, unknown flags);
 * -EPIPE as for mmio_shm_ring_recv(); -EINVAL.
 */
MMIO_SHM_API int mmio_shm_ring_peek(struct mmio_shm_ring *ring,
				    int64_t timeout_ns, const void **bufp,
				    size_t *lenp);

/**
 * mmio_shm_ring_release() - give the peeked record's space back (consumer)
 * @ring: the handle
 *
 * Wakes the producer with a system call only if it is flagged as waiting.
 *
 * Return: 0; -EINVAL when no record is peeked or @ring is NULL.
 */
MMIO_SHM_API int mmio_shm_ring_release(struct mmio_shm_ring *ring);

/**
 * mmio_shm_ring_bind() - vouch for this side's liveness through the device
 * @ring: the handle, used for @side from now on
 * @shm:  a handle on the device whose buffer holds the ring; not shared
 *        with another binding (one endpoint per open file), and kept open
 *        as long as @ring is used
 * @side: MMIO_SHM_RING_PRODUCER or MMIO_SHM_RING_CONSUMER
 *
 * Binds @shm to a free endpoint of the device (mmio_shm_bind()) and
 * writes the binding into @side's block, for the other side to check. Once
 * both sides are bound, a side that must wait sleeps on the doorbell and
 * gets -EPIPE when the other side's process is gone (see above). Only the
 * thread that does @side's work may use @ring after this; until the other
 * side is bound, waits sleep on the futex, as unbound ones do.
 *
 * Return: 0; -EALREADY when @ring or @shm is bound already; -EBUSY when
 * every endpoint of the device is taken; -ENOTTY when @shm is a file;
 * -EINVAL for a NULL argument or an unknown @side.
 */
MMIO_SHM_API int mmio_shm_ring_bind(struct mmio_shm_ring *ring,
				    struct mmio_shm *shm, unsigned int side);

/**
 * mmio_shm_ring_peer_alive() - is the other side's binding still in place?
 * @ring: the handle, bound with mmio_shm_ring_bind()
 * @side: this handle's side, as given to mmio_shm_ring_bind()
 *
 * Asks the kernel, without waiting, whether the process bound on the
 * other side still holds its binding: what a consumer that polls with a
 * zero timeout (and so never meets -EPIPE) calls when the ring stays
 * empty. One system call.
 *
 * Return: 1 when the peer is bound and alive; 0 when its binding is gone
 * (it exited, crashed or was killed); -ENOENT when this handle or the
 * other side is not bound (yet); -EPROTO when the other side's block
 * names an endpoint the device does not have; -EINVAL for a NULL @ring or
 * an unknown @side; another negative errno from the device.
 */
MMIO_SHM_API int mmio_shm_ring_peer_alive(struct mmio_shm_ring *ring,
					  unsigned int side);

/*
 * Fan-in (libmmio_shm 1.3): several producers, processes that come and
 * go, send records to one consumer, which sleeps once for all of them and
 * wakes for any. The region holds one ring per producer (a slot) and a
 * wake word they share; a producer claims a free slot, sends on it with
 * the ring's own calls, and leaves by closing its device handle (or by
 * dying); the consumer then gets every record it committed, then -EPIPE
 * for that slot alone, and the slot is free for the next producer.
 * docs/design.md says why one ring per producer rather than one ring with
 * a compare-and-swap on its tail (measured).
 *
 * Layout of a region (offsets from its start; every field native-endian):
 *
 *   0    struct mmio_shm_fanin_hdr, written by mmio_shm_fanin_init()
 *   128  uint32_t wake: bumped by a producer before it wakes the consumer
 *        (the futex word the consumer sleeps on); the rest unused
 *   256  slot 0: uint64_t owner at +0 (0: free; else the claiming
 *        producer's token: its binding's cookie on the device), the rest
 *        of 128 bytes unused; at +128 a ring (the layout above, header
 *        flags MMIO_SHM_RING_FANIN_SLOT) of slot_size - 128 bytes
 *   256 + slot_size: slot 1, and so on
 *
 * A producer claims a slot with a compare-and-swap of owner from 0; only
 * the consumer sets it back to 0, after it laid the slot's ring out anew.
 * Every word a producer writes is untrusted, as in the ring: a slot whose
 * producer writes garbage is -EPROTO for that slot, and the slot is laid
 * out anew; the other slots go on.
 *
 * Liveness: on the device, the consumer calls mmio_shm_fanin_bind() and
 * every producer joins with a device handle of its own, bound by
 * mmio_shm_fanin_join(). The consumer finds a producer's binding by its
 * token, and learns of its release (exit, crash, kill) at its next
 * sleep, or within 1024 records while others keep it busy. A producer
 * whose token names no binding is taken as gone. On a memfd or a file the
 * consumer learns of a producer's end from elsewhere (waitpid(), a pidfd)
 * and says so with mmio_shm_fanin_drop().
 */

/* struct mmio_shm_fanin_hdr's magic and version */
#define MMIO_SHM_FANIN_MAGIC		0x6e696166u	/* "fain" on little-endian */
#define MMIO_SHM_FANIN_VERSION		1u
/* a fan-in slot's ring: its header's flags (struct mmio_shm_ring_hdr) */
#define MMIO_SHM_RING_FANIN_SLOT	0x1u
/* bytes before the first slot, and a slot's bytes before its ring */
#define MMIO_SHM_FANIN_OVERHEAD		256u
#define MMIO_SHM_FANIN_SLOT_OVERHEAD	128u
/* the most slots a fan-in has (the device's endpoints less the consumer) */
#define MMIO_SHM_FANIN_MAX_SLOTS	63u

/**
 * struct mmio_shm_fanin_hdr - the first 128 bytes of a fan-in's region
 * @magic:       MMIO_SHM_FANIN_MAGIC, stored last (with release ordering)
 * @version:     MMIO_SHM_FANIN_VERSION
 * @region_size: bytes the fan-in uses: slot_offset + slots * slot_size
 * @slot_offset: where slot 0 is (MMIO_SHM_FANIN_OVERHEAD)
 * @slot_size:   bytes per slot: MMIO_SHM_FANIN_SLOT_OVERHEAD, then a ring
 *               of MMIO_SHM_RING_OVERHEAD + a power of two
 * @slots:       1 to MMIO_SHM_FANIN_MAX_SLOTS
 * @flags:       0
 * @reserved:    0
 */
struct mmio_shm_fanin_hdr {
	uint32_t magic;
	uint32_t version;
	uint64_t region_size;
	uint64_t slot_offset;
	uint64_t slot_size;
	uint32_t slots;
	uint32_t flags;
	uint32_t reserved[22];
};

/* the consumer's view of a fan-in; its fields are private to the library */
struct mmio_shm_fanin;

/**
 * mmio_shm_fanin_init() - lay out a new fan-in and be its consumer
 * @mem:   the region's start, aligned to MMIO_SHM_RING_ALIGN
 * @len:   the region's length: each slot gets an equal share, its ring the
 *         largest data area that fits (at least MMIO_SHM_RING_MIN_DATA)
 * @slots: how many producers may be joined at once, 1 to
 *         MMIO_SHM_FANIN_MAX_SLOTS
 * @flags: 0
 * @fanp:  receives the consumer's handle
 *
 * Ownership: the handle must be released with mmio_shm_fanin_detach().
 * One thread (in any process) consumes; there is one consumer per region.
 *
 * Return: 0; -EINVAL for a NULL or misaligned @mem, flags, a NULL @fanp,
 * @slots out of range or @len too small for them; -ENOMEM.
 */
MMIO_SHM_API int mmio_shm_fanin_init(void *mem, size_t len, unsigned int slots,
				     unsigned int flags,
				     struct mmio_shm_fanin **fanp);

/**
 * mmio_shm_fanin_bind() - learn of producers' deaths through the device
 * @fan: the consumer's handle
 * @shm: a handle on the device whose buffer holds the region, used for no
 *       other binding, kept open as long as @fan is used
 *
 * Binds @shm to a free endpoint and names it in every slot, so producers
 * waiting for room learn of the consumer's death too. From then on the
 * consumer sleeps on the doorbell, and each producer must join bound.
 *
 * Return: 0; -EALREADY when @fan is bound; mmio_shm_bind()'s errors
 * (-EBUSY, -ENOTTY for a file); -EINVAL for a NULL argument.
 */
MMIO_SHM_API int mmio_shm_fanin_bind(struct mmio_shm_fanin *fan,
				     struct mmio_shm *shm);

/**
 * mmio_shm_fanin_recv() - the next record from any producer (consumer)
 * @fan:        the consumer's handle
 * @buf:        where the payload goes
 * @size:       @buf's size
 * @timeout_ns: how long to wait (the ring's timeout rule)
 * @lenp:       receives the payload's length
 * @slotp:      receives the slot the record (or the error) came from
 *
 * Takes up to 64 records in a row from one slot, then turns to the next,
 * so a busy producer cannot starve the others (and a consumer freeing room
 * in several full slots wakes each producer once per 64 records, not once
 * per record). Sleeps, once for every slot, only when all are empty.
 *
 * Return: 0; -EPIPE when the producer of *@slotp is gone and every record
 * it committed was received (once; the slot is then free again);
 * -EPROTO when the producer of *@slotp wrote what it cannot have (its
 * slot is laid out anew, the others go on); -EMSGSIZE when the record is
 * longer than @size (*@lenp says how long; it stays first in its slot);
 * -EAGAIN (@timeout_ns 0), -ETIMEDOUT, -EINTR; -EINVAL.
 */
MMIO_SHM_API int mmio_shm_fanin_recv(struct mmio_shm_fanin *fan, void *buf,
				     size_t size, int64_t timeout_ns,
				     size_t *lenp, unsigned int *slotp);

/**
 * mmio_shm_fanin_drop() - say that a slot's producer is gone (consumer)
 * @fan:  the consumer's handle
 * @slot: the slot, as mmio_shm_fanin_recv() reported it
 *
 * For a fan-in on a memfd or a file, where no kernel tells: the
 * consumer's next mmio_shm_fanin_recv() calls deliver what the producer
 * committed, then -EPIPE for @slot, which is then free again.
 *
 * Return: 0; -ENOENT when no producer holds @slot; -EINVAL.
 */
MMIO_SHM_API int mmio_shm_fanin_drop(struct mmio_shm_fanin *fan,
				     unsigned int slot);

/**
 * mmio_shm_fanin_detach() - free the consumer's handle
 * @fan: the handle; invalid once this returns
 *
 * Return: 0; -EINVAL for a NULL @fan.
 */
MMIO_SHM_API int mmio_shm_fanin_detach(struct mmio_shm_fanin *fan);

/**
 * mmio_shm_fanin_join() - claim a free slot of a fan-in (producer)
 * @mem:   the region's start, aligned to MMIO_SHM_RING_ALIGN
 * @len:   the mapping's length from @mem
 * @shm:   on the device, a handle of this producer's own, not bound yet:
 *         it is bound here, and closing it (or dying) leaves the slot;
 *         NULL on a memfd or a file
 * @flags: 0
 * @ringp: receives a producer's handle on the slot's ring: send with
 *         mmio_shm_ring_send() or _reserve()/_commit(), free it with
 *         mmio_shm_ring_detach()
 * @slotp: receives the slot (may be NULL)
 *
 * Return: 0; -EBUSY when every slot is taken; -EPROTO when the region does
 * not hold a fan-in this library can use; mmio_shm_bind()'s errors;
 * -EINVAL; -ENOMEM. After an error @shm may be bound: close it.
 */
MMIO_SHM_API int mmio_shm_fanin_join(void *mem, size_t len,
				     struct mmio_shm *shm, unsigned int flags,
				     struct mmio_shm_ring **ringp,
				     unsigned int *slotp);

#ifdef __cplusplus
}
#endif

#endif /* LIBMMIO_SHM_H */
