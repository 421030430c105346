#!/bin/sh
# What decrypting costs: tcpflow on a capture of TLS 1.3 AES-128-GCM traffic
# writing its ciphertext flows, against the same run decrypting it too
# (-e tls: a plaintext file per direction beside each flow file), and with
# -e http (the bodies out of the plaintext as well).
#
#   sh tests/tls/bench.sh [FILES [MB_EACH]]      (default 64 files of 6 MB)
#
# The capture is real traffic (root: network namespaces): nginx and curl
# with SSLKEYLOGFILE over a veth pair of MTU 1500 with offloads off (wire-
# sized packets), 8 connections at a time, one GET per connection;
# tcpdump on the client's side.  It is made once into $TLSBENCH_DIR
# (default /dev/shm/tcpflow-bench-tls) and reused; outputs go to tmpfs
# too.  Each run is timed 5 times, the best counts.  The plaintext is
# checked: every body file equals the file served.
#   TCPFLOW=build/tcpflow   TLSBENCH_DIR=...   REMAKE=1 (make the capture again)
#   JOBS=1 (-j: 1, the reader alone, is the steadiest on a shared machine)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
files=${1:-64}
mb=${2:-6}
T=${TCPFLOW:-$top/build/tcpflow}
W=${TLSBENCH_DIR:-/dev/shm/tcpflow-bench-tls}
[ -x "$T" ] || { echo "no $T: make first"; exit 1; }

make_capture() {
    rm -rf "$W"
    mkdir -p "$W/www" "$W/ng"
    s=tlbs$$ c=tlbc$$
    cleanup() {
        for n in $s $c; do ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null; done
        sleep 0.5
        ip netns del $s 2>/dev/null || true
        ip netns del $c 2>/dev/null || true
    }
    trap cleanup EXIT
    ip netns add $s
    ip netns add $c
    ip link add v$s type veth peer name v$c
    ip link set v$s netns $s
    ip link set v$c netns $c
    ip -n $s addr add 198.18.9.1/24 dev v$s
    ip -n $c addr add 198.18.9.2/24 dev v$c
    for n in $s $c; do
        ip -n $n link set lo up
        ip -n $n link set v$n mtu 1500 up
        ip netns exec $n ethtool -K v$n tso off gso off gro off tx off >/dev/null 2>&1 || true
    done
    openssl req -x509 -nodes -days 2 -subj /CN=bench.tls -newkey rsa:2048 -keyout "$W/k" -out "$W/c" 2>/dev/null
    i=0
    while [ $i -lt "$files" ]; do
        openssl enc -aes-128-ctr -nosalt -pass pass:"f$i" -in /dev/zero 2>/dev/null | head -c "${mb}M" >"$W/www/f$i"
        i=$((i + 1))
    done
    cat >"$W/ng/nginx.conf" <<EOC
user root; worker_processes 1; daemon off; pid $W/ng/pid; error_log $W/ng/err;
events {}
http { access_log off; client_body_temp_path $W/ng; proxy_temp_path $W/ng; fastcgi_temp_path $W/ng;
  uwsgi_temp_path $W/ng; scgi_temp_path $W/ng; default_type application/octet-stream;
  server { listen 198.18.9.1:8443 ssl; ssl_certificate $W/c; ssl_certificate_key $W/k;
    ssl_protocols TLSv1.3; ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256; root $W/www; } }
EOC
    ip netns exec $s nginx -c "$W/ng/nginx.conf" -p "$W/ng" &
    sleep 1
    ip netns exec $c tcpdump -i v$c -n -s 0 -B 262144 -w "$W/cap.pcap" tcp port 8443 2>"$W/td" &
    sleep 1
    urls=""
    i=0
    while [ $i -lt "$files" ]; do urls="$urls https://198.18.9.1:8443/f$i -o /dev/null"; i=$((i + 1)); done
    # shellcheck disable=SC2086
    SSLKEYLOGFILE="$W/keys.log" ip netns exec $c curl -sSk --http1.1 --tlsv1.3 -Z --parallel-max 8 \
        -H 'Connection: close' $urls
    sleep 1
    ip netns exec $c pkill -INT -x tcpdump || true
    sleep 1
    grep -q "^0 packets dropped by kernel" "$W/td" || { cat "$W/td"; echo "capture incomplete"; exit 1; }
    cleanup
    trap - EXIT
    rm -f "$W/k" "$W/c"
}

[ -f "$W/cap.pcap" ] && [ -z "${REMAKE:-}" ] || make_capture
O=$(dirname "$W")/tcpflow-bench-tls-out.$$
trap 'rm -rf "$O"' EXIT

# best ARGS...: the best of 5 runs of tcpflow ARGS on the capture: "wall_ms cpu_ms"
# (cpu: user + system of every thread; the machine may be shared, so both
# are the least of the runs)
best() {
    bw=999999999 bc=999999999
    for k in 1 2 3 4 5; do
        rm -rf "$O"
        sync
        /usr/bin/time -f "%e %U %S" -o "$O.time" "$T" -r "$W/cap.pcap" -o "$O" "$@" 2>/dev/null
        w=$(awk '{ printf "%d", $1 * 1000 }' "$O.time")
        c=$(awk '{ printf "%d", ($2 + $3) * 1000 }' "$O.time")
        [ "$w" -lt "$bw" ] && bw=$w
        [ "$c" -lt "$bc" ] && bc=$c
    done
    rm -f "$O.time"
    echo "$bw $bc"
}

cap=$(stat -c %s "$W/cap.pcap")
J=${JOBS:-1}
set -- $(best -j "$J")
base_w=$1 base_c=$2
set -- $(best -j "$J" -e tls -S tls_keylog="$W/keys.log")
tls_w=$1 tls_c=$2
plain=$(cat "$O"/*-PLAINTEXT | wc -c)
nfiles=$(ls "$O" | grep -c -- '-PLAINTEXT$')
set -- $(best -j "$J" -FX -e tls -S tls_keylog="$W/keys.log")
fx_w=$1 fx_c=$2
set -- $(best -j "$J" -e tls -e http -S tls_keylog="$W/keys.log")
http_w=$1 http_c=$2
# every body equals its served file (bodies carry no name of it: compare by digest)
(cd "$W/www" && sha256sum f* | cut -c1-64 | sort) >"$O.want"
(cd "$O" && sha256sum ./*-HTTPBODY-* | cut -c1-64 | sort) >"$O.got"
if cmp -s "$O.want" "$O.got"; then check="every body equals its served file"; else check="BODIES DIFFER"; fi
rm -f "$O.want" "$O.got"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mibs() { awk -v s="$1" -v t="$2" 'BEGIN { printf "%.0f", s / 1048576 / (t / 1000) }'; }
echo "capture: $(mibs "$cap" 1000) MiB, $files TLS 1.3 AES-128-GCM connections; $nfiles plaintext files, $(mibs "$plain" 1000) MiB; -j $J; best of 5"
echo "                                            wall ms    cpu ms   wall x  cpu x"
printf '%-40s %9d %9d\n' "tcpflow (ciphertext flows)" "$base_w" "$base_c"
printf '%-40s %9d %9d %8s %6s\n' "tcpflow -e tls (and plaintext files)" "$tls_w" "$tls_c" "$(ratio "$tls_w" "$base_w")" "$(ratio "$tls_c" "$base_c")"
printf '%-40s %9d %9d %8s %6s\n' "tcpflow -FX -e tls (plaintext files only)" "$fx_w" "$fx_c" "$(ratio "$fx_w" "$base_w")" "$(ratio "$fx_c" "$base_c")"
printf '%-40s %9d %9d %8s %6s\n' "tcpflow -e tls -e http (and bodies)" "$http_w" "$http_c" "$(ratio "$http_w" "$base_w")" "$(ratio "$http_c" "$base_c")"
echo "$check"
[ "$check" = "every body equals its served file" ]
