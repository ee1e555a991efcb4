#!/usr/bin/env bash
# Installs the Debian packages the tests and fixtures use. Idempotent; a no-op when all are present.
set -euo pipefail
# gcc-12-multilib, not gcc-multilib: the -m32 tests need its 32-bit libraries, and gcc-multilib (its /usr/include/asm
# link) conflicts with gcc-aarch64-linux-gnu, the GCC arm64 fixture's cross compiler.
packages=(
  gcc gcc-12-multilib libc6-dev binutils make flex bison bc libelf-dev libssl-dev cpio xz-utils
  linux-source-6.1 linux-source-6.12 qemu-system-x86 busybox-static lld-16
  binutils-powerpc-linux-gnu time dwarves bpftool tmux
  clang-16 llvm-16 qemu-system-arm libc6-dev-arm64-cross binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
