#!/bin/bash
# One version, from the VERSION file: `wintogo --version`, the manifest a
# write leaves, the man pages, debian/changelog; a new VERSION rebuilds
# the binary; debian/control's Build-Depends are the Makefile's DEPS_BUILD.
. "$(dirname "$0")/lib.sh"
need_fixtures
write_dirs

version=$(cat "$ROOT/VERSION")
is "$(grep -c '' "$ROOT/VERSION")" 1 "VERSION is one line"
like "$version" '^[0-9]+\.[0-9]+\.[0-9]+([~+][0-9A-Za-z.~+]*)?$' \
	"it is a release number (digits and dots, then ~ or + for a pre- or post-release)"
check "dpkg takes it as a version" dpkg --validate-version "$version"
# a native package: a hyphen would make dpkg read a Debian revision
check "and it has no hyphen (the package is native: no Debian revision)" \
	test "${version#*-}" = "$version"

run_wintogo --version
is "$RC" 0 "wintogo --version exits 0"
is "$(awk '{ print $1, $2 }' <<<"$OUT")" "wintogo $version" "wintogo --version says VERSION's $version"
run_wintogo -V
is "$(awk '{ print $1, $2 }' <<<"$OUT")" "wintogo $version" "and so does -V"
for bin in "$WINTOGO_TEST" "${WINTOGO_ASAN:-}"; do
	[ -n "$bin" ] && [ -x "$bin" ] || continue
	is "$("$bin" --version | awk '{ print $1, $2 }')" "wintogo $version" \
		"so does the ${bin#"$ROOT"/} build"
done

# --- the manifest of a write: next to the image and in the ESP ---
disk=$OUTDIR/disk.img
run_wintogo write --seed 3 --tmpdir "$STAGE" --json "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write x64.wim to an image file exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
is "$(jq -r .tool "$disk.manifest.json" 2>&1)" "wintogo $version" \
	"the manifest next to the image names wintogo $version as its tool"
esp_off=$(sfdisk --json "$disk" | jq '.partitiontable.partitions[0].start * 512')
is "$(mtype -i "$disk@@$esp_off" ::/wintogo/manifest.json 2>&1 | jq -r .tool 2>&1)" "wintogo $version" \
	"so does \\wintogo\\manifest.json in the ESP (read with mtools)"
run_wintogo verify "$disk"
is "$RC" 0 "wintogo verify accepts the disk"
like "$OUT" "by wintogo $version" "and says which version wrote it"

# --- the man pages: the footer man prints names the version ---
bad=""
for page in "$ROOT"/man/*.1; do
	MANWIDTH=100 man -l "$page" 2>/dev/null | tail -1 | grep -q "^wintogo $version " ||
		bad+=" $(basename "$page")"
done
is "$bad" "" "every man page's footer (man -l) says wintogo $version"

# --- debian/: its changelog's version is VERSION ---
if command -v dpkg-parsechangelog >/dev/null; then
	is "$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)" "$version" \
		"debian/changelog's last entry is version $version (dpkg-parsechangelog)"
	like "$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Distribution)" '^(unstable|bookworm)$' \
		"and is released (not UNRELEASED)"
else
	skip "dpkg-parsechangelog (dpkg-dev) is not installed"
	skip "dpkg-parsechangelog (dpkg-dev) is not installed"
fi

# Build-Depends, parsed by dpkg's own modules, is the Makefile's
# DEPS_BUILD but for what build-essential brings: a package added to one
# and not the other fails here.
mkvar() { make -s --no-print-directory -C "$ROOT" "print-$1"; }
if perl -MDpkg::Control::Info -e 1 2>/dev/null; then
	build_deps=$(perl -MDpkg::Control::Info -MDpkg::Deps -e '
		my $c = Dpkg::Control::Info->new(filename => $ARGV[0])->get_source;
		my $d = deps_parse($c->{"Build-Depends"}, build_dep => 1, reduce_restrictions => 1);
		print join("\n", map { $_->{package} } $d->get_deps), "\n";' "$ROOT/debian/control" |
		grep -vx 'debhelper-compat' | sort)
	is "$(tr ' ' '\n' <<<"$(mkvar DEPS_BUILD)" | grep -vxE 'gcc|make|' | sort | tr '\n' ' ')" \
		"$(tr '\n' ' ' <<<"$build_deps")" \
		"debian/control's Build-Depends are the Makefile's DEPS_BUILD (without gcc and make)"
else
	skip "Dpkg::Control::Info (libdpkg-perl) is not installed"
fi
# (the package's Depends are DEPS_RUN by construction: debian/rules asks
# the Makefile; tests/package.t reads them from the .deb)

# --- a new VERSION rebuilds: make -W pretends VERSION changed, nothing
# is touched.  BUILD is the tree make check built (the environment). ---
if [ -n "${BUILD:-}" ] && make -s -C "$ROOT" -q "BUILD=$BUILD" "$BUILD/wintogo" 2>/dev/null; then
	plan=$(make -s -C "$ROOT" -n -W VERSION "BUILD=$BUILD" "$BUILD/wintogo" 2>&1)
	like "$plan" "src/cli/main\\.c" "a new VERSION recompiles main.c (make -n -W VERSION)"
	like "$plan" "-DWINTOGO_VERSION='\"$version\"'" "with -DWINTOGO_VERSION from the file"
else
	skip "build/wintogo is not up to date (BUILD unset or stale): nothing to ask make about"
	skip "build/wintogo is not up to date"
fi

done_testing
