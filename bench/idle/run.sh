#!/bin/bash
# Idle footprint, side by side: starts one three-node cluster per build at the same time on loopback (so that both
# see the same load), waits until each has a primary that takes writes and two standbys streaming, lets them settle,
# then measures every host process (RSS, CPU) and every postmaster (CPU, its backends included) over the same window.
#
#   bench/idle/run.sh [--settle S] [--window S] LABEL=APPLIANCE_DLL [LABEL=APPLIANCE_DLL ...]
#
# A label's nodes also get the environment in $ENV_<LABEL> (e.g. ENV_spin="DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70")
# and the extra node arguments in $ARGS_<LABEL> (e.g. ARGS_tick10="--config /tmp/tick10.conf"), to compare runtime
# knobs on one build.
#
# Runs as root (the nodes run PostgreSQL as `postgres`). Cluster k uses ports 25k10-25k32 (below the kernel's ephemeral range, so that no client socket holds one); each sitting's directory is
# kept under /tmp/appliance-idle. KEEP=1 leaves the clusters running after the measurement (for dotnet-gcdump and the like). SCRAPE=S also reads every node's /metrics every S seconds, as Prometheus would; POLL=S reads one node's /cluster every S seconds, as a dashboard or a test's wait does. CPU is Δ(utime+stime) of /proc/PID/stat per wall second, in % of one core. A
# PostgreSQL's is its postmaster's utime+stime+cutime+cstime (the children it reaped: a login per status read shows
# there) plus utime+stime of its live children (backends, walsenders, walwriter, checkpointer, …), at both ends.
# "CPU ms/min" is the same Δ(utime+stime) as CPU milliseconds per wall minute. After the table, every host's resident
# memory is split by mapping (/proc/PID/smaps): managed assemblies (*.dll), JIT output and stubs (memfd:doublemapper,
# W^X's second mapping of the code heap), native libraries (*.so), anonymous (GC heap, thread stacks, native heaps),
# with its thread count and whether the server GC runs (its `.NET Server GC` threads).
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
  seeds="127.0.0.1:25${k}12,127.0.0.1:25${k}22,127.0.0.1:25${k}32"
  envvar="ENV_$label"; argsvar="ARGS_$label"
  for i in 1 2 3; do
    # shellcheck disable=SC2086 # the label's environment and arguments are word lists on purpose
    env APPLIANCE_PG_PASSWORD=pw ${!envvar:-} dotnet "$bin" node --name n$i --akka-port 25${k}${i}2 --http-port 25${k}${i}1 --pg-port 25${k}${i}0 \
      --data-dir "$D/$label/n$i" --seed-nodes "$seeds" --state-store "sqlite:$D/$label/state.db" ${!argsvar:-} > "$D/$label-n$i.log" 2>&1 &
    echo $! > "$D/$label-n$i.pid"
  done
done
sql() { PGPASSWORD=pw timeout 2 psql -h 127.0.0.1 -p "$1" -U postgres -Atc "$2" 2>/dev/null; }
healthy() {   # cluster k: a write commits somewhere, and two WAL receivers stream
  local k=$1 wrote=0 streaming=0
  for i in 1 2 3; do
    sql 25${k}${i}0 "create table if not exists t(i int); insert into t values(1)" >/dev/null && wrote=1
    s=$(sql 25${k}${i}0 "select count(*) from pg_stat_wal_receiver where status = 'streaming'"); streaming=$((streaming + ${s:-0}))
  done
  [ $wrote = 1 ] && [ $streaming = 2 ]
}
deadline=$(( $(date +%s) + 180 ))
for k in $(seq 1 ${#labels[@]}); do
  until healthy $k; do
    [ "$(date +%s)" -lt $deadline ] || { echo "cluster ${labels[$((k-1))]} not healthy in 180 s; logs in $D" >&2; pkill -f "$D/"; exit 1; }
    sleep 1
  done
done
if [ -n "${SCRAPE:-}" ]; then   # Prometheus's part: every node's /metrics every $SCRAPE s, through settling and the window
  ( while true; do for k in $(seq 1 ${#labels[@]}); do for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:25${k}${i}1/metrics"; done; done; sleep "$SCRAPE"; done ) &
  scraper=$!
fi
if [ -n "${POLL:-}" ]; then   # a dashboard's or a test's part: one node's /cluster (every peer read over SQL) every $POLL s
  ( while true; do for k in $(seq 1 ${#labels[@]}); do curl -s -o /dev/null "http://127.0.0.1:25${k}11/cluster"; done; sleep "$POLL"; done ) &
  poller=$!
fi
echo "all healthy; settling ${SETTLE} s, then measuring over ${WINDOW} s (load $(cut -d' ' -f1-3 /proc/loadavg))"
sleep "$SETTLE"
snapshot() { cat /proc/[0-9]*/stat 2>/dev/null > "$1"; }   # every process's stat line, read at one moment
ticks() { awk -v p="$2" '$1 == p { print $14 + $15 }' "$1"; }
ticks_pg() {   # the postmaster with every child it reaped, plus its live children
  awk -v pm="$2" '$1 == pm { t += $14 + $15 + $16 + $17 } $4 == pm { t += $14 + $15 } END { print t + 0 }' "$1"
}
declare -A ppid
for label in "${labels[@]}"; do
  for i in 1 2 3; do ppid[$label-n$i]=$(head -1 "$D/$label/n$i/pgdata/postmaster.pid"); done
done
snapshot "$D/stat0"; t0=$(date +%s.%N); sleep "$WINDOW"; snapshot "$D/stat1"; t1=$(date +%s.%N)
printf '%-10s %-4s %10s %12s %12s %16s\n' build node "host RSS" "host CPU %" "CPU ms/min" "PostgreSQL CPU %"
for label in "${labels[@]}"; do
  for i in 1 2 3; do
    hp=$(cat "$D/$label-n$i.pid"); pm=${ppid[$label-n$i]}
    h0=$(ticks "$D/stat0" "$hp"); h1=$(ticks "$D/stat1" "$hp"); p0=$(ticks_pg "$D/stat0" "$pm"); p1=$(ticks_pg "$D/stat1" "$pm")
    rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$hp/status")
    printf '%-10s n%-3s %8s MiB %12.2f %12.0f %16.2f\n' "$label" "$i" "$rss" \
      "$(echo "100 * ($h1 - $h0) / $HZ / ($t1 - $t0)" | bc -l)" \
      "$(echo "60000 * ($h1 - $h0) / $HZ / ($t1 - $t0)" | bc -l)" \
      "$(echo "100 * ($p1 - $p0) / $HZ / ($t1 - $t0)" | bc -l)"
  done
done
printf '\nresident MiB by mapping\n%-10s %-4s %7s %7s %7s %7s %7s %7s %8s %9s\n' build node RSS dll jit so anon other threads "server GC"
for label in "${labels[@]}"; do
  for i in 1 2 3; do
    hp=$(cat "$D/$label-n$i.pid")
    gc=$(grep -lx '.NET Server GC' /proc/"$hp"/task/*/comm 2>/dev/null | wc -l)
    awk -v l="$label" -v n="n$i" -v th="$(ls /proc/"$hp"/task | wc -l)" -v gc="$gc" '
      /^[0-9a-f]+-[0-9a-f]+ / { name = $6; kind = name ~ /\.dll$/ ? "dll" : name ~ /doublemapper/ ? "jit" : name ~ /\.so(\.[0-9.]+)?$/ ? "so" : name == "" ? "anon" : "other" }
      /^Rss:/ { kb[kind] += $2; all += $2 }
      END { printf "%-10s %-4s %7.1f %7.1f %7.1f %7.1f %7.1f %7.1f %8d %9s\n", l, n, all / 1024, kb["dll"] / 1024, kb["jit"] / 1024, kb["so"] / 1024, kb["anon"] / 1024, kb["other"] / 1024, th, (gc > 0 ? "yes" : "no") }
    ' "/proc/$hp/smaps"
  done
done
[ -n "${scraper:-}" ] && kill "$scraper"
[ -n "${poller:-}" ] && kill "$poller"
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg); logs in $D"
if [ -n "${KEEP:-}" ]; then echo "KEEP: the clusters keep running; stop them with: pkill -f $D/"; exit 0; fi
for label in "${labels[@]}"; do for i in 1 2 3; do kill "$(cat "$D/$label-n$i.pid")" 2>/dev/null; done; done
sleep 5; pkill -9 -f "$D/" 2>/dev/null; true
