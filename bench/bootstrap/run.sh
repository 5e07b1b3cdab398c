#!/bin/bash
# Bootstrap breakdown: starts three empty nodes at once on loopback, reports when a write first commits through
# any of them, stops them, and prints when each milestone was reached (breakdown.py, from the nodes' logs).
#
#   bench/bootstrap/run.sh [APPLIANCE_DLL] [RUNS]
#
# APPLIANCE_DLL defaults to the Debug build of src/Host. Runs as root (the nodes run PostgreSQL as `postgres`)
# or as a user PostgreSQL may run as. Uses ports 24010-24032 (below the kernel's ephemeral range, so that no client socket holds one); each run's directory is kept under /tmp/appliance-boot.
set -u
BIN=${1:-$(cd "$(dirname "$0")/../.." && pwd)/src/Host/bin/Debug/net10.0/appliance.dll}
RUNS=${2:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$BIN" ] || { echo "no $BIN: build src/Host first (dotnet build src/Host)" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql is needed (postgresql-client)" >&2; exit 2; }
seeds="127.0.0.1:24012,127.0.0.1:24022,127.0.0.1:24032"
write() { PGPASSWORD=pw timeout 1 psql -h 127.0.0.1 -p "$1" -U postgres -Atc \
  "create table if not exists t(i int); insert into t values(1)" >/dev/null 2>&1; }
for run in $(seq 1 "$RUNS"); do
  D=/tmp/appliance-boot/run-$$-$run; rm -rf "$D"; mkdir -p "$D"; chmod 755 /tmp/appliance-boot "$D"
  t0=$(date +%s.%N)
  for i in 1 2 3; do
    APPLIANCE_PG_PASSWORD=pw dotnet "$BIN" node --name n$i --akka-port 240${i}2 --http-port 240${i}1 --pg-port 240${i}0 \
      --data-dir "$D/n$i" --seed-nodes $seeds --state-store "sqlite:$D/state.db" > "$D/n$i.log" 2>&1 &
  done
  deadline=$(( $(date +%s) + 120 ))
  first=""
  while [ "$(date +%s)" -lt $deadline ]; do
    now=$(date +%s.%N)
    if write 24010 || write 24020 || write 24030; then first=$(echo "$now - $t0" | bc); break; fi
    sleep 0.2
  done
  echo "run $run: first committed write ${first:-never (120 s)} s after the three processes were started; logs in $D"
  python3 "$HERE/breakdown.py" "$D"
  pkill -f "node --name n[123] --akka-port 240[123]2" ; sleep 3; pkill -9 -f "$D/"; true
done
