#!/usr/bin/env bash
# CTest packaging_install: `cmake --install BUILD --prefix TMP` installs a working tool: the
# programs run from the prefix (moved elsewhere after installing, with a minimal environment, so
# nothing can come from the build tree), print the project version, and the installed checker
# verifies a shipped example certificate and one the installed generator has just written.
#   test_install.sh BUILD_DIR VERSION MAN_PAGES(ON|OFF) "PROGRAMS"
set -euo pipefail
build=$1 version=$2 man=$3 programs=$4
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/staged" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
# Relocatable: the installed tree works after it is moved.
mv "$tmp/staged" "$tmp/prefix"
p=$tmp/prefix
run() { env -i PATH="$p/bin:/usr/bin:/bin" HOME="$tmp" "$@"; }

for prog in $programs; do
  [[ -x $p/bin/$prog ]] || fail "bin/$prog not installed"
  dynamic=$(readelf -d "$p/bin/$prog") || fail "readelf $prog"
  if grep -E 'R(UN)?PATH' <<<"$dynamic" | grep -qF "$build"; then fail "$prog has an RPATH into the build tree"; fi
  [[ -f $p/share/bash-completion/completions/$prog ]] || fail "bash completion for $prog not installed"
  if [[ $man == ON ]]; then
    [[ -f $p/share/man/man1/$prog.1.gz ]] || fail "man page $prog.1.gz not installed"
    page=$(zcat "$p/share/man/man1/$prog.1.gz") || fail "$prog.1.gz is not gzip"
    grep -q "^\.TH" <<<"$page" || fail "$prog.1.gz is not a man page"
    if grep -qF "$build" <<<"$page"; then fail "$prog.1.gz names the build tree"; fi
  fi
done
cmp "$p/share/mechcert/certificate.schema.json" "$(dirname "$0")/../../format/certificate.schema.json" || fail "schema"
[[ -f $p/share/mechcert/SPEC.md ]] || fail "SPEC.md not installed"
[[ -f $p/share/doc/mechcert/README.md ]] || fail "README.md not installed"

# --version: the project version and the certificate format version; the checker's line count.
# Outputs are captured before grep: under pipefail, grep -q ending a pipe can SIGPIPE the writer.
out=$(run mechcert --version) || fail "mechcert --version failed"
grep -qxF "mechcert $version (certificate format v1)" <<<"$out" || fail "mechcert --version: $out"
out=$(run mechcert-check --version) || fail "mechcert-check --version failed"
head -1 <<<"$out" | grep -qxF "mechcert-check $version (certificate format v1)" || fail "mechcert-check --version"
grep -qE '^trusted code: [0-9]+ lines' <<<"$out" || fail "mechcert-check --version: no trusted line count"

# The installed checker on a shipped example, from another directory.
ex=$p/share/mechcert/examples
cd "$tmp"
out=$(run mechcert-check "$ex/max4-seed50.safetensors" "$ex/max4-seed50.cubic.cert.json") || fail "installed checker rejected the shipped cubic example"
grep -q '^VALID: accuracy >= ' <<<"$out" || fail "no VALID line: $out"
# ... and it still rejects: the same certificate for another model (exit code 1).
set +e
run mechcert-check "$ex/max4-seed104.safetensors" "$ex/max4-seed50.cubic.cert.json" >/dev/null 2>"$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] || fail "wrong model: exit $rc, expected 1"
grep -q 'rejected: model' "$tmp/err" || fail "wrong model: $(cat "$tmp/err")"

# The installed generator proves, the installed checker verifies.
out=$(run mechcert strategies) || fail "installed mechcert strategies failed"
grep -q '^cubic ' <<<"$out" || fail "installed mechcert strategies"
run mechcert prove "$ex/max4-seed50.safetensors" --strategy cubic --out "$tmp/c.json" --quiet >/dev/null || fail "installed mechcert prove"
out=$(run mechcert-check --json "$ex/max4-seed50.safetensors" "$tmp/c.json") || fail "installed checker on a fresh certificate"
grep -q '"valid":true' <<<"$out" || fail "installed checker on a fresh certificate: $out"
echo "install: $(cd "$p" && find . -type f | wc -l) files under the prefix; installed programs and example: ok"
