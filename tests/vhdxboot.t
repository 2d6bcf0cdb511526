#!/bin/bash
# wintogo write --vhdx: Windows in \wintogo\windows.vhdx on the stick's NTFS
# partition.  The BCD's nested device read with python3-hivex and checked
# field by field against the layout of the stores Windows wrote
# (fixtures/bcd-samples: the same checker passes on them first); the VHDX
# taken out with ntfscat and checked by qemu-img; the disk inside it by
# sfdisk; its NTFS against wimapply; the file's allocation by ntfsinfo;
# an OVMF boot to the marker boot manager.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
PY=/usr/bin/python3  # Debian's python3-hivex loads only in Debian's python
SAMPLES=$ROOT/fixtures/bcd-samples
disk=$OUTDIR/fixed.img

# vhdx_device STORE OBJECT CODE [SIGNATURE HOST_GUID DISK_GUID PATH]: checks
# (on an MBR stick HOST_GUID is offset:BYTES and DISK_GUID its signature)
# the element against the layout of vhd-device-layout.txt; prints "ok" or
# what differs.  OBJECT "default": {bootmgr}'s default object.
vhdx_device() {
	"$PY" - "$@" <<'PYEOF'
import hivex, struct, sys, uuid
store, obj, code = sys.argv[1:4]
want = sys.argv[4:]
h = hivex.Hivex(store)
objs = h.node_get_child(h.root(), "Objects")
def element(o, c):
    n = h.node_get_child(h.node_get_child(h.node_get_child(objs, o), "Elements"), c)
    return h.value_value(h.node_get_value(n, "Element"))[1]
if obj == "default":
    obj = element("{9dea862c-5cdd-4e70-acc1-f32b344d4795}", "23000003").decode("utf-16-le").rstrip("\0")
d = element(obj, code)
n = len(d)
u32 = lambda o: struct.unpack_from("<I", d, o)[0]
bad = []
def expect(what, got, exp):
    if got != exp:
        bad.append("%s: %r, not %r" % (what, got, exp))
expect("options GUID", d[0:16], bytes(16))
expect("outer type (partition)", u32(0x10), 6)
expect("outer size", u32(0x18), n - 0x10)
expect("inner partition offset", struct.unpack_from("<Q", d, 0x20)[0], 0x100000)
expect("disk kind (VirtualDisk)", u32(0x30), 6)
expect("inner style (MBR)", u32(0x34), 1)
expect("file device type", u32(0x48), 0)
expect("file device size", u32(0x50), n - 0x48)
expect("local type (File)", u32(0x58), 5)
expect("file path version", u32(0x5c), 1)
expect("file path length", u32(0x60), n - 0x5c)
expect("path type", u32(0x64), 5)
expect("host device type", u32(0x68), 6)
expect("host device size", u32(0x70), 0x48)
expect("host disk kind (local)", u32(0x88), 0)
path = d[0xb0:].decode("utf-16-le")
expect("path ends with NUL", path[-1:], "\0")
if want:
    sig, host, dguid, wpath = want
    expect("inner MBR signature", "%08x" % u32(0x38), sig)
    if host.startswith("offset:"):  # an MBR stick: byte offset, signature
        expect("host style (MBR)", u32(0x8c), 1)
        expect("host partition offset", struct.unpack_from("<Q", d, 0x78)[0], int(host[7:]))
        expect("host disk signature", "%08x" % u32(0x90), dguid)
    else:
        expect("host style (GPT)", u32(0x8c), 0)
        expect("host partition GUID", str(uuid.UUID(bytes_le=d[0x78:0x88])).upper(), host.upper())
        expect("host disk GUID", str(uuid.UUID(bytes_le=d[0x90:0xa0])).upper(), dguid.upper())
    expect("path", path[:-1], wpath)
    expect("length", n, 0xb0 + 2 * (len(wpath) + 1))
print("ok" if not bad else "; ".join(bad))
PYEOF
}

# --- the checker itself, on the stores Windows wrote ---
is "$(vhdx_device "$SAMPLES/ventoy_vhdboot_BCD" '{f0ce84a1-f247-11ea-aa8a-806e6f6e6963}' 21000001)" ok \
	"the layout checker passes on ventoy_vhdboot_BCD's osdevice (Windows wrote it)"
is "$(vhdx_device "$SAMPLES/vhdiso_BCD" '{5f7bf00d-9ab2-11eb-9a06-001a7dda7113}' 11000001)" ok \
	"and on vhdiso_BCD's device"

# --- a fixed VHDX ---
run_wintogo write --vhdx --seed 7 --size 1G --vhdx-size 256M --tmpdir "$STAGE" --json "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write --vhdx exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
plan=$(head -1 <<<"$OUT")
is "$(jq -r '.plan.vhdx | "\(.type) \(.path) \(.virtual_size) \(.disk.label) \(.disk.partitions[0].offset)"' <<<"$plan")" \
	'fixed \wintogo\windows.vhdx 268435456 dos 1048576' "the plan names the file, its size and the disk inside it"
check "nothing is left in the stage" no_leftovers "$STAGE"
sfdisk --json "$disk" >"$TMP/sfdisk.json"
is "$(jq -r '[.partitiontable.label, (.partitiontable.partitions[] | .type)] | join(" ")' "$TMP/sfdisk.json")" \
	"gpt C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" \
	"the stick has ESP, MSR and the NTFS host partition"
host_off=$(jq '.partitiontable.partitions[2].start * 512' "$TMP/sfdisk.json")
host_len=$(jq '.partitiontable.partitions[2].size * 512' "$TMP/sfdisk.json")
host_guid=$(jq -r '.partitiontable.partitions[2].uuid' "$TMP/sfdisk.json")
disk_guid=$(jq -r '.partitiontable.id' "$TMP/sfdisk.json")
dd if="$disk" of="$TMP/host.img" bs=1M skip=$((host_off / 1048576)) count=$((host_len / 1048576)) status=none
like "$(ntfsinfo -m "$TMP/host.img" 2>/dev/null)" "Volume Name: WinToGo" "the host partition is NTFS (ntfsinfo)"
is "$(od -An -t u4 -j 28 -N 4 "$TMP/host.img" | tr -d ' ')" $((host_off / 512)) "its hidden sectors are its start"
like "$(ntfsls -p /wintogo "$TMP/host.img" 2>/dev/null)" 'windows\.vhdx' "it holds \\wintogo\\windows.vhdx (ntfsls)"
check "ntfsfix -n finds the host NTFS consistent" ntfsfix -n "$TMP/host.img"
like "$(ntfsls -l -p /wintogo "$TMP/host.img" 2>/dev/null)" "$(jq -r .plan.vhdx.file_size <<<"$plan") .*windows\.vhdx" \
	"its directory entry has the file's size"
info=$(ntfsinfo -v -F /wintogo/windows.vhdx "$TMP/host.img" 2>/dev/null)
file_size=$(jq -r .plan.vhdx.file_size <<<"$plan")
data=$(sed -n '/Dumping attribute \$DATA/,$p' <<<"$info")
like "$data" "Data size:[[:space:]]+$file_size " "the file's \$DATA is the planned $file_size bytes"
like "$data" "Initialized size:[[:space:]]+$file_size " "all of it initialized (Windows reads zeros past the initialized size)"
check "not sparse, compressed or encrypted (ntfsinfo's attributes)" \
	bash -c "! grep -Eq 'SPARSE|COMPRESSED|ENCRYPTED' <<<'$(grep -E 'File attributes|Attribute flags' <<<"$info")'"
runs=$(sed -n 's/^Total runs: \([0-9]*\).*/\1/p' <<<"$info")
check "its clusters are in few runs ($runs)" test "${runs:-99}" -le 4
ntfscat "$TMP/host.img" /wintogo/windows.vhdx >"$TMP/windows.vhdx"
check "qemu-img check passes on the VHDX taken out with ntfscat" qemu-img check -q "$TMP/windows.vhdx"
is "$(qemu-img info --output=json "$TMP/windows.vhdx" | jq -r '"\(.format) \(."virtual-size")"')" "vhdx 268435456" \
	"qemu-img sees a 256 MiB VHDX"
like "$(vhdiinfo "$TMP/windows.vhdx" 2>/dev/null)" 'Disk type[[:space:]]*: Fixed' "libvhdi's vhdiinfo reads a fixed VHDX"
qemu-img convert -O raw "$TMP/windows.vhdx" "$TMP/inner.raw"
sfdisk --json "$TMP/inner.raw" >"$TMP/inner.json"
sig=$(jq -r '.plan.vhdx.disk.signature' <<<"$plan")
is "$(jq -r '.partitiontable | "\(.label) \(.id) \(.partitions | length) \(.partitions[0].start) \(.partitions[0].size) \(.partitions[0].type)"' "$TMP/inner.json")" \
	"dos 0x$sig 1 2048 522240 7" "inside it: an MBR disk with the planned signature, one NTFS partition from 1 MiB to its end (sfdisk)"
dd if="$TMP/inner.raw" of="$TMP/win.img" bs=1M skip=1 status=none
inner_nonzero=$(tr -d '\0' <"$TMP/inner.raw" | wc -c)
rm -f "$TMP/inner.raw" "$TMP/windows.vhdx"
is "$(od -An -t u4 -j 28 -N 4 "$TMP/win.img" | tr -d ' ')" 2048 "the inner partition's hidden sectors are its start in the VHDX disk"
check_ntfs "$TMP/win.img" "$FIXTURES/x64.wim" 1 "the VHDX's inner partition" "$TMP"
rm -f "$TMP/win.img" "$TMP/host.img"

# --- the BCD ---
esp_off=$(jq '.partitiontable.partitions[0].start * 512' "$TMP/sfdisk.json")
mcopy -n -i "$disk@@$esp_off" ::/EFI/Microsoft/Boot/BCD "$TMP/BCD"
for code in 11000001 21000001; do
	is "$(vhdx_device "$TMP/BCD" default $code "$sig" "$host_guid" "$disk_guid" '\wintogo\windows.vhdx')" ok \
		"{default}'s $code: the partition at 1 MiB of disk $sig in \\wintogo\\windows.vhdx on the host partition, laid out as Windows does"
done
is "$("$PY" -c '
import hivex, sys
h = hivex.Hivex(sys.argv[1])
n = h.node_get_child(h.node_get_child(h.node_get_child(h.node_get_child(h.root(), "Objects"),
    "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"), "Elements"), "11000001")
print(len(h.value_value(h.node_get_value(n, "Element"))[1]))' "$TMP/BCD")" 88 "{bootmgr} stays on the ESP (a plain 88-byte partition device)"
run_wintogo info --bcd "$disk"
like "$OUT" 'osdevice +vhdx \\wintogo\\windows\.vhdx on partition \{'"$host_guid"'\}' "info --bcd prints the VHDX device"

# --- the stick boots, and verifies ---
boot_disk "$disk" ide "$TMP/boot.log"
check "OVMF boots the stick into the marker boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot.log"
check "which finds its BCD" grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/boot.log"
run_wintogo verify "$disk"
is "$RC" 0 "verify reads the stick back against its manifest"

# --- vm of the stick: the Windows in its VHDX, on a VM disk of its own ---
release=$WINTOGO
use_asan
run_wintogo vm --seed 3 --tmpdir "$STAGE" "$disk" "$OUTDIR/stick.qcow2"
WINTOGO=$release
is "$RC" 0 "vm of the --vhdx stick exits 0 (sanitizer build)"
[ "$RC" -eq 0 ] || diag "$ERR"
like "$ERR" "'.*fixed\.img' boots Windows from \\\\wintogo\\\\windows\.vhdx on its partition 3: reading that Windows" \
	"it says it takes the Windows in the stick's VHDX"
like "$OUT" 'Plan: image 1 of .*"Windows 10 Pro"' "and plans that Windows onto a disk of its own"
check "nothing is left in the stage" no_leftovers "$STAGE"
check "qemu-img check passes on the QCOW2" qemu-img check -q "$OUTDIR/stick.qcow2"
qemu-img convert -O raw "$OUTDIR/stick.qcow2" "$TMP/vm.raw"
rm -f "$OUTDIR/stick.qcow2"
check_disk "$TMP/vm.raw" "$FIXTURES/x64.wim" 1 "the VM disk of the stick"
run_wintogo info --bcd "$TMP/vm.raw"
vm_guid=$(sfdisk --json "$TMP/vm.raw" | jq -r '.partitiontable.partitions[2].uuid')
like "$OUT" "osdevice +partition \\{$vm_guid\\}" "its BCD boots Windows from its own partition 3, no VHDX"
boot_disk "$TMP/vm.raw" ide "$TMP/vmboot.log"
check "OVMF boots the VM disk into the marker boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/vmboot.log"
check "which finds its BCD" grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/vmboot.log"
rm -f "$TMP/vm.raw"
run_wintogo vm --whole-disk --tmpdir "$STAGE" --quiet "$disk" "$OUTDIR/stick.qcow2"
is "$RC" 0 "vm --whole-disk converts the stick as it is"
check "qemu-img compare: that QCOW2 holds the stick's bytes (VHDX and all)" qemu-img compare -q "$disk" "$OUTDIR/stick.qcow2"
rm -f "$OUTDIR/stick.qcow2"
run_wintogo vm --whole-disk --quiet "$FIXTURES/x64.wim" "$OUTDIR/stick.qcow2"
check "--whole-disk for a Windows image is a usage error" test "$RC" -eq 2 -a ! -e "$OUTDIR/stick.qcow2"

# the VHDX alone (no ESP in it) gives the same
host_off=$(jq '.partitiontable.partitions[2].start * 512' "$TMP/sfdisk.json")
dd if="$disk" of="$TMP/host.img" bs=1M skip=$((host_off / 1048576)) count=$((host_len / 1048576)) status=none
ntfscat "$TMP/host.img" /wintogo/windows.vhdx >"$TMP/inner.vhdx"
rm -f "$TMP/host.img"
run_wintogo vm --seed 4 --format raw --no-verify --tmpdir "$STAGE" --quiet "$TMP/inner.vhdx" "$OUTDIR/inner.img"
is "$RC" 0 "vm of the VHDX taken out of the stick (MBR, no ESP) exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
is "$(sfdisk --json "$OUTDIR/inner.img" | jq -r '[.partitiontable.label, (.partitiontable.partitions[] | .type)] | join(" ")')" \
	"gpt C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" \
	"and gives a disk with ESP, MSR and Windows, not the ESP-less disk as it is"
rm -f "$OUTDIR/inner.img" "$OUTDIR/inner.img.manifest.json" "$TMP/inner.vhdx"

# write takes the stick as its source too: its Windows onto a plain stick
run_wintogo write --seed 5 --tmpdir "$STAGE" --quiet --no-verify "$disk" "$OUTDIR/copy.img"
is "$RC" 0 "write with the --vhdx stick as the source exits 0"
copy_guid=$(sfdisk --json "$OUTDIR/copy.img" | jq -r '.partitiontable.partitions[2].uuid')
run_wintogo info --bcd "$OUTDIR/copy.img"
like "$OUT" "osdevice +partition \\{$copy_guid\\}" "the new stick boots that Windows from its own partition 3, not from a VHDX"
refuses "a disk image that boots no Windows from a VHDX is refused as a source, saying what to give" \
	"^wintogo: '.*copy\.img' is a disk image that boots no Windows from a VHDX; give a WIM, ESD, SWM, ISO or VHDX \(dd copies a disk as it is\)\$" \
	write --tmpdir "$STAGE" --no-verify "$OUTDIR/copy.img" "$OUTDIR/again.img"
check "and nothing is left behind" sh -c '[ ! -e "$1" ] && [ ! -e "$1.partial" ] && [ -z "$(ls -A "$2")" ]' _ "$OUTDIR/again.img" "$STAGE"
rm -f "$OUTDIR/copy.img" "$OUTDIR/copy.img.manifest.json"

# a stick whose BCD names a partition it does not have (its GUID changed)
cp --sparse=always "$disk" "$TMP/moved.img"
sgdisk -u 3:R "$TMP/moved.img" >/dev/null
refuses "a stick whose BCD names another disk's partition is refused" \
	"the BCD of '.*moved\.img' boots Windows from \\\\wintogo\\\\windows\.vhdx on a partition this disk does not have" \
	vm --tmpdir "$STAGE" "$TMP/moved.img" "$OUTDIR/moved.qcow2"
check "and nothing is left behind" no_leftovers "$STAGE"
check "no OUT" test ! -e "$OUTDIR/moved.qcow2"
rm -f "$TMP/moved.img"
# and one whose host NTFS is damaged (its boot sector zeroed), under ASan
cp --sparse=always "$disk" "$TMP/damaged.img"
dd if=/dev/zero of="$TMP/damaged.img" bs=512 seek=$((host_off / 512)) count=1 conv=notrunc status=none
use_asan
run_wintogo vm --tmpdir "$STAGE" "$TMP/damaged.img" "$OUTDIR/damaged.qcow2"
WINTOGO=$release
like "$RC:$(tail -1 <<<"$ERR")" "^1:wintogo: cannot open the NTFS on partition 3 of '.*damaged\.img' \(libntfs-3g\)" \
	"a stick whose host NTFS is damaged fails in one error line naming the partition"
check "with no sanitizer report" test -z "$(grep -e 'Sanitizer' <<<"$ERR")"
check "and nothing left behind" sh -c '[ ! -e "$1" ] && [ -z "$(ls -A "$2")" ]' _ "$OUTDIR/damaged.qcow2" "$STAGE"
rm -f "$TMP/damaged.img"
run_wintogo probe --json "$disk"
like "$(jq -r '[.reasons[].id] | join(" ")' <<<"$OUT")" 'vhdx-boot' "probe notes that the stick boots Windows from a VHDX (vhdx-boot)"
rm -f "$disk" "$disk.manifest.json"

# --- editions ---
run_wintogo write --vhdx --dry-run --index 1 "$FIXTURES/multi.wim" "$OUTDIR/home.img"
like "$OUT" 'warning \(vhdx-boot-edition\): this image is edition Core, which cannot boot from a VHDX' \
	"the plan warns that Home (EDITIONID Core) cannot boot from a VHDX"
run_wintogo write --vhdx --dry-run --json --index 1 "$FIXTURES/multi.wim" "$OUTDIR/home.img"
is "$(head -1 <<<"$OUT" | jq -r .plan.vhdx.edition_boots_from_vhdx)" false "and says so in its JSON"
run_wintogo write --vhdx --dry-run --json --index 3 "$FIXTURES/multi.wim" "$OUTDIR/edu.img"
is "$(head -1 <<<"$OUT" | jq -r .plan.vhdx.edition_boots_from_vhdx)" true "Education can"
run_wintogo write --vhdx --dry-run --index 2 "$FIXTURES/multi.wim" "$OUTDIR/pro.img"
check "Pro 19045 gets no warning" test -z "$(grep -e vhdx-boot-edition <<<"$OUT")"
run_wintogo probe --json --index 1 "$FIXTURES/multi.wim"
is "$(jq -r '.reasons[] | select(.id == "vhdx-boot-edition") | "\(.severity) \(.fact)"' <<<"$OUT")" \
	"note the image is edition Core" "probe of a Home image: the vhdx-boot-edition note"
run_wintogo probe --json --index 2 "$FIXTURES/multi.wim"
is "$(jq -r '[.reasons[] | select(.id == "vhdx-boot-edition")] | length' <<<"$OUT")" 0 "none for Pro"

# --- onto a stick that held something else (a loop device; root) ---
# Where the VHDX is zeros the stage has holes: on a used stick they must
# still read as zeros inside the VHDX, or Windows' NTFS in it would find
# old bytes where mkntfs left zeros.
if [ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null; then
	backing=$TMP/stick.img
	yes WINTOGO | head -c $((1024 * 1048576)) >"$backing"
	loop=$(losetup -f --show "$backing" 2>/dev/null)
fi
if [ -n "${loop:-}" ]; then
	run_wintogo write --vhdx --yes --seed 7 --vhdx-size 256M --tmpdir "$STAGE" --quiet "$FIXTURES/x64.wim" "$loop"
	is "$RC" 0 "write --vhdx --yes to a used stick (a loop device) exits 0"
	[ "$RC" -eq 0 ] || diag "$ERR"
	losetup -d "$loop"
	off=$(sfdisk --json "$backing" | jq '.partitiontable.partitions[2].start * 512')
	dd if="$backing" of="$TMP/host.img" bs=1M skip=$((off / 1048576)) status=none
	ntfscat "$TMP/host.img" /wintogo/windows.vhdx >"$TMP/stick.vhdx"
	check "qemu-img check passes on the stick's VHDX" qemu-img check -q "$TMP/stick.vhdx"
	qemu-img convert -O raw "$TMP/stick.vhdx" "$TMP/stick.raw"
	nonzero=$(tr -d '\0' <"$TMP/stick.raw" | wc -c)
	check "its disk holds no old bytes ($nonzero non-zero bytes; the image file's disk had $inner_nonzero)" \
		test "$nonzero" -le $((inner_nonzero + 1048576))
	rm -f "$backing" "$TMP/host.img" "$TMP/stick.vhdx" "$TMP/stick.raw"
else
	skip "needs root and a loop device"
	skip "needs root and a loop device"
	skip "needs root and a loop device"
fi

# --- a dynamic VHDX ---
run_wintogo write --vhdx=dynamic --seed 8 --size 1G --vhdx-size 256M --tmpdir "$STAGE" --json --no-verify "$FIXTURES/x64.wim" "$OUTDIR/dyn.img"
is "$RC" 0 "write --vhdx=dynamic exits 0"
plan=$(head -1 <<<"$OUT")
is "$(jq -r .plan.vhdx.type <<<"$plan")" dynamic "the plan says dynamic"
host_off=$(sfdisk --json "$OUTDIR/dyn.img" | jq '.partitiontable.partitions[2].start * 512')
host_len=$(sfdisk --json "$OUTDIR/dyn.img" | jq '.partitiontable.partitions[2].size * 512')
dd if="$OUTDIR/dyn.img" of="$TMP/host.img" bs=1M skip=$((host_off / 1048576)) count=$((host_len / 1048576)) status=none
ntfscat "$TMP/host.img" /wintogo/windows.vhdx >"$TMP/dyn.vhdx"
check "qemu-img check passes on the dynamic VHDX" qemu-img check -q "$TMP/dyn.vhdx"
like "$(vhdiinfo "$TMP/dyn.vhdx" 2>/dev/null)" 'Disk type[[:space:]]*: Dynamic' "libvhdi's vhdiinfo reads a dynamic VHDX"
dyn_size=$(stat -c %s "$TMP/dyn.vhdx")
check "the file is what it stores ($dyn_size bytes), not its expanded size" test "$dyn_size" -lt $((256 * 1048576))
qemu-img convert -O raw "$TMP/dyn.vhdx" "$TMP/inner.raw"
is "$(sfdisk --json "$TMP/inner.raw" | jq -r '.partitiontable | "\(.label) \(.id)"')" "dos 0x$(jq -r .plan.vhdx.disk.signature <<<"$plan")" \
	"its inner disk is the planned MBR disk"
like "$(ntfsinfo -v -F /wintogo/windows.vhdx "$TMP/host.img" 2>/dev/null | sed -n '/Dumping attribute \$DATA/,$p')" \
	"Initialized size:[[:space:]]+$dyn_size " "its clusters are allocated and initialized in the host"
free=$(ntfsinfo -m "$TMP/host.img" 2>/dev/null | sed -n 's/.*Free Clusters:[[:space:]]*\([0-9]*\).*/\1/p')
check "and the host has room for its expanded size ($free free clusters)" \
	test $((free * 4096 + dyn_size)) -ge "$(jq -r .plan.vhdx.file_size <<<"$plan")"
rm -f "$TMP/inner.raw" "$TMP/dyn.vhdx" "$TMP/host.img" "$OUTDIR/dyn.img" "$OUTDIR/dyn.img.manifest.json"

# --- a VHDX as the source: its Windows, applied into the new VHDX ---
run_wintogo vm --format vhdx --quiet --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$TMP/source.vhdx"
run_wintogo write --vhdx --seed 9 --size 1G --vhdx-size 256M --tmpdir "$STAGE" --quiet --no-verify "$TMP/source.vhdx" "$OUTDIR/from-vhdx.img"
is "$RC" 0 "write --vhdx takes a VHDX with Windows as the source"
esp_off=$(sfdisk --json "$OUTDIR/from-vhdx.img" | jq '.partitiontable.partitions[0].start * 512')
mcopy -n -i "$OUTDIR/from-vhdx.img@@$esp_off" ::/EFI/Microsoft/Boot/BCD "$TMP/BCD2"
like "$(vhdx_device "$TMP/BCD2" default 21000001)" '^ok$' "and its BCD boots the new VHDX"
rm -f "$TMP/source.vhdx" "$OUTDIR/from-vhdx.img" "$OUTDIR/from-vhdx.img.manifest.json"

# --- on an MBR stick: the host named by offset and signature, in both stores ---
run_wintogo write --vhdx --partition-table mbr --seed 11 --size 1G --vhdx-size 256M --tmpdir "$STAGE" --json \
	"$FIXTURES/x64.wim" "$OUTDIR/mbr.img"
is "$RC" 0 "write --vhdx --partition-table mbr exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
mplan=$(head -1 <<<"$OUT")
sfdisk --json "$OUTDIR/mbr.img" >"$TMP/mbr.json"
is "$(jq -r '.partitiontable | "\(.label) \([.partitions[].type] | join(" "))"' "$TMP/mbr.json")" "dos c 7" \
	"sfdisk sees the MBR stick: the system partition and the NTFS host"
sys_off=$(jq '.partitiontable.partitions[0].start * 512' "$TMP/mbr.json")
host_off=$(jq '.partitiontable.partitions[1].start * 512' "$TMP/mbr.json")
stick_sig=$(jq -r '.partitiontable.id' "$TMP/mbr.json" | sed 's/^0x//')
inner_sig=$(jq -r .plan.vhdx.disk.signature <<<"$mplan")
mcopy -n -i "$OUTDIR/mbr.img@@$sys_off" ::/EFI/Microsoft/Boot/BCD "$TMP/BCD-uefi"
mcopy -n -i "$OUTDIR/mbr.img@@$sys_off" ::/Boot/BCD "$TMP/BCD-bios"
is "$(vhdx_device "$TMP/BCD-uefi" default 21000001 "$inner_sig" "offset:$host_off" "$stick_sig" '\wintogo\windows.vhdx')" ok \
	"the UEFI store's osdevice: the VHDX on the partition at $host_off of MBR disk $stick_sig"
is "$(vhdx_device "$TMP/BCD-bios" default 21000001 "$inner_sig" "offset:$host_off" "$stick_sig" '\wintogo\windows.vhdx')" ok \
	"and the BIOS store's"
part_img=$TMP/mbrhost.img
dd if="$OUTDIR/mbr.img" of="$part_img" bs=512 skip=$((host_off / 512)) \
	count="$(jq '.partitiontable.partitions[1].size' "$TMP/mbr.json")" status=none
check "ntfscat finds the VHDX on the MBR stick's NTFS" sh -c 'ntfscat "$1" /wintogo/windows.vhdx | head -c 8 | grep -q vhdxfile' _ "$part_img"
run_wintogo vm --tmpdir "$STAGE" "$OUTDIR/mbr.img" "$OUTDIR/mbr.qcow2"
like "$RC:$ERR" "^0:.*boots Windows from .* on its partition 2" "vm of the MBR stick finds its VHDX by offset and signature"
check "and makes a GPT VM disk of its Windows" \
	sh -c 'qemu-img convert -O raw "$1" "$2" && sfdisk --json "$2" | grep -q "\"label\": \"gpt\""' _ "$OUTDIR/mbr.qcow2" "$TMP/mbrvm.raw"
rm -f "$part_img" "$TMP/BCD-uefi" "$TMP/BCD-bios" "$TMP/mbr.json" "$OUTDIR/mbr.img" "$OUTDIR/mbr.img.manifest.json" \
	"$OUTDIR/mbr.qcow2" "$TMP/mbrvm.raw"

# --- refusals ---
refuses "a dynamic VHDX that could not expand in the host partition is refused with the numbers" \
	'dynamic VHDX of 2\.0 GiB grows to 2\.0 GiB when Windows boots from it .*host partition of [0-9.]+ MiB has room for [0-9.]+ MiB at most; give --vhdx-size [0-9]+M or less' \
	write --vhdx=dynamic --size 1G --vhdx-size 2G --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/big.img"
check "and nothing is left behind" no_leftovers "$STAGE" "$OUTDIR"
refuses "a fixed one too" 'fixed VHDX of 2\.0 GiB takes 2\.0 GiB, but the host partition' \
	write --vhdx --size 1G --vhdx-size 2G --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/big.img"
refuses "a VHDX too small for the image is refused" 'a VHDX of 16\.0 MiB is too small for the image: it needs at least' \
	write --vhdx --size 1G --vhdx-size 16M --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/big.img"
run_wintogo write --vhdx-size 1G "$FIXTURES/x64.wim" "$OUTDIR/big.img"
check "--vhdx-size needs --vhdx (usage error)" test "$RC" -eq 2 -a -n "$(grep -e '--vhdx-size is for --vhdx' <<<"$ERR")"
run_wintogo write --vhdx=sparse "$FIXTURES/x64.wim" "$OUTDIR/big.img"
check "--vhdx takes fixed or dynamic (usage error)" test "$RC" -eq 2 -a -n "$(grep -e 'fixed or dynamic' <<<"$ERR")"
check "nothing is left behind by the refusals" no_leftovers "$STAGE" "$OUTDIR"

done_testing
