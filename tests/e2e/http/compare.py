#!/usr/bin/python3
"""compare.py - the http scanner against Debian's tcpflow 1.6.1.

  compare.py --ours BIN --oracle BIN --tmp DIR [--known FILE] [--args "..."] CAPTURE...

Runs both with `-e http` (plus --args) on each capture and compares, per
capture: the names of the HTTPBODY files, their bytes, and the <byte_run>
elements (file_offset, filename, filesize) of every fileobject of report.xml.
Two kinds of difference are expected, each checked rather than listed:
  * 1.6.1 skips a flow whose bytes equal those of a flow it scanned before
    (bulk_extractor's duplicate rule, SPEC 8.1): our bodies of such a flow
    are accepted when 1.6.1's output holds another flow file with the same
    bytes;
  * the flow file itself differs (a BUG of SPEC 11 fixed, held to
    docs/compat.md by t_corpus_compat): its bodies may differ too;
  * a compressed body that is damaged (a hole in the capture): we keep what
    inflates before zlib finds the damage, 1.6.1 writes nothing of that
    chunk; accepted when Python's zlib, fed the flow file from the body's
    offset, stops with an error after producing exactly our bytes;
  * a compressed stream followed by other bytes in the same body: we keep
    the whole inflated stream, 1.6.1 writes nothing; accepted when Python's
    zlib reaches the end of the stream with bytes left over and its output
    is exactly ours.
Captures 1.6.1 cannot read (no report) are skipped.  Any other difference
fails.  Exit 0 when all match, 1 otherwise.
"""
import hashlib
import zlib
import argparse
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def run(binary, cap, out, extra):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    p = subprocess.run([binary, "-e", "http"] + extra + ["-r", cap, "-o", out],
                       capture_output=True, timeout=300)
    return p.returncode


def bodies(out):
    res = {}
    for dp, _, fns in os.walk(out):
        for fn in fns:
            if "-HTTPBODY-" in fn:
                p = os.path.join(dp, fn)
                res[os.path.relpath(p, out)] = open(p, "rb").read()
    return res


def runs(out):
    """{flow filename (relative): [(offset, body name relative, size)]} for
    every fileobject with a <byte_runs>."""
    res = {}
    root = ET.parse(os.path.join(out, "report.xml")).getroot()
    for fo in root.iter():
        if not fo.tag.endswith("fileobject"):
            continue
        fn = fo.find("{*}filename")
        br = fo.find("{*}byte_runs")
        if fn is None or br is None:
            continue
        lst = []
        for r in br:
            inner = r.find("{*}fileobject")
            lst.append((int(r.get("file_offset")), os.path.relpath(inner.find("{*}filename").text, out),
                        int(inner.find("{*}filesize").text)))
        res[os.path.relpath(fn.text, out)] = lst
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--args", default="")
    ap.add_argument("captures", nargs="+")
    o = ap.parse_args()
    extra = o.args.split()
    fails = 0
    for cap in o.captures:
        name = os.path.basename(cap)
        a, b = os.path.join(o.tmp, "ours"), os.path.join(o.tmp, "ref")
        ra, rb = run(o.ours, cap, a, extra), run(o.oracle, cap, b, extra)
        try:
            ET.parse(os.path.join(b, "report.xml"))
        except (ET.ParseError, OSError):
            print("skip   %s: 1.6.1 exits %d, no complete report (cannot read it)" % (name, rb))
            continue
        probs, expl = [], []

        def flow_of(body):
            return body.split("-HTTPBODY-")[0]

        def flow_differs(flow):
            pa, pb = os.path.join(a, flow), os.path.join(b, flow)
            return not (os.path.exists(pa) and os.path.exists(pb) and
                        open(pa, "rb").read() == open(pb, "rb").read())

        digests = {}
        for dp, _, fns in os.walk(b):
            for fn in fns:
                if "-HTTPBODY-" not in fn and fn != "report.xml":
                    p = os.path.join(dp, fn)
                    digests.setdefault(hashlib.sha256(open(p, "rb").read()).hexdigest(), []).append(
                        os.path.relpath(p, b))

        def skipped_as_duplicate(flow):
            p = os.path.join(b, flow)
            if not os.path.exists(p):
                return False
            return len(digests.get(hashlib.sha256(open(p, "rb").read()).hexdigest(), [])) > 1

        def inflates_to_damage(body):
            """our body equals what zlib gives before an error, fed the flow
            file from the body's offset (our report)"""
            flow = flow_of(body)
            off = [r[0] for r in xa.get(flow, []) if r[1] == body]
            if not off or body not in ba:
                return False
            src = open(os.path.join(a, flow), "rb").read()[off[0]:]
            z, out = zlib.decompressobj(47), []
            for i in range(len(src)):
                try:
                    out.append(z.decompress(src[i:i + 1]))
                except zlib.error:
                    return b"".join(out) == ba[body]
                if z.eof:       # the stream ended: more bytes of the body after it?
                    return i + 1 < len(src) and b"".join(out) == ba[body]
            return False

        def judge(flow, text, body=None):
            if body and (body not in bb or len(bb[body]) == 0) and inflates_to_damage(body):
                expl.append("%s (damaged or followed compressed body: 1.6.1 writes none of it)" % text)
            elif flow_differs(flow):
                expl.append("%s (flow file differs: docs/compat.md)" % text)
            elif flow not in xb and skipped_as_duplicate(flow):
                expl.append("%s (1.6.1 skipped a duplicate flow)" % text)
            else:
                probs.append(text)

        if ra != rb:
            probs.append("exit %d, 1.6.1 %d" % (ra, rb))
        ba, bb = bodies(a), bodies(b)
        try:
            xa, xb = runs(a), runs(b)
        except (ET.ParseError, OSError) as e:
            probs.append("report: %s" % e)
            xa, xb = {}, {}
        for k in sorted(set(ba) | set(bb)):
            if k not in ba:
                judge(flow_of(k), "missing %s" % k)
            elif k not in bb:
                judge(flow_of(k), "extra %s" % k, k)
            elif ba[k] != bb[k]:
                judge(flow_of(k), "bytes %s (%d vs %d)" % (k, len(ba[k]), len(bb[k])))
        for k in sorted(set(xa) | set(xb)):
            if xa.get(k) != xb.get(k):
                ra_, rb_ = set(xa.get(k) or []), set(xb.get(k) or [])
                if xb.get(k) is not None and rb_ <= ra_ and all(
                        r[1] not in bb and inflates_to_damage(r[1]) for r in ra_ - rb_):
                    expl.append("byte_runs %s: %d more (damaged compressed bodies)" % (k, len(ra_ - rb_)))
                    continue
                judge(k, "byte_runs %s: %s vs %s" % (k, xa.get(k), xb.get(k)))
        for p in probs:
            fails += 1
            print("DIFF   %s: %s" % (name, p))
        for p in expl:
            print("known  %s: %s" % (name, p))
        if not probs:
            print("same   %s (%d bodies%s)" % (name, len(bb), ", %d explained" % len(expl) if expl else ""))
    print("%d difference(s) not listed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
