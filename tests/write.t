#!/bin/bash
# wintogo write IMAGE DISK.img: the disk is what its plan says, checked by
# sfdisk, sgdisk, blkid, fsck.fat, mtools, ntfs-3g and an OVMF boot.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
disk=$OUTDIR/disk.img

run_wintogo write --seed 7 --tmpdir "$STAGE" --json "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write x64.wim to an image file exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
printf '%s\n' "$OUT" >"$TMP/write.jsonl"
check "every stdout line is JSON" jq -e . "$TMP/write.jsonl"
plan=$(head -1 "$TMP/write.jsonl")
check "the first line is the plan" jq -e .plan <<<"$plan"
check "the last line is the result" jq -e .result <<<"$(tail -1 "$TMP/write.jsonl")"
check "progress lines name their phase" grep -q '"progress":"apply"' "$TMP/write.jsonl"
check "the output has its final name" test -f "$disk"
check "nothing is left in the stage or beside the output" no_leftovers "$STAGE"
check "no .partial is left" test ! -e "$disk.partial"

# --- partition table: sfdisk, sgdisk, blkid ---
sfdisk --json "$disk" >"$TMP/sfdisk.json"
is "$(jq -r .partitiontable.label "$TMP/sfdisk.json")" gpt "sfdisk sees a GPT"
is "$(jq -r '[.partitiontable.partitions[].type] | join(" ")' "$TMP/sfdisk.json")" \
	"C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" \
	"ESP, MSR and basic data partition types, in that order"
is "$(jq -r '[.partitiontable.partitions[] | .start % 2048, .size % 2048] | unique | join(",")' "$TMP/sfdisk.json")" \
	"0" "every partition starts and ends on a 1 MiB boundary"
is "$(jq -r '.partitiontable.partitions[0] | "\(.start) \(.size)"' "$TMP/sfdisk.json")" \
	"2048 532480" "the ESP is 260 MiB at 1 MiB"
is "$(jq -r '.partitiontable.partitions[1].size' "$TMP/sfdisk.json")" 32768 "the MSR is 16 MiB"
is "$(jq -r '[.partitiontable.partitions[] | "\(.start) \(.size) \(.uuid)"] | join(",")' "$TMP/sfdisk.json")" \
	"$(jq -r '[.plan.partitions[] | "\(.start_lba) \(.sectors) \(.guid)"] | join(",")' <<<"$plan")" \
	"the partitions and GUIDs are those of the plan"
is "$(jq -r .partitiontable.id "$TMP/sfdisk.json")" "$(jq -r .plan.disk.guid <<<"$plan")" \
	"the disk GUID is that of the plan"
sgdisk_out=$(sgdisk -v "$disk" 2>&1)
like "$sgdisk_out" "No problems found" "sgdisk -v finds no problems"
like "$(blkid -p "$disk")" 'PTTYPE="gpt"' "blkid -p sees a GPT (sgdisk -v alone passes a blank disk)"
esp_off=$(jq -r '.plan.partitions[0].offset' <<<"$plan")
win_off=$(jq -r '.plan.partitions[2].offset' <<<"$plan")
win_size=$(jq -r '.plan.partitions[2].size' <<<"$plan")
like "$(blkid -p -O "$esp_off" "$disk")" 'VERSION="FAT32".*TYPE="vfat"|TYPE="vfat".*VERSION="FAT32"' "blkid sees FAT32 at the ESP"
like "$(blkid -p -O "$win_off" "$disk")" 'LABEL="Windows".*TYPE="ntfs"' "blkid sees NTFS labelled Windows at partition 3"

# --- ESP: fsck.fat and mtools ---
dd if="$disk" of="$TMP/esp.img" bs=1M skip=1 count=260 status=none
check "fsck.fat -n finds the ESP clean" fsck.fat -n "$TMP/esp.img"
boot=$FIXTURES/tree-x64/Windows/Boot
same_on_esp() { # same_on_esp ESP_PATH LOCAL_FILE
	mtype -i "$disk@@$esp_off" "$1" 2>/dev/null | cmp -s - "$2"
}
bad=""
while IFS= read -r f; do
	rel=${f#"$boot/EFI/"}
	same_on_esp "::/EFI/Microsoft/Boot/$rel" "$f" || bad+=" $rel"
done < <(find "$boot/EFI" -type f)
is "$bad" "" "every file of Windows/Boot/EFI is in \\EFI\\Microsoft\\Boot, byte for byte"
bad=""
for sub in Fonts Resources; do
	while IFS= read -r f; do
		rel=${f#"$boot/"}
		same_on_esp "::/EFI/Microsoft/Boot/$rel" "$f" || bad+=" $rel"
	done < <(find "$boot/$sub" -type f)
done
is "$bad" "" "Fonts and Resources are in \\EFI\\Microsoft\\Boot, byte for byte"
check "\\EFI\\Boot\\bootx64.efi is the image's bootmgfw.efi" same_on_esp ::/EFI/Boot/bootx64.efi "$boot/EFI/bootmgfw.efi"
like "$(minfo -i "$disk@@$esp_off" :: 2>/dev/null)" "hidden sectors: 2048" "the ESP's hidden sectors are its start LBA"

# --- NTFS: ntfsinfo, boot sector, ntfs-3g mount vs wimapply ---
dd if="$disk" of="$TMP/win.img" bs=1M skip=$((win_off / 1048576)) count=$((win_size / 1048576)) status=none
like "$(ntfsinfo -m "$TMP/win.img" 2>/dev/null)" "Volume Name: Windows" "ntfsinfo reads the volume, labelled Windows"
hidden=$(od -An -t u4 -j 28 -N 4 "$TMP/win.img" | tr -d ' ')
is "$hidden" $((win_off / 512)) "the NTFS boot sector's hidden sectors are the partition start"
check "ntfscat reads bootmgfw.efi back identical" \
	bash -c "ntfscat '$TMP/win.img' /Windows/Boot/EFI/bootmgfw.efi | cmp -s - '$boot/EFI/bootmgfw.efi'"
wimapply "$FIXTURES/x64.wim" 1 "$TMP/applied" >/dev/null
mkdir "$TMP/mnt"
if ntfs-3g -o ro "$TMP/win.img" "$TMP/mnt" 2>/dev/null; then
	# but SYSTEM, which write services (tests/servicing.t reads it)
	check "the NTFS partition holds exactly the image's files (diff -r against wimapply)" \
		diff -r --no-dereference -x SYSTEM "$TMP/applied" "$TMP/mnt"
	links=$(find "$TMP/mnt" -type f -links +1 | wc -l)
	check "hard links survive ($links files with several names)" test "$links" -gt 0
	fusermount -u "$TMP/mnt"
else
	skip "ntfs-3g cannot mount here (no FUSE)"
	skip "ntfs-3g cannot mount here (no FUSE)"
fi

# --- reproducible with --seed ---
run_wintogo write --seed 7 --tmpdir "$STAGE" --quiet "$FIXTURES/x64.wim" "$OUTDIR/again.img"
is "$RC" 0 "a second write with the same seed"
is "$(sfdisk --json "$OUTDIR/again.img" | jq -c '[.partitiontable.id, .partitiontable.partitions[].uuid]')" \
	"$(jq -c '[.partitiontable.id, .partitiontable.partitions[].uuid]' "$TMP/sfdisk.json")" \
	"the same seed gives the same disk and partition GUIDs"
is "$OUT$ERR" "" "--quiet prints nothing"
run_wintogo write --seed 8 --dry-run --json "$FIXTURES/x64.wim" "$OUTDIR/other.img"
check "another seed gives another disk GUID" test "$(jq -r .plan.disk.guid <<<"$OUT")" != "$(jq -r .plan.disk.guid <<<"$plan")"
rm -f "$OUTDIR/again.img"

# --- writes are one increasing stream ---
# ... but for the manifest in the ESP, written over its room after the
# stream, once every block is hashed (see include/wintogo/manifest.h), and
# the partition table, written last over the zeros the stream sent where
# it goes (see include/wintogo/write.h).
trace=$TMP/trace
WINTOGO=$WINTOGO_TEST WINTOGO_WRITE_TRACE=$trace run_wintogo write --quiet --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/traced.img"
is "$RC" 0 "a traced write"
check "the sink's trace has writes" test -s "$trace"
check "the sink's writes have strictly increasing offsets" \
	awk '$3 == "overwrite" { next } NR > 1 && $1 < end { exit 1 } { end = $1 + $2 }' "$trace"
excluded=$(jq -r '.excluded[] | "\(.offset) \(.length) overwrite esp"' "$OUTDIR/traced.img.manifest.json")
is "$(grep 'overwrite esp$' "$trace")" "$excluded" \
	"the manifest's writes are over the room the manifest says it excluded"
traced_size=$(stat -c %s "$OUTDIR/traced.img")
is "$(awk '$3 == "overwrite" && $4 == "gpt" { next } { n = NR } END { print n }' "$trace")" \
	"$(($(wc -l <"$trace") - 2))" "the partition table's writes come after every other write"
is "$(tail -n 2 "$trace" | awk -v size="$traced_size" '{ print ($1 == 0 ? "start" : $1 + $2 == size ? "end" : $1), $3, $4 }' | paste -sd,)" \
	"start overwrite gpt,end overwrite gpt" "they are the primary GPT at byte 0 and the backup GPT at the disk's end"
is "$(awk '$3 == "zeros" { print ($1 == 0 ? "start" : "end") }' "$trace" | paste -sd,)" "start,end" \
	"the stream sends zeros where the partition table goes"
if command -v strace >/dev/null; then
	rm -f "$OUTDIR/traced.img" "$OUTDIR/traced.img.manifest.json"
	WINTOGO_TEST_NO_BUILD_IN_PLACE=1 strace -f -y -o "$TMP/strace" -e trace=copy_file_range,pwrite64,write \
		"$WINTOGO_TEST" write --quiet --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/traced.img"
	# pwrite64(6</out/traced.img.partial>, "\353X\220mkfs.fat"..., 4194304, 1048576) = 4194304
	grep -E "^[0-9]+ +pwrite64\([0-9]+<[^>]*traced\.img\.partial>" "$TMP/strace" |
		sed -nE 's/.*, ([0-9]+), ([0-9]+)\) = ([0-9]+)$/\2 \3/p' >"$TMP/offsets"
	check "strace sees the target written by pwrite64" test -s "$TMP/offsets"
	manifest_writes=$(jq -r '.excluded | length' "$OUTDIR/traced.img.manifest.json")
	gpt_writes=$(grep -c 'overwrite gpt$' "$trace")
	check "strace: every write to the target starts past the previous one, but the manifest's and the GPT's" \
		awk -v last="$(($(wc -l <"$TMP/offsets") - manifest_writes - gpt_writes))" \
		'NR > last { exit } NR > 1 && $1 < end { exit 1 } { end = $1 + $2 }' "$TMP/offsets"
	is "$(tail -n "$((manifest_writes + gpt_writes))" "$TMP/offsets" | head -n "$manifest_writes")" \
		"$(jq -r '.excluded[] | "\(.offset) \(.length)"' "$OUTDIR/traced.img.manifest.json")" \
		"strace: then come the manifest's, exactly over its room"
	is "$(tail -n "$gpt_writes" "$TMP/offsets")" "$(grep 'overwrite gpt$' "$trace" | cut -d' ' -f1,2)" \
		"strace: and last the GPT's"
	is "$(grep -cE '^[0-9]+ +(copy_file_range|write)\([0-9]+<[^>]*traced\.img\.partial>' "$TMP/strace")" 0 \
		"strace: no other kind of write reaches the target"
else
	skip "strace is not installed"
fi
rm -f "$OUTDIR/traced.img" "$OUTDIR/traced.img.manifest.json"

# --- UEFI boot in QEMU with OVMF ---
boot_disk "$disk" ide "$TMP/boot-ide.log"
check "OVMF boots the disk over IDE into the image's boot manager" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot-ide.log"
boot_disk "$disk" usb "$TMP/boot-usb.log"
check "OVMF boots the disk as a USB stick (xHCI)" grep -aq WINTOGO-FIXTURE-BOOT-OK "$TMP/boot-usb.log"

# --- choosing the image ---
run_wintogo write --dry-run "$FIXTURES/multi.wim" "$OUTDIR/multi.img"
is "$RC" 1 "a multi-image WIM without --index is refused"
like "$ERR" "holds 3 images; choose one with --index N or --name NAME" "the refusal says how to choose"
like "$ERR" "2  Windows 10 Pro" "and lists the images"
run_wintogo write --dry-run --json --name "windows 10 education" "$FIXTURES/multi.wim" "$OUTDIR/multi.img"
is "$(jq -r .plan.image.index <<<"$OUT")" 3 "--name picks the image by name, case-blind"
run_wintogo write --dry-run --size 32G "$FIXTURES/x64.wim" "$OUTDIR/dry.img"
is "$RC" 0 "--dry-run exits 0"
like "$OUT" "onto .*dry.img: 32.0 GiB, GPT" "--dry-run prints the plan with the size asked for"
check "--dry-run writes nothing" test ! -e "$OUTDIR/dry.img"

# --- refusals: exit 1, one line, nothing left behind ---
OUTDIR=$TMP/refused
mkdir -p "$OUTDIR"
refuses "a target too small is refused, saying the size needed" "needs at least .*give --size [0-9]+M or more" \
	write --size 200M --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/small.img"
: >"$OUTDIR/exists.img"
refuses "an existing output is refused without --force" "already exists; use --force" \
	write --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/exists.img"
check "the existing output is untouched" test ! -s "$OUTDIR/exists.img"
run_wintogo write --quiet --force --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/exists.img"
is "$RC" 0 "--force replaces it"
rm -f "$OUTDIR/exists.img" "$OUTDIR/exists.img.manifest.json"
refuses "an index out of range is refused" "has no image 4, it has 3" \
	write --index 4 --tmpdir "$STAGE" "$FIXTURES/multi.wim" "$OUTDIR/idx.img"
refuses "an image without Windows/Boot/EFI is refused" "has no /Windows/Boot/EFI.*not a bootable" \
	write --quiet --tmpdir "$STAGE" "$FIXTURES/noboot.wim" "$OUTDIR/noboot.img"
cp "$FIXTURES/x64.wim" "$TMP/corrupt.wim"
# damage compressed file data in the middle of the WIM (its header and XML stay intact)
printf '\xde\xad\xbe\xef%.0s' $(seq 256) |
	dd of="$TMP/corrupt.wim" bs=1 seek=$(($(stat -c %s "$TMP/corrupt.wim") / 2)) conv=notrunc status=none
refuses "a WIM with corrupt data fails while applying, with one line" "truncated or damaged" \
	write --quiet --tmpdir "$STAGE" "$TMP/corrupt.wim" "$OUTDIR/corrupt.img"
head -c 100000 "$FIXTURES/x64.wim" >"$TMP/cut.wim"
refuses "a truncated WIM is refused" "truncated or damaged" \
	write --tmpdir "$STAGE" "$TMP/cut.wim" "$OUTDIR/cut.img"
refuses "an ESP too small for FAT32 is refused" "too small for FAT32" \
	write --esp-size 20M --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/esp.img"
refuses "a staging directory that does not exist is refused" "cannot (stage|make a staging directory) in .*--tmpdir" \
	write --quiet --tmpdir "$TMP/no/such/dir" "$FIXTURES/x64.wim" "$OUTDIR/stage.img"
check "no refusal left a file or staging directory" no_leftovers "$STAGE" "$OUTDIR"

run_wintogo write "$FIXTURES/x64.wim"
is "$RC" 2 "a missing TARGET is a usage error"
run_wintogo write --size big "$FIXTURES/x64.wim" "$OUTDIR/x.img"
is "$RC" 2 "a bad --size is a usage error"
run_wintogo write --index 1 --name x "$FIXTURES/x64.wim" "$OUTDIR/x.img"
is "$RC:$(grep -c 'give --index or --name, not both' <<<"$ERR")" "2:1" "--index with --name is a usage error, saying so"
run_wintogo write --sha256 "$(printf '0%.0s' $(seq 64))" --sha256-file /dev/null "$FIXTURES/x64.wim" "$OUTDIR/x.img"
is "$RC:$(grep -c 'give --sha256 or --sha256-file, not both' <<<"$ERR")" "2:1" "--sha256 with --sha256-file is a usage error, saying so"
check "no usage error wrote anything" test ! -e "$OUTDIR/x.img"

# --- without root ---
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	nobody_dir=$(mktemp -d /tmp/wintogo-nobody.XXXXXX)
	cp "$FIXTURES/x64.wim" "$nobody_dir/" && chmod 755 "$nobody_dir" && chown nobody "$nobody_dir"
	if setpriv --reuid nobody --regid nogroup --clear-groups test -x "$WINTOGO"; then
		setpriv --reuid nobody --regid nogroup --clear-groups env TMPDIR="$nobody_dir" \
			"$WINTOGO" write --quiet "$nobody_dir/x64.wim" "$nobody_dir/disk.img" 2>"$TMP/nobody.err"
		is "$?" 0 "a user without privileges writes a disk image"
		like "$(sfdisk --json "$nobody_dir/disk.img" | jq -r .partitiontable.label)" gpt \
			"and it has its GPT"
	else
		skip "user nobody cannot reach $WINTOGO"
	fi
	rm -rf "$nobody_dir"
else
	skip "not root: already running without privileges"
fi
done_testing
