"""regexSearch - report where regular expressions match in each flow.

    tcpflow -r my.cap -e python -S py_path=python/plugins \\
            -S py_module=regexSearch -S py_function=search

Each match is one line of the result: its offset in the flow, the name of the
expression, and the matched text (at most 200 characters):

    137 email alice@example.com
    412 basic_auth Authorization: Basic YWxpY2U6c2VjcmV0

The expressions are PATTERNS below (card numbers must pass the Luhn check);
the environment variable
TCPFLOW_REGEX replaces them with one expression of your own (named 'regex'),
e.g. TCPFLOW_REGEX='(?i)password=[^&\\s]+'.  At most MAX_MATCHES matches are
reported per flow (then '... N more').  Works with every -S py_arg: the
expressions are applied to the bytes (a memoryview is searched without a
copy) and matches are shown as latin-1.  Flows without a match give nothing.
"""
import os
import re

PATTERNS = [
    ('email', rb'[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}'),
    ('url', rb'https?://[^\s"\'<>]{1,2000}'),
    ('basic_auth', rb'(?i)authorization:[ \t]*basic[ \t]+[A-Za-z0-9+/=]{4,}'),
    ('password', rb'(?i)(?:pass(?:word|wd)?|pwd)=[^&\s]{1,200}'),
    ('card_number', rb'(?<![\d.])(?:\d[ -]?){12,18}\d(?![\d.])'),   # kept only when the Luhn check passes
]
MAX_MATCHES = 100
MAX_TEXT = 200



def luhn(digits):
    """The Luhn checksum of a card number holds (digits: bytes of 0-9)."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        d -= 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(found):
    digits = bytes(c for c in found if 48 <= c <= 57)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn(digits)


CHECKS = {'card_number': _card}

_env = os.environ.get('TCPFLOW_REGEX')
_compiled = ([('regex', re.compile(_env.encode('utf-8', 'surrogateescape')))] if _env
             else [(name, re.compile(rx)) for name, rx in PATTERNS])


def _as_bytes_like(data):
    # a str from tcpflow holds the bytes as latin-1: encoding gives them back
    return data.encode('latin-1') if isinstance(data, str) else data


def search(data):
    buf = _as_bytes_like(data)
    found = []
    for name, rx in _compiled:
        check = CHECKS.get(name)
        for m in rx.finditer(buf):
            if check and not check(m.group()):
                continue
            found.append((m.start(), name, m.group()[:MAX_TEXT].decode('latin-1')))
    if not found:
        return None
    found.sort()
    lines = ['%d %s %s' % f for f in found[:MAX_MATCHES]]
    if len(found) > MAX_MATCHES:
        lines.append('... %d more' % (len(found) - MAX_MATCHES))
    return '\n'.join(lines)
