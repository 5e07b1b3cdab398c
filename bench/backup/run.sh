#!/bin/bash
# Backup and restore speed of pgBackRest, as the appliance configures it, against pg_basebackup of the same database,
# in one run (the machine is shared and noisy: compare the ratios, not the absolute MB/s).
#
#   sudo bash bench/backup/run.sh [SCALE] [ROUNDS]
#
# SCALE is pgbench's (68 ≈ 1 GB, the default); ROUNDS (default 3) repeats every measurement, the order rotated per
# round so that none always runs first on a cold page cache. One standalone PostgreSQL 15 (port 24210) with
# archive_mode = on and the appliance's archive_command; a local pgBackRest repository. Per round:
#   basebackup  pg_basebackup -D DIR -X stream -c fast (plain format, uncompressed: what a clone does)
#   backup      pgbackrest backup --type=full with the appliance's defaults (start-fast, compress-type=lz4, process-max=1)
#   backup-p2   the same with process-max=2 (--backup-option process-max=2)
#   restore     pgbackrest restore of that round's backup into an empty directory (process-max=1)
# MB/s = pg_database_size of the database / wall time. Raw lines in bench/results/backup-DATE/results.jsonl;
# the summary is printed last. Runs as root (PostgreSQL and pgBackRest run as postgres); everything under
# /tmp/appliance-backup-bench, removed at the start of the next run.
set -euo pipefail
SCALE=${1:-68}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=/tmp/appliance-backup-bench
PORT=24210
PGBIN=/usr/lib/postgresql/15/bin
OUT="$ROOT/bench/results/backup-$(date -u +%Y-%m-%dT%H%M)"
[ "$(id -u)" = 0 ] || { echo "run as root (PostgreSQL is started as user postgres)" >&2; exit 2; }
command -v pgbackrest >/dev/null || { echo "pgbackrest is needed (apt-get install pgbackrest)" >&2; exit 2; }
[ -x "$PGBIN/postgres" ] || { echo "PostgreSQL 15 is needed in $PGBIN" >&2; exit 2; }
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

if [ -f "$D/pg/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$D/pg" -m immediate -w stop || true; fi
rm -rf "$D"; mkdir -p "$D/repo" "$D/lock" "$D/log" "$OUT"; chown -R postgres: "$D"; chmod 700 "$D"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$D/pg" -m fast -w stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

conf() {   # the appliance's pgbackrest.conf (PgBackRestConfig.Render), with a socket instead of PGHOST
  cat > "$D/pgbackrest.conf" <<EOF
[global]
repo1-path=$D/repo
lock-path=$D/lock
log-path=$D/log

[bench]
pg1-path=$D/pg
pg1-port=$PORT
pg1-user=postgres
pg1-socket-path=$D
log-level-file=off
start-fast=y
compress-type=lz4
EOF
  chown postgres: "$D/pgbackrest.conf"
}
conf
BR=(pgbackrest "--config=$D/pgbackrest.conf" --stanza=bench)

as_pg "$PGBIN/initdb" -D "$D/pg" -U postgres --auth=trust >/dev/null
cat >> "$D/pg/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$D'
wal_level = replica
max_wal_senders = 4
archive_mode = on
archive_command = 'pgbackrest --config=$D/pgbackrest.conf --stanza=bench archive-push %p'
shared_buffers = 128MB
EOF
as_pg "$PGBIN/pg_ctl" -D "$D/pg" -l "$D/pg.log" -w start >/dev/null
PSQL=(as_pg psql -h "$D" -p "$PORT" -U postgres -Atq)
echo "filling: pgbench -i -s $SCALE"
as_pg pgbench -h "$D" -p "$PORT" -U postgres -i -q -s "$SCALE" postgres 2>&1 | tail -1
"${PSQL[@]}" -c "CHECKPOINT"
BYTES=$("${PSQL[@]}" -c "SELECT sum(pg_database_size(oid)) FROM pg_database")
MB=$(echo "$BYTES / 1048576" | bc -l)
printf 'cluster size: %.0f MB (all databases)\n' "$MB"
as_pg "${BR[@]}" stanza-create >/dev/null
# The fill's WAL (≈ 1 GB) is archived one segment at a time behind it; check waits until the archive has caught up,
# so that no measured backup waits for that backlog at its end (the first backup of an earlier run took 3× longer so).
as_pg "${BR[@]}" check --archive-timeout=600 >/dev/null

load() { cut -d' ' -f1 /proc/loadavg; }
timed() {   # timed NAME ROUND COMMAND…: runs it, appends a JSON line with its MB/s
  local name=$1 round=$2; shift 2
  local l0 t0 t1 secs
  l0=$(load); t0=$(date +%s.%N)
  "$@" >"$D/log/$name-$round.out" 2>&1 || { echo "$name failed:"; tail -20 "$D/log/$name-$round.out"; exit 1; }
  t1=$(date +%s.%N); secs=$(echo "$t1 - $t0" | bc -l)
  printf '{"round":%d,"op":"%s","seconds":%.2f,"mb":%.1f,"mbps":%.1f,"load":%s}\n' \
    "$round" "$name" "$secs" "$MB" "$(echo "$MB / $secs" | bc -l)" "$l0" | tee -a "$OUT/results.jsonl"
}
basebackup() { rm -rf "$D/bb"; as_pg pg_basebackup -h "$D" -p "$PORT" -U postgres -D "$D/bb" -X stream -c fast; }
backup() { as_pg "${BR[@]}" backup --type=full "$@"; }
restore() { rm -rf "$D/restored"; install -d -o postgres -g postgres -m 700 "$D/restored"; as_pg "${BR[@]}" restore "--pg1-path=$D/restored" --archive-mode=off; }

for round in $(seq 1 "$ROUNDS"); do
  ops=(basebackup backup backup-p2)
  shift_by=$(( (round - 1) % 3 ))
  ops=("${ops[@]:$shift_by}" "${ops[@]:0:$shift_by}")
  for op in "${ops[@]}"; do
    case $op in
      basebackup) timed basebackup "$round" basebackup ;;
      backup) timed backup "$round" backup ;;
      backup-p2) timed backup-p2 "$round" backup --process-max=2 ;;
    esac
  done
  timed restore "$round" restore
  rm -rf "$D/bb" "$D/restored"
  as_pg "${BR[@]}" expire --repo1-retention-full=1 >/dev/null 2>&1 || true
done

as_pg "${BR[@]}" info --output=json > "$OUT/info.json"
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, pgBackRest $(pgbackrest version | cut -d' ' -f2), $("$PGBIN/postgres" --version), scale $SCALE, $ROUNDS rounds"
  python3 - "$OUT/results.jsonl" "$OUT/info.json" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
last = json.load(open(sys.argv[2]))[0]["backup"][-1]["info"]
print(f"last full backup: {last['size'] / 2**20:.0f} MB of database, {last['repository']['delta'] / 2**20:.0f} MB in the repository (lz4)")
ops = ["basebackup", "backup", "backup-p2", "restore"]
med = {op: statistics.median(r["mbps"] for r in rows if r["op"] == op) for op in ops}
for op in ops:
    got = [r["mbps"] for r in rows if r["op"] == op]
    print(f"{op:11s} median {med[op]:7.1f} MB/s  (rounds: {', '.join(f'{x:.1f}' for x in got)})")
per_round = {}
for r in rows: per_round.setdefault(r["round"], {})[r["op"]] = r["mbps"]
for op in ["backup", "backup-p2", "restore"]:
    ratios = [v[op] / v["basebackup"] for v in per_round.values()]
    print(f"{op:11s} / basebackup, per round: {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}")
print(f"load average at the start of each step: {min(r['load'] for r in rows)}–{max(r['load'] for r in rows)}")
EOF
} | tee "$OUT/summary.txt"
