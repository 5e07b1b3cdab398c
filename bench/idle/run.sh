#!/bin/bash
# Idle footprint, side by side: starts one three-node cluster per build at the same time on loopback (so that both
# see the same load), waits until each has a primary that takes writes and two standbys streaming, lets them settle,
# then measures every host process (RSS, CPU) and every postmaster (CPU, its backends included) over the same window.
#
#   bench/idle/run.sh [--settle S] [--window S] LABEL=APPLIANCE_DLL [LABEL=APPLIANCE_DLL ...]
#
# Runs as root (the nodes run PostgreSQL as `postgres`). Cluster k uses ports 34k00-34k32; each sitting's directory is
# kept under /tmp/appliance-idle. CPU is Δ(utime+stime) of /proc/PID/stat per wall second, in % of one core; a
# postmaster's adds cutime+cstime, which holds the CPU of the backends it reaped (a login per status read shows there).
set -u
SETTLE=30; WINDOW=30
while [ $# -gt 0 ]; do
  case "$1" in
    --settle) SETTLE=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--settle S] [--window S] LABEL=APPLIANCE_DLL ..." >&2; exit 2; }
command -v psql >/dev/null || { echo "psql is needed (postgresql-client)" >&2; exit 2; }
HZ=$(getconf CLK_TCK)
D=/tmp/appliance-idle/sitting-$$; mkdir -p "$D"; chmod 755 /tmp/appliance-idle "$D"
labels=(); k=0
for spec in "$@"; do
  label=${spec%%=*}; bin=${spec#*=}; k=$((k + 1))
  [ -f "$bin" ] || { echo "no $bin" >&2; exit 2; }
  labels+=("$label")
  seeds="127.0.0.1:34${k}12,127.0.0.1:34${k}22,127.0.0.1:34${k}32"
  for i in 1 2 3; do
    APPLIANCE_PG_PASSWORD=pw dotnet "$bin" node --name n$i --akka-port 34${k}${i}2 --http-port 34${k}${i}1 --pg-port 34${k}${i}0 \
      --data-dir "$D/$label/n$i" --seed-nodes "$seeds" --state-store "sqlite:$D/$label/state.db" > "$D/$label-n$i.log" 2>&1 &
    echo $! > "$D/$label-n$i.pid"
  done
done
sql() { PGPASSWORD=pw timeout 2 psql -h 127.0.0.1 -p "$1" -U postgres -Atc "$2" 2>/dev/null; }
healthy() {   # cluster k: a write commits somewhere, and two WAL receivers stream
  local k=$1 wrote=0 streaming=0
  for i in 1 2 3; do
    sql 34${k}${i}0 "create table if not exists t(i int); insert into t values(1)" >/dev/null && wrote=1
    s=$(sql 34${k}${i}0 "select count(*) from pg_stat_wal_receiver where status = 'streaming'"); streaming=$((streaming + ${s:-0}))
  done
  [ $wrote = 1 ] && [ $streaming = 2 ]
}
deadline=$(( $(date +%s) + 180 ))
for k in $(seq 1 ${#labels[@]}); do
  until healthy $k; do
    [ "$(date +%s)" -lt $deadline ] || { echo "cluster ${labels[$((k-1))]} not healthy in 180 s; logs in $D" >&2; pkill -f "$D"; exit 1; }
    sleep 1
  done
done
echo "all healthy; settling ${SETTLE} s, then measuring over ${WINDOW} s (load $(cut -d' ' -f1-3 /proc/loadavg))"
sleep "$SETTLE"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
ticks_reaped() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null; }
declare -A h0 p0 ppid
for label in "${labels[@]}"; do
  for i in 1 2 3; do
    hp=$(cat "$D/$label-n$i.pid"); pm=$(head -1 "$D/$label/n$i/pgdata/postmaster.pid")
    ppid[$label-n$i]=$pm; h0[$label-n$i]=$(ticks "$hp"); p0[$label-n$i]=$(ticks_reaped "$pm")
  done
done
t0=$(date +%s.%N); sleep "$WINDOW"; t1=$(date +%s.%N)
printf '%-10s %-4s %10s %12s %16s\n' build node "host RSS" "host CPU %" "PostgreSQL CPU %"
for label in "${labels[@]}"; do
  for i in 1 2 3; do
    hp=$(cat "$D/$label-n$i.pid"); pm=${ppid[$label-n$i]}
    h1=$(ticks "$hp"); p1=$(ticks_reaped "$pm")
    rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$hp/status")
    printf '%-10s n%-3s %8s MiB %12.2f %16.2f\n' "$label" "$i" "$rss" \
      "$(echo "100 * ($h1 - ${h0[$label-n$i]}) / $HZ / ($t1 - $t0)" | bc -l)" \
      "$(echo "100 * ($p1 - ${p0[$label-n$i]}) / $HZ / ($t1 - $t0)" | bc -l)"
  done
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg); logs in $D"
for label in "${labels[@]}"; do for i in 1 2 3; do kill "$(cat "$D/$label-n$i.pid")" 2>/dev/null; done; done
sleep 5; pkill -9 -f "$D" 2>/dev/null; true
