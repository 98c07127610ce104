// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - a shared-memory character device: registration and parameters
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Object model and lifetime:
 *
 *  - The module creates `devices` struct mmio_shm_dev at load, each with its
 *    own buffer (buffer.c) held in a kernel-internal shmem file, and frees
 *    them at unload. Every buffer exists before the first node is
 *    registered, and no node can be opened before the last one is, so
 *    /dev/mmio_shm* never appears half set up, and a load that fails
 *    part-way leaves no open file behind.
 *  - With huge= other than never, the buffers' shmem files live on a tmpfs
 *    mount of the module's own (buffer.c), mounted before the first buffer
 *    is created and unmounted after the last is released, at unload or
 *    when the load fails.
 *  - Every open file holds a reference on the module (through fops.owner).
 *  - Every VMA holds a reference on the device file it was mapped through
 *    (mmap.c), hence on the module, even after its fd is closed.
 *  - So the module, the devices and their buffers outlive every user:
 *    rmmod fails (EWOULDBLOCK, "in use") until the last fd is closed
 *    and the last mapping is gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mmio_shm_drv.h"

#define MMIO_SHM_DEFAULT_SIZE	(4UL << 20)
#define MMIO_SHM_MAX_DEVICES	32

/*
 * size and max_size take a number of bytes with an optional K, M or G
 * suffix. memparse() is not used: it ignores trailing garbage ("4Mx") and
 * wraps on overflow, where a typing error must fail the load (-EINVAL).
 */
static int mmio_shm_param_set_bytes(const char *val,
				    const struct kernel_param *kp)
{
	char num[24];
	unsigned int shift = 0;
	unsigned long long bytes;
	size_t len = strcspn(val, "\n");

	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, val, len);
	num[len] = '\0';

	switch (num[len - 1]) {
	case 'G': case 'g':
		shift += 10;
		fallthrough;
	case 'M': case 'm':
		shift += 10;
		fallthrough;
	case 'K': case 'k':
		shift += 10;
		num[len - 1] = '\0';
	}
	if (kstrtoull(num, 0, &bytes) || bytes > (ULONG_MAX >> shift))
		return -EINVAL;
	*(unsigned long *)kp->arg = bytes << shift;
	return 0;
}

static const struct kernel_param_ops mmio_shm_param_bytes_ops = {
	.set = mmio_shm_param_set_bytes,
	.get = param_get_ulong,
};

static unsigned long size = MMIO_SHM_DEFAULT_SIZE;
module_param_cb(size, &mmio_shm_param_bytes_ops, &size, 0444);
MODULE_PARM_DESC(size,
		 "Buffer size of each device in bytes, K/M/G suffix allowed, rounded up to whole pages (default: 4M)");

static unsigned long max_size;
module_param_cb(max_size, &mmio_shm_param_bytes_ops, &max_size, 0444);
MODULE_PARM_DESC(max_size,
		 "Most bytes all buffers together may hold, at load and after resizes, K/M/G suffix allowed, at most the RAM size (default 0: half of RAM)");

static unsigned int devices = 1;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices,
		 "Number of devices: /dev/mmio_shm, then /dev/mmio_shm1, ... (1-32, default: 1)");

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode,
		 "Permission bits of the device nodes on devtmpfs, udev rules may override (default: 0600)");

/*
 * huge takes tmpfs's huge= values (Documentation/filesystems/tmpfs.rst);
 * an index into this table. tmpfs's "deny" and "force" exist only for the
 * sysfs knob shmem_enabled, never as a mount option.
 */
static const char * const mmio_shm_huge_names[] = {
	"never", "always", "within_size", "advise",
};

static int mmio_shm_param_set_huge(const char *val,
				   const struct kernel_param *kp)
{
	/* sysfs_match_string() accepts one trailing newline, as sysfs does */
	int i = sysfs_match_string(mmio_shm_huge_names, val);

	if (i < 0)
		return -EINVAL;
	*(unsigned int *)kp->arg = i;
	return 0;
}

static int mmio_shm_param_get_huge(char *buffer,
				   const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n",
			 mmio_shm_huge_names[*(unsigned int *)kp->arg]);
}

static const struct kernel_param_ops mmio_shm_param_huge_ops = {
	.set = mmio_shm_param_set_huge,
	.get = mmio_shm_param_get_huge,
};

static unsigned int huge;
module_param_cb(huge, &mmio_shm_param_huge_ops, &huge, 0444);
MODULE_PARM_DESC(huge,
		 "Transparent huge pages for the buffers, as tmpfs's huge= option: never, always, within_size or advise (default: never)");

static struct mmio_shm_dev *mmio_shm_devs;
/* 1 once every node is registered; read by open() under misc's lock */
static int mmio_shm_registered;

/**
 * mmio_shm_nodes_ready() - whether the load got past its last failure point
 *
 * Until every node is registered, a later misc_register() may still fail
 * and unload the module; open() refuses until then, so that no file is
 * left pointing into a module that is gone.
 *
 * Return: true once opening is safe.
 */
bool mmio_shm_nodes_ready(void)
{
	/* pairs with the release in mmio_shm_init() */
	return smp_load_acquire(&mmio_shm_registered);
}

static struct mmio_shm_dev *mmio_shm_dev_from_device(struct device *device)
{
	/* misc_register() stores the struct miscdevice as the driver data */
	return mmio_shm_dev_from_misc(dev_get_drvdata(device));
}

static ssize_t size_show(struct device *device, struct device_attribute *attr,
			 char *page)
{
	struct mmio_shm_dev *dev = mmio_shm_dev_from_device(device);

	return sysfs_emit(page, "%zu\n", READ_ONCE(dev->buf.size));
}
static DEVICE_ATTR_RO(size);

static ssize_t open_files_show(struct device *device,
			       struct device_attribute *attr, char *page)
{
	struct mmio_shm_dev *dev = mmio_shm_dev_from_device(device);

	return sysfs_emit(page, "%d\n", atomic_read(&dev->nr_open));
}
static DEVICE_ATTR_RO(open_files);

static ssize_t mappings_show(struct device *device,
			     struct device_attribute *attr, char *page)
{
	struct mmio_shm_dev *dev = mmio_shm_dev_from_device(device);

	return sysfs_emit(page, "%d\n", atomic_read(&dev->nr_maps));
}
static DEVICE_ATTR_RO(mappings);

static ssize_t doorbell_seq_show(struct device *device,
				 struct device_attribute *attr, char *page)
{
	struct mmio_shm_dev *dev = mmio_shm_dev_from_device(device);

	return sysfs_emit(page, "%llu\n", mmio_shm_doorbell_seq(dev));
}
static DEVICE_ATTR_RO(doorbell_seq);

/*
 * Bytes of the buffer in memory: the size, but for holes that
 * madvise(MADV_REMOVE) punched through a writable shared mapping until
 * they are touched again (pages are never reclaimed: the mapping is
 * unevictable).
 */
static ssize_t resident_show(struct device *device,
			     struct device_attribute *attr, char *page)
{
	struct mmio_shm_dev *dev = mmio_shm_dev_from_device(device);
	unsigned long pages = READ_ONCE(dev->buf.file->f_mapping->nrpages);

	return sysfs_emit(page, "%llu\n", (u64)pages << PAGE_SHIFT);
}
static DEVICE_ATTR_RO(resident);

static struct attribute *mmio_shm_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_open_files.attr,
	&dev_attr_mappings.attr,
	&dev_attr_doorbell_seq.attr,
	&dev_attr_resident.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mmio_shm);

/**
 * mmio_shm_dev_setup() - set up one device and its buffer, not yet visible
 * @dev:   zeroed storage for the device
 * @index: 0 for /dev/mmio_shm, N for /dev/mmio_shmN
 * @bytes: buffer size, a whole number of pages
 *
 * Return: 0, or a negative errno with nothing left allocated.
 */
static int mmio_shm_dev_setup(struct mmio_shm_dev *dev, unsigned int index,
			      size_t bytes)
{
	int ret;

	if (index)
		scnprintf(dev->name, sizeof(dev->name), "mmio_shm%u", index);
	else
		strscpy(dev->name, "mmio_shm", sizeof(dev->name));
	init_rwsem(&dev->resize_sem);
	mutex_init(&dev->lock);
	atomic_set(&dev->nr_open, 0);
	atomic_set(&dev->nr_maps, 0);
	atomic_set(&dev->nr_exports, 0);
	mmio_shm_doorbell_init(dev);
	mmio_shm_endpoint_init(dev);

	ret = mmio_shm_buf_init(&dev->buf, dev->name, bytes);
	if (ret) {
		pr_err("%s: cannot allocate %zu bytes: %d\n", dev->name, bytes,
		       ret);
		mutex_destroy(&dev->lock);
		return ret;
	}

	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = dev->name;
	dev->misc.fops = &mmio_shm_fops;
	dev->misc.groups = mmio_shm_groups;
	dev->misc.mode = mode;
	return 0;
}

static void mmio_shm_dev_teardown(struct mmio_shm_dev *dev)
{
	/*
	 * A pin holds pages, not the module: with no file and no mapping
	 * left nothing can refuse the unload, and nothing tells the module
	 * when the pin goes. The pages stay with the pinner, apart from any
	 * buffer; say so, once per device (mmio_shm(4): "Pages pinned for
	 * DMA").
	 */
	if (mmio_shm_buffer_pinned(&dev->buf, 0, dev->buf.size >> PAGE_SHIFT))
		pr_warn("%s: unloaded while pages of the buffer are pinned for DMA: they stay with the pinner, no longer shared\n",
			dev->name);
	mmio_shm_buf_release(&dev->buf);
	mutex_destroy(&dev->lock);
}

/* Checks the parameters and sets the cap; returns the size of each buffer. */
static int mmio_shm_check_params(size_t *bytes)
{
	size_t ram = mmio_shm_ram_bytes();
	size_t limit = max_size ? max_size : mmio_shm_ram_limit();

	if (!size) {
		pr_err("size=0: the buffer needs at least one byte\n");
		return -EINVAL;
	}
	if (!devices || devices > MMIO_SHM_MAX_DEVICES) {
		pr_err("devices=%u: must be 1 to %u\n", devices,
		       MMIO_SHM_MAX_DEVICES);
		return -EINVAL;
	}
	if (mode & ~0777) {
		pr_err("mode=%#o: only permission bits (0-0777) are allowed\n",
		       mode);
		return -EINVAL;
	}
	if (max_size > ram) {
		pr_err("max_size=%lu: more than the RAM size (%zu bytes)\n",
		       max_size, ram);
		return -EINVAL;
	}
	if (size > limit / devices) {
		pr_err("size=%lu: %u device(s) of this size exceed the cap of %zu bytes (max_size)\n",
		       size, devices, limit);
		return -ENOMEM;
	}
	mmio_shm_set_limit(limit);
	*bytes = PAGE_ALIGN(size);
	return 0;
}

/*
 * Every buffer is allocated before the first node is registered, so most
 * failures happen while nothing is visible. A node that fails to register
 * after others did is undone with them; those others could not be opened
 * in between (mmio_shm_nodes_ready()).
 */
static int __init mmio_shm_init(void)
{
	unsigned int i, reg;
	size_t bytes;
	int ret;

	ret = mmio_shm_check_params(&bytes);
	if (ret)
		return ret;

	ret = mmio_shm_buf_mount(mmio_shm_huge_names[huge]);
	if (ret) {
		pr_err("huge=%s: cannot mount tmpfs with it: %d\n",
		       mmio_shm_huge_names[huge], ret);
		return ret;
	}

	mmio_shm_devs = kcalloc(devices, sizeof(*mmio_shm_devs), GFP_KERNEL);
	if (!mmio_shm_devs) {
		ret = -ENOMEM;
		goto err_unmount;
	}

	for (i = 0; i < devices; i++) {
		ret = mmio_shm_dev_setup(&mmio_shm_devs[i], i, bytes);
		if (ret)
			goto err_teardown_devs;
	}

	/* last: from here on the nodes exist, but open() waits for the flag */
	for (reg = 0; reg < devices; reg++) {
		ret = misc_register(&mmio_shm_devs[reg].misc);
		if (ret) {
			pr_err("%s: cannot register: %d\n",
			       mmio_shm_devs[reg].name, ret);
			goto err_deregister;
		}
	}
	/* every device is set up before open() can see the flag */
	smp_store_release(&mmio_shm_registered, 1);
	return 0;

err_deregister:
	while (reg--)
		misc_deregister(&mmio_shm_devs[reg].misc);
err_teardown_devs:
	while (i--)
		mmio_shm_dev_teardown(&mmio_shm_devs[i]);
	kfree(mmio_shm_devs);
err_unmount:
	mmio_shm_buf_unmount();
	return ret;
}
module_init(mmio_shm_init);

static void __exit mmio_shm_exit(void)
{
	unsigned int i;

	for (i = devices; i--; ) {
		misc_deregister(&mmio_shm_devs[i].misc);
		mmio_shm_dev_teardown(&mmio_shm_devs[i]);
	}
	kfree(mmio_shm_devs);
	mmio_shm_buf_unmount();
}
module_exit(mmio_shm_exit);

MODULE_DESCRIPTION("Shared-memory character device backed by resident page-cache pages");
MODULE_AUTHOR("The mmio_shm authors");
/* the project release, from dkms.conf (see Kbuild) */
MODULE_VERSION(MMIO_SHM_RELEASE);
MODULE_LICENSE("GPL");
