#!/bin/bash
# fixtures.t - the test fixtures are what fixtures/README says they are.
#
# Checked only with tools nobody here wrote: wimlib's CLI (wiminfo,
# wimverify, wimdir, wimextract, wimapply), hivex (hivexget), file/od, and
# one real UEFI boot of the marker app under OVMF.
#
# FIXTURES=DIR: use DIR if it holds a complete build (DIR/.stamp, as the
# Makefile and tests/lib.sh mark it), else build into it and mark it.
# Without FIXTURES, mkimage builds into a temp dir.
set -uo pipefail   # no -e: a failed check is a "not ok", not an exit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fixtures.t.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export MTOOLS_SKIP_CHECK=1

n=0
# check DESCRIPTION COMMAND...: one TAP line; the command's output becomes
# diagnostics when it fails.
check() {
	local desc=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

### Helpers ###################################################################

# wimprops WIM INDEX "Key: value"...: each line appears exactly in
# `wiminfo WIM INDEX` (runs of spaces after the colon squeezed).
wimprops() {
	local wim=$1 idx=$2 info line rc=0
	shift 2
	info=$(wiminfo "$FX/$wim" "$idx" | sed -E 's/^([^:]+): +/\1: /; s/ +$//') || return 1
	for line in "$@"; do
		grep -qxF -- "$line" <<<"$info" || { echo "$wim $idx: no line '$line'"; rc=1; }
	done
	return $rc
}

# std_props NAME EDITION BUILD ARCH: the property lines every image has.
std_props() {
	printf '%s\n' "Name: $1" "Description: $1" "Display Name: $1" \
		"Edition ID: $2" "Flags: $2" "Build: $3" "Architecture: $4" \
		"Languages: en-US" "Default Language: en-US"
}

# header WIM "Key: value"...: lines of `wiminfo WIM` (the whole-WIM part).
header() {
	local wim=$1 info line rc=0
	shift
	info=$(wiminfo "$FX/$wim" | sed -E 's/^([^:]+): +/\1: /; s/ +$//') || return 1
	for line in "$@"; do
		grep -qxF -- "$line" <<<"$info" || { echo "$wim: no line '$line'"; rc=1; }
	done
	return $rc
}

# pe_machine FILE: the COFF Machine field in hex (8664, aa64, ...).
pe_machine() {
	local pe
	pe=$(od -An -t u4 -j 60 -N 4 "$1" | tr -d ' ')
	[ "$(od -An -t x1 -j "$pe" -N 4 "$1" | tr -d ' ')" = 50450000 ] || { echo "$1: not PE"; return 1; }
	od -An -t x2 -j $((pe + 4)) -N 2 "$1" | tr -d ' '
}

machine_is() { # FILE HEX
	local m
	m=$(pe_machine "$1") && [ "$m" = "$2" ] || { echo "$1: machine '$m', want $2"; return 1; }
}

file_says() { # FILE TEXT
	file -b "$1" | grep -qF -- "$2" || { file "$1"; return 1; }
}

has_lacks() { # WIM HAS-PATH LACKS-PREFIX: image 1 has one path and nothing under the other
	local list
	list=$(wimdir "$FX/$1" 1) || return 1
	grep -qxF -- "$2" <<<"$list" || { echo "$1: no $2"; return 1; }
	! grep -F -- "$3" <<<"$list"
}

hive_is() { # HIVE KEY VALUE WANT
	local got
	got=$(hivexget "$1" "$2" "$3") && [ "$got" = "$4" ] ||
		{ echo "$1 $2 $3: '$got', want '$4'"; return 1; }
}

### Build (or reuse) ##########################################################

EXPECTED="arm64.wim badsystem.wim cs2.wim marker-arm64.efi marker-x64.efi multi.wim nobcd.wim noboot.wim split.swm split2.swm tree-arm64 tree-x64 x64.esd x64.wim"

build() {
	local start=$SECONDS
	"$ROOT/fixtures/mkimage" "$FX" || return 1
	touch "$FX/.stamp"
	echo "# mkimage took $((SECONDS - start)) s" >&3
}

if [ -n "${FIXTURES:-}" ] && [ -e "$FIXTURES/.stamp" ]; then
	FX=$FIXTURES
	check "reuse fixtures in \$FIXTURES ($FX)" true
else
	FX=${FIXTURES:-$TMP/fx}
	check "fixtures/mkimage builds into $FX" build 3>&1
fi
[ -e "$FX/x64.wim" ] || { echo "Bail out! no fixtures in $FX"; exit 1; }

all_outputs() {
	local f
	for f in $EXPECTED; do [ -e "$FX/$f" ] || { echo "missing $f"; return 1; }; done
}
check "every output is there" all_outputs

### WIM properties, per variant ###############################################

edition_is() { # INDEX EDITION: the one file that differs between multi.wim's images
	local got
	got=$(wimextract "$FX/multi.wim" "$1" /Windows/fixture-edition.txt --to-stdout) &&
		[ "$got" = "$2" ] || { echo "image $1: '$got'"; return 1; }
}

parts_ge2() {
	wiminfo "$FX/split.swm" | grep -Eq '^Part Number: +1/([2-9]|[1-9][0-9]+)$'
}

mapfile -t X64 < <(std_props "Windows 10 Pro" Professional 19045 x86_64)

check "x64.wim: 1 image, LZX, integrity table" \
	header x64.wim "Image Count: 1" "Compression: LZX" "Attributes: Integrity info, Relative path junction"
check "x64.wim: properties" wimprops x64.wim 1 "${X64[@]}"
check "x64.wim: wimverify (integrity + data)" wimverify "$FX/x64.wim"

check "multi.wim: 3 images" header multi.wim "Image Count: 3"
for i in 1 2 3; do
	case $i in
	1) name="Windows 10 Home" ed=Core ;;
	2) name="Windows 10 Pro" ed=Professional ;;
	3) name="Windows 10 Education" ed=Education ;;
	esac
	mapfile -t P < <(std_props "$name" "$ed" 19045 x86_64)
	check "multi.wim image $i: $name ($ed)" wimprops multi.wim "$i" "${P[@]}"
	check "multi.wim image $i: fixture-edition.txt says $ed" edition_is "$i" "$ed"
done

# Version 3584 (0xE00) is the WIM version wimlib writes for solid resources.
check "x64.esd: LZMS solid" header x64.esd "Image Count: 1" "Compression: LZMS" "Version: 3584"
check "x64.esd: properties" wimprops x64.esd 1 "${X64[@]}"

check "split.swm: part 1 of >= 2" parts_ge2
check "split.swm: properties" wimprops split.swm 1 "${X64[@]}"
check "split.swm: wimverify with all parts" wimverify "$FX/split.swm" --ref="$FX/split*.swm"

check "arm64.wim: properties (ARM64, Windows 11 Pro, 22631)" \
	wimprops arm64.wim 1 "Name: Windows 11 Pro" "Display Name: Windows 11 Pro" \
	"Edition ID: Professional" "Flags: Professional" "Build: 22631" "Architecture: ARM64" \
	"Languages: en-US" "Default Language: en-US"

check "nobcd.wim: properties" wimprops nobcd.wim 1 "${X64[@]}"
check "nobcd.wim: SYSTEM but no BCD-Template" has_lacks nobcd.wim \
	/Windows/System32/config/SYSTEM /Windows/System32/config/BCD-Template
check "noboot.wim: properties" wimprops noboot.wim 1 "${X64[@]}"
check "noboot.wim: Boot/Fonts but no Boot/EFI" has_lacks noboot.wim \
	/Windows/Boot/Fonts/wgl4_boot.ttf /Windows/Boot/EFI

# hive_of WIM: its SYSTEM hive, on stdout
hive_of() { wimextract "$FX/$1" 1 /Windows/System32/config/SYSTEM --to-stdout; }
cs2_current() {
	hive_of cs2.wim >"$TMP/SYSTEM-cs2" &&
		hive_is "$TMP/SYSTEM-cs2" '\Select' Current 2 &&
		hivexget "$TMP/SYSTEM-cs2" '\ControlSet002\Services\partmgr' Start >/dev/null &&
		! hivexget "$TMP/SYSTEM-cs2" '\ControlSet002\Services\partmgr\Parameters' 2>/dev/null
}
check "cs2.wim: properties" wimprops cs2.wim 1 "${X64[@]}"
check "cs2.wim: SYSTEM's current control set is 2, without partmgr\\Parameters" cs2_current
check "badsystem.wim: hivex cannot read its SYSTEM hive" \
	bash -c "wimextract '$FX/badsystem.wim' 1 /Windows/System32/config/SYSTEM --to-stdout >'$TMP/SYSTEM-bad' &&
		head -c 4 '$TMP/SYSTEM-bad' | grep -q regf && ! hivexget '$TMP/SYSTEM-bad' '\\Select' Current 2>/dev/null"

### Hives, extracted from the WIM ############################################

HIVES=$TMP/hives
mkdir -p "$HIVES"
wimextract "$FX/x64.wim" 1 /Windows/System32/config/SYSTEM \
	/Windows/System32/config/SOFTWARE /Windows/System32/config/BCD-Template \
	--dest-dir="$HIVES" >/dev/null 2>&1
cv='\Microsoft\Windows NT\CurrentVersion'
bootmgr='\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}'

check "SYSTEM: Select\\Current = 1" hive_is "$HIVES/SYSTEM" '\Select' Current 1
partmgr_no_sanpolicy() {
	local key='\ControlSet001\Services\partmgr\Parameters'
	hivexget "$HIVES/SYSTEM" "$key" >/dev/null || { echo "no $key"; return 1; }
	! hivexget "$HIVES/SYSTEM" "$key" SanPolicy 2>/dev/null
}
boot_driver_flags() {
	local g
	g=$(hivexget "$HIVES/SYSTEM" '\HardwareConfig' LastConfig) &&
		hive_is "$HIVES/SYSTEM" "\\HardwareConfig\\$g" BootDriverFlags 0
}
software_values() {
	local kv rc=0
	for kv in "ProductName=Windows 10 Pro" EditionID=Professional CurrentBuild=19045 \
		CurrentMajorVersionNumber=10 CurrentMinorVersionNumber=0 InstallationType=Client; do
		hive_is "$HIVES/SOFTWARE" "$cv" "${kv%%=*}" "${kv#*=}" || rc=1
	done
	return $rc
}
settings_objects() {
	local g rc=0
	for g in 7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e 6efb52bf-1766-41db-a6b3-0ee5eff72bd7 \
		1afa9c49-16ab-4a5c-901b-212802da9460 4636856e-540f-4170-a130-a84776f4c654 \
		0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9 5189b25c-5558-4bf2-bca4-289b11bd29e2 \
		7ff607e0-4395-11db-b0de-0800200c9a66 b2721d73-1db4-4c62-bf78-c548a880142d; do
		hivexget "$HIVES/BCD-Template" "\\Objects\\{$g}\\Description" Type >/dev/null ||
			{ echo "no {$g}"; rc=1; }
	done
	return $rc
}

check "SYSTEM: partmgr\\Parameters exists, no SanPolicy" partmgr_no_sanpolicy
check "SYSTEM: HardwareConfig\\{guid}\\BootDriverFlags = 0" boot_driver_flags
check "SOFTWARE: Windows 10 Pro, Professional, 19045, 10.0, Client" software_values
check "SOFTWARE: DevicePath is %SystemRoot%\\inf, as Windows ships it" \
	hive_is "$HIVES/SOFTWARE" '\Microsoft\Windows\CurrentVersion' DevicePath '%SystemRoot%\inf'
check "BCD-Template: KeyName BCD00000001" hive_is "$HIVES/BCD-Template" '\Description' KeyName BCD00000001
check "BCD-Template: {bootmgr} Type 0x10100002" \
	hive_is "$HIVES/BCD-Template" "$bootmgr\\Description" Type $((0x10100002))
check "BCD-Template: the settings objects and {memdiag} are there" settings_objects

### PE machine types ##########################################################

check "marker-x64.efi: file says PE32+ EFI application x86-64" \
	file_says "$FX/marker-x64.efi" "PE32+ executable (EFI application) x86-64"
check "marker-x64.efi: COFF machine 0x8664" machine_is "$FX/marker-x64.efi" 8664
check "marker-arm64.efi: file says Aarch64" file_says "$FX/marker-arm64.efi" "PE32+ executable (EFI application) Aarch64"
check "marker-arm64.efi: COFF machine 0xAA64" machine_is "$FX/marker-arm64.efi" aa64
check "tree-x64 kernel32.dll: machine 0x8664" machine_is "$FX/tree-x64/Windows/System32/kernel32.dll" 8664
check "tree-arm64 kernel32.dll: machine 0xAA64" machine_is "$FX/tree-arm64/Windows/System32/kernel32.dll" aa64
check "tree-arm64 bootmgfw.efi: machine 0xAA64" machine_is "$FX/tree-arm64/Windows/Boot/EFI/bootmgfw.efi" aa64

### The WIM holds the tree ####################################################

applies_to_tree() {
	local links
	wimapply "$FX/x64.wim" 1 "$TMP/applied" >/dev/null || return 1
	diff -r "$FX/tree-x64" "$TMP/applied" || return 1
	links=$(find "$TMP/applied" -type f -links 2 | wc -l)
	[ "$links" -eq 40 ] || { echo "$links names with link count 2, want 40"; return 1; }
}
check "x64.wim applies to exactly tree-x64, 20 hard links kept" applies_to_tree

### One real UEFI boot ########################################################

# boot NAME [BCD-FILE]: a GPT disk whose FAT32 ESP holds the x64 marker as
# \EFI\BOOT\BOOTX64.EFI (and BCD-FILE as \EFI\Microsoft\Boot\BCD), booted
# under OVMF with TCG (KVM cannot run OVMF here).  Serial log in $TMP/NAME.log.
boot() {
	local d=$TMP/$1 rc
	mkdir -p "$d"
	truncate -s 34M "$d/esp.img"   # >= 65,525 clusters of 512 B: valid FAT32
	mkfs.fat -F 32 -s 1 -S 512 -h 2048 -n FIXTURE "$d/esp.img" >/dev/null || return 1
	mmd -i "$d/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/Microsoft ::/EFI/Microsoft/Boot || return 1
	mcopy -i "$d/esp.img" "$FX/marker-x64.efi" ::/EFI/BOOT/BOOTX64.EFI || return 1
	if [ -n "${2:-}" ]; then
		mcopy -i "$d/esp.img" "$2" ::/EFI/Microsoft/Boot/BCD || return 1
	fi
	truncate -s 36M "$d/disk.img"  # 1 MiB in front, backup GPT behind
	# sgdisk has no -q: with it, it writes nothing and still exits 0.
	sgdisk -o -n1:2048:+34M -t1:EF00 -c1:"EFI system partition" "$d/disk.img" >/dev/null || return 1
	blkid -p "$d/disk.img" | grep -q 'PTTYPE="gpt"' || { echo "no GPT written"; return 1; }
	dd if="$d/esp.img" of="$d/disk.img" bs=1M seek=1 conv=notrunc status=none || return 1
	cp /usr/share/OVMF/OVMF_VARS.fd "$d/vars.fd"
	timeout 120 qemu-system-x86_64 -machine q35,accel=tcg -m 512 -display none \
		-nic none -no-reboot \
		-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$d/vars.fd" \
		-drive file="$d/disk.img",format=raw,if=ide \
		-serial stdio </dev/null >"$TMP/$1.log" 2>&1
	rc=$?
	# ResetSystem(Shutdown) ends QEMU with 0; 124 means the marker never ran.
	[ $rc = 0 ] || { echo "qemu exit $rc"; tail -5 "$TMP/$1.log"; return 1; }
}

log_has() { # NAME LINE
	tr -d '\r' <"$TMP/$1.log" | grep -qxF -- "$2" || { echo "no '$2' in log:"; tail -20 "$TMP/$1.log"; return 1; }
}

check "UEFI boot with a regf BCD: QEMU powers off" boot regf "$HIVES/BCD-Template"
check "UEFI boot: WINTOGO-FIXTURE-BOOT-OK" log_has regf WINTOGO-FIXTURE-BOOT-OK
check "UEFI boot: WINTOGO-FIXTURE-BCD: regf" log_has regf "WINTOGO-FIXTURE-BCD: regf"
boot_without_bcd() {
	boot nobcd && log_has nobcd WINTOGO-FIXTURE-BOOT-OK &&
		log_has nobcd "WINTOGO-FIXTURE-BCD: missing"
}
check "UEFI boot without a BCD: WINTOGO-FIXTURE-BCD: missing" boot_without_bcd

echo "1..$n"
