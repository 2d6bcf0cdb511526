#!/bin/bash
# write --partition-table mbr: one disk that starts Windows from BIOS and
# from UEFI.  One disk is written and every assertion reads it with tools
# nobody here wrote: the DOS table (sfdisk --json, blkid), the MBR's boot
# code (syslinux's mbr.bin, byte for byte), the system partition (fsck.fat,
# mtools: the UEFI and the BIOS files, syslinux), the NTFS (ntfsinfo,
# ntfs-3g against wimapply), both BCD stores (bcddump.py over hivex: MBR
# devices naming what sfdisk sees; and, built for a real Windows BIOS
# store's layout, equal to it element by element); then the same disk
# boots in QEMU under SeaBIOS to the fixtures' marker BOOTMGR, which reads
# \Boot\BCD through INT 13h, and under OVMF to the marker boot manager,
# over IDE and USB; verify, and a flipped byte of boot code caught;
# vm --partition-table mbr; the refusals, which leave nothing behind.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
PY=/usr/bin/python3
: "${HELPERS:=$ROOT/build/asan/helpers}"
SAMPLES=$ROOT/fixtures/bcd-samples
WIM=$FIXTURES/x64.wim
DISK=$OUTDIR/mbr.img
SYSLINUX=/usr/lib/syslinux
SEABIOS=/usr/share/seabios/bios-256k.bin
[ -e "$SEABIOS" ] || SEABIOS=/usr/share/seabios/bios.bin

if [ ! -e "$SYSLINUX/mbr/mbr.bin" ] || [ ! -e "$SEABIOS" ]; then
	echo "1..0 # skip MBR disks need syslinux, syslinux-common and seabios (make deps)"
	exit 0
fi

# bios_boot DISK ATTACH LOG: boots DISK under SeaBIOS (TCG) attached as ATTACH
# (ide, usb), serial console into LOG; the marker BOOTMGR exits QEMU through
# isa-debug-exit once it has printed its lines.
bios_boot() {
	local disk=$1 attach=$2 log=$3 format=${4:-raw} drive
	case $attach in
	ide) drive=(-drive "file=$disk,format=$format,if=ide") ;;
	usb) drive=(-device qemu-xhci,id=xhci -drive "if=none,id=stick,file=$disk,format=$format"
		-device usb-storage,bus=xhci.0,drive=stick) ;;
	esac
	timeout 120 qemu-system-x86_64 -machine pc,accel=tcg -m 256 -display none -nic none \
		-no-reboot -bios "$SEABIOS" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		"${drive[@]}" -serial stdio </dev/null >"$log" 2>&1
}

# part_of DISK N FILE: partition N of DISK (from sfdisk) copied into FILE.
part_of() {
	local start size
	start=$(sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start")
	size=$(sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].size")
	dd if="$1" of="$3" bs=512 skip="$start" count="$size" conv=sparse status=none
}

# --- the disk ---
run_wintogo write --quiet --seed 16 --partition-table mbr --tmpdir "$STAGE" "$WIM" "$DISK"
is "$RC" 0 "write --partition-table mbr succeeds" || diag "$ERR"
check "and leaves no stage behind" no_leftovers "$STAGE"

sfdisk --json "$DISK" >"$TMP/sfdisk.json"
is "$(jq -r .partitiontable.label "$TMP/sfdisk.json")" dos "sfdisk sees a DOS (MBR) partition table"
like "$(blkid -p "$DISK")" 'PTTYPE="dos"' "so does blkid"
is "$(jq -r '[.partitiontable.partitions[] | .type] | join(" ")' "$TMP/sfdisk.json")" "c 7" \
	"two partitions: FAT32 (LBA) then NTFS"
is "$(jq -r '[.partitiontable.partitions[] | .bootable // false] | join(" ")' "$TMP/sfdisk.json")" "true false" \
	"the system partition (1) is active, Windows is not"
is "$(jq -r '.partitiontable.partitions[0].start' "$TMP/sfdisk.json")" 2048 "the system partition starts at 1 MiB"
is "$(jq -r '[.partitiontable.partitions[] | .start % 2048, .size % 2048] | unique | join(",")' "$TMP/sfdisk.json")" \
	0 "both partitions are 1 MiB aligned"
sig=$(jq -r .partitiontable.id "$TMP/sfdisk.json")
like "$sig" '^0x[0-9a-f]{8}$' "the disk has a signature"
run_wintogo write --dry-run --json --seed 16 --partition-table mbr "$WIM" "$OUTDIR/other.img"
is "$(jq -r .plan.disk.guid <<<"$OUT")" "$sig" "--seed gives the signature (another plan with the seed has it)"
run_wintogo write --dry-run --json --seed 17 --partition-table mbr "$WIM" "$OUTDIR/other.img"
check "another seed, another signature" test "$(jq -r .plan.disk.guid <<<"$OUT")" != "$sig"
check "the MBR's 440 bytes of boot code are syslinux's mbr.bin" \
	cmp -n 440 "$DISK" "$SYSLINUX/mbr/mbr.bin"

sys_start=$(jq '.partitiontable.partitions[0].start' "$TMP/sfdisk.json")
win_start=$(jq '.partitiontable.partitions[1].start' "$TMP/sfdisk.json")
part_of "$DISK" 1 "$TMP/sys.img"
fsck_out=$(fsck.fat -n "$TMP/sys.img" 2>&1)
is "$?" 0 "fsck.fat -n passes the system partition"
check "with nothing to report (the boot sector's backup follows syslinux's)" \
	bash -c "! grep -qiE 'differ|fix|error' <<<'$fsck_out'"
is "$(dd if="$TMP/sys.img" bs=1 skip=3 count=8 status=none)" SYSLINUX "its boot sector is syslinux's"
is "$(od -An -tu4 -j28 -N4 "$TMP/sys.img" | tr -d ' ')" "$sys_start" "with hidden sectors = the partition's start"
m() { mtype -i "$TMP/sys.img" "$1" 2>/dev/null; }
check "\\bootmgr is the image's Windows\\Boot\\PCAT\\bootmgr" \
	cmp <(m ::/bootmgr) "$FIXTURES/tree-x64/Windows/Boot/PCAT/bootmgr"
check "\\Boot holds the rest of PCAT (memtest.exe)" \
	cmp <(m ::/Boot/memtest.exe) "$FIXTURES/tree-x64/Windows/Boot/PCAT/memtest.exe"
check "and its locale folders" \
	cmp <(m ::/Boot/en-US/bootmgr.exe.mui) "$FIXTURES/tree-x64/Windows/Boot/PCAT/en-US/bootmgr.exe.mui"
check "\\Boot\\Fonts as bcdboot lays it out" \
	cmp <(m ::/Boot/Fonts/wgl4_boot.ttf) "$FIXTURES/tree-x64/Windows/Boot/Fonts/wgl4_boot.ttf"
check "no second bootmgr in \\Boot" bash -c "! mdir -i '$TMP/sys.img' ::/Boot/bootmgr >/dev/null 2>&1"
is "$(m ::/Boot/BCD | head -c 4)" regf "\\Boot\\BCD is a registry hive"
is "$(m ::/EFI/Microsoft/Boot/BCD | head -c 4)" regf "\\EFI\\Microsoft\\Boot\\BCD is one too"
check "\\EFI\\Boot\\bootx64.efi is the image's boot manager" \
	cmp <(m ::/EFI/Boot/bootx64.efi) "$FIXTURES/tree-x64/Windows/Boot/EFI/bootmgfw.efi"
bad=""
for f in chain.c32 libcom32.c32 libutil.c32; do
	m "::/$f" | cmp -s - "$SYSLINUX/modules/bios/$f" || bad+=" $f"
done
is "$bad" "" "syslinux's modules are at the root, byte for byte"
like "$(mdir -a -i "$TMP/sys.img" ::/ 2>/dev/null)" 'ldlinux +sys' "ldlinux.sys is there (syslinux --install)"
like "$(mdir -a -i "$TMP/sys.img" ::/ 2>/dev/null)" 'ldlinux +c32' "and ldlinux.c32"
like "$(m ::/syslinux.cfg)" 'COM32 chain\.c32' "syslinux.cfg starts chain.c32"
like "$(m ::/syslinux.cfg)" 'APPEND fs ntldr=/bootmgr' "which loads \\bootmgr as an NT boot sector would"

part_of "$DISK" 2 "$TMP/win.img"
is "$(od -An -tu4 -j28 -N4 "$TMP/win.img" | tr -d ' ')" "$win_start" "the NTFS boot sector's hidden sectors are its start"
mkdir -p "$TMP/ntfs"
check_ntfs "$TMP/win.img" "$WIM" 1 mbr "$TMP/ntfs"
rm -rf "$TMP/ntfs" "$TMP/win.img"

# --- the two BCD stores: MBR devices of this disk ---
m ::/Boot/BCD >"$TMP/bios.bcd"
m ::/EFI/Microsoft/Boot/BCD >"$TMP/uefi.bcd"
sig_hex=$(printf '0x%08x' "$sig")
for store in bios uefi; do
	$PY "$ROOT/tests/tools/bcddump.py" "$TMP/$store.bcd" 2>/dev/null | tr -d '\0' >"$TMP/$store.txt"
	devs=$(grep -aE '^    @0x(10|20|30|34|38) ' "$TMP/$store.txt" | sort | uniq -c | sed -E 's/^ *([0-9]+) +/\1 /')
	like "$devs" "^7 @0x10 DeviceType=6 Flags=0x0 Size=0x48\(72\) Pad=0" "$store store: 7 partition devices"
	like "$devs" "^7 @0x34 PartitionStyle=1 \(MBR\)" "$store store: every one MBR style"
	like "$devs" "^7 @0x38 MBR DiskSignature=$sig_hex" "$store store: naming the signature sfdisk sees"
	like "$devs" "^2 @0x20 .*as offset: $(printf '0x%x' $((sys_start * 512)))\)" \
		"$store store: bootmgr and memdiag on the system partition, by its offset"
	like "$devs" "^5 @0x20 .*as offset: $(printf '0x%x' $((win_start * 512)))\)" \
		"$store store: loader and resume on the Windows partition, by its offset"
done
like "$(cat "$TMP/bios.txt")" "Windows..system32..winload\.exe" "the BIOS store's loader is winload.exe"
like "$(cat "$TMP/bios.txt")" "'..boot..memtest\.exe" "its memory tester \\boot\\memtest.exe"
like "$(cat "$TMP/uefi.txt")" "Windows..system32..winload\.efi" "the UEFI store's loader is winload.efi"
bootmgr_obj() { sed -n '/^Object {9dea862c/,/^$/p' "$1"; }
check "the BIOS boot manager names no path of its own (it is \\bootmgr)" \
	bash -c "! grep -q '12000002' <<<'$(bootmgr_obj "$TMP/bios.txt")'"
like "$(bootmgr_obj "$TMP/uefi.txt")" "12000002 .*bootmgfw.efi" "the UEFI one does"

# built for the layout of a real BIOS store (one partition at 1 MiB), ours
# equal it element by element, with the differences bcdcompare.py explains
"$HELPERS/mkbcd" --mbr-bios "$TMP/like-bios.bcd" 0x100000 0x100000 0xddba6bbb
check "a BIOS store built for windeploy-linux_BCD's layout equals it element by element" \
	"$ROOT/tests/tools/bcdcompare.py" "$TMP/like-bios.bcd" "$SAMPLES/windeploy-linux_BCD" bios
"$HELPERS/mkbcd" --mbr "$TMP/like-uefi.bcd" 0x100000 0x100000 0xddba6bbb
check "and the UEFI store of such a disk (paths of the .efi applications apart)" \
	"$ROOT/tests/tools/bcdcompare.py" "$TMP/like-uefi.bcd" "$SAMPLES/windeploy-linux_BCD" uefi-mbr
"$HELPERS/mkbcd" --mbr-bios "$TMP/unlike.bcd" 0x100000 0x100000 0xddba6bbc
check "the comparison fails for another disk signature" \
	bash -c "! '$ROOT/tests/tools/bcdcompare.py' '$TMP/unlike.bcd' '$SAMPLES/windeploy-linux_BCD' bios >/dev/null"
check "and for the UEFI store taken for a BIOS one" \
	bash -c "! '$ROOT/tests/tools/bcdcompare.py' '$TMP/like-uefi.bcd' '$SAMPLES/windeploy-linux_BCD' bios >/dev/null"

# --- info --bcd: both stores ---
run_wintogo info --bcd "$DISK"
is "$RC" 0 "info --bcd reads the MBR disk"
like "$OUT" "11 objects \(.EFI.Microsoft.Boot.BCD, for UEFI\)" "it shows the UEFI store"
like "$OUT" "11 objects \(.Boot.BCD, for BIOS\)" "and the BIOS store"
like "$OUT" "osdevice +partition at byte $((win_start * 512)) on MBR disk ${sig#0x}" \
	"decoding MBR devices by offset and signature"
like "$(sed -n '/for BIOS/,$p' <<<"$OUT")" "path +.Windows.system32.winload\.exe" "the BIOS one starts winload.exe"
run_wintogo info --bcd --json "$DISK"
is "$(jq -r '[(.objects | length), .bios_store.path, (.bios_store.objects | length)] | join(" ")' <<<"$OUT")" \
	'11 \Boot\BCD 11' "info --bcd --json: both stores, the BIOS one as bios_store"

# --- the manifest ---
man=$DISK.manifest.json
is "$(jq -r .disk.partition_table "$man")" mbr "the manifest names the table mbr"
is "$(jq -r .disk.guid "$man")" "$sig" "and the disk by its signature"
is "$(jq -r '[.extents[] | select(.offset == 0) | .partition] | join(" ")' "$man")" mbr \
	"the first block (the MBR) is the mbr's"

# --- the same disk boots from BIOS and from UEFI ---
for attach in ide usb; do
	bios_boot "$DISK" "$attach" "$TMP/bios-$attach.log"
	check "SeaBIOS starts the marker BOOTMGR over $attach (mbr.bin, syslinux, chain.c32)" \
		grep -aq WINTOGO-FIXTURE-BIOS-BOOTMGR-OK "$TMP/bios-$attach.log"
	check "which finds a registry hive at \\Boot\\BCD through INT 13h over $attach" \
		grep -aq 'WINTOGO-FIXTURE-BIOS-BCD: regf' "$TMP/bios-$attach.log" ||
		diag "$(tr -d '\r' <"$TMP/bios-$attach.log" | tail -5)"
	boot_disk "$DISK" "$attach" "$TMP/uefi-$attach.log"
	check "OVMF starts \\EFI\\Boot\\bootx64.efi of the same disk over $attach" \
		grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/uefi-$attach.log"
	check "which finds its store at \\EFI\\Microsoft\\Boot\\BCD over $attach" \
		grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/uefi-$attach.log"
done
# a control: without the BIOS store the marker says so
cp --sparse=always "$DISK" "$TMP/nobcd.img"
mdel -i "$TMP/nobcd.img@@$((sys_start * 512))" ::/Boot/BCD
bios_boot "$TMP/nobcd.img" ide "$TMP/bios-nobcd.log"
check "the marker BOOTMGR reports a missing \\Boot\\BCD (it reads the disk, it does not just print)" \
	grep -aq 'WINTOGO-FIXTURE-BIOS-BCD: missing' "$TMP/bios-nobcd.log"
rm -f "$TMP/nobcd.img"

# --- probe: BIOS and UEFI both see what they start ---
run_wintogo probe --json --host pc-bios "$DISK"
is "$RC $(jq -r '[.reasons[] | .id] | join(" ")' <<<"$OUT")" "0 bios-boot" \
	"probe --host pc-bios: the MBR disk boots, every link of the BIOS chain there"
is "$(jq -c .input.bios <<<"$OUT")" '{"mbr_boot_code":true,"partition_boot_code":true,"bootmgr":true,"bcd":true}' \
	"probe DISK finds boot code in the MBR and the boot sector, \\bootmgr and \\Boot\\BCD"
run_wintogo probe --json --host pc-uefi "$DISK"
is "$(jq -r '[.reasons[] | select(.severity == "blocker") | .id] | join(" ")' <<<"$OUT")" "" \
	"probe --host pc-uefi: no blocker (the active FAT32 partition serves as the ESP)"
is "$(jq -r '.input.boot_loaders[0].name' <<<"$OUT")" bootx64.efi "and it reads \\EFI\\Boot\\bootx64.efi there"
run_wintogo write --quiet --seed 16 --tmpdir "$STAGE" "$WIM" "$OUTDIR/gpt.img"
run_wintogo probe --json --host pc-bios "$OUTDIR/gpt.img"
is "$RC $(jq -r '[.reasons[] | select(.severity == "blocker") | .id] | join(" ")' <<<"$OUT")" "4 bios-no-gpt" \
	"a GPT disk from wintogo is refused on pc-bios"
like "$(jq -r '.reasons[0].fact + " / " + .reasons[0].action' <<<"$OUT")" "GPT partition table.*--partition-table mbr" \
	"with the reason, and what to do"
rm -f "$OUTDIR/gpt.img" "$OUTDIR/gpt.img.manifest.json"
cp --sparse=always "$DISK" "$TMP/nocode.img"
dd if=/dev/zero of="$TMP/nocode.img" bs=440 count=1 conv=notrunc status=none
mdel -i "$TMP/nocode.img@@$((sys_start * 512))" ::/bootmgr
run_wintogo probe --json --host pc-bios "$TMP/nocode.img"
is "$RC $(jq -r '[.reasons[] | select(.severity == "blocker") | .id] | join(" ")' <<<"$OUT")" \
	"4 bios-no-boot-code bios-no-bootmgr" "without the MBR's code and \\bootmgr: cannot boot, and why"
rm -f "$TMP/nocode.img"
run_wintogo write --dry-run --json --host pc-bios "$WIM" "$OUTDIR/host.img"
is "$RC $(jq -r 'select(.plan) | .plan.disk.partition_table' <<<"$OUT")" "0 mbr" "write --host pc-bios writes an MBR disk"
is "$(jq -r 'select(.probe) | [.probe.reasons[] | .id] | join(" ")' <<<"$OUT")" bios-mbr "and its probe knows it"
run_wintogo write --dry-run --host pc-bios --partition-table gpt "$WIM" "$OUTDIR/host.img"
is "$RC" 1 "write --host pc-bios --partition-table gpt is refused (a BIOS cannot start it)"
like "$ERR" "cannot boot on pc-bios .*bios-no-gpt" "naming the reason"

# --- verify covers the boot code ---
run_wintogo verify "$DISK"
is "$RC" 0 "verify passes the disk" || diag "$ERR"
cp --sparse=always "$DISK" "$TMP/flip.img"
cp "$man" "$TMP/flip.img.manifest.json"
printf '\xff' | dd of="$TMP/flip.img" bs=1 seek=100 conv=notrunc status=none
run_wintogo verify "$TMP/flip.img"
check "a byte flipped in the MBR's boot code is caught" test "$RC" -ne 0
like "$ERR" "bytes 0 to .*mbr" "and placed in the mbr"
cp --sparse=always "$DISK" "$TMP/flip.img"
printf '\xff' | dd of="$TMP/flip.img" bs=1 seek=$((sys_start * 512 + 100)) conv=notrunc status=none
run_wintogo verify "$TMP/flip.img"
check "so is one in the system partition's boot sector (syslinux's)" test "$RC" -ne 0
like "$ERR" "esp partition" "placed in the system partition"
rm -f "$TMP/flip.img" "$TMP/flip.img.manifest.json"

# --- vm --partition-table mbr: a VM disk that SeaBIOS starts ---
run_wintogo vm --quiet --seed 16 --partition-table mbr --tmpdir "$STAGE" "$WIM" "$OUTDIR/vm.qcow2"
is "$RC" 0 "vm --partition-table mbr writes a QCOW2" || diag "$ERR"
check "qemu-img check passes it" qemu-img check -q "$OUTDIR/vm.qcow2"
qemu-img convert -O raw "$OUTDIR/vm.qcow2" "$TMP/vm.raw"
is "$(sfdisk --json "$TMP/vm.raw" | jq -r .partitiontable.label)" dos "its disk is MBR"
rm -f "$TMP/vm.raw"
bios_boot "$OUTDIR/vm.qcow2" ide "$TMP/bios-vm.log" qcow2
check "SeaBIOS starts its marker BOOTMGR and finds \\Boot\\BCD" \
	grep -aq 'WINTOGO-FIXTURE-BIOS-BCD: regf' "$TMP/bios-vm.log"
rm -f "$OUTDIR/vm.qcow2"

# --- refusals, before anything is written ---
refuses "a disk over 2 TiB cannot be MBR" "larger than an MBR partition table can describe.*--partition-table gpt" \
	write --quiet --partition-table mbr --size 3T --tmpdir "$STAGE" "$WIM" "$OUTDIR/big.img"
check "and nothing is left behind" no_leftovers "$STAGE"
check "no image file either" test ! -e "$OUTDIR/big.img" -a ! -e "$OUTDIR/big.img.partial"
truncate -s 3T "$OUTDIR/sparse.img"
refuses "nor an existing sparse image file of 3 TiB given --force" "larger than an MBR partition table" \
	write --quiet --force --partition-table mbr --size 3T --tmpdir "$STAGE" "$WIM" "$OUTDIR/sparse.img"
is "$(du -k "$OUTDIR/sparse.img" | cut -f1)" 0 "which is left as it was (nothing written)"
rm -f "$OUTDIR/sparse.img"
refuses "an image without Windows\\Boot\\PCAT cannot make an MBR disk" \
	"has no Windows/Boot/PCAT/bootmgr.*use --partition-table gpt" \
	write --quiet --partition-table mbr --tmpdir "$STAGE" "$FIXTURES/nopcat.wim" "$OUTDIR/nopcat.img"
check "and nothing is left behind" no_leftovers "$STAGE"
check "no image file either" test ! -e "$OUTDIR/nopcat.img" -a ! -e "$OUTDIR/nopcat.img.manifest.json"
run_wintogo write --quiet --tmpdir "$STAGE" "$FIXTURES/nopcat.wim" "$OUTDIR/nopcat.img"
is "$RC" 0 "the same image still makes a GPT disk"
rm -f "$OUTDIR/nopcat.img" "$OUTDIR/nopcat.img.manifest.json"
refuses "--vm-partition with mbr" "^wintogo: --vm-partition needs a GPT disk: leave out --partition-table mbr$" \
	write --quiet --partition-table mbr --vm-partition --tmpdir "$STAGE" "$WIM" "$OUTDIR/vmp.img"
check "and nothing is left behind" no_leftovers "$STAGE"
check "no image file either" test ! -e "$OUTDIR/vmp.img"
run_wintogo write --partition-table apm "$WIM" "$OUTDIR/apm.img"
is "$RC" 2 "--partition-table takes gpt or mbr: anything else is a usage error"
like "$ERR" "--partition-table wants gpt .* or mbr" "which says so"

done_testing
