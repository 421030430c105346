#!/bin/sh
# The python scanner (-e python -S py_path=.. -S py_module=.. -S py_function=..;
# docs/internals/python.md), with the plug-ins of tests/e2e/python/e2eplug.py
# and the checker tests/e2e/python/check_report.py:
#  1. every corpus capture, with -S py_arg=str, bytes and memoryview: each
#     fileobject has one <tcpflow:result> holding exactly the length and
#     SHA-256 of its flow file (of nothing when it has none), the report is
#     well-formed and namespace-well-formed, the exit status is a plain run's;
#     -FX gives every flow the same bytes (same result per flow_id)
#  2. metadata: family, addresses, ports, VLAN, packets, file name as the
#     fileobject says (IPv4, IPv6, VLAN, QinQ, tunnels, pcapng)
#  3. a function returning the flow itself: the text, unescaped, is the file
#  4. a function that raises on some flows: one traceback, a count at the
#     end, <tcpflow:error> in those flows, results in the others, exit 1
#  5. a missing module, function, py_path: one line, exit 1, nothing written
#  6. -c: the function is called once per flow (results go nowhere)
#  7. a flow of PY_BIG_MB (300; 120 under ASan) MiB: exact in every py_arg;
#     -FX: its first py_max_bytes, said (truncated=, a counter); -FX -b 100M
#  8. -U nobody, the plug-in in a directory only root can read (imported
#     before privileges are dropped)
#  9. the plug-ins of python/plugins: their results on known flows, the same
#     with every py_arg; regexSearch's offsets point at its matches
# 10. real traffic between network namespaces (netlab.py): every direction's
#     result is what the peer sent (skipped without root/netns)
# 11. -j 4 (three scanner instances on worker threads, one interpreter): the
#     same results as -j 1, with and without files; one traceback, one count
. "$(dirname "$0")/lib.sh"
T=$TCPFLOW
P=$TOP/tests/e2e/python
CHK="$PY $P/check_report.py"
PYS="-e python -S py_path=$P -S py_module=e2eplug"
wf() { xmllint --noout "$1" 2>"$tmp/xmllint.err" && tail -c 20 "$1" | grep -q '</dfxml>'; }
[ -f "$CORPUS/MANIFEST.md" ] || skip "no corpus at $CORPUS"
export PYTHONDONTWRITEBYTECODE=1

# ---- 1. the corpus, three argument types, and -FX ----
caps=0; flows=0; c1=0
for c in "$CORPUS"/*; do
    case $c in *.md) continue;; esac
    sample 3 || continue                 # sanitizers: a third of the captures
    name=$(basename "$c")
    caps=$((caps+1))
    $T -r "$c" -o "$tmp/ref" -FX >/dev/null 2>&1; prc=$?
    for a in str bytes memoryview; do
        o=$tmp/c.$a
        $T -r "$c" -o "$o" $PYS -S py_function=typed -S py_arg=$a >/dev/null 2>"$tmp/err"; rc=$?
        if [ $rc != $prc ] || grep -q 'python:' "$tmp/err"; then
            bad "$name py_arg=$a: exit $rc (plain run $prc): $(grep python "$tmp/err" | head -3)"; c1=1
        elif ! wf "$o/report.xml"; then
            bad "$name py_arg=$a: report not well-formed: $(head -3 "$tmp/xmllint.err")"; c1=1
        elif ! $CHK lenhash "$o/report.xml" $a >"$tmp/chk" 2>&1; then
            bad "$name py_arg=$a:"; cat "$tmp/chk"; c1=1
        fi
    done
    $T -r "$c" -o "$tmp/c.fx" -FX $PYS -S py_function=typed >/dev/null 2>&1
    $CHK fx "$tmp/c.str/report.xml" "$tmp/c.fx/report.xml" >"$tmp/chk" 2>&1 \
        || { bad "$name -FX: not the same bytes as the flow files"; cat "$tmp/chk"; c1=1; }
    flows=$((flows + $(grep -c '<fileobject>' "$tmp/c.str/report.xml")))
    rm -rf "$tmp"/c.* "$tmp/ref"
done
[ $c1 = 0 ] && ok "corpus: $caps captures, $flows flows: every result the exact length and SHA-256 of its flow file with py_arg=str, bytes and memoryview, the same bytes with -FX, reports namespace-well-formed, plain exit status"

# ---- 2. metadata ----
m=0
for name in ipv6_frag_tcp_vlan.pcap qinq_http.pcap vlan_http.pcap gre_ssh.pcap ipip_4in6_tls.pcap \
            pcapng_many_interfaces.pcapng ftp_ipv6_data.pcap large_web_mix_3.8m.pcap; do
    [ -f "$CORPUS/$name" ] || continue
    o=$tmp/m
    $T -r "$CORPUS/$name" -o "$o" $PYS -S py_function=meta >/dev/null 2>&1
    $CHK meta "$o/report.xml" >"$tmp/chk" 2>&1 && m=$((m+1)) || { bad "metadata of $name:"; cat "$tmp/chk"; }
    rm -rf "$o"
done
[ $m -gt 0 ] && ok "metadata: family, addresses, ports, VLAN, packets, file name right in every flow of $m captures"

# ---- 3. the flow itself as the result: escaping round-trips ----
r=0; esc=0
for name in large_web_mix_3.8m.pcap tls12_handshake.pcap smtp_mixed_ooo.pcap mysql_plain.pcap telnet_session.pcap; do
    [ -f "$CORPUS/$name" ] || continue
    o=$tmp/r
    $T -r "$CORPUS/$name" -o "$o" $PYS -S py_function=raw >/dev/null 2>&1
    if wf "$o/report.xml" && $CHK raw "$o/report.xml" >"$tmp/chk" 2>&1; then
        r=$((r+1)); esc=$((esc + $(grep -c 'escaped="1"' "$o/report.xml")))
    else bad "raw $name: $(head -3 "$tmp/xmllint.err")"; cat "$tmp/chk"; fi
    rm -rf "$o"
done
[ $r -gt 0 ] && [ $esc -gt 0 ] && ok "the flows themselves as results ($r captures, $esc escaped): well-formed, and unescaped they are the flow files"

# ---- 4. exceptions ----
C=$CORPUS/large_web_mix_3.8m.pcap
$T -r "$C" -o "$tmp/e0" -FX >/dev/null 2>&1; prc=$?
$T -r "$C" -o "$tmp/e" $PYS -S py_function=odd_raises >/dev/null 2>"$tmp/err"; rc=$?
nerr=$($CHK errors "$tmp/e/report.xml" 2>"$tmp/chk"); crc=$?
n0=$(grep -c '<fileobject>' "$tmp/e0/report.xml"); n1=$(grep -c '<fileobject>' "$tmp/e/report.xml")
if [ $prc = 0 ] && [ $rc = 1 ] && [ $crc = 0 ] && [ "$nerr" -gt 0 ] && [ "$n0" = "$n1" ] \
    && [ "$(grep -c '^Traceback' "$tmp/err")" = 1 ] && grep -q 'raise ValueError' "$tmp/err" \
    && grep -q "python: e2eplug.odd_raises raised an exception on $nerr of $n1 flow(s)\$" "$tmp/err" \
    && grep -q "<counter name='python function calls that raised an exception'>$nerr</counter>" "$tmp/e/report.xml" \
    && grep -q '<run_status>complete' "$tmp/e/report.xml" && wf "$tmp/e/report.xml"; then
    ok "exceptions: $nerr of $n1 flows raised: one traceback, the count at the end, <tcpflow:error> in those flows, results in the others, every flow reported, exit 1"
else
    bad "exceptions: exit $rc (plain $prc), $nerr errors, $n1 of $n0 fileobjects"; cat "$tmp/chk"; head -20 "$tmp/err"
fi
rm -rf "$tmp/e" "$tmp/e0"

# ---- 5. what cannot be found: one line, exit 1, before any packet ----
err_case() {
    what=$1 want=$2; shift 2
    rm -rf "$tmp/x"
    $T -r "$C" -o "$tmp/x" -e python "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ $rc = 1 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && grep -qF "$want" "$tmp/err" && [ ! -s "$tmp/out" ] \
        && [ -z "$(ls -A "$tmp/x" 2>/dev/null)" ]; then
        ok "$what: exit 1, one line ($(cat "$tmp/err")), nothing written"
    else
        bad "$what: exit $rc, $(cat "$tmp/err"), $(ls "$tmp/x" 2>/dev/null | head -3)"
    fi
}
err_case "missing module" "python: cannot import module 'nosuch' from py_path '$P': ModuleNotFoundError: No module named 'nosuch'" \
    -S py_path="$P" -S py_module=nosuch -S py_function=f
err_case "missing function" "python: module 'e2eplug' has no function 'nosuch'" \
    -S py_path="$P" -S py_module=e2eplug -S py_function=nosuch
err_case "missing py_path" "python: py_path '$tmp/nodir' does not exist" \
    -S py_path="$tmp/nodir" -S py_module=e2eplug -S py_function=lenhash
err_case "no module given" "python: -e python needs -S py_module=NAME and -S py_function=NAME" \
    -S py_path="$P"
err_case "bad py_arg" "python: -S py_arg must be str, bytes or memoryview, not 'text'" \
    -S py_path="$P" -S py_module=e2eplug -S py_function=lenhash -S py_arg=text

# ---- 6. -c: called once per flow ----
: > "$tmp/side"
TCPFLOW_PY_OUT=$tmp/side $T -r "$C" -c $PYS -S py_function=side_effect >/dev/null 2>"$tmp/err"; rc=$?
$T -r "$C" -o "$tmp/s" >/dev/null 2>&1
want=$($PY -c 'import sys, re; print(" ".join(sorted(re.findall(r"<filesize>(\d+)</filesize>", open(sys.argv[1]).read()))))' "$tmp/s/report.xml")
got=$(sort "$tmp/side" | grep -v '^0$' | tr '\n' ' ' | sed 's/ $//')
want_sorted=$(echo "$want" | tr ' ' '\n' | sort | grep -v '^0$' | tr '\n' ' ' | sed 's/ $//')
[ $rc = 0 ] && [ -n "$got" ] && [ "$got" = "$want_sorted" ] \
    && ok "-c: the function called for every flow ($(wc -l < "$tmp/side") calls, lengths those of the flow files)" \
    || bad "-c: exit $rc, lengths '$got' want '$want_sorted' $(head -3 "$tmp/err")"
rm -rf "$tmp/s"

# ---- 7. a flow of several hundred MiB ----
mb=${PY_BIG_MB:-300}
[ -n "${TCPFLOW_SANITIZED:-}" ] && mb=${PY_BIG_MB:-120}
$PY "$P/bigflow.py" "$tmp/big.pcap" "$mb" > "$tmp/big.sums"
full=$(sed -n 1p "$tmp/big.sums"); h16=$(sed -n 2p "$tmp/big.sums"); h100=$(sed -n 3p "$tmp/big.sums")
for a in str bytes memoryview; do
    o=$tmp/big.$a
    /usr/bin/time -f "%e %M" -o "$tmp/time" $T -r "$tmp/big.pcap" -o "$o" $PYS -S py_function=lenhash -S py_arg=$a \
        >/dev/null 2>"$tmp/err"; rc=$?
    if [ $rc = 0 ] && grep -qF "function=\"lenhash\">$full</tcpflow:result>" "$o/report.xml" \
        && $CHK lenhash "$o/report.xml" >/dev/null; then
        ok "$mb MiB flow, py_arg=$a: exact ($(cut -d' ' -f1 "$tmp/time") s, peak RSS $(( $(cut -d' ' -f2 "$tmp/time") / 1024 )) MiB)"
    else
        bad "$mb MiB flow, py_arg=$a: exit $rc $(head -5 "$tmp/err")"
    fi
    rm -rf "$o"
done
o=$tmp/big.fx
$T -r "$tmp/big.pcap" -o "$o" -FX $PYS -S py_function=lenhash >/dev/null 2>"$tmp/err"; rc=$?
left=$(( (mb << 20) - (16 << 20) ))
[ $rc = 0 ] && grep -qF "function=\"lenhash\" truncated=\"$left\">$h16</tcpflow:result>" "$o/report.xml" \
    && grep -qF "(in memory: past py_max_bytes or py_memcap)'>$left</counter>" "$o/report.xml" \
    && grep -qF "python: 1 flow(s) given in part, $left bytes left out" "$tmp/err" \
    && ok "-FX, $mb MiB flow: the function gets its first 16 MiB (py_max_bytes), truncated=\"$left\", counted, said at the end" \
    || bad "-FX big flow: exit $rc $(grep -o 'function="lenhash"[^<]*' "$o/report.xml" | head -2)"
rm -rf "$o"
$T -r "$tmp/big.pcap" -o "$o" -FX -b 104857600 -S py_memcap=200000000 $PYS -S py_function=lenhash >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && grep -qF "function=\"lenhash\">$h100</tcpflow:result>" "$o/report.xml" \
    && ! grep -q 'bytes not given to the python function' "$o/report.xml" \
    && ok "-FX -b 100M: the function gets the flow's first 100 MiB, as a file would hold (not counted)" \
    || bad "-FX -b 100M: exit $rc $(grep -o 'function="lenhash"[^<]*' "$o/report.xml" | head -2)"
rm -rf "$o" "$tmp/big.pcap"

# ---- 8. -U nobody: imported before privileges are dropped ----
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chmod 755 "$tmp"
    mkdir -m 700 "$tmp/priv"
    cp "$P/e2eplug.py" "$tmp/priv/"
    $T -U nobody -r "$C" -o "$tmp/u" -e python -S py_path="$tmp/priv" -S py_module=e2eplug -S py_function=lenhash \
        >/dev/null 2>"$tmp/err"; rc=$?
    owners=$(find "$tmp/u" -mindepth 1 -printf '%u\n' | sort -u | tr '\n' ' ')
    [ $rc = 0 ] && grep -qx 'dropped privs to nobody' "$tmp/err" && [ "$owners" = "nobody " ] \
        && $CHK lenhash "$tmp/u/report.xml" >"$tmp/chk" 2>&1 \
        && ok "-U nobody: the plug-in (in a directory only root reads) imported before the drop; $(cat "$tmp/chk"), files nobody's" \
        || { bad "-U nobody: exit $rc owners '$owners' $(head -3 "$tmp/err")"; cat "$tmp/chk"; }
    rm -rf "$tmp/u" "$tmp/priv"
else
    echo "not root: -U nobody not checked"
fi

# ---- 9. the shipped plug-ins ----
PP=$TOP/python/plugins
plug() {    # plug OUT MODULE FUNCTION CAPTURE ARG
    $T -r "$CORPUS/$4" -o "$1" -e python -S py_path="$PP" -S py_module="$2" -S py_function="$3" -S py_arg="$5" \
        >/dev/null 2>"$tmp/err" && wf "$1/report.xml" && $CHK results "$1/report.xml"
}
G=http_gzip_content_encoding.pcap
for a in str bytes memoryview; do
    plug "$tmp/p" samplePlugin sampleFunction $G $a > "$tmp/p.$a.sample"
    plug "$tmp/p2" samplePlugin sampleFunctionMeta $G $a > "$tmp/p.$a.meta"
    plug "$tmp/p3" entropy entropy $G $a > "$tmp/p.$a.entropy"
    plug "$tmp/p4" regexSearch search large_web_mix_3.8m.pcap $a > "$tmp/p.$a.regex"
    rm -rf "$tmp"/p "$tmp"/p2 "$tmp"/p3
    [ $a = str ] && { nm=$($CHK regex "$tmp/p4/report.xml" 2>"$tmp/chk") || { bad "regexSearch offsets"; cat "$tmp/chk"; }; }
    rm -rf "$tmp/p4"
done
printf "length=79 first_line='GET /gzip HTTP/1.1'\nlength=342 first_line='HTTP/1.1 200 OK'\n" > "$tmp/want.sample"
printf "141.142.228.5:50153 -> 54.243.118.187:80 length=79 first_line='GET /gzip HTTP/1.1' (fin)\n54.243.118.187:80 -> 141.142.228.5:50153 length=342 first_line='HTTP/1.1 200 OK' (fin)\n" > "$tmp/want.meta"
printf "entropy=4.890 sampled=79 length=79 type=http-request\nentropy=6.581 sampled=342 length=342 type=http-response content_type=application/json\n" > "$tmp/want.entropy"
pf=0
for k in sample meta entropy; do
    for a in str bytes memoryview; do cmp -s "$tmp/want.$k" "$tmp/p.$a.$k" || { bad "plug-in $k py_arg=$a: $(head -2 "$tmp/p.$a.$k")"; pf=1; }; done
done
for a in bytes memoryview; do cmp -s "$tmp/p.str.regex" "$tmp/p.$a.regex" || { bad "regexSearch py_arg=$a differs from str"; pf=1; }; done
grep -q '^[0-9]* url http://www.ynet.co.il/' "$tmp/p.str.regex" || { bad "regexSearch found no URL"; pf=1; }
TCPFLOW_REGEX='(?i)host: [a-z0-9.]+' $T -r "$CORPUS/$G" -o "$tmp/p5" -e python -S py_path="$PP" -S py_module=regexSearch \
    -S py_function=search >/dev/null 2>&1
$CHK regex "$tmp/p5/report.xml" >/dev/null 2>&1 && [ "$($CHK results "$tmp/p5/report.xml")" = "45 regex Host: httpbin.org" ] \
    || { bad "TCPFLOW_REGEX: $($CHK results "$tmp/p5/report.xml")"; pf=1; }
[ $pf = 0 ] && ok "plug-ins: samplePlugin, entropy exact on known flows, regexSearch ($nm matches) at the right offsets, TCPFLOW_REGEX, the same with every py_arg"

# ---- 10. real traffic ----
RT=$TOP/tests/e2e/realtraffic
if [ "$(id -u)" = 0 ] && out=$("$PY" "$RT/netlab.py" probe 2>&1); then
    tag=rtpy$$
    cap=$tmp/rt
    for try in 1 2; do
        rm -rf "$cap"
        timeout --foreground 120 "$PY" "$RT/netlab.py" capture --tag "$tag" --out "$cap" --conns 24 --families 4,6 \
            --max-size 400000 --drop 2 --dup 1 --reorder 2 --timeout 40 2>"$tmp/netlab.log"; nrc=$?
        [ $nrc = 2 ] || break
    done
    "$PY" "$RT/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    if [ $nrc = 0 ]; then
        for a in str memoryview; do
            $T -r "$cap/capture.pcap" -o "$tmp/rto" $PYS -S py_function=meta -S py_arg=$a >/dev/null 2>"$tmp/err"; rc=$?
            if [ $rc = 0 ] && $CHK plan "$tmp/rto/report.xml" "$cap/plan.json" >"$tmp/chk" 2>&1 \
                && $CHK meta "$tmp/rto/report.xml" >>"$tmp/chk" 2>&1; then
                ok "real traffic (24 connections, IPv4 and IPv6, drops, duplicates, reordering), py_arg=$a: $(tr '\n' ' ' < "$tmp/chk")"
            else
                bad "real traffic py_arg=$a: exit $rc"; cat "$tmp/chk"; head -3 "$tmp/err"
            fi
            rm -rf "$tmp/rto"
        done
    else
        bad "real traffic: no capture (netlab exit $nrc)"; tail -5 "$tmp/netlab.log"
    fi
else
    echo "real traffic not checked: ${out:-not root}"
fi
# ---- 11. -j: one instance per worker, one interpreter ----
jf=0
for name in large_web_mix_3.8m.pcap many_flows_650_http_responses.pcap echo_500_connections.pcap; do
    for fx in "" -FX; do
        for j in 1 4; do        # the same directory: the results name the flow files
            rm -rf "$tmp/j"
            $T -j $j -r "$CORPUS/$name" -o "$tmp/j" $fx $PYS -S py_function=meta >/dev/null 2>&1
            $CHK results "$tmp/j/report.xml" > "$tmp/j$j.txt"
        done
        [ -s "$tmp/j1.txt" ] && cmp -s "$tmp/j1.txt" "$tmp/j4.txt" || { bad "-j 4 $fx $name: results differ from -j 1"; diff "$tmp/j1.txt" "$tmp/j4.txt" | head -5; jf=1; }
        rm -rf "$tmp/j"
    done
done
for j in 1 4; do
    $T -j $j -r "$C" -o "$tmp/je$j" $PYS -S py_function=odd_raises >/dev/null 2>"$tmp/je$j.err"; echo $? > "$tmp/je$j.rc"
done
[ "$(cat "$tmp/je4.rc")" = 1 ] && [ "$(grep -c '^Traceback' "$tmp/je4.err")" = 1 ] \
    && [ "$(grep 'raised an exception on [0-9]* of' "$tmp/je4.err")" = "$(grep 'raised an exception on [0-9]* of' "$tmp/je1.err")" ] \
    && [ "$(grep -c 'raised an exception on [0-9]* of' "$tmp/je4.err")" = 1 ] \
    || { bad "-j 4 exceptions: exit $(cat "$tmp/je4.rc"), $(grep -c '^Traceback' "$tmp/je4.err") tracebacks, $(grep 'of [0-9]* flow' "$tmp/je4.err")"; jf=1; }
[ $jf = 0 ] && ok "-j 4: the same results as -j 1 on 3 captures, with files and -FX; exceptions: one traceback, one count ($(grep -o 'on [0-9]* of [0-9]* flow(s)' "$tmp/je4.err"))"
finish
