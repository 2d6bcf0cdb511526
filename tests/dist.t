#!/bin/bash
# make dist: build/wintogo-VERSION.tar.gz is HEAD as git archives it,
# under wintogo-VERSION/, the same bytes each time; unpacked elsewhere
# it builds, and the binary says the version.  (make check from the
# unpacked tarball is make distcheck, too long for here.)
. "$(dirname "$0")/lib.sh"

# A tree from a tarball has no .git, and no HEAD to archive.
if [ ! -e "$ROOT/.git" ] || ! command -v git >/dev/null; then
	skip "not a git checkout (a tree from the tarball itself), or no git"
	done_testing
	exit
fi
# This make's options and BUILD (make check exports it) are not the ones
# of the makes run here.
clean_env=(env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD)

version=$(git -C "$ROOT" show HEAD:VERSION)
name=wintogo-$version
out=$TMP/dist
"${clean_env[@]}" make -s -C "$ROOT" "BUILD=$out" dist >"$TMP/dist.out" 2>"$TMP/dist.err"
is "$?" 0 "make dist exits 0"
tarball=$out/$name.tar.gz
is "$(cat "$TMP/dist.out")" "$tarball" "it prints the tarball's name, wintogo-$version.tar.gz"
like "$(file -b "$tarball")" '^gzip compressed data' "file(1) says it is gzip"
check "gzip -t finds it whole" gzip -t "$tarball"

tar -tzf "$tarball" >"$TMP/list"
is "$(grep -cv "^$name/" "$TMP/list")" 0 "every member is under $name/"
# members that are not folders (tar lists those with a trailing /)
grep -v '/$' "$TMP/list" | sed "s|^$name/||" | sort >"$TMP/files"
git -C "$ROOT" ls-tree -r --name-only HEAD | sort >"$TMP/tracked"
is "$(comm -3 "$TMP/files" "$TMP/tracked" | head -5 | tr '\n' ' ')" "" \
	"its files are exactly git's files of HEAD (git ls-tree -r)"
missing=""
for f in VERSION Makefile LICENSE README.md debian/control debian/rules debian/changelog \
	fixtures/mkimage man/wintogo-write.1 data/mac-models.tsv completions/_wintogo; do
	grep -qx "$f" "$TMP/files" || missing+=" $f"
done
is "$missing" "" "it has the files a build, make check and the package need"
is "$(grep -cE '^(\.git/|build/)' "$TMP/files")" 0 "no .git, nothing built (build/)"
check "VERSION in the tarball is HEAD's" \
	bash -c "tar -xOzf '$tarball' '$name/VERSION' | cmp -s - <(git -C '$ROOT' show HEAD:VERSION)"

sum1=$(sha256sum <"$tarball")
rm -f "$tarball"
"${clean_env[@]}" make -s -C "$ROOT" "BUILD=$out" dist >/dev/null 2>&1
is "$(sha256sum <"$tarball")" "$sum1" "make dist again makes the same bytes (the tarball is reproducible)"

# --- unpacked elsewhere, it builds on its own ---
mkdir -p "$TMP/elsewhere"
tar -xzf "$tarball" -C "$TMP/elsewhere"
src=$TMP/elsewhere/$name
"${clean_env[@]}" make -C "$src" -j2 all >"$TMP/build.log" 2>&1
is "$?" 0 "make all in the unpacked tarball builds"
[ -x "$src/build/wintogo" ] || diag "$(tail -20 "$TMP/build.log")"
is "$("$src/build/wintogo" --version 2>&1 | awk '{ print $1, $2 }')" "wintogo $version" \
	"its wintogo --version says $version"
is "$("${clean_env[@]}" make -s -C "$src" print-VERSION)" "$version" \
	"and its Makefile reads VERSION, without a .git"

# --- uncommitted changes are not in it, and make dist says so ---
# A repository of its own (the tarball's files, one commit), so the
# checkout under test is never changed.
repo=$TMP/repo
mkdir -p "$repo"
tar -xzf "$tarball" -C "$repo" --strip-components=1
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.name=t -c user.email=t@t.invalid commit -qm one
echo "a change not committed" >>"$repo/README.md"
"${clean_env[@]}" make -s -C "$repo" "BUILD=$TMP/dist2" dist >/dev/null 2>"$TMP/dirty.err"
is "$?" 0 "make dist with uncommitted changes still makes HEAD's tarball"
like "$(cat "$TMP/dirty.err")" "uncommitted changes are not in the tarball" "and warns that they are not in it"
check "the tarball's README.md is the committed one" \
	bash -c "tar -xOzf '$TMP/dist2/$name.tar.gz' '$name/README.md' | cmp -s - <(git -C '$repo' show HEAD:README.md)"
"${clean_env[@]}" make -s -C "$ROOT" "BUILD=$TMP/dist3" dist >/dev/null 2>"$TMP/clean.err"
if git -C "$ROOT" diff --quiet HEAD --; then
	is "$(cat "$TMP/clean.err")" "" "from a clean checkout make dist warns of nothing"
else
	skip "this checkout has uncommitted changes: no clean case to try"
fi

done_testing
