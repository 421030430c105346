#!/bin/sh
# Debian packages of tcpflow, in two groups:
#   build   what building and `make demo` need (make demo installs these)
#   test    what the tests need on top (make check installs both)
#
#   sh scripts/deps.sh [build|all]   install what is missing (as root; otherwise
#                                    name the packages and fail); default: all
#   sh scripts/deps.sh --list build|test|all    print the package names
#   sh scripts/deps.sh --pc-check NAME...       (the Makefile) check pkg-config
#       modules and headers; when some are missing, print ONE line naming their
#       Debian packages and this script, and fail
BUILD_PKGS="build-essential pkg-config libpcap-dev zlib1g-dev liblzma-dev libbz2-dev libzstd-dev
 libbrotli-dev libxml2-dev libssl-dev libjson-c-dev libcairo2-dev libpython3-dev"
TEST_PKGS="clang libcmocka-dev libclang-rt-14-dev tcpflow tcpdump python3 python3-scapy nftables
 iproute2 ethtool libxml2-utils time groff-base zstd xz-utils bzip2 jq tshark poppler-utils
 fonts-dejavu-core nginx-light libnginx-mod-http-brotli-filter libnginx-mod-http-echo curl brotli
 openssl"

# pkg-config module or header (h:NAME) -> Debian package
deb_of() {
    case $1 in
        libpcap) echo libpcap-dev;;
        zlib) echo zlib1g-dev;;
        liblzma) echo liblzma-dev;;
        libzstd) echo libzstd-dev;;
        libxml-2.0) echo libxml2-dev;;
        libcrypto) echo libssl-dev;;
        json-c) echo libjson-c-dev;;
        cairo) echo libcairo2-dev;;
        python3-embed) echo libpython3-dev;;
        libbrotlidec|libbrotlienc) echo libbrotli-dev;;
        cmocka) echo libcmocka-dev;;
        h:bzlib.h) echo libbz2-dev;;
        *) echo "$1";;
    esac
}

pc_check() {
    if ! command -v pkg-config >/dev/null 2>&1; then
        echo "tcpflow: missing Debian package pkg-config: run 'sh scripts/deps.sh build' as root (or apt-get install pkg-config)" >&2
        exit 1
    fi
    miss="" what=""
    for m in "$@"; do
        case $m in
            h:*) printf '#include <%s>\n' "${m#h:}" | ${CC:-cc} -E -x c - >/dev/null 2>&1 && continue;;
            *) pkg-config --exists "$m" 2>/dev/null && continue;;
        esac
        miss="$miss $(deb_of "$m")" what="$what ${m#h:}"
    done
    [ -z "$miss" ] && exit 0
    echo "tcpflow: missing Debian package(s)$miss (for$what): run 'sh scripts/deps.sh build' as root (or apt-get install$miss)" >&2
    exit 1
}

case ${1:-all} in
    --pc-check) shift; pc_check "$@";;
    --list)
        case ${2:-all} in
            build) echo $BUILD_PKGS;; test) echo $TEST_PKGS;; all) echo $BUILD_PKGS $TEST_PKGS;;
            *) echo "usage: $0 --list build|test|all" >&2; exit 2;;
        esac
        exit 0;;
    build) PKGS=$BUILD_PKGS;;
    all|check) PKGS="$BUILD_PKGS $TEST_PKGS";;
    *) echo "usage: $0 [build|all] | --list build|test|all | --pc-check NAME..." >&2; exit 2;;
esac

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
