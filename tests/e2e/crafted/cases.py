"""cases.py - the table of crafted end-to-end cases.

Each Case names its captures (built by gen.py at test time), the command
line(s) to run, and every output file expected (name -> exact bytes, or a
Sparse description for big sparse files).  report.xml is not compared.

Flags:
  oracle=True   our expected output is, by design, also what Debian's
                tcpflow 1.6.1 produces (check.py --oracle verifies that);
                False where /tmp/policies.txt / SPEC section 11 make us differ.
  pending=True  needs a module that may not have landed yet (defrag): a
                failure is reported as XFAIL and not counted.
  mtimes        file -> expected mtime in seconds; default: the second of the
                first packet of the first capture.
  exit          expected exit status (default 0).

Conventions (SPEC): client 10.0.0.1:1234, server 10.0.0.2:80, ISNs 1000/5000,
first packet at 1000000000.001, 1 ms apart.
"""
from gen import (Capture, Conn, T0, IP, eth, raw, null, sll, sll2, ppp, chdlc, fname,
                 frag_v4, frag_v6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPOption)

SEC0 = T0 // 1000000

C = ('10.0.0.1', 1234)
S = ('10.0.0.2', 80)
C6 = ('2001:db8::1', 1234)
S6 = ('2001:db8:0:1::2', 80)          # a single zero group: glibc prints it as "0"
FC, FS = fname(C, S), fname(S, C)
FC6, FS6 = fname(C6, S6), fname(S6, C6)

REQ = b'GET / HTTP/1.0\r\n\r\n'

# Data that arrives after -S tcp_timeout closed an idle flow: False = a new
# file c1 (1.6.1, SPEC 3.5); True = the connection goes on in the same file.
# Not settled by /tmp/policies.txt; flip if the lead decides for "resume".
TIMEOUT_RESUMES = True
RESP = b'HTTP/1.0 200 OK\r\n\r\nhello world\n'


class Sparse:
    """A big file described as its size and the non-zero chunks {offset: bytes}."""

    def __init__(self, size, chunks):
        self.size, self.chunks = size, dict(chunks)


class Case:
    def __init__(self, name, pcaps, expect, args=(), runs=None, oracle=True, pending=False,
                 mtimes=None, exit=0, desc=''):
        self.name = name
        if isinstance(pcaps, Capture):
            pcaps = {'in': pcaps}
        self.pcaps = {k: v.pcap() for k, v in pcaps.items()}
        self.runs = runs if runs is not None else [list(args) + ['-r', '{in}']]
        self.expect = expect
        self.oracle = oracle
        self.pending = pending
        first = next(iter(self.pcaps.values()))[1]
        sec0 = first[0][0] // 1000000 if first else SEC0
        self.mtimes = {n: sec0 for n in expect}
        self.mtimes.update(mtimes or {})
        self.exit = exit
        self.desc = desc


def basic(cap, c=C, s=S, **kw):
    k = Conn(cap, c, s, **kw)
    k.handshake().data('c', REQ).ack('s').data('s', RESP).ack('c').close()
    return k


def basic_expect(c=C, s=S, vlan=None, count=0):
    return {fname(c, s, vlan, count): REQ, fname(s, c, vlan, count): RESP}


def one_way(cap, segs, fin=True, **kw):
    """Handshake, then client segments [(offset, bytes)], optional FIN at the highest offset."""
    k = Conn(cap, C, S, **kw)
    k.handshake()
    for off, b in segs:
        k.data('c', b, off=off)
    if fin:
        k.fin('c')
    return k


def all_cases():
    L = []
    add = L.append

    # ---- basics -----------------------------------------------------------
    cap = Capture()
    basic(cap)
    add(Case('basic', cap, basic_expect(), desc='handshake, data both ways, FIN both ways'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().fin('c').fin('s').ack('c')
    add(Case('no_payload', cap, {}, desc='handshake + FINs only: no files'))

    cap = Capture()
    k = Conn(cap)
    k.ack('c').ack('s').ack('c')
    add(Case('bare_acks', cap, {}, desc='bare ACKs of an unknown flow create nothing'))

    cap = Capture()
    one_way(cap, [(0, b'AAAA'), (0, b'AAAA'), (4, b'BBBB')])
    add(Case('retrans_identical', cap, {FC: b'AAAABBBB'}))

    cap = Capture()
    one_way(cap, [(0, b'AAAAAAAA'), (4, b'XXXXXXXX'), (2, b'yy')])
    add(Case('overlap_first', cap, {FC: b'AAAAAAAAXXXX'}, oracle=False,
             desc='overlap with different data: first-wins by default (1.6.1: last wins)'))
    cap = Capture()
    one_way(cap, [(0, b'AAAAAAAA'), (4, b'XXXXXXXX'), (2, b'yy')])
    add(Case('overlap_last', cap, {FC: b'AAyyXXXXXXXX'}, args=['-S', 'tcp_overlap=last'],
             desc='-S tcp_overlap=last gives 1.6.1 result'))

    cap = Capture()
    one_way(cap, [(4, b'BBBB'), (0, b'AAAA'), (8, b'CCCC')])
    add(Case('out_of_order', cap, {FC: b'AAAABBBBCCCC'}))

    cap = Capture()
    one_way(cap, [(0, b'AAAA'), (10, b'CCCC')])
    add(Case('hole', cap, {FC: b'AAAA' + b'\0' * 6 + b'CCCC'}, desc='hole never filled: zeros'))

    cap = Capture()
    one_way(cap, [(0, b'AAAA'), (10, b'CCCC')], fin=False)
    add(Case('hole_nofin', cap, {FC: b'AAAA' + b'\0' * 6 + b'CCCC'}))

    cap = Capture()
    one_way(cap, [(4, b'BBBB')])
    add(Case('hole_at_start', cap, {FC: b'\0\0\0\0BBBB'}, desc='first bytes after the SYN never seen'))

    cap = Capture()
    k = Conn(cap)
    k.syn().syn().synack().ack('c').data('c', b'abc').syn().data('c', b'def').fin('c')
    add(Case('syn_retrans', cap, {FC: b'abcdef'},
             desc='retransmitted SYN (same ISN), also after data: same flow, same file'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'abcdefgh', cut=4).data('c', b'ijkl').fin('c')
    add(Case('snaplen_cut', cap, {FC: b'abcd\0\0\0\0ijkl'},
             desc='segment cut by the snaplen: captured part stored, the rest a hole'))

    # ---- FIN / RST / late data --------------------------------------------
    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'AAAA', off=0).data('c', b'CCCC', off=8).fin('c', off=12)
    k.data('c', b'BBBB', off=4).data('c', b'late', off=12)
    add(Case('fin_before_hole', cap, {FC: b'AAAABBBBCCCC', FC + 'c1': b'late'},
             desc='FIN before missing data; data fills the hole (same file); data beyond -> c1'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'hello world').fin('c').fin('s').ack('c')
    k.data('c', b'hello world', off=0)
    k.data('c', b'world', off=6)
    add(Case('late_retrans_identical', cap, {FC: b'hello world'},
             desc='identical retransmissions after FIN: dropped, no c1'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'hello world').fin('c').fin('s').ack('c')
    k.data('c', b'WORLD', off=6)
    add(Case('late_retrans_different', cap, {FC: b'hello world'}, oracle=False,
             desc='different bytes inside the closed range after FIN: same file, first-wins, '
                  'no c1 (1.6.1: c1 "WORLD")'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'AAAA', off=0).data('c', b'CCCC', off=8).rst('c', off=12)
    k.data('c', b'BBBB', off=4)
    add(Case('rst_late_fill', cap, {FC: b'AAAABBBBCCCC'}, oracle=False,
             desc='RST with a hole, then the missing data: same file (1.6.1: c1)'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'AAAA').rst('c')
    k.data('c', b'BBBB', off=4)
    add(Case('rst_then_beyond', cap, {FC: b'AAAA', FC + 'c1': b'BBBB'},
             desc='RST then data beyond the old range -> c1'))

    cap = Capture()
    for i, (ic, is_) in enumerate([(1000, 5000), (2000000, 6000000), (3000000, 7000000)]):
        cap.at(T0 + i * 10 * 1000000)
        k = Conn(cap, isn_c=ic, isn_s=is_)
        k.handshake().data('c', b'request %d' % i).data('s', b'response %d' % i).close()
    exp = {}
    mt = {}
    for i in range(3):
        for n, b in ((fname(C, S, count=i), b'request %d' % i), (fname(S, C, count=i), b'response %d' % i)):
            exp[n] = b
            mt[n] = SEC0 + 10 * i
    add(Case('reuse_after_fin', cap, exp, mtimes=mt, desc='4-tuple reused after FIN: c1, c2'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'one').data('s', b'1').rst('c')
    k2 = Conn(cap, isn_c=500000, isn_s=600000)
    k2.handshake().data('c', b'two').data('s', b'2').close()
    add(Case('reuse_after_rst', cap, {FC: b'one', FS: b'1', FC + 'c1': b'two', FS + 'c1': b'2'},
             oracle=False, desc='4-tuple reused after a client RST: c1 both ways (1.6.1 merges the '
                                'server side, whose old flow saw no FIN/RST: bug 10)'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'first').data('s', b'one')
    cap.skip(5)
    k2 = Conn(cap, isn_c=89000, isn_s=9000)
    k2.handshake().data('c', b'second').data('s', b'two').close()
    add(Case('new_syn_while_open', cap,
             {FC: b'first', FS: b'one', FC + 'c1': b'second', FS + 'c1': b'two'},
             mtimes={FC + 'c1': SEC0 + 5, FS + 'c1': SEC0 + 5}, oracle=False,
             desc='new SYN (new ISN) on an open 4-tuple: new file c1, not merged (1.6.1 bug 10)'))

    # ---- sequence space ---------------------------------------------------
    cap = Capture()
    k = Conn(cap, isn_c=0xfffffff0, isn_s=0x7ffffff8)
    k.handshake().data('c', b'A' * 10).data('c', b'B' * 10).data('c', b'C' * 10)
    k.data('s', b'x' * 10).data('s', b'y' * 10).close()
    add(Case('seq_wrap', cap, {FC: b'A' * 10 + b'B' * 10 + b'C' * 10, FS: b'x' * 10 + b'y' * 10},
             desc='client ISN 0xfffffff0 crosses 2^32, server ISN 0x7ffffff8 crosses 2^31'))

    # One flow whose sequence numbers cross 2^31 and then 2^32: ~137 jumps of
    # 15 MiB (below the default -m), a 2 GiB sparse file.
    cap = Capture(step=100)
    isn = 0x7fffff00
    k = Conn(cap, isn_c=isn)
    k.handshake()
    chunks = {}
    first = bytes(range(256)) * 2                   # offsets 0..511 cover seq 2^31
    k.data('c', first, off=0)
    chunks[0] = first
    wrap_off = (1 << 32) - (isn + 1)                # offset of seq 0
    off = 512
    i = 0
    while off + (15 << 20) < wrap_off - 64:
        off += 15 << 20
        b = b'<%06d>' % i
        k.data('c', b, off=off)
        chunks[off] = b
        i += 1
    last = b'W' * 16 + b'w' * 16                    # straddles the wrap
    k.data('c', last, off=wrap_off - 16)
    chunks[wrap_off - 16] = last
    tail = b'after the wrap'
    k.data('c', tail)
    chunks[wrap_off + 16] = tail
    k.fin('c')
    add(Case('seq_cross_2g_4g', cap, {FC: Sparse(wrap_off + 16 + len(tail), chunks)},
             desc='one flow: seq crosses 2^31 then 2^32 (2 GiB sparse file)'))

    # ---- mid-stream -------------------------------------------------------
    cap = Capture()
    k = Conn(cap)
    k.data('c', b'MIDDLE', off=10).data('c', b'END', off=16).data('c', b'0123456789', off=0)
    add(Case('midstream_prefix', cap, {FC: b'0123456789MIDDLEEND'},
             desc='no SYN: first byte seen = offset 0, earlier data prepended'))

    cap = Capture()
    k = Conn(cap)
    k.data('s', b'server first').data('c', b'client next').data('s', b' more')
    add(Case('midstream_both', cap, {FS: b'server first more', FC: b'client next'}))

    # ---- keep-alives ------------------------------------------------------
    for nm, ka, args in (('keepalive_linux', b'h', []), ('keepalive_bsd', b'\x00', []),
                         ('keepalive_bsd_last', b'\x00', ['-S', 'tcp_overlap=last'])):
        cap = Capture()
        k = Conn(cap)
        k.handshake().data('c', b'abcdefgh').ack('s')
        k.data('c', ka, off=7, flags='A').ack('s').data('c', ka, off=7, flags='A')
        k.data('c', b'ijkl').fin('c')
        add(Case(nm, cap, {FC: b'abcdefghijkl'}, args=args,
                 desc='keep-alive (seq-1, 1 byte) ignored'))

    # ---- padding, trailers, lengths ----------------------------------------
    cap = Capture(link=eth(pad=True))
    k = Conn(cap)
    k.handshake().data('c', b'Z').data('c', b'YY').fin('c').fin('s').ack('c')
    add(Case('eth_padding', cap, {FC: b'ZYY'}, oracle=False,
             desc='short frames padded to 60 bytes: padding is not payload (1.6.1 bug #261)'))

    cap = Capture(link=eth(trailer=b'\xde\xad\xbe\xef'))
    basic(cap)
    add(Case('eth_trailer_v4', cap, basic_expect(), oracle=False,
             desc='4-byte trailer (FCS) after every IPv4 frame is not payload'))

    cap = Capture(link=eth(trailer=b'\xde\xad\xbe\xef'))
    basic(cap, C6, S6)
    add(Case('eth_trailer_v6', cap, basic_expect(C6, S6), desc='same with IPv6'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'TSO segment, IP total length 0', ip_len=0).data('c', b'|next').fin('c')
    add(Case('ipv4_totlen0', cap, {FC: b'TSO segment, IP total length 0|next'}, oracle=False,
             desc='IPv4 total length 0 (TSO): captured length used (1.6.1 writes zeros, #197)'))

    cap = Capture()
    basic(cap, ip_options=[IPOption(b'\x01\x01\x01\x00')])
    add(Case('ipv4_options', cap, basic_expect()))

    cap = Capture()
    k = Conn(cap)
    k.handshake()
    ts = [('MSS', 1460), ('NOP', None), ('NOP', None), ('Timestamp', (1, 2)), ('SAckOK', b'')]
    k.data('c', b'with tcp options', tcp_options=ts).fin('c')
    add(Case('tcp_options', cap, {FC: b'with tcp options'}))

    cap = Capture()
    k = Conn(cap)
    k.syn(b'hello').synack().ack('c').data('c', b' world').fin('c')
    add(Case('syn_with_data', cap, {FC: b'hello world'}, desc='SYN payload stored at offset 0'))

    cap = Capture()
    k = Conn(cap)
    k.syn().synack().ack('c')
    k.data('c', b'XXXXXXXXXX', seq=900)
    k.data('c', b'ok').data('c', b'YYYYYYYYYY', seq=950).fin('c')
    add(Case('before_isn', cap, {FC: b'ok'}, desc='data before the ISN after a SYN: dropped'))

    # ---- VLAN -------------------------------------------------------------
    for nm, tags, vid, orc in (('vlan5', [(0x8100, 5)], 5, True),
                               ('vlan_prio', [(0x8100, 0x2005)], 5, False),
                               ('qinq_8100', [(0x8100, 100), (0x8100, 200)], 100, True),
                               ('qinq_88a8', [(0x88a8, 100), (0x8100, 200)], 100, False),
                               ('qinq_9100', [(0x9100, 300), (0x8100, 200)], 300, False)):
        cap = Capture(link=eth(tags=tags))
        basic(cap)
        add(Case(nm, cap, basic_expect(vlan=vid), oracle=orc,
                 desc='VLAN tags %s -> --%d (12-bit VID of the outermost tag)' % (
                     ','.join('%04x/%04x' % t for t in tags), vid)))

    # ---- IPv6 -------------------------------------------------------------
    cap = Capture()
    basic(cap, C6, S6)
    add(Case('ipv6', cap, basic_expect(C6, S6)))

    cap = Capture()
    basic(cap, C6, S6, v6ext=[IPv6ExtHdrHopByHop])
    add(Case('ipv6_hbh', cap, basic_expect(C6, S6), oracle=False,
             desc='hop-by-hop header before TCP (1.6.1 drops these packets)'))

    cap = Capture()
    basic(cap, C6, S6, v6ext=[IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt])
    add(Case('ipv6_hbh_dstopt', cap, basic_expect(C6, S6), oracle=False,
             desc='hop-by-hop + destination options before TCP'))

    # ---- link types: same TCP content ---------------------------------------
    links4 = [
        ('eth', eth(), True),
        ('raw101', raw(101), True),
        ('raw12', raw(12), True),
        ('raw14', raw(14), False),
        ('raw228', raw(228), False),
        ('null_le_inet', null(2), True),
        ('null_be_inet', null(2, big_endian=True), False),
        ('loop_inet', null(2, big_endian=True, dlt=108), False),
        ('sll', sll(), True),
        ('sll2', sll2(), False),
        ('ppp', ppp(9), True),
        ('ppp_serial', ppp(50), False),
        ('chdlc', chdlc(), False),
        ('pppoe', eth(pppoe=True), False),
        ('mpls', eth(mpls=[100, 200]), False),
    ]
    links6 = [
        ('eth', eth(), True),
        ('raw101', raw(101), True),
        ('raw229', raw(229), False),
        ('null_le_inet6_10', null(af6=10), True),
        ('null_le_inet6_24', null(af6=24), False),
        ('null_le_inet6_28', null(af6=28), False),
        ('null_le_inet6_30', null(af6=30), False),
        ('null_be_inet6_24', null(af6=24, big_endian=True), False),
        ('null_be_inet6_28', null(af6=28, big_endian=True), False),
        ('null_be_inet6_30', null(af6=30, big_endian=True), False),
        ('loop_inet6', null(af6=24, big_endian=True, dlt=108), False),
        ('sll', sll(), True),
        ('sll2', sll2(), False),
        ('ppp', ppp(9), True),
        ('pppoe', eth(pppoe=True), False),
        ('mpls', eth(mpls=[300]), False),
    ]
    for nm, link, orc in links4:
        cap = Capture(link=link)
        basic(cap)
        add(Case('link4_' + nm, cap, basic_expect(), oracle=orc, desc='DLT %d' % link.dlt))
    for nm, link, orc in links6:
        cap = Capture(link=link)
        basic(cap, C6, S6)
        add(Case('link6_' + nm, cap, basic_expect(C6, S6), oracle=orc, desc='DLT %d' % link.dlt))

    # ---- -m ------------------------------------------------------------
    cap = Capture()
    one_way(cap, [(0, b'AAAAA'), (1005, b'BBBBB')], fin=False)
    add(Case('maxseek_split', cap, {FC: b'AAAAA', FC + 'c1': b'BBBBB'}, args=['-m', '100'],
             desc='-m 100, forward jump of 1000 -> c1'))

    cap = Capture()
    one_way(cap, [(0, b'AAAAA'), (105, b'BBBBB')], fin=False)
    add(Case('maxseek_equal', cap, {FC: b'AAAAA' + b'\0' * 100 + b'BBBBB'}, args=['-m', '100'],
             desc='-m 100, jump of exactly 100: no split'))

    cap = Capture()
    one_way(cap, [(0, b'AAAAA'), (106, b'BBBBB')], fin=False)
    add(Case('maxseek_over', cap, {FC: b'AAAAA', FC + 'c1': b'BBBBB'}, args=['-m', '100'],
             desc='-m 100, jump of 101: split'))

    cap = Capture()
    one_way(cap, [(0, b'a' * 150), (150, b'b' * 150), (0, b'a' * 10), (300, b'c' * 10)])
    add(Case('maxseek_backward', cap, {FC: b'a' * 150 + b'b' * 150 + b'c' * 10}, args=['-m', '100'],
             oracle=False, desc='-m 100, a retransmission 300 bytes back does not split'))

    cap = Capture()
    one_way(cap, [(0, b'hello'), (5 + (20 << 20), b'after a jump')], fin=False)
    add(Case('maxseek_default', cap, {FC: b'hello', FC + 'c1': b'after a jump'},
             desc='default -m (16 MiB): a 20 MiB jump splits'))

    # ---- -b -----------------------------------------------------------
    cap = Capture()
    basic(cap)
    add(Case('maxbytes_3', cap, {FC: REQ[:3], FS: RESP[:3]}, args=['-b', '3']))

    cap = Capture()
    one_way(cap, [(4, b'BBBB'), (0, b'AAAA'), (8, b'CCCC')])
    add(Case('maxbytes_6_ooo', cap, {FC: b'AAAABB'}, args=['-b', '6']))

    cap = Capture()
    basic(cap)
    add(Case('maxbytes_0', cap, {FC: b'', FS: b''}, args=['-b', '0'],
             desc='-b 0 still creates (empty) files'))

    # ---- output directory, counters across runs -----------------------
    cap = Capture()
    basic(cap)
    add(Case('outdir', cap, {'out/' + FC: REQ, 'out/' + FS: RESP}, args=['-o', 'out']))

    cap = Capture()
    basic(cap)
    exp = basic_expect()
    exp.update(basic_expect(count=1))
    add(Case('second_run', cap, exp, runs=[['-r', '{in}'], ['-r', '{in}']],
             desc='second run into the same dir: c1 files, nothing overwritten'))

    cap = Capture()
    basic(cap)
    exp = {'out/' + n: b for n, b in basic_expect().items()}
    exp.update({'out/' + n: b for n, b in basic_expect(count=1).items()})
    exp.update({'out/' + n: b for n, b in basic_expect(count=2).items()})
    add(Case('third_run_outdir', cap, exp, runs=[['-o', 'out', '-r', '{in}']] * 3))

    # ---- templates ------------------------------------------------------
    cap = Capture()
    basic(cap)
    add(Case('tmpl_codes', cap,
             {'2001-09-09T01:46:40Z_1000000000_010.000.000.001_01234_010.000.000.002_00080'
              '_02:00:00:00:00:01_02:00:00:00:00:02_%': REQ,
              '2001-09-09T01:46:40Z_1000000000_010.000.000.002_00080_010.000.000.001_01234'
              '_02:00:00:00:00:02_02:00:00:00:00:01_%': RESP},
             args=['-T', '%T_%t_%A_%a_%B_%b_%E_%e_%%']))

    cap = Capture()
    basic(cap)
    add(Case('tmpl_dirs', cap,
             {'out/010.000.000.001/01234/010.000.000.002/00080/000.flow': REQ,
              'out/010.000.000.002/00080/010.000.000.001/01234/001.flow': RESP},
             args=['-T', '%A/%a/%B/%b/%c%N.flow', '-o', 'out']))

    for letter, prefix in (('t', '1000000000T'), ('T', '2001-09-09T01:46:40Z'), ('k', '000/'),
                           ('m', '000000-000999/000000/'),
                           ('g', '000000000-000999999/000000000-000000999/000000000/')):
        cap = Capture()
        basic(cap)
        add(Case('F' + letter, cap, {prefix + FC: REQ, prefix + FS: RESP}, args=['-F' + letter]))

    cap = Capture()
    for i, (ic, is_) in enumerate([(1000, 5000), (2000000, 6000000)]):
        k = Conn(cap, isn_c=ic, isn_s=is_)
        k.handshake().data('c', b'request %d' % i).close()
    add(Case('tmpl_hash', cap, {'flow_010.000.000.001_0': b'request 0', 'flow_010.000.000.001_1c1': b'request 1'},
             args=['-T', 'flow_%A_%#'], desc='%# always, %C%c appended when the template lacks %c'))

    # ---- inputs -----------------------------------------------------------
    p1, p2 = Capture(), Capture()
    k = Conn(p1)
    k.handshake().data('c', b'part one, ')
    k.cap = p2
    p2.at(p1.t)
    k.data('c', b'part two').close()
    k2 = Conn(p2, c=('10.0.0.3', 4321))
    k2.handshake().data('c', b'new in part 2').close()
    add(Case('read_R', {'p1': p1, 'p2': p2}, {FC: b'part one, part two'},
             runs=[['-r', '{p1}', '-R', '{p2}']], desc='-R continues flows, starts none'))

    p1, p2 = Capture(), Capture()
    k = Conn(p1)
    k.handshake().data('c', b'part one, ')
    k.cap = p2
    p2.at(p1.t)
    k.data('c', b'part two').close()
    add(Case('read_two_r', {'p1': p1, 'p2': p2}, {FC: b'part one, part two'},
             runs=[['-r', '{p1}', '-r', '{p2}']], desc='a flow split over two -r files'))

    cap = Capture()
    k = Conn(cap)
    k.handshake().data('c', b'first')
    cap.skip(100)
    k2 = Conn(cap, c=('10.0.0.3', 4321))
    k2.handshake().data('c', b'other').close()
    k.data('c', b'second')
    fo = fname(('10.0.0.3', 4321), S)
    if TIMEOUT_RESUMES:
        add(Case('tcp_timeout', cap, {FC: b'firstsecond', fo: b'other'}, oracle=False,
                 args=['-S', 'tcp_timeout=10'], mtimes={fo: SEC0 + 100},
                 desc='-S tcp_timeout=10: idle flow closed; its later data goes on in the same file'))
    else:
        add(Case('tcp_timeout', cap, {FC: b'first', FC + 'c1': b'second', fo: b'other'},
                 args=['-S', 'tcp_timeout=10'], mtimes={FC + 'c1': SEC0 + 100, fo: SEC0 + 100},
                 desc='-S tcp_timeout=10: idle flow closed; its later data -> c1'))

    cap = Capture()
    ks = [Conn(cap, c=('10.0.0.1', 1000 + i), isn_c=1000 * i) for i in range(3)]
    for k in ks:
        k.handshake()
    for r in range(4):
        for i, k in enumerate(ks):
            k.data('c', b'[%d:%d]' % (i, r)).data('s', b'<%d:%d>' % (i, r))
    for k in ks:
        k.close()
    exp = {}
    for i in range(3):
        c = ('10.0.0.1', 1000 + i)
        exp[fname(c, S)] = b''.join(b'[%d:%d]' % (i, r) for r in range(4))
        exp[fname(S, c)] = b''.join(b'<%d:%d>' % (i, r) for r in range(4))
    add(Case('max_fds_1', cap, exp, args=['-f', '1'], desc='-f 1: interleaved flows, fds recycled'))

    # ---- IP fragments (defrag) --------------------------------------------
    body = bytes((0x41 + i % 26) for i in range(100))       # ABC...
    ip_payload_len = 20 + len(body)                          # TCP header + data = 120

    def frag_case(name, pieces_fn, v6=False, desc=''):
        cap = Capture()
        c, s = (C6, S6) if v6 else (C, S)
        k = Conn(cap, c, s)
        k.handshake()
        full = k.ip('c', 'PA', k.seq_of('c', 0), body)
        k.nxt['c'] = len(body)
        for f in (frag_v6 if v6 else frag_v4)(full, pieces_fn()):
            cap.add_ip(f, 'c')
        k.data('c', b'|tail').fin('c')
        add(Case(name, cap, {fname(c, s): body + b'|tail'}, oracle=False, desc=desc))

    N = ip_payload_len
    frag_case('frag4_inorder', lambda: [(0, 40), (40, 80), (80, N)])
    frag_case('frag4_reversed', lambda: [(80, N), (40, 80), (0, 40)])
    frag_case('frag4_overlap_same', lambda: [(0, 48), (40, 96), (88, N)],
              desc='overlapping fragments carrying the same bytes')
    frag_case('frag4_overlap_diff', lambda: [(0, 48), (40, 96, b'\xee' * 8 + body[28:76]), (88, N)],
              desc='second fragment overlaps with different bytes: first wins (default frag_policy)')
    frag_case('frag4_tiny_first', lambda: [(0, 8), (8, N)],
              desc='first fragment shorter than the TCP header')
    frag_case('frag4_dup', lambda: [(0, 40), (0, 40), (40, 80), (80, N), (80, N)])
    frag_case('frag6_inorder', lambda: [(0, 40), (40, 80), (80, N)], v6=True)
    frag_case('frag6_reversed', lambda: [(80, N), (40, 80), (0, 40)], v6=True)

    # IPv4 id reuse between two connections of the same hosts, found on real
    # traffic (t_realtraffic_frag): A's first fragment is delayed past more
    # than 64 other fragments of the source and past B's datagram reusing
    # A's id.  Without the TCP checksum B's first fragment completed A's two
    # others (B's file got A's bytes); 'contradict' keeps only A's middle
    # fragment, which B's middle contradicts.  A's segment is retransmitted
    # whole, as the receiver, seeing the same, needed it.
    def reuse_case(name, a_pieces, desc):
        cap = Capture()
        ca, cb, cc = ('10.0.0.1', 1234), ('10.0.0.1', 1235), ('10.0.0.1', 1236)
        ka, kb, kc = Conn(cap, ca, S), Conn(cap, cb, S), Conn(cap, cc, S)
        for k in (ka, kb, kc):
            k.handshake()
        da = bytes((0x61 + i % 26) for i in range(400))     # abc...
        db = bytes((0x30 + i % 10) for i in range(400))     # 0123...
        n = 20 + 400

        def with_id(ipb, ident):
            p = IP(ipb)
            p.id = ident
            p.flags = 0
            del p.chksum
            return bytes(p)
        fa = frag_v4(with_id(ka.ip('c', 'PA', ka.seq_of('c', 0), da), 0x0472),
                     [(0, 136), (136, 272), (272, n)])
        for i in a_pieces:
            cap.add_ip(fa[i], 'c')
        dc = b''
        for j in range(24):                                  # 72 fragments from 10.0.0.1
            chunk = bytes([0x41 + j]) * 100
            ipb = with_id(kc.ip('c', 'PA', kc.seq_of('c', len(dc)), chunk), 0x1000 + j)
            for f in frag_v4(ipb, [(0, 40), (40, 80), (80, 120)]):
                cap.add_ip(f, 'c')
            dc += chunk
        kc.nxt['c'] = len(dc)
        fb = frag_v4(with_id(kb.ip('c', 'PA', kb.seq_of('c', 0), db), 0x0472),
                     [(0, 136), (136, 272), (272, n)])
        for f in fb:
            cap.add_ip(f, 'c')
        kb.nxt['c'] = len(db)
        cap.add_ip(fa[0], 'c')                               # A's delayed first fragment
        ka.data('c', da, off=0)                              # A's retransmission
        for k in (ka, kb, kc):
            k.data('c', b'|end').fin('c')
        add(Case(name, cap, {fname(ca, S): da + b'|end', fname(cb, S): db + b'|end',
                             fname(cc, S): dc + b'|end'}, oracle=False, desc=desc))

    reuse_case('frag4_id_reuse_delayed_first', [1, 2],
               'B reuses the id of A, whose first fragment comes after B: B exact')
    reuse_case('frag4_id_reuse_contradicts', [1],
               'B reuses the id of A, which holds only its middle: B exact')

    from tunnels import tunnel_cases
    L += tunnel_cases(Case, basic, basic_expect, C, S, C6, S6, REQ, RESP)

    names = [c.name for c in L]
    assert len(names) == len(set(names)), 'duplicate case names'
    return L
