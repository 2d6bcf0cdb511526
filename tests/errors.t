#!/bin/bash
# Every failure has one stable code: with --json it is one {"error": ...}
# object on stdout, and the exit status follows from the code (wintogo(1)).
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
write_dirs

# fails_json DESCRIPTION CODE STATUS ARGS...: exit STATUS, exactly one JSON
# object with an "error" on stdout, with CODE, the same exit status and a
# message, and the message on stderr too (for a usage error, getopt's own
# message is on stderr).
fails_json() {
	local desc=$1 code=$2 status=$3 errors got
	shift 3
	run_wintogo "$@"
	errors=$(printf '%s' "$OUT" | jq -c 'select(type == "object" and has("error")) | .error' 2>/dev/null)
	got=$(printf '%s\n' "$errors" | jq -r '"\(.code) \(.exit_status) \(.message | length > 0)"' 2>/dev/null | tr '\n' ' ')
	if [ "$RC" -eq "$status" ] && [ "$(printf '%s' "$errors" | grep -c '')" -eq 1 ] &&
		[ "$got" = "$code $status true " ] && [ -n "$ERR" ] &&
		{ [ "$code" = usage ] || printf '%s' "$ERR" | grep -qF -- "$(printf '%s' "$errors" | jq -r .message)"; }; then
		_report 0 "$desc: $code, exit $status"
	else
		_report 1 "$desc: $code, exit $status"
		diag "rc=$RC" "errors on stdout: $errors" "stdout: $OUT" "stderr: $ERR"
	fi
}

wim=$FIXTURES/x64.wim
head -c $(($(stat -c %s "$wim") / 2)) "$wim" >"$TMP/cut.wim"
printf 'hello\n' >"$TMP/text.txt"

# --- the image ---
fails_json "info of a file that is not there" not-found 1 info --json "$TMP/missing.wim"
fails_json "info of a text file" not-an-image 1 info --json "$TMP/text.txt"
fails_json "info of a truncated WIM" image-damaged 1 info --json "$TMP/cut.wim"
fails_json "info --index past the last image" no-such-image 1 info --json --index 9 "$wim"
fails_json "write of a multi-image WIM without --index" image-not-chosen 1 \
	write --json --dry-run --tmpdir "$STAGE" "$FIXTURES/multi.wim" "$OUTDIR/a.img"
run_wintogo write --json --dry-run --tmpdir "$STAGE" "$FIXTURES/multi.wim" "$OUTDIR/a.img"
check "the error names the images to choose from" \
	bash -c "jq -e 'select(.error) | .error.details | length >= 2' <<<'$OUT'"
fails_json "write --name that no image has" no-such-image 1 \
	write --json --dry-run --name Nope --tmpdir "$STAGE" "$FIXTURES/multi.wim" "$OUTDIR/a.img"
fails_json "write with a SHA-256 that is not the image's" hash-mismatch 1 \
	write --json --tmpdir "$STAGE" --sha256 "$(printf '0%.0s' {1..64})" "$wim" "$OUTDIR/a.img"
check "nothing is left after the hash mismatch" no_leftovers "$STAGE" "$OUTDIR"

# --- the target ---
fails_json "write onto a target too small" target-too-small 1 \
	write --json --size 64M --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
check "nothing is left after the refusal" no_leftovers "$STAGE" "$OUTDIR"
touch "$OUTDIR/exists.img"
fails_json "write onto a file that exists" target-exists 1 \
	write --json --tmpdir "$STAGE" "$wim" "$OUTDIR/exists.img"
rm -f "$OUTDIR/exists.img"
fails_json "write onto a folder" target-invalid 1 write --json --tmpdir "$STAGE" "$wim" "$OUTDIR"
fails_json "write for a host it cannot boot on" cannot-boot 1 \
	write --json --dry-run --host apple-silicon --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"

# --- option values checked when they are parsed: usage errors ---
fails_json "a --size past what NTFS with 4 KiB clusters holds (16 TiB)" usage 2 \
	vm --json --size 17T --tmpdir "$STAGE" "$wim" "$OUTDIR/huge.qcow2"
check "and no file is made for it" test ! -e "$OUTDIR/huge.qcow2"
fails_json "a time zone Windows does not have" usage 2 \
	write --json --dry-run --timezone 'Mars Standard Time' --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"

# --- verify ---
run_wintogo write --quiet --seed 3 --tmpdir "$STAGE" "$wim" "$OUTDIR/disk.img"
is "$RC" 0 "a disk to verify"
ntfs=$(sfdisk --json "$OUTDIR/disk.img" | jq '.partitiontable.partitions[2].start * 512 + 8192')
printf 'X' | dd of="$OUTDIR/disk.img" bs=1 seek="$ntfs" conv=notrunc status=none
fails_json "verify of a disk that changed" readback-mismatch 5 verify --json "$OUTDIR/disk.img"
check "the result document is still there, with the mismatch" \
	bash -c "jq -e '.result == \"mismatch\" and (.mismatches | length) == 1' <<<'$OUT'"
esp=$(sfdisk --json "$OUTDIR/disk.img" | jq '.partitiontable.partitions[0].start * 512')
check "mdel takes the manifest out of the ESP" mdel -i "$OUTDIR/disk.img@@$esp" ::/wintogo/manifest.json
fails_json "verify of a disk whose ESP has no manifest" no-manifest 1 verify --json "$OUTDIR/disk.img"
truncate -s 64M "$TMP/blank.img"
fails_json "verify of a disk wintogo did not write" not-bootable 1 verify --json "$TMP/blank.img"

# --- no room: found before the first byte is staged, one estimate in each message ---
if [ "$(id -u)" -eq 0 ] && mkdir -p "$TMP/small" "$TMP/small2" &&
	mount -t tmpfs -o size=300M tmpfs "$TMP/small" 2>/dev/null; then
	fails_json "an image file on a file system without room" no-space 1 \
		write --json --yes --tmpdir "$STAGE" "$wim" "$TMP/small/a.img"
	need=$(jq -r .error.message <<<"$OUT" | sed -n 's/.*: \([0-9.]* MiB\) needed.*/\1/p')
	like "$(jq -r .error.message <<<"$OUT")" "not enough space for '$TMP/small/a.img' in '$TMP/small': [0-9.]+ MiB needed, 300.0 MiB free" \
		"saying how much is needed and free"
	# (the image staged and copied: built in the image file, the stage
	# would hold only the ESP and the table)
	WINTOGO_TEST_NO_BUILD_IN_PLACE=1 fails_json "a stage without room" no-space 1 \
		write --json --yes --tmpdir "$TMP/small" "$wim" "$OUTDIR/nospace.img"
	like "$(jq -r .error.message <<<"$OUT")" "to stage in '$TMP/small': $need needed" "with the same estimate ($need)"
	esp_mib=$("$WINTOGO" write --dry-run --json "$wim" "$OUTDIR/nospace.img" | head -1 |
		jq '.plan.partitions[] | select(.role == "esp") | .size / 1048576')
	fails_json "a stage without room for the ESP, Windows built in the image file" no-space 1 \
		write --json --yes --tmpdir "$TMP/small" "$wim" "$OUTDIR/nospace.img"
	like "$(jq -r .error.message <<<"$OUT")" "to stage in '$TMP/small': $((esp_mib + 64)).0 MiB needed" \
		"its estimate is the ESP's $esp_mib MiB and 64 MiB, not the Windows partition"
	fails_json "stage and image on one file system without room for both" no-space 1 \
		write --json --yes --tmpdir "$TMP/small" "$wim" "$TMP/small/a.img"
	like "$(jq -r .error.message <<<"$OUT")" "for the stage and '$TMP/small/a.img': .* needed \\($need for each\\)" \
		"counting both"
	check "and nothing is left behind" no_leftovers "$TMP/small" "$STAGE"
	umount "$TMP/small"
else
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do skip "not root, or no tmpfs"; done
fi

# --- a signal: the work stops, cleans up and says interrupted ---
# The test build's write trace is a FIFO with no reader: the write waits in
# open(2) with its stage made, and SIGINT comes exactly then.
rm -rf "$STAGE"/* "$OUTDIR"/*
mkfifo "$TMP/trace.fifo"
WINTOGO_WRITE_TRACE=$TMP/trace.fifo "$WINTOGO_TEST" write --json --seed 4 --tmpdir "$STAGE" \
	"$wim" "$OUTDIR/int.img" >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
for _ in $(seq 100); do
	[ -n "$(ls -A "$STAGE")" ] && break
	sleep 0.1
done
check "the write has made its stage" test -n "$(ls -A "$STAGE")"
sleep 0.5
kill -INT "$pid"
wait "$pid"
is "$?" 130 "a write interrupted by SIGINT exits 130"
is "$(jq -r 'select(.error) | .error.code' "$TMP/int.out")" interrupted \
	"with one error object, code interrupted"
check "and leaves no stage, no .partial, no image, no manifest" no_leftovers "$STAGE" "$OUTDIR"

# The reader of the output goes away (| head -c10 has its bytes of the plan
# while the write waits on the FIFO): the next line written raises SIGPIPE,
# which stops the write as SIGINT does, instead of killing it (141) with
# its stage and .partial left behind.
rm -f "$TMP/trace.fifo"
mkfifo "$TMP/trace.fifo"
(WINTOGO_WRITE_TRACE=$TMP/trace.fifo "$WINTOGO_TEST" write --json --seed 4 --tmpdir "$STAGE" \
	"$wim" "$OUTDIR/pipe.img" 2>"$TMP/pipe.err" | head -c10 >/dev/null; echo "${PIPESTATUS[0]}" >"$TMP/pipe.rc") &
pid=$!
for _ in $(seq 100); do
	[ -n "$(ls -A "$STAGE")" ] && break
	sleep 0.1
done
sleep 0.5
cat "$TMP/trace.fifo" >/dev/null &
wait "$pid"
is "$(cat "$TMP/pipe.rc")" 130 "a write whose reader went away exits 130"
like "$(cat "$TMP/pipe.err")" "interrupted" "saying it was interrupted"
check "and leaves no stage, no .partial, no image, no manifest" no_leftovers "$STAGE" "$OUTDIR"

# --- the command line ---
fails_json "write with one argument" usage 2 write --json "$wim"
fails_json "an option write does not have" usage 2 write --json --frobnicate "$wim" "$OUTDIR/a.img"

# without --json, nothing on stdout: the message alone, on stderr
refuses "without --json the error is one line on stderr" "has no image 9" info --index 9 "$wim"

done_testing
