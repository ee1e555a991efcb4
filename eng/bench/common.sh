# Sourced by the eng/bench scripts: the environment every benchmark runs in, the checks it needs, and the
# Kbuild.Bench harness built in Release. Sets repo, fixtures, bench (the harness) and work (a temp dir
# removed on exit); takes the calling script's name for its messages.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 LC_ALL=C
fixtures=${KBUILD_FIXTURES:-$HOME/.cache/kbuild-sdk}
bench_name=$(basename "$0")
[ -x /usr/bin/time ] || { echo "$bench_name: /usr/bin/time missing (eng/install-deps.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/eng/bench/Kbuild.Bench" -c Release -nodeReuse:false -v:q -nologo >/dev/null
bench="$repo/eng/bench/Kbuild.Bench/bin/Release/net10.0/Kbuild.Bench"

# The release of a kernel source tree (make kernelversion), or its directory name's version.
kernel_version_of() { make -s -C "$1" kernelversion 2>/dev/null || basename "$1" | sed 's/^linux-//'; }
