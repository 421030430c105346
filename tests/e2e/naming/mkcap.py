#!/usr/bin/python3
"""Tiny deterministic captures for tests/e2e/t_naming.sh (no scapy needed).

  mkcap.py vlan-pcp OUT   one HTTP-like connection in an 802.1Q tag whose TCI is
                          0x2005 (priority 1, VID 5): 1.6.1 names it --8197, we --5
  mkcap.py qinq-ad OUT    the same connection in an 802.1ad outer tag (TPID 0x88a8,
                          VID 100) around an 802.1Q tag (VID 7): we name it --100
                          (outermost tag, any TPID); 1.6.1 ignores 0x88a8
  mkcap.py many N OUT     N one-segment flows (no SYN, 10 payload bytes each), so flow
                          ids reach N-1 (%K becomes 001 from flow id N=1000)
  mkcap.py interleave N SIZE OUT
                          N connections open at once, each client sending SIZE bytes
                          (1400-byte segments, round robin over the connections, byte
                          i of connection k = (i * 7 + k) % 251), then FINs: every
                          flow's file is written in pieces while the others are open
                          (used by t_fdlimit.sh: -f with few descriptors)
  mkcap.py verify-interleave N SIZE DIR
                          exit 0 iff DIR holds exactly the N client files of that
                          capture (default names) with exactly their bytes

Frames are written without Ethernet padding (pure ACKs are 58-62 bytes), so
1.6.1's padding bug (SPEC 11.1) cannot show in them.
"""
import struct
import sys

T0 = 1000000000  # 2001-09-09T01:46:40Z


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0) + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + tcp


def ether(smac, dmac, tags, l3):
    """tags: list of (tpid, tci), outermost first."""
    b = dmac + smac
    for tpid, tci in tags:
        b += struct.pack("!HH", tpid, tci)
    return b + struct.pack("!H", 0x0800) + l3


def pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)), len(fr), len(fr)) + fr)


def connection(tags):
    cm, sm = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
    c, s = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    req = b"GET /naming HTTP/1.0\r\nHost: example\r\n\r\n"
    rsp = b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello naming"
    ci, si = 1000, 5000
    pk = []

    def c2s(fl, seq, ack, pl=b""):
        pk.append(ether(cm, sm, tags, ipv4_tcp(c, s, 1234, 80, seq, ack, fl, pl)))

    def s2c(fl, seq, ack, pl=b""):
        pk.append(ether(sm, cm, tags, ipv4_tcp(s, c, 80, 1234, seq, ack, fl, pl)))
    c2s(0x02, ci, 0)
    s2c(0x12, si, ci + 1)
    c2s(0x10, ci + 1, si + 1)
    c2s(0x18, ci + 1, si + 1, req)
    s2c(0x18, si + 1, ci + 1 + len(req), rsp)
    c2s(0x11, ci + 1 + len(req), si + 1 + len(rsp))
    s2c(0x11, si + 1 + len(rsp), ci + 2 + len(req))
    c2s(0x10, ci + 2 + len(req), si + 2 + len(rsp))
    return [(T0 + i * 0.001, f) for i, f in enumerate(pk)]


def many(n):
    out = []
    for i in range(n):
        src = bytes([10, 1, (i >> 8) & 0xFF, i & 0xFF])
        l3 = ipv4_tcp(src, bytes([10, 2, 0, 1]), 20000 + i % 40000, 80, 1000 * i, 1, 0x18,
                      b"flow%06d" % i)
        out.append((T0 + i * 0.0001, ether(bytes.fromhex("020000000001"),
                                           bytes.fromhex("020000000002"), [], l3)))
    return out


def interleave(n, size):
    cm, sm = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
    c, s = bytes([10, 3, 0, 1]), bytes([10, 3, 0, 2])
    pk = []

    def c2s(k, fl, seq, ack, pl=b""):
        pk.append(ether(cm, sm, [], ipv4_tcp(c, s, 30000 + k, 80, seq, ack, fl, pl)))

    def s2c(k, fl, seq, ack):
        pk.append(ether(sm, cm, [], ipv4_tcp(s, c, 80, 30000 + k, seq, ack, fl, b"")))
    data = [bytes((i * 7 + k) % 251 for i in range(size)) for k in range(n)]
    for k in range(n):
        c2s(k, 0x02, 100 * k, 0)
        s2c(k, 0x12, 7000 * k, 100 * k + 1)
        c2s(k, 0x10, 100 * k + 1, 7000 * k + 1)
    for off in range(0, size, 1400):
        for k in range(n):
            c2s(k, 0x18, 100 * k + 1 + off, 7000 * k + 1, data[k][off:off + 1400])
    for k in range(n):
        c2s(k, 0x11, 100 * k + 1 + size, 7000 * k + 1)
        s2c(k, 0x11, 7000 * k + 1, 100 * k + 2 + size)
        c2s(k, 0x10, 100 * k + 2 + size, 7000 * k + 2)
    return [(T0 + i * 0.0001, f) for i, f in enumerate(pk)]


def verify_interleave(n, size, d):
    import os
    want = {"010.003.000.001.%05d-010.003.000.002.00080" % (30000 + k): k for k in range(n)}
    got = sorted(f for f in os.listdir(d) if f != "report.xml")
    bad = []
    if got != sorted(want):
        bad.append("names: %s" % " ".join(got[:6]))
    for f in got:
        if f in want:
            k = want[f]
            with open(os.path.join(d, f), "rb") as fh:
                if fh.read() != bytes((i * 7 + k) % 251 for i in range(size)):
                    bad.append("bytes differ: " + f)
    for b in bad:
        print(b)
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "vlan-pcp":
        pcap(a[1], connection([(0x8100, 0x2005)]))
    elif len(a) == 2 and a[0] == "qinq-ad":
        pcap(a[1], connection([(0x88A8, 100), (0x8100, 7)]))
    elif len(a) == 4 and a[0] == "interleave":
        pcap(a[3], interleave(int(a[1]), int(a[2])))
    elif len(a) == 4 and a[0] == "verify-interleave":
        sys.exit(verify_interleave(int(a[1]), int(a[2]), a[3]))
    elif len(a) == 3 and a[0] == "many":
        pcap(a[2], many(int(a[1])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
