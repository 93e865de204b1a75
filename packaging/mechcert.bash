# bash completion for mechcert, mechcert-check and mechcert-check-mpi.
# Installed as share/bash-completion/completions/<program> for each program. Everything is asked
# of the program being completed (its --help, `mechcert strategies`), so new commands, options and
# strategies complete without editing this file. Needs only bash (bash-completion's helpers are
# not used).

# The commands listed under "commands:" in `mechcert --help`.
_mechcert_commands() {
  "$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on && /^  [a-z]/ { print $1 }'
}

# The options a --help text lists ("-h,--help", "--out TEXT REQUIRED", ...).
_mechcert_options() {
  grep -oE -- '(^|[ ,])--[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^[ ,]*//' | sort -u
}

# The value type CLI11 prints after an option in a --help text (TEXT, INT, UINT, FLOAT, ...),
# empty for a flag.
_mechcert_option_type() {
  awk -v opt="$1" '{ for (i = 1; i <= NF; i++) { n = split($i, names, ","); for (j = 1; j <= n; j++)
    if (names[j] == opt) { t = $(i + 1); sub(/[:=].*/, "", t); if (t ~ /^[A-Z]+$/ && t != "REQUIRED") print t; exit } } }'
}

_mechcert_strategies() {
  "$1" strategies 2>/dev/null | awk 'NF { print $1 }'
}

_mechcert_files() {  # $1: the word being completed
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

# Completion for a program's options and values, given its --help text on stdin.
# $1 prog, $2 --help text, $3 cur, $4 prev.
_mechcert_complete_options() {
  local prog=$1 help=$2 cur=$3 prev=$4 type
  case $prev in
    --strategy)
      mapfile -t COMPREPLY < <(compgen -W "$(_mechcert_strategies "$prog")" -- "$cur")
      return 0 ;;
    --strategies)  # "all" or a comma-separated list of names
      local prefix="" last=$cur
      if [[ $cur == *,* ]]; then prefix=${cur%,*},; last=${cur##*,}; fi
      compopt -o nospace 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "all $(_mechcert_strategies "$prog")" -- "$last")
      return 0 ;;
  esac
  if [[ $prev == -* ]]; then
    type=$(printf '%s\n' "$help" | _mechcert_option_type "$prev")
    case $type in
      "") ;;                                  # a flag: go on below
      TEXT) _mechcert_files "$cur"; return 0 ;;
      *) COMPREPLY=(); return 0 ;;            # a number: nothing to offer
    esac
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(printf '%s\n' "$help" | _mechcert_options)" -- "$cur")
    return 0
  fi
  _mechcert_files "$cur"
}

_mechcert() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev="" prog=${COMP_WORDS[0]}
  (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  if (( COMP_CWORD == 1 )); then
    mapfile -t COMPREPLY < <(compgen -W "$(_mechcert_commands "$prog") --help --version" -- "$cur")
    return 0
  fi
  local cmd=${COMP_WORDS[1]}
  [[ $cmd == -* ]] && return 0
  _mechcert_complete_options "$prog" "$("$prog" "$cmd" --help 2>/dev/null)" "$cur" "$prev"
}

_mechcert_check() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev="" prog=${COMP_WORDS[0]}
  (( COMP_CWORD > 0 )) && prev=${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  _mechcert_complete_options "$prog" "$("$prog" --help 2>/dev/null)" "$cur" "$prev"
}

complete -F _mechcert mechcert
complete -F _mechcert_check mechcert-check mechcert-check-mpi
