#!/bin/sh
# /init of the boot-check initramfs: print every symbol the running kernel knows (and the size of its BTF), then power off.
bb=/bin/busybox
$bb mount -t proc proc /proc
# Addresses read as zero unless kptr_restrict allows them (absent without CONFIG_SYSCTL: fine).
[ -w /proc/sys/kernel/kptr_restrict ] && echo 0 > /proc/sys/kernel/kptr_restrict
# BTF kernels (CONFIG_DEBUG_INFO_BTF + SYSFS): the size of /sys/kernel/btf/vmlinux, read through.
if $bb mount -t sysfs sysfs /sys 2>/dev/null && [ -e /sys/kernel/btf/vmlinux ]; then
  echo "KBUILD-BTF-SIZE $($bb cat /sys/kernel/btf/vmlinux | $bb wc -c)"
fi
echo KBUILD-KALLSYMS-BEGIN
$bb cat /proc/kallsyms
echo KBUILD-KALLSYMS-END
$bb reboot -f
