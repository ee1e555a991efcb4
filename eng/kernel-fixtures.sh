#!/usr/bin/env bash
# Real kernels the tests check against, built by the kernel's own make, cached outside the repo.
#
#   eng/kernel-fixtures.sh [all | matrix | src | <version>-<config> ...]   (default: all)
#   eng/kernel-fixtures.sh env <version>-<config>   the exports any make in that build dir needs, as shell code
#     all     what CI builds and eng/test.sh requires, one version per feature: 6.1-A 6.12-B 6.12-BTF 6.12-L 6.12-arm64 7.3-P,
#             and every version's source (the plain-class tests read each series' scripts)
#     matrix  all, and the other version of each feature: 6.12-A 6.1-B 6.1-BTF 6.1-L 6.1-arm64, 6.12-arm64gcc, 7.3-A 7.2-A
#             7.2-P 7.3-arm64gcc 7.2-arm64gcc, and the text-only tables 6.1-T 6.12-T (tests of a fixture outside `all` are
#             skipped while it is missing; with them:
#             eng/kernel-fixtures.sh matrix && eng/test.sh)
#
# Cache: ${KBUILD_FIXTURES:-~/.cache/kbuild-sdk}
#   src/linux-<ver>      kernel source extracted from Debian's linux-source-<ver>: /usr/src/linux-source-<ver>.tar.xz
#                        (bookworm: 6.1, 6.12), or debian/root/usr/src/ (7.2, 7.3: eng/install-deps.sh's private apt)
#   build/<ver>-<cfg>    O= build dir after `make vmlinux` (config B also `make bzImage`)
#   log/<ver>-<cfg>.log  full make output
# Configs (eng/kconfig): A = tinyconfig + A.config; B = tinyconfig + A.config + B.config;
# Tests that link in place (into B, L, P and arm64gcc) put make's own files back afterwards, so every build dir stays make's
# reference; a make run there outside this script's environment is undone by the next run of it (see Idempotent).
# BTF = tinyconfig + A.config + BTF.config (CONFIG_DEBUG_INFO_BTF; needs pahole, Debian dwarves).
# T = tinyconfig + A.config + T.config: A without KALLSYMS_ALL, a text-only table (cold here: 314 s for 6.1, 362 s for 6.12,
# on 2 cores shared with other builds).
# L = tinyconfig + A.config + B.config + L.config with LLVM=-16 (Clang ThinLTO; cold: 1112 s CPU).
# debug = defconfig + debug.config (a large kernel with DWARF for benchmarks; not in `all`, not in CI).
# btfdebug = defconfig + btfdebug.config (debug with BTF: a large SMP + BTF kernel for benchmarks; not in `all`, not in CI).
# arm64 = tinyconfig + arm64.config built with ARCH=arm64 LLVM=-16 (clang-16, no cross gcc), vmlinux and Image
# (cold: 967 s CPU, user+sys).
# arm64gcc = the same config built with ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- (Debian's gcc-12 cross, GNU ld).
# P = tinyconfig + A.config + P.config (7.x production-like: SMP, KASLR, modules, IBT, ORC, ftrace, BTF, no KALLSYMS_ALL;
# KBUILD_BUILD_TIMESTAMP fixed as for BTF; cold: 250 s in the cold CI run of 2026-12-06). 7.x needs LLVM 17: its fixtures use GCC.
# Idempotent: a fixture is done when its stamp holds the fingerprint of its fragments and this recipe; a done
# fixture is brought up to date by make in its own environment (a no-op unless something made there since);
# an interrupted extraction is redone, an interrupted build is continued by make. Prints one line per
# fixture; on failure the log's tail.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
F=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}
recipe=1   # bump to rebuild every fixture when the recipe below changes
versions=(6.1 6.12 7.2 7.3)
configs=(A B BTF L P T debug btfdebug arm64 arm64gcc)
# A fresh machine's whole CI run must stay under an hour on 2 cores: `all` builds one version of each feature.
ci_fixtures=(6.1-A 6.12-B 6.12-BTF 6.12-L 6.12-arm64 7.3-P)  # `all`
matrix_fixtures=(6.12-A 6.1-B 6.1-BTF 6.1-L 6.1-arm64 6.12-arm64gcc 7.3-A 7.2-A 7.2-P 7.3-arm64gcc 7.2-arm64gcc 6.1-T 6.12-T)  # `matrix`: the other versions, GCC for arm64, text-only
btf_build_timestamp="Thu Jan  1 00:00:00 UTC 2026"   # KBUILD_BUILD_TIMESTAMP of the BTF fixtures

die() { echo "kernel-fixtures: $*" >&2; exit 1; }

fragments() {  # config letter -> fragment files, in merge order
  case $1 in
    A) echo "$repo/eng/kconfig/A.config" ;;
    B) echo "$repo/eng/kconfig/A.config $repo/eng/kconfig/B.config" ;;
    BTF) echo "$repo/eng/kconfig/A.config $repo/eng/kconfig/BTF.config" ;;
    L) echo "$repo/eng/kconfig/A.config $repo/eng/kconfig/B.config $repo/eng/kconfig/L.config" ;;
    P) echo "$repo/eng/kconfig/A.config $repo/eng/kconfig/P.config" ;;
    T) echo "$repo/eng/kconfig/A.config $repo/eng/kconfig/T.config" ;;
    debug) echo "$repo/eng/kconfig/debug.config" ;;
    btfdebug) echo "$repo/eng/kconfig/btfdebug.config" ;;
    arm64|arm64gcc) echo "$repo/eng/kconfig/arm64.config" ;;
    *) die "unknown config '$1' (known: ${configs[*]})" ;;
  esac
}

base_config() {  # config letter -> the make target the fragments are merged into
  case $1 in
    debug|btfdebug) echo defconfig ;;
    *) echo tinyconfig ;;
  esac
}

make_vars() {  # ver cfg -> variables every make of that fixture gets (toolchain, architecture), as shell words
  case $1-$2 in
    *-L) echo "LLVM=-16" ;;
    *-arm64) echo "ARCH=arm64 LLVM=-16" ;;
    *-arm64gcc) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
    # 6.1's scripts/pahole-flags.sh adds -j whatever KBUILD_BUILD_TIMESTAMP says (6.12's Makefile.btf drops it), and
    # pahole 1.24 with -j is not deterministic: the fixture takes the kernel's flags for this pahole without -j.
    6.1-BTF) echo "PAHOLE_FLAGS='--btf_gen_floats --lang_exclude=rust'" ;;
    *) echo "" ;;
  esac
}

targets() {
  case $1 in
    A) echo vmlinux ;;
    B|L|P) echo "vmlinux bzImage" ;;  # bzImage boots with KASLR (the PVH vmlinux entry skips it)
    arm64|arm64gcc) echo "vmlinux Image" ;;
    *) echo vmlinux ;;
  esac
}

fingerprint() {  # ver cfg
  local vars; vars=$(make_vars "$1" "$2")
  { echo "recipe=$recipe ver=$1 cfg=$2${vars:+ vars=$vars}"; cat $(fragments "$2"); } | sha256sum | cut -d' ' -f1
}

extract() {  # ver
  local ver=$1 dir=$F/src/linux-$1 tarball=/usr/src/linux-source-$1.tar.xz
  [ -f "$tarball" ] || tarball=$F/debian/root/usr/src/linux-source-$1.tar.xz
  [ -f "$dir/.kbuild-extracted" ] && return 0
  mkdir -p "$F/src"
  exec 8>"$F/src/.linux-$ver.lock"
  flock 8
  [ -f "$dir/.kbuild-extracted" ] && { exec 8>&-; return 0; }
  [ -f "$tarball" ] || die "linux-source-$ver.tar.xz is in neither /usr/src nor $F/debian/root/usr/src: run eng/install-deps.sh (package linux-source-$ver)"
  rm -rf "$dir" "$F/src/.extract-$ver"
  mkdir -p "$F/src/.extract-$ver"
  tar -xJf "$tarball" -C "$F/src/.extract-$ver"
  mv "$F/src/.extract-$ver/linux-source-$ver" "$dir"
  rmdir "$F/src/.extract-$ver"
  touch "$dir/.kbuild-extracted"
  exec 8>&-
}

fixture_environment() {  # cfg -> the exports every make in that fixture needs, as shell code
  # BTF: the kernel's reproducible-build setting, so its pahole runs without -j (deterministic .BTF; tests
  # link the same build dir with the same value and compare byte for byte).
  case $1 in BTF|P|btfdebug) printf 'export KBUILD_BUILD_TIMESTAMP=%q\n' "$btf_build_timestamp" ;; esac
}

kmake() {  # ver cfg out args...
  local ver=$1 cfg=$2 out=$3 vars; shift 3
  eval "vars=($(make_vars "$ver" "$cfg"))"
  nice -n 5 make -C "$F/src/linux-$ver" O="$out" -j"$(nproc)" "${vars[@]}" "$@"
}

# Every line of the fragments must hold in the final .config: tinyconfig's dependencies can drop an
# option silently, and a fixture without the option it exists for would make tests lie.
verify_config() {  # config-file fragment-files...
  local config=$1 line sym bad=(); shift
  local -A want=()  # the last assignment of each symbol wins, as in Kconfig
  while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then want[${BASH_REMATCH[1]}]=$line
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then want[${BASH_REMATCH[1]}]=unset
    fi
  done < <(cat "$@")
  for sym in "${!want[@]}"; do
    if [ "${want[$sym]}" = unset ]; then
      ! grep -q "^$sym=" "$config" || bad+=("# $sym is not set (got: $(grep "^$sym=" "$config"))")
    else
      grep -qxF "${want[$sym]}" "$config" || bad+=("${want[$sym]} (got: $(grep -E "^(# )?$sym[= ]" "$config" || echo absent))")
    fi
  done
  [ ${#bad[@]} -eq 0 ] || { printf '  config option did not take: %s\n' "${bad[@]}"; return 1; }
}

configure() {  # ver cfg out
  local ver=$1 cfg=$2 out=$3
  kmake "$ver" "$cfg" "$out" "$(base_config "$cfg")"
  cat $(fragments "$cfg") >> "$out/.config"
  kmake "$ver" "$cfg" "$out" olddefconfig
  verify_config "$out/.config" $(fragments "$cfg")
}

build() {  # fixture (ver-cfg); runs with output going to the log
  local ver=${1%-*} cfg=${1##*-} out=$F/build/$1 want
  want=$(fingerprint "$ver" "$cfg")
  eval "$(fixture_environment "$cfg")"
  extract "$ver"
  mkdir -p "$out"
  rm -f "$out/.kbuild-fixture"
  if [ "$(cat "$out/.kbuild-fixture-config" 2>/dev/null)" != "$want" ]; then
    configure "$ver" "$cfg" "$out"
    # A rewritten .config regenerates the version objects on the next make, but make would keep an existing
    # vmlinux: relink it, so the reference image is always made from the inputs in this dir.
    rm -f "$out/vmlinux"
    echo "$want" > "$out/.kbuild-fixture-config"
  fi
  kmake "$ver" "$cfg" "$out" $(targets "$cfg")
  for f in vmlinux System.map vmlinux.a include/config/auto.conf; do
    [ -e "$out/$f" ] || { echo "missing $out/$f after make"; return 1; }
  done
  echo "$want" > "$out/.kbuild-fixture"
}

fixture() {  # ver-cfg
  local name=$1 ver=${1%-*} cfg=${1##*-} out=$F/build/$1 log=$F/log/$1.log start
  [[ " ${versions[*]} " == *" $ver "* ]] || die "unknown kernel version in '$name' (known: ${versions[*]})"
  fragments "$cfg" >/dev/null
  mkdir -p "$F/log" "$F/build"
  # One builder per fixture at a time (tests or other shells may call this script concurrently).
  exec 9>"$F/build/.$name.lock"
  flock 9
  # A done fixture is made again too: make in the fixture's own environment is what keeps it make's reference. A make
  # run there without it (another KBUILD_BUILD_TIMESTAMP regenerates the version header) leaves objects newer than
  # vmlinux, and every test would then compare against a stale image. Up to date, this make writes nothing (seconds).
  local done= run_log=$log before=
  if [ "$(cat "$out/.kbuild-fixture" 2>/dev/null)" = "$(fingerprint "$ver" "$cfg")" ]; then
    done=1 run_log=$F/log/$name.refresh.log before=$(stat -c %Y.%s "$out/vmlinux" 2>/dev/null || true)
  fi
  start=$SECONDS
  # A fresh process: errexit is off in anything run from a condition, subshells included.
  if ! "${BASH_SOURCE[0]}" __build "$name" > "$run_log" 2>&1; then
    echo "fixture $name: FAILED after $((SECONDS - start)) s; last lines of $run_log:" >&2
    tail -n 40 "$run_log" >&2
    exec 9>&-
    return 1
  fi
  if [ -z "$done" ]; then echo "fixture $name: built in $((SECONDS - start)) s ($out)"
  elif [ "$(stat -c %Y.%s "$out/vmlinux" 2>/dev/null)" = "$before" ]; then echo "fixture $name: ready ($out)"
  else echo "fixture $name: ready, relinked by make: its vmlinux was older than its inputs ($out)"
  fi
  exec 9>&-
}

main() {
  local names=() arg v c
  [ $# -gt 0 ] || set -- all
  for arg; do
    case $arg in
      __build) build "$2"; exit ;;  # internal: one fixture, output to the caller's log
      # every version's scripts, for the plain-class tests; and every other fixture done here, kept up to date
      all) names+=("${ci_fixtures[@]}"); for v in "${versions[@]}"; do extract "$v"; done
           for v in "${matrix_fixtures[@]}"; do
             [ "$(cat "$F/build/$v/.kbuild-fixture" 2>/dev/null)" != "$(fingerprint "${v%-*}" "${v##*-}")" ] || names+=("$v")
           done ;;
      matrix) names+=("${ci_fixtures[@]}" "${matrix_fixtures[@]}") ;;
      src) for v in "${versions[@]}"; do extract "$v"; done ;;
      env) [ $# -eq 2 ] || die "usage: env <version>-<config>"; fixture_environment "${2##*-}"; exit 0 ;;
      -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "${BASH_SOURCE[0]}"; exit 0 ;;
      *-*) names+=("$arg") ;;
      *) die "unknown argument '$arg' (use all, src or <version>-<config> such as 6.1-A)" ;;
    esac
  done
  local failed=0
  for arg in "${names[@]}"; do fixture "$arg" || failed=1; done
  return $failed
}

main "$@"
