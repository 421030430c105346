#!/usr/bin/python3
"""compare.py - -K per-flow pcap files against Debian's tcpflow 1.6.1.

  compare.py --ours BIN --oracle BIN --tmp DIR CAPTURE...

Runs both with -K on each capture (classic pcap inputs) and compares the
names of the .pcap files and, file by file, every record (time, lengths,
bytes).  The global header's link type must be the input's for us (1.6.1
writes its internal code, e.g. 6 for Ethernet: SPEC 6.1, a bug), and its
other fields as 1.6.1's except the snaplen (ours 262144); record times are
compared as instants (1.6.1 copies a microsecond field >= 10^6 as it is, we
carry it into the seconds).  Expected differences, each checked:
  * a file only we write: 1.6.1 writes no flow file for that direction
    either (it cannot decode the link or the IPv6 headers: docs/compat.md);
  * other records where the capture holds IP fragments: we write reassembled
    datagrams (t_kpcap.sh checks those files by a round trip).
Exit 0 when all match.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys


def read_pcap(path):
    b = open(path, "rb").read()
    if len(b) < 24:
        return None, []
    magic = struct.unpack("<I", b[:4])[0]
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    hdr = struct.unpack(e + "IHHiIII", b[:24])
    recs, i = [], 24
    while i + 16 <= len(b):
        s, us, cl, wl = struct.unpack(e + "IIII", b[i:i + 16])
        recs.append((s * 1000000 + us, cl, wl, b[i + 16:i + 16 + cl]))
        i += 16 + cl
    return hdr, recs


def input_linktype(cap):
    """the link type of a classic pcap; for pcapng, that of its first interface"""
    b = open(cap, "rb").read(4096)
    magic = struct.unpack("<I", b[:4])[0]
    if magic == 0x0a0d0d0a:                      # pcapng: SHB, then the first IDB
        e = "<" if struct.unpack("<I", b[8:12])[0] == 0x1a2b3c4d else ">"
        i = struct.unpack(e + "I", b[4:8])[0]
        while i + 12 <= len(b):
            t, ln = struct.unpack(e + "II", b[i:i + 8])
            if t == 1:
                return struct.unpack(e + "H", b[i + 8:i + 10])[0]
            if ln < 12:
                break
            i += ln
        return None
    e = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    return struct.unpack(e + "I", b[20:24])[0]


def pcaps(out):
    res = {}
    for dp, _, fns in os.walk(out):
        for fn in fns:
            if fn.endswith(".pcap"):
                p = os.path.join(dp, fn)
                res[os.path.relpath(p, out)] = p
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("captures", nargs="+")
    o = ap.parse_args()
    fails = 0
    for cap in o.captures:
        name = os.path.basename(cap)
        a, b = os.path.join(o.tmp, "ours"), os.path.join(o.tmp, "ref")
        fa, fb = os.path.join(o.tmp, "ours.flows"), os.path.join(o.tmp, "ref.flows")
        for binary, out, extra in ((o.ours, a, ["-K"]), (o.oracle, b, ["-K"]),
                                   (o.ours, fa, ["-v"]), (o.oracle, fb, [])):
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            r = subprocess.run([binary] + extra + ["-r", cap, "-o", out], capture_output=True, timeout=300)
            if out == fa:
                frags = b"IP fragments seen" in r.stderr
        pa, pb = pcaps(a), pcaps(b)
        probs, expl = [], []
        for k in sorted(set(pa) | set(pb)):
            if k not in pb and not os.path.exists(os.path.join(fb, k[:-5])):
                expl.append(k)
                continue
            if k not in pa or k not in pb:
                probs.append("%s only in %s" % (k, "1.6.1" if k in pb else "ours"))
                continue
            (ha, ra), (hb, rb) = read_pcap(pa[k]), read_pcap(pb[k])
            if ha is None or ha[6] != input_linktype(cap):
                probs.append("%s: link type %s, input %d" % (k, ha and ha[6], input_linktype(cap)))
            if ha and hb and ha[:4] != hb[:4]:
                probs.append("%s: header %s vs %s" % (k, ha, hb))
            if ra != rb:
                if frags:
                    expl.append(k)
                    continue
                n = next((i for i in range(min(len(ra), len(rb))) if ra[i] != rb[i]), min(len(ra), len(rb)))
                probs.append("%s: %d vs %d records, first difference at record %d" % (k, len(ra), len(rb), n))
        for p in probs:
            print("DIFF   %s: %s" % (name, p))
        if not probs:
            print("same   %s (%d files%s)" % (name, len(pa), ", %d expected differences" % len(expl) if expl else ""))
        fails += len(probs)
    print("%d difference(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
