#!/bin/bash
# Hostile names and the right disk (fixtures/README, "Hostile cases"):
# file and folder names that a shell would run never run, a target is
# judged by the device number of the node given (not its name), and no
# target that is, holds or is backed by an input is ever written.  The
# stacks of LUKS/LVM/RAID on a system disk are judged with the disk.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
write_dirs
export MTOOLS_SKIP_CHECK=1
wim=$FIXTURES/x64.wim

# --- names a shell would run: every command that reads an ESP or a stage ---
evil='d$(touch PWNED)`touch PWNED2`'
work=$TMP/names
mkdir -p "$work/st\$x\\y@@z\$(touch PWNED)"
cd "$work" || exit 1
run_wintogo write --yes --seed 3 --tmpdir "st\$x\\y@@z\$(touch PWNED)" "$wim" "$evil.img"
is "$RC" 0 "write to '$evil.img' with a --tmpdir holding \\, \$x, @@ and \$(...) works"
[ "$RC" -eq 0 ] || diag "$ERR"
check "the disk image has its own name" test -s "$work/$evil.img"
run_wintogo verify "$evil.img"
is "$RC" 0 "verify of it passes"
run_wintogo info --bcd "$evil.img"
like "$OUT" "BCD store" "info --bcd reads its BCD"
run_wintogo probe --host pc-uefi "$evil.img"
like "$OUT" "EFI system partition" "probe reads its ESP"
run_wintogo vm --format raw "$evil.img" "$evil.vm.img"
is "$RC" 0 "vm of it reads its ESP too"
check "nothing ran: no PWNED file anywhere" bash -c "! find '$TMP' -name 'PWNED*' | grep -q ."
check "the stage folder given is left empty" no_leftovers "$work/st\$x\\y@@z\$(touch PWNED)"
mkdir -p -- "$work/-x"
run_wintogo write --yes --quiet --seed 3 --tmpdir -x -- "$wim" "-d.img"
is "$RC" 0 "a relative --tmpdir '-x' and a target '-d.img' are names, never options of the programs run"
[ "$RC" -eq 0 ] || diag "$ERR"
check "the stage '-x' is left empty" no_leftovers "$work/-x"
cd "$TMP" || exit 1

# --- text from a file never reaches the terminal raw ---
jq '.tool = "evil\u001b]0;TITLE\u0007\u009b31m"' "$work/$evil.img.manifest.json" >"$TMP/evil.json"
run_wintogo verify --manifest "$TMP/evil.json" "$work/$evil.img"
is "$RC" 0 "verify with a manifest whose tool name holds escape sequences"
check "no escape character reaches stdout" bash -c "! grep -q \$'\\e\\|\\a' '$TMP/stdout'"
like "$OUT" 'by evil\\x1B\]0;TITLE\\x07\\xC2\\x9B31m' "they are shown as \\xNN"

# --- the target is the input, under its own or another name ---
cp "$wim" "$TMP/src.wim"
before=$(digest_of "$TMP/src.wim")
refuses "write --force SRC SRC is refused" "is the input .*choose another target" \
	write --force --yes --tmpdir "$STAGE" "$TMP/src.wim" "$TMP/src.wim"
refuses "without --force it is refused as the input, not 'use --force'" "is the input" \
	write --yes --tmpdir "$STAGE" "$TMP/src.wim" "$TMP/src.wim"
ln "$TMP/src.wim" "$TMP/link.img"
refuses "a hard link to the source is refused" "'$TMP/link.img' is the input '$TMP/src.wim'" \
	write --force --yes --tmpdir "$STAGE" "$TMP/src.wim" "$TMP/link.img"
ln -s "$TMP/src.wim" "$TMP/sym.img"
refuses "a symlink to the source is refused" "is the input" \
	vm --force --format raw --tmpdir "$STAGE" "$TMP/src.wim" "$TMP/sym.img"
cp "$wim" "$TMP/t.img.partial"
refuses "a source named TARGET.partial is not removed as a stale .partial" \
	"would replace '$TMP/t.img.partial', which is the input" \
	write --yes --tmpdir "$STAGE" "$TMP/t.img.partial" "$TMP/t.img"
check "that source is still there" cmp -s "$wim" "$TMP/t.img.partial"
is "$(digest_of "$TMP/src.wim")" "$before" "the source is unchanged after every refusal"
check "no stage or output is left" no_leftovers "$STAGE"

# --- disks (root: loop devices) ---
if [ "$(id -u)" -ne 0 ] || ! loop_a=$(losetup -f --show "$TMP/src.wim" 2>/dev/null); then
	skip "needs root and a free loop device"
else
	truncate -s 600M "$TMP/other.img"
	loop_b=$(losetup -f --show "$TMP/other.img")
	trap 'losetup -d "$loop_a" "$loop_b" 2>/dev/null; rm -rf "$TMP"' EXIT
	refuses "a loop device backed by the source image is refused" \
		"$loop_a is a loop device that reads the source image" \
		write --yes --tmpdir "$STAGE" "$TMP/src.wim" "$loop_a"
	run_wintogo list --all --json --image "$TMP/src.wim"
	is "$(jq -r --arg p "$loop_a" '.disks[] | select(.path == $p) | .verdict' <<<"$OUT")" source \
		"list --image shows that loop device as the source"
	is "$(jq -r --arg p "$loop_b" '.disks[] | select(.path == $p) | .verdict' <<<"$OUT")" ok \
		"and the other one ok"
	# a node named like the free disk, with the number of the source's loop
	mkdir -p "$TMP/nodes"
	mknod "$TMP/nodes/${loop_b#/dev/}" b "$(stat -c '%t' "$loop_a" | xargs printf '%d')" \
		"$(stat -c '%T' "$loop_a" | xargs printf '%d')"
	refuses "a node named ${loop_b#/dev/} is judged by its number: the source's loop device" \
		"reads the source image" write --yes --tmpdir "$STAGE" "$TMP/src.wim" "$TMP/nodes/${loop_b#/dev/}"
	is "$(digest_of "$TMP/src.wim")" "$before" "the source is unchanged"
	rm -f "$TMP/nodes/x"
	mknod "$TMP/nodes/x" b "$(stat -c '%t' "$loop_b" | xargs printf '%d')" \
		"$(stat -c '%T' "$loop_b" | xargs printf '%d')"
	run_wintogo write --yes --dry-run --tmpdir "$STAGE" "$wim" "$TMP/nodes/x"
	is "$RC" 0 "a node with any name and the number of a free disk is that disk"
	like "$OUT" "onto $TMP/nodes/x: 600.0 MiB" "planned with that disk's size"
fi

# --- what is built on a disk: fake sysfs, /proc trees (no device mapper here) ---
S=$TMP/sys P=$TMP/proc
mkdir -p "$S/block" "$S/class/block" "$P/self"
# disk NAME MAJ:MIN: a whole USB disk of 16 GiB
disk() {
	local dir=$S/devices/usb1/1-$1/block/$1
	mkdir -p "$dir/queue" "$dir/holders"
	echo $((16384 * 2048)) >"$dir/size"
	echo "$2" >"$dir/dev"
	echo 1 >"$dir/removable"
	echo 0 >"$dir/ro"
	echo 512 >"$dir/queue/logical_block_size"
	ln -s "../devices/usb1/1-$1/block/$1" "$S/block/$1"
}
part() { # part DISK NAME MAJ:MIN
	local dir=$S/devices/usb1/1-$1/block/$1/$2
	mkdir -p "$dir/holders"
	echo 1 >"$dir/partition"
	echo 2048 >"$dir/start"
	echo $((8192 * 2048)) >"$dir/size"
	echo "$3" >"$dir/dev"
	ln -s "$dir" "$S/class/block/$2"
}
sysdir() { # the sysfs folder of a disk, partition or virtual device
	if [ -e "$S/class/block/$1" ]; then readlink -f "$S/class/block/$1"; else readlink -f "$S/block/$1"; fi
}
virtual() { # virtual NAME MAJ:MIN DM-NAME ON...: a dm or md device built on ON
	local name=$1 dir=$S/devices/virtual/block/$1 on
	mkdir -p "$dir/holders"
	echo "$2" >"$dir/dev"
	echo $((8192 * 2048)) >"$dir/size"
	if [ -n "$3" ]; then mkdir -p "$dir/dm" && echo "$3" >"$dir/dm/name"; fi
	ln -s "../devices/virtual/block/$name" "$S/block/$name"
	shift 3
	for on in "$@"; do
		ln -s "$dir" "$(sysdir "$on")/holders/$name"
	done
}
disk sda 8:0;  part sda sda2 8:2     # root on LVM on LUKS on sda2
virtual dm-0 253:0 luks-1234 sda2
virtual dm-1 253:1 vg-root dm-0
disk sdb 8:16; part sdb sdb1 8:17    # an open LUKS container, not mounted
virtual dm-2 253:2 luks-cafe sdb1
disk sdc 8:32; part sdc sdc1 8:33    # swap on LVM
virtual dm-3 253:3 vg-swap sdc1
disk sdd 8:48; part sdd sdd1 8:49    # a RAID 1 member, mounted at /data
virtual md0 9:0 "" sdd1
disk sde 8:64; part sde sde1 8:65    # nothing on it
cat >"$P/self/mountinfo" <<'MOUNTS'
22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw
30 22 9:0 / /data rw,relatime shared:3 - ext4 /dev/md0 rw
MOUNTS
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/dm-3 partition 16383996 0 -2\n' >"$P/swaps"
run_wintogo list --all --json --sysfs-root "$S" --dev-root /dev --proc-root "$P"
verdict() { jq -r --arg n "$1" '.disks[] | select(.name == $n) | "\(.verdict): \(.reason)"' <<<"$OUT"; }
like "$(verdict sda)" "^system: .*dm-1 \\(vg-root\\) on dm-0 is /" "root on LVM on LUKS on sda2: sda is the system disk"
like "$(verdict sdb)" "^in-use: .*dm-2 \\(luks-cafe\\) is built on sdb1 .*close it first" "an open LUKS container: in use"
like "$(verdict sdc)" "^system: .*dm-3 \\(vg-swap\\) on sdc1 is swap" "swap on LVM: the system disk"
like "$(verdict sdd)" "^mounted: .*md0 on sdd1 is mounted at /data" "a RAID member mounted through md0: mounted"
like "$(verdict sde)" "^ok" "a disk with nothing built on it: ok"
done_testing
