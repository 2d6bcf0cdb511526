#!/bin/bash
# wintogo probe, judged consistently: an image and the disk `write` makes
# from it get the same verdict and reasons on every host (the boot
# manager's signature included); images for several architectures are
# judged from the host when it rules them all out; a VHDX is probed by the
# Windows on it, whose architecture comes from kernel32.dll, else from its
# boot manager; a later part of a split set is refused with the first
# part's name.
. "$(dirname "$0")/lib.sh"
need_fixtures
PLAIN=$WINTOGO
use_asan
export WINTOGO_DATADIR=$ROOT/data
HOSTS="apple-silicon intel-mac intel-mac-t2 pc-uefi pc-bios"

# What must agree: the verdict, and each reason's id, severity and rule.
# Facts name the input (an image, a disk), so they differ by design.
judged() { jq -c '[.verdict, [.reasons[] | [.id, .severity, .message]]]' <<<"$1"; }

# same DESC INPUT1 INPUT2 [ENV...]: probe both on every host, compare.
same() {
	local desc=$1 a=$2 b=$3 h ja jb
	for h in $HOSTS; do
		run_wintogo probe --json --host "$h" "$a"
		ja=$(judged "$OUT")
		run_wintogo probe --json --host "$h" "$b"
		jb=$(judged "$OUT")
		is "$jb" "$ja" "$h: $desc"
	done
}

# tree NAME FILE=CONTENT...: a fake sysfs root (as in tests/probe.t)
tree() {
	local root=$TMP/sys-$1 spec
	shift
	for spec in "$@"; do
		mkdir -p "$root/$(dirname "${spec%%=*}")"
		printf '%b' "${spec#*=}" >"$root/${spec%%=*}"
	done
	echo "$root"
}
sb=$(tree sb 'class/dmi/id/sys_vendor=LENOVO\n' 'firmware/efi/fw_platform_size=64\n' \
	'firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c=\x06\x00\x00\x00\x01' \
	'devices/system/cpu/modalias=cpu:type:x86,ven0000fam0006mod008E:feature:,0000\n')
# on a PC with Secure Boot on (the test build takes the sysfs root)
sb_probe() { WINTOGO=$WINTOGO_TEST WINTOGO_SYSFS_ROOT=$sb run_wintogo probe --json "$@"; }

# --- an image and the disk written from it ---
for arch in x64 arm64; do
	"$PLAIN" write --quiet --seed 5 --tmpdir "$TMP" "$FIXTURES/$arch.wim" "$TMP/$arch.img"
	is "$?" 0 "write $arch.wim to a disk image"
	same "$arch.wim and the disk written from it are judged alike" "$FIXTURES/$arch.wim" "$TMP/$arch.img"
done
run_wintogo probe --json --host pc-uefi "$FIXTURES/x64.wim"
is "$RC $(jq -r '[.verdict, (.input.boot_loaders[] | .name, .architecture, .signed)] | join(" ")' <<<"$OUT")" \
	"3 boots with conditions bootmgfw.efi x64 false" \
	"pc-uefi: the image's boot manager is read, unsigned as the fixture's is"
like "$(jq -r '.reasons[0].fact' <<<"$OUT")" 'Windows\\Boot\\EFI\\bootmgfw.efi in .*x64.wim., the written disk.s \\EFI\\Boot\\bootx64.efi, has no Authenticode signature' \
	"  the fact names the file and what it becomes on the disk"
sb_probe "$FIXTURES/x64.wim"
a=$(judged "$OUT")
sb_probe "$TMP/x64.img"
is "$(judged "$OUT")" "$a" "Secure Boot on: x64.wim and its disk are judged alike"
is "$RC $(jq -r '[.reasons[] | select(.severity != "note") | .id] | join(" ")' <<<"$OUT")" "4 unsigned-loader" \
	"  both cannot boot: the loader is unsigned"

# write --host probes as probe does (pc-bios: the GPT disk it would write
# with --partition-table gpt; by default it writes MBR, tests/mbr.t)
for h in $HOSTS; do
	run_wintogo probe --json --host "$h" "$FIXTURES/x64.wim"
	a=$(judged "$OUT")
	run_wintogo write --force --dry-run --json --tmpdir "$TMP" --host "$h" --partition-table gpt \
		"$FIXTURES/x64.wim" "$TMP/dry.img"
	is "$(head -1 <<<"$OUT" | jq -c .probe | { read -r p; judged "$p"; })" "$a" "$h: write --host judges x64.wim as probe does"
done

# a boot manager with an Authenticode signature that holds, by a CA of its
# own (self-signed): Secure Boot firmware with Microsoft's keys refuses it
# (tests/secureboot.t has the 2011 and 2023 CAs)
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=wintogo-test -days 2 \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null &&
	osslsigncode sign -certs "$TMP/cert.pem" -key "$TMP/key.pem" \
		-in "$FIXTURES/marker-x64.efi" -out "$TMP/bootmgfw.efi" >/dev/null &&
	cp "$FIXTURES/x64.wim" "$TMP/signed.wim" &&
	wimupdate "$TMP/signed.wim" 1 --command="add $TMP/bootmgfw.efi /Windows/Boot/EFI/bootmgfw.efi" >/dev/null &&
	"$PLAIN" write --quiet --seed 5 --tmpdir "$TMP" "$TMP/signed.wim" "$TMP/signed.img"
is "$?" 0 "an image with a signed boot manager, and its disk"
sb_probe "$TMP/signed.wim"
a=$(judged "$OUT")
is "$RC $(jq -r '[.reasons[].id] | join(" ")' <<<"$OUT")" "4 loader-ca-other boot-menu" \
	"Secure Boot on: the image signed by a CA of its own cannot boot"
sb_probe "$TMP/signed.img"
is "$(judged "$OUT")" "$a" "  nor can its disk, for the same reasons"
same "the signed image and its disk are judged alike" "$TMP/signed.wim" "$TMP/signed.img"

# a hostile boot manager: a link to a FIFO is not followed (it would hang)
mkdir -p "$TMP/lnk" && mkfifo "$TMP/lnk/fifo" && ln -s "$TMP/lnk/fifo" "$TMP/lnk/bootmgfw.efi" &&
	cp "$FIXTURES/x64.wim" "$TMP/link.wim" &&
	wimupdate "$TMP/link.wim" 1 --command="add $TMP/lnk/bootmgfw.efi /Windows/Boot/EFI/bootmgfw.efi" >/dev/null
is "$?" 0 "an image whose boot manager is a link to a FIFO"
OUT=$(timeout 20 "$WINTOGO" probe --json --host pc-uefi "$TMP/link.wim")
is "$? $(jq -c '.input.boot_loaders[0] | [.architecture, .signed]' <<<"$OUT")" "3 [null,false]" \
	"  is judged a loader that is no PE file, without reading through the link"
run_wintogo write --yes --tmpdir "$TMP" "$TMP/link.wim" "$TMP/link.img"
is "$RC" 1 "write refuses it: only plain files go to the ESP (a link could copy a host file)"
like "$ERR" "has a link or special file among its boot files \\('.*bootmgfw.efi'\\)" "  saying which file"
check "  and makes nothing" test ! -e "$TMP/link.img" -a ! -e "$TMP/link.img.partial"

# --- images for several architectures, none chosen ---
cp "$FIXTURES/x64.wim" "$TMP/mixed.wim" && wimexport "$FIXTURES/arm64.wim" 1 "$TMP/mixed.wim" >/dev/null
is "$?" 0 "a WIM with an x64 and an arm64 image"
run_wintogo probe --json --host apple-silicon "$TMP/mixed.wim"
is "$RC $(jq -r '"\(.verdict): \([.reasons[] | select(.severity != "note") | .id] | join(" "))"' <<<"$OUT")" \
	"4 cannot boot: apple-silicon-no-uefi" \
	"apple-silicon: no image boots there, so none need be chosen"
is "$(jq -r '"\(.input.architectures | join(",")) \(.suggestion.utm) \(.suggestion.command)"' <<<"$OUT")" \
	"x64,arm64 null wintogo vm --index N --utm . $TMP/mixed.wim mixed.qcow2" \
	"  its architectures, and the VM command asks for --index N"
run_wintogo probe --host apple-silicon "$TMP/mixed.wim"
like "$(sed -n 2p <<<"$OUT")" '2 images: x64 and arm64' "  the text says both architectures"
run_wintogo probe --json --host pc-bios "$TMP/mixed.wim"
is "$RC $(jq -r '[.reasons[] | select(.severity != "note") | .id] | join(" ")' <<<"$OUT")" "4 bios-no-gpt" \
	"pc-bios: ruled out by the host too"
refuses "pc-uefi: the verdict depends on the image, so one must be chosen" \
	"the images of '.*mixed.wim' are for x64 and arm64; choose one with --index N" \
	probe --json --host pc-uefi "$TMP/mixed.wim"
run_wintogo probe --json --host apple-silicon --index 2 "$TMP/mixed.wim"
is "$RC $(jq -r '"\(.input.architecture) \(.suggestion.utm)"' <<<"$OUT")" "4 arm64 virtualize" \
	"--index 2: the arm64 image, virtualized"

# --- an ISO: its install image ---
# ISO 9660 (copied out whole): the boot manager is read, as from the WIM
genisoimage -quiet -iso-level 3 -o "$TMP/9660.iso" -graft-points "sources/install.wim=$FIXTURES/x64.wim" 2>/dev/null
same "an ISO 9660 ISO and its install.wim are judged alike" "$FIXTURES/x64.wim" "$TMP/9660.iso"
# UDF (staged in part: header, XML, tables): not read, and the probe says so
genisoimage -quiet -udf -iso-level 3 -allow-limited-size -hide install.wim -o "$TMP/udf.iso" \
	-graft-points "sources/install.wim=$FIXTURES/x64.wim" 2>/dev/null
run_wintogo probe --json --host pc-uefi "$TMP/udf.iso"
is "$RC $(jq -r '"\([.reasons[].id] | join(" ")) \(.input.boot_loaders | length)"' <<<"$OUT")" \
	"0 loader-signature-unread boot-menu 0" \
	"a UDF ISO: the boot manager's signature is not read, a note says so"

# --- a VHDX: the Windows on it, as write takes it ---
qemu-img convert -O vhdx -o subformat=dynamic "$TMP/x64.img" "$TMP/x64.vhdx"
run_wintogo probe --json --host pc-uefi "$TMP/x64.vhdx"
is "$RC $(jq -r '"\(.input.type) \(.input.architecture) \(.input.build) \(.input.name)"' <<<"$OUT")" \
	"3 image x64 19045 Windows 10 Pro" "a VHDX is probed by the Windows on it"
same "a VHDX and the image it was written from are judged alike" "$FIXTURES/x64.wim" "$TMP/x64.vhdx"
run_wintogo probe --json --host apple-silicon "$TMP/x64.vhdx"
is "$(jq -r .suggestion.command <<<"$OUT")" "wintogo vm --utm . $TMP/x64.vhdx x64.qcow2" \
	"  on Apple Silicon: a VM from the VHDX"
refuses "--index on a VHDX is refused" "--index is for WIM, ESD, SWM and ISO files" \
	probe --index 1 "$TMP/x64.vhdx"

# --- a VHDX whose Windows has no kernel32.dll ---
for arch in x64 arm64; do
	cp "$FIXTURES/$arch.wim" "$TMP/nok32-$arch.wim" &&
		wimupdate "$TMP/nok32-$arch.wim" 1 --command="delete /Windows/System32/kernel32.dll" >/dev/null &&
		"$PLAIN" write --quiet --seed 5 --tmpdir "$TMP" "$TMP/nok32-$arch.wim" "$TMP/nok32-$arch.img" &&
		qemu-img convert -O vhdx -o subformat=dynamic "$TMP/nok32-$arch.img" "$TMP/nok32-$arch.vhdx"
	is "$?" 0 "$arch: a VHDX of a disk without System32\\kernel32.dll"
	run_wintogo info --json "$TMP/nok32-$arch.vhdx"
	is "$RC $(jq -r '.partitions[] | select(.windows) | .windows | "\(.architecture) \(.build)"' <<<"$OUT")" \
		"0 $arch $(jq -r 'if . == "x64" then 19045 else 22631 end' <<<"\"$arch\"")" \
		"  info finds its Windows (the SOFTWARE hive is there), $arch by the boot manager" || diag "$ERR"
	run_wintogo probe --json --host apple-silicon "$TMP/nok32-$arch.vhdx"
	is "$(jq -r '"\(.input.architecture) \(.suggestion.guest_architecture)"' <<<"$OUT")" "$arch $arch" \
		"  probe reads it too, $arch"
done
run_wintogo write --quiet --dry-run --tmpdir "$TMP" "$TMP/nok32-arm64.vhdx" "$TMP/out.img"
is "$RC" 0 "  write takes it (--dry-run)" || diag "$ERR"

# --- split sets: a later part named ---
mkdir -p "$TMP/split" "$TMP/alone"
cp "$FIXTURES"/split*.swm "$TMP/split/"
cp "$FIXTURES/split2.swm" "$TMP/alone/"
for cmd in probe info; do
	refuses "$cmd split2.swm: give the first part, named" \
		"^wintogo: '.*/split/split2.swm' is part 2 of a split WIM; give the first part, '.*/split/split.swm'\$" \
		$cmd "$TMP/split/split2.swm"
done
refuses "split2.swm alone: its first part is not next to it" \
	"'.*/alone/split2.swm' is part 2 of the 3-part split WIM, whose first part is not next to it; give the first part" \
	info "$TMP/alone/split2.swm"
run_wintogo probe --json --host pc-uefi "$TMP/split/split.swm"
is "$RC $(jq -r .input.architecture <<<"$OUT")" "3 x64" "the first part still opens the set"

done_testing
