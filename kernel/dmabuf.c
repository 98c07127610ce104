// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - a range of the buffer handed to other drivers as a dma-buf
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * MMIO_SHM_IOC_EXPORT turns a page-aligned range of the buffer into a
 * dma-buf (Documentation/driver-api/dma-buf.rst): an fd that a camera, a
 * GPU or any other importer attaches to and maps for DMA, so the bytes
 * reach the buffer with no copy through user space.
 *
 * Object model and lifetime:
 *
 *  - struct mmio_shm_export is the dma-buf's private data. It holds one
 *    reference on every page of the range, taken at export (as udmabuf
 *    does for memfd pages): the page cache keeps its own, so the pages
 *    stay what the importers see even if a hole is punched in the buffer
 *    meanwhile (the device then gets new pages there: see mmio_shm(4)).
 *    It also holds a reference on the buffer's shmem file, for .mmap.
 *  - The dma-buf lives until its last fd is closed, its last mapping is
 *    gone and its last importer has let go; then mmio_shm_export_release()
 *    drops the pages. DEFINE_DMA_BUF_EXPORT_INFO makes the dma-buf hold
 *    the module (its owner), so the device, which lives until unload,
 *    outlives every export, and rmmod is refused meanwhile.
 *  - Each live export counts in &mmio_shm_dev.nr_exports, and RESIZE
 *    refuses while that is not zero (mmio_shm_dmabuf_busy()): a range of
 *    the buffer must not move under a device's DMA. ZERO keeps working: it
 *    writes into the very pages the export holds.
 *  - A mapping made through the dma-buf fd is handed to the shmem file as
 *    the device's own mappings are (mmap.c), so it is a shared mapping of
 *    the same page-cache pages; it holds the dma-buf file, hence the
 *    export, until the mapping is gone, and counts in the device's
 *    mappings.
 */
#include <linux/atomic.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "args.h"
#include "compat.h"
#include "mmio_shm_drv.h"

MMIO_SHM_IMPORT_NS_DMA_BUF;

/**
 * struct mmio_shm_export - one exported range, the dma-buf's private data
 * @dev:         the device whose buffer the range is in
 * @shmem:       the buffer's shmem file, referenced for the export's life
 * @first:       the range's first page in the buffer
 * @nr_pages:    pages in the range
 * @pages:       the range's pages, each with a reference of ours
 * @read_only:   MMIO_SHM_EXPORT_READ_ONLY: no writable mapping, devices
 *               only read (DMA_TO_DEVICE), no kernel mapping
 * @lock:        protects @attachments and each attachment's @sgt and @dir;
 *               taken under the importer's dma_resv lock, nothing is taken
 *               under it
 * @attachments: the importers' attachments, struct mmio_shm_attachment
 *
 * Everything but @attachments is set at export and constant afterwards.
 */
struct mmio_shm_export {
	struct mmio_shm_dev *dev;
	struct file *shmem;
	pgoff_t first;
	pgoff_t nr_pages;
	struct page **pages;
	bool read_only;
	struct mutex lock;		/* the attachments and their mappings */
	struct list_head attachments;
};

/**
 * struct mmio_shm_attachment - one importer's attachment to an export
 * @node: in &mmio_shm_export.attachments
 * @dev:  the importing device, which the pages are mapped for
 * @sgt:  the attachment's DMA mapping, NULL while it has none
 * @dir:  the direction @sgt was mapped with
 */
struct mmio_shm_attachment {
	struct list_head node;
	struct device *dev;
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

/**
 * mmio_shm_dmabuf_busy() - whether a range of the buffer is exported
 * @dev: the device; the caller holds its resize_sem for writing, so no
 *       export can begin until it lets go
 *
 * Return: true while any dma-buf of this device lives (RESIZE: -EBUSY).
 */
bool mmio_shm_dmabuf_busy(struct mmio_shm_dev *dev)
{
	lockdep_assert_held_write(&dev->resize_sem);
	return atomic_read(&dev->nr_exports);
}

static void mmio_shm_export_put_pages(struct mmio_shm_export *exp,
				      pgoff_t nr)
{
	pgoff_t i;

	for (i = 0; i < nr; i++)
		put_page(exp->pages[i]);
}

/* Frees what mmio_shm_export_create() set up; the export is gone. */
static void mmio_shm_export_free(struct mmio_shm_export *exp)
{
	struct mmio_shm_dev *dev = exp->dev;

	mmio_shm_export_put_pages(exp, exp->nr_pages);
	kvfree(exp->pages);
	fput(exp->shmem);
	mutex_destroy(&exp->lock);
	kfree(exp);
	/* the last thing: RESIZE may go ahead from here */
	atomic_dec(&dev->nr_exports);
}

static int mmio_shm_export_attach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attach)
{
	struct mmio_shm_export *exp = dmabuf->priv;
	struct mmio_shm_attachment *att;

	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	att->dev = attach->dev;
	mutex_lock(&exp->lock);
	list_add(&att->node, &exp->attachments);
	mutex_unlock(&exp->lock);
	attach->priv = att;
	return 0;
}

static void mmio_shm_export_detach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	struct mmio_shm_export *exp = dmabuf->priv;
	struct mmio_shm_attachment *att = attach->priv;

	mutex_lock(&exp->lock);
	list_del(&att->node);
	mutex_unlock(&exp->lock);
	kfree(att);
}

/**
 * mmio_shm_export_map() - map the range for an importer's DMA
 * @attach: the importer's attachment
 * @dir:    which way the data will go
 *
 * Builds a scatterlist of the range's pages (adjacent pages in one entry)
 * and maps it for the importing device. One mapping per attachment at a
 * time, which is what importers make.
 *
 * Return: the mapped table, or an ERR_PTR(): -EACCES for a device write to
 * a read-only export, -EBUSY for a second mapping, -ENOMEM, or what the
 * DMA mapping failed with.
 */
static struct sg_table *mmio_shm_export_map(struct dma_buf_attachment *attach,
					    enum dma_data_direction dir)
{
	struct mmio_shm_export *exp = attach->dmabuf->priv;
	struct mmio_shm_attachment *att = attach->priv;
	struct sg_table *sgt;
	int ret;

	if (exp->read_only && dir != DMA_TO_DEVICE)
		return ERR_PTR(-EACCES);

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, exp->pages, exp->nr_pages, 0,
					(unsigned long)exp->nr_pages << PAGE_SHIFT,
					GFP_KERNEL);
	if (ret)
		goto err_free_sgt;
	ret = dma_map_sgtable(att->dev, sgt, dir, 0);
	if (ret)
		goto err_free_table;

	mutex_lock(&exp->lock);
	if (att->sgt) {
		mutex_unlock(&exp->lock);
		ret = -EBUSY;
		goto err_unmap;
	}
	att->sgt = sgt;
	att->dir = dir;
	mutex_unlock(&exp->lock);
	return sgt;

err_unmap:
	dma_unmap_sgtable(att->dev, sgt, dir, 0);
err_free_table:
	sg_free_table(sgt);
err_free_sgt:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void mmio_shm_export_unmap(struct dma_buf_attachment *attach,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	struct mmio_shm_export *exp = attach->dmabuf->priv;
	struct mmio_shm_attachment *att = attach->priv;

	mutex_lock(&exp->lock);
	if (att->sgt == sgt)
		att->sgt = NULL;
	mutex_unlock(&exp->lock);
	dma_unmap_sgtable(att->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

/* The last fd, mapping and importer are gone. */
static void mmio_shm_export_release(struct dma_buf *dmabuf)
{
	mmio_shm_export_free(dmabuf->priv);
}

/*
 * DMA_BUF_IOCTL_SYNC start (and the kernel's CPU users): hand the pages of
 * every mapped attachment back to the CPU, so the CPU sees what devices
 * wrote. On coherent x86 this costs nothing; elsewhere it invalidates or
 * bounces.
 */
static int mmio_shm_export_begin_cpu(struct dma_buf *dmabuf,
				     enum dma_data_direction dir)
{
	struct mmio_shm_export *exp = dmabuf->priv;
	struct mmio_shm_attachment *att;

	mutex_lock(&exp->lock);
	list_for_each_entry(att, &exp->attachments, node)
		if (att->sgt)
			dma_sync_sgtable_for_cpu(att->dev, att->sgt, att->dir);
	mutex_unlock(&exp->lock);
	return 0;
}

/* DMA_BUF_IOCTL_SYNC end: what the CPU wrote becomes visible to devices. */
static int mmio_shm_export_end_cpu(struct dma_buf *dmabuf,
				   enum dma_data_direction dir)
{
	struct mmio_shm_export *exp = dmabuf->priv;
	struct mmio_shm_attachment *att;

	mutex_lock(&exp->lock);
	list_for_each_entry(att, &exp->attachments, node)
		if (att->sgt)
			dma_sync_sgtable_for_device(att->dev, att->sgt,
						    att->dir);
	mutex_unlock(&exp->lock);
	return 0;
}

/**
 * mmio_shm_export_vmap() - map the range into the kernel, for importers
 *                          that write with the CPU (vivid's vmalloc queues)
 * @dmabuf: the dma-buf; the dma-buf core calls this once per vmap count
 *
 * compat.h adapts this to the .vmap signature of the running kernel.
 *
 * Only writable exports have it (mmio_shm_dmabuf_ops): a read-only one
 * is never mapped into the kernel, which could write through the mapping.
 *
 * Return: the kernel address, or ERR_PTR(-ENOMEM).
 */
void *mmio_shm_export_vmap(struct dma_buf *dmabuf)
{
	struct mmio_shm_export *exp = dmabuf->priv;
	void *vaddr;

	vaddr = vmap(exp->pages, exp->nr_pages, VM_MAP, PAGE_KERNEL);
	return vaddr ? vaddr : ERR_PTR(-ENOMEM);
}

/**
 * mmio_shm_export_vunmap() - undo mmio_shm_export_vmap()
 * @dmabuf: the dma-buf
 * @vaddr:  the address mmio_shm_export_vmap() returned
 */
void mmio_shm_export_vunmap(struct dma_buf *dmabuf, void *vaddr)
{
	vunmap(vaddr);
}

static struct mmio_shm_export *mmio_shm_vma_export(struct vm_area_struct *vma)
{
	struct file *dmabuf_file = vma->vm_private_data;
	struct dma_buf *dmabuf = dmabuf_file->private_data;

	return dmabuf->priv;
}

/* A new VMA copied from one of ours: fork, a split by munmap/mprotect, mremap. */
static void mmio_shm_export_vm_open(struct vm_area_struct *vma)
{
	get_file(vma->vm_private_data);
	atomic_inc(&mmio_shm_vma_export(vma)->dev->nr_maps);
}

static void mmio_shm_export_vm_close(struct vm_area_struct *vma)
{
	atomic_dec(&mmio_shm_vma_export(vma)->dev->nr_maps);
	/* fput() only queues the release: the export outlives this call */
	fput(vma->vm_private_data);
}

static vm_fault_t mmio_shm_export_vm_fault(struct vm_fault *vmf)
{
	return mmio_shm_vma_export(vmf->vma)->dev->shmem_vm_ops->fault(vmf);
}

/* as mmap.c's, but each VMA holds the dma-buf file, not the device file */
static const struct vm_operations_struct mmio_shm_export_vm_ops = {
	.open		= mmio_shm_export_vm_open,
	.close		= mmio_shm_export_vm_close,
	.fault		= mmio_shm_export_vm_fault,
	.map_pages	= filemap_map_pages,
};

/**
 * mmio_shm_export_mmap() - map the exported range, from mmap(2) on the
 *                          dma-buf fd or an importer's dma_buf_mmap()
 * @dmabuf: the dma-buf
 * @vma:    the new mapping; the dma-buf core checked that its pages lie
 *          inside the dma-buf
 *
 * Hands the VMA to the buffer's shmem file as the device's .mmap does, so
 * the mapping shares the buffer's pages with every other mapping.
 *
 * Return: 0, -EACCES for a writable shared mapping of a read-only export,
 * -EINTR when killed waiting for the device lock, or what shmem's mmap
 * returned.
 */
static int mmio_shm_export_mmap(struct dma_buf *dmabuf,
				struct vm_area_struct *vma)
{
	struct mmio_shm_export *exp = dmabuf->priv;
	struct mmio_shm_dev *dev = exp->dev;
	int ret;

	/* mmap(2) refuses that already: the dma-buf file is read-only */
	if (exp->read_only && (vma->vm_flags & VM_SHARED) &&
	    (vma->vm_flags & VM_WRITE))
		return -EACCES;

	ret = mutex_lock_killable(&dev->lock);
	if (ret)
		return ret;

	/* the range's pages, at their place in the buffer */
	vma->vm_pgoff += exp->first;
	/* the VMA holds the dma-buf file, not the device file, until vm_close */
	ret = mmio_shm_mmap_shmem(dev, exp->shmem, vma, &mmio_shm_export_vm_ops,
				  dmabuf->file);
	mutex_unlock(&dev->lock);
	return ret;
}

/* a writable export's */
static const struct dma_buf_ops mmio_shm_dmabuf_ops = {
	.attach			= mmio_shm_export_attach,
	.detach			= mmio_shm_export_detach,
	.map_dma_buf		= mmio_shm_export_map,
	.unmap_dma_buf		= mmio_shm_export_unmap,
	.release		= mmio_shm_export_release,
	.begin_cpu_access	= mmio_shm_export_begin_cpu,
	.end_cpu_access		= mmio_shm_export_end_cpu,
	.mmap			= mmio_shm_export_mmap,
	.vmap			= mmio_shm_dmabuf_vmap,
	.vunmap			= mmio_shm_dmabuf_vunmap,
};

/*
 * A read-only export's: no .vmap, so dma_buf_vmap() answers -EINVAL. A
 * .vmap that refused would do the same, but the dma-buf core WARNs on any
 * error from it (6.1's dma_buf_vmap()), and any reader of the device could
 * raise that WARNING, a panic under panic_on_warn, by queueing a read-only
 * export to a vmalloc-backed V4L2 queue.
 */
static const struct dma_buf_ops mmio_shm_dmabuf_ro_ops = {
	.attach			= mmio_shm_export_attach,
	.detach			= mmio_shm_export_detach,
	.map_dma_buf		= mmio_shm_export_map,
	.unmap_dma_buf		= mmio_shm_export_unmap,
	.release		= mmio_shm_export_release,
	.begin_cpu_access	= mmio_shm_export_begin_cpu,
	.end_cpu_access		= mmio_shm_export_end_cpu,
	.mmap			= mmio_shm_export_mmap,
};

/*
 * Takes a reference on each page of [@first, @first + @nr) and counts the
 * export in the device. The caller holds resize_sem, so the range stays
 * inside the buffer until the count keeps RESIZE away.
 */
static struct mmio_shm_export *
mmio_shm_export_create(struct mmio_shm_dev *dev, pgoff_t first, pgoff_t nr,
		       bool read_only)
{
	struct address_space *mapping = dev->buf.file->f_mapping;
	struct mmio_shm_export *exp;
	struct page *page;
	pgoff_t i;
	int ret;

	lockdep_assert_held(&dev->resize_sem);

	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp)
		return ERR_PTR(-ENOMEM);
	exp->pages = kvmalloc_array(nr, sizeof(*exp->pages), GFP_KERNEL);
	if (!exp->pages) {
		ret = -ENOMEM;
		goto err_free_exp;
	}
	for (i = 0; i < nr; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_put_pages;
		}
		/* brings back a page a hole was punched in, zeroed */
		page = shmem_read_mapping_page(mapping, first + i);
		if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			goto err_put_pages;
		}
		/*
		 * Devices write without dirtying the page: dirty it now, so
		 * that drop_caches never drops what they wrote (see buffer.c).
		 */
		set_page_dirty(page);
		/* our reference, until the export is released */
		exp->pages[i] = page;
		cond_resched();
	}

	exp->dev = dev;
	exp->shmem = get_file(dev->buf.file);
	exp->first = first;
	exp->nr_pages = nr;
	exp->read_only = read_only;
	mutex_init(&exp->lock);
	INIT_LIST_HEAD(&exp->attachments);
	atomic_inc(&dev->nr_exports);
	return exp;

err_put_pages:
	mmio_shm_export_put_pages(exp, i);
	kvfree(exp->pages);
err_free_exp:
	kfree(exp);
	return ERR_PTR(ret);
}

/**
 * mmio_shm_ioctl_export() - MMIO_SHM_IOC_EXPORT: a range as a dma-buf fd
 * @file: the device file; open for reading, and for writing unless the
 *        export is read-only
 * @dev:  its device
 * @uarg: the caller's struct mmio_shm_export_args
 *
 * The fd is installed only once the result is in the caller's struct, so
 * a caller whose struct cannot be written gets -EFAULT and no fd.
 *
 * Return: 0; -EINVAL for unknown flags, a nonzero reserved field, an empty
 * or misaligned range or one not inside the buffer; -EACCES for a file not
 * open for reading, or for a writable export of a file not open for
 * writing; -EMFILE; -ENOMEM; -EINTR; -EFAULT.
 */
long mmio_shm_ioctl_export(struct file *file, struct mmio_shm_dev *dev,
			   void __user *uarg)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct mmio_shm_export_args args;
	struct mmio_shm_export *exp;
	struct dma_buf *dmabuf;
	bool read_only;
	int ret, fd;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_EXPORT_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags & ~(MMIO_SHM_EXPORT_CLOEXEC | MMIO_SHM_EXPORT_READ_ONLY) ||
	    args.reserved)
		return -EINVAL;
	if (!args.length || !PAGE_ALIGNED(args.offset) ||
	    !PAGE_ALIGNED(args.length))
		return -EINVAL;
	read_only = args.flags & MMIO_SHM_EXPORT_READ_ONLY;
	/* as for mmap(2) of the device: what the fd may do, the export may */
	if (!(file->f_mode & FMODE_READ) ||
	    (!read_only && !(file->f_mode & FMODE_WRITE)))
		return -EACCES;

	ret = down_read_killable(&dev->resize_sem);
	if (ret)
		return ret;
	if (args.offset >= dev->buf.size ||
	    args.length > dev->buf.size - args.offset)
		exp = ERR_PTR(-EINVAL);
	else
		exp = mmio_shm_export_create(dev, args.offset >> PAGE_SHIFT,
					     args.length >> PAGE_SHIFT,
					     read_only);
	up_read(&dev->resize_sem);
	if (IS_ERR(exp))
		return PTR_ERR(exp);

	exp_info.ops = read_only ? &mmio_shm_dmabuf_ro_ops : &mmio_shm_dmabuf_ops;
	exp_info.size = args.length;
	exp_info.flags = read_only ? O_RDONLY : O_RDWR;
	exp_info.priv = exp;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		mmio_shm_export_free(exp);
		return PTR_ERR(dmabuf);
	}
	/* from here on the dma-buf owns the export: its release frees it */

	fd = get_unused_fd_flags(args.flags & MMIO_SHM_EXPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto err_put_dmabuf;
	}
	args.fd = fd;
	ret = mmio_shm_args_out(uarg, &args, sizeof(args));
	if (ret)
		goto err_put_fd;
	fd_install(fd, dmabuf->file);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_put_dmabuf:
	dma_buf_put(dmabuf);
	return ret;
}
