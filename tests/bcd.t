#!/bin/bash
# The BCD store of a written disk: what hivexregedit, bcddump.py, hivexsh
# and chntpw read in it, compared with stores Windows wrote, and booted.
. "$(dirname "$0")/lib.sh"
need_fixtures
export MTOOLS_SKIP_CHECK=1
: "${HELPERS:=$ROOT/build/asan/helpers}"
PY=/usr/bin/python3  # Debian's python3-hivex loads only in Debian's python
SAMPLES=$ROOT/fixtures/bcd-samples
STAGE=$TMP/stage
mkdir -p "$STAGE"

# bcd_of DISK OUT: the store on the disk's ESP
bcd_of() {
	local off
	off=$(sfdisk --json "$1" | jq '.partitiontable.partitions[0].start * 512')
	mcopy -n -i "$1@@$off" ::/EFI/Microsoft/Boot/BCD "$2"
}

# element TABLE OBJECT CODE: "REGTYPE LENGTH" of an element in hivexregedit's export
element() {
	awk -v key="[\\\\Objects\\\\$2\\\\Elements\\\\$3]" '
		$0 == key { found = 1; next }
		found && /^"Element"=/ {
			v = $0; sub(/^"Element"=/, "", v)
			if (v ~ /^dword:/) { print "dword 4"; exit }
			t = v; sub(/:.*/, "", t); sub(/^hex\(/, "", t); sub(/\)$/, "", t); if (t == "hex") t = 3
			sub(/^[^:]*:/, "", v); n = split(v, bytes, ","); print t, (v == "" ? 0 : n); exit
		}
		found && /^\[/ { exit }' "$1"
}

disk=$TMP/disk.img
run_wintogo write --quiet --seed 11 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write x64.wim (its BCD-Template is the start)"
bcd_of "$disk" "$TMP/BCD"
check "the ESP has \\EFI\\Microsoft\\Boot\\BCD" test -s "$TMP/BCD"
export_file=$TMP/export.reg
check "hivexregedit exports it" bash -c "hivexregedit --export '$TMP/BCD' '\\' >'$export_file'"
like "$(grep -A3 '^\[\\Description\]' "$export_file")" '"System"=dword:00000001' "Description has System = 1"
like "$(grep -A3 '^\[\\Description\]' "$export_file")" '"KeyName"=hex\(1\)' "and a KeyName string"

bootmgr='{9dea862c-5cdd-4e70-acc1-f32b344d4795}'
memdiag='{b2721d73-1db4-4c62-bf78-c548a880142d}'
$PY "$ROOT/tests/tools/bcddump.py" "$TMP/BCD" | tr -d '\0' >"$TMP/dump.txt"
loader=$(sed -n "/^Object $bootmgr/,/^\$/p" "$TMP/dump.txt" | sed -nE "s/^  23000003 .*'(\{[0-9a-f-]+\}).*/\1/p")
resume=$(sed -n "/^Object $bootmgr/,/^\$/p" "$TMP/dump.txt" | sed -nE "s/^  23000006 .*'(\{[0-9a-f-]+\}).*/\1/p")
check "bootmgr names a default loader" test -n "$loader"
check "and a resume object" test -n "$resume"

# Every object and element bcdboot writes, with its registry type (1 SZ,
# 3 BINARY, 7 MULTI_SZ) and, for fixed-size values, its length.
bad=""
while read -r obj code type len; do
	case $obj in
	loader) guid=$loader ;; resume) guid=$resume ;; bootmgr) guid=$bootmgr ;; memdiag) guid=$memdiag ;;
	*) guid=$obj ;;
	esac
	got=$(element "$export_file" "$guid" "$code")
	if [ "$len" = "-" ]; then got=${got% *}; want=$type; else want="$type $len"; fi
	[ "$got" = "$want" ] || bad+=" $obj/$code(got '$got', want '$want')"
done <<'SPEC'
bootmgr 11000001 3 88
bootmgr 12000002 1 -
bootmgr 12000004 1 -
bootmgr 12000005 1 -
bootmgr 14000006 7 -
bootmgr 23000003 1 78
bootmgr 23000006 1 78
bootmgr 24000001 7 80
bootmgr 24000010 7 80
bootmgr 25000004 3 8
loader 11000001 3 88
loader 12000002 1 -
loader 12000004 1 -
loader 12000005 1 -
loader 14000006 7 80
loader 16000009 3 1
loader 16000060 3 1
loader 17000077 3 8
loader 21000001 3 88
loader 22000002 1 -
loader 23000003 1 78
loader 25000020 3 8
loader 250000c2 3 8
resume 11000001 3 88
resume 12000002 1 -
resume 12000004 1 -
resume 12000005 1 -
resume 14000006 7 80
resume 16000060 3 1
resume 17000077 3 8
resume 21000001 3 88
resume 21000026 3 88
resume 22000002 1 -
resume 25000008 3 8
resume 26000006 3 1
memdiag 11000001 3 88
memdiag 12000002 1 -
memdiag 12000004 1 -
memdiag 12000005 1 -
memdiag 14000006 7 80
memdiag 1600000b 3 1
{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e} 14000006 7 236
{6efb52bf-1766-41db-a6b3-0ee5eff72bd7} 14000006 7 158
{1afa9c49-16ab-4a5c-901b-212802da9460} 14000006 7 80
{4636856e-540f-4170-a130-a84776f4c654} 15000011 3 8
{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9} 16000020 3 1
{7ff607e0-4395-11db-b0de-0800200c9a66} 250000f3 3 8
{7ff607e0-4395-11db-b0de-0800200c9a66} 250000f4 3 8
{7ff607e0-4395-11db-b0de-0800200c9a66} 250000f5 3 8
SPEC
is "$bad" "" "hivexregedit shows every object and element bcdboot writes, typed as Windows types them"
check "{badmemory} exists" grep -q '^\[\\Objects\\{5189b25c-5558-4bf2-bca4-289b11bd29e2}\\Description\]' "$export_file"
for t in 0c334284-9a41-4de1-99b3-a7e87e8ff07e b012b84d-c47c-4ed5-b722-c0c42163e569; do
	check "template object {$t} is removed, as bcdboot removes it" bash -c "! grep -qi '$t' '$export_file'"
done
like "$(grep -c '^  ' "$TMP/dump.txt")" '^[0-9]+$' "bcddump.py decodes the store"
like "$(sed -n "/^Object $loader/,/^\$/p" "$TMP/dump.txt")" "16000009 \[boolean\] BINARY len=1 00" \
	"recoveryenabled is no on the loader (a WTG disk has no WinRE)"
like "$(sed -n "/^Object $loader/,/^\$/p" "$TMP/dump.txt")" "'Windows 10 Pro" "the loader is described by the image's display name"

# --- device elements: same structure as Windows' own, GUIDs of this disk ---
sfdisk --json "$disk" >"$TMP/sfdisk.json"
disk_guid=$(jq -r .partitiontable.id "$TMP/sfdisk.json" | tr A-Z a-z)
esp_guid=$(jq -r '.partitiontable.partitions[0].uuid' "$TMP/sfdisk.json" | tr A-Z a-z)
win_guid=$(jq -r '.partitiontable.partitions[2].uuid' "$TMP/sfdisk.json" | tr A-Z a-z)
# the device lines of bcddump, with GUIDs replaced by what they name
devices() {
	grep -aE '^    @0x(10|20|30|34|38) ' "$1" | sed -E \
		-e "s/\{$2\}/{ESP}/; s/\{$3\}/{WINDOWS}/; s/\{$4\}/{DISK}/" | sort | uniq -c | sed -E 's/^ *([0-9]+) +/\1 /'
}
ours=$(devices "$TMP/dump.txt" "$esp_guid" "$win_guid" "$disk_guid")
like "$ours" "DeviceType=6 Flags=0x0 Size=0x48\(72\) Pad=0" "our devices are type-6 partitions of size 0x48"
like "$ours" "PartitionStyle=0 \(GPT\)" "with partition style 0 (GPT)"
like "$ours" "^2 @0x20 PartitionGUID=\{ESP\}" "bootmgr and memdiag are on the ESP that sfdisk sees"
like "$ours" "^5 @0x20 PartitionGUID=\{WINDOWS\}" "loader and resume devices are the Windows partition sfdisk sees"
like "$ours" "^7 @0x38 DiskGUID=\{DISK\}" "every device names the disk GUID sfdisk sees"
is "$(printf '%s\n' "$ours" | grep -cvE 'ESP|WINDOWS|DISK|DeviceType=6 Flags=0x0 Size=0x48|BlockIoType=0|PartitionStyle=0')" 0 \
	"nothing else appears in our device elements"
$PY "$ROOT/tests/tools/bcddump.py" "$SAMPLES/Windows2Go_BCD" 2>/dev/null | tr -d '\0' >"$TMP/sample.txt"
theirs=$(sed -n "/^Object $bootmgr/,/^\$/p" "$TMP/sample.txt" | grep -E '^    @0x(10|30|34) ' | sort -u)
is "$(sed -n "/^Object $bootmgr/,/^\$/p" "$TMP/dump.txt" | grep -E '^    @0x(10|30|34) ' | sort -u)" "$theirs" \
	"bootmgr's device header decodes like Windows' own (same decoder)"

# --- built for a sample's layout, our store equals the sample's ---
build_like_sample() { "$HELPERS/mkbcd" "$1" 17b16537-abcc-4487-9792-e63a0a7dc8b4 \
	37d07619-d161-4cd7-a37a-df33df1e3d7f "$2" ${3:+"$3"}; }
build_like_sample "$TMP/like.bcd" 60664987-ce0e-411b-9db7-86248b86bbb2
check "a store built from scratch for Windows2Go_BCD's layout equals it element by element" \
	"$ROOT/tests/tools/bcdcompare.py" "$TMP/like.bcd" "$SAMPLES/Windows2Go_BCD"
wimextract "$FIXTURES/x64.wim" 1 /Windows/System32/config/BCD-Template --dest-dir="$TMP" --no-acls >/dev/null
build_like_sample "$TMP/like-template.bcd" 60664987-ce0e-411b-9db7-86248b86bbb2 "$TMP/BCD-Template"
check "so does one built from the image's BCD-Template" \
	"$ROOT/tests/tools/bcdcompare.py" "$TMP/like-template.bcd" "$SAMPLES/Windows2Go_BCD"
build_like_sample "$TMP/unlike.bcd" 00000000-ce0e-411b-9db7-86248b86bbb2
check "the comparison fails for a store with another disk GUID" \
	bash -c "! '$ROOT/tests/tools/bcdcompare.py' '$TMP/unlike.bcd' '$SAMPLES/Windows2Go_BCD' >/dev/null"

# --- from an empty hive: an image without BCD-Template ---
run_wintogo write --quiet --seed 11 --tmpdir "$STAGE" "$FIXTURES/nobcd.wim" "$TMP/nobcd.img"
is "$RC" 0 "write nobcd.wim (store from an empty hive)"
bcd_of "$TMP/nobcd.img" "$TMP/nobcd.BCD"
like "$(printf 'cd Objects\nls\n' | hivexsh "$TMP/nobcd.BCD" 2>&1)" "9dea862c" "hivexsh opens it and lists {bootmgr}"
if command -v reged >/dev/null; then
	reged -x "$TMP/nobcd.BCD" 'HKEY_LOCAL_MACHINE\BCD' '\' "$TMP/reged.reg" >/dev/null 2>&1
	like "$(cat "$TMP/reged.reg" 2>/dev/null)" 'Objects\\\{9dea862c' "chntpw's reged reads it too"
else
	skip "chntpw is not installed"
fi
$PY "$ROOT/tests/tools/bcddump.py" "$TMP/nobcd.BCD" | tr -d '\0' >"$TMP/nobcd.txt"
is "$(grep -c '^Object' "$TMP/nobcd.txt")" 11 "it has the 11 objects of a bcdboot store"
like "$(cat "$TMP/nobcd.txt")" "Description.KeyName type=SZ BCD00000000" "and the KeyName of a system store"

# --- the firmware boots it and the boot manager finds the store ---
boot_disk "$disk" usb "$TMP/boot.log"
check "OVMF boots the disk from USB" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot.log"
check "and the boot manager finds a registry hive at \\EFI\\Microsoft\\Boot\\BCD" \
	grep -aq 'WINTOGO-FIXTURE-BCD: regf' "$TMP/boot.log"

# --- a corrupt BCD-Template ---
cp "$FIXTURES/x64.wim" "$TMP/badtemplate.wim"
head -c 8192 /dev/urandom >"$TMP/garbage"
printf 'add %s /Windows/System32/config/BCD-Template\n' "$TMP/garbage" |
	wimupdate "$TMP/badtemplate.wim" 1 >/dev/null
refuses "a corrupt BCD-Template is a one-line error, not a crash" "BCD-Template is not a registry hive.*--bcd-from-scratch" \
	write --quiet --tmpdir "$STAGE" "$TMP/badtemplate.wim" "$TMP/bad.img"
check "and leaves nothing behind" no_leftovers "$STAGE"
check "no disk image either" test ! -e "$TMP/bad.img"
run_wintogo write --quiet --bcd-from-scratch --locale de-DE --tmpdir "$STAGE" "$TMP/badtemplate.wim" "$TMP/scratch.img"
is "$RC" 0 "--bcd-from-scratch builds the store from an empty hive instead"
bcd_of "$TMP/scratch.img" "$TMP/scratch.BCD"
like "$($PY "$ROOT/tests/tools/bcddump.py" "$TMP/scratch.BCD" | tr -d '\0')" "12000005 \[string\] SZ len=12 'de-DE" \
	"--locale sets the boot menu language"
run_wintogo write --locale 'de DE' "$FIXTURES/x64.wim" "$TMP/x.img"
is "$RC" 2 "a malformed --locale is a usage error"

# --- info --bcd ---
run_wintogo info --bcd "$disk"
is "$RC" 0 "info --bcd reads the store of a disk image"
like "$OUT" "\{bootmgr\}  Windows Boot Manager" "and names {bootmgr}"
like "$OUT" "device +partition \{$(tr a-z A-Z <<<"$esp_guid")\} on GPT disk \{$(tr a-z A-Z <<<"$disk_guid")\}" \
	"and decodes its device"
like "$OUT" "toolsdisplayorder +\{memdiag\}" "and the names of well-known objects"
run_wintogo info --bcd --json "$SAMPLES/Windows2Go_BCD"
check "info --bcd --json of a sample store is valid JSON" jq -e '.objects | length > 10' <<<"$OUT"
refuses "info --bcd on a file that is neither a store nor a disk" "no GPT partition table" \
	info --bcd "$FIXTURES/x64.wim"
# half a store: hivex opens it and finds no objects past the cut
head -c 16384 "$SAMPLES/Windows2Go_BCD" >"$TMP/half_BCD"
refuses "info --bcd of half a store is refused, not listed as 0 objects" \
	"'$TMP/half_BCD' is cut short: its header says [0-9]+ bytes, the file has 16384" info --bcd "$TMP/half_BCD"
run_wintogo info --bcd --json "$TMP/half_BCD"
is "$(jq -r .error.code <<<"$OUT")" bcd-damaged "with the code bcd-damaged"
done_testing
