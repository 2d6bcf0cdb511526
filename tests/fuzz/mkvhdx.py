#!/usr/bin/python3
"""mkvhdx.py - small VHDX files for the fuzz seed corpus (tests/fuzz/README).

A VHDX that qemu-img or wintogo writes puts its log, metadata and BAT at
1, 2 and 3 MiB: several MiB, mostly zeros, that libFuzzer would spend its
mutations on.  These are the same structures packed right after the
second region table (320 KiB on): a valid VHDX of about 400 KiB that
vhdx.c and libvhdi open, and variants of it.

    mkvhdx.py OUT [VARIANT]   VARIANT: plain (default), 4k, stored, nolog,
                              itemwrap (tests/fuzz/regress/vhdx/)
"""
import struct
import sys

KIB = 1024
MIB = 1024 * KIB


def crc32c(data, crc=0):
    if not hasattr(crc32c, "table"):
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def guid(a, b, c, d):
    return struct.pack("<IHH", a, b, c) + bytes(d)


BAT = guid(0x2DC27766, 0xF623, 0x4200, [0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08])
METADATA = guid(0x8B7CA206, 0x4790, 0x4B9A, [0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E])
PARAMS = guid(0xCAA16737, 0xFA36, 0x4D43, [0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B])
SIZE = guid(0x2FA54224, 0xCD1B, 0x4876, [0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8])
PAGE83 = guid(0xBECA12AB, 0xB2E6, 0x4523, [0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46])
LOGICAL = guid(0x8141BF1D, 0xA96F, 0x4709, [0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F])
PHYSICAL = guid(0xCDA348C7, 0x445D, 0x4471, [0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56])


def make(variant):
    sector = 4096 if variant == "4k" else 512
    block = MIB
    virtual = 4 * MIB
    meta_at, meta_len = 320 * KIB, 68 * KIB
    bat_at, bat_len = meta_at + meta_len, 4 * KIB
    end = bat_at + bat_len
    f = bytearray(end)

    ident = b"vhdxfile" + "wintogo fuzz seed".encode("utf-16-le")
    f[0:len(ident)] = ident

    # the log: none (length 0) but for "nolog", where it would lie past the end
    log_at, log_len = (MIB, MIB) if variant == "nolog" else (0, 0)
    for seq, at in ((1, 64 * KIB), (2, 128 * KIB)):
        h = bytearray(4 * KIB)
        struct.pack_into("<IIQ16s16s16sHHIQ", h, 0, 0x64616568, 0, seq, b"\x11" * 16,
                         b"\x22" * 16, b"\0" * 16, 0, 1, log_len, log_at)
        struct.pack_into("<I", h, 4, crc32c(h))
        f[at:at + len(h)] = h

    r = bytearray(64 * KIB)
    struct.pack_into("<IIII", r, 0, 0x69676572, 0, 2, 0)
    struct.pack_into("<16sQII", r, 16, BAT, bat_at, bat_len, 1)
    struct.pack_into("<16sQII", r, 48, METADATA, meta_at, meta_len, 1)
    struct.pack_into("<I", r, 4, crc32c(r))
    f[192 * KIB:256 * KIB] = r
    f[256 * KIB:320 * KIB] = r

    m = bytearray(meta_len)
    struct.pack_into("<8sHH", m, 0, b"metadata", 0, 5)
    items = [(PARAMS, struct.pack("<II", block, 0), 4),
             (SIZE, struct.pack("<Q", virtual), 6),
             (PAGE83, bytes(range(16)), 6),
             (LOGICAL, struct.pack("<I", sector), 6),
             (PHYSICAL, struct.pack("<I", sector), 6)]
    off = 64 * KIB
    for i, (item, value, flags) in enumerate(items):
        # itemwrap: the logical sector size item at offset 2^32 - 1, where
        # offset + length wraps around to 3, inside the region
        at = 0xFFFFFFFF if variant == "itemwrap" and item == LOGICAL else off
        struct.pack_into("<16sIIII", m, 32 + 32 * i, item, at, len(value), flags, 0)
        m[off:off + len(value)] = value
        off += len(value)
    f[meta_at:meta_at + meta_len] = m

    # BAT: block 0 zero, block 1 "stored" at 1 MiB for "stored" (which
    # is then past the end of the file: a refusal), the rest not present
    bat = bytearray(bat_len)
    struct.pack_into("<Q", bat, 0, 2)
    if variant == "stored":
        struct.pack_into("<Q", bat, 8, (MIB >> 20) << 20 | 6)
    f[bat_at:bat_at + bat_len] = bat
    return bytes(f)


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as out:
        out.write(make(sys.argv[2] if len(sys.argv) > 2 else "plain"))
