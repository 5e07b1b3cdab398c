#!/usr/bin/python3
"""Which node hosted the coordinator singleton when each failover trial's fault hit (post-hoc, from node logs).

  python3 bench/coordinator_at_kill.py /tmp/appliance-bench/failover-primarycrash bench/results/appliance/failover-primarycrash.json

The singleton runs on the oldest member; a node logs "ClusterSingletonManager state change [... -> Oldest]" when it
takes it over. The bench restarts the victim (log marker "===== bench: start") 1 s after the first acknowledged write,
so the fault's wall time is marker - kill_to_first_ack - 1 s. Prints one line per trial and the split of
kill->first-ack by whether the victim hosted the coordinator. Only valid for a stage that ran on one cluster
(no "did not form" / FAILED restarts, which rename the logs).
"""
import datetime
import glob
import json
import os
import re
import statistics
import sys

stage, res = sys.argv[1], sys.argv[2]
TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z")
oldest, starts = [], {}
for path in sorted(glob.glob(os.path.join(stage, "n*.log"))):
    node = os.path.basename(path).split(".")[0]
    for line in open(path, errors="replace"):
        if line.startswith("===== bench: start "):
            t = datetime.datetime.fromisoformat(line.split()[3][:26]).replace(tzinfo=None)
            starts.setdefault(node, []).append(t.timestamp())
        elif "-> Oldest]" in line and (m := TS.match(line)):
            oldest.append((datetime.datetime.fromisoformat(m.group(1)[:26]).timestamp(), node))
oldest.sort()
trials = json.load(open(res))["trials"]
seen = {n: 1 for n in starts}   # the first marker is the initial start
split = {True: [], False: []}
for t in trials:
    v = t["Victim"]
    if t["RejoinSeconds"] is None or seen.get(v, 1) >= len(starts.get(v, [])):
        coord = None
    else:
        kill = starts[v][seen[v]] - t["KillToFirstAck"] - 1.0
        seen[v] += 1
        before = [n for ts, n in oldest if ts < kill]
        coord = before[-1] if before else None
    if coord is not None:
        split[coord == v].append(t["KillToFirstAck"])
    print("trial %2d victim %s coordinator %s kill->first ack %.2f s" % (t["Trial"], v, coord, t["KillToFirstAck"]))
for k, xs in split.items():
    if xs:
        print("victim %s the coordinator: n=%d median %.2f max %.2f s" % ("hosted" if k else "did not host", len(xs), statistics.median(xs), max(xs)))
