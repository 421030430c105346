#!/usr/bin/python3
"""bigflow.py OUT.pcap MEGABYTES: a pcap of one TCP connection (198.18.0.1:40000
-> 198.18.0.2:80) whose server sends MEGABYTES MiB in 64000-byte segments,
with handshake and FIN.  Prints the length and SHA-256 of the server's bytes,
and of their first 16 MiB and first 100 MiB."""
import hashlib
import struct
import sys

out, mb = sys.argv[1], int(sys.argv[2])
total = mb << 20
SEG = 64000
C, S = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
CP, SP = 40000, 80


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sport, dport, seq, ack, flags, payload=b''):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00'
    return eth + ip + tcp + payload


t = [1700000000, 0]


def rec(f, fr):
    t[1] += 10
    f.write(struct.pack('<IIII', t[0], t[1], len(fr), len(fr)))
    f.write(fr)


# the bytes: a 1 MiB pseudo-random block, each segment stamped with its offset
block = hashlib.shake_256(b'tcpflow bigflow').digest(1 << 20)
h, h16, h100 = hashlib.sha256(), None, None
with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    ci, si = 1000, 5000000
    rec(f, frame(C, S, CP, SP, ci, 0, 0x02))
    rec(f, frame(S, C, SP, CP, si, ci + 1, 0x12))
    rec(f, frame(C, S, CP, SP, ci + 1, si + 1, 0x10))
    req = b'GET /big HTTP/1.1\r\nHost: x\r\n\r\n'
    rec(f, frame(C, S, CP, SP, ci + 1, si + 1, 0x18, req))
    off = 0
    while off < total:
        n = min(SEG, total - off)
        start = off % len(block)
        seg = struct.pack('!Q', off) + (block[start:] + block)[:n - 8] if n > 8 else b'x' * n
        for lim, name in ((16 << 20, 'h16'), (100 << 20, 'h100')):
            if off < lim <= off + n:
                hh = h.copy()
                hh.update(seg[:lim - off])
                globals()[name] = hh.hexdigest()
        h.update(seg)
        rec(f, frame(S, C, SP, CP, si + 1 + off, ci + 1 + len(req), 0x10, seg))
        off += n
    rec(f, frame(S, C, SP, CP, si + 1 + total, ci + 1 + len(req), 0x11))
    rec(f, frame(C, S, CP, SP, ci + 1 + len(req), si + 2 + total, 0x11))
    rec(f, frame(S, C, SP, CP, si + 2 + total, ci + 2 + len(req), 0x10))
print('%d %s' % (total, h.hexdigest()))
print('%d %s' % (16 << 20, h16))
print('%d %s' % (100 << 20, h100))
