#!/bin/sh
# Install the Debian packages the build and the tests need, when missing.
# As root: apt-get installs them.  Otherwise: names them and fails.
PKGS="build-essential clang pkg-config libpcap-dev zlib1g-dev liblzma-dev libbz2-dev libzstd-dev
 libbrotli-dev libxml2-dev libssl-dev libjson-c-dev libcairo2-dev libcmocka-dev libclang-rt-14-dev
 tcpflow tcpdump python3 python3-scapy nftables iproute2 ethtool libxml2-utils time groff-base
 zstd xz-utils bzip2 jq tshark poppler-utils fonts-dejavu-core
 nginx-light libnginx-mod-http-brotli-filter libnginx-mod-http-echo curl brotli"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null || {
        echo "apt-get install failed for:$missing" >&2; exit 1; }
else
    echo "missing Debian packages:$missing" >&2
    echo "run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
