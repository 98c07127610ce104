/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_shm - every kernel-version difference the driver depends on
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * The driver is built from one source for Debian's 5.10, 6.1, 6.12 and 7.2
 * kernels. Each shim below carries the version that changed the API; no
 * other file tests LINUX_VERSION_CODE (checkpatch's LINUX_VERSION_CODE
 * warning is silenced for this file alone, in tests/runner/lint.sh).
 */
#ifndef _MMIO_SHM_COMPAT_H
#define _MMIO_SHM_COMPAT_H

#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/splice.h>
#include <linux/time_namespace.h>
#include <linux/version.h>

/* 6.3 made vma->vm_flags read-only and added vm_flags_set(). */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/* 5.11 added vma_set_file(); before it, swap the file reference by hand. */
#if KERNEL_VERSION(5, 11, 0) > LINUX_VERSION_CODE
static inline void vma_set_file(struct vm_area_struct *vma, struct file *file)
{
	struct file *old = vma->vm_file;

	vma->vm_file = get_file(file);
	fput(old);
}
#endif

/* 6.5 replaced generic_file_splice_read() with copy_splice_read(). */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define mmio_shm_splice_read	generic_file_splice_read
#else
#define mmio_shm_splice_read	copy_splice_read
#endif

/*
 * A kernel-internal shmem file charged page by page as pages are allocated
 * (VM_NORESERVE, as memfd_create() does), so its size can change without
 * shmem re-accounting the whole file. With @mnt, on that tmpfs mount (the
 * driver's own, mounted with huge=); without, on the kernel's internal
 * one, which a module cannot name. 7.0 made the flags of both calls a
 * vma_flags_t bitmap, where VM_NORESERVE is VMA_NORESERVE_BIT.
 */
static inline struct file *mmio_shm_shmem_setup(struct vfsmount *mnt,
						const char *name, loff_t size)
{
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
	unsigned long flags = VM_NORESERVE;
#else
	vma_flags_t flags = mk_vma_flags(VMA_NORESERVE_BIT);
#endif

	if (mnt)
		return shmem_file_setup_with_mnt(mnt, name, size, flags);
	return shmem_file_setup(name, size, flags);
}

/*
 * The address mmap(2) picks for a file without .get_unmapped_area: the
 * mm's own allocator, bottom-up or top-down. 6.10 replaced the
 * mm->get_unmapped_area pointer with mm_get_unmapped_area(); 6.19 dropped
 * its mm argument (it always searched current->mm).
 */
static inline unsigned long
mmio_shm_mm_get_unmapped_area(struct file *file, unsigned long addr,
			      unsigned long len, unsigned long pgoff,
			      unsigned long flags)
{
#if KERNEL_VERSION(6, 10, 0) > LINUX_VERSION_CODE
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
#elif KERNEL_VERSION(6, 19, 0) > LINUX_VERSION_CODE
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
#else
	return mm_get_unmapped_area(file, addr, len, pgoff, flags);
#endif
}

/*
 * The file's own mmap hook, as mmap(2) would call it, also when the file
 * has only .mmap_prepare (shmem on 7.x). 6.17 renamed call_mmap() to
 * vfs_mmap().
 */
static inline int mmio_shm_vfs_mmap(struct file *file,
				    struct vm_area_struct *vma)
{
#if KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
	return call_mmap(file, vma);
#else
	return vfs_mmap(file, vma);
#endif
}

/*
 * Whether @page may be pinned for DMA by pin_user_pages() (FOLL_PIN: an
 * RDMA memory region, io_uring's fixed buffers, vfio): exact for a large
 * folio, which counts its pins apart; a small page with 1024 or more
 * ordinary references counts as pinned too. 5.10 has only
 * page_maybe_dma_pinned(), 6.1 both, 6.12 and 7.2 only
 * folio_maybe_dma_pinned().
 */
static inline bool mmio_shm_page_maybe_dma_pinned(struct page *page)
{
#if KERNEL_VERSION(6, 1, 0) > LINUX_VERSION_CODE
	return page_maybe_dma_pinned(page);
#else
	return folio_maybe_dma_pinned(page_folio(page));
#endif
}

/*
 * On a kernel with CONFIG_DEBUG_VM, mmap_assert_write_locked() calls
 * dump_mm(), which 6.3 exported: before it, a module that asserts the
 * mmap lock that way does not load there. Lockdep asserts it as well.
 */
static inline void mmio_shm_assert_mmap_locked(struct mm_struct *mm)
{
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE && IS_ENABLED(CONFIG_DEBUG_VM)
	lockdep_assert_held_write(&mm->mmap_lock);
#else
	mmap_assert_write_locked(mm);
#endif
}

/*
 * An absolute CLOCK_MONOTONIC time as the caller reads it in its time
 * namespace, turned into the host's, which hrtimers run on: what
 * timens_ktime_to_host() does for timerfd, futex and (since its 2026 fix)
 * ntsync. That inline calls do_timens_ktime_to_host() and compares with
 * init_time_ns, neither of which 5.10, 6.1 or 6.12 export to modules
 * (their Module.symvers; Debian's 7.2 exports both, with the ntsync fix),
 * so subtract the namespace's monotonic offset here, as that helper does,
 * on every kernel: struct time_namespace keeps it in offsets.monotonic
 * from 5.6 to 7.2. A time before the offset is already past on
 * the host (0); the result saturates at KTIME_MAX instead of wrapping when
 * the offset is negative. Without CONFIG_TIME_NS every task is in the
 * initial namespace, whose offsets are zero.
 */
static inline ktime_t mmio_shm_timens_mono_to_host(ktime_t tim)
{
#ifdef CONFIG_TIME_NS
	struct time_namespace *ns = current->nsproxy->time_ns;
	ktime_t offset = timespec64_to_ktime(ns->offsets.monotonic);
	ktime_t host;

	if (tim < offset)
		return 0;
	if (check_sub_overflow(tim, offset, &host))
		return KTIME_MAX;
	return host;
#else
	return tim;
#endif
}

/*
 * dma_buf_export() and the rest of the exporter API are in the symbol
 * namespace DMA_BUF since 5.16 (on 5.10 the import names a namespace no
 * symbol is in, which the loader ignores); 6.13 made MODULE_IMPORT_NS()
 * take the namespace as a string.
 */
#if KERNEL_VERSION(6, 13, 0) > LINUX_VERSION_CODE
#define MMIO_SHM_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS(DMA_BUF)
#else
#define MMIO_SHM_IMPORT_NS_DMA_BUF	MODULE_IMPORT_NS("DMA_BUF")
#endif

/* dmabuf.c: the kernel mapping of an export, as a plain address */
void *mmio_shm_export_vmap(struct dma_buf *dmabuf);
void mmio_shm_export_vunmap(struct dma_buf *dmabuf, void *vaddr);

/*
 * dma_buf_ops.vmap and .vunmap, in the running kernel's signature. 5.11
 * made .vmap fill a struct dma_buf_map (renamed struct iosys_map in 5.18)
 * and return an errno; 5.10's returned the address, NULL on failure.
 */
#if KERNEL_VERSION(5, 11, 0) > LINUX_VERSION_CODE
static inline void *mmio_shm_dmabuf_vmap(struct dma_buf *dmabuf)
{
	void *vaddr = mmio_shm_export_vmap(dmabuf);

	return IS_ERR(vaddr) ? NULL : vaddr;
}

static inline void mmio_shm_dmabuf_vunmap(struct dma_buf *dmabuf,
					  void *vaddr)
{
	mmio_shm_export_vunmap(dmabuf, vaddr);
}
#else
static inline int mmio_shm_dmabuf_vmap(struct dma_buf *dmabuf,
				       struct iosys_map *map)
{
	void *vaddr = mmio_shm_export_vmap(dmabuf);

	if (IS_ERR(vaddr))
		return PTR_ERR(vaddr);
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static inline void mmio_shm_dmabuf_vunmap(struct dma_buf *dmabuf,
					  struct iosys_map *map)
{
	mmio_shm_export_vunmap(dmabuf, map->vaddr);
}
#endif

#endif /* _MMIO_SHM_COMPAT_H */
