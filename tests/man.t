#!/bin/bash
# The man pages render without warnings and say the same as --help.
. "$(dirname "$0")/lib.sh"

long_options() { grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u; }

# Options listed in a rendered page's OPTIONS section.
man_options() {
	MANWIDTH=200 man -l "$1" 2>/dev/null | sed -n '/^OPTIONS/,/^[A-Z]/p' |
		grep -E '^ {7}-' | long_options
}

commands=$("$WINTOGO" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF >= 2 { print $1 }')
for page in "$ROOT"/man/*.1; do
	name=$(basename "$page" .1)
	warnings=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	is "$warnings" "" "$name.1 renders without groff warnings"
done

for cmd in $commands; do
	page=$ROOT/man/wintogo-$cmd.1
	check "wintogo-$cmd.1 exists" test -f "$page"
	help=$("$WINTOGO" "$cmd" --help | long_options)
	like "$help" '--help' "wintogo $cmd --help lists its options"
	is "$(man_options "$page" | tr '\n' ' ')" "$(printf '%s\n' "$help" | tr '\n' ' ')" \
		"wintogo $cmd --help and its man page list the same options"
	like "$(MANWIDTH=200 man -l "$ROOT/man/wintogo.1" | sed -n '/^COMMANDS/,/^[A-Z]/p')" \
		"^ +$cmd( |$)" "wintogo.1 lists the $cmd command"
done
is "$(man_options "$ROOT/man/wintogo.1" | tr '\n' ' ')" "--help --version " \
	"wintogo.1 lists the global options"
done_testing
