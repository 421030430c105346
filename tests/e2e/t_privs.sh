#!/bin/sh
# -U user and -z dir (SPEC 1 and 9): root is given up right after the first
# capture is opened; flow files and the report belong to the user; with -z the
# output directory (and report) are inside the chroot directory.  Better than
# 1.6.1: an output directory this run creates is given to the user (1.6.1
# makes it root's 0755 and then cannot write a single flow file into it), and
# a failed drop or an output directory the user cannot write stops the run
# instead of going on (as root, or losing every flow).
. "$(dirname "$0")/lib.sh"
need_root
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
T=$TCPFLOW
D=$TOP/tests/data/demo.pcap
chmod 755 "$tmp"                    # nobody must reach the output directories
ng=$(id -gn nobody)
wf() { xmllint --noout "$1" 2>/dev/null && tail -c 20 "$1" | grep -q '</dfxml>'; }
owners() { find "$1" -mindepth 1 -printf '%u:%g\n' | sort -u | tr '\n' ' '; }
# under ASan, LeakSanitizer cannot read /proc inside a chroot
lsan_off() { if [ -n "${TCPFLOW_SANITIZED:-}" ]; then env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$@"; else "$@"; fi; }

$T -r "$D" -o "$tmp/ref" 2>/dev/null || bad "reference run failed"
ref=$(sums "$tmp/ref")

# 1. -U nobody, new output directory: everything written as nobody
$T -U nobody -r "$D" -o "$tmp/u" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(sums "$tmp/u")" = "$ref" ] && [ "$(owners "$tmp/u")" = "nobody:$ng " ] \
    && [ "$(stat -c %U "$tmp/u")" = nobody ] && grep -qx 'dropped privs to nobody' "$tmp/err" && wf "$tmp/u/report.xml" \
    && ok "-U nobody: exit 0, 'dropped privs to nobody', same files, all owned by nobody (directory too), report well-formed" \
    || bad "-U nobody: rc=$rc owners='$(owners "$tmp/u")' $(cat "$tmp/err")"

# 2. the same as 1.6.1 in a directory both can write (1.6.1 cannot write into one it makes)
if [ -x "$ORACLE" ]; then
    mkdir -m 777 "$tmp/o1" "$tmp/o2"
    $ORACLE -U nobody -r "$D" -o "$tmp/o1" >/dev/null 2>&1
    $T -U nobody -r "$D" -o "$tmp/o2" 2>/dev/null
    [ "$(sums "$tmp/o1")" = "$(sums "$tmp/o2")" ] && [ "$(owners "$tmp/o1")" = "$(owners "$tmp/o2")" ] \
        && ok "-U nobody in a 0777 directory: same names, bytes and owners as 1.6.1" \
        || bad "-U vs 1.6.1: ours '$(owners "$tmp/o2")' 1.6.1 '$(owners "$tmp/o1")'"
    rm -rf "$tmp/o3"
    $ORACLE -U nobody -r "$D" -o "$tmp/o3" >/dev/null 2>&1; orc=$?
    echo "    for information: 1.6.1 with -U nobody and a new -o directory: exit $orc, $(find "$tmp/o3" -type f ! -name report.xml | wc -l) flow files"
fi

# 3. -z: the output directory is inside the chroot directory
mkdir -m 755 "$tmp/jail"
lsan_off $T -U nobody -z "$tmp/jail" -r "$D" -o out 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ "$(sums "$tmp/jail/out")" = "$ref" ] && wf "$tmp/jail/out/report.xml" && [ ! -e out ] \
    && [ "$(owners "$tmp/jail/out")" = "nobody:$ng " ] \
    && ok "-U nobody -z DIR -o out: files and report in DIR/out, owned by nobody" \
    || bad "-z: rc=$rc $(ls -R "$tmp/jail" | head -5) $(cat "$tmp/err")"
lsan_off $T -U nobody -z "$tmp/jail" -r "$D" -o /abs 2>/dev/null; rc=$?
[ $rc = 0 ] && [ "$(sums "$tmp/jail/abs")" = "$ref" ] && ok "-z DIR -o /abs: files in DIR/abs" || bad "-z -o /abs: rc=$rc"

# 4. errors: unknown user, -z without -U
rm -rf "$tmp/n"
$T -U no-such-user-x -r "$D" -o "$tmp/n" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "Couldn't find user 'no-such-user-x'" "$tmp/err" && [ ! -e "$tmp/n" ] \
    && ok "-U unknown user: exit 1, named, nothing created" || bad "-U unknown: rc=$rc $(cat "$tmp/err")"
$T -z "$tmp/jail" -r "$D" -o "$tmp/n" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q -- "-z option requires -U option" "$tmp/err" && ok "-z without -U: exit 1, named" \
    || bad "-z alone: rc=$rc $(cat "$tmp/err")"

# 5. an existing output directory nobody cannot write: stop, say so, no flow file
mkdir -m 755 "$tmp/rootdir"
$T -U nobody -r "$D" -o "$tmp/rootdir" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "cannot write to $tmp/rootdir as nobody" "$tmp/err" \
    && [ "$(find "$tmp/rootdir" -type f ! -name report.xml | wc -l)" = 0 ] && wf "$tmp/rootdir/report.xml" \
    && ok "-U nobody, root's 0755 directory: exit 1, 'cannot write to DIR as nobody', report closed" \
    || bad "unwritable dir: rc=$rc $(cat "$tmp/err")"

# 6. a later input that only root can read fails after the drop; the first is processed
cp "$D" "$tmp/secret.pcap"; chmod 600 "$tmp/secret.pcap"
$T -U nobody -r "$D" -r "$tmp/secret.pcap" -o "$tmp/two" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "secret.pcap" "$tmp/err" && [ "$(sums "$tmp/two")" = "$ref" ] \
    && ok "second input readable only by root: exit 1, named, the first input's flows written" \
    || bad "root-only second input: rc=$rc $(cat "$tmp/err")"
finish
