#!/usr/bin/env bash
# Builds (once) the initramfs the boot check uses and prints its path: an /init that mounts /proc, prints
# /proc/kallsyms between two marker lines on the console, then powers off.
#
#   eng/qemu/make-initramfs.sh [x86_64]  -> ${KBUILD_FIXTURES:-~/.cache/kbuild-sdk}/qemu/initramfs.cpio.gz
#   eng/qemu/make-initramfs.sh arm64     -> .../qemu/initramfs-arm64.cpio.gz
#
# x86_64: static busybox running init.sh. arm64 (no arm64 busybox or libgcc here): init.c, built by clang-16
# for aarch64 against the 6.12 fixture source's tools/include/nolibc and libc6-dev-arm64-cross's kernel headers.
#
# The archive is written by the kernel's own usr/gen_init_cpio (compiled from the fixture source), so
# /dev/console can be a device node without root rights.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
F=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}
arch=${1:-x86_64}
busybox=${KBUILD_BUSYBOX:-/bin/busybox}
nolibc=$F/src/linux-6.12/tools/include/nolibc
recipe=2   # bump when /init or the file list below changes

die() { echo "make-initramfs: $*" >&2; exit 1; }

case $arch in
  x86_64) out=$F/qemu/initramfs.cpio.gz tag="recipe=$recipe" init_files=("$here/init.sh" "$busybox") ;;
  arm64) out=$F/qemu/initramfs-arm64.cpio.gz tag="recipe=$recipe arch=$arch" init_files=("$here/init.c" "$nolibc/arch-aarch64.h") ;;
  *) die "no boot-check initramfs for architecture '$arch' (known: x86_64, arm64)" ;;
esac
[ -f "$F/src/linux-6.1/usr/gen_init_cpio.c" ] && [ -f "$nolibc/nolibc.h" ] || "$here/../kernel-fixtures.sh" src >/dev/null
stamp=$(cat "${init_files[0]}" <(echo "$tag") "${init_files[1]}" | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then echo "$out"; exit 0; fi

mkdir -p "$F/qemu"
work=$(mktemp -d "$F/qemu/.initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/gen_init_cpio" "$F/src/linux-6.1/usr/gen_init_cpio.c"
cat > "$work/list" <<LIST
dir /dev 755 0 0
nod /dev/console 600 0 0 c 5 1
dir /proc 555 0 0
dir /sys 555 0 0
LIST
if [ "$arch" = x86_64 ]; then
  file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    die "$busybox is not a static busybox: install package busybox-static (eng/install-deps.sh)"
  cat >> "$work/list" <<LIST
dir /bin 755 0 0
file /bin/busybox $busybox 755 0 0
slink /bin/sh busybox 777 0 0
file /init $here/init.sh 755 0 0
LIST
else
  command -v clang-16 >/dev/null && [ -d /usr/aarch64-linux-gnu/include/linux ] ||
    die "the arm64 /init needs clang-16 and libc6-dev-arm64-cross (eng/install-deps.sh)"
  clang-16 --target=aarch64-linux-gnu -isystem /usr/aarch64-linux-gnu/include -nostdlib -static -ffreestanding \
    -fno-stack-protector -fuse-ld=lld -Os -include "$nolibc/nolibc.h" -o "$work/init" "$here/init.c"
  echo "file /init $work/init 755 0 0" >> "$work/list"
fi
"$work/gen_init_cpio" "$work/list" | gzip -9 > "$work/initramfs.cpio.gz"
mv "$work/initramfs.cpio.gz" "$out"
echo "$stamp" > "$out.stamp"
echo "$out"
