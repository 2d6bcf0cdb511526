#!/bin/bash
# ARM64 all the way: the arm64 marker is an AArch64 EFI application for
# `file` and for wintogo's PE reader alike; `probe --host pc-arm64` (an
# ARM64 PC) and `write --host` judge x64 and arm64 disks; and what wintogo
# makes from arm64.wim boots under AAVMF (qemu-system-aarch64 -M virt, TCG)
# to the marker's lines: the disk `write` makes, over NVMe and over USB as
# an ARM64 PC starts it, the QCOW2 of the UTM bundle `vm` makes (NVMe on
# virt, as its config.plist asks and UTM runs it) and the VHDX.  AAVMF
# refusing the x64 disk is the firmware's side of the probe's
# arch-mismatch.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
PLAIN=$WINTOGO
use_asan
export WINTOGO_DATADIR=$ROOT/data

# --- the disks: written from both fixture images ---
"$PLAIN" write --quiet --seed 5 --tmpdir "$STAGE" "$FIXTURES/arm64.wim" "$TMP/arm64.img" &&
	"$PLAIN" write --quiet --seed 5 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$TMP/x64.img"
is "$?" 0 "write arm64.wim and x64.wim to disk images"

# --- the marker: file and wintogo's PE reader agree ---
like "$(file -b "$FIXTURES/marker-arm64.efi")" '^PE32\+ executable \(EFI application\) Aarch64' \
	"file: marker-arm64.efi is a PE32+ EFI application for Aarch64"
check "it is no patched copy of the x64 marker (its code differs, not only its machine field)" \
	test "$(cmp -l "$FIXTURES/marker-x64.efi" "$FIXTURES/marker-arm64.efi" 2>/dev/null | wc -l)" -gt 2
esp_off=$(sfdisk --json "$TMP/arm64.img" | jq '.partitiontable.partitions[0].start * 512')
mtype -i "$TMP/arm64.img@@$esp_off" ::/EFI/Boot/bootaa64.efi >"$TMP/bootaa64.efi" 2>/dev/null
check "the disk's \\EFI\\Boot\\bootaa64.efi is the marker" cmp "$TMP/bootaa64.efi" "$FIXTURES/marker-arm64.efi"
like "$(file -b "$TMP/bootaa64.efi")" '^PE32\+ executable \(EFI application\) Aarch64' \
	"file: so is the disk's bootaa64.efi"
run_wintogo probe --json --host pc-arm64 "$TMP/arm64.img"
is "$(jq -c '.input.boot_loaders | map([.name, .architecture, .machine, .subsystem])' <<<"$OUT")" \
	'[["bootaa64.efi","arm64",43620,"EFI application"]]' \
	"wintogo's PE reader: bootaa64.efi, arm64 (machine 0xaa64), an EFI application"
like "$(sed -n 2p <<<"$("$WINTOGO" probe --host pc-arm64 "$TMP/arm64.img")")" \
	'\\EFI\\Boot\\bootaa64\.efi \(arm64 EFI application, unsigned\)' "  and its text says so"
run_wintogo probe --json --host pc-uefi "$TMP/x64.img"
is "$(jq -c '.input.boot_loaders | map([.name, .architecture, .subsystem])' <<<"$OUT")" \
	'[["bootx64.efi","x64","EFI application"]]' "  the x64 marker, as file says: an x64 EFI application"

# --- probe --host pc-arm64 ---
# a copy of arm64.wim whose boot manager is signed under the "Windows UEFI
# CA 2023" test CA of fixtures/secureboot (tests/secureboot.t has the rest)
sbsign --key "$ROOT/fixtures/secureboot/signer-2023.key" --cert "$ROOT/fixtures/secureboot/signer-2023.crt" \
	--output "$TMP/bootmgfw.efi" "$FIXTURES/marker-arm64.efi" 2>/dev/null &&
	cp "$FIXTURES/arm64.wim" "$TMP/signed.wim" &&
	wimupdate "$TMP/signed.wim" 1 --command="add $TMP/bootmgfw.efi /Windows/Boot/EFI/bootmgfw.efi" >/dev/null &&
	"$PLAIN" write --quiet --seed 5 --tmpdir "$STAGE" "$TMP/signed.wim" "$TMP/signed.img"
is "$?" 0 "an arm64 image with a signed boot manager, and its disk"

declare -A INPUT=([x64.wim]=$FIXTURES/x64.wim [arm64.wim]=$FIXTURES/arm64.wim
	[x64.img]=$TMP/x64.img [arm64.img]=$TMP/arm64.img [signed.wim]=$TMP/signed.wim
	[signed.img]=$TMP/signed.img)
# expect HOST INPUT "RC VERDICT: IDS" (every reason, notes too)
expect() {
	run_wintogo probe --json --host "$1" "${INPUT[$2]}"
	is "$RC $(jq -r '"\(.verdict): \([.reasons[].id] | join(" "))"' <<<"$OUT" 2>&1)" "$3" "$1 x $2: $3" ||
		diag "stderr: $ERR"
}
while IFS='|' read -r host input want; do
	expect "$host" "$input" "$want"
done <<'MATRIX'
pc-arm64|x64.wim|4 cannot boot: arch-mismatch secure-boot boot-menu
pc-arm64|x64.img|4 cannot boot: arch-mismatch secure-boot boot-menu
pc-arm64|arm64.wim|4 cannot boot: unsigned-loader boot-menu
pc-arm64|arm64.img|4 cannot boot: unsigned-loader boot-menu
pc-arm64|signed.wim|3 boots with conditions: loader-ca-2023 secure-boot boot-menu
pc-arm64|signed.img|3 boots with conditions: loader-ca-2023 secure-boot boot-menu
pc-uefi|arm64.img|4 cannot boot: arch-mismatch boot-menu
pc-uefi|signed.img|4 cannot boot: arch-mismatch boot-menu
MATRIX
run_wintogo probe --json --host pc-arm64
is "$(jq -r '"\(.host.kind) \(.host.title) \(.host.cpu_architecture) \(.host.firmware_architecture) \(.host.secure_boot)"' <<<"$OUT")" \
	"pc-arm64 ARM64 PC arm64 arm64 true" "pc-arm64: an ARM64 PC, arm64 CPU and UEFI, Secure Boot on"
run_wintogo probe --json --host pc-arm64 "$TMP/x64.img"
is "$(jq -r '.reasons[0] | "\(.message) [\(.fact)] \(.action)"' <<<"$OUT")" \
	"an ARM64 PC's UEFI starts only ARM64 boot loaders: Windows on ARM runs x64 apps emulated, never an x64 Windows [the disk's boot loaders are bootx64.efi (x64); this machine's UEFI starts \\EFI\\Boot\\bootaa64.efi] use an arm64 Windows image" \
	"an x64 stick on an ARM64 PC: the rule, the loader found, what to do"
run_wintogo probe --json --host pc-arm64 "$TMP/arm64.img"
like "$(jq -r '.reasons[0].action' <<<"$OUT")" "genuine Windows image.*not every ARM64 PC lets Secure Boot be turned off" \
	"an unsigned arm64 loader: use a genuine (signed) image"
run_wintogo probe --json --host pc-uefi "$TMP/arm64.img"
is "$(jq -r '.reasons[0].fact' <<<"$OUT")" \
	"the disk's boot loaders are bootaa64.efi (arm64); this machine's UEFI starts \\EFI\\Boot\\bootx64.efi" \
	"an arm64 stick on an x64 PC: no bootx64.efi"

# auto: an aarch64 machine with UEFI is an ARM64 PC
SBVAR=firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
sysroot=$TMP/sys-arm
mkdir -p "$sysroot/devices/system/cpu" "$sysroot/firmware/efi/efivars" "$sysroot/class/dmi/id"
printf 'cpu:type:aarch64:feature:,0000\n' >"$sysroot/devices/system/cpu/modalias"
printf 'LENOVO\n' >"$sysroot/class/dmi/id/sys_vendor"
printf '21BX0015US\n' >"$sysroot/class/dmi/id/product_name"
printf '\x06\x00\x00\x00\x01' >"$sysroot/$SBVAR"
WINTOGO_SYSFS_ROOT=$sysroot run_wintogo probe --json "$TMP/arm64.img"
is "$(jq -r '"\(.host.kind) \(.host.detected) \(.host.secure_boot) \(.host.evidence)"' <<<"$OUT") $RC" \
	"pc-arm64 true true /sys/firmware/efi present, aarch64 CPU, SecureBoot variable 1 4" \
	"auto: aarch64 CPU + UEFI is an ARM64 PC; Secure Boot on refuses the unsigned disk"
WINTOGO_SYSFS_ROOT=$sysroot run_wintogo probe "$TMP/signed.img"
is "$RC $(head -1 <<<"$OUT")" "3 host:    ARM64 PC, LENOVO 21BX0015US, Secure Boot on (this machine)" \
	"  the signed one boots where the firmware trusts UEFI CA 2023; the text names the machine"
printf '\x06\x00\x00\x00\x00' >"$sysroot/$SBVAR"
WINTOGO_SYSFS_ROOT=$sysroot run_wintogo probe --json "$TMP/arm64.img"
is "$RC $(jq -r '[.reasons[].id] | join(" ")' <<<"$OUT")" "0 boot-menu" "  with Secure Boot off the unsigned disk boots"

# --- write --host warns and refuses the same way ---
refuses "write --host pc-arm64 refuses x64.wim" \
	"image 1 of '.*x64.wim' cannot boot on pc-arm64 \\(ARM64 PC\\): arch-mismatch; see \`wintogo probe --host pc-arm64 .*give --force" \
	write --tmpdir "$STAGE" --host pc-arm64 "$FIXTURES/x64.wim" "$OUTDIR/x.img"
refuses "write --host pc-uefi refuses arm64.wim" \
	"image 1 of '.*arm64.wim' cannot boot on pc-uefi \\(UEFI PC\\): arch-mismatch;" \
	write --tmpdir "$STAGE" --host pc-uefi "$FIXTURES/arm64.wim" "$OUTDIR/a.img"
check "  and neither wrote a thing" no_leftovers "$OUTDIR" "$STAGE"
run_wintogo write --host pc-arm64 --force --dry-run --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/x.img"
is "$RC" 0 "with --force it goes on"
like "$ERR" "warning: on pc-arm64: blocker arch-mismatch: an ARM64 PC's UEFI starts only ARM64 boot loaders" \
	"  warning of the blocker"
run_wintogo write --host pc-arm64 --dry-run --json --tmpdir "$STAGE" "$TMP/signed.wim" "$OUTDIR/s.img"
is "$RC $(grep -c . <<<"$ERR") $(head -1 <<<"$OUT" | jq -r '.probe | "\(.host.kind) \(.verdict)"')" \
	"0 1 pc-arm64 boots with conditions" \
	"write --host pc-arm64 of the 2023-signed arm64 image: one warning, the probe's condition"

# --- boots under AAVMF ---
# the firmware (qemu-efi-aarch64); AAVMF_CODE=/nonexistent shows the skip
: "${AAVMF_CODE:=/usr/share/AAVMF/AAVMF_CODE.fd}"
: "${AAVMF_VARS:=/usr/share/AAVMF/AAVMF_VARS.fd}"

# aavmf_boot NAME DISK FORMAT nvme|usb: boots DISK on a virt machine with a
# Cortex-A72 under AAVMF, serial console into $TMP/NAME.log.  The marker
# powers the machine off (-no-reboot: QEMU exits 0).  When AAVMF finds
# nothing to start it runs its shell and waits: the boot is stopped there,
# not at the timeout.  Returns QEMU's status, or 1 when it was stopped.
aavmf_boot() {
	local name=$1 disk=$2 format=$3 log=$TMP/$1.log pid n drive
	case $4 in
	nvme) drive=(-drive "if=none,id=nv,file=$disk,format=$format" -device nvme,serial=wtg,drive=nv) ;;
	usb) drive=(-device qemu-xhci,id=xhci -drive "if=none,id=stick,file=$disk,format=$format"
		-device usb-storage,bus=xhci.0,drive=stick) ;;
	esac
	cp --sparse=always "$AAVMF_VARS" "$TMP/$name.vars"
	: >"$log"
	timeout 300 qemu-system-aarch64 -M virt -cpu cortex-a72 -m 512 -display none -nic none \
		-no-reboot -drive if=pflash,format=raw,readonly=on,file="$AAVMF_CODE" \
		-drive if=pflash,format=raw,file="$TMP/$name.vars" "${drive[@]}" -serial stdio \
		</dev/null >"$log" 2>&1 &
	pid=$!
	for ((n = 0; n < 300; n++)); do
		kill -0 "$pid" 2>/dev/null || break
		if grep -aq 'Shell> ' "$log"; then
			kill "$pid"
			wait "$pid"
			rm -f "$TMP/$name.vars"
			return 1
		fi
		sleep 1
	done
	wait "$pid"
	n=$?
	rm -f "$TMP/$name.vars"
	return $n
}

# log_has NAME LINE: the serial log of boot NAME has LINE, a whole line.
log_has() { tr -d '\r' <"$TMP/$1.log" | grep -aqxF -- "$2"; }

# booted NAME RC DESC DEVICE PATTERN: QEMU powered off (RC 0), the
# marker's two lines are in the log, and AAVMF started the boot option
# whose device path has PATTERN.
booted() {
	local name=$1 rc=$2 desc=$3
	is "$rc" 0 "$desc: the machine powers itself off (the marker ran)" ||
		diag "$(tr -d '\r' <"$TMP/$name.log" | tail -c 2000)"
	check "$desc: WINTOGO-FIXTURE-BOOT-OK" log_has "$name" WINTOGO-FIXTURE-BOOT-OK
	check "$desc: WINTOGO-FIXTURE-BCD: regf" log_has "$name" "WINTOGO-FIXTURE-BCD: regf"
	check "$desc: AAVMF started it from the $4 disk" \
		grep -aqF -- "$5" <(grep -a 'BdsDxe: starting Boot' "$TMP/$name.log")
}

if ! command -v qemu-system-aarch64 >/dev/null || [ ! -r "$AAVMF_CODE" ] || [ ! -r "$AAVMF_VARS" ]; then
	skip "the AAVMF boots need qemu-system-aarch64 (Debian qemu-system-arm) and AAVMF (qemu-efi-aarch64)"
else
	aavmf_boot write-nvme "$TMP/arm64.img" raw nvme
	booted write-nvme $? "write's arm64 disk over NVMe (an ARM64 PC's internal slot)" NVMe '/NVMe('
	aavmf_boot write-usb "$TMP/arm64.img" raw usb
	booted write-usb $? "write's arm64 disk over USB (a stick in an ARM64 PC)" USB '/USB('

	# the machine UTM would start comes from the bundle's config.plist
	run_wintogo vm --quiet --seed 5 --tmpdir "$STAGE" --utm "$OUTDIR" "$FIXTURES/arm64.wim" "$OUTDIR/arm64.qcow2"
	is "$RC" 0 "vm --utm arm64.wim arm64.qcow2" || diag "$ERR"
	bundle="$OUTDIR/Windows 11 Pro.utm"
	is "$(/usr/bin/python3 -c 'import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
print(d["System"]["Architecture"], d["System"]["Target"], d["Drive"][0]["Interface"], d["QEMU"]["UEFIBoot"])' \
		"$bundle/config.plist" 2>&1)" "aarch64 virt NVMe True" "its UTM bundle asks for aarch64, virt, the disk on NVMe, UEFI"
	aavmf_boot vm-qcow2 "$bundle/Data/DISK.qcow2" qcow2 nvme
	booted vm-qcow2 $? "the bundle's QCOW2 over NVMe on virt (as UTM runs it)" NVMe '/NVMe('
	rm -rf "$OUTDIR/arm64.qcow2" "$bundle"

	run_wintogo vm --quiet --format vhdx --seed 5 --tmpdir "$STAGE" "$FIXTURES/arm64.wim" "$OUTDIR/arm64.vhdx"
	is "$RC" 0 "vm --format vhdx arm64.wim arm64.vhdx" || diag "$ERR"
	aavmf_boot vm-vhdx "$OUTDIR/arm64.vhdx" vhdx nvme
	booted vm-vhdx $? "vm's VHDX over NVMe" NVMe '/NVMe('
	rm -f "$OUTDIR/arm64.vhdx"

	# what probe says of the x64 disk, the firmware does: no bootaa64.efi
	aavmf_boot x64-nvme "$TMP/x64.img" raw nvme
	rc=$?
	like "$(tr -d '\r' <"$TMP/x64-nvme.log")" 'BdsDxe: failed to load Boot[0-9A-F]* .*NVMe.*: Not Found' \
		"AAVMF finds nothing to start on the x64 disk, as probe --host pc-arm64 says"
	is "$rc $(grep -ac WINTOGO-FIXTURE "$TMP/x64-nvme.log")" "1 0" "  the x64 marker never runs"
fi
done_testing
