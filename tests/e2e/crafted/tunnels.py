"""tunnels.py - crafted cases for tunnels and the link types added with them
(issue 13): one conversation through each encapsulation, nesting, outer
fragments, two VNIs carrying the same inner addresses, malformed and cut
tunnel headers; NFLOG, IPoIB, ARCNET, FDDI, Juniper Ethernet and 802.1ah.

A tunnel is a Link whose frame() wraps the inner IP packet in the tunnel's
headers and an outer IP packet (198.18.0.1 on the client's side, 198.18.0.2
on the server's; ids counted from 1), then in an outer link (Ethernet by
default).  The flow files are the inner connection's: the same names and
bytes as the 'basic' case.
"""
import struct

from scapy.all import IP, IPv6, UDP, GRE, Raw   # noqa: F401

from gen import Capture, Conn, Link, eth, fname, frag_v4, MAC_C, MAC_S

OUT4 = ('198.18.0.1', '198.18.0.2')
OUT6 = ('fd00::1', 'fd00::2')
IMAC_C = bytes.fromhex('0200000000a1')
IMAC_S = bytes.fromhex('0200000000a2')


def _et(ip):
    return 0x86DD if ip[0] >> 4 == 6 else 0x0800


def inner_eth(ip, d):
    src, dst = (IMAC_C, IMAC_S) if d == 'c' else (IMAC_S, IMAC_C)
    return dst + src + struct.pack('>H', _et(ip)) + ip


class Outer:
    """Outer IP packets: v4 or v6, addresses by direction, ids counted."""

    def __init__(self, v6=False, addrs=None):
        self.v6 = v6
        self.addrs = addrs or (OUT6 if v6 else OUT4)
        self.id = 0

    def ip(self, proto, payload, d):
        a, b = self.addrs if d == 'c' else self.addrs[::-1]
        if self.v6:
            return bytes(IPv6(src=a, dst=b, nh=proto, hlim=64) / Raw(payload))
        self.id += 1
        return bytes(IP(src=a, dst=b, proto=proto, id=self.id, ttl=64) / Raw(payload))

    def udp(self, sport, dport, payload, d):
        if d == 's' and sport == dport:
            pass
        a, b = self.addrs if d == 'c' else self.addrs[::-1]
        u = UDP(sport=sport, dport=dport) / Raw(payload)
        if self.v6:
            return bytes(IPv6(src=a, dst=b, hlim=64) / u)
        self.id += 1
        return bytes(IP(src=a, dst=b, id=self.id, ttl=64) / u)


def gre_hdr(proto, key=None, seq=None, csum=False):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    h = struct.pack('>HH', flags, proto)
    if csum:
        h += b'\0\0\0\0'
    if key is not None:
        h += struct.pack('>I', key)
    if seq is not None:
        h += struct.pack('>I', seq)
    return h


def tunnel(encap, outer_link=None, name='tunnel'):
    """A Link: encap(inner_ip, d) -> outer IP packet bytes, or a list of them
    (fragments); then the outer link layer."""
    ol = outer_link or eth()

    def f(ip, d):
        o = encap(ip, d)
        if isinstance(o, list):
            return [ol.frame(x, d) for x in o]
        return ol.frame(o, d)
    return Link(ol.dlt, f, name)


class TunCapture(Capture):
    """A Capture whose link may turn one packet into several frames."""

    def add_ip(self, ip, d, frame=None, cut=0):
        fr = frame if frame is not None else self.link.frame(ip, d)
        if isinstance(fr, list):
            for x in fr:
                Capture.add_ip(self, ip, d, frame=x)
        else:
            Capture.add_ip(self, ip, d, frame=fr, cut=cut)


# ---- the encapsulations ------------------------------------------------------

def enc_gre(o, **kw):
    return lambda ip, d: o.ip(47, gre_hdr(_et(ip), **kw) + ip, d)


def enc_gre_teb(o, key=None):
    return lambda ip, d: o.ip(47, gre_hdr(0x6558, key) + inner_eth(ip, d), d)


def enc_gre_mpls(o):
    return lambda ip, d: o.ip(47, gre_hdr(0x8847) + struct.pack('>I', (16 << 12) | 0x100 | 64) + ip, d)


def enc_pptp(o):
    seq = {'c': 0, 's': 0}

    def f(ip, d):
        seq[d] += 1
        ppp = b'\xff\x03' + struct.pack('>H', 0x0057 if ip[0] >> 4 == 6 else 0x0021) + ip
        call = 0x1111 if d == 'c' else 0x2222      # the peer's call id: differs by direction
        h = struct.pack('>HHHHI', 0x3001, 0x880B, len(ppp), call, seq[d])
        return o.ip(47, h + ppp, d)
    return f


def enc_erspan(o, version, session=5):
    def f(ip, d):
        fr = inner_eth(ip, d)
        if version == 1:
            return o.ip(47, gre_hdr(0x88BE) + fr, d)
        if version == 2:
            h = gre_hdr(0x88BE, seq=1) + struct.pack('>HHI', 0x1000, session, 0)
            return o.ip(47, h + fr, d)
        h = gre_hdr(0x22EB, seq=1) + struct.pack('>HHIHH', 0x2000, session, 0, 0, 0)
        return o.ip(47, h + fr, d)
    return f


def enc_wccp(o):
    return lambda ip, d: o.ip(47, gre_hdr(0x883E) + b'\0\0\0\0' + ip, d)


def enc_aruba(o):
    def f(ip, d):
        src, dst = (IMAC_C, IMAC_S) if d == 'c' else (IMAC_S, IMAC_C)
        bssid = bytes.fromhex('0200000000bb')
        if d == 'c':                                   # to DS: BSSID, SA, DA
            w = struct.pack('<HH', 0x0108, 0) + bssid + src + dst + b'\0\0'
        else:                                          # from DS: DA, BSSID, SA
            w = struct.pack('<HH', 0x0208, 0) + dst + bssid + src + b'\0\0'
        w += b'\xaa\xaa\x03\0\0\0' + struct.pack('>H', _et(ip))
        return o.ip(47, gre_hdr(0x8200) + w + ip, d)
    return f


def enc_ipip(o):
    return lambda ip, d: o.ip(41 if ip[0] >> 4 == 6 else 4, ip, d)


def enc_greudp(o):
    return lambda ip, d: o.udp(40000 if d == 'c' else 40001, 4754, gre_hdr(_et(ip), key=9) + ip, d)


def enc_vxlan(o, vni=42, port=4789):
    return lambda ip, d: o.udp(50000 + (1 if d == 's' else 0), port,
                               struct.pack('>II', 0x08000000, vni << 8) + inner_eth(ip, d), d)


def enc_geneve(o, vni=77):
    opt = struct.pack('>HBB', 0x0102, 0x80, 1) + b'\x11\x22\x33\x44'
    return lambda ip, d: o.udp(50002, 6081, struct.pack('>BBHI', len(opt) // 4, 0, 0x6558, vni << 8) +
                               opt + inner_eth(ip, d), d)


def enc_gtpu(o):
    def f(ip, d):
        ext = b'\x01\x10\x09\x00'                        # PDU session container, no next
        teid = 0x1000 if d == 'c' else 0x2000           # differs by direction
        h = struct.pack('>BBHI', 0x34, 0xFF, 4 + len(ext) + len(ip), teid) + b'\0\0\0\x85' + ext
        return o.udp(2152, 2152, h + ip, d)
    return f


def enc_ayiya(o):
    def f(ip, d):
        ident = bytes(range(16))
        h = struct.pack('>BBBBI', 0x41, 0x52, 0x11, 41 if ip[0] >> 4 == 6 else 4, 1000) + ident + b'\0' * 20
        return o.udp(5072 if d == 's' else 33000, 33000 if d == 's' else 5072, h + ip, d)
    return f


def enc_capwap(o):
    return lambda ip, d: o.udp(33001 if d == 'c' else 5247, 5247 if d == 'c' else 33001,
                               bytes([0, 0x10, 0, 0, 0, 0, 0, 0]) + inner_eth(ip, d), d)


def enc_teredo(o):
    def f(ip, d):
        h = b'\x00\x00\x12\x34\x01\x02\x03\x04' if d == 's' else b''
        return o.udp(3544 if d == 's' else 40002, 40002 if d == 's' else 3544, h + ip, d)
    return f


def enc_nested(o1, o2, o3):
    """VXLAN (VNI 7) in GRE over IPv6 in IP in IP: three levels."""
    v = enc_vxlan(o3, vni=7)
    g = enc_gre(o2, key=3)
    i = enc_ipip(o1)
    return lambda ip, d: i(g(v(ip, d), d), d)


def enc_frag(encap, pieces):
    """The outer IPv4 packet in fragments: pieces as frag_v4's, last fragment first."""
    def f(ip, d):
        o = encap(ip, d)
        return frag_v4(o, pieces(len(o) - 20))[::-1]
    return f


# ---- link types ----------------------------------------------------------------

def nflog():
    def f(ip, d):
        def tlv(t, v):
            b = struct.pack('<HH', 4 + len(v), t) + v
            return b + b'\0' * (-len(b) % 4)
        return (struct.pack('>BBH', 2 if ip[0] >> 4 == 4 else 10, 0, 1) + tlv(1, b'\x08\x00\x03\x00') +
                tlv(10, b'x\0') + tlv(9, ip))
    return Link(239, f, 'nflog')


def ipoib():
    return Link(242, lambda ip, d: b'\x60' + b'\0' * 39 + struct.pack('>HH', _et(ip), 0) + ip, 'ipoib')


def arcnet():
    return Link(7, lambda ip, d: struct.pack('>BBBBH', 1 if d == 'c' else 2, 2 if d == 'c' else 1,
                                             0xC4 if ip[0] >> 4 == 6 else 212, 0, 0) + ip, 'arcnet')


def arcnet_linux():
    return Link(129, lambda ip, d: struct.pack('>BBHBBH', 1, 2, 0, 212, 0, 0) + ip, 'arcnet_linux')


def fddi():
    def f(ip, d):
        src, dst = (MAC_C, MAC_S) if d == 'c' else (MAC_S, MAC_C)
        return b'\x50' + dst + src + b'\xaa\xaa\x03\0\0\0' + struct.pack('>H', _et(ip)) + ip
    return Link(10, f, 'fddi')


def juniper_ether():
    def f(ip, d):
        src, dst = (MAC_C, MAC_S) if d == 'c' else (MAC_S, MAC_C)
        ext = b'\x01\x04ge-0'
        return b'MGC\x80' + struct.pack('>H', len(ext)) + ext + dst + src + struct.pack('>H', _et(ip)) + ip
    return Link(178, f, 'juniper_ether')


def pbb():
    def f(ip, d):
        src, dst = (MAC_C, MAC_S) if d == 'c' else (MAC_S, MAC_C)
        csrc, cdst = (IMAC_C, IMAC_S) if d == 'c' else (IMAC_S, IMAC_C)
        return (dst + src + struct.pack('>HH', 0x88A8, 100) + struct.pack('>HI', 0x88E7, 0x12345) +
                cdst + csrc + struct.pack('>H', _et(ip)) + ip)
    return Link(1, f, 'pbb')


# ---- the cases -------------------------------------------------------------------

def tunnel_cases(Case, basic, basic_expect, C, S, C6, S6, REQ, RESP):
    L = []
    add = L.append
    # Decapsulation runs in the decode stage (src/decode/decode.c); until the
    # connection tracker calls decoder_packet, these are pending.
    P = True

    encs = [
        ('tun_gre', lambda: enc_gre(Outer())),
        ('tun_gre_key_seq_csum', lambda: enc_gre(Outer(), key=42, seq=1, csum=True)),
        ('tun_gre_teb', lambda: enc_gre_teb(Outer(), key=5)),
        ('tun_gre_mpls', lambda: enc_gre_mpls(Outer())),
        ('tun_gre_v6', lambda: enc_gre(Outer(v6=True))),
        ('tun_pptp', lambda: enc_pptp(Outer())),
        ('tun_erspan1', lambda: enc_erspan(Outer(), 1)),
        ('tun_erspan2', lambda: enc_erspan(Outer(), 2)),
        ('tun_erspan3', lambda: enc_erspan(Outer(), 3)),
        ('tun_wccp', lambda: enc_wccp(Outer())),
        ('tun_aruba', lambda: enc_aruba(Outer())),
        ('tun_ipip_4in4', lambda: enc_ipip(Outer())),
        ('tun_ipip_4in6', lambda: enc_ipip(Outer(v6=True))),
        ('tun_greudp', lambda: enc_greudp(Outer())),
        ('tun_vxlan', lambda: enc_vxlan(Outer())),
        ('tun_vxlan_8472', lambda: enc_vxlan(Outer(), port=8472)),
        ('tun_geneve', lambda: enc_geneve(Outer(v6=True))),
        ('tun_gtpu', lambda: enc_gtpu(Outer())),
        ('tun_capwap', lambda: enc_capwap(Outer())),
        ('tun_nested3', lambda: enc_nested(Outer(), Outer(v6=True), Outer(addrs=('198.18.1.1', '198.18.1.2')))),
        ('tun_outer_frag', lambda: enc_frag(enc_gre(Outer()), lambda n: [(0, 24), (24, n)] if n > 24 else [(0, n)])),
    ]
    for name, mk in encs:
        cap = TunCapture(link=tunnel(mk(), name=name))
        basic(cap)
        add(Case(name, cap, basic_expect(), oracle=False, pending=P,
                 desc='the basic conversation inside %s' % name[4:]))
    for name, mk in [('tun_ipip_6in4', lambda: enc_ipip(Outer())),
                     ('tun_ipip_6in6', lambda: enc_ipip(Outer(v6=True))),
                     ('tun_ayiya', lambda: enc_ayiya(Outer())),
                     ('tun_teredo', lambda: enc_teredo(Outer()))]:
        cap = TunCapture(link=tunnel(mk(), name=name))
        basic(cap, C6, S6)
        add(Case(name, cap, basic_expect(C6, S6), oracle=False, pending=P,
                 desc='an IPv6 conversation inside %s' % name[4:]))
    # VLAN-tagged underlay, -T showing the tunnel
    cap = TunCapture(link=tunnel(enc_vxlan(Outer(), vni=9), outer_link=eth(tags=[(0x8100, 30)])))
    basic(cap)
    add(Case('tun_vxlan_vlan_tmpl', cap,
             {fname(C, S) + '--vxlan.9_198.18.0.1_198.18.0.2': REQ,
              fname(S, C) + '--vxlan.9_198.18.0.1_198.18.0.2': RESP},
             args=['-T', '%A.%a-%B.%b%U%u%C%c'], oracle=False, pending=P,
             desc='-T %U%u names the tunnel'))
    # two VNIs carrying the same inner 4-tuple at once: two connections
    cap = TunCapture()
    o = Outer()
    v1, v2 = enc_vxlan(o, vni=1), enc_vxlan(o, vni=2)
    l1, l2 = tunnel(v1), tunnel(v2)
    k1 = Conn(cap, C, S)
    k2 = Conn(cap, C, S, isn_c=7000, isn_s=9000)
    steps = [(k1, l1, lambda k: k.syn()), (k2, l2, lambda k: k.syn()),
             (k1, l1, lambda k: k.synack()), (k2, l2, lambda k: k.synack()),
             (k1, l1, lambda k: k.ack('c')), (k2, l2, lambda k: k.ack('c')),
             (k1, l1, lambda k: k.data('c', b'vni one')), (k2, l2, lambda k: k.data('c', b'VNI TWO')),
             (k1, l1, lambda k: k.data('s', b'reply one')), (k2, l2, lambda k: k.data('s', b'REPLY TWO')),
             (k1, l1, lambda k: k.close()), (k2, l2, lambda k: k.close())]
    for k, ln, step in steps:
        cap.link = ln
        step(k)
    t1, t2 = '--vxlan.1_198.18.0.1_198.18.0.2', '--vxlan.2_198.18.0.1_198.18.0.2'
    add(Case('tun_two_vnis_same_inner', cap,
             {fname(C, S) + t1: b'vni one', fname(S, C) + t1: b'reply one',
              fname(C, S) + t2: b'VNI TWO', fname(S, C) + t2: b'REPLY TWO'},
             args=['-T', '%A.%a-%B.%b%U%u%C%c'], oracle=False, pending=P,
             desc='same inner addresses in two VNIs: two connections, never merged'))
    # -S tunnels=none: nothing decoded, no files
    cap = TunCapture(link=tunnel(enc_vxlan(Outer())))
    basic(cap)
    add(Case('tun_off', cap, {}, args=['-S', 'tunnels=none'], oracle=True,
             desc='-S tunnels=none: VXLAN is ordinary UDP'))
    # malformed and cut tunnel headers: no files, no crash
    bad = [
        ('tun_bad_vxlan_flags', lambda ip, d: Outer().udp(1, 4789, b'\0' * 8 + inner_eth(ip, d), d)),
        ('tun_bad_gre_version', lambda ip, d: Outer().ip(47, struct.pack('>HH', 2, 0x0800) + ip, d)),
        ('tun_cut_gre', lambda ip, d: Outer().ip(47, struct.pack('>HH', 0x3000, 0x0800) + b'\0\0', d)),
        ('tun_cut_geneve_opts', lambda ip, d: Outer().udp(1, 6081, struct.pack('>BBHI', 63, 0, 0x6558, 0) + b'\0' * 8, d)),
        ('tun_bad_gtpu_ext', lambda ip, d: Outer().udp(2152, 2152, struct.pack('>BBHI', 0x34, 0xFF, 8 + len(ip), 1) +
                                                      b'\0\0\0\x85\x00\0\0\0' + ip, d)),
        ('tun_ipip_wrong_version', lambda ip, d: Outer().ip(4, b'\x60' + ip[1:], d)),
    ]
    for name, encap in bad:
        cap = TunCapture(link=tunnel(encap))
        basic(cap)
        add(Case(name, cap, {}, oracle=False, desc='malformed tunnel header: counted, no file'))
    # link types
    for name, link, c, s, vlan in [('link_nflog', nflog(), C, S, None), ('link_nflog_v6', nflog(), C6, S6, None),
                                   ('link_ipoib', ipoib(), C, S, None), ('link_arcnet', arcnet(), C, S, None),
                                   ('link_arcnet_v6', arcnet(), C6, S6, None),
                                   ('link_arcnet_linux', arcnet_linux(), C, S, None),
                                   ('link_fddi', fddi(), C, S, None),
                                   ('link_juniper_ether', juniper_ether(), C, S, None),
                                   ('link_pbb', pbb(), C, S, 100)]:
        cap = Capture(link=link)
        basic(cap, c, s)
        add(Case(name, cap, basic_expect(c, s, vlan=vlan), oracle=False,
                 desc='the basic conversation over %s' % link.name))
    return L
