// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - the shared buffer: a kernel-internal shmem file kept resident
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * The buffer is the page cache of a shmem file that only this driver can
 * reach, the way Android's ashmem and the DRM shmem helpers keep their
 * objects. A textbook driver would vmalloc_user() the buffer and map it with
 * vm_insert_page() or remap_pfn_range() instead, and break programs that
 * rely on file-backed shared memory: such pages have no page->mapping, so a
 * process-shared futex on them fails with EFAULT (glibc aborts in
 * pthread_mutex_lock() under contention), and after MADV_DONTNEED nothing
 * can fault them back in. Page-cache pages have none of those problems.
 *
 * "Allocated, zeroed and resident at load" is kept by reading every page in
 * at creation (new shmem pages come zero-filled) and by marking the mapping
 * unevictable, so reclaim never swaps the buffer out.
 *
 * With the module parameter huge= other than never, the shmem files live on
 * a tmpfs mount of the driver's own, mounted with that huge= option, so the
 * pages brought in at load are transparent huge pages where tmpfs would
 * give them (the kernel's internal mount follows shmem_enabled in sysfs,
 * never by default, and pages allocated without a VMA cannot ask for more).
 * The mount lives from load to unload; every shmem file on it holds it too.
 *
 * Every byte of every buffer is charged to one account, so the cap an
 * administrator sets (max_size) holds for all devices together, at load
 * and at every resize. Bringing pages in and zeroing them can take long
 * for a large buffer: both loops stop when the caller gets a fatal signal.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>

#include "compat.h"
#include "mmio_shm_drv.h"

/* The account of bytes held by all buffers together. */
static DEFINE_SPINLOCK(mmio_shm_charge_lock);	/* protects mmio_shm_charged */
static size_t mmio_shm_charged;
/* the most all buffers may hold together; set at load, before any buffer */
static size_t mmio_shm_limit;
/* the tmpfs mount with huge= that holds the buffers; NULL: the kernel's */
static struct vfsmount *mmio_shm_huge_mnt;

/*
 * Bytes in @pages pages, at most the largest whole number of pages a
 * size_t holds: on a 32-bit kernel with PAE, 8 GiB of RAM is 2^21 pages,
 * and shifting that in an unsigned long gives 0. Capped at a page
 * multiple, a size up to the result stays below SIZE_MAX after
 * PAGE_ALIGN().
 */
static size_t mmio_shm_pages_to_bytes(unsigned long pages)
{
	u64 bytes = (u64)pages << PAGE_SHIFT;

	return min_t(u64, bytes, SIZE_MAX & PAGE_MASK);
}

/**
 * mmio_shm_ram_bytes() - the RAM size, as far as a size_t can count it
 *
 * Return: the bytes of RAM, capped as mmio_shm_pages_to_bytes() says.
 */
size_t mmio_shm_ram_bytes(void)
{
	return mmio_shm_pages_to_bytes(totalram_pages());
}

/**
 * mmio_shm_ram_limit() - the default and largest cap on all buffers together
 *
 * Half of RAM: anything larger is a typing error, not a buffer, and would
 * push the machine into the OOM killer while the module loads.
 *
 * Return: the limit in bytes.
 */
size_t mmio_shm_ram_limit(void)
{
	return mmio_shm_pages_to_bytes(totalram_pages() / 2);
}

/**
 * mmio_shm_set_limit() - set the cap on the bytes of all buffers together
 * @limit: the cap in bytes
 *
 * Called once at load, before the first buffer is created.
 */
void mmio_shm_set_limit(size_t limit)
{
	mmio_shm_limit = limit;
}

/**
 * mmio_shm_buf_mount() - give the buffers a tmpfs mount with huge pages
 * @huge: tmpfs's huge= value, "never", "always", "within_size" or "advise"
 *
 * Called once at load, before the first buffer is created. For "never"
 * nothing is mounted and the buffers stay on the kernel's internal shmem
 * mount, as without the parameter. Otherwise a private tmpfs is mounted
 * (SB_KERNMOUNT: in no namespace, invisible to user space) with that option,
 * as DRM drivers do for the shmem objects they want backed by huge pages.
 * Undone by mmio_shm_buf_unmount().
 *
 * Return: 0, or a negative errno: -EINVAL when the kernel has no
 * transparent huge pages (tmpfs refuses the option), -ENODEV without tmpfs.
 */
int mmio_shm_buf_mount(const char *huge)
{
	struct file_system_type *type;
	struct vfsmount *mnt;
	/* tmpfs parses the options in place, so they must be writable */
	char opts[32];

	if (!strcmp(huge, "never"))
		return 0;
	if (snprintf(opts, sizeof(opts), "huge=%s", huge) >= sizeof(opts))
		return -EINVAL;
	/*
	 * tmpfs is built in (its owner is NULL), so get_fs_type() takes no
	 * module reference, and there is none to drop: put_filesystem() is
	 * not exported to modules.
	 */
	type = get_fs_type("tmpfs");
	if (!type)
		return -ENODEV;
	mnt = vfs_kern_mount(type, SB_KERNMOUNT, type->name, opts);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	mmio_shm_huge_mnt = mnt;
	return 0;
}

/**
 * mmio_shm_buf_unmount() - drop the mount of mmio_shm_buf_mount()
 *
 * Called at unload and on every failed load, after the last buffer was
 * released. A shmem file whose last fput() is still queued holds the mount
 * itself, so the superblock goes with the last of them.
 */
void mmio_shm_buf_unmount(void)
{
	if (!mmio_shm_huge_mnt)
		return;
	kern_unmount(mmio_shm_huge_mnt);
	mmio_shm_huge_mnt = NULL;
}

/**
 * mmio_shm_buf_huge() - whether the buffers live on the huge= mount
 *
 * Return: true when the module was loaded with huge= other than never.
 */
bool mmio_shm_buf_huge(void)
{
	return mmio_shm_huge_mnt;
}

/* Charge @bytes to the account; -ENOMEM when that would pass the cap. */
static int mmio_shm_charge(size_t bytes)
{
	int ret = 0;

	spin_lock(&mmio_shm_charge_lock);
	if (bytes > mmio_shm_limit - mmio_shm_charged)
		ret = -ENOMEM;
	else
		mmio_shm_charged += bytes;
	spin_unlock(&mmio_shm_charge_lock);
	return ret;
}

static void mmio_shm_uncharge(size_t bytes)
{
	spin_lock(&mmio_shm_charge_lock);
	mmio_shm_charged -= bytes;
	spin_unlock(&mmio_shm_charge_lock);
}

/*
 * Bring pages [@first, @last) of the buffer into the page cache. Stops with
 * -EINTR when the caller is being killed: a resize of gigabytes must not
 * keep a dying task, and the locks it holds, for seconds.
 */
static int mmio_shm_buf_populate(struct mmio_shm_buf *buf, pgoff_t first,
				 pgoff_t last)
{
	struct address_space *mapping = buf->file->f_mapping;
	struct page *page;
	pgoff_t index;

	for (index = first; index < last; index++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		page = shmem_read_mapping_page(mapping, index);
		/* shmem says -ENOSPC when memory cannot be charged */
		if (PTR_ERR_OR_ZERO(page) == -ENOSPC)
			return -ENOMEM;
		if (IS_ERR(page))
			return PTR_ERR(page);
		/*
		 * A new shmem page is clean until written, and drop_caches
		 * drops clean page-cache pages however unevictable: dirty
		 * pages are kept.
		 */
		set_page_dirty(page);
		/* the page cache keeps its own reference */
		put_page(page);
		cond_resched();
	}
	return 0;
}

/*
 * Set the size of the shmem file, freeing the pages past it when it
 * shrinks. Done here rather than with vfs_truncate(), which would check
 * the calling task's permissions and LSM rules on a file it never opened.
 * The file was created with VM_NORESERVE, so shmem charges memory page by
 * page and the size alone needs no re-accounting.
 */
static void mmio_shm_buf_set_isize(struct mmio_shm_buf *buf, loff_t size)
{
	struct inode *inode = file_inode(buf->file);
	loff_t old;

	inode_lock(inode);
	old = i_size_read(inode);
	i_size_write(inode, size);
	if (size < old)
		shmem_truncate_range(inode, size, (loff_t)-1);
	inode_unlock(inode);
}

/**
 * mmio_shm_buf_init() - create a buffer and bring all of its pages in
 * @buf:  the buffer to set up
 * @name: name of the shmem file, seen only in /proc/PID/maps
 * @size: size in bytes, a whole number of pages
 *
 * Return: 0, or a negative errno (-ENOMEM past the cap) with nothing left
 * allocated or charged.
 */
int mmio_shm_buf_init(struct mmio_shm_buf *buf, const char *name, size_t size)
{
	struct file *file;
	int ret;

	ret = mmio_shm_charge(size);
	if (ret)
		return ret;

	file = mmio_shm_shmem_setup(mmio_shm_huge_mnt, name, size);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_uncharge;
	}
	/*
	 * shmem_file_setup() does not set O_LARGEFILE (memfd_create() does):
	 * without it every write() past 2 GiB - 1 fails with EFBIG.
	 */
	file->f_flags |= O_LARGEFILE;
	buf->file = file;
	buf->size = size;

	/* before the pages exist, so each goes straight to the unevictable LRU */
	mapping_set_unevictable(file->f_mapping);

	ret = mmio_shm_buf_populate(buf, 0, size >> PAGE_SHIFT);
	if (ret)
		goto err_put_file;
	return 0;

err_put_file:
	mapping_clear_unevictable(file->f_mapping);
	fput(file);
	buf->file = NULL;
err_uncharge:
	mmio_shm_uncharge(size);
	return ret;
}

/**
 * mmio_shm_buf_release() - free a buffer
 * @buf: a buffer set up by mmio_shm_buf_init(), mapped by nobody
 *
 * Dropping the last reference truncates the shmem file, which frees its
 * pages whether or not they are on the unevictable list.
 */
void mmio_shm_buf_release(struct mmio_shm_buf *buf)
{
	mapping_clear_unevictable(buf->file->f_mapping);
	fput(buf->file);
	buf->file = NULL;
	mmio_shm_uncharge(buf->size);
}

/**
 * mmio_shm_buffer_pinned() - whether a page of a range may be pinned for DMA
 * @buf:   the buffer
 * @first: index of the range's first page
 * @last:  index of the page past its end
 *
 * A page pinned with pin_user_pages() (an RDMA memory region, io_uring's
 * fixed buffers, vfio) stays with whoever pinned it after every mapping of
 * it is gone: a NIC or the kernel go on reading and writing it. Dropping
 * it from the buffer leaves them on memory that nobody shares any longer,
 * and cuts the data off silently. Holes (MADV_REMOVE) hold no page.
 *
 * Pinning needs a mapping: once nothing maps the range and .mmap cannot
 * reach it (the caller holds &mmio_shm_dev.lock), a false answer stays
 * false. A true one may be stale as soon as it is given.
 *
 * Return: true when a page of [@first, @last) may be pinned.
 */
bool mmio_shm_buffer_pinned(struct mmio_shm_buf *buf, pgoff_t first,
			    pgoff_t last)
{
	struct address_space *mapping = buf->file->f_mapping;
	struct page *page;
	bool pinned = false;
	pgoff_t index;

	for (index = first; index < last && !pinned; index++) {
		page = find_get_page(mapping, index);
		if (!page)
			continue;
		pinned = mmio_shm_page_maybe_dma_pinned(page);
		put_page(page);
		cond_resched();
	}
	return pinned;
}

/*
 * Make @size the size that .mmap checks against, unless something maps
 * the buffer or, for a shrink, a page it drops may be pinned for DMA.
 * Takes the device lock only for this moment, so an mmap() never waits
 * for pages being brought in.
 */
static int mmio_shm_buf_publish(struct mmio_shm_dev *dev, size_t size)
{
	int ret;

	lockdep_assert_held_write(&dev->resize_sem);

	ret = mutex_lock_killable(&dev->lock);
	if (ret)
		return ret;
	/* a mapped buffer cannot change under its mappings */
	if (atomic_read(&dev->nr_maps))
		ret = -EBUSY;
	/* nor drop pages that DMA may still reach: checked with no mapping left */
	else if (size < dev->buf.size &&
		 mmio_shm_buffer_pinned(&dev->buf, size >> PAGE_SHIFT,
					dev->buf.size >> PAGE_SHIFT))
		ret = -EBUSY;
	else
		WRITE_ONCE(dev->buf.size, size);
	mutex_unlock(&dev->lock);
	return ret;
}

/**
 * mmio_shm_buf_resize() - change the size of an unmapped buffer
 * @dev:      the device; the caller holds its resize_sem for writing
 * @new_size: requested size in bytes, not 0; rounded up to whole pages
 *
 * Contents up to the smaller of the two sizes are kept; pages added by
 * growing are new, zero-filled and resident like the others. A caller
 * killed part-way leaves the buffer as it was.
 *
 * Return: 0, or a negative errno with the buffer unchanged: -ENOMEM past
 * the cap, -EBUSY while mapped or exported as a dma-buf or, for a shrink,
 * while a page it would drop may be pinned for DMA, -EINTR when killed.
 */
int mmio_shm_buf_resize(struct mmio_shm_dev *dev, u64 new_size)
{
	struct mmio_shm_buf *buf = &dev->buf;
	size_t old_size = buf->size;
	size_t size;
	int ret;

	lockdep_assert_held_write(&dev->resize_sem);

	/* checked before PAGE_ALIGN(), which would wrap near U64_MAX */
	if (new_size > mmio_shm_limit)
		return -ENOMEM;
	size = PAGE_ALIGN(new_size);
	if (size == old_size)
		return 0;
	/* fail early; mmio_shm_buf_publish() checks again under the lock */
	if (atomic_read(&dev->nr_maps))
		return -EBUSY;
	/* a device may be doing DMA into exported pages */
	if (mmio_shm_dmabuf_busy(dev))
		return -EBUSY;

	if (size < old_size) {
		ret = mmio_shm_buf_publish(dev, size);
		if (ret)
			return ret;
		mmio_shm_buf_set_isize(buf, size);
		mmio_shm_uncharge(old_size - size);
		return 0;
	}

	ret = mmio_shm_charge(size - old_size);
	if (ret)
		return ret;
	/* past buf->size, so neither .mmap nor read/write can see them yet */
	mmio_shm_buf_set_isize(buf, size);
	ret = mmio_shm_buf_populate(buf, old_size >> PAGE_SHIFT,
				    size >> PAGE_SHIFT);
	if (ret)
		goto err_shrink;
	ret = mmio_shm_buf_publish(dev, size);
	if (ret)
		goto err_shrink;
	return 0;

err_shrink:
	mmio_shm_buf_set_isize(buf, old_size);
	mmio_shm_uncharge(size - old_size);
	return ret;
}

/**
 * mmio_shm_buf_zero() - overwrite a range of the buffer with zeroes
 * @dev:    the device; the caller holds its resize_sem, so the size is stable
 * @offset: first byte to zero
 * @length: bytes to zero, or MMIO_SHM_ZERO_TO_END
 *
 * Works while the buffer is mapped: the pages stay where they are, and
 * every mapping sees the zeroes. A caller killed part-way leaves a prefix
 * of the range zeroed.
 *
 * Return: 0; -EINVAL when the range is empty or does not lie inside the
 * buffer; -EINTR when killed; or another negative errno.
 */
int mmio_shm_buf_zero(struct mmio_shm_dev *dev, u64 offset, u64 length)
{
	struct address_space *mapping = dev->buf.file->f_mapping;
	size_t size = dev->buf.size;
	u64 pos, end, next;
	struct page *page;
	pgoff_t index;

	lockdep_assert_held(&dev->resize_sem);

	if (offset >= size)
		return -EINVAL;
	if (length == MMIO_SHM_ZERO_TO_END)
		length = size - offset;
	if (!length || length > size - offset)
		return -EINVAL;

	end = offset + length;
	for (pos = offset; pos < end; pos = next) {
		if (fatal_signal_pending(current))
			return -EINTR;
		index = pos >> PAGE_SHIFT;
		next = min_t(u64, end, (u64)(index + 1) << PAGE_SHIFT);
		page = shmem_read_mapping_page(mapping, index);
		if (IS_ERR(page))
			return PTR_ERR(page);
		/* flushes the data cache for the user mappings too */
		zero_user_segment(page, offset_in_page(pos),
				  next - ((u64)index << PAGE_SHIFT));
		set_page_dirty(page);
		put_page(page);
		cond_resched();
	}
	return 0;
}
