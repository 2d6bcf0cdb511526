# lib.sh - TAP helpers for the end-to-end tests (bash).
#
#   . "$(dirname "$0")/lib.sh"
#   run_wintogo info "$FIXTURES/x64.wim"   # sets RC, OUT (stdout), ERR (stderr)
#   is "$RC" 0 "info succeeds"
#   check "the JSON parses" jq . "$TMP/out.json"
#   done_testing
#
# WINTOGO is the binary under test (the sanitizer build when WINTOGO_ASAN is
# set and a test asks for it with use_asan); WINTOGO_TEST is the test build,
# which alone takes the test hooks (WINTOGO_SYSFS_ROOT, WINTOGO_WRITE_TRACE,
# WINTOGO_TEST_CORRUPT_OFFSET...; the sanitizer build takes them too); FIXTURES is the directory that
# fixtures/mkimage filled, built here on demand when unset.

set -u
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$TESTS_DIR/.." && pwd)
: "${WINTOGO:=$ROOT/build/wintogo}"
: "${WINTOGO_TEST:=$ROOT/build/test/wintogo}"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wintogo-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Sanitizer failures must fail the test, not just print.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}

use_asan() { [ -n "${WINTOGO_ASAN:-}" ] && WINTOGO=$WINTOGO_ASAN; }

need_fixtures() {
	if [ -z "${FIXTURES:-}" ] || [ ! -e "$FIXTURES/.stamp" ]; then
		FIXTURES=$ROOT/build/fixtures
		if [ ! -e "$FIXTURES/.stamp" ]; then
			"$ROOT/fixtures/mkimage" "$FIXTURES" >&2 && touch "$FIXTURES/.stamp"
		fi
	fi
}

# write_dirs: STAGE (for --tmpdir) and OUTDIR (for the outputs), both empty,
# and mtools quiet about the geometry of the ESPs it reads.
write_dirs() {
	export MTOOLS_SKIP_CHECK=1
	STAGE=$TMP/stage
	OUTDIR=$TMP/out
	mkdir -p "$STAGE" "$OUTDIR"
}

_report() { # _report STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	return "$1"
}

diag() { printf '# %s\n' "$@" | sed '2,$s/^/# /'; }

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		_report 0 "$desc"
	else
		_report 1 "$desc"
		diag "command failed: $*" "$out"
		return 1
	fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		_report 0 "$3"
	else
		_report 1 "$3"
		diag "got:  '$1'" "want: '$2'"
		return 1
	fi
}

# like TEXT REGEX DESCRIPTION (grep -E)
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		_report 0 "$3"
	else
		_report 1 "$3"
		diag "'$1'" "does not match /$2/"
		return 1
	fi
}

skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # skip $*"; }

# run_wintogo ARGS...: runs the binary, sets RC, OUT and ERR.
run_wintogo() {
	"$WINTOGO" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
	RC=$?
	OUT=$(cat "$TMP/stdout")
	ERR=$(cat "$TMP/stderr")
}

# stdout_is_error: OUT is empty, or (--json) only the error object whose
# message is the line on stderr.
stdout_is_error() {
	[ -z "$OUT" ] && return 0
	[ "$(printf '%s\n' "$OUT" | grep -c '')" -eq 1 ] &&
		[ "wintogo: $(jq -r '.error.message' <<<"$OUT" 2>/dev/null)" = "$ERR" ]
}

# refuses DESCRIPTION REGEX ARGS...: exit 1 (or $REFUSE_RC), exactly one
# line on stderr matching REGEX, nothing on stdout (with --json: nothing
# but the one {"error": ...} object, with the same message).
refuses() {
	local desc=$1 regex=$2 want=${REFUSE_RC:-1}
	shift 2
	run_wintogo "$@"
	local lines
	lines=$(printf '%s' "$ERR" | grep -c '')
	if [ "$RC" -eq "$want" ] && [ "$lines" -eq 1 ] && stdout_is_error &&
		printf '%s' "$ERR" | grep -Eq -- "$regex"; then
		_report 0 "$desc"
	else
		_report 1 "$desc"
		diag "rc=$RC, stderr ($lines lines): $ERR" "stdout: $OUT" "want /$regex/"
	fi
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# digest_of FILE: what "unchanged" compares, for disks and disk images of a
# GiB: CRC-32 (cksum), at 4 GB/s where SHA-256 takes 6 s a GiB here; it
# tells any write apart, and nobody here forges one.
digest_of() { cksum <"$1"; }

# skip_all REASON: what is left of the test cannot run on this machine;
# it ends here, with what it did so far.
skip_all() {
	skip "$1"
	done_testing
	exit
}

# need_root_loop: the rest of the test needs root and losetup.
need_root_loop() {
	[ "$(id -u)" -eq 0 ] && command -v losetup >/dev/null || skip_all "needs root for loop devices"
}

# attach_loop FILE: $loop is a new loop device over FILE (the test detaches
# it); without one the rest is skipped.
attach_loop() {
	loop=$(losetup -f --show "$1" 2>/dev/null)
	[ -n "$loop" ] || skip_all "no loop device available"
}

# old_disk: $loop holds an old disk: a GPT (whose backup header stays at
# the end) under an ext4, made through the device (its cache is the one
# wintogo then sees).
old_disk() {
	wipefs -qa "$loop" 2>/dev/null
	sgdisk -o -n1:0:+100M "$loop" >/dev/null 2>&1
	mkfs.ext4 -q -F "$loop"
}

# no_loop_over DEV: no loop device is attached to DEV (write --direct's
# detaches itself when its last user closes it; the kernel may take a
# moment after the process is gone).
no_loop_over() {
	local i
	for i in $(seq 50); do
		[ -z "$(losetup -j "$1")" ] && return 0
		sleep 0.1
	done
	echo "still attached: $(losetup -j "$1")"
	return 1
}

# boot_disk DISK.img ATTACH LOG: boots DISK under OVMF (TCG: KVM cannot run
# OVMF on these machines) with the disk attached as ATTACH (ide, usb,
# nvme), serial console into LOG.  The fixture's boot manager prints its
# marker lines and powers the machine off.
boot_disk() {
	local disk=$1 attach=$2 log=$3 format=${4:-raw} drive
	cp /usr/share/OVMF/OVMF_VARS.fd "$TMP/vars.fd"
	case $attach in
	ide) drive=(-drive "file=$disk,format=$format,if=ide") ;;
	usb) drive=(-device qemu-xhci,id=xhci -drive "if=none,id=stick,file=$disk,format=$format"
		-device usb-storage,bus=xhci.0,drive=stick) ;;
	nvme) drive=(-drive "if=none,id=nv,file=$disk,format=$format" -device nvme,serial=wtg,drive=nv) ;;
	esac
	timeout 180 qemu-system-x86_64 -machine q35,accel=tcg -m 512 -display none -nic none \
		-no-reboot -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
		-drive if=pflash,format=raw,file="$TMP/vars.fd" "${drive[@]}" -serial stdio \
		</dev/null >"$log" 2>&1
}

# no_leftovers DIR...: every DIR is empty (no stage, no .partial).
no_leftovers() {
	local d left=""
	for d in "$@"; do
		left+=$(find "$d" -mindepth 1 2>/dev/null)
	done
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# check_disk DISK WIM INDEX: the checks every Windows To Go disk we make must
# pass, by tools nobody here wrote: the GPT (sfdisk, sgdisk, blkid), the ESP
# (fsck.fat, mtools: the image's boot files byte for byte, the BCD a hive),
# the NTFS partition (ntfsinfo; ntfs-3g mount diffed against wimapply).
check_disk() {
	local disk=$1 wim=$2 index=$3 name=${4:-disk} d=$TMP/check-disk
	rm -rf "$d" && mkdir -p "$d"
	sfdisk --json "$disk" >"$d/sfdisk.json" 2>/dev/null
	is "$(jq -r '[.partitiontable.label, (.partitiontable.partitions[] | .type)] | join(" ")' "$d/sfdisk.json")" \
		"gpt C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" \
		"$name: GPT with ESP, MSR and basic data partition"
	is "$(jq -r '[.partitiontable.partitions[] | .start % 2048, .size % 2048] | unique | join(",")' "$d/sfdisk.json")" \
		0 "$name: partitions aligned to 1 MiB"
	like "$(sgdisk -v "$disk" 2>&1)" 'No problems found' "$name: sgdisk -v finds no problems"
	like "$(blkid -p "$disk")" 'PTTYPE="gpt"' "$name: blkid sees the GPT (sgdisk -v passes blank disks)"
	local esp_off win_off win_len
	esp_off=$(jq '.partitiontable.partitions[0].start * 512' "$d/sfdisk.json")
	win_off=$(jq '.partitiontable.partitions[2].start * 512' "$d/sfdisk.json")
	win_len=$(jq '.partitiontable.partitions[2].size * 512' "$d/sfdisk.json")
	dd if="$disk" of="$d/esp.img" bs=1M skip=$((esp_off / 1048576)) count=$(jq '.partitiontable.partitions[0].size / 2048' "$d/sfdisk.json") status=none
	check "$name: fsck.fat -n finds the ESP clean" fsck.fat -n "$d/esp.img"
	wimextract "$wim" "$index" /Windows/Boot/EFI --dest-dir="$d/boot" --no-acls >/dev/null 2>&1
	local bad="" f
	while IFS= read -r f; do
		MTOOLS_SKIP_CHECK=1 mtype -i "$d/esp.img" "::/EFI/Microsoft/Boot/${f#"$d/boot/EFI/"}" 2>/dev/null |
			cmp -s - "$f" || bad+=" $f"
	done < <(find "$d/boot/EFI" -type f)
	is "$bad" "" "$name: the image's boot files are on the ESP byte for byte"
	like "$(MTOOLS_SKIP_CHECK=1 mtype -i "$d/esp.img" ::/EFI/Microsoft/Boot/BCD 2>/dev/null | head -c 4)" '^regf$' \
		"$name: the ESP has a BCD store"
	dd if="$disk" of="$d/win.img" bs=1M skip=$((win_off / 1048576)) count=$((win_len / 1048576)) status=none
	check_ntfs "$d/win.img" "$wim" "$index" "$name" "$d"
	rm -rf "$d"
}

# check_ntfs PART.img WIM INDEX NAME DIR: the Windows partition PART.img
# (ntfsinfo; ntfs-3g mount diffed against wimapply of the image, in DIR).
check_ntfs() {
	local part=$1 wim=$2 index=$3 name=$4 d=$5
	like "$(ntfsinfo -m "$part" 2>/dev/null)" "Volume Name: Windows" "$name: ntfsinfo reads the Windows partition"
	wimapply "$wim" "$index" "$d/applied" >/dev/null
	mkdir "$d/mnt"
	if ntfs-3g -o ro "$part" "$d/mnt" 2>/dev/null; then
		# SYSTEM is changed on purpose (SanPolicy, USB boot flags): tests/servicing.t checks it
		check "$name: the NTFS partition holds exactly the image's files" \
			diff -r --no-dereference -x SYSTEM "$d/applied" "$d/mnt"
		fusermount -u "$d/mnt"
	else
		skip "ntfs-3g cannot mount here (no FUSE)"
	fi
}
