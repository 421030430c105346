"""Tiny capture reader/writer for the hostile-input tests (no scapy needed).

pcap: read_pcap() -> (header bytes, [(hdr16, data)]), write_pcap().
pcapng: to_pcapng() converts pcap records (one SHB, one IDB, EPBs), with
optional extra blocks; blocks() lists (offset, type, length) of a pcapng.
Also: run(), a tcpflow runner that collects output files and stderr.
"""
import os
import re
import shutil
import struct
import subprocess


def read_pcap(path):
    d = open(path, 'rb').read()
    hdr, recs, i = d[:24], [], 24
    while i + 16 <= len(d):
        n = struct.unpack('<I', d[i + 8:i + 12])[0]
        recs.append((d[i:i + 16], d[i + 16:i + 16 + n]))
        i += 16 + n
    return hdr, recs


def pcap_bytes(hdr, recs):
    return hdr + b''.join(h + p for h, p in recs)


def record_ends_pcap(data):
    """Offsets at which a pcap byte string can be cut cleanly (after the
    file header and after every record)."""
    ends, i = [24], 24
    while i + 16 <= len(data):
        n = struct.unpack('<I', data[i + 8:i + 12])[0]
        i += 16 + n
        if i <= len(data):
            ends.append(i)
    return ends


def _pad4(b):
    return b + b'\0' * (-len(b) % 4)


def block(btype, body):
    body = _pad4(body)
    n = 12 + len(body)
    return struct.pack('<II', btype, n) + body + struct.pack('<I', n)


def shb(options=b''):
    return block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1) + options)


def idb(linktype=1, snaplen=262144, options=b''):
    return block(1, struct.pack('<HHI', linktype, 0, snaplen) + options)


def opt(code, value):
    return struct.pack('<HH', code, len(value)) + _pad4(value)


def epb(rec_hdr, data, ifid=0):
    sec, usec, caplen, wirelen = struct.unpack('<IIII', rec_hdr)
    ts = sec * 1000000 + usec
    return block(6, struct.pack('<IIIII', ifid, ts >> 32, ts & 0xffffffff, caplen, wirelen) + data)


def to_pcapng(hdr, recs, extra=None):
    """pcap records -> pcapng bytes.  extra(i) may return bytes (blocks)
    inserted before record i (and with i == len(recs) at the end)."""
    linktype = struct.unpack('<I', hdr[20:24])[0] & 0xffff
    out = [shb(opt(4, b'hostile-test') + opt(0, b'')), idb(linktype, options=opt(2, b'eth0') + opt(0, b''))]
    for i, (h, p) in enumerate(recs):
        if extra:
            out.append(extra(i))
        out.append(epb(h, p))
    if extra:
        out.append(extra(len(recs)))
    return b''.join(out)


def block_ends_pcapng(data):
    ends, i = [], 0
    while i + 12 <= len(data):
        n = struct.unpack('<I', data[i + 4:i + 8])[0]
        i += n
        if i <= len(data):
            ends.append(i)
    return ends


def run(binary, args, outdir, timeout=60, env=None):
    """Run binary with args (outdir created fresh).  Returns (rc, stderr
    text, {relative name: bytes} of the regular files except report.xml)."""
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    p = subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stderr.decode('utf-8', 'replace'), files_of(outdir)


def files_of(outdir, skip=('report.xml',)):
    out = {}
    for root, _, names in os.walk(outdir):
        for n in names:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, outdir)
            if rel in skip or not os.path.isfile(full) or os.path.islink(full):
                continue
            out[rel] = open(full, 'rb').read()
    return out


SANITIZER_MARKS = ('Sanitizer', 'runtime error:', 'AddressSanitizer', 'LeakSanitizer')


def sanitizer_report(stderr):
    return any(m in stderr for m in SANITIZER_MARKS)


# the end-of-run loss summary (src/app/losses.c): not faults
LOSS_LINES = re.compile(r': [0-9]+ flows? ha(s|ve) holes: |: [0-9]+ of [0-9]+ packets were cut short by the snap length$'
                        r'|: skipped: |: [0-9]+ packets? lost: |: capture: [0-9]+ received, ')


def messages(stderr):
    """stderr lines other than the 1.6.1-compatible 'reportfilename:' line
    and the loss summary."""
    return [l for l in stderr.splitlines()
            if l.strip() and 'reportfilename:' not in l and not LOSS_LINES.search(l)]
