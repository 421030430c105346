#!/bin/sh
# docs/tcpflow.1: formats without a warning, renders with man(1), and documents
# every option letter of the getopt string, every long option and every -S
# setting that src/app/options.c accepts or a scanner declares (the
# struct scan_setting tables of src/scan/*.c); -hh lists them all too; -H
# lists every scanner of the registry.
. "$(dirname "$0")/lib.sh"
command -v groff >/dev/null || skip "groff not installed"
MAN=$TOP/docs/tcpflow.1
SRC=$TOP/src/app/options.c
[ -f "$MAN" ] || { bad "no $MAN"; finish; }

out=$(groff -ww -man -z "$MAN" 2>&1)
[ -z "$out" ] && ok "groff -ww -man -z: no warnings" || bad "groff warnings: $out"

if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$MAN" 2>"$tmp/manerr" > "$tmp/man.txt" </dev/null
    grep -q '^NAME' "$tmp/man.txt" && grep -q '^OPTIONS' "$tmp/man.txt" && [ ! -s "$tmp/manerr" ] \
        && ok "man -l renders ($(wc -l < "$tmp/man.txt") lines)" || bad "man -l: $(head -c 300 "$tmp/manerr")"
else
    echo "man not installed: rendering with man(1) not checked"
fi

# Plain text, no overstriking, wide lines: option tags start at column 8.
groff -man -Tascii -rLL=200n -P-cbou "$MAN" > "$tmp/plain.txt" 2>/dev/null
T=$TCPFLOW
$T -hh > "$tmp/hh.txt" 2>&1; rc=$?
[ $rc = 0 ] && ok "-hh: exit 0" || bad "-hh: exit $rc"
$T -h > "$tmp/h.txt" 2>&1; rc=$?
[ $rc = 0 ] && [ "$(wc -l < "$tmp/h.txt")" -lt "$(wc -l < "$tmp/hh.txt")" ] && ok "-h: exit 0, shorter than -hh" || bad "-h: exit $rc"
# -H: every scanner of src/scan/registry.c's scanner_registry[], in its order (6: md5, http,
# netviz, tcpdemux, wifiviz, python)
reg=$(sed -n '/scanner_registry\[\] = {/,/};/p' "$TOP/src/scan/registry.c" | sed -n 's/^ *&scan_\([a-z0-9_]*\),.*/\1/p' | tr '\n' ' ')
$T -H > "$tmp/H.txt" 2>&1; rc=$?
listed=$(sed -n 's/^Scanner Name: //p' "$tmp/H.txt" | tr '\n' ' ')
[ $rc = 0 ] && [ "$listed" = "$reg" ] && [ "$(echo $reg | wc -w)" = 6 ] \
    && ok "-H: exit 0, the registry's 6 scanners in order ($listed)" || bad "-H: exit $rc: '$listed', registry '$reg'"
$T -V > "$tmp/V.txt" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^TCPFLOW [0-9]' "$tmp/V.txt" && ok "-V: version, exit 0" || bad "-V: exit $rc $(cat "$tmp/V.txt")"
$T --version > "$tmp/V2.txt" 2>&1; rc=$?
[ $rc = 0 ] && cmp -s "$tmp/V.txt" "$tmp/V2.txt" && ok "--version = -V" || bad "--version: exit $rc"

$PY - "$SRC" "$tmp/plain.txt" "$tmp/hh.txt" "$TOP"/src/scan/*.c <<'EOF'
import re, sys
src, plain, hh = (open(p, errors='replace').read() for p in sys.argv[1:4])
# the scanners' settings: every { "name", "default", "help" } of a struct scan_setting table
scanner_settings = set()
for path in sys.argv[4:]:
    for table in re.findall(r'struct scan_setting \w+\[\] = \{(.*?)\n\};', open(path).read(), re.S):
        scanner_settings |= set(re.findall(r'\{ "([^"]+)",', table))
assert 'py_module' in scanner_settings and 'tcp_cmd' in scanner_settings, scanner_settings
m = re.search(r'getopt_long\(argc, argv, "([^"]*)"', src)
assert m, 'getopt string not found in options.c'
letters = sorted(set(c for c in m.group(1) if c not in '+:'))
lo = re.search(r'struct option longopts\[\] = \{(.*?)\};', src, re.S)
longs = re.findall(r'\{ "([^"]+)"', lo.group(1))
fn = src[src.index('static bool apply_setting'):]
fn = fn[:fn.index('\n}\n')]
settings = sorted(set(re.findall(r'strcmp\(name, "([^"]+)"\)', fn)) | scanner_settings)
assert len(letters) > 30 and len(longs) >= 5 and len(settings) >= 15, (letters, longs, settings)

def section(text, name):
    m = re.search(r'^%s\n(.*?)(?=^[A-Z][A-Z ]+\n)' % re.escape(name), text, re.S | re.M)
    return m.group(1) if m else ''
opts, sets = section(plain, 'OPTIONS'), section(plain, 'SETTINGS')
fails = []
for c in letters:
    if not re.search(r'^ {7}-%s(\s|,|$)' % re.escape(c), opts, re.M):
        fails.append('man page OPTIONS: no entry for -%s' % c)
    if not re.search(r'(^|[\s\[|])-%s' % re.escape(c), hh, re.M) and \
            not re.search(r'\[-[A-Za-z0-9]*%s[A-Za-z0-9]*\]' % re.escape(c), hh):
        fails.append('-hh: -%s not listed' % c)
for l in longs:
    if '--' + l not in opts:
        fails.append('man page OPTIONS: no --%s' % l)
    if '--' + l not in hh:
        fails.append('-hh: --%s not listed' % l)
for s in settings:
    if not re.search(r'^ {7}%s=' % re.escape(s), sets, re.M):
        fails.append('man page SETTINGS: no entry for %s' % s)
    if '-S %s=' % s not in hh:
        fails.append('-hh: -S %s= not listed' % s)
for f in fails:
    print('FAIL ' + f)
print('%s %d option letters, %d long options, %d settings checked in the man page and -hh'
      % ('ok  ' if not fails else 'FAIL', len(letters), len(longs), len(settings)))
sys.exit(1 if fails else 0)
EOF
[ $? = 0 ] || fails=$((fails+1))

# The sections a man page needs
for s in NAME SYNOPSIS DESCRIPTION OPTIONS SETTINGS SCANNERS "FILE NAMES" REPORT "EXIT STATUS" EXAMPLES "DIFFERENCES FROM TCPFLOW 1.6.1"; do
    grep -q "^$s\$" "$tmp/plain.txt" || bad "man page: no section $s"
done
for e in 'tcpflow -r capture.pcap -o out' 'tcpflow -c -i eth0 port 80' 'tcpflow -a -o outdir -Fk -r packets.pcap'; do
    grep -qF "$e" "$tmp/plain.txt" && ok "example: $e" || bad "example missing: $e"
done
finish
