#!/bin/bash
# write --unmount: a disk refused only because its own file systems are
# mounted (two ext4 partitions of a loop device, mounted in a temporary
# folder) is refused with the mount points without it, refused with the
# process named while one uses a mount (the disk unchanged, nothing
# unmounted), and unmounted (umount2: no udisks here) and written with it;
# findmnt, wintogo verify and check_disk judge the outcome.  Needs root.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
need_root_loop
backing=$TMP/disk.img
truncate -s 1G "$backing"
printf 'label: gpt\n,100M\n,200M\n' | sfdisk -q "$backing"
attach_loop "$backing"
sleeper=
cleanup() {
	[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null
	umount "$TMP/a" "$TMP/b" 2>/dev/null
	[ -z "$loop" ] || { partx -d "$loop" 2>/dev/null; losetup -d "$loop"; }
	rm -rf "$TMP"
}
trap cleanup EXIT
partx -a "$loop" 2>/dev/null && [ -b "${loop}p2" ] || skip_all "no loop device with partition nodes here"
mkdir -p "$TMP/a" "$TMP/b"
mkfs.ext4 -q -F "${loop}p1" && mkfs.ext4 -q -F "${loop}p2"
mount "${loop}p1" "$TMP/a" && mount "${loop}p2" "$TMP/b"
mounted() { findmnt -n -o TARGET -S "$1" >/dev/null; }
before=$(digest_of "$loop")

run_wintogo write --yes --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop" </dev/null
is "$RC" 1 "without --unmount a disk with mounted partitions is refused"
like "$ERR" "${loop}p1 is mounted at $TMP/a, ${loop}p2 at $TMP/b; unmount them first, or let .wintogo write --unmount. do it" \
	"listing every mount point and how to go on"
run_wintogo list --all --json
is "$(jq -r --arg n "${loop#/dev/}" '.disks[] | select(.name == $n) | .unmountable' <<<"$OUT")" true \
	"list calls it unmountable"

(cd "$TMP/b" && exec sleep 60) &
sleeper=$!
sleep 0.5
run_wintogo write --yes --unmount --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop" </dev/null
is "$RC" 1 "a mount a process uses is refused"
like "$ERR" "cannot unmount ${loop}p2 \\(mounted at $TMP/b\\): in use by process $sleeper \\(sleep\\)" "naming the process and the mount it holds"
check "and nothing was unmounted" sh -c 'findmnt -n -S "$1" >/dev/null && findmnt -n -S "$2" >/dev/null' _ "${loop}p1" "${loop}p2"
is "$(digest_of "$loop")" "$before" "the disk is unchanged"
kill "$sleeper"; wait "$sleeper" 2>/dev/null; sleeper=
(cd "$TMP/a" && exec sleep 60) &
sleeper=$!
sleep 0.5
run_wintogo write --yes --unmount --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop" </dev/null
like "$ERR" "cannot unmount ${loop}p1 \\(mounted at $TMP/a\\): in use by process $sleeper " "the other mount held: that one is named"
kill "$sleeper"; wait "$sleeper" 2>/dev/null; sleeper=

cp "$FIXTURES/x64.wim" "$TMP/b/x64.wim"
run_wintogo write --yes --unmount --tmpdir "$STAGE" "$TMP/b/x64.wim" "$loop" </dev/null
is "$RC" 1 "a disk whose mounted partition holds the image is never unmounted"
like "$ERR" "holds the source image" "it is the source"
check "and it stays mounted" mounted "${loop}p2"
rm -f "$TMP/b/x64.wim"

run_wintogo write --yes --unmount --json --seed 3 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop" </dev/null
is "$RC" 0 "with --unmount the write succeeds"
[ "$RC" -eq 0 ] || diag "$ERR"
is "$(head -1 <<<"$OUT" | jq -r '[.plan.unmount[] | "\(.device)=\(.mountpoint)"] | join(" ")')" \
	"${loop}p1=$TMP/a ${loop}p2=$TMP/b" "the plan lists what it unmounts"
like "$ERR" "unmounted ${loop}p1 from $TMP/a" "and the log says so"
check "neither partition is mounted any more (findmnt)" sh -c '! findmnt -n -S "$1" && ! findmnt -n -S "$2"' _ "${loop}p1" "${loop}p2"
run_wintogo verify "$loop"
is "$RC" 0 "the disk passes wintogo verify"
check_disk "$backing" "$FIXTURES/x64.wim" 1 "unmounted and written"
check "nothing is left in the stage" no_leftovers "$STAGE"
done_testing
