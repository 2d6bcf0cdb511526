#!/bin/bash
# wintogo vm --format vmdk --vmware DIR and --format parallels --parallels
# DIR: the disks checked and compared by qemu-img, the VMDK booted in OVMF,
# the .vmx and DiskDescriptor.xml parsed, the prlctl script checked by
# bash -n, its options against the documented ones, and run against a
# stand-in prlctl that records what it is asked.
. "$(dirname "$0")/lib.sh"
need_fixtures
PY=/usr/bin/python3
STAGE=$TMP/stage
mkdir -p "$STAGE" "$TMP/mac"

for arch in x64 arm64; do
	run_wintogo write --quiet --seed 9 --tmpdir "$STAGE" "$FIXTURES/$arch.wim" "$TMP/$arch.img"
	is "$RC" 0 "write an $arch disk image to convert"
done
size=$(stat -c %s "$TMP/x64.img")

# --- VMware Fusion ---
run_wintogo vm --quiet --tmpdir "$STAGE" --format vmdk "$TMP/x64.img" "$TMP/x64.vmdk"
is "$RC" 0 "vm --format vmdk"
like "$(qemu-img check "$TMP/x64.vmdk" 2>&1)" "No errors were found" "qemu-img check finds no errors in the VMDK"
like "$(qemu-img compare "$TMP/x64.vmdk" "$TMP/x64.img" 2>&1)" "Images are identical" \
	"qemu-img compare: the VMDK holds exactly the disk"
qemu-img info --output=json "$TMP/x64.vmdk" >"$TMP/info.json"
is "$(jq -r '"\(.format) \(."format-specific".data."create-type") \(."virtual-size")"' "$TMP/info.json")" \
	"vmdk monolithicSparse $size" "a monolithicSparse VMDK of the disk's size"
check "sparse: smaller than the disk" test "$(stat -c %s "$TMP/x64.vmdk")" -lt "$((size / 4))"
check "the raw stage is gone" no_leftovers "$STAGE"

# vmx_check VMX KEY=VALUE...: every line is key = "value" (|XX decoded) and
# the keys given have those values
vmx_check() {
	$PY - "$@" <<'PY'
import re, sys
path, *want = sys.argv[1:]
vmx, bad = {}, []
for n, line in enumerate(open(path, encoding='utf-8'), 1):
    m = re.fullmatch(r'([A-Za-z0-9_.:]+) = "([^"]*)"\n', line)
    if not m:
        bad.append('line %d is not key = "value": %r' % (n, line))
        continue
    if m.group(1) in vmx:
        bad.append('%s twice' % m.group(1))
    vmx[m.group(1)] = re.sub(r'\|([0-9A-F]{2})', lambda h: chr(int(h.group(1), 16)), m.group(2))
for kv in want:
    k, v = kv.split('=', 1)
    if vmx.get(k) != v:
        bad.append('%s = %r, want %r' % (k, vmx.get(k), v))
for k in ('tpm2.present', 'managedvm.autoAddVTPM'):
    if k in vmx:
        bad.append('%s: a vTPM is for Fusion to add' % k)
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
}
name='Windows "Go" | #1'
run_wintogo vm --quiet --tmpdir "$STAGE" --format vmdk --vmware "$TMP/mac" --vm-name "$name" \
	--cpus 2 --memory 4G "$TMP/x64.img" "$TMP/x64b.vmdk"
is "$RC" 0 "vm --format vmdk --vmware DIR"
bundle=$TMP/mac/$name.vmwarevm
is "$(cd "$bundle" && ls | sort | tr '\n' ' ')" "$name.vmdk $name.vmx " "NAME.vmwarevm holds NAME.vmdk and NAME.vmx"
check "the .vmx parses and says efi, NVMe, windows11-64, 4096 MiB, 2 CPUs, the name and the disk" \
	vmx_check "$bundle/$name.vmx" firmware=efi guestOS=windows11-64 memsize=4096 numvcpus=2 \
	"displayName=$name" "nvme0:0.fileName=$name.vmdk" nvme0.present=TRUE nvme0:0.present=TRUE \
	uefi.secureBoot.enabled=TRUE .encoding=UTF-8
check "the disk it names is the VMDK" cmp "$bundle/$name.vmdk" "$TMP/x64b.vmdk"
like "$(qemu-img compare "$bundle/$name.vmdk" "$TMP/x64.img" 2>&1)" "Images are identical" \
	"and holds exactly the disk"
run_wintogo vm --quiet --tmpdir "$STAGE" --format vmdk --vmware "$TMP/mac" --vm-name ARM "$TMP/arm64.img" "$TMP/arm.vmdk"
is "$RC" 0 "vm --format vmdk --vmware of an arm64 disk"
check "its guestOS is arm-windows11-64, 8 GiB and 4 CPUs by default" \
	vmx_check "$TMP/mac/ARM.vmwarevm/ARM.vmx" guestOS=arm-windows11-64 memsize=8192 numvcpus=4 firmware=efi
run_wintogo vm --quiet --json --seed 9 --tmpdir "$STAGE" --format vmdk --vmware "$TMP/mac" \
	"$FIXTURES/x64.wim" "$TMP/wim.vmdk"
is "$RC" 0 "vm --format vmdk --vmware from a WIM"
is "$(jq -sr '.[-1].vmware' <<<"$OUT")" "$TMP/mac/Windows 10 Pro.vmwarevm" "--json ends with {\"vmware\":PATH}"
boot_disk "$TMP/wim.vmdk" nvme "$TMP/boot.log" vmdk
check "OVMF boots the VMDK from NVMe into the boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot.log"

# --- Parallels Desktop ---
run_wintogo vm --quiet --tmpdir "$STAGE" --format parallels --parallels "$TMP/mac" --vm-name "P's \$(x)" \
	"$TMP/x64.img" "$TMP/x64.hds"
is "$RC" 0 "vm --format parallels --parallels DIR"
hdd=$TMP/mac/P\'s\ \$\(x\).hdd
image="P's \$(x).hdd.0.{5fbaabe3-6958-40ff-92a7-860e329aab41}.hds"
is "$(cd "$hdd" && ls | sort | tr '\n' ' ')" "DiskDescriptor.xml $image " \
	"NAME.hdd holds DiskDescriptor.xml and the image NAME.hdd.0.{GUID}.hds"
like "$(qemu-img check -f parallels "$hdd/$image" 2>&1)" "No errors were found" \
	"qemu-img check -f parallels finds no errors"
like "$(qemu-img compare -f parallels -F raw "$hdd/$image" "$TMP/x64.img" 2>&1)" "Images are identical" \
	"qemu-img compare: the Parallels image holds exactly the disk"
check "xmllint parses DiskDescriptor.xml" xmllint --noout "$hdd/DiskDescriptor.xml"
x() { xmllint --xpath "string($1)" "$hdd/DiskDescriptor.xml"; }
sectors=$((size / 512))
is "$(x /Parallels_disk_image/@Version) $(x //Disk_size) $(x //Storage/Start) $(x //Storage/End)" \
	"1.0 $sectors 0 $sectors" "Version 1.0; Disk_size, Start and End in 512-byte sectors of the disk"
is "$(($(x //Cylinders) * $(x //Heads) * $(x //Disk_Parameters/Sectors))) $(x //Padding)" "$sectors 0" \
	"Cylinders x Heads x Sectors = Disk_size, Padding 0 (prl-xml.rst)"
is "$(x //Image/GUID) $(x //Shot/GUID) $(x //Shot/ParentGUID) $(x //Image/Type)" \
	"{5fbaabe3-6958-40ff-92a7-860e329aab41} {5fbaabe3-6958-40ff-92a7-860e329aab41} {00000000-0000-0000-0000-000000000000} Compressed" \
	"one expanding image, the top snapshot, whose parent is the null GUID"
is "$(x //Image/File)" "$image" "its File is the image beside DiskDescriptor.xml"
# the image's own header: cluster size in sectors ("tracks", bytes 28-31)
is "$($PY -c 'import struct, sys; h = open(sys.argv[1], "rb").read(64); print(h[:16].decode(), struct.unpack("<I", h[28:32])[0])' "$hdd/$image")" \
	"WithouFreSpacExt $(x //Blocksize)" "the image is Parallels' expanding format (parallels.rst) with the Blocksize as its cluster"
script=$TMP/mac/P\'s\ \$\(x\).prlctl.sh
check "NAME.prlctl.sh is executable" test -x "$script"
check "bash -n passes on it" bash -n "$script"
check "dash -n too (it is sh)" sh -n "$script"
# The prlctl options the script may use, as Parallels Desktop's
# Command-Line Reference documents them for prlctl create, set and list.
documented="create: --distribution --ostype --no-hdd --dst
set: --cpus --memsize --efi-boot --device-add --image --iface --position --device-bootorder
list: --info --all"
prl_options() {
	grep -o 'prlctl [a-z]* .*' "$script" | while read -r _ sub rest; do
		for w in $rest; do
			case $w in --*) echo "$sub: $w" ;; esac
		done
	done | sort -u
}
undocumented=$(prl_options | while IFS=': ' read -r sub opt; do
	grep -q "^$sub:.* $opt\( \|$\)" <<<"$documented" || echo "$sub $opt"
done)
is "$undocumented" "" "the script names only prlctl options the reference documents"
is "$(prl_options | grep -c .)" 11 "and uses the ones it should (create, cpus, memory, EFI, disk, boot, TPM)"
# run it with a stand-in prlctl that records its argv, one word a line
mkdir -p "$TMP/bin" "$TMP/mac copy"
cat >"$TMP/bin/prlctl" <<'SH'
#!/bin/sh
printf '%s\n' "$@" "--" >>"$PRL_LOG"
SH
chmod +x "$TMP/bin/prlctl"
PRL_LOG=$TMP/prl.log PATH=$TMP/bin:$PATH sh "$script" >"$TMP/prl.out" 2>&1
is "$?" 0 "the script runs (with a stand-in prlctl)"
$PY - "$TMP/prl.log" "P's \$(x)" "$hdd" >"$TMP/prl.check" 2>&1 <<'PY'
import sys
log, name, hdd = sys.argv[1:]
calls, cur = [], []
for w in open(log).read().split('\n')[:-1]:
    if w == '--':
        calls.append(cur); cur = []
    else:
        cur.append(w)
want = [
    ['create', name, '--distribution', 'win-11', '--no-hdd'],
    ['set', name, '--cpus', '4', '--memsize', '8192'],
    ['set', name, '--efi-boot', 'on'],
    ['set', name, '--device-add', 'hdd', '--image', hdd, '--iface', 'nvme', '--position', '0'],
    ['set', name, '--device-bootorder', 'hdd0'],
    ['list', '--info', name],
    ['set', name, '--device-add', 'tpm'],
]
for i, (g, w) in enumerate(zip(calls, want)):
    if g != w:
        print('call %d: %r, want %r' % (i + 1, g, w))
if len(calls) != len(want):
    print('%d calls, want %d' % (len(calls), len(want)))
PY
is "$(cat "$TMP/prl.check")" "" "prlctl is asked for the VM by its exact name, with the bundle's absolute path"
run_wintogo vm --quiet --tmpdir "$STAGE" --format parallels --parallels "$TMP/mac" --vm-name "P's \$(x)" \
	"$TMP/x64.img" "$TMP/x64c.hds"
is "$RC:$(grep -c "already exists; use --force" <<<"$ERR")" "1:1" "an existing NAME.hdd is refused without --force"
check "before OUT is written" test ! -e "$TMP/x64c.hds"
rm -rf "$hdd"
run_wintogo vm --quiet --tmpdir "$STAGE" --format parallels --parallels "$TMP/mac" --vm-name "P's \$(x)" \
	"$TMP/x64.img" "$TMP/x64c.hds"
like "$ERR" "P's \\\$\(x\)\.prlctl\.sh' already exists; use --force" "so is an existing NAME.prlctl.sh"
run_wintogo vm --quiet --force --tmpdir "$STAGE" --format parallels --parallels "$TMP/mac" --vm-name "P's \$(x)" \
	"$TMP/x64.img" "$TMP/x64c.hds"
is "$RC" 0 "--force replaces them"

# a disk that is no whole number of 256 KiB: refused before anything is written
cp "$TMP/x64.img" "$TMP/odd.img"
truncate -s +512 "$TMP/odd.img"
run_wintogo vm --quiet --tmpdir "$STAGE" --format parallels "$TMP/odd.img" "$TMP/odd.hds"
is "$RC:$(grep -c 'a Parallels disk is a whole number of 256 KiB' <<<"$ERR")" "1:1" \
	"a disk of $((size + 512)) bytes cannot be a Parallels disk"
check "and nothing is left" test ! -e "$TMP/odd.hds" -a ! -e "$TMP/odd.hds.partial"

# a bundle that cannot be finished leaves nothing: not the bundle, its
# .partial, the script, nor OUT
if [ -e "${FAULTINJECT:-}" ]; then
	mkdir "$TMP/full"
	env FAULT_PROGRAM=wintogo FAULT_PATH=DiskDescriptor.xml FAULT_CALL=pwrite,write FAULT_ERRNO=ENOSPC \
		FAULT_LOG="$TMP/fault.log" LD_PRELOAD="$FAULTINJECT" "$WINTOGO" vm --quiet --tmpdir "$STAGE" \
		--format parallels --parallels "$TMP/full" --vm-name F "$TMP/x64.img" "$TMP/full.hds" \
		>"$TMP/stdout" 2>"$TMP/stderr"
	RC=$?
	ERR=$(cat "$TMP/stderr")
	check "a full disk under DiskDescriptor.xml: the fault was made" test -s "$TMP/fault.log"
	is "$RC:$(grep -c '' <<<"$ERR")" "1:1" "the run fails with one line"
	like "$ERR" "cannot write '.*F.hdd.partial/DiskDescriptor.xml': No space left" "naming the file and the reason"
	check "nothing is left in DIR" no_leftovers "$TMP/full"
	check "nor OUT" test ! -e "$TMP/full.hds" -a ! -e "$TMP/full.hds.partial"
else
	skip "no faultinject.so"; skip "-"; skip "-"; skip "-"; skip "-"
fi

# --- usage ---
for args in "--vmware $TMP/mac" "--format qcow2 --vmware $TMP/mac" "--parallels $TMP/mac" \
	"--format vmdk --parallels $TMP/mac" "--format vmdk --vmware $TMP/mac --utm $TMP/mac"; do
	run_wintogo vm $args "$TMP/x64.img" "$TMP/u.out"
	is "$RC" 2 "vm $(sed "s|$TMP/||g" <<<"$args") is a usage error"
done
check "and nothing was written for them" test ! -e "$TMP/u.out"
done_testing
