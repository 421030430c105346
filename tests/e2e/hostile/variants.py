#!/usr/bin/python3
"""Run tcpflow on each variant written by mkinputs.py and check exit status,
messages, flow files (exact bytes) and report.xml (run_status; xmllint).

usage: variants.py BINARY DEMO.pcap INPUTDIR WORKDIR
Prints "ok ..." / "FAIL ..." lines; exit 1 on any failure.
"""
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caplib  # noqa: E402

binary, demo, ind, work = sys.argv[1:5]
fails = 0


def say(good, what):
    global fails
    print(('ok   ' if good else 'FAIL ') + what)
    if not good:
        fails += 1


def run(path, tag):
    out = os.path.join(work, tag)
    rc, err, files = caplib.run(binary, ['-r', path, '-o', out], out)
    rep = os.path.join(out, 'report.xml')
    status, wf = None, False
    if os.path.exists(rep):
        m = re.search(rb'<run_status>([^<]*)</run_status>', open(rep, 'rb').read())
        status = m and m.group(1).decode()
        wf = subprocess.run(['xmllint', '--noout', rep], stderr=subprocess.DEVNULL).returncode == 0
    return rc, err, files, status, wf


hdr, recs = caplib.read_pcap(demo)
rc, err, full, status, wf = run(demo, 'full')
say(rc == 0 and len(full) == 4 and status == 'complete' and wf, 'demo.pcap: 4 files, exit 0')
prefix = {}


def clean_prefix(k):
    if k not in prefix:
        p = os.path.join(work, 'prefix%d.pcap' % k)
        open(p, 'wb').write(caplib.pcap_bytes(hdr, recs[:k]))
        prefix[k] = run(p, 'prefix%d' % k)[2]
    return prefix[k]


def check(name, want_rc, want_files, msg_re=None):
    path = os.path.join(ind, name)
    rc, err, files, status, wf = run(path, name)
    msgs = caplib.messages(err)
    what = '%s: rc=%d msgs=%r' % (name, rc, msgs)
    good = rc == want_rc and not caplib.sanitizer_report(err) and wf
    if want_rc == 0:
        good = good and not msgs and status == 'complete'
    else:
        good = good and len(msgs) == 1 and name in msgs[0] and status == 'completed with input errors'
        if msg_re:
            good = good and re.search(msg_re, msgs[0]) is not None
    if files != want_files:
        good = False
        what += ' files %s, expected %s' % (sorted((k, len(v)) for k, v in files.items()),
                                           sorted((k, len(v)) for k, v in want_files.items()))
    say(good, what + ' status=%r well-formed=%s' % (status, wf))


check('demo.pcapng', 0, full)
check('unknown.pcapng', 0, full)         # unknown, custom, NRB and ISB blocks are skipped
check('snapsmall.pcap', 0, full)         # caplen > the header's snaplen: accepted as is
check('biglen_ok.pcap', 0, full)         # caplen of exactly 256 KiB: allowed (padding after IP)
check('biglen.pcap', 1, clean_prefix(5), r'caplen 262145')
check('garbage_hdr.pcap', 1, {})
check('garbage_mid.pcap', 1, clean_prefix(6))
check('zero_mid.pcap', 0, clean_prefix(6))   # all-zero bytes are valid empty records
check('bigrec.pcapng', 1, clean_prefix(6), r'too large|block')
check('hugeblock.pcapng', 1, clean_prefix(6), r'block')


# snapcut.pcap: every packet cut to 60 bytes (6 bytes of TCP payload).  Each
# flow file holds exactly the captured payload bytes at their stream offsets,
# zeros between them, and ends after the last captured byte.
def addr(b):
    return '.'.join('%03d' % x for x in b)


def expected_snapcut(path):
    _, rs = caplib.read_pcap(path)
    isn, files = {}, {}
    for h, p in rs:
        ip = p[14:]
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        sport, dport, seq = struct.unpack('!HHI', tcp[:8])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        name = '%s.%05d-%s.%05d' % (addr(ip[12:16]), sport, addr(ip[16:20]), dport)
        if flags & 0x02:
            isn[name] = seq
            continue
        data = tcp[doff:]
        if not data:
            continue
        off = (seq - isn[name] - 1) & 0xffffffff
        b = files.setdefault(name, bytearray())
        if len(b) < off + len(data):
            b.extend(b'\0' * (off + len(data) - len(b)))
        b[off:off + len(data)] = data
    return {k: bytes(v) for k, v in files.items()}


exp = expected_snapcut(os.path.join(ind, 'snapcut.pcap'))
rc, err, files, status, wf = run(os.path.join(ind, 'snapcut.pcap'), 'snapcut')
good = rc == 0 and not caplib.messages(err) and files == exp and wf and status == 'complete'
good = good and all(all(x == y or x == 0 for x, y in zip(v, full[k])) for k, v in files.items())
say(good, 'snapcut.pcap (caplen < len): captured bytes at their offsets, zero holes, exit 0 (%s)'
    % sorted((k, len(v)) for k, v in files.items()))

# random damage: bytes overwritten in the demo (pcap and pcapng), seeded.
# Whatever happens, the run ends with 0 or 1, at most one message (exactly
# one, naming the file, with 1), no sanitizer report, a well-formed report.
import random  # noqa: E402
nseeds = int(os.environ.get('HOSTILE_SEEDS', '60'))
bad = []
for base in ('demo.pcap', 'demo.pcapng'):
    src = open(demo if base == 'demo.pcap' else os.path.join(ind, base), 'rb').read()
    for seed in range(nseeds):
        rnd = random.Random(seed)
        b = bytearray(src)
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        name = 'mut%d.%s' % (seed, base)
        path = os.path.join(work, name)
        open(path, 'wb').write(bytes(b))
        rc, err, files, status, wf = run(path, 'mut')
        msgs = caplib.messages(err)
        ok_ = rc in (0, 1) and not caplib.sanitizer_report(err) and wf and status is not None
        ok_ = ok_ and ((rc == 0 and not msgs) or (rc == 1 and len(msgs) == 1 and name in msgs[0]))
        if not ok_:
            bad.append('%s: rc=%d msgs=%r status=%r wf=%s %s' % (name, rc, msgs, status, wf, err[-1500:]))
            os.replace(path, os.path.join(work, 'KEEP-' + name))
say(not bad, '%d randomly damaged captures: exit 0/1, one message, report well-formed%s'
    % (2 * nseeds, ''.join('\n    ' + x for x in bad[:10])))
sys.exit(1 if fails else 0)
