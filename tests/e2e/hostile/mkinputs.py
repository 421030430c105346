#!/usr/bin/python3
"""Write the damaged/odd variants of a small pcap (demo.pcap) used by
t_damaged.sh into DIR.  Deterministic.

  demo.pcapng        the same packets as pcapng (SHB, IDB, EPBs)
  unknown.pcapng     the same with unknown/custom/NRB/ISB blocks between packets
  snapcut.pcap       every record cut to 60 bytes (caplen < len), snaplen 60
  snapsmall.pcap     header snaplen 64 but full records (caplen > snaplen)
  biglen.pcap        record 5 claims caplen 256 KiB + 1 (more than the limit)
  biglen_ok.pcap     record 5 padded to exactly 256 KiB caplen (allowed)
  garbage_hdr.pcap   a valid file header followed by random bytes
  garbage_mid.pcap   6 valid records, then random bytes
  zero_mid.pcap      6 valid records, then 4 KiB of zeros (an all-zero record header)
  bigrec.pcapng      an EPB whose block length is 16 MiB (file ends long before)
  hugeblock.pcapng   an unknown block claiming 0xfffffff0 bytes
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caplib  # noqa: E402

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
hdr, recs = caplib.read_pcap(src)


def w(name, b):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(b)


w('demo.pcapng', caplib.to_pcapng(hdr, recs))


def extra(i):
    bl = [caplib.block(0x0BADCAFE, b'unknown block body %d' % i)]
    if i % 3 == 0:
        bl.append(caplib.block(0x00000BAD, struct.pack('<I', 32473) + b'custom'))   # custom block
    if i % 4 == 1:
        bl.append(caplib.block(4, struct.pack('<HH', 1, 8) + bytes([198, 18, 0, 2]) + b'web\0'
                               + struct.pack('<HH', 0, 0)))                       # NRB
    if i == len(recs):
        bl.append(caplib.block(5, struct.pack('<IIII', 0, 0, 0, 0)))              # ISB
    return b''.join(bl)


w('unknown.pcapng', caplib.to_pcapng(hdr, recs, extra))

snap = 60
h2 = hdr[:16] + struct.pack('<I', snap) + hdr[20:]
cut = []
for h, p in recs:
    sec, usec, caplen, wirelen = struct.unpack('<IIII', h)
    p = p[:snap]
    cut.append((struct.pack('<IIII', sec, usec, len(p), wirelen), p))
w('snapcut.pcap', caplib.pcap_bytes(h2, cut))

w('snapsmall.pcap', caplib.pcap_bytes(hdr[:16] + struct.pack('<I', 64) + hdr[20:], recs))

LIMIT = 256 * 1024
big = list(recs)
sec, usec, caplen, wirelen = struct.unpack('<IIII', big[5][0])
big[5] = (struct.pack('<IIII', sec, usec, LIMIT + 1, LIMIT + 1), big[5][1] + b'\0' * (LIMIT + 1 - caplen))
w('biglen.pcap', caplib.pcap_bytes(hdr, big))
ok = list(recs)
ok[5] = (struct.pack('<IIII', sec, usec, LIMIT, wirelen), ok[5][1] + b'\0' * (LIMIT - caplen))
w('biglen_ok.pcap', caplib.pcap_bytes(hdr, ok))

rnd = random.Random(1917)
w('garbage_hdr.pcap', hdr + bytes(rnd.getrandbits(8) for _ in range(4096)))
w('garbage_mid.pcap', caplib.pcap_bytes(hdr, recs[:6]) + bytes(rnd.getrandbits(8) for _ in range(4096)))
w('zero_mid.pcap', caplib.pcap_bytes(hdr, recs[:6]) + b'\0' * 4096)

ng = caplib.to_pcapng(hdr, recs[:6])
bad = struct.pack('<II', 6, 16 << 20) + struct.pack('<IIIII', 0, 0, 0, 60, 60) + recs[6][1][:60]
w('bigrec.pcapng', ng + bad)
w('hugeblock.pcapng', ng + struct.pack('<II', 0x0BADCAFE, 0xfffffff0) + b'x' * 100)
