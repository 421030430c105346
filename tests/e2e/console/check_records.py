#!/usr/bin/python3
"""check_records.py COMBINED SOLO_A SOLO_B - COMBINED is the output of two
concurrent `-c -D` runs (headers starting with "A" and "B") written to one
pipe; SOLO_A and SOLO_B are each run alone.  Records (split at the blank line
that ends each record; hex dumps never contain one) must be intact: the A
records of COMBINED are exactly SOLO_A's, in order, and likewise for B.
Prints how many times the writer changed (proof that the runs overlapped)."""
import sys

def recs(path):
    t = open(path, 'rb').read()
    if not t.endswith(b'\n\n'):
        raise SystemExit('%s: does not end with a record' % path)
    return t[:-2].split(b'\n\n')

c, a, b = recs(sys.argv[1]), recs(sys.argv[2]), recs(sys.argv[3])
bad = [r for r in c if r[:1] not in (b'A', b'B')]
if bad:
    raise SystemExit('record from neither run (interleaved?): %r' % bad[0][:120])
ca = [r for r in c if r[:1] == b'A']
cb = [r for r in c if r[:1] == b'B']
for name, got, want in (('A', ca, a), ('B', cb, b)):
    if got != want:
        n = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
        raise SystemExit('%s records differ at record %d (%d vs %d records)' % (name, n, len(got), len(want)))
switches = sum(1 for x, y in zip(c, c[1:]) if x[:1] != y[:1])
print('%d records intact (%d A, %d B), writer changed %d times' % (len(c), len(ca), len(cb), switches))
