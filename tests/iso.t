#!/bin/bash
# Windows ISOs as input, read without mounting: a UDF-only install image
# (hidden from ISO 9660 as in Microsoft's ISOs) and a plain ISO 9660/Joliet
# one, made here with genisoimage from the fixture WIMs.  wintogo must see
# in them what it sees in the WIMs themselves.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
export MTOOLS_SKIP_CHECK=1
STAGE=$TMP/stage
OUTDIR=$TMP/out
mkdir -p "$STAGE" "$OUTDIR"
BIG_SIZE=4300000000   # over 4 GiB: a 32-bit size would say 5032704

# iso_tree DIR: the layout of a Windows ISO around DIR/sources, where the
# caller puts the install image.
iso_tree() {
	mkdir -p "$1/sources" "$1/efi/boot"
	echo "This disc contains a UDF file system and requires an operating system" >"$1/README.TXT"
	printf 'bootmgr' >"$1/bootmgr"
	cp "$FIXTURES/marker-x64.efi" "$1/efi/boot/bootx64.efi"
}

# udf_iso DIR ISO [HIDDEN...]: UDF + ISO 9660 bridge, the install image in
# UDF only (-hide hides files from ISO 9660, not folders), like Microsoft's.
udf_iso() {
	local dir=$1 iso=$2 hide=()
	shift 2
	for f in "${@:-install.wim}" bootmgr bootx64.efi; do hide+=(-hide "$f"); done
	genisoimage -quiet -udf -iso-level 3 -allow-limited-size -V WTG_TEST "${hide[@]}" \
		-hide-rr-moved -o "$iso" "$dir"
}

# --- >4 GiB: genisoimage writes the sparse file's zeros out (about 30 s),
# so that ISO is made in the background while the rest runs ---
big_ok=false
if [ "$(df --output=avail -B1 "$TMP" | tail -1)" -gt $((BIG_SIZE + 2 * 1024 * 1024 * 1024)) ]; then
	mkdir -p "$TMP/big/sources"
	# x64.wim grown to BIG_SIZE with its blob table and XML moved past 4 GiB
	# (and its integrity table, which would no longer match, dropped): the
	# offsets that list the images are beyond any 32-bit reach
	python3 - "$FIXTURES/x64.wim" "$TMP/big/sources/install.wim" "$BIG_SIZE" <<'EOF'
import sys
src, dst, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
def reshdr(at):
    return int.from_bytes(data[at:at + 7], 'little'), int.from_bytes(data[at + 8:at + 16], 'little')
(tsize, toff), (xsize, xoff) = reshdr(48), reshdr(72)
new_toff = size - 4096 - tsize - xsize
assert new_toff > 1 << 32
hdr = bytearray(data[:208])
hdr[56:64] = new_toff.to_bytes(8, 'little')
hdr[80:88] = (new_toff + tsize).to_bytes(8, 'little')
hdr[124:148] = bytes(24)
with open(dst, 'wb') as f:
    f.write(hdr)
    f.write(data[208:toff])
    f.seek(new_toff)
    f.write(data[toff:toff + tsize] + data[xoff:xoff + xsize])
    f.truncate(size)
EOF
	genisoimage -quiet -udf -iso-level 3 -allow-limited-size -hide install.wim \
		-o "$TMP/big.iso" "$TMP/big" 2>"$TMP/big.err" &
	big_pid=$!
	big_ok=true
fi

# --- the two ISOs and what other tools see in them ---
iso_tree "$TMP/tree"
cp "$FIXTURES/x64.wim" "$TMP/tree/sources/install.wim"
udf_iso "$TMP/tree" "$TMP/udf.iso"
genisoimage -quiet -J -r -iso-level 3 -V WTG_PLAIN -o "$TMP/plain.iso" "$TMP/tree"
isoinfo_udf=$(isoinfo -l -i "$TMP/udf.iso")
like "$isoinfo_udf" "README.TXT" "isoinfo -l reads the UDF ISO's ISO 9660 tree"
check "isoinfo -l sees no install.wim in it (UDF only, as in Microsoft's ISOs)" \
	bash -c '! grep -qi "install.wim" <<<"$1"' _ "$isoinfo_udf"
bsdtar_udf=$(bsdtar -tf "$TMP/udf.iso")
like "$bsdtar_udf" "README.TXT" "bsdtar -tf lists the UDF ISO"
check "bsdtar cannot see its install.wim (libarchive has no UDF)" \
	bash -c '! grep -qi "install.wim" <<<"$1"' _ "$bsdtar_udf"
like "$(isoinfo -J -l -i "$TMP/plain.iso")" "install.wim" "the plain ISO shows install.wim in its Joliet tree"

run_wintogo info --json "$FIXTURES/x64.wim"
want_images=$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")
for iso in udf plain; do
	run_wintogo info --json --tmpdir "$STAGE" "$TMP/$iso.iso"
	is "$RC" 0 "info --json $iso.iso exits 0"
	[ "$RC" -eq 0 ] || diag "$ERR"
	is "$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")" "$want_images" "info on $iso.iso lists the images info lists for the WIM in it"
	is "$(jq -r '"\(.iso.image_path) \(.iso.image_size) \(.format)"' <<<"$OUT")" \
		"sources/install.wim $(stat -c %s "$FIXTURES/x64.wim") wim" \
		"$iso.iso: its install image's path and size"
done
run_wintogo info --json --tmpdir "$STAGE" "$TMP/udf.iso"
is "$(jq -r .iso.filesystem <<<"$OUT")" udf "the UDF ISO's image is read from UDF"
run_wintogo info --json --tmpdir "$STAGE" "$TMP/plain.iso"
is "$(jq -r .iso.filesystem <<<"$OUT")" iso9660 "the plain ISO's from ISO 9660"
run_wintogo info --tmpdir "$STAGE" "$TMP/udf.iso"
like "$OUT" "^[^ ]*udf.iso:sources/install.wim: WIM, LZX compression, 1 image" \
	"the table names the image inside the ISO"
cp "$TMP/udf.iso" "$TMP/named.bin"
run_wintogo info --json --tmpdir "$STAGE" "$TMP/named.bin"
is "$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")" "$want_images" "an ISO is known by content, not by name (.bin)"
is "$(jq -c '.images[0].boot_managers' <<<"$OUT")" null \
	"  its boot managers are not read: that takes the install image copied out (info --check)"

if command -v strace >/dev/null; then
	strace -f -e trace=copy_file_range -o "$TMP/strace" \
		"$WINTOGO" info --tmpdir "$STAGE" "$TMP/udf.iso" >/dev/null 2>&1
	copied=$(sed -nE 's/.*copy_file_range\(.* = ([0-9]+)$/\1/p' "$TMP/strace" | awk '{ s += $1 } END { print s + 0 }')
	check "info copies $copied bytes of the $(stat -c %s "$FIXTURES/x64.wim")-byte WIM out of the ISO (header, XML, blob table)" \
		test "$copied" -gt 0 -a "$copied" -lt 65536
else
	skip "strace is not installed"
fi

# --- ESD and split SWM sets inside ISOs ---
iso_tree "$TMP/esd"
cp "$FIXTURES/x64.esd" "$TMP/esd/sources/install.esd"
udf_iso "$TMP/esd" "$TMP/esd.iso" install.esd
run_wintogo info --json "$FIXTURES/x64.esd"
want_esd=$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")
run_wintogo info --json --tmpdir "$STAGE" "$TMP/esd.iso"
is "$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")" "$want_esd" "an install.esd in UDF lists as the ESD does (solid resources)"
iso_tree "$TMP/swm"
parts=()
for f in "$FIXTURES"/split*.swm; do
	parts+=("install${f##*/split}")
	cp "$f" "$TMP/swm/sources/${parts[-1]}"
done
udf_iso "$TMP/swm" "$TMP/swm.iso" "${parts[@]}"
run_wintogo info --json --check --tmpdir "$STAGE" "$TMP/swm.iso"
is "$RC" 0 "info --check on an install*.swm set in UDF"
is "$(jq -r '"\(.format) \(.parts) \(.iso.files) \(.check.result)"' <<<"$OUT")" \
	"swm ${#parts[@]} ${#parts[@]} ok" "all ${#parts[@]} parts are copied out and checked"
run_wintogo info --json --wim-path '/SOURCES\INSTALL.WIM' --tmpdir "$STAGE" "$TMP/udf.iso"
is "$(jq -r .iso.image_path <<<"$OUT")" "sources/install.wim" "--wim-path is found case-blind, with / or \\"

# --- write from the UDF ISO: the same NTFS content as from the WIM ---
run_wintogo write --seed 7 --json --tmpdir "$STAGE" "$TMP/udf.iso" "$OUTDIR/iso.img"
is "$RC" 0 "write from the UDF ISO exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
check "the plan is its first line that is not copy progress" \
	jq -e .plan <<<"$(grep -v '"progress":"copy"' <<<"$OUT" | head -1)"
check "the install image is copied out with progress" grep -q '"progress":"copy"' <<<"$OUT"
run_wintogo write --seed 7 --quiet --tmpdir "$STAGE" "$FIXTURES/x64.wim" "$OUTDIR/wim.img"
is "$RC" 0 "write from the WIM exits 0"
is "$(sfdisk --json "$OUTDIR/iso.img" | jq -c "[.partitiontable.partitions[] | del(.node)]")" \
	"$(sfdisk --json "$OUTDIR/wim.img" | jq -c "[.partitiontable.partitions[] | del(.node)]")" \
	"the same seed gives the same partitions from the ISO and from the WIM"
check "nothing is left in the stage" no_leftovers "$STAGE"
win_off=$(sfdisk --json "$OUTDIR/iso.img" | jq '.partitiontable.partitions[2].start * 512')
esp_off=$(sfdisk --json "$OUTDIR/iso.img" | jq '.partitiontable.partitions[0].start * 512')
check "the ESP holds the image's boot manager" \
	bash -c "mtype -i '$OUTDIR/iso.img@@$esp_off' ::/EFI/Boot/bootx64.efi | cmp -s - '$FIXTURES/tree-x64/Windows/Boot/EFI/bootmgfw.efi'"
for img in iso wim; do
	dd if="$OUTDIR/$img.img" of="$OUTDIR/$img-ntfs.img" bs=1M skip=$((win_off / 1048576)) status=none
	mkdir -p "$TMP/mnt-$img"
done
if ntfs-3g -o ro "$OUTDIR/iso-ntfs.img" "$TMP/mnt-iso" 2>/dev/null; then
	ntfs-3g -o ro "$OUTDIR/wim-ntfs.img" "$TMP/mnt-wim"
	check "the NTFS partition written from the ISO equals the one from the WIM (diff -r)" \
		diff -r --no-dereference "$TMP/mnt-wim" "$TMP/mnt-iso"
	check "and holds the image's files" test -f "$TMP/mnt-iso/Windows/System32/config/SYSTEM"
	fusermount -u "$TMP/mnt-iso"
	fusermount -u "$TMP/mnt-wim"
else
	skip "ntfs-3g cannot mount here (no FUSE)"
	skip "ntfs-3g cannot mount here (no FUSE)"
fi
rm -f "$OUTDIR"/*.img "$OUTDIR"/*.img.manifest.json
run_wintogo write --quiet --tmpdir "$STAGE" "$TMP/plain.iso" "$OUTDIR/plain.img"
is "$RC" 0 "write from the plain ISO 9660 ISO exits 0"
like "$(blkid -p -O "$win_off" "$OUTDIR/plain.img")" 'TYPE="ntfs"' "and its Windows partition is NTFS"
rm -f "$OUTDIR/plain.img" "$OUTDIR/plain.img.manifest.json"

# --- refusals: one line, exit 1, nothing left behind ---
mkdir -p "$TMP/empty"
echo "no Windows here" >"$TMP/empty/README.TXT"
udf_iso "$TMP/empty" "$TMP/empty.iso"
refuses "an ISO without an install image is refused" \
	"'.*empty.iso' has no sources/install.wim, install.esd or install.swm .*--wim-path" \
	info --tmpdir "$STAGE" "$TMP/empty.iso"
refuses "as by write" "empty.iso' has no sources/install.wim" \
	write --tmpdir "$STAGE" "$TMP/empty.iso" "$OUTDIR/x.img"
refuses "a --wim-path that is not in the ISO is refused" "has no file 'sources/nope.wim'.*--wim-path" \
	info --wim-path sources/nope.wim --tmpdir "$STAGE" "$TMP/udf.iso"
refuses "--wim-path with a WIM file is refused" "is not an ISO, so --wim-path" \
	info --wim-path sources/install.wim "$FIXTURES/x64.wim"
head -c $(($(stat -c %s "$TMP/udf.iso") / 2)) "$TMP/udf.iso" >"$TMP/cut.iso"
refuses "a truncated ISO is refused" "'.*cut.iso' is truncated: its volume is .* but the file has only" \
	info --tmpdir "$STAGE" "$TMP/cut.iso"
# the same, with its volume size made to match what is left: the install
# image itself runs past the end
blocks=$(($(stat -c %s "$TMP/cut.iso") / 2048))
perl -e 'print pack("VN", $ARGV[0], $ARGV[0])' "$blocks" |
	dd of="$TMP/cut.iso" bs=1 seek=$((32768 + 80)) conv=notrunc status=none
refuses "a truncated ISO whose volume size was cut too is refused" \
	"cut.iso' is truncated: 'sources/install.wim' ends at byte [0-9]+ but the file has only" \
	write --tmpdir "$STAGE" "$TMP/cut.iso" "$OUTDIR/x.img"
head -c 100000 /dev/urandom >"$TMP/random.iso"
refuses "a file that is no ISO (nor WIM) is refused" "random.iso' is not a WIM, ESD, SWM or ISO file" \
	info --tmpdir "$STAGE" "$TMP/random.iso"
mkdir -p "$TMP/notwim/sources"
head -c 100000 /dev/urandom >"$TMP/notwim/sources/install.wim"
udf_iso "$TMP/notwim" "$TMP/notwim.iso"
refuses "an ISO whose install.wim is no WIM is refused" \
	"notwim.iso:sources/install.wim' is not a WIM, ESD or SWM file" \
	info --tmpdir "$STAGE" "$TMP/notwim.iso"
iso_tree "$TMP/corrupt"
cp "$FIXTURES/x64.wim" "$TMP/corrupt/sources/install.wim"
# damage compressed file data in the middle (header and XML stay intact)
printf '\xde\xad\xbe\xef%.0s' $(seq 256) |
	dd of="$TMP/corrupt/sources/install.wim" bs=1 conv=notrunc status=none \
		seek=$(($(stat -c %s "$FIXTURES/x64.wim") / 2))
udf_iso "$TMP/corrupt" "$TMP/corrupt.iso"
refuses "an ISO whose WIM is corrupt fails info --check" \
	"corrupt.iso:sources/install.wim' failed its check" \
	info --check --json --tmpdir "$STAGE" "$TMP/corrupt.iso"
refuses "and write, while applying" "corrupt.iso:sources/install.wim'.*truncated or damaged" \
	write --quiet --tmpdir "$STAGE" "$TMP/corrupt.iso" "$OUTDIR/corrupt.img"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=1M tmpfs "$TMP/small" 2>/dev/null; then
	refuses "a stage without room for the install image is refused before copying" \
		"not enough space to stage in '.*small': .* needed, .* free; give another directory with --tmpdir" \
		info --check --json --tmpdir "$TMP/small" "$TMP/udf.iso"
	check "and nothing is left in it" no_leftovers "$TMP/small"
	umount "$TMP/small"
else
	skip "not root, or no tmpfs: cannot make a small stage"
	skip "not root, or no tmpfs: cannot make a small stage"
fi
if [ "$(id -u)" -eq 0 ] && loop=$(losetup -f --show -r "$TMP/udf.iso" 2>/dev/null); then
	refuses "an ISO on a block device is refused (libcdio would take it for a CD drive)" \
		"'$loop' is not a regular file; copy the disc into an ISO file first" \
		info --tmpdir "$STAGE" "$loop"
	losetup -d "$loop"
else
	skip "not root, or no loop device: cannot put the ISO on a block device"
fi
check "no refusal left a file or staging directory" no_leftovers "$STAGE" "$OUTDIR"

# --- >4 GiB ---
if $big_ok; then
	wait "$big_pid"
	is "$?" 0 "genisoimage makes a UDF ISO with a $BIG_SIZE-byte install.wim"
	[ -s "$TMP/big.err" ] && diag "$(cat "$TMP/big.err")"
	run_wintogo info --json "$TMP/big/sources/install.wim"
	want_big=$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")
	run_wintogo info --json --tmpdir "$STAGE" "$TMP/big.iso"
	is "$RC" 0 "info on the ISO with the >4 GiB install.wim"
	[ "$RC" -eq 0 ] || diag "$ERR"
	is "$(jq -r .iso.image_size <<<"$OUT")" "$BIG_SIZE" "its size is reported in full, not cut to 32 bits"
	is "$(jq -c '[.images[] | del(.boot_managers)]' <<<"$OUT")" "$want_big" "its images, read past 4 GiB, are those wimlib reads from the file"
	check "nothing is left in the stage" no_leftovers "$STAGE"
	rm -rf "$TMP/big.iso" "$TMP/big"
else
	skip "less than $((BIG_SIZE / 1000000000 + 2)) GB free in $TMP for the >4 GiB ISO"
fi
done_testing
