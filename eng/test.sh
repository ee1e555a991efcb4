#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need (apt packages, kernel
# fixtures cached outside the repo), runs every test project, and ends with "N passed, N failed".
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

"$repo/eng/install-deps.sh"
"$repo/eng/kernel-fixtures.sh" all
export KBUILD_REQUIRE_FIXTURES=1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
set +e
# -m:1: one test project at a time; both run the kernel's make in the shared fixture build dirs,
# and two makes in one build dir at once would race.
dotnet test "$repo/Kbuild.sln" -m:1 -nodeReuse:false --logger "trx;LogFilePrefix=tests" --results-directory "$results" "$@"
status=$?
set -e

# Sum the counters of every test run (one .trx per test project).
read -r passed failed skipped < <(cat "$results"/*.trx 2>/dev/null |
  grep -o '<Counters [^>]*>' |
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
       END { f = c["failed"] + c["error"] + c["timeout"] + c["aborted"]
             # A skipped (inconclusive) test is in total but in no outcome counter.
             printf "%d %d %d\n", c["passed"], f, c["total"] - c["passed"] - f }')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # build or runner failure counts as a failure
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
