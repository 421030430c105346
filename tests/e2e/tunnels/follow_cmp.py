#!/usr/bin/python3
"""follow_cmp.py PCAP OUTDIR - every TCP stream tshark reassembles in PCAP
(`tshark -q -z follow,tcp,raw,N`) against the flow files tcpflow wrote in
OUTDIR (found through OUTDIR/report.xml: addresses, ports, file name).

Each direction of each tshark stream must be the content of exactly one of
our flow files (the one with the same endpoints; with several, a file
holding exactly those bytes).  Where bytes were never captured tshark writes
"[N bytes missing in capture file]" and we write zeros (see
equal_with_holes): such a direction counts as "with holes".  Exit 0 when every direction matches; the last line is
"follow: N directions equal, N with holes, N differ"."""
import ipaddress, re, subprocess, sys
import xml.etree.ElementTree as ET

def tshark_streams(pcap):
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "tcp.stream"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    ids = sorted({int(x) for x in r.stdout.split() if x.strip().isdigit()})
    return ids

def follow(pcap, n):
    r = subprocess.run(["tshark", "-n", "-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % n],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    nodes, data = [], [bytearray(), bytearray()]
    for line in r.stdout.splitlines():
        m = re.match(r"Node ([01]): (.*):(\d+)$", line)
        if m:
            a = m.group(2).strip("[]")
            if not a:                  # a stream with no payload: "Node 0: :0"
                return [], [b"", b""]
            nodes.append((ipaddress.ip_address(a), int(m.group(3))))
            continue
        if len(nodes) < 2 or line.startswith("=") or not line.strip():
            continue
        d = 1 if line.startswith("\t") else 0
        data[d] += bytes.fromhex(line.strip())
    return nodes, data

# tshark 4.0 writes the marker with its C string's NUL
MISSING = re.compile(rb"\[(\d+) bytes missing in capture file\]\x00?")

def equal_with_holes(ours, theirs):
    """theirs is tshark's bytes with "[N bytes missing in capture file]"
    where N bytes were never captured; we write N zeros there.  Equal when
    the pieces between markers are ours, in order, with exactly N zeros
    between them.  Returns (equal, number of holes)."""
    parts = MISSING.split(theirs)
    pieces, gaps = parts[0::2], [int(x) for x in parts[1::2]]
    if not ours.startswith(pieces[0]):
        return False, len(gaps)
    pos = len(pieces[0])
    for gap, piece in zip(gaps, pieces[1:]):
        if ours[pos:pos + gap] != b"\0" * gap or ours[pos + gap:pos + gap + len(piece)] != piece:
            return False, len(gaps)
        pos += gap + len(piece)
    return pos == len(ours), len(gaps)

def our_files(outdir):
    root = ET.parse(outdir + "/report.xml").getroot()
    files = {}
    for fo in root.iter("fileobject"):
        fn, t = fo.find("filename"), fo.find("tcpflow")
        if fn is None or t is None:
            continue
        key = ((ipaddress.ip_address(t.get("src_ipn")), int(t.get("srcport"))),
               (ipaddress.ip_address(t.get("dst_ipn")), int(t.get("dstport"))))
        files.setdefault(key, []).append(open(outdir + "/" + fn.text.split("/")[-1], "rb").read())
    return files

def main():
    pcap, outdir = sys.argv[1:3]
    files = our_files(outdir)
    eq = holes = bad = 0
    for n in tshark_streams(pcap):
        nodes, data = follow(pcap, n)
        if not nodes:
            continue
        for d in (0, 1):
            src, dst = nodes[d], nodes[1 - d]
            want = bytes(data[d])
            cands = files.get((src, dst), [])
            if not want and not cands:
                continue
            res = [equal_with_holes(c, want) for c in cands]
            if any(ok for ok, nh in res) and res[0][1]:
                holes += 1
                print("holes: stream %d %s:%d -> %s:%d: equal, %d hole(s) never captured"
                      % (n, src[0], src[1], dst[0], dst[1], res[0][1]))
            elif any(ok for ok, nh in res):
                eq += 1
            else:
                bad += 1
                print("DIFF: stream %d %s:%d -> %s:%d: tshark %d bytes, ours %s" %
                      (n, src[0], src[1], dst[0], dst[1], len(want), [len(c) for c in cands]))
    print("follow: %d directions equal, %d with holes, %d differ" % (eq, holes, bad))
    sys.exit(1 if bad or (eq + holes) == 0 else 0)

main()
