#!/bin/sh
# The TLS decryption engine (src/scan/tls/) on real traffic, before it is
# wired into tcpflow: nginx + curl (every TLS 1.3 suite, TLS 1.2 AES-GCM,
# ChaCha20-Poly1305, AES-CBC with SHA-1/256/384 in both MAC orders, ECDHE
# and RSA key exchange, resumption by PSK, ticket and session id), Python
# ssl peers with resumption, openssl s_client/s_server for a
# HelloRetryRequest with KeyUpdates both ways and 0-RTT accepted and
# rejected; captured on the impaired middle link of the real-traffic lab
# (tests/e2e/realtraffic/netlab.py: drops, reordering, duplicates).
# tcpflow writes the ciphertext flow files; the test driver
# (build/tlsdecrypt, make tls-driver) decrypts each connection with the key
# log; every plaintext must equal the bytes the peers' HTTP/TLS layer sent
# and received, and tshark -o tls.keylog_file must agree.
# Needs root and ip netns (else skipped), nginx, curl, openssl, tshark.
. "$(dirname "$0")/lib.sh"
need_root
LAB="$TOP/tests/e2e/tls/lab.py"
for t in nginx curl openssl tshark tcpdump; do
    command -v "$t" >/dev/null 2>&1 || skip "tls_engine: needs $t (scripts/deps.sh)"
done
out=$("$PY" "$TOP/tests/e2e/realtraffic/netlab.py" probe 2>&1) || skip "tls_engine: $out"
DRIVER="$TOP/build/tlsdecrypt"
make -s -C "$TOP" tls-driver >/dev/null || { bad "cannot build the test driver"; finish; }
tag=tl$$
work=$(mktemp -d /tmp/tcpflow-tls.XXXXXX)
cleanup() {
    "$PY" "$TOP/tests/e2e/realtraffic/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    rm -rf "$tmp"
    if [ $fails != 0 ]; then echo "captures and outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# phase NAME IMPAIRMENTS...: capture (one retry when the traffic itself failed), tcpflow, check
phase() {
    name=$1; shift
    d="$work/$name"
    rc=1
    for try in 1 2; do
        rm -rf "$d"
        timeout --foreground 180 "$PY" "$LAB" capture --tag "$tag" --out "$d" "$@" 2>"$d.log"
        rc=$?
        sed 's/^/    /' "$d.log"
        case $rc in
            0) break;;
            77) skip "tls_engine: $(tail -n 1 "$d.log")";;
            2) echo "    traffic failed, try $try";;
            *) break;;
        esac
    done
    if [ $rc != 0 ]; then bad "$name: could not produce the capture"; return; fi
    mkdir -p "$d/flows"
    if ! "$TCPFLOW" -r "$d/capture.pcap" -o "$d/flows" >"$d/tcpflow.log" 2>&1; then
        bad "$name: tcpflow failed"; sed 's/^/    /' "$d/tcpflow.log"; return
    fi
    if "$PY" "$LAB" check --dir "$d" --flows "$d/flows" --driver "$DRIVER" --tshark >"$d/check.log" 2>&1; then
        sed 's/^/    /' "$d/check.log"
        ok "$name: every connection decrypted exactly, tshark agrees"
    else
        sed 's/^/    /' "$d/check.log"
        bad "$name: plaintext differs"
    fi
}

phase impaired --drop 2 --drop-after 1 --dup 1 --reorder 2
finish
