"""jrec.py - the payload of a -J record: 1.6.1's array of byte values."""


def payload(r):
    """The record's bytes; raises ValueError unless "payload" is a list of
    integers 0..255 (a gap record's is empty)."""
    p = r.get("payload")
    if not isinstance(p, list) or not all(type(b) is int and 0 <= b <= 255 for b in p):
        raise ValueError("payload is not an array of byte values: %r" % (p if p is None else str(p)[:80]))
    return bytes(p)
