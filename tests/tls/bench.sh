#!/bin/sh
# Figures for the TLS engine: decrypting a TLS 1.3 AES-128-GCM connection
# of SIZE MB (default 400) with the test driver, against copying its two
# ciphertext flow files (what writing them costs).  Root: the traffic runs
# in a network namespace of its own (nginx + curl on its loopback).
#   sh tests/tls/bench.sh [SIZE_MB]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
size=${1:-400}
make -s -C "$top" all tls-driver
w=$(mktemp -d /tmp/tcpflow-tlsbench.XXXXXX)
ns=tlsb$$
cleanup() { ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$ns" 2>/dev/null; [ -n "${KEEP:-}" ] && echo "kept $w" || rm -rf "$w"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
openssl req -x509 -nodes -days 2 -subj /CN=b -newkey rsa:2048 -keyout "$w/k" -out "$w/c" 2>/dev/null
mkdir -p "$w/www" "$w/ng"
head -c "${size}M" /dev/urandom > "$w/www/f"
cat > "$w/ng/nginx.conf" <<EOC
user root; worker_processes 1; daemon off; pid $w/ng/pid; error_log $w/ng/err;
events {}
http { access_log off; client_body_temp_path $w/ng; proxy_temp_path $w/ng; fastcgi_temp_path $w/ng;
  uwsgi_temp_path $w/ng; scgi_temp_path $w/ng;
  server { listen 127.0.0.1:8443 ssl; ssl_certificate $w/c; ssl_certificate_key $w/k;
    ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256; root $w/www; } }
EOC
ip netns exec "$ns" nginx -c "$w/ng/nginx.conf" -p "$w/ng" &
sleep 1
ip netns exec "$ns" tcpdump -i lo -s 0 -B 262144 -w "$w/cap.pcap" tcp port 8443 2>"$w/td" &
sleep 1
SSLKEYLOGFILE="$w/keys" ip netns exec "$ns" curl -sk --http1.1 --limit-rate 100M https://127.0.0.1:8443/f -o /dev/null
sleep 1
ip netns exec "$ns" pkill -INT -x tcpdump || true
sleep 1
grep -q "^0 packets dropped by kernel" "$w/td" || { cat "$w/td"; echo "capture incomplete"; exit 1; }
mkdir "$w/flows"
"$top/build/tcpflow" -r "$w/cap.pcap" -o "$w/flows"

c2s=$(ls "$w/flows" | grep -- '-127.000.000.001.08443$')
s2c=$(ls "$w/flows" | grep '^127.000.000.001.08443-')

sync
best() { b=999999; for i in 1 2 3; do t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); t=$(( (t1 - t0) / 1000000 )); [ $t -lt $b ] && b=$t; done; echo $b; }
tf_ms=$(best sh -c "rm -rf '$w/f2'; mkdir '$w/f2'; '$top/build/tcpflow' -r '$w/cap.pcap' -o '$w/f2'")
copy_ms=$(best sh -c "dd if='$w/flows/$c2s' of='$w/x' bs=1M 2>/dev/null; dd if='$w/flows/$s2c' of='$w/y' bs=1M 2>/dev/null")
dec_ms=$(best "$top/build/tlsdecrypt" -k "$w/keys" "$w/flows/$c2s" "$w/flows/$s2c" "$w/x" "$w/y")

"$top/build/tlsdecrypt" -k "$w/keys" "$w/flows/$c2s" "$w/flows/$s2c" "$w/x" "$w/y"
body=$(($(stat -c %s "$w/y") - $(stat -c %s "$w/www/f")))
tail -c "$(stat -c %s "$w/www/f")" "$w/y" | cmp - "$w/www/f" && echo "plaintext body equals the served file (after $body header bytes)"
ct=$(stat -c %s "$w/flows/$s2c")
echo "tcpflow writing the ciphertext flows: ${tf_ms} ms; with the decryption after it: $((tf_ms + dec_ms)) ms," \
     "ratio $(awk -v a="$((tf_ms + dec_ms))" -v b="$tf_ms" 'BEGIN { printf "%.2f", a / b }')"
echo "ciphertext $((ct / 1048576)) MiB: copy ${copy_ms} ms, decrypt ${dec_ms} ms," \
     "ratio $(awk -v a="$dec_ms" -v b="$copy_ms" 'BEGIN { printf "%.2f", a / b }')," \
     "decrypt $(awk -v s="$ct" -v t="$dec_ms" 'BEGIN { printf "%.0f", s / 1048576 / (t / 1000) }') MiB/s"
