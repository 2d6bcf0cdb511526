#!/bin/bash
# A write that does not finish is recognisable: wintogo writes the partition
# table last (include/wintogo/write.h), so a disk cut off mid-stream has
# none, and probe, verify and list say that the write should be done again.
# A write that finishes still passes every check, with the GPT's writes
# after every other.  A disk image file first; then, as root, a loop device.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs

ADVICE="no partition table: if wintogo was interrupted while writing it, write it again"

# --- a disk image file (no root needed) ---
# kill -9 once the trace shows the ESP under way: TARGET.partial is left,
# without a partition table.  The trace is line-buffered and each line is
# out before its write starts.
fifo=$TMP/trace.fifo
# kill_at_esp OUT ERR WRITE-ARGS...: runs the test build's write with the
# trace on the FIFO and kills it (-9) once the trace shows the ESP started;
# sets rc, seen (the trace up to then) and rest (what it still wrote).
kill_at_esp() {
	local out=$1 err=$2 pid line
	shift 2
	mkfifo "$fifo"
	WINTOGO_WRITE_TRACE=$fifo "$WINTOGO_TEST" write "$@" >"$out" 2>"$err" &
	pid=$!
	exec 5<"$fifo"
	seen=""
	while IFS= read -r line <&5; do
		seen+="$line"$'\n'
		[ "${line##* }" = esp ] && break
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	rest=$(cat <&5)
	exec 5<&-
	rm -f "$fifo"
}
kill_at_esp /dev/null /dev/null --quiet --seed 9 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/cut.img"
is "$rc" 137 "image file: the write was killed (kill -9)"
check "image file: before any GPT write" test -z "$(grep 'overwrite gpt' <<<"$seen$rest")"
partial=$OUTDIR/cut.img.partial
is "$(sfdisk --json "$partial" 2>/dev/null | jq -r '.partitiontable.label // empty')" "" \
	"image file: sfdisk finds no partition table in the .partial left"
is "$(blkid -p -o export "$partial")" "" "image file: blkid -p finds nothing"
run_wintogo probe "$partial"
is "$RC" 4 "image file: probe exits 4 (cannot boot)"
like "$OUT" "no-partition-table .*'$partial' has $ADVICE" "image file: probe says the write should be done again"
refuses "image file: verify says so" "'$partial' has $ADVICE" verify "$partial"
truncate -s 64M "$TMP/new.img"
run_wintogo probe "$TMP/new.img"
is "$RC" 4 "a new, all-zero disk image: probe says cannot boot (not: not an image)"
rm -rf "${STAGE:?}"/* "${OUTDIR:?}"/*

need_root_loop
backing=$TMP/disk.img
truncate -s 512M "$backing"
attach_loop "$backing"
cleanup() {
	losetup -d "$loop" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
old_disk
size=$(blockdev --getsize64 "$loop")

# what every tool must find on a disk whose write was cut off ($1: how)
check_unfinished() {
	local how=$1
	is "$(sfdisk --json "$loop" 2>/dev/null | jq -r '.partitiontable.label // empty')" "" \
		"$how: sfdisk finds no partition table"
	is "$(blkid -p -o export "$loop")" "" "$how: blkid -p finds nothing on the disk"
	is "$(wipefs -n "$loop")" "" "$how: wipefs finds no signature (the old ext4 and GPT are gone)"
	run_wintogo probe "$loop"
	is "$RC" 4 "$how: probe exits 4 (cannot boot)"
	like "$OUT" "verdict: cannot boot" "$how: probe's verdict is cannot boot"
	like "$OUT" "no-partition-table .*'$loop' has $ADVICE" "$how: probe says the write should be done again"
	refuses "$how: verify says so, in one line, exit 1" "'$loop' has $ADVICE" verify "$loop"
	refuses "$how: verify --manifest says so too" "'$loop' has $ADVICE" \
		verify --manifest "$TMP/complete.manifest.json" "$loop"
	run_wintogo list --all
	like "$(grep -A9 "^$loop " <<<"$OUT" | sed -n '2,$p' | sed "/^\//,\$d")" "note: $ADVICE" \
		"$how: list --all notes it under the disk"
	run_wintogo list --all --json
	is "$(jq -r --arg p "$loop" '.disks[] | select(.path == $p) | .notes[]' <<<"$OUT" 2>/dev/null)" \
		"$ADVICE" "$how: list --json has it in the disk's notes"
}

# --- a write that finishes: everything passes, the GPT written last ---
trace=$TMP/trace
WINTOGO=$WINTOGO_TEST WINTOGO_WRITE_TRACE=$trace run_wintogo write --yes --quiet --seed 9 --tmpdir "$STAGE" \
	"$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "a complete write to $loop"
[ "$RC" -eq 0 ] || diag "$ERR"
check_disk "$backing" "$FIXTURES/x64.wim" 1 "complete write"
run_wintogo verify "$loop"
is "$RC" 0 "wintogo verify passes"
run_wintogo probe "$loop"
is "$(grep 'interrupted while writing' <<<"$OUT")" "" "probe does not call it unfinished"
is "$(grep -c 'overwrite gpt$' "$trace")" 2 "the trace has two GPT writes"
is "$(tail -n 2 "$trace" | awk -v size="$size" '{ print ($1 == 0 ? "start" : $1 + $2 == size ? "end" : $1), $3, $4 }' | paste -sd,)" \
	"start overwrite gpt,end overwrite gpt" \
	"they are the last writes: the primary GPT at byte 0, then the backup at the disk's end"
is "$(head -n 1 "$trace" | cut -d' ' -f1,3)" "0 zeros" "the stream starts with zeros where the GPT goes"
# its manifest, for verify --manifest on the unfinished disks below
MTOOLS_SKIP_CHECK=1 mtype -i "$backing@@$((2048 * 512))" ::/wintogo/manifest.json >"$TMP/complete.manifest.json"
check "the manifest could be copied off the ESP" jq -e .wintogo_manifest "$TMP/complete.manifest.json"

# --- killed (kill -9) mid-stream ---
# The trace is line-buffered and each line is out before its write: once
# the line of the ESP's first extent is read, the wipe and the zeros at the
# start are on the disk, and the ESP, Windows, the manifest and the GPT
# are still to come when kill -9 lands.
old_disk
kill_at_esp "$TMP/killed.out" "$TMP/killed.err" --yes --quiet --seed 9 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$rc" 137 "the write was killed (kill -9)"
like "$seen" "^0 1048576 zeros" "after it had sent the zeros at the start"
check "before any GPT write (the trace has none)" bash -c "! grep -q 'overwrite gpt' <<<'$seen$rest'"
check_unfinished "killed"
rm -rf "${STAGE:?}"/*

# --- --direct, killed once Windows is built on the disk ---
# The old table was wiped before the build, the new one is not written
# yet: the disk is as unfinished as a staged one, and the loop device
# over its partition goes with the process (LO_FLAGS_AUTOCLEAR).
old_disk
kill_at_esp "$TMP/killed.out" "$TMP/killed.err" --yes --quiet --seed 9 --direct --tmpdir "$STAGE" \
	"$FIXTURES/x64.wim" "$loop"
is "$rc" 137 "--direct: the write was killed (kill -9) once the stream reached the ESP"
check "--direct: before any GPT write" bash -c "! grep -q 'overwrite gpt' <<<'$seen$rest'"
check_unfinished "killed after a direct build"
check "--direct: no loop device is left over the disk" no_loop_over "$loop"
rm -rf "${STAGE:?}"/*

# --- stopped by a failing disk (EIO at its 4th write) ---
old_disk
LD_PRELOAD=$FAULTINJECT FAULT_PATH=$loop FAULT_CALL=pwrite FAULT_NTH=4 FAULT_PROGRAM=wintogo \
	FAULT_LOG=$TMP/fault.log run_wintogo write --yes --quiet --seed 9 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$RC" 1 "a write whose disk fails mid-stream exits 1"
check "the fault was injected" test -s "$TMP/fault.log"
check_unfinished "failed"

# --- a disk that is not blank is not called unfinished ---
old_disk
run_wintogo verify "$loop"
is "$(grep 'interrupted while writing' <<<"$ERR")" "" "an old ext4 disk: verify does not call it unfinished"
done_testing
