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
 *    them at unload. The shmem file is created before the misc device is
 *    registered, so /dev/mmio_shm* never appears half set up.
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
#include <linux/stringify.h>
#include <linux/sysfs.h>

#include "mmio_shm.h"

#define MMIO_SHM_DEFAULT_SIZE	(4UL << 20)
#define MMIO_SHM_MAX_DEVICES	32

/*
 * size accepts a plain number of bytes or one with a K, M or G suffix.
 * Anything else, or a value that overflows, fails the load with -EINVAL.
 */
static unsigned long size = MMIO_SHM_DEFAULT_SIZE;

static int mmio_shm_param_set_size(const char *val,
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

static const struct kernel_param_ops mmio_shm_param_size_ops = {
	.set = mmio_shm_param_set_size,
	.get = param_get_ulong,
};

module_param_cb(size, &mmio_shm_param_size_ops, &size, 0444);
MODULE_PARM_DESC(size,
		 "Buffer size of each device in bytes, K/M/G suffix allowed, rounded up to whole pages (default: 4M)");

/*
 * The stock integer parsers answer an out-of-range number with -ERANGE;
 * every unparsable value fails the load with -EINVAL instead.
 */
static int mmio_shm_param_set_uint(const char *val,
				   const struct kernel_param *kp)
{
	return param_set_uint(val, kp) ? -EINVAL : 0;
}

static const struct kernel_param_ops mmio_shm_param_uint_ops = {
	.set = mmio_shm_param_set_uint,
	.get = param_get_uint,
};

static int mmio_shm_param_set_ushort(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_ushort(val, kp) ? -EINVAL : 0;
}

static const struct kernel_param_ops mmio_shm_param_ushort_ops = {
	.set = mmio_shm_param_set_ushort,
	.get = param_get_ushort,
};

static unsigned int devices = 1;
module_param_cb(devices, &mmio_shm_param_uint_ops, &devices, 0444);
MODULE_PARM_DESC(devices,
		 "Number of devices: /dev/mmio_shm, then /dev/mmio_shm1, ... (1-32, default: 1)");

static ushort mode = 0600;
module_param_cb(mode, &mmio_shm_param_ushort_ops, &mode, 0444);
MODULE_PARM_DESC(mode,
		 "Permission bits of the device nodes on devtmpfs, udev rules may override (default: 0600)");

static struct mmio_shm_dev *mmio_shm_devs;

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

static struct attribute *mmio_shm_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_open_files.attr,
	&dev_attr_mappings.attr,
	&dev_attr_doorbell_seq.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mmio_shm);

/**
 * mmio_shm_dev_create() - set up one device and make its node appear
 * @dev:   zeroed storage for the device
 * @index: 0 for /dev/mmio_shm, N for /dev/mmio_shmN
 * @bytes: buffer size, a whole number of pages
 *
 * Return: 0, or a negative errno with nothing left registered or allocated.
 */
static int mmio_shm_dev_create(struct mmio_shm_dev *dev, unsigned int index,
			       size_t bytes)
{
	int ret;

	if (index)
		scnprintf(dev->name, sizeof(dev->name), "mmio_shm%u", index);
	else
		strscpy(dev->name, "mmio_shm", sizeof(dev->name));
	mutex_init(&dev->lock);
	atomic_set(&dev->nr_open, 0);
	atomic_set(&dev->nr_maps, 0);
	mmio_shm_doorbell_init(dev);

	ret = mmio_shm_buf_init(&dev->buf, dev->name, bytes);
	if (ret) {
		pr_err("%s: cannot allocate %zu bytes: %d\n", dev->name, bytes,
		       ret);
		goto err_destroy_lock;
	}

	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = dev->name;
	dev->misc.fops = &mmio_shm_fops;
	dev->misc.groups = mmio_shm_groups;
	dev->misc.mode = mode;
	/* last: from here on the node exists and may be opened */
	ret = misc_register(&dev->misc);
	if (ret) {
		pr_err("%s: cannot register: %d\n", dev->name, ret);
		goto err_release_buf;
	}
	return 0;

err_release_buf:
	mmio_shm_buf_release(&dev->buf);
err_destroy_lock:
	mutex_destroy(&dev->lock);
	return ret;
}

static void mmio_shm_dev_destroy(struct mmio_shm_dev *dev)
{
	misc_deregister(&dev->misc);
	mmio_shm_buf_release(&dev->buf);
	mutex_destroy(&dev->lock);
}

static int __init mmio_shm_init(void)
{
	unsigned int i;
	size_t bytes;
	int ret;

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
	if (size > mmio_shm_size_limit() / devices) {
		pr_err("size=%lu: %u device(s) of this size exceed half of RAM (%zu bytes)\n",
		       size, devices, mmio_shm_size_limit());
		return -ENOMEM;
	}
	bytes = PAGE_ALIGN(size);

	mmio_shm_devs = kcalloc(devices, sizeof(*mmio_shm_devs), GFP_KERNEL);
	if (!mmio_shm_devs)
		return -ENOMEM;

	for (i = 0; i < devices; i++) {
		ret = mmio_shm_dev_create(&mmio_shm_devs[i], i, bytes);
		if (ret)
			goto err_destroy_devs;
	}
	return 0;

err_destroy_devs:
	while (i--)
		mmio_shm_dev_destroy(&mmio_shm_devs[i]);
	kfree(mmio_shm_devs);
	return ret;
}
module_init(mmio_shm_init);

static void __exit mmio_shm_exit(void)
{
	unsigned int i;

	for (i = devices; i--; )
		mmio_shm_dev_destroy(&mmio_shm_devs[i]);
	kfree(mmio_shm_devs);
}
module_exit(mmio_shm_exit);

MODULE_DESCRIPTION("Shared-memory character device backed by resident page-cache pages");
MODULE_AUTHOR("The mmio_shm authors");
MODULE_VERSION(__stringify(MMIO_SHM_VERSION_MAJOR) "." __stringify(MMIO_SHM_VERSION_MINOR));
MODULE_LICENSE("GPL");
