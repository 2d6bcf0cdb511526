#!/bin/bash
# The tight stage and gap filling (include/wintogo/ntfs.h, extents.h):
# the Windows partition is staged at the image's size plus a headroom,
# grown by ntfsresize, and the holes between the data shorter than
# --fill-gaps go out as zeros, so that the target sees a few long forward
# writes.  Checked from the sink's write trace and by the tools write.t
# checks a disk with (sfdisk, fsck.fat, ntfsinfo, ntfs-3g against
# wimapply, wintogo verify).  Nothing here is timed.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
# The image files here stand for sticks: their Windows partition is staged
# and streamed as a disk's is, not built in the file (tests/inplace.t).
export WINTOGO_TEST_NO_BUILD_IN_PLACE=1
MIB=1048576
THRESHOLD=$MIB   # write --fill-gaps's default (WRITE_FILL_GAPS_DEFAULT)

# traced_write NAME ARGS...: a write of x64.wim to $OUTDIR/NAME.img with
# the sink's trace in $TMP/NAME.trace ("offset length what" per extent,
# "offset length overwrite what" for the manifest and the table after).
traced_write() {
	local name=$1
	shift
	rm -f "$TMP/$name.trace"
	WINTOGO=$WINTOGO_TEST WINTOGO_WRITE_TRACE=$TMP/$name.trace \
		run_wintogo write --seed 21 --size 3G --tmpdir "$STAGE" "$@" "$FIXTURES/x64.wim" "$OUTDIR/$name.img"
}
# the stream's extents (not the overwrites after it)
stream() { awk '$3 != "overwrite"' "$TMP/$1.trace"; }
# gaps between consecutive extents: "GAP" per line, 0 for none
gaps() { stream "$1" | awk 'NR > 1 { print $1 - end } { end = $1 + $2 }'; }

plan=$("$WINTOGO" write --seed 21 --size 3G --dry-run --json "$FIXTURES/x64.wim" "$OUTDIR/plan.img" | head -1)
win_off=$(jq -r '.plan.partitions[] | select(.role == "windows") | .offset' <<<"$plan")
win_size=$(jq -r '.plan.partitions[] | select(.role == "windows") | .size' <<<"$plan")

# --- the default: tight stage, gaps under 1 MiB filled ---
traced_write tight
is "$RC" 0 "a write with the defaults (tight stage, --fill-gaps 1M)"
[ "$RC" -eq 0 ] || diag "$ERR"
check "the trace has the stream" test -s "$TMP/tight.trace"
check "the stream's writes are one increasing sequence" \
	awk '$3 == "overwrite" { next } NR > 1 && $1 < end { exit 1 } { end = $1 + $2 }' "$TMP/tight.trace"
is "$(gaps tight | awk -v t="$THRESHOLD" '$1 > 0 && $1 < t' | wc -l)" 0 \
	"no gap between its writes is shorter than the threshold (all were filled)"
jumps=$(gaps tight | awk '$1 > 0' | wc -l)
check "what is left are a few jumps over free space ($jumps: the ESP's free space, the MSR, the grown NTFS)" \
	test "$jumps" -le 6
# the data of the tight NTFS lies at the start of the partition, but for
# the backup boot sector in the partition's last cluster
is "$(stream tight | awk -v o="$win_off" -v s="$win_size" '$3 == "windows" && $1 + $2 > o + s / 8 && $1 < o + s - 4096' | wc -l)" 0 \
	"the Windows partition's data lies in its first eighth, but for its last cluster"
check_disk "$OUTDIR/tight.img" "$FIXTURES/x64.wim" 1 "tight stage"
dd if="$OUTDIR/tight.img" of="$TMP/win.img" bs=1M skip=$((win_off / MIB)) count=$((win_size / MIB)) status=none
ntfs_info=$(ntfsinfo -m "$TMP/win.img" 2>/dev/null)
# mkntfs on the partition's size: its sectors but the backup boot
# sector, in whole 4 KiB clusters
is "$(sed -n 's/^\s*Volume Size in Clusters: //p' <<<"$ntfs_info")" $(((win_size / 512 - 1) / 8)) \
	"ntfsinfo: the NTFS grew to the partition's size"
is "$(sed -n 's/^\s*Volume Flags: //p' <<<"$ntfs_info")" 0x0000 \
	"ntfsinfo: the volume is not marked for a check (ntfsfix cleared the flag ntfsresize set)"
# (ntfsresize counts the backup boot sector's 512 bytes in)
like "$(ntfsresize --info --force --no-progress-bar "$TMP/win.img" 2>&1)" "Current volume size: $(((win_size / 512 - 1) / 8 * 4096 + 512)) bytes" \
	"ntfsresize --info: the volume has that size"
is "$(od -An -t u4 -j 28 -N 4 "$TMP/win.img" | tr -d ' ')" $((win_off / 512)) \
	"the boot sector's hidden sectors are still the partition's start"
check "ntfsfix -n finds nothing to fix" ntfsfix -n "$TMP/win.img"
run_wintogo verify --quiet "$OUTDIR/tight.img"
is "$RC" 0 "wintogo verify: the disk holds what its manifest says"
[ "$RC" -eq 0 ] || diag "$ERR"
rm -f "$TMP/win.img"
tight_bytes=$(stream tight | awk '{ s += $2 } END { print s }')

# the same from outside: strace's pwrite64 calls on the target, the
# stream first, then the manifest's and the partition table's overwrites
if command -v strace >/dev/null; then
	rm -f "$OUTDIR"/straced.img* "$TMP/straced.trace"
	WINTOGO_WRITE_TRACE=$TMP/straced.trace strace -f -y -o "$TMP/strace" -e trace=pwrite64 \
		"$WINTOGO_TEST" write --quiet --seed 21 --size 3G --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/straced.img"
	# pwrite64(6</out/straced.img.partial>, ""..., 4194304, 1048576) = 4194304
	grep -E "^[0-9]+ +pwrite64\([0-9]+<[^>]*straced\.img\.partial>" "$TMP/strace" |
		sed -nE 's/.*, ([0-9]+), ([0-9]+)\) = ([0-9]+)$/\2 \3/p' >"$TMP/pwrites"
	overwrites=$(grep -c ' overwrite ' "$TMP/straced.trace")
	head -n "-$overwrites" "$TMP/pwrites" >"$TMP/stream-pwrites"
	check "strace: the target is written by pwrite64" test -s "$TMP/stream-pwrites"
	check "strace: the stream's writes are one increasing sequence" \
		awk 'NR > 1 && $1 < end { exit 1 } { end = $1 + $2 }' "$TMP/stream-pwrites"
	is "$(awk -v t="$THRESHOLD" 'NR > 1 && $1 > end && $1 - end < t { n++ } { end = $1 + $2 } END { print n + 0 }' "$TMP/stream-pwrites")" 0 \
		"strace: no gap between them is shorter than the threshold"
	rm -f "$OUTDIR"/straced.img*
else
	skip "strace is not installed"
fi

# --- --fill-gaps=0: the stage's data runs as they are (today's stream) ---
traced_write nofill --fill-gaps=0
is "$RC" 0 "a write with --fill-gaps=0"
small=$(gaps nofill | awk -v t="$THRESHOLD" '$1 > 0 && $1 < t' | wc -l)
check "its stream jumps over holes shorter than the threshold ($small)" test "$small" -gt 0
check "... in more extents than with gap filling" test "$(stream nofill | wc -l)" -gt "$(stream tight | wc -l)"
nofill_bytes=$(stream nofill | awk '{ s += $2 } END { print s }')
check "gap filling sends more bytes ($tight_bytes against $nofill_bytes), fewer than 2 % more" \
	awk -v a="$tight_bytes" -v b="$nofill_bytes" 'BEGIN { exit !(a > b && a < b * 1.02) }'
# a raw image is written where the stream writes and nowhere else: its
# data is the stream's bytes, so the holes stayed holes
allocated=$(python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY); size = os.fstat(fd).st_size; pos = n = 0
while pos < size:
    try:
        d = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    h = os.lseek(fd, d, os.SEEK_HOLE); n += h - d; pos = h
print(n)' "$OUTDIR/nofill.img")
is "$allocated" "$nofill_bytes" "--fill-gaps=0: the image's data is exactly the stream's (SEEK_DATA/SEEK_HOLE)"
run_wintogo verify --quiet "$OUTDIR/nofill.img"
is "$RC" 0 "wintogo verify passes on it"

# --- --stage full: NTFS spread over the whole partition, as before ---
traced_write full --stage full --fill-gaps 0
is "$RC" 0 "a write with --stage full --fill-gaps 0"
check "its Windows partition has data past the first eighth (NTFS-3G spreads it out)" \
	test "$(stream full | awk -v o="$win_off" -v s="$win_size" '$3 == "windows" && $1 + $2 > o + s / 8 && $1 < o + s - 4096' | wc -l)" -gt 0
check "the tight stage gives fewer runs of data in the Windows partition" \
	test "$(stream nofill | grep -c ' windows$')" -lt "$(stream full | grep -c ' windows$')"
rm -f "$OUTDIR"/nofill.img* "$OUTDIR"/full.img*

# --- the fallback: too little headroom, staged again at full size ---
WINTOGO_TEST_STAGE_HEADROOM=0 traced_write fallback
is "$RC" 0 "a tight stage with no headroom: the write still succeeds"
like "$ERR" "did not fit the Windows partition's tight stage .*staging it at its full size" \
	"it says the image did not fit and it staged at full size"
check "the full-size stage's data is spread over the partition" \
	test "$(stream fallback | awk -v o="$win_off" -v s="$win_size" '$3 == "windows" && $1 + $2 > o + s / 8 && $1 < o + s - 4096' | wc -l)" -gt 0
check_disk "$OUTDIR/fallback.img" "$FIXTURES/x64.wim" 1 "fallback"
run_wintogo verify --quiet "$OUTDIR/fallback.img"
is "$RC" 0 "wintogo verify passes on the fallback's disk"
check "nothing is left in the stage" no_leftovers "$STAGE"
rm -f "$OUTDIR"/fallback.img* "$OUTDIR"/tight.img*

# --- bad values: one line, exit 2 ---
for bad in abc -1 65M 1X 1.5.5M ""; do
	run_wintogo write --fill-gaps="$bad" "$FIXTURES/x64.wim" "$OUTDIR/bad.img"
	is "$RC" 2 "--fill-gaps='$bad' is a usage error"
	like "$(head -1 <<<"$ERR")" "^wintogo write: --fill-gaps wants a size from 0 \(off\) to 64M, such as 1M or 256K, not '$bad'$" \
		"... saying what it wants, in one line"
done
run_wintogo write --stage half "$FIXTURES/x64.wim" "$OUTDIR/bad.img"
is "$RC" 2 "--stage half is a usage error"
like "$(head -1 <<<"$ERR")" "^wintogo write: --stage wants tight or full, not 'half'$" "... in one line"
check "no refusal left anything behind" no_leftovers "$STAGE" "$OUTDIR"
done_testing
