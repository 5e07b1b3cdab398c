#!/bin/bash
# Runs every Appliance benchmark (docs/BENCHMARKS.md) against a Release build of the host, as root, on loopback.
#   sudo bash bench/run.sh                  # full: 20 trials per fault (and primary crashes with the coordinator
#                                           # kept off the primary), pgbench 2 rounds x 30 s, lifecycle
#   sudo bash bench/run.sh --smoke          # tiny counts, to check the harness
# Raw results: bench/results/appliance/*.json, summary.txt, run.log. Each stage re-creates its cluster under
# /tmp/appliance-bench and stops every process it started, also when it fails; a failed stage does not stop the next.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN=/tmp/appliance-bench-bin
OUT="${RESULTS:-$ROOT/bench/results/appliance}"
if [ "$(id -u)" != 0 ]; then echo "run as root (PostgreSQL is started as user postgres)" >&2; exit 1; fi
cd "$ROOT"
if [ -z "${NO_BUILD:-}" ]; then   # NO_BUILD=1 reuses the last build
  dotnet publish src/Host -c Release -o "$BIN" -v q -nologo || exit 1
  dotnet build bench/Appliance.Bench -c Release -v q -nologo || exit 1
fi
B=(dotnet bench/Appliance.Bench/bin/Release/net10.0/appliance-bench.dll)
COMMON=(--appliance "$BIN/appliance.dll" --results "$OUT")
mkdir -p "$OUT"
if [ "${1:-}" = --smoke ]; then
  "${B[@]}" failover --faults primary-crash,sync-crash,switchover,sigterm --trials 1 "${COMMON[@]}"
  "${B[@]}" throughput --scale 2 --clients 1,4 --seconds 5 --rounds 1 "${COMMON[@]}"
  "${B[@]}" lifecycle --bootstraps 1 --idle-seconds 5 --scale 2 --rejoins 1 "${COMMON[@]}"
  exit
fi
"${B[@]}" failover --faults primary-crash,sync-crash,switchover,sigterm --settle 60 --trials "${TRIALS:-20}" "${COMMON[@]}"
"${B[@]}" failover --faults primary-crash --avoid-coordinator --trials "${TRIALS:-20}" "${COMMON[@]}"
"${B[@]}" throughput --scale 10 --clients 1,4,16 --seconds 30 --rounds 2 "${COMMON[@]}"
"${B[@]}" lifecycle --bootstraps 5 --idle-seconds 60 --scale 20 --rejoins 3 "${COMMON[@]}"
