#!/usr/bin/env python3
"""Per trial, seconds after the SIGKILL: when the restarted node's remoting listened (n2.log "Remoting started") and when
a peer first dropped its link state for the dead incarnation (n1/n3.log "Removing receive buffers ...->...:27552": the
end of its 5 s gate, or earlier if the new incarnation's inbound connection replaced the endpoint), with the outcome.
usage: offsets.py LOOP_OUTPUT LOG_DIR"""
import re, sys
from datetime import datetime

def t(s): return datetime.strptime(s, "%H:%M:%S.%f")
AKKA = re.compile(r"\[\d\d/\d\d/\d{4} (\d\d:\d\d:\d\d\.\d+)Z\]")
out, d = sys.argv[1], sys.argv[2]
def events(name, needle):
    return [t(m.group(1)) for line in open(f"{d}/{name}") if needle in line and (m := AKKA.search(line))]
started = events("n2.log", "Remoting started")
gate = sorted(events("n1.log", "Removing receive buffers for [akka.tcp://repro@127.0.0.1:27551]->[akka.tcp://repro@127.0.0.1:27552]")
              + events("n3.log", "Removing receive buffers for [akka.tcp://repro@127.0.0.1:27553]->[akka.tcp://repro@127.0.0.1:27552]"))
def after(xs, kill):
    x = next((x for x in xs if x > kill and (x - kill).total_seconds() < 15), None)
    return f"{(x - kill).total_seconds():6.2f}s" if x else "    n/a"
window = [0, 0]  # trials whose new remoting came up 4.7-5.2 s after the kill (just before the peers' 5 s gate ends), symptoms
for line in open(out):
    m = re.match(r"trial\s+(\d+) kill=(\S+)Z delay=\s*(\d+)ms rejoin=(\S+)\s+downed=\[(.*?)\] unreachable-after-rejoin=\[(.*?)\]", line)
    if not m: continue
    kill = t(m.group(2))
    bad = "NEVER" in m.group(4) or m.group(5) or m.group(6)
    up = next(((x - kill).total_seconds() for x in started if x > kill and (x - kill).total_seconds() < 15), None)
    if up is not None and 4.7 <= up <= 5.2: window[0] += 1; window[1] += bool(bad)
    print(f"trial {int(m.group(1)):3} delay={int(m.group(3)):5}ms new-remoting-up=+{after(started, kill)} peer-first-removal=+{after(gate, kill)} "
          f"rejoin={m.group(4):11} {'<-- symptom' if bad else ''}")
print(f"# new remoting up at kill+4.7..5.2 s: {window[0]} trials, {window[1]} with a symptom")
