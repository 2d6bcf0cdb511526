#!/bin/bash
# write --vm-partition: one stick for every machine.  One disk is written
# and every assertion reads it: the WINTOGO-VM partition at its end
# (sfdisk), its exFAT (fsck.exfat, blkid), the UTM bundle read back through
# exfat-fuse read-only (the wizard table of tests/utm.t, xmllint, qemu-img
# check, the NTFS of its QCOW2 against `wintogo vm -c` of the same image),
# an OVMF boot of the bundle's QCOW2 and of the stick, `wintogo verify`
# (and a flipped byte in the VM partition caught), probe's advice; then
# --vm-image, refusals of a disk too small and of wrong arguments.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
PY=/usr/bin/python3
WIM=$FIXTURES/x64.wim
DISK=$OUTDIR/stick.img

if [ "$(id -u)" -ne 0 ] || ! command -v mkfs.exfat >/dev/null || ! command -v mount.exfat-fuse >/dev/null; then
	echo "1..0 # skip --vm-partition needs root, exfatprogs and exfat-fuse (make deps)"
	exit 0
fi

. "$TESTS_DIR/utm_wizard.sh"

# part_of DISK N FILE: partition N of DISK (from sfdisk) copied into FILE.
part_of() {
	local start size
	start=$(sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start")
	size=$(sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].size")
	dd if="$1" of="$3" bs=512 skip="$start" count="$size" conv=sparse status=none
}

# ro_mount IMAGE DIR: exfat-fuse, read-only, on a read-only loop device
# (as root it mounts only block devices); ro_umount DIR undoes it.
LOOPS=()
ro_mount() {
	local loop
	loop=$(losetup --find --show --read-only "$1") || return 1
	LOOPS+=("$loop")
	mkdir -p "$2" && mount.exfat-fuse -o ro "$loop" "$2" >/dev/null 2>&1
}
ro_umount() { umount "$1" 2>/dev/null; }
cleanup() {
	local m l
	for m in "$TMP"/mnt-*; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
	for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# --- the plan ---
run_wintogo write --dry-run --json --seed 7 --tmpdir "$STAGE" --vm-partition "$WIM" "$DISK"
is "$RC" 0 "--dry-run --json --vm-partition plans"
is "$(jq -r 'select(.plan) | .plan.partitions[3] | [.number, .role, .name, .type, .filesystem, .bundle, .bundle_architecture, (.offset % 1048576), (.size % 1048576)] | map(tostring) | join(" ")' <<<"$OUT")" \
	"4 vm WINTOGO-VM EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 exfat Windows 10 Pro.utm x64 0 0" \
	"the plan's JSON has partition 4: WINTOGO-VM, basic data, exFAT, the bundle, 1 MiB aligned"
is "$(jq -r 'select(.plan) | .plan | (.partitions[2].offset + .partitions[2].size == .partitions[3].offset) and (.partitions[3].offset + .partitions[3].size <= .disk.size)' <<<"$OUT")" \
	true "Windows ends where the VM partition starts, which ends inside the disk"
run_wintogo write --dry-run --seed 7 --tmpdir "$STAGE" --vm-partition=300M "$WIM" "$DISK"
like "$OUT" '4  vm       exFAT .* 300\.0 MiB' "the text plan shows partition 4, exFAT, of the size given"
like "$OUT" 'WINTOGO-VM: Windows 10 Pro\.utm, a UTM bundle of x64 Windows, and README\.txt' "and what goes on it"
check "a dry run writes nothing" no_leftovers "$STAGE" "$OUTDIR"

# --- the stick ---
run_wintogo write --quiet --seed 7 --tmpdir "$STAGE" --vm-partition "$WIM" "$DISK"
is "$RC" 0 "write --vm-partition to an image file"
[ "$RC" -eq 0 ] || diag "$ERR"
check "no stage and no .partial left" no_leftovers "$STAGE"
check "no .partial beside the disk" test ! -e "$DISK.partial"
sfdisk --json "$DISK" >"$TMP/sfdisk.json"
is "$(jq -r '.partitiontable.partitions | length' "$TMP/sfdisk.json")" 4 "sfdisk: four partitions"
is "$(jq -r '.partitiontable.partitions[3] | [.type, .name] | join(" ")' "$TMP/sfdisk.json")" \
	"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 WINTOGO-VM" "sfdisk: partition 4 is Microsoft basic data, named WINTOGO-VM"
is "$(jq -r '[.partitiontable.partitions[] | .start % 2048, .size % 2048] | unique | join(",")' "$TMP/sfdisk.json")" \
	0 "sfdisk: every partition 1 MiB aligned"
is "$(jq -r '.partitiontable.partitions | .[2].start + .[2].size == .[3].start' "$TMP/sfdisk.json")" \
	true "sfdisk: the VM partition follows Windows"
is "$(jq -r '.partitiontable | (.partitions[3].start + .partitions[3].size - 1) <= .lastlba and (.lastlba - (.partitions[3].start + .partitions[3].size - 1)) < 2048' "$TMP/sfdisk.json")" \
	true "sfdisk: and ends within 1 MiB of the last usable sector: it is at the end"
like "$(sgdisk -v "$DISK" 2>&1)" 'No problems found' "sgdisk -v finds no problems"
like "$(blkid -p "$DISK")" 'PTTYPE="gpt"' "blkid sees the GPT"

part_of "$DISK" 4 "$TMP/vm.img"
check "fsck.exfat -n finds the VM partition clean" fsck.exfat -n "$TMP/vm.img"
like "$(blkid -p "$TMP/vm.img")" 'LABEL="WINTOGO-VM".*TYPE="exfat"' "blkid: exFAT labelled WINTOGO-VM"
VM=$TMP/mnt-vm
ro_mount "$TMP/vm.img" "$VM"
is "$?" 0 "exfat-fuse mounts it read-only"
BUNDLE="$VM/Windows 10 Pro.utm"
is "$(cd "$VM" && ls | sort | tr '\n' ' ')" "README.txt Windows 10 Pro.utm " "its root: the bundle and README.txt"
check "x86_64: the bundle's plist as UTM's wizard writes it (the table of tests/utm.t)" wizard_table "$BUNDLE" x86_64
check "xmllint parses the plist" xmllint --noout "$BUNDLE/config.plist"
check "qemu-img check passes on its QCOW2" qemu-img check -q "$BUNDLE/Data/DISK.qcow2"
like "$(qemu-img info --output=json "$BUNDLE/Data/DISK.qcow2" | jq -r .format)" '^qcow2$' "qemu-img reads it as a QCOW2"
like "$(qemu-img check --output=json "$BUNDLE/Data/DISK.qcow2" | jq -r '."compressed-clusters" > 0')" true \
	"its clusters are compressed"
like "$(tr -d '\r' <"$VM/README.txt")" 'open it here: double-click it|choose File > Open in UTM' "README.txt says how to open it in UTM"
like "$(tr -d '\r' <"$VM/README.txt")" 'Windows 10 Pro\.utm' "and names the bundle"
check "README.txt is plain text (file(1))" sh -c "file -b '$VM/README.txt' | grep -Eq 'text'"
cp "$BUNDLE/Data/DISK.qcow2" "$TMP/bundle.qcow2"
ro_umount "$VM"

# the same Windows as `wintogo vm -c` makes it: the QCOW2s are not byte
# for byte the same (timestamps on the ESP), so compare the partition
# tables (the same seed gives the same GUIDs) and the NTFS content
run_wintogo vm --quiet -c --seed 7 --tmpdir "$STAGE" "$WIM" "$TMP/ref.qcow2"
is "$RC" 0 "wintogo vm -c of the same image, same seed"
qemu-img convert -O raw "$TMP/bundle.qcow2" "$TMP/bundle.raw"
qemu-img convert -O raw "$TMP/ref.qcow2" "$TMP/ref.raw"
is "$(sfdisk --json "$TMP/bundle.raw" | jq -c '.partitiontable | del(.device) | .partitions |= map(del(.node))')" \
	"$(sfdisk --json "$TMP/ref.raw" | jq -c '.partitiontable | del(.device) | .partitions |= map(del(.node))')" \
	"the bundle's disk has the partition table wintogo vm gives"
part_of "$TMP/bundle.raw" 3 "$TMP/bundle-ntfs.img"
part_of "$TMP/ref.raw" 3 "$TMP/ref-ntfs.img"
mkdir -p "$TMP/mnt-a" "$TMP/mnt-b"
if ntfs-3g -o ro "$TMP/bundle-ntfs.img" "$TMP/mnt-a" && ntfs-3g -o ro "$TMP/ref-ntfs.img" "$TMP/mnt-b"; then
	check "its NTFS holds what wintogo vm's holds, file for file (diff -r)" diff -r --no-dereference "$TMP/mnt-a" "$TMP/mnt-b"
	like "$(ls "$TMP/mnt-a/Windows/System32" | tr '\n' ' ')" 'winload\.efi' "and that is a Windows"
else
	_report 1 "ntfs-3g mounts both NTFS partitions"
fi
umount "$TMP/mnt-a" "$TMP/mnt-b" 2>/dev/null

# as UTM attaches an x86_64 disk on q35: IDE (AHCI)
boot_disk "$TMP/bundle.qcow2" ide "$TMP/boot-vm.log" qcow2
check "OVMF boots the bundle's QCOW2 to the boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot-vm.log"
boot_disk "$DISK" usb "$TMP/boot-stick.log"
check "OVMF still boots the stick itself from USB" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot-stick.log"

# --- verify covers the VM partition ---
run_wintogo verify "$DISK"
is "$RC" 0 "wintogo verify passes"
cp --sparse=always "$DISK" "$TMP/flipped.img"
VM_AT=$(jq '.partitiontable.partitions[3].start * 512' "$TMP/sfdisk.json")
# the exFAT boot sector's first byte, 0xEB, becomes 0x00
printf '\000' | dd of="$TMP/flipped.img" bs=1 seek="$VM_AT" conv=notrunc status=none
run_wintogo verify --manifest "$DISK.manifest.json" "$TMP/flipped.img"
is "$RC" 5 "verify fails (5) on a byte changed in the VM partition"
like "$ERR" "bytes $VM_AT to [0-9]+ \(vm partition, its bytes 0 to" "naming the vm partition and the bytes"

# --- probe ---
run_wintogo probe --host apple-silicon "$DISK"
is "$RC" 4 "probe --host apple-silicon: cannot boot (4)"
like "$OUT" 'this stick cannot boot this Mac; open Windows 10 Pro\.utm on its WINTOGO-VM volume in UTM' \
	"it says: open Windows 10 Pro.utm on its WINTOGO-VM volume in UTM"
like "$OUT" 'vm-partition .*partition 4 WINTOGO-VM holds Windows 10 Pro\.utm' "read from the exFAT, not guessed"
if printf '%s' "$OUT" | grep -q 'wintogo vm'; then
	_report 1 "and suggests no wintogo vm"
else
	_report 0 "and suggests no wintogo vm"
fi
run_wintogo probe --json --host apple-silicon "$DISK"
is "$(jq -r '[.verdict, .input.vm_partition.number, .input.vm_partition.bundle, (.suggestion == null), ([.reasons[].id] | index("vm-partition") != null)] | map(tostring) | join("|")' <<<"$OUT")" \
	"cannot boot|4|Windows 10 Pro.utm|true|true" "--json: the partition, its bundle, the vm-partition reason, no suggestion"
run_wintogo probe --host pc-uefi "$DISK"
is "$RC" 3 "on a UEFI PC the stick boots as before (with conditions: unsigned fixture)"

# a stick without the partition keeps today's advice
run_wintogo write --quiet --seed 7 --tmpdir "$STAGE" "$WIM" "$OUTDIR/plain.img"
run_wintogo probe --json --host apple-silicon "$OUTDIR/plain.img"
is "$(jq -r '[(.input.vm_partition == null), .suggestion.argv[1]] | map(tostring) | join(" ")' <<<"$OUT")" "true vm" \
	"without a VM partition, probe still suggests wintogo vm"
rm -f "$OUTDIR/plain.img" "$OUTDIR/plain.img.manifest.json"

# --- another image in the VM: ARM64, with VMware Fusion and Parallels too ---
run_wintogo write --quiet --seed 7 --tmpdir "$STAGE" --vm-partition --vm-image "$FIXTURES/arm64.wim" --vm-name "Windows ARM" \
	--vm-vmware --vm-parallels "$WIM" "$OUTDIR/arm.img"
is "$RC" 0 "--vm-image arm64.wim --vm-name 'Windows ARM' --vm-vmware --vm-parallels on an x64 stick"
[ "$RC" -eq 0 ] || diag "$ERR"
part_of "$OUTDIR/arm.img" 4 "$TMP/arm-vm.img"
check "fsck.exfat -n finds that VM partition clean" fsck.exfat -n "$TMP/arm-vm.img"
A=$TMP/mnt-arm
ro_mount "$TMP/arm-vm.img" "$A"
is "$(cd "$A" && ls | sort | tr '\n' ' ')" "README.txt Windows ARM.hdd Windows ARM.prlctl.sh Windows ARM.utm Windows ARM.vmwarevm " \
	"its root: the UTM, VMware and Parallels bundles, the prlctl script, README.txt"
check "aarch64: that bundle's plist as UTM's wizard writes it" wizard_table "$A/Windows ARM.utm" aarch64
check "qemu-img check passes on the VMDK" qemu-img check -q -f vmdk "$A/Windows ARM.vmwarevm/Windows ARM.vmdk"
check "and on the Parallels image" sh -c "qemu-img check -q -f parallels '$A/Windows ARM.hdd/'*.hds"
check "the VMDK holds the QCOW2's disk (qemu-img compare)" \
	qemu-img compare -q -f vmdk -F qcow2 "$A/Windows ARM.vmwarevm/Windows ARM.vmdk" "$A/Windows ARM.utm/Data/DISK.qcow2"
check "and so does the Parallels image" sh -c "qemu-img compare -q -f parallels -F qcow2 '$A/Windows ARM.hdd/'*.hds '$A/Windows ARM.utm/Data/DISK.qcow2'"
like "$(cat "$A/Windows ARM.vmwarevm/Windows ARM.vmx")" 'guestOS = "arm-windows11-64"' "the .vmx is for ARM64 Windows 11"
check "DiskDescriptor.xml parses (xmllint)" xmllint --noout "$A/Windows ARM.hdd/DiskDescriptor.xml"
check "the prlctl script passes bash -n" bash -n "$A/Windows ARM.prlctl.sh"
like "$(tr -d '\r' <"$A/README.txt")" 'ARM64 Windows at full speed' "README.txt: virtualised at full speed"
like "$(tr -d '\r' <"$A/README.txt")" 'Windows ARM\.vmwarevm.*' "README.txt: how to open the VMware Fusion VM"
like "$(tr -d '\r' <"$A/README.txt")" 'sh "Windows ARM\.prlctl\.sh"' "README.txt: how to make the Parallels VM"
ro_umount "$A"
run_wintogo probe --host apple-silicon "$OUTDIR/arm.img"
like "$OUT" 'open Windows ARM\.utm on its WINTOGO-VM volume' "probe names that bundle"
rm -f "$OUTDIR/arm.img" "$OUTDIR/arm.img.manifest.json"

# usage_error DESCRIPTION REGEX ARGS...: exit 2, the message (matching
# REGEX) on one line, then the hint to --help, nothing on stdout.
usage_error() {
	local desc=$1 regex=$2
	shift 2
	run_wintogo "$@"
	if [ "$RC" -eq 2 ] && [ -z "$OUT" ] && [ "$(printf '%s\n' "$ERR" | grep -c '')" -eq 2 ] &&
		printf '%s\n' "$ERR" | head -n1 | grep -Eq -- "^wintogo write: .*$regex" &&
		printf '%s\n' "$ERR" | tail -n1 | grep -q -- "--help"; then
		_report 0 "$desc"
	else
		_report 1 "$desc"
		diag "rc=$RC, stderr: $ERR" "stdout: $OUT" "want /$regex/"
	fi
}

# --- refusals: before anything is written, one line, nothing left ---
refuses "a disk too small for Windows plus the VM partition, with the numbers" \
	"'.*small\.img' would be 600\.0 MiB but image 1 needs at least .* \+ VM partition 500\.0 MiB\); give --size [0-9]+M or more" \
	write --seed 7 --tmpdir "$STAGE" --size 600M --vm-partition=500M "$WIM" "$OUTDIR/small.img"
check "nothing was written" no_leftovers "$STAGE" "$OUTDIR/small.img"
ls "$OUTDIR" | grep -v '^stick.img' >"$TMP/left" || true
is "$(cat "$TMP/left")" "" "no small.img, no .partial"
usage_error "--vm-image without --vm-partition" '--vm-image is for --vm-partition' \
	write --vm-image "$WIM" "$WIM" "$OUTDIR/x.img"
usage_error "--vm-name without --vm-partition" '--vm-name is for --vm-partition' \
	write --vm-name X "$WIM" "$OUTDIR/x.img"
usage_error "--vm-vmware without --vm-partition" '--vm-vmware is for --vm-partition' \
	write --vm-vmware "$WIM" "$OUTDIR/x.img"
usage_error "--vm-parallels without --vm-partition" '--vm-parallels is for --vm-partition' \
	write --vm-parallels "$WIM" "$OUTDIR/x.img"
usage_error "--vm-index without --vm-image" '--vm-index chooses the image of --vm-image' \
	write --vm-partition --vm-index 1 "$WIM" "$OUTDIR/x.img"
usage_error "--vm-partition=SIZE that is no size" "--vm-partition wants a size.*not 'lots'" \
	write --vm-partition=lots "$WIM" "$OUTDIR/x.img"
usage_error "--vm-index 0" "--vm-index wants" \
	write --vm-partition --vm-image "$WIM" --vm-index 0 "$WIM" "$OUTDIR/x.img"
refuses "--vm-partition below 64M" '--vm-partition size 16\.0 MiB is too small; give at least 64M' \
	write --tmpdir "$STAGE" --vm-partition=16M "$WIM" "$OUTDIR/x.img"
refuses "--vm-partition not whole MiB" 'not a whole number of MiB' \
	write --tmpdir "$STAGE" --vm-partition=100000K "$WIM" "$OUTDIR/x.img"
refuses "a VM name exFAT cannot hold" "VM name 'a:b' has ':', which exFAT .* give another with --vm-name" \
	write --tmpdir "$STAGE" --vm-partition --vm-name 'a:b' "$WIM" "$OUTDIR/x.img"
refuses "a --vm-image that does not exist" "nothere\.wim" \
	write --tmpdir "$STAGE" --vm-partition --vm-image "$TMP/nothere.wim" "$WIM" "$OUTDIR/x.img"
refuses "a --vm-image index out of range" "has no image 9" \
	write --tmpdir "$STAGE" --vm-partition --vm-image "$WIM" --vm-index 9 "$WIM" "$OUTDIR/x.img"
check "no refusal left anything" no_leftovers "$STAGE"
is "$(ls "$OUTDIR" | grep -v '^stick.img' | tr '\n' ' ')" "" "and no output beside the stick"

# not root: refused with what to do, before anything is written
NR=$TMP/nonroot
mkdir -p "$NR" && chmod 711 "$TMP" && chmod 777 "$NR"
setpriv --reuid=65534 --regid=65534 --clear-groups "$WINTOGO" write --tmpdir "$NR" --vm-partition "$WIM" "$NR/x.img" \
	>"$TMP/stdout" 2>"$TMP/stderr"
RC=$?
is "$RC" 1 "not root: refused"
like "$(cat "$TMP/stderr")" '^wintogo: --vm-partition needs root: .*exfat-fuse on a loop device; run it as root' "saying why and what to do"
check "and nothing left" no_leftovers "$NR"

done_testing
