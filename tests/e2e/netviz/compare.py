#!/usr/bin/python3
"""compare.py - the netviz page's text against Debian's tcpflow 1.6.1.

  compare.py --ours BIN --oracle BIN --tmp DIR CAPTURE...

Runs both with `-e netviz` on each capture and compares, in the text
pdftotext finds on the page: the header (title, input, date range, packets
and bytes, transport shares), the span of the time histogram and its
interval (when 1.6.1 counts it in seconds), the table titles, and the top
lines of the four tables ("1) 80 - 472.01 KB (95%)"), as a set (ties may come
in another order).  The histogram's interval is not compared (1.6.1 widens
its buckets as packets come, by factors of its own).  Expected differences,
each checked: a capture 1.6.1 cannot read (it exits non-zero without a
page); a record whose microsecond field is 10^6 or more (1.6.1 drops the
excess, we carry it into the seconds); a capture where 1.6.1 misses packets (docs/compat.md lists flows of
it as `decode` or `fragments`: links or headers it cannot decode, ports read
from non-first fragments) or sees only the outer headers of tunnels (`tunnels`: we count the inner packets); more than 500 distinct addresses (1.6.1 folds them
into prefixes).  For those, our page must still count every frame of the
capture.  Exit 0 when all match.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

TOP = re.compile(r"\d\) \S+ - [\d.]+ [KMGT]?B \(\d+%\)")
HEAD = ("TCPFLOW", "Input:", "Date range:", "Packets analyzed:", "Transports:")


def page(binary, cap, out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    r = subprocess.run([binary, "-e", "netviz", "-r", cap, "-o", out], capture_output=True, timeout=300)
    pdf = os.path.join(out, "report.pdf")
    if not os.path.exists(pdf):
        return r.returncode, None
    t = subprocess.run(["pdftotext", "-raw", pdf, "-"], capture_output=True, text=True).stdout
    lines = t.splitlines()
    d = {"head": [l for l in lines if l.startswith(HEAD)],
         "span": [l.split(" (")[0] for l in lines if l.endswith("intervals)")],
         "titles": sorted(l for l in lines if re.match(r"(Top|No) (Source|Destination) (Addresses|Ports)$", l)),
         "top": sorted(TOP.findall(t))}
    return r.returncode, d


def compat_keys(path):
    """capture -> set of docs/compat.md keys of its rows"""
    keys = {}
    for line in open(path):
        m = re.match(r"\| `([^`]+)` \| `[^`]*` \|.*\| ([a-z-]+) \|\s*$", line)
        if m:
            keys.setdefault(m.group(1), set()).add(m.group(2))
    return keys


def usec_overflow(cap):
    """a classic pcap record whose microsecond field is 10^6 or more"""
    import struct
    b = open(cap, "rb").read()
    if len(b) < 24 or struct.unpack("<I", b[:4])[0] not in (0xa1b2c3d4, 0xd4c3b2a1):
        return False
    e = "<" if struct.unpack("<I", b[:4])[0] == 0xa1b2c3d4 else ">"
    i = 24
    while i + 16 <= len(b):
        s, us, cl, wl = struct.unpack(e + "IIII", b[i:i + 16])
        if us >= 1000000:
            return True
        i += 16 + cl
    return False


def frames(cap):
    """what netviz counts: on Ethernet the frames that carry IP, on other links all"""
    out = subprocess.run(["tshark", "-r", cap, "-Y", "ip or ipv6 or not eth", "-T", "fields", "-e", "frame.number"],
                         capture_output=True, text=True).stdout
    return len(out.split())


def has_fragments(cap):
    out = subprocess.run(["tshark", "-r", cap, "-Y", "ip.frag_offset > 0 or ipv6.fraghdr.offset > 0",
                          "-T", "fields", "-e", "frame.number"], capture_output=True, text=True).stdout
    return bool(out.split())


def addresses(cap):
    out = subprocess.run(["tshark", "-r", cap, "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
                          "-e", "ipv6.src", "-e", "ipv6.dst"], capture_output=True, text=True).stdout
    return len(set(out.split()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--compat", required=True, help="docs/compat.md")
    ap.add_argument("captures", nargs="+")
    o = ap.parse_args()
    ckeys = compat_keys(o.compat)
    fails = 0
    for cap in o.captures:
        name = os.path.basename(cap)
        rb, b = page(o.oracle, cap, os.path.join(o.tmp, "ref"))
        if b is None or rb != 0:
            print("skip   %s: 1.6.1 exits %d%s" % (name, rb, "" if b else " without a page"))
            continue
        ra, a = page(o.ours, cap, os.path.join(o.tmp, "ours"))
        if a is None:
            print("DIFF   %s: no page from us (exit %d)" % (name, ra))
            fails += 1
            continue
        probs, notes = [], []
        # 1.6.1 folds addresses into prefixes ("54.192.0.0/11") once its tree is full
        folded = any("/" in l.split(" - ")[0] for l in b["top"])
        # 1.6.1 reads ports from non-first fragments too (garbage)
        frag = has_fragments(cap)
        def tables(lines, ports):
            return sorted(l for l in lines if re.match(r"\d\) \d+ - ", l) or not ports) if ports is not None else lines
        for k in ("head", "span", "titles", "top"):
            x, y = a[k], b[k]
            if k == "span" and (not y or not re.match(r"\d+ (second|minute)", y[0])):
                x = y = None          # spans of hours and more: not compared (1.6.1's calendar arithmetic)
            if k == "top" and (folded or frag):
                isport = lambda l: re.match(r"\d\) \d+ - ", l) is not None
                if folded:
                    x, y = [l for l in x if isport(l)], [l for l in y if isport(l)]
                    notes.append("addresses folded into prefixes by 1.6.1: port tables compared")
                if frag:
                    x, y = [l for l in x if not isport(l)], [l for l in y if not isport(l)]
                    notes.append("fragments (1.6.1 reads ports from non-first ones): address tables compared")
            if x != y:
                probs.append("%s: %s vs %s" % (k, x, y))
        why = None
        if probs and ckeys.get(name, set()) & {"decode", "fragments", "tunnels"}:
            why = "1.6.1 misses packets of it, or sees only their outer headers (docs/compat.md: %s)" % ", ".join(
                sorted(ckeys[name] & {"decode", "fragments", "tunnels"}))
        elif probs and addresses(cap) > 500:
            why = "more than 500 addresses (1.6.1 folds them into prefixes)"
        elif probs and usec_overflow(cap):
            why = "a record time with 10^6 or more microseconds (1.6.1 drops the excess)"
        if why:
            n = frames(cap)
            want = "Packets analyzed: %s " % format(n, ",")
            if any(l.startswith(want) for l in a["head"]):
                print("known  %s: %s; every one of its %d frames counted" % (name, why, n))
                continue
            probs.append("%s, and we do not count its %d frames: %s" % (why, n, a["head"]))
        for p in probs:
            print("DIFF   %s: %s" % (name, p))
        fails += len(probs)
        if not probs:
            print("same   %s%s" % (name, " (%s)" % "; ".join(notes) if notes else ""))
    print("%d difference(s)" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
