#!/bin/bash
# wintogo write IMAGE TARGET...: several targets from one stage.  Each
# target passes the single-target checks (check_disk: sfdisk, sgdisk,
# blkid, fsck.fat, mtools, ntfs-3g against wimapply) and `wintogo
# verify`; each has its own GUIDs, named by its own BCD (hivex, through
# info --bcd); the image was applied once (strace: one mkntfs for three
# ESPs); a fault injected on one target (LD_PRELOAD) fails only that one.
# As root, three loop devices of different sizes and an image file in one
# write, the partitions sized for the smallest.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
WIM=$FIXTURES/x64.wim

# --- three image files ---
run_wintogo write --seed 5 --size 1G --tmpdir "$STAGE" --json "$WIM" "$OUTDIR/a.img" "$OUTDIR/b.img" "$OUTDIR/c.img"
is "$RC" 0 "write IMAGE A B C exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
is "$(jq -r 'select(.plan) | .plan.target' <<<"$OUT" | xargs -n1 basename | tr '\n' ' ')" "a.img b.img c.img " \
	"one plan per target"
is "$(jq -r 'select(.result) | "\(.result.target | split("/") | last) \(.result.verified)"' <<<"$OUT" | tr '\n' ' ')" \
	"a.img true b.img true c.img true " "one result per target, each read back and verified"
like "$ERR" 'staging Windows once for the 3 targets' "the log says the stage was built once"
check "nothing is left in the stage" no_leftovers "$STAGE"
guids=""
for t in a b c; do
	check_disk "$OUTDIR/$t.img" "$WIM" 1 "$t.img"
	run_wintogo verify "$OUTDIR/$t.img"
	is "$RC" 0 "$t.img passes wintogo verify"
	disk=$(sfdisk --json "$OUTDIR/$t.img" | jq -r .partitiontable.id)
	part=$(sfdisk --json "$OUTDIR/$t.img" | jq -r '.partitiontable.partitions[2].uuid')
	run_wintogo info --bcd "$OUTDIR/$t.img"
	like "$OUT" "osdevice +partition \\{$part\\} on GPT disk \\{$disk\\}" \
		"$t.img's BCD names its own Windows partition and disk (sfdisk: $part on $disk)"
	guids+="$disk $part "
	is "$(jq -r .disk.guid "$OUTDIR/$t.img.manifest.json")" "$disk" "$t.img has its own manifest, with its disk's GUID"
done
is "$(tr ' ' '\n' <<<"$guids" | grep -c .)" 6 "six GUIDs were read"
is "$(tr ' ' '\n' <<<"$guids" | grep . | sort -u | wc -l)" 6 "and no two targets share a disk or partition GUID"

# --seed: the same GUIDs on every run; each target's are seed + its number
run_wintogo write --seed 6 --size 1G --tmpdir "$STAGE" --quiet --no-verify "$WIM" "$OUTDIR/single.img"
is "$(sfdisk --json "$OUTDIR/single.img" | jq -r .partitiontable.id)" "$(sfdisk --json "$OUTDIR/b.img" | jq -r .partitiontable.id)" \
	"with --seed 5 the second target has the GUIDs a single write with --seed 6 gets"
rm -f "$OUTDIR"/*.img "$OUTDIR"/*.manifest.json

# --- the image applied once ---
if command -v strace >/dev/null; then
	strace -f -qq -e trace=execve -e signal=none -o "$TMP/trace" \
		"$WINTOGO" write --size 1G --tmpdir "$STAGE" --quiet --no-verify "$WIM" "$OUTDIR/a.img" "$OUTDIR/b.img" "$OUTDIR/c.img"
	is "$(grep -c 'execve("[^"]*/mkntfs".* = 0$' "$TMP/trace")" 1 "strace: mkntfs ran once for three targets (one apply)"
	is "$(grep -c 'execve("[^"]*/mkfs.fat".* = 0$' "$TMP/trace")" 3 "and mkfs.fat three times (an ESP each)"
	rm -f "$OUTDIR"/*.img "$OUTDIR"/*.manifest.json
else
	skip "no strace"
	skip "no strace"
fi

# --- a fault on one target fails only that one ---
: >"$TMP/faults"
LD_PRELOAD=$FAULTINJECT FAULT_PATH=b.img.partial FAULT_CALL=pwrite,write FAULT_NTH=3 FAULT_PROGRAM=wintogo \
	FAULT_LOG=$TMP/faults run_wintogo write --size 1G --tmpdir "$STAGE" --json "$WIM" "$OUTDIR/a.img" "$OUTDIR/b.img" "$OUTDIR/c.img"
check "a fault was injected" test -s "$TMP/faults"
is "$RC" 1 "a failed target makes the exit status non-zero"
like "$ERR" "$OUTDIR/b.img: cannot write" "the failure is b.img's, named"
like "$ERR" '2 of 3 targets written; 1 failed' "and the summary counts it"
is "$(jq -r 'select(.result) | "\(.result.target | split("/") | last) \(if .result.ok == false then false else .result.verified end)"' <<<"$OUT" | tr '\n' ' ')" \
	"a.img true b.img false c.img true " "JSON: a and c written and verified, b failed"
is "$(jq -r 'select(.result.ok == false) | .result.error.code' <<<"$OUT")" io-error "b's result carries its error code"
check "nothing of b.img is left" test ! -e "$OUTDIR/b.img" -a ! -e "$OUTDIR/b.img.partial" -a ! -e "$OUTDIR/b.img.manifest.json"
for t in a c; do
	run_wintogo verify "$OUTDIR/$t.img"
	is "$RC" 0 "$t.img, written beside the failing one, passes verify"
done
check "nothing is left in the stage" no_leftovers "$STAGE"
rm -f "$OUTDIR"/*.img "$OUTDIR"/*.manifest.json

# --- Ctrl-C stops every target and leaves nothing behind ---
LD_PRELOAD=$FAULTINJECT FAULT_PATH=.img.partial FAULT_CALL=pwrite,write FAULT_DELAY_MS=100 FAULT_PROGRAM=wintogo \
	"$WINTOGO" write --json --size 1G --tmpdir "$STAGE" "$WIM" "$OUTDIR/a.img" "$OUTDIR/b.img" \
	>"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"progress":"apply"' "$TMP/int.out" 2>/dev/null && break
	sleep 0.1
done
check "the streams have begun (the apply is done)" grep -q '"progress":"apply"' "$TMP/int.out"
sleep 1
kill -INT "$pid"
wait "$pid"
is "$?" 130 "SIGINT during the streams exits 130"
is "$(jq -r 'select(.result.ok == false) | .result.error.code' "$TMP/int.out" | sort -u)" interrupted \
	"both targets stopped, interrupted"
check "and nothing is left: no stage, no .partial, no image, no manifest" no_leftovers "$STAGE" "$OUTDIR"

# --- refusals ---
refuses "a target given twice is refused before anything is written" "is given twice \\(also as" \
	write --size 1G --tmpdir "$STAGE" "$WIM" "$OUTDIR/a.img" "$OUTDIR/./a.img"
check "and nothing was written" no_leftovers "$STAGE" "$OUTDIR"
touch "$OUTDIR/b.img"
run_wintogo write --size 1G --tmpdir "$STAGE" --quiet "$WIM" "$OUTDIR/a.img" "$OUTDIR/b.img" "$OUTDIR/c.img"
is "$RC" 1 "a target refused at the plan (b exists, no --force) fails the run"
like "$ERR" "$OUTDIR/b.img: '$OUTDIR/b.img' already exists; use --force" "naming it and why"
check "while the others are written" test -s "$OUTDIR/a.img" -a -s "$OUTDIR/c.img"
is "$(stat -c %s "$OUTDIR/b.img")" 0 "and b.img is left as it was"
rm -f "$OUTDIR"/*.img "$OUTDIR"/*.manifest.json
run_wintogo write --dry-run --vm-partition "$WIM" "$OUTDIR/a.img" "$OUTDIR/b.img"
check "--vm-partition with several targets is refused" test "$RC" -ne 0 -a -n "$(grep -e 'for one target at a time' <<<"$ERR")"

# --- as root: three loop devices of different sizes and a file ---
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null; then
	skip "needs root for loop devices"
	done_testing
	exit 0
fi
loops=()
cleanup() {
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
for size in 900M 1000M 1100M; do
	truncate -s "$size" "$TMP/disk-$size"
	l=$(losetup -f --show "$TMP/disk-$size" 2>/dev/null) || break
	loops+=("$l")
done
if [ "${#loops[@]}" -ne 3 ]; then
	skip "three loop devices are not available"
	done_testing
	exit 0
fi
# new disks are all zeros, so unchanged is still all zeros (cmp reads
# them at disk speed, where hashing 3 GB took 20 s)
all_zero() {
	local d
	for d in "$@"; do cmp -s -n "$(blockdev --getsize64 "$d")" "$d" /dev/zero || return 1; done
}
check "the three new disks are all zeros" all_zero "${loops[@]}"
run_wintogo write --tmpdir "$STAGE" "$WIM" "${loops[@]}" </dev/null
is "$RC" 1 "without --yes and without a terminal, writing several disks is refused"
like "$ERR" "writing ${loops[*]} erases everything on them; confirm on a terminal, or give --yes" "naming every disk"
if command -v script >/dev/null; then
	printf '%s\n' "${loops[0]} ${loops[2]}" | script -qec "$WINTOGO write --tmpdir $STAGE $WIM ${loops[*]}" /dev/null >"$TMP/tty.out" 2>&1
	like "$(tr -d '\r' <"$TMP/tty.out")" "Type their names \\(${loops[*]}\\) to go on" "on a terminal, one answer for all: their names"
	like "$(tr -d '\r' <"$TMP/tty.out")" "not confirmed" "a wrong answer (a disk left out) is refused"
else
	skip "no script(1)"
	skip "no script(1)"
fi
check "and the disks are unchanged (all zeros)" all_zero "${loops[@]}"
check "nothing is left in the stage" no_leftovers "$STAGE"
run_wintogo write --yes --seed 21 --tmpdir "$STAGE" "$WIM" "${loops[@]}" "$OUTDIR/file.img"
is "$RC" 0 "write --yes IMAGE LOOP1 LOOP2 LOOP3 FILE exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
sizes=""
for size in 900M 1000M 1100M; do
	check_disk "$TMP/disk-$size" "$WIM" 1 "loop of $size"
	like "$(sgdisk -v "$TMP/disk-$size" 2>&1)" 'No problems found' "loop of $size: its backup GPT is at its own end (sgdisk -v)"
	sizes+="$(sfdisk --json "$TMP/disk-$size" | jq '.partitiontable.partitions[2].size') "
done
for l in "${loops[@]}"; do
	run_wintogo verify "$l"
	is "$RC" 0 "$l passes wintogo verify"
done
check_disk "$OUTDIR/file.img" "$WIM" 1 "the image file beside them"
is "$(tr ' ' '\n' <<<"$sizes" | grep . | sort -u | wc -l)" 1 "the Windows partition is the same size on all three ($sizes sectors: sized for the smallest)"
LD_PRELOAD=$FAULTINJECT FAULT_PATH="${loops[1]}" FAULT_CALL=pwrite,write FAULT_NTH=5 FAULT_PROGRAM=wintogo \
	run_wintogo write --yes --tmpdir "$STAGE" --quiet "$WIM" "${loops[@]}"
is "$RC" 1 "a fault on the second loop device fails the run"
like "$ERR" "${loops[1]}: " "naming that disk"
for l in "${loops[0]}" "${loops[2]}"; do
	run_wintogo verify "$l"
	is "$RC" 0 "$l, written beside it, passes verify"
done
check "nothing is left in the stage" no_leftovers "$STAGE"

done_testing
