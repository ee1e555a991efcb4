/* /init of the boot-check initramfs on architectures without a static busybox here (arm64): what init.sh does
 * with busybox on x86-64 — print every symbol the running kernel knows (and the size of its BTF) between the
 * markers on the console, then power off. Built against the kernel's tools/include/nolibc (make-initramfs.sh),
 * so it needs no libc or libgcc for the target. */
#include <linux/reboot.h>

static void write_all(const char *s, long n)
{
	while (n > 0) {
		long w = write(1, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

static void say(const char *s) { write_all(s, strlen(s)); }

/* Copies a file to the console; returns its size, or -1 when it cannot be opened. */
static long cat(const char *path, int echo)
{
	static char buf[65536];
	long total = 0, n;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (echo)
			write_all(buf, n);
		total += n;
	}
	close(fd);
	return total;
}

int main(void)
{
	int fd;
	long btf;
	char line[64];

	mount("proc", "/proc", "proc", 0, 0);
	/* Addresses read as zero unless kptr_restrict allows them (absent without CONFIG_SYSCTL: fine). */
	fd = open("/proc/sys/kernel/kptr_restrict", O_WRONLY);
	if (fd >= 0) {
		write(fd, "0\n", 2);
		close(fd);
	}
	if (mount("sysfs", "/sys", "sysfs", 0, 0) == 0 && (btf = cat("/sys/kernel/btf/vmlinux", 0)) >= 0) {
		say("KBUILD-BTF-SIZE ");
		say(ltoa_r(btf, line));
		say("\n");
	}
	say("KBUILD-KALLSYMS-BEGIN\n");
	cat("/proc/kallsyms", 1);
	say("KBUILD-KALLSYMS-END\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
