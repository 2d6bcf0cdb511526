#!/bin/bash
# Runs that overlap, and what killed runs leave behind: a .partial is
# locked while it is written (a second run to it is refused, naming the
# first's process), a stale one is replaced, the stages of dead runs are
# removed by the next run, the manifest beside an image is not replaced
# without --force, and a UTM bundle on another file system is copied, or
# fails leaving nothing.
. "$(dirname "$0")/lib.sh"
need_fixtures
use_asan
write_dirs
wim=$FIXTURES/x64.wim

# A stand-in mkfs.fat holds a write where its stage and the image's
# .partial are made (the ESP is formatted after the target is opened): it
# writes its pid to $HOLD/held and waits for a line on the FIFO $HOLD/go.
HOLD=$TMP/hold
mkdir -p "$HOLD" "$TMP/bin"
mkfifo "$HOLD/go"
cat >"$TMP/bin/mkfs.fat" <<EOF
#!/bin/sh
echo \$\$ >"$HOLD/held.new" && mv "$HOLD/held.new" "$HOLD/held"
read -r _ <"$HOLD/go"
exec $(command -v mkfs.fat) "\$@"
EOF
chmod +x "$TMP/bin/mkfs.fat"

# start_held OUTFILE ARGS...: wintogo ARGS in the background, held; PID is its pid.
start_held() {
	local out=$1
	shift
	rm -f "$HOLD/held"
	PATH=$TMP/bin:$PATH "$WINTOGO" "$@" >"$out" 2>"$out.err" &
	PID=$!
	for _ in $(seq 300); do
		[ -e "$HOLD/held" ] && return 0
		sleep 0.1
	done
	return 1
}
release() { echo go >"$HOLD/go"; }
# hold_lock FILE: a process (holder) that holds an exclusive flock on FILE,
# taken by itself (the kernel names the process that took a lock).
hold_lock() {
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(60)' "$1" >/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 100); do
		flock -n "$1" true || return 0
		sleep 0.1
	done
	return 1
}
stages() { find "$STAGE" -mindepth 1 -maxdepth 1 -name 'wintogo-*' | wc -l; }

# --- (a) two writes to one image file ---
start_held "$TMP/a.out" write --quiet --seed 7 --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
is "$?" 0 "a first write is held where its stage is made"
check "with its .partial made" test -e "$OUTDIR/a.img.partial"
held_stages=$(stages)
refuses "a second write to the same file is refused, naming the first's process" \
	"^wintogo: '$OUTDIR/a.img' is being written by process $PID; wait for it or choose another name\$" \
	write --quiet --seed 8 --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
run_wintogo write --json --seed 8 --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
is "$(jq -r 'select(.error) | .error.code' <<<"$OUT")" target-busy "its error code is target-busy"
is "$(jq -c 'select(.plan)' <<<"$OUT" | grep -c .)" 0 "refused before it planned (no plan on stdout)"
check "the refused runs left the first's .partial" test -s "$OUTDIR/a.img.partial"
is "$(stages)" "$held_stages" "and the first's stages, whose lock is held, and no stage of their own"
release
wait "$PID"
is "$?" 0 "the first write then completes"
run_wintogo verify "$OUTDIR/a.img"
is "$RC" 0 "and its image verifies"
esp=$(sfdisk --json "$OUTDIR/a.img" | jq '.partitiontable.partitions[0].start * 512')
is "$(MTOOLS_SKIP_CHECK=1 mtype -i "$OUTDIR/a.img@@$esp" ::/wintogo/manifest.json | jq -cS .)" \
	"$(jq -cS . "$OUTDIR/a.img.manifest.json")" "the manifest beside it is the one on its ESP"
is "$(jq -r .disk.guid "$OUTDIR/a.img.manifest.json")" \
	"$(sfdisk --json "$OUTDIR/a.img" | jq -r .partitiontable.id)" "and names its disk GUID"
check "no stage and no .partial are left" no_leftovers "$STAGE"
check "no .partial beside the image" test -z "$(find "$OUTDIR" -name '*.partial')"

# --- (f) the manifest beside an image is an output too ---
rm -f "$OUTDIR/a.img"
refuses "an existing TARGET.manifest.json is refused without --force" \
	"^wintogo: '$OUTDIR/a.img.manifest.json' already exists; use --force to replace it\$" \
	write --quiet --seed 9 --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
check "nothing was written" test ! -e "$OUTDIR/a.img"
run_wintogo write --quiet --force --seed 9 --tmpdir "$STAGE" "$wim" "$OUTDIR/a.img"
is "$RC" 0 "with --force it is replaced"
is "$(jq -r .disk.guid "$OUTDIR/a.img.manifest.json")" \
	"$(sfdisk --json "$OUTDIR/a.img" | jq -r .partitiontable.id)" "by the new image's manifest"

# --- (b) a run killed with SIGKILL, then a rerun ---
rm -rf "${OUTDIR:?}"/*
start_held "$TMP/b.out" write --quiet --seed 10 --tmpdir "$STAGE" "$wim" "$OUTDIR/b.img"
is "$?" 0 "a write is held"
kill -KILL "$PID"
wait "$PID" 2>/dev/null
kill "$(cat "$HOLD/held")"
killed_stages=$(stages)
check "kill -9 leaves its stages" test "$killed_stages" -ge 1
check "and its .partial" test -e "$OUTDIR/b.img.partial"
run_wintogo write --seed 10 --tmpdir "$STAGE" "$wim" "$OUTDIR/b.img"
is "$RC" 0 "a rerun to the same target succeeds"
want="stage folder"
[ "$killed_stages" -gt 1 ] && want="stage folders"
like "$ERR" "^removed $killed_stages stale $want from an earlier run in '$STAGE' \([0-9.]+ [KMG]?i?B freed\)\$" \
	"it says it removed the stale stages, and how much that freed"
check "afterwards the stage parent has no wintogo-* folder" no_leftovers "$STAGE"
check "and no .partial is left" test ! -e "$OUTDIR/b.img.partial"
run_wintogo verify "$OUTDIR/b.img"
is "$RC" 0 "the rerun's image verifies"

# --- (c) a stale .partial from a killed run is replaced ---
head -c 1M /dev/urandom >"$OUTDIR/c.img.partial"
run_wintogo write --quiet --seed 11 --tmpdir "$STAGE" "$wim" "$OUTDIR/c.img"
is "$RC" 0 "a .partial nobody holds does not stop a write"
run_wintogo verify "$OUTDIR/c.img"
is "$RC" 0 "which replaced it: the image verifies"
check "and no .partial is left" test ! -e "$OUTDIR/c.img.partial"
echo victim >"$TMP/victim"
ln -s "$TMP/victim" "$OUTDIR/s.img.partial"
run_wintogo write --quiet --seed 11 --tmpdir "$STAGE" "$wim" "$OUTDIR/s.img"
is "$RC" 0 "a .partial that is a symlink does not stop a write"
is "$(cat "$TMP/victim")" victim "and is never followed"

# --- (d) a .partial another process holds is left alone ---
echo keep >"$OUTDIR/d.img.partial"
hold_lock "$OUTDIR/d.img.partial"
refuses "a write to a target whose .partial is locked is refused, naming the holder" \
	"^wintogo: '$OUTDIR/d.img' is being written by process $holder; wait for it or choose another name\$" \
	write --quiet --seed 12 --tmpdir "$STAGE" "$wim" "$OUTDIR/d.img"
is "$(cat "$OUTDIR/d.img.partial")" keep "the held .partial is not removed"
check "the refused write left no stage" no_leftovers "$STAGE"
kill "$holder"
wait "$holder" 2>/dev/null
run_wintogo write --quiet --seed 12 --tmpdir "$STAGE" "$wim" "$OUTDIR/d.img"
is "$RC" 0 "once the holder is gone, a write replaces it"

# A stage folder another run holds is left alone; one that is not ours
# (no .lock, a symlink) too.
mkdir "$STAGE/wintogo-Held01" "$STAGE/wintogo-NoLock" "$TMP/elsewhere"
touch "$STAGE/wintogo-Held01/.lock" "$STAGE/wintogo-NoLock/data" "$TMP/elsewhere/.lock" "$TMP/elsewhere/data"
ln -s "$TMP/elsewhere" "$STAGE/wintogo-Link01"
hold_lock "$STAGE/wintogo-Held01/.lock"
run_wintogo write --seed 13 --tmpdir "$STAGE" "$wim" "$OUTDIR/e.img"
is "$RC" 0 "a write beside stages that are not dead ones"
check "does not remove one whose lock is held" test -e "$STAGE/wintogo-Held01/.lock"
check "nor a folder without a .lock" test -e "$STAGE/wintogo-NoLock/data"
check "nor a symlink, nor what it points to" test -L "$STAGE/wintogo-Link01" -a -e "$TMP/elsewhere/data"
is "$(grep -c 'stale stage' <<<"$ERR")" 0 "and says nothing of removing stages"
kill "$holder"
wait "$holder" 2>/dev/null
rm -rf "$STAGE/wintogo-Held01" "$STAGE/wintogo-NoLock" "$STAGE/wintogo-Link01"

# --- (e) vm --utm onto another file system ---
if [ "$(id -u)" -eq 0 ] && mkdir -p "$TMP/utm" "$TMP/small" &&
	mount -t tmpfs -o size=64m wintogo-test "$TMP/utm" 2>/dev/null; then
	mount -t tmpfs -o size=1m wintogo-test "$TMP/small"
	trap 'umount "$TMP/utm" "$TMP/small" 2>/dev/null; rm -rf "$TMP"' EXIT
	run_wintogo vm --quiet --seed 5 --tmpdir "$STAGE" --utm "$TMP/utm" "$wim" "$OUTDIR/u.qcow2"
	is "$RC" 0 "vm --utm with the bundle on another file system (tmpfs)"
	check "its disk is the QCOW2, copied" cmp "$OUTDIR/u.qcow2" "$TMP/utm/Windows 10 Pro.utm/Data/DISK.qcow2"
	like "$(qemu-img check "$TMP/utm/Windows 10 Pro.utm/Data/DISK.qcow2" 2>&1)" "No errors were found" \
		"qemu-img check finds the bundle's disk sound"
	refuses "vm --utm onto a file system without room for the disk fails" \
		"^wintogo: cannot (write|copy '.*v.qcow2' to) '$TMP/small/Windows 10 Pro.utm.partial/Data/DISK.qcow2'(: writing failed)?: No space left on device\$" \
		vm --quiet --seed 5 --tmpdir "$STAGE" --utm "$TMP/small" "$wim" "$OUTDIR/v.qcow2"
	check "and leaves no bundle, nor its .partial" no_leftovers "$TMP/small"
	check "nor the QCOW2 it was made from" test ! -e "$OUTDIR/v.qcow2" -a ! -e "$OUTDIR/v.qcow2.partial"
	check "nor a stage" no_leftovers "$STAGE"
else
	skip "vm --utm across file systems: mounting a tmpfs needs root"
fi

done_testing
