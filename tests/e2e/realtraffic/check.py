#!/usr/bin/python3
"""Compare a tcpflow output directory with a real-traffic plan (plan.json).

  check.py PLAN OUTDIR [--label NAME] [--max-lines N]

For every connection of the plan, the client->server flow file must hold
exactly the bytes the client sent and the server->client file exactly the
bytes the server sent; a direction that carried no byte must have no file.
Names follow tcpflow's default template: IPv4 octets %03d, ports %05d, IPv6
inet_ntop text (see /tmp/policies.txt, SPEC section 'file names'); a
connection's "name_suffix" (twin tunnels: the run used -T ...%U%u) follows.  Any other
file in OUTDIR (besides report.xml) is reported as unexpected.

Prints one line per problem:
  MISSING  <file> (<n> bytes expected)
  SHORT/LONG/DIFF <file>: ... first difference at offset <o>
  UNEXPECTED <file> (<n> bytes)
  EXTRA <file>: a zero-byte direction has a file
and a summary line; exit 0 when everything matched, 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import socket
import sys

sys.dont_write_bytecode = True  # keep the source tree clean

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer import payload_blocks  # noqa: E402


def addr_text(a):
    """tcpflow's rendering of an address in a file name."""
    if ":" in a:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a))
    return ".".join("%03d" % int(x) for x in a.split("."))


def flow_name(src, sport, dst, dport):
    return "%s.%05d-%s.%05d" % (addr_text(src), sport, addr_text(dst), dport)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def first_difference(path, seed, length):
    """(offset of the first byte that differs, file size); offset None if the
    common prefix is identical."""
    size = os.path.getsize(path)
    off = 0
    with open(path, "rb") as f:
        for blk in payload_blocks(seed, length):
            got = f.read(len(blk))
            if got != blk:
                if len(got) < len(blk) and blk.startswith(got):
                    return None, size  # the file ends here; what is there matches
                n = min(len(got), len(blk))
                for i in range(n):
                    if got[i] != blk[i]:
                        return off + i, size
                return off + n, size
            off += len(blk)
    return None, size


def describe(path, name, seed, length, sha):
    """None when the file holds exactly the expected bytes, else a message."""
    size = os.path.getsize(path)
    if size == length and sha256_file(path) == sha:
        return None
    off, size = first_difference(path, seed, length)
    if off is None:
        if size > length:
            return "LONG %s: %d bytes, expected %d; the first %d match" % (name, size, length, length)
        return "SHORT %s: %d bytes, expected %d (the bytes present match)" % (name, size, length)
    kind = "DIFF" if size == length else ("SHORT" if size < length else "LONG")
    return "%s %s: %d bytes, expected %d; first difference at offset %d" % (kind, name, size, length, off)


def expected_files(plan):
    """[(name, seed, length, sha256, description)] for every flow direction, and
    the set of names of zero-length directions."""
    files, empty = [], set()
    for c in plan["conns"]:
        for src, sp, dst, dp, d in ((c["client"], c["cport"], c["server"], c["sport"], c["c2s"]),
                                    (c["server"], c["sport"], c["client"], c["cport"], c["s2c"])):
            name = flow_name(src, sp, dst, dp) + c.get("name_suffix", "")
            if d["len"] == 0:
                empty.add(name)
            else:
                files.append((name, d["seed"], d["len"], d["sha256"]))
    return files, empty


def check(plan, outdir, max_lines=200, out=sys.stdout, label="tcpflow"):
    """Returns the number of problems found (printed to out)."""
    files, empty = expected_files(plan)
    problems = []
    present = set()
    for root, _dirs, names in os.walk(outdir):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), outdir)
            present.add(rel)
    wanted = set()
    for name, seed, length, sha in files:
        wanted.add(name)
        path = os.path.join(outdir, name)
        if name not in present:
            problems.append("MISSING %s (%d bytes expected)" % (name, length))
            continue
        msg = describe(path, name, seed, length, sha)
        if msg:
            problems.append(msg)
    for name in sorted(present - wanted):
        if name == "report.xml":
            continue
        size = os.path.getsize(os.path.join(outdir, name))
        if name in empty:
            problems.append("EXTRA %s: zero-byte direction has a file of %d bytes" % (name, size))
        else:
            problems.append("UNEXPECTED %s (%d bytes)" % (name, size))
    for p in problems[:max_lines]:
        print(p, file=out)
    if len(problems) > max_lines:
        print("... %d more problems" % (len(problems) - max_lines), file=out)
    nbytes = sum(f[2] for f in files)
    print("%s: %d connections, %d flow files (%d bytes) expected, %d zero-byte directions; %s"
          % (label, len(plan["conns"]), len(files), nbytes, len(empty),
             "all exact" if not problems else "%d problem(s)" % len(problems)), file=out)
    return len(problems)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("plan")
    ap.add_argument("outdir")
    ap.add_argument("--label", default="tcpflow")
    ap.add_argument("--max-lines", type=int, default=200)
    args = ap.parse_args()
    with open(args.plan) as f:
        plan = json.load(f)
    if not os.path.isdir(args.outdir):
        print("%s: no output directory %s" % (args.label, args.outdir))
        return 1
    return 1 if check(plan, args.outdir, args.max_lines, label=args.label) else 0


if __name__ == "__main__":
    sys.exit(main())
