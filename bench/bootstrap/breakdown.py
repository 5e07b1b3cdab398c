"""Milestones of a bootstrap from the nodes' logs (n1.log, n2.log, … in the directory given): seconds after the earliest
"starting" line of any node, the first and the last node to reach each. Used by run.sh."""
import re, sys, glob, datetime, os
pat = {
 'host starting': r'Appliance.Node\[0\] Node \S+ starting',
 'remoting up': r'Remoting started; listening',
 'formed/joined': r'formation\] (Forming a new cluster|Joining the cluster through)',
 'singleton started': r'Singleton manager started singleton actor',
 'coordinator recovered': r'Coordinator recovered at sequence number',
 'initial setup written': r'written \(InitialSetup\)',
 'postgres accepts connections': r'database system is ready to accept',
 'standby waits for upstream': r'is waiting for upstream',
 'sync role failed': r'role Sync failed',
 'primary taking writes': r'role Primary applied for state v\d+, taking writes',
 'sync applied': r'role Sync applied for state',
 'async applied': r'role Async applied for state',
}
def ts(line):
    # The node's own log (ISO 8601, Z) or PostgreSQL's (n*/postgresql.log: "2026-12-05 11:47:51.237 UTC").
    m = re.match(r'(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d\.\d+)(Z| UTC)', line)
    return datetime.datetime.fromisoformat(m.group(1) + 'T' + m.group(2)) if m else None
d = sys.argv[1]
events = {}
for f in sorted(glob.glob(os.path.join(d, 'n*.log')) + glob.glob(os.path.join(d, 'n*', 'postgresql.log'))):
    node = os.path.basename(os.path.dirname(f)) if os.path.basename(f) == 'postgresql.log' else os.path.basename(f)[:-4]
    for line in open(f, errors='replace'):
        t = ts(line)
        if not t: continue
        for k, p in pat.items():
            if re.search(p, line):
                events.setdefault(k, []).append((t, node))
t0 = min(t for t, _ in events.get('host starting', []))
for k in pat:
    if k in events:
        first = min(events[k]); last = max(events[k])
        print(f"{k:30} first {(first[0]-t0).total_seconds():6.2f} ({first[1]})  last {(last[0]-t0).total_seconds():6.2f} ({last[1]})")
