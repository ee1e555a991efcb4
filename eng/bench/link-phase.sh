#!/usr/bin/env bash
# Benchmark (not a test): the kernel's vmlinux link phase against ours on the same kernel build directory,
# alternating RUNS repetitions of each case in one run so machine load hits both alike.
#
#   eng/bench/link-phase.sh [--touch SOURCE] BUILD_DIR...      e.g. ~/.cache/kbuild-sdk/build/6.1-A
#   env: RUNS (default 5), TOUCH_RUNS (default RUNS), RESULTS (directory kept with logs and raw times; default a temp dir),
#        TASKS=package|source (package: the task assembly loaded in-proc as from the NuGet package, the
#        default; source: the in-repo TaskHostFactory mode, one task-host process per task),
#        CASES (the cases to run, default "kernel ours floor strip dev floor-strip floor-lld noop relink server"),
#        BASE (another checkout of this repository with its task assembly built in Release, e.g. a `git archive`
#        of main: adds the cases base and base-relink, its ours and relink, alternated with ours — before/after
#        a change in one run), RELINK_RUNS (default RUNS), REUSE_PROBE=1 (keep RESULTS' probe and link values
#        of a run before: no make at all, for a loaded machine where the kernel's make takes minutes)
#
# Cases (each timed with /usr/bin/time: wall, user+sys CPU of the process tree that was waited for, peak RSS
# of the largest single process):
#   kernel   the kernel's link phase: scripts/link-vmlinux.sh with the arguments and the exported environment
#            make runs it with (captured by Kbuild.Bench probe = KernelTreeProbe, the make step of kernel-tree mode),
#            plus ARCH_POSTLINK on 6.12; on 7.x `make -f scripts/Makefile.vmlinux` (link-vmlinux.sh writing
#            vmlinux.unstripped, then the objcopy that makes vmlinux, and modules.builtin) — in a shadow of the build dir
#            (a directory of symlinks to every entry of it except the link's outputs; init/, include/ and .version
#            copied), so nothing of the fixture is written. Ours links out of place: on 7.x its image is make's
#            vmlinux.unstripped, and it makes no stripped copy.
#   ours     `dotnet build kernel.kproj` in kernel-tree mode (KernelBuildDir = the build dir) with the make step off
#            (KernelRunMake=false: the link values the warm-up build's make reported), after deleting its outputs:
#            reservation, link, patch+verify, System.map, sorttable. Output in RESULTS, never in the build dir.
#   floor    one bare final `ld` of the same inputs and flags with our reservation table.
#   dev      the developer loop: ours with KbuildStripDebug=true (strip), then also with Ld=$LLD (default ld.lld-16)
#            (strip+lld), and the floors
#            for it: one bare `ld --strip-debug`, one bare $LLD (GNU ld-only flags dropped as the SDK drops them).
#   noop     `dotnet build kernel.kproj` (make step off) with nothing changed vs `make vmlinux` in the build dir with nothing
#            changed (make reads the whole tree's dependency files; nothing is written), and vs `dotnet build` of a
#            project whose Build target is empty (the CLI's and MSBuild's own start-up: the floor of any no-op).
#   server   ours, its no-op and its relink again through the MSBuild server (DOTNET_CLI_USE_MSBUILD_SERVER=1, node reuse
#            on; the default from the .NET 11 SDK): the CLI hands the build to a warm MSBuild process that keeps the task
#            assembly loaded, so neither MSBuild's start-up nor the JIT is paid again. Started untimed in the warm-up,
#            shut down at the end. Its CPU and RSS columns are the CLI client's alone (the server is not a child).
#   relink   the relink after a change that leaves every symbol as it was: ours with its obj/ kept from the run
#            before (the per-input symbol cache, the reservation, the table) and every step forced to run again
#            (obj/kbuild.inputs.cache touched), against the floor. On a benchmark fixture, --touch-relink SOURCE
#            makes it the real case: before each run SOURCE is touched and the kernel's make (with
#            cmd_link_vmlinux overridden: nothing is linked) recompiles it and rebuilds vmlinux.a, untimed; then
#            ours (make step off, obj/ kept) and one bare link of the same inputs are timed.
#   touch    with --touch SOURCE (relative to the source tree): after touching it, the whole path of each:
#            kernel = `make vmlinux`; ours = `dotnet build` with the make step on (KernelRunMake=true: the
#            kernel's make with cmd_link_vmlinux overridden, then our link). This relinks the build dir's vmlinux, so it is refused
#            unless the build dir is a benchmark fixture (name ending in -debug) or BENCH_ALLOW_RELINK=1. The
#            source tree is shared by every build dir of that version: touch a file the test fixtures do not
#            compile (e.g. drivers/net/ethernet/intel/e1000/e1000_param.c, in defconfig, not in tinyconfig).
# Also checks that the kernel's System.map of the shadow link equals the fixture's, and that ours has the kernel's
# symbols, types and order (addresses after the kallsyms table differ by the reservation's slack).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 LC_ALL=C
runs=${RUNS:-5}
touch_runs=${TOUCH_RUNS:-$runs}
lld=${LLD:-ld.lld-16}
tasks=${TASKS:-package}
relink_runs=${RELINK_RUNS:-$runs}
cases=" ${CASES:-kernel ours floor strip dev floor-strip floor-lld noop relink server} "
base=${BASE:-}
touch_source= relink_source=
while :; do
  case ${1:-} in
    --touch) touch_source=$2; shift 2 ;;
    --touch-relink) relink_source=$2; shift 2 ;;
    *) break ;;
  esac
done
on() { [[ $cases == *" $1 "* ]]; }
[ $# -gt 0 ] || { sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 2; }
[ -x /usr/bin/time ] || { echo "link-phase.sh: /usr/bin/time missing (eng/install-deps.sh installs it)" >&2; exit 1; }
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"

dotnet build "$repo/eng/bench/Kbuild.Bench" -c Release -nodeReuse:false -v:q -nologo >/dev/null
bench="$repo/eng/bench/Kbuild.Bench/bin/Release/net10.0/Kbuild.Bench"
tasks_dll="$repo/src/Kbuild.Tasks/bin/Release/net10.0/Kbuild.Tasks.dll"
case $tasks in
  package) msbuild_tasks=(-p:KbuildTasksFromSource=false "-p:KbuildTasksAssembly=$tasks_dll") ;;
  source) msbuild_tasks=() ;;
  *) echo "link-phase.sh: TASKS must be package or source" >&2; exit 2 ;;
esac
if [ -n "$base" ]; then
  base=$(cd "$base" && pwd)
  base_tasks=()
  [ "$tasks" = source ] || base_tasks=(-p:KbuildTasksFromSource=false "-p:KbuildTasksAssembly=$base/src/Kbuild.Tasks/bin/Release/net10.0/Kbuild.Tasks.dll")
  [ -f "$base/src/Kbuild.Tasks/bin/Release/net10.0/Kbuild.Tasks.dll" ] || { echo "link-phase.sh: build $base's tasks first (dotnet build $base/src/Kbuild.Tasks -c Release)" >&2; exit 2; }
fi

read_nul() { local -n into=$1; into=(); while IFS= read -r -d '' e; do into+=("$e"); done < "$2"; }

timed() {  # case log command... : appends "case wall user sys rss_kib" to $work/times
  local case=$1 log=$2; shift 2
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > "$log" 2>&1; then
    echo "link-phase.sh: '$case' failed; last lines of $log:" >&2; tail -n 30 "$log" >&2; exit 1
  fi
  echo "$case $(cat "$work/t")" >> "$work/times"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" -v k="$2" '$1 == c { print $k }' "$work/times" | median; }  # case column -> median
cpu() { awk -v c="$1" '$1 == c { print $3 + $4 }' "$work/times" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 && a != "-" ? "%.2f" : "-"), a / b }'; }

bench_kernel() {
  local build name
  build=$(cd "$1" && pwd); name=$(basename "$build")
  work="$results/$name"
  # Every make here runs in the fixture's own environment: another KBUILD_BUILD_TIMESTAMP would regenerate the version
  # header, leave the fixture's vmlinux older than its inputs, and make "no-op" relink it.
  unset KBUILD_BUILD_TIMESTAMP; case $name in *-*) eval "$("$repo/eng/kernel-fixtures.sh" env "$name")" ;; esac
  local again=
  if [ -n "${REUSE_PROBE:-}" ] && [ -f "$work/floor.args" ] && [ -f "$work/kernel-tree.values" ]; then
    again=1; rm -f "$work/times"; rm -rf "$work/kernel" "$work/logs"; mkdir -p "$work/logs"
    echo "== $name: the probe and warm-up of the last run in $work (REUSE_PROBE)"
  else
    rm -rf "$work"; mkdir -p "$work/logs"
    echo "== $name: probing $build (the kernel's make with cmd_link_vmlinux overridden)"
    "$bench" probe "$build" "$work" > "$work/logs/probe.log"
  fi

  local env=() kernel_link=() postlink=() floor=() build_ours=()
  read_nul env "$work/tool.env"; read_nul kernel_link "$work/kernel-link.args"
  read_nul postlink "$work/postlink.args"; read_nul floor "$work/floor.args"
  kproj() {  # repo output -> a kernel-tree project of that checkout's SDK
    cat <<KPROJ
<Project>
  <Import Project="$1/src/Kbuild.Sdk/Sdk/Sdk.props" />
  <PropertyGroup>
    <KernelBuildDir>$build</KernelBuildDir>
    <KernelRunMake>false</KernelRunMake>
    <VmlinuxOutputPath>$2</VmlinuxOutputPath>
  </PropertyGroup>
  <Import Project="$1/src/Kbuild.Sdk/Sdk/Sdk.targets" />
</Project>
KPROJ
  }
  kproj "$repo" "$work/ours/vmlinux" > "$work/kernel.kproj"
  echo '<Project><Target Name="Build" /></Project>' > "$work/empty.proj"
  local build_base=()
  if [ -n "$base" ]; then
    kproj "$base" "$work/base/vmlinux" > "$work/base.kproj"
    # Its own copy of the link values: the saved capture's format may differ between the two checkouts.
    build_base=(dotnet build "$work/base.kproj" -nodeReuse:false -v:m -clp:PerformanceSummary "${base_tasks[@]}"
                "-p:KernelTreeValuesCache=$work/base-kernel-tree.values" -p:IntermediateOutputPath=base-obj/)
  fi
  # One copy of the kernel's link values (written by builds with the make step on) for every variant.
  build_ours=(dotnet build "$work/kernel.kproj" -nodeReuse:false -v:m -clp:PerformanceSummary "${msbuild_tasks[@]}"
              "-p:KernelTreeValuesCache=$work/kernel-tree.values")
  local build_server=(env -u MSBUILDDISABLENODEREUSE DOTNET_CLI_USE_MSBUILD_SERVER=1 dotnet build "$work/kernel.kproj" -v:m
                      -clp:PerformanceSummary "${msbuild_tasks[@]}" "-p:KernelTreeValuesCache=$work/kernel-tree.values"
                      "-p:VmlinuxOutputPath=$work/server/vmlinux" -p:IntermediateOutputPath=server-obj/)
  local build_strip=("${build_ours[@]}" -p:KbuildStripDebug=true "-p:VmlinuxOutputPath=$work/strip/vmlinux" -p:IntermediateOutputPath=strip-obj/)
  local build_dev=("${build_ours[@]}" -p:KbuildStripDebug=true -p:KbuildUseLld=true "-p:KbuildLld=$lld" "-p:VmlinuxOutputPath=$work/dev/vmlinux" -p:IntermediateOutputPath=dev-obj/)
  local floor_strip=("${floor[@]}" --strip-debug) floor_lld=("$lld") arg
  for arg in "${floor[@]:1}"; do case $arg in --no-warn-rwx-segments|--warn-rwx-segments|--no-warn-execstack) ;; *) floor_lld+=("$arg") ;; esac; done

  # The shadow build dir the kernel's link runs in: every entry of the real one except the link's outputs. What the
  # link rewrites besides them is copied: 6.1's link-vmlinux.sh rebuilds init/version-timestamp.o (bumping .version and
  # include/generated/utsversion.h), which through a symlink would leave the fixture's vmlinux older than its inputs.
  mkdir "$work/kernel"
  local entry
  for entry in "$build"/* "$build"/.[!.]*; do
    case ${entry##*/} in
      vmlinux|System.map|vmlinux.map|.tmp_*|.btf.*|.vmlinux.cmd|.vmlinux.d) ;;
      vmlinux.unstripped|.vmlinux.unstripped.cmd|.vmlinux.unstripped.d|modules.builtin|modules.builtin.modinfo|.modules.builtin*.cmd) ;;
      init|include|.version) cp -a "$entry" "$work/kernel/" ;;
      *) ln -s "$entry" "$work/kernel/${entry##*/}" ;;
    esac
  done
  kernel_phase() {
    cd "$work/kernel"
    # What the last run made (never a link into the fixture: these names are the shadow's own files): 7.x's make would
    # otherwise find the image up to date.
    rm -f vmlinux vmlinux.unstripped .vmlinux.cmd .vmlinux.unstripped.cmd modules.builtin modules.builtin.modinfo .modules.builtin*.cmd
    env -i "${env[@]}" "${kernel_link[@]}"
    [ ${#postlink[@]} -eq 0 ] || env -i "${env[@]}" "${postlink[@]}"
  }
  floor_link() { mkdir -p "$work/floor"; (cd "$build" && "${floor[@]}"); }
  ours_clean() { rm -rf "$work/obj" "$work/ours"; "${build_ours[@]}"; }  # KernelRunMake=false: no make
  base_clean() { rm -rf "$work/base-obj" "$work/base"; "${build_base[@]}"; }
  # Every step runs again (each target has the inputs cache among its Inputs); what obj/ holds from before stays.
  ours_relink() { touch "$work/obj/kbuild.inputs.cache"; "${build_ours[@]}"; }
  base_relink() { touch "$work/base-obj/kbuild.inputs.cache"; "${build_base[@]}"; }
  server_clean() { rm -rf "$work/server-obj" "$work/server"; "${build_server[@]}"; }
  server_relink() { touch "$work/server-obj/kbuild.inputs.cache"; "${build_server[@]}"; }
  dev_clean() { rm -rf "$work/dev-obj" "$work/dev"; "${build_dev[@]}"; }
  strip_clean() { rm -rf "$work/strip-obj" "$work/strip"; "${build_strip[@]}"; }

  # Warm-up (page cache, the task assembly, the tools), outside the measurements; with REUSE_PROBE without make.
  local warm_make=true; [ -z "$again" ] || warm_make=false
  "${build_ours[@]}" -p:KernelRunMake=$warm_make > "$work/logs/warmup.log" 2>&1 || { tail -30 "$work/logs/warmup.log"; exit 1; }
  (kernel_phase) > "$work/logs/warmup-kernel.log" 2>&1
  [ ${#build_base[@]} -eq 0 ] || "${build_base[@]}" -p:KernelRunMake=$warm_make > "$work/logs/warmup-base.log" 2>&1 || { tail -30 "$work/logs/warmup-base.log"; exit 1; }
  # A fresh server: one left from earlier builds may hold an older build of the same task assembly path.
  ! on server || { dotnet build-server shutdown --msbuild > /dev/null; "${build_server[@]}" > "$work/logs/warmup-server.log" 2>&1; } \
    || { tail -30 "$work/logs/warmup-server.log"; exit 1; }
  local i
  for ((i = 1; i <= runs; i++)); do
    echo "   run $i/$runs"
    ! on kernel || timed kernel "$work/logs/kernel.$i.log" bash -c "$(declare -f kernel_phase); $(declare -p env kernel_link postlink work); kernel_phase"
    ! on ours || timed ours "$work/logs/ours.$i.log" bash -c "$(declare -f ours_clean); $(declare -p build_ours work); ours_clean"
    [ -z "$base" ] || ! on ours || timed base "$work/logs/base.$i.log" bash -c "$(declare -f base_clean); $(declare -p build_base work); base_clean"
    ! on server || timed server "$work/logs/server.$i.log" bash -c "$(declare -f server_clean); $(declare -p build_server work); server_clean"
    ! on floor || timed floor "$work/logs/floor.$i.log" bash -c "$(declare -f floor_link); $(declare -p floor build work); floor_link"
    ! on strip || timed strip "$work/logs/strip.$i.log" bash -c "$(declare -f strip_clean); $(declare -p build_strip work); strip_clean"
    ! on dev || timed dev "$work/logs/dev.$i.log" bash -c "$(declare -f dev_clean); $(declare -p build_dev work); dev_clean"
    ! on floor-strip || timed floor-strip "$work/logs/floor-strip.$i.log" bash -c "$(declare -f floor_link); floor=($(printf '%q ' "${floor_strip[@]}")); $(declare -p build work); floor_link"
    ! on floor-lld || timed floor-lld "$work/logs/floor-lld.$i.log" bash -c "$(declare -f floor_link); floor=($(printf '%q ' "${floor_lld[@]}")); $(declare -p build work); floor_link"
    ! on noop || timed noop-ours "$work/logs/noop-ours.$i.log" "${build_ours[@]}"
    [ -z "$base" ] || ! on noop || timed noop-base "$work/logs/noop-base.$i.log" "${build_base[@]}"
    ! on noop || ! on server || timed noop-server "$work/logs/noop-server.$i.log" "${build_server[@]}"
    if on noop; then
      local linked; linked=$(stat -c %Y.%s "$build/vmlinux")
      timed noop-make "$work/logs/noop-make.$i.log" make -C "$build" -s vmlinux
      [ "$(stat -c %Y.%s "$build/vmlinux")" = "$linked" ] || { echo "link-phase.sh: 'make vmlinux' in $build relinked: not a no-op (was the build dir up to date?)" >&2; exit 1; }
    fi
    ! on noop || timed noop-empty "$work/logs/noop-empty.$i.log" dotnet build "$work/empty.proj" -nodeReuse:false -v:m
  done

  # The relink: obj/ kept, every step forced (the warm-up left a complete obj/ behind).
  if on relink; then
    [ -f "$work/obj/kbuild.inputs.cache" ] || "${build_ours[@]}" > "$work/logs/relink-prepare.log" 2>&1
    [ -z "$base" ] || [ -f "$work/base-obj/kbuild.inputs.cache" ] || "${build_base[@]}" > "$work/logs/relink-prepare-base.log" 2>&1
    ! on server || [ -f "$work/server-obj/kbuild.inputs.cache" ] || "${build_server[@]}" > "$work/logs/relink-prepare-server.log" 2>&1
    local src=
    if [ -n "$relink_source" ]; then
      case $name in *-debug) ;; *) [ "${BENCH_ALLOW_RELINK:-}" = 1 ] || { echo "link-phase.sh: --touch-relink recompiles in $build; use a benchmark fixture (*-debug) or BENCH_ALLOW_RELINK=1" >&2; exit 1; } ;; esac
      src=$(readlink -f "$build/source")/$relink_source
      [ -f "$src" ] || { echo "link-phase.sh: no $src" >&2; exit 1; }
    fi
    for ((i = 1; i <= relink_runs; i++)); do
      echo "   relink run $i/$relink_runs${src:+ (touched $relink_source)}"
      # The kernel's make with the link overridden: the touched file recompiled, vmlinux.a rebuilt, nothing linked.
      [ -z "$src" ] || { touch "$src"; "$bench" probe "$build" "$work/relink-probe" > "$work/logs/relink-make.$i.log" 2>&1; }
      timed relink "$work/logs/relink.$i.log" bash -c "$(declare -f ours_relink); $(declare -p build_ours work); ours_relink"
      [ -z "$base" ] || timed base-relink "$work/logs/base-relink.$i.log" bash -c "$(declare -f base_relink); $(declare -p build_base work); base_relink"
      ! on server || timed server-relink "$work/logs/server-relink.$i.log" bash -c "$(declare -f server_relink); $(declare -p build_server work); server_relink"
      timed relink-floor "$work/logs/relink-floor.$i.log" bash -c "$(declare -f floor_link); $(declare -p floor build work); floor_link"
    done
  fi

  if [ -n "$touch_source" ]; then
    case $name in *-debug) ;; *) [ "${BENCH_ALLOW_RELINK:-}" = 1 ] || { echo "link-phase.sh: --touch relinks $build/vmlinux; use a benchmark fixture (*-debug) or BENCH_ALLOW_RELINK=1" >&2; exit 1; } ;; esac
    local src; src=$(readlink -f "$build/source")/$touch_source
    [ -f "$src" ] || { echo "link-phase.sh: no $src" >&2; exit 1; }
    for ((i = 1; i <= touch_runs; i++)); do
      echo "   touch run $i/$touch_runs"
      touch "$src"; timed touch-kernel "$work/logs/touch-kernel.$i.log" make -C "$build" vmlinux
      touch "$src"; timed touch-ours "$work/logs/touch-ours.$i.log" "${build_ours[@]}" -p:KernelRunMake=true
    done
    make -C "$build" -s vmlinux  # leaves the fixture linked by its own make again
  fi

  [ -z "$relink_source" ] || ! on relink || make -C "$build" -s vmlinux  # the fixture's vmlinux, current again
  ! on server || dotnet build-server shutdown --msbuild > /dev/null

  # Same results: the shadow link is the fixture's link; ours is the kernel's.
  local same_kernel=- same_ours=-
  if [ -f "$work/kernel/System.map" ]; then
    cmp -s "$work/kernel/System.map" "$build/System.map" && same_kernel=identical || same_kernel=DIFFERENT
  fi
  # One link into make's layout: the whole file, addresses included.
  if [ -f "$work/ours/System.map" ]; then
    cmp -s "$work/ours/System.map" "$build/System.map" && same_ours=identical || same_ours=DIFFERENT
  fi
  report "$name" "$build" "$same_kernel" "$same_ours" | tee "$work/report.md"
}

step() {  # target [case] -> median ms of that MSBuild target over the runs of a case (default: ours)
  local t
  for t in "$work"/logs/"${2:-ours}".*.log; do
    [ -f "$t" ] || continue
    awk -v n="$1" '/^Target Performance Summary:/ { on = 1; next } /^Task Performance Summary:/ { on = 0 }
                   on && $3 == n { print $1 }' "$t"
  done | median
}

steps() {  # case -> "reservation N, link N, ..."
  local reserve patch
  reserve=$(step KbuildReserveKallsyms "$1")
  [ "$reserve" != - ] || reserve=$(step KbuildGenerateKallsyms "$1")  # a BASE from before the targets were renamed
  patch=$(step KbuildPatchKallsyms "$1")
  [ "$patch" != - ] && [ "$patch" != 0 ] || patch=$(step _KbuildPatchKallsyms "$1")  # there, an empty wrapper of the patch
  echo "reservation $reserve, BTF $(step KbuildBtf "$1"), link $(step _KbuildLinkCore "$1"), resolve_btfids $(step KernelTreeResolveBtfIds "$1")," \
       "patch+verify $patch, System.map $(step KbuildSystemMap "$1"), post-link $(step _KernelTreePostLink "$1")," \
       "link values (make off) $(step KernelTreeProbe "$1"), inputs check/hash $(step KbuildPrepareForLink "$1")"
}

has() { grep -q "^$1 " "$work/times"; }
size_kib() { [ -f "$1" ] && echo $(($(stat -c %s "$1") / 1024)) || echo -; }

report() {  # name build same_kernel same_ours
  local k o f nm nk
  k=$(col kernel 2); o=$(col ours 2); f=$(col floor 2); nm=$(col noop-make 2); nk=$(col noop-ours 2)
  echo
  echo "### $1 (Linux $(awk -F'"' '/UTS_RELEASE/ { print $2 }' "$2/include/generated/utsrelease.h"), $(grep -c . "$2/System.map") System.map lines, vmlinux $(($(stat -c %s "$2/vmlinux") / 1048576)) MiB, median of $runs, tasks: $tasks)"
  echo
  echo "| case | wall s | CPU s (user+sys) | peak RSS MiB |"
  echo "|---|---:|---:|---:|"
  local c label
  for c in kernel ours server base floor strip dev floor-strip floor-lld noop-make noop-ours noop-server noop-base noop-empty relink server-relink base-relink relink-floor touch-kernel touch-ours; do
    has "$c" || continue
    case $c in
      kernel) label="link phase: kernel (link-vmlinux.sh)" ;; ours) label="link phase: ours (dotnet build)" ;;
      server) label="link phase: ours through the MSBuild server (CPU, RSS: the client's)" ;;
      noop-server) label="no-op: dotnet build through the MSBuild server" ;;
      server-relink) label="relink${relink_source:+ after touching $relink_source}: ours through the MSBuild server" ;;
      base) label="link phase: base ($base)" ;;
      floor) label="floor: one bare ld" ;; strip) label="dev loop: ours, KbuildStripDebug" ;;
      dev) label="dev loop: ours, KbuildStripDebug + $lld" ;;
      floor-strip) label="floor: one bare ld --strip-debug" ;; floor-lld) label="floor: one bare $lld" ;; noop-make) label="no-op: make vmlinux" ;; noop-ours) label="no-op: dotnet build" ;;
      noop-base) label="no-op: dotnet build, base" ;; noop-empty) label="no-op floor: dotnet build of an empty project" ;;
      relink) label="relink${relink_source:+ after touching $relink_source} (make step off, obj/ kept): ours" ;;
      base-relink) label="relink${relink_source:+ after touching $relink_source}: base" ;;
      relink-floor) label="relink${relink_source:+ after touching $relink_source}: one bare ld" ;;
      touch-kernel) label="touched $touch_source: make vmlinux" ;; touch-ours) label="touched $touch_source: dotnet build (make step on)" ;;
    esac
    echo "| $label | $(col "$c" 2) | $(cpu "$c") | $(( $(col "$c" 5 | cut -d. -f1) / 1024 )) |"
  done
  echo
  echo "Ratios (wall): ours/kernel $(ratio "$o" "$k"), ours/floor $(ratio "$o" "$f"), no-op ours/make $(ratio "$nk" "$nm")$(
    has noop-empty && echo ", no-op ours/empty project $(ratio "$nk" "$(col noop-empty 2)")")$(
    has server && echo ", through the MSBuild server: ours/kernel $(ratio "$(col server 2)" "$k"), ours/floor $(ratio "$(col server 2)" "$f")")$(
    has server-relink && echo ", relink through the server/floor $(ratio "$(col server-relink 2)" "$(col relink-floor 2)")")$(
    has relink && echo ", relink ours/floor $(ratio "$(col relink 2)" "$(col relink-floor 2)")")$(
    has base && echo ", ours/base $(ratio "$o" "$(col base 2)")")$(
    has base-relink && echo ", relink ours/base $(ratio "$(col relink 2)" "$(col base-relink 2)")")$(
    has touch-ours && echo ", touched ours/kernel $(ratio "$(col touch-ours 2)" "$(col touch-kernel 2)")")."
  if has strip && has dev; then
    echo "Developer loop (wall): strip/ours $(ratio "$(col strip 2)" "$o"), strip+lld/ours $(ratio "$(col dev 2)" "$o"), strip+lld/kernel $(ratio "$(col dev 2)" "$k");" \
         "vmlinux $(size_kib "$work/ours/vmlinux") KiB full, $(size_kib "$work/strip/vmlinux") KiB stripped;" \
         "System.map stripped vs full: $(cmp -s "$work/strip/System.map" "$work/ours/System.map" && echo identical || echo DIFFERENT);" \
         "with $lld: $(diff <(cut -d' ' -f2- "$work/dev/System.map") <(cut -d' ' -f2- "$work/ours/System.map") | grep -c '^[<>]' || true) lines differ in type or name (a different linker makes a different image)."
  fi
  echo "Same output: kernel link in the shadow dir vs the fixture's System.map: $3; ours vs the fixture's System.map: $4."
  echo
  ! has ours || echo "Our steps, clean (MSBuild target times, median ms): $(steps ours)."
  ! has base || echo "Base steps, clean: $(steps base)."
  ! has relink || echo "Our steps, relink: $(steps relink)."
  ! has server || echo "Our steps through the MSBuild server, clean: $(steps server)."
  ! has server-relink || echo "Our steps through the MSBuild server, relink: $(steps server-relink)."
  ! has base-relink || echo "Base steps, relink: $(steps base-relink)."
  echo
  ! has ours || echo "Summary: $(grep -ho 'Kbuild.Sdk: [0-9]* link.*' "$work/logs/ours.1.log" | head -1)"
}

for dir; do bench_kernel "$dir"; done
echo; echo "results and logs: $results"
