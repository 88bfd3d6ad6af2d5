// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/deadlock_ctl (write-only): "spin" starts the spinlock pair, "oops" the
 * Oops.  /init writes it after the hung-task reports are in, because either
 * one stops much or all of the guest.
 */
#include <linux/kernel.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dl.h"

static ssize_t dl_ctl_write(struct file *file, const char __user *ubuf, size_t len, loff_t *pos)
{
	char cmd[16];
	size_t n = min(len, sizeof(cmd) - 1);

	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);
	if (!strcmp(cmd, "spin"))
		dl_hang_spin_go();
	else if (!strcmp(cmd, "oops"))
		dl_oops_go();
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops dl_ctl_ops = {
	.proc_write = dl_ctl_write,
	.proc_lseek = noop_llseek,
};

int dl_ctl_init(void)
{
	return proc_create("deadlock_ctl", 0200, NULL, &dl_ctl_ops) ? 0 : -ENOMEM;
}
