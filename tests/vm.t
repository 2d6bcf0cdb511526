#!/bin/bash
# wintogo vm: QCOW2 (and raw) disks checked by qemu-img, converted back and
# checked like write's disks, booted from NVMe, and UTM bundles read by
# plistlib.
. "$(dirname "$0")/lib.sh"
need_fixtures
PY=/usr/bin/python3
STAGE=$TMP/stage
mkdir -p "$STAGE"

# --- an existing disk image, converted ---
disk=$TMP/disk.img
run_wintogo write --quiet --seed 5 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write a disk image to convert"
run_wintogo vm --quiet "$disk" "$TMP/disk.qcow2"
is "$RC" 0 "vm DISK.img OUT.qcow2"
like "$(qemu-img check "$TMP/disk.qcow2" 2>&1)" "No errors were found" "qemu-img check finds no errors"
like "$(qemu-img compare "$TMP/disk.qcow2" "$disk" 2>&1)" "Images are identical" \
	"qemu-img compare: the QCOW2 holds exactly the disk"
qemu-img info --output=json "$TMP/disk.qcow2" >"$TMP/info.json"
is "$(jq -r '"\(.format) \(."cluster-size") \(."virtual-size") \(."format-specific".data.compat)"' "$TMP/info.json")" \
	"qcow2 65536 $(stat -c %s "$disk") 1.1" "QCOW2 version 3 (compat 1.1), 64 KiB clusters, the disk's size"
qemu-img convert -O qcow2 "$disk" "$TMP/qemu.qcow2"
check "it is no larger than qemu-img convert's" test "$(stat -c %s "$TMP/disk.qcow2")" -le "$(stat -c %s "$TMP/qemu.qcow2")"
run_wintogo vm --quiet --compress "$disk" "$TMP/small.qcow2"
is "$RC" 0 "vm --compress"
check_out=$(qemu-img check "$TMP/small.qcow2" 2>&1)
like "$check_out" "No errors were found" "qemu-img check of the compressed QCOW2 finds no errors"
like "$check_out" " [1-9][0-9.]*% compressed clusters" "and sees compressed clusters"
like "$(qemu-img compare "$TMP/small.qcow2" "$disk" 2>&1)" "Images are identical" "and the same content"
check "compressed is smaller" test "$(stat -c %s "$TMP/small.qcow2")" -lt "$(stat -c %s "$TMP/disk.qcow2")"
run_wintogo vm --quiet --format raw "$disk" "$TMP/copy.img"
check "--format raw copies the disk exactly" cmp "$disk" "$TMP/copy.img"
refuses "converting a disk onto itself is refused" "is the source disk itself" \
	vm --force "$disk" "$disk"

# --- built from a WIM, with a UTM bundle ---
mkdir "$TMP/utm"
run_wintogo vm --json --seed 5 --tmpdir "$STAGE" --utm "$TMP/utm" "$FIXTURES/x64.wim" "$TMP/x64.qcow2"
is "$RC" 0 "vm x64.wim OUT.qcow2 --utm DIR"
[ "$RC" -eq 0 ] || diag "$ERR"
printf '%s\n' "$OUT" >"$TMP/vm.jsonl"
check "its stdout is JSON lines: plan, progress, result, bundle" \
	jq -se 'map(keys[0]) | (.[0] == "plan") and (.[-1] == "utm") and (index("result") != null)' "$TMP/vm.jsonl"
check "nothing is left in the stage" no_leftovers "$STAGE"
like "$(qemu-img check "$TMP/x64.qcow2" 2>&1)" "No errors were found" "qemu-img check finds no errors"
qemu-img convert -O raw "$TMP/x64.qcow2" "$TMP/back.img"
check_disk "$TMP/back.img" "$FIXTURES/x64.wim" 1 "qcow2 converted back"
boot_disk "$TMP/x64.qcow2" nvme "$TMP/boot.log" qcow2
check "OVMF boots the QCOW2 from NVMe into the boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot.log"
check "which finds the BCD store" grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/boot.log"

# plist_check BUNDLE ARCH TARGET NIC DISK_INTERFACE: what UTM needs to import it
# (tests/utm.t compares every key with what UTM's wizard writes)
plist_check() {
	$PY - "$@" <<'PY'
import plistlib, sys, os
bundle, arch, target, nic, interface = sys.argv[1:]
d = plistlib.load(open(os.path.join(bundle, 'config.plist'), 'rb'))
want = {
    ('Backend',): 'QEMU', ('ConfigurationVersion',): 4,
    ('System', 'Architecture'): arch, ('System', 'Target'): target,
    ('System', 'CPUCount'): 4, ('System', 'MemorySize'): 8192,
    ('System', 'ForceMulticore'): False,
    ('QEMU', 'UEFIBoot'): True, ('QEMU', 'TPMDevice'): True, ('QEMU', 'RTCLocalTime'): True,
    ('Information', 'IconCustom'): False,
}
bad = []
for path, value in want.items():
    v = d
    for k in path:
        v = v.get(k) if isinstance(v, dict) else None
    if v != value or type(v) != type(value):
        bad.append('%s = %r, want %r' % ('.'.join(path), v, value))
for section in ('Information', 'System', 'QEMU', 'Input', 'Sharing', 'Display', 'Drive', 'Network', 'Serial', 'Sound'):
    if section not in d:
        bad.append('no ' + section)
drive = d['Drive'][0]
if (drive.get('ImageName'), drive.get('ImageType'), drive.get('Interface')) != ('DISK.qcow2', 'Disk', interface):
    bad.append('drive %r' % drive)
if d['Network'][0].get('Hardware') != nic:
    bad.append('network %r' % d['Network'][0])
if sorted(os.listdir(os.path.join(bundle, 'Data'))) != ['DISK.qcow2']:
    bad.append('Data holds %r' % os.listdir(os.path.join(bundle, 'Data')))
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
}
bundle=$TMP/utm/Windows\ 10\ Pro.utm
check "the x64 bundle's config.plist parses and has x86_64/q35, UEFI, TPM, IDE (AHCI), 4 CPUs, 8 GiB" \
	plist_check "$bundle" x86_64 q35 e1000 IDE
check "the bundle's disk is the QCOW2" cmp "$bundle/Data/DISK.qcow2" "$TMP/x64.qcow2"
run_wintogo vm --quiet --seed 5 --tmpdir "$STAGE" --utm "$TMP/utm" "$FIXTURES/arm64.wim" "$TMP/arm64.qcow2"
is "$RC" 0 "vm arm64.wim with --utm"
check "the arm64 bundle has aarch64/virt (virtualized), NVMe, virtio-net" \
	plist_check "$TMP/utm/Windows 11 Pro.utm" aarch64 virt virtio-net-pci NVMe
run_wintogo vm --quiet --utm "$TMP/utm" --vm-name "Converted" "$disk" "$TMP/conv.qcow2"
is "$RC" 0 "vm of a disk image with --utm and --vm-name"
check "its architecture is found from the ESP's boot loader (x64)" \
	plist_check "$TMP/utm/Converted.utm" x86_64 q35 e1000 IDE
refuses "an existing bundle is refused without --force" "Converted.utm' already exists; use --force" \
	vm --utm "$TMP/utm" --vm-name Converted "$disk" "$TMP/conv2.qcow2"
check "and nothing was written for it" test ! -e "$TMP/conv2.qcow2"

# --- raw from a WIM, refusals, usage ---
run_wintogo vm --quiet --format raw --seed 5 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$TMP/raw.img"
is "$(sfdisk --json "$TMP/raw.img" | jq -r .partitiontable.label)" gpt "--format raw from a WIM gives a GPT disk image"
: >"$TMP/exists.qcow2"
refuses "an existing OUT is refused without --force" "already exists; use --force" \
	vm --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$TMP/exists.qcow2"
check "no stage or .partial is left" no_leftovers "$STAGE"
check "no .partial beside OUT" test ! -e "$TMP/exists.qcow2.partial"
run_wintogo vm --format raw --compress "$disk" "$TMP/x.img"
is "$RC" 2 "--compress with --format raw is a usage error"
run_wintogo vm --format vdi "$disk" "$TMP/x.vdi"
is "$RC" 2 "an unknown --format is a usage error"
run_wintogo vm --sha256 0000000000000000000000000000000000000000000000000000000000000000 "$disk" "$TMP/x.qcow2"
is "$RC" 2 "options for a Windows image are refused for a disk image, not ignored"
check "and nothing was written" test ! -e "$TMP/x.qcow2"
echo "keep me" >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/link.qcow2.partial"
run_wintogo vm --quiet "$disk" "$TMP/link.qcow2"
is "$RC" 0 "a stale OUT.partial that is a symlink does not stop vm"
is "$(cat "$TMP/victim")" "keep me" "and the file it points to is untouched"
check "OUT is a new file, not the symlink" test -f "$TMP/link.qcow2" -a ! -L "$TMP/link.qcow2"
run_wintogo vm --index 1 --name x "$FIXTURES/x64.wim" "$TMP/x.qcow2"
is "$RC:$(grep -c 'give --index or --name, not both' <<<"$ERR")" "2:1" "--index with --name is a usage error for vm too"
run_wintogo vm --memory 1G "$disk" "$TMP/x.qcow2"
is "$RC" 2 "too little --memory is a usage error"
done_testing
