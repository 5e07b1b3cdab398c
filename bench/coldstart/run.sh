#!/bin/bash
# TLS cold starts: starts three empty TLS nodes at once on loopback, waits until all three are members, and reports
# which nodes formed a cluster (more than one is two clusters) and how long each outbound remoting link waited for its
# handshake's answer (stalls.py, from the nodes' DEBUG logs). BENCHMARKS §5 finding 8 used it.
#
#   bench/coldstart/run.sh [APPLIANCE_DLL] [RUNS] [EXTRA_HOCON_FILE]
#
# APPLIANCE_DLL defaults to the Debug build of src/Host. EXTRA_HOCON_FILE is passed as --config (for instance
# akka.remote.transport-failure-detector.heartbeat-interval = 4s, to compare with the shipped 1 s). The finding needs a
# loaded machine (load 15-25 on 2 cores); on a quiet one stalls are rare. Runs as root (the nodes run PostgreSQL as
# `postgres`) and needs openssl. Uses ports 24110-24132; each run's directory is kept under /tmp/appliance-coldstart.
set -u
BIN=${1:-$(cd "$(dirname "$0")/../.." && pwd)/src/Host/bin/Debug/net10.0/appliance.dll}
RUNS=${2:-10}
EXTRA=${3:-}
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$BIN" ] || { echo "no $BIN: build src/Host first (dotnet build src/Host)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 2; }
[ -z "$EXTRA" ] || [ -f "$EXTRA" ] || { echo "no HOCON file $EXTRA" >&2; exit 2; }
ROOT=/tmp/appliance-coldstart; TLS=$ROOT/tls; mkdir -p "$TLS"; chmod 755 "$ROOT"
if [ ! -f "$TLS/ca.crt" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$TLS/ca.key"
  openssl req -x509 -new -key "$TLS/ca.key" -subj "/CN=coldstart CA" -days 3650 -out "$TLS/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$TLS/ext.cnf"
  for n in n1 n2 n3; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS/$n.key"; chmod 600 "$TLS/$n.key"
    openssl req -new -key "$TLS/$n.key" -subj "/CN=$n" -out "$TLS/$n.csr"
    openssl x509 -req -in "$TLS/$n.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 700 -extfile "$TLS/ext.cnf" -out "$TLS/$n.crt" 2>/dev/null
  done
fi
HOCON=$ROOT/debug-$$.conf
{ echo 'akka { loglevel = DEBUG, remote.log-remote-lifecycle-events = on }'; [ -n "$EXTRA" ] && cat "$EXTRA"; } > "$HOCON"
seeds="127.0.0.1:24112,127.0.0.1:24122,127.0.0.1:24132"
two=0
for run in $(seq 1 "$RUNS"); do
  D=$ROOT/run-$$-$run; rm -rf "$D"; mkdir -p "$D"; chmod 755 "$D"
  for i in 1 2 3; do
    Logging__LogLevel__Default=Debug APPLIANCE_PG_PASSWORD=pw APPLIANCE_TLS_CERT=$TLS/n$i.crt APPLIANCE_TLS_KEY=$TLS/n$i.key \
      APPLIANCE_TLS_CA=$TLS/ca.crt dotnet "$BIN" node --config "$HOCON" --name n$i --akka-port 241${i}2 --http-port 241${i}1 \
      --pg-port 241${i}0 --data-dir "$D/n$i" --seed-nodes $seeds --state-store "sqlite:$D/state.db" > "$D/n$i.log" 2>&1 & disown
  done
  deadline=$(( $(date +%s) + 60 ))
  while [ "$(date +%s)" -lt $deadline ] && [ "$(grep -l 'JOINING itself\|Welcome from' "$D"/n?.log 2>/dev/null | wc -l)" -lt 3 ]; do sleep 0.5; done
  sleep 3
  formers=$(grep -l "Forming a new cluster" "$D"/n?.log | xargs -r -n1 basename | sed 's/.log//' | tr '\n' ' ')
  [ "$(echo $formers | wc -w)" -gt 1 ] && two=$((two + 1))
  echo "run $run: formed by [ ${formers}] $(python3 "$HERE/stalls.py" "$D" | tail -1); logs in $D"
  pkill -f "node --config $HOCON"; sleep 3; pkill -9 -f "$D/"; true
done
echo "$two of $RUNS cold starts formed two clusters"
python3 "$HERE/stalls.py" "$ROOT"/run-$$-* | tail -1
