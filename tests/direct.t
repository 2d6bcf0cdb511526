#!/bin/bash
# write --strategy direct (--direct) and --strategy auto: Windows built on
# the target itself.  On a disk (a loop device over a file, as root) it is
# built through a loop device over the partition's range: the disk passes
# every check a staged one passes, over old contents that are not zeros,
# the stream only hashes what NTFS uses, the partition table still comes
# last, and no loop device is left.  auto chooses as write.h says: direct
# for a disk that takes at least 4000 random 4 KiB writes a second (this
# one, measured) or whose stage has no room, the stage below that.
# Refusals first: they need no root.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs

# --- refusals: one line, exit 1 or 2, nothing left ---
refuses "--direct with --vhdx is refused" "--strategy direct builds Windows on the target's partition, --vhdx in a VHDX made in the stage; leave out one of them" \
	write --direct --vhdx --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/a.img"
refuses "--direct with --vm-partition is refused" "--strategy direct and --vm-partition cannot be used together" \
	write --direct --vm-partition --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/a.img"
refuses "--direct with two targets is refused" "--strategy direct writes one target at a time" \
	write --direct --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/a.img" "$OUTDIR/b.img"
run_wintogo write --strategy fast "$FIXTURES/x64.wim" "$OUTDIR/a.img"
is "$RC" 2 "--strategy fast is a usage error"
like "$ERR" "stage, direct or auto" "naming the strategies"
check "the refusals left nothing" no_leftovers "$STAGE" "$OUTDIR"

# --- an image file: direct is the default where the file system allows ---
run_wintogo write --dry-run --seed 9 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/a.img"
like "$OUT" "Windows built in the image file itself \(direct\): an image file is built in itself" \
	"an image file on $(stat -f -c %T "$OUTDIR"): the plan says it is built in itself"
run_wintogo write --dry-run --json --seed 9 --strategy stage --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/a.img"
is "$(jq -r 'select(.plan) | .plan.strategy | "\(.chosen): \(.reason)"' <<<"$OUT")" "stage: --strategy stage" \
	"--strategy stage: the JSON plan says so"
# tmpfs can neither insert room into a file nor share blocks
shm=$(mktemp -d /dev/shm/wintogo-direct.XXXXXX)
refuses "--direct onto an image file on tmpfs is refused" "--strategy direct: the file system '$shm/a.img' is on can neither insert room" \
	write --direct --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$shm/a.img"
run_wintogo write --dry-run --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$shm/a.img"
like "$OUT" "Windows built in the stage, then written in one stream: its file system can neither" \
	"without --direct it is staged there, and the plan says why"
check "nothing left on the tmpfs" no_leftovers "$shm" "$STAGE"
rmdir "$shm"

need_root_loop
backing=$TMP/disk.img
truncate -s 512M "$backing"
attach_loop "$backing"
MNT=$TMP/stage-tmpfs
loop4k=
cleanup() {
	umount "$MNT" 2>/dev/null
	[ -z "$loop4k" ] || losetup -d "$loop4k" 2>/dev/null
	losetup -d "$loop" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
# the NTFS built in place lies over old contents that are not zeros:
# "Z" bytes all over the disk, under the old GPT and ext4
head -c $((512 * 1024 * 1024)) /dev/zero | tr '\0' Z | dd of="$loop" bs=1M oflag=direct status=none
old_disk

# --- --direct: the disk passes what a staged one passes ---
trace=$TMP/trace
WINTOGO=$WINTOGO_ASAN WINTOGO_WRITE_TRACE=$trace run_wintogo write --yes --seed 9 --direct --tmpdir "$STAGE" \
	"$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "write --direct to $loop (ASan)"
[ "$RC" -eq 0 ] || diag "$ERR"
like "$OUT" "Windows built on the disk itself \(direct\): --strategy direct" "the plan says where Windows is built"
like "$OUT" "Wrote $loop: .* read back and verified" "it was read back and verified"
is "$(grep -c 'AddressSanitizer\|runtime error' <<<"$ERR")" 0 "no sanitizer report"
check_disk "$backing" "$FIXTURES/x64.wim" 1 "direct"
check "no loop device is left over the disk" no_loop_over "$loop"
check "nothing is left in the stage" no_leftovers "$STAGE"
run_wintogo verify "$loop"
is "$RC" 0 "wintogo verify passes (the manifest's blocks hold the NTFS built in place)"
is "$(wipefs -n "$loop" | awk 'NR > 1 { print $NF }' | LC_ALL=C sort -u | paste -sd,)" "PMBR,gpt" \
	"wipefs sees the new GPT only (no ext4)"
start=$(sfdisk --json "$backing" | jq '.partitiontable.partitions[2].start')
sectors=$(sfdisk --json "$backing" | jq '.partitiontable.partitions[2].size')
dd if="$backing" of="$TMP/boot.bin" bs=512 skip="$start" count=1 status=none
dd if="$backing" of="$TMP/backup.bin" bs=512 skip=$((start + sectors - 1)) count=1 status=none
is "$(od -An -tu4 -j28 -N4 "$TMP/boot.bin" | tr -d ' ')" "$start" "the NTFS boot sector's hidden sectors are its partition's start"
check "its backup boot sector, in the partition's last sector, is the same" cmp "$TMP/boot.bin" "$TMP/backup.bin"
# the stream: Windows' extents only hashed (in place), everything else written, the GPT last
is "$(awk '$3 == "windows" && $4 != "in-place"' "$trace" | wc -l)" 0 "every Windows extent of the stream is in place (hashed, not written)"
check "the stream has Windows extents" grep -q ' windows in-place$' "$trace"
is "$(tail -n 2 "$trace" | cut -d' ' -f3,4 | paste -sd,)" "overwrite gpt,overwrite gpt" "the GPT is still written last"
# what the stream hashed: the clusters NTFS uses, not the whole 235 MiB partition
hashed=$(awk '$3 == "windows" { n += $2 } END { print n }' "$trace")
check "the stream hashed only what NTFS uses ($hashed bytes, under 64 MiB)" test "$hashed" -lt $((64 * 1024 * 1024))
run_wintogo info --bcd "$loop"
like "$OUT" "osdevice +partition \{$(sfdisk --json "$backing" | jq -r '.partitiontable.partitions[2].uuid')\} on GPT disk" \
	"the BCD's Windows loader names the partition built in place"

# --- a disk of 4096-byte sectors: the loop device over it has them too ---
truncate -s 1G "$TMP/4kn.img"
loop4k=$(losetup -f --show --sector-size 4096 "$TMP/4kn.img" 2>/dev/null || :)
if [ -n "$loop4k" ]; then
	run_wintogo write --yes --quiet --seed 9 --direct --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop4k"
	is "$RC" 0 "write --direct to a disk of 4096-byte sectors"
	run_wintogo verify "$loop4k"
	is "$RC" 0 "it verifies"
	start4k=$(sfdisk --json "$loop4k" | jq '.partitiontable.partitions[2].start')
	dd if="$loop4k" of="$TMP/boot4k.bin" bs=4096 skip="$start4k" count=1 status=none
	is "$(od -An -tu2 -j11 -N2 "$TMP/boot4k.bin" | tr -d ' ') $(od -An -tu4 -j28 -N4 "$TMP/boot4k.bin" | tr -d ' ')" \
		"4096 $start4k" "its NTFS has 4096-byte sectors and its start (in them) as hidden sectors"
	dd if="$loop4k" of="$TMP/win4k.img" bs=4096 skip="$start4k" \
		count="$(sfdisk --json "$loop4k" | jq '.partitiontable.partitions[2].size')" status=none
	like "$(ntfsinfo -m "$TMP/win4k.img" 2>/dev/null)" "Volume Name: Windows" "ntfsinfo reads it"
	losetup -d "$loop4k"
	loop4k=
	rm -f "$TMP/4kn.img" "$TMP/win4k.img"
else
	skip "losetup cannot make a loop device of 4096-byte sectors here"
fi

# --- the read-back checks what was built in place against the disk ---
# a byte of the NTFS boot sector flipped on its way to the disk, after
# the stream hashed it from the loop device, as a failing disk would
old_disk
corrupt_at=$((start * 512 + 3))
WINTOGO=$WINTOGO_TEST WINTOGO_TEST_CORRUPT_OFFSET=$corrupt_at run_wintogo write --yes --quiet --seed 9 --direct \
	--tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$RC" 5 "--direct with a byte of the NTFS changed on the disk: the write fails (exit 5, as any read-back mismatch)"
like "$ERR" "'$loop' does not keep what was written: byte $corrupt_at \(windows partition, its byte 3\) reads back" \
	"the read-back names the byte of the partition built in place"
check "no loop device is left" no_loop_over "$loop"

# --- auto: measured, and the choice said ---
old_disk
run_wintogo write --yes --quiet --json --seed 9 --strategy auto --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "write --strategy auto to $loop"
is "$(jq -r 'select(.plan) | .plan.strategy.chosen' <<<"$OUT")" auto "the plan leaves the choice to the measurement"
choice=$(jq -r 'select(.strategy) | "\(.strategy.chosen): \(.strategy.reason)"' <<<"$OUT")
like "$choice" "^direct: the disk took [0-9]+ random 4 KiB writes a second, at least 4000$" \
	"a loop device over a file takes random writes fast: direct, and why"
like "$(jq -r 'select(.strategy) | .strategy.reason' <<<"$OUT" | grep -o '[0-9]*' | head -1)" "^[0-9]{4,}$" \
	"with the figure measured"
check "no loop device is left" no_loop_over "$loop"
old_disk
# a slow disk: each of wintogo's writes to it held 2 ms (faultinject.so),
# so the measurement finds some 400 a second
LD_PRELOAD=$FAULTINJECT FAULT_PATH=$loop FAULT_CALL=pwrite FAULT_DELAY_MS=2 FAULT_PROGRAM=wintogo \
	WINTOGO=$WINTOGO_TEST WINTOGO_WRITE_TRACE=$trace run_wintogo write --yes \
	--seed 9 --strategy auto --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "write --strategy auto to a disk whose writes take 2 ms each"
like "$OUT" "Windows built in the stage, then written in one stream: the disk took [0-9]{2,3} random 4 KiB writes a second, fewer than 4000" \
	"is staged, saying why, with the figure measured"
is "$(grep -c ' windows in-place$' "$trace")" 0 "and its Windows extents are written, not in place"
check_disk "$backing" "$FIXTURES/x64.wim" 1 "auto, staged"
# a stage with room for the ESP but not for Windows: auto builds on the disk
mkdir -p "$MNT"
if mount -t tmpfs -o size=327M tmpfs "$MNT"; then
	old_disk
	refuses "a staged write with that stage is refused" "not enough space to stage in '$MNT'" \
		write --yes --quiet --seed 9 --tmpdir "$MNT" "$FIXTURES/x64.wim" "$loop"
	LD_PRELOAD=$FAULTINJECT FAULT_PATH=$loop FAULT_CALL=pwrite FAULT_DELAY_MS=2 FAULT_PROGRAM=wintogo \
		run_wintogo write --yes --seed 9 --strategy auto --tmpdir "$MNT" "$FIXTURES/x64.wim" "$loop"
	is "$RC" 0 "write --strategy auto with a stage that has no room for Windows"
	like "$OUT" "Windows built on the disk itself \(direct\): the stage '$MNT' has 327.0 MiB free of the 3[0-9.]+ MiB it needs" \
		"builds Windows on the disk, saying why (however slow the disk)"
	run_wintogo verify "$loop"
	is "$RC" 0 "and the disk verifies"
	check "nothing is left in the stage" no_leftovers "$MNT"
	umount "$MNT"
else
	skip "cannot mount a tmpfs here"
fi
done_testing
