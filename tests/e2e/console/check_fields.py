#!/usr/bin/python3
"""check_fields.py OURS.jsonl [OLD.jsonl] - every line of OURS is a JSON
object with tcpflow 1.6.1's -J fields and types: src_host and dst_host
strings (valid addresses), src_port and dst_port integers 0..65535, payload
an array of byte values; with OLD (1.6.1's output), its lines have exactly
those five keys and OURS has each of them with the same type.  Prints the
number of records and of bytes."""
import ipaddress, json, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jrec import payload as jpayload  # noqa: E402

TYPES = {"src_host": str, "src_port": int, "dst_host": str, "dst_port": int, "payload": list}


def lines(path):
    raw = open(path, "rb").read()
    if raw and not raw.endswith(b"\n"):
        raise SystemExit("%s: does not end with a newline" % path)
    return [json.loads(l) for l in raw.split(b"\n")[:-1]]


recs = lines(sys.argv[1])
n = 0
for i, r in enumerate(recs, 1):
    for k, t in TYPES.items():
        if type(r.get(k)) is not t:
            raise SystemExit("record %d: %s is %r, not %s" % (i, k, type(r.get(k)).__name__, t.__name__))
    ipaddress.ip_address(r["src_host"])
    ipaddress.ip_address(r["dst_host"])
    if not (0 <= r["src_port"] <= 65535 and 0 <= r["dst_port"] <= 65535):
        raise SystemExit("record %d: port out of range" % i)
    try:
        n += len(jpayload(r))
    except ValueError as e:
        raise SystemExit("record %d: %s" % (i, e))
if len(sys.argv) > 2:
    for i, r in enumerate(lines(sys.argv[2]), 1):
        if set(r) != set(TYPES) or any(type(r[k]) is not t for k, t in TYPES.items()):
            raise SystemExit("1.6.1's record %d is not what this check knows: %r" % (i, sorted(r)))
print("%d records, %d bytes" % (len(recs), n))
