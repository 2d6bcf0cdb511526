#!/bin/bash
# The guided mode: `wintogo write` (or `wintogo` alone) on a terminal with
# arguments missing asks for them, step by step.  tmux is the terminal:
# the test types as a user would (Tab to complete a name, wrong answers
# first), reads the screen, and checks that the one-line command the
# answers made runs the very same plan, that the plan ends at the
# confirmation, and that nothing is written before it.  Without a
# terminal, the missing arguments stay a usage error.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
write_dirs

# Without a terminal: the usage error scripts rely on
run_wintogo write "$FIXTURES/x64.wim" </dev/null
is "$RC" 2 "write without TARGET and no terminal: a usage error (2)"
like "$ERR" "IMAGE and TARGET are needed" "which says what is missing"
"$WINTOGO" </dev/null >/dev/null 2>"$TMP/bare.err"
is "$?" 2 "wintogo alone without a terminal: the usage (2)"
like "$(cat "$TMP/bare.err")" "Usage: wintogo" "and it prints the usage"

if ! command -v tmux >/dev/null; then
	skip "tmux is not installed: the guided mode is not driven"
	done_testing
	exit
fi

SOCK=wintogo-test-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$TMP"' EXIT

# tm_start DIR CMD...: runs CMD in DIR on a new 100x50 terminal; its exit
# status goes to $TMP/rc.
tm_start() {
	local dir=$1
	shift
	rm -f "$TMP/rc"
	tm kill-server 2>/dev/null
	printf 'cd %q && ' "$dir" >"$TMP/run.sh"
	printf '%q ' "$@" >>"$TMP/run.sh"
	printf '; echo $? >%q; sleep 300\n' "$TMP/rc" >>"$TMP/run.sh"
	tm new-session -d -s t -x 100 -y 50 "bash $TMP/run.sh"
}
screen() { tm capture-pane -p -J -t t -S -500; }
# tm_wait REGEX: until the screen shows REGEX (30 s)
tm_wait() {
	local i
	for i in $(seq 300); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	diag "the screen never showed /$1/:" "$(screen)"
	return 1
}
keys() { tm send-keys -t t "$@"; }
# answer REGEX TEXT: waits for the question, types TEXT and Enter
answer() { tm_wait "$1" && keys -l "$2" && keys Enter; }
# finished: waits for the command's exit status, sets GRC
finished() {
	local i
	for i in $(seq 600); do
		[ -s "$TMP/rc" ] && break
		sleep 0.1
	done
	GRC=$(cat "$TMP/rc" 2>/dev/null || echo none)
}
# the_command: the command line the guided mode printed
the_command() { screen | grep -A1 '^The same write as one command' | sed -n '2s/^  //p'; }

### 1. Every question, to a disk image file, with --dry-run --json #######
# The JSON goes to a file; the questions are on the terminal (stderr).
cp "$FIXTURES/multi.wim" "$OUTDIR/multi.wim"
tm_start "$OUTDIR" sh -c 'exec "$@" >plan1.json' sh "$WINTOGO" write --seed 7 --tmpdir "$STAGE" --dry-run --json
tm_wait 'step by step'
tm_wait 'Image: '
keys -l "mul"
keys Tab
check "Tab completes the image's name" tm_wait 'Image: multi\.wim'
keys Enter
answer 'Edition \[1-3\]: ' 9
check "an edition that is not in the list is asked again" tm_wait 'Type a number from 1 to 3'
check "the editions are listed with their names" tm_wait ' 2  Windows 10 Pro'
answer 'Type a number from 1 to 3' 2
answer 'Target: ' "/nonexistent/g.img"
check "a file in a missing folder is asked again" tm_wait "there is no folder '/nonexistent'"
answer "there is no folder" "g.img"
answer 'Size: ' 3GB
answer 'first boot\): ' 'bad/name'
check "an account name Windows refuses is asked again" tm_wait "'bad/name' cannot name a Windows account"
answer "cannot name a Windows account" alice
answer 'first-boot questions .* \[y/N\] ' y
answer 'internal disks offline .* \[Y/n\] ' n
answer 'Drivers to add' ''
finished
is "$GRC" 0 "the guided dry run ends well"
CMD=$(the_command)
diag "printed: $CMD"
like "$CMD" "^wintogo write --seed 7 --tmpdir .* --dry-run --json --index 2 --size 3GB --user alice --skip-oobe --san-policy online-all multi\.wim g\.img$" \
	"the command carries the options typed and one for each answer"
# run it as printed (a shell reads it back), without a terminal
(cd "$OUTDIR" && eval "\"\$WINTOGO\" ${CMD#wintogo }" </dev/null >plan2.json 2>"$TMP/plan2.err")
is "$?" 0 "the printed command runs"
check "both runs give the same plan (--dry-run --json)" \
	cmp <(jq -S -c . "$OUTDIR/plan1.json") <(jq -S -c . "$OUTDIR/plan2.json")
is "$(jq -r 'select(.plan) | .plan.image.index' "$OUTDIR/plan1.json")" 2 "the plan applies edition 2"
size=$(jq -r 'select(.plan) | .plan.disk.size' "$OUTDIR/plan1.json")
check "--size 3GB: a disk of 3,000,000,000 bytes at most ($size)" test "$size" -le 3000000000
check "the plan's answers name alice" grep -q '"new":"alice"' "$OUTDIR/plan1.json"
check "and bring the internal disks online (SanPolicy 1)" \
	jq -e 'select(.plan) | .plan.changes[] | select(.name == "SanPolicy" and .new == "1")' "$OUTDIR/plan1.json"
check "a dry run writes nothing" test ! -e "$OUTDIR/g.img" -a ! -e "$OUTDIR/g.img.partial"

### 2. The image given, a file target: the guided mode asks before writing
tm_start "$OUTDIR" "$WINTOGO" write --tmpdir "$STAGE" "$FIXTURES/x64.wim"
check "the image given is not asked for" tm_wait "1. The Windows image: $FIXTURES/x64.wim"
check "an image of one edition is not asked about" tm_wait "The edition: Windows 10 Pro \(the only one\)"
answer 'Target: ' multi.wim
check "an existing file is not a target (no --force)" tm_wait "'multi.wim' already exists; give another name"
answer "already exists" g2.img
for q in 'Size: ' 'first boot\): ' 'first-boot questions' 'internal disks offline' 'Drivers to add'; do
	answer "$q" ''
done
check "the plan is shown" tm_wait 'Plan: image 1 of'
check "then a question before the file is written" tm_wait 'Write g2.img now\? \[y/N\]'
check "nothing is written before the answer" test ! -e "$OUTDIR/g2.img" -a ! -e "$OUTDIR/g2.img.partial"
keys -l n
keys Enter
finished
is "$GRC" 1 "no: the write stops (1)"
check "and leaves nothing" test ! -e "$OUTDIR/g2.img" -a ! -e "$OUTDIR/g2.img.partial"
is "$(the_command)" "wintogo write --tmpdir $STAGE $FIXTURES/x64.wim g2.img" \
	"the command is the one typed, with the answer for TARGET"

tm_start "$OUTDIR" "$WINTOGO" write --tmpdir "$STAGE" --seed 3 "$FIXTURES/x64.wim"
answer 'Target: ' g3.img
for q in 'Size: ' 'first boot\): ' 'first-boot questions' 'internal disks offline' 'Drivers to add'; do
	answer "$q" ''
done
answer 'Write g3.img now\? \[y/N\]' y
finished
is "$GRC" 0 "yes: the write is made"
check "a GPT disk with its three partitions" \
	jq -e '.partitiontable.label == "gpt" and (.partitiontable.partitions | length) == 3' \
	<(sfdisk --json "$OUTDIR/g3.img")
run_wintogo verify "$OUTDIR/g3.img"
is "$RC" 0 "it passes wintogo verify"

### 3. wintogo alone; Ctrl-D and Ctrl-C ##################################
tm_start "$OUTDIR" "$WINTOGO"
check "wintogo alone on a terminal starts the guided write" tm_wait 'Writing a Windows To Go disk, step by step'
tm_wait 'Image: ' && keys C-d
finished
is "$GRC" 1 "end of input at a question stops (1)"
check "saying nothing was written" tm_wait 'no answer \(end of input\); nothing was written'

tm_start "$OUTDIR" "$WINTOGO" write multi.wim
answer 'Edition \[1-3\]: ' ''
tm_wait 'Edition \[1-3\]: ' && keys C-c
finished
is "$GRC" 130 "Ctrl-C at a question stops with 130"

### 4. The disks offered, with their verdicts (a fake sysfs) #############
S=$TMP/sys P=$TMP/proc
usb=pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0
fake_disk() { # NAME DEVPATH MIB MAJ:MIN MODEL
	local d=$S/devices/$2/block/$1
	mkdir -p "$d/queue" "$d/device" "$S/block" "$S/class/block"
	echo $(($3 * 2048)) >"$d/size"
	echo "$4" >"$d/dev"
	echo 1 >"$d/removable"
	echo 0 >"$d/ro"
	echo 512 >"$d/queue/logical_block_size"
	echo 512 >"$d/queue/physical_block_size"
	echo 0 >"$d/queue/rotational"
	echo "$5" >"$d/device/model"
	ln -s "../devices/$2/block/$1" "$S/block/$1"
}
fake_disk sdb "$usb" 30000 8:16 "Extreme"
fake_disk sdd "${usb/2-1/2-3}" 16000 8:48 "Cruzer Blade"
mkdir -p "$S/devices/${usb/2-1/2-3}/block/sdd/sdd1" "$P/self"
d=$S/devices/${usb/2-1/2-3}/block/sdd/sdd1
echo 1 >"$d/partition"; echo 2048 >"$d/start"; echo $((15999 * 2048)) >"$d/size"; echo 8:49 >"$d/dev"
ln -s "$d" "$S/class/block/sdd1"
echo '40 1 8:49 / /media/user/CRUZER rw - vfat /dev/sdd1 rw' >"$P/self/mountinfo"
: >"$P/swaps"
tm_start "$OUTDIR" env WINTOGO_SYSFS_ROOT="$S" WINTOGO_PROC_ROOT="$P" "$WINTOGO_TEST" write "$FIXTURES/x64.wim"
check "a disk that is ok gets a number" tm_wait ' 1  /dev/sdb .*usb'
check "a refused one is shown with why, without a number" tm_wait ' -  /dev/sdd'
check "(mounted)" tm_wait 'refused: .*mounted'
answer 'Target: ' 2
check "a number that is no offered disk is asked again" tm_wait 'There is no disk 2 here; type 1 to 1'
keys C-c
finished
is "$GRC" 130 "and Ctrl-C still stops"

### 5. A real disk (root): the plan ends at the typed confirmation #######
if [ "$(id -u)" -ne 0 ]; then
	skip "not root: no loop device for the typed confirmation"
	done_testing
	exit
fi
truncate -s 1G "$TMP/disk.raw"
LOOP=$(losetup -f --show "$TMP/disk.raw")
trap 'tm kill-server 2>/dev/null; losetup -d "$LOOP"; rm -rf "$TMP"' EXIT
before=$(digest_of "$LOOP")
tm_start "$OUTDIR" "$WINTOGO" write --tmpdir "$STAGE" "$FIXTURES/x64.wim"
answer 'Target: ' "$LOOP"
for q in 'first boot\): ' 'first-boot questions' 'internal disks offline' 'Drivers to add'; do
	answer "$q" ''
done
is "$(screen | grep -c 'Size: ')" 0 "a disk is not asked for a size"
check "the plan ends at the typed confirmation" tm_wait "Type its name \($LOOP\) to go on: "
is "$(the_command)" "wintogo write --tmpdir $STAGE $FIXTURES/x64.wim $LOOP" "the command names the disk"
keys C-c
finished
is "$GRC" 130 "Ctrl-C at the confirmation: 130"
is "$(digest_of "$LOOP")" "$before" "the disk is unchanged"

done_testing
