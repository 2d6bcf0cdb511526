#!/bin/bash
# wintogo speed DISK: every figure and a verdict, on a regular file
# (rootless) and on a loop device (root); --read-only provably writes
# nothing; the write tests need a confirmation; mounted and read-only
# disks are refused; a slow disk (tests/faultinject's FAULT_DELAY_MS) is
# judged slow.  write --speed-check and --require-speed: tests/speed_write.t.
. "$(dirname "$0")/lib.sh"

SECONDS_GIVEN=2

# check_json FILE DESCRIPTION WRITES(true|false): every figure is there and
# consistent (bytes are ops times the block, rates are bytes over seconds,
# p50 <= p99 <= max), the verdict one of the three.
check_json() {
	local file=$1 desc=$2 writes=$3
	check "$desc: the JSON has every figure, each consistent" jq -e --argjson writes "$writes" '
		.speed as $s
		| def phase($t; $block): $s.tests[$t] as $p
			| $p.ops > 0 and $p.bytes == $p.ops * $block and $p.seconds > 0
			  and $p.mb_per_s > 0 and $p.iops > 0
			  and (($p.mb_per_s - $p.bytes / $p.seconds / 1e6) | fabs) <= 0.01 * $p.mb_per_s + 0.001
			  and (($p.iops - $p.ops / $p.seconds) | fabs) <= 0.01 * $p.iops + 0.001
			  and $p.latency_us.p50 > 0 and $p.latency_us.p50 <= $p.latency_us.p99
			  and $p.latency_us.p99 <= $p.latency_us.max;
		phase("seq_read"; 1048576) and phase("random_read"; 4096)
		and (if $writes then phase("seq_write"; 1048576) and phase("random_write"; 4096)
		     else $s.tests.seq_write == null and $s.tests.random_write == null end)
		and $s.complete == $writes
		and ([$s.tests[] | select(. != null) | .latency_us.max] | max) as $max
		    | (($s.max_latency_ms * 1000 - $max) | fabs) <= 1
		and ($s.verdict | IN("well", "slowly", "painfully"))
		and $s.sentence == "Windows will run \($s.verdict) on this stick"
		and $s.thresholds == {"seq_mb_per_s": 80, "random_iops": 2000, "max_latency_ms": 250,
				      "slow_share": 0.25, "slow_max_latency_ms": 1000}
		and ($s.reasons | type) == "array"
		and $s.size > 0 and ($s.block_size | IN(512, 4096))' "$file"
}

# --- usage: one line, exit 2 ---
usage_error() { # DESCRIPTION REGEX ARGS...
	local desc=$1 regex=$2
	shift 2
	run_wintogo speed "$@" </dev/null
	if [ "$RC" -eq 2 ] && printf '%s' "$ERR" | head -1 | grep -Eq -- "^wintogo speed: $regex" && [ -z "$OUT" ]; then
		_report 0 "$desc"
	else
		_report 1 "$desc"
		diag "rc=$RC stderr: $ERR" "stdout: $OUT"
	fi
}
usage_error "no DISK: a usage error" "DISK is needed" 
usage_error "two disks: a usage error" "too many arguments" /dev/null /dev/null
usage_error "--time 0 is refused" "--time wants whole seconds from 1 to 3600, not '0'" --time 0 x
usage_error "--time 3601 is refused" "--time wants whole seconds" --time 3601 x
usage_error "--time abc is refused" "--time wants whole seconds" --time abc x
usage_error "--seed x is refused" "--seed wants a whole number" --seed x y
usage_error "--yes with --read-only is a contradiction" "--read-only writes nothing" --yes --read-only x
run_wintogo speed --no-such-option x
is "$RC" 2 "an unknown option exits 2"
run_wintogo speed --help
is "$RC" 0 "--help exits 0"
like "$OUT" "--read-only" "--help names --read-only"
like "$OUT" "Exit status: 0 measured, whatever the verdict" "--help says the exit status"

# --- refusals that need no root ---
refuses "a path that does not exist is refused" "'$TMP/none' does not exist; give a disk" speed --read-only "$TMP/none"
refuses "a folder is refused" "is neither a disk nor a file" speed --read-only "$TMP"
truncate -s 8M "$TMP/small.img"
refuses "a file under 16 MiB is refused" "has 8.0 MiB; at least 16 MiB are needed" speed --read-only "$TMP/small.img"
truncate -s 32M "$TMP/sparse.img"
refuses "a sparse file is refused: its holes read without I/O" "has holes .a sparse file.: reading them measures nothing" speed --read-only "$TMP/sparse.img"
refuses "a character device is refused" "is neither a disk nor a file" speed --read-only /dev/null

# --- a regular file (rootless): what a disk gets, on a file ---
FILE=$TMP/file.img
head -c $((32 * 1024 * 1024)) /dev/urandom >"$FILE"
before=$(digest_of "$FILE")
run_wintogo speed --read-only --time "$SECONDS_GIVEN" --json "$FILE"
if [ "$RC" -eq 1 ] && printf '%s' "$ERR" | grep -q "O_DIRECT"; then
	skip "$TMP's file system takes no O_DIRECT"
	skip "$TMP's file system takes no O_DIRECT"
	skip "$TMP's file system takes no O_DIRECT"
else
	is "$RC" 0 "speed --read-only FILE measures it"
	printf '%s\n' "$OUT" >"$TMP/file.json"
	check_json "$TMP/file.json" "a file, --read-only" false
	is "$(digest_of "$FILE")" "$before" "a file measured --read-only is unchanged (cksum)"
fi
run_wintogo speed --time 1 "$FILE" </dev/null
is "$RC" 1 "the write tests on a file, without --yes and no terminal: refused"
like "$ERR" "the write tests erase .*file.img; confirm on a terminal, give --yes, or measure with --read-only" \
	"saying how to confirm"
is "$(digest_of "$FILE")" "$before" "and the file is unchanged"

need_root_loop

# --- a loop device over a sparse file with data in it ---
backing=$TMP/disk.img
truncate -s 256M "$backing"
head -c $((16 * 1024 * 1024)) /dev/urandom | dd of="$backing" bs=1M seek=100 conv=notrunc status=none
attach_loop "$backing"
loops=("$loop")
MNT=$TMP/mnt
mkdir -p "$MNT"
cleanup() {
	umount "$MNT" 2>/dev/null
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# read-only: nothing written (the file's hash), the disk never opened for writing (strace)
before=$(digest_of "$backing")
if command -v strace >/dev/null; then
	strace -f -qq -e trace=openat -o "$TMP/strace.log" "$WINTOGO" speed --read-only --time "$SECONDS_GIVEN" \
		--json "$loop" >"$TMP/ro.json" 2>"$TMP/stderr"
	RC=$?
	opens=$(grep -F "\"$loop\"" "$TMP/strace.log")
	like "$opens" "O_RDONLY.*O_DIRECT" "--read-only opens $loop read-only, with O_DIRECT (strace)"
	check "and never for writing (strace)" bash -c "! grep -Eq 'O_RDWR|O_WRONLY' <<<'$opens'"
else
	"$WINTOGO" speed --read-only --time "$SECONDS_GIVEN" --json "$loop" >"$TMP/ro.json" 2>"$TMP/stderr"
	RC=$?
	skip "no strace"
	skip "no strace"
fi
is "$RC" 0 "speed --read-only --json $loop"
check_json "$TMP/ro.json" "loop, --read-only" false
is "$(jq -r .read_only "$TMP/ro.json")" true "the JSON says read_only"
is "$(digest_of "$backing")" "$before" "--read-only wrote nothing: the backing file is unchanged (cksum)"

# without --yes and without a terminal, the write tests are refused
refuses "the write tests without --yes and no terminal are refused" \
	"the write tests erase $loop; confirm on a terminal, give --yes, or measure with --read-only" speed "$loop"
is "$(digest_of "$backing")" "$before" "and nothing was written"

# the full measurement
run_wintogo speed --yes --time "$SECONDS_GIVEN" "$loop"
is "$RC" 0 "speed --yes $loop measures and exits 0"
for row in "sequential read" "random 4 KiB read" "sequential write" "random 4 KiB write" "slowest I/O"; do
	like "$OUT" "^  $row +[0-9.]+ (MB/s|IOPS|ms) +(>=|<=) " "the text shows $row against its threshold" ||
		diag "$OUT"
done
like "$OUT" "verdict: Windows will run (well|slowly|painfully) on this stick" "and a verdict"
check "the write tests changed the disk" test "$(digest_of "$backing")" != "$before"
# the sequential write starts at byte 0: what it wrote is random, not a pattern a controller could squeeze
written=$(head -c $((4 * 1024 * 1024)) "$backing" | gzip -c | wc -c)
check "what the write tests wrote does not compress (gzip: $written bytes of 4 MiB)" \
	test "$written" -gt $((4 * 1024 * 1024 * 9 / 10))
# (90 %, not more: a slow machine may leave a few sectors of the first 4 MiB
# to the random writes, whose buffer repeats; zeros or a pattern give < 1 %)

run_wintogo speed --yes --time "$SECONDS_GIVEN" --json "$loop"
is "$RC" 0 "speed --yes --json $loop"
printf '%s\n' "$OUT" >"$TMP/rw.json"
check_json "$TMP/rw.json" "loop, all four tests" true
is "$(jq -r '.speed.size' "$TMP/rw.json")" "$(blockdev --getsize64 "$loop")" "the size is the disk's (blockdev)"
is "$(jq -r '.speed.block_size' "$TMP/rw.json")" "$(blockdev --getss "$loop")" "the block size is the disk's (blockdev)"
verdict=$(jq -r .speed.verdict "$TMP/rw.json")
nreasons=$(jq '.speed.reasons | length' "$TMP/rw.json")
if [ "$verdict" = well ]; then
	is "$nreasons" 0 "verdict well: no reasons"
else
	check "verdict $verdict: its reasons are listed" test "$nreasons" -gt 0
fi

# Ctrl-C stops it cleanly
timeout --preserve-status -s INT 1 "$WINTOGO" speed --read-only --time 60 "$loop" >"$TMP/stdout" 2>"$TMP/stderr"
is "$?" 130 "SIGINT stops the measurement: exit 130"
like "$(cat "$TMP/stderr")" "interrupted" "saying so"

# a slow disk: every write waits 300 ms (faultinject), past the 250 ms limit
: "${FAULTINJECT:=$ROOT/build/faultinject.so}"
if [ -e "$FAULTINJECT" ]; then
	FAULT_PATH=$(basename "$loop") FAULT_CALL=pwrite FAULT_DELAY_MS=300 FAULT_PROGRAM=wintogo \
		FAULT_LOG="$TMP/fault.log" LD_PRELOAD="$FAULTINJECT" \
		"$WINTOGO" speed --yes --time "$SECONDS_GIVEN" --json "$loop" >"$TMP/slow.json" 2>"$TMP/stderr"
	is "$?" 0 "a slow disk is measured: exit 0 whatever the verdict"
	check "the delays really happened (fault log)" grep -q "pwrite delay" "$TMP/fault.log"
	is "$(jq -r .speed.verdict "$TMP/slow.json")" painfully "a disk whose writes take 300 ms: painfully"
	is "$(jq -r '[.speed.reasons[].id] | join(" ")' "$TMP/slow.json")" \
		"seq-write-mbps random-write-iops max-latency-ms" "the reasons: both write figures and the slowest I/O"
	check "its slowest I/O is at least the 300 ms delay" \
		jq -e '.speed.max_latency_ms >= 300 and .speed.tests.random_write.latency_us.p50 >= 300000' "$TMP/slow.json"
	FAULT_PATH=$(basename "$loop") FAULT_CALL=pwrite FAULT_DELAY_MS=300 FAULT_PROGRAM=wintogo \
		LD_PRELOAD="$FAULTINJECT" "$WINTOGO" speed --yes --time "$SECONDS_GIVEN" "$loop" >"$TMP/stdout" 2>"$TMP/stderr"
	like "$(cat "$TMP/stdout")" "because: random 4 KiB writes: [0-9]+ IOPS, Windows To Go needs 2000 IOPS \(under a quarter: painful\)" \
		"the text names each missed figure"
else
	skip "no $FAULTINJECT (make build/faultinject.so)"
fi

# a read-only disk: read, but never written
loop_ro=$(losetup -r -f --show "$backing" 2>/dev/null)
if [ -n "$loop_ro" ]; then
	loops+=("$loop_ro")
	run_wintogo speed --read-only --time 1 "$loop_ro"
	is "$RC" 0 "a read-only disk is measured with --read-only"
	REFUSE_RC=1 refuses "and its write tests are refused" "($loop_ro|read-only|Read-only)" speed --yes --time 1 "$loop_ro"
else
	skip "no second loop device"
	skip "no second loop device"
fi

# a mounted disk is refused, read-only or not
mkfs.ext4 -q -F "$backing"
if mount "$loop" "$MNT" 2>/dev/null; then
	refuses "a mounted disk is refused (--read-only)" "$loop.* (mounted|in use)" speed --read-only "$loop"
	refuses "a mounted disk is refused (--yes)" "$loop.* (mounted|in use)" speed --yes "$loop"
	run_wintogo speed --read-only --json "$loop"
	is "$(jq -r .error.code <<<"$OUT" 2>/dev/null)" disk-in-use "a mounted disk: --json says disk-in-use"
	umount "$MNT"
else
	skip "cannot mount ext4 here"
	skip "cannot mount ext4 here"
	skip "cannot mount ext4 here"
fi

done_testing
