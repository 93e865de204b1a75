#!/usr/bin/env bash
# CTest packaging_deb: `cpack -G DEB` builds mechcert_<version>_<arch>.deb with the programs, the
# schema, SPEC.md, the examples, man pages and bash completion under /usr, and Depends covering
# every shared library the programs need (checked against the programs' own NEEDED entries and the
# Debian packages that ship those libraries, not against a hard-coded list). The package's checker,
# unpacked with dpkg -x into a temporary directory (the machine is not touched), verifies a
# shipped example.
#   test_deb.sh BUILD_DIR VERSION MAN_PAGES(ON|OFF) "PROGRAMS"
set -euo pipefail
build=$1 version=$2 man=$3 programs=$4
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

start=$(date +%s%N)
(cd "$build" && cpack -G DEB -B "$tmp/out") >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
arch=$(dpkg --print-architecture)
deb=$tmp/out/mechcert_${version}_${arch}.deb
[[ -f $deb ]] || fail "no $deb (cpack wrote: $(ls "$tmp/out"))"

# Control fields.
info=$(dpkg-deb -I "$deb")
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == mechcert ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version)"
[[ $(field Architecture) == "$arch" ]] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
[[ -n $depends ]] || fail "no Depends field: $info"
# Package names in Depends (alternatives and version constraints stripped).
dep_names=$(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*)//; s/[[:space:]]//g' | sed '/^$/d' | sort -u)
for lib in libgmp10 libmpfr6 libsodium23 libstdc++6 libc6; do
  grep -qx "$lib" <<<"$dep_names" || fail "Depends lacks $lib: $depends"
done

# Files: everything under /usr, nothing from the build tree.
files=$(dpkg-deb -c "$deb" | awk '{ print $NF }')
for f in $programs; do grep -qx "./usr/bin/$f" <<<"$files" || fail "no /usr/bin/$f in the package"; done
for f in ./usr/share/mechcert/certificate.schema.json ./usr/share/mechcert/SPEC.md \
         ./usr/share/mechcert/examples/max4-seed50.safetensors \
         ./usr/share/mechcert/examples/max4-seed50.cubic.cert.json \
         ./usr/share/bash-completion/completions/mechcert \
         ./usr/share/bash-completion/completions/mechcert-check ./usr/share/doc/mechcert/README.md; do
  grep -qx "$f" <<<"$files" || fail "no $f in the package"
done
if [[ $man == ON ]]; then
  for f in $programs; do grep -qx "./usr/share/man/man1/$f.1.gz" <<<"$files" || fail "no man page $f.1.gz"; done
fi
outside=$(grep -v '^\./usr/' <<<"$files" | grep -vx '\./' | grep -vx '\./usr/' || true)
[[ -z $outside ]] || fail "files outside /usr: $outside"

# Unpack without installing; every library a program needs is in a package that Depends names.
dpkg -x "$deb" "$tmp/root"
libs=$("$(command -v ldconfig || echo /sbin/ldconfig)" -p)  # read once: a pipe that awk closes early would fail under pipefail
for f in $programs; do
  bin=$tmp/root/usr/bin/$f
  for soname in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
    path=$(awk -v s="$soname" '$1 == s && /x86-64|x86_64|64bit/ { print $NF; exit }' <<<"$libs")
    [[ -n $path ]] || path=$(awk -v s="$soname" '$1 == s { print $NF; exit }' <<<"$libs")
    [[ -n $path ]] || fail "$f needs $soname, which is not on this system"
    real=$(readlink -f "$path")
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "*/$soname" 2>/dev/null || true)
    pkg=$(head -1 <<<"$pkg" | cut -d: -f1)
    [[ -n $pkg ]] || fail "$f needs $soname ($path): no Debian package ships it"
    grep -qx "$pkg" <<<"$dep_names" || fail "$f needs $soname from package $pkg, which Depends ($depends) does not name"
  done
done
ex=$tmp/root/usr/share/mechcert/examples
out=$("$tmp/root/usr/bin/mechcert-check" "$ex/max4-seed50.safetensors" "$ex/max4-seed50.cubic.cert.json") ||
  fail "the packaged checker rejected the shipped cubic example"
grep -q '^VALID: ' <<<"$out" || fail "no VALID line: $out"
out=$("$tmp/root/usr/bin/mechcert" --version) || fail "packaged mechcert --version failed"
grep -qxF "mechcert $version (certificate format v1)" <<<"$out" || fail "packaged mechcert --version: $out"
echo "deb: $(basename "$deb"), $(stat -c %s "$deb") bytes, $(wc -l <<<"$files") entries, cpack ${ms} ms"
echo "Depends: $depends"
