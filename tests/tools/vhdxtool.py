#!/usr/bin/python3
"""vhdxtool - reads and damages VHDX files for tests/vhdx.t, from the
MS-VHDX layout, independently of wintogo's C code.

  vhdxtool.py meta FILE logical|physical|params [VALUE]
      print (or overwrite) a 4-byte metadata item; params is the file
      parameters' flags (bit 1: has a parent).  The metadata region carries
      no checksum, so a patched file stays valid.
  vhdxtool.py stored FILE
      the number of payload blocks the BAT says are stored (FULLY_PRESENT)
  vhdxtool.py bat-past-end FILE
      points the first stored block past the end of the file
"""
import os
import struct
import sys
import uuid

BAT = '2DC27766-F623-4200-9D64-115E9BFD4A08'
METADATA = '8B7CA206-4790-4B9A-B8FE-575F050F886E'
ITEMS = {'logical': ('8141BF1D-A96F-4709-BA47-F233A8FAAB5F', 0),
         'physical': ('CDA348C7-445D-4471-9CC9-E9885251C556', 0),
         'params': ('CAA16737-FA36-4D43-B3B6-33F0AA44E76B', 4),
         'block_size': ('CAA16737-FA36-4D43-B3B6-33F0AA44E76B', 0)}
SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8'


def guid(b):
    return str(uuid.UUID(bytes_le=bytes(b))).upper()


def regions(f):
    f.seek(192 * 1024)
    rt = f.read(64 * 1024)
    out = {}
    for i in range(struct.unpack_from('<I', rt, 8)[0]):
        g, off, ln = struct.unpack_from('<16sQI', rt, 16 + 32 * i)
        out[guid(g)] = (off, ln)
    return out


def item_offset(f, item_id, skip=0):
    meta = regions(f)[METADATA][0]
    f.seek(meta)
    table = f.read(64 * 1024)
    for i in range(struct.unpack_from('<H', table, 10)[0]):
        g, off = struct.unpack_from('<16sI', table, 32 + 32 * i)
        if guid(g) == item_id:
            return meta + off + skip
    raise SystemExit('no metadata item ' + item_id)


def read_item(f, item_id, fmt, skip=0):
    f.seek(item_offset(f, item_id, skip))
    return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def payload_entries(f):
    """(index in the BAT, entry) of every payload block."""
    block = read_item(f, ITEMS['block_size'][0], '<I')
    logical = read_item(f, ITEMS['logical'][0], '<I')
    size = read_item(f, SIZE, '<Q')
    ratio = (1 << 23) * logical // block
    blocks = (size + block - 1) // block
    bat = regions(f)[BAT][0]
    f.seek(bat)
    raw = f.read(8 * (blocks + blocks // ratio + 1))
    for b in range(blocks):
        i = b + b // ratio
        yield bat + 8 * i, struct.unpack_from('<Q', raw, 8 * i)[0]


def main(argv):
    cmd, path = argv[1], argv[2]
    with open(path, 'r+b') as f:
        if cmd == 'meta':
            item_id, skip = ITEMS[argv[3]]
            if len(argv) > 4:
                f.seek(item_offset(f, item_id, skip))
                f.write(struct.pack('<I', int(argv[4])))
            else:
                print(read_item(f, item_id, '<I', skip))
        elif cmd == 'stored':
            print(sum(1 for _, e in payload_entries(f) if e & 7 == 6))
        elif cmd == 'bat-past-end':
            for at, e in payload_entries(f):
                if e & 7 == 6:
                    f.seek(at)
                    f.write(struct.pack('<Q', ((os.path.getsize(path) >> 20) + 100) << 20 | 6))
                    break
        else:
            raise SystemExit(__doc__)


main(sys.argv)
