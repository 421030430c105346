#!/bin/sh
# -K: per-flow pcap files.  Against 1.6.1 on every corpus capture (names and
# every record; tests/e2e/kpcap/compare.py checks each expected difference);
# a round trip (each direction's pcap, read back by tcpflow, gives that
# direction's flow file byte for byte, fragments included); a descriptor limit
# far below the number of files changes nothing; a planted symlink is not
# followed.
. "$TOP/tests/e2e/lib.sh"
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
need_oracle
if "$PY" "$TOP/tests/e2e/kpcap/compare.py" --ours "$TCPFLOW" --oracle "$ORACLE" --tmp "$tmp/cmp" \
    $(corpus_sample 3) >"$tmp/cmp.log" 2>&1; then
    ok "corpus: $(grep -c '^same' "$tmp/cmp.log") captures as 1.6.1 ($(grep -c 'expected' "$tmp/cmp.log") with checked differences)"
else
    bad "corpus differs from 1.6.1"; grep -v '^same' "$tmp/cmp.log" | head -n 20 | sed 's/^/    /'
fi

# round trip
for c in ipv4_frag_http_302.pcap ipv6_frag_tcp_vlan.pcap http_jpegs_ipv4frag.cap tcp_ooo_overlap_http206.pcap \
         tcp_seq_wrap_http.pcap http11_keepalive_multi_stream.pcap; do
    d="$tmp/rt.$c"; mkdir -p "$d"
    "$TCPFLOW" -K -r "$CORPUS/$c" -o "$d/k" >/dev/null 2>&1
    "$TCPFLOW" -r "$CORPUS/$c" -o "$d/flows" >/dev/null 2>&1
    n=0 badn=0
    for p in "$d"/k/*.pcap; do
        f=$(basename "$p" .pcap)
        [ -f "$d/flows/$f" ] || continue             # a direction without data
        rm -rf "$d/back"
        "$TCPFLOW" -r "$p" -o "$d/back" >/dev/null 2>&1
        n=$((n+1))
        cmp -s "$d/back/$f" "$d/flows/$f" || { badn=$((badn+1)); echo "    $c: $f differs after the round trip"; }
    done
    if [ $n -gt 0 ] && [ $badn = 0 ]; then ok "$c: $n directions, each pcap gives its flow file back"
    else bad "$c: round trip ($badn of $n directions differ)"; fi
done

# descriptors: 284 files through 16 descriptors, the same bytes
c=many_flows_650_http_responses.pcap
"$TCPFLOW" -K -r "$CORPUS/$c" -o "$tmp/fd.free" >/dev/null 2>&1
(ulimit -n 16 && "$TCPFLOW" -K -r "$CORPUS/$c" -o "$tmp/fd.16" >"$tmp/fd.16.log" 2>&1); rc=$?
files=$(find "$tmp/fd.free" -name '*.pcap' | wc -l)
if [ $rc = 0 ] && [ "$files" -gt 200 ] && [ "$(sums "$tmp/fd.free")" = "$(sums "$tmp/fd.16")" ]; then
    ok "ulimit -n 16: the same $files pcap files"
else bad "ulimit -n 16: rc=$rc, $files files"; head -3 "$tmp/fd.16.log" | sed 's/^/    /'; fi
"$TCPFLOW" -K -f 2 -r "$CORPUS/$c" -o "$tmp/fd.f2" >/dev/null 2>&1
[ "$(sums "$tmp/fd.free")" = "$(sums "$tmp/fd.f2")" ] && ok "-f 2: the same files" || bad "-f 2: files differ"

# a symlink planted at a pcap's name
mkdir -p "$tmp/sl/out"; echo precious > "$tmp/sl/target"
ln -s "$tmp/sl/target" "$tmp/sl/out/198.018.000.001.40001-198.018.000.002.00080.pcap"
"$TCPFLOW" -K -r "$TOP/tests/data/demo.pcap" -o "$tmp/sl/out" >"$tmp/sl/log" 2>&1; rc=$?
if [ "$(cat "$tmp/sl/target")" = precious ] && [ $rc = 1 ] && grep -q 'cannot create' "$tmp/sl/log"; then
    ok "planted symlink not followed (said, exit 1)"
else bad "planted symlink: rc=$rc, target '$(cat "$tmp/sl/target")'"; sed 's/^/    /' "$tmp/sl/log" | head -3; fi
finish
