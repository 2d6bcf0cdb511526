#!/bin/bash
# wintogo write to a real block device (a loop device over a sparse file):
# the disk passes every check of the image-file tests, old signatures are
# gone, wintogo verify passes, and every refusal leaves the disk as it was.
# Needs root (loop devices); skips otherwise.
. "$(dirname "$0")/lib.sh"
need_fixtures

need_root_loop
backing=$TMP/disk.img
truncate -s 512M "$backing"
# an old disk: a GPT (whose backup header stays at the end) under an ext4
sgdisk -o -n1:0:+100M "$backing" >/dev/null
mkfs.ext4 -q -F "$backing"
attach_loop "$backing"
MNT=$TMP/mnt
mkdir -p "$MNT"
cleanup() {
	fusermount -u "$MNT" 2>/dev/null
	partx -d "$loop" 2>/dev/null
	losetup -d "$loop" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

like "$(wipefs -n "$loop")" "ext4" "the loop device starts with an old ext4 on it"

# --- refusals, each leaving the disk as it was ---
before=$(digest_of "$loop")
run_wintogo write "$FIXTURES/x64.wim" "$loop" </dev/null
is "$RC" 1 "without --yes and without a terminal, writing a disk is refused"
like "$ERR" "erases everything on it; confirm on a terminal, or give --yes" "saying how to confirm"
refuses "a device node that does not exist is refused" "does not exist; to write a disk" \
	write --yes "$FIXTURES/x64.wim" "${loop}p9"
check "and no file was made in its place" test ! -e "${loop}p9"
is "$(digest_of "$loop")" "$before" "the disk is unchanged"

run_wintogo vm --format raw "$FIXTURES/x64.wim" "$loop"
is "$RC" 1 "vm refuses a disk as OUT (only write asks to confirm a disk)"
like "$ERR" "is a disk; write disks with .wintogo write." "saying so"
is "$(digest_of "$loop")" "$before" "the disk is unchanged"

# --- the write ---
run_wintogo write --yes --seed 9 "$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "write --yes IMAGE /dev/loopN"
[ "$RC" -eq 0 ] || diag "$ERR"
like "$OUT" "Wrote $loop: .* read back and verified" "it was read back and verified"
check_disk "$backing" "$FIXTURES/x64.wim" 1 "loop device"
wipe=$(wipefs -n "$loop")
check "wipefs no longer sees the old ext4" bash -c "! grep -q ext4 <<<'$wipe'"
like "$wipe" "gpt" "only the new partition table"
is "$(blkid -p -o value -s PTTYPE "$loop")" gpt "blkid -p sees the new GPT"
is "$(sfdisk --json "$loop" | jq -r .partitiontable.id)" \
	"$(sfdisk --json "$backing" | jq -r .partitiontable.id)" "the device and its file hold the same disk"
run_wintogo verify "$loop"
is "$RC" 0 "wintogo verify /dev/loopN passes"
refuses "the disk that is the source image itself is refused" "holds the source image" \
	write --dry-run --yes "$loop" "$loop"
check "no manifest is put beside a device node" test ! -e "$loop.manifest.json"

# --- a mounted partition, and the disk that holds the image ---
# what the refusals would have overwritten first: the GPT and the ESP
head_hash() { head -c $((277 * 1024 * 1024)) "$1" | cksum; }
if partx -a "$loop" 2>/dev/null && [ -b "${loop}p1" ]; then
	refuses "a partition instead of a disk is refused" "is a partition, not a disk; give the whole disk, $loop" \
		write --yes "$FIXTURES/x64.wim" "${loop}p1"
else
	skip "partx cannot add partition nodes here"
fi
if [ -b "${loop}p3" ] && ntfs-3g "${loop}p3" "$MNT" 2>/dev/null; then
	before=$(head_hash "$loop")
	refuses "a disk with a mounted partition is refused" "${loop}p3 is mounted at .*; unmount it first" \
		write --yes "$FIXTURES/x64.wim" "$loop"
	cp "$FIXTURES/x64.wim" "$MNT/x64.wim"
	refuses "the disk that holds the source image is refused" "holds the source image" \
		write --yes "$MNT/x64.wim" "$loop"
	fusermount -u "$MNT"
	is "$(head_hash "$loop")" "$before" "its GPT and ESP are unchanged by the refusals"
else
	skip "ntfs-3g (FUSE) cannot mount the partition here"
	skip "ntfs-3g (FUSE) cannot mount the partition here"
	skip "ntfs-3g (FUSE) cannot mount the partition here"
fi
partx -d "$loop" 2>/dev/null

# --- the typed confirmation, answered on a terminal (script gives a pty) ---
if command -v script >/dev/null; then
	before=$(digest_of "$loop")
	printf 'sdz\n' | script -qec "'$WINTOGO' write --quiet --seed 10 '$FIXTURES/x64.wim' '$loop'" /dev/null \
		>"$TMP/wrong.log" 2>&1
	like "$(cat "$TMP/wrong.log")" "Type its name \($loop\) to go on" "on a terminal, the disk's name is asked for"
	like "$(cat "$TMP/wrong.log")" "not confirmed .*nothing was written" "a wrong name stops it"
	is "$(digest_of "$loop")" "$before" "and nothing was written"
	printf '%s\n' "$loop" | script -qec "'$WINTOGO' write --quiet --seed 10 '$FIXTURES/x64.wim' '$loop'" /dev/null \
		>"$TMP/right.log" 2>&1
	check "the right name goes on" bash -c "! grep -q 'not confirmed' '$TMP/right.log'"
	check "and writes the disk" test "$(digest_of "$loop")" != "$before"
else
	skip "script (util-linux) is not installed"
fi
done_testing
