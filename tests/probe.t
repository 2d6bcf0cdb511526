#!/bin/bash
# wintogo probe: every host kind x {x64 image, arm64 image, written disk,
# disk without ESP} gives its verdict, reasons and exit status; `auto`
# detects fake sysfs trees (device tree, DMI, PCI, efivars); write --host
# warns and refuses.
. "$(dirname "$0")/lib.sh"
need_fixtures
PLAIN=$WINTOGO
use_asan
# the sanitizer build is not next to data/: name the model table
export WINTOGO_DATADIR=$ROOT/data

# --- the inputs: images, disks written from them, a disk without ESP ---
"$PLAIN" write --quiet --seed 5 --tmpdir "$TMP" "$FIXTURES/x64.wim" "$TMP/x64.img" &&
	"$PLAIN" write --quiet --seed 5 --tmpdir "$TMP" "$FIXTURES/arm64.wim" "$TMP/arm64.img"
is "$?" 0 "write x64.wim and arm64.wim to disk images"
truncate -s 64M "$TMP/noesp.img"
printf 'label: gpt\nstart=2048, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' | sfdisk -q "$TMP/noesp.img"
truncate -s 64M "$TMP/mbr.img"
printf 'label: dos\nstart=2048, type=7, bootable\n' | sfdisk -q "$TMP/mbr.img"

declare -A INPUT=([x64.wim]=$FIXTURES/x64.wim [arm64.wim]=$FIXTURES/arm64.wim
	[x64.img]=$TMP/x64.img [arm64.img]=$TMP/arm64.img [noesp.img]=$TMP/noesp.img
	[mbr.img]=$TMP/mbr.img)

# The blockers and conditions of a probe's JSON, in order.
ids() { jq -r '[.reasons[] | select(.severity != "note") | .id] | join(" ")' <<<"$1"; }

# expect HOST INPUT RC "VERDICT" "IDS": one probe, checked at once.
expect() {
	local host=$1 input=$2 want="$3 $4: $5" got
	run_wintogo probe --json --host "$host" "${INPUT[$input]}"
	got="$RC $(jq -r '"\(.verdict): \([.reasons[] | select(.severity != "note") | .id] | join(" "))"' <<<"$OUT" 2>&1)"
	is "$got" "$want" "$host x $input: $want" || diag "stderr: $ERR"
}

# --- every host kind x every input ---
while IFS='|' read -r host input rc verdict want_ids; do
	expect "$host" "$input" "$rc" "$verdict" "$want_ids"
done <<'MATRIX'
apple-silicon|x64.wim|4|cannot boot|apple-silicon-no-uefi arch-mismatch
apple-silicon|arm64.wim|4|cannot boot|apple-silicon-no-uefi
apple-silicon|x64.img|4|cannot boot|apple-silicon-no-uefi arch-mismatch
apple-silicon|arm64.img|4|cannot boot|apple-silicon-no-uefi
apple-silicon|noesp.img|4|cannot boot|apple-silicon-no-uefi no-esp
intel-mac|x64.wim|3|boots with conditions|bootcamp-drivers
intel-mac|arm64.wim|4|cannot boot|arch-mismatch
intel-mac|x64.img|3|boots with conditions|bootcamp-drivers
intel-mac|arm64.img|4|cannot boot|arch-mismatch
intel-mac|noesp.img|4|cannot boot|no-esp bootcamp-drivers
intel-mac-t2|x64.wim|3|boots with conditions|t2-external-boot t2-secure-boot unsigned-loader bootcamp-drivers
intel-mac-t2|arm64.wim|4|cannot boot|t2-external-boot t2-secure-boot arch-mismatch
intel-mac-t2|x64.img|3|boots with conditions|t2-external-boot t2-secure-boot unsigned-loader bootcamp-drivers
intel-mac-t2|noesp.img|4|cannot boot|t2-external-boot t2-secure-boot no-esp bootcamp-drivers
pc-uefi|x64.wim|3|boots with conditions|unsigned-loader
pc-uefi|arm64.wim|4|cannot boot|arch-mismatch
pc-uefi|x64.img|3|boots with conditions|unsigned-loader
pc-uefi|arm64.img|4|cannot boot|arch-mismatch
pc-uefi|noesp.img|4|cannot boot|no-esp
pc-bios|x64.wim|4|cannot boot|bios-no-gpt
pc-bios|arm64.wim|4|cannot boot|bios-no-gpt arch-mismatch
pc-bios|x64.img|4|cannot boot|bios-no-gpt
pc-bios|noesp.img|4|cannot boot|bios-no-gpt
pc-bios|mbr.img|3|boots with conditions|bios-boot-unchecked
Mac14,2|x64.wim|4|cannot boot|apple-silicon-no-uefi arch-mismatch
MacBookPro16,1|x64.wim|3|boots with conditions|t2-external-boot t2-secure-boot unsigned-loader bootcamp-drivers
MacBookAir7,2|x64.wim|3|boots with conditions|bootcamp-drivers
MATRIX

# --- what the JSON and the text say ---
run_wintogo probe --json --host Mac14,2 "$TMP/x64.img"
check "the JSON parses" jq -e . <<<"$OUT"
is "$(jq -r '[.host.kind, .host.model, .host.marketing_name, .host.model_in_table] | join("|")' <<<"$OUT")" \
	"apple-silicon|Mac14,2|MacBook Air (M2, 2022)|true" "the host is the model from the table"
is "$(jq -r '[.input.type, .input.partition_table, .input.esp, .input.bcd, (.input.boot_loaders[] | .name, .architecture, .signed)] | join(" ")' <<<"$OUT")" \
	"disk gpt true true bootx64.efi x64 false" "the disk's facts: GPT, ESP, bootx64.efi (x64, unsigned), BCD"
is "$(jq -r '.reasons | map(select(.id == "arch-mismatch"))[0] | .fact' <<<"$OUT")" \
	"the disk's boot loaders are x64" "a reason carries the fact behind it"
is "$(jq -r '.suggestion | "\(.utm) \(.argv | join(" "))"' <<<"$OUT")" \
	"emulate wintogo vm --utm . $TMP/x64.img x64.qcow2" "the VM suggestion: this disk, emulated"
run_wintogo probe --json --host apple-silicon "$FIXTURES/arm64.wim"
is "$(jq -r '.suggestion | "\(.utm) \(.argv[-2:] | join(" "))"' <<<"$OUT")" \
	"virtualize $FIXTURES/arm64.wim arm64.qcow2" "an arm64 image is virtualized"
run_wintogo probe --json --host apple-silicon "$TMP/noesp.img"
is "$(jq -r '.suggestion | "\(.from_image) \(.placeholders) \(.command)"' <<<"$OUT")" \
	"true true wintogo vm --utm . IMAGE windows.qcow2" "a disk without ESP: the VM is made from an image"
run_wintogo probe --json --host pc-uefi "$FIXTURES/x64.wim"
is "$(jq -r '"\(.suggestion) \(.input.build) \(.input.edition)"' <<<"$OUT")" "null 19045 Professional" \
	"a PC gets no VM suggestion; the image's build and edition are read"

run_wintogo probe --host apple-silicon "$FIXTURES/x64.wim"
is "$RC" 4 "text output: exit 4"
is "$(sed -n 2,3p <<<"$OUT")" "image:   $FIXTURES/x64.wim, image 1 \"Windows 10 Pro\": x64, build 19045, Professional, boot manager unsigned
verdict: cannot boot" "host, image and verdict lines"
like "$(sed -n 4p <<<"$OUT")" '^  blocker +apple-silicon-no-uefi +Apple Silicon Macs start through iBoot, not UEFI.*\[named with --host apple-silicon\]$' \
	"each reason is one line: severity, id, rule and [fact]"
is "$(grep -c '^  [a-z]* \+[a-z0-9-]* \+.*\[.*\]$' <<<"$OUT")" 3 "three reasons, three lines"
is "$(tail -1 <<<"$OUT")" "      wintogo vm --utm . $FIXTURES/x64.wim x64.qcow2" \
	"what to do ends with the wintogo vm command line"
run_wintogo probe "$FIXTURES/x64.wim" --host pc-uefi
is "$RC" 3 "options may follow the operand"
run_wintogo probe --json --host Mac14,2 "$FIXTURES/multi.wim"
is "$(jq -r '"\(.input.index) \(.input.image_count) \(.suggestion.command)"' <<<"$OUT")" \
	"0 3 wintogo vm --index N --utm . $FIXTURES/multi.wim multi.qcow2" \
	"several images, none chosen: all are probed, the command asks for --index N"
run_wintogo probe --json --host Mac14,2 --index 2 "$FIXTURES/multi.wim"
is "$(jq -r '"\(.input.name) \(.suggestion.argv[2:4] | join(" "))"' <<<"$OUT")" "Windows 10 Pro --index 2" \
	"--index 2: that image, and the command says so"

# --- Windows before 1703 on removable media ---
cp "$FIXTURES/x64.wim" "$TMP/1607.wim"
wiminfo "$TMP/1607.wim" 1 --image-property WINDOWS/VERSION/BUILD=14393 >/dev/null
INPUT[1607.wim]=$TMP/1607.wim
expect pc-uefi 1607.wim 3 "boots with conditions" "unsigned-loader removable-bit-before-1703"

# --- auto: fake sysfs trees ---
# tree NAME FILE=CONTENT...: a fake sysfs root (CONTENT through printf %b)
tree() {
	local root=$TMP/sys-$1 spec
	shift
	mkdir -p "$root"
	for spec in "$@"; do
		mkdir -p "$root/$(dirname "${spec%%=*}")"
		[ "${spec#*=}" = DIR ] && { mkdir -p "$root/${spec%%=*}"; continue; }
		printf '%b' "${spec#*=}" >"$root/${spec%%=*}"
	done
	echo "$root"
}
auto() { # auto ROOT ARGS...: probe with the fake root, JSON
	local root=$1
	shift
	WINTOGO_SYSFS_ROOT=$root run_wintogo probe --json "$@"
}
host_is() { jq -r '[.host.kind, .host.detected, .host.model, .host.secure_boot] | join(" ")' <<<"$OUT"; }

m2=$(tree m2 'firmware/devicetree/base/compatible=apple,j413\0apple,t8112\0apple,arm-platform\0' \
	'firmware/devicetree/base/model=Apple MacBook Air (13-inch, M2, 2022)\0' \
	'devices/system/cpu/modalias=cpu:type:aarch64:feature:,0000\n')
auto "$m2" "$FIXTURES/x64.wim"
is "$(host_is)" "apple-silicon true Mac14,2 " "auto: the device tree apple,j413 + apple,t8112 is the M2 MacBook Air"
is "$RC $(ids "$OUT")" "4 apple-silicon-no-uefi arch-mismatch" "  where x64.wim cannot boot"
is "$(jq -r .suggestion.utm <<<"$OUT")" emulate "  and UTM would emulate it"
auto "$m2" --host auto "$FIXTURES/arm64.wim"
is "$RC $(jq -r .suggestion.utm <<<"$OUT")" "4 virtualize" "  --host auto is the default; arm64.wim would be virtualized"
soc=$(tree soc 'firmware/devicetree/base/compatible=apple,t6000\0apple,arm-platform\0')
auto "$soc"
is "$(jq -r '"\(.host.kind) \(.host.chip) \(.host.model)"' <<<"$OUT")" "apple-silicon M1 Pro null" \
	"auto: a Mac SoC without a known board is still Apple Silicon"
t2dt=$(tree t2dt 'firmware/devicetree/base/compatible=apple,j680\0apple,t8012\0apple,arm-platform\0')
auto "$t2dt"
is "$(jq -r .host.kind <<<"$OUT")" pc-bios "auto: Linux on the T2 chip itself (apple,t8012) is no Apple Silicon Mac"

t2=$(tree t2 'class/dmi/id/sys_vendor=Apple Inc.\n' 'class/dmi/id/board_vendor=Apple Inc.\n' \
	'class/dmi/id/product_name=MacBookPro16,1\n' 'firmware/efi=DIR' \
	'bus/pci/devices/0000:00:1f.0/vendor=0x8086\n' 'bus/pci/devices/0000:00:1f.0/device=0xa30d\n' \
	'bus/pci/devices/0000:02:00.1/vendor=0x106b\n' 'bus/pci/devices/0000:02:00.1/device=0x1801\n')
auto "$t2" "$FIXTURES/x64.wim"
is "$(host_is)" "intel-mac-t2 true MacBookPro16,1 " "auto: DMI Apple + MacBookPro16,1 with 106b:1801 on the PCI bus"
like "$(jq -r .host.evidence <<<"$OUT")" "106b:1801 at 0000:02:00.1" "  the evidence names the T2's PCI device"
is "$RC $(ids "$OUT")" "3 t2-external-boot t2-secure-boot unsigned-loader bootcamp-drivers" "  x64.wim boots with the T2 conditions (its boot manager is unsigned)"
mini=$(tree mini 'class/dmi/id/sys_vendor=Apple Inc.\n' 'class/dmi/id/product_name=Macmini8,1\n' 'firmware/efi=DIR')
auto "$mini"
is "$(jq -r '"\(.host.kind) \(.host.evidence)"' <<<"$OUT")" \
	"intel-mac-t2 DMI vendor Apple Inc., product Macmini8,1: a T2 Mac in the Mac model table" \
	"auto: without the PCI device, the model table knows Macmini8,1 has a T2"
old=$(tree old 'class/dmi/id/sys_vendor=Apple Inc.\n' 'class/dmi/id/product_name=MacBookPro11,1\n' 'firmware/efi=DIR')
auto "$old" "$FIXTURES/x64.wim"
is "$(host_is) $RC" "intel-mac true MacBookPro11,1  3" "auto: an Intel Mac without T2"

sb=$(tree sb 'class/dmi/id/sys_vendor=LENOVO\n' 'class/dmi/id/product_name=20XW0055GE\n' \
	'firmware/efi/fw_platform_size=64\n' \
	'firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c=\x06\x00\x00\x00\x01' \
	'devices/system/cpu/modalias=cpu:type:x86,ven0000fam0006mod008E:feature:,0000\n')
auto "$sb" "$FIXTURES/x64.wim"
is "$(host_is)" "pc-uefi true  true" "auto: a UEFI PC with Secure Boot on"
is "$RC $(jq -r '[.reasons[].id] | join(" ")' <<<"$OUT")" "4 unsigned-loader boot-menu" \
	"  x64.wim's unsigned boot manager cannot boot there (a signed one: tests/probe_more.t)"
auto "$sb" "$TMP/x64.img"
is "$RC $(ids "$OUT")" "4 unsigned-loader" "  the fixture disk's unsigned loader cannot boot there"
auto "$sb" "$FIXTURES/arm64.wim"
is "$RC $(ids "$OUT")" "4 arch-mismatch" "  nor can arm64.wim"
printf '\x06\x00\x00\x00\x00' >"$sb/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
auto "$sb" "$TMP/x64.img"
is "$(jq -r .host.secure_boot <<<"$OUT") $RC" "false 0" "  with Secure Boot off, the disk boots"
tablet=$(tree tablet 'firmware/efi/fw_platform_size=32\n' 'devices/system/cpu/modalias=cpu:type:x86,ven0000\n')
auto "$tablet" "$FIXTURES/x64.wim"
is "$(jq -r .host.firmware_architecture <<<"$OUT") $RC $(ids "$OUT")" "x86 4 arch-mismatch" \
	"auto: 32-bit UEFI on a 64-bit CPU cannot start an x64 image"
arm=$(tree arm 'firmware/efi=DIR' 'devices/system/cpu/modalias=cpu:type:aarch64:feature:,0000\n')
auto "$arm" "$TMP/arm64.img"
is "$(jq -r .host.cpu_architecture <<<"$OUT") $RC" "arm64 3" "auto: an arm64 UEFI PC starts the arm64 disk (unsigned: a condition)"
bios=$(tree bios 'class/dmi/id/sys_vendor=Dell Inc.\n' 'class/dmi/id/product_name=OptiPlex 7010\n')
auto "$bios" "$FIXTURES/x64.wim"
is "$(host_is) $RC $(ids "$OUT")" "pc-bios true   4 bios-no-gpt" "auto: a BIOS PC (no firmware/efi)"
WINTOGO_SYSFS_ROOT=$bios run_wintogo probe --host pc-uefi "$FIXTURES/x64.wim"
is "$RC" 3 "a named host ignores the sysfs root"
env -u WINTOGO_SYSFS_ROOT "$WINTOGO" probe --json >"$TMP/real.json"
rc=$?
check "auto on this machine: a verdict (0, 3 or 4), JSON that parses" \
	bash -c "[ $rc -eq 0 ] || [ $rc -eq 3 ] || [ $rc -eq 4 ]; jq -e '.host.detected' '$TMP/real.json'"

# --- errors: exit 1 or 2, one line ---
run_wintogo probe --host thinkpad
is "$RC" 2 "an unknown --host is a usage error"
like "$ERR" "--host wants auto, apple-silicon, intel-mac, intel-mac-t2, pc-uefi, pc-bios, pc-arm64 or a Mac model identifier" \
	"  that lists the hosts"
run_wintogo probe "$FIXTURES/x64.wim" "$FIXTURES/arm64.wim"
is "$RC" 2 "two operands are a usage error"
refuses "a missing file is refused" "cannot open .*nope.wim" probe "$TMP/nope.wim"
refuses "an index out of range is refused" "has no image 2" probe --index 2 "$FIXTURES/x64.wim"
refuses "--index on a disk is refused" "is not a Windows image, so it has no image 1" probe --index 1 "$TMP/x64.img"
head -c 100000 /dev/zero >"$TMP/zeros.bin"
refuses "a file that is neither image nor disk is refused" "is neither a Windows image .* nor a disk image" \
	probe "$TMP/zeros.bin"
mkdir -p "$TMP/iso/sources" && echo x >"$TMP/iso/sources/readme.txt"
genisoimage -quiet -o "$TMP/win.iso" "$TMP/iso" 2>/dev/null
refuses "an ISO without an install image is refused, saying so" "no .*install" \
	probe "$TMP/win.iso"
mkdir -p "$TMP/iso2" && genisoimage -quiet -udf -iso-level 3 -allow-limited-size -hide install.wim \
	-o "$TMP/udf.iso" -graft-points "sources/install.wim=$FIXTURES/arm64.wim" 2>/dev/null
run_wintogo probe --json --host apple-silicon "$TMP/udf.iso"
is "$RC" 4 "a UDF Windows ISO is probed by its install image (arm64 on Apple Silicon: cannot boot)"
like "$OUT" '"arm64"' "its architecture is read from the image inside"

# --- a block device: a loop device over the written disk, when root ---
if [ "$(id -u)" -eq 0 ] && loop=$(losetup -f --show -r "$TMP/x64.img" 2>/dev/null); then
	run_wintogo probe --json --host pc-uefi "$loop"
	is "$RC $(jq -r '.input | "\(.block_device) \(.removable) \(.esp) \(.bcd)"' <<<"$OUT")" "3 true false true true" \
		"a block device is read as a disk, with its removable flag"
	losetup -d "$loop"
else
	skip "needs root and a free loop device"
fi

# --- the Mac model table: found next to the binary, installed by make install ---
(cd "$TMP" && env -u WINTOGO_DATADIR "$PLAIN" probe --json --host MacBookPro16,1 >"$TMP/plain.json")
is "$(jq -r '"\(.host.kind) \(.host.model_in_table)"' "$TMP/plain.json")" "intel-mac-t2 true" \
	"the build in the source tree finds data/mac-models.tsv"
make -s -C "$ROOT" install DESTDIR="$TMP/inst" PREFIX=/usr >/dev/null
check "make install puts the table in PREFIX/share/wintogo" test -s "$TMP/inst/usr/share/wintogo/mac-models.tsv"
env -u WINTOGO_DATADIR "$TMP/inst/usr/bin/wintogo" probe --json --host Mac16,10 >"$TMP/inst.json"
is "$(jq -r '"\(.host.model_in_table) \(.host.marketing_name)"' "$TMP/inst.json")" "true Mac mini (2024)" \
	"the installed binary finds it there"
WINTOGO_DATADIR=$TMP/none run_wintogo probe --json --host Mac19,1
is "$RC $(jq -r '"\(.host.kind) \(.host.model_in_table)"' <<<"$OUT")" "4 apple-silicon false" \
	"without the table, Mac19,1 is Apple Silicon by its name"
WINTOGO_DATADIR=$TMP/none run_wintogo probe --host MacBookPro16,1
is "$RC" 2 "without the table an older model name is a usage error"
like "$ERR" "cannot find the Mac model table" "  that says the table is missing"

# --- write --host ---
OUTDIR=$TMP/written
mkdir -p "$OUTDIR"
refuses "write --host Mac14,2 refuses: it cannot boot there" \
	"cannot boot on Mac14,2 \\(Apple Silicon Mac\\): apple-silicon-no-uefi, arch-mismatch; .*give --force" \
	write --tmpdir "$TMP" --host Mac14,2 "$FIXTURES/x64.wim" "$OUTDIR/mac.img"
check "and writes nothing" no_leftovers "$OUTDIR"
run_wintogo write --host Mac14,2 --force --dry-run "$FIXTURES/x64.wim" "$OUTDIR/mac.img"
is "$RC" 0 "with --force it goes on"
like "$ERR" "warning: on Mac14,2: blocker apple-silicon-no-uefi" "  warning of every blocker"
run_wintogo write --host intel-mac-t2 --dry-run --json "$FIXTURES/x64.wim" "$OUTDIR/t2.img"
is "$RC $(head -1 <<<"$OUT" | jq -r '.probe | "\(.verdict) \([.reasons[].id] | join(" "))"')" \
	"0 boots with conditions t2-external-boot t2-secure-boot unsigned-loader bootcamp-drivers mac-unsupported mac-startup-manager" \
	"write --host intel-mac-t2 --json: the probe is the first line (as \`probe\` says, the boot manager's signature included)"
like "$ERR" "warning: on intel-mac-t2: condition t2-external-boot" "  and the conditions are warnings"
check "  then the plan" jq -e .plan <<<"$(sed -n 2p <<<"$OUT")"
run_wintogo write --host pc-uefi --dry-run "$FIXTURES/x64.wim" "$OUTDIR/pc.img"
is "$RC $(grep -c . <<<"$ERR")" "0 1" "write --host pc-uefi: one warning"
like "$ERR" '^wintogo: warning: on pc-uefi: condition unsigned-loader: ' "  the fixture's unsigned boot manager"
run_wintogo write --host bogus "$FIXTURES/x64.wim" "$OUTDIR/pc.img"
is "$RC" 2 "write --host bogus is a usage error"
done_testing
