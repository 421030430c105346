#!/usr/bin/python3
"""Writes the TLS transcripts the unit tests decrypt (tests/data/tls/*.tlst).

  gen.py [OUTDIR]

Each transcript is a real TLS connection between Python's ssl client and
server objects over memory BIOs (no network): the bytes each side wrote, in
the order they were written, the key log the client wrote, and the
application data each side sent.  Format, one item a line:
  # comment            (first line: what the connection is)
  K <key log line>
  C <hex>              bytes the client wrote (one flush)
  S <hex>              bytes the server wrote
  P0 <hex>             all the application data the client sent
  P1 <hex>             all the application data the server sent
  V <version> <suite>  what was negotiated (hex), R 1 when resumed
Regenerate only when adding cases: the files are committed.
"""
import os
import random
import ssl
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
OP_NO_ENCRYPT_THEN_MAC = 1 << 19
OP_NO_TICKET = ssl.OP_NO_TICKET


def certs(d):
    """An RSA and an ECDSA self-signed certificate in d."""
    out = {}
    for kind, args in (("rsa", ["-newkey", "rsa:2048"]), ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        key, crt = os.path.join(d, kind + ".key"), os.path.join(d, kind + ".crt")
        subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "3650", "-subj", "/CN=tls.test"] + args +
                       ["-keyout", key, "-out", crt], check=True, capture_output=True)
        out[kind] = (crt, key)
    return out


class Pipe:
    def __init__(self, cctx, sctx, session=None):
        self.ci, self.co = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.si, self.so = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.c = cctx.wrap_bio(self.ci, self.co, server_side=False, server_hostname="tls.test", session=session)
        self.s = sctx.wrap_bio(self.si, self.so, server_side=True)
        self.log = []

    def pump(self):
        moved = False
        d = self.co.read()
        if d:
            self.log.append(("C", d))
            self.si.write(d)
            moved = True
        d = self.so.read()
        if d:
            self.log.append(("S", d))
            self.ci.write(d)
            moved = True
        return moved

    def handshake(self):
        cdone = sdone = False
        for _ in range(50):
            if not cdone:
                try:
                    self.c.do_handshake()
                    cdone = True
                except ssl.SSLWantReadError:
                    pass
            if not sdone:
                try:
                    self.s.do_handshake()
                    sdone = True
                except ssl.SSLWantReadError:
                    pass
            moved = self.pump()
            if cdone and sdone and not moved:
                return
        raise RuntimeError("handshake did not finish")

    def read_all(self, obj):
        got = b""
        while True:
            try:
                d = obj.read(65536)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                return got
            if not d:
                return got
            got += d

    def exchange(self, rounds, rng, big=False):
        sent = [b"", b""]
        for i in range(rounds):
            for who, obj in ((0, self.c), (1, self.s)):
                n = [rng.randint(1, 600), rng.randint(16385, 16600) if big else rng.randint(600, 3000)][who] if i == 0 else rng.randint(1, 40)
                data = bytes(rng.getrandbits(8) for _ in range(n))
                obj.write(data)
                sent[who] += data
                self.pump()
                self.read_all(self.s if who == 0 else self.c)
        for _ in range(5):
            self.pump()
            self.read_all(self.s)
            self.read_all(self.c)
        return sent


def contexts(version, cipher, cert, opts=0, keylog=None, tls13_suites=None):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(*cert)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    for c in (sctx, cctx):
        c.minimum_version = c.maximum_version = version
        c.options |= opts
        if cipher:
            c.set_ciphers(cipher)
    if keylog:
        cctx.keylog_filename = keylog
    return cctx, sctx


def write(path, title, keylog, p, sent, resumed):
    with open(path, "w") as f:
        f.write("# %s\n" % title)
        with open(keylog) as k:
            for line in k:
                if line.strip() and not line.startswith("#"):
                    f.write("K %s\n" % line.strip())
        for who, d in p.log:
            f.write("%s %s\n" % (who, d.hex()))
        f.write("P0 %s\nP1 %s\n" % (sent[0].hex(), sent[1].hex()))
        ver = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}[p.c.version()]
        f.write("V %04x %s R %d\n" % (ver, p.c.cipher()[0], 1 if resumed else 0))


def case(out, name, title, version, cipher, cert, opts=0, resume=False, seed=1, big=False):
    rng = random.Random(name + str(seed))
    with tempfile.TemporaryDirectory() as d:
        kl = os.path.join(d, "keys.log")
        cctx, sctx = contexts(version, cipher, cert, opts, kl)
        p = Pipe(cctx, sctx)
        p.handshake()
        sent = p.exchange(2, rng, big)
        session = p.c.session
        if not resume:
            write(os.path.join(out, name + ".tlst"), title, kl, p, sent, False)
            return
        # the first connection (_a), and a second one (_b) resuming its session
        write(os.path.join(out, name + "_a.tlst"), title + ": the first connection", kl, p, sent, False)
        open(kl, "w").close()
        p2 = Pipe(cctx, sctx, session=session)
        p2.handshake()
        sent = p2.exchange(2, rng)
        if not p2.c.session_reused:
            raise RuntimeError(name + ": not resumed")
        write(os.path.join(out, name + "_b.tlst"), title + ": the resumption", kl, p2, sent, True)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as d:
        c = certs(d)
        V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
        case(out, "t13_default", "TLS 1.3, the default suite (AES-256-GCM)", V13, None, c["rsa"], big=True)
        case(out, "t13_resumed", "TLS 1.3 PSK resumption", V13, None, c["rsa"], resume=True)
        case(out, "t12_ecdhe_rsa_aes128gcm", "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", V12, "ECDHE-RSA-AES128-GCM-SHA256", c["rsa"], big=True)
        case(out, "t12_ecdhe_rsa_aes256gcm", "TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384", V12, "ECDHE-RSA-AES256-GCM-SHA384", c["rsa"])
        case(out, "t12_rsa_aes128gcm", "TLS 1.2 RSA key exchange AES128-GCM-SHA256", V12, "AES128-GCM-SHA256", c["rsa"])
        case(out, "t12_ecdhe_ecdsa_chacha", "TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305", V12, "ECDHE-ECDSA-CHACHA20-POLY1305", c["ec"])
        case(out, "t12_ecdhe_rsa_aes128sha_etm", "TLS 1.2 ECDHE-RSA-AES128-SHA, encrypt-then-MAC", V12, "ECDHE-RSA-AES128-SHA", c["rsa"])
        case(out, "t12_ecdhe_rsa_aes128sha_mte", "TLS 1.2 ECDHE-RSA-AES128-SHA, MAC-then-encrypt", V12, "ECDHE-RSA-AES128-SHA", c["rsa"], OP_NO_ENCRYPT_THEN_MAC, big=True)
        case(out, "t12_rsa_aes256sha256", "TLS 1.2 RSA AES256-SHA256 (encrypt-then-MAC)", V12, "AES256-SHA256", c["rsa"])
        case(out, "t12_ecdhe_ecdsa_aes256sha384_mte", "TLS 1.2 ECDHE-ECDSA-AES256-SHA384, MAC-then-encrypt", V12, "ECDHE-ECDSA-AES256-SHA384", c["ec"], OP_NO_ENCRYPT_THEN_MAC)
        case(out, "t12_resumed_ticket", "TLS 1.2 resumption by ticket", V12, "ECDHE-RSA-AES128-GCM-SHA256", c["rsa"], resume=True)
        case(out, "t12_resumed_id", "TLS 1.2 resumption by session id", V12, "ECDHE-RSA-AES128-GCM-SHA256", c["rsa"], OP_NO_TICKET, resume=True)


if __name__ == "__main__":
    main()
