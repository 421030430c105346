#!/usr/bin/python3
"""depad.py IN OUT: copy a capture, cutting every frame's captured bytes at the
end of its IP datagram (link header + IP total length), so link-layer padding
and trailers (Ethernet minimum-size padding, FCS) disappear.  The original
(wire) length of each record is kept.

Used by check_report.py to confirm that a report difference between tcpflow
1.6.1 and us comes from 1.6.1's padding bug (SPEC 11.1): 1.6.1 run on the
de-padded capture must then agree with us.

Classic pcap (either byte order, us or ns) and pcapng (SHB/IDB/EPB; other
blocks are copied as they are).  Link types understood: Ethernet with any
number of 802.1Q/802.1ad tags (1), raw IP (12, 14, 101, 228, 229), NULL/LOOP
(0, 108), Linux SLL (113).  Frames of other link types, non-IP frames, IPv4
total length 0 (TSO) and anything that does not parse are copied unchanged.
Exit status 0, or 1 if the input is not a capture this script knows.
"""
import struct
import sys


def l3_offset(dlt, f):
    """Offset of the IP header in frame f, or None."""
    if dlt == 1:
        off = 12
        while off + 2 <= len(f):
            et = struct.unpack('>H', f[off:off + 2])[0]
            if et in (0x8100, 0x88a8, 0x9100):
                off += 4
                continue
            return off + 2 if et in (0x0800, 0x86dd) else None
        return None
    if dlt in (12, 14, 101, 228, 229):
        return 0
    if dlt in (0, 108):
        return 4
    if dlt == 113:
        if len(f) >= 16 and struct.unpack('>H', f[14:16])[0] in (0x0800, 0x86dd):
            return 16
        return None
    return None


def cut(dlt, f):
    """Frame f without the bytes after its IP datagram."""
    off = l3_offset(dlt, f)
    if off is None or off >= len(f):
        return f
    v = f[off] >> 4
    if v == 4 and off + 4 <= len(f):
        n = struct.unpack('>H', f[off + 2:off + 4])[0]
        if n < 20:
            return f
    elif v == 6 and off + 6 <= len(f):
        n = 40 + struct.unpack('>H', f[off + 4:off + 6])[0]
        if n == 40:                # jumbogram or no payload: leave it
            return f
    else:
        return f
    return f[:off + n] if off + n < len(f) else f


def classic(d, out):
    e = '<' if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    dlt = struct.unpack(e + 'I', d[20:24])[0] & 0x0fffffff
    out.append(d[:24])
    i = 24
    while i + 16 <= len(d):
        sec, frac, incl, orig = struct.unpack(e + 'IIII', d[i:i + 16])
        f = d[i + 16:i + 16 + incl]
        if len(f) < incl:          # truncated last record: keep as is
            out.append(d[i:])
            return
        g = cut(dlt, f)
        out.append(struct.pack(e + 'IIII', sec, frac, len(g), orig) + g)
        i += 16 + incl
    out.append(d[i:])


def pcapng(d, out):
    e = '<'
    links = []
    i = 0
    while i + 12 <= len(d):
        btype = struct.unpack(e + 'I', d[i:i + 4])[0]
        if btype == 0x0A0D0D0A:
            e = '<' if d[i + 8:i + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            links = []
        blen = struct.unpack(e + 'I', d[i + 4:i + 8])[0]
        if blen < 12 or i + blen > len(d):
            out.append(d[i:])
            return
        b = d[i:i + blen]
        if btype == 1:
            links.append(struct.unpack(e + 'H', b[8:10])[0])
        elif btype == 6 and blen >= 32:
            ifid, th, tl, caplen, orig = struct.unpack(e + 'IIIII', b[8:28])
            if 28 + caplen <= blen - 4 and ifid < len(links):
                f = b[28:28 + caplen]
                g = cut(links[ifid], f)
                if len(g) != len(f):
                    opts = b[28 + ((caplen + 3) & ~3):blen - 4]
                    body = struct.pack(e + 'IIIII', ifid, th, tl, len(g), orig) + g
                    body += b'\0' * ((-len(g)) % 4) + opts
                    nl = 12 + len(body)
                    b = struct.pack(e + 'II', 6, nl) + body + struct.pack(e + 'I', nl)
        out.append(b)
        i += blen
    out.append(d[i:])


def main():
    d = open(sys.argv[1], 'rb').read()
    out = []
    if d[:4] in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'):
        classic(d, out)
    elif d[:4] == b'\x0a\x0d\x0d\x0a':
        pcapng(d, out)
    else:
        sys.exit(1)
    with open(sys.argv[2], 'wb') as fh:
        fh.write(b''.join(out))


if __name__ == '__main__':
    main()
