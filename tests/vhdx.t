#!/bin/bash
# VHDX in and out: fixtures made here by qemu-img from disks `write` made;
# info reads them, vm converts them, write turns their Windows into a new
# disk; our own VHDX output is checked by qemu-img, vhdiinfo and OVMF; and
# damaged VHDX files are refused before anything is written.
. "$(dirname "$0")/lib.sh"
need_fixtures
: "${HELPERS:=$ROOT/build/asan/helpers}"
ASAN=${WINTOGO_ASAN:-$WINTOGO}
STAGE=$TMP/stage
OUTDIR=$TMP/out
mkdir -p "$STAGE" "$OUTDIR"

VHDXTOOL="/usr/bin/python3 $ROOT/tests/tools/vhdxtool.py"
vhdx_meta() { $VHDXTOOL meta "$@"; }

# vhdi_same VHDX RAW: libvhdi's FUSE mount of the VHDX reads as RAW.  The
# oracle where qemu-img (7.2) fails: it opens no VHDX with 4096-byte
# logical sectors ("Operation not supported").
vhdi_same() {
	local mnt=$TMP/vhdimnt ret
	mkdir -p "$mnt"
	vhdimount "$1" "$mnt" >/dev/null || return 1
	cmp "$mnt/vhdi1" "$2"
	ret=$?
	fusermount -u "$mnt"
	return $ret
}

# --- the disks the fixtures come from ---
disk=$TMP/disk.img
run_wintogo write --quiet --seed 9 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write a disk to make VHDX fixtures from"
# the same disk with a 4Kn GPT: every partition keeps its byte offset (the
# file systems inside keep their 512-byte sectors, which neither the VHDX
# nor wintogo's reading of it looks at)
disk4k=$TMP/disk4k.img
cp --sparse=always "$disk" "$disk4k"
dd if=/dev/zero of="$disk4k" bs=1M count=1 conv=notrunc status=none
dd if=/dev/zero of="$disk4k" bs=1M seek=$(($(stat -c %s "$disk4k") / 1048576 - 1)) count=1 conv=notrunc status=none
check "a 4Kn GPT for the same partitions" "$HELPERS/mkgpt" "$disk4k" 4096 9

# fixture NAME SOURCE BLOCK_SIZE SECTOR: qemu-img convert, dynamic.  qemu-img
# cannot set the logical sector size, so a 4096 one is patched in the
# metadata; with fewer blocks than a chunk (1024 x 1 MiB < 32768) the BAT
# has no sector bitmap entries, so the BAT reads the same either way.
fixture() {
	qemu-img convert -O vhdx -o subformat=dynamic,block_size="$3" "$2" "$TMP/$1.vhdx"
	if [ "$4" = 4096 ]; then
		vhdx_meta "$TMP/$1.vhdx" logical 4096
		vhdx_meta "$TMP/$1.vhdx" physical 4096
	fi
}
fixture b1m "$disk" 1M 512
fixture b32m "$disk" 32M 512
fixture k1m "$disk4k" 1M 4096
fixture k32m "$disk4k" 32M 4096
is "$(vhdiinfo "$TMP/k32m.vhdx" | grep -o 'Bytes per sector.*')" "Bytes per sector	: 4096 bytes" \
	"vhdiinfo reads the patched fixture with 4096-byte sectors"

# --- info ---
size=$(stat -c %s "$disk")
for f in b1m:1048576:512 b32m:33554432:512 k1m:1048576:4096 k32m:33554432:4096; do
	IFS=: read -r name bs ss <<<"$f"
	v=$TMP/$name.vhdx
	WINTOGO=$ASAN run_wintogo info --json "$v"
	is "$RC" 0 "info --json $name.vhdx"
	printf '%s\n' "$OUT" >"$TMP/info.json"
	is "$(jq -r '"\(.format) \(.disk_type) \(.virtual_size) \(.block_size) \(.logical_sector_size)"' "$TMP/info.json")" \
		"vhdx dynamic $size $bs $ss" "$name: size, block size and logical sector size"
	stored=$($VHDXTOOL stored "$v")
	is "$(jq .allocated_blocks "$TMP/info.json")" "$stored" "$name: allocated blocks as the BAT has them ($stored)"
	is "$(jq -r '"\(.partition_table.label) \(.partition_table.sector_size) \([.partitions[].filesystem] | join(","))"' "$TMP/info.json")" \
		"gpt $ss vfat,,ntfs" "$name: its GPT (read with $ss-byte sectors) and file systems"
	is "$(jq -r '.partitions[2].windows | "\(.name)|\(.edition)|\(.architecture)|\(.build)"' "$TMP/info.json")" \
		"Windows 10 Pro|Professional|x64|19045" "$name: the Windows on partition 3"
done
run_wintogo info "$TMP/b1m.vhdx"
like "$OUT" "VHDX, dynamic, 1.0 GiB virtual disk, 512-byte logical" "info prints the virtual disk"
like "$OUT" "3 .* ntfs +Microsoft basic data +Windows 10 Pro \(Professional, x64, build 19045\)" \
	"and a line per partition, with its Windows"
check "nothing is left in the stage" no_leftovers "$STAGE"

# --- vm X.vhdx: the virtual disk as it is ---
for f in b1m:disk b32m:disk k1m:disk4k k32m:disk4k; do
	name=${f%%:*}
	src=$TMP/${f#*:}.img
	run_wintogo vm --quiet "$TMP/$name.vhdx" "$OUTDIR/$name.qcow2"
	is "$RC" 0 "vm $name.vhdx $name.qcow2"
	# qemu-img 7.2 opens no 4Kn VHDX: compare with the disk it was made from
	[ "$src" = "$disk" ] && src=$TMP/$name.vhdx
	like "$(qemu-img compare "$src" "$OUTDIR/$name.qcow2" 2>&1)" "Images are identical" \
		"qemu-img compare ${src##*/} $name.qcow2: identical"
	rm -f "$OUTDIR/$name.qcow2"
done
run_wintogo vm --quiet --format raw "$TMP/b32m.vhdx" "$OUTDIR/raw.img"
check "--format raw gives the disk back byte for byte" cmp "$disk" "$OUTDIR/raw.img"
check "and as sparse as the source: only the stored data was written" \
	test "$(stat -c %b "$OUTDIR/raw.img")" -le "$(stat -c %b "$disk")"
rm -f "$OUTDIR/raw.img"
mkdir "$TMP/utm"
run_wintogo vm --quiet --utm "$TMP/utm" --vm-name FromVhdx "$TMP/k1m.vhdx" "$OUTDIR/utm.qcow2"
is "$RC" 0 "vm --utm from a VHDX: the architecture comes from its ESP"
like "$(grep -A1 '<key>Architecture</key>' "$TMP/utm/FromVhdx.utm/config.plist")" x86_64 "an x64 VM"
rm -rf "$TMP/utm" "$OUTDIR/utm.qcow2"

# --- write X.vhdx: its Windows on a new disk ---
run_wintogo write --quiet --seed 4 --tmpdir "$STAGE" "$TMP/b1m.vhdx" "$OUTDIR/from-vhdx.img"
is "$RC" 0 "write b1m.vhdx DISK.img"
[ "$RC" -eq 0 ] || diag "$ERR"
check_disk "$OUTDIR/from-vhdx.img" "$FIXTURES/x64.wim" 1 "from b1m.vhdx"
boot_disk "$OUTDIR/from-vhdx.img" ide "$TMP/boot.log"
check "OVMF boots it into the boot manager, which finds its BCD" grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/boot.log"
check "nothing is left in the stage" no_leftovers "$STAGE"
rm -f "$OUTDIR/from-vhdx.img" "$OUTDIR/from-vhdx.img.manifest.json"
run_wintogo write --quiet --json --size 2G --tmpdir "$STAGE" "$TMP/k32m.vhdx" "$OUTDIR/from-4k.img"
is "$RC" 0 "write k32m.vhdx (4Kn, 32 MiB blocks) onto a 2 GiB disk"
is "$(jq -r '.plan.image | "\(.name) \(.architecture) \(.build)"' <<<"$(head -1 <<<"$OUT")")" \
	"Windows 10 Pro x64 19045" "the plan names the captured Windows"
check_disk "$OUTDIR/from-4k.img" "$FIXTURES/x64.wim" 1 "from k32m.vhdx"
rm -f "$OUTDIR/from-4k.img" "$OUTDIR/from-4k.img.manifest.json"

# --- our VHDX ---
run_wintogo vm --quiet --format vhdx --seed 3 "$disk" "$OUTDIR/our.vhdx"
is "$RC" 0 "vm --format vhdx DISK.img OUT.vhdx"
run_wintogo vm --quiet --format vhdx --seed 3 "$disk" "$OUTDIR/same.vhdx"
check "the same --seed gives the same file, byte for byte" cmp "$OUTDIR/our.vhdx" "$OUTDIR/same.vhdx"
rm -f "$OUTDIR/same.vhdx"
like "$(qemu-img check "$OUTDIR/our.vhdx" 2>&1)" "No errors were found" "qemu-img check finds no errors"
like "$(qemu-img compare "$disk" "$OUTDIR/our.vhdx" 2>&1)" "Images are identical" "qemu-img compare: identical to the disk"
qemu-img info --output=json "$OUTDIR/our.vhdx" >"$TMP/qinfo.json"
is "$(jq -r '"\(.format) \(."virtual-size") \(."cluster-size")"' "$TMP/qinfo.json")" "vhdx $size 1048576" \
	"qemu-img info: VHDX, the disk's size, 1 MiB blocks"
is "$(vhdiinfo "$OUTDIR/our.vhdx" | grep -Eo 'Disk type.*|Bytes per sector.*' | tr '\t' ' ' | tr -s ' ')" \
	"$(printf 'Disk type : Dynamic\nBytes per sector : 512 bytes')" "vhdiinfo: dynamic, 512-byte sectors"
is "$(vhdx_meta "$OUTDIR/our.vhdx" logical) $(vhdx_meta "$OUTDIR/our.vhdx" physical)" "512 4096" \
	"the metadata says 512-byte logical, 4096-byte physical sectors"
WINTOGO=$ASAN run_wintogo info --json "$OUTDIR/our.vhdx"
is "$(jq -r '.partitions[2].windows.name' <<<"$OUT")" "Windows 10 Pro" "wintogo info reads our VHDX back"
cp "$OUTDIR/our.vhdx" "$TMP/boot.vhdx"
boot_disk "$TMP/boot.vhdx" nvme "$TMP/boot-vhdx.log" vhdx
check "OVMF boots our VHDX (format=vhdx) into the boot manager and its BCD" \
	grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/boot-vhdx.log"
rm -f "$TMP/boot.vhdx" "$OUTDIR/our.vhdx"

run_wintogo vm --quiet --format vhdx --vhdx-block-size 32M "$disk" "$OUTDIR/our32m.vhdx"
is "$RC" 0 "vm --format vhdx --vhdx-block-size 32M"
like "$(qemu-img check "$OUTDIR/our32m.vhdx" 2>&1)" "No errors were found" "qemu-img check: no errors"
like "$(qemu-img compare "$disk" "$OUTDIR/our32m.vhdx" 2>&1)" "Images are identical" "qemu-img compare: identical"
is "$(qemu-img info --output=json "$OUTDIR/our32m.vhdx" | jq '."cluster-size"')" 33554432 "qemu-img info: 32 MiB blocks"
rm -f "$OUTDIR/our32m.vhdx"
run_wintogo vm --quiet --format vhdx --vhdx-block-size 32M "$disk4k" "$OUTDIR/our4k.vhdx"
is "$RC" 0 "vm --format vhdx --vhdx-block-size 32M of the 4Kn disk"
check "libvhdi (vhdimount) reads it as the disk" vhdi_same "$OUTDIR/our4k.vhdx" "$disk4k"
is "$(vhdx_meta "$OUTDIR/our4k.vhdx" block_size)" 33554432 "32 MiB blocks"
is "$(vhdx_meta "$OUTDIR/our4k.vhdx" logical) $(vhdiinfo "$OUTDIR/our4k.vhdx" | grep -o 'Bytes per sector.*' | tr -d '\t')" \
	"4096 Bytes per sector: 4096 bytes" "4096-byte logical sectors, as the disk's GPT has them (vhdiinfo agrees)"
run_wintogo vm --quiet --format vhdx "$TMP/k1m.vhdx" "$OUTDIR/again.vhdx"
is "$(vhdx_meta "$OUTDIR/again.vhdx" logical) $(vhdx_meta "$OUTDIR/again.vhdx" physical)" "4096 4096" \
	"VHDX to VHDX keeps the source's sector sizes"
check "and its disk (vhdimount)" vhdi_same "$OUTDIR/again.vhdx" "$disk4k"
rm -f "$OUTDIR/our4k.vhdx" "$OUTDIR/again.vhdx"

run_wintogo vm --quiet --format vhdx --seed 9 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/wim.vhdx"
is "$RC" 0 "vm --format vhdx from a WIM"
like "$(qemu-img check "$OUTDIR/wim.vhdx" 2>&1)" "No errors were found" "qemu-img check: no errors"
rm -f "$OUTDIR/wim.vhdx"

# Compact: the file is its data plus a little.  The data: the disk above
# (its ESP and NTFS metadata scattered in 4 KiB pieces over ~45 blocks)
# plus 1.5 GiB written in one piece, as a Windows' files mostly are.
big=$TMP/big.img
cp --sparse=always "$disk" "$big"
yes wintogo-vhdx-data | head -c 1536M | dd of="$big" bs=1M seek=1024 iflag=fullblock conv=notrunc status=none
data=$(($(stat -c '%b * %B' "$big")))
run_wintogo vm --quiet --format vhdx "$big" "$OUTDIR/big.vhdx"
file=$(stat -c %s "$OUTDIR/big.vhdx")
diag "data $data bytes, VHDX file $file bytes ($((file * 1000 / data - 1000))/1000 more)"
check "the VHDX file is within 5 % of the data it holds" test $((file * 100)) -le $((data * 105))
like "$(qemu-img compare "$big" "$OUTDIR/big.vhdx" 2>&1)" "Images are identical" "and holds exactly that disk"
rm -f "$big" "$OUTDIR/big.vhdx"

# --- refusals: one line each, nothing written ---
cp "$TMP/b1m.vhdx" "$TMP/good.vhdx"
head -c $((3 * 1048576 + 4096)) "$TMP/good.vhdx" >"$TMP/truncated.vhdx"
cp "$TMP/good.vhdx" "$TMP/badcrc.vhdx"
printf 'X' | dd of="$TMP/badcrc.vhdx" bs=1 seek=$((64 * 1024 + 100)) conv=notrunc status=none
printf 'X' | dd of="$TMP/badcrc.vhdx" bs=1 seek=$((128 * 1024 + 100)) conv=notrunc status=none
cp "$TMP/good.vhdx" "$TMP/pastend.vhdx"
$VHDXTOOL bat-past-end "$TMP/pastend.vhdx"
cp "$TMP/good.vhdx" "$TMP/child.vhdx"
vhdx_meta "$TMP/child.vhdx" params 2
for bad in truncated:"is truncated: its .* ends at byte [0-9]+ but the file has" \
	badcrc:"has no valid VHDX header \(bad signature or CRC-32C\)" \
	pastend:"is damaged: block [0-9]+ of its BAT points to byte [0-9]+, past the end" \
	child:"is a differencing VHDX \(it has a parent disk\); merge it into its parent"; do
	name=${bad%%:*}
	regex=${bad#*:}
	refuses "info refuses $name.vhdx" "$regex" info "$TMP/$name.vhdx"
	refuses "vm refuses $name.vhdx" "$regex" vm "$TMP/$name.vhdx" "$OUTDIR/$name.qcow2"
	refuses "write refuses $name.vhdx" "$regex" write --tmpdir "$STAGE" "$TMP/$name.vhdx" "$OUTDIR/$name.img"
done
WINTOGO=$ASAN refuses "the sanitizer build refuses the BAT past the end too" "past the end" \
	vm "$TMP/pastend.vhdx" "$OUTDIR/x.qcow2"
qemu-img create -q -f vhdx "$TMP/blank.vhdx" 100M
WINTOGO=$ASAN refuses "a VHDX without a partition table is refused" "has no partition table.*is Windows installed" \
	write --tmpdir "$STAGE" "$TMP/blank.vhdx" "$OUTDIR/blank.img"
check "no refusal wrote a file or left a stage" no_leftovers "$OUTDIR" "$STAGE"

run_wintogo vm --format vhdx --vhdx-block-size 3M "$disk" "$OUTDIR/x.vhdx"
is "$RC" 2 "a block size that is not a power of two is a usage error"
run_wintogo vm --vhdx-block-size 2M "$disk" "$OUTDIR/x.qcow2"
is "$RC" 2 "--vhdx-block-size without --format vhdx is a usage error"
done_testing
