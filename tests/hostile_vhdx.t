#!/bin/bash
# Hostile VHDX files: a VHDX that qemu-img made, with one size or offset
# changed to what the format does not allow (an offset whose sum with its
# length wraps past 2^64 or 2^32, a block size or sector size out of
# range, a virtual disk too large for its BAT), and the checksums of the
# headers and region tables made right again so that the damage gets past
# them.  Each must be refused with one line naming the file and what is
# wrong, exit status 1, nothing written, and no sanitizer report.
. "$(dirname "$0")/lib.sh"
use_asan
write_dirs

# craft FILE CASE [VALUE]: damages FILE from the MS-VHDX layout (in Python,
# independently of wintogo's C code) and fixes the CRC-32C of what it changed.
craft() {
	python3 - "$@" <<'EOF'
import struct, sys, uuid

BAT = '2DC27766-F623-4200-9D64-115E9BFD4A08'
METADATA = '8B7CA206-4790-4B9A-B8FE-575F050F886E'
PARAMS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B'
SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8'
PAGE83 = 'BECA12AB-B2E6-4523-93EF-C309E000C746'
LOGICAL = '8141BF1D-A96F-4709-BA47-F233A8FAAB5F'
HEADERS = (64 << 10, 128 << 10)
TABLES = (192 << 10, 256 << 10)
TABLE = [0] * 256
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    TABLE[i] = c


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def guid(b):
    return str(uuid.UUID(bytes_le=bytes(b))).upper()


def rewrite_checksum(f, at, size):
    """the CRC-32C of the size bytes at at, its field (at + 4) taken as 0"""
    f.seek(at)
    buf = bytearray(f.read(size))
    buf[4:8] = bytes(4)
    f.seek(at + 4)
    f.write(struct.pack('<I', crc32c(buf)))


def regions(f):
    """guid: (where its entry is in table 1, offset, length)"""
    f.seek(TABLES[0])
    rt = f.read(64 << 10)
    out = {}
    for i in range(struct.unpack_from('<I', rt, 8)[0]):
        g, off, ln = struct.unpack_from('<16sQI', rt, 16 + 32 * i)
        out[guid(g)] = (16 + 32 * i, off, ln)
    return out


def set_region(f, region, field, fmt, value):
    """both region tables: field (16 offset, 24 length) of region's entry"""
    at = regions(f)[region][0]
    for t in TABLES:
        f.seek(t + at + field)
        f.write(struct.pack(fmt, value))
        rewrite_checksum(f, t, 64 << 10)


def items(f):
    """guid: (file position of its entry, file position of its data)"""
    meta = regions(f)[METADATA][1]
    f.seek(meta)
    table = f.read(64 << 10)
    out = {}
    for i in range(struct.unpack_from('<H', table, 10)[0]):
        g, off = struct.unpack_from('<16sI', table, 32 + 32 * i)
        out[guid(g)] = (meta + 32 + 32 * i, meta + off)
    return out


def poke(f, at, fmt, *values):
    f.seek(at)
    f.write(struct.pack(fmt, *values))


def first_stored(f):
    """file position of the BAT entry of the first stored block"""
    bat = regions(f)[BAT][1]
    f.seek(bat)
    raw = f.read(8 * 64)
    for i in range(64):
        if struct.unpack_from('<Q', raw, 8 * i)[0] & 7 == 6:
            return bat + 8 * i
    raise SystemExit('no stored block')


path, case = sys.argv[1], sys.argv[2]
value = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0
with open(path, 'r+b') as f:
    if case == 'item-offset':     # the virtual disk size's offset in the region
        poke(f, items(f)[SIZE][0] + 16, '<I', value)
    elif case == 'item-length':
        poke(f, items(f)[SIZE][0] + 20, '<I', value)
    elif case == 'item-missing':  # page 83 data under another GUID
        poke(f, items(f)[PAGE83][0], '<16s', bytes(range(16)))
    elif case == 'block-size':
        poke(f, items(f)[PARAMS][1], '<I', value)
    elif case == 'logical':
        poke(f, items(f)[LOGICAL][1], '<I', value)
    elif case == 'size':
        poke(f, items(f)[SIZE][1], '<Q', value)
    elif case == 'bat-entry':     # the first stored block's BAT entry
        poke(f, first_stored(f), '<Q', value)
    elif case == 'metadata-offset':
        set_region(f, METADATA, 16, '<Q', value)
    elif case == 'metadata-length':
        set_region(f, METADATA, 24, '<I', value)
    elif case == 'bat-offset':
        set_region(f, BAT, 16, '<Q', value)
    elif case == 'log':           # both headers: the log at value, 1 MiB long
        for h in HEADERS:
            poke(f, h + 68, '<IQ', 1 << 20, value)
            rewrite_checksum(f, h, 4096)
    else:
        raise SystemExit('craft: no case ' + case)
EOF
}

# A small GPT disk with data in both partitions, as qemu-img makes a VHDX
# of it (dynamic, 1 MiB blocks).
disk=$TMP/disk.img
truncate -s 64M "$disk"
printf 'label: gpt\n,32M,L\n,,L\n' | sfdisk -q "$disk" >/dev/null
yes wintogo-hostile-vhdx | head -c 5M | dd of="$disk" bs=1M seek=2 conv=notrunc status=none
yes second-partition | head -c 3M | dd of="$disk" bs=1M seek=40 conv=notrunc status=none
good=$TMP/good.vhdx
qemu-img convert -O vhdx -o subformat=dynamic,block_size=1M "$disk" "$good"

# the base is sound, and the crafting keeps it so: fixing the checksums
# of an unchanged header and region table breaks nothing
cp "$good" "$TMP/same.vhdx"
craft "$TMP/same.vhdx" log $((1 << 20))
craft "$TMP/same.vhdx" metadata-length $((1 << 20))
run_wintogo vm --quiet --format raw "$TMP/same.vhdx" "$OUTDIR/same.img"
is "$RC" 0 "the sanitizer build converts the crafted-but-sound VHDX"
check "to the disk it was made from, byte for byte" cmp "$disk" "$OUTDIR/same.img"
rm -f "$OUTDIR/same.img" "$TMP/same.vhdx"

# hostile NAME REGEX CASE VALUE: info and vm refuse the crafted file.
hostile() {
	local name=$1 regex=$2 v=$TMP/$1.vhdx
	cp "$good" "$v"
	craft "$v" "$3" ${4:+"$4"}
	refuses "info refuses $name" "'$v' $regex" info "$v"
	refuses "vm --format raw refuses $name" "'$v' $regex" vm --format raw "$v" "$OUTDIR/$name.img"
	refuses "vm refuses $name" "'$v' $regex" vm "$v" "$OUTDIR/$name.qcow2"
	check "$name: nothing is left behind" no_leftovers "$OUTDIR" "$STAGE"
	rm -rf "${OUTDIR:?}"/* "$v"  # one failure is reported once
}

# offsets whose sums with their lengths wrap
hostile item-wrap "is damaged: its virtual disk size metadata item \(8 bytes at byte 4294967288 of the metadata region\) lies outside the region's [0-9]+ bytes" \
	item-offset 0xfffffff8
hostile bat-wrap "is damaged: block 0 of its BAT points to byte 18446744073708503040, past the end of the file \([0-9]+ bytes\)" \
	bat-entry 0xfffffffffff00006
hostile metadata-wrap "is damaged: its metadata region \(1048576 bytes at byte 18446744073709518848\) would end past the largest file offset" \
	metadata-offset 0xffffffffffff8000
hostile bat-region-wrap "is damaged: its BAT \(1048576 bytes at byte 18446744073709547520\) would end past the largest file offset" \
	bat-offset 0xfffffffffffff000
hostile log-wrap "is damaged: its log \(1048576 bytes at byte 18446744073708503040\) would end past the largest file offset" \
	log 0xfffffffffff00000

# offsets and lengths that stay in 64 bits but leave their region or file
hostile item-past "is damaged: its virtual disk size metadata item \(8 bytes at byte 1048572 of the metadata region\) lies outside" \
	item-offset 1048572
hostile item-header "is damaged: its virtual disk size metadata item \(8 bytes at byte 16 of the metadata region\) lies outside" \
	item-offset 16
hostile item-length "is damaged: its virtual disk size metadata item is 4294967295 bytes long, not 8" \
	item-length 0xffffffff
hostile item-missing "is damaged: its page 83 data metadata item is missing" item-missing
hostile bat-far "is damaged: block 0 of its BAT points to byte 1099511627776, past the end" \
	bat-entry $(((1 << 40) | 6))
hostile bat-header "is damaged: block 0 of its BAT points to byte 0, past the end of the file \([0-9]+ bytes\) or into its header" \
	bat-entry 6
hostile metadata-far "is truncated: its metadata region ends at byte [0-9]+ but the file has" \
	metadata-offset $((1 << 50))
hostile metadata-short "has no BAT or no metadata region" metadata-length 4096

# sizes out of what MS-VHDX allows
hostile block-zero "is damaged: its block size \(0 bytes\) is not a power of two from 1 to 256 MiB" block-size 0
hostile block-3m "is damaged: its block size \(3145728 bytes\) is not a power of two" block-size $((3 << 20))
hostile block-512k "is damaged: its block size \(524288 bytes\) is not a power of two" block-size $((512 << 10))
hostile block-512m "is damaged: its block size \(536870912 bytes\) is not a power of two" block-size $((512 << 20))
hostile sector-1024 "is damaged: its sector sizes \(1024 logical, 512 physical\) are neither 512 nor 4096" logical 1024
hostile sector-zero "is damaged: its sector sizes \(0 logical" logical 0
hostile size-zero "is damaged: its virtual disk size \(0 bytes\) is not whole sectors up to 64 TiB" size 0
hostile size-wrap "is damaged: its virtual disk size \(18446744073709551104 bytes\) is not whole sectors" size 0xfffffffffffffe00
hostile size-64t "is damaged: its virtual disk size \(70368744178176 bytes\) is not whole sectors" size $(((64 << 40) + 512))
hostile size-odd "is damaged: its virtual disk size \(67109120 bytes\) is not whole sectors" size $(((64 << 20) + 256))
hostile size-big "is damaged: its BAT \([0-9]+ bytes\) is too small for its virtual disk \(67125247 entries\)" size $((64 << 40))

# a blank VHDX (no block stored) has no partition table: nothing to convert
qemu-img create -q -f vhdx "$TMP/blank.vhdx" 1G
refuses "vm refuses a blank VHDX" "the virtual disk in '$TMP/blank.vhdx' has no partition table \(no GPT, no MBR\): it is blank" \
	vm "$TMP/blank.vhdx" "$OUTDIR/blank.qcow2"
refuses "vm --format raw refuses it too" "'$TMP/blank.vhdx' has no partition table" \
	vm --format raw "$TMP/blank.vhdx" "$OUTDIR/blank.img"
refuses "write refuses it: no Windows on it" "'$TMP/blank.vhdx' has no partition table.*is Windows installed" \
	write --tmpdir "$STAGE" "$TMP/blank.vhdx" "$OUTDIR/blank-disk.img"
check "the blank VHDX left nothing behind" no_leftovers "$OUTDIR" "$STAGE"
done_testing
