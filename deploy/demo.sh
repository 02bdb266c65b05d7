#!/usr/bin/env bash
# Zero-configuration two-province demo: installs what is missing, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-prerequisites.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet run --project src/Gateway.Demo -c Release -- "$@"
