#!/usr/bin/python3
"""Compare our flow files with tcpflow 1.6.1's on every corpus capture.

Every difference (a file only one of us wrote, or a file whose bytes differ)
must be listed in docs/compat.md, in the table between the markers
'<!-- compat-table-begin -->' and '<!-- compat-table-end -->', as
  | capture | file | 1.6.1 sha256/16 | ours sha256/16 | reason |
('-' for a missing file).  Any unlisted difference, or any listed one that
no longer happens, fails the test.  --generate prints a table for the
current outputs (reasons filled in where a rule recognises them, REVIEW
elsewhere) for a human to check.
"""
import argparse, hashlib, os, subprocess, sys, tempfile, shutil

BEGIN, END = '<!-- compat-table-begin -->', '<!-- compat-table-end -->'

def files(d):
    out = {}
    for root, _, fs in os.walk(d):
        for f in fs:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, d)
            if rel == 'report.xml':
                continue
            with open(p, 'rb') as fh:
                out[rel] = fh.read()
    return out

def h(b):
    return '-' if b is None else hashlib.sha256(b).hexdigest()[:16]

def run(binary, cap, outdir, extra):
    os.makedirs(outdir)
    r = subprocess.run([binary, '-r', cap, '-o', outdir] + extra, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    return r.returncode, r.stderr.decode(errors='replace')

def guess(a, b):
    """Reason for one difference, when a simple rule recognises it."""
    if a is not None and b is not None and len(a) > len(b) and a.startswith(b) and len(a) - len(b) <= 64:
        return 'padding'
    if b is None and a is not None and len(a) <= 10:
        return 'padding'
    return 'REVIEW'

def load_table(path):
    rows = {}
    inside = False
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line == BEGIN: inside = True; continue
            if line == END: break
            if not inside or not line.startswith('|') or line.startswith('|--') or line.startswith('| capture'):
                continue
            cells = [c.strip().strip('`') for c in line.strip('|').split('|')]
            if len(cells) < 5: continue
            rows[(cells[0], cells[1])] = (cells[2], cells[3], cells[4])
    return rows

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ours', required=True)
    ap.add_argument('--oracle', default='/usr/bin/tcpflow')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--table', required=True)
    ap.add_argument('--generate', action='store_true')
    ap.add_argument('--only', nargs='*')
    a = ap.parse_args()
    caps = sorted(f for f in os.listdir(a.corpus) if f.endswith(('.pcap', '.pcapng', '.cap')))
    if a.only: caps = [c for c in caps if c in a.only]
    table = {} if a.generate else load_table(a.table)
    tmp = tempfile.mkdtemp(prefix='compat.')
    seen, bad, gen = set(), [], []
    try:
        for cap in caps:
            path = os.path.join(a.corpus, cap)
            rc1, _ = run(a.oracle, path, os.path.join(tmp, 'r', cap), [])
            rc2, err2 = run(a.ours, path, os.path.join(tmp, 'o', cap), [])
            if rc2 < 0 or rc2 > 1:
                bad.append(f'{cap}: our exit status {rc2}: {err2.strip()[:300]}')
            if 'AddressSanitizer' in err2 or 'runtime error' in err2:
                bad.append(f'{cap}: sanitizer report: {err2.strip()[:500]}')
            r = files(os.path.join(tmp, 'r', cap))
            o = files(os.path.join(tmp, 'o', cap))
            ndiff = 0
            for name in sorted(set(r) | set(o)):
                ra, ob = r.get(name), o.get(name)
                if ra == ob: continue
                ndiff += 1
                key = (cap, name)
                if a.generate:
                    gen.append(f'| `{cap}` | `{name}` | {h(ra)} | {h(ob)} | {guess(ra, ob)} |')
                    continue
                seen.add(key)
                if key not in table:
                    bad.append(f'{cap}: unlisted difference in {name}: 1.6.1 {h(ra)} ours {h(ob)}')
                elif table[key][:2] != (h(ra), h(ob)):
                    bad.append(f'{cap}: {name}: listed as 1.6.1 {table[key][0]} ours {table[key][1]}, now 1.6.1 {h(ra)} ours {h(ob)}')
            print(f'{"same" if ndiff == 0 else "diff"} {cap} ({len(o)} files, {ndiff} listed differences)')
        if not a.generate:
            for key in table:
                if key[0] in caps and key not in seen:
                    bad.append(f'{key[0]}: listed difference in {key[1]} no longer happens')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.generate:
        print('\n'.join(gen))
        return 0
    for b in bad: print('FAIL', b)
    print(f'corpus-compat: {len(caps) - len({b.split(":")[0] for b in bad})} passed, {len({b.split(":")[0] for b in bad})} failed')
    return 1 if bad else 0

sys.exit(main())
