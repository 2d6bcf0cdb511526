#!/bin/bash
# Shell completion: completions/wintogo.bash loads and completes commands,
# options (read from `wintogo COMMAND --help`), --index values (from the
# image on the line) and values named in the help; completions/_wintogo
# loads in zsh and, driven through a pseudo-terminal, completes too.
# The scripts run the wintogo first in PATH: the one under test.
. "$(dirname "$0")/lib.sh"
need_fixtures
mkdir -p "$TMP/bin"
ln -s "$WINTOGO" "$TMP/bin/wintogo"
export PATH=$TMP/bin:$PATH
BASH_SCRIPT=$ROOT/completions/wintogo.bash

check "wintogo.bash parses (bash -n)" bash -n "$BASH_SCRIPT"

# The driver, run in a fresh bash after a preamble: compw CWORD WORD...
# sets COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT as bash does,
# calls _wintogo and prints COMPREPLY sorted, on one line.
cat >"$TMP/drive.bash" <<'EOF'
compw() {
	COMP_CWORD=$1
	shift
	COMP_WORDS=("$@")
	local IFS=" " rest
	COMP_LINE="${COMP_WORDS[*]}"
	rest="${COMP_WORDS[*]:COMP_CWORD+1}"
	COMP_POINT=${#COMP_LINE}
	((COMP_CWORD < ${#COMP_WORDS[@]} - 1)) && COMP_POINT=$((${#COMP_LINE} - ${#rest} - 1))
	COMPREPLY=()
	_wintogo wintogo "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd ' '
}
EOF

# A stand-in for bash-completion's _init_completion, for machines without it.
cat >"$TMP/stub.bash" <<'EOF'
_init_completion() {
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=${words[cword - 1]}
	split=false
	if [[ $cur == --?*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
		split=true
	fi
}
EOF

# pre MODE: what a bash runs before the script: bash-completion itself, the
# stub, or nothing (the script then splits the words itself).
pre() {
	case $1 in
	bash-completion) echo ". /usr/share/bash-completion/bash_completion" ;;
	stub) echo ". '$TMP/stub.bash'" ;;
	plain) echo ":" ;;
	esac
}

# completes MODE DESCRIPTION WANT CWORD WORD...
completes() {
	local mode=$1 desc=$2 want=$3 got
	shift 3
	got=$(bash -c "$(pre "$mode"); . '$BASH_SCRIPT'; . '$TMP/drive.bash'; compw \"\$@\"" compw "$@" 2>"$TMP/bash.err")
	is "$got" "$want" "bash ($mode): $desc" || diag "stderr: $(cat "$TMP/bash.err")"
}

for mode in bash-completion stub plain; do
	if [ "$mode" = bash-completion ] && [ ! -r /usr/share/bash-completion/bash_completion ]; then
		skip "bash-completion is not installed"
		continue
	fi
	is "$(bash -c "$(pre $mode); . '$BASH_SCRIPT'; complete -p wintogo" 2>&1)" "complete -F _wintogo wintogo" \
		"bash ($mode): sourcing it makes _wintogo complete wintogo"
	completes $mode "wintogo wr<TAB> is write" write 1 wintogo wr
	completes $mode "wintogo write --ind<TAB> is --index" --index 2 wintogo write --ind
	completes $mode "wintogo info IMAGE --index <TAB> lists the image's index" 1 \
		4 wintogo info "$FIXTURES/x64.wim" --index ""
	completes $mode "and every index of a multi-image file" "1 2 3" \
		4 wintogo info "$FIXTURES/multi.wim" --index ""
	completes $mode "-i: the same" "1 2 3" \
		4 wintogo write "$FIXTURES/multi.wim" -i ""
	completes $mode "--index without an image on the line: nothing" "" 3 wintogo info --index ""
	completes $mode "vm --format <TAB>: the formats its help names" "parallels qcow2 raw vhdx vmdk" 3 wintogo vm --format ""
	completes $mode "write --partition-table <TAB>: gpt and mbr" "gpt mbr" 3 wintogo write --partition-table ""
	completes $mode "write --host a<TAB>: the hosts probe's help names" "apple-silicon auto" \
		3 wintogo write --host a
	completes $mode "probe --host pc-<TAB>: the PCs, ARM64 ones too" "pc-arm64 pc-bios pc-uefi" \
		3 wintogo probe --host pc-
	completes $mode "info IMAGE: images and folders" "$FIXTURES/multi.wim" \
		2 wintogo info "$FIXTURES/mul"
	completes $mode "wintogo help <TAB>: the commands" "help info list probe speed verify vm write" 2 wintogo help ""
	completes $mode "wintogo speed --re<TAB> is --read-only" --read-only 2 wintogo speed --re
	completes $mode "write --speed-<TAB>: both speed options" "--speed-check --speed-time" 2 wintogo write --speed-
	completes $mode "write --stage <TAB>: the modes its help names" "full tight" 3 wintogo write --stage ""
	completes $mode "write --fill<TAB> is --fill-gaps" --fill-gaps 2 wintogo write --fill
done
completes plain "--index <TAB> with the image after it" "1 2 3" 3 wintogo info --index "" "$FIXTURES/multi.wim"
completes plain "--index=<TAB>" "1 2 3" 2 wintogo info --index= "$FIXTURES/multi.wim"
completes plain "a quoted image" "1 2 3" 4 wintogo info "'$FIXTURES/multi.wim'" --index ""

# Nothing from an image is ever run: an image path with a command
# substitution in it is only a path.
completes plain "an image named \$(...) runs nothing" "" 4 wintogo info "\$(touch $TMP/ran)" --index ""
check "and nothing ran" test ! -e "$TMP/ran"

# zsh
if ! command -v zsh >/dev/null; then
	skip "zsh is not installed"
	done_testing
	exit
fi
check "_wintogo parses (zsh -n)" zsh -n "$ROOT/completions/_wintogo"
loaded=$(zsh -f -c "fpath=('$ROOT/completions' \$fpath); autoload -Uz compinit; compinit -u -d '$TMP/zcompdump';
	print -r -- \$_comps[wintogo]; autoload -Uz +X _wintogo && whence -w _wintogo" 2>&1)
is "$loaded" "_wintogo
_wintogo: function" "compinit finds _wintogo for wintogo and it loads"

# zcomp LINE: what zsh completes LINE<TAB> to, in an interactive zsh run
# on a pseudo-terminal (zpty): a widget bound to ^T, typed after the TAB,
# writes the line as it then stands to a file; what the terminal showed
# goes to $TMP/zsh.err.
cat >"$TMP/zcomplete.zsh" <<'EOF'
zmodload zsh/zpty || exit 1
out=$TMP/zbuffer
rm -f $out
zpty z env TERM=xterm zsh -f -i
zpty -w z "PS1='' RPS1='' PS2=''; fpath=('$ROOT/completions' \$fpath); autoload -Uz compinit; compinit -u -d '$TMP/zcompdump'"
zpty -w z "dump() { print -r -- \"\$BUFFER\" >| '$out'; BUFFER=; zle accept-line }; zle -N dump; bindkey '^T' dump"
zpty -w -n z "$ZLINE"$'\t\x14'
for (( i = 0; i < 100; i++ )); do
  [[ -s $out ]] && break
  sleep 0.1
done
zpty -r -t z junk
while zpty -r -t z l; do junk+=$l; done
print -r -- "$junk" >&2
zpty -d z
[[ -s $out ]] && cat $out
EOF
zcomp() {
	ZLINE=$1 ROOT=$ROOT TMP=$TMP zsh -f "$TMP/zcomplete.zsh" 2>"$TMP/zsh.err"
}
if ! zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
	skip "zsh has no zpty module: completion not driven"
	done_testing
	exit
fi
is "$(zcomp 'wintogo wr')" "wintogo write " "zsh: wintogo wr<TAB> is write" ||
	diag "stderr: $(cat "$TMP/zsh.err")"
is "$(zcomp 'wintogo write --ind')" "wintogo write --index=" \
	"zsh: wintogo write --ind<TAB> is --index= (zsh's way for an option with a value)" ||
	diag "stderr: $(cat "$TMP/zsh.err")"
is "$(zcomp "wintogo info $FIXTURES/x64.wim --index ")" "wintogo info $FIXTURES/x64.wim --index 1 " \
	"zsh: --index <TAB> with a one-image file on the line is 1" ||
	diag "terminal: $(tr -d '\r' <"$TMP/zsh.err" | grep -a wintogo)"
is "$(zcomp 'wintogo vm --format q')" "wintogo vm --format qcow2 " "zsh: vm --format q<TAB> is qcow2"
is "$(zcomp 'wintogo probe --host intel-mac-')" "wintogo probe --host intel-mac-t2 " \
	"zsh: probe --host intel-mac-<TAB> is intel-mac-t2"
done_testing
