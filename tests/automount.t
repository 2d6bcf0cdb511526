#!/bin/bash
# While a disk is written, a udev rule hides it and its partitions from the
# desktop's automounter (UDISKS_IGNORE, UDISKS_AUTO; automount.h).  No udev
# nor udisks run here, so the test build writes the rule into the folder
# WINTOGO_UDEV_RULES_DIR names: the rule names the disk while the write
# runs, and is gone after it, after an interrupted one (SIGINT), and, after
# a kill -9 left it, once the next write runs.  Without the hook and with
# no udisks, nothing is written to /run/udev/rules.d.  Needs root.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
need_root_loop
backing=$TMP/disk.img
truncate -s 1G "$backing"
attach_loop "$backing"
pid=
cleanup() {
	[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null
	[ -z "$loop" ] || losetup -d "$loop"
	rm -rf "$TMP"
}
trap cleanup EXIT
rules=$TMP/rules
mkdir -p "$rules"
name=${loop#/dev/}

# start_write ARGS...: the test build writes the loop device in the
# background, its rule going to $rules; waits until the rule is there
# (sets pid and rule, empty when it never came).
start_write() {
	WINTOGO_UDEV_RULES_DIR=$rules "$WINTOGO_TEST" write --yes --tmpdir "$STAGE" "$@" \
		"$FIXTURES/x64.wim" "$loop" >"$TMP/w.out" 2>"$TMP/w.err" </dev/null &
	pid=$!
	rule=
	for _ in $(seq 400); do
		rule=$(ls "$rules"/90-wintogo-"$pid"-"$name".rules 2>/dev/null)
		[ -n "$rule" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
}

start_write --seed 4
check "while the write runs, its rule is there (named by its PID and the disk)" test -n "$rule"
[ -z "$rule" ] || {
	text=$(cat "$rule")
	like "$text" "SUBSYSTEMS==\"block\", KERNELS==\"$name\", ENV\\{UDISKS_IGNORE\\}=\"1\", ENV\\{UDISKS_AUTO\\}=\"0\"" \
		"it hides the disk and every partition under it from udisks"
	is "$(grep -cv '^#' "$rule")" 1 "one rule: a loop device has no serial"
}
wait "$pid"
is "$?" 0 "the write succeeds"
pid=
is "$(ls -A "$rules")" "" "after it, the rule is gone"
run_wintogo verify "$loop"
is "$RC" 0 "the disk passes verify"

start_write --seed 5
check "interrupted: the rule was there" test -n "$rule"
kill -INT "$pid"
wait "$pid"
is "$?" 130 "SIGINT stops the write (exit 130)"
pid=
is "$(ls -A "$rules")" "" "and the rule is gone with it"

start_write --seed 6
killed=$pid
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
check "kill -9 leaves its rule behind" test -e "$rules/90-wintogo-$killed-$name.rules"
start_write --seed 7
wait "$pid"
is "$?" 0 "the next write succeeds"
pid=
like "$(cat "$TMP/w.err")" "removed $rules/90-wintogo-$killed-$name.rules, left by a wintogo that was stopped \\(process $killed\\)" \
	"and removes the rule the killed one left, saying so"
is "$(ls -A "$rules")" "" "no rule is left"

# the real folder: udisks does not run here, so no rule is needed
before=$(ls /run/udev/rules.d 2>/dev/null | grep -c '^90-wintogo-')
run_wintogo write --yes --quiet --no-verify --seed 8 --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$loop" </dev/null
is "$RC" 0 "without udisks the release build writes the disk"
is "$(ls /run/udev/rules.d 2>/dev/null | grep -c '^90-wintogo-')" "$before" "and writes no rule"
check "nothing is left in the stage" no_leftovers "$STAGE"
done_testing
