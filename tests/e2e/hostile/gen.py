#!/usr/bin/python3
"""Fast synthetic captures for the environment tests (no scapy).

  gen.py manyflows OUT N      N one-packet flows (SYN+data, 16 bytes each),
                              10.x.y.z:sport -> 198.18.0.1:80, 1 us apart
  gen.py fdevict OUT          the sink_file eviction-recursion regression
                              (crashed with -f 3 before the fix): two flows
                              buffer data, three more hold descriptors with
                              out-of-order data, then the first one jumps
  gen.py bulk OUT FLOWS KB    FLOWS interleaved flows of KB KiB each (for
                              the disk-full test), FIN at the end
Payload of flow i is deterministic: b'flow %08d ' repeated.
"""
import struct
import sys


def pcap_header(linktype=1):
    return struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, linktype)


def frame(src, dst, sport, dport, seq, flags, payload=b'', ack=0):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0,
                     bytes(src), bytes(dst))
    eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00'
    return eth + ip + tcp + payload


def rec(ts_us, data):
    return struct.pack('<IIII', ts_us // 1000000, ts_us % 1000000, len(data), len(data)) + data


SYN, FIN, ACK, PSH = 0x02, 0x01, 0x10, 0x08
SERVER = (198, 18, 0, 1)


def client(i):
    return (10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)


def body(i, n):
    unit = b'flow %08d ' % i
    return (unit * (n // len(unit) + 1))[:n]


def manyflows(out, n):
    t = 1600000000 * 1000000
    with open(out, 'wb') as f:
        f.write(pcap_header())
        for i in range(n):
            f.write(rec(t + i, frame(client(i), SERVER, 1024 + i % 60000, 80, 1000, SYN, body(i, 16))))


def fdevict(out):
    t = 1600000000 * 1000000
    r = []
    def add(i, seq, flags, data=b''):
        r.append(rec(t + len(r), frame(client(i), SERVER, 2000 + i, 80, seq, flags, data)))
    for i in range(5):
        add(i, 1000, SYN)
    add(0, 1001, ACK | PSH, body(0, 100))          # A1, A2: buffered, no descriptor
    add(1, 1001, ACK | PSH, body(1, 100))
    for i in (2, 3, 4):                            # B1..B3: a gap, so each file is opened
        add(i, 1001, ACK | PSH, body(i, 100))
        add(i, 1301, ACK | PSH, body(i, 100))
    add(0, 1401, ACK | PSH, body(0, 50))           # A1 jumps: flush A1 at the descriptor cap
    add(1, 1401, ACK | PSH, body(1, 50))
    with open(out, 'wb') as f:
        f.write(pcap_header() + b''.join(r))


def bulk(out, flows, kb):
    t = 1600000000 * 1000000
    seg = 1000
    total = kb * 1024
    with open(out, 'wb') as f:
        f.write(pcap_header())
        k = 0
        bodies = [body(i, total) for i in range(flows)]
        for i in range(flows):
            f.write(rec(t + k, frame(client(i), SERVER, 3000 + i, 80, 1000, SYN))); k += 1
        for off in range(0, total, seg):
            for i in range(flows):
                f.write(rec(t + k, frame(client(i), SERVER, 3000 + i, 80, 1001 + off, ACK | PSH,
                                         bodies[i][off:off + seg]))); k += 1
        for i in range(flows):
            f.write(rec(t + k, frame(client(i), SERVER, 3000 + i, 80, 1001 + total, FIN | ACK))); k += 1


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'manyflows':
        manyflows(sys.argv[2], int(sys.argv[3]))
    elif cmd == 'fdevict':
        fdevict(sys.argv[2])
    elif cmd == 'bulk':
        bulk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit('unknown command ' + cmd)
