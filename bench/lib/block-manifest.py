#!/usr/bin/python3
"""block-manifest.py FILE [OFFSET] - a wintogo manifest whose extents are
FILE's bytes from OFFSET on in 4 MiB blocks (as `wintogo write` hashes
them), hashed here with hashlib, so that `wintogo verify --manifest`
checks exactly these bytes.  For the bench scripts only."""
import hashlib
import json
import os
import sys

path = sys.argv[1]
start = int(sys.argv[2]) if len(sys.argv) > 2 else 0
block = 4 << 20
fd = os.open(path, os.O_RDONLY)
size = os.lseek(fd, 0, os.SEEK_END)
extents = []
off = start
while off < size:
    data = os.pread(fd, min(block, size - off), off)
    extents.append({"offset": off, "length": len(data), "partition": "windows",
                    "sha256": hashlib.sha256(data).hexdigest()})
    off += len(data)
parts = [{"role": r, "offset": 0, "size": s} for r, s in
         (("esp", 0), ("msr", 0), ("windows", size))]
json.dump({"wintogo_manifest": 1, "tool": "bench", "date": "1970-01-01T00:00:00Z",
           "image": {"path": path, "name": "bench", "index": 1, "sha256": None},
           "disk": {"size": size, "sector_size": 512,
                    "guid": "00000000-0000-0000-0000-000000000000"},
           "partitions": parts, "block_bytes": block, "excluded": [], "extents": extents},
          sys.stdout)
