#!/usr/bin/python3
"""check_plan.py PLAN KIND:FILE... - console output of a real-traffic capture
(tests/e2e/realtraffic/netlab.py) against its plan: per flow direction, the
bytes printed, concatenated in the order printed, must be exactly (length and
content) what that peer sent; so no byte is printed twice (retransmissions,
duplicated frames, reordering) and none is missing.  KIND:

  json  `-c -J`: records of a direction follow each other (offset = bytes of
        that direction printed so far), no gap record, `length` = the decoded
        payload (an array of byte values); the concatenation is
        the sent bytes.  Must come first: the others are cut with its records.
  text  `-c`: records `<name>: <body>\\n`, name = the flow file name; the
        bodies, concatenated per direction, are the sent bytes with each byte
        that is not 0x20..0x7e, \\n or \\r replaced by '.'.
  bin   `-c -B`: the same, bodies byte for byte.
  raw   `-C -B`: no header; the whole output is the -J records' bytes, each
        followed by \\n, in the same order.

Text records are cut without the -J lengths (payloads are random bytes and
may hold \\n): a record starts with one of the plan's names followed by ": "
and its body runs to the next "\\n<name>: " or to the final "\\n" (a false hit
inside random bytes would need a ~45-byte match); then the records' number,
names and body lengths must equal the -J records', in order.  Prints a
summary; exit 1 with the first problem."""
import json, os, re, socket, sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "realtraffic"))
from peer import payload  # noqa: E402
from check import flow_name  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrec import payload as jpayload  # noqa: E402

PRINTABLE = bytes(c if (0x20 <= c <= 0x7e or c in (10, 13)) else 0x2e for c in range(256))


def norm(a):
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, a)) if ":" in a else a


def fail(msg):
    print(msg)
    sys.exit(1)


def expected(plan):
    """{(src, sport, dst, dport): (name, bytes)} for every direction of the plan."""
    want = {}
    for c in plan["conns"]:
        for src, sp, dst, dp, d in ((c["client"], c["cport"], c["server"], c["sport"], c["c2s"]),
                                    (c["server"], c["sport"], c["client"], c["cport"], c["s2c"])):
            want[(norm(src), sp, norm(dst), dp)] = (flow_name(src, sp, dst, dp), payload(d["seed"], d["len"]))
    return want


def compare(kind, want, got):
    """got: {key: bytearray} printed per direction; want: {key: (name, bytes)}."""
    for k, (name, data) in sorted(want.items()):
        g = bytes(got.get(k, b""))
        if kind == "text":
            data = data.translate(PRINTABLE)
        if g != data:
            n = min(len(g), len(data))
            off = next((i for i in range(n) if g[i] != data[i]), n)
            fail("%s: %s: %d bytes printed, %d sent, first difference at offset %d"
                 % (kind, name, len(g), len(data), off))
    extra = set(got) - set(want)
    if extra:
        fail("%s: records of directions not in the plan: %s" % (kind, sorted(extra)[:3]))


def check_json(want, path):
    recs, got = [], {}
    raw = open(path, "rb").read()
    if raw and not raw.endswith(b"\n"):
        fail("json: output does not end with a newline")
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        r = json.loads(line)
        k = (norm(r["src_host"]), r["src_port"], norm(r["dst_host"]), r["dst_port"])
        if "gap" in r:
            fail("json: line %d: a gap of %d bytes (every byte is in the capture)" % (n, r["gap"]))
        d = jpayload(r)
        if len(d) != r["length"] or not d:
            fail("json: line %d: length %d, %d bytes" % (n, r["length"], len(d)))
        buf = got.setdefault(k, bytearray())
        if r["offset"] != len(buf):
            fail("json: line %d: %s offset %d after %d bytes printed (a byte printed twice or skipped)"
                 % (n, want.get(k, ("?",))[0], r["offset"], len(buf)))
        buf += d
        recs.append((k, d))
    compare("json", want, got)
    return recs


def check_text(kind, want, recs, path):
    out = open(path, "rb").read()
    names = {v[0].encode(): k for k, v in want.items()}
    alt = b"|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    head = re.compile(b"(" + alt + b"): ")
    nxt = re.compile(b"\n(" + alt + b"): ")
    got, pos, i = {}, 0, 0
    while pos < len(out):
        m = head.match(out, pos)
        if not m:
            fail("%s: byte %d: no record header (%r)" % (kind, pos, out[pos:pos + 60]))
        start = m.end()
        m2 = nxt.search(out, start)
        end = m2.start() if m2 else len(out) - 1
        if not m2 and out[end:] != b"\n":
            fail("%s: output does not end with a newline" % kind)
        k, body = names[m.group(1)], out[start:end]
        if i >= len(recs) or recs[i][0] != k or len(recs[i][1]) != len(body):
            fail("%s: record %d (%s, %d bytes) is not the -J record %d (%s)"
                 % (kind, i + 1, m.group(1).decode(), len(body), i + 1,
                    "%s, %d bytes" % (want[recs[i][0]][0], len(recs[i][1])) if i < len(recs) else "none"))
        got.setdefault(k, bytearray()).extend(body)
        pos, i = end + 1, i + 1
    if i != len(recs):
        fail("%s: %d records, -J has %d" % (kind, i, len(recs)))
    compare(kind, want, got)


def main():
    plan = json.load(open(sys.argv[1]))
    want = expected(plan)
    recs = None
    done = []
    for arg in sys.argv[2:]:
        kind, path = arg.split(":", 1)
        if kind == "json":
            recs = check_json(want, path)
        elif recs is None:
            fail("json must come first")
        elif kind in ("text", "bin"):
            check_text(kind, want, recs, path)
        elif kind == "raw":
            if open(path, "rb").read() != b"".join(d + b"\n" for _k, d in recs):
                fail("raw: -C -B output is not the -J records' bytes")
        else:
            fail("unknown kind " + kind)
        done.append(kind)
    nonempty = sum(1 for v in want.values() if v[1])
    print("%d directions (%d with data, %d bytes), %d records: %s exact"
          % (len(want), nonempty, sum(len(v[1]) for v in want.values()), len(recs or []), "+".join(done)))


main()
