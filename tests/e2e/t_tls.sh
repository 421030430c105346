#!/bin/sh
# t_tls.sh - the tls scanner end to end: tcpflow -e tls -S tls_keylog=FILE on
# real TLS traffic (tests/e2e/tls/lab.py: nginx + curl with every TLS 1.3
# suite, TLS 1.2 AES-GCM, ChaCha20-Poly1305, AES-CBC with SHA-1/256/384 in
# both MAC orders, ECDHE and RSA key exchange, resumption by PSK, ticket and
# session id, uploads and downloads on keep-alive connections; Python ssl
# peers with resumption; openssl s_client/s_server with a HelloRetryRequest,
# KeyUpdates both ways, 0-RTT accepted and rejected), captured on the
# impaired middle link of the real-traffic lab (drops, reordering,
# duplicates).
#
#   files     every plaintext file equals the application bytes the peers
#             sent (none where there were none), report.xml says what the
#             handshake said; tshark -o tls.keylog_file agrees; with -e http
#             every GET's body file equals the served file and every PUT's
#             request body file the uploaded one
#   -j, --shard, -FX   the same files (-j 3; two shards together; -FX: the
#             plaintext files and bodies alone, under the same names)
#   no key, wrong key, unused entry   no plaintext file, each connection
#             counted by its reason on stderr and in report.xml
#   errors    a key log that cannot be read, or none: one line, exit 1
#   live      tcpflow -i on the lab's link while the peers run and the key
#             log grows: the same checks on what it wrote
#   corpus    TLS captures without keys or without handshakes: counted, no
#             plaintext, report.xml valid
# Needs root and ip netns (else skipped), nginx, curl, openssl, tshark.
. "$(dirname "$0")/lib.sh"
need_root
LAB="$TOP/tests/e2e/tls/lab.py"
for t in nginx curl openssl tshark tcpdump xmllint; do
    command -v "$t" >/dev/null 2>&1 || skip "tls: needs $t (scripts/deps.sh)"
done
out=$("$PY" "$TOP/tests/e2e/realtraffic/netlab.py" probe 2>&1) || skip "tls: $out"
tag=tl$$
work=$(mktemp -d /tmp/tcpflow-tls.XXXXXX)
cleanup() {
    "$PY" "$TOP/tests/e2e/realtraffic/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    rm -rf "$tmp"
    if [ $fails != 0 ]; then echo "captures and outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# capture NAME ARGS...: the lab's traffic into $work/NAME (one retry when the traffic itself failed)
capture() {
    name=$1; shift
    d="$work/$name"
    rc=1
    for try in 1 2; do
        rm -rf "$d"
        timeout --foreground 240 "$PY" "$LAB" capture --tag "$tag" --out "$d" "$@" 2>"$d.log"
        rc=$?
        sed 's/^/    /' "$d.log"
        case $rc in
            0) return 0;;
            77) skip "tls: $(tail -n 1 "$d.log")";;
            2) echo "    traffic failed, try $try";;
            *) break;;
        esac
    done
    bad "$name: could not produce the capture"
    return 1
}

# check NAME DIR ARGS...: lab.py check on what tcpflow wrote in DIR
check() {
    name=$1 dir=$2; shift 2
    if "$PY" "$LAB" check --dir "$d" --flows "$dir" "$@" >"$dir.check" 2>&1; then
        tail -n 1 "$dir.check" | sed 's/^/    /'
        ok "$name"
    else
        grep -v '^ok' "$dir.check" | sed 's/^/    /'
        bad "$name"
    fi
}

# tf DIR ARGS...: tcpflow on the capture into DIR (stderr in DIR.err); its exit status
tf() {
    o=$1; shift
    rm -rf "$o"
    "$TCPFLOW" -r "$d/capture.pcap" -o "$o" "$@" 2>"$o.err"
}

# sums of the files of DIR matching a grep pattern
sums_of() { sums "$1" | grep -- "$2"; }

# count NAME DIR: the value of attribute NAME of the summary's <tls> in DIR/report.xml
count() { xmllint --xpath "string(//summary/tls/@$1)" "$2/report.xml" 2>/dev/null; }

# ---- the capture file ----
if capture impaired --drop 2 --drop-after 1 --dup 1 --reorder 2; then
    K="$d/keys.log"
    nconn=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["conns"]))' "$d/expect.json")
    A="$work/A"
    if tf "$A" -e tls -e http -S tls_keylog="$K"; then
        check "files: plaintext, report, tshark, HTTP bodies" "$A" --tshark --http
        line=$(grep 'tls:' "$A.err")
        [ "$line" = "$TCPFLOW: tls: $nconn connections: $nconn decrypted; key log: $nconn entries, 0 matched no connection" ] \
            && ok "files: the line at the end: $line" || bad "files: the line at the end: '$line'"
        xmllint --noout "$A/report.xml" && ok "files: report.xml is valid" || bad "files: report.xml invalid"
        [ "$(count connections "$A")" = "$nconn" ] && [ "$(count decrypted "$A")" = "$nconn" ] \
            && [ "$(count http "$A")" -gt 0 ] && ok "files: the report's summary counts" \
            || bad "files: the summary: $(xmllint --xpath '//summary/tls' "$A/report.xml")"
    else
        bad "files: tcpflow failed: $(cat "$A.err")"
    fi
    # the checker catches a wrong byte and a missing body
    f=$(ls "$A" | grep -- '-PLAINTEXT$' | head -n 1)
    cp "$A/$f" "$work/keep" && printf 'X' | dd of="$A/$f" bs=1 seek=100 conv=notrunc 2>/dev/null
    b=$(ls "$A" | grep -- '-HTTPBODY-' | head -n 1)
    mv "$A/$b" "$work/keepb"
    if "$PY" "$LAB" check --dir "$d" --flows "$A" --http >"$work/neg" 2>&1; then
        bad "the checker passes a damaged plaintext file"
    else
        [ "$(grep -c '^FAIL' "$work/neg")" = 2 ] && ok "the checker catches a wrong byte and a missing body" \
            || bad "the checker: $(grep FAIL "$work/neg")"
    fi
    cp "$work/keep" "$A/$f"; mv "$work/keepb" "$A/$b"

    # -j 3: the same files
    tf "$work/J" -j 3 -e tls -e http -S tls_keylog="$K" \
        && [ "$(sums "$A")" = "$(sums "$work/J")" ] && ok "-j 3: the same files" || bad "-j 3: files differ"
    # --shard: two shards together give the same files
    tf "$work/S0" --shard 0/2 -e tls -e http -S tls_keylog="$K" && tf "$work/S1" --shard 1/2 -e tls -e http -S tls_keylog="$K"
    s=$( (sums "$work/S0"; sums "$work/S1") | LC_ALL=C sort)
    [ "$s" = "$(sums "$A" | LC_ALL=C sort)" ] && ok "--shard 0/2 + 1/2: the same files" || bad "--shard: files differ"
    # -FX: the plaintext files alone (made without flow files to name them after)
    tf "$work/X" -FX -e tls -S tls_keylog="$K"
    [ "$(sums "$work/X")" = "$(sums_of "$A" -PLAINTEXT\$)" ] && [ -n "$(sums "$work/X")" ] \
        && ok "-FX: the plaintext files alone, same names" || bad "-FX: files differ"

    # no key: nothing decrypted, every connection counted
    : >"$work/empty.log"
    tf "$work/N" -e tls -S tls_keylog="$work/empty.log"
    n=$(ls "$work/N" | grep -c -- -PLAINTEXT)
    [ "$n" = 0 ] && [ "$(count no_key "$work/N")" = "$nconn" ] \
        && grep -q "tls: $nconn connections: $nconn no key in the key log" "$work/N.err" \
        && ok "no key: no plaintext file, $nconn connections counted" || bad "no key: $n files, $(grep tls: "$work/N.err")"
    # wrong secrets (a bit flipped in each): failed tags, no plaintext
    awk '{ if (NF == 3) { c = substr($3, 1, 1); $3 = (c == "0" ? "1" : "0") substr($3, 2) } print }' "$K" >"$work/wrong.log"
    tf "$work/W" -e tls -S tls_keylog="$work/wrong.log"
    n=$(ls "$work/W" | grep -c -- -PLAINTEXT)
    [ "$n" = 0 ] && [ "$(count bad_tag "$work/W")" = "$nconn" ] \
        && ok "wrong secrets: no plaintext file, $nconn failed tags" \
        || bad "wrong secrets: $n files, $(grep tls: "$work/W.err")"
    # an entry no connection uses
    { cat "$K"; echo "CLIENT_RANDOM $(printf '%064d' 7) $(printf '%096d' 9)"; } >"$work/extra.log"
    tf "$work/E" -e tls -S tls_keylog="$work/empty.log" -S tls_keylog="$work/extra.log"
    grep -q "key log: $((nconn + 1)) entries, 1 matched no connection" "$work/E.err" \
        && [ "$(xmllint --xpath 'string(//summary/tls/keylog/@unused)' "$work/E/report.xml")" = 1 ] \
        && [ "$(xmllint --xpath 'string(//summary/tls/keylog/@files)' "$work/E/report.xml")" = 2 ] \
        && [ "$(count decrypted "$work/E")" = "$nconn" ] \
        && ok "two key logs, one entry unused: said and counted" || bad "unused entry: $(grep tls: "$work/E.err")"

    # errors: a key log that cannot be read, none at all
    tf "$work/R" -e tls -S tls_keylog="$work/nonexistent.log"
    rc=$?
    [ $rc = 1 ] && [ "$(wc -l <"$work/R.err")" = 1 ] && grep -q "nonexistent.log" "$work/R.err" \
        && [ -z "$(ls "$work/R" 2>/dev/null | grep -v report.xml)" ] \
        && ok "unreadable key log: one line, exit 1: $(cat "$work/R.err")" || bad "unreadable key log: exit $rc: $(cat "$work/R.err")"
    tf "$work/R2" -e tls
    rc=$?
    [ $rc = 1 ] && grep -q "tls_keylog" "$work/R2.err" && ok "-e tls without a key log: exit 1" \
        || bad "-e tls without a key log: exit $rc"
    # -S tls_keylog alone turns the scanner on; -x tls keeps it off
    tf "$work/I" -S tls_keylog="$K" && [ "$(sums "$work/I")" = "$(tf "$work/I2" -e tls -S tls_keylog="$K"; sums "$work/I2")" ] \
        && ok "-S tls_keylog alone enables the scanner" || bad "-S tls_keylog alone: not the files of -e tls"
    tf "$work/I3" -x tls -S tls_keylog="$K"
    [ "$(ls "$work/I3" | grep -c -- -PLAINTEXT)" = 0 ] && ok "-x tls -S tls_keylog: off" || bad "-x tls: plaintext written"
fi

# ---- live: tcpflow on the link while the key log grows ----
if capture live --drop 1 --dup 1 --reorder 1 \
        --beside "$TCPFLOW -e tls -e http -S tls_keylog={keylog} -i {iface} -o {out}/live"; then
    rc=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rc"])' "$d/beside.json")
    [ "$rc" = 0 ] && ok "live: tcpflow stopped on SIGINT with status 0" || bad "live: exit $rc"
    tail -n 1 "$d/beside.err" | sed 's/^/    /'
    check "live: plaintext, report, HTTP bodies" "$d/live" --http
fi

# ---- corpus captures of TLS without keys ----
C="$CORPUS/tls_334_midstream_flows.pcap"
if [ -f "$C" ]; then
    o="$work/mid"
    "$TCPFLOW" -r "$C" -o "$o" -e tls -S tls_keylog="$work/empty.log" 2>"$o.err"
    nc=$(count connections "$o") nh=$(count no_handshake "$o")
    [ "$(ls "$o" | grep -c -- -PLAINTEXT)" = 0 ] && [ "${nc:-0}" -gt 300 ] && [ "${nh:-0}" -gt 0 ] \
        && xmllint --noout "$o/report.xml" \
        && ok "corpus: $nc TLS connections without keys ($nh caught mid-stream) counted" \
        || bad "corpus mid-stream: $(cat "$o.err")"
fi
C="$CORPUS/port_reuse_tls_68_streams.pcap"
if [ -f "$C" ]; then
    o="$work/reuse"
    "$TCPFLOW" -r "$C" -o "$o" -e tls -S tls_keylog="$work/empty.log" 2>"$o.err"
    nk=$(count no_key "$o")
    [ "$(ls "$o" | grep -c -- -PLAINTEXT)" = 0 ] && [ "${nk:-0}" -gt 0 ] && xmllint --noout "$o/report.xml" \
        && ok "corpus: $nk TLS connections without keys counted, $(count not_tls "$o") not TLS" \
        || bad "corpus port reuse: $(cat "$o.err")"
fi
finish
