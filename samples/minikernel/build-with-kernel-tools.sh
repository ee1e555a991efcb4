#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds the minikernel the way Linux 6.12 scripts/link-vmlinux.sh links
# vmlinux: the reference the SDK's single link is compared against.
#
#   0) scripts/kallsyms on an empty map gives an empty table
#   1) link .tmp_vmlinux1 with it; nm -n | sed -f scripts/mksysmap | kallsyms
#   2) link .tmp_vmlinux2 with that table (now the right size); kallsyms again
#   3) only if the table changed between 1 and 2 (or KALLSYMS_EXTRA_PASS is set)
#   4) link vmlinux; System.map must equal the map the last table came from
#
# Usage: build-with-kernel-tools.sh [OUTDIR]        (default: obj/kernel-tools)
# Environment: CC LD NM AR (gcc ld nm ar), KALLSYMS_ALL (1: --all-symbols),
#   KALLSYMS_ABSOLUTE_PERCPU (0: 1 adds --absolute-percpu), KALLSYMS_EXTRA_PASS, KERNEL_SRC (a tree with scripts/kallsyms.c; default:
#   $KBUILD_FIXTURES/src/linux-6.12, else extracted from
#   /usr/src/linux-source-6.12.tar.xz into OUTDIR/ksrc).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here/obj/kernel-tools}" && cd "${1:-$here/obj/kernel-tools}" && pwd)
CC=${CC:-gcc}
LD=${LD:-ld}
NM=${NM:-nm}
AR=${AR:-ar}
KALLSYMS_ALL=${KALLSYMS_ALL:-1}
KALLSYMS_ABSOLUTE_PERCPU=${KALLSYMS_ABSOLUTE_PERCPU:-0}

# Same flags as kernel.kproj (LdFlags, LdFlagsVmlinux) and compile.targets (cflags).
ldflags="-m elf_x86_64 -z noexecstack --build-id=sha1 --orphan-handling=warn --script=$here/minikernel.lds"
cflags="$(cat "$here/cflags")"
kallsymopt=
if [ "$KALLSYMS_ALL" = 1 ]; then
	cflags="$cflags -DCONFIG_KALLSYMS_ALL"
	kallsymopt=--all-symbols
fi
if [ "$KALLSYMS_ABSOLUTE_PERCPU" = 1 ]; then
	cflags="$cflags -DCONFIG_KALLSYMS_ABSOLUTE_PERCPU"
	kallsymopt="$kallsymopt --absolute-percpu"
fi

info() { printf '  %-7s %s\n' "$1" "$2"; }

find_kernel_src() {
	fixtures=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}
	if [ -n "${KERNEL_SRC:-}" ]; then
		echo "$KERNEL_SRC"
	elif [ -f "$fixtures/src/linux-6.12/scripts/kallsyms.c" ]; then
		echo "$fixtures/src/linux-6.12"
	else
		if [ ! -f "$out/ksrc/scripts/kallsyms.c" ]; then
			mkdir -p "$out/ksrc"
			tar xf /usr/src/linux-source-6.12.tar.xz -C "$out/ksrc" --strip-components=1 \
				--wildcards '*/scripts/kallsyms.c' '*/scripts/mksysmap' '*/scripts/include/xalloc.h'
		fi
		echo "$out/ksrc"
	fi
}

ksrc=$(find_kernel_src)
cd "$out"

info HOSTCC scripts/kallsyms
$CC -O2 -I "$ksrc/scripts/include" -o kallsyms "$ksrc/scripts/kallsyms.c"
# The generated .S includes <asm/bitsperlong.h> for BITS_PER_LONG.
mkdir -p include/asm
echo '#define BITS_PER_LONG 64' > include/asm/bitsperlong.h

for src in head.S main.c kallsyms.c; do
	info CC "${src%.*}.o"
	$CC $cflags -c -o "${src%.*}.o" "$here/$src"
done
info CC lib/printk.o
$CC $cflags -c -o printk.o "$here/lib/printk.c"
info AR lib.a
rm -f lib.a
$AR rcs lib.a printk.o

kallsymso=
kallsymso_prev=

# kallsyms MAP NAME: NAME.S and NAME.o from a symbol map
kallsyms() {
	info KSYMS "$2.S"
	./kallsyms $kallsymopt "$1" > "$2.S"
	info AS "$2.o"
	$CC -I include -c -o "$2.o" "$2.S"
	kallsymso_prev=$kallsymso
	kallsymso=$2.o
}

vmlinux_link() {
	info LD "$1"
	$LD $ldflags -o "$1" head.o main.o kallsyms.o --start-group lib.a --end-group $kallsymso
}

mksysmap() {
	info NM "$2"
	$NM -n "$1" | sed -f "$ksrc/scripts/mksysmap" > "$2"
}

sysmap_and_kallsyms() {
	mksysmap "$1" "$1.syms"
	kallsyms "$1.syms" "$1.kallsyms"
	kallsyms_sysmap=$1.syms
}

kallsymso_changed() {
	$NM -n "$kallsymso_prev" > "$kallsymso_prev.sym"
	$NM -n "$kallsymso" > "$kallsymso.sym"
	! cmp -s "$kallsymso_prev.sym" "$kallsymso.sym"
}

: > .tmp_vmlinux.kallsyms0.syms
kallsyms .tmp_vmlinux.kallsyms0.syms .tmp_vmlinux0.kallsyms

vmlinux_link .tmp_vmlinux1
sysmap_and_kallsyms .tmp_vmlinux1
size1=$(stat -c %s "$kallsymso")

vmlinux_link .tmp_vmlinux2
sysmap_and_kallsyms .tmp_vmlinux2
size2=$(stat -c %s "$kallsymso")

if [ "$size1" -ne "$size2" ] || kallsymso_changed || [ -n "${KALLSYMS_EXTRA_PASS:-}" ]; then
	vmlinux_link .tmp_vmlinux3
	sysmap_and_kallsyms .tmp_vmlinux3
fi

vmlinux_link vmlinux
mksysmap vmlinux System.map

if ! cmp -s System.map "$kallsyms_sysmap"; then
	echo >&2 "Inconsistent kallsyms data"
	exit 1
fi
echo "$out/vmlinux"
