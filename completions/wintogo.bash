# bash completion for wintogo(1)                          -*- shell-script -*-
#
# Installed as $(DATADIR)/bash-completion/completions/wintogo, where
# bash-completion loads it the first time `wintogo <TAB>` is pressed.
#
# Nothing here lists wintogo's options: they are read from
# `wintogo COMMAND --help` at each completion, so they follow the binary.
# The wintogo asked is the one on the command line (`./build/wintogo`
# works), else the first in PATH.  --index values come from
# `wintogo info --json IMAGE` with the IMAGE already on the line, disks
# from `wintogo list --json`.  What those print is only ever matched and
# filtered, never run: no eval anywhere.

# _wintogo_dequote WORD: WORD as the shell will pass it (quotes and
# backslashes removed, a leading ~/ made $HOME/), without expanding
# anything else.
_wintogo_dequote()
{
	local word=$1 out="" c q="" i
	[[ $word == "~/"* ]] && word=$HOME/${word#"~/"}
	for ((i = 0; i < ${#word}; i++)); do
		c=${word:i:1}
		if [[ $q == "'" ]]; then
			if [[ $c == "'" ]]; then q=""; else out+=$c; fi
		elif [[ $c == '\' ]]; then
			((i++))
			out+=${word:i:1}
		elif [[ $q == '"' ]]; then
			if [[ $c == '"' ]]; then q=""; else out+=$c; fi
		elif [[ $c == "'" || $c == '"' ]]; then
			q=$c
		else
			out+=$c
		fi
	done
	printf '%s' "$out"
}

# _wintogo_run ARGS...: the wintogo being completed, stdin and stderr closed
# off: a completion never prompts or prints an error.
_wintogo_run()
{
	"$_wintogo_bin" "$@" </dev/null 2>/dev/null
}

# _wintogo_options COMMAND: one line per option of `wintogo COMMAND --help`:
# LONG, SHORT, ARG and VALUES separated by \037 (empty fields kept), where
# ARG is the argument's name as the help writes it (empty for a flag) and
# VALUES the words the help offers for it ("qcow2 (default), vhdx or raw", "auto, apple-silicon,
# ..., or a Mac model": the single lowercase words of a list).
_wintogo_options()
{
	_wintogo_run "$1" --help | awk '
	function values(d,    n, i, s, seg, out) {
		gsub(/\([^()]*\)/, "", d)
		n = split(d, seg, /[,;:]|[[:space:]]or[[:space:]]/)
		out = ""
		for (i = 1; i <= n; i++) {
			s = seg[i]
			gsub(/^[[:space:]]+|[[:space:]]+$/, "", s)
			if (s ~ /^[a-z][a-z0-9-]*$/)
				out = out (out == "" ? "" : " ") s
		}
		return out
	}
	function flush() {
		if (long != "")
			printf "%s\037%s\037%s\037%s\n", long, short, arg, values(desc)
		long = ""
	}
	{
		match($0, /^ */)
		indent = RLENGTH
	}
	indent >= 1 && indent <= 6 && substr($0, indent + 1, 1) == "-" {
		flush()
		line = substr($0, indent + 1)
		short = ""
		if (match(line, /^-[A-Za-z0-9], /)) {
			short = substr(line, 1, 2)
			line = substr(line, RLENGTH + 1)
		}
		if (!match(line, /^--[a-z0-9][a-z0-9-]*/))
			next
		long = substr(line, 1, RLENGTH)
		line = substr(line, RLENGTH + 1)
		arg = ""
		if (match(line, /^(\[?=| )[^[:space:]]+/)) {
			arg = substr(line, 1, RLENGTH)
			line = substr(line, RLENGTH + 1)
			# an optional one ("--vm-partition[=SIZE]") is given only after
			# "=": after a space comes the next argument
			if (arg ~ /^\[/)
				arg = ""
			gsub(/^[[= ]+|\]$/, "", arg)
		}
		desc = line
		next
	}
	long != "" && indent > 6 {
		desc = desc " " $0
		next
	}
	{ flush() }
	END { flush() }'
}

# _wintogo_commands: the commands `wintogo --help` lists, and help.
_wintogo_commands()
{
	_wintogo_run --help | awk '
		/^Commands:/ { on = 1; next }
		on && NF == 0 { on = 0 }
		on && $1 ~ /^[a-z][a-z0-9-]*$/ { print $1; if ($1 == "help") seen = 1 }
		END { if (!seen) print "help" }'
}

# _wintogo_positionals COMMAND OPTION...: the names of COMMAND's arguments,
# in order ("IMAGE", "TARGET", "IMAGE|DISK"), from the line of its usage
# that names one of the OPTIONs ("wintogo info --bcd STORE|DISK"), else
# from the first.
_wintogo_positionals()
{
	local cmd=$1
	shift
	_wintogo_run "$cmd" --help | awk -v given=" $* " '
	NR == 1 || (NR > 1 && $1 == "wintogo") {
		names = ""
		pick = 0
		for (i = 1; i <= NF; i++) {
			w = $i
			gsub(/[][.]/, "", w)
			if (w ~ /^--[a-z0-9-]+$/ && index(given, " " w " "))
				pick = 1
			else if (w ~ /^[A-Z][A-Z|]*$/ && w != "OPTIONS")
				names = names w "\n"
		}
		if (NR == 1)
			first = names
		if (pick && !picked) {
			picked = 1
			chosen = names
		}
		next
	}
	{ exit }
	END { printf "%s", picked ? chosen : first }'
}

# _wintogo_add WORD...: adds the WORDs that start with $cur.
_wintogo_add()
{
	local w
	for w in "$@"; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

# _wintogo_files [EXT...]: directories, and the files ending in one of the
# EXTs (any case), or every file without an EXT.
_wintogo_files()
{
	local f e lower
	local -a found
	compopt -o filenames 2>/dev/null
	mapfile -t found < <(compgen -d -- "$cur")
	COMPREPLY+=("${found[@]}")
	mapfile -t found < <(compgen -f -- "$cur")
	for f in "${found[@]}"; do
		[[ -d $f ]] && continue
		if (($# == 0)); then
			COMPREPLY+=("$f")
			continue
		fi
		lower=${f,,}
		for e in "$@"; do
			if [[ $lower == *."$e" ]]; then
				COMPREPLY+=("$f")
				break
			fi
		done
	done
}

_wintogo_images() { _wintogo_files wim esd swm iso vhdx "$@"; }

# _wintogo_disks: the paths of the disks `wintogo list` shows.
_wintogo_disks()
{
	local -a disks
	if command -v jq >/dev/null 2>&1; then
		mapfile -t disks < <(_wintogo_run list --json | jq -r '.disks[]?.path | strings' 2>/dev/null)
	else
		mapfile -t disks < <(_wintogo_run list | awk '$1 ~ /^\/[^[:space:]]+$/ { print $1 }')
	fi
	_wintogo_add "${disks[@]}"
}

# _wintogo_indexes IMAGE: the indexes of the images inside IMAGE.
_wintogo_indexes()
{
	local image=$1 n
	local -a indexes
	[[ -n $image && -e $image ]] || return
	if command -v jq >/dev/null 2>&1; then
		mapfile -t indexes < <(_wintogo_run info --json -- "$image" |
			jq -r '.. | .images? | arrays | .[] | .index? | numbers' 2>/dev/null)
	else
		mapfile -t indexes < <(_wintogo_run info -- "$image" |
			awk '$1 == "INDEX" { on = 1; next } on && $1 ~ /^[0-9]+$/ { print $1; next } { on = 0 }')
	fi
	for n in "${indexes[@]}"; do
		[[ $n =~ ^[0-9]+$ ]] && _wintogo_add "$n"
	done
}

_wintogo()
{
	local cur prev words cword split=false
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=${words[cword - 1]:-}
		# COMP_WORDBREAKS splits --opt=value into --opt, =, value
		if [[ $cur == "=" ]]; then
			cur=""
		elif [[ $prev == "=" ]]; then
			prev=${words[cword - 2]:-}
		elif [[ $cur == --*=* ]]; then
			prev=${cur%%=*}
			cur=${cur#*=}
			split=true
		fi
	fi
	COMPREPLY=()

	local _wintogo_bin
	_wintogo_bin=$(_wintogo_dequote "${words[0]}")
	type -P -- "$_wintogo_bin" >/dev/null 2>&1 || _wintogo_bin=wintogo

	local i cmd="" ci=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-* | "=") ;;
		*) cmd=${words[i]} ci=$i; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			local -a global
			mapfile -t global < <(_wintogo_run --help | sed -n '1,/^$/p' |
				grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)
			_wintogo_add "${global[@]}"
		else
			local -a commands
			mapfile -t commands < <(_wintogo_commands)
			_wintogo_add "${commands[@]}"
		fi
		return 0
	fi
	if [[ $cmd == help ]]; then
		if ((cword == ci + 1)); then
			local -a commands
			mapfile -t commands < <(_wintogo_commands)
			_wintogo_add "${commands[@]}"
		fi
		return 0
	fi

	# the options of cmd: long, short, argument name, values
	local -a lines
	local -A argof valuesof longof
	local long short arg values
	mapfile -t lines < <(_wintogo_options "$cmd")
	for i in "${lines[@]}"; do
		IFS=$'\037' read -r long short arg values <<<"$i"
		argof[$long]=$arg
		valuesof[$long]=$values
		[[ -n $short ]] && longof[$short]=$long
	done

	# the words after cmd: its arguments (positionals), the options given,
	# the image, and how many arguments come before the word completed
	local w want="" image="" vm_image="" npos=0 after=false
	local -a positionals=() given=()
	for ((i = ci + 1; i < ${#words[@]}; i++)); do
		w=${words[i]}
		[[ $w == "=" ]] && continue
		if ((i == cword)); then
			# an option's value, or the next argument
			[[ -z $want ]] && npos=${#positionals[@]}
			want=""
			continue
		fi
		if [[ -n $want ]]; then
			[[ $want == --image ]] && image=$w
			[[ $want == --vm-image ]] && vm_image=$w
			want=""
			continue
		fi
		if ! $after && [[ $w == -- ]]; then
			after=true
		elif ! $after && [[ $w == --*=* ]]; then
			given+=("${w%%=*}")
			[[ ${w%%=*} == --image ]] && image=${w#*=}
			[[ ${w%%=*} == --vm-image ]] && vm_image=${w#*=}
		elif ! $after && [[ $w == --* ]]; then
			given+=("$w")
			[[ -n ${argof[$w]:-} ]] && want=$w
		elif ! $after && [[ $w == -?* ]]; then
			long=${longof[${w:0:2}]:-}
			[[ -n $long ]] && given+=("$long")
			[[ ${#w} -eq 2 && -n $long && -n ${argof[$long]:-} ]] && want=$long
		else
			positionals+=("$w")
		fi
	done
	[[ -z $image && ${#positionals[@]} -gt 0 ]] && image=${positionals[0]}

	# the value of an option
	local opt="" v
	local -a choices
	if $split; then
		opt=$prev
	elif ((cword > ci + 1)); then
		if [[ $prev == --* && -n ${argof[$prev]:-} ]]; then
			opt=$prev
		elif [[ $prev == -? && -n ${longof[$prev]:-} && -n ${argof[${longof[$prev]}]:-} ]]; then
			opt=${longof[$prev]}
		fi
	fi
	if [[ -n $opt ]]; then
		[[ $opt == -? ]] && opt=${longof[$opt]:-$opt}
		arg=${argof[$opt]:-}
		values=${valuesof[$opt]:-}
		if [[ $opt == --host && $cmd != probe ]]; then
			values=$(_wintogo_options probe | awk -F '\037' '$1 == "--host" { print $4 }')
		fi
		case $opt:$arg in
		--index:*) _wintogo_indexes "$(_wintogo_dequote "$image")" ;;
		# the images of the VM partition's own image (write --vm-image)
		--vm-index:*) [[ -n $vm_image ]] && _wintogo_indexes "$(_wintogo_dequote "$vm_image")" ;;
		*:DIR) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
		*:IMAGE) _wintogo_images ;;
		*:FILE | *:SUMS | *:STORE | *ARCHIVE*) _wintogo_files ;;
		*)
			read -r -a choices <<<"$values"
			_wintogo_add "${choices[@]}"
			;;
		esac
		return 0
	fi

	if [[ $cur == -* ]]; then
		_wintogo_add "${!argof[@]}"
		return 0
	fi

	# an argument, by the name the usage gives it
	local -a names
	mapfile -t names < <(_wintogo_positionals "$cmd" "${given[@]}")
	local name="|${names[npos]:-}|"
	case $name in
	*"|COMMAND|"*)
		local -a commands
		mapfile -t commands < <(_wintogo_commands)
		_wintogo_add "${commands[@]}"
		;;
	esac
	# a disk: those `wintogo list` shows, and under /dev only those
	case $name in
	*"|DISK|"* | *"|TARGET|"*)
		_wintogo_disks
		[[ $cur == /dev/* ]] && return 0
		;;
	esac
	case $name in
	*"|DISK|"* | *"|TARGET|"* | *"|OUT|"* | *"|STORE|"* | *"|FILE|"*) _wintogo_files ;;
	*"|SOURCE|"*) _wintogo_images img raw ;;
	*"|IMAGE|"*) _wintogo_images ;;
	esac
	return 0
}
complete -F _wintogo wintogo
