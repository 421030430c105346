#!/usr/bin/python3
"""Seeds for fuzz_http_scan (see its header for the input format): both
directions of a connection through the scanner's hooks, with a request body,
coded responses, late bytes, holes, a prepend, releases in either order and
a second flow for a released direction.  Run from anywhere:
  python3 tests/fuzz/seeds/make_http_scan.py"""
import gzip
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_scan")
PAGE = b"".join(b"<p>line %d of a page</p>\n" % i for i in range(300))


def rec(op, flow, data=b"", n=0):
    if op == 0:
        out = b""
        for i in range(0, max(len(data), 1), 65535):
            part = data[i:i + 65535]
            out += bytes([op, flow]) + struct.pack("<H", len(part)) + part
        return out
    return bytes([op, flow]) + struct.pack("<H", n)


REQ = (b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
       b"{\"a\": true}GET /page HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n"
       b"HEAD /page HTTP/1.1\r\nHost: h\r\n\r\n")
GZ = gzip.compress(PAGE, mtime=0)
RESP = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
        % len(GZ) + GZ + b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
PLAIN = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(PAGE) + PAGE

SEEDS = {
    # flags: 1 thread, 2 files, 8 SYN from flow 0, 16 digest
    "conversation": bytes([1 | 2 | 8 | 16]) + rec(0, 0, REQ) + rec(0, 1, RESP) + rec(4, 0) + rec(4, 1),
    "no_syn_server_first": bytes([1 | 2]) + rec(3, 1) + rec(0, 0, REQ[:60]) + rec(0, 1, RESP[:40]) +
    rec(0, 0, REQ[60:]) + rec(0, 1, RESP[40:]) + rec(4, 1) + rec(4, 0),
    "late_and_holes": bytes([2 | 8]) + rec(0, 0, REQ) + rec(0, 1, PLAIN[:900]) + rec(0, 1 | 6, PLAIN[894:2000]) +
    rec(1, 1, n=700) + rec(0, 1, PLAIN[2700:]) + rec(5, 0),
    "prepend": bytes([1 | 2]) + rec(0, 1, PLAIN[300:1200]) + rec(2, 1, n=300) + rec(0, 1, PLAIN[1200:]) + rec(5, 0),
    "second_flow": bytes([1 | 2 | 8]) + rec(0, 0, REQ) + rec(4, 0) + rec(0, 0, REQ) + rec(0, 1, RESP) + rec(5, 0),
    "one_side": bytes([2 | 4]) + rec(0, 1, RESP * 3) + rec(4, 1),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
