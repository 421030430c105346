#!/usr/bin/python3
"""Cut a capture at every byte (or every --stride-th byte, plus every byte
near a record boundary) and check each run of tcpflow on the cut:

* exit status 0 (cut exactly at a record/block boundary: a clean capture)
  or 1 (damaged); never a signal, never a sanitizer report;
* clean: no message; damaged: exactly one message, naming the file;
* the flow files are exactly those of the clean capture made of the
  records wholly before the cut (same names, same bytes): everything before
  the damage is delivered, nothing after;
* each of them is the full run's file of the same name cut short, except
  bytes not seen yet (a reordered segment) which are zero holes;
* report.xml exists, says "complete" or "completed with input errors", and
  all of them are well-formed (one xmllint call at the end).

--kind gzip: the capture is gzip-compressed; cuts are of the compressed
bytes, boundaries those of the decompressed pcap; the output of a cut must
equal the output of some clean prefix, never shrinking as the cut grows.
Prints one line per problem (at most 20 per kind) and a summary; exit 1 on
any problem.
"""
import argparse
import concurrent.futures
import gzip
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caplib  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('--binary', required=True)
ap.add_argument('--capture', required=True, help='input capture (already built)')
ap.add_argument('--kind', choices=('pcap', 'pcapng', 'gzip'), required=True)
ap.add_argument('--work', required=True)
ap.add_argument('--stride', type=int, default=1)
ap.add_argument('--jobs', type=int, default=2)
a = ap.parse_args()

data = open(a.capture, 'rb').read()
name = os.path.basename(a.capture)
os.makedirs(a.work, exist_ok=True)
problems = {}


def problem(kind, msg):
    problems.setdefault(kind, []).append(msg)


def run_on(blob, tag, fname):
    d = os.path.join(a.work, tag)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, fname)
    with open(path, 'wb') as f:
        f.write(blob)
    out = os.path.join(d, 'out')
    rc, err, files = caplib.run(a.binary, ['-r', path, '-o', out], out)
    rep = os.path.join(out, 'report.xml')
    xml = open(rep, 'rb').read() if os.path.exists(rep) else None
    return rc, err, files, xml


# ---- the full run and the clean prefixes ----
plain = gzip.decompress(data) if a.kind == 'gzip' else data
if a.kind == 'pcapng':
    bounds = caplib.block_ends_pcapng(plain)
else:
    bounds = caplib.record_ends_pcap(plain)
rc, err, full, _ = run_on(data, 'full', name)
if rc != 0 or caplib.messages(err):
    problem('full', 'full run: rc=%d %r' % (rc, err))
clean = {}
for b in bounds:
    rc, err, files, _ = run_on(plain[:b], 'clean', 'clean.' + a.kind)
    if rc != 0 or caplib.messages(err) or caplib.sanitizer_report(err):
        problem('clean', 'clean prefix of %d bytes: rc=%d %r' % (b, rc, err[-400:]))
    clean[b] = files
if clean.get(len(plain)) != full:
    problem('clean', 'the whole capture rewritten gives other files than the full run')


def prefix_mod_holes(cut, whole):
    """cut == whole[:len(cut)] except zero bytes (holes not filled yet)."""
    if len(cut) > len(whole):
        return False
    if cut == whole[:len(cut)]:
        return True
    return all(x == y or x == 0 for x, y in zip(cut, whole))


# ---- cuts ----
near = set()
for b in bounds + [0]:
    for k in range(-3, 4):
        near.add(b + k)
if a.kind == 'gzip':
    cuts = list(range(0, len(data), a.stride)) + [x for x in range(0, 40) if x < len(data)]
else:
    cuts = [c for c in range(0, len(data)) if c % a.stride == 0 or c in near or c < 64]
cuts = sorted(set(cuts))
reports = os.path.join(a.work, 'reports')
os.makedirs(reports, exist_ok=True)


def one(cut):
    return cut, run_on(data[:cut], 'cut-%d' % cut, name)


status_re = re.compile(rb'<run_status>([^<]*)</run_status>')
gz_prev = -1
results = {}
with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
    for cut, (rc, err, files, xml) in ex.map(one, cuts):
        results[cut] = True
        where = 'cut at %d' % cut
        if rc not in (0, 1):
            problem('exit', '%s: exit status %d' % (where, rc))
        if caplib.sanitizer_report(err):
            problem('sanitizer', '%s: %s' % (where, err[-2000:]))
        msgs = caplib.messages(err)
        if a.kind == 'gzip':
            is_clean = False
        else:
            is_clean = cut in clean
        if is_clean:
            if rc != 0 or msgs:
                problem('status', '%s (a clean boundary): rc=%d msgs=%r' % (where, rc, msgs))
            expect = clean[cut]
            if files != expect:
                problem('files', '%s: files differ from the clean prefix' % where)
        else:
            if rc != 1:
                problem('status', '%s: damaged input but exit %d' % (where, rc))
            if len(msgs) != 1 or name not in msgs[0]:
                problem('message', '%s: expected one message naming %s, got %r' % (where, name, msgs))
            if a.kind == 'gzip':
                match = [b for b in bounds if clean[b] == files]
                if not match:
                    problem('files', '%s: files are not those of any clean prefix: %s'
                            % (where, sorted(files)))
                else:
                    k = max(match)
                    if k < gz_prev and clean[k] != clean[gz_prev]:
                        problem('files', '%s: fewer files/bytes than a shorter cut' % where)
                    gz_prev = max(gz_prev, k)
            else:
                below = max([b for b in bounds if b <= cut], default=None)
                expect = clean[below] if below is not None else {}
                if files != expect:
                    problem('files', '%s: files %s, expected those of the clean prefix of %s bytes: %s'
                            % (where, sorted((k, len(v)) for k, v in files.items()), below,
                               sorted((k, len(v)) for k, v in expect.items())))
        for fn, body in files.items():
            if fn not in full:
                problem('prefix', '%s: %s is not a file of the full run' % (where, fn))
            elif not prefix_mod_holes(body, full[fn]):
                problem('prefix', '%s: %s is not a prefix (modulo holes) of the full file' % (where, fn))
        if xml is None:
            problem('report', '%s: no report.xml' % where)
        else:
            with open(os.path.join(reports, '%d.xml' % cut), 'wb') as f:
                f.write(xml)
            m = status_re.search(xml)
            want = b'complete' if (is_clean and rc == 0) else b'completed with input errors'
            if not m or m.group(1) != want:
                problem('report', '%s: run_status %r, expected %r' % (where, m and m.group(1), want))
        shutil.rmtree(os.path.join(a.work, 'cut-%d' % cut), ignore_errors=True)

xmls = sorted(os.listdir(reports))
for i in range(0, len(xmls), 500):
    p = subprocess.run(['xmllint', '--noout'] + [os.path.join(reports, x) for x in xmls[i:i + 500]],
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        problem('report', 'xmllint: ' + p.stderr.decode('utf-8', 'replace')[:2000])

nprob = 0
for kind, msgs in sorted(problems.items()):
    nprob += len(msgs)
    for m in msgs[:20]:
        print('FAIL %s: %s' % (kind, m))
    if len(msgs) > 20:
        print('FAIL %s: ... %d more' % (kind, len(msgs) - 20))
print('%s (%s): %d cuts of %d bytes, %d clean boundaries, %d problems'
      % (name, a.kind, len(cuts), len(data), len(bounds), nprob))
sys.exit(1 if nprob else 0)
