"""samplePlugin - the example plug-in of tcpflow's python scanner.

    tcpflow -r my.cap -e python -S py_path=python/plugins \\
            -S py_module=samplePlugin -S py_function=sampleFunction

tcpflow calls sampleFunction once for every finished flow direction with all
of its bytes: a str holding them as latin-1 (data.encode('latin-1') gives the
bytes back), or bytes / a memoryview with -S py_arg=bytes / memoryview.  The
str it returns is written in report.xml, inside the flow's <fileobject>:

    <tcpflow:result scanner="python" path=".." module="samplePlugin"
                    function="sampleFunction">length=146 first_line='HTTP/1.1 200 OK'</tcpflow:result>

Returning None writes nothing.  A function that takes a second parameter is
also given a dict of the flow's metadata (sampleFunctionMeta below).
"""


def _head(data, n):
    """The first n bytes of data as a str (latin-1), whatever its type."""
    if isinstance(data, str):
        return data[:n]
    return bytes(data[:n]).decode('latin-1')


def sampleFunction(data):
    """The flow's length and its first line (at most 80 characters)."""
    first = _head(data, 4096).split('\n', 1)[0].rstrip('\r')[:80]
    return 'length=%d first_line=%r' % (len(data), first)


def sampleFunctionMeta(data, meta):
    """The same, with who talked to whom: the metadata dict has 'src', 'dst',
    'sport', 'dport', 'family', 'vlan', 'start', 'end', 'packets',
    'filename', 'end_reason' and more (see the man page)."""
    return '%s:%d -> %s:%d %s (%s)' % (meta['src'], meta['sport'], meta['dst'], meta['dport'],
                                       sampleFunction(data), meta['end_reason'])
