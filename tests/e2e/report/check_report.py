#!/usr/bin/python3
"""Checks of report.xml (the DFXML report) for tests/e2e/t_report.sh.

check_report.py files --report R --dir D [--hash] [--nofiles] [--flows N]
    R parses; every regular file under D (report.xml and *.findx aside) has
    exactly one <fileobject> whose <filename> names it, whose <filesize> is
    its size and, with --hash, whose MD5 and SHA256 <hashdigest>s are its
    digests; every <filename> names such a file; every fileobject has a
    <tcpflow> element with the 1.6.1 attributes.  --nofiles: no <filename>
    at all and no flow file on disk.  --flows N: exactly N fileobjects.
    --max-bytes N (-b N): each file holds min(N, filesize) bytes.
    Filenames are resolved against the current directory, as tcpflow wrote
    them.

check_report.py same R1 R2
    Two reports list the same flows (same keys, same 1.6.1 attributes and
    filesize), e.g. a -FX run and a normal one.

check_report.py corpus --ours BIN --corpus DIR --table FILE [--oracle BIN]
                       [--generate] [--only CAP...]
    Every corpus capture: run ours with -FM (xmllint and the `files` checks
    above), run tcpflow 1.6.1, and compare the <tcpflow> attributes (and
    <filesize>) of the fileobjects of the same flow, matched by (src_ipn,
    srcport, dst_ipn, dstport, startime).  Every difference must be a row of
    the table in FILE (between the begin/end markers) with its reason, and
    every row must still happen.  Rows whose reason is `padding` are checked
    again live: 1.6.1 run on the capture with link padding cut off
    (depad.py) must agree with us.  Rows whose reason is `mac-link` may only
    differ in the MAC attributes, on a capture that is not Ethernet.
    --oracle '' skips the comparison (our own checks only).
    --generate prints the table for the current outputs instead (reasons
    guessed from those two rules; REVIEW where no rule applies).
"""
import argparse
import datetime
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = '<!-- report-diffs-begin -->', '<!-- report-diffs-end -->'
# 1.6.1's <tcpflow> attributes, in its order
ATTRS = ['startime', 'endtime', 'mac_daddr', 'mac_saddr', 'family', 'src_ipn', 'dst_ipn',
         'srcport', 'dstport', 'packets', 'out_of_order_count', 'violations', 'len', 'caplen']
REQUIRED = ['startime', 'endtime', 'family', 'src_ipn', 'dst_ipn', 'srcport', 'dstport',
            'packets', 'len']
# 1.6.1 prints the fraction as "%06d" of the record's microseconds, and
# leaves it out when they are 0; a record with tv_usec >= 10^6 gives 7 digits.
TIME_RE = re.compile(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{6,7}))?Z$')


def unescape(s):
    """Undo the escaped='1' form: \\\\ and \\xNN."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s) and s[i + 1] == '\\':
            out += b'\\'; i += 2
        elif s[i] == '\\' and s[i + 1:i + 2] == 'x':
            out.append(int(s[i + 2:i + 4], 16)); i += 4
        else:
            out += s[i].encode(); i += 1
    return bytes(out)


def fname(fo):
    e = fo.find('filename')
    if e is None:
        return None
    t = e.text or ''
    return unescape(t) if e.get('escaped') == '1' else t.encode()


def time_us(s):
    m = TIME_RE.match(s or '')
    if not m:
        raise ValueError('bad time %r' % s)
    d = datetime.datetime(*[int(x) for x in m.groups()[:6]], tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + int(m.group(7) or 0)


def fmt_us(us):
    d = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
    return d.strftime('%Y-%m-%dT%H:%M:%S') + '.%06dZ' % (us % 1000000)


def digest(path):
    m, s = hashlib.md5(), hashlib.sha256()
    with open(path, 'rb') as fh:
        for b in iter(lambda: fh.read(1 << 16), b''):
            m.update(b); s.update(b)
    return m.hexdigest(), s.hexdigest()


# ---------------------------------------------------------------- files

def check_files(report, d, want_hash, nofiles, nflows=None, max_bytes=None):
    """Return a list of problems (empty = fine)."""
    probs = []
    try:
        root = ET.parse(report).getroot()
    except (ET.ParseError, OSError) as e:
        return ['%s: does not parse: %s' % (report, e)]
    if root.tag != 'dfxml':
        probs.append('%s: root is <%s>' % (report, root.tag))
    fos = list(root.iter('fileobject'))
    if nflows is not None and len(fos) != nflows:
        probs.append('%d fileobjects, expected %d' % (len(fos), nflows))
    disk = set()
    for r, _, fs in os.walk(d):
        for f in fs:
            p = os.path.join(r, f)
            if os.path.abspath(p) == os.path.abspath(report) or f.endswith('.findx'):
                continue
            if os.path.isfile(p) and not os.path.islink(p):
                disk.add(os.path.normpath(p).encode())
    byname = {}
    for fo in fos:
        t = fo.find('tcpflow')
        if t is None:
            probs.append('fileobject without <tcpflow>')
            continue
        for a in REQUIRED:
            if a not in t.attrib:
                probs.append('fileobject without %s=' % a)
        for a in ('startime', 'endtime'):
            try:
                time_us(t.get(a))
            except ValueError:
                probs.append('bad %s=%r' % (a, t.get(a)))
        size = fo.findtext('filesize')
        if size is None or not size.isdigit():
            probs.append('fileobject without a valid <filesize>: %r' % size)
        n = fname(fo)
        if n is None:
            continue
        if nofiles:
            probs.append('<filename> %r with no files wanted' % n)
        byname.setdefault(os.path.normpath(n), []).append(fo)
    if nofiles and disk:
        probs.append('files on disk with no files wanted: %s' % sorted(disk)[:5])
    for n, l in byname.items():
        if len(l) != 1:
            probs.append('%r: %d fileobjects' % (n, len(l)))
        if n not in disk:
            probs.append('%r: in the report, not on disk' % n)
    for p in sorted(disk):
        l = byname.get(p)
        if not l:
            probs.append('%r: on disk, no fileobject' % p)
            continue
        fo = l[0]
        sz = os.path.getsize(p)
        want = fo.findtext('filesize')
        if max_bytes is not None and want is not None and want.isdigit():
            want = str(min(int(want), max_bytes))     # -b: the report keeps the logical length
        if want != str(sz):
            probs.append('%r: filesize %s, file has %d bytes' % (p, fo.findtext('filesize'), sz))
        hd = {}
        for h in fo.findall('hashdigest'):
            if h.get('type') in hd:
                probs.append('%r: two %s digests' % (p, h.get('type')))
            hd[h.get('type')] = (h.text or '').strip()
        if want_hash:
            md5, sha = digest(p)
            if hd.get('MD5') != md5:
                probs.append('%r: MD5 %s, file has %s' % (p, hd.get('MD5'), md5))
            if hd.get('SHA256') != sha:
                probs.append('%r: SHA256 %s, file has %s' % (p, hd.get('SHA256'), sha))
        elif hd:
            probs.append('%r: digests without -FM/-e md5' % p)
    return probs


def cmd_files(a):
    probs = check_files(a.report, a.dir, a.hash, a.nofiles, a.flows, a.max_bytes)
    for p in probs:
        print('  ' + p)
    sys.exit(1 if probs else 0)


def cmd_same(a):
    """Two of our reports describe the same flows: same keys, same 1.6.1
    attributes, same filesize."""
    x, y = by_key(fileobjects(a.a)), by_key(fileobjects(a.b))
    probs = []
    if not x:
        probs.append('%s: no fileobjects' % a.a)
    for k in sorted(set(x) | set(y), key=keytext):
        if len(x.get(k, [])) != len(y.get(k, [])):
            probs.append('%s: %d vs %d fileobjects' % (keytext(k), len(x.get(k, [])), len(y.get(k, []))))
            continue
        for fx, fy in zip(x[k], y[k]):
            d = differences(fx, fy)
            if d:
                probs.append('%s: %s' % (keytext(k), diffcell(d)))
    for p in probs:
        print('  ' + p)
    sys.exit(1 if probs else 0)


# ---------------------------------------------------------------- corpus

def fileobjects(path):
    """The fileobjects of a report, even an unterminated one (1.6.1 leaves
    its report unterminated after a fatal error)."""
    with open(path, 'rb') as fh:
        s = fh.read().decode('utf-8', 'replace')
    return [ET.fromstring(m.group(0)) for m in re.finditer(r'<fileobject>.*?</fileobject>', s, re.S)]


def key(fo):
    t = fo.find('tcpflow').attrib
    return (t['src_ipn'], t['srcport'], t['dst_ipn'], t['dstport'], time_us(t['startime']))


def keytext(k):
    return '%s.%s>%s.%s@%s' % (k[0], k[1], k[2], k[3], fmt_us(k[4]))


def by_key(fos):
    m = {}
    for fo in fos:
        m.setdefault(key(fo), []).append(fo)
    return m


def values(fo):
    """Comparable values: the 1.6.1 attributes and the filesize.  A time
    without a fraction is the same as one ending in .000000Z."""
    t = fo.find('tcpflow').attrib
    v = {a: t.get(a) for a in ATTRS}
    for a in ('startime', 'endtime'):
        m = TIME_RE.match(v[a] or '')
        if m and m.group(7) is None:
            v[a] = v[a][:-1] + '.000000Z'
    v['filesize'] = fo.findtext('filesize')
    return v


def differences(ref, ours):
    """{attr: (ref, ours)} for the values that differ."""
    a, b = values(ref), values(ours)
    return {k: (a[k], b[k]) for k in list(ATTRS) + ['filesize'] if a[k] != b[k]}


def diffcell(d):
    return ', '.join('%s %s/%s' % (k, '-' if v[0] is None else v[0], '-' if v[1] is None else v[1])
                     for k, v in sorted(d.items()))


def dlt_of(path):
    with open(path, 'rb') as fh:
        d = fh.read(64)
    if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        return struct.unpack('<I', d[20:24])[0]
    if d[:4] in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        return struct.unpack('>I', d[20:24])[0]
    return None            # pcapng: several interfaces possible


def run(binary, cap, outdir, extra):
    os.makedirs(outdir)
    r = subprocess.run([binary, '-r', cap, '-o', outdir] + extra, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=600)
    return r.returncode, r.stderr.decode(errors='replace')


def load_table(path):
    rows = {}
    inside = False
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line == BEGIN:
                inside = True
                continue
            if line == END:
                break
            if not inside or not line.startswith('|') or line.startswith('|--') \
                    or line.startswith('| capture'):
                continue
            cells = [c.strip().strip('`') for c in line.strip('|').split('|')]
            if len(cells) == 4:
                rows[(cells[0], cells[1])] = (cells[2], cells[3])
    return rows


def compare(cap, refdir, oursdir):
    """Rows {(cap, flow): (cell, ...)} for one capture, plus the number of
    pairs compared and the number of time-format-only differences."""
    ref = by_key(fileobjects(os.path.join(refdir, 'report.xml')))
    ours = by_key(fileobjects(os.path.join(oursdir, 'report.xml')))
    rows, pairs, fmt = {}, 0, 0
    for k in sorted(set(ref) | set(ours), key=lambda k: keytext(k)):
        r, o = ref.get(k, []), ours.get(k, [])
        for i in range(max(len(r), len(o))):
            flow = keytext(k) + ('#%d' % i if i else '')
            if i >= len(o):
                n = fname(r[i])
                rows[(cap, flow)] = ('only in 1.6.1' + (' (file %s)' % os.path.basename(n.decode(errors='replace')) if n else ' (no file)'), r[i], None)
                continue
            if i >= len(r):
                n = fname(o[i])
                rows[(cap, flow)] = ('only in ours' + (' (file %s)' % os.path.basename(n.decode(errors='replace')) if n else ' (no file)'), None, o[i])
                continue
            pairs += 1
            for a in ('startime', 'endtime'):
                if r[i].find('tcpflow').get(a) != o[i].find('tcpflow').get(a):
                    fmt += 1
            d = differences(r[i], o[i])
            if d:
                rows[(cap, flow)] = (diffcell(d), r[i], o[i], d)
    return rows, pairs, fmt


def depad_confirms(row, dp):
    """True if 1.6.1's report on the de-padded capture (fileobjects by key
    in dp) agrees with ours for this row."""
    cell, ref, ours = row[0], row[1], row[2]
    if ours is None:                       # only in 1.6.1: gone once de-padded
        return key(ref) not in dp
    if ref is None:                        # only in ours: 1.6.1 has it once de-padded
        return key(ours) in dp
    cands = dp.get(key(ours), [])
    if len(cands) != 1:
        return False
    d = differences(cands[0], ours)
    d.pop('caplen', None)                  # de-padding shortened the captured lengths
    return not any(k in row[3] for k in d)


def cmd_corpus(a):
    caps = sorted(f for f in os.listdir(a.corpus) if f.endswith(('.pcap', '.pcapng', '.cap')))
    if a.only:
        caps = [c for c in caps if c in a.only]
    table = {} if a.generate else load_table(a.table)
    tmp = tempfile.mkdtemp(prefix='report.')
    cwd = os.getcwd()
    bad, gen, seen = [], [], set()
    npairs = nfmt = 0
    try:
        os.chdir(tmp)
        for cap in caps:
            path = os.path.join(a.corpus, cap)
            rc, err = run(a.ours, path, os.path.join('o', cap), ['-FM'])
            if rc not in (0, 1):
                bad.append('%s: ours exited %d: %s' % (cap, rc, err.strip()[-300:]))
                continue
            rep = os.path.join('o', cap, 'report.xml')
            x = subprocess.run(['xmllint', '--noout', rep], stderr=subprocess.PIPE)
            if x.returncode != 0:
                bad.append('%s: xmllint: %s' % (cap, x.stderr.decode(errors='replace')[:300]))
                continue
            for p in check_files(rep, os.path.join('o', cap), True, False):
                bad.append('%s: %s' % (cap, p))
            if not a.oracle:
                continue                          # no 1.6.1: our own checks only
            run(a.oracle, path, os.path.join('r', cap), [])
            rows, pairs, fmt = compare(cap, os.path.join('r', cap), os.path.join('o', cap))
            npairs += pairs
            nfmt += fmt
            need_depad = any(table.get(k, ('', ''))[1] == 'padding' for k in rows) or \
                (a.generate and rows)
            dp = None
            if need_depad:
                dpcap = os.path.join(tmp, 'depad-' + cap)
                if subprocess.run([sys.executable, os.path.join(HERE, 'depad.py'), path, dpcap]).returncode == 0:
                    run(a.oracle, dpcap, os.path.join('d', cap), [])
                    dp = by_key(fileobjects(os.path.join('d', cap, 'report.xml')))
            dlt = dlt_of(path)
            for k, row in sorted(rows.items()):
                cell = row[0]
                if a.generate:
                    if dp is not None and depad_confirms(row, dp):
                        reason = 'padding'
                    elif row[1] is not None and row[2] is not None and dlt not in (None, 1) \
                            and set(row[3]) <= {'mac_daddr', 'mac_saddr'}:
                        reason = 'mac-link'
                    else:
                        reason = 'REVIEW'
                    gen.append('| `%s` | `%s` | %s | %s |' % (k[0], k[1], cell, reason))
                    continue
                seen.add(k)
                if k not in table:
                    bad.append('%s: %s: unlisted difference: %s' % (cap, k[1], cell))
                    continue
                want, reason = table[k]
                if want != cell:
                    bad.append('%s: %s: table says %s, now %s' % (cap, k[1], want, cell))
                elif reason == 'padding' and (dp is None or not depad_confirms(row, dp)):
                    bad.append('%s: %s: reason padding, but 1.6.1 on the de-padded capture does not agree with us' % (cap, k[1]))
                elif reason == 'mac-link' and (dlt in (None, 1) or row[1] is None or row[2] is None
                                               or not set(row[3]) <= {'mac_daddr', 'mac_saddr'}):
                    bad.append('%s: %s: reason mac-link does not fit' % (cap, k[1]))
        if not a.generate and a.oracle:
            for k in sorted(set(table) - seen):
                if k[0] in caps:
                    bad.append('%s: %s: listed difference no longer happens: %s' % (k[0], k[1], table[k][0]))
    finally:
        os.chdir(cwd)
        shutil.rmtree(tmp, ignore_errors=True)
    if a.generate:
        print('| capture | flow | differences (attribute 1.6.1/ours) | reason |')
        print('|---|---|---|---|')
        for g in gen:
            print(g)
        return
    for b in bad:
        print('FAIL ' + b)
    print('%d captures, %d flow pairs compared, %d listed differences, %d start/end times '
          'written differently but equal (1.6.1 drops .000000)' % (len(caps), npairs, len(seen), nfmt))
    sys.exit(1 if bad else 0)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    f = sub.add_parser('files')
    f.add_argument('--report', required=True)
    f.add_argument('--dir', required=True)
    f.add_argument('--hash', action='store_true')
    f.add_argument('--nofiles', action='store_true')
    f.add_argument('--flows', type=int)
    f.add_argument('--max-bytes', type=int)
    m = sub.add_parser('same')
    m.add_argument('a')
    m.add_argument('b')
    c = sub.add_parser('corpus')
    c.add_argument('--ours', required=True)
    c.add_argument('--oracle', default='/usr/bin/tcpflow')
    c.add_argument('--corpus', required=True)
    c.add_argument('--table', required=True)
    c.add_argument('--generate', action='store_true')
    c.add_argument('--only', nargs='*')
    a = ap.parse_args()
    if a.cmd == 'files':
        cmd_files(a)
    elif a.cmd == 'same':
        cmd_same(a)
    else:
        cmd_corpus(a)


if __name__ == '__main__':
    main()
