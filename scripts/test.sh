#!/usr/bin/env bash
# Runs every test project. Installs what the tests need first, then prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

./scripts/install-test-deps.sh || { echo "installing test dependencies failed"; echo "0 passed, 1 failed"; exit 1; }

# Formatting is checked by the tool, not by review (.editorconfig); a violation counts as a failed test.
format_failed=0
if ! dotnet format SecureFallback.sln --verify-no-changes >/tmp/securefallback-format.log 2>&1; then
  echo "dotnet format --verify-no-changes found formatting issues:"; cat /tmp/securefallback-format.log
  format_failed=1
fi

log=$(mktemp)
dotnet test SecureFallback.sln --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The data-layer tests again on PostgreSQL (a private cluster on 127.0.0.1:15432, see scripts/test-postgres.sh):
# every server test except those that read key files or the SQLite file, and the long process tests that already
# ran (SharedQueueTests always runs on PostgreSQL).
echo "--- server tests on PostgreSQL ---" | tee -a "$log"
SECUREFALLBACK_TEST_DATABASE=postgres dotnet test tests/SecureFallback.Server.Tests --no-build --nologo \
  --filter "Database!=SqliteOnly&FullyQualifiedName!~CrashSafetyTests&FullyQualifiedName!~DiskFullTests&FullyQualifiedName!~SharedQueueTests" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -ne 0 ] && status=1
./scripts/test-postgres.sh stop || true

# Sum the per-project summaries ("Passed!  - Failed: 0, Passed: 36, ...").
read -r passed failed < <(grep -E '^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$log" \
  | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+).*/\2 \1/' \
  | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
projects=$(find tests -name '*.Tests.csproj' | wc -l)
summaries=$(grep -cE '^(Passed|Failed)! +- ' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # the build or a test host failed before reporting
fi
if [ "$summaries" -lt "$projects" ]; then
  echo "only $summaries of $projects test projects reported results"
  [ "$failed" -eq 0 ] && failed=1
fi
failed=$((failed + format_failed))
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
