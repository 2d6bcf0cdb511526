#!/bin/bash
# Faults in every phase of write and vm, made by faultinject.so (an
# LD_PRELOAD library, tests/faultinject/faultinject.c): a stage file, the
# target's .partial, its fsync, its read-back, the manifest beside it, the
# qcow2 and VHDX outputs.  Each fault must end the run with exit status 1
# (5 for a read-back that differs), one line on stderr naming the file and
# the real reason (never a stale errno: a short write that stopped without
# an error is "No space left on device"), and nothing left behind.
#
# The plain build is used: ASan wants to be the first library loaded, so it
# and LD_PRELOAD do not mix.  FAULT_PROGRAM=wintogo keeps the faults out of
# the programs wintogo runs (mkfs.fat, mtools...).
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
: "${FAULTINJECT:=$ROOT/build/faultinject.so}"
if [ ! -e "$FAULTINJECT" ]; then
	skip "no $FAULTINJECT (make build/faultinject.so)"
	done_testing
	exit
fi
wim=$FIXTURES/x64.wim
img=$OUTDIR/x.img

# faulty FAULT_X=V... -- ARGS...: runs wintogo ARGS with the preload and the
# given FAULT_ variables (and no others); sets RC, OUT, ERR.
faulty() {
	local env=()
	while [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	rm -f "$TMP/fault.log"
	env $(env | sed -n 's/^\(FAULT_[A-Z]*\)=.*/-u \1/p') FAULT_PROGRAM=wintogo \
		FAULT_LOG="$TMP/fault.log" LD_PRELOAD="$FAULTINJECT" "${env[@]}" \
		"$WINTOGO" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	RC=$?
	OUT=$(cat "$TMP/stdout")
	ERR=$(cat "$TMP/stderr")
}

# clean: the stage and output folders empty again for the next run.
clean() { rm -rf "${STAGE:?}"/* "${OUTDIR:?}"/*; }

# fails_cleanly DESCRIPTION REGEX FAULT_X=V... -- ARGS...: the fault was
# made, the run fails with status $WANT_RC (1), one line on stderr matching
# REGEX and no stale "No such device or address", and the stage and output
# folders are empty.
fails_cleanly() {
	local desc=$1 regex=$2 want=${WANT_RC:-1} lines
	shift 2
	faulty "$@"
	check "$desc: the fault was made" test -s "$TMP/fault.log"
	lines=$(printf '%s' "$ERR" | grep -c '')
	if [ "$RC" -eq "$want" ] && [ "$lines" -eq 1 ] && [ -z "$OUT" ] &&
		printf '%s' "$ERR" | grep -Eq -- "$regex" &&
		! printf '%s' "$ERR" | grep -q 'No such device or address'; then
		_report 0 "$desc: exit $want, one line naming the file and the reason"
	else
		_report 1 "$desc: exit $want, one line naming the file and the reason"
		diag "rc=$RC, stderr ($lines lines): $ERR" "stdout: $OUT" "want /$regex/"
	fi
	check "$desc: nothing is left behind" no_leftovers "$STAGE" "$OUTDIR"
	clean
}

write_args=(write --quiet --seed 7 --tmpdir "$STAGE" "$wim" "$img")
nospace='No space left on device$'
eio='Input/output error$'

# --- an image file's Windows partition built in it (tests/inplace.t) ---
# the test build: its hook turns building in place off for the sections
# after this, whose faults are those of the stream into the target
WINTOGO=$WINTOGO_TEST
faulty FAULT_CALL=fallocate FAULT_PATH="$img.partial" FAULT_ERRNO=EOPNOTSUPP -- "${write_args[@]}"
is "$RC" 0 "a file system without FALLOC_FL_INSERT_RANGE: the write stages and copies instead"
[ "$RC" -eq 0 ] || diag "$ERR"
check "the fault was made" test -s "$TMP/fault.log"
run_wintogo verify "$img"
is "$RC" 0 "and the image verifies"
clean
fails_cleanly "fallocate ENOSPC when Windows is moved to its place" \
	"^wintogo: cannot make room for the partitions before the Windows partition in '$img\\.partial': $nospace" \
	FAULT_CALL=fallocate FAULT_PATH="$img.partial" FAULT_ERRNO=ENOSPC FAULT_NTH=2 -- "${write_args[@]}"
fails_cleanly "pwrite EIO on the target while Windows is applied in it" \
	"^wintogo: cannot apply the image from '$wim': NTFS-3G failed to write '$img\\.partial' \\(the last system error: .*\\); check the file system it is on" \
	FAULT_CALL=pwrite FAULT_PATH="$img.partial" FAULT_ERRNO=EIO -- "${write_args[@]}"
export WINTOGO_TEST_NO_BUILD_IN_PLACE=1

# --- the target's .partial ---
fails_cleanly "pwrite EIO on the target" "^wintogo: cannot write '$img\\.partial': $eio" \
	FAULT_CALL=pwrite FAULT_PATH="$img.partial" FAULT_ERRNO=EIO -- "${write_args[@]}"
fails_cleanly "pwrite ENOSPC on the target" "^wintogo: cannot write '$img\\.partial': $nospace" \
	FAULT_CALL=pwrite FAULT_PATH="$img.partial" FAULT_ERRNO=ENOSPC -- "${write_args[@]}"
fails_cleanly "ENOSPC on the 5th pwrite of the target" "^wintogo: cannot write '$img\\.partial': $nospace" \
	FAULT_CALL=pwrite FAULT_PATH="$img.partial" FAULT_ERRNO=ENOSPC FAULT_NTH=5 -- "${write_args[@]}"
fails_cleanly "a short pwrite, then none, on the target" "^wintogo: cannot write '$img\\.partial': $nospace" \
	FAULT_CALL=pwrite FAULT_PATH="$img.partial" FAULT_SHORT=1 -- "${write_args[@]}"
fails_cleanly "ftruncate EIO on the target" "^wintogo: cannot make '$img\\.partial' [0-9]+ bytes long: $eio" \
	FAULT_CALL=ftruncate FAULT_PATH="$img.partial" -- "${write_args[@]}"
fails_cleanly "fsync EIO on the target" "^wintogo: cannot write '$img\\.partial' to disk: $eio" \
	FAULT_CALL=fsync,fdatasync FAULT_PATH="$img.partial" -- "${write_args[@]}"

# --- the read-back of the target ---
fails_cleanly "pread EIO in the read-back" "^wintogo: cannot read '$img\\.partial' back at byte 0: $eio" \
	FAULT_CALL=pread FAULT_PATH="$img.partial" -- "${write_args[@]}"
WANT_RC=5 fails_cleanly "reads that end early in the read-back" "^wintogo: '$img(\\.partial)?' ends at byte [0-9]+, before the data written" \
	FAULT_CALL=pread FAULT_PATH="$img.partial" FAULT_SHORT=1 -- "${write_args[@]}"
WANT_RC=5 fails_cleanly "a read-back that differs" "^wintogo: '$img' does not keep what was written: byte 0 " \
	FAULT_CALL=pread FAULT_PATH="$img.partial" FAULT_FLIP=1 -- "${write_args[@]}"
check "the byte is placed in its partition" \
	grep -q "(gpt partition, its byte 0)" <<<"$ERR"
WANT_RC=5 fails_cleanly "a read-back that differs once" "^wintogo: '$img' does not keep what was written: bytes 0 to [0-9]+ .*read back differently once, then right" \
	FAULT_CALL=pread FAULT_PATH="$img.partial" FAULT_FLIP=1 FAULT_TIMES=1 -- "${write_args[@]}"

# --- the manifest beside the image ---
fails_cleanly "write ENOSPC on the manifest beside the image" "^wintogo: cannot write '$img\\.manifest\\.json\\.partial': $nospace" \
	FAULT_CALL=write,pwrite FAULT_PATH="$img.manifest.json" FAULT_ERRNO=ENOSPC -- "${write_args[@]}"
fails_cleanly "a short write on the manifest beside the image" "^wintogo: cannot write '$img\\.manifest\\.json\\.partial': $nospace" \
	FAULT_CALL=write,pwrite FAULT_PATH="$img.manifest.json" FAULT_SHORT=1 -- "${write_args[@]}"
fails_cleanly "fsync EIO on the manifest beside the image" "^wintogo: cannot write '$img\\.manifest\\.json\\.partial' to disk: $eio" \
	FAULT_CALL=fsync,fdatasync FAULT_PATH="$img.manifest.json" -- "${write_args[@]}"

# --- the stage ---
fails_cleanly "write ENOSPC on the staged partition table" "^wintogo: cannot write the partition table to '$STAGE/[^']*/gpt\\.img': $nospace" \
	FAULT_CALL=write,pwrite FAULT_PATH=/gpt.img FAULT_ERRNO=ENOSPC -- "${write_args[@]}"
fails_cleanly "write EIO on the staged partition table" "^wintogo: cannot write the partition table to '$STAGE/[^']*/gpt\\.img': $eio" \
	FAULT_CALL=write,pwrite FAULT_PATH=/gpt.img FAULT_ERRNO=EIO -- "${write_args[@]}"
fails_cleanly "a short write on the staged manifest" "^wintogo: cannot write '$STAGE/[^']*/manifest\\.json': $nospace" \
	FAULT_CALL=write,pwrite FAULT_PATH=/manifest.json FAULT_SHORT=1 -- "${write_args[@]}"
fails_cleanly "pwrite ENOSPC on the staged ESP" "^wintogo: cannot write the manifest into '$STAGE/[^']*/esp\\.img': $nospace" \
	FAULT_CALL=pwrite FAULT_PATH=/esp.img FAULT_ERRNO=ENOSPC -- "${write_args[@]}"
faulty FAULT_CALL=pwrite FAULT_PATH=/esp.img FAULT_SHORT=1 -- "${write_args[@]}"
check "a short pwrite on the staged ESP is no space left" grep -q "esp\\.img': $nospace" <<<"$ERR"
check "a short pwrite on the staged ESP: nothing is left behind" no_leftovers "$STAGE" "$OUTDIR"
clean
faulty FAULT_CALL=pwrite FAULT_PATH=/windows.img FAULT_ERRNO=EIO -- "${write_args[@]}"
is "$RC" 1 "pwrite EIO on the staged NTFS partition: exit 1"
check "pwrite EIO on the staged NTFS partition: nothing is left behind" no_leftovers "$STAGE" "$OUTDIR"
check "pwrite EIO on the staged NTFS partition names it and the reason" \
	grep -Eq "NTFS-3G failed to write the stage '[^']*windows\\.img' \\(the last system error: .*\\)" <<<"$ERR"
clean

# --- faults that a retry gets past: the disk is whole ---
for fault in "FAULT_SHORT=1 FAULT_TIMES=1" "FAULT_ERRNO=EINTR FAULT_TIMES=3"; do
	# shellcheck disable=SC2086 # the words are FAULT_ variables
	faulty FAULT_CALL=pwrite FAULT_PATH="$img.partial" $fault -- "${write_args[@]}"
	is "$RC" 0 "$fault on the target: wintogo goes on and succeeds"
	[ "$RC" -eq 0 ] || diag "$ERR"
	check "$fault: the fault was made" test -s "$TMP/fault.log"
	run_wintogo verify "$img"
	is "$RC" 0 "$fault: wintogo verify finds every byte as written"
	check "$fault: sfdisk reads the GPT" sfdisk --json "$img"
	clean
done

# --- vm: qcow2 and VHDX ---
for out in x.qcow2 x.vhdx x.raw; do
	fmt=()
	[ "$out" = x.raw ] && fmt=(--format raw)
	vm_args=(vm --quiet --seed 5 "${fmt[@]}" --tmpdir "$STAGE" "$wim" "$OUTDIR/$out")
	fails_cleanly "vm to $out, a short write" "^wintogo: cannot write '$OUTDIR/$out\\.partial': $nospace" \
		FAULT_CALL=pwrite,write FAULT_PATH="$OUTDIR/$out.partial" FAULT_SHORT=1 -- "${vm_args[@]}"
	fails_cleanly "vm to $out, EIO on the 3rd write" "^wintogo: cannot write '$OUTDIR/$out\\.partial': $eio" \
		FAULT_CALL=pwrite,write FAULT_PATH="$OUTDIR/$out.partial" FAULT_NTH=3 -- "${vm_args[@]}"
	fails_cleanly "vm to $out, fsync EIO" "^wintogo: cannot write '$OUTDIR/$out\\.partial' to disk: $eio" \
		FAULT_CALL=fsync,fdatasync FAULT_PATH="$OUTDIR/$out.partial" -- "${vm_args[@]}"
done

done_testing
