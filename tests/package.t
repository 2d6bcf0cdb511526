#!/bin/bash
# The Debian package, as a user gets it: built from a copy of the source
# with dpkg-buildpackage (so this tree is never touched), lintian finds no
# error in it, apt-get installs it into this machine, the installed
# wintogo runs from another folder (--version, man wintogo-write, a write
# checked with sfdisk, the Mac model table, completions), and dpkg -r
# leaves none of its files behind.  Root only: it installs a package.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "not root: installing a package needs root"
	done_testing
	exit
fi
for tool in dpkg-buildpackage dh apt-get lintian man; do
	if ! command -v "$tool" >/dev/null; then
		skip "$tool is not installed (make deps installs it)"
		done_testing
		exit
	fi
done
# Never replace or remove a wintogo someone installed.
if [ "$(dpkg-query -W -f '${db:Status-Abbrev}' wintogo 2>/dev/null)" = "ii " ] || [ -e /usr/bin/wintogo ]; then
	skip "a wintogo is installed already (/usr/bin/wintogo or the package): not replacing it"
	done_testing
	exit
fi
need_fixtures

# This make's options and BUILD (make check exports it) are not the
# package build's.
clean_env=(env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD -u WINTOGO_DATADIR DEB_BUILD_OPTIONS=nocheck)
version=$(cat "$ROOT/VERSION")
arch=$(dpkg --print-architecture)
pkg=$TMP/pkg
installed=""
cleanup() {
	# a test that failed half-way must not leave the package installed
	[ -n "$installed" ] && dpkg -r wintogo >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

# --- build: make deb from a checkout (git archive of HEAD), else (a
# tree from the tarball) dpkg-buildpackage on a copy of the tree ---
if [ -e "$ROOT/.git" ] && command -v git >/dev/null; then
	version=$(git -C "$ROOT" show HEAD:VERSION)
	git -C "$ROOT" diff --quiet HEAD -- || diag "uncommitted changes are not in the package (make deb builds HEAD)"
	"${clean_env[@]}" make -C "$ROOT" "BUILD=$pkg" deb >"$TMP/build.log" 2>&1
	rc=$?
else
	mkdir -p "$pkg/deb/src"
	tar -C "$ROOT" --exclude=./build -cf - . | tar -x -C "$pkg/deb/src"
	(cd "$pkg/deb/src" && "${clean_env[@]}" dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
	rc=$?
fi
deb=$pkg/deb/wintogo_${version}_$arch.deb
is "$rc" 0 "dpkg-buildpackage -us -uc -b builds the package"
if [ "$rc" -ne 0 ] || [ ! -f "$deb" ]; then
	diag "$(tail -30 "$TMP/build.log")"
	done_testing
	exit
fi
check "it is named wintogo_${version}_$arch.deb" test -f "$deb"
is "$(grep -cE '^Result: |prove build/' "$TMP/build.log")" 0 "the build ran no test: DEB_BUILD_OPTIONS=nocheck"
src=$pkg/deb/src
like "$(cd "$src" && env -u MAKEFLAGS -u MAKELEVEL -u DEB_BUILD_OPTIONS make -s -n -f debian/rules override_dh_auto_test)" \
	'prove build/asan/tests/test_' "without nocheck debian/rules runs the unit tests"

lintian --fail-on error "$deb" >"$TMP/lintian" 2>&1
is "$?" 0 "lintian fails on no error"
is "$(grep -c '^E: ' "$TMP/lintian")" 0 "lintian reports no error"
grep -q '^[WIP]: ' "$TMP/lintian" && diag "lintian says:" "$(grep '^[WIP]: ' "$TMP/lintian")"

is "$(dpkg-deb -f "$deb" Package Version | tr '\n' ' ')" "Package: wintogo Version: $version " \
	"dpkg-deb: package wintogo, version $version (VERSION)"
depends=$(dpkg-deb -f "$deb" Depends)
missing=""
for p in $(make -s --no-print-directory -C "$ROOT" print-DEPS_RUN); do
	grep -qE "(^|, )$p(,| |$)" <<<"$depends" || missing+=" $p"
done
is "$missing" "" "it depends on every package of the Makefile's DEPS_RUN"
like "$depends" 'libwim15' "and on the libraries the binary links (dpkg-shlibdeps)"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TMP/contents"
missing=""
for f in /usr/bin/wintogo /usr/share/man/man1/wintogo.1.gz /usr/share/man/man1/wintogo-write.1.gz \
	/usr/share/wintogo/mac-models.tsv /usr/share/bash-completion/completions/wintogo \
	/usr/share/zsh/vendor-completions/_wintogo /usr/share/doc/wintogo/copyright; do
	grep -qx "$f" "$TMP/contents" || missing+=" $f"
done
is "$missing" "" "it holds the binary, the man pages, the Mac model table, both completions, the copyright"
is "$(grep -c '^/usr/local' "$TMP/contents")" 0 "and nothing in /usr/local"

# --- install it with apt-get, as a user would ---
# (others may be installing packages on this machine: wait for dpkg's lock)
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 \
	"$deb" >"$TMP/apt.log" 2>&1
rc=$?
is "$rc" 0 "apt-get install ./wintogo_${version}_$arch.deb installs it"
[ "$rc" -eq 0 ] || diag "$(tail -20 "$TMP/apt.log")"
[ "$rc" -eq 0 ] && installed=1
is "$(dpkg-query -W -f '${db:Status-Abbrev} ${Version}' wintogo 2>&1)" "ii  $version" "dpkg says wintogo $version is installed"

# from another folder, with nothing of this tree on PATH or in the way
elsewhere=$TMP/elsewhere
mkdir -p "$elsewhere/stage"
cp "$FIXTURES/x64.wim" "$elsewhere/"
cd "$elsewhere" || exit 1
run() { env -u WINTOGO_DATADIR PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
is "$(run bash -c 'command -v wintogo')" /usr/bin/wintogo "wintogo on PATH is /usr/bin/wintogo"
is "$(run wintogo --version | awk '{ print $1, $2 }')" "wintogo $version" "the installed wintogo --version says $version"
is "$(run man -w wintogo-write)" /usr/share/man/man1/wintogo-write.1.gz "man -w finds wintogo-write(1)"
page=$(run env MANPAGER=cat MANWIDTH=80 man wintogo-write 2>&1)
like "$(head -1 <<<"$page")" '^WINTOGO-WRITE\(1\) +User Commands +WINTOGO-WRITE\(1\)$' "man wintogo-write shows the page"
like "$page" 'wintogo-write - ' "with its NAME line"
like "$(tail -1 <<<"$page")" "^wintogo $version " "whose footer says $version"
like "$(run env MANPAGER=cat MANWIDTH=80 wintogo help write 2>&1 | head -1)" '^WINTOGO-WRITE\(1\)' \
	"wintogo help write shows the installed man page"
run wintogo probe --host MacBookPro16,1 >"$TMP/probe.out" 2>&1
like "$(cat "$TMP/probe.out")" 'MacBook Pro \(16-inch, 2019\)' \
	"probe --host MacBookPro16,1 names the Mac: the model table is found in /usr/share/wintogo"

run wintogo write --seed 7 --tmpdir stage x64.wim disk.img >"$TMP/write.out" 2>&1
rc=$?
is "$rc" 0 "the installed wintogo writes x64.wim to disk.img, from another folder"
[ "$rc" -eq 0 ] || diag "$(tail -5 "$TMP/write.out")"
sfdisk --json disk.img >"$TMP/sfdisk.json" 2>&1
is "$(jq -r '[.partitiontable.label, (.partitiontable.partitions[] | .type)] | join(" ")' "$TMP/sfdisk.json" 2>&1)" \
	"gpt C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" \
	"sfdisk --json: a GPT with the ESP, the MSR and the Windows partition"
is "$(jq -r .tool disk.img.manifest.json 2>&1)" "wintogo $version" "its manifest names wintogo $version"
run wintogo verify disk.img >"$TMP/verify.out" 2>&1
is "$?" 0 "the installed wintogo verify reads it all back"
check "nothing is left in the stage" no_leftovers "$elsewhere/stage"

loaded=$(run bash -c '. /usr/share/bash-completion/bash_completion && _completion_loader wintogo; complete -p wintogo' 2>&1)
like "$loaded" 'complete .*-F _wintogo.* wintogo$' "bash-completion finds the completion where the package put it"
if command -v zsh >/dev/null; then
	is "$(run zsh -f -c "autoload -Uz compinit && compinit -u -d '$TMP/zcompdump' && print -r -- \$_comps[wintogo]" 2>&1)" \
		_wintogo "zsh's compinit finds _wintogo in its default fpath"
else
	skip "zsh is not installed"
fi
cd "$TMP" || exit 1

# --- dpkg -r leaves none of its files behind ---
dpkg -L wintogo >"$TMP/owned"
is "$(grep -c '' "$TMP/owned")" "$(grep -c '' "$TMP/contents")" "dpkg -L lists every path of the package"
# dpkg itself does not wait for its lock: try again while another holds it
for _ in $(seq 60); do
	dpkg -r wintogo >"$TMP/remove.log" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || ! grep -q 'lock' "$TMP/remove.log" || { sleep 5; continue; }
	break
done
is "$rc" 0 "dpkg -r wintogo removes it"
[ "$rc" -eq 0 ] && installed=""
# (with no conffiles dpkg forgets it at once: dpkg-query then knows no
# wintogo at all)
status=$(dpkg-query -W -f '${db:Status-Abbrev}' wintogo 2>/dev/null)
check "dpkg no longer has it installed (status '$status')" test "${status:0:1}" != i
left=""
shared_left=""
while IFS= read -r f; do
	[ "$f" = "/." ] && continue
	if [ -d "$f" ] && [ ! -L "$f" ]; then
		# a folder stays only when another package owns it too
		dpkg-query -S "$f" >/dev/null 2>&1 || shared_left+=" $f"
	elif [ -e "$f" ] || [ -L "$f" ]; then
		left+=" $f"
	fi
done <"$TMP/owned"
is "$left" "" "no file of the package is left"
is "$shared_left" "" "no folder of its own is left (those left belong to other packages)"
check "/usr/share/wintogo is gone" test ! -e /usr/share/wintogo
check "wintogo is no longer on PATH" bash -c '! PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v wintogo'

done_testing
