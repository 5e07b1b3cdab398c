#!/usr/bin/env python3
"""How long each outbound remoting link waited for its handshake's answer, from the DEBUG logs of one or more cold
starts (bench/coldstart/run.sh). The accepting side logs "Associated [B] <- A" once it has answered; the connecting side
logs "Associated [A] -> B" once it has read that answer. The difference is a lower bound on how long the answer sat
unread, during which nothing passed between A and B (BENCHMARKS §5 finding 8).

    stalls.py RUN_DIR...
"""
import datetime, os, re, sys

STAMP = re.compile(r'\]\[(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{3})Z\]')

def when(line):
    m = STAMP.search(line)
    return datetime.datetime.strptime(m.group(1), '%m/%d/%Y %H:%M:%S.%f').timestamp() if m else None

def first(lines, pattern):
    for line in lines:
        if re.search(pattern, line) and (t := when(line)) is not None:
            return t
    return None

stalls = []
for run in sys.argv[1:]:
    logs, ports = {}, {}
    for n in (1, 2, 3):
        try:
            logs[n] = open(os.path.join(run, f'n{n}.log'), errors='replace').read().splitlines()
        except OSError:
            continue
        ports[n] = next((m.group(1) for l in logs[n] if (m := re.search(r'Akka on 127\.0\.0\.1:(\d+)', l))), None)
    if len(logs) < 3 or None in ports.values():
        continue
    links = []
    for a in (1, 2, 3):
        for b in (1, 2, 3):
            if a == b:
                continue
            read = first(logs[a], rf'Associated \[[^]]*:{ports[a]}\] -> [^ ]*:{ports[b]}\b')
            answered = first(logs[b], rf'Associated \[[^]]*:{ports[b]}\] <- [^ ]*:{ports[a]}\b')
            if read and answered:
                stalls.append(read - answered)
                links.append(f'n{a}->n{b} {read - answered:+.1f}s')
    print(os.path.basename(run.rstrip('/')), ' '.join(links))
if stalls:
    stalls.sort()
    print(f'{len(stalls)} links: median {stalls[len(stalls) // 2]:.2f} s, worst {stalls[-1]:.2f} s, '
          f'{sum(s > 1 for s in stalls)} stalled over 1 s, {sum(s > 2 for s in stalls)} over 2 s')
