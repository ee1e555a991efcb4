#!/usr/bin/env bash
# Benchmark (not a test): the link phase of a real kernel, side by side on the same inputs.
#   1. one bare `ld` of the final link (same objects, flags, script and kallsyms object)
#   2. our whole link phase: `dotnet build` of a kernel.kproj after a clean (reserve, link, patch, System.map)
#   3. the kernel's own scripts/link-vmlinux.sh-style work is not rerun here (see REFERENCE §3 for it)
#   4. a no-op `dotnet build` of that kproj vs a no-op build of an empty MSBuild project
# Prints each median (of RUNS, default 5) and the ratios.
# Usage: eng/bench/link-phase.sh [KERNEL_BUILD_DIR]   (default: $KBUILD_FIXTURES/build/6.1-A)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build=$(cd "${1:-${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}/build/6.1-A}" && pwd)
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The kernel's own link values: LD and both flag sets from .vmlinux.cmd, the libraries from .vmlinux.o.cmd.
cmd=$(head -1 "$build/.vmlinux.cmd")
ld=$(sed -E 's/^[^"]*"([^"]*)".*/\1/' <<<"$cmd")
kbuild_ldflags=$(sed -E 's/^[^"]*"[^"]*" "([^"]*)".*/\1/' <<<"$cmd")
ldflags_vmlinux=$(sed -E 's/^[^"]*"[^"]*" "[^"]*" "([^"]*)".*/\1/' <<<"$cmd")
libs=$(sed -nE 's/.*--start-group (.*) --end-group.*/\1/p' "$build/.vmlinux.o.cmd")
version=$(sed -nE 's/^VERSION = //p' "$build/source/Makefile" 2>/dev/null || true).$(sed -nE 's/^PATCHLEVEL = //p' "$build/source/Makefile" 2>/dev/null || true)
[ "$version" != "." ] || version=$(make -s -C "$build" kernelversion 2>/dev/null | cut -d. -f1,2)
conf() { grep -q "^CONFIG_$1=y" "$build/include/config/auto.conf" && echo true || echo false; }

objects=""
for o in vmlinux.a init/version-timestamp.o; do objects="$objects<VmlinuxObject Include=\"$build/$o\" />"; done
[ -f "$build/.vmlinux.export.o" ] && objects="$objects<VmlinuxObject Include=\"$build/.vmlinux.export.o\" />"
libraries=""
for l in $libs; do libraries="$libraries<VmlinuxLibrary Include=\"$build/$l\" />"; done

cat > "$work/kernel.kproj" <<KPROJ
<Project>
  <Import Project="$repo/src/Kbuild.Sdk/Sdk/Sdk.props" />
  <PropertyGroup>
    <KernelVersion>$version</KernelVersion>
    <VmlinuxLinkerScript>$build/arch/x86/kernel/vmlinux.lds</VmlinuxLinkerScript>
    <Ld>$ld</Ld>
    <LdFlags>$kbuild_ldflags</LdFlags>
    <LdFlagsVmlinux>$ldflags_vmlinux</LdFlagsVmlinux>
    <KallsymsAllSymbols>$(conf KALLSYMS_ALL)</KallsymsAllSymbols>
    <KallsymsAbsolutePercpu>$(conf KALLSYMS_ABSOLUTE_PERCPU)</KallsymsAbsolutePercpu>
    <KallsymsBaseRelative>$(conf KALLSYMS_BASE_RELATIVE)</KallsymsBaseRelative>
  </PropertyGroup>
  <ItemGroup>$objects$libraries</ItemGroup>
  <Import Project="$repo/src/Kbuild.Sdk/Sdk/Sdk.targets" />
</Project>
KPROJ
mkdir -p "$work/empty"
echo '<Project><Target Name="Build" /></Project>' > "$work/empty/empty.proj"

now() { date +%s.%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
time_runs() { # label, command...
  local label=$1; shift
  for _ in $(seq "$runs"); do
    [ -n "${BEFORE:-}" ] && eval "$BEFORE"
    local t0; t0=$(now); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    echo "$(now) - $t0" | bc
  done | median
}

dotnet_build() { dotnet build "$1" -nodeReuse:false -v:q; }
dotnet_build "$work/kernel.kproj" >/dev/null  # builds the task assembly, warms up; leaves obj/kallsyms.reserve.o

bare_ld() { (cd "$build" && $ld $kbuild_ldflags $ldflags_vmlinux --script=arch/x86/kernel/vmlinux.lds -o "$work/bare-vmlinux" \
  --whole-archive vmlinux.a init/version-timestamp.o --no-whole-archive --start-group $libs --end-group "$work/obj/kallsyms.reserve.o"); }

t_ld=$(time_runs "bare ld" bare_ld)
t_full=$(BEFORE="rm -rf '$work/obj' '$work/out'" time_runs "link phase" dotnet_build "$work/kernel.kproj")
t_noop=$(time_runs "no-op" dotnet_build "$work/kernel.kproj")
t_empty=$(time_runs "empty" dotnet_build "$work/empty/empty.proj")

printf 'kernel build dir:                 %s (Linux %s)\n' "$build" "$version"
printf 'bare ld (one final link):         %6.3f s\n' "$t_ld"
printf 'dotnet build, clean link phase:   %6.3f s   (%.1fx bare ld)\n' "$t_full" "$(echo "$t_full / $t_ld" | bc -l)"
printf 'dotnet build, no-op:              %6.3f s\n' "$t_noop"
printf 'dotnet build, empty project:      %6.3f s   (no-op is %.2fx empty)\n' "$t_empty" "$(echo "$t_noop / $t_empty" | bc -l)"
