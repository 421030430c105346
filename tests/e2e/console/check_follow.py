#!/usr/bin/python3
"""check_follow.py PCAP JSONL - per direction (addresses and ports as the
records give them), the -J payloads concatenated must equal tshark's
reassembled stream (-z follow,tcp,raw) of the same direction, for every TCP
stream tshark finds with payload.  tshark's follow goes its own way after a
hole in the capture, so a direction with a gap record is compared up to its
first hole.  Connections reusing a 4-tuple are concatenated in order."""
import ipaddress, json, os, re, subprocess, sys
from collections import defaultdict
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrec import payload as jpayload  # noqa: E402

def tshark_streams(pcap):
    ids = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream", "-Y", "tcp.len > 0"],
                         capture_output=True, text=True).stdout.split()
    ids = [i.split(",")[0] for i in ids]
    ids = sorted({int(i) for i in ids if i})
    out = defaultdict(bytearray)
    for k in range(0, len(ids), 200):
        args = ["tshark", "-r", pcap, "-q"]
        for i in ids[k:k + 200]:
            args += ["-z", "follow,tcp,raw,%d" % i]
        txt = subprocess.run(args, capture_output=True, text=True).stdout
        blocks = []
        for block in txt.split("===================================================================\nFollow: tcp,raw\n")[1:]:
            m = re.search(r"^Filter: tcp.stream eq (\d+)$", block, re.M)
            blocks.append((int(m.group(1)) if m else -1, block))
        for _, block in sorted(blocks):      # tshark prints the last -z first
            lines = block.split("\n")
            nodes = []
            for l in lines:
                m = re.match(r"Node ([01]): (.*):(\d+)$", l)
                if m:
                    h = m.group(2).strip("[]")
                    nodes.append((str(ipaddress.ip_address(h)), int(m.group(3))))
            if len(nodes) != 2:
                continue
            for l in lines:
                if not l or l.startswith(("Filter", "Node", "=")):
                    continue
                d = 1 if l.startswith("\t") else 0
                key = nodes[d] + nodes[1 - d]
                out[key] += bytes.fromhex(l.strip())
    return out

def ours(path):
    """Per direction: the bytes, and how many come before its first gap."""
    out, first_gap = defaultdict(bytearray), {}
    for l in open(path):
        r = json.loads(l)
        key = (str(ipaddress.ip_address(r["src_host"])), r["src_port"],
               str(ipaddress.ip_address(r["dst_host"])), r["dst_port"])
        if "gap" in r and key not in first_gap:
            first_gap[key] = len(out[key])
        out[key] += jpayload(r)
    return out, first_gap

t = tshark_streams(sys.argv[1])
o, first_gap = ours(sys.argv[2])
t = {k: v for k, v in t.items() if v}
o = {k: v for k, v in o.items() if v}
bad = []
for k in sorted(set(t) | set(o)):
    a, b = t.get(k, b""), o.get(k, b"")
    if k in first_gap:          # a hole: tshark's follow differs after it
        n = first_gap[k]
        a, b = a[:n], b[:n]
    if a != b:
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        bad.append("%s: tshark %d bytes, ours %d, first difference at %d" % (k, len(a), len(b), i))
if bad:
    print("%d of %d directions differ; %s" % (len(bad), len(set(t) | set(o)), bad[0]))
    sys.exit(1)
print("%d directions, %d bytes = tshark's%s" % (len(o), sum(map(len, o.values())),
      " (%d up to their first hole)" % len(first_gap) if first_gap else ""))
