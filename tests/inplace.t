#!/bin/bash
# An image file's Windows partition is built in the file itself (mkntfs and
# wimlib on TARGET.partial, then fallocate FALLOC_FL_INSERT_RANGE moves it
# to its offset: sink_raw.c), where the file system can insert ranges
# (ext4, XFS), instead of being staged and copied.  Under one fixed clock
# (faketime) the image built in place is the copied one byte for byte
# (cmp), GPT and MBR, on ext4, XFS and btrfs (reflinked there); the trace shows the Windows partition's extents as
# in place, one increasing sequence with the rest; nothing of Windows goes
# through the stage; and on tmpfs, which cannot insert ranges, the copy is
# what runs.  sfdisk, sgdisk, fsck.fat, ntfs-3g against wimapply and
# wintogo verify judge each image (check_disk).
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
WINTOGO=$WINTOGO_TEST
THRESHOLD=1048576   # write --fill-gaps's default

# clocked_write NAME ARGS...: the write of x64.wim to $OUTDIR/NAME.img
# under a clock that stands still, its trace in $TMP/NAME.trace
clocked_write() {
	local name=$1
	shift
	WINTOGO_WRITE_TRACE=$TMP/$name.trace faketime -f '@2026-01-01 00:00:00 x0' \
		"$WINTOGO" write --quiet --seed 13 --tmpdir "$STAGE" "$@" "$FIXTURES/x64.wim" "$OUTDIR/$name.img" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
}
in_place_lines() { awk '$4 == "in-place"' "$TMP/$1.trace" | grep -c ''; }

if ! command -v faketime >/dev/null; then
	skip_all "no faketime (make deps installs it)"
fi
truncate -s 1M "$OUTDIR/probe"
if ! fallocate --insert-range -o 0 -l 1M "$OUTDIR/probe" 2>/dev/null; then
	rm -f "$OUTDIR/probe"
	skip_all "the file system of $OUTDIR cannot insert ranges"
fi
rm -f "$OUTDIR/probe"

for table in gpt mbr; do
	clocked_write "place-$table" --partition-table "$table"
	is "$?" 0 "$table: the write builds Windows in the image file"
	[ -s "$TMP/place-$table.err" ] && diag "$(cat "$TMP/place-$table.err")"
	check "$table: the trace shows the Windows partition in place" test "$(in_place_lines "place-$table")" -gt 0
	check "$table: and none of it copied" test "$(awk '$3 == "windows" && $4 != "in-place"' "$TMP/place-$table.trace" | grep -c '')" = 0
	clocked_write "copy-$table" --partition-table "$table" --strategy stage
	is "$?" 0 "$table: the same write staged and copied (--strategy stage)"
	is "$(in_place_lines "copy-$table")" 0 "$table: nothing in place there"
	check "$table: the two images are the same bytes (cmp)" cmp "$OUTDIR/place-$table.img" "$OUTDIR/copy-$table.img"
	rm -f "$OUTDIR/copy-$table.img" "$OUTDIR/copy-$table.img.manifest.json"
done
check_disk "$OUTDIR/place-gpt.img" "$FIXTURES/x64.wim" 1 "built in place"
run_wintogo verify "$OUTDIR/place-gpt.img"
is "$RC" 0 "wintogo verify reads it back against its manifest"
rm -f "$OUTDIR"/place-mbr.img*

# the trace, in place and written alike, is one increasing sequence whose
# gaps are all longer than the threshold (gap filling joins the others)
check "the extents are one increasing sequence" \
	awk '$3 != "overwrite" { if (NR > 1 && $1 < end) exit 1; end = $1 + $2 }' "$TMP/place-gpt.trace"
is "$(awk -v t="$THRESHOLD" '$3 != "overwrite" { if (NR > 1 && $1 > end && $1 - end < t) n++; end = $1 + $2 } END { print n + 0 }' "$TMP/place-gpt.trace")" 0 \
	"no gap between them is shorter than the threshold"

# nothing of Windows is staged: strace sees no windows.img in the stage
if command -v strace >/dev/null; then
	rm -f "$OUTDIR"/place-gpt.img*
	strace -f -qq -e trace=openat,creat -o "$TMP/strace" "$WINTOGO" write --quiet --seed 13 --tmpdir "$STAGE" \
		"$FIXTURES/x64.wim" "$OUTDIR/place-gpt.img"
	is "$?" 0 "under strace the write succeeds"
	is "$(grep -c 'windows\.img' "$TMP/strace")" 0 "and no windows.img is ever opened in the stage"
	check "the Windows partition was made in the target's .partial" grep -q 'place-gpt\.img\.partial' "$TMP/strace"
else
	skip "no strace"; skip "-"; skip "-"
fi
check "nothing is left in the stage" no_leftovers "$STAGE"

# as root, other file systems: tmpfs cannot insert ranges nor share
# blocks (staged and copied); btrfs cannot insert but shares (built in an
# unnamed file beside the image, FICLONERANGE, at full size: ntfsresize
# needs a name); XFS inserts
SHM=$TMP/tmpfs
mkdir -p "$SHM" "$TMP/btrfs" "$TMP/xfs"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=1g tmpfs "$SHM" 2>/dev/null; then
	skip_all "needs root to mount a tmpfs"
fi
trap 'umount "$SHM" "$TMP/btrfs" "$TMP/xfs" 2>/dev/null; rm -rf "$TMP"' EXIT
# on_fs KIND MKFS...: a file system of KIND in a loop-mounted file at
# $TMP/KIND, an image written to it in place and staged, compared
on_fs() {
	local kind=$1 mnt=$TMP/$1
	shift
	truncate -s 2G "$TMP/$kind.fs"
	if ! command -v "$1" >/dev/null || ! "$@" "$TMP/$kind.fs" >/dev/null 2>&1 ||
		! mount -o loop "$TMP/$kind.fs" "$mnt" 2>/dev/null; then
		skip "no $kind here"; skip "-"; skip "-"; skip "-"
		return
	fi
	WINTOGO_WRITE_TRACE=$TMP/$kind.trace faketime -f '@2026-01-01 00:00:00 x0' "$WINTOGO" write --quiet --seed 13 \
		--tmpdir "$STAGE" "$FIXTURES/x64.wim" "$mnt/place.img"
	is "$?" 0 "$kind: the write succeeds"
	check "$kind: its Windows partition is in place" test "$(awk '$4 == "in-place"' "$TMP/$kind.trace" | grep -c '')" -gt 0
	WINTOGO_TEST_NO_BUILD_IN_PLACE=1 faketime -f '@2026-01-01 00:00:00 x0' "$WINTOGO" write --quiet --seed 13 \
		--tmpdir "$STAGE" "${stage_args[@]}" "$FIXTURES/x64.wim" "$mnt/copy.img"
	check "$kind: the same bytes as staged and copied (cmp)" cmp "$mnt/place.img" "$mnt/copy.img"
	run_wintogo verify "$mnt/place.img"
	is "$RC" 0 "$kind: and it verifies"
	umount "$mnt"
}
stage_args=(--stage full)
on_fs btrfs mkfs.btrfs -q
stage_args=()
on_fs xfs mkfs.xfs -q
WINTOGO_WRITE_TRACE=$TMP/shm.trace run_wintogo write --quiet --seed 13 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$SHM/shm.img"
is "$RC" 0 "a write onto tmpfs succeeds"
[ "$RC" -eq 0 ] || diag "$ERR"
is "$(in_place_lines shm)" 0 "staged and copied there (tmpfs has no FALLOC_FL_INSERT_RANGE)"
check "its Windows partition was streamed" test "$(awk '$3 == "windows"' "$TMP/shm.trace" | grep -c '')" -gt 0
check_disk "$SHM/shm.img" "$FIXTURES/x64.wim" 1 "copied onto tmpfs"
done_testing
