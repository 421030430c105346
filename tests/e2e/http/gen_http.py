#!/usr/bin/python3
"""gen_http.py OUTDIR - crafted HTTP response streams for the http scanner,
one capture per case (compared with 1.6.1 by compare.py, see t_http.sh)."""
import gzip
import os
import sys
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crafted"))
from gen import Capture, Conn, write_pcap  # noqa: E402

PAGE = b"".join(b"<p>line %d of a page that compresses well</p>\n" % i for i in range(200))
PNG = bytes(range(256)) * 8


def resp(status=b"200 OK", headers=(), body=b"", version=b"HTTP/1.1", eol=b"\r\n"):
    h = version + b" " + status + eol + b"".join(k + b": " + v + eol for k, v in headers) + eol
    return h + body


def cl(body, ctype=b"text/html", extra=()):
    return resp(headers=((b"Content-Type", ctype), (b"Content-Length", b"%d" % len(body))) + tuple(extra),
                body=body)


def chunks(data, sizes, ext=b"", trailer=b""):
    out, i = b"", 0
    for n in sizes:
        out += b"%x%s\r\n" % (n, ext) + data[i:i + n] + b"\r\n"
        i += n
    if i < len(data):
        out += b"%x\r\n" % (len(data) - i) + data[i:] + b"\r\n"
    return out + b"0\r\n" + trailer + b"\r\n"


def chunked(data, ctype=b"text/html", enc=None, sizes=(100, 50), ext=b"", trailer=b""):
    hs = [(b"Content-Type", ctype), (b"Transfer-Encoding", b"chunked")]
    if enc:
        hs.append((b"Content-Encoding", enc))
    return resp(headers=hs, body=chunks(data, sizes, ext, trailer))


GZ = gzip.compress(PAGE, mtime=0)
ZL = zlib.compress(PAGE)
RAWDEF = zlib.compress(PAGE)[2:-4]

CASES = {
    "content_length": cl(PAGE),
    "pipelined_types": cl(PAGE) + cl(PNG, b"image/png") + cl(b"{}", b"application/json; charset=utf-8") +
    cl(b"x" * 50, b"TEXT/Plain ; q=1") + cl(b"y" * 40, b"application/x-unknown-thing") + cl(b"z" * 30, b""),
    "chunked": chunked(PAGE),
    "chunked_ext_trailer": chunked(PAGE, ext=b";name=value", trailer=b"X-Trailer: 1\r\n"),
    "chunked_gzip": chunked(GZ, enc=b"gzip", sizes=(10, 300, 7)),
    "gzip": cl(GZ, extra=((b"Content-Encoding", b"gzip"),)),
    "xgzip": cl(GZ, extra=((b"Content-Encoding", b"x-gzip"),)),
    "deflate_zlib": cl(ZL, extra=((b"Content-Encoding", b"deflate"),)),
    "deflate_raw": cl(RAWDEF, extra=((b"Content-Encoding", b"deflate"),)),
    "gzip_corrupt": cl(GZ[:100] + b"\xff" * 50 + GZ[150:], extra=((b"Content-Encoding", b"gzip"),)),
    "gzip_trailing_garbage": cl(GZ + b"garbage", extra=((b"Content-Encoding", b"gzip"),)),
    "no_body_statuses": resp(b"100 Continue") + resp(b"204 No Content") +
    resp(b"304 Not Modified", ((b"Content-Type", b"text/html"),)) + cl(PAGE),
    "until_close": resp(b"200 OK", ((b"Content-Type", b"text/plain"),), PAGE),
    "http10_until_close": resp(b"200 OK", ((b"Content-Type", b"text/html"),), PAGE, version=b"HTTP/1.0"),
    "truncated_content_length": resp(headers=((b"Content-Type", b"text/html"), (b"Content-Length", b"100000")),
                                     body=PAGE),
    "lf_only": resp(headers=((b"Content-Type", b"text/html"), (b"Content-Length", b"%d" % len(PAGE))),
                    body=PAGE, eol=b"\n") + cl(PNG, b"image/png"),
    "garbage_after_first": cl(PAGE) + b"this is not a status line\r\n\r\n" + cl(PNG, b"image/png"),
    "upgrade_101": resp(b"101 Switching Protocols", ((b"Upgrade", b"websocket"), (b"Connection", b"Upgrade"))) +
    b"\x81\x05hello" * 20,
    "zero_length": cl(b"") + cl(PAGE),
    "header_space_before_colon": resp(headers=((b"Content-Type", b"text/html"), (b"X-Odd ", b"1"),
                                               (b"Content-Length", b"%d" % len(PAGE))), body=PAGE),
    "short_stream": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "not_http": b"SSH-2.0-OpenSSH_9.2\r\n" + b"x" * 200,
    "identical_flows": cl(PAGE),
    # where 1.6.1's parser (http-parser 2.9, non-strict) decides the details
    'ct_upper': cl(b'x'*50, b'TEXT/Plain'),
    'ct_space_semicolon': cl(b'x'*50, b'text/plain ;q=1'),
    'ct_trailing_space': resp(headers=((b'Content-Type', b'text/plain  '),(b'Content-Length', b'50')), body=b'x'*50),
    'ct_tab_lead': resp(headers=((b'Content-Type', b'\ttext/plain'),(b'Content-Length', b'50')), body=b'x'*50),
    'enc_upper': cl(GZ, extra=((b'Content-Encoding', b'GZIP'),)),
    'enc_list': cl(GZ, extra=((b'Content-Encoding', b'gzip, identity'),)),
    'te_upper': resp(headers=((b'Content-Type', b'text/html'),(b'Transfer-Encoding', b'Chunked')), body=chunks(PAGE,(100,))),
    'te_list': resp(headers=((b'Content-Type', b'text/html'),(b'Transfer-Encoding', b'gzip, chunked')), body=chunks(PAGE,(100,))),
    'cl_and_te': resp(headers=((b'Content-Type', b'text/html'),(b'Content-Length', b'10'),(b'Transfer-Encoding', b'chunked')), body=chunks(PAGE,(100,))),
    'two_cl': resp(headers=((b'Content-Type', b'text/html'),(b'Content-Length', b'10'),(b'Content-Length', b'10')), body=b'a'*10) + cl(PAGE),
    'cl_space': resp(headers=((b'Content-Type', b'text/html'),(b'Content-Length', b' 10 ')), body=b'a'*10) + cl(PAGE),
    'status_2digit': resp(b'20 OK', ((b'Content-Length', b'10'),), b'a'*10) + cl(PAGE) + b'x'*80,
    'status_noreason': b'HTTP/1.1 200\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n' + b'a'*100,
    'version_2digit': b'HTTP/1.10 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n' + b'a'*100,
    'ct_two': resp(headers=((b'Content-Type', b'text/html'),(b'Content-Type', b'image/png'),(b'Content-Length', b'50')), body=b'x'*50) + b' '*40,
    'folded': resp(headers=((b'Content-Type', b'text/html'),(b'X-Long', b'a\r\n b'),(b'Content-Length', b'50')), body=b'x'*50) + b' '*40,
    'http09ish': b'HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n' + b'a'*20 + b'\r\n\r\n' + cl(PAGE),
    'chunk_size_upper': resp(headers=((b'Content-Type', b'text/html'),(b'Transfer-Encoding', b'chunked')), body=b'1F\r\n' + b'q'*31 + b'\r\n0\r\n\r\n') + b' '*60,
    'chunk_no_crlf': resp(headers=((b'Content-Type', b'text/html'),(b'Transfer-Encoding', b'chunked')), body=b'5\r\nhelloXX5\r\nworld\r\n0\r\n\r\n') + cl(PAGE),
    'cl_nonnum': resp(headers=((b'Content-Type', b'text/html'),(b'Content-Length', b'1x')), body=b'a'*100),
    'gzip_then_more': cl(GZ + GZ, extra=((b'Content-Encoding', b'gzip'),)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, stream in CASES.items():
        cap = Capture()
        conns = 2 if name == "identical_flows" else 1
        for i in range(conns):
            k = Conn(cap, ("10.0.0.1", 1234 + i), ("10.0.0.2", 80))
            k.handshake()
            k.data("c", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            for j in range(0, len(stream), 1400):
                k.data("s", stream[j:j + 1400])
            k.fin("s").fin("c")
        write_pcap(os.path.join(out, name + ".pcap"), *cap.pcap())


if __name__ == "__main__":
    main()
