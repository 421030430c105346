#!/bin/sh
# make demo: run tcpflow on the sample capture shipped in the repo and show what it wrote.
set -e
bin=${1:-build/tcpflow}
out=$(mktemp -d /tmp/tcpflow-demo.XXXXXX)
echo "\$ $bin -r tests/data/demo.pcap -o $out"
"$bin" -r tests/data/demo.pcap -o "$out"
echo
echo "It wrote one file per direction of each TCP connection:"
(cd "$out" && ls -l --time-style=+%Y-%m-%dT%H:%M | sed 1d)
for f in "$out"/*; do
    case "$f" in *report.xml) continue;; esac
    echo
    echo "==> $(basename "$f") <=="
    cat "$f"
done
echo
echo "(output left in $out)"
