"""entropy - the Shannon entropy of each flow and a guess of what it holds.

    tcpflow -r my.cap -e python -S py_path=python/plugins \\
            -S py_module=entropy -S py_function=entropy

Result, for example:

    entropy=5.213 sampled=146 length=146 type=http-response content_type=text/html
    entropy=7.996 sampled=1048576 length=3400112 type=tls

The entropy is in bits per byte (0: one repeated byte, 8: random) over the
first SAMPLE bytes of the flow (1 MiB: enough to tell text from compressed
or encrypted data, and quick on any flow).  The type comes from the first
bytes (protocol greetings, file signatures) and, when none matches, from
the entropy and the share of printable bytes.  Empty flows give nothing.
"""
import math
from collections import Counter

SAMPLE = 1 << 20
PRINTABLE = bytes(range(32, 127)) + b'\t\n\r'

# (type, test on the first bytes)
SIGNATURES = [
    ('http-response', lambda b: b.startswith(b'HTTP/1.') or b.startswith(b'HTTP/2')),
    ('http-request', lambda b: b.split(b' ', 1)[0] in (b'GET', b'POST', b'HEAD', b'PUT', b'DELETE',
                                                        b'OPTIONS', b'PATCH', b'CONNECT', b'TRACE')),
    ('tls', lambda b: len(b) >= 3 and b[0] in (0x14, 0x15, 0x16, 0x17) and b[1] == 3 and b[2] <= 4),
    ('ssh', lambda b: b.startswith(b'SSH-')),
    ('smtp-or-ftp-server', lambda b: b[:4] in (b'220 ', b'220-')),
    ('pop3', lambda b: b.startswith(b'+OK')),
    ('imap', lambda b: b.startswith(b'* OK')),
    ('gzip', lambda b: b.startswith(b'\x1f\x8b')),
    ('zip', lambda b: b.startswith(b'PK\x03\x04')),
    ('pdf', lambda b: b.startswith(b'%PDF-')),
    ('png', lambda b: b.startswith(b'\x89PNG\r\n\x1a\n')),
    ('jpeg', lambda b: b.startswith(b'\xff\xd8\xff')),
    ('gif', lambda b: b[:6] in (b'GIF87a', b'GIF89a')),
    ('elf', lambda b: b.startswith(b'\x7fELF')),
    ('xml', lambda b: b.lstrip().startswith(b'<?xml')),
    ('html', lambda b: b.lstrip()[:15].lower().startswith((b'<!doctype html', b'<html'))),
    ('json', lambda b: b.lstrip()[:1] in (b'{', b'[')),
]


def shannon(sample):
    """Bits per byte of sample (bytes)."""
    n = len(sample)
    h = 0.0
    for k in Counter(sample).values():
        p = k / n
        h -= p * math.log2(p)
    return h


def content_type(head):
    """The Content-Type header of an HTTP message starting head, or None."""
    end = head.find(b'\r\n\r\n')
    for line in head[:end if end >= 0 else len(head)].split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-type':
            return value.strip().decode('latin-1')
    return None


def guess(sample, h):
    for name, test in SIGNATURES:
        if test(sample[:64]):
            return name
    text = sample[:65536]
    printable = len(text) - len(text.translate(None, PRINTABLE))
    if printable >= 0.95 * len(text):
        return 'text'
    if h > 7.5:
        return 'compressed-or-encrypted'
    return 'binary'


def entropy(data):
    if not len(data):
        return None
    head = data[:SAMPLE]
    sample = head.encode('latin-1') if isinstance(head, str) else bytes(head)
    h = shannon(sample)
    kind = guess(sample, h)
    out = 'entropy=%.3f sampled=%d length=%d type=%s' % (h, len(sample), len(data), kind)
    if kind.startswith('http'):
        ct = content_type(sample[:65536])
        if ct:
            out += ' content_type=' + ct
    return out
