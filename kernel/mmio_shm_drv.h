/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_shm - objects shared by the files of the driver
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Lock order, outermost first:
 *
 *   mmio_shm_dev.resize_sem -> the shmem inode's i_rwsem
 *     -> mm->mmap_lock -> mmio_shm_dev.lock
 *
 * The links, and who makes them:
 *  - resize_sem -> i_rwsem: write() holds @resize_sem (read) and shmem's
 *    write_iter takes i_rwsem; RESIZE holds it (write) and sets the size
 *    under i_rwsem (buffer.c).
 *  - i_rwsem -> mmap_lock: shmem's write path faults the caller's source
 *    buffer in while it holds i_rwsem, the order mm/filemap.c documents
 *    (generic_perform_write); read() faults with @resize_sem alone.
 *  - mmap_lock -> @lock: .mmap is called with mmap_lock held for writing.
 *
 * So never:
 *  - i_rwsem or @resize_sem with mmap_lock held: not in .mmap,
 *    .get_unmapped_area or any vm_operations (open, close, fault): that
 *    is an ABBA deadlock against a write() whose source buffer faults;
 *  - anything above @lock while holding it, and no fault on user memory
 *    (copy_*_user, get_user_pages) under @lock or a spinlock;
 *  - @resize_sem under any of the others.
 *
 * mmio_shm_dev.ep_lock, the doorbell's wait-queue lock and buffer.c's
 * charge lock are leaves (spinlocks): nothing is taken under them.
 */
#ifndef _MMIO_SHM_DRV_H
#define _MMIO_SHM_DRV_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "uapi/linux/mmio_shm.h"

#define MMIO_SHM_NAME_LEN	16

/**
 * struct mmio_shm_buf - the shared buffer of one device
 * @file:   kernel-internal shmem file whose page cache holds the buffer;
 *          never replaced, only resized, so it may be used unlocked
 * @size:   buffer size in bytes, a whole number of pages; written with
 *          both &mmio_shm_dev.resize_sem (for writing) and &mmio_shm_dev.lock
 *          held, so holding either one keeps it stable; read with
 *          READ_ONCE() where neither is held (sysfs, INFO, llseek)
 *
 * The pages live in @file's page cache, so the kernel sees them as ordinary
 * shared file pages: they fault back in after MADV_DONTNEED, carry
 * page->mapping for shared futex keys, and work with get_user_pages().
 */
struct mmio_shm_buf {
	struct file *file;
	size_t size;
};

/**
 * struct mmio_shm_dev - one /dev/mmio_shm* node and its buffer
 * @misc:       the misc device; its .this_device carries the sysfs attributes
 * @name:       node name, "mmio_shm" or "mmio_shmN"
 * @resize_sem: read side: read(), write() and ZERO, which must see one
 *              size from start to end; write side: RESIZE. Outermost:
 *              never taken with another lock of this list, nor mmap_lock,
 *              held
 * @lock:       serialises .mmap against RESIZE publishing a new size;
 *              protects the transition of @nr_maps from zero and the
 *              setting of @shmem_vm_ops. Taken under mmap_lock (.mmap);
 *              never held while copying to or from user memory, nor
 *              while pages are brought in or i_rwsem is taken.
 * @buf:        the shared buffer
 * @shmem_vm_ops: shmem's own vm_operations, seen by the first mmap(); our
 *              VMAs pass faults on to them (see mmap.c). Set once under
 *              @lock, before any VMA can fault, constant afterwards.
 * @nr_open:    open file descriptions of this node
 * @nr_maps:    live VMAs mapping @buf, through the device or a dma-buf
 * @nr_exports: live dma-bufs of ranges of @buf (dmabuf.c); raised only
 *              with @resize_sem held, so RESIZE, holding it for writing,
 *              sees a stable "any" (mmio_shm_dmabuf_busy())
 * @seq:        doorbell sequence; incremented with release ordering by
 *              every ring, read with acquire ordering (see doorbell.c)
 * @seq_wq:     waiters for @seq to move: MMIO_SHM_IOC_WAIT and poll()
 * @ep_lock:    protects @ep_cookie, @ep_last_cookie and every
 *              mmio_shm_file.endpoint of this device
 * @ep_cookie:  the cookie of each endpoint's binding, 0 when it is free
 * @ep_last_cookie: the last cookie handed out; cookies are never reused
 *
 * A device lives from module load to module unload. The module cannot be
 * unloaded while any file of it is open, and every VMA keeps the file it was
 * mapped through open, so the device outlives all of its users.
 */
struct mmio_shm_dev {
	struct miscdevice misc;
	char name[MMIO_SHM_NAME_LEN];
	struct rw_semaphore resize_sem;	/* size stable for read/write/zero */
	struct mutex lock;		/* mmap vs. publishing a new size */
	struct mmio_shm_buf buf;
	const struct vm_operations_struct *shmem_vm_ops;
	atomic_t nr_open;
	atomic_t nr_maps;
	atomic_t nr_exports;
	atomic64_t seq;
	wait_queue_head_t seq_wq;
	spinlock_t ep_lock;		/* endpoints and their cookies */
	u64 ep_cookie[MMIO_SHM_MAX_ENDPOINTS];
	u64 ep_last_cookie;
};

/**
 * struct mmio_shm_file - per-open state, kept in file->private_data
 * @dev:      the device this file was opened on
 * @seen_seq: doorbell sequence this file last looked at; poll() reports
 *            the file readable while the device's sequence differs.
 *            Written by MMIO_SHM_IOC_WAIT, read by poll(), both lockless
 *            with READ_ONCE()/WRITE_ONCE(): a stale value only makes poll()
 *            report one extra or one late wake-up, never a lost one.
 * @endpoint: the endpoint this file is bound to, -1 for none; protected
 *            by &mmio_shm_dev.ep_lock
 */
struct mmio_shm_file {
	struct mmio_shm_dev *dev;
	u64 seen_seq;
	int endpoint;
};

static inline struct mmio_shm_dev *mmio_shm_dev_from_misc(struct miscdevice *misc)
{
	return container_of(misc, struct mmio_shm_dev, misc);
}

/* main.c */
bool mmio_shm_nodes_ready(void);

/* buffer.c */
void mmio_shm_set_limit(size_t limit);
int mmio_shm_buf_mount(const char *huge);
void mmio_shm_buf_unmount(void);
bool mmio_shm_buf_huge(void);
size_t mmio_shm_ram_bytes(void);
size_t mmio_shm_ram_limit(void);
int mmio_shm_buf_init(struct mmio_shm_buf *buf, const char *name, size_t size);
void mmio_shm_buf_release(struct mmio_shm_buf *buf);
int mmio_shm_buf_resize(struct mmio_shm_dev *dev, u64 new_size);
bool mmio_shm_buffer_pinned(struct mmio_shm_buf *buf, pgoff_t first,
			    pgoff_t last);
int mmio_shm_buf_zero(struct mmio_shm_dev *dev, u64 offset, u64 length);

/* mmap.c */
int mmio_shm_mmap_shmem(struct mmio_shm_dev *dev, struct file *shmem,
			struct vm_area_struct *vma,
			const struct vm_operations_struct *ops,
			struct file *holder);
int mmio_shm_fop_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long mmio_shm_fop_get_unmapped_area(struct file *file,
					     unsigned long addr,
					     unsigned long len,
					     unsigned long pgoff,
					     unsigned long flags);

/* doorbell.c */
void mmio_shm_doorbell_init(struct mmio_shm_dev *dev);
u64 mmio_shm_doorbell_seq(struct mmio_shm_dev *dev);
u64 mmio_shm_doorbell_ring(struct mmio_shm_dev *dev);
int mmio_shm_doorbell_wait(struct mmio_shm_dev *dev, u64 seq, u64 deadline,
			   u64 *cur_seq);

/* endpoint.c */
void mmio_shm_endpoint_init(struct mmio_shm_dev *dev);
void mmio_shm_endpoint_release(struct mmio_shm_file *mf);
long mmio_shm_ioctl_bind(struct mmio_shm_file *mf, void __user *uarg);
long mmio_shm_ioctl_peer(struct mmio_shm_dev *dev, void __user *uarg);

/* dmabuf.c, built only with CONFIG_DMA_SHARED_BUFFER (see Kbuild) */
#if IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)
bool mmio_shm_dmabuf_busy(struct mmio_shm_dev *dev);
long mmio_shm_ioctl_export(struct file *file, struct mmio_shm_dev *dev,
			   void __user *uarg);
#else
static inline bool mmio_shm_dmabuf_busy(struct mmio_shm_dev *dev)
{
	return false;
}

static inline long mmio_shm_ioctl_export(struct file *file,
					 struct mmio_shm_dev *dev,
					 void __user *uarg)
{
	return -EOPNOTSUPP;
}
#endif

/* fops.c */
extern const struct file_operations mmio_shm_fops;

#endif /* _MMIO_SHM_DRV_H */
