#!/usr/bin/env bash
# Builds (once) the initramfs the boot check uses and prints its path: static busybox whose /init
# mounts /proc, prints /proc/kallsyms between two marker lines on the console, then powers off.
#
#   eng/qemu/make-initramfs.sh     -> ${KBUILD_FIXTURES:-~/.cache/kbuild-sdk}/qemu/initramfs.cpio.gz
#
# The archive is written by the kernel's own usr/gen_init_cpio (compiled from the fixture source), so
# /dev/console can be a device node without root rights.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
F=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}
out=$F/qemu/initramfs.cpio.gz
busybox=${KBUILD_BUSYBOX:-/bin/busybox}
recipe=2   # bump when /init or the file list below changes

die() { echo "make-initramfs: $*" >&2; exit 1; }

stamp=$(cat "$here/init.sh" <(echo "recipe=$recipe") "$busybox" | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then echo "$out"; exit 0; fi

file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
  die "$busybox is not a static busybox: install package busybox-static (eng/install-deps.sh)"
gen_src=$F/src/linux-6.1/usr/gen_init_cpio.c
[ -f "$gen_src" ] || "$here/../kernel-fixtures.sh" src >/dev/null
mkdir -p "$F/qemu"
work=$(mktemp -d "$F/qemu/.initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/gen_init_cpio" "$gen_src"
cat > "$work/list" <<LIST
dir /dev 755 0 0
nod /dev/console 600 0 0 c 5 1
dir /proc 555 0 0
dir /sys 555 0 0
dir /bin 755 0 0
file /bin/busybox $busybox 755 0 0
slink /bin/sh busybox 777 0 0
file /init $here/init.sh 755 0 0
LIST
"$work/gen_init_cpio" "$work/list" | gzip -9 > "$work/initramfs.cpio.gz"
mv "$work/initramfs.cpio.gz" "$out"
echo "$stamp" > "$out.stamp"
echo "$out"
