#!/usr/bin/python3
"""beacons.py OUT.pcap [set] - 802.11 beacons behind radiotap (DLT 127) for
the wifiviz scanner: several transmitters and SSIDs out of order, a
repeated one, an SSID with XML specials, UTF-8 and control bytes, a bad
FCS, a frame without FCS, a probe response, a beacon without an SSID
element and one with two.  set "b": the first set (specials and raw bytes)."""
from scapy.all import *
import sys, zlib, struct
def beacon(ssid, a2, a3, fcs=True, badfcs=False, subtype=8, elts=None):
    p = Dot11(type=0, subtype=subtype, addr1='ff:ff:ff:ff:ff:ff', addr2=a2, addr3=a3)
    if subtype == 8: p = p/Dot11Beacon(cap='ESS')
    elif subtype == 5: p = p/Dot11ProbeResp(cap='ESS')
    if elts is None:
        p = p/Dot11Elt(ID='Rates', info=b'\x82\x84')/Dot11Elt(ID='SSID', info=ssid)
    else:
        p = p/elts
    raw = bytes(p)
    if fcs:
        c = zlib.crc32(raw) & 0xffffffff
        if badfcs: c ^= 1
        raw += struct.pack('<I', c)
        rt = RadioTap(present='Flags', Flags='FCS')
    else:
        rt = RadioTap(present='Flags', Flags=0)
    return rt/Raw(raw)
def set_b():
    pk = []
    for i, (s, b) in enumerate([(b'HomeNet', '00:11:22:33:44:55'), (b'HomeNet', '00:11:22:33:44:55'),
                                (b'Cafe Wifi', '00:11:22:33:44:66'), (b'', '00:11:22:33:44:77'),
                                (b"a'b<c>&\"d", '00:11:22:33:44:88'), (b'\xff\x01bin', '00:11:22:33:44:99'),
                                (b'HomeNet', '00:11:22:33:44:aa')]):
        p = beacon(s, b, b); p.time = 1e9 + i; pk.append(p)
    p = beacon(b'NoFCS', '00:11:22:33:44:bb', '00:11:22:33:44:bb', fcs=False); p.time = 1e9 + 20; pk.append(p)
    return pk
if len(sys.argv) > 2 and sys.argv[2] == 'b':
    wrpcap(sys.argv[1], set_b(), linktype=127)
    sys.exit(0)
pk=[]
L=[(b'Zed','00:00:00:00:00:99','00:00:00:00:00:99'),
   (b'Alpha','00:00:00:00:00:11','00:00:00:00:00:11'),
   (b'Beta','00:00:00:00:00:11','00:00:00:00:00:11'),
   (b'Gamma','00:00:00:00:00:22','00:00:00:00:00:33'),
   ('caf\u00e9'.encode(),'00:00:00:00:00:44','00:00:00:00:00:44'),
   (b'ctl\x01\x7f','00:00:00:00:00:45','00:00:00:00:00:45'),
]
for i,(s,a,b) in enumerate(L):
    p=beacon(s,a,b); p.time=1e9+i; pk.append(p)
p=beacon(b'BadFCS','00:00:00:00:00:55','00:00:00:00:00:55',badfcs=True); p.time=1e9+10; pk.append(p)
p=beacon(b'Probe','00:00:00:00:00:66','00:00:00:00:00:66',subtype=5); p.time=1e9+11; pk.append(p)
p=beacon(b'','00:00:00:00:00:77','00:00:00:00:00:77',elts=Dot11Elt(ID='Rates', info=b'\x82')); p.time=1e9+12; pk.append(p)
p=beacon(b'Twice','00:00:00:00:00:88','00:00:00:00:00:88',elts=Dot11Elt(ID='SSID', info=b'One')/Dot11Elt(ID='SSID', info=b'Two')); p.time=1e9+13; pk.append(p)
wrpcap(sys.argv[1], pk, linktype=127)
