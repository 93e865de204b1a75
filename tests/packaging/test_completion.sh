#!/usr/bin/env bash
# CTest packaging_completion: the bash completion script (packaging/mechcert.bash) completes the
# commands, their options, and the strategy names that `mechcert strategies` lists today -- all of
# them, asked of the program at completion time.
#   test_completion.sh COMPLETION_SCRIPT MECHCERT MECHCERT_CHECK
set -uo pipefail
script=$1 mechcert=$2 checker=$3
# shellcheck source=/dev/null
source "$script" || { echo "FAIL: cannot source $script"; exit 1; }
failures=0

# complete FUNCTION WORD... : runs the completion function on the words (the last one is the word
# being completed) and prints COMPREPLY one per line.
complete_words() {
  local fn=$1; shift
  COMP_WORDS=("$@")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  "$fn"
  printf '%s\n' "${COMPREPLY[@]}"
}
expect() {  # expect DESCRIPTION EXPECTED_LINES ACTUAL_LINES: every expected line is in actual
  local what=$1 expected=$2 actual=$3 line
  while IFS= read -r line; do
    [[ -z $line ]] && continue
    if ! grep -qxF -- "$line" <<<"$actual"; then
      echo "FAIL: $what: '$line' missing from completions: $(tr '\n' ' ' <<<"$actual")"
      failures=$((failures + 1))
    fi
  done <<<"$expected"
}
expect_none() {  # expect_none DESCRIPTION UNEXPECTED ACTUAL
  if grep -qxF -- "$2" <<<"$3"; then echo "FAIL: $1: '$2' offered"; failures=$((failures + 1)); fi
}

# Commands: every one that `mechcert --help` lists, plus --help/--version.
commands=$("$mechcert" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }')
[[ $(wc -l <<<"$commands") -ge 4 ]] || { echo "FAIL: mechcert --help lists no commands"; exit 1; }
expect "commands" "$commands"$'\n'"--version" "$(complete_words _mechcert "$mechcert" "")"
expect "command prefix" "prove" "$(complete_words _mechcert "$mechcert" "pr")"
expect_none "command prefix" "train" "$(complete_words _mechcert "$mechcert" "pr")"

# Strategy names: all of them after --strategy, and a prefix narrows them.
strategies=$("$mechcert" strategies --json | /usr/bin/python3 -c 'import json,sys; print("\n".join(s["name"] for s in json.load(sys.stdin)))')
[[ $(wc -l <<<"$strategies") -ge 3 ]] || { echo "FAIL: mechcert strategies lists fewer than 3"; exit 1; }
all=$(complete_words _mechcert "$mechcert" prove m.safetensors --strategy "")
expect "--strategy" "$strategies" "$all"
[[ $(wc -l <<<"$all") -eq $(wc -l <<<"$strategies") ]] || { echo "FAIL: --strategy offers other words: $all"; failures=$((failures + 1)); }
sub=$(complete_words _mechcert "$mechcert" prove m.safetensors --strategy "subcubic/max_diff/")
expect "--strategy subcubic/max_diff/" "$(grep '^subcubic/max_diff/' <<<"$strategies")" "$sub"
expect_none "--strategy subcubic/max_diff/" "cubic" "$sub"
# A comma-separated list (sweep --strategies): the part after the last comma is completed.
expect "--strategies list" "cubic,brute-force" "$(complete_words _mechcert "$mechcert" sweep --strategies "cubic,br")"

# Options of a command, from its own --help.
expect "prove options" $'--strategy\n--out\n--json' "$(complete_words _mechcert "$mechcert" prove --)"
expect "train options" $'--k\n--vocab\n--seed\n--out' "$(complete_words _mechcert "$mechcert" train --)"
# A numeric option's value: nothing; a TEXT option's value and positionals: file names.
[[ -z $(complete_words _mechcert "$mechcert" train --seed "") ]] || { echo "FAIL: --seed offers words"; failures=$((failures + 1)); }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
touch "$dir/model.safetensors" "$dir/cert.json"
expect "--out file" "$dir/cert.json" "$(complete_words _mechcert "$mechcert" prove --out "$dir/ce")"
expect "model file" "$dir/model.safetensors" "$(complete_words _mechcert "$mechcert" prove "$dir/mo")"

# mechcert-check: its options and file names.
expect "mechcert-check options" $'--json\n--threads\n--version' "$(complete_words _mechcert_check "$checker" --)"
expect "mechcert-check files" "$dir/cert.json" "$(complete_words _mechcert_check "$checker" "$dir/model.safetensors" "$dir/c")"
[[ -z $(complete_words _mechcert_check "$checker" --threads "") ]] || { echo "FAIL: --threads offers words"; failures=$((failures + 1)); }

# The registrations.
complete -p mechcert | grep -q _mechcert || { echo "FAIL: mechcert not registered"; failures=$((failures + 1)); }
complete -p mechcert-check | grep -q _mechcert_check || { echo "FAIL: mechcert-check not registered"; failures=$((failures + 1)); }

if (( failures )); then echo "$failures failure(s)"; exit 1; fi
echo "completion: $(wc -l <<<"$commands") commands, $(wc -l <<<"$strategies") strategies, options and files: ok"
