#!/usr/bin/env python3
"""stick-table.py DIR - the table of bench/stick-model from its traces:
DIR/SIZE-CONFIG.trace (write sequences, strace2trace.py's format) and
DIR/SIZE-CONFIG.model (stick-model.py --json for them).  The floor of a
device on a disk SIZE is the distinct bytes of the "before" trace (what
wintogo has to write: no gap filled) at the device's bandwidth."""
import glob
import json
import os
import sys

d = sys.argv[1]


def distinct_bytes(path):
    """The bytes a trace writes, each byte once."""
    runs = []
    for line in open(path):
        p = line.split()
        if p and p[0] == "W":
            runs.append((int(p[1]), int(p[1]) + int(p[2])))
    runs.sort()
    total, end = 0, -1
    for a, b in runs:
        if a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


rows = {}
for m in sorted(glob.glob(os.path.join(d, "*.model"))):
    size, config = os.path.basename(m)[:-6].split("-", 1)
    for line in open(m):
        r = json.loads(line)
        rows[(size, config, r["device"])] = r
sizes = sorted({k[0] for k in rows}, key=lambda s: float(s.rstrip("G")))
print("%-5s %-7s %-7s %10s %9s %7s %6s %8s %9s  %s" % ("disk", "stage", "device", "modeled s", "floor s",
                                                     "ratio", "goal", "merges", "bytes MB", "vs before"))
for size in sizes:
    base = distinct_bytes(os.path.join(d, "%s-before.trace" % size))
    for config in ("before", "after"):
        mine = distinct_bytes(os.path.join(d, "%s-%s.trace" % (size, config)))
        for dev in ("cheap", "better"):
            r = rows.get((size, config, dev))
            if not r:
                continue
            floor = base / r["params"]["bw"]
            ratio = r["seconds"] / floor
            print("%-5s %-7s %-7s %10.1f %9.1f %6.2fx %6s %8d %9.1f  %+.2f %%" % (
                size, config, dev, r["seconds"], floor, ratio, "met" if ratio <= 1.15 else "not",
                r["merges"], mine / 1e6, 100.0 * (mine - base) / base))
print("goal: modeled <= 1.15x the floor (distinct bytes of 'before' / bandwidth), bytes < +2 %")
