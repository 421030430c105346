#!/usr/bin/python3
"""check_stream.py JSONL DIR - the -J records of each direction, in the order
printed, must form its stream: each record starts where the previous one
ended (a "gap" record skips its hole), and the bytes (holes as zeros) are
exactly the flow file that the same binary writes into DIR (default names,
IPv4 only, no port reuse).  Also: no byte printed twice."""
import json, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrec import payload as jpayload  # noqa: E402

def name(r):
    def a(h):
        return '.'.join('%03d' % int(x) for x in h.split('.'))
    return '%s.%05d-%s.%05d' % (a(r['src_host']), r['src_port'], a(r['dst_host']), r['dst_port'])

streams = {}
for n, l in enumerate(open(sys.argv[1], 'rb').read().split(b'\n')[:-1], 1):
    r = json.loads(l)
    k = name(r)
    pos, buf = streams.get(k, (0, bytearray()))
    if r['offset'] != pos:
        raise SystemExit('line %d: %s offset %d, expected %d' % (n, k, r['offset'], pos))
    if 'gap' in r:
        if jpayload(r) or r['length'] != 0:
            raise SystemExit('line %d: a gap record with bytes' % n)
        buf += b'\0' * r['gap']
        pos += r['gap']
    else:
        d = jpayload(r)
        if len(d) != r['length']:
            raise SystemExit('line %d: length %d but %d bytes' % (n, r['length'], len(d)))
        buf += d
        pos += len(d)
    streams[k] = (pos, buf)
files = sorted(f for f in os.listdir(sys.argv[2]) if f != 'report.xml')
if sorted(streams) != files:
    raise SystemExit('directions %s but files %s' % (sorted(streams), files))
for k, (pos, buf) in streams.items():
    want = open(os.path.join(sys.argv[2], k), 'rb').read()
    if bytes(buf) != want:
        raise SystemExit('%s: console stream (%d bytes) differs from the file (%d bytes)' % (k, len(buf), len(want)))
print('%d directions: console streams equal the files' % len(streams))
