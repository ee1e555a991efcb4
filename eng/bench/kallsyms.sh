#!/usr/bin/env bash
# Times our kallsyms generation (Kbuild.Bench kallsyms: ELF symbol read + mksysmap filter + table arrays, one
# `dotnet` process) against the kernel's pipeline for one table (nm -n | mksysmap filter, scripts/kallsyms,
# gcc -c), alternating runs on the same inputs: a kernel vmlinux and a synthetic ELF with ~220,000 symbols.
# Prints median wall time, peak RSS, the ratio ours/kernel, and checks that our .S assembles to the same
# .rodata bytes as the kernel tool's.
#   usage: eng/bench/kallsyms.sh [vmlinux] [kernel-source-dir] [kallsyms flags...]
#          (defaults: the 6.1-A fixture, its source, --all-symbols --base-relative)
#   env:   REPEAT (default 5), KBUILD_FIXTURES
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
vmlinux=${1:-$fixtures/build/6.1-A/vmlinux}
srcdir=${2:-$fixtures/src/linux-6.1}
shift $(( $# < 2 ? $# : 2 ))
flags=("$@")
case "$(basename "$srcdir")" in *6.1) flags=(${flags[@]:-"--all-symbols" "--base-relative"}) ;; *) flags=(${flags[@]:-"--all-symbols"}) ;; esac
repeat=${REPEAT:-5}
[ -f "$vmlinux" ] || { echo "kallsyms.sh: no vmlinux at $vmlinux (eng/kernel-fixtures.sh builds one)" >&2; exit 1; }
version=$(kernel_version_of "$srcdir")

gcc -O2 -I "$srcdir/scripts/include" -o "$work/kallsyms" "$srcdir/scripts/kallsyms.c"
mkdir -p "$work/include/asm" && echo '#define BITS_PER_LONG 64' > "$work/include/asm/bitsperlong.h"

# Synthetic: 220,000 text symbols with kernel-like names (compression has work to do), between _stext/_etext.
awk 'BEGIN { srand(1); split("do sys init irq lock page alloc free mm vfs read write sched task rcu net dev pci timer work queue get put cpu map file inode cache tcp skb usb drm blk", w, " ");
  print ".text\n.globl _text, _stext\n_text:\n_stext:"; for (i = 0; i < 220000; i++) {
  n = w[int(rand() * 33) + 1] "_" w[int(rand() * 33) + 1] "_" w[int(rand() * 33) + 1] "_" i;
  if (i % 3 == 0) printf ".globl %s\n", n; printf "%s: .skip %d\n", n, 16 * (1 + int(rand() * 4)) }
  print ".globl _etext\n_etext: nop" }' > "$work/synthetic.s"
as -o "$work/synthetic.o" "$work/synthetic.s"
ld -Ttext=0xffffffff81000000 -e 0 -o "$work/synthetic" "$work/synthetic.o"

kernel_cmd() { # elf
  case "$version" in
    6.1|6.1.*) NM=nm sh "$srcdir/scripts/mksysmap" "$1" "$work/kernel.map" 2>/dev/null ;;
    *) nm -n "$1" | sed -f "$srcdir/scripts/mksysmap" > "$work/kernel.map" ;;
  esac
  "$work/kallsyms" "${flags[@]}" "$work/kernel.map" > "$work/kernel.S"
  gcc -I "$work/include" -c "$work/kernel.S" -o "$work/kernel.o"
}

measure() { # label elf
  local label=$1 elf=$2 i
  : > "$work/ours.times"; : > "$work/kernel.times"; : > "$work/inproc"
  for ((i = 0; i < repeat; i++)); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$bench" kallsyms "$elf" "$work/ours.S" "$version" "${flags[@]}" 2>>"$work/inproc"
    cat "$work/t" >> "$work/ours.times"
    export -f kernel_cmd; export srcdir version work; export flags_line="${flags[*]}"
    /usr/bin/time -f "%e %M" -o "$work/t" bash -c 'flags=($flags_line); kernel_cmd "$0"' "$elf"
    cat "$work/t" >> "$work/kernel.times"
  done
  gcc -c "$work/ours.S" -o "$work/ours.o"
  objcopy -O binary --only-section=.rodata "$work/ours.o" "$work/ours.bin"
  objcopy -O binary --only-section=.rodata "$work/kernel.o" "$work/kernel.bin"
  cmp -s "$work/ours.bin" "$work/kernel.bin" || { echo "$label: TABLES DIFFER" >&2; exit 1; }
  median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  local ours_t kern_t ours_m kern_m inproc
  ours_t=$(cut -d' ' -f1 "$work/ours.times" | median); kern_t=$(cut -d' ' -f1 "$work/kernel.times" | median)
  ours_m=$(cut -d' ' -f2 "$work/ours.times" | median); kern_m=$(cut -d' ' -f2 "$work/kernel.times" | median)
  inproc=$(grep -o '[0-9.]*$' "$work/inproc" | median)
  printf '%-34s %8s %10s %10s %12s %12s %8s\n' "$label ($(wc -l < "$work/kernel.map") map lines)" "$version" \
    "${ours_t}s" "${kern_t}s" "$((ours_m / 1024))MiB" "$((kern_m / 1024))MiB" \
    "$(awk -v a="$ours_t" -v b="$kern_t" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
  echo "    our in-process time (median, excluding dotnet start-up): ${inproc} ms"
}

echo "kallsyms flags: ${flags[*]}"
printf '%-34s %8s %10s %10s %12s %12s %8s\n' input kernel ours kernel "ours RSS" "kernel RSS" ratio
measure "$(basename "$vmlinux")" "$vmlinux"
measure synthetic "$work/synthetic"
