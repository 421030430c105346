"""gen.py - build small, deterministic pcap files for the crafted e2e cases.

Used by cases.py (the table) and check.py (the runner); run directly it writes
every case's captures into a directory for inspection:

    /usr/bin/python3 tests/e2e/crafted/gen.py OUTDIR [CASE-GLOB...]

Packets are built with scapy (IP/TCP checksums) and wrapped in link-layer
headers by hand so that any DLT can be produced.  Everything is fixed: the
timestamps (first packet 1000000000.001, 1 ms apart unless a case says
otherwise), the IP ids, the MACs, the ISNs.  Nothing here is random.
"""
import ipaddress
import socket
import struct

from scapy.all import (IP, IPv6, TCP, Raw, IPOption,  # noqa: F401 (scapy re-exports)
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment)
from scapy.config import conf

conf.verb = 0

T0 = 1000000000 * 1000000 + 1000          # 2001-09-09T01:46:40.001Z, in microseconds
STEP = 1000                                # 1 ms between packets

MAC_C = bytes.fromhex('020000000001')
MAC_S = bytes.fromhex('020000000002')

# ---------------------------------------------------------------------------
# pcap writer

def pcap_bytes(dlt, records, snaplen=262144):
    """Classic little-endian microsecond pcap.  records: (ts_us, frame[, wirelen])."""
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, dlt)]
    for r in records:
        ts, frame = r[0], r[1]
        wire = r[2] if len(r) > 2 else len(frame)
        out.append(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(frame), wire))
        out.append(frame)
    return b''.join(out)


def write_pcap(path, dlt, records):
    with open(path, 'wb') as f:
        f.write(pcap_bytes(dlt, records))

# ---------------------------------------------------------------------------
# link layers: each takes the IP packet bytes and the direction ('c' = from the
# client, 's' = from the server) and returns the frame.

ETH_V4, ETH_V6 = 0x0800, 0x86DD


def _ethertype(ip):
    return ETH_V6 if ip[0] >> 4 == 6 else ETH_V4


class Link:
    """A link layer: dlt number plus a framing function."""

    def __init__(self, dlt, frame, name):
        self.dlt, self._frame, self.name = dlt, frame, name

    def frame(self, ip, d):
        return self._frame(ip, d)


def eth(tags=(), pad=False, mpls=None, pppoe=False, trailer=b''):
    """Ethernet: tags = [(tpid, tci), ...] outermost first; mpls = [label, ...];
    pppoe = PPPoE session + PPP; pad = pad to 60 bytes with zeros (what a
    NIC does to short frames); trailer = bytes appended (an FCS, say)."""
    def f(ip, d):
        src, dst = (MAC_C, MAC_S) if d == 'c' else (MAC_S, MAC_C)
        h = dst + src
        for tpid, tci in tags:
            h += struct.pack('>HH', tpid, tci)
        if mpls:
            h += struct.pack('>H', 0x8847)
            for i, label in enumerate(mpls):
                bos = 1 if i == len(mpls) - 1 else 0
                h += struct.pack('>I', (label << 12) | (bos << 8) | 64)
        elif pppoe:
            proto = 0x0057 if ip[0] >> 4 == 6 else 0x0021
            h += struct.pack('>HBBHH', 0x8864, 0x11, 0x00, 0x1234, len(ip) + 2)
            h += struct.pack('>H', proto)
        else:
            h += struct.pack('>H', _ethertype(ip))
        fr = h + ip
        if pad and len(fr) < 60:
            fr += b'\0' * (60 - len(fr))
        return fr + trailer
    return Link(1, f, 'eth')


def raw(dlt=101):
    return Link(dlt, lambda ip, d: ip, 'raw%d' % dlt)


def null(af4=2, af6=24, big_endian=False, dlt=0):
    """DLT_NULL (0) or DLT_LOOP (108, always network order): 4-byte family."""
    fmt = '>I' if big_endian else '<I'
    return Link(dlt, lambda ip, d: struct.pack(fmt, af6 if ip[0] >> 4 == 6 else af4) + ip,
                'null%d' % dlt)


def sll():
    def f(ip, d):
        ptype = 4 if d == 'c' else 0          # outgoing / to us
        mac = MAC_C if d == 'c' else MAC_S
        return struct.pack('>HHH', ptype, 1, 6) + mac + b'\0\0' + struct.pack('>H', _ethertype(ip)) + ip
    return Link(113, f, 'sll')


def sll2():
    def f(ip, d):
        ptype = 4 if d == 'c' else 0
        mac = MAC_C if d == 'c' else MAC_S
        return (struct.pack('>HHIHBB', _ethertype(ip), 0, 2, 1, ptype, 6) + mac + b'\0\0' + ip)
    return Link(276, f, 'sll2')


def ppp(dlt=9):
    """PPP (9) / PPP in HDLC-like framing (50): ff 03 + protocol."""
    return Link(dlt, lambda ip, d: b'\xff\x03' + struct.pack('>H', 0x0057 if ip[0] >> 4 == 6 else 0x0021) + ip,
                'ppp%d' % dlt)


def chdlc():
    return Link(104, lambda ip, d: b'\x0f\x00' + struct.pack('>H', _ethertype(ip)) + ip, 'chdlc')

# ---------------------------------------------------------------------------
# capture: a clock plus the records


class Capture:
    def __init__(self, link=None, t0=T0, step=STEP):
        self.link = link or eth()
        self.t = t0
        self.step = step
        self.records = []

    def at(self, ts_us):
        """Next packet at this time (microseconds)."""
        self.t = ts_us
        return self

    def skip(self, seconds):
        self.t += int(seconds * 1000000)
        return self

    def add_ip(self, ip, d, frame=None, cut=0):
        """Append a packet; cut = bytes missing at the end of the capture
        (snaplen): the record keeps the original wire length."""
        fr = frame if frame is not None else self.link.frame(ip, d)
        if cut:
            self.records.append((self.t, fr[:len(fr) - cut], len(fr)))
        else:
            self.records.append((self.t, fr))
        self.t += self.step

    def add_frame(self, fr):
        self.records.append((self.t, fr))
        self.t += self.step

    def pcap(self):
        return (self.link.dlt, list(self.records))

# ---------------------------------------------------------------------------
# IP fragmentation (by hand, so that order/overlap/content are chosen)


def frag_v4(ip, pieces):
    """Split IPv4 packet bytes into fragments.  pieces: list of (start, end) or
    (start, end, data) over the IP payload (starts multiples of 8), in the order
    they are to be sent.  MF is set on every piece that ends before the payload
    end.  Returns a list of IP packets."""
    p = IP(ip)
    ihl = p.ihl * 4
    payload = bytes(ip[ihl:p.len])
    out = []
    for pc in pieces:
        start, end = pc[0], pc[1]
        data = pc[2] if len(pc) > 2 else payload[start:end]
        assert start % 8 == 0 and len(data) == end - start
        f = IP(src=p.src, dst=p.dst, id=p.id, ttl=p.ttl, proto=p.proto,
               flags='MF' if end < len(payload) else 0, frag=start // 8) / Raw(data)
        out.append(bytes(f))
    return out


def frag_v6(ip, pieces, ident=0x1234):
    """Same for IPv6 (a Fragment header right after the fixed header)."""
    p = IPv6(ip)
    payload = bytes(ip[40:40 + p.plen])
    nh = p.nh
    out = []
    for pc in pieces:
        start, end = pc[0], pc[1]
        data = pc[2] if len(pc) > 2 else payload[start:end]
        assert start % 8 == 0 and len(data) == end - start
        f = (IPv6(src=p.src, dst=p.dst, hlim=p.hlim) /
             IPv6ExtHdrFragment(nh=nh, offset=start // 8, m=1 if end < len(payload) else 0, id=ident) /
             Raw(data))
        out.append(bytes(f))
    return out

# ---------------------------------------------------------------------------
# a TCP connection between a client and a server


class Conn:
    """One TCP connection inside a Capture.  Stream offsets are relative to the
    ISN (offset 0 = the byte after the SYN).  Direction 'c' is client->server."""

    def __init__(self, cap, c=('10.0.0.1', 1234), s=('10.0.0.2', 80), isn_c=1000, isn_s=5000,
                 ipv6=None, v6ext=None, ip_options=None):
        self.cap = cap
        self.addr = {'c': c, 's': s}
        self.isn = {'c': isn_c & 0xffffffff, 's': isn_s & 0xffffffff}
        self.nxt = {'c': 0, 's': 0}         # next stream offset per direction
        self.syn_len = {'c': 0, 's': 0}
        self.v6 = ipv6 if ipv6 is not None else (':' in c[0])
        self.v6ext = v6ext or []            # scapy ext header classes, in order
        self.ip_options = ip_options
        self.ipid = 1

    # -- packet construction -------------------------------------------------
    def ip(self, d, flags, seq, payload=b'', ack=None, tcp_options=None, ip_len=None):
        src, dst = (self.addr['c'], self.addr['s']) if d == 'c' else (self.addr['s'], self.addr['c'])
        o = 's' if d == 'c' else 'c'
        if ack is None:
            ack = (self.isn[o] + 1 + self.nxt[o]) & 0xffffffff
        if 'A' not in flags:
            ack = 0
        tcp = TCP(sport=src[1], dport=dst[1], seq=seq & 0xffffffff, ack=ack, flags=flags,
                  window=65535, options=tcp_options or [])
        if self.v6:
            pkt = IPv6(src=src[0], dst=dst[0], hlim=64)
            for h in self.v6ext:
                pkt = pkt / h()
            pkt = pkt / tcp
        else:
            kw = {}
            if self.ip_options is not None:
                kw['options'] = self.ip_options
            pkt = IP(src=src[0], dst=dst[0], id=self.ipid, ttl=64, flags='DF', **kw) / tcp
            self.ipid += 1
        if payload:
            pkt = pkt / Raw(payload)
        b = bytes(pkt)
        if ip_len is not None and not self.v6:
            b = b[:2] + struct.pack('>H', ip_len) + b[4:10] + b'\0\0' + b[12:]
            b = b[:10] + struct.pack('>H', _cksum(b[:(b[0] & 15) * 4])) + b[12:]
        return b

    def seq_of(self, d, off):
        return (self.isn[d] + 1 + off) & 0xffffffff

    def emit(self, d, ipb, cut=0):
        self.cap.add_ip(ipb, d, cut=cut)

    # -- high-level steps ----------------------------------------------------
    def syn(self, data=b''):
        self.emit('c', self.ip('c', 'S', self.isn['c'], data))
        self.nxt['c'] = max(self.nxt['c'], len(data))
        return self

    def synack(self, data=b''):
        self.emit('s', self.ip('s', 'SA', self.isn['s'], data))
        self.nxt['s'] = max(self.nxt['s'], len(data))
        return self

    def ack(self, d='c'):
        self.emit(d, self.ip(d, 'A', self.seq_of(d, self.nxt[d])))
        return self

    def handshake(self):
        return self.syn().synack().ack('c')

    def data(self, d, payload, off=None, seq=None, flags='PA', cut=0, **kw):
        """Send payload at stream offset off (default: the next offset), or at
        the absolute sequence number seq; cut = bytes lost to the snaplen."""
        if seq is None:
            if off is None:
                off = self.nxt[d]
            seq = self.seq_of(d, off)
            self.nxt[d] = max(self.nxt[d], off + len(payload))
        self.emit(d, self.ip(d, flags, seq, payload, **kw), cut=cut)
        return self

    def fin(self, d, off=None):
        off = self.nxt[d] if off is None else off
        self.emit(d, self.ip(d, 'FA', self.seq_of(d, off)))
        return self

    def rst(self, d, off=None):
        off = self.nxt[d] if off is None else off
        self.emit(d, self.ip(d, 'R', self.seq_of(d, off)))
        return self

    def close(self):
        """FIN both ways and the last ACK."""
        self.fin('c').fin('s')
        self.emit('c', self.ip('c', 'A', self.seq_of('c', self.nxt['c'] + 1),
                               ack=self.seq_of('s', self.nxt['s'] + 1)))
        return self


def _cksum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

# ---------------------------------------------------------------------------
# expected file names


def addr_txt(a):
    ip = ipaddress.ip_address(a)
    if ip.version == 4:
        return '.'.join('%03d' % int(x) for x in a.split('.'))
    return socket.inet_ntop(socket.AF_INET6, ip.packed)   # glibc's text, as tcpflow prints it


def fname(src, dst, vlan=None, count=0):
    """Default template %A.%a-%B.%b%V%v%C%c."""
    n = '%s.%05d-%s.%05d' % (addr_txt(src[0]), src[1], addr_txt(dst[0]), dst[1])
    if vlan is not None:
        n += '--%d' % vlan
    if count:
        n += 'c%d' % count
    return n


if __name__ == '__main__':
    import fnmatch
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cases
    out = sys.argv[1]
    globs = sys.argv[2:] or ['*']
    os.makedirs(out, exist_ok=True)
    for c in cases.all_cases():
        if not any(fnmatch.fnmatch(c.name, g) for g in globs):
            continue
        for label, (dlt, recs) in c.pcaps.items():
            p = os.path.join(out, '%s.%s.pcap' % (c.name, label) if len(c.pcaps) > 1 else c.name + '.pcap')
            write_pcap(p, dlt, recs)
            print(p)
