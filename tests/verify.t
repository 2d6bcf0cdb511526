#!/bin/bash
# SHA-256 verification: the source before anything is written, every byte
# written read back, the manifest, and `wintogo verify` later.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
write_dirs
wim=$FIXTURES/x64.wim
wim_sha=$(sha256sum "$wim" | cut -d' ' -f1)

# --- the source, before anything is written ---
run_wintogo info --sha256 "$wim"
like "$OUT" "^sha256: $wim_sha\$" "info --sha256 prints what sha256sum says"
run_wintogo info --sha256 --json "$wim"
is "$(jq -r .sha256 <<<"$OUT")" "$wim_sha" "info --sha256 --json has it as .sha256"

wrong=$(printf '%064d' 0)
refuses "a wrong --sha256 is refused, with both hashes" "has SHA-256 $wim_sha, not $wrong as expected" \
	write --quiet --sha256 "$wrong" --tmpdir "$STAGE" "$wim" "$OUTDIR/wrong.img"
check "a wrong --sha256 leaves no output and nothing staged" no_leftovers "$STAGE" "$OUTDIR"
run_wintogo write --sha256 nothex "$wim" "$OUTDIR/wrong.img"
is "$RC" 2 "a --sha256 that is not 64 hex digits is a usage error"

(cd "$(dirname "$wim")" && sha256sum x64.wim multi.wim) >"$TMP/SHA256SUMS"
grep -v x64.wim "$TMP/SHA256SUMS" >"$TMP/OTHERSUMS"
refuses "a SHA256SUMS file without an entry for the image is a clear error" \
	"has no SHA-256 entry for 'x64.wim'" \
	write --quiet --sha256-file "$TMP/OTHERSUMS" --tmpdir "$STAGE" "$wim" "$OUTDIR/sums.img"
check "and leaves nothing behind" no_leftovers "$STAGE" "$OUTDIR"

# --- hashed while written, read back, the manifest ---
disk=$OUTDIR/disk.img
run_wintogo write --seed 5 --json --sha256-file "$TMP/SHA256SUMS" --tmpdir "$STAGE" "$wim" "$disk"
is "$RC" 0 "a SHA256SUMS file with the right entry passes"
[ "$RC" -eq 0 ] || diag "$ERR"
printf '%s\n' "$OUT" >"$TMP/write.jsonl"
plan=$(head -1 "$TMP/write.jsonl")
result=$(tail -1 "$TMP/write.jsonl")
is "$(jq -r .plan.image.expected_sha256 <<<"$plan")" "$wim_sha" "the plan says which hash the image must have"
check "the image was hashed first, with progress" grep -q '"progress":"hash"' "$TMP/write.jsonl"
is "$(jq -r '"\(.plan.verify) \(.plan.manifest)"' <<<"$plan")" "true $disk.manifest.json" \
	"the plan says the disk is read back and where the manifest goes"
check "the write read the disk back, with progress" grep -q '"progress":"verify"' "$TMP/write.jsonl"
is "$(jq -r '"\(.result.verified) \(.result.manifest)"' <<<"$result")" "true $disk.manifest.json" \
	"the result says it was verified, and where the manifest is"
manifest=$disk.manifest.json
check "the manifest next to the image is JSON" jq -e . "$manifest"
check "nothing is left in the stage, no .partial beside the outputs" \
	test -z "$(find "$STAGE" "$OUTDIR" -mindepth 1 -name '*.partial' -o -mindepth 1 -path "$STAGE/*")"
is "$(jq -r '[.wintogo_manifest, .tool, .image.name, .image.index, .image.sha256] | join("|")' "$manifest")" \
	"1|wintogo $(cat "$ROOT/VERSION")|Windows 10 Pro|1|$wim_sha" "the manifest names the format, the tool and the image with its hash"
like "$(jq -r .date "$manifest")" '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:]{8}Z$' "and the date, in UTC"
is "$(jq -r '.extents | length' "$manifest")" "$(jq -r .result.blocks <<<"$result")" \
	"it lists every hashed block"
is "$(jq -r '[.extents[] | .length <= .block_bytes // 4194304] | all' "$manifest")" true \
	"no block is over 4 MiB"
is "$(jq -r '[.extents[].partition] | unique | join(" ")' "$manifest")" "esp gpt windows" \
	"blocks of the GPT, the ESP and the Windows partition"
esp_off=$(jq -r '.plan.partitions[0].offset' <<<"$plan")
esp_end=$((esp_off + $(jq -r '.plan.partitions[0].size' <<<"$plan")))
is "$(jq -r --argjson a "$esp_off" --argjson b "$esp_end" \
	'(.excluded | length > 0) and ([.excluded[] | .offset >= $a and .offset + .length <= $b] | all)' "$manifest")" \
	true "the manifest's excluded room lies inside the ESP"
is "$(jq -r '. as $m | [.extents[] | . as $e | $m.excluded[] |
	($e.offset < .offset + .length and .offset < $e.offset + $e.length)] | any' "$manifest")" false \
	"no hashed block overlaps it"
check "the manifest in the ESP (\\wintogo\\manifest.json) is the one next to the image" \
	bash -c "mtype -i '$disk@@$esp_off' ::/wintogo/manifest.json | cmp -s - '$manifest'"
check "the excluded room holds exactly the manifest" \
	bash -c "jq -r '.excluded[] | \"\\(.offset) \\(.length)\"' '$manifest' | while read -r o l; do
		tail -c +\$((o + 1)) '$disk' | head -c \$l; done | cmp -s - '$manifest'"
bad=""
while read -r off len sha; do
	got=$(tail -c +$((off + 1)) "$disk" | head -c "$len" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sha" ] || bad+=" $off"
done < <(jq -r '.extents[] | "\(.offset) \(.length) \(.sha256)"' "$manifest")
is "$bad" "" "sha256sum agrees with the manifest on every block of the disk"
check "fsck.fat still finds the ESP clean" \
	bash -c "tail -c +$((esp_off + 1)) '$disk' | head -c $((esp_end - esp_off)) >'$TMP/esp.img' && fsck.fat -n '$TMP/esp.img'"

# --- wintogo verify ---
run_wintogo verify "$disk"
is "$RC" 0 "verify passes the disk as written"
like "$OUT" "^OK: .*disk.img holds every byte as it was written" "and says so"
run_wintogo verify --json --manifest "$manifest" "$disk"
is "$(jq -r '"\(.result) \(.blocks) \(.mismatches | length) \(.image.sha256)"' <<<"$OUT")" \
	"ok $(jq -r '.extents | length' "$manifest") 0 $wim_sha" "verify --json --manifest with the file next to the image"

# One byte inside the NTFS data (the middle of the largest windows block)
# and one inside the ESP (the first byte of \EFI\Boot\bootx64.efi).
ntfs_byte=$(jq -r '[.extents[] | select(.partition == "windows")] | max_by(.length) |
	.offset + (.length / 2 | floor)' "$manifest")
geometry=$(minfo -i "$disk@@$esp_off" ::)
sector=$(sed -n 's/^sector size: \([0-9]*\) bytes/\1/p' <<<"$geometry")
reserved=$(sed -n 's/^reserved (boot) sectors: \([0-9]*\)/\1/p' <<<"$geometry")
fats=$(sed -n 's/^fats: \([0-9]*\)/\1/p' <<<"$geometry")
fatlen=$(sed -n 's/^Big fatlen=\([0-9]*\)/\1/p' <<<"$geometry")
cluster=$(mshowfat -i "$disk@@$esp_off" ::/EFI/Boot/bootx64.efi | sed -nE 's/.*<([0-9]+)[->].*/\1/p')
esp_byte=$((esp_off + (reserved + fats * fatlen) * sector + (cluster - 2) * sector))
check "the ESP byte chosen is bootx64.efi's first (MZ)" \
	test "$(tail -c +$((esp_byte + 1)) "$disk" | head -c 2)" = MZ
flip() { # flip FILE OFFSET: inverts one byte
	local b
	b=$(od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# names BYTE PARTITION: a mismatch line of verify names a range holding BYTE, in PARTITION
names() {
	printf '%s\n' "$ERR" | sed -nE "s/.*in bytes ([0-9]+) to ([0-9]+) \(($2) partition.*/\1 \2/p" |
		awk -v x="$1" '$1 <= x && x <= $2 { found = 1 } END { exit !found }'
}
cp --sparse=always "$disk" "$TMP/ntfs.img"
flip "$TMP/ntfs.img" "$ntfs_byte"
run_wintogo verify "$TMP/ntfs.img"
is "$RC" 5 "verify fails (exit 5: readback-mismatch) a disk with one byte changed in the NTFS data"
check "and names where: byte $ntfs_byte, in the windows partition" names "$ntfs_byte" windows
cp --sparse=always "$disk" "$TMP/esp-bad.img"
flip "$TMP/esp-bad.img" "$esp_byte"
run_wintogo verify "$TMP/esp-bad.img"
is "$RC" 5 "verify fails (exit 5: readback-mismatch) a disk with one byte changed in the ESP"
check "and names where: byte $esp_byte, in the esp partition" names "$esp_byte" esp
flip "$TMP/esp-bad.img" "$ntfs_byte"
run_wintogo verify --json "$TMP/esp-bad.img"
is "$RC" 5 "verify fails (exit 5: readback-mismatch) a disk with both changed"
is "$(jq -r --argjson e "$esp_byte" --argjson n "$ntfs_byte" '[.result, (.mismatches[] |
	select((.offset <= $e and $e < .offset + .length) or (.offset <= $n and $n < .offset + .length)) |
	.partition)] | join(" ")' <<<"$OUT")" "mismatch esp windows" \
	"and --json lists both, each with its partition"
is "$(printf '%s\n' "$ERR" | grep -c 'differs from what was written')" 2 "one line on stderr for each"
flip "$TMP/esp-bad.img" "$esp_byte"
flip "$TMP/esp-bad.img" "$ntfs_byte"
run_wintogo verify "$TMP/esp-bad.img"
is "$RC" 0 "with both bytes back, it passes again"
rm -f "$TMP/ntfs.img" "$TMP/esp-bad.img"

# --- a failing disk: the read-back catches it in write itself ---
# (the Windows partition staged and copied, not built in the image file:
# the test hook corrupts what goes from the stage to the target)
corrupt_at=$ntfs_byte
export WINTOGO_TEST_NO_BUILD_IN_PLACE=1
REFUSE_RC=5 WINTOGO_TEST_CORRUPT_OFFSET=$corrupt_at refuses \
	"a byte corrupted on its way to the target fails the write, naming it" \
	"'.*bad.img' does not keep what was written: byte $corrupt_at \(windows partition, its byte [0-9]+\) reads back" \
	write --quiet --tmpdir "$STAGE" "$wim" "$OUTDIR/bad.img"
check "the failed write leaves no image, manifest or stage behind" no_leftovers "$STAGE" "$TMP/none" &&
	check "no bad.img at all" test -z "$(find "$OUTDIR" -name 'bad.img*')"
REFUSE_RC=5 WINTOGO_TEST_CORRUPT_OFFSET=$esp_byte refuses "the same in the ESP" \
	"byte $esp_byte \(esp partition, its byte [0-9]+\) reads back 0xb2, 0x4d was written" \
	write --quiet --tmpdir "$STAGE" "$wim" "$OUTDIR/bad.img"
WINTOGO_TEST_CORRUPT_OFFSET=$corrupt_at run_wintogo write --quiet --no-verify --sha256 "$wim_sha" \
	--tmpdir "$STAGE" "$wim" "$OUTDIR/unverified.img"
is "$RC" 0 "with --no-verify (and the right --sha256) the same write succeeds: the read-back is what caught it"
run_wintogo verify "$OUTDIR/unverified.img"
is "$RC" 5 "and wintogo verify catches it later, from the hashes taken before the corruption"
check "naming the byte" names "$corrupt_at" windows
rm -f "$OUTDIR"/unverified.img*
unset WINTOGO_TEST_NO_BUILD_IN_PLACE

# --- how it reads: in order, past the cache ---
# strace shows the read-back's own open (O_DIRECT: the file system here has
# it) and its reads: every block once, each after the one before, as one
# sequential reader sends them while other threads hash.
# (LeakSanitizer cannot run under ptrace)
ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -f -qq -s 0 -e trace=openat,pread64 \
	-o "$TMP/verify.strace" "$WINTOGO" verify --quiet "$disk"
is "$?" 0 "verify under strace passes"
readback_reads() { # the offset and length of each pread64 on the O_DIRECT fd of $1
	# (strace pads PIDs to five columns: \s+)
	perl -ne '
		BEGIN { $path = shift @ARGV }
		if (!defined $fd && /^\d+\s+openat\(AT_FDCWD, "\Q$path\E", [^)]*O_DIRECT[^)]*\) = (\d+)/) { $fd = $1; next }
		next unless defined $fd;
		if (/^(\d+)\s+pread64\((\d+),\s+<unfinished/) { $pending{$1} = $2; next }
		if (/^(\d+)\s+<\.\.\. pread64 resumed>""\.\.\., (\d+), (\d+)\)/) {
			print "$3 $2\n" if delete $pending{$1} == $fd; next }
		print "$3 $2\n" if /^\d+\s+pread64\((\d+), ""\.\.\., (\d+), (\d+)\)/ && $1 == $fd;
	' "$1" "$TMP/verify.strace"
}
readback_reads "$disk" >"$TMP/reads"
blocks=$(jq '.extents | length' "$manifest")
is "$(wc -l <"$TMP/reads")" "$blocks" "the read-back opens the image with O_DIRECT and reads each of its $blocks blocks once"
check "in increasing order, each read after the one before" \
	awk '$1 < end { exit 1 } { end = $1 + $2 }' "$TMP/reads"

# --- what verify refuses ---
run_wintogo verify
is "$RC" 2 "verify without TARGET is a usage error"
refuses "verify of a file that is no disk says so" "has no GPT with an EFI system partition" \
	verify "$wim"
head -c $((esp_end + 1048576)) "$disk" >"$TMP/short.img"
refuses "verify of a disk cut short says it is too small" "is 2[0-9]{2}\.[0-9] MiB, the disk written was" \
	verify --manifest "$manifest" "$TMP/short.img"
printf '{"wintogo_manifest": 1, "extents": [' >"$TMP/broken.json"
refuses "a damaged manifest is refused" "broken.json' is not JSON" \
	verify --manifest "$TMP/broken.json" "$disk"

done_testing
