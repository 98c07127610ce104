// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - the mmap path: from mmap(2) on the device to the buffer's pages
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * The device does not map pages itself. Its .mmap checks the request
 * against the buffer, then hands the VMA over to the shmem file that holds
 * the buffer (vma->vm_file becomes that file, and shmem's own mmap installs
 * its fault handler). From then on the kernel treats the mapping exactly
 * like a shared mapping of a tmpfs file.
 *
 * The VMA keeps shmem's fault handlers behind vm_operations of our own,
 * which count the mappings (so resize can refuse while anything is mapped).
 *
 * Once vm_file points at the shmem file, the VMA no longer holds the device
 * file, and so no longer holds the module. Each VMA therefore keeps a
 * reference to the device file it was mapped through in vm_private_data,
 * taken in .mmap and in vm_ops->open (fork, split, mremap) and dropped in
 * vm_ops->close. That keeps the module loaded while anything is mapped,
 * even after the last file descriptor was closed, and counts the mappings.
 */
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>

#include "compat.h"
#include "mmio_shm_drv.h"

static struct mmio_shm_dev *mmio_shm_vma_dev(struct vm_area_struct *vma)
{
	struct file *devfile = vma->vm_private_data;
	struct mmio_shm_file *mf = devfile->private_data;

	return mf->dev;
}

/* A new VMA copied from one of ours: fork, a split by munmap/mprotect, mremap. */
static void mmio_shm_vm_open(struct vm_area_struct *vma)
{
	struct mmio_shm_dev *dev = mmio_shm_vma_dev(vma);

	get_file(vma->vm_private_data);
	atomic_inc(&dev->nr_maps);
}

static void mmio_shm_vm_close(struct vm_area_struct *vma)
{
	struct mmio_shm_dev *dev = mmio_shm_vma_dev(vma);

	atomic_dec(&dev->nr_maps);
	/*
	 * This may drop the last reference to the device file. fput() only
	 * queues the release, which runs after we have returned, so the module
	 * is still here for the rest of this function.
	 */
	fput(vma->vm_private_data);
}

/* Faults are shmem's business: it finds the page in the buffer's page cache. */
static vm_fault_t mmio_shm_vm_fault(struct vm_fault *vmf)
{
	return mmio_shm_vma_dev(vmf->vma)->shmem_vm_ops->fault(vmf);
}

/*
 * shmem's fault handlers, plus open/close to count mappings and to pin the
 * device. Fault-around (map_pages) is the generic page-cache one, exactly
 * what shmem itself uses (mmio_shm_mmap() checks that it still does); being
 * exported, it needs no forwarding, whose signature changed in 5.12.
 * shmem's NUMA policy hooks are left out on purpose: every page of the
 * buffer is allocated at load, so a fault never allocates and a policy
 * would have nothing to place.
 */
static const struct vm_operations_struct mmio_shm_vm_ops = {
	.open		= mmio_shm_vm_open,
	.close		= mmio_shm_vm_close,
	.fault		= mmio_shm_vm_fault,
	.map_pages	= filemap_map_pages,
};

/**
 * mmio_shm_mmap_shmem() - hand a new mapping over to the buffer's shmem file
 * @dev:    the device; its lock held
 * @shmem:  the shmem file that holds the buffer
 * @vma:    the new mapping; vm_pgoff is already a page offset into the
 *          buffer and the range was checked against it
 * @ops:    our vm_operations, put in front of shmem's fault handlers
 * @holder: the file the VMA holds until its close (the device file, or a
 *          dma-buf's): it keeps the module loaded while anything is mapped
 *
 * The one hand-over of the device's .mmap and the dma-buf's: vm_file
 * becomes @shmem and shmem's mmap installs its fault handler, which @ops
 * forward to (dev->shmem_vm_ops). vm_private_data is set only after
 * shmem's mmap: on 7.x it reaches shmem's .mmap_prepare through
 * compat_vma_mmap(), which resets it.
 *
 * Return: 0, what shmem's mmap returned, or -EINVAL when shmem's handlers
 * are not the ones @ops forward to.
 */
int mmio_shm_mmap_shmem(struct mmio_shm_dev *dev, struct file *shmem,
			struct vm_area_struct *vma,
			const struct vm_operations_struct *ops,
			struct file *holder)
{
	int ret;

	lockdep_assert_held(&dev->lock);

	/* mremap() may shrink or move the mapping, never grow it past the check */
	vm_flags_set(vma, VM_DONTEXPAND);

	vma_set_file(vma, shmem);
	ret = mmio_shm_vfs_mmap(shmem, vma);
	if (ret)
		return ret;

	/* remember shmem's handlers, then put ours in front of them */
	if (!dev->shmem_vm_ops)
		dev->shmem_vm_ops = vma->vm_ops;
	if (WARN_ON_ONCE(vma->vm_ops != dev->shmem_vm_ops ||
			 !vma->vm_ops->fault ||
			 vma->vm_ops->map_pages != filemap_map_pages))
		return -EINVAL;
	vma->vm_ops = ops;

	/* the VMA now owns a reference to @holder; vm_close drops it */
	vma->vm_private_data = get_file(holder);
	atomic_inc(&dev->nr_maps);
	return 0;
}

/**
 * mmio_shm_fop_mmap() - map (part of) the buffer
 * @file: the device file being mapped
 * @vma:  the new mapping: vm_pgoff is the page offset into the buffer
 *
 * MAP_SHARED mappings share the buffer's pages with every other mapping
 * and with read()/write(). MAP_PRIVATE mappings are copy-on-write as for
 * any file: writes go to private copies and never reach the buffer.
 *
 * Called with the caller's mmap_lock held. The device lock is taken
 * killably and only for the range check and the hand-over: a resize
 * brings its pages in without it, so mmap() never waits for that.
 *
 * Return: 0, -EINVAL when the range does not lie inside the buffer, or
 * -EINTR when killed while waiting for the device lock.
 */
int mmio_shm_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mmio_shm_file *mf = file->private_data;
	struct mmio_shm_dev *dev = mf->dev;
	unsigned long buf_pages;
	int ret;

	/*
	 * Private or shared is not tested with VM_SHARED: for a MAP_SHARED
	 * map of an O_RDONLY fd the kernel clears VM_SHARED (and VM_MAYWRITE,
	 * so mprotect(PROT_WRITE) fails) but keeps VM_MAYSHARE. Whatever the
	 * flags, shmem below gives each case the semantics of a tmpfs file.
	 */
	mmio_shm_assert_mmap_locked(vma->vm_mm);
	ret = mutex_lock_killable(&dev->lock);
	if (ret)
		return ret;

	/* the whole range must lie inside the buffer; nothing maps past it */
	buf_pages = dev->buf.size >> PAGE_SHIFT;
	if (vma->vm_pgoff >= buf_pages ||
	    vma_pages(vma) > buf_pages - vma->vm_pgoff) {
		ret = -EINVAL;
		goto out_unlock;
	}

	ret = mmio_shm_mmap_shmem(dev, dev->buf.file, vma, &mmio_shm_vm_ops,
				  file);

out_unlock:
	mutex_unlock(&dev->lock);
	return ret;
}

/**
 * mmio_shm_fop_get_unmapped_area() - pick the address of a new mapping
 * @file:  the device file about to be mapped
 * @addr:  the caller's hint, or the address for MAP_FIXED
 * @len:   length of the mapping
 * @pgoff: page offset into the buffer
 * @flags: mmap(2) flags
 *
 * Called by mmap(2) before mmio_shm_fop_mmap(), and in place of the mm's
 * own allocator. With huge= other than never it asks the buffer's shmem
 * file, as SysV shm does for its segments: tmpfs places a mapping of 2 MiB
 * or more so that its address and @pgoff agree modulo 2 MiB, the condition
 * for a huge folio to be mapped with one PMD entry instead of 512 PTEs.
 * With huge=never it returns what mmap(2) picks for any file without this
 * hook, so the default mapping is placed as it always was.
 *
 * Return: the address, or a negative errno cast to unsigned long.
 */
unsigned long mmio_shm_fop_get_unmapped_area(struct file *file,
					     unsigned long addr,
					     unsigned long len,
					     unsigned long pgoff,
					     unsigned long flags)
{
	struct mmio_shm_file *mf = file->private_data;
	struct file *shmem = mf->dev->buf.file;

	if (!mmio_shm_buf_huge() || !shmem->f_op->get_unmapped_area)
		return mmio_shm_mm_get_unmapped_area(file, addr, len, pgoff,
						     flags);
	/* device and shmem file agree on offsets: the buffer starts at 0 */
	return shmem->f_op->get_unmapped_area(shmem, addr, len, pgoff, flags);
}
