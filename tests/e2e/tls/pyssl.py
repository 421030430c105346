#!/usr/bin/python3
"""Python ssl peers for the TLS end-to-end test (another TLS stack than curl).

  pyssl.py server --addr A --port P --version 1.2|1.3 [--no-tickets] --cert C --key K
                  --expect N --seed S --log DIR
  pyssl.py client --addr A --port P --version 1.2|1.3 --conns N --seed S --keylog F --log DIR

Each connection: the client sends a 4-byte length and a random blob (a
pure function of seed and connection number); the server reads it, answers
with a 4-byte length and its own blob, and both close with close_notify.  The client resumes the previous connection's session for
every connection after the first.  Each side logs, per connection, the
exact application bytes it sent and received: DIR/<role>-<client port>.sent
and .recv, and DIR/<role>.json (client: local port, session_reused).
"""
import argparse
import json
import os
import random
import socket
import ssl
import struct
import sys


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(min(65536, n - len(b)))
        if not d:
            raise EOFError("short read")
        b += d
    return b


def blob(seed, i, who, maxlen):
    r = random.Random("%s/%d/%s" % (seed, i, who))
    n = r.randint(1, maxlen)
    return r.randbytes(n)


def server(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    v = ssl.TLSVersion.TLSv1_3 if a.version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    if a.no_tickets:
        ctx.options |= ssl.OP_NO_TICKET
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(16)
    print("READY", flush=True)
    recs = []
    for i in range(a.expect):
        cs, peer = ls.accept()
        cs.settimeout(30)
        with ctx.wrap_socket(cs, server_side=True) as t:
            hdr = recv_exact(t, 4)
            n = struct.unpack(">I", hdr)[0]
            got = hdr + recv_exact(t, n)
            body = blob(a.seed, i, "s", a.max)
            out = struct.pack(">I", len(body)) + body
            t.sendall(out)
            base = os.path.join(a.log, "server-%d" % peer[1])
            open(base + ".recv", "wb").write(got)
            open(base + ".sent", "wb").write(out)
            try:
                t.unwrap()
            except (ssl.SSLError, OSError):
                pass
        recs.append({"cport": peer[1]})
    json.dump(recs, open(os.path.join(a.log, "server.json"), "w"))


def client(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    v = ssl.TLSVersion.TLSv1_3 if a.version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = v
    ctx.keylog_filename = a.keylog
    sess = None
    recs = []
    for i in range(a.conns):
        s = socket.create_connection((a.addr, a.port), timeout=30)
        t = ctx.wrap_socket(s, server_hostname="pyssl.test", session=sess)
        body = blob(a.seed, i, "c", a.max)
        out = struct.pack(">I", len(body)) + body
        t.sendall(out)
        hdr = recv_exact(t, 4)
        got = hdr + recv_exact(t, struct.unpack(">I", hdr)[0])
        lport = t.getsockname()[1]
        base = os.path.join(a.log, "client-%d" % lport)
        open(base + ".sent", "wb").write(out)
        open(base + ".recv", "wb").write(got)
        recs.append({"cport": lport, "reused": t.session_reused, "version": t.version(), "cipher": t.cipher()[0]})
        # TLS 1.3: the tickets come after the handshake; read them before closing
        sess = t.session
        try:
            t.unwrap()
        except (ssl.SSLError, OSError):
            pass
        t.close()
        sess = sess or t.session
    json.dump(recs, open(os.path.join(a.log, "client.json"), "w"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client"])
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--version", default="1.3")
    ap.add_argument("--no-tickets", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--expect", type=int, default=1)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--max", type=int, default=200000)
    ap.add_argument("--keylog")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    os.makedirs(a.log, exist_ok=True)
    (server if a.role == "server" else client)(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
