#!/bin/bash
# SHA-256 verification: the source before anything is written, every byte
# written read back, the manifest, and `wintogo verify` later.
. "$(dirname "$0")/lib.sh"
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
run_wintogo write --json --sha256-file "$TMP/SHA256SUMS" --tmpdir "$STAGE" "$wim" "$OUTDIR/sums.img"
is "$RC" 0 "a SHA256SUMS file with the right entry passes"
[ "$RC" -eq 0 ] || diag "$ERR"
printf '%s\n' "$OUT" >"$TMP/sums.jsonl"
is "$(head -1 "$TMP/sums.jsonl" | jq -r .plan.image.expected_sha256)" "$wim_sha" \
	"the plan says which hash the image must have"
check "the image was hashed, with progress" grep -q '"progress":"hash"' "$TMP/sums.jsonl"
rm -f "$OUTDIR/sums.img"
grep -v x64.wim "$TMP/SHA256SUMS" >"$TMP/OTHERSUMS"
refuses "a SHA256SUMS file without an entry for the image is a clear error" \
	"has no SHA-256 entry for 'x64.wim'" \
	write --quiet --sha256-file "$TMP/OTHERSUMS" --tmpdir "$STAGE" "$wim" "$OUTDIR/sums.img"
check "and leaves nothing behind" no_leftovers "$STAGE" "$OUTDIR"

done_testing
