#!/usr/bin/env bash
# Installs the Debian packages the tests and fixtures use. Idempotent; a no-op when all are present.
#
# Kernel sources newer than bookworm's (linux-source-7.2 from sid, linux-source-7.3 and linux-config-7.3 from
# trixie-backports) are downloaded through a private apt configuration — its own sources list, package lists and
# cache under ${KBUILD_FIXTURES:-~/.cache/kbuild-sdk}/debian — and unpacked there with dpkg-deb -x: the system's
# sources are never changed and nothing is installed or upgraded from those suites.
set -euo pipefail
# gcc-12-multilib, not gcc-multilib: the -m32 tests need its 32-bit libraries, and gcc-multilib (its /usr/include/asm
# link) conflicts with gcc-aarch64-linux-gnu, the GCC arm64 fixture's cross compiler.
packages=(
  gcc gcc-12-multilib libc6-dev binutils make flex bison bc libelf-dev libssl-dev cpio xz-utils
  linux-source-6.1 linux-source-6.12 qemu-system-x86 busybox-static lld-16
  binutils-powerpc-linux-gnu time dwarves bpftool tmux
  clang-16 llvm-16 qemu-system-arm libc6-dev-arm64-cross binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu
)
# package=version suite: the exact versions the fixtures are built from (a fixture's fingerprint names its version).
newer_sources=(
  "linux-source-7.3=7.3.4-1~bpo13+1 trixie-backports"
  "linux-config-7.3=7.3.4-1~bpo13+1 trixie-backports"
  "linux-source-7.2=7.2.13-1 sid"
)
debian=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}/debian

install_bookworm_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "install-deps: installing ${missing[*]}"
  local sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The private apt: reads the system's keyring and dpkg status, writes only under $debian.
private_apt() {  # apt-get arguments...
  apt-get -q -o Dir::Etc::SourceList="$debian/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$debian/lists" -o Dir::Cache="$debian/cache" -o APT::Sandbox::User=root "$@"
}

fetch_newer_sources() {
  local entry package version suite stamp
  local wanted=()
  for entry in "${newer_sources[@]}"; do
    read -r package suite <<<"$entry"
    stamp="$debian/root/.${package%%=*}.unpacked"
    [ "$(cat "$stamp" 2>/dev/null)" = "$package" ] || wanted+=("$entry")
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  mkdir -p "$debian/lists/partial" "$debian/cache/archives/partial" "$debian/download" "$debian/root"
  for suite in $(printf '%s\n' "${newer_sources[@]}" | awk '{print $2}' | sort -u); do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main"
  done > "$debian/sources.list"
  echo "install-deps: downloading $(printf '%s ' "${wanted[@]%% *}")through a private apt configuration ($debian)"
  private_apt update -qq >/dev/null
  for entry in "${wanted[@]}"; do
    read -r package suite <<<"$entry"
    rm -f "$debian/download/${package%%=*}"_*.deb
    (cd "$debian/download" && private_apt download "$package" >/dev/null) ||
      { echo "install-deps: $package is not in Debian's $suite (the fixtures are built from that version)" >&2; return 1; }
    dpkg-deb -x "$debian/download/${package%%=*}"_*.deb "$debian/root"
    rm -f "$debian/download/${package%%=*}"_*.deb
    echo "$package" > "$debian/root/.${package%%=*}.unpacked"
  done
}

install_bookworm_packages
fetch_newer_sources
