#!/bin/sh
# Real HTTP/1.1 traffic between network namespaces (nginx, curl, a pipelining
# client; tests/e2e/httpreal/lab.py on tests/e2e/realtraffic/netlab.py's lab
# with light impairments): keep-alive connections mixing gzip, brotli, zstd,
# deflate (zlib and raw), layered codings, chunked, HEAD, ranges, 204, 304,
# 404, Expect: 100-continue, PUT/POST/PATCH uploads of several MB (with a
# length or chunked), an HTTP/1.0 body ending with the connection, and
# pipelined requests; new content every run.  `tcpflow -e http` reads the
# capture; every response body and every request body, decoded, must be what
# was served or uploaded, byte for byte, and its <byte_run> in report.xml must
# say so (method, URI, status, complete, size, SHA-256); again with -FX -j 3
# (no flow files, worker threads), which must give the same body files.
# HTTP_REAL_RUNS=N repeats it N times.  Needs root, ip netns, nginx-light
# with the brotli and echo modules, curl, brotli, zstd; otherwise skipped.
. "$(dirname "$0")/lib.sh"
need_root
work=$(mktemp -d /tmp/tcpflow-httpreal.XXXXXX)
runs=${HTTP_REAL_RUNS:-1}
i=0
while [ $i -lt "$runs" ]; do
    i=$((i+1))
    rm -rf "$work/run"
    timeout --foreground 170 "$PY" "$TOP/tests/e2e/httpreal/lab.py" --tcpflow "$TCPFLOW" \
        --work "$work/run" --conns 10 >"$work/log" 2>&1
    rc=$?
    sed 's/^/    /' "$work/log" | cut -c1-300
    case $rc in
        0) ok "run $i: every response and request body exact";;
        77) msg=$(tail -n 1 "$work/log"); rm -rf "$work"; skip "$msg";;
        2) bad "run $i: the traffic itself failed (see above)"; break;;
        124|130) bad "run $i: timed out or interrupted (a loaded machine?); kept in $work/run"; break;;
        *) bad "run $i: bodies differ; capture and outputs kept in $work/run"; break;;
    esac
done
[ $fails = 0 ] && rm -rf "$work"
finish
