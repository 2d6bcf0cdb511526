#!/bin/bash
# wintogo info: each fixture variant says what wiminfo says; bad files are
# one-line errors.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures

# wiminfo's image blocks as "index|field|value" lines, in our names.
wiminfo_facts() {
	wiminfo "$1" | awk -F': *' '
		/^Index:/ { idx = $2 }
		idx == "" { next }
		{ v = $2; sub(/ +$/, "", v); $0 = $1 ":" v }
		/^Name:/ { print idx "|name|" $2 }
		/^Description:/ { print idx "|description|" $2 }
		/^Display Name:/ { print idx "|display_name|" $2 }
		/^Edition ID:/ { print idx "|edition|" $2 }
		/^Flags:/ { print idx "|flags|" $2 }
		/^Architecture:/ { a = $2; if (a == "x86_64") a = "x64"; if (a == "ARM64") a = "arm64"; print idx "|architecture|" a }
		/^Build:/ { print idx "|build|" $2 }
		/^Service Pack Build:/ { print idx "|sp_build|" $2 }
		/^File Count:/ { print idx "|file_count|" $2 }
		/^Directory Count:/ { print idx "|dir_count|" $2 }
		/^Total Bytes:/ { print idx "|expanded_size|" $2 }
		/^Languages:/ { gsub(/ +/, ",", $2); print idx "|languages|" $2 }
		/^Default Language:/ { print idx "|default_language|" $2 }
	' | sort
}

# The same facts from our JSON.
our_facts() {
	jq -r '.images[] | (.index|tostring) as $i |
		(["name","description","display_name","edition","flags","architecture",
		  "build","sp_build","file_count","dir_count","expanded_size","default_language"][]
		  as $k | "\($i)|\($k)|\(.[$k])"),
		"\($i)|languages|\(.languages | join(","))"' "$1" | sort
}

for variant in x64.wim multi.wim x64.esd split.swm arm64.wim nobcd.wim; do
	f=$FIXTURES/$variant
	run_wintogo info --json "$f"
	is "$RC" 0 "info --json $variant exits 0"
	printf '%s\n' "$OUT" >"$TMP/info.json"
	check "info --json $variant is valid JSON" jq -e . "$TMP/info.json"
	want=$(wiminfo_facts "$f")
	got=$(our_facts "$TMP/info.json")
	check "wiminfo $variant has image facts to compare" test -n "$want"
	is "$got" "$want" "info $variant says what wiminfo says"
	run_wintogo info "$f"
	is "$RC" 0 "info $variant (table) exits 0"
	like "$OUT" "^ +1  (x64|arm64) " "the table shows image 1 and its architecture"
done

run_wintogo info --json "$FIXTURES/multi.wim"
is "$(printf '%s' "$OUT" | jq -r '[.images[].edition] | join(",")')" "Core,Professional,Education" \
	"multi.wim shows three editions in index order"
run_wintogo info --json --index 2 "$FIXTURES/multi.wim"
is "$(printf '%s' "$OUT" | jq -r '[.images[].index] | join(",")')" "2" "--index 2 shows image 2 only"
run_wintogo info --json "$FIXTURES/x64.esd"
is "$(printf '%s' "$OUT" | jq -r '.format + " " + .compression')" "esd LZMS" "the ESD is solid LZMS"
run_wintogo info --json "$FIXTURES/split.swm"
like "$(printf '%s' "$OUT" | jq -r '"\(.format) \(.parts)"')" '^swm [2-9]' "the SWM set has several parts"

# --check
run_wintogo info --check --json "$FIXTURES/x64.wim"
is "$(printf '%s' "$OUT" | jq -r '.check.result + "/" + .check.method')" "ok/integrity table" \
	"--check passes the integrity table of x64.wim"
run_wintogo info --check --json "$FIXTURES/split.swm"
is "$RC" 0 "--check verifies a split set"
cp "$FIXTURES/x64.wim" "$TMP/badtable.wim"
# The integrity table's location is in the header (offset 0x7c); damage a hash in it.
table=$(od -An -t u8 -j $((0x7c + 8)) -N 8 "$TMP/badtable.wim" | tr -d ' ')
printf '\xff\xff\xff\xff' | dd of="$TMP/badtable.wim" bs=1 seek=$((table + 16)) conv=notrunc status=none
refuses "--check on a corrupted integrity table fails" "failed its check against its integrity table" \
	info --check "$TMP/badtable.wim"
run_wintogo info "$TMP/badtable.wim"
is "$RC" 0 "without --check the same file is still listed"

cp "$FIXTURES/x64.wim" "$TMP/baddata.wim"
printf '\xde\xad\xbe\xef%.0s' $(seq 64) | dd of="$TMP/baddata.wim" bs=1 seek=4096 conv=notrunc status=none
refuses "--check on damaged data fails" "failed its check" info --check "$TMP/baddata.wim"

# bad input: one line, exit 1
head -c $(($(stat -c %s "$FIXTURES/x64.wim") / 2)) "$FIXTURES/x64.wim" >"$TMP/truncated.wim"
refuses "a truncated WIM is a one-line error" "truncated.wim.*truncated or damaged" info "$TMP/truncated.wim"
head -c 100000 /dev/urandom >"$TMP/random.wim"
refuses "a random file is a one-line error" "random.wim.* is not a WIM" info "$TMP/random.wim"
refuses "a missing file is a one-line error" "cannot open '.*missing.wim': No such file" info "$TMP/missing.wim"
: >"$TMP/empty.wim"
refuses "an empty file is a one-line error" "empty.wim" info "$TMP/empty.wim"
refuses "an index past the end is an error" "has no image 9" info --index 9 "$FIXTURES/x64.wim"
mkdir "$TMP/swm" && cp "$FIXTURES/split.swm" "$TMP/swm/"
refuses "a split set with a missing part is an error" "part 2 of the 3-part split WIM .* is missing" \
	info "$TMP/swm/split.swm"

run_wintogo info
is "$RC" 2 "no IMAGE is a usage error (exit 2)"
run_wintogo info --bogus x.wim
is "$RC" 2 "an unknown option is a usage error (exit 2)"
run_wintogo info --index zero x.wim
is "$RC" 2 "a bad --index is a usage error (exit 2)"
done_testing
