#!/bin/bash
# wintogo vm --utm: the bundle's config.plist against what UTM 5.0.3's own
# Windows wizard writes, key by key, per architecture; VM names that XML
# must escape, and names no plist can hold refused; the bundle made under a
# locked NAME.utm.partial; a bundle on another file system.
. "$(dirname "$0")/lib.sh"
need_fixtures
PY=/usr/bin/python3
STAGE=$TMP/stage
mkdir -p "$STAGE" "$TMP/utm"

for arch in x64 arm64; do
	run_wintogo write --quiet --seed 7 --tmpdir "$STAGE" "$FIXTURES/$arch.wim" "$TMP/$arch.img"
	is "$RC" 0 "write an $arch disk image to convert"
done

# wizard_table BUNDLE ARCH: every key and value of config.plist against the
# table below, and no key that is not in it.
wizard_table() {
	$PY - "$@" <<'PY'
import plistlib, re, sys, os
bundle, arch = sys.argv[1:]
d = plistlib.load(open(os.path.join(bundle, 'config.plist'), 'rb'))
x86 = arch == 'x86_64'
UUID = re.compile(r'^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$')
MAC = re.compile(r'^[0-9A-F][26AE](:[0-9A-F]{2}){5}$')  # locally administered unicast
ANY_UUID, ANY_MAC, ANY_NAME = object(), object(), object()
# What UTM 5.0.3's wizard writes for a Windows VM on an Apple Silicon Mac
# (Platform/Shared/VMWizardState.swift generateQemuConfig, with the defaults
# of Configuration/UTMQemuConfiguration*.swift): x86_64 emulated (q35),
# aarch64 virtualized (virt).  (key, wizard x86_64, wizard aarch64)
WIZARD = [
    ('Backend', 'QEMU', 'QEMU'),
    ('ConfigurationVersion', 4, 4),
    ('Information.Name', ANY_NAME, ANY_NAME),
    ('Information.Icon', 'windows', 'windows'),
    ('Information.IconCustom', False, False),
    ('Information.UUID', ANY_UUID, ANY_UUID),
    ('System.Architecture', 'x86_64', 'aarch64'),
    ('System.Target', 'q35', 'virt'),
    ('System.CPU', 'default', 'default'),
    ('System.CPUFlagsAdd', [], []),
    ('System.CPUFlagsRemove', [], []),
    ('System.CPUCount', 0, 0),
    ('System.ForceMulticore', False, False),
    ('System.MemorySize', 4096, 4096),
    ('System.JITCacheSize', 0, 0),
    ('QEMU.DebugLog', False, False),
    ('QEMU.UEFIBoot', True, True),
    ('QEMU.RNGDevice', True, True),
    ('QEMU.BalloonDevice', False, False),
    ('QEMU.TPMDevice', True, True),
    ('QEMU.Hypervisor', False, True),
    ('QEMU.TSO', False, False),
    ('QEMU.RTCLocalTime', True, True),
    ('QEMU.PS2Controller', False, False),
    ('QEMU.AdditionalArguments', [], []),
    ('Input.UsbBusSupport', '3.0', '3.0'),
    ('Input.UsbSharing', False, False),
    ('Input.MaximumUsbShare', 3, 3),
    ('Sharing.DirectoryShareMode', 'WebDAV', 'WebDAV'),
    ('Sharing.DirectoryShareReadOnly', False, False),
    ('Sharing.ClipboardSharing', True, True),
    ('Display.0.Hardware', 'virtio-vga-gl', 'virtio-ramfb-gl'),
    ('Display.0.DynamicResolution', True, True),
    ('Display.0.UpscalingFilter', 'Nearest', 'Nearest'),
    ('Display.0.DownscalingFilter', 'Linear', 'Linear'),
    ('Display.0.NativeResolution', False, False),
    # the wizard's drives: [installer CD, disk, guest tools CD]; a disk
    # that holds Windows already has no installer, so ours start at the disk
    ('Drive.0.ImageName', '<UUID>.qcow2', '<UUID>.qcow2'),
    ('Drive.0.ImageType', 'Disk', 'Disk'),
    ('Drive.0.Interface', 'IDE', 'NVMe'),
    ('Drive.0.InterfaceVersion', 1, 1),
    ('Drive.0.Identifier', ANY_UUID, ANY_UUID),
    ('Drive.0.ReadOnly', False, False),
    # "Install drivers and SPICE tools": removable (no ImageName)
    ('Drive.1.ImageType', 'CD', 'CD'),
    ('Drive.1.Interface', 'IDE', 'USB'),
    ('Drive.1.InterfaceVersion', 1, 1),
    ('Drive.1.Identifier', ANY_UUID, ANY_UUID),
    ('Drive.1.ReadOnly', True, True),
    ('Network.0.Mode', 'Shared', 'Shared'),
    ('Network.0.Hardware', 'e1000', 'virtio-net-pci'),
    ('Network.0.MacAddress', ANY_MAC, ANY_MAC),
    ('Network.0.IsolateFromHost', False, False),
    ('Network.0.PortForward', [], []),
    ('Serial', [], []),
    ('Sound.0.Hardware', 'intel-hda', 'intel-hda'),
]
# Where ours differ, and why (the man page says the same):
OURS = {
    # 0 is "as the host" for a virtualized guest but one core for an
    # emulated x86_64 one (emulatedCpuCount); --cpus, default 4
    'System.CPUCount': (4, 4),
    # --memory, default 8G: Windows 11 wants 4 GiB and runs better with more
    'System.MemorySize': (8192, 8192),
    # the disk's name is ours to choose; UTM keeps any name in Data/
    'Drive.0.ImageName': ('DISK.qcow2', 'DISK.qcow2'),
}
def flat(v, prefix=''):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from flat(x, prefix + k + '.')
    elif isinstance(v, list) and v:
        for i, x in enumerate(v):
            yield from flat(x, prefix + str(i) + '.')
    else:
        yield prefix[:-1], v
got = dict(flat(d))
bad = []
for key, wx, wa in WIZARD:
    want = OURS.get(key, (wx, wa))[0 if x86 else 1]
    if key not in got:
        bad.append('%s missing' % key)
        continue
    v = got.pop(key)
    if want is ANY_UUID:
        ok = isinstance(v, str) and UUID.match(v)
    elif want is ANY_MAC:
        ok = isinstance(v, str) and MAC.match(v)
    elif want is ANY_NAME:
        ok = isinstance(v, str) and v
    else:
        ok = v == want and type(v) == type(want)
    if not ok:
        bad.append('%s = %r, want %r' % (key, v, want))
bad += ['%s = %r is not in the table' % kv for kv in got.items()]
ids = [d['Information']['UUID'], d['Drive'][0]['Identifier'], d['Drive'][1]['Identifier']]
if len(set(ids)) != 3:
    bad.append('UUIDs not distinct: %r' % ids)
data = sorted(os.listdir(os.path.join(bundle, 'Data')))
if data != ['DISK.qcow2']:
    bad.append('Data/ holds %r; UTM deletes what it does not know' % data)
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
}

run_wintogo vm --quiet --seed 7 --utm "$TMP/utm" --vm-name X64 "$TMP/x64.img" "$TMP/x64.qcow2"
is "$RC" 0 "vm --utm of an x64 disk"
check "x86_64: every key as UTM's wizard writes it, but CPUCount, MemorySize and the disk's name" \
	wizard_table "$TMP/utm/X64.utm" x86_64
check "xmllint parses it (and finds it valid against nothing but XML)" xmllint --noout "$TMP/utm/X64.utm/config.plist"
check "the bundle's disk is the QCOW2" cmp "$TMP/utm/X64.utm/Data/DISK.qcow2" "$TMP/x64.qcow2"
# as UTM attaches it on q35: IDE, which is the q35 machine's AHCI controller
boot_disk "$TMP/utm/X64.utm/Data/DISK.qcow2" ide "$TMP/boot.log" qcow2
check "OVMF boots the bundle's disk from q35's AHCI (IDE) into the boot manager" \
	grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot.log"
run_wintogo vm --quiet --seed 7 --utm "$TMP/utm" --vm-name ARM "$TMP/arm64.img" "$TMP/arm64.qcow2"
is "$RC" 0 "vm --utm of an arm64 disk"
check "aarch64: every key as UTM's wizard writes it, but CPUCount, MemorySize and the disk's name" \
	wizard_table "$TMP/utm/ARM.utm" aarch64
run_wintogo vm --quiet --force --seed 7 --utm "$TMP/utm" --vm-name X64 "$TMP/x64.img" "$TMP/x64.qcow2"
cp "$TMP/utm/X64.utm/config.plist" "$TMP/again.plist"
run_wintogo vm --quiet --force --seed 7 --utm "$TMP/utm" --vm-name X64 "$TMP/x64.img" "$TMP/x64.qcow2"
is "$RC" 0 "--force replaces the bundle"
check "with the same plist for the same seed" cmp "$TMP/again.plist" "$TMP/utm/X64.utm/config.plist"
check "and no .partial beside it" test ! -e "$TMP/utm/X64.utm.partial"

# --- names: escaped, or refused ---
# name_is BUNDLE NAME: plistlib reads NAME back exactly
name_is() {
	$PY -c 'import plistlib, sys
d = plistlib.load(open(sys.argv[1] + "/config.plist", "rb"))
sys.exit(0 if d["Information"]["Name"] == sys.argv[2] else print(repr(d["Information"]["Name"])) or 1)' "$@"
}
n=0
for name in 'Say "hi"' "it's <b>&amp;<" 'Windows 😀 11' "a > b; c | d ]]>"; do
	n=$((n + 1))
	run_wintogo vm --quiet --utm "$TMP/utm" --vm-name "$name" "$TMP/x64.img" "$TMP/n$n.qcow2"
	is "$RC" 0 "the name '$name' is taken"
	check "xmllint parses the plist for '$name'" xmllint --noout "$TMP/utm/$name.utm/config.plist"
	check "plistlib reads the name '$name' back exactly" name_is "$TMP/utm/$name.utm" "$name"
done
for bad in $'tab\there' $'new\nline' $'bell\a' $'del\x7f' $'c1\xc2\x85'; do
	refuses "a name with a control character is refused ($(printf %q "$bad"))" \
		"the VM name has a control character \(U\+00(09|0A|07|7F|85) at byte [0-9]+\); give another with --vm-name" \
		vm --utm "$TMP/utm" --vm-name "$bad" "$TMP/x64.img" "$TMP/bad.qcow2"
done
for bad in $'latin1 \xe9t\xe9' $'stray \x80' $'overlong \xc0\xaf' $'cut \xe2\x82' $'surrogate \xed\xa0\x80' \
	$'big \xf4\x90\x80\x80'; do
	refuses "a name that is not UTF-8 is refused ($(printf %q "$bad"))" \
		"the VM name has bytes that are not UTF-8 \(byte [0-9]+\); give a UTF-8 name with --vm-name" \
		vm --utm "$TMP/utm" --vm-name "$bad" "$TMP/x64.img" "$TMP/bad.qcow2"
done
refuses "a name too long for a file name is refused" "too long for a file name" \
	vm --utm "$TMP/utm" --vm-name "$(printf 'x%.0s' {1..250})" "$TMP/x64.img" "$TMP/bad.qcow2"
check "no OUT was written for the refused names" test ! -e "$TMP/bad.qcow2" -a ! -e "$TMP/bad.qcow2.partial"
check "and no bundle or .partial was made" test "$(ls "$TMP/utm" | grep -c partial)" = 0

# --- the .partial discipline ---
mkdir -p "$TMP/utm/Stale.utm.partial/Data"
echo junk >"$TMP/utm/Stale.utm.partial/Data/old"
run_wintogo vm --quiet --utm "$TMP/utm" --vm-name Stale "$TMP/x64.img" "$TMP/stale.qcow2"
is "$RC" 0 "a stale NAME.utm.partial nobody holds does not stop vm"
is "$(ls "$TMP/utm/Stale.utm/Data")" "DISK.qcow2" "and nothing of it is in the new bundle"
check "nor is it left" test ! -e "$TMP/utm/Stale.utm.partial"
mkdir "$TMP/elsewhere"
echo "keep me" >"$TMP/elsewhere/victim"
ln -s "$TMP/elsewhere" "$TMP/utm/Link.utm.partial"
run_wintogo vm --quiet --utm "$TMP/utm" --vm-name Link "$TMP/x64.img" "$TMP/link.qcow2"
is "$RC" 0 "a NAME.utm.partial that is a symlink does not stop vm"
is "$(ls "$TMP/elsewhere"):$(cat "$TMP/elsewhere/victim")" "victim:keep me" "and the folder it points to is untouched"
check "the bundle is a new folder, not the symlink" test -d "$TMP/utm/Link.utm" -a ! -L "$TMP/utm/Link.utm"
mkdir "$TMP/utm/Busy.utm.partial"
flock "$TMP/utm/Busy.utm.partial" sleep 60 &
holder=$!
for _ in $(seq 50); do
	grep -q FLOCK /proc/locks && flock -n "$TMP/utm/Busy.utm.partial" true || break
	sleep 0.1
done
refuses "a NAME.utm.partial another run holds is refused" \
	"Busy.utm' is being written by another process; wait for it or choose another name" \
	vm --utm "$TMP/utm" --vm-name Busy "$TMP/x64.img" "$TMP/busy.qcow2"
check "before the disk is written" test ! -e "$TMP/busy.qcow2"
check "and the held .partial is left alone" test -d "$TMP/utm/Busy.utm.partial"
kill "$holder"
wait "$holder" 2>/dev/null

# --- another file system: no hard link, a copy ---
SHM=$(mktemp -d /dev/shm/wintogo-utm.XXXXXX)
trap 'rm -rf "$SHM"' EXIT
if [ "$(stat -f -c %T "$SHM")" != "$(stat -f -c %T "$TMP")" ] ||
	[ "$(stat -c %d "$SHM")" != "$(stat -c %d "$TMP")" ]; then
	run_wintogo vm --quiet --utm "$SHM" --vm-name Far "$TMP/x64.img" "$TMP/far.qcow2"
	is "$RC" 0 "--utm on another file system than OUT (link gives EXDEV)"
	[ "$RC" -eq 0 ] || diag "$ERR"
	check "the bundle's disk is a copy of the QCOW2" cmp "$SHM/Far.utm/Data/DISK.qcow2" "$TMP/far.qcow2"
	check "qemu-img check passes on it" qemu-img check -q "$SHM/Far.utm/Data/DISK.qcow2"
	check "and the plist is there" wizard_table "$SHM/Far.utm" x86_64
else
	skip "/dev/shm is on the same file system"
	skip "-"; skip "-"; skip "-"
fi
if [ -e "${FAULTINJECT:-}" ]; then
	env FAULT_PROGRAM=wintogo FAULT_PATH=DISK.qcow2 FAULT_CALL=copy_file_range,pwrite,write \
		FAULT_ERRNO=ENOSPC FAULT_LOG="$TMP/fault.log" LD_PRELOAD="$FAULTINJECT" \
		"$WINTOGO" vm --quiet --utm "$SHM" --vm-name Full "$TMP/x64.img" "$TMP/full.qcow2" \
		>"$TMP/stdout" 2>"$TMP/stderr"
	RC=$?
	ERR=$(cat "$TMP/stderr")
	check "a copy into a full file system: the fault was made" test -s "$TMP/fault.log"
	is "$RC:$(grep -c '' <<<"$ERR")" "1:1" "it fails with one line"
	like "$ERR" "cannot copy '.*full.qcow2' to '.*Full.utm.partial/Data/DISK.qcow2': writing failed: No space left" \
		"naming both files and the reason"
	check "no QCOW2 is left" test ! -e "$TMP/full.qcow2" -a ! -e "$TMP/full.qcow2.partial"
	check "no bundle or .partial is left" no_leftovers "$SHM/Full.utm" "$SHM/Full.utm.partial"
	check "nothing at all of it" test ! -e "$SHM/Full.utm" -a ! -e "$SHM/Full.utm.partial"
else
	skip "no faultinject.so"; skip "-"; skip "-"; skip "-"; skip "-"; skip "-"
fi
done_testing
