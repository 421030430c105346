#!/usr/bin/python3
"""check_json.py PCAP JSONL - the -J output of a capture without retransmissions
or reordering must be one valid JSON object per line, one per TCP segment with
payload, in capture order, with the packet's addresses, ports, family, time,
direction, stream offset and payload bytes (IP total length bounds the payload).
Exit 0 when all match; the first difference is printed otherwise."""
import ipaddress, json, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrec import payload as jpayload  # noqa: E402
from scapy.all import rdpcap, IP, IPv6, TCP

def packets(path):
    out = []
    for pkt in rdpcap(path):
        if TCP not in pkt:
            continue
        tcp = pkt[TCP]
        if IP in pkt:
            ip, fam = pkt[IP], 4
            end = ip.len - ip.ihl * 4
        elif IPv6 in pkt:
            ip, fam = pkt[IPv6], 6
            end = ip.plen
        else:
            continue
        raw = bytes(tcp)[:end]
        data = raw[tcp.dataofs * 4:]
        out.append((pkt, fam, ip.src, tcp.sport, ip.dst, tcp.dport, tcp.flags, data))
    return out

def main():
    pk = packets(sys.argv[1])
    lines = open(sys.argv[2], 'rb').read().split(b'\n')
    if lines[-1] != b'':
        print('output does not end with a newline'); return 1
    recs = []
    for n, l in enumerate(lines[:-1], 1):
        try:
            recs.append(json.loads(l.decode('utf-8')))
        except Exception as e:
            print('line %d is not JSON: %s: %r' % (n, e, l[:200])); return 1
    syn, synack, off = set(), set(), {}
    want = []
    for (pkt, fam, src, sport, dst, dport, flags, data) in pk:
        key = (src, sport, dst, dport)
        if flags & 0x02:
            (synack if flags & 0x10 else syn).add(key)
        if not data:
            continue
        d = 'c2s' if key in syn else 's2c' if key in synack else 'unknown'
        o = off.get(key, 0)
        off[key] = o + len(data)
        want.append((fam, src, sport, dst, dport, float(pkt.time), d, o, data))
    if len(want) != len(recs):
        print('%d records, %d segments with payload' % (len(recs), len(want))); return 1
    for i, (w, r) in enumerate(zip(want, recs), 1):
        fam, src, sport, dst, dport, t, d, o, data = w
        need = ('src_host', 'src_port', 'dst_host', 'dst_port', 'family', 'timestamp', 'ts',
                'direction', 'offset', 'length')
        if any(k not in r for k in need + ('payload',)):
            print('record %d lacks fields: %r' % (i, r)); return 1
        got = jpayload(r)
        ok = (r['family'] == fam and
              ipaddress.ip_address(r['src_host']) == ipaddress.ip_address(src) and
              ipaddress.ip_address(r['dst_host']) == ipaddress.ip_address(dst) and
              r['src_host'] == str(ipaddress.ip_address(src)) and
              r['dst_host'] == str(ipaddress.ip_address(dst)) and
              r['src_port'] == sport and r['dst_port'] == dport and
              abs(r['ts'] - t) < 2e-6 and r['direction'] == d and
              r['offset'] == o and r['length'] == len(data) and got == data and
              r['timestamp'].endswith('Z') and len(r['timestamp']) == 27)
        if not ok:
            print('record %d differs: got %r\nwant %r' % (i, r, w)); return 1
    print('%d records match' % len(recs))
    return 0

sys.exit(main())
