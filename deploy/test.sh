#!/usr/bin/env bash
# Runs every test against real components: the embedded Kafka-protocol broker,
# private PostgreSQL clusters and redis-servers that the tests start on free ports.
# Installs what is missing first. Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-prerequisites.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build Gateway.sln -c Release -nologo -v:minimal

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Gateway.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Sum the per-assembly summaries into the one closing line CI reads.
awk '/(Passed|Failed)!  - Failed:/ {
        for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1) }
        gsub(",", "", f); gsub(",", "", p); n++ }
     END { if (n == 0) { print "0 passed, 0 failed"; exit 1 } printf "Tests: %d passed, %d failed\n", p, f }' "$log" || status=1
exit "$status"
