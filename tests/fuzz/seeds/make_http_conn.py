#!/usr/bin/python3
"""Seeds for fuzz_http_conn (see its header for the input format): real-looking
conversations with every coding, chunked both ways, interim responses, holes,
and decompression bombs (gzip, brotli, zstd, nested) that the cap must stop.
Needs the brotli and zstd command-line tools.  Run from anywhere:
  python3 tests/fuzz/seeds/make_http_conn.py"""
import gzip
import os
import struct
import subprocess
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http_conn")


def tool(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


def rec(op, data=b"", n=None):
    out = b""
    if op in (0, 1):
        for i in range(0, max(len(data), 1), 65535):
            part = data[i:i + 65535]
            out += bytes([op]) + struct.pack("<H", len(part)) + part
        return out
    return bytes([op]) + struct.pack("<H", n or 0)


def resp(body, coding=None, chunked=False, status=200):
    h = b"HTTP/1.1 %d OK\r\n" % status
    if coding:
        h += b"Content-Encoding: " + coding + b"\r\n"
    if chunked:
        b = b""
        for i in range(0, len(body), 700):
            b += b"%x;e=1\r\n" % len(body[i:i + 700]) + body[i:i + 700] + b"\r\n"
        return h + b"Transfer-Encoding: chunked\r\n\r\n" + b + b"0\r\nX-T: 1\r\n\r\n"
    return h + b"Content-Length: %d\r\n\r\n" % len(body) + body


def req(method, uri, body=b"", coding=None, chunked=False):
    h = b"%s %s HTTP/1.1\r\nHost: seed\r\n" % (method, uri)
    if coding:
        h += b"Content-Encoding: " + coding + b"\r\n"
    if chunked:
        return h + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    if body:
        h += b"Content-Length: %d\r\nExpect: 100-continue\r\n" % len(body)
    return h + b"\r\n" + body


def main():
    os.makedirs(OUT, exist_ok=True)
    text = b"".join(b"line %d of a page, some words repeat, some do not\n" % i for i in range(300))
    br = tool(["brotli", "-c"], text)
    zs = tool(["zstd", "-c", "-q"], text)
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw = raw.compress(text) + raw.flush()
    seeds = {}
    q = req(b"GET", b"/a") + req(b"HEAD", b"/b") + req(b"PUT", b"/c", text[:900]) + \
        req(b"POST", b"/d", gzip.compress(text[:2000]), b"gzip", True) + req(b"GET", b"/e") + req(b"GET", b"/f")
    r = resp(gzip.compress(text), b"gzip", True) + b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n" + \
        b"HTTP/1.1 100 Continue\r\n\r\n" + resp(b"created", status=201) + resp(br, b"br") + \
        resp(zs, b"zstd", True) + resp(tool(["brotli", "-c"], gzip.compress(text)), b"gzip, br")
    seeds["conversation"] = b"\x00" + rec(0, q) + rec(1, r) + rec(4) + rec(5)
    steps = (len(r) + 96) // 97
    qs = (len(q) + steps - 1) // steps
    seeds["conversation_split"] = b"\x00" + b"".join(rec(1, r[k * 97:(k + 1) * 97]) + rec(0, q[k * qs:(k + 1) * qs])
                                                    for k in range(steps))
    seeds["keep_coded"] = b"\x01" + rec(0, q) + rec(1, r)
    seeds["responses_only"] = b"\x02" + rec(1, resp(zlib.compress(text), b"deflate") + resp(raw, b"deflate"))
    seeds["holes"] = b"\x00" + rec(0, q) + rec(1, r[:300]) + rec(3, n=40) + rec(1, r[340:2000]) + \
        rec(3, n=5000) + rec(1, r[7000:]) + rec(2, n=10) + rec(5)
    seeds["tunnel"] = b"\x00" + rec(0, b"CONNECT h:443 HTTP/1.1\r\n\r\n\x16\x03\x01junk") + \
        rec(1, b"HTTP/1.1 200 OK\r\n\r\n\x16\x03\x03junk")
    zero = bytes(8 << 20)
    bombs = {"bomb_gzip": (b"gzip", gzip.compress(zero, 9)),
             "bomb_br": (b"br", tool(["brotli", "-c", "-q", "11"], zero)),
             "bomb_zstd": (b"zstd", tool(["zstd", "-c", "-q", "-19"], zero)),
             "bomb_nested": (b"gzip, gzip", gzip.compress(gzip.compress(bytes(40 << 20), 9), 9)),
             "bomb_br_zstd": (b"br, zstd", tool(["zstd", "-c", "-q", "-19"], tool(["brotli", "-c"], zero)))}
    for name, (coding, blob) in bombs.items():
        assert len(blob) < 60000, (name, len(blob))
        # flags: cap 64 KiB (bits 3-4 = 0)
        seeds[name] = b"\x00" + rec(0, req(b"GET", b"/bomb")) + rec(1, resp(blob, coding))
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
