#!/bin/bash
# The man pages render without warnings and say the same as --help.
. "$(dirname "$0")/lib.sh"

long_options() { grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u; }

# Options listed in a rendered page's OPTIONS section.
man_options() {
	MANWIDTH=200 man -l "$1" 2>/dev/null | sed -n '/^OPTIONS$/,/^[A-Z]/p' |
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

# One vocabulary: "-x, --long" pairs, from every --help and from the
# table of wintogo.1 (OPTIONS ACROSS COMMANDS).
pairs() { grep -oE -- '^ +-[a-zA-Z], --[a-z0-9-]+' | sed 's/^ *//' | sort -u; }
table=$(MANWIDTH=200 man -l "$ROOT/man/wintogo.1" 2>/dev/null |
	sed -n '/^OPTIONS ACROSS COMMANDS$/,/^[A-Z]/p' | grep -E '^ {7}-' | pairs)
like "$table" '^-f, --force$' "wintogo.1 has the table of options across commands"
used=$(for cmd in $commands; do "$WINTOGO" "$cmd" --help; done | pairs)
is "$(comm -23 <(printf '%s\n' "$used") <(printf '%s\n' "$table") | tr '\n' ' ')" "" \
	"every short option of every --help is in the table, with the same long one"
is "$(printf '%s\n' "$used" | cut -c1-2 | sort | uniq -d | tr '\n' ' ')" "" \
	"no short option means two things"
is "$(comm -13 <(printf '%s\n' "$used") <(printf '%s\n' "$table") | tr '\n' ' ')" "-V, --version " \
	"the table lists no option that no command has (but -V of wintogo itself)"
done_testing
