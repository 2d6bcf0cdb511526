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

. "$TESTS_DIR/utm_wizard.sh"

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
# (its output elsewhere: prove waits for whatever holds the test's stdout)
flock "$TMP/utm/Busy.utm.partial" sleep 60 </dev/null >/dev/null 2>&1 &
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
pkill -P "$holder" sleep  # flock's child holds the lock
kill "$holder" 2>/dev/null
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
