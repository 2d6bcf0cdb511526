#!/bin/bash
# write --speed-check and --require-speed: the target disk is measured after
# the confirmation and before Windows is written; its figures are in the
# output (text and --json) and in the manifest on the disk; --require-speed
# refuses a slow disk (tests/faultinject's FAULT_DELAY_MS) before Windows is
# written.  Needs root (loop devices) for all but the image-file case.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs

# --- an image file: nothing to measure, said so, and written as usual ---
run_wintogo write --speed-check --speed-time 2 --seed 5 --size 1G --tmpdir "$STAGE" \
	"$FIXTURES/x64.wim" "$OUTDIR/file.img"
is "$RC" 0 "write --speed-check to an image file succeeds"
like "$ERR" "--speed-check: .*file.img is an image file, not a disk; its speed is not measured" "saying it measured nothing"
check "its manifest has no speed" jq -e 'has("speed") | not' "$OUTDIR/file.img.manifest.json"

# --- usage ---
run_wintogo write --speed-time 0 "$FIXTURES/x64.wim" "$OUTDIR/x.img"
is "$RC" 2 "--speed-time 0 is a usage error"
like "$ERR" "^wintogo write: --speed-time wants whole seconds from 1 to 3600, not '0'" "in one line naming the option"

need_root_loop
backing=$TMP/disk.img
truncate -s 1G "$backing"
attach_loop "$backing"
cleanup() {
	losetup -d "$loop" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
esp_manifest() { mtype -i "$backing@@1M" ::/wintogo/manifest.json; }

# --- text: the figures after the plan, then Windows ---
run_wintogo write --yes --speed-check --speed-time 2 --seed 7 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "write --speed-check --yes to $loop"
[ "$RC" -eq 0 ] || diag "$ERR"
like "$OUT" "Speed of $loop: disk of 1.0 GiB" "the speed is printed"
like "$OUT" "random 4 KiB write +[0-9]+ IOPS" "with the random write figure"
like "$OUT" "verdict: Windows will run (well|slowly|painfully) on this stick" "and a verdict"
like "$(printf '%s\n' "$OUT" | grep -n -E '^(Plan:|Speed of|Wrote) ' | cut -d: -f2 | cut -c1-4 | tr '\n' ' ')" \
	"^Plan Spee Wrot $" "in order: the plan, the speed, the write"
run_wintogo verify "$loop"
is "$RC" 0 "the disk written after the speed test passes verify"
esp_manifest >"$TMP/manifest.json"
check "the manifest on the disk holds the figures" jq -e '
	.speed.tests | [.seq_read, .random_read, .seq_write, .random_write]
	| all(.ops > 0 and .bytes > 0 and .seconds > 0 and .latency_us.p50 <= .latency_us.max)' "$TMP/manifest.json"
check "and the verdict" jq -e '.speed.verdict | IN("well", "slowly", "painfully")' "$TMP/manifest.json"
is "$(jq -r .speed.size "$TMP/manifest.json")" "$(blockdev --getsize64 "$loop")" "of this disk (its size)"

# --- JSON: a {"speed"} line, and the figures in the result ---
run_wintogo write --yes --speed-check --speed-time 2 --seed 7 --json --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
is "$RC" 0 "write --speed-check --json"
printf '%s\n' "$OUT" >"$TMP/out.jsonl"
check "every line is JSON" jq -e . "$TMP/out.jsonl"
check "a speed line with every test measured" \
	jq -se '[.[] | select(has("speed"))][0].speed | .complete and (.tests | all(. != null and .iops > 0))' "$TMP/out.jsonl"
check "the result carries the same figures" \
	jq -se '([.[] | select(has("speed"))][0].speed) == ([.[] | select(has("result"))][0].result.speed)' "$TMP/out.jsonl"
check "the speed line comes after the plan and before the result" \
	jq -se '(map(has("plan")) | index(true)) < (map(has("speed")) | index(true)) and
		(map(has("speed")) | index(true)) < (map(has("result")) | index(true))' "$TMP/out.jsonl"
esp_manifest >"$TMP/manifest2.json"
check "the manifest's figures are the result's" bash -c \
	"[ \"\$(jq -c .speed '$TMP/manifest2.json')\" = \"\$(jq -sc '[.[] | select(has(\"result\"))][0].result.speed' '$TMP/out.jsonl')\" ]"

# --- without --yes and no terminal: refused before anything, the speed test included ---
before=$(digest_of "$backing")
run_wintogo write --speed-check --speed-time 2 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop" </dev/null
is "$RC" 1 "write --speed-check without --yes and no terminal: refused"
check "and the speed test did not run" bash -c "! grep -q 'Speed of' '$TMP/stdout'"
is "$(digest_of "$backing")" "$before" "the disk is unchanged"

# --- --require-speed: a fast disk is written ---
run_wintogo write --yes --require-speed --speed-time 2 --seed 7 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop"
verdict=$(printf '%s\n' "$OUT" | sed -n 's/^verdict: Windows will run \([a-z]*\) on this stick.*/\1/p')
if [ "$verdict" = well ]; then
	is "$RC" 0 "--require-speed writes a disk on which Windows runs well"
else
	# this machine's loop device was slow just now: that is a refusal too
	is "$RC" 1 "--require-speed refused a loop device measured '$verdict'"
fi

# --- --require-speed: a slow disk (every write to it waits 300 ms) is refused ---
: "${FAULTINJECT:=$ROOT/build/faultinject.so}"
if [ -e "$FAULTINJECT" ]; then
	wipefs -q -a "$loop" >/dev/null 2>&1
	dd if=/dev/zero of="$loop" bs=1M count=2 status=none
	FAULT_PATH=$(basename "$loop") FAULT_CALL=pwrite FAULT_DELAY_MS=300 FAULT_PROGRAM=wintogo \
		FAULT_LOG="$TMP/fault.log" LD_PRELOAD="$FAULTINJECT" \
		"$WINTOGO" write --yes --require-speed --speed-time 4 --json --tmpdir "$STAGE" \
		"$FIXTURES/x64.wim" "$loop" >"$TMP/slow.jsonl" 2>"$TMP/stderr"
	RC=$?
	ERR=$(cat "$TMP/stderr")
	is "$RC" 1 "--require-speed refuses a disk whose writes take 300 ms"
	like "$ERR" "refusing to write $loop: Windows will run painfully on this stick \(sequential writes [0-9.]+ of 80, random 4 KiB writes [0-9.]+ of 2000, the slowest I/O [0-9.]+ of 250\)" \
		"naming each missed figure, in one line"
	like "$ERR" "use a faster disk or leave out --require-speed" "and what to do"
	is "$(jq -sr '[.[] | select(has("error"))][0].error.code' "$TMP/slow.jsonl")" target-too-slow "the JSON error code is target-too-slow"
	check "the delays really happened (fault log)" grep -q "pwrite delay" "$TMP/fault.log"
	check "no result line: nothing was written" bash -c "! grep -q '\"result\"' '$TMP/slow.jsonl'"
	check "no GPT was written (blkid -p)" bash -c "! blkid -p -o value -s PTTYPE '$loop' | grep -q gpt"
	check "no ESP, no manifest (mtype fails)" bash -c "! mtype -i '$backing@@1M' ::/wintogo/manifest.json 2>/dev/null"
else
	skip "no $FAULTINJECT (make build/faultinject.so)"
fi

done_testing
