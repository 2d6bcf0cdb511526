#!/bin/bash
# The core is a library: its modules never talk to the terminal, read no
# environment but TMPDIR, and the shipped binary has no test hooks.
. "$(dirname "$0")/lib.sh"

BUILD=${BUILD:-$ROOT/build}
# as the Makefile's LIB_SRCS: src/ is the core, src/cli/ the front end
core=()
for src in "$ROOT"/src/*.c; do
	core+=("$(basename "$src" .c)")
done
check "there are core modules to look at (${#core[@]})" test "${#core[@]}" -gt 30

for name in "${core[@]}"; do
	obj=$BUILD/obj/$name.o
	if [ ! -f "$obj" ]; then
		_report 1 "$name.o is built"
		continue
	fi
	# stdout/stderr as symbols, and the calls that print to them
	bad=$(nm -u "$obj" | awk '{ print $2 }' |
		grep -xE 'stdout|stderr|printf|vprintf|puts|putchar|perror|__printf_chk|__vprintf_chk|getenv|secure_getenv' |
		tr '\n' ' ')
	if [ "$name" = stage ]; then
		# stage_default_parent() reads TMPDIR, the one variable the core reads
		bad=$(printf '%s' "$bad" | sed 's/\bgetenv\b//; s/^ *//; s/ *$//')
	fi
	is "$bad" "" "core module $name prints nothing and reads no environment"
done

# the test hooks are in the test build only
check "the test build takes WINTOGO_TEST_CORRUPT_OFFSET" grep -q WINTOGO_TEST_CORRUPT_OFFSET "$BUILD/test/wintogo"
for var in WINTOGO_TEST_CORRUPT_OFFSET WINTOGO_WRITE_TRACE WINTOGO_SYSFS_ROOT WINTOGO_PROC_ROOT \
	WINTOGO_DEV_ROOT; do
	if grep -q "$var" "$WINTOGO"; then
		_report 1 "the shipped binary does not know $var"
	else
		_report 0 "the shipped binary does not know $var"
	fi
done

# and the shipped binary ignores them: a corruption hook changes nothing
need_fixtures
write_dirs
WINTOGO_TEST_CORRUPT_OFFSET=1048576 run_wintogo write --quiet --seed 1 --tmpdir "$STAGE" \
	"$FIXTURES/x64.wim" "$OUTDIR/plain.img"
is "$RC" 0 "the shipped binary writes a disk with WINTOGO_TEST_CORRUPT_OFFSET set"
run_wintogo verify --quiet "$OUTDIR/plain.img"
is "$RC" 0 "and it holds what was written"

done_testing
