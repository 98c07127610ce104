/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mmio_shm - user-space API of the shared-memory character device
 *
 * Every ioctl argument is a fixed-size struct made of naturally aligned
 * __u32/__u64 fields, so 32-bit and 64-bit callers see the same layout and
 * the same ioctl numbers. Each struct starts with @size, the size of the
 * struct as the caller knows it: a newer kernel accepts an older, shorter
 * struct, and an older kernel refuses a longer one whose extra bytes are not
 * zero (E2BIG). Every @flags and @reserved field must be zero (EINVAL).
 */
#ifndef _UAPI_LINUX_MMIO_SHM_H
#define _UAPI_LINUX_MMIO_SHM_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Interface version reported by MMIO_SHM_IOC_INFO: major << 16 | minor. */
#define MMIO_SHM_VERSION_MAJOR	1
#define MMIO_SHM_VERSION_MINOR	0
#define MMIO_SHM_VERSION \
	((MMIO_SHM_VERSION_MAJOR << 16) | MMIO_SHM_VERSION_MINOR)

/* Timeout value for MMIO_SHM_IOC_WAIT that never expires. */
#define MMIO_SHM_WAIT_FOREVER	(~(__u64)0)

/**
 * struct mmio_shm_info - what MMIO_SHM_IOC_INFO reports
 * @size:      in: sizeof(struct mmio_shm_info)
 * @flags:     in: must be 0
 * @buf_size:  out: buffer size in bytes (a whole number of pages)
 * @seq:       out: doorbell sequence number
 * @version:   out: MMIO_SHM_VERSION of the running module
 * @nr_open:   out: open file descriptions of this device
 * @nr_maps:   out: live mappings (VMAs) of this device's buffer
 * @reserved:  must be 0
 */
struct mmio_shm_info {
	__u32 size;
	__u32 flags;
	__u64 buf_size;
	__u64 seq;
	__u32 version;
	__u32 nr_open;
	__u32 nr_maps;
	__u32 reserved;
};

/**
 * struct mmio_shm_resize - argument of MMIO_SHM_IOC_RESIZE
 * @size:      in: sizeof(struct mmio_shm_resize)
 * @flags:     in: must be 0
 * @new_size:  in: new buffer size in bytes, rounded up to whole pages
 */
struct mmio_shm_resize {
	__u32 size;
	__u32 flags;
	__u64 new_size;
};

/**
 * struct mmio_shm_notify - argument of MMIO_SHM_IOC_NOTIFY
 * @size:      in: sizeof(struct mmio_shm_notify)
 * @flags:     in: must be 0
 * @seq:       out: doorbell sequence number after this ring
 */
struct mmio_shm_notify {
	__u32 size;
	__u32 flags;
	__u64 seq;
};

/**
 * struct mmio_shm_wait - argument of MMIO_SHM_IOC_WAIT
 * @size:       in: sizeof(struct mmio_shm_wait)
 * @flags:      in: must be 0
 * @seq:        in: wait until the doorbell sequence is greater than this
 * @timeout_ns: in: relative timeout in nanoseconds; 0 checks without
 *              sleeping, MMIO_SHM_WAIT_FOREVER never expires
 * @cur_seq:    out: doorbell sequence number when the call returned
 */
struct mmio_shm_wait {
	__u32 size;
	__u32 flags;
	__u64 seq;
	__u64 timeout_ns;
	__u64 cur_seq;
};

/* unused in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define MMIO_SHM_IOC_MAGIC	0xe2

#define MMIO_SHM_IOC_INFO	_IOWR(MMIO_SHM_IOC_MAGIC, 0, struct mmio_shm_info)
#define MMIO_SHM_IOC_RESIZE	_IOW(MMIO_SHM_IOC_MAGIC, 1, struct mmio_shm_resize)
#define MMIO_SHM_IOC_ZERO	_IO(MMIO_SHM_IOC_MAGIC, 2)
#define MMIO_SHM_IOC_NOTIFY	_IOWR(MMIO_SHM_IOC_MAGIC, 3, struct mmio_shm_notify)
#define MMIO_SHM_IOC_WAIT	_IOWR(MMIO_SHM_IOC_MAGIC, 4, struct mmio_shm_wait)

#endif /* _UAPI_LINUX_MMIO_SHM_H */
