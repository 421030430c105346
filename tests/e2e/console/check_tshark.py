#!/usr/bin/python3
"""check_tshark.py PCAP JSONL - every -J record's addresses, ports, family,
time, offset and bytes must be what tshark says about the packet that carried
them, and every TCP packet with payload must have exactly one record.

For captures without retransmission, reordering or overlap (the ones
t_console.sh uses for -J), each TCP segment with payload gives exactly one
record.  tshark is run with `-o tcp.desegment_tcp_streams:FALSE` (one row per
frame, tcp.payload is the segment's own bytes, bounded by the IP length, so
Ethernet padding is not included), `-E occurrence=l` (innermost header if a
field repeats) and `-Y 'tcp.len > 0 && !icmp && !icmpv6'`.

Matching (deliberately independent of addresses and ports, so that
comparing them is a real check): a record is matched to the frame with the
same capture time (frame.time_epoch cut to the microsecond, exact decimal
arithmetic) and the same TCP payload bytes.  A record with no such frame, or
with more than one (ambiguous: never the case in these captures), fails; so
does a frame matched by no record or by more than one.  For every matched
pair: family (ip vs ipv6), src/dst address text (tshark prints RFC 5952 text,
like our inet_ntop) and ports equal, `offset` = tshark's relative tcp.seq - 1
(0 = the byte after the SYN, or the first byte seen when no SYN was
captured), `length` = tcp.len, `ts` (its JSON text) = the time to six
decimals and `timestamp` = the same instant in UTC.  Finally the records come
in frame order (as each arrives in order, it is printed at once).
Exit 0 when all match (a summary line is printed); 1 and the first
difference otherwise."""
import datetime, decimal, ipaddress, json, os, re, subprocess, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrec import payload as jpayload  # noqa: E402

FIELDS = ("frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.seq", "tcp.payload", "vlan.id")


def frames(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-o", "tcp.desegment_tcp_streams:FALSE",
           "-o", "tcp.relative_sequence_numbers:TRUE",
           "-Y", "tcp.len > 0 && !icmp && !icmpv6", "-T", "fields",
           "-E", "occurrence=l", "-E", "separator=/t"]
    for f in FIELDS:
        cmd += ["-e", f]
    # as root tshark warns on stderr: ignore it
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        if v["ip.src"]:
            fam, src, dst = 4, v["ip.src"], v["ip.dst"]
        else:
            fam, src, dst = 6, v["ipv6.src"], v["ipv6.dst"]
        data = bytes.fromhex(v["tcp.payload"].replace(":", ""))
        if len(data) != int(v["tcp.len"]):
            raise SystemExit("frame %s: tcp.payload has %d bytes, tcp.len %s"
                             % (v["frame.number"], len(data), v["tcp.len"]))
        t = decimal.Decimal(v["frame.time_epoch"]).quantize(decimal.Decimal("0.000001"),
                                                            rounding=decimal.ROUND_FLOOR)
        out.append({"n": int(v["frame.number"]), "fam": fam, "src": src, "dst": dst,
                    "sport": int(v["tcp.srcport"]), "dport": int(v["tcp.dstport"]),
                    "seq": int(v["tcp.seq"]), "t": t, "data": data, "vlan": bool(v.get("vlan.id"))})
    return out


def utc(t):
    secs = int(t.to_integral_value(rounding=decimal.ROUND_FLOOR))
    us = int((t - secs) * 1000000)
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % us


def same(r, f, off):
    """Record r against frame f, whose stream offset is off; prints the difference."""
    want = {"family": f["fam"], "src_host": str(ipaddress.ip_address(f["src"])),
            "dst_host": str(ipaddress.ip_address(f["dst"])), "src_port": f["sport"],
            "dst_port": f["dport"], "offset": off, "length": len(r["_data"]),
            "timestamp": utc(f["t"])}
    got = {k: r.get(k) for k in want}
    # tshark's own text, not only the normalised address
    if got != want or r["src_host"] != f["src"] or r["dst_host"] != f["dst"]:
        print("record %d differs from frame %d:\n  got  %r\n  want %r (tshark %s -> %s)"
              % (r["_n"], f["n"], got, want, f["src"], f["dst"]))
        return False
    return True


def match_loose(fr, recs):
    """--any: records are runs of new bytes, not whole packets (retransmissions,
    duplicates, overlaps print nothing or part of a packet)."""
    by_t = {}
    for f in fr:
        by_t.setdefault(f["t"], []).append(f)
    multi = 0
    for r in recs:
        cand = []
        for f in by_t.get(r["ts"], []):
            i = r.get("offset", -1) - (f["seq"] - 1)
            if 0 <= i and f["data"][i:i + len(r["_data"])] == r["_data"]:
                cand.append((f, r["offset"]))
        if not cand:
            print("record %d (time %s, offset %s, %d bytes): no frame of that time carries these bytes there"
                  % (r["_n"], r["ts"], r.get("offset"), len(r["_data"])))
            return 1
        multi += len(cand) > 1
        for f, off in cand:
            if not same(r, f, off):
                return 1
    rt = {(r["family"], r["src_host"], r["src_port"], r["dst_host"], r["dst_port"]) for r in recs}
    ft = {(f["fam"], f["src"], f["sport"], f["dst"], f["dport"]) for f in fr}
    if rt != ft:
        print("directions with records %d, with payload in tshark %d; e.g. %r"
              % (len(rt), len(ft), sorted(rt ^ ft)[:2]))
        return 1
    fams = sorted({f["fam"] for f in fr})
    print("%d records each inside a tshark frame of the same time, offset, addresses and ports "
          "(%d frames with payload; %d records in several identical frames); %d directions = tshark's (IPv%s)"
          % (len(recs), len(fr), multi, len(rt), "+".join(map(str, fams))))
    return 0


def main():
    loose = sys.argv[1] == "--any"
    if loose:
        del sys.argv[1]
    fr = frames(sys.argv[1])
    lines = open(sys.argv[2], "rb").read().split(b"\n")
    if lines[-1] != b"":
        print("output does not end with a newline"); return 1
    recs = []
    for n, l in enumerate(lines[:-1], 1):
        r = json.loads(l.decode("utf-8"), parse_float=decimal.Decimal)
        if not re.search(rb'"ts":-?[0-9]+\.[0-9]{6},', l):
            print("record %d: ts not written with six decimals: %r" % (n, l[:200])); return 1
        try:
            r["_data"] = jpayload(r)
        except ValueError as e:
            print("record %d: %s" % (n, e)); return 1
        r["_n"] = n
        if not isinstance(r.get("ts"), decimal.Decimal):
            print("record %d: ts is not a decimal number: %r" % (n, r.get("ts"))); return 1
        recs.append(r)
    if loose:
        return match_loose(fr, recs)
    by_key = {}
    for f in fr:
        by_key.setdefault((f["t"], f["data"]), []).append(f)
    used = {}
    order = []
    for r in recs:
        cand = by_key.get((r["ts"], r["_data"]), [])
        if len(cand) != 1:
            print("record %d matches %d frames (time %s, %d bytes)" % (r["_n"], len(cand), r["ts"], len(r["_data"])))
            return 1
        f = cand[0]
        if f["n"] in used:
            print("frame %d matched by records %d and %d" % (f["n"], used[f["n"]], r["_n"])); return 1
        used[f["n"]] = r["_n"]
        order.append(f["n"])
        if not same(r, f, f["seq"] - 1):
            return 1
    missing = [f["n"] for f in fr if f["n"] not in used]
    if missing:
        print("%d frame(s) with payload have no record, first: frame %d" % (len(missing), missing[0])); return 1
    if order != sorted(order):
        print("records not in frame order"); return 1
    tuples = {(r["family"], r["src_host"], r["src_port"], r["dst_host"], r["dst_port"]) for r in recs}
    fams = sorted({f["fam"] for f in fr})
    print("%d records = %d tshark frames (%d directions, IPv%s%s)"
          % (len(recs), len(fr), len(tuples), "+".join(map(str, fams)),
             ", VLAN" if any(f["vlan"] for f in fr) else ""))
    return 0


sys.exit(main())
