#!/usr/bin/env bash
# Boots a kernel in QEMU with the boot-check initramfs and writes the booted kernel's /proc/kallsyms
# (the lines between the markers /init prints) to OUT-FILE.
#
#   eng/qemu/boot.sh KERNEL-IMAGE OUT-FILE [EXTRA-KERNEL-CMDLINE]
#
# KERNEL-IMAGE: a vmlinux with CONFIG_PVH (QEMU enters it directly) or a bzImage, booted by
# qemu-system-x86_64; or an arm64 Image (arch/arm64/boot/Image, found by its header's magic "ARM\x64"),
# booted by qemu-system-aarch64 on the virt machine, whose device tree carries a kaslr-seed. Emulates with TCG
# (a tinyconfig kernel boots in ~3 s; nested KVM on CI machines is unreliable), KBUILD_QEMU_ACCEL=kvm
# to opt in. Gives up after ${KBUILD_BOOT_TIMEOUT:-120} s. The full serial
# console log is kept next to OUT-FILE as OUT-FILE.console. Exit status 0 only when both markers came.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "boot: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: boot.sh KERNEL-IMAGE OUT-FILE [EXTRA-KERNEL-CMDLINE]"
kernel=$1 out=$2 extra=${3:-}
[ -f "$kernel" ] || die "kernel image $kernel does not exist"

arch=x86_64
[ "$(od -An -c -j 56 -N 3 "$kernel" | tr -d ' ')" = ARM ] && [ "$(od -An -tx1 -j 59 -N 1 "$kernel" | tr -d ' ')" = 64 ] && arch=arm64
initrd=$("$here/make-initramfs.sh" "$arch")
accel=${KBUILD_QEMU_ACCEL:-tcg}
case $arch in
  x86_64) qemu=(qemu-system-x86_64) tty=ttyS0 cpu=() ;;
  arm64) qemu=(qemu-system-aarch64 -M virt) tty=ttyAMA0 cpu=(-cpu cortex-a57) ;;
esac
[ "$accel" = tcg ] || cpu=(-cpu host)
console=$out.console
rm -f "$out" "$console"
status=0
timeout "${KBUILD_BOOT_TIMEOUT:-120}" "${qemu[@]}" -accel "$accel" "${cpu[@]}" -m 256 \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=$tty quiet loglevel=0 panic=-1 $extra" \
  -display none -monitor none -serial "file:$console" -no-reboot </dev/null || status=$?

# The serial console ends lines with CR LF.
tr -d '\r' < "$console" | awk '
  /^KBUILD-KALLSYMS-END$/ { if (inside) { done = 1 }; inside = 0; next }
  inside { print }
  /^KBUILD-KALLSYMS-BEGIN$/ { inside = 1 }
  END { exit done ? 0 : 1 }' > "$out.tmp" || {
  rm -f "$out.tmp"
  echo "boot: no complete /proc/kallsyms from $kernel (qemu exit status $status, accel $accel); console tail:" >&2
  tail -n 30 "$console" >&2
  exit 1
}
mv "$out.tmp" "$out"
