#!/usr/bin/env bash
# Randconfig soak (issue 26): small random kernels, each built by the kernel's own make and linked once more by the
# SDK out of place; the SDK's link must be make's, byte for byte.
#
#   eng/randconfig-soak.sh [--arch x86_64|arm64] <series> <first-seed> [<last-seed>]
#     series   6.1, 6.12, 7.2 or 7.3 (its source: eng/kernel-fixtures.sh src)
#     --arch   x86_64 (default: the host's gcc) or arm64 (ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
#   env: KCONFIG_PROBABILITY  percent of visible options randconfig turns on (default 4: builds of a few minutes)
#        SOAK_DIR             where build dirs and results go (default ${KBUILD_FIXTURES:-~/.cache/kbuild-sdk}/soak)
#        SOAK_JOBS            make's -j (default 2); everything runs under nice -n 19
#        SOAK_KEEP            build dirs to keep: failed (default; refused and make-failed too), all, none
#        SOAK_CONFIG          a fragment of more options for every seed (e.g. eng/kconfig/soak-kaslr-modules.config: what a low
#                             probability rarely turns on); part of what makes a seed's .config, so name it to reproduce one
#        SOAK_REPO            the Kbuild.Sdk checkout whose Sdk.props/Sdk.targets the kernel.kproj imports (default: this one)
#
# Per seed (reproducible: the same seed, series, arch and probability give the same .config):
#   1. make randconfig with KCONFIG_SEED=<seed> and KCONFIG_ALLCONFIG = the kernel's tiny-base.config (EXPERT: most
#      options visible, so a low probability leaves them off) and: CONFIG_64BIT=y (x86), CONFIG_KALLSYMS=y, and the
#      kallsyms options from the seed's bits — bit 0: CONFIG_KALLSYMS_ALL (with DEBUG_KERNEL, its dependency); bit 1
#      (x86): CONFIG_SMP, which turns 6.x's CONFIG_KALLSYMS_ABSOLUTE_PERCPU on (6.1's KALLSYMS_BASE_RELATIVE is always
#      on, neither has a prompt); off: WERROR, COMPILE_TEST; arm64: little-endian (big-endian is refused, KB0460).
#      KALLSYMS, 64BIT and little-endian must hold (else the seed is skipped); the seed's kallsyms options are wishes that a
#      select may overrule (LOCKDEP selects KALLSYMS_ALL): the line shows the options the kernel got.
#   2. nice make vmlinux in SOAK_DIR/build/<series>-<arch>-<seed> (kept as it is when the same .config is built again).
#   3. dotnet build of a kernel.kproj in a temp dir for that build dir, VmlinuxOutputPath in the temp dir.
#   4. checks: the summary line says 1 link (no KB0309/KB0380); the image is cmp-equal to make's (7.x:
#      vmlinux.unstripped; 6.12 x86 with X86_NEED_RELOCS: ours after Makefile.postlink's strip of .rel*, which make's
#      vmlinux had); System.map is cmp-equal to make's; every kallsyms_* array of our image holds the bytes the tree's
#      own scripts/kallsyms makes of make's System.map (with link-vmlinux.sh's options, assembled and linked where ours lie).
# Prints one line per seed — seed, series-arch, kallsyms options, symbols in the table, what else the link sees
# (smp, modules, kaslr, dwarf4/5, btf, orc/fp, ftrace, ibt, dce: CONFIG_LD_DEAD_CODE_DATA_ELIMINATION), result (ok, refused KBxxxx
# when the SDK refuses the configuration, make-failed when the kernel's own build fails, FAIL <what>) — and a total.
# A seed that is not ok keeps its .config (and logs) in SOAK_DIR/results/<series>-<arch>-<seed>/, for a fixture;
# SOAK_DIR/results/soak.tsv accumulates every line. Exit code 1 if any seed FAILed.
set -euo pipefail
repo=${SOAK_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
F=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}
soak=${SOAK_DIR:-$F/soak}
probability=${KCONFIG_PROBABILITY:-4}
jobs=${SOAK_JOBS:-2}
keep=${SOAK_KEEP:-failed}
extra=${SOAK_CONFIG:-}
build_timestamp="Thu Jan  1 00:00:00 UTC 2026"  # KBUILD_BUILD_TIMESTAMP/VERSION: reproducible version and BTF objects
# Errors the SDK gives for a configuration it does not link (before make would run): not failures of the soak.
refusal_codes="KB0402 KB0406 KB0408 KB0460 KB0461 KB0462 KB0465 KB0470 KB0471"

die() { echo "randconfig-soak: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/{/^set -euo/!p}' "${BASH_SOURCE[0]}"; }

arch=x86_64
while [ $# -gt 0 ]; do
  case $1 in
    --arch) [ $# -ge 2 ] || die "--arch needs x86_64 or arm64"; arch=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] && [ $# -le 3 ] || { usage >&2; exit 2; }
ver=$1 first=$2 last=${3:-$2}
case $ver in 6.1|6.12|7.2|7.3) ;; *) die "unknown series '$ver' (known: 6.1 6.12 7.2 7.3)" ;; esac
[[ $first =~ ^[0-9]+$ && $last =~ ^[0-9]+$ ]] || die "seeds must be decimal numbers: '$first' '$last'"
[ "$first" -le "$last" ] || die "first seed $first is after last seed $last"
[[ $probability =~ ^[0-9]+$ ]] || die "KCONFIG_PROBABILITY must be a percentage: '$probability'"
case $keep in failed|all|none) ;; *) die "SOAK_KEEP must be failed, all or none: '$keep'" ;; esac
[ -z "$extra" ] || [ -f "$extra" ] || die "SOAK_CONFIG names no file: '$extra'"
[ -z "$extra" ] || extra=$(cd "$(dirname "$extra")" && pwd)/$(basename "$extra")
src=$F/src/linux-$ver
[ -f "$src/.kbuild-extracted" ] || die "no extracted source in $src: run eng/kernel-fixtures.sh src"
case $arch in
  x86_64) make_vars=() ;;
  arm64) make_vars=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
         command -v aarch64-linux-gnu-gcc >/dev/null || die "arm64 needs aarch64-linux-gnu-gcc (Debian gcc-aarch64-linux-gnu)" ;;
  *) die "unknown arch '$arch' (x86_64 or arm64)" ;;
esac
# 6.1's scripts/pahole-flags.sh passes -j whatever KBUILD_BUILD_TIMESTAMP says, and pahole 1.22-1.26 with -j is not
# deterministic: the same flags without -j for make and the SDK (as the 6.1-BTF fixture does).
if [ "$ver" = 6.1 ] && command -v pahole >/dev/null; then
  make_vars+=("PAHOLE_FLAGS=$(PAHOLE=pahole sh "$src/scripts/pahole-flags.sh" | sed 's/\(^\| \)-j\( \|$\)/\1/')")
fi
for tool in dotnet gcc ld objcopy readelf nm cmp make; do command -v $tool >/dev/null || die "$tool is not installed"; done
export KBUILD_BUILD_TIMESTAMP=$build_timestamp KBUILD_BUILD_VERSION=1
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p "$soak/build" "$soak/results" "$soak/kconfig"
tools=$soak/tools/$ver && mkdir -p "$tools"

kmake() {  # out args...: the kernel's make for this series and arch, niced
  local out=$1; shift
  nice -n 19 make -C "$src" O="$out" -j"$jobs" "${make_vars[@]}" "$@"
}

# The seed's forced options: the tree's tiny base, then ours (later lines win in KCONFIG_ALLCONFIG as in .config).
allconfig() {  # seed -> KCONFIG_ALLCONFIG text
  local seed=$1
  cat "$src/kernel/configs/tiny-base.config" ${extra:+"$extra"}
  echo "CONFIG_KALLSYMS=y"
  if (( seed & 1 )); then printf 'CONFIG_DEBUG_KERNEL=y\nCONFIG_KALLSYMS_ALL=y\n'; else echo "# CONFIG_KALLSYMS_ALL is not set"; fi
  case $arch in
    x86_64) echo "CONFIG_64BIT=y"
            if (( seed >> 1 & 1 )); then echo "CONFIG_SMP=y"; else echo "# CONFIG_SMP is not set"; fi ;;
    arm64) echo "CONFIG_CPU_LITTLE_ENDIAN=y" ;;
  esac
  printf '# CONFIG_WERROR is not set\n# CONFIG_COMPILE_TEST is not set\n'
}

verify_config() {  # .config fragment -> prints what did not take
  local line sym
  while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
      grep -qxF "$line" "$1" || echo "$line"
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      sym=${BASH_REMATCH[1]}
      ! grep -q "^$sym=" "$1" || echo "$line"
    fi
  done < "$2"
}

enabled() { grep -q "^CONFIG_$2=y" "$1"; }  # auto.conf option

features() {  # auto.conf -> the options beside kallsyms' that shape the link, comma-separated
  local conf=$1 f=() o
  for o in SMP:smp MODULES:modules RANDOMIZE_BASE:kaslr DEBUG_INFO_DWARF4:dwarf4 DEBUG_INFO_DWARF5:dwarf5 \
      DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT:dwarf DEBUG_INFO_BTF:btf UNWINDER_ORC:orc UNWINDER_FRAME_POINTER:fp \
      FUNCTION_TRACER:ftrace X86_KERNEL_IBT:ibt LD_DEAD_CODE_DATA_ELIMINATION:dce; do
    ! enabled "$conf" "${o%%:*}" || f+=("${o#*:}")
  done
  local IFS=,; echo "${f[*]:--}"
}

# The options link-vmlinux.sh passes to scripts/kallsyms: its own `if is_enabled CONFIG_X [|| is_enabled CONFIG_Y];
# then kallsymopt="${kallsymopt} --opt"` lines, evaluated against auto.conf.
kallsyms_options() {  # auto.conf
  local conf=$1 cond opt o ok
  awk '/is_enabled CONFIG_.*; then$/ { cond = $0; next }
       cond != "" && /kallsymopt="\$\{kallsymopt\} --/ { match($0, /--[a-z-]+/); print substr($0, RSTART, RLENGTH) "\t" cond }
       { cond = "" }' "$src/scripts/link-vmlinux.sh" |
  while IFS=$'\t' read -r opt cond; do
    ok=0
    for o in $(grep -o 'CONFIG_[A-Z0-9_]*' <<< "$cond"); do grep -q "^$o=y" "$conf" && ok=1; done
    [ $ok = 0 ] || printf '%s ' "$opt"
  done
}

kallsyms_tool() {  # the tree's scripts/kallsyms, compiled once per series
  [ -x "$tools/kallsyms" ] && [ "$tools/kallsyms" -nt "$src/scripts/kallsyms.c" ] ||
    gcc -O2 -I "$src/scripts/include" -o "$tools/kallsyms" "$src/scripts/kallsyms.c"
  echo "$tools/kallsyms"
}

file_offset() {  # elf address -> file offset of the allocated, non-NOBITS section holding it (bash: 64-bit arithmetic)
  local a=$(( $2 )) addr off size d
  while read -r addr off size; do
    d=$(( a - 0x$addr ))  # wraps like the addresses: 0 <= d < size exactly when the section holds a
    if [ $(( 0x$addr )) -ne 0 ] && [ $d -ge 0 ] && [ $d -lt $(( 0x$size )) ]; then echo $(( 0x$off + d )); return; fi
  done < <(readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] *//p' | awk '$2 != "NOBITS" && $2 != "NULL" { print $3, $4, $5 }')
}

sym_value() { nm "$1" | awk -v n="$2" '$3 == n && !found { print "0x" $1; found = 1 }'; }  # no early exit: pipefail

# Each kallsyms_* array of ours = what scripts/kallsyms makes of make's System.map, assembled and linked with _text
# and the arrays where ours lie. Prints the first array that differs, nothing when all are equal.
check_arrays() {  # image system.map options work -> writes work/kallsyms.count
  local image=$1 map=$2 opts=$3 work=$4 text first start name next off len ours
  # shellcheck disable=SC2086
  "$(kallsyms_tool)" $opts "$map" > "$work/kallsyms.S" || { echo "scripts/kallsyms failed"; return; }
  awk '/^kallsyms_num_syms:/ { getline; print $2; exit }' "$work/kallsyms.S" > "$work/kallsyms.count"
  mkdir -p "$work/include/asm" && echo '#define BITS_PER_LONG 64' > "$work/include/asm/bitsperlong.h"
  gcc -I "$work/include" -c "$work/kallsyms.S" -o "$work/kallsyms.o" || { echo "scripts/kallsyms' output does not assemble"; return; }
  nm -n "$work/kallsyms.o" | awk '$3 ~ /^kallsyms_/ { print $1, $3 }' > "$work/arrays"
  [ -s "$work/arrays" ] || { echo "scripts/kallsyms wrote no arrays"; return; }
  text=$(sym_value "$image" _text); first=$(awk 'NR == 1 { print $2 }' "$work/arrays")
  start=$(sym_value "$image" "$first")
  [ -n "$text" ] && [ -n "$start" ] || { echo "our image has no _text or $first"; return; }
  ld -e 0 --defsym "_text=$text" "--section-start=.rodata=$start" -o "$work/kallsyms.elf" "$work/kallsyms.o" &&
    objcopy -O binary --only-section=.rodata "$work/kallsyms.elf" "$work/kallsyms.bin" || { echo "scripts/kallsyms' table does not link"; return; }
  local offs=() names=() i total
  while read -r off name; do offs+=($(( 0x$off ))); names+=("$name"); done < "$work/arrays"
  total=$(stat -c %s "$work/kallsyms.bin")
  for ((i = 0; i < ${#names[@]}; i++)); do
    # The oracle's slice runs to the next label (its alignment padding included): our room is laid out the same.
    name=${names[i]} off=${offs[i]} next=${offs[i + 1]:-$total}
    # arm64's kallsyms_relative_base is a dynamic relocation (GNU ld may leave its slot zero): the cmp covers it.
    [ "$arch" = arm64 ] && [ "$name" = kallsyms_relative_base ] && continue
    ours=$(sym_value "$image" "$name")
    [ -n "$ours" ] || { echo "$name missing from our image"; return; }
    cmp -s -n $(( next - off )) -i "$off:$(file_offset "$image" "$ours")" "$work/kallsyms.bin" "$image" ||
      { echo "$name differs from scripts/kallsyms"; return; }
  done
}

# make's image in its build dir as the out-of-place link must equal it: 6.12's arch/x86/Makefile.postlink strips the
# relocations (X86_NEED_RELOCS) from the build dir's vmlinux only.
compare_image() {  # out image work conf -> prints what differs
  local out=$1 image=$2 work=$3 conf=$4 makes
  case $ver in 7.*) makes=$out/vmlinux.unstripped ;; *) makes=$out/vmlinux ;; esac
  if [ -f "$src/arch/x86/Makefile.postlink" ] && [ "$arch" = x86_64 ] && enabled "$conf" X86_NEED_RELOCS; then
    cp "$image" "$work/vmlinux.stripped"
    objcopy --remove-section='.rel.*' --remove-section='.rel__*' --remove-section='.rela.*' --remove-section='.rela__*' \
      "$work/vmlinux.stripped"
    image=$work/vmlinux.stripped
  fi
  cmp -s "$makes" "$image" || echo "image != make's $(basename "$makes") ($(cmp "$makes" "$image" 2>&1 | head -1 | sed 's/^.*differ: //'))"
}

# For a seed whose link was not make's: the prediction from the inputs the SDK linked against make's System.map
# (LinkPredictionTests.Prediction_OfASoakKernel_IsMakesSystemMap), naming the symbols it got wrong; a missed name at the address
# of a text range's boundary (_stext, _etext, _sinittext, _einittext) is marked as such.
explain_miss() {  # out res -> "prediction: …" or nothing
  local out=$1 res=$2 line name addr marker notes=()
  [ -f "$res/sdk-obj/kernel-tree.values" ] || return 0
  SOAK_BUILD=$out SOAK_VALUES=$res/sdk-obj/kernel-tree.values nice -n 19 dotnet test "$repo/tests/Kbuild.Tasks.Tests" -nologo \
    --filter "FullyQualifiedName~LinkPredictionTests.Prediction_OfASoakKernel_IsMakesSystemMap" > "$res/prediction.log" 2>&1 || true
  line=$(grep -m1 -oE "predicted (table )?[0-9]+ symbols.*" "$res/prediction.log" || true)
  [ -n "$line" ] || { grep -q "Passed!" "$res/prediction.log" && echo "prediction = make's System.map"; return 0; }
  for name in $(grep -oE "(real only|make's only): [^;]*" <<< "$line" | sed 's/^[^:]*: *//; s/([^)]*)//g' | tr ',' '\n' |
      awk 'NF >= 2 { print $2 }' | sort -u); do
    addr=$(awk -v n="$name" '$3 == n { print $1 }' "$out/System.map" | head -1)
    for marker in _stext _etext _sinittext _einittext; do
      [ -z "$addr" ] || ! grep -q "^$addr . $marker\$" "$out/System.map" || notes+=("$name at $marker")
    done
  done
  echo "prediction: $line${notes[*]:+ [text-range boundary: ${notes[*]}]}"
}

write_kproj() {  # work out
  local vars="" w
  for w in "${make_vars[@]}"; do [[ $w != *" "* ]] || w="${w%%=*}='${w#*=}'"; vars+="${vars:+ }$w"; done
  vars=${vars//&/&amp;}; vars=${vars//</&lt;}; vars=${vars//>/&gt;}
  cat > "$1/kernel.kproj" <<EOF
<Project>
  <Import Project="$repo/src/Kbuild.Sdk/Sdk/Sdk.props" />
  <PropertyGroup>
    <KernelSourceDir>$src</KernelSourceDir>
    <KernelBuildDir>$2</KernelBuildDir>
    <KernelMakeArguments>$vars</KernelMakeArguments>
    <KernelMakeJobs>$jobs</KernelMakeJobs>
    <VmlinuxOutputPath>$1/image/vmlinux</VmlinuxOutputPath>
  </PropertyGroup>
  <Import Project="$repo/src/Kbuild.Sdk/Sdk/Sdk.targets" />
</Project>
EOF
}

# One seed; prints "<options>|<features>|<symbols>|<result>" on stdout (the line is printed by the caller).
soak_seed() {  # seed name
  local seed=$1 name=$2 out=$soak/build/$2 res=$soak/results/$2 work conf opts feats count="-" result="ok" links codes diff
  local cfgdir=$soak/kconfig/$ver-$arch
  rm -rf "$res"; mkdir -p "$res" "$out" "$cfgdir"
  allconfig "$seed" > "$res/allconfig"
  kmake "$cfgdir" KCONFIG_SEED="$seed" KCONFIG_PROBABILITY="$probability" KCONFIG_ALLCONFIG="$res/allconfig" randconfig \
    > "$res/randconfig.log" 2>&1 || { echo "-|-|-|make-failed randconfig"; return; }
  cp "$cfgdir/.config" "$res/config"
  # KALLSYMS and the architecture must take; the seed's kallsyms options are wishes a select may overrule (LOCKDEP
  # selects KALLSYMS_ALL): the line reports the kernel's own.
  diff=$(verify_config "$res/config" <(grep -E 'CONFIG_(KALLSYMS|64BIT|CPU_LITTLE_ENDIAN)[= ]' "$res/allconfig"))
  [ -z "$diff" ] || { echo "-|-|-|skipped (did not take: $(echo $diff))"; return; }
  # The same .config again: keep the build dir as make left it (make relinks nothing).
  cmp -s "$res/config" "$out/.config" 2>/dev/null || { rm -rf "$out"; mkdir -p "$out"; cp "$res/config" "$out/.config"; }
  if ! kmake "$out" vmlinux > "$res/make.log" 2>&1; then echo "-|$(features "$out/include/config/auto.conf" 2>/dev/null || echo -)|-|make-failed (tail: $res/make.log)"; return; fi
  conf=$out/include/config/auto.conf
  opts=$(kallsyms_options "$conf"); opts=${opts% }; feats=$(features "$conf")
  work=$(mktemp -d /tmp/kbuild-soak-XXXXXX)
  write_kproj "$work" "$out"
  if ! (cd "$work" && nice -n 19 dotnet build kernel.kproj -nodeReuse:false -v:n -tl:off -nologo) > "$res/sdk.log" 2>&1; then
    codes=$(grep -oE 'error KB[0-9]{4}' "$res/sdk.log" | awk '{ print $2 }' | sort -u | xargs)
    rm -rf "$work"
    if [ -n "$codes" ] && [[ " $refusal_codes " == *" ${codes%% *} "* ]]; then echo "${opts:--}|$feats|-|refused $codes"
    else echo "${opts:--}|$feats|-|FAIL sdk build ${codes:-failed} (see $res/sdk.log)"; fi
    return
  fi
  local image=$work/image/vmlinux problems=()
  links=$(grep -oE 'Kbuild\.Sdk: [0-9]+ links?' "$res/sdk.log" | tail -1 | awk '{ print $2 }')
  [ "$links" = 1 ] || problems+=("${links:-no} links")
  codes=$(grep -oE 'warning KB0(309|380): [^(]*\([^)]*\)' "$res/sdk.log" | sed -E 's/^warning (KB[0-9]+): [^(]*/\1 /' | sort -u |
    paste -sd';' || true)
  [ -z "$codes" ] || problems+=("$codes")
  diff=$(compare_image "$out" "$image" "$work" "$conf"); [ -z "$diff" ] || problems+=("$diff")
  cmp -s "$out/System.map" "$work/image/System.map" || problems+=("System.map != make's")
  diff=$(check_arrays "$image" "$out/System.map" "$opts" "$work"); [ -z "$diff" ] || problems+=("$diff")
  count=$(cat "$work/kallsyms.count" 2>/dev/null || echo -)
  if [ ${#problems[@]} -gt 0 ]; then
    result="FAIL $(printf '%s; ' "${problems[@]}")"; result=${result%; }
    cp "$image" "$res/vmlinux.sdk"; cp "$work/image/System.map" "$res/System.map.sdk"
    cp -r "$work/obj" "$res/sdk-obj" 2>/dev/null || true
    diff=$(explain_miss "$out" "$res"); [ -z "$diff" ] || result+="; $diff"
  fi
  rm -rf "$work"
  echo "${opts:--}|$feats|${count:--}|$result"
}

main() {
  local seed name line opts feats count result start ok=0 refused=0 broken=0 failed=0 boundary=0 total=0
  printf '%-6s %-12s %-46s %-44s %7s %6s  %s\n' seed series kallsyms-options config symbols time result
  for ((seed = first; seed <= last; seed++)); do
    name=$ver-$arch-$seed start=$SECONDS
    line=$(soak_seed "$seed" "$name")
    IFS='|' read -r opts feats count result <<< "$line"
    printf '%-6s %-12s %-46s %-44s %7s %5ss  %s\n' "$seed" "$ver-$arch" "$opts" "$feats" "$count" "$((SECONDS - start))" "$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\tp=%s%s\t%ss\t%s\n' "$(date -u +%FT%TZ)" "$seed" "$ver-$arch" "$opts" "$feats" "$count" "$probability" \
      "${extra:+ $(basename "$extra")}" \
      "$((SECONDS - start))" "$result" \
      >> "$soak/results/soak.tsv"
    total=$((total + 1))
    case $result in
      ok) ok=$((ok + 1)) ;;
      refused*) refused=$((refused + 1)) ;;
      make-failed*|skipped*) broken=$((broken + 1)) ;;
      *) failed=$((failed + 1)); [[ $result != *"[text-range boundary:"* ]] || boundary=$((boundary + 1)) ;;
    esac
    # Keep what a fixture needs: a failing seed's .config and logs (results/), its build dir unless SOAK_KEEP=none.
    if [ "$result" = ok ]; then
      rm -rf "$soak/results/$name"
      [ "$keep" = all ] || rm -rf "$soak/build/$name"
    else
      [ "$keep" != none ] || rm -rf "$soak/build/$name"
    fi
  done
  echo "total: $total seeds of $ver-$arch (KCONFIG_PROBABILITY=$probability${extra:+, SOAK_CONFIG=$extra}): $ok ok, $refused refused, $broken make-failed/skipped, $failed FAIL ($boundary of them a text-range boundary miss)"
  [ $failed -eq 0 ]
}

main
