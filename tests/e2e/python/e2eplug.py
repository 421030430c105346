"""Plug-ins for tests/e2e/t_python.sh (tcpflow -e python -S py_module=e2eplug)."""
import hashlib
import os


def _bytes(data):
    # str: the bytes decoded as latin-1; bytes / memoryview as they are
    return data.encode('latin-1') if isinstance(data, str) else data


def lenhash(data):
    """'LENGTH SHA256' of the argument's bytes."""
    b = _bytes(data)
    return '%d %s' % (len(b), hashlib.sha256(b).hexdigest())


def typed(data):
    """The argument's type, then lenhash."""
    return type(data).__name__ + ' ' + lenhash(data)


def meta(data, m):
    """What the metadata says of the flow, then lenhash."""
    return '%s %s %d %s %d %s %s %s %s' % (m['family'], m['src'], m['sport'], m['dst'], m['dport'],
                                           m['vlan'], m['packets'], m['filename'], lenhash(data))


def odd_raises(data):
    """Raises on flows of odd length; lenhash of the others."""
    if len(data) % 2:
        raise ValueError('odd length %d' % len(data))
    return lenhash(data)


def raw(data):
    """The flow itself (a str of latin-1), for flows up to 64 KiB."""
    return data if len(data) <= 65536 else None


def length(data):
    """len(data): the benchmark's function."""
    return len(data)


def side_effect(data):
    """Appends the flow's length to the file $TCPFLOW_PY_OUT; returns None."""
    with open(os.environ['TCPFLOW_PY_OUT'], 'a') as f:
        f.write('%d\n' % len(data))


def nothing(data):
    """None: nothing written (the benchmark's call-only cost)."""
    return None
