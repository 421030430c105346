#!/usr/bin/python3
"""compare.py - the http scanner against Debian's tcpflow 1.6.1.

  compare.py --ours BIN --oracle BIN --tmp DIR [--args "..."] CAPTURE...

Runs both with `-e http` (plus --args) on each capture and compares, per
capture: the names of the body files, their bytes, and the <byte_run>
elements (file_offset, filename, filesize) of every fileobject of
report.xml.  Where 1.6.1 is right the output must be the same.  Every
difference must be one of the deliberate ones of docs/compat.md, and is
checked rather than listed: each body of ours that is not 1.6.1's must
first be what the flow file itself gives at its file_offset (de-chunked,
decoded with Python's zlib, brotli and the zstd tool, as its <http>
element says: equal when complete, a prefix when cut), and then one of:
  * a request body (1.6.1 writes none);
  * a flow 1.6.1 does not scan (shorter than 80 bytes, not starting with
    HTTP/1.), or skips because its bytes equal an earlier flow's
    (bulk_extractor's duplicate rule, SPEC 8.1);
  * a response after the point where 1.6.1 stopped reading the flow (no
    body of 1.6.1's in that flow is numbered as high): bytes it could not
    parse, a hole, a Content-Length with chunked, a repeated Content-Length;
  * a coding 1.6.1 does not decode (br, zstd, x-gzip, raw deflate, another
    letter case, layered): 1.6.1's body is the bytes as sent, or none;
  * a compressed body in raw deflate, cut by a hole, damaged, or followed
    by other bytes or another gzip member (decoded as gunzip does): ours
    is what decodes, 1.6.1 wrote nothing, or decoded the zeros of the
    hole into more (ours is a prefix of 1.6.1's);
  * chunk data not followed by CRLF: our body ends there (1.6.1 reads two
    bytes unchecked and goes on; ours is a prefix of its body);
  * trailing blanks in Content-Type keep the extension (same bytes, 1.6.1's
    name has none);
  * the flow file itself differs (a BUG of SPEC 11 fixed, held to
    docs/compat.md by t_corpus_compat): its bodies may differ too.
Every <byte_run> of ours must name a body file of that size whose SHA-256
is its <hashdigest>.  Captures 1.6.1 cannot read (no report) are skipped.
Exit 0 when every difference is explained, 1 otherwise.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib

try:
    import brotli
except ImportError:          # python3-brotli: without it br bodies cannot be checked
    brotli = None

BODY = re.compile(r"-HTTP(REQ)?BODY-(\d+)")


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
            if BODY.search(fn):
                p = os.path.join(dp, fn)
                res[os.path.relpath(p, out)] = open(p, "rb").read()
    return res


def runs(out):
    """{flow filename (relative): [(offset, body name relative, size, http attrs, sha256 or None)]}
    for every fileobject with a <byte_runs>."""
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
            http = inner.find("{*}http")
            dg = inner.find("{*}hashdigest")
            lst.append((int(r.get("file_offset")), os.path.relpath(inner.find("{*}filename").text, out),
                        int(inner.find("{*}filesize").text), dict(http.attrib) if http is not None else {},
                        dg.text if dg is not None else None))
        res[os.path.relpath(fn.text, out)] = lst
    return res


# ---- what a flow file gives at a body's offset (the reference) ----

def dechunk(flow, off):
    """The de-chunked body whose first chunk's data starts at off; and
    whether its last chunk was reached."""
    j = flow.rfind(b"\n", 0, max(off - 1, 0))
    pos, out = j + 1, bytearray()
    while True:
        le = flow.find(b"\n", pos)
        if le < 0:
            return bytes(out), False
        size = flow[pos:le].rstrip(b"\r").split(b";")[0].strip()
        try:
            n = int(size, 16)
        except ValueError:
            return bytes(out), False
        if n == 0:
            return bytes(out), True
        data = flow[le + 1:le + 1 + n]
        out += data
        if len(data) < n:
            return bytes(out), False
        pos = le + 1 + n
        if flow[pos:pos + 2] == b"\r\n":
            pos += 2
        elif flow[pos:pos + 1] == b"\n":
            pos += 1
        else:
            return bytes(out), False


def inflate(data, kind):
    """What zlib gives before an error or the end (gzip: every member, as
    gunzip reads them)."""
    out = []
    if kind == "deflate":
        zl = len(data) >= 2 and data[0] & 15 == 8 and data[0] >> 4 <= 7 and (data[0] << 8 | data[1]) % 31 == 0
        wbits = 15 if zl else -15
    else:
        wbits = 31
    while data:
        z, rest = zlib.decompressobj(wbits), b""
        for i in range(0, len(data), 512):
            keep = z.copy()
            try:
                out.append(z.decompress(data[i:i + 512]))
            except zlib.error:          # again byte by byte: what came before the error
                for c in data[i:i + 512]:
                    try:
                        out.append(keep.decompress(bytes([c])))
                    except zlib.error:
                        return b"".join(out)
                return b"".join(out)
            if z.eof:
                rest = z.unused_data + data[i + 512:]
                break
        if kind != "gzip" or not z.eof or rest[:2] != b"\x1f\x8b":
            break
        data = rest
    return b"".join(out)


def unbrotli(data):
    if brotli is None:
        return None
    d, out = brotli.Decompressor(), []
    for i in range(0, len(data), 512):
        try:
            out.append(d.process(data[i:i + 512]))
        except brotli.error:
            break
        if d.is_finished():
            break
    return b"".join(out)


def unzstd(data):
    p = subprocess.run(["zstd", "-dcq", "--no-check"], input=data, capture_output=True)
    return p.stdout


def decode(data, coding):
    for c in reversed([c.strip().lower() for c in coding.split(",")]):
        if c in ("", "identity"):
            continue
        if c in ("gzip", "x-gzip"):
            data = inflate(data, "gzip")
        elif c == "deflate":
            data = inflate(data, "deflate")
        elif c == "br":
            data = unbrotli(data)
        elif c == "zstd":
            data = unzstd(data)
        else:
            return None
        if data is None:
            return None
    return data


def verify(flowfile, off, body, attrs):
    """Is body what the flow file gives at off, as its <http> attributes
    say (equal when complete, else a prefix)?  Returns '' or why not."""
    try:
        flow = open(flowfile, "rb").read()
    except OSError:
        return "no flow file"
    complete = attrs.get("complete") == "1"
    if attrs.get("transfer_encoding") == "chunked":
        sent, ended = dechunk(flow, off)
        if complete and not ended:
            return "chunks do not end"
    else:
        sent = flow[off:off + int(attrs.get("sent", "0"))] if complete else flow[off:]
    if "decoded" in attrs and "kept_as_sent" not in attrs:
        ref = decode(sent, attrs.get("content_encoding", ""))
        if ref is None:
            return "cannot decode %s here" % attrs.get("content_encoding")
    else:
        ref = sent
    if complete and "decode_error" not in attrs and "capped" not in attrs:
        return "" if body == ref else "%d bytes, the flow gives %d" % (len(body), len(ref))
    return "" if ref[:len(body)] == body else "not a prefix of the %d bytes the flow gives" % len(ref)


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
        if ra != rb:
            probs.append("exit %d, 1.6.1 %d" % (ra, rb))
        ba, bb = bodies(a), bodies(b)
        try:
            xa, xb = runs(a), runs(b)
        except (ET.ParseError, OSError) as e:
            probs.append("report: %s" % e)
            xa, xb = {}, {}
        run_of = {r[1]: (flow, r) for flow, lst in xa.items() for r in lst}

        def flow_of(body):
            return BODY.split(body)[0]

        def num(body):
            return int(BODY.search(body).group(2))

        def flow_differs(flow):
            pa, pb = os.path.join(a, flow), os.path.join(b, flow)
            return not (os.path.exists(pa) and os.path.exists(pb) and
                        open(pa, "rb").read() == open(pb, "rb").read())

        digests = {}
        for dp, _, fns in os.walk(b):
            for fn in fns:
                if not BODY.search(fn) and fn != "report.xml":
                    p = os.path.join(dp, fn)
                    digests.setdefault(hashlib.sha256(open(p, "rb").read()).hexdigest(), []).append(
                        os.path.relpath(p, b))

        def skipped_as_duplicate(flow):
            p = os.path.join(b, flow)
            if not os.path.exists(p) or flow in xb:
                return False
            return len(digests.get(hashlib.sha256(open(p, "rb").read()).hexdigest(), [])) > 1

        def not_scanned(flow):
            p = os.path.join(b, flow)
            if flow in xb or not os.path.exists(p):
                return False
            head = open(p, "rb").read(80)
            return len(head) < 80 or not head.startswith(b"HTTP/1.")

        def renamed(body):
            """The same body under another extension: 1.6.1 loses it when the
            Content-Type ends with blanks."""
            flow, mine = flow_of(body), body in ba
            other = bb if mine else ba
            data = ba.get(body) if mine else bb.get(body)
            alt = [k for k in other if k != body and flow_of(k) == flow and num(k) == num(body) and other[k] == data]
            ours = body if mine else (alt[0] if alt else None)
            if not alt or ours not in run_of:
                return None
            ct = run_of[ours][1][3].get("content_type", "")
            f = open(os.path.join(a, flow), "rb").read()[:run_of[ours][1][0]]
            if ct and re.search(rb"(?im)^content-type:[ \t]*" + re.escape(ct.encode()) + rb"[ \t]+\r?$", f):
                return "Content-Type ending with blanks: the extension kept (%s)" % os.path.basename(ours)
            return None

        def why(body):
            """The deliberate difference that explains our body (or its
            absence) against 1.6.1's; None when none does."""
            flow = flow_of(body)
            ours, theirs = ba.get(body), bb.get(body)
            if flow_differs(flow):
                return "flow file differs: docs/compat.md"
            if ours is None:
                return renamed(body)
            if body not in run_of:
                return None
            _, r = run_of[body]
            bad = verify(os.path.join(a, flow), r[0], ours, r[3])
            if bad:
                probs.append("%s: not what the flow gives: %s" % (body, bad))
                return "(checked above)"
            at = r[3]
            if "-HTTPREQBODY-" in body:
                return "request body"
            if skipped_as_duplicate(flow):
                return "1.6.1 skipped a duplicate flow"
            if not_scanned(flow):
                return "a flow 1.6.1 does not scan (shorter than 80 bytes or not starting with HTTP/1.)"
            if theirs is None and renamed(body):
                return renamed(body)
            enc = at.get("content_encoding", "")
            if "decoded" in at and enc not in ("gzip", "deflate") and not theirs:
                return "coding %r, which 1.6.1 does not decode (it wrote nothing)" % enc
            if "decoded" in at and enc not in ("gzip", "deflate") and theirs is not None and \
                    verify(os.path.join(b, flow), r[0], theirs, dict(at, decoded=None, kept_as_sent="1")) == "":
                return "coding %r, which 1.6.1 writes as sent" % enc
            if "decoded" in at and not theirs:
                return "compressed body that 1.6.1 writes nothing of (raw deflate; damaged, cut by a hole, " \
                       "or followed by more bytes or another gzip member: we keep what decodes)"
            if "decoded" in at and theirs and len(theirs) > len(ours) and theirs.startswith(ours) and at.get("gap"):
                return "1.6.1 decoded the zeros of a hole into more bytes"
            nums = [num(x[1]) for x in xb.get(flow, [])]
            if theirs is None and all(n < num(body) for n in nums):
                return "a response after the point where 1.6.1 stopped reading the flow"
            if at.get("transfer_encoding") == "chunked" and at.get("complete") == "0" and theirs and \
                    theirs.startswith(ours) and not at.get("gap"):
                f = open(os.path.join(a, flow), "rb").read()
                if f[r[0]:].find(ours) == 0 and f[r[0] + len(ours):r[0] + len(ours) + 2] != b"\r\n":
                    return "chunk data not followed by CRLF: the body ends there"
            return None

        for k in sorted(set(ba) | set(bb)):
            if k in ba and k in bb and ba[k] == bb[k]:
                continue
            what = "missing %s" % k if k not in ba else "extra %s" % k if k not in bb else \
                "bytes %s (%d vs %d)" % (k, len(ba[k]), len(bb[k]))
            w = why(k)
            if w is None:
                probs.append(what)
            elif w != "(checked above)":
                expl.append("%s (%s)" % (what, w))
        explained = {e.split(" ")[1] for e in expl}
        for flow in sorted(set(xa) | set(xb)):
            for r in xa.get(flow, []):                  # ours: each run names its file, size, digest
                data = ba.get(r[1])
                if data is None or len(data) != r[2] or (r[4] and hashlib.sha256(data).hexdigest() != r[4]):
                    probs.append("byte_run %s: file missing, or size or digest wrong" % r[1])
            ka = {r[:3] for r in xa.get(flow, [])}
            kb = {r[:3] for r in xb.get(flow, [])}
            if ka == kb and (flow in xa) == (flow in xb):
                continue
            odd = [r for r in ka ^ kb if r[1] not in explained]
            if not odd and (flow in xa or not kb):
                expl.append("byte_runs %s: %d differ, each body explained" % (flow, len(ka ^ kb)))
            elif flow_differs(flow) or skipped_as_duplicate(flow) or (not ka and not kb):
                expl.append("byte_runs %s: %s vs %s (%s)" % (flow, sorted(ka), sorted(kb),
                            "flow file differs" if flow_differs(flow) else "duplicate flow" if kb == set()
                            else "empty"))
            else:
                probs.append("byte_runs %s: %s vs %s" % (flow, sorted(ka), sorted(kb)))
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
