#!/bin/bash
# The command line of every command: options before and after the
# operands, `--`, each short option, bad values (exit 2, one line naming
# the option and the value), sizes as util-linux reads them, `wintogo help`.
# Mostly --help and --dry-run: fast.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs
use_asan
export WINTOGO_DATADIR=$ROOT/data  # the Mac model table, for --host
wim=$FIXTURES/x64.wim
json_of() { jq -c "$1" <<<"$OUT" 2>/dev/null; }

# --- options before and after the operands ---
run_wintogo info --json "$wim"
before=$OUT
run_wintogo info "$wim" --json
is "$RC" 0 "info FILE --json"
is "$OUT" "$before" "gives what info --json FILE gives"

run_wintogo write --dry-run --json --seed 1 --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
before=$(json_of 'select(.plan)')
run_wintogo write "$wim" --seed 1 "$OUTDIR/a.img" --dry-run --json --tmpdir "$STAGE"
is "$RC" 0 "write IMAGE --seed 1 TARGET --dry-run --json"
is "$(json_of 'select(.plan)')" "$before" "gives the plan the options before the operands give"
check "and writes nothing" test ! -e "$OUTDIR/a.img"

run_wintogo vm "$wim" "$OUTDIR/a.qcow2" --dry-run --json --seed 1 --tmpdir "$STAGE"
is "$RC" 0 "vm SOURCE OUT --dry-run --json"
is "$(json_of 'select(.plan) | .plan.disk.guid')" "$(jq -c .plan.disk.guid <<<"$before")" \
	"the same disk as write's plan"

run_wintogo verify "$OUTDIR/missing.img" --json
is "$RC" 1 "verify TARGET --json: fails on a missing TARGET, not on its options"
is "$(json_of '.error.code')" '"not-found"' "with --json taken: the error is a JSON object"

run_wintogo probe "$wim" --json --host pc-uefi
# the fixture's boot manager is unsigned: "boots with conditions" (3)
is "$RC" 3 "probe IMAGE --json --host pc-uefi (boots with conditions: its loader is unsigned)"
is "$(json_of '.host.kind')" '"pc-uefi"' "both options after the operand are taken"

run_wintogo list --json extra
is "$RC" 2 "list takes no operand, even with options around it"

# --- `--` ends the options: files named like options ---
ln -s "$wim" "$TMP/-x.wim"
cd "$TMP" || exit 1
run_wintogo info --json -- -x.wim
is "$RC" 0 "info -- -x.wim"
is "$(json_of .path)" '"-x.wim"' "reads the file named -x.wim"
run_wintogo info -- --json
is "$RC" 1 "info -- --json: after --, --json is a file name"
like "$ERR" "cannot open '--json'" "the one it cannot find"
run_wintogo info -- -x.wim --json
is "$RC" 2 "info -- -x.wim --json: two operands"
run_wintogo write --dry-run --tmpdir "$STAGE" -- -x.wim -t.img
is "$RC" 0 "write --dry-run -- -x.wim -t.img"
like "$OUT" "onto -t.img" "the target is the file named -t.img"
run_wintogo vm --dry-run --tmpdir "$STAGE" -- -x.wim -t.qcow2
is "$RC" 0 "vm --dry-run -- -x.wim -t.qcow2"
run_wintogo probe --host pc-uefi -- -x.wim
is "$RC" 3 "probe --host pc-uefi -- -x.wim (boots with conditions)"
run_wintogo verify -- -missing.img
is "$RC" 1 "verify -- -missing.img looks for that file"
like "$ERR" "cannot open '-missing.img'" "and says it is not there"
run_wintogo list -- -a
is "$RC" 2 "list -- -a: -a is an operand, and list takes none"
cd "$ROOT" || exit 1

# --- each short option, as its command's --help lists it, is accepted ---
value_of() {
	case $1 in
	-i) echo 1 ;; -n) echo name ;; -s) echo 3G ;; -H) echo pc-uefi ;; -m) echo m.json ;;
	-F) echo raw ;;
	esac
}
for cmd in list info probe write vm verify; do
	shorts=$("$WINTOGO" "$cmd" --help | grep -oE '^ +-[a-zA-Z], --[a-z-]+( [A-Z]+)?' | sed 's/^ *//')
	while read -r short _ arg; do
		short=${short%,}
		[ "$short" = -h ] && continue
		args=("$short")
		[ -n "$arg" ] && args+=("$(value_of "$short")")
		run_wintogo "$cmd" "${args[@]}" -h
		is "$RC:$ERR" "0:" "$cmd ${args[*]} is accepted"
	done <<<"$shorts"
done
run_wintogo write -h
like "$OUT" '^  -H, --host HOST' "write has -H, as probe has"
run_wintogo probe -h
like "$OUT" '^  -q, --quiet' "probe has -q, as write, vm and verify have"

# short options that do what their long spelling does
run_wintogo write -qj -H apple-silicon --dry-run --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
is "$RC:$(json_of 'select(.error) | .error.code')" '1:"cannot-boot"' \
	"write -qj -H apple-silicon: probes for the host, in JSON"
run_wintogo probe -q -H apple-silicon "$wim"
is "$RC:$OUT" "4:" "probe -q: the verdict in the exit status alone"
run_wintogo write -j -i 2 -n x --dry-run "$FIXTURES/multi.wim" "$OUTDIR/a.img"
is "$RC" 2 "-i and -n are --index and --name (not both)"
run_wintogo vm -F vdi "$wim" "$OUTDIR/a.vdi"
is "$RC" 2 "-F is --format"
run_wintogo -V
like "$OUT" '^wintogo [0-9]' "wintogo -V is --version"
run_wintogo --version
like "$OUT" '^wintogo [0-9.]+ \(wimlib ' "wintogo --version"

# --- bad values: exit 2, one line that names the option and the value ---
bad() { # bad COMMAND OPTION VALUE [more args]; OPTION may be -x/--long
	local cmd=$1 opt=${2#*/} val=$3 lines
	run_wintogo "$cmd" "${2%/*}" "$val" "${@:4}"
	lines=$(printf '%s\n' "$ERR" | grep -c '')
	if [ "$RC" -eq 2 ] && [ "$lines" -eq 2 ] &&
		printf '%s\n' "$ERR" | head -1 | grep -qF -- "wintogo $cmd: $opt wants " &&
		printf '%s\n' "$ERR" | head -1 | grep -qF -- "not '$val'" &&
		[ "$(printf '%s\n' "$ERR" | tail -1)" = "Try 'wintogo $cmd --help'." ]; then
		_report 0 "$cmd ${2%/*} '$val': usage error"
	else
		_report 1 "$cmd ${2%/*} '$val': usage error"
		diag "rc=$RC" "stderr: $ERR"
	fi
}
img=("$wim" "$OUTDIR/a.img")
for v in 100T 17T 16.1T 3X 0 3Gb2 1.5 -1G; do bad write --size "$v" --dry-run "${img[@]}"; done
bad write -s/--size 100T --dry-run "${img[@]}"
for v in 100K 8G 260.5M; do bad write --esp-size "$v" --dry-run "${img[@]}"; done
bad write --index 0 "${img[@]}"
bad write --seed x "${img[@]}"
for v in klingon en de_DE 'de DE' xx-YY; do bad write --locale "$v" --dry-run "${img[@]}"; done
bad write --sha256 abc "${img[@]}"
bad write --san-policy offline "${img[@]}"
bad write --timezone 'Mars Standard Time' --dry-run "${img[@]}"
bad write --timezone '' --dry-run "${img[@]}"
bad write --host nowhere "${img[@]}"
bad write -H/--host nowhere "${img[@]}"
bad vm --size 17T "$wim" "$OUTDIR/a.qcow2"
bad vm --format vdi "$wim" "$OUTDIR/a.qcow2"
bad vm --cpus 0 "$wim" "$OUTDIR/a.qcow2"
bad vm --memory 1G "$wim" "$OUTDIR/a.qcow2"
bad vm --memory 7T "$wim" "$OUTDIR/a.qcow2"
bad vm --vhdx-block-size 3M --format vhdx "$wim" "$OUTDIR/a.vhdx"
bad vm --locale klingon "$wim" "$OUTDIR/a.qcow2"
bad info --index x "$wim"
bad list --index 0
bad probe --index 0 "$wim"
bad probe --host nowhere "$wim"
check "no bad value left a file" test -z "$(ls -A "$OUTDIR")"
run_wintogo write --locale de-DE --dry-run --tmpdir "$STAGE" "${img[@]}"
is "$RC" 0 "--locale de-DE is a locale ICU knows"
run_wintogo write --locale sr-Latn-RS --dry-run --tmpdir "$STAGE" "${img[@]}"
is "$RC" 0 "--locale sr-Latn-RS too"

# --- sizes: GB is 10^9 bytes, G is 2^30 ---
size_of_plan() {
	run_wintogo write --dry-run --json --tmpdir "$STAGE" --size "$1" "${img[@]}"
	json_of 'select(.plan) | .plan.disk.size'
}
gb=$(size_of_plan 3GB)
check "--size 3GB: a disk of 3,000,000,000 bytes or less ($gb)" test "${gb:-0}" -gt 0 -a "${gb:-0}" -le 3000000000
gib=$(size_of_plan 3G)
check "--size 3G: a disk of 3 GiB or less, and more than 3GB ($gib)" \
	test "${gib:-0}" -gt 3000000000 -a "${gib:-0}" -le 3221225472
is "$(size_of_plan 3GiB)" "$gib" "--size 3GiB is --size 3G"
is "$(size_of_plan 1.5G)" 1610612736 "--size 1.5G"
run_wintogo write --quiet --no-verify --seed 2 --size 3GB --tmpdir "$STAGE" "${img[@]}"
is "$RC" 0 "write --size 3GB of an image file"
check "the file is 3,000,000,000 bytes or less" test "$(stat -c %s "$OUTDIR/a.img")" -le 3000000000
last=$(sfdisk --json "$OUTDIR/a.img" | jq '.partitiontable.lastlba')
check "and so is its GPT ($last)" test $(((last + 1) * 512)) -le 3000000000
rm -f "$OUTDIR"/a.img*

# --- wintogo help ---
mkdir -p "$TMP/man/man1"
ln -s "$ROOT"/man/*.1 "$TMP/man/man1/"
out=$(MANPATH=$TMP/man MANPAGER=cat PAGER=cat MANWIDTH=80 "$WINTOGO" help write 2>&1)
like "$out" "WINTOGO-WRITE" "wintogo help write shows wintogo-write(1)"
out=$(MANPATH=$TMP/man MANPAGER=cat PAGER=cat "$WINTOGO" help vm 2>&1)
like "$out" "WINTOGO-VM" "wintogo help vm shows wintogo-vm(1)"
mkdir -p "$TMP/noman"
out=$(MANPATH=$TMP/noman "$WINTOGO" help write 2>&1)
like "$out" "^Usage: wintogo write" "without the page: write --help"
out=$(PATH=$TMP/noman "$WINTOGO" help write 2>&1)
like "$out" "^Usage: wintogo write" "without man: write --help"
run_wintogo help
is "$RC" 0 "wintogo help"
like "$OUT" "^Usage: wintogo" "prints the usage"
run_wintogo help nosuch
is "$RC" 2 "wintogo help of no command is a usage error"
run_wintogo help write vm
is "$RC" 2 "wintogo help takes one command"
run_wintogo nosuch
is "$RC" 2 "an unknown command is a usage error"
like "$ERR" "'nosuch' is not a command" "that names it"
run_wintogo
is "$RC" 2 "no command is a usage error"

# --- Ctrl-C at the typed confirmation: interrupted (130), not 1 ---
if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null || ! command -v script >/dev/null; then
	skip "needs root for a loop device, and script(1)"
else
	truncate -s 512M "$TMP/disk.img"
	loop=$(losetup -f --show "$TMP/disk.img" 2>/dev/null)
	if [ -z "$loop" ]; then
		skip "no loop device available"
	else
		mkfifo "$TMP/answer"
		exec 7<>"$TMP/answer"  # the prompt reads from it, and waits
		script -qec "echo pid=\$\$; exec '$WINTOGO' write --seed 3 --tmpdir '$STAGE' '$wim' '$loop'" \
			/dev/null <"$TMP/answer" >"$TMP/int.log" 2>&1 &
		spid=$!
		for _ in $(seq 200); do grep -q "to go on" "$TMP/int.log" && break; sleep 0.1; done
		pid=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$TMP/int.log" | head -1)
		[ -n "$pid" ] && kill -INT "$pid"
		wait "$spid"
		is "$?" 130 "Ctrl-C at the prompt exits 130"
		like "$(cat "$TMP/int.log")" "wintogo: interrupted" "saying interrupted"
		exec 7>&-
		losetup -d "$loop"
	fi
fi
done_testing
