#!/bin/bash
# Secure Boot after 2026: who signed the boot manager, and which set goes
# on the disk.  The fixtures sb2011.wim and sb.wim carry the marker boot
# manager signed by throwaway test CAs named as Microsoft's (PCA 2011 in
# Windows\Boot\EFI, UEFI CA 2023 in Windows\Boot\EFI_EX).  What lands on
# the ESP is compared byte for byte with what wimextract takes out of the
# image, and sbverify (sbsigntool, not ours) checks the signature against
# each test CA; wintogo's own reading of the signature is checked against
# both.  Last, OVMF with Secure Boot on and Microsoft's keys refuses an
# unsigned boot manager that OVMF without Secure Boot starts.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
write_dirs
CA=$ROOT/fixtures/secureboot
SB=$FIXTURES/sb.wim SB11=$FIXTURES/sb2011.wim

# from_image WIM PATH: the file PATH of image 1, as wimextract gives it
from_image() {
	local d=$TMP/extract/$(basename "$1")
	mkdir -p "$d"
	wimextract "$1" 1 "$2" --dest-dir="$d" --no-acls >/dev/null 2>&1
	echo "$d/$(basename "$2")"
}
# from_esp DISK PATH: copies PATH out of the disk's ESP (at 1 MiB)
from_esp() {
	local out=$TMP/esp/$(basename "$1")-$(echo "$2" | tr '/' '_')
	mkdir -p "$TMP/esp"
	mcopy -n -i "$1@@1M" "::$2" "$out" 2>/dev/null && echo "$out"
}

### info: who signed each image's boot managers ########################
run_wintogo info --json "$SB"
is "$RC" 0 "info --json sb.wim"
is "$(jq -r '.images[0].boot_managers | [.efi.signers[0].issuer, .efi_ex.signers[0].issuer, .default_set, .default_ca] | join("|")' <<<"$OUT")" \
	"Microsoft Windows Production PCA 2011|Windows UEFI CA 2023|EFI_EX|2023" \
	"sb.wim: EFI signed under PCA 2011, EFI_EX under UEFI CA 2023; write uses EFI_EX"
is "$(jq -r '[.images[0].boot_managers.efi_ex.signers[0] | .digest_ok, .signature_ok, .digest_algorithm] | join(" ")' <<<"$OUT")" \
	"true true sha256" "  the digest of the file and the signature both hold"
nb=$(openssl x509 -in "$CA/signer-2023.crt" -noout -startdate | cut -d= -f2)
is "$(jq -r '.images[0].boot_managers.efi_ex.signers[0].not_before' <<<"$OUT")" "$(date -ud "$nb" +%s)" \
	"  the signer's validity is the certificate's (openssl x509)"
run_wintogo info "$SB11"
like "$OUT" "image 1 boot managers: EFI.bootmgfw.efi signed under Microsoft Windows Production PCA 2011; no 2023 set \(EFI_EX\); write uses EFI" \
	"sb2011.wim: PCA 2011 only, no 2023 set"
run_wintogo info --json "$FIXTURES/x64.wim"
is "$(jq -r '.images[0].boot_managers | [.efi.signature, .efi_ex] | join(" ")' <<<"$OUT")" "unsigned " \
	"x64.wim: its boot manager is unsigned, and it has no EFI_EX"

# a signature that no longer matches its file, and a truncated one
cp "$(from_image "$SB11" /Windows/Boot/EFI/bootmgfw.efi)" "$TMP/changed.efi"
printf 'X' | dd of="$TMP/changed.efi" bs=1 seek=2000 conv=notrunc 2>/dev/null
check "sbverify agrees that the changed file's signature fails" \
	bash -c "! sbverify --cert '$CA/ca-2011.crt' '$TMP/changed.efi'"
cp "$(from_image "$SB11" /Windows/Boot/EFI/bootmgfw.efi)" "$TMP/short.efi"
truncate -s -64 "$TMP/short.efi"
for f in changed short; do
	mkdir -p "$TMP/$f/Windows/Boot/EFI" && cp "$TMP/$f.efi" "$TMP/$f/Windows/Boot/EFI/bootmgfw.efi"
	cp "$FIXTURES/x64.wim" "$TMP/$f.wim"
	(cd "$TMP/$f" && wimupdate "$TMP/$f.wim" 1 --command="add Windows/Boot/EFI/bootmgfw.efi /Windows/Boot/EFI/bootmgfw.efi" >/dev/null)
done
run_wintogo info --json "$TMP/changed.wim"
is "$(jq -r '.images[0].boot_managers.efi | [.signature, .signers[0].digest_ok, .signers[0].signature_ok] | join(" ")' <<<"$OUT")" \
	"signed false true" "a file changed after signing: signed, its digest does not hold"
run_wintogo info "$TMP/short.wim"
is "$RC" 0 "a truncated signature is no crash"
like "$OUT" "EFI.bootmgfw.efi its signature is damaged" "  it is reported damaged"

### write: which set lands on the ESP ##################################
run_wintogo write --seed 4 --tmpdir "$STAGE" --json "$SB" "$OUTDIR/sb.img"
is "$RC" 0 "write sb.wim (--secure-boot-ca auto)"
is "$(jq -r 'select(.plan) | .plan.boot_manager | [.choice, .set, .ca] | join(" ")' <<<"$OUT")" "auto EFI_EX 2023" \
	"  the plan says: the EFI_EX set, signed under UEFI CA 2023"
ex=$(from_image "$SB" /Windows/Boot/EFI_EX/bootmgfw_EX.efi)
check "  \\EFI\\Boot\\bootx64.efi is the image's bootmgfw_EX.efi, byte for byte" \
	cmp "$ex" "$(from_esp "$OUTDIR/sb.img" /EFI/Boot/bootx64.efi)"
check "  so is \\EFI\\Microsoft\\Boot\\bootmgfw.efi" cmp "$ex" "$(from_esp "$OUTDIR/sb.img" /EFI/Microsoft/Boot/bootmgfw.efi)"
check "  \\EFI\\Microsoft\\Boot\\bootmgr.efi is bootmgr_EX.efi" \
	cmp "$(from_image "$SB" /Windows/Boot/EFI_EX/bootmgr_EX.efi)" "$(from_esp "$OUTDIR/sb.img" /EFI/Microsoft/Boot/bootmgr.efi)"
check "  the fonts of Fonts_EX replace theirs, the _EX dropped (segmono_boot.ttf)" \
	cmp "$(from_image "$SB" /Windows/Boot/Fonts_EX/segmono_boot_EX.ttf)" "$(from_esp "$OUTDIR/sb.img" /EFI/Microsoft/Boot/Fonts/segmono_boot.ttf)"
check "  and the others stay (chs_boot.ttf)" \
	cmp "$(from_image "$SB" /Windows/Boot/Fonts/chs_boot.ttf)" "$(from_esp "$OUTDIR/sb.img" /EFI/Microsoft/Boot/Fonts/chs_boot.ttf)"
check "  no file keeps an _EX name on the ESP" bash -c "! mdir -/ -b -i '$OUTDIR/sb.img@@1M' ::/EFI | grep -qi '_EX'"
check "  sbverify: bootx64.efi is signed by the 2023 test CA" \
	sbverify --cert "$CA/ca-2023.crt" "$(from_esp "$OUTDIR/sb.img" /EFI/Boot/bootx64.efi)"
check "  fsck.fat finds the ESP clean" bash -c "dd if='$OUTDIR/sb.img' bs=1M skip=1 count=260 of='$TMP/esp.fat' 2>/dev/null && fsck.fat -n '$TMP/esp.fat'"
is "$(jq -r '.boot_manager | [.set, .ca] | join(" ")' "$OUTDIR/sb.img.manifest.json")" "EFI_EX 2023" \
	"  the manifest says which set was used"
run_wintogo verify "$OUTDIR/sb.img"
is "$RC" 0 "  and the disk passes verify"
run_wintogo info --bcd --json "$OUTDIR/sb.img"
is "$(jq -r '.boot_loaders[0] | [.name, .ca] | join(" ")' <<<"$OUT")" "bootx64.efi 2023" \
	"  info --bcd of the disk: its loader, signed under UEFI CA 2023"

run_wintogo write --seed 4 --tmpdir "$STAGE" --secure-boot-ca 2011 "$SB" "$OUTDIR/sb-2011.img"
is "$RC" 0 "write sb.wim --secure-boot-ca 2011"
like "$ERR" "^wintogo: warning: .* signed only under Microsoft Windows Production PCA 2011: .*--secure-boot-ca auto would use the image's 2023-signed one" \
	"  warns that the image has a 2023 set it does not use"
check "  \\EFI\\Boot\\bootx64.efi is the image's EFI\\bootmgfw.efi" \
	cmp "$(from_image "$SB" /Windows/Boot/EFI/bootmgfw.efi)" "$(from_esp "$OUTDIR/sb-2011.img" /EFI/Boot/bootx64.efi)"
check "  sbverify: signed by the 2011 test CA" \
	sbverify --cert "$CA/ca-2011.crt" "$(from_esp "$OUTDIR/sb-2011.img" /EFI/Boot/bootx64.efi)"
check "  and not by the 2023 one" bash -c "! sbverify --cert '$CA/ca-2023.crt' '$(from_esp "$OUTDIR/sb-2011.img" /EFI/Boot/bootx64.efi)'"
check "  the fonts are Fonts' (segmono_boot.ttf)" \
	cmp "$(from_image "$SB" /Windows/Boot/Fonts/segmono_boot.ttf)" "$(from_esp "$OUTDIR/sb-2011.img" /EFI/Microsoft/Boot/Fonts/segmono_boot.ttf)"

run_wintogo write --seed 4 --tmpdir "$STAGE" --dry-run "$SB11" "$OUTDIR/sb11.img"
is "$RC" 0 "write sb2011.wim (auto) plans"
like "$ERR" "^wintogo: warning: the boot manager of image 1 .* is signed only under Microsoft Windows Production PCA 2011: PCs that took Microsoft's 2026 Secure Boot updates refuse it" \
	"  with a warning: only PCA 2011"
like "$OUT" "boot manager: Windows.Boot.EFI.bootmgfw.efi, signed under Microsoft Windows Production PCA 2011 \(--secure-boot-ca auto\)" \
	"  the plan names the set and its CA"
for img in "$SB11" "$FIXTURES/x64.wim"; do
	refuses "--secure-boot-ca 2023 refuses $(basename "$img"), which has no 2023 set" \
		"has no 2023-signed boot manager .*EFI_EX.*--secure-boot-ca 2011" \
		write --seed 4 --tmpdir "$STAGE" --secure-boot-ca 2023 "$img" "$OUTDIR/no.img"
	check "  before anything is written" no_leftovers "$STAGE"
	check "  (no target)" test ! -e "$OUTDIR/no.img" -a ! -e "$OUTDIR/no.img.partial"
done
run_wintogo write --secure-boot-ca 2026 "$SB" "$OUTDIR/no.img"
is "$RC" 2 "a --secure-boot-ca that is not one is a usage error (2)"
like "$ERR" "--secure-boot-ca wants auto, 2023 or 2011, not '2026'" "  saying what it takes"
run_wintogo vm --seed 4 --tmpdir "$STAGE" --json --dry-run --secure-boot-ca 2023 "$SB" "$OUTDIR/sb.qcow2"
is "$RC $(jq -r 'select(.plan) | .plan.boot_manager.set' <<<"$OUT")" "0 EFI_EX" "vm takes --secure-boot-ca too"

### probe: one reason per CA, for an image and its disk alike ############
ids() { jq -r '[.reasons[] | select(.severity != "note") | .id] | join(" ")' <<<"$OUT"; }
run_wintogo write --quiet --seed 4 --tmpdir "$STAGE" "$SB11" "$OUTDIR/sb11.img" 2>/dev/null
for pair in "$SB:loader-ca-2023" "$OUTDIR/sb.img:loader-ca-2023" "$SB11:loader-ca-2011" \
	"$OUTDIR/sb11.img:loader-ca-2011" "$OUTDIR/sb-2011.img:loader-ca-2011" \
	"$FIXTURES/x64.wim:unsigned-loader" "$TMP/changed.wim:loader-signature-invalid"; do
	input=${pair%:*} id=${pair##*:}
	run_wintogo probe --json --host pc-uefi "$input"
	is "$RC $(ids)" "3 $id" "probe --host pc-uefi $(basename "$input"): boots with condition $id"
done
run_wintogo probe --json --host pc-uefi "$SB11"
like "$(jq -r '.reasons[] | select(.id == "loader-ca-2011") | .action' <<<"$OUT")" "--secure-boot-ca 2023" \
	"  the 2011 reason says what to do: a newer image with --secure-boot-ca 2023"
run_wintogo probe --json --host pc-uefi "$SB"
is "$(jq -r '.input.boot_loaders[0] | [.name, .ca] | join(" ")' <<<"$OUT")" "bootmgfw_EX.efi 2023" \
	"  the image is judged by the boot manager write puts first"

### OVMF with Secure Boot on refuses an unsigned boot manager ###########
CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
if [ ! -r "$CODE" ] || [ ! -r "$VARS" ]; then
	skip "no $CODE and $VARS (Debian's ovmf): Secure Boot is not tried"
	done_testing
	exit
fi
run_wintogo write --quiet --seed 4 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/unsigned.img"
# sb_boot VARS DISK LOG: q35 with SMM, the secure pflash, the disk over
# USB, until the marker runs or OVMF refuses the disk (then QEMU is
# stopped: it would wait in its menu), 150 s at most
sb_boot() {
	local i pid
	cp "$1" "$TMP/sbvars.fd"
	qemu-system-x86_64 -machine q35,smm=on,accel=tcg -m 512 -display none -nic none \
		-no-reboot -global driver=cfi.pflash01,property=secure,value=on \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$CODE" \
		-drive if=pflash,format=raw,unit=1,file="$TMP/sbvars.fd" \
		-device qemu-xhci,id=xhci -drive if=none,id=stick,file="$2",format=raw \
		-device usb-storage,bus=xhci.0,drive=stick -serial stdio </dev/null >"$3" 2>&1 &
	pid=$!
	for i in $(seq 1500); do
		kill -0 "$pid" 2>/dev/null || break
		grep -aq 'USB HARDDRIVE.*Access Denied' "$3" && break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# without Secure Boot (the same firmware, its vars with no keys), it starts
sb_boot /usr/share/OVMF/OVMF_VARS_4M.fd "$OUTDIR/unsigned.img" "$TMP/nosb.log"
check "OVMF without Secure Boot starts the unsigned marker boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/nosb.log"
sb_boot "$VARS" "$OUTDIR/unsigned.img" "$TMP/sb.log"
check "OVMF with Secure Boot on and Microsoft's keys refuses the USB disk (Access Denied)" \
	grep -aq 'failed to load Boot[0-9]* "UEFI QEMU QEMU USB HARDDRIVE.*Access Denied' "$TMP/sb.log"
check "  and the unsigned marker never runs" bash -c "! grep -aq WINTOGO-FIXTURE-BOOT-OK '$TMP/sb.log'"
run_wintogo probe --json --host pc-uefi "$OUTDIR/unsigned.img"
is "$RC $(ids)" "3 unsigned-loader" "  as probe says: an unsigned loader needs Secure Boot off"

done_testing
