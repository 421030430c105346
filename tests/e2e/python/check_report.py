#!/usr/bin/python3
"""check_report.py MODE REPORT [ARG]: checks the python scanner's elements in a
report.xml (tcpflow -e python -S py_module=e2eplug); prints one summary line,
or the first differences, and exits 1 when anything differs.

  lenhash REPORT [TYPE]  every fileobject has one <tcpflow:result> equal to the
                         'LENGTH SHA256' of its flow file (of nothing when it has
                         no file), after 'TYPE ' when given (function typed)
  meta REPORT            function meta: family, addresses, ports, VLAN, packets and
                         file name as the fileobject's <tcpflow> element says
  raw REPORT             function raw: the text, unescaped, is the flow file
  errors REPORT          function odd_raises: <tcpflow:error> for odd lengths;
                         prints the number of errors
  fx FILES_REPORT FX_REPORT   the same result for every flow_id in both reports
  plan REPORT PLAN       function meta on netlab traffic: every direction the
                         plan says was sent is in a result, exact
  regex REPORT           python/plugins/regexSearch.search: every match line's text
                         is in its flow file at its offset; prints the matches
  results REPORT         prints every result, in report order (to compare runs)
"""
import hashlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = '{http://afflib.org/tcpflow/}'     # the scanner's elements; the fileobjects have none
EMPTY = '0 ' + hashlib.sha256(b'').hexdigest()


def lenhash_file(path):
    if path is None:
        return EMPTY
    with open(path, 'rb') as f:
        b = f.read()
    return '%d %s' % (len(b), hashlib.sha256(b).hexdigest())


def fileobjects(report):
    root = ET.parse(report).getroot()
    for fo in root.iter('fileobject'):
        fn = fo.find('filename')
        tf = fo.find('tcpflow')
        res = fo.findall(NS + 'result')
        err = fo.findall(NS + 'error')
        yield (fn.text if fn is not None else None), tf, res, err


def text(e):
    return e.text or ''


def unescape(e):
    """The str a result was made of (the report's \\\\ and \\xNN escapes undone)."""
    t = text(e).encode('utf-8')
    if e.get('escaped') == '1':
        t = re.sub(rb'\\(\\|x[0-9a-f]{2})', lambda m: b'\\' if m.group(1) == b'\\' else bytes([int(m.group(1)[1:], 16)]), t)
    return t.decode('utf-8', 'surrogatepass')


def main():
    mode, report = sys.argv[1], sys.argv[2]
    bad, n = [], 0
    if mode in ('lenhash', 'meta', 'raw', 'errors'):
        errors = 0
        for fn, tf, res, err in fileobjects(report):
            n += 1
            if mode == 'errors':
                data_len = int(lenhash_file(fn).split()[0])
                if data_len % 2:
                    errors += 1
                    ok = not res and len(err) == 1 and err[0].get('exception') == 'ValueError' and \
                        text(err[0]) == 'ValueError: odd length %d' % data_len and err[0].get('scanner') == 'python'
                else:
                    ok = not err and len(res) == 1 and text(res[0]) == lenhash_file(fn)
                if not ok:
                    bad.append('%s: %s %s' % (fn, [text(r) for r in res], [text(e) for e in err]))
                continue
            if mode == 'raw' and fn is not None and os.path.getsize(fn) > 65536:
                if res or err:
                    bad.append('%s: over 64 KiB, the function returned None, yet %d elements' % (fn, len(res) + len(err)))
                continue
            if err or len(res) != 1:
                bad.append('%s: %d results, errors %s' % (fn, len(res), [text(e) for e in err]))
                continue
            r = res[0]
            if r.get('scanner') != 'python' or r.get('module') != 'e2eplug':
                bad.append('%s: attributes %s' % (fn, r.attrib))
            if mode == 'lenhash':
                want = lenhash_file(fn)
                if len(sys.argv) > 3:
                    want = sys.argv[3] + ' ' + want
            elif mode == 'meta':
                a = tf.attrib
                want = '%d %s %s %s %s %s %s %s %s' % (4 if a['family'] == '2' else 6, a['src_ipn'], a['srcport'],
                                                       a['dst_ipn'], a['dstport'], a.get('vlan', 'None'),
                                                       a['packets'], fn, lenhash_file(fn))
            elif fn is None:
                want = ''
            else:
                with open(fn, 'rb') as f:
                    want = f.read().decode('latin-1')
            got = unescape(r) if mode == 'raw' else text(r)
            if got != want:
                bad.append('%s: got %r, want %r' % (fn, got[:300], want[:300]))
        if mode == 'errors':
            print(errors)
    elif mode == 'fx':
        def results(rep):
            out = {}
            for fn, tf, res, err in fileobjects(rep):
                out[tf.get('flow_id')] = [text(r) for r in res] + [text(e) for e in err]
            return out
        a, b = results(report), results(sys.argv[3])
        n = len(a)
        if a != b:
            for k in sorted(set(a) | set(b), key=lambda x: int(x or 0)):
                if a.get(k) != b.get(k):
                    bad.append('flow_id %s: with files %s, -FX %s' % (k, a.get(k), b.get(k)))
    elif mode == 'plan':
        plan = json.load(open(sys.argv[3]))
        seen = {}
        for fn, tf, res, err in fileobjects(report):
            for r in res:
                f = text(r).split()
                seen[(f[1], int(f[2]), f[3], int(f[4]))] = (int(f[-2]), f[-1])
        for c in plan['conns']:
            for key, d in (((c['client'], c['cport'], c['server'], c['sport']), c['c2s']),
                           ((c['server'], c['sport'], c['client'], c['cport']), c['s2c'])):
                n += 1
                if d['len'] == 0:
                    if key in seen and seen[key] != (0, hashlib.sha256(b'').hexdigest()):
                        bad.append('%s: sent nothing, result %s' % (key, seen[key]))
                elif seen.get(key) != (d['len'], d['sha256']):
                    bad.append('%s: sent %d %s, result %s' % (key, d['len'], d['sha256'], seen.get(key)))
    elif mode == 'regex':
        matches = 0
        for fn, tf, res, err in fileobjects(report):
            if err or len(res) > 1:
                bad.append('%s: %d results, errors %s' % (fn, len(res), [text(e) for e in err]))
            data = open(fn, 'rb').read().decode('latin-1') if fn else ''
            for r in res:
                n += 1
                for line in unescape(r).split('\n'):
                    if line.startswith('... '):
                        continue
                    off, name, found = line.split(' ', 2)
                    matches += 1
                    if data[int(off):int(off) + len(found)] != found:
                        bad.append('%s: %r not at offset %s' % (fn, line[:100], off))
        print(matches)
    elif mode == 'results':
        for fn, tf, res, err in fileobjects(report):
            for r in res + err:
                print(unescape(r))
        return
    else:
        sys.exit('unknown mode ' + mode)
    for b in bad[:10]:
        print('  ' + b, file=sys.stderr)
    if bad:
        print('%s: %d of %d differ' % (mode, len(bad), n), file=sys.stderr)
        sys.exit(1)
    if mode not in ('errors', 'regex'):
        print('%s: %d exact' % (mode, n))


main()
