#!/bin/bash
# Refusals that name what the user typed and what to do, found before the
# plan is printed: IMAGE and TARGET swapped, a target that is no file, a
# folder given as the image, a missing or read-only target folder, a disk
# written without root.  Each must exit 1, print no plan (stdout empty, or
# with --json only the error object) and leave everything as it was.  Then
# what `list` and the confirmation prompt say a disk holds (loop devices,
# root only).
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
write_dirs
# like_text TEXT REGEX DESCRIPTION: as like, but REGEX may span lines
like_text() {
	if [[ $1 =~ $2 ]]; then
		_report 0 "$3"
	else
		_report 1 "$3"
		diag "'$1'" "does not match /$2/"
	fi
}
WIM=$FIXTURES/x64.wim

# --- IMAGE and TARGET swapped: never "use --force" ---
cp "$WIM" "$OUTDIR/victim.wim"
truncate -s 64M "$OUTDIR/src.img"
before=$(digest_of "$OUTDIR/victim.wim")
swap="'$OUTDIR/victim.wim' is a Windows image, not a target; did you swap IMAGE and TARGET\\? \\(wintogo write IMAGE TARGET\\)\$"
refuses "write src.img victim.wim: a WIM as target is a swap" "$swap" \
	write --tmpdir "$STAGE" "$OUTDIR/src.img" "$OUTDIR/victim.wim"
check "the message never suggests --force" bash -c "! grep -q -- --force '$TMP/stderr'"
refuses "with --force too" "$swap" write --force --yes --tmpdir "$STAGE" "$OUTDIR/src.img" "$OUTDIR/victim.wim"
refuses "with a real image as IMAGE too" "$swap" write --force --tmpdir "$STAGE" "$WIM" "$OUTDIR/victim.wim"
refuses "write --json: only the error object, no plan" "is a Windows image, not a target" \
	write --json --force --tmpdir "$STAGE" "$OUTDIR/src.img" "$OUTDIR/victim.wim"
is "$(jq -r '.error.code' <<<"$OUT")" target-invalid "its code is target-invalid"
refuses "vm SOURCE WIM is the same swap" \
	"'$OUTDIR/victim.wim' is a Windows image, not a target; did you swap IMAGE and TARGET\\? \\(wintogo vm SOURCE OUT\\)" \
	vm --force --format raw --tmpdir "$STAGE" "$WIM" "$OUTDIR/victim.wim"
is "$(digest_of "$OUTDIR/victim.wim")" "$before" "the WIM is unchanged"
for kind in esd swm; do
	case $kind in esd) src=$FIXTURES/x64.esd ;; swm) src=$FIXTURES/split.swm ;; esac
	cp "$src" "$OUTDIR/victim.$kind"
	refuses "an ${kind^^} as target is a swap, with --force" "victim.$kind' is a Windows image, not a target" \
		write --force --tmpdir "$STAGE" "$WIM" "$OUTDIR/victim.$kind"
	is "$(digest_of "$OUTDIR/victim.$kind")" "$(digest_of "$src")" "the ${kind^^} is unchanged"
done
# an ISO and a VHDX by content, whatever their names
truncate -s 64K "$OUTDIR/disc.bin"
printf '\001CD001\001' | dd of="$OUTDIR/disc.bin" bs=1 seek=32768 conv=notrunc status=none
refuses "an ISO (by content) as target is a swap, with --force" "disc.bin' is a Windows image, not a target" \
	write --force --tmpdir "$STAGE" "$WIM" "$OUTDIR/disc.bin"
printf 'vhdxfile' >"$OUTDIR/win.vhdx"
truncate -s 1M "$OUTDIR/win.vhdx"
refuses "a VHDX as the target of write is a swap, with --force" "win.vhdx' is a Windows image, not a target" \
	write --force --tmpdir "$STAGE" "$WIM" "$OUTDIR/win.vhdx"
refuses "vm --format raw onto a VHDX is a swap" "win.vhdx' is a Windows image, not a target" \
	vm --force --format raw --tmpdir "$STAGE" "$WIM" "$OUTDIR/win.vhdx"
# but a VHDX output may replace the VHDX it was, as any output may
refuses "vm --format vhdx onto an existing VHDX: 'use --force', as for any output" \
	"win.vhdx' already exists; use --force to replace it" \
	vm --format vhdx --tmpdir "$STAGE" "$WIM" "$OUTDIR/win.vhdx"
run_wintogo vm --dry-run --force --format vhdx --tmpdir "$STAGE" "$WIM" "$OUTDIR/win.vhdx"
is "$RC" 0 "and with --force it goes on (vm --format vhdx --force)"
check "no stage was left" no_leftovers "$STAGE"
check "no .partial or manifest was made beside the targets" \
	bash -c "! ls '$OUTDIR' | grep -q -e partial -e manifest"

# --- a target that is no disk and no file ---
refuses "write x.wim /dev/null is refused" \
	"^wintogo: '/dev/null' is not a disk or a disk image file; give a disk \\(see .wintogo list.\\) or the name of the image file to write\$" \
	write --force --tmpdir "$STAGE" "$WIM" /dev/null
check "/dev/null is still a character device" test -c /dev/null
mkfifo "$OUTDIR/fifo"
refuses "a FIFO as target is refused" "fifo' is not a disk or a disk image file" \
	vm --force --format raw --tmpdir "$STAGE" "$WIM" "$OUTDIR/fifo"
rm -f "$OUTDIR/fifo"

# --- a folder given as the image ---
mkdir -p "$TMP/tree"
folder="^wintogo: '$TMP/tree' is a folder; give a WIM, ESD, SWM, ISO or VHDX file\$"
refuses "info DIR names it a folder" "$folder" info "$TMP/tree"
refuses "info --json DIR" "is a folder" info --json "$TMP/tree"
is "$(jq -r '.error.code' <<<"$OUT")" not-an-image "its code is not-an-image"
refuses "write DIR t.img names it a folder, before any plan" "$folder" \
	write --tmpdir "$STAGE" "$TMP/tree" "$OUTDIR/t.img"
refuses "write --json DIR t.img: no plan" "is a folder" write --json --tmpdir "$STAGE" "$TMP/tree" "$OUTDIR/t.img"
refuses "vm DIR o.qcow2 names it a folder" "$folder" vm --tmpdir "$STAGE" "$TMP/tree" "$OUTDIR/o.qcow2"
check "nothing was created for them" test ! -e "$OUTDIR/t.img" -a ! -e "$OUTDIR/t.img.partial" -a ! -e "$OUTDIR/o.qcow2"
# the image is judged before the target: an existing target is no answer
# to a folder or a typo given as the image
touch "$OUTDIR/exists.img"
refuses "write DIR EXISTING names the folder, not the existing target" "$folder" \
	write --tmpdir "$STAGE" "$TMP/tree" "$OUTDIR/exists.img"
refuses "write MISSING EXISTING names the missing image" "^wintogo: cannot open '$TMP/nothere.wim': No such file or directory\$" \
	write --tmpdir "$STAGE" "$TMP/nothere.wim" "$OUTDIR/exists.img"
rm -f "$OUTDIR/exists.img"
refuses "verify DIR names it a folder" \
	"^wintogo: '$TMP/tree' is a folder; give a disk or disk image that wintogo wrote\$" verify "$TMP/tree"
refuses "verify --json DIR" "is a folder" verify --json "$TMP/tree"
is "$(jq -r '.error.code' <<<"$OUT")" target-invalid "its code is target-invalid"
refuses "verify --manifest M DIR too" "is a folder; give a disk" verify --manifest /dev/null "$TMP/tree"

# --- a target folder that is missing or read-only, named as typed ---
cd "$OUTDIR" || exit 1
refuses "write x.wim nodir/a.img: the folder is missing" \
	"^wintogo: 'nodir/a.img': the folder 'nodir' does not exist; create it first\$" \
	write --tmpdir "$STAGE" "$WIM" nodir/a.img
refuses "write --json: no plan" "the folder 'nodir' does not exist" write --json --tmpdir "$STAGE" "$WIM" nodir/a.img
is "$(jq -r '.error.code' <<<"$OUT")" not-found "its code is not-found"
refuses "vm too" "the folder 'nodir' does not exist" vm --tmpdir "$STAGE" "$WIM" nodir/a.qcow2
check "nodir was not created" test ! -e nodir
refuses "a file where the folder should be" "'src.img/a.img': 'src.img' is not a folder" \
	write --tmpdir "$STAGE" "$WIM" src.img/a.img
cd - >/dev/null || exit 1

# --- under /dev: never a new file, but in /dev/shm (RAM, for files) ---
refuses "a device that does not exist is refused" \
	"^wintogo: '/dev/wintogo-no-such-disk' does not exist; to write a disk, give its device" \
	write --yes --tmpdir "$STAGE" "$WIM" /dev/wintogo-no-such-disk
check "and nothing was made there" test ! -e /dev/wintogo-no-such-disk
refuses "nor through /dev/shm/.." "^wintogo: '/dev/shm/../wintogo-no-such-disk' does not exist; to write a disk" \
	write --yes --tmpdir "$STAGE" "$WIM" /dev/shm/../wintogo-no-such-disk
# (not in a subshell: its test would not be counted)
cd /dev || exit 1
refuses "nor by a name relative to /dev" "^wintogo: 'wintogo-no-such-disk' does not exist; to write a disk" \
	write --yes --tmpdir "$STAGE" "$WIM" wintogo-no-such-disk
cd - >/dev/null || exit 1
check "and nothing was made" test ! -e /dev/wintogo-no-such-disk
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHMDIR=$(mktemp -d /dev/shm/wintogo-refusals.XXXXXX)
	run_wintogo write --quiet --no-verify --tmpdir "$STAGE" "$WIM" "$SHMDIR/a.img"
	is "$RC" 0 "an image file in /dev/shm is written"
	[ "$RC" -eq 0 ] || diag "$ERR"
	check "and sfdisk reads its GPT" sfdisk --json "$SHMDIR/a.img"
	rm -rf "$SHMDIR"
else
	skip "no writable /dev/shm"; skip "-"
fi
check "no stage was left" no_leftovers "$STAGE"

if [ "$(id -u)" -ne 0 ]; then
	skip "the read-only folder and no-root cases run as nobody: needs root"
	done_testing
	exit 0
fi
# nobody must reach the image and the folders
chmod 755 "$TMP"
PUB=$TMP/pub
mkdir -p "$PUB/ro" "$PUB/stage"
cp "$WIM" "$PUB/x.wim"
chmod 755 "$PUB" && chmod 777 "$PUB/stage" && chmod 555 "$PUB/ro" && chmod 644 "$PUB/x.wim"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$WINTOGO" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	RC=$?
	OUT=$(cat "$TMP/stdout")
	ERR=$(cat "$TMP/stderr")
}
nobody_refuses() {
	local desc=$1 regex=$2
	shift 2
	as_nobody "$@"
	if [ "$RC" -eq 1 ] && [ "$(printf '%s' "$ERR" | grep -c '')" -eq 1 ] && stdout_is_error &&
		printf '%s' "$ERR" | grep -Eq -- "$regex"; then
		_report 0 "$desc"
	else
		_report 1 "$desc"
		diag "rc=$RC, stderr: $ERR" "stdout: $OUT" "want /$regex/"
	fi
}
nobody_refuses "a folder nobody may write in is refused before the plan" \
	"^wintogo: cannot write in '$PUB/ro': permission denied; write the image elsewhere\$" \
	write --tmpdir "$PUB/stage" "$PUB/x.wim" "$PUB/ro/a.img"
nobody_refuses "with --json, no plan" "cannot write in '$PUB/ro': permission denied" \
	write --json --tmpdir "$PUB/stage" "$PUB/x.wim" "$PUB/ro/a.img"
is "$(jq -r '.error.code' <<<"$OUT")" permission-denied "its code is permission-denied"
check "nothing was made in it" test -z "$(ls -A "$PUB/ro")"
if mkdir -p "$TMP/rofs" && mount -t tmpfs -o ro,size=1m tmpfs "$TMP/rofs" 2>/dev/null; then
	refuses "a folder on a read-only file system is refused before the plan" \
		"^wintogo: cannot write in '$TMP/rofs': read-only file system; write the image elsewhere\$" \
		write --tmpdir "$STAGE" "$WIM" "$TMP/rofs/a.img"
	umount "$TMP/rofs"
else
	skip "cannot mount a read-only tmpfs here"
fi

# --- a disk written without root; then what a disk holds ---
truncate -s 512M "$TMP/gpt.img" "$TMP/ext4.img" "$TMP/blank.img"
sgdisk -o -n1:0:+100M -n2:0:0 "$TMP/gpt.img" >/dev/null
mkfs.ext4 -q -F -L PHOTOS "$TMP/ext4.img"
loops=()
cleanup() {
	local l
	for l in "${loops[@]}"; do
		partx -d "$l" 2>/dev/null
		losetup -d "$l" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
if ! gpt=$(losetup -f --show "$TMP/gpt.img" 2>/dev/null); then
	skip "no loop device available"
	done_testing
	exit 0
fi
loops+=("$gpt")
ext4=$(losetup -f --show "$TMP/ext4.img") && loops+=("$ext4")
blank=$(losetup -f --show "$TMP/blank.img") && loops+=("$blank")

before=$(digest_of "$gpt")
nobody_refuses "nobody writing a disk is told to run it as root, before the plan" \
	"^wintogo: writing $gpt needs root: run it as root \\(sudo wintogo write \\.\\.\\.\\)\$" \
	write --yes --tmpdir "$PUB/stage" "$PUB/x.wim" "$gpt"
nobody_refuses "with --json, no plan" "writing $gpt needs root" \
	write --json --yes --tmpdir "$PUB/stage" "$PUB/x.wim" "$gpt"
is "$(jq -r '.error.code' <<<"$OUT")" permission-denied "its code is permission-denied"
is "$(digest_of "$gpt")" "$before" "the disk is unchanged"

if partx -a "$gpt" 2>/dev/null && [ -b "${gpt}p1" ] && mkfs.vfat -n KINGSTON "${gpt}p1" >/dev/null; then
	p1=$(basename "${gpt}p1") p2=$(basename "${gpt}p2")
	run_wintogo list --all --json
	is "$RC" 0 "list --all --json"
	disk() { jq -r --arg p "$1" ".disks[] | select(.path == \$p) | $2" <<<"$OUT"; }
	is "$(disk "$gpt" '"\(.partition_table) \(.fstype) \(.partitions | length)"')" "gpt null 2" \
		"the GPT disk: its table and two partitions, no whole-disk file system"
	is "$(disk "$gpt" '.partitions[] | "\(.name) \(.fstype) \(.label)"' | paste -sd,)" \
		"$p1 vfat KINGSTON,$p2 null null" "each partition's file system and label, in the disk's order"
	is "$(disk "$gpt" .contents)" "2 partitions: $p1 100.0 MiB vfat 'KINGSTON', $p2 411.0 MiB (no file system)" \
		"its contents, in one line"
	is "$(disk "$ext4" '"\(.partition_table) \(.fstype) \(.label)"')" "null ext4 PHOTOS" \
		"the whole-disk ext4: its file system and label"
	is "$(disk "$ext4" .contents)" "an ext4 file system labelled 'PHOTOS'" "said so"
	is "$(disk "$blank" '"\(.partition_table) \(.fstype) \(.contents)"')" "null null no partition table" \
		"a blank disk holds no partition table"
	run_wintogo list --all
	like_text "$OUT" "$gpt [^
]*
  holds: a GPT partition table with 2 partitions
  $p1 +100.0 MiB  vfat +\"KINGSTON\"" "list shows the table, then each partition"
	like_text "$OUT" "$ext4 [^
]*
  holds: an ext4 file system labelled 'PHOTOS'" "and the whole-disk file system"
	like_text "$OUT" "$blank [^
]*
  holds: no partition table" "and a blank disk"

	if command -v script >/dev/null; then
		for l in "$gpt" "$ext4" "$blank"; do
			before=$(digest_of "$l")
			printf 'sdz\n' | script -qec "'$WINTOGO' write --quiet --seed 3 --tmpdir '$STAGE' '$WIM' '$l'" /dev/null \
				>"$TMP/prompt.log" 2>&1
			prompt=$(tr -d '\r' <"$TMP/prompt.log")
			case $l in
			"$gpt") want="It holds: 2 partitions: $p1 100.0 MiB vfat 'KINGSTON', $p2 411.0 MiB \\(no file system\\)" ;;
			"$ext4") want="It holds: an ext4 file system labelled 'PHOTOS'" ;;
			*) want="It holds: no partition table" ;;
			esac
			like_text "$prompt" "$l: 512.0 MiB [^
]*serial [^
]*
$want
Everything on $l will be erased" "the prompt for $l says what it holds, before the question"
			like "$prompt" "not confirmed .*nothing was written" "a wrong name stops it"
			is "$(digest_of "$l")" "$before" "and $l is unchanged"
		done
	else
		skip "script (util-linux) is not installed"
	fi
else
	skip "partx or mkfs.vfat cannot make the partitions here"
fi
done_testing
