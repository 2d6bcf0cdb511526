#!/bin/bash
# Hostile WIM headers and XML: every file wintogo opens has its header
# checked by wintogo before wimlib trusts it (wimlib allocates whatever the
# image count and the resource sizes say), and what libxml2 says about a
# damaged XML goes into the one line, never onto stderr by itself.  Each
# damaged copy of the fixture fails fast, in bounded memory, with one line
# naming the file and what is wrong, and image-damaged in --json.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs

wim=$FIXTURES/x64.wim

# patch OUT PYTHON: a copy of the fixture as OUT, changed by PYTHON, which
# gets the bytes as b and helpers put(offset, value, size) and res(i) (the
# offset of resource header i: 0 blob table, 1 XML, 2 boot metadata, 3
# integrity table) and get(offset, size).
patch() {
	python3 - "$wim" "$1" "$2" <<'EOF'
import sys
src, out, code = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
def put(off, value, size): b[off:off + size] = value.to_bytes(size, "little")
def get(off, size): return int.from_bytes(b[off:off + size], "little")
def res(i): return (48, 72, 96, 124)[i]
exec(code)
open(out, "wb").write(b)
EOF
}

# The fields of wimlib's header.c: image count at 44, resource headers of
# 24 bytes (7-byte size, flags, offset, uncompressed size).
patch "$TMP/count.wim" 'put(44, 1645683454, 4)'
# the fixture's blob table: its size and entries (50 bytes each), for the messages
table_bytes=$(python3 -c 'import sys; print(int.from_bytes(open(sys.argv[1], "rb").read()[48:55], "little"))' "$wim")
patch "$TMP/huge-table.wim" 'put(res(0), 0x778, 7); put(res(0) + 16, 0x100000000000778, 8)'
patch "$TMP/huge-compressed-table.wim" 'put(res(0) + 7, 0x04, 1); put(res(0) + 16, 1 << 40, 8)'
patch "$TMP/odd-table.wim" 'n = get(res(0), 7) - 1; put(res(0), n, 7); put(res(0) + 16, n, 8)'
patch "$TMP/xml-past-end.wim" 'put(res(1) + 8, len(b) - 10, 8)'
patch "$TMP/xml-offset-wraps.wim" 'put(res(1) + 8, (1 << 64) - 16, 8)'
patch "$TMP/integrity-past-end.wim" 'put(res(3), 1 << 40, 7); put(res(3) + 16, 1 << 40, 8)'
patch "$TMP/header-size.wim" 'put(8, 4096, 4)'
patch "$TMP/part.wim" 'put(40, 3, 2); put(42, 2, 2)'
patch "$TMP/garbage-xml.wim" 'o = get(res(1) + 8, 8); n = get(res(1), 7); b[o:o + n] = b"A\0" * (n // 2)'
cp "$wim" "$TMP/totalbytes.wim"
wiminfo "$TMP/totalbytes.wim" 1 --image-property TOTALBYTES=99999999999999999999 >/dev/null
cp "$wim" "$TMP/totalbytes-text.wim"
wiminfo "$TMP/totalbytes-text.wim" 1 --image-property TOTALBYTES=12abc >/dev/null
is "$(wiminfo "$TMP/totalbytes.wim" 1 | grep -c '')" "$(wiminfo "$wim" 1 | grep -c '')" \
	"wimlib itself still lists the WIM with the absurd TOTALBYTES"

# bounded BINARY: a wrapper that runs BINARY in 10 s and 4 GB of address
# space (the unchecked header made wimlib take 13 s and 12.9 GB)
bounded() {
	printf '#!/bin/bash\nulimit -v 4000000\nexec timeout 10 %q "$@"\n' "$1" >"$TMP/bounded"
	chmod +x "$TMP/bounded"
	printf '%s' "$TMP/bounded"
}
PLAIN=$WINTOGO
BOUNDED=$(bounded "$WINTOGO")

# hostile DESCRIPTION FILE REGEX: info and write --dry-run refuse FILE
# with one line matching REGEX, in 10 s and 4 GB of address space (the
# unchecked header made wimlib take 13 s and 12.9 GB); --json gives
# image-damaged; the sanitizer build finds nothing wrong on the way.
hostile() {
	local desc=$1 file=$2 regex=$3
	local name=${file##*/}
	WINTOGO=$BOUNDED
	refuses "$desc: info" "'$file' is damaged: $regex.*; download or copy it again$" info "$file"
	refuses "$desc: write --dry-run" "'$file' is damaged: $regex" \
		write --dry-run --tmpdir "$STAGE" "$file" "$OUTDIR/$name.img"
	run_wintogo info --json "$file"
	is "$(jq -r .error.code <<<"$OUT" 2>/dev/null) $RC" "image-damaged 1" "$desc: --json says image-damaged"
	if [ -n "${WINTOGO_ASAN:-}" ]; then
		# ASan reserves terabytes of address space: a time limit only
		WINTOGO=$WINTOGO_ASAN
		refuses "$desc: the sanitizer build refuses it cleanly" "is damaged: $regex" info "$file"
	fi
	WINTOGO=$PLAIN
}

hostile "an image count of 1645683454" "$TMP/count.wim" \
	"its header says it holds 1645683454 images, more than its blob table can list \($((table_bytes / 50))\)"
hostile "a blob table of 0x100000000000778 bytes" "$TMP/huge-table.wim" \
	"its uncompressed blob table is 72057594037929848 bytes but takes 1912 in the file"
hostile "a compressed blob table of 1 TiB" "$TMP/huge-compressed-table.wim" \
	"its blob table would be 1099511627776 bytes in memory"
hostile "a blob table that is not whole entries" "$TMP/odd-table.wim" \
	"its blob table's size \($((table_bytes - 1)) bytes\) is not a whole number of 50-byte entries"
hostile "an XML past the end" "$TMP/xml-past-end.wim" "its XML \(1912 bytes at [0-9]+\) ends past the end of the file"
hostile "an XML whose offset wraps around" "$TMP/xml-offset-wraps.wim" "its XML .* ends past the end of the file"
hostile "an integrity table past the end" "$TMP/integrity-past-end.wim" "its integrity table .* ends past the end"
hostile "a header size of 4096" "$TMP/header-size.wim" "its header size is 4096 bytes, not 208"
hostile "part 3 of 2" "$TMP/part.wim" "its header says it is part 3 of 2"
hostile "an XML of garbage" "$TMP/garbage-xml.wim" \
	"its XML is damaged \(libxml2: Start tag expected, '<' not found\)"
hostile "a TOTALBYTES of 10^20" "$TMP/totalbytes.wim" \
	"its XML gives image 1 a TOTALBYTES of '99999999999999999999', not a whole number up to 256 TiB"
hostile "a TOTALBYTES that is not a number" "$TMP/totalbytes-text.wim" \
	"its XML gives image 1 a TOTALBYTES of '12abc'"

# an unknown version is an image wintogo cannot use, not damage
patch "$TMP/version.wim" 'put(12, 0x20000, 4)'
refuses "an unknown WIM version: unsupported" "'$TMP/version.wim' cannot be used: it is of WIM version 0x20000, which wimlib does not read" \
	info "$TMP/version.wim"
run_wintogo info --json "$TMP/version.wim"
is "$(jq -r .error.code <<<"$OUT" 2>/dev/null)" "image-unsupported" "an unknown WIM version: --json says image-unsupported"

# what is not damaged still opens: a pipable WIM (its header at its end),
# the fixtures of every kind
wimlib-imagex export "$wim" 1 "$TMP/pipable.wim" --pipable >/dev/null 2>&1
for f in "$TMP/pipable.wim" "$FIXTURES/x64.esd" "$FIXTURES/split.swm" "$FIXTURES/multi.wim"; do
	run_wintogo info --json "$f"
	is "$RC $(jq -r '.images | length' <<<"$OUT" 2>/dev/null)" \
		"0 $(wiminfo "$f" --header | awk '/^Image Count/ {print $4}')" "${f##*/} still opens, all its images"
done

# a damaged part of a split set is a missing part, and no stray output
mkdir -p "$TMP/split"
cp "$FIXTURES"/split*.swm "$TMP/split/"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(44); f.write((1645683454).to_bytes(4, "little"))' \
	"$TMP/split/split2.swm"
refuses "a split set with a damaged part 2" "part 2 of the 3-part split WIM '.*split.swm' is missing" \
	info "$TMP/split/split.swm"

# a damaged install.wim inside an ISO is refused before it is copied
mkdir -p "$TMP/tree/sources"
cp "$TMP/count.wim" "$TMP/tree/sources/install.wim"
genisoimage -quiet -udf -iso-level 3 -allow-limited-size -V WTG_TEST -hide install.wim \
	-o "$TMP/count.iso" "$TMP/tree"
WINTOGO=$BOUNDED
refuses "an ISO whose install.wim has a damaged header" \
	"'$TMP/count.iso:sources/install.wim' is damaged: its header says it holds 1645683454 images" \
	info --tmpdir "$STAGE" "$TMP/count.iso"
WINTOGO=$PLAIN
is "$(find "$STAGE" -mindepth 1 | grep -c '')" 0 "and nothing is left in the stage"

done_testing
