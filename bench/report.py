#!/usr/bin/python3
"""Renders the raw results (bench/results/appliance/*.json, bench/results/patroni/patroni-*.json) as the markdown
tables of docs/BENCHMARKS.md:  python3 bench/report.py > /tmp/tables.md"""
import json
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
A = os.environ.get("BENCH_RESULTS", os.path.join(HERE, "results", "appliance"))
P = os.path.join(HERE, "results", "patroni")


def load(d, name):
    p = os.path.join(d, name)
    return json.load(open(p)) if os.path.exists(p) else None


def st(xs):
    xs = sorted(xs)
    if not xs:
        return None
    return {"n": len(xs), "min": xs[0], "med": statistics.median(xs), "p95": xs[max(0, math.ceil(0.95 * len(xs)) - 1)], "max": xs[-1]}


def row(label, s, extra=""):
    if s is None:
        return "| %s | 0 | – | – | – | – |%s" % (label, extra)
    return "| %s | %d | %.2f | %.2f | %.2f | %.2f |%s" % (label, s["n"], s["min"], s["med"], s["p95"], s["max"], extra)


out = []
faults = [("primarycrash", "primary host crash"), ("primarycrash-offcoordinator", "primary host crash, coordinator kept off the primary"),
          ("synccrash", "sync host crash"), ("switchover", "switchover (POST /switchover)"), ("sigtermprimary", "SIGTERM of the primary's host")]
out.append("| fault | n | min | median | p95 | max | write gap median / max | lost acked | rejoin median / max | load (1-min) median |")
out.append("|---|---|---|---|---|---|---|---|---|---|")
for key, label in faults:
    j = load(A, "failover-%s.json" % key)
    if not j:
        continue
    t = j["trials"]
    g = st([x["WriteGap"] for x in t]) or {"med": float("nan"), "max": float("nan")}
    r = st([x["RejoinSeconds"] for x in t if x["RejoinSeconds"] is not None])
    la = statistics.median([float(x["LoadAvg"].split()[0]) for x in t]) if t else float("nan")
    out.append(row(label, st([x["KillToFirstAck"] for x in t]),
                   " %.2f / %.2f | %d | %s | %.0f |" % (g["med"], g["max"], sum(x["LostAcked"] for x in t),
                                                       "%.1f / %.1f" % (r["med"], r["max"]) if r else "–", la)))
out.append("")
out.append("Split by whether the killed node hosted the coordinator singleton (kill → first ack, s):")
out.append("")
out.append("| fault | victim hosted the coordinator: n, median, max | did not: n, median, max |")
out.append("|---|---|---|")
for key, label in faults:
    j = load(A, "failover-%s.json" % key)
    if not j or "VictimHostedCoordinator" not in (j["trials"][0] if j["trials"] else {}):
        continue
    yes = st([x["KillToFirstAck"] for x in j["trials"] if x["VictimHostedCoordinator"]])
    no = st([x["KillToFirstAck"] for x in j["trials"] if not x["VictimHostedCoordinator"]])
    f = lambda s: "%d, %.2f, %.2f" % (s["n"], s["med"], s["max"]) if s else "0"
    out.append("| %s | %s | %s |" % (label, f(yes), f(no)))
out.append("")
out.append("Raw kill → first ack per trial (s), in order, with the node that hosted the coordinator when known:")
out.append("")
for key, label in faults:
    j = load(A, "failover-%s.json" % key)
    if not j:
        continue
    items = ["%.2f%s" % (x["KillToFirstAck"], ("(C)" if x.get("VictimHostedCoordinator") else "")) for x in j["trials"]]
    out.append("- %s: %s%s" % (label, ", ".join(items),
                                "; failed trials: %d; failed start-ups: %d" % (len(j.get("failures", [])), len(j.get("FormationFailures", [])))))
out.append("")
out.append("(C) = the victim hosted the coordinator singleton.")
out.append("")

# Patroni side by side
out.append("| system, timing | crashes | kill → first ack median | p95 | max | write gap median | lost acked | rejoin median |")
out.append("|---|---|---|---|---|---|---|---|")
for prof in ("default", "fast"):
    j = load(P, "patroni-%s.json" % prof)
    if not j:
        continue
    per = j["analysis"]["per_trial"]
    k = st([x["kill_to_first_ack_s"] for x in per])
    g = st([x["gap_s"] for x in per])
    r = st([x["rejoin_s"] for x in per if x["rejoin_s"]])
    out.append("| Patroni 3.0.2 %s (ttl %s, loop_wait %s, retry_timeout %s) | %d | %.2f | %.2f | %.2f | %.2f | %d | %.1f |" % (
        prof, j["ttl"], j["loop_wait"], j["retry_timeout"], k["n"], k["med"], k["p95"], k["max"], g["med"],
        sum(x["lost_acked_on_new_leader"] for x in per), r["med"] if r else float("nan")))
for key, label in faults[:2]:
    j = load(A, "failover-%s.json" % key)
    if not j:
        continue
    t = j["trials"]
    k = st([x["KillToFirstAck"] for x in t])
    g = st([x["WriteGap"] for x in t])
    r = st([x["RejoinSeconds"] for x in t if x["RejoinSeconds"] is not None])
    out.append("| Appliance, %s | %d | %.2f | %.2f | %.2f | %.2f | %d | %.1f |" % (
        label.replace("primary host crash", "hocon defaults").replace(", coordinator kept off the primary", " + coordinator kept off the primary"),
        k["n"], k["med"], k["p95"], k["max"], g["med"], sum(x["LostAcked"] for x in t), r["med"] if r else float("nan")))
out.append("")

# throughput
j = load(A, "throughput.json")
if j:
    out.append("pgbench scale %d, %d s per run, %d round(s); tps (mean over rounds), ratio = appliance / baseline:" % (j["scale"], j["seconds"], j["rounds"]))
    out.append("")
    targets = sorted({r["Target"] for r in j["runs"]}, key=lambda t: (t != "appliance", t))
    out.append("| clients | " + " | ".join(targets) + " | " + " | ".join("ratio vs %s" % t for t in targets[1:]) + " |")
    out.append("|---" * (1 + len(targets) + len(targets) - 1) + "|")
    for c in sorted({r["Clients"] for r in j["runs"]}):
        m = {t: statistics.mean([r["Tps"] for r in j["runs"] if r["Target"] == t and r["Clients"] == c]) for t in targets}
        out.append("| %d | " % c + " | ".join("%.1f" % m[t] for t in targets) + " | " +
                   " | ".join("%.3f" % (m["appliance"] / m[t]) for t in targets[1:]) + " |")
    out.append("")
    out.append("Raw runs (target, clients, round, tps, latency ms, 1-min load):")
    out.append("")
    for r in j["runs"]:
        out.append("- %s -c %d round %d: %.1f tps, %.2f ms, load %s" % (r["Target"], r["Clients"], r["Round"], r["Tps"], r["LatencyMs"], r["LoadAvg"].split()[0]))
    out.append("")

b = load(A, "bootstrap.json")
if b:
    out.append("Bootstrap runs (empty → first committed write / all three streaming, s): " +
               ", ".join("%.2f / %.2f" % (x["WritableSeconds"], x["AllStreamingSeconds"]) for x in b["runs"]) +
               "; failed: %d %s" % (len(b["failures"]), b["failures"]))
    out.append("")
i = load(A, "idle.json")
if i:
    out.append("| node (role) | RSS MiB | peak RSS MiB | CPU %% of one core over %d s |" % i["seconds"])
    out.append("|---|---|---|---|")
    for n in i["nodes"]:
        out.append("| %s (%s) | %.1f | %.1f | %.2f |" % (n["node"], n["role"], n["rss_mib"], n["peak_rss_mib"], n["cpu_percent_of_one_core"]))
    out.append("")
c = load(A, "clone-basebackup.json")
if c:
    out.append("pg_basebackup of a %.0f MB database: " % (c["database_bytes"] / 1e6) +
               ", ".join("%.0f MB in %.2f s = %.1f MB/s" % (x["Bytes"] / 1e6, x["Seconds"], x["MbPerSecond"]) for x in c["runs"]))
    out.append("")
rj = load(A, "rejoin.json")
if rj:
    out.append("| rejoin | run | node | observed | seconds | from restart | load |")
    out.append("|---|---|---|---|---|---|---|")
    for x in rj["runs"]:
        out.append("| %s | %d | %s | %s | %.2f | %.2f | %s |" % (x["Method"], x["Run"], x["Node"], x["Observed"], x["Seconds"], x["RestartToStreamingSeconds"], x["LoadAvg"].split()[0]))
print("\n".join(out))
