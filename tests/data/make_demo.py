#!/usr/bin/python3
"""Writes tests/data/demo.pcap: two small HTTP exchanges between documentation
addresses (198.18.0.0/15), one with a retransmitted and one with a reordered
segment, so `make demo` shows reassembly at work.  Deterministic."""
import sys
from scapy.all import Ether, IP, TCP, Raw, wrpcap

def conn(cli, sport, srv, req, resp, t0, reorder=False, retrans=False):
    pk, t = [], t0
    c, s = 1000 + sport, 9000 + sport
    E = lambda: Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')
    Er = lambda: Ether(src='02:00:00:00:00:02', dst='02:00:00:00:00:01')
    def add(p):
        nonlocal t
        p.time = t; t += 0.001; pk.append(p)
    add(E()/IP(src=cli, dst=srv)/TCP(sport=sport, dport=80, flags='S', seq=c))
    add(Er()/IP(src=srv, dst=cli)/TCP(sport=80, dport=sport, flags='SA', seq=s, ack=c+1))
    add(E()/IP(src=cli, dst=srv)/TCP(sport=sport, dport=80, flags='A', seq=c+1, ack=s+1))
    add(E()/IP(src=cli, dst=srv)/TCP(sport=sport, dport=80, flags='PA', seq=c+1, ack=s+1)/Raw(req))
    parts = [resp[i:i+40] for i in range(0, len(resp), 40)]
    segs, off = [], 0
    for p in parts:
        segs.append(Er()/IP(src=srv, dst=cli)/TCP(sport=80, dport=sport, flags='A', seq=s+1+off, ack=c+1+len(req))/Raw(p))
        off += len(p)
    if reorder and len(segs) > 2: segs[1], segs[2] = segs[2], segs[1]
    if retrans and len(segs) > 1: segs.insert(2, segs[0].copy())
    for sg in segs: add(sg)
    add(Er()/IP(src=srv, dst=cli)/TCP(sport=80, dport=sport, flags='FA', seq=s+1+len(resp), ack=c+1+len(req)))
    add(E()/IP(src=cli, dst=srv)/TCP(sport=sport, dport=80, flags='FA', seq=c+1+len(req), ack=s+2+len(resp)))
    return pk

body = b'<html><body><h1>Hello from tcpflow</h1><p>Reassembled in order.</p></body></html>\n'
resp = b'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n' % len(body) + body
req1 = b'GET /index.html HTTP/1.1\r\nHost: demo.example\r\n\r\n'
req2 = b'GET /again HTTP/1.1\r\nHost: demo.example\r\n\r\n'
pk = conn('198.18.0.1', 40001, '198.18.0.2', req1, resp, 1700000000.0, reorder=True)
pk += conn('198.18.0.1', 40002, '198.18.0.2', req2, resp, 1700000001.0, retrans=True)
wrpcap(sys.argv[1] if len(sys.argv) > 1 else 'demo.pcap', pk)
