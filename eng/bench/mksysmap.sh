#!/usr/bin/env bash
# Times our System.map generation (Kbuild.Bench sysmap = what the WriteSystemMap task does, as one `dotnet` process)
# against the kernel's scripts/mksysmap (nm -n | grep -v for 6.1, nm -n | sed -f for 6.12), alternating runs on
# the same inputs: a kernel vmlinux and a synthetic ELF with >= 200,000 symbols. Prints median wall time, peak
# RSS and the ratio ours/kernel, and checks both outputs are identical.
#   usage: eng/bench/mksysmap.sh [vmlinux] [kernel-source-dir]   (defaults: the 6.12-A fixture)
#   env:   REPEAT (default 7), KBUILD_FIXTURES
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
vmlinux=${1:-$fixtures/build/6.12-A/vmlinux}
srcdir=${2:-$fixtures/src/linux-6.12}
repeat=${REPEAT:-7}
[ -f "$vmlinux" ] || { echo "mksysmap.sh: no vmlinux at $vmlinux (eng/kernel-fixtures.sh builds one)" >&2; exit 1; }
version=$(kernel_version_of "$srcdir")

# Synthetic: 220,000 text symbols (a third global) plus names every filter deletes.
awk 'BEGIN { print ".text"; for (i = 0; i < 220000; i++) {
  if (i % 3 == 0) printf ".globl sym_%d\n", i; printf "sym_%d: nop\n", i;
  if (i % 1000 == 0) printf "__crc_%d: nop\n__kstrtab_%d: nop\n", i, i } }' > "$work/synthetic.s"
as -o "$work/synthetic.o" "$work/synthetic.s"
ld -e 0 -o "$work/synthetic" "$work/synthetic.o"

kernel_cmd() { # elf out
  case "$version" in
    6.1|6.1.*) NM=nm sh "$srcdir/scripts/mksysmap" "$1" "$2" 2>/dev/null ;;
    *) nm -n "$1" | sed -f "$srcdir/scripts/mksysmap" > "$2" ;;
  esac
}

measure() { # label elf
  local label=$1 elf=$2 i
  : > "$work/ours.times"; : > "$work/kernel.times"
  for ((i = 0; i < repeat; i++)); do
    /usr/bin/time -f "%e %M" -o "$work/t" "$bench" sysmap "$elf" "$work/ours.map" "$version" 2>>"$work/inproc"
    cat "$work/t" >> "$work/ours.times"
    export -f kernel_cmd; export srcdir version
    /usr/bin/time -f "%e %M" -o "$work/t" bash -c 'kernel_cmd "$0" "$1"' "$elf" "$work/kernel.map"
    cat "$work/t" >> "$work/kernel.times"
  done
  cmp -s "$work/ours.map" "$work/kernel.map" || { echo "$label: OUTPUTS DIFFER" >&2; exit 1; }
  median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
  local ours_t kern_t ours_m kern_m inproc
  ours_t=$(cut -d' ' -f1 "$work/ours.times" | median); kern_t=$(cut -d' ' -f1 "$work/kernel.times" | median)
  ours_m=$(cut -d' ' -f2 "$work/ours.times" | median); kern_m=$(cut -d' ' -f2 "$work/kernel.times" | median)
  inproc=$(grep -o '[0-9.]*$' "$work/inproc" | median); : > "$work/inproc"
  printf '%-34s %8s %10s %10s %12s %12s %8s\n' "$label ($(wc -l < "$work/kernel.map") lines)" "$version" \
    "${ours_t}s" "${kern_t}s" "$((ours_m / 1024))MiB" "$((kern_m / 1024))MiB" \
    "$(awk -v a="$ours_t" -v b="$kern_t" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')"
  echo "    our in-process time (median, excluding dotnet start-up and JIT of Main): ${inproc} ms"
}

printf '%-34s %8s %10s %10s %12s %12s %8s\n' input kernel ours kernel "ours RSS" "kernel RSS" ratio
measure "$(basename "$vmlinux")" "$vmlinux"
measure synthetic "$work/synthetic"
