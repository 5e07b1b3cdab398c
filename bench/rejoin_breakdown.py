#!/usr/bin/env python3
# Usage: bench/rejoin_breakdown.py DIR, where DIR holds the failover bench's node logs (n1.log, …; /tmp/appliance-bench/failover-primarycrash).
import re, sys, glob, datetime as dt
# Splits each restart of a victim in the failover bench's node logs into milestones (seconds from the process start).
def ts(line):
    m = re.match(r'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)', line)
    return dt.datetime.fromisoformat(m.group(1)[:26]) if m else None
marks = [('starting', ' starting: PostgreSQL'), ('probing', 'Forming or joining'), ('join sent', 'Joining the cluster through'),
         ('welcome', 'Welcome from'), ('deposed applied', 'role Deposed applied'), ('ready to rejoin', 'ready to rejoin'),
         ('rejoined (coordinator)', 'reason Rejoined'), ('async applied', 'role Async applied')]
rows = []
for f in sorted(glob.glob(sys.argv[1] + '/n*.log')):
    text = open(f, errors='replace').read()
    parts = text.split('===== bench: start ')[2:]   # restarts only
    for p in parts:
        start = dt.datetime.fromisoformat(p[:26])
        row = {'node': f.split('/')[-1][:-4], 'start': start}
        for name, pat in marks:
            for line in p.split('\n'):
                if pat in line and ts(line):
                    row[name] = (ts(line) - start).total_seconds(); break
        m = re.search(r'\((Rewound|AlreadyOnHistory|Cloned)\)', p)
        row['method'] = m.group(1) if m else '?'
        row['waits'] = "held this node's previous incarnation" in p
        rows.append(row)
rows.sort(key=lambda r: r['start'])
print('| restart | node | method | ' + ' | '.join(n for n, _ in marks) + ' | waited for old incarnation |')
print('|' + '---|' * (len(marks) + 4))
for i, r in enumerate(rows, 1):
    print(f"| {i} | {r['node']} | {r['method']} | " + ' | '.join(f"{r[n]:.2f}" if n in r else '-' for n, _ in marks) + f" | {'yes' if r['waits'] else 'no'} |")
import statistics
print()
for n, _ in marks:
    v = [r[n] for r in rows if n in r]
    if v: print(f"{n}: median {statistics.median(v):.2f} s (min {min(v):.2f}, max {max(v):.2f}, n={len(v)})")
