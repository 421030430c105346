#!/bin/sh
# t_install.sh - make install / uninstall with DESTDIR and PREFIX, the build's
# one-line message for a missing library, the package groups of
# scripts/deps.sh, and the version naming this implementation.
#   - install puts exactly bin/tcpflow and share/man/man1/tcpflow.1 under
#     DESTDIR/PREFIX; the installed program runs and says the same -V
#   - uninstall removes them and nothing else (a file of another program in
#     the same directories stays); no file or symlink of ours is left
#   - with pkg-config finding nothing, `make` stops before the compiler with
#     one line naming the Debian packages and scripts/deps.sh
#   - the build group (make demo) holds no test-only package
#   - -V: "TCPFLOW 1.6.1 (<name> <version>)", the version scripts/version.sh
#     gives; report.xml's creator says the same
# Runs make in a copy-free way: install/uninstall use the already built
# build/tcpflow (make all first, as make check does).
. "$(dirname "$0")/lib.sh"
MK="make -s --no-print-directory -C $TOP"
[ -x "$TOP/build/tcpflow" ] || skip "build/tcpflow not built (make all first)"

D=$tmp/dest
for prefix in /usr/local /opt/tf; do
    rm -rf "$D"
    $MK install DESTDIR="$D" PREFIX="$prefix" >"$tmp/inst.log" 2>&1; rc=$?
    got=$(cd "$D" && find . ! -type d | LC_ALL=C sort | tr '\n' ' ')
    want="./${prefix#/}/bin/tcpflow ./${prefix#/}/share/man/man1/tcpflow.1 "
    if [ $rc = 0 ] && [ "$got" = "$want" ]; then ok "install PREFIX=$prefix: $got"
    else bad "install PREFIX=$prefix: status $rc, files: $got (want $want)"; cat "$tmp/inst.log"; fi
    v1=$("$D$prefix/bin/tcpflow" -V 2>&1); v0=$("$TOP/build/tcpflow" -V 2>&1)
    [ -n "$v1" ] && [ "$v1" = "$v0" ] && ok "installed tcpflow -V: $v1" || bad "installed -V: '$v1' vs '$v0'"
    cmp -s "$D$prefix/share/man/man1/tcpflow.1" "$TOP/docs/tcpflow.1" && ok "man page installed" || bad "man page differs"
    echo other >"$D$prefix/bin/other-program"
    $MK uninstall DESTDIR="$D" PREFIX="$prefix" >"$tmp/un.log" 2>&1; rc=$?
    left=$(cd "$D" && find . ! -type d | LC_ALL=C sort | tr '\n' ' ')
    if [ $rc = 0 ] && [ "$left" = "./${prefix#/}/bin/other-program " ]; then
        ok "uninstall PREFIX=$prefix: nothing of ours left, another program's file kept"
    else bad "uninstall PREFIX=$prefix: status $rc, left: $left"; cat "$tmp/un.log"; fi
    $MK uninstall DESTDIR="$D" PREFIX="$prefix" >/dev/null 2>&1 && ok "uninstall again: status 0" || bad "uninstall twice fails"
done

# a missing library: one line naming the packages, before any compiler run
PKG_CONFIG_LIBDIR=/nonexistent $MK BUILD="$tmp/b" all >"$tmp/out" 2>&1; rc=$?
n=$(wc -l <"$tmp/out")
if [ $rc != 0 ] && [ "$n" -le 2 ] && grep -q "^tcpflow: missing Debian package(s) libpcap-dev .*libcairo2-dev.*scripts/deps.sh" "$tmp/out" \
   && ! grep -q "No such file\|cc " "$tmp/out" && [ ! -e "$tmp/b/src" ]; then
    ok "pkg-config finds nothing: $(head -n 1 "$tmp/out" | cut -c1-120)..."
else bad "missing libraries: status $rc, $n lines:"; head -n 5 "$tmp/out"; fi
# the message is one line (make may add its own "make: *** [pkgcheck] Error 1")
[ "$(grep -c 'missing Debian' "$tmp/out")" = 1 ] && ok "one line" || bad "not one line"

# package groups: make demo installs the build group only
b=$(sh "$TOP/scripts/deps.sh" --list build); t=$(sh "$TOP/scripts/deps.sh" --list test)
both=""
for p in $b; do for q in $t; do [ "$p" = "$q" ] && both="$both $p"; done; done
[ -z "$both" ] && ok "build and test groups are disjoint" || bad "in both groups:$both"
testonly=""
for p in tcpflow tcpdump tshark python3-scapy clang libcmocka-dev jq nftables poppler-utils; do
    case " $b " in *" $p "*) testonly="$testonly $p";; esac
done
[ -z "$testonly" ] && ok "build group holds no test-only package ($(echo $b | wc -w) packages)" || bad "build group holds:$testonly"
$MK -n demo 2>/dev/null | grep -q "deps.sh build" && ok "make demo installs the build group" || bad "make demo: $($MK -n demo 2>&1 | head -n 3)"
$MK -n check 2>/dev/null | grep -q "deps.sh all" && ok "make check installs both groups" || bad "make check: $($MK -n check 2>&1 | head -n 3)"

# version: 1.6.1 for scripts, then this implementation and its version
v=$("$TCPFLOW" -V); want="TCPFLOW 1.6.1 (tcpflow-c11 $(sh "$TOP/scripts/version.sh"))"
[ "$v" = "$want" ] && ok "-V: $v" || bad "-V: '$v', want '$want'"
mkdir -p "$tmp/r"
"$TCPFLOW" -r "$TOP/tests/data/demo.pcap" -o "$tmp/r" >/dev/null 2>&1
"$PY" - "$tmp/r/report.xml" "$(sh "$TOP/scripts/version.sh")" <<'EOF' && ok "report.xml: creator version 1.6.1, implementation tcpflow-c11 $(sh "$TOP/scripts/version.sh")" || bad "report.xml creator"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
ns = {"": r.tag[1:].split("}")[0]} if r.tag.startswith("{") else {}
c = r.find("creator", ns)
assert c.findtext("program", namespaces=ns) == "TCPFLOW"
assert c.findtext("version", namespaces=ns) == "1.6.1"
i = c.find("implementation", ns)
assert i is not None and i.text == "tcpflow-c11" and i.get("version") == sys.argv[2], (i.text, i.attrib)
EOF
finish
